/* cgroup front end: detection, validation, dispatch to the v1/v2 ops, and
 * what both backends share (file access, mkdir, kill loop, destroy). */
#include "cgroup/cgroup-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

unsigned pc_cg_bit(enum pc_cg_ctrl c)
{
        return c == PC_CG_DEVICES ? 0 : 1u << (unsigned)c;
}

/* ---- files ---- */

int pc_cg_write(const char *dir, const char *file, const char *val, pc_error *err)
{
        _cleanup_free_ char *path = pc_xasprintf("%s/%s", dir, file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0)
                return pc_fail(err, errno, "open %s", path);
        size_t len = strlen(val);
        ssize_t r;
        do
                r = write(fd, val, len);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return pc_fail(err, errno, "write \"%s\" to %s", val, path);
        if ((size_t)r != len)
                return pc_fail(err, EIO, "short write of \"%s\" to %s", val, path);
        return 0;
}

int pc_cg_writef(const char *dir, const char *file, pc_error *err, const char *fmt, ...)
{
        char buf[128];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(buf))
                return pc_fail(err, EINVAL, "value for %s/%s too long", dir, file);
        return pc_cg_write(dir, file, buf, err);
}

int pc_cg_write_changed(const char *dir, const char *file, const char *val, pc_error *err)
{
        _cleanup_free_ char *cur = NULL;
        if (pc_cg_read(dir, file, &cur, err) < 0)
                return -1;
        size_t n = strlen(cur);
        while (n && (cur[n - 1] == '\n' || cur[n - 1] == ' '))
                n--;
        if (n == strlen(val) && !memcmp(cur, val, n))
                return 0;
        return pc_cg_write(dir, file, val, err);
}

int pc_cg_read(const char *dir, const char *file, char **out, pc_error *err)
{
        _cleanup_free_ char *path = pc_xasprintf("%s/%s", dir, file);
        return pc_read_file(path, out, NULL, err);
}

int pc_cg_read_opt(const char *dir, const char *file, char **out, pc_error *err)
{
        *out = NULL;
        if (pc_cg_read(dir, file, out, err) < 0) {
                if (err->code == ENOENT) {
                        pc_error_clear(err);
                        return 0;
                }
                return -1;
        }
        return 0;
}

bool pc_cg_parse_u64(const char *text, uint64_t *v)
{
        while (*text == ' ' || *text == '\t')
                text++;
        if (strncmp(text, "max", 3) == 0) {
                *v = UINT64_MAX;
                return true;
        }
        if (*text < '0' || *text > '9')
                return false;
        char *end;
        errno = 0;
        unsigned long long x = strtoull(text, &end, 10);
        if (errno)
                return false;
        *v = x;
        return true;
}

bool pc_cg_kv(const char *text, const char *key, uint64_t *v)
{
        size_t klen = strlen(key);
        for (const char *l = text; l && *l;) {
                if (strncmp(l, key, klen) == 0 && (l[klen] == ' ' || l[klen] == '\t'))
                        return pc_cg_parse_u64(l + klen + 1, v);
                l = strchr(l, '\n');
                if (l)
                        l++;
        }
        return false;
}

int pc_cg_read_u64(const char *dir, const char *file, uint64_t *v, pc_error *err)
{
        _cleanup_free_ char *s = NULL;
        *v = 0;
        if (pc_cg_read_opt(dir, file, &s, err) < 0)
                return -1;
        if (s && !pc_cg_parse_u64(s, v))
                return pc_fail(err, EINVAL, "%s/%s: not a number", dir, file);
        return 0;
}

int pc_cg_read_kv(const char *dir, const char *file, const char *key, uint64_t *v, pc_error *err)
{
        _cleanup_free_ char *s = NULL;
        *v = 0;
        if (pc_cg_read_opt(dir, file, &s, err) < 0)
                return -1;
        if (s && !pc_cg_kv(s, key, v))
                *v = 0;
        return 0;
}

bool pc_cg_has_word(const char *list, const char *word)
{
        size_t wl = strlen(word);
        for (const char *p = list; p && *p;) {
                while (*p == ' ' || *p == '\n' || *p == '\t')
                        p++;
                size_t n = strcspn(p, " \n\t");
                if (n == wl && strncmp(p, word, wl) == 0)
                        return true;
                p += n;
        }
        return false;
}

bool pc_cg_exists(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0;
}

