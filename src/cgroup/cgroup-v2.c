/* cgroup v2 (unified) backend: everything in <base>/podctl/<rel>. */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* The controllers podctl uses, with their PC_CGROUP_CTRL_* bit. */
static const struct {
        const char *name;
        unsigned bit;
} wanted_ctrls[] = {
    {"cpu", PC_CGROUP_CTRL_CPU},
    {"memory", PC_CGROUP_CTRL_MEMORY},
    {"pids", PC_CGROUP_CTRL_PIDS},
};
#define ALL_WANTED (PC_CGROUP_CTRL_CPU | PC_CGROUP_CTRL_MEMORY | PC_CGROUP_CTRL_PIDS)

/* Bits of the wanted controllers listed in <dir>/<file>; 0 when absent. */
static int read_ctrls(const char *dir, const char *file, unsigned *out, pc_error *err)
{
        _cleanup_free_ char *s = NULL;
        *out = 0;
        if (pc_cg_read_opt(dir, file, &s, err) < 0)
                return -1;
        for (size_t i = 0; s && i < PC_ARRAY_SIZE(wanted_ctrls); i++)
                if (pc_cg_has_word(s, wanted_ctrls[i].name))
                        *out |= wanted_ctrls[i].bit;
        return 0;
}

static void plus_list(unsigned bits, char *buf, size_t len)
{
        buf[0] = '\0';
        for (size_t i = 0; i < PC_ARRAY_SIZE(wanted_ctrls); i++) {
                if (!(bits & wanted_ctrls[i].bit))
                        continue;
                size_t used = strlen(buf);
                snprintf(buf + used, len - used, "%s+%s", used ? " " : "", wanted_ctrls[i].name);
        }
}

struct enable_ctx {
        const char *root; /* <base>/podctl */
        unsigned enable;  /* controllers still to pass down */
};

/* Before each child is created below podctl/: enable ctx->enable in
 * <parent>/cgroup.subtree_control (parent is podctl/ or below, all created
 * by podctl; the parent of podctl/ is never written). At podctl/ itself the
 * set starts as what the parent of podctl/ delegates (re-read on every
 * attempt of pc_cg_mkdirs). A controller the kernel refuses is dropped:
 * degrade, not fail. */
static int enable_subtree(const char *parent, void *data, pc_error *err)
{
        struct enable_ctx *ctx = data;
        if (strcmp(parent, ctx->root) == 0) {
                unsigned avail;
                if (read_ctrls(parent, "cgroup.controllers", &avail, err) < 0)
                        return -1;
                ctx->enable = ALL_WANTED & avail;
        }
        unsigned have;
        if (read_ctrls(parent, "cgroup.subtree_control", &have, err) < 0)
                return -1;
        unsigned todo = ctx->enable & ~have;
        if (!todo)
                return 0;
        char buf[64];
        plus_list(todo, buf, sizeof(buf));
        if (pc_cg_write(parent, "cgroup.subtree_control", buf, err) == 0)
                return 0;
        if (err->code == ENOENT)
                return -1; /* parent vanished: pc_cg_mkdirs retries */
        /* One at a time, to find out which one the kernel refuses. */
        for (size_t i = 0; i < PC_ARRAY_SIZE(wanted_ctrls); i++) {
                if (!(todo & wanted_ctrls[i].bit))
                        continue;
                plus_list(wanted_ctrls[i].bit, buf, sizeof(buf));
                if (pc_cg_write(parent, "cgroup.subtree_control", buf, err) < 0) {
                        if (err->code == ENOENT)
                                return -1;
                        ctx->enable &= ~wanted_ctrls[i].bit;
                }
        }
        pc_error_clear(err);
        return 0;
}

static int v2_init(pc_cgroup *cg, bool create, pc_error *err)
{
        cg->root[PC_CG_UNIFIED] = pc_xasprintf("%s/" PC_CG_ROOT, cg->base);
        cg->dir[PC_CG_UNIFIED] = pc_xasprintf("%s/%s", cg->root[PC_CG_UNIFIED], cg->rel);
        const char *dir = cg->dir[PC_CG_UNIFIED];
        if (create) {
                struct enable_ctx ctx = {.root = cg->root[PC_CG_UNIFIED]};
                if (pc_cg_mkdirs(ctx.root, cg->rel, enable_subtree, &ctx, err) < 0)
                        return -1;
        } else if (!pc_cg_is_dir(dir)) {
                return pc_fail(err, ENOENT, "%s", dir);
        }
        unsigned avail;
        if (read_ctrls(dir, "cgroup.controllers", &avail, err) < 0)
                return -1;
        cg->missing = ALL_WANTED & ~avail;
        return 0;
}

