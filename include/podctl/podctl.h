/* libpodctl: the public API. The CLI (src/cli) uses only what is declared
 * here and in the headers it includes; a future CRI server will too.
 *
 * Error convention: functions return >= 0 on success and -1 on failure with
 * *err filled (errno-like code + message). See docs/ERRORS.md.
 */
#ifndef PODCTL_PODCTL_H
#define PODCTL_PODCTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

#define PODCTL_VERSION "0.1.0"

typedef struct podctl podctl;

/* Open a podctl root (state + images). NULL = defaults (/var/lib/podctl,
 * /var/log/pods). Leftovers of applies killed half-way are removed by the
 * next create or delete, and never listed. */
int podctl_open(const char *root, const char *log_dir, podctl **out, pc_error *err);
void podctl_close(podctl *ctx);
const char *podctl_root_dir(const podctl *ctx);
const char *podctl_log_dir(const podctl *ctx);

/* ConfigMaps and Secrets (src/pod/objects.c). Store one of a manifest:
 * PODCTL_CREATED, PODCTL_UPDATED or PODCTL_UNCHANGED (an immutable one
 * refuses a change: EPERM). */
int podctl_object_put(podctl *ctx, const struct pc_configmap *obj, pc_error *err);
/* The stored ConfigMaps (secret: Secrets) of namespace ns (all when NULL)
 * whose labels match a label selector (kubectl's -l syntax; NULL or "":
 * every one), sorted by namespace and name: a new JSON array. */
int podctl_object_list(podctl *ctx, const char *ns, bool secret, const char *selector, json_t **out,
                       pc_error *err);
/* One, or ENOENT ("configmaps \"x\" not found"). */
int podctl_object_get(podctl *ctx, const char *ns, const char *name, bool secret, json_t **out,
                      pc_error *err);
/* Delete one (ENOENT when there is none); Pods using it keep their volumes'
 * content. */
int podctl_object_delete(podctl *ctx, const char *ns, const char *name, bool secret, pc_error *err);

/* podctl_pod_create's and podctl_pod_update's results */
enum podctl_create_result { PODCTL_CREATED = 0, PODCTL_UNCHANGED = 1, PODCTL_UPDATED = 2 };

/* Create and start a Pod: admit it (images present, name free), create its
 * state, start its monitor, wait until its containers have had their first
 * start (at most wait_ms). Container start failures do not fail the call: they
 * are returned in *start_errors (NULL-terminated; may be NULL) and are in the
 * Pod's status. A failure to create the sandbox leaves nothing behind. A
 * Pod of that name with the same spec is PODCTL_UNCHANGED, with another
 * spec EEXIST (podctl_pod_update may apply the change). */
int podctl_pod_create(podctl *ctx, struct pc_pod *pod, int wait_ms, char ***start_errors,
                      pc_error *err);

/* Update an existing Pod to pod's spec, as the API server allows an update
 * (src/pod/update.c): PODCTL_UNCHANGED when the spec is the same,
 * PODCTL_UPDATED when containers' images (each such running container is
 * restarted with its new image), activeDeadlineSeconds (set or lowered) or
 * tolerations (added) changed, or containers' cpu/memory resources alone
 * (an in-place resize, as podctl_pod_resize); -1 with EINVAL and the API server's message
 * for a change it refuses, ENOTSUP for terminationGracePeriodSeconds (not
 * applied in place), ENOENT when there is no such Pod. */
int podctl_pod_update(podctl *ctx, const struct pc_pod *pod, pc_error *err);
/* podctl debug: add the ephemeral container `container` (a v1
 * EphemeralContainer; its image in the store) to the running Pod ns/name
 * and start it (src/pod/ephemeral.c). */
int podctl_pod_add_ephemeral(podctl *ctx, const char *ns, const char *name, json_t *container,
                             pc_error *err);

/* An in-place resize of one container (podctl resize; KEP-1287): its new
 * cpu (millicores) and memory (bytes) requests and limits, -1 to keep one
 * as it is. */
struct podctl_resize {
        const char *container;
        int64_t cpu_request, cpu_limit, memory_request, memory_limit;
        /* the request, and the limit when the container has one (-1: none);
         * the ones above take precedence */
        int64_t cpu, memory;
};
/* Resize the Pod ns/name as the API server's resize subresource and the
 * kubelet do (src/pod/resize.c): PODCTL_UPDATED, PODCTL_UNCHANGED (the
 * same values), or -1: EINVAL with the API server's refusal (QoS class
 * change, request above limit, ...), ENOSPC when the node cannot admit it
 * (nothing changes; the Pod shows PodResizePending), ENOENT for no such
 * Pod. */
int podctl_pod_resize(podctl *ctx, const char *ns, const char *name, const struct podctl_resize *rs,
                      pc_error *err);

/* Stop (preStop..SIGTERM..grace..SIGKILL) and remove a Pod. grace < 0: the
 * Pod's terminationGracePeriodSeconds. ENOENT when there is no such Pod. */