bool pc_cg_is_dir(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

void pc_cg_sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* ---- mkdir ---- */

static int mkdirs_once(const char *root, const char *rel,
                       int (*before_child)(const char *, void *, pc_error *), void *data,
                       pc_error *err)
{
        if (mkdir(root, 0755) < 0 && errno != EEXIST)
                return pc_fail(err, errno, "mkdir %s", root);
        _cleanup_free_ char *path = pc_xasprintf("%s/%s", root, rel);
        char *comp = path + strlen(root) + 1;
        for (;;) {
                char *slash = strchr(comp, '/');
                if (before_child) {
                        comp[-1] = '\0';
                        int r = before_child(path, data, err);
                        comp[-1] = '/';
                        if (r < 0)
                                return -1;
                }
                if (slash)
                        *slash = '\0';
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        return pc_fail(err, errno, "mkdir %s", path);
                if (!slash)
                        return 0;
                *slash = '/';
                comp = slash + 1;
        }
}

int pc_cg_mkdirs(const char *root, const char *rel,
                 int (*before_child)(const char *parent, void *data, pc_error *err), void *data,
                 pc_error *err)
{
        for (int attempt = 0;; attempt++) {
                if (mkdirs_once(root, rel, before_child, data, err) == 0)
                        return 0;
                if (err->code != ENOENT || attempt >= 4)
                        return -1;
                pc_error_clear(err);
        }
}

/* A subdirectory entry (d_type, or fstatat when the filesystem has none);
 * symlinks are not followed. */
static bool is_subdir(DIR *d, const struct dirent *de)
{
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                return false;
        if (de->d_type != DT_UNKNOWN)
                return de->d_type == DT_DIR;
        struct stat st;
        return fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* ---- kill ---- */

struct pidv {
        pid_t *v;
        size_t n, cap;
};

static void pidv_push(struct pidv *p, pid_t pid)
{
        if (p->n == p->cap) {
                p->cap = p->cap ? p->cap * 2 : 16;
                p->v = pc_xrealloc(p->v, p->cap * sizeof(pid_t));
        }
        p->v[p->n++] = pid;
}

/* The pids in <dir>/cgroup.procs and in every child cgroup's. */
static int collect_pids(const char *dir, struct pidv *out, int depth, pc_error *err)
{
        if (depth > 64)
                return pc_fail(err, ELOOP, "%s: cgroup tree too deep", dir);
        _cleanup_free_ char *procs = NULL;
        if (pc_cg_read_opt(dir, "cgroup.procs", &procs, err) < 0)
                return -1;
        if (!procs)
                return 0; /* cgroup gone (or not a cgroup) */
        for (char *l = procs; *l;) {
                char *end;
                long v = strtol(l, &end, 10);
                if (end == l)
                        break;
                if (v > 0)
                        pidv_push(out, (pid_t)v);
                l = end;
                while (*l == '\n' || *l == ' ')
                        l++;
        }
        DIR *d = opendir(dir);
        if (!d) {
                if (errno == ENOENT)
                        return 0;
                return pc_fail(err, errno, "opendir %s", dir);
        }
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (!is_subdir(d, de))
                        continue;
                _cleanup_free_ char *sub = pc_xasprintf("%s/%s", dir, de->d_name);
                if (collect_pids(sub, out, depth + 1, err) < 0) {
                        r = -1;
                        break;
                }
        }
        closedir(d);
        return r;
}

int pc_cg_signal_all(char *const *dirs, size_t n, size_t *found, pc_error *err)
{
        struct pidv p = {0};
        *found = 0;
        for (size_t i = 0; i < n; i++) {
                if (dirs[i] && collect_pids(dirs[i], &p, 0, err) < 0) {
                        free(p.v);
                        return -1;
                }
        }
        pid_t self = getpid();
        for (size_t i = 0; i < p.n; i++) {
                if (p.v[i] == self) {
                        free(p.v);
                        return pc_fail(err, EDEADLK,
                                       "refusing to kill the cgroup: this process (%d) is in it",
                                       (int)self);
                }
        }
        for (size_t i = 0; i < p.n; i++)
                kill(p.v[i], SIGKILL); /* ESRCH: exited meanwhile */
        *found = p.n;
        free(p.v);
        return 0;
}

int pc_cg_kill_until_empty(char *const *dirs, size_t n, pc_error *err)
{
        int64_t deadline = pc_monotonic_ns() + (int64_t)PC_CG_KILL_TIMEOUT_MS * 1000000;
        for (int round = 0;; round++) {
                size_t found = 0;
                if (pc_cg_signal_all(dirs, n, &found, err) < 0)
                        return -1;
                if (found == 0)
                        return 0;
                if (pc_monotonic_ns() > deadline)
                        return pc_fail(err, ETIMEDOUT,
                                       "%zu processes still in the cgroup after %d ms of SIGKILL",
                                       found, PC_CG_KILL_TIMEOUT_MS);
                pc_cg_sleep_ms(round < 20 ? 1 : 10);
        }
}

/* ---- destroy ---- */

/* rmdir dir's child cgroups, deepest first, then dir. ENOENT is success. */
static int rmdir_tree(const char *dir, int depth, pc_error *err)
{
        if (depth > 64)
                return pc_fail(err, ELOOP, "%s: cgroup tree too deep", dir);
        DIR *d = opendir(dir);
        if (!d) {
                if (errno == ENOENT)
                        return 0;
                return pc_fail(err, errno, "opendir %s", dir);
        }
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (!is_subdir(d, de))
                        continue;
                _cleanup_free_ char *sub = pc_xasprintf("%s/%s", dir, de->d_name);
                if (rmdir_tree(sub, depth + 1, err) < 0) {
                        r = -1;
                        break;
                }
        }
        closedir(d);
        if (r < 0)
                return -1;
        if (rmdir(dir) < 0 && errno != ENOENT)
                return pc_fail(err, errno, "rmdir %s", dir);
        return 0;
}

