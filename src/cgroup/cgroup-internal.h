/* Internals of the cgroup module: the object, the per-version ops table and
 * the helpers both backends share (cgroup.c). Not for other modules. */
#ifndef PODCTL_CGROUP_INTERNAL_H
#define PODCTL_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"

#define PC_CG_ROOT            "podctl"
#define PC_CG_KILL_TIMEOUT_MS 5000

/* Index into pc_cgroup.dir[]. v2 uses PC_CG_UNIFIED only. */
enum pc_cg_ctrl {
        PC_CG_MEMORY,
        PC_CG_CPU,
        PC_CG_CPUACCT,
        PC_CG_PIDS,
        PC_CG_FREEZER,
        PC_CG_DEVICES, /* v1 only; no limits, not in pc_cgroup_missing() */
        PC_CG_NCTRL,
        PC_CG_UNIFIED = 0,
};

struct pc_cgroup_ops {
        enum pc_cgroup_mode mode;
        /* Fill root[], dir[], dup[] and missing; mkdir (and on v2 enable
         * controllers) when `create`. */
        int (*init)(pc_cgroup *cg, bool create, pc_error *err);
        /* *lim is validated and normalized (period > 0, shares -1 or in
         * 2..262144); skip missing controllers. */
        int (*set_limits)(pc_cgroup *cg, const struct pc_cgroup_limits *lim, pc_error *err);
        /* What the cgroup holds (a missing controller: its "none" value). */
        int (*get_limits)(pc_cgroup *cg, struct pc_cgroup_limits *lim, pc_error *err);
        int (*enter)(pc_cgroup *cg, pid_t pid, pc_error *err);
        int (*stats)(pc_cgroup *cg, struct pc_cgroup_stats *st, pc_error *err);
        int (*kill)(pc_cgroup *cg, pc_error *err);
        /* Allow only `rules` (everything else denied). */
        int (*restrict_devices)(pc_cgroup *cg, const struct pc_cgroup_dev_rule *rules, size_t n,
                                pc_error *err);
};

/* v2: attach a BPF_PROG_TYPE_CGROUP_DEVICE program allowing `rules` to the
 * cgroup directory (cgroup-bpf.c). */
int pc_cg_bpf_devices(const char *dir, const struct pc_cgroup_dev_rule *rules, size_t n,
                      pc_error *err);

extern const struct pc_cgroup_ops pc_cgroup_v1_ops;
extern const struct pc_cgroup_ops pc_cgroup_v2_ops;

struct pc_cgroup {
        const struct pc_cgroup_ops *ops;
        char *base;
        char *rel;
        /* Per controller (v2: [PC_CG_UNIFIED] only), NULL when missing:
         * root = <mount>/podctl, dir = <root>/<rel>. dup[i]: same hierarchy
         * as an earlier controller (v1 "cpu,cpuacct"): skipped by loops that
         * act on every directory. */
        char *root[PC_CG_NCTRL];
        char *dir[PC_CG_NCTRL];
        bool dup[PC_CG_NCTRL];
        /* <dir>/cgroup.procs held open (pc_cgroup_keep_open), else -1 */
        int procs_fd[PC_CG_NCTRL];
        unsigned missing; /* PC_CGROUP_CTRL_* */
        char warning[512];
};

/* Bit of a controller index. */
unsigned pc_cg_bit(enum pc_cg_ctrl c);

/* Write `val` to <dir>/<file> in one write(2), O_TRUNC. */
int pc_cg_write(const char *dir, const char *file, const char *val, pc_error *err);
int pc_cg_writef(const char *dir, const char *file, pc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* pc_cg_write unless the file already reads `val` (trailing newline
 * aside). For the CPU bandwidth files: every write of cpu.cfs_quota_us,
 * cpu.cfs_period_us or cpu.max makes the kernel walk every cpu cgroup of
 * the host (tg_set_cfs_bandwidth's schedulability check), 60 us at 4,000
 * cgroups, and a new cgroup already has the defaults. */
int pc_cg_write_changed(const char *dir, const char *file, const char *val, pc_error *err);
/* Move pid into the cgroup of controller c: through its held cgroup.procs
 * when pc_cgroup_keep_open opened it, else by path. */
int pc_cg_enter_one(pc_cgroup *cg, enum pc_cg_ctrl c, pid_t pid, pc_error *err);
/* Read <dir>/<file>. The _opt variant succeeds with *out = NULL on ENOENT. */
int pc_cg_read(const char *dir, const char *file, char **out, pc_error *err);
int pc_cg_read_opt(const char *dir, const char *file, char **out, pc_error *err);
/* The number at the start of text ("max" -> UINT64_MAX). false if none. */
bool pc_cg_parse_u64(const char *text, uint64_t *v);
/* The value of the line "<key> <number>" in a flat-keyed file. */
bool pc_cg_kv(const char *text, const char *key, uint64_t *v);
/* Read a single number (0 when the file does not exist). */
int pc_cg_read_u64(const char *dir, const char *file, uint64_t *v, pc_error *err);
/* Read a "<key> <number>" field (0 when the file or key does not exist). */
int pc_cg_read_kv(const char *dir, const char *file, const char *key, uint64_t *v, pc_error *err);
/* Is the word in a space-separated list ("cpu memory pids")? */
bool pc_cg_has_word(const char *list, const char *word);

bool pc_cg_exists(const char *path);
bool pc_cg_is_dir(const char *path);

/* mkdir <root>, then <root>/<rel> one component at a time (existing ones
 * are fine). Before creating each child, before_child(parent, data) is
 * called (NULL: not called), for v2's subtree_control. Restarts when a
 * directory vanishes under it (a concurrent destroy of an empty podctl/). */
int pc_cg_mkdirs(const char *root, const char *rel,
                 int (*before_child)(const char *parent, void *data, pc_error *err), void *data,
                 pc_error *err);

/* SIGKILL every process in the cgroup directories (recursively) until they
 * are empty, bounded by PC_CG_KILL_TIMEOUT_MS. */
int pc_cg_kill_until_empty(char *const *dirs, size_t n, pc_error *err);
/* One pass: SIGKILL every process found; *found = how many. */
int pc_cg_signal_all(char *const *dirs, size_t n, size_t *found, pc_error *err);

void pc_cg_sleep_ms(int ms);

#endif
