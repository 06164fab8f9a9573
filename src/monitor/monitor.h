/* The per-Pod monitor (podctl-monitor): one small process per Pod that
 * outlives the CLI, like conmon but for a whole Pod. It is the parent of
 * pause and of every container process; it reaps them, restarts containers
 * per restartPolicy, captures their output into CRI log files and writes the
 * Pod's status atomically after every change.
 *
 * Lifecycle of a Pod, an explicit state machine (docs/LIFECYCLE.md):
 *
 *   POD_INIT --(last init container done)--> POD_RUNNING
 *   POD_INIT --(init failed, restartPolicy Never)--> POD_DONE
 *   POD_RUNNING --(no app container running or due to restart)--> POD_STOPPING_SIDECARS
 *   POD_STOPPING_SIDECARS --(sidecars exited)--> POD_DONE
 *   any --(stop request: SIGTERM/SIGINT, grace in sigqueue value)--> POD_TERMINATING
 *   POD_TERMINATING --(all exited, or grace expired -> SIGKILL)--> POD_DONE
 *   POD_DONE: pause stopped, cgroups and per-container dirs removed, final
 *   status written with runtime.finished=true, monitor exits.
 *
 * Containers: WAITING -> RUNNING -> TERMINATED -> (restart: WAITING, after backoff).
 */
#ifndef PODCTL_MONITOR_MONITOR_H
#define PODCTL_MONITOR_MONITOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "image/image.h"
#include "runtime/runtime.h"
#include "spec/spec.h"
#include "state/state.h"
#include "util/error.h"

enum pc_pod_state_id {
        POD_INIT,
        POD_RUNNING,
        POD_STOPPING_SIDECARS,
        POD_TERMINATING,
        POD_DONE,
};

enum pc_ctr_state_id { CTR_WAITING, CTR_RUNNING, CTR_TERMINATED };

/* CRI log writer for one container run, with the kubelet's rotation: when
 * the file would grow past max_size it is renamed <run>.log.<YYYYmmdd-HHMMSS>
 * and a new <run>.log is started; at most max_files files per run are kept,
 * all rotated ones but the newest gzip-compressed (.gz) by a forked child.
 * A write that fails (ENOSPC, EDQUOT, EIO) drops the record, never leaves a
 * torn one, counts it (event LogLinesDropped) and is retried with the next. */
struct pc_monitor;
struct pc_ctr;
struct pc_log_opts {
        int64_t max_size;       /* bytes; <= 0: no rotation */
        int max_files;          /* files per run, the current one included (>= 2) */
        struct pc_monitor *mon; /* for events; NULL: none (tests) */
        const struct pc_ctr *ctr;
        bool interactive; /* stdin or tty: what is read is written at once (a P
                             record for a line not finished yet), so an attached
                             terminal sees a prompt */
};
struct pc_log {
        int fd; /* the <restartCount>.log file, -1 while it cannot be opened */
        char *path;
        char buf[2][16384]; /* pending partial line per stream (0 stdout, 1 stderr) */
        size_t len[2];
        struct pc_log_opts o;
        int64_t size;          /* bytes in the current file */
        int64_t last_rotation; /* the timestamp (s) of the newest rotated name */
        int gz_pidfd;          /* the compressing child, -1 when none */
        uint64_t dropped;      /* records lost since the last good write */
        int drop_errno;
};
/* The previous run's files are kept (for --previous), older runs' removed:
 * call before the first write of run `run` in dir. */
void pc_log_prune_runs(const char *dir, int run);
/* opts NULL: no rotation. A file that cannot be created for lack of space is
 * not an error: the log drops records until it can. */
int pc_log_open(struct pc_log *log, const char *path, const struct pc_log_opts *opts,
                pc_error *err);
/* Feed bytes read from a stream; complete lines are written as F records, a
 * line longer than the buffer is split into P records. */
void pc_log_feed(struct pc_log *log, int stream, const char *data, size_t len);
/* Flush what is left of a stream (at EOF) as an F record. */
void pc_log_flush(struct pc_log *log, int stream);
/* Close the file and open its path again (CRI ReopenContainerLog: after the
 * kubelet moved it away); pending partial lines stay pending. */
void pc_log_reopen(struct pc_log *log);
/* Flushes, closes, and waits for a compression still running. */
void pc_log_close(struct pc_log *log);
/* Compress path to path.gz (temp + rename), then remove path. */
int pc_log_gzip(const char *path, pc_error *err);
/* Format one CRI record into buf (for tests): "<RFC3339Nano> stdout F <line>\n". */
size_t pc_log_format(char *buf, size_t cap, int64_t ns, int stream, bool partial, const char *line,
                     size_t len);