/* rmdir the parents of <root>/<rel> up to and including root while they are
 * empty; stop silently at the first that is not. */
static void rmdir_parents(const char *root, const char *rel)
{
        _cleanup_free_ char *path = pc_xasprintf("%s/%s", root, rel);
        size_t rootlen = strlen(root);
        for (;;) {
                char *slash = strrchr(path, '/');
                if (!slash || (size_t)(slash - path) < rootlen)
                        return;
                *slash = '\0';
                if (rmdir(path) < 0 && errno != ENOENT)
                        return; /* EBUSY/ENOTEMPTY: in use by a sibling */
        }
}

/* ---- front end ---- */

enum pc_cgroup_mode pc_cgroup_detect(const char *base)
{
        /* Files are the truth (so a fake tree in a plain directory works);
         * on the real filesystem they agree with statfs: cgroup2 always has
         * cgroup.controllers at its root, v1 has no such file. */
        _cleanup_free_ char *ctl = pc_xasprintf("%s/cgroup.controllers", base);
        if (pc_cg_exists(ctl))
                return PC_CGROUP_V2;
        _cleanup_free_ char *mem = pc_xasprintf("%s/memory", base);
        _cleanup_free_ char *cpu = pc_xasprintf("%s/cpu", base);
        _cleanup_free_ char *cpuacct = pc_xasprintf("%s/cpu,cpuacct", base);
        if (pc_cg_is_dir(mem) && (pc_cg_is_dir(cpu) || pc_cg_is_dir(cpuacct)))
                return PC_CGROUP_V1;
        return PC_CGROUP_NONE;
}

static int validate_rel(const char *rel, pc_error *err)
{
        if (!rel || !*rel || rel[0] == '/')
                return pc_fail(err, EINVAL, "invalid cgroup path \"%s\": must be relative",
                               rel ? rel : "");
        for (const char *p = rel; *p;) {
                size_t n = strcspn(p, "/");
                if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return pc_fail(err, EINVAL,
                                       "invalid cgroup path \"%s\": empty, \".\" or \"..\" "
                                       "component",
                                       rel);
                p += n;
                if (*p == '/') {
                        p++;
                        if (!*p)
                                return pc_fail(err, EINVAL,
                                               "invalid cgroup path \"%s\": trailing '/'", rel);
                }
        }
        return 0;
}

static int cg_new(const char *base, const char *rel, bool create, pc_cgroup **out, pc_error *err)
{
        *out = NULL;
        if (validate_rel(rel, err) < 0)
                return -1;
        const struct pc_cgroup_ops *ops;
        switch (pc_cgroup_detect(base)) {
        case PC_CGROUP_V2:
                ops = &pc_cgroup_v2_ops;
                break;
        case PC_CGROUP_V1:
                ops = &pc_cgroup_v1_ops;
                break;
        default:
                return pc_fail(err, ENOTSUP, "no cgroup filesystem (v1 or v2) at %s", base);
        }
        pc_cgroup *cg = pc_xcalloc(1, sizeof(*cg));
        for (int c = 0; c < PC_CG_NCTRL; c++)
                cg->procs_fd[c] = -1;
        cg->ops = ops;
        cg->base = pc_xstrdup(base);
        cg->rel = pc_xstrdup(rel);
        if (ops->init(cg, create, err) < 0) {
                pc_cgroup_free(cg);
                return pc_error_prefix(err, "cgroup %s", rel);
        }
        *out = cg;
        return 0;
}

