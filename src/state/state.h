/* On-disk state of one podctl root (see docs/ARCHITECTURE.md, "On-disk state").
 *
 *   <root>/                     0700
 *     lock                      flock: pod creation, deletion and garbage collection
 *     images/                   the image store (src/image)
 *     objects/<ns>_<name>.json  ConfigMaps and Secrets (kind in the object)
 *     pods/<ns>_<name>/         0700, one per Pod
 *       pod.json                the defaulted v1 Pod (metadata.uid, creationTimestamp)
 *       status.json             written by the monitor on every change:
 *                               {"status": <v1 PodStatus>, "runtime": {...}}
 *       monitor.lock            flock held by the Pod's monitor for its whole life
 *       etc/                    hosts, hostname, resolv.conf bound into containers
 *       shm/                    the Pod's /dev/shm
 *       volumes/<name>/         emptyDir volumes
 *       containers/<name>/      upper/, work/, rootfs/ (mount point), exec.json,
 *                               termination-log
 *   <log_dir>/<ns>_<name>_<uid>/<container>/<restartCount>.log   CRI format
 */
#ifndef PODCTL_STATE_STATE_H
#define PODCTL_STATE_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util/error.h"

#define PC_DEFAULT_ROOT    "/var/lib/podctl"
#define PC_DEFAULT_LOG_DIR "/var/log/pods"

struct pc_root {
        char *root;
        char *log_dir;
        char *pods_dir;
        char *objects_dir;
        char *libexec_dir; /* where pause and podctl-monitor live */
        int lock_fd;       /* -1 when not locked */
};

/* Create the layout if missing (0700). NULL root/log_dir: defaults. */
int pc_root_open(const char *root, const char *log_dir, struct pc_root *r, pc_error *err);
void pc_root_close(struct pc_root *r);
/* The root-wide lock (blocking). Unlock is idempotent. */
int pc_root_lock(struct pc_root *r, pc_error *err);
void pc_root_unlock(struct pc_root *r);

/* "<ns>_<name>" */
char *pc_pod_key(const char *ns, const char *name);
char *pc_pod_dir(const struct pc_root *r, const char *ns, const char *name);
char *pc_pod_log_dir(const struct pc_root *r, const char *ns, const char *name, const char *uid);

/* Sorted keys of every pod dir. */
int pc_pods_list(const struct pc_root *r, char ***keys, pc_error *err);

/* Everything a reader knows of a pod. */
struct pc_pod_state {
        char *dir;
        json_t *pod;     /* pod.json */
        json_t *status;  /* status.json "status", NULL when absent */
        json_t *runtime; /* status.json "runtime", NULL when absent */
        json_t *events;  /* status.json "events", NULL when absent */
        bool monitor_alive;
        bool finished; /* the monitor ended the Pod itself (runtime.finished) */
        /* The files read (fstat of the very fds), for the caches that name
         * them; st_ino 0 when not read (status_st: no status.json). */
        struct stat pod_st, status_st;
};
/* ENOENT in err->code when the pod does not exist. */
int pc_pod_state_load(const struct pc_root *r, const char *key, struct pc_pod_state *st,
                      pc_error *err);
void pc_pod_state_free(struct pc_pod_state *st);

/* A file's identity as the caches name it: "dev:ino:size:mtime:ctime". */
char *pc_file_identity(const struct stat *st);

/* <root>/lock taken shared without waiting: an fd to close, or -1 when a
 * create, delete or gc holds it (the writers of caches inside Pod dirs take
 * it so, never racing a Pod dir's removal). */
int pc_root_try_lock_shared(const struct pc_root *r);

/* Is the monitor.lock of a pod dir held (by a live monitor)? */
bool pc_pod_monitor_alive(const char *pod_dir);

/* The node (node.c): capacity detected or configured in <root>/config.json,
 * minus the reserve, is what Pods may request. cpu in millicores, memory in
 * bytes. */
struct pc_node_amounts {
        int64_t cpu_m, memory, pids;
};
struct pc_node {
        struct pc_node_amounts capacity, reserved, allocatable;
        int64_t pod_pids_limit; /* default pids.max of every Pod; -1 = none */
        /* "seccompDefault" (default true): RuntimeDefault for containers whose
         * Pod says nothing (the kubelet's --seccomp-default). */
        bool seccomp_default;
        /* "allowedUnsafeSysctls": sysctls beyond the safe set a Pod may set
         * (exact names or "prefix*"), NULL-terminated or NULL. */
        char **allowed_unsafe_sysctls;
        /* The kubelet's container log rotation: "containerLogMaxSize" (a
         * quantity, default 10Mi) and "containerLogMaxFiles" (>= 2, default 5). */
        int64_t container_log_max_size;
        int container_log_max_files;
};
int pc_node_load(const struct pc_root *r, struct pc_node *n, pc_error *err);
/* The node's ephemeral-storage: the size of the filesystem holding the root
 * (the kubelet's capacity of its root dir's filesystem); 0 when unknown. */
int64_t pc_node_ephemeral_storage(const struct pc_root *r);
void pc_node_free(struct pc_node *n);

/* JSON files. */
int pc_json_load(const char *path, json_t **out, pc_error *err);
int pc_json_save(const char *path, json_t *v, bool durable, pc_error *err);

/* Where a ConfigMap or Secret of namespace ns is stored under objects_dir:
 * <ns>_<name>.json for a ConfigMap, <ns>_<name>.secret.json for a Secret
 * (the two kinds have separate names, as in the API server). */
char *pc_object_path(const char *objects_dir, const char *ns, const char *name, bool secret);

#endif