/* One probe or hook attempt in flight (a child process of the monitor). */
struct pc_attempt {
        pid_t pid; /* 0 when none */
        int fd;    /* the attempt's reason pipe, -1 when none */
        int64_t deadline;
        int kind; /* the handler's enum pc_handler_kind */
        char out[512];
        size_t len;
};

enum { PC_PROBE_STARTUP, PC_PROBE_LIVENESS, PC_PROBE_READINESS, PC_N_PROBES };

struct pc_prober {
        const struct pc_probe *p; /* NULL: no such probe */
        struct pc_attempt a;
        int64_t next; /* monotonic ns of the next attempt, 0 = not scheduled */
        int successes, failures;
        bool ok;
};

enum pc_hook_kind { PC_HOOK_NONE, PC_HOOK_POST_START, PC_HOOK_PRE_STOP };

/* An image to pull before a start (pull.c): a container's, or an image
 * volume's (the containers that mount it wait for it). */
struct pc_pull {
        bool pending, never, never_reported, pulled_now, always;
        pid_t pid; /* the helper, 0 when none */
        int attempts;
        int64_t started, due, backoff, backoff_at; /* monotonic ns */
};

/* An image volume of the Pod (KEP-4639): its image as the CLI resolved it
 * (images.json "_volumes"), or the pull that brings it; the containers that
 * mount it show the pull's waiting reason. */
struct pc_ivol {
        struct pc_volume *v;    /* owned by the pod */
        char *name;             /* v's: v is found again after pod.volumes moved (control.c) */
        struct pc_image *image; /* NULL until present */
        struct pc_pull pull;
        char *reason, *message; /* the pull's failure (ErrImagePull...), NULL when none */
};

struct pc_ctr {
        struct pc_container *spec; /* owned by the pod */
        struct pc_image *image;
        enum pc_ctr_state_id state;
        char *reason;  /* waiting or terminated reason */
        char *message; /* waiting or terminated message */
        pid_t pid;
        uint64_t pid_start;
        int64_t started_at, finished_at; /* ns since epoch */
        int exit_code;
        int restart_count;
        bool ever_started;
        /* its image changed (control "set_image"): restarted once it ends,
         * whatever the restart policy, with no backoff */
        bool spec_changed;
        json_t *last_state; /* v1 ContainerState of the previous run, or NULL */
        char container_id[65];
        int64_t restart_due;                        /* monotonic ns; 0 = not scheduled */
        int64_t restart_due_seen, restart_due_real; /* status.c: restart_due in CLOCK_REALTIME */
        int64_t backoff_ns;                         /* current backoff step */
        int64_t healthy_since;
        int out_fd, err_fd; /* read ends of the log pipes (tty: out_fd is the terminal's
                               master, err_fd -1), -1 when closed */
        /* stdin: true: what `attach -i` is given (SCM_RIGHTS over the control
         * channel): the write end of the container's stdin pipe, or with tty
         * a copy of the master; -1 without stdin, and once stdinOnce's first
         * attach has it. The keeper holds a copy (tag "<name>/in"). */
        int in_fd;
        struct pc_log log;
        pc_cgroup *cgroup;
        uint64_t oom_base; /* the cgroup's OOM kill count when this run started */
        char *dir;         /* <pod dir>/containers/<name> */
        struct pc_watch {
                struct pc_ctr *c;
                int stream; /* 0 stdout, 1 stderr */
        } watch[2];         /* epoll data for out_fd, err_fd */
        bool sidecar;       /* init container with restartPolicy Always */
        /* health (health.c): probes, hooks, and how the current run is stopped */
        struct pc_prober probes[PC_N_PROBES];
        struct pc_attempt hook;
        enum pc_hook_kind hook_kind;
        bool started;       /* postStart done and startup probe passed */
        bool ready;         /* started and readiness passing (or no readiness probe) */
        int64_t kill_at;    /* monotonic ns: SIGKILL if still running; 0 = not stopping */
        int pending_signal; /* stop signal to send once preStop is done */
        char **envp;        /* this run's environment, cwd and user (exec probes/hooks) */
        char *cwd, *user;
        json_t *user_status; /* status.containerStatuses[].user: the ids it runs with */
        /* How this run's processes are sealed (its exec probes and hooks too). */
        struct pc_proc_sec sec;
        struct pc_seccomp *seccomp; /* owned; sec.seccomp points here */
        gid_t *groups;              /* supplementalGroups + fsGroup */
        size_t n_groups;
        /* exec probes/hooks: the user resolved in this run's /etc/passwd and
         * /etc/group once (health.c), for the run whose pid is exec_user_pid */
        pid_t exec_user_pid;
        uid_t exec_uid;
        gid_t exec_gid;
        gid_t *exec_groups; /* the user's groups, then supplementalGroups/fsGroup */
        size_t n_exec_groups;
        bool devices_restricted; /* the device allow list is on its cgroup */
        bool config_error;       /* the last start failed before anything ran
                                    (CreateContainerConfigError) */
        /* image pull before the first start (pull.c); image is NULL until done */
        struct pc_pull pull;
        /* in-place resize (resize.c): the cpu/memory values its cgroup holds
         * (status.containerStatuses[].resources; set at each start and by a
         * resize applied in place), and a RestartContainer resize whose
         * restart is still to come (PodResizeInProgress) */
        struct pc_resources applied;
        bool applied_set;
        bool resize_restart;
        bool resize_stale; /* its cgroup holds older values: written at its next start */
        /* a container added through the control channel (control.c) */
        char *log_path; /* its CRI log file; NULL: <log_dir>/<name>/<restartCount>.log */
        json_t *cri;    /* what the CRI server gave and gets back */
};