static const char *ctrl_name(enum pc_cg_ctrl c)
{
        static const char *const names[PC_CG_NCTRL] = {"memory", "cpu",     "cpuacct",
                                                       "pids",   "freezer", "devices"};
        return names[c];
}

/* Validate and normalize; remember in cg->warning which requested limits
 * cannot be applied. */
static int normalize(pc_cgroup *cg, const struct pc_cgroup_limits *in, struct pc_cgroup_limits *out,
                     pc_error *err)
{
        *out = *in;
        if (in->memory_max < -1 || in->cpu_quota < -1 || in->cpu_shares < -1 || in->pids_max < -1)
                return pc_fail(err, EINVAL,
                               "invalid cgroup limits (memory %" PRId64 ", cpu quota %" PRId64
                               ", shares %" PRId64 ", pids %" PRId64 ")",
                               in->memory_max, in->cpu_quota, in->cpu_shares, in->pids_max);
        if (out->cpu_period <= 0)
                out->cpu_period = 100000;
        if (out->cpu_shares != -1 && out->cpu_shares < 2)
                out->cpu_shares = 2;
        if (out->cpu_shares > 262144)
                out->cpu_shares = 262144;

        unsigned wanted = 0;
        if (out->memory_max >= 0)
                wanted |= PC_CGROUP_CTRL_MEMORY;
        if (out->cpu_quota >= 0 || out->cpu_shares >= 0)
                wanted |= PC_CGROUP_CTRL_CPU;
        if (out->pids_max >= 0)
                wanted |= PC_CGROUP_CTRL_PIDS;
        unsigned lost = wanted & cg->missing;
        cg->warning[0] = '\0';
        if (lost) {
                char names[64] = "";
                for (int c = 0; c < PC_CG_NCTRL; c++)
                        if (lost & pc_cg_bit((enum pc_cg_ctrl)c)) {
                                if (names[0])
                                        strcat(names, ", ");
                                strcat(names, ctrl_name((enum pc_cg_ctrl)c));
                        }
                snprintf(cg->warning, sizeof(cg->warning),
                         "cgroup v%d: controller(s) %s not available for %s: limits for them "
                         "not applied",
                         cg->ops->mode == PC_CGROUP_V2 ? 2 : 1, names, pc_cgroup_path(cg));
        }
        return 0;
}

int pc_cgroup_set_limits(pc_cgroup *cg, const struct pc_cgroup_limits *lim, pc_error *err)
{
        struct pc_cgroup_limits n;
        if (normalize(cg, lim, &n, err) < 0 || cg->ops->set_limits(cg, &n, err) < 0)
                return pc_error_prefix(err, "cgroup %s: set limits", cg->rel);
        return 0;
}

int pc_cgroup_get_limits(pc_cgroup *cg, struct pc_cgroup_limits *lim, pc_error *err)
{
        *lim = PC_CGROUP_LIMITS_NONE;
        if (cg->ops->get_limits(cg, lim, err) < 0)
                return pc_error_prefix(err, "cgroup %s: read limits", cg->rel);
        return 0;
}

int pc_cgroup_create(const char *base, const char *rel, const struct pc_cgroup_limits *lim,
                     pc_cgroup **out, pc_error *err)
{
        pc_cgroup *cg;
        *out = NULL;
        if (cg_new(base, rel, true, &cg, err) < 0)
                return -1;
        if (lim && pc_cgroup_set_limits(cg, lim, err) < 0) {
                pc_cgroup_free(cg);
                return -1;
        }
        *out = cg;
        return 0;
}

int pc_cgroup_open(const char *base, const char *rel, pc_cgroup **out, pc_error *err)
{
        return cg_new(base, rel, false, out, err);
}

int pc_cgroup_enter(pc_cgroup *cg, pid_t pid, pc_error *err)
{
        if (pid <= 0)
                return pc_fail(err, EINVAL, "cgroup %s: invalid pid %d", cg->rel, (int)pid);
        if (cg->ops->enter(cg, pid, err) < 0)
                return pc_error_prefix(err, "cgroup %s: enter pid %d", cg->rel, (int)pid);
        return 0;
}

int pc_cgroup_keep_open(pc_cgroup *cg, pc_error *err)
{
        for (int c = 0; c < PC_CG_NCTRL; c++) {
                if (!cg->dir[c] || cg->dup[c] || cg->procs_fd[c] >= 0)
                        continue;
                _cleanup_free_ char *p = pc_xasprintf("%s/cgroup.procs", cg->dir[c]);
                cg->procs_fd[c] = open(p, O_WRONLY | O_CLOEXEC);
                if (cg->procs_fd[c] < 0)
                        return pc_fail(err, errno, "open %s", p);
        }
        return 0;
}