int podctl_pod_delete(podctl *ctx, const char *ns, const char *name, int64_t grace, pc_error *err);

/* Stop a Pod as delete does, but keep it: its directory and final status
 * stay (CRI's StopPodSandbox, then RemovePodSandbox = delete). Idempotent. */
int podctl_pod_stop(podctl *ctx, const char *ns, const char *name, int64_t grace, pc_error *err);

/* Start a new monitor for a Pod whose monitor is dead (`podctl-monitor
 * --adopt`, started by the Pod's podctl-keeper on SIGHUP) and wait until it
 * runs and has written the Pod's status. dir: the Pod's state dir. 0 at once
 * when a monitor runs; ESRCH when the keeper is gone too (a Pod from before
 * keepers, a reboot), EINVAL for a finished Pod. Every command that loads a
 * Pod calls it (PODCTL_ADOPT=0: none does). */
int pc_pod_adopt(podctl *ctx, const char *dir, pc_error *err);

/* The v1 Pod object with its status ({"apiVersion":"v1","kind":"Pod",...}). */
int podctl_pod_get(podctl *ctx, const char *ns, const char *name, json_t **out, pc_error *err);
/* All Pods of a namespace (NULL: all namespaces), as an array of v1 Pods. */
int podctl_pod_list(podctl *ctx, const char *ns, json_t **out, pc_error *err);
/* The Pod's events (v1 Event-like objects: type, reason, message, count,
 * firstTimestamp, lastTimestamp, fieldPath), oldest first. */
int podctl_pod_events(podctl *ctx, const char *ns, const char *name, json_t **out, pc_error *err);
/* podctl's runtime facts of a Pod (pids, cgroups, paths), for `inspect`. */
int podctl_pod_inspect(podctl *ctx, const char *ns, const char *name, json_t **out, pc_error *err);

/* The node as a v1 Node-like object: status.capacity and allocatable, and
 * under "podctl" what the Pods holding resources requested (and their list). */
int podctl_node_get(podctl *ctx, json_t **out, pc_error *err);

/* Usage from the cgroups: rows {namespace, pod, [container], cpuMillicores,
 * memoryWorkingSet} for running Pods (name NULL: all in ns; ns NULL: all). */
int podctl_pod_top(podctl *ctx, const char *ns, const char *name, bool containers, json_t **out,
                   pc_error *err);

struct podctl_exec_opts {
        const char *container; /* NULL: the first app container */
        char **argv;
        bool tty, stdin_open;
        /* Zero-initialise: what follows defaults to off. */
        /* With tty: TERM for the command unless its container's env sets one
         * (NULL: none), and the initial window size (0: unset). */
        const char *term;
        unsigned short rows, cols;
        /* Required with tty: called once the command runs, with the master of its
         * pseudo-terminal (O_NONBLOCK; the library closes it afterwards, which
         * hangs the terminal up) and its pid (a child of the caller that the
         * library reaps: poll a pidfd of it, never wait for it). Relay the
         * caller's terminal until the command is done and return 0; -1 (err
         * filled) gives up: the command is killed and podctl_pod_exec fails. */
        int (*relay)(void *data, int pty_master, pid_t pid, pc_error *err);
        void *relay_data;
};
/* Run a command in a running container; *status is its exit status (as the
 * shell reports it: 128+signal when killed). Without tty the command's
 * stdout and stderr are the caller's, its stdin too with stdin_open (else
 * /dev/null). With tty it runs on a pseudo-terminal of the container's own
 * /dev/pts as its controlling terminal (see relay). */
int podctl_pod_exec(podctl *ctx, const char *ns, const char *name,
                    const struct podctl_exec_opts *opts, int *status, pc_error *err);

/* Whether an exit with exit_code of the container named `container` of the
 * Pod object `pod` (as podctl_pod_get returns it) leads to another run:
 * its restartPolicyRules, its own restartPolicy, the Pod's, and any
 * RestartAllContainers rule of the Pod (which runs every container again).
 * False for a container the Pod does not have. */
bool podctl_container_runs_again(json_t *pod, const char *container, int exit_code);

/* Path of a container's log file (restart = -1: current run; otherwise that
 * restartCount), and whether the container is still running. */
int podctl_pod_log_path(podctl *ctx, const char *ns, const char *name, const char *container,
                        bool previous, char **path, bool *running, pc_error *err);

/* Garbage collection (src/pod/gc.c): remove what no Pod of any podctl root
 * on this host owns: debris pod dirs and host mounts below them, cgroups
 * under podctl/ (their processes killed), CNI attachments and IP leases of
 * the default network, log directories. *removed (NULL-terminated, free
 * with pc_strv_free) says what was removed, or with dry_run what would be. */
int podctl_gc(podctl *ctx, bool dry_run, char ***removed, pc_error *err);