/* The Pod conditions, in the order the kubelet writes them (kubectl shows
 * them so): the sandbox's, the init containers', readiness, and the
 * scheduler's (set for every Pod: one node, no scheduling). */
enum {
        PC_COND_READY_TO_START, /* PodReadyToStartContainers */
        PC_COND_INITIALIZED,
        PC_COND_READY,
        PC_COND_CONTAINERS_READY,
        PC_COND_SCHEDULED,
        PC_N_CONDS
};

struct pc_monitor {
        struct pc_root root;
        char *pod_dir;
        char *status_written; /* the content of status.json as last written */
        struct pc_pod pod;
        enum pc_pod_state_id state;
        struct pc_sandbox sandbox;
        uint64_t pause_start;
        pc_cgroup *cgroup; /* the Pod's; NULL when cgroups are unavailable */
        char *cgroup_rel;
        char *qos_class;
        char *log_dir;
        struct pc_ctr *init; /* n_init */
        size_t n_init;
        struct pc_ctr *app; /* n_app */
        size_t n_app;
        /* ephemeral containers (podctl debug, control "add_ephemeral"): room
         * for PC_MAX_EPHEMERAL from the start (epoll data points into it),
         * their specs likewise in pod.ephemeral_containers. Never restarted;
         * they do not count for the phase or readiness; stopped with the Pod. */
        struct pc_ctr *eph;
        size_t n_eph;
        struct pc_ivol *ivols; /* the image volumes (n_ivols), in spec order */
        size_t n_ivols;
        size_t next_init; /* index of the init container being run */
        size_t next_app;  /* index of the next app container to start (start_apps) */
        int64_t start_time;
        int64_t grace_deadline; /* monotonic ns while terminating */
        double time_scale;      /* PODCTL_TIME_SCALE: multiplies backoff timings (tests) */
        int epoll_fd, signal_fd;
        int report_fd; /* to the CLI that started us, -1 once reported */
        char *pod_reason, *pod_message;
        bool failed_init;
        /* restartPolicyRules' RestartAllContainers (KEP-5532): every
         * container is being killed (restarting_all); then the startup runs
         * again from the first init container, in the same sandbox, no
         * sooner than restart_all_due (monotonic ns: the trigger's backoff).
         * all_restarts counts them; restart_all_at (wall ns) is the last
         * transition of the AllContainersRestarting condition. */
        bool restarting_all;
        int all_restarts;
        int64_t restart_all_due, restart_all_at;
        char *restart_all_message;
        bool rejected; /* the node refused the Pod (spec.os): Failed, nothing runs */
        char *shm_dir, *etc_dir;
        bool seccomp_default;        /* config.json seccompDefault */
        uint32_t uid_base, uid_size; /* hostUsers: false: the Pod's host id range */
        int64_t log_max_size;        /* config.json containerLogMaxSize */
        int log_max_files;           /* config.json containerLogMaxFiles */
        /* The node's allocatable (cpu_m, memory) and ephemeral-storage
         * capacity: what a resourceFieldRef reads for an unset limit. */
        struct pc_pod_resources alloc;
        int64_t alloc_ephemeral;
        int64_t node_pids_limit; /* config.json podPidsLimit: the Pod cgroup's pids.max */
        /* in-place resize (resize.c): the last resize the node could not
         * admit (PodResizePending: reason Infeasible or Deferred, the
         * kubelet's message), and since when a resize is in progress */
        char *resize_pending_reason, *resize_pending_message;
        int64_t resize_pending_at, resize_progress_at; /* wall ns, 0 = none */
        /* Payload volumes (configMap, secret, downwardAPI, projected) written
         * for a container so far, by index in pod.volumes (n_volumes), and
         * SIGUSR1 received: rewrite the changed ones (pc_monitor_sync_volumes). */
        bool *volume_written;
        bool sync_volumes;
        /* This turn of the event loop only ran probe attempts that changed
         * nothing a status shows (a passing probe that passed before): the
         * status is not rebuilt (pc_monitor_not_quiet clears it; status.c). */
        bool turn_quiet;
        int64_t status_built_at; /* monotonic ns of the last rebuild */
        char *pod_ip;            /* from CNI; NULL with hostNetwork or before attach */
        char *sandbox_id;        /* 64 hex, the CNI container id */
        bool net_attached;
        bool deadline_exceeded;  /* activeDeadlineSeconds passed: the Pod failed */
        bool evicted;            /* over a local storage limit (storage.c): failed */
        int64_t evicted_at;      /* wall ns */
        int64_t storage_due;     /* storage.c: next check (monotonic ns); 0 unset, -1 never */
        int64_t active_deadline; /* monotonic ns, 0 = none */
        struct pc_event {
                bool warning;
                char *reason, *message, *object;
                int count;
                int64_t first, last; /* ns */
        } * events;                  /* what happened, for `describe` (deduplicated) */
        size_t n_events;
        /* Pod conditions in the kubelet's order (PC_COND_*): current value,
         * last transition time (ns), and the kubelet's reason and message
         * (status.c). */
        bool cond_val[PC_N_CONDS];
        int64_t cond_time[PC_N_CONDS];
        const char *cond_reason[PC_N_CONDS];
        char *cond_message[PC_N_CONDS];
        /* adopt.c: the Pod's podctl-keeper (the monitor's parent, holder of
         * the log pipes' read ends, reaper while no monitor runs). */
        int keeper_fd;     /* SOCK_SEQPACKET to the keeper, -1 without one */
        bool adopting;     /* --adopt: reload a running Pod instead of creating it */
        int64_t reaped_at; /* CLOCK_REALTIME ns of an exit the keeper recorded, 0 = now */
};

