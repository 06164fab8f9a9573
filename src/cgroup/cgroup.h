/* cgroups behind one interface: v2 (unified) or v1 (one hierarchy per
 * controller, as on this host), chosen by detection. podctl only creates,
 * writes and removes cgroups below its own "podctl" subtree, and never
 * changes a cgroup mount.
 *
 * Layout (kubelet's QoS layout; <qos> is "" for Guaranteed, "burstable" or
 * "besteffort"):  podctl/<qos>/pod<uid>/<container>   (pause: "pause")
 *
 * On disk: v2  <base>/podctl/<rel>
 *          v1  <base>/<controller>/podctl/<rel> for memory, cpu, cpuacct,
 *              pids and freezer (those that are mounted; a controller mounted
 *              together with another, e.g. "cpu,cpuacct", is handled once).
 *
 * Detection reads files, so a fake tree in a plain directory works the same
 * as the real filesystem: <base>/cgroup.controllers -> v2; <base>/memory/
 * and <base>/cpu/ (or <base>/cpu,cpuacct/) directories -> v1.
 *
 * Missing controllers degrade, they do not fail: on v2 a controller that the
 * parent of podctl/ does not delegate, on v1 one that is not mounted, is
 * left out; its limits are not applied and it shows in pc_cgroup_missing()
 * and pc_cgroup_warning(). Stats of a missing controller read as 0.
 *
 * The tests create a fake tree by pre-creating the directories with the
 * control files the kernel would show; create/open tolerate existing
 * directories, and every write truncates (O_TRUNC) so a regular file ends up
 * holding exactly the last value written.
 */
#ifndef PODCTL_CGROUP_CGROUP_H
#define PODCTL_CGROUP_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

enum pc_cgroup_mode { PC_CGROUP_NONE = 0, PC_CGROUP_V1, PC_CGROUP_V2 };

/* Written as: v2 memory.max, cpu.max "<quota|max> <period>", cpu.weight,
 * pids.max; v1 memory.limit_in_bytes, cpu.cfs_period_us then
 * cpu.cfs_quota_us, cpu.shares, pids.max. Every field is written (so
 * pc_cgroup_set_limits can also lift a limit): -1 writes "max" (v1 memory and
 * quota: "-1"); cpu_shares -1 writes the controller's own default (v1 shares
 * 1024, v2 weight 100), otherwise it is clamped to 2..262144 and on v2
 * converted as the kubelet does: weight = 1 + ((shares - 2) * 9999) / 262142.
 * cpu_period <= 0 means 100000. Values below -1 are EINVAL. */
struct pc_cgroup_limits {
        int64_t memory_max; /* bytes, -1 = unlimited */
        int64_t cpu_quota;  /* microseconds per period, -1 = unlimited */
        int64_t cpu_period; /* microseconds, default 100000 */
        int64_t cpu_shares; /* v1 shares (2..262144); mapped to weight on v2; -1 = default */
        int64_t pids_max;   /* -1 = unlimited */
};

/* "No limits" (all -1, period 100000). */
#define PC_CGROUP_LIMITS_NONE                                                                      \
        ((struct pc_cgroup_limits){.memory_max = -1,                                               \
                                   .cpu_quota = -1,                                                \
                                   .cpu_period = 100000,                                           \
                                   .cpu_shares = -1,                                               \
                                   .pids_max = -1})