/* label / annotate (meta.c): change a Pod's metadata.labels or
 * .annotations (field "labels" or "annotations"): the keys of `set` set,
 * `remove` (NULL-terminated, may be NULL) deleted. Without overwrite an
 * existing key is refused as kubectl refuses it (EEXIST, nothing changed);
 * an invalid key or label value is EINVAL naming it. Stored in pod.json;
 * nothing that runs changes. */
struct podctl_meta_result {
        bool changed;     /* the stored metadata differs from before */
        bool shrank;      /* ... and is shorter (kubectl's "unlabeled") */
        char **not_found; /* keys of `remove` that were not there (free with pc_strv_free) */
};
int podctl_pod_update_meta(podctl *ctx, const char *ns, const char *name, const char *field,
                           json_t *set, char **remove, bool overwrite,
                           struct podctl_meta_result *res, pc_error *err);

/* The Pods of a namespace (NULL: all) whose labels match a label selector
 * (kubectl's -l syntax, src/spec/selector.h; NULL or "": every Pod). */
int podctl_pod_select(podctl *ctx, const char *ns, const char *selector, json_t **out,
                      pc_error *err);
/* The same Pods one at a time, in the same order: fn gets each (its
 * reference). With PODCTL_POD_ROWS each is only its row: what kubectl's
 * table (printPod), -o name and -l read (src/pod/internal.h pc_pod_row_pod),
 * from the Pod's list.json when that is current. With PODCTL_POD_PRINTED a
 * Pod may come as a JSON string instead: the object's text as
 * json_dumps(JSON_INDENT(4) | JSON_PRESERVE_ORDER) prints it (`get -o json`),
 * cached. -1 (nothing called) for a selector that does not parse. */
#define PODCTL_POD_ROWS    1u
#define PODCTL_POD_PRINTED 2u
typedef void (*podctl_pod_fn)(json_t *pod, void *data);
int podctl_pod_each(podctl *ctx, const char *ns, const char *selector, unsigned flags,
                    podctl_pod_fn fn, void *data, pc_error *err);

/* Watching the Pods of a root (watch.c), for get -w, wait, events -w: an
 * inotify watch on the pod directories, no polling. podctl_watch_wait blocks
 * until something may have changed (1) or timeout_ms passed (0; -1: no
 * timeout); the caller then reads the Pods again. */
struct podctl_watch;
int podctl_watch_open(podctl *ctx, struct podctl_watch **out, pc_error *err);
int podctl_watch_wait(struct podctl_watch *w, int timeout_ms, pc_error *err);
int podctl_watch_fd(const struct podctl_watch *w);
void podctl_watch_close(struct podctl_watch *w);

/* podctl cp (copy.c), kubectl cp's semantics: the container's side in its
 * mount namespace as its user, every path resolved inside its root (a
 * symlink never leads out of it). From: SRC in the container to the local
 * DEST; to: the local SRC into the container at DEST. *warnings
 * (NULL-terminated; free with pc_strv_free): what was skipped (symlinks
 * from the container, names outside DEST). container NULL: the first. */
int podctl_pod_copy_from(podctl *ctx, const char *ns, const char *name, const char *container,
                         const char *src, const char *dest, char ***warnings, pc_error *err);
int podctl_pod_copy_to(podctl *ctx, const char *ns, const char *name, const char *container,
                       const char *src, const char *dest, char ***warnings, pc_error *err);

/* Boot recovery (recover.c, `podctl serve` at start): bring back a Pod whose
 * monitor and processes are gone without having finished it (a host
 * reboot), as the kubelet makes a new sandbox for a Pod whose sandbox died:
 * when its restartPolicy says so (Always; OnFailure unless the Pod
 * Succeeded) the old sandbox's leftovers are torn down (cgroups, CNI DEL:
 * the old IP lease) and a new monitor starts the Pod again from pod.json in
 * the same pod dir, same uid: each container's restartCount goes on (its
 * first start in the new sandbox counts as a restart), its cut-short run
 * becomes lastState, its previous log file stays. Waits for the new
 * monitor's report at most wait_ms. Nothing is done (and *res says why) for
 * a Pod whose monitor runs, that had finished, that its policy does not
 * restart, a CRI sandbox (the kubelet makes those again itself), or one
 * whose monitor is dead while some of its processes still run (that one
 * needs re-adoption by a new monitor, not a new sandbox). */
enum podctl_recover_result {
        PODCTL_RECOVER_RUNNING,   /* its monitor runs: nothing to do */
        PODCTL_RECOVER_FINISHED,  /* it had finished: stays as it was */
        PODCTL_RECOVER_POLICY,    /* no container runs again (restart policies and rules) */
        PODCTL_RECOVER_SKIPPED,   /* a CRI sandbox, or debris (no status yet) */
        PODCTL_RECOVER_ADOPT,     /* monitor dead, containers alive: re-adoption needed */
        PODCTL_RECOVER_RECREATED, /* a new sandbox and monitor run it */
};
int podctl_pod_recover(podctl *ctx, const char *ns, const char *name, int wait_ms,
                       enum podctl_recover_result *res, pc_error *err);

#endif