/* Something a status may show happened this turn (an event, a state
 * change, a child other than a passing probe attempt): rebuild it. */
static inline void pc_monitor_not_quiet(struct pc_monitor *m)
{
        m->turn_quiet = false;
}

/* status.c: the ids the container's process runs with, read from /proc when
 * it started (in the Pod's user namespace's terms), for status's `user`. */
void pc_monitor_read_user(struct pc_monitor *m, struct pc_ctr *c);

/* setup.c: files and plans. */
int pc_monitor_write_hosts(struct pc_monitor *m, pc_error *err);
/* The tmpfs mounts pause holds for the Pod: Secret volumes and emptyDir
 * medium: Memory (sized by sizeLimit, else the Pod's memory limit). Free
 * with pc_tmpfs_free. */
struct pc_tmpfs *pc_monitor_pod_tmpfs(const struct pc_monitor *m, size_t *n);
void pc_tmpfs_free(struct pc_tmpfs *t, size_t n);
/* After the sandbox exists: fsGroup on the memory-backed emptyDirs. */
int pc_monitor_memory_volumes_ready(struct pc_monitor *m, pc_error *err);
int pc_monitor_prepare_pod(struct pc_monitor *m, pc_error *err);
/* Rewrite every payload volume written so far whose content changed (the
 * atomic writer's swap, seen by running containers; subPath mounts keep the
 * file they were bound to). Failures become FailedMount warning events. */
void pc_monitor_sync_volumes(struct pc_monitor *m);
int pc_monitor_start_container(struct pc_monitor *m, struct pc_ctr *c, pc_error *err);
/* Kubernetes' rules for command/args/env/workingDir against the image config,
 * with $(VAR) expansion. Exposed for unit tests. */