/* Controller bits for pc_cgroup_missing(). */
enum {
        PC_CGROUP_CTRL_MEMORY = 1u << 0,
        PC_CGROUP_CTRL_CPU = 1u << 1,
        PC_CGROUP_CTRL_CPUACCT = 1u << 2, /* v1 only (v2 cpu.stat is always there) */
        PC_CGROUP_CTRL_PIDS = 1u << 3,
        PC_CGROUP_CTRL_FREEZER = 1u << 4, /* v1 only; used by kill, no limits */
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
 * ("/sys/fs/cgroup"; unit tests pass a fake tree). PC_CGROUP_NONE when
 * neither layout is found. */
enum pc_cgroup_mode pc_cgroup_detect(const char *base);

/* Create (mkdir -p below podctl/) the cgroup at relative path `rel`
 * (e.g. "besteffort/pod<uid>/web"), apply limits (may be NULL: nothing is
 * written). `rel` is relative to podctl/: no leading '/', no "." or ".."
 * or empty components (EINVAL). Existing directories are fine. On v2 the
 * available controllers among cpu, memory, pids are enabled in the
 * cgroup.subtree_control of podctl/ and of every directory between it and
 * the new cgroup (never above podctl/). Fails with ENOTSUP when `base` has no
 * cgroup filesystem. On failure *out is NULL and nothing created is removed
 * (call pc_cgroup_open + pc_cgroup_destroy to clean up). */
int pc_cgroup_create(const char *base, const char *rel, const struct pc_cgroup_limits *lim,
                     pc_cgroup **out, pc_error *err);
/* Open an existing one (no creation; ENOENT when it does not exist). */
int pc_cgroup_open(const char *base, const char *rel, pc_cgroup **out, pc_error *err);
/* Write every field of *lim (see struct pc_cgroup_limits); limits of missing
 * controllers are skipped and recorded in pc_cgroup_warning(). */
int pc_cgroup_set_limits(pc_cgroup *cg, const struct pc_cgroup_limits *lim, pc_error *err);
/* The limits the cgroup's files hold now (v2's cpu.weight mapped back to
 * shares); unlimited and missing controllers are -1. */
int pc_cgroup_get_limits(pc_cgroup *cg, struct pc_cgroup_limits *lim, pc_error *err);
/* Move pid into the cgroup (cgroup.procs; on v1 of every controller). */
int pc_cgroup_enter(pc_cgroup *cg, pid_t pid, pc_error *err);
/* Hold the cgroup's cgroup.procs files open (O_CLOEXEC) until
 * pc_cgroup_free, so that pc_cgroup_enter does not walk their paths again:
 * for a caller that moves processes in often (a monitor's probe attempts).
 * Idempotent. Must be called in the process whose children will enter
 * (a CLONE_VM child shares cg but not its fd table). */
int pc_cgroup_keep_open(pc_cgroup *cg, pc_error *err);
int pc_cgroup_stats(pc_cgroup *cg, struct pc_cgroup_stats *st, pc_error *err);
/* SIGKILL every process inside (recursively), wait until empty (bounded:
 * 5 s, then ETIMEDOUT). v2 uses cgroup.kill when the kernel has it; v1
 * freezes (freezer) while signalling, to win against fork loops. Refuses
 * (EDEADLK) when the calling process itself is inside. Does not reap: the
 * killed processes' parents do. */
int pc_cgroup_kill(pc_cgroup *cg, pc_error *err);
/* One device rule: type 'c' or 'b' ('a' = both), major/minor (-1 = any),
 * access a subset of "rwm". */
struct pc_cgroup_dev_rule {
        char type;
        int64_t major, minor;
        const char *access;
};
/* The default container device list (runc's and containerd's): mknod of
 * anything, read/write only of null, zero, full, random, urandom, tty,
 * console, ptmx, the ptys and /dev/net/tun. */
const struct pc_cgroup_dev_rule *pc_cgroup_default_devices(size_t *n);
/* Deny every device but `rules` (NULL: the default list) to the processes of
 * the cgroup: v1 devices.deny "a" + devices.allow per rule (the devices
 * hierarchy must be mounted: ENOTSUP otherwise, never a silent pass); v2 a
 * BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup. Privileged
 * containers simply do not call this. */
int pc_cgroup_restrict_devices(pc_cgroup *cg, const struct pc_cgroup_dev_rule *rules, size_t n,
                               pc_error *err);
/* rmdir the cgroup and its child cgroups (deepest first), then its parents
 * below podctl/ while they are empty, then podctl/ itself if empty. A cgroup
 * that is gone already is success; one still holding processes fails (EBUSY)
 * naming its path. */
int pc_cgroup_destroy(pc_cgroup *cg, pc_error *err);
/* A path to show users (the memory or unified directory). */
const char *pc_cgroup_path(pc_cgroup *cg);
enum pc_cgroup_mode pc_cgroup_get_mode(const pc_cgroup *cg);
/* PC_CGROUP_CTRL_* bits of the controllers this cgroup could not use. */
unsigned pc_cgroup_missing(const pc_cgroup *cg);
/* NULL, or a message for the user when limits were requested for missing
 * controllers, e.g. "cgroup v2: controller pids not available below
 * /sys/fs/cgroup/podctl: pids limit not applied". Valid until the next call
 * on cg. */
const char *pc_cgroup_warning(const pc_cgroup *cg);
void pc_cgroup_free(pc_cgroup *cg);

#endif
