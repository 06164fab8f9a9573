/* cgroup v1 backend: one directory per controller hierarchy,
 * <base>/<controller>/podctl/<rel>. */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* Mount directory names to try for each controller, in order (systemd
 * mounts "cpu,cpuacct" and links cpu and cpuacct to it). */
static const char *const mounts[PC_CG_NCTRL][3] = {
    [PC_CG_MEMORY] = {"memory", NULL, NULL},
    [PC_CG_CPU] = {"cpu", "cpu,cpuacct", NULL},
    [PC_CG_CPUACCT] = {"cpuacct", "cpu,cpuacct", NULL},
    [PC_CG_PIDS] = {"pids", NULL, NULL},
    [PC_CG_FREEZER] = {"freezer", NULL, NULL},
    [PC_CG_DEVICES] = {"devices", NULL, NULL},
};

static int v1_init(pc_cgroup *cg, bool create, pc_error *err)
{
        char *real[PC_CG_NCTRL] = {NULL};
        int r = 0;
        bool any = false;
        for (int c = 0; c < PC_CG_NCTRL; c++) {
                char *mnt = NULL;
                for (int i = 0; !mnt && mounts[c][i]; i++) {
                        char *p = pc_xasprintf("%s/%s", cg->base, mounts[c][i]);
                        if (pc_cg_is_dir(p))
                                mnt = p;
                        else
                                free(p);
                }
                if (!mnt) {
                        cg->missing |= pc_cg_bit((enum pc_cg_ctrl)c);
                        continue;
                }
                real[c] = realpath(mnt, NULL);
                for (int o = 0; o < c; o++)
                        if (real[c] && real[o] && strcmp(real[c], real[o]) == 0)
                                cg->dup[c] = true;
                cg->root[c] = pc_xasprintf("%s/" PC_CG_ROOT, mnt);
                cg->dir[c] = pc_xasprintf("%s/%s", cg->root[c], cg->rel);
                free(mnt);
                if (cg->dup[c])
                        continue;
                if (create) {
                        if (pc_cg_mkdirs(cg->root[c], cg->rel, NULL, NULL, err) < 0) {
                                r = -1;
                                break;
                        }
                        any = true;
                } else if (pc_cg_is_dir(cg->dir[c])) {
                        any = true;
                }
        }
        for (int c = 0; c < PC_CG_NCTRL; c++)
                free(real[c]);
        if (r == 0 && !any)
                r = pc_fail(err, ENOENT, "%s: in no cgroup v1 hierarchy below %s", cg->rel,
                            cg->base);
        return r;
}

static int v1_set_limits(pc_cgroup *cg, const struct pc_cgroup_limits *lim, pc_error *err)
{
        const char *mem = cg->dir[PC_CG_MEMORY], *cpu = cg->dir[PC_CG_CPU];
        const char *pids = cg->dir[PC_CG_PIDS];
        if (mem && pc_cg_writef(mem, "memory.limit_in_bytes", err, "%" PRId64,
                                lim->memory_max < 0 ? -1 : lim->memory_max) < 0)
                return -1;
        if (cpu) {
                char period[24], quota[24];
                snprintf(period, sizeof(period), "%" PRId64, lim->cpu_period);
                snprintf(quota, sizeof(quota), "%" PRId64,
                         lim->cpu_quota < 0 ? -1 : lim->cpu_quota);
                /* period first: the quota is checked against it */
                if (pc_cg_write_changed(cpu, "cpu.cfs_period_us", period, err) < 0 ||
                    pc_cg_write_changed(cpu, "cpu.cfs_quota_us", quota, err) < 0 ||
                    pc_cg_writef(cpu, "cpu.shares", err, "%" PRId64,
                                 lim->cpu_shares < 0 ? 1024 : lim->cpu_shares) < 0)
                        return -1;
        }
        if (pids) {
                int r = lim->pids_max < 0
                            ? pc_cg_write(pids, "pids.max", "max", err)
                            : pc_cg_writef(pids, "pids.max", err, "%" PRId64, lim->pids_max);
                if (r < 0)
                        return -1;
        }
        return 0;
}

/* One number of a cgroup file, or -1 when the file is missing. */
static int read_i64(const char *dir, const char *file, int64_t *v, pc_error *err)
{
        _cleanup_free_ char *t = NULL;
        uint64_t u;
        if (!dir)
                return 0;
        if (pc_cg_read(dir, file, &t, err) < 0)
                return -1;
        if (t[0] == '-') {
                *v = -1;
                return 0;
        }
        if (!pc_cg_parse_u64(t, &u))
                return pc_fail(err, EINVAL, "%s/%s: not a number", dir, file);
        *v = u > INT64_MAX ? -1 : (int64_t)u;
        return 0;
}

