/* cgroups behind one interface: v2 (unified) or v1 (one hierarchy per
 * controller, as on this host), chosen by detection. podctl only creates,
 * writes and removes cgroups below its own "podctl" subtree, and never
 * changes a cgroup mount.
 *
 * Layout (kubelet's QoS layout; <qos> is "" for Guaranteed, "burstable" or
 * "besteffort"):  podctl/<qos>/pod<uid>/<container>   (pause: "pause")
 */
#ifndef PODCTL_CGROUP_CGROUP_H
#define PODCTL_CGROUP_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

enum pc_cgroup_mode { PC_CGROUP_NONE = 0, PC_CGROUP_V1, PC_CGROUP_V2 };

struct pc_cgroup_limits {
        int64_t memory_max;  /* bytes, -1 = unlimited */
        int64_t cpu_quota;   /* microseconds per period, -1 = unlimited */
        int64_t cpu_period;  /* microseconds, default 100000 */
        int64_t cpu_shares;  /* v1 shares (2..262144); mapped to weight on v2; -1 = default */
        int64_t pids_max;    /* -1 = unlimited */
};

struct pc_cgroup_stats {
        uint64_t cpu_usage_ns;
        uint64_t memory_usage;       /* bytes */
        uint64_t memory_working_set; /* usage - inactive_file, as kubectl top */
        uint64_t oom_kills;          /* memory.events oom_kill / memory.oom_control */
        uint64_t pids_current;
};

typedef struct pc_cgroup pc_cgroup;

/* Detect the host's mode. `base` is the cgroup filesystem root
 * ("/sys/fs/cgroup"; unit tests pass a fake tree). */
enum pc_cgroup_mode pc_cgroup_detect(const char *base);

/* Create (mkdir -p below podctl/) the cgroup at relative path `rel`
 * (e.g. "besteffort/pod<uid>/web"), apply limits (may be NULL). */
int pc_cgroup_create(const char *base, const char *rel, const struct pc_cgroup_limits *lim,
                     pc_cgroup **out, pc_error *err);
/* Open an existing one (no creation). */
int pc_cgroup_open(const char *base, const char *rel, pc_cgroup **out, pc_error *err);
int pc_cgroup_enter(pc_cgroup *cg, pid_t pid, pc_error *err);
int pc_cgroup_stats(pc_cgroup *cg, struct pc_cgroup_stats *st, pc_error *err);
/* SIGKILL every process inside (recursively), wait until empty (bounded). */
int pc_cgroup_kill(pc_cgroup *cg, pc_error *err);
/* rmdir the cgroup (and its empty children, then empty parents up to but
 * excluding podctl/). */
int pc_cgroup_destroy(pc_cgroup *cg, pc_error *err);
/* A path to show users (the memory or unified directory). */
const char *pc_cgroup_path(pc_cgroup *cg);
void pc_cgroup_free(pc_cgroup *cg);

#endif