static int v2_set_limits(pc_cgroup *cg, const struct pc_cgroup_limits *lim, pc_error *err)
{
        const char *dir = cg->dir[PC_CG_UNIFIED];
        if (!(cg->missing & PC_CGROUP_CTRL_MEMORY)) {
                int r = lim->memory_max < 0
                            ? pc_cg_write(dir, "memory.max", "max", err)
                            : pc_cg_writef(dir, "memory.max", err, "%" PRId64, lim->memory_max);
                if (r < 0)
                        return -1;
        }
        if (!(cg->missing & PC_CGROUP_CTRL_CPU)) {
                char max[48];
                if (lim->cpu_quota < 0)
                        snprintf(max, sizeof(max), "max %" PRId64, lim->cpu_period);
                else
                        snprintf(max, sizeof(max), "%" PRId64 " %" PRId64, lim->cpu_quota,
                                 lim->cpu_period);
                if (pc_cg_write_changed(dir, "cpu.max", max, err) < 0)
                        return -1;
                /* kubelet's shares -> weight; the v2 default when unset */
                int64_t weight = 100;
                if (lim->cpu_shares >= 0)
                        weight = 1 + ((lim->cpu_shares - 2) * 9999) / 262142;
                if (pc_cg_writef(dir, "cpu.weight", err, "%" PRId64, weight) < 0)
                        return -1;
        }
        if (!(cg->missing & PC_CGROUP_CTRL_PIDS)) {
                int r = lim->pids_max < 0
                            ? pc_cg_write(dir, "pids.max", "max", err)
                            : pc_cg_writef(dir, "pids.max", err, "%" PRId64, lim->pids_max);
                if (r < 0)
                        return -1;
        }
        return 0;
}

static int v2_get_limits(pc_cgroup *cg, struct pc_cgroup_limits *lim, pc_error *err)
{
        const char *dir = cg->dir[PC_CG_UNIFIED];
        _cleanup_free_ char *mem = NULL, *cpu = NULL, *w = NULL, *pids = NULL;
        uint64_t v;
        if (!(cg->missing & PC_CGROUP_CTRL_MEMORY)) {
                if (pc_cg_read(dir, "memory.max", &mem, err) < 0)
                        return -1;
                lim->memory_max = pc_cg_parse_u64(mem, &v) && v < INT64_MAX ? (int64_t)v : -1;
        }
        if (!(cg->missing & PC_CGROUP_CTRL_CPU)) {
                if (pc_cg_read(dir, "cpu.max", &cpu, err) < 0 ||
                    pc_cg_read(dir, "cpu.weight", &w, err) < 0)
                        return -1;
                /* "QUOTA PERIOD" or "max PERIOD" */
                const char *sp = strchr(cpu, ' ');
                lim->cpu_quota = pc_cg_parse_u64(cpu, &v) && v < INT64_MAX ? (int64_t)v : -1;
                if (sp && pc_cg_parse_u64(sp + 1, &v))
                        lim->cpu_period = (int64_t)v;
                /* the kubelet's weight, mapped back to the shares it came from */
                if (pc_cg_parse_u64(w, &v) && v >= 1)
                        lim->cpu_shares = 2 + (((int64_t)v - 1) * 262142) / 9999;
        }
        if (!(cg->missing & PC_CGROUP_CTRL_PIDS)) {
                if (pc_cg_read(dir, "pids.max", &pids, err) < 0)
                        return -1;
                lim->pids_max = pc_cg_parse_u64(pids, &v) && v < INT64_MAX ? (int64_t)v : -1;
        }
        return 0;
}

static int v2_enter(pc_cgroup *cg, pid_t pid, pc_error *err)
{
        return pc_cg_enter_one(cg, PC_CG_UNIFIED, pid, err);
}

static int v2_stats(pc_cgroup *cg, struct pc_cgroup_stats *st, pc_error *err)
{
        const char *dir = cg->dir[PC_CG_UNIFIED];
        if (!pc_cg_is_dir(dir))
                return pc_fail(err, ENOENT, "%s", dir);
        uint64_t usec = 0, inactive = 0;
        if (pc_cg_read_kv(dir, "cpu.stat", "usage_usec", &usec, err) < 0)
                return -1;
        st->cpu_usage_ns = usec * 1000;
        if (!(cg->missing & PC_CGROUP_CTRL_MEMORY)) {
                if (pc_cg_read_u64(dir, "memory.current", &st->memory_usage, err) < 0 ||
                    pc_cg_read_kv(dir, "memory.stat", "inactive_file", &inactive, err) < 0 ||
                    pc_cg_read_kv(dir, "memory.events", "oom_kill", &st->oom_kills, err) < 0)
                        return -1;
                st->memory_working_set =
                    st->memory_usage > inactive ? st->memory_usage - inactive : 0;
        }
        if (!(cg->missing & PC_CGROUP_CTRL_PIDS) &&
            pc_cg_read_u64(dir, "pids.current", &st->pids_current, err) < 0)
                return -1;
        return 0;
}

static int v2_kill(pc_cgroup *cg, pc_error *err)
{
        char *dir = cg->dir[PC_CG_UNIFIED];
        if (!pc_cg_is_dir(dir))
                return 0; /* nothing left to kill */
        /* cgroup.kill (Linux 5.14) kills the whole subtree atomically with
         * respect to fork; without it, the loop below signals until empty. */
        _cleanup_free_ char *killf = pc_xasprintf("%s/cgroup.kill", dir);
        if (pc_cg_exists(killf) && pc_cg_write(dir, "cgroup.kill", "1", err) < 0 &&
            err->code != ENOENT)
                return -1;
        pc_error_clear(err);
        return pc_cg_kill_until_empty(&dir, 1, err);
}

static int v2_restrict_devices(pc_cgroup *cg, const struct pc_cgroup_dev_rule *rules, size_t n,
                               pc_error *err)
{
        return pc_cg_bpf_devices(cg->dir[PC_CG_UNIFIED], rules, n, err);
}

const struct pc_cgroup_ops pc_cgroup_v2_ops = {
    .mode = PC_CGROUP_V2,
    .init = v2_init,
    .set_limits = v2_set_limits,
    .get_limits = v2_get_limits,
    .enter = v2_enter,
    .stats = v2_stats,
    .kill = v2_kill,
    .restrict_devices = v2_restrict_devices,
};