static int v1_get_limits(pc_cgroup *cg, struct pc_cgroup_limits *lim, pc_error *err)
{
        const char *mem = cg->dir[PC_CG_MEMORY], *cpu = cg->dir[PC_CG_CPU];
        if (read_i64(mem, "memory.limit_in_bytes", &lim->memory_max, err) < 0 ||
            read_i64(cpu, "cpu.cfs_period_us", &lim->cpu_period, err) < 0 ||
            read_i64(cpu, "cpu.cfs_quota_us", &lim->cpu_quota, err) < 0 ||
            read_i64(cpu, "cpu.shares", &lim->cpu_shares, err) < 0 ||
            read_i64(cg->dir[PC_CG_PIDS], "pids.max", &lim->pids_max, err) < 0)
                return -1;
        /* v1's "no limit" is the largest page-aligned value */
        if (lim->memory_max >= (INT64_C(1) << 62))
                lim->memory_max = -1;
        return 0;
}

static int v1_enter(pc_cgroup *cg, pid_t pid, pc_error *err)
{
        for (int c = 0; c < PC_CG_NCTRL; c++)
                if (cg->dir[c] && !cg->dup[c] && pc_cg_enter_one(cg, c, pid, err) < 0)
                        return -1;
        return 0;
}

static int v1_stats(pc_cgroup *cg, struct pc_cgroup_stats *st, pc_error *err)
{
        const char *shown = pc_cgroup_path(cg);
        if (!pc_cg_is_dir(shown))
                return pc_fail(err, ENOENT, "%s", shown);
        const char *acct = cg->dir[PC_CG_CPUACCT], *mem = cg->dir[PC_CG_MEMORY];
        const char *pids = cg->dir[PC_CG_PIDS];
        if (acct && pc_cg_read_u64(acct, "cpuacct.usage", &st->cpu_usage_ns, err) < 0)
                return -1;
        if (mem) {
                uint64_t inactive = 0;
                if (pc_cg_read_u64(mem, "memory.usage_in_bytes", &st->memory_usage, err) < 0 ||
                    pc_cg_read_kv(mem, "memory.stat", "total_inactive_file", &inactive, err) < 0 ||
                    pc_cg_read_kv(mem, "memory.oom_control", "oom_kill", &st->oom_kills, err) < 0)
                        return -1;
                st->memory_working_set =
                    st->memory_usage > inactive ? st->memory_usage - inactive : 0;
        }
        if (pids && pc_cg_read_u64(pids, "pids.current", &st->pids_current, err) < 0)
                return -1;
        return 0;
}

/* Freeze (hierarchically) so nothing inside can fork while it is being
 * signalled; false when it did not get to FROZEN in time. */
static bool freeze(const char *dir)
{
        pc_error err;
        if (pc_cg_write(dir, "freezer.state", "FROZEN", &err) < 0)
                return false;
        for (int i = 0; i < 120; i++) {
                _cleanup_free_ char *s = NULL;
                if (pc_cg_read(dir, "freezer.state", &s, &err) < 0)
                        return false;
                if (pc_str_has_prefix(s, "FROZEN"))
                        return true;
                pc_cg_sleep_ms(i < 20 ? 1 : 10); /* usually frozen within a few ms */
        }
        return false;
}

static int v1_kill(pc_cgroup *cg, pc_error *err)
{
        char *dirs[PC_CG_NCTRL];
        size_t n = 0;
        for (int c = 0; c < PC_CG_NCTRL; c++)
                if (cg->dir[c] && !cg->dup[c] && pc_cg_is_dir(cg->dir[c]))
                        dirs[n++] = cg->dir[c];
        if (n == 0)
                return 0;
        const char *fz = cg->dir[PC_CG_FREEZER];
        if (fz && pc_cg_is_dir(fz)) {
                /* Frozen tasks get the SIGKILL but only act on it when
                 * thawed; by then none can fork a new one. */
                freeze(fz);
                size_t found;
                int r = pc_cg_signal_all(dirs, n, &found, err);
                pc_error tmp;
                if (pc_cg_write(fz, "freezer.state", "THAWED", r < 0 ? &tmp : err) < 0 && r == 0)
                        return -1;
                if (r < 0)
                        return -1;
        }
        return pc_cg_kill_until_empty(dirs, n, err);
}

static int v1_restrict_devices(pc_cgroup *cg, const struct pc_cgroup_dev_rule *rules, size_t n,
                               pc_error *err)
{
        const char *dir = cg->dir[PC_CG_DEVICES];
        if (!dir || !pc_cg_is_dir(dir))
                return pc_fail(err, ENOTSUP,
                               "the cgroup v1 devices hierarchy is not mounted below %s", cg->base);
        if (pc_cg_write(dir, "devices.deny", "a", err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                char maj[24] = "*", min[24] = "*";
                if (rules[i].major >= 0)
                        snprintf(maj, sizeof(maj), "%" PRId64, rules[i].major);
                if (rules[i].minor >= 0)
                        snprintf(min, sizeof(min), "%" PRId64, rules[i].minor);
                if (pc_cg_writef(dir, "devices.allow", err, "%c %s:%s %s", rules[i].type, maj, min,
                                 rules[i].access) < 0)
                        return -1;
        }
        return 0;
}

const struct pc_cgroup_ops pc_cgroup_v1_ops = {
    .mode = PC_CGROUP_V1,
    .init = v1_init,
    .set_limits = v1_set_limits,
    .get_limits = v1_get_limits,
    .enter = v1_enter,
    .stats = v1_stats,
    .kill = v1_kill,
    .restrict_devices = v1_restrict_devices,
};