int pc_resolve_process(const struct pc_container *c, const struct pc_image *img,
                       char *const *extra_env, char ***argv, char ***envp, char **cwd,
                       pc_error *err);
char *pc_expand_vars(const char *s, char *const *envp);

/* events.c: record an event (same reason, object and message: count++). */
void pc_monitor_event(struct pc_monitor *m, const struct pc_ctr *c, bool warning,
                      const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
json_t *pc_monitor_events_json(const struct pc_monitor *m);
void pc_monitor_events_free(struct pc_monitor *m);

/* health.c: probes and lifecycle hooks. */
void pc_health_on_start(struct pc_monitor *m, struct pc_ctr *c);
void pc_health_on_exit(struct pc_monitor *m, struct pc_ctr *c);
bool pc_health_reaped(struct pc_monitor *m, pid_t pid, int status);
void pc_health_tick(struct pc_monitor *m);
int64_t pc_health_next(const struct pc_monitor *m); /* earliest timer, INT64_MAX = none */

/* pull.c: images pulled by a helper process (the podctl binary) before a
 * container's first start; waiting reasons and events as the kubelet's.
 * An image volume's image is pulled once for the Pod (KEP-4639), before the
 * first start of a container that mounts it. */
void pc_pull_init(struct pc_monitor *m, struct pc_ctr *c, json_t *pull);
void pc_pull_init_volume(struct pc_ivol *iv, json_t *pull);
/* no image yet, its own or one of its image volumes': cannot start */
bool pc_pull_needed(const struct pc_monitor *m, const struct pc_ctr *c);
/* its own image, else each image volume it waits for (unless pulling or
 * backing off); the container shows the reason */
void pc_pull_start(struct pc_monitor *m, struct pc_ctr *c);
void pc_pull_before_restart(struct pc_ctr *c); /* Always: pull again first */
bool pc_pull_reaped(struct pc_monitor *m, pid_t pid, int status);
void pc_pull_tick(struct pc_monitor *m);
int64_t pc_pull_next(const struct pc_monitor *m); /* earliest timer, INT64_MAX = none */

/* storage.c: local ephemeral storage limits (emptyDir sizeLimit, a
 * container's limits.ephemeral-storage) checked as the kubelet's eviction
 * manager checks them; a check that is due returns the eviction message of
 * the first limit exceeded (caller frees), else NULL. */
char *pc_storage_check(struct pc_monitor *m);
int64_t pc_storage_next(const struct pc_monitor *m); /* INT64_MAX = none */
void pc_pull_kill(struct pc_monitor *m);

/* monitor.c: stop one container: preStop hook, then its stop signal, then
 * SIGKILL when grace_s has passed. */
void pc_monitor_stop_ctr(struct pc_monitor *m, struct pc_ctr *c, int64_t grace_s);
/* The kubelet's cgroup values of the Pod (from its containers' resources,
 * or the Pod-level ones) and of one container (monitor.c, setup.c). */
void pc_monitor_pod_limits(const struct pc_monitor *m, struct pc_cgroup_limits *l);
void pc_monitor_container_limits(const struct pc_resources *r, struct pc_cgroup_limits *l);
/* resize.c: control "resize" and "resize_pending" (a Pod resize the CLI
 * checked and admitted, or could not admit); the conditions it shows; a
 * container's start after a RestartContainer resize. */
json_t *pc_resize_op(struct pc_monitor *m, json_t *req);
json_t *pc_resize_pending_op(struct pc_monitor *m, json_t *req);
void pc_resize_conditions(const struct pc_monitor *m, json_t *conds);
json_t *pc_resize_status_json(const struct pc_ctr *c);
int pc_resize_on_start(struct pc_monitor *m, struct pc_ctr *c, pc_error *err);
int pc_monitor_stop_signal(const struct pc_ctr *c);
int pc_signal_parse(const char *s);

/* status.c */
const char *pc_pod_phase(const struct pc_monitor *m);
/* status.hostIP (and a hostNetwork Pod's podIP): podctl's node address. */
#define PC_HOST_IP "127.0.0.1"

#define NS_PER_SEC 1000000000LL
json_t *pc_monitor_status_json(const struct pc_monitor *m);
void pc_monitor_update_conditions(struct pc_monitor *m);
int pc_monitor_write_status(struct pc_monitor *m, bool finished);

/* teardown.c: remove everything of a Pod given its state dir, whether its
 * monitor is alive (the monitor calls it at the end) or dead (the CLI calls it
 * then). Kills recorded processes (verified by start time) and the Pod's
 * cgroup, removes cgroups and runtime dirs. Does not remove the pod dir. */
int pc_pod_teardown(const char *pod_dir, json_t *runtime, pc_error *err);
/* The same for a sandbox to be made again for the same Pod (boot recovery):
 * the Pod's volumes stay (an emptyDir on disk keeps its files, as the
 * kubelet keeps a Pod's volumes across a new sandbox). */
int pc_pod_teardown_sandbox(const char *pod_dir, json_t *runtime, pc_error *err);

/* monitor.c: what a container record owns (its fds closed), for the
 * monitor's end and control.c's remove. */
void pc_monitor_ctr_free(struct pc_ctr *c);
/* monitor.c: start a waiting container now (a failed start is a termination). */
void pc_monitor_start_ctr(struct pc_monitor *m, struct pc_ctr *c);
/* monitor.c: a container record for spec, waiting, nothing open (its fds -1). */
void pc_monitor_ctr_blank(struct pc_ctr *c, struct pc_container *spec);
/* monitor.c: a container record for spec (its image record from images.json
 * or the CLI), waiting, its dir made. */
int pc_monitor_ctr_init(struct pc_monitor *m, struct pc_ctr *c, struct pc_container *spec,
                        json_t *image_rec, pc_error *err);

#define PC_MAX_EPHEMERAL 16

/* control.c: the control channel <pod dir>/control.sock (docs/ARCHITECTURE.md). */
#define PC_CONTROL_MAX_MSG   65536
#define PC_CONTROL_MAX_REPLY 196608
#define PC_CONTROL_MAX_CTRS  64
int pc_control_open(struct pc_monitor *m, pc_error *err);
/* --adopt of a CRI sandbox: its containers again, from their records
 * (<pod dir>/cri/<id>.json), before their state is restored. */
int pc_control_restore(struct pc_monitor *m, pc_error *err);
/* An epoll event whose data is ptr: the channel's (handled, true) or not. */
bool pc_control_event(struct pc_monitor *m, void *ptr);
void pc_control_close(struct pc_monitor *m);

/* monitor.c: a child (ours, or the keeper's reported to us) exited. */
void pc_monitor_child_exited(struct pc_monitor *m, pid_t pid, int status);

/* adopt.c: the keeper and re-adoption (docs/ARCHITECTURE.md). */
/* Give the keeper a copy of a new run's pipe read ends (and its stdin) / let
 * it close one: stream 0 stdout, 1 stderr, PC_STREAM_IN stdin. */
#define PC_STREAM_IN 2
void pc_adopt_hold(struct pc_monitor *m, struct pc_ctr *c);
void pc_adopt_release(struct pc_monitor *m, struct pc_ctr *c, int stream);
/* --adopt: everything setup() does after loading the spec, from the state
 * dir instead of creating it: sandbox, cgroups, containers, pipes. */
int pc_adopt_setup(struct pc_monitor *m, pc_error *err);
/* After setup: apply the exits that happened while no monitor ran. */
void pc_adopt_resume(struct pc_monitor *m);
/* A container's exit we reaped, in exits.log as the keeper records them, so
 * a monitor killed before its status says so loses nothing. */
void pc_adopt_record_exit(struct pc_monitor *m, pid_t pid, int status);
/* The keeper's socket is readable: exits of its children. */
void pc_adopt_on_keeper(struct pc_monitor *m);
/* finish(): wait (bounded) for the keeper to report adopted containers. */
void pc_adopt_finish(struct pc_monitor *m);
/* setup.c: what a running container's exec probes and hooks need (its
 * security, exec.json's env/cwd/user, its cgroup), for an adopted run. */
int pc_monitor_adopt_ctr(struct pc_monitor *m, struct pc_ctr *c, pc_error *err);
/* health.c: probes of an adopted run start again; no postStart again. */
void pc_health_on_adopt(struct pc_monitor *m, struct pc_ctr *c);

/* monitor.c */
int pc_monitor_main(int argc, char **argv);

/* recover.c: a Pod re-created in a new sandbox by boot recovery
 * (<pod dir>/recovery.json, written by src/pod/recover.c, holds the old
 * status): restart counts and last states carried over; removed once read. */
void pc_monitor_load_recovery(struct pc_monitor *m);

#endif