int pc_cg_enter_one(pc_cgroup *cg, enum pc_cg_ctrl c, pid_t pid, pc_error *err)
{
        if (cg->procs_fd[c] < 0)
                return pc_cg_writef(cg->dir[c], "cgroup.procs", err, "%d", (int)pid);
        char buf[24];
        int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
        if (pwrite(cg->procs_fd[c], buf, (size_t)n, 0) != n)
                return pc_fail(err, errno, "write %s/cgroup.procs", cg->dir[c]);
        return 0;
}

int pc_cgroup_stats(pc_cgroup *cg, struct pc_cgroup_stats *st, pc_error *err)
{
        memset(st, 0, sizeof(*st));
        if (cg->ops->stats(cg, st, err) < 0)
                return pc_error_prefix(err, "cgroup %s: stats", cg->rel);
        return 0;
}

int pc_cgroup_kill(pc_cgroup *cg, pc_error *err)
{
        if (cg->ops->kill(cg, err) < 0)
                return pc_error_prefix(err, "cgroup %s: kill", cg->rel);
        return 0;
}

/* The devices a container may use: runc's and containerd's default list.
 * mknod of any node is allowed (an image may ship nodes), opening one is not,
 * except the default /dev nodes, ptys and /dev/net/tun. */
static const struct pc_cgroup_dev_rule default_devices[] = {
    {'c', -1, -1, "m"}, {'b', -1, -1, "m"},    {'c', 1, 3, "rwm"},    /* null */
    {'c', 1, 5, "rwm"}, {'c', 1, 7, "rwm"},    {'c', 1, 8, "rwm"},    /* zero full random */
    {'c', 1, 9, "rwm"}, {'c', 5, 0, "rwm"},    {'c', 5, 1, "rwm"},    /* urandom tty console */
    {'c', 5, 2, "rwm"}, {'c', 136, -1, "rwm"}, {'c', 10, 200, "rwm"}, /* ptmx pts tun */
};

const struct pc_cgroup_dev_rule *pc_cgroup_default_devices(size_t *n)
{
        *n = PC_ARRAY_SIZE(default_devices);
        return default_devices;
}

int pc_cgroup_restrict_devices(pc_cgroup *cg, const struct pc_cgroup_dev_rule *rules, size_t n,
                               pc_error *err)
{
        if (!rules)
                rules = pc_cgroup_default_devices(&n);
        if (cg->ops->restrict_devices(cg, rules, n, err) < 0)
                return pc_error_prefix(err, "cgroup %s: device access", cg->rel);
        return 0;
}

int pc_cgroup_destroy(pc_cgroup *cg, pc_error *err)
{
        /* Try every hierarchy, report the first failure. */
        int r = 0;
        for (int c = 0; c < PC_CG_NCTRL; c++) {
                if (!cg->dir[c] || cg->dup[c])
                        continue;
                pc_error tmp;
                if (rmdir_tree(cg->dir[c], 0, r < 0 ? &tmp : err) < 0)
                        r = -1;
        }
        /* Parents are shared with siblings: remove those left empty, even
         * after a failure above (they are then simply not empty). */
        for (int c = 0; c < PC_CG_NCTRL; c++)
                if (cg->root[c] && !cg->dup[c])
                        rmdir_parents(cg->root[c], cg->rel);
        if (r < 0)
                return pc_error_prefix(err, "cgroup %s: destroy", cg->rel);
        return 0;
}

const char *pc_cgroup_path(pc_cgroup *cg)
{
        if (!cg)
                return NULL;
        for (int c = 0; c < PC_CG_NCTRL; c++) /* memory (or unified) first */
                if (cg->dir[c])
                        return cg->dir[c];
        return cg->rel;
}

enum pc_cgroup_mode pc_cgroup_get_mode(const pc_cgroup *cg)
{
        return cg ? cg->ops->mode : PC_CGROUP_NONE;
}

unsigned pc_cgroup_missing(const pc_cgroup *cg)
{
        return cg->missing;
}

const char *pc_cgroup_warning(const pc_cgroup *cg)
{
        return cg->warning[0] ? cg->warning : NULL;
}

void pc_cgroup_free(pc_cgroup *cg)
{
        if (!cg)
                return;
        for (int c = 0; c < PC_CG_NCTRL; c++) {
                free(cg->root[c]);
                free(cg->dir[c]);
                if (cg->procs_fd[c] >= 0)
                        close(cg->procs_fd[c]);
        }
        free(cg->base);
        free(cg->rel);
        free(cg);
}
