/* cgroup module over fake trees (plain directories with the files the
 * kernel would show): detection, exact values written for Guaranteed /
 * Burstable / BestEffort-like limits on v1 and v2, subtree_control handling
 * and graceful degradation, enter, stats parsing, kill, destroy, errors.
 * The real host is tested in test_cgroup_real.c. */
#include "unit.h"
#include "cgroup/cgroup.h"
#include "util/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void put(const char *dir, const char *name, const char *content)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/%s", dir, name);
        pc_error err;
        if (pc_write_file_atomic(p, content, strlen(content), 0644, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                abort();
        }
}

/* Contents of <dir>/<name> with a trailing newline removed; "(none)" when
 * missing. Valid until 8 more calls. */
static const char *get(const char *dir, const char *name)
{
        static char ring[8][4096];
        static int next;
        char *buf = ring[next++ % 8];
        _cleanup_free_ char *p = pc_xasprintf("%s/%s", dir, name);
        _cleanup_free_ char *s = NULL;
        pc_error err;
        if (pc_read_file(p, &s, NULL, &err) < 0)
                return "(none)";
        snprintf(buf, sizeof(ring[0]), "%s", s);
        size_t n = strlen(buf);
        if (n && buf[n - 1] == '\n')
                buf[n - 1] = '\0';
        return buf;
}

static char *path2(const char *a, const char *b)
{
        return pc_xasprintf("%s/%s", a, b);
}

static bool is_dir(const char *dir, const char *rel)
{
        _cleanup_free_ char *p = path2(dir, rel);
        struct stat st;
        return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void mkdirs(const char *p)
{
        pc_error err;
        if (pc_mkdir_p(p, 0755, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                abort();
        }
}

/* Remove the regular files below dir, as the kernel makes control files
 * disappear when a cgroup is removed, so that rmdir works on the fake. */
static void strip_files(const char *dir)
{
        DIR *d = opendir(dir);
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                _cleanup_free_ char *p = path2(dir, de->d_name);
                struct stat st;
                if (lstat(p, &st) < 0)
                        continue;
                if (S_ISDIR(st.st_mode))
                        strip_files(p);
                else if (S_ISREG(st.st_mode))
                        unlink(p);
        }
        closedir(d);
}

static char *mktemp_dir(void)
{
        char t[] = "/tmp/podctl-cgtest-XXXXXX";
        if (!mkdtemp(t))
                abort();
        return pc_xstrdup(t);
}

static void rm_tree(const char *p)
{
        pc_error err;
        pc_rm_rf(p, &err);
}

static struct pc_cgroup_limits lim(int64_t mem, int64_t quota, int64_t period, int64_t shares,
                                   int64_t pids)
{
        return (struct pc_cgroup_limits){.memory_max = mem,
                                         .cpu_quota = quota,
                                         .cpu_period = period,
                                         .cpu_shares = shares,
                                         .pids_max = pids};
}

/* ---------------- v2 ---------------- */

/* A v2 cgroup directory as the kernel shows it; limit files hold
 * "untouched" so a test can tell what was written. */
static void fake_v2_cg(const char *dir, const char *controllers)
{
        mkdirs(dir);
        put(dir, "cgroup.controllers", controllers);
        put(dir, "cgroup.subtree_control", "");
        put(dir, "cgroup.procs", "");
        put(dir, "cgroup.events", "populated 0\nfrozen 0\n");
        put(dir, "cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\n");
        if (strstr(controllers, "memory")) {
                put(dir, "memory.max", "untouched");
                put(dir, "memory.current", "0\n");
                put(dir, "memory.stat", "anon 0\nfile 0\ninactive_file 0\n");
                put(dir, "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
        }
        if (strstr(controllers, "cpu ") || pc_str_has_suffix(controllers, "cpu") ||
            pc_str_has_prefix(controllers, "cpu ")) {
                put(dir, "cpu.max", "untouched");
                put(dir, "cpu.weight", "untouched");
        }
        if (strstr(controllers, "pids")) {
                put(dir, "pids.max", "untouched");
                put(dir, "pids.current", "0\n");
        }
}

/* base (the host's root, with its own subtree_control), podctl/ and the
 * directories of rel, every level delegating `ctrls`. */
static char *fake_v2(const char *ctrls, const char *const *rels)
{
        char *base = mktemp_dir();
        fake_v2_cg(base, "cpuset cpu io memory hugetlb pids rdma misc");
        put(base, "cgroup.subtree_control", "cpu io memory pids");
        _cleanup_free_ char *root = path2(base, "podctl");
        fake_v2_cg(root, ctrls);
        for (int i = 0; rels[i]; i++) {
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", root, rels[i]);
                char *s = p + strlen(root);
                for (char *q = s + 1;; q++) {
                        if (*q == '/' || *q == '\0') {
                                char c = *q;
                                *q = '\0';
                                if (!is_dir(p, "."))
                                        fake_v2_cg(p, ctrls);
                                *q = c;
                                if (!c)
                                        break;
                        }
                }
        }
        return base;
}

/* Setting `l` again leaves dir/file unwritten: its mtime, set to the past
 * first, stays. */
static bool untouched_by(pc_cgroup *cg, const struct pc_cgroup_limits *l, const char *dir,
                         const char *file)
{
        _cleanup_free_ char *p = path2(dir, file);
        struct timespec past[2] = {{.tv_sec = 1000000}, {.tv_sec = 1000000}};
        struct stat st;
        pc_error err;
        if (utimensat(AT_FDCWD, p, past, 0) < 0 || pc_cgroup_set_limits(cg, l, &err) < 0 ||
            stat(p, &st) < 0)
                return false;
        return st.st_mtim.tv_sec == 1000000;
}

static void test_detect(void)
{
        _cleanup_free_ char *empty = mktemp_dir();
        CHECK(pc_cgroup_detect(empty) == PC_CGROUP_NONE);
        pc_cgroup *cg = NULL;
        pc_error err;
        CHECK(pc_cgroup_create(empty, "x", NULL, &cg, &err) < 0);
        CHECK(err.code == ENOTSUP && cg == NULL);
        CHECK(!is_dir(empty, "podctl"));

        _cleanup_free_ char *m = path2(empty, "memory");
        mkdirs(m);
        CHECK(pc_cgroup_detect(empty) == PC_CGROUP_NONE); /* memory alone */
        _cleanup_free_ char *c = path2(empty, "cpu");
        mkdirs(c);
        CHECK(pc_cgroup_detect(empty) == PC_CGROUP_V1);
        put(empty, "cgroup.controllers", "cpu memory");
        CHECK(pc_cgroup_detect(empty) == PC_CGROUP_V2);
        rm_tree(empty);
        CHECK(pc_cgroup_detect("/nonexistent-podctl") == PC_CGROUP_NONE);
}

static void test_bad_args(void)
{
        const char *const rels[] = {"a", NULL};
        _cleanup_free_ char *base = fake_v2("cpu memory pids", rels);
        const char *bad[] = {"", "/abs", "a/../b", "..", "a//b", "a/", "./a", "a/.", NULL};
        for (int i = 0; bad[i]; i++) {
                pc_cgroup *cg = NULL;
                pc_error err;
                CHECK(pc_cgroup_create(base, bad[i], NULL, &cg, &err) < 0);
                CHECK(err.code == EINVAL && cg == NULL);
        }
        pc_cgroup *cg = NULL;
        pc_error err;
        CHECK(pc_cgroup_create(base, NULL, NULL, &cg, &err) < 0 && err.code == EINVAL);
        struct pc_cgroup_limits l = lim(-5, -1, 100000, -1, -1);
        CHECK(pc_cgroup_create(base, "a", &l, &cg, &err) < 0 && err.code == EINVAL);
        CHECK(cg == NULL);
        CHECK(pc_cgroup_open(base, "nope/x", &cg, &err) < 0 && err.code == ENOENT);
        CHECK_CONTAINS(err.msg, "nope/x");
        rm_tree(base);
}

static void test_v2_limits(void)
{
        const char *const rels[] = {"pod1/c1", "burstable/pod2/c1", "besteffort/pod3/c1", NULL};
        _cleanup_free_ char *base = fake_v2("cpu memory pids", rels);
        _cleanup_free_ char *root = path2(base, "podctl");
        CHECK(pc_cgroup_detect(base) == PC_CGROUP_V2);
        pc_error err;
        pc_cgroup *cg = NULL;

        /* Guaranteed: 256Mi, 500m (50000/100000), shares 512, 1024 pids */
        struct pc_cgroup_limits g = lim(268435456, 50000, 100000, 512, 1024);
        CHECK(pc_cgroup_create(base, "pod1/c1", &g, &cg, &err) == 0);
        if (!cg) {
                fprintf(stderr, "%s\n", err.msg);
                rm_tree(base);
                return;
        }
        CHECK(pc_cgroup_get_mode(cg) == PC_CGROUP_V2);
        _cleanup_free_ char *leaf = path2(root, "pod1/c1");
        CHECK_STR(pc_cgroup_path(cg), leaf);
        CHECK_STR(get(leaf, "memory.max"), "268435456");
        CHECK_STR(get(leaf, "cpu.max"), "50000 100000");
        CHECK_STR(get(leaf, "cpu.weight"), "20"); /* 1 + 510*9999/262142 */
        CHECK_STR(get(leaf, "pids.max"), "1024");
        /* read back: the values, the weight as shares again (v2's mapping
         * loses precision: 20 is shares 500..526) */
        struct pc_cgroup_limits rb;
        CHECK(pc_cgroup_get_limits(cg, &rb, &err) == 0);
        CHECK(rb.memory_max == 268435456 && rb.cpu_quota == 50000 && rb.cpu_period == 100000);
        CHECK(rb.pids_max == 1024);
        CHECK(rb.cpu_shares >= 490 && rb.cpu_shares <= 530);
        CHECK(pc_cgroup_missing(cg) == 0);
        CHECK(pc_cgroup_warning(cg) == NULL);
        /* controllers enabled for children in podctl/ and below only */
        CHECK_STR(get(root, "cgroup.subtree_control"), "+cpu +memory +pids");
        CHECK_STR(get(root, "pod1/cgroup.subtree_control"), "+cpu +memory +pids");
        CHECK_STR(get(leaf, "cgroup.subtree_control"), "");
        CHECK_STR(get(base, "cgroup.subtree_control"), "cpu io memory pids");

        /* update: lift every limit */
        struct pc_cgroup_limits none = PC_CGROUP_LIMITS_NONE;
        CHECK(pc_cgroup_set_limits(cg, &none, &err) == 0);
        CHECK_STR(get(leaf, "memory.max"), "max");
        CHECK_STR(get(leaf, "cpu.max"), "max 100000");
        CHECK(untouched_by(cg, &none, leaf, "cpu.max")); /* the same again: no write */
        CHECK_STR(get(leaf, "cpu.weight"), "100");
        CHECK_STR(get(leaf, "pids.max"), "max");
        CHECK(pc_cgroup_get_limits(cg, &rb, &err) == 0);
        CHECK(rb.memory_max == -1 && rb.cpu_quota == -1 && rb.pids_max == -1);

        /* enter */
        CHECK(pc_cgroup_enter(cg, 4242, &err) == 0);
        CHECK_STR(get(leaf, "cgroup.procs"), "4242");
        CHECK(pc_cgroup_enter(cg, 0, &err) < 0 && err.code == EINVAL);
        pc_cgroup_free(cg);

        /* Burstable, requests only: shares 256, no limits */
        struct pc_cgroup_limits b = lim(-1, -1, 100000, 256, -1);
        CHECK(pc_cgroup_create(base, "burstable/pod2/c1", &b, &cg, &err) == 0);
        _cleanup_free_ char *bl = path2(root, "burstable/pod2/c1");
        CHECK_STR(get(bl, "memory.max"), "max");
        CHECK_STR(get(bl, "cpu.max"), "max 100000");
        CHECK_STR(get(bl, "cpu.weight"), "10"); /* 1 + 254*9999/262142 */
        CHECK_STR(get(bl, "pids.max"), "max");
        CHECK_STR(get(root, "burstable/cgroup.subtree_control"), "+cpu +memory +pids");
        /* Burstable with limits and a custom period */
        struct pc_cgroup_limits b2 = lim(536870912, 25000, 50000, 1024, 100);
        CHECK(pc_cgroup_set_limits(cg, &b2, &err) == 0);
        CHECK_STR(get(bl, "memory.max"), "536870912");
        CHECK_STR(get(bl, "cpu.max"), "25000 50000");
        CHECK_STR(get(bl, "cpu.weight"), "39");
        CHECK_STR(get(bl, "pids.max"), "100");
        pc_cgroup_free(cg);

        /* BestEffort: shares 2 -> weight 1; period 0 -> 100000 */
        struct pc_cgroup_limits be = lim(-1, -1, 0, 2, -1);
        CHECK(pc_cgroup_create(base, "besteffort/pod3/c1", &be, &cg, &err) == 0);
        _cleanup_free_ char *el = path2(root, "besteffort/pod3/c1");
        CHECK_STR(get(el, "cpu.weight"), "1");
        CHECK_STR(get(el, "cpu.max"), "max 100000");
        /* clamping */
        struct pc_cgroup_limits hi = lim(-1, -1, 100000, 10000000, -1);
        CHECK(pc_cgroup_set_limits(cg, &hi, &err) == 0);
        CHECK_STR(get(el, "cpu.weight"), "10000");
        struct pc_cgroup_limits lo = lim(-1, -1, 100000, 0, -1);
        CHECK(pc_cgroup_set_limits(cg, &lo, &err) == 0);
        CHECK_STR(get(el, "cpu.weight"), "1");
        pc_cgroup_free(cg);

        /* NULL limits: nothing written */
        _cleanup_free_ char *p4p = path2(root, "pod4");
        _cleanup_free_ char *p4 = path2(root, "pod4/c1");
        fake_v2_cg(p4p, "cpu memory pids");
        fake_v2_cg(p4, "cpu memory pids");
        CHECK(pc_cgroup_create(base, "pod4/c1", NULL, &cg, &err) == 0);
        CHECK_STR(get(p4, "memory.max"), "untouched");
        CHECK_STR(get(p4, "cpu.weight"), "untouched");
        pc_cgroup_free(cg);
        rm_tree(base);
}

/* Already enabled controllers are not written again. */
static void test_v2_subtree_already(void)
{
        const char *const rels[] = {"p/c", NULL};
        _cleanup_free_ char *base = fake_v2("cpu memory pids", rels);
        _cleanup_free_ char *root = path2(base, "podctl");
        put(root, "cgroup.subtree_control", "cpu memory pids\n");
        put(root, "p/cgroup.subtree_control", "memory\n");
        pc_cgroup *cg = NULL;
        pc_error err;
        CHECK(pc_cgroup_create(base, "p/c", NULL, &cg, &err) == 0);
        CHECK_STR(get(root, "cgroup.subtree_control"), "cpu memory pids");
        CHECK_STR(get(root, "p/cgroup.subtree_control"), "+cpu +pids");
        pc_cgroup_free(cg);
        rm_tree(base);
}

/* The parent of podctl/ does not delegate pids: create works, without the
 * pids limit, and says so. */
static void test_v2_degrade(void)
{
        const char *const rels[] = {"pod1/c1", NULL};
        _cleanup_free_ char *base = fake_v2("cpu memory", rels);
        _cleanup_free_ char *root = path2(base, "podctl");
        _cleanup_free_ char *leaf = path2(root, "pod1/c1");
        pc_cgroup *cg = NULL;
        pc_error err;
        struct pc_cgroup_limits g = lim(1048576, 10000, 100000, 102, 50);
        CHECK(pc_cgroup_create(base, "pod1/c1", &g, &cg, &err) == 0);
        if (!cg) {
                rm_tree(base);
                return;
        }
        CHECK(pc_cgroup_missing(cg) == PC_CGROUP_CTRL_PIDS);
        CHECK_CONTAINS(pc_cgroup_warning(cg), "pids");
        CHECK_STR(get(root, "cgroup.subtree_control"), "+cpu +memory");
        CHECK_STR(get(leaf, "memory.max"), "1048576");
        CHECK_STR(get(leaf, "cpu.max"), "10000 100000");
        CHECK_STR(get(leaf, "pids.max"), "(none)");
        /* no warning when no pids limit is asked for */
        struct pc_cgroup_limits b = lim(-1, -1, 100000, 2, -1);
        CHECK(pc_cgroup_set_limits(cg, &b, &err) == 0);
        CHECK(pc_cgroup_warning(cg) == NULL);
        /* stats of the missing controller read 0 */
        put(leaf, "memory.current", "4096\n");
        struct pc_cgroup_stats st;
        CHECK(pc_cgroup_stats(cg, &st, &err) == 0);
        CHECK(st.pids_current == 0 && st.memory_usage == 4096);
        pc_cgroup_free(cg);

        /* nothing delegated at all */
        _cleanup_free_ char *base2 = fake_v2("", rels);
        CHECK(pc_cgroup_create(base2, "pod1/c1", &g, &cg, &err) == 0);
        CHECK(pc_cgroup_missing(cg) ==
              (PC_CGROUP_CTRL_CPU | PC_CGROUP_CTRL_MEMORY | PC_CGROUP_CTRL_PIDS));
        CHECK_CONTAINS(pc_cgroup_warning(cg), "memory, cpu, pids");
        _cleanup_free_ char *root2 = path2(base2, "podctl");
        CHECK_STR(get(root2, "cgroup.subtree_control"), "");
        pc_cgroup_free(cg);
        rm_tree(base);
        rm_tree(base2);
}

static void test_v2_stats(void)
{
        const char *const rels[] = {"pod1/c1", NULL};
        _cleanup_free_ char *base = fake_v2("cpu memory pids", rels);
        _cleanup_free_ char *leaf = path2(base, "podctl/pod1/c1");
        put(leaf, "cpu.stat", "usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n");
        put(leaf, "memory.current", "104857600\n");
        put(leaf, "memory.stat",
            "anon 1000\nfile 8388608\nactive_file 1\ninactive_file 4194304\n"
            "inactive_anon 7\n");
        put(leaf, "memory.events", "low 0\nhigh 0\nmax 5\noom 2\noom_kill 1\n");
        put(leaf, "pids.current", "7\n");
        pc_cgroup *cg = NULL;
        pc_error err;
        CHECK(pc_cgroup_open(base, "pod1/c1", &cg, &err) == 0);
        if (!cg) {
                rm_tree(base);
                return;
        }
        struct pc_cgroup_stats st;
        CHECK(pc_cgroup_stats(cg, &st, &err) == 0);
        CHECK(st.cpu_usage_ns == 123456000ULL);
        CHECK(st.memory_usage == 104857600ULL);
        CHECK(st.memory_working_set == 104857600ULL - 4194304ULL);
        CHECK(st.oom_kills == 1);
        CHECK(st.pids_current == 7);
        /* inactive larger than usage: working set 0, not a wrap-around */
        put(leaf, "memory.current", "100\n");
        CHECK(pc_cgroup_stats(cg, &st, &err) == 0);
        CHECK(st.memory_working_set == 0);
        /* garbage */
        put(leaf, "pids.current", "zzz\n");
        CHECK(pc_cgroup_stats(cg, &st, &err) < 0);
        CHECK_CONTAINS(err.msg, "pids.current");
        pc_cgroup_free(cg);
        rm_tree(base);
}

static pid_t spawn_sleeper(void)
{
        pid_t p = fork();
        if (p == 0) {
                for (;;)
                        pause();
        }
        return p;
}

static void test_v2_kill(void)
{
        const char *const rels[] = {"pod1/c1/sub", NULL};
        _cleanup_free_ char *base = fake_v2("cpu memory pids", rels);
        _cleanup_free_ char *leaf = path2(base, "podctl/pod1/c1");
        pc_cgroup *cg = NULL;
        pc_error err;
        CHECK(pc_cgroup_open(base, "pod1/c1", &cg, &err) == 0);
        if (!cg) {
                rm_tree(base);
                return;
        }
        /* empty: immediate success; cgroup.kill used when present */
        put(leaf, "cgroup.kill", "");
        CHECK(pc_cgroup_kill(cg, &err) == 0);
        CHECK_STR(get(leaf, "cgroup.kill"), "1");

        /* this process inside (a descendant): refused, nobody killed */
        char self[32];
        snprintf(self, sizeof(self), "%d\n", (int)getpid());
        _cleanup_free_ char *sub = path2(leaf, "sub");
        put(sub, "cgroup.procs", self);
        CHECK(pc_cgroup_kill(cg, &err) < 0 && err.code == EDEADLK);

        /* a process listed in a descendant gets SIGKILL; the fake file
         * never empties, so kill gives up after its bound */
        _cleanup_pid_ pid_t child = spawn_sleeper();
        char buf[32];
        snprintf(buf, sizeof(buf), "%d\n", (int)child);
        put(sub, "cgroup.procs", buf);
        int64_t t0 = pc_monotonic_ns();
        CHECK(pc_cgroup_kill(cg, &err) < 0);
        CHECK(err.code == ETIMEDOUT);
        int64_t el = pc_monotonic_ns() - t0;
        CHECK(el >= 4500000000LL && el < 8000000000LL);
        int st = 0;
        CHECK(waitpid(child, &st, 0) == child);
        child = 0;
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        pc_cgroup_free(cg);
        rm_tree(base);
}

static void test_v2_destroy(void)
{
        const char *const rels[] = {"pod1/c1/sub", "pod1/c2", "pod9/x", NULL};
        _cleanup_free_ char *base = fake_v2("cpu memory pids", rels);
        _cleanup_free_ char *root = path2(base, "podctl");
        pc_cgroup *c1 = NULL, *c2 = NULL, *x = NULL;
        pc_error err;
        CHECK(pc_cgroup_open(base, "pod1/c1", &c1, &err) == 0);
        CHECK(pc_cgroup_open(base, "pod1/c2", &c2, &err) == 0);
        CHECK(pc_cgroup_open(base, "pod9/x", &x, &err) == 0);
        if (!c1 || !c2 || !x) {
                pc_cgroup_free(c1);
                pc_cgroup_free(c2);
                pc_cgroup_free(x);
                rm_tree(base);
                return;
        }

        /* still "busy": a file the kernel would not leave (like EBUSY) */
        CHECK(pc_cgroup_destroy(c1, &err) < 0);
        CHECK_CONTAINS(err.msg, "podctl/pod1/c1/sub");

        strip_files(root);
        /* c1 and its child go; pod1 stays for c2 */
        CHECK(pc_cgroup_destroy(c1, &err) == 0);
        CHECK(!is_dir(root, "pod1/c1"));
        CHECK(is_dir(root, "pod1/c2"));
        /* gone already: success */
        CHECK(pc_cgroup_destroy(c1, &err) == 0);
        CHECK(pc_cgroup_destroy(c2, &err) == 0);
        CHECK(!is_dir(root, "pod1"));
        CHECK(is_dir(root, "pod9/x"));
        CHECK(is_dir(base, "podctl"));
        /* the last one takes the empty podctl/ with it, never base */
        CHECK(pc_cgroup_destroy(x, &err) == 0);
        CHECK(!is_dir(base, "podctl"));
        CHECK(is_dir(base, "."));
        pc_cgroup_free(c1);
        pc_cgroup_free(c2);
        pc_cgroup_free(x);
        rm_tree(base);
}

/* ---------------- v1 ---------------- */

static const char *const v1_ctrls[] = {"memory", "cpu", "cpuacct", "pids", "freezer", NULL};

static void fake_v1_leaf(const char *mnt, const char *ctrl, const char *rel)
{
        _cleanup_free_ char *d = pc_xasprintf("%s/podctl/%s", mnt, rel);
        mkdirs(d);
        put(d, "cgroup.procs", "");
        put(d, "tasks", "");
        if (!strcmp(ctrl, "memory")) {
                put(d, "memory.limit_in_bytes", "untouched");
                put(d, "memory.usage_in_bytes", "0\n");
                put(d, "memory.stat", "cache 0\ninactive_file 0\ntotal_inactive_file 0\n");
                put(d, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
        } else if (!strcmp(ctrl, "cpu") || !strcmp(ctrl, "cpu,cpuacct")) {
                put(d, "cpu.cfs_quota_us", "untouched");
                put(d, "cpu.cfs_period_us", "untouched");
                put(d, "cpu.shares", "untouched");
        }
        if (!strcmp(ctrl, "cpuacct") || !strcmp(ctrl, "cpu,cpuacct")) {
                put(d, "cpuacct.usage", "0\n");
        } else if (!strcmp(ctrl, "pids")) {
                put(d, "pids.max", "untouched");
                put(d, "pids.current", "0\n");
        } else if (!strcmp(ctrl, "freezer")) {
                put(d, "freezer.state", "THAWED\n");
        }
}

/* base/<ctrl>/ for each of ctrls, each with podctl/<rel> for every rel */
static char *fake_v1(const char *const *ctrls, const char *const *rels)
{
        char *base = mktemp_dir();
        for (int c = 0; ctrls[c]; c++) {
                _cleanup_free_ char *m = path2(base, ctrls[c]);
                mkdirs(m);
                put(m, "cgroup.procs", "1\n");
                for (int r = 0; rels[r]; r++)
                        fake_v1_leaf(m, ctrls[c], rels[r]);
        }
        return base;
}

static void test_v1_limits(void)
{
        const char *const rels[] = {"pod1/c1", "burstable/pod2/c1", "besteffort/pod3/c1", NULL};
        _cleanup_free_ char *base = fake_v1(v1_ctrls, rels);
        CHECK(pc_cgroup_detect(base) == PC_CGROUP_V1);
        pc_error err;
        pc_cgroup *cg = NULL;
        struct pc_cgroup_limits g = lim(268435456, 50000, 100000, 512, 1024);
        CHECK(pc_cgroup_create(base, "pod1/c1", &g, &cg, &err) == 0);
        if (!cg) {
                fprintf(stderr, "%s\n", err.msg);
                rm_tree(base);
                return;
        }
        CHECK(pc_cgroup_get_mode(cg) == PC_CGROUP_V1);
        _cleanup_free_ char *mem = path2(base, "memory/podctl/pod1/c1");
        _cleanup_free_ char *cpu = path2(base, "cpu/podctl/pod1/c1");
        _cleanup_free_ char *pids = path2(base, "pids/podctl/pod1/c1");
        CHECK_STR(pc_cgroup_path(cg), mem);
        CHECK_STR(get(mem, "memory.limit_in_bytes"), "268435456");
        CHECK_STR(get(cpu, "cpu.cfs_period_us"), "100000");
        CHECK_STR(get(cpu, "cpu.cfs_quota_us"), "50000");
        CHECK_STR(get(cpu, "cpu.shares"), "512");
        CHECK_STR(get(pids, "pids.max"), "1024");
        CHECK(pc_cgroup_missing(cg) == 0 && pc_cgroup_warning(cg) == NULL);

        CHECK(pc_cgroup_enter(cg, 777, &err) == 0);
        for (int c = 0; v1_ctrls[c]; c++) {
                _cleanup_free_ char *d = pc_xasprintf("%s/%s/podctl/pod1/c1", base, v1_ctrls[c]);
                CHECK_STR(get(d, "cgroup.procs"), "777");
        }
        pc_cgroup_free(cg);

        struct pc_cgroup_limits b = lim(-1, -1, 100000, 256, -1);
        CHECK(pc_cgroup_create(base, "burstable/pod2/c1", &b, &cg, &err) == 0);
        _cleanup_free_ char *bm = path2(base, "memory/podctl/burstable/pod2/c1");
        _cleanup_free_ char *bc = path2(base, "cpu/podctl/burstable/pod2/c1");
        _cleanup_free_ char *bp = path2(base, "pids/podctl/burstable/pod2/c1");
        CHECK_STR(get(bm, "memory.limit_in_bytes"), "-1");
        CHECK_STR(get(bc, "cpu.cfs_quota_us"), "-1");
        CHECK_STR(get(bc, "cpu.cfs_period_us"), "100000");
        CHECK_STR(get(bc, "cpu.shares"), "256");
        CHECK_STR(get(bp, "pids.max"), "max");
        struct pc_cgroup_limits none = PC_CGROUP_LIMITS_NONE;
        CHECK(pc_cgroup_set_limits(cg, &none, &err) == 0);
        CHECK_STR(get(bc, "cpu.shares"), "1024");
        /* the bandwidth files are written only when they change (each write
         * walks every cpu cgroup of the host): their mtime stays */
        CHECK(untouched_by(cg, &none, bc, "cpu.cfs_quota_us"));
        CHECK(untouched_by(cg, &none, bc, "cpu.cfs_period_us"));
        struct pc_cgroup_limits q = lim(-1, 30000, 100000, 1024, -1);
        CHECK(pc_cgroup_set_limits(cg, &q, &err) == 0);
        CHECK_STR(get(bc, "cpu.cfs_quota_us"), "30000");
        CHECK(pc_cgroup_set_limits(cg, &none, &err) == 0);
        CHECK_STR(get(bc, "cpu.cfs_quota_us"), "-1");
        pc_cgroup_free(cg);

        struct pc_cgroup_limits be = lim(-1, -1, 0, 2, -1);
        CHECK(pc_cgroup_create(base, "besteffort/pod3/c1", &be, &cg, &err) == 0);
        _cleanup_free_ char *ec = path2(base, "cpu/podctl/besteffort/pod3/c1");
        CHECK_STR(get(ec, "cpu.shares"), "2");
        CHECK_STR(get(ec, "cpu.cfs_period_us"), "100000");
        pc_cgroup_free(cg);

        /* a new cgroup (dirs made by create itself) */
        CHECK(pc_cgroup_create(base, "fresh/c", NULL, &cg, &err) == 0);
        for (int c = 0; v1_ctrls[c]; c++) {
                _cleanup_free_ char *d = pc_xasprintf("%s/podctl/fresh/c", v1_ctrls[c]);
                CHECK(is_dir(base, d));
        }
        pc_cgroup_free(cg);
        rm_tree(base);
}

static void test_v1_stats_kill_destroy(void)
{
        const char *const rels[] = {"pod1/c1", "pod1/c2", NULL};
        _cleanup_free_ char *base = fake_v1(v1_ctrls, rels);
        _cleanup_free_ char *mem = path2(base, "memory/podctl/pod1/c1");
        _cleanup_free_ char *acct = path2(base, "cpuacct/podctl/pod1/c1");
        _cleanup_free_ char *pids = path2(base, "pids/podctl/pod1/c1");
        _cleanup_free_ char *fz = path2(base, "freezer/podctl/pod1/c1");
        put(acct, "cpuacct.usage", "987654321\n");
        put(mem, "memory.usage_in_bytes", "52428800\n");
        put(mem, "memory.stat",
            "cache 100\nrss 5\ninactive_file 999\nactive_file 1\n"
            "total_cache 100\ntotal_inactive_file 2097152\n");
        put(mem, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
        put(pids, "pids.current", "4\n");
        pc_cgroup *cg = NULL;
        pc_error err;
        CHECK(pc_cgroup_open(base, "pod1/c1", &cg, &err) == 0);
        if (!cg) {
                rm_tree(base);
                return;
        }
        struct pc_cgroup_stats st;
        CHECK(pc_cgroup_stats(cg, &st, &err) == 0);
        CHECK(st.cpu_usage_ns == 987654321ULL);
        CHECK(st.memory_usage == 52428800ULL);
        CHECK(st.memory_working_set == 52428800ULL - 2097152ULL);
        CHECK(st.oom_kills == 3);
        CHECK(st.pids_current == 4);

        /* empty: freeze, nothing to kill, thaw */
        CHECK(pc_cgroup_kill(cg, &err) == 0);
        CHECK_STR(get(fz, "freezer.state"), "THAWED");

        /* destroy across every hierarchy; pod1 stays for c2 */
        _cleanup_free_ char *root = path2(base, ".");
        strip_files(base);
        CHECK(pc_cgroup_destroy(cg, &err) == 0);
        for (int c = 0; v1_ctrls[c]; c++) {
                _cleanup_free_ char *d1 = pc_xasprintf("%s/podctl/pod1/c1", v1_ctrls[c]);
                _cleanup_free_ char *d2 = pc_xasprintf("%s/podctl/pod1/c2", v1_ctrls[c]);
                CHECK(!is_dir(base, d1));
                CHECK(is_dir(base, d2));
        }
        pc_cgroup_free(cg);
        CHECK(pc_cgroup_open(base, "pod1/c2", &cg, &err) == 0);
        CHECK(pc_cgroup_destroy(cg, &err) == 0);
        for (int c = 0; v1_ctrls[c]; c++) {
                _cleanup_free_ char *d = pc_xasprintf("%s/podctl", v1_ctrls[c]);
                CHECK(!is_dir(base, d));
                CHECK(is_dir(base, v1_ctrls[c]));
        }
        pc_cgroup_free(cg);
        CHECK(pc_cgroup_open(base, "pod1/c2", &cg, &err) < 0 && err.code == ENOENT);
        rm_tree(base);
}

/* pids and freezer not mounted: create works without them. */
static void test_v1_degrade(void)
{
        const char *const ctrls[] = {"memory", "cpu", "cpuacct", NULL};
        const char *const rels[] = {"p/c", NULL};
        _cleanup_free_ char *base = fake_v1(ctrls, rels);
        pc_cgroup *cg = NULL;
        pc_error err;
        struct pc_cgroup_limits g = lim(1048576, -1, 100000, 2, 10);
        CHECK(pc_cgroup_create(base, "p/c", &g, &cg, &err) == 0);
        if (!cg) {
                rm_tree(base);
                return;
        }
        CHECK(pc_cgroup_missing(cg) == (PC_CGROUP_CTRL_PIDS | PC_CGROUP_CTRL_FREEZER));
        CHECK_CONTAINS(pc_cgroup_warning(cg), "pids");
        CHECK(!is_dir(base, "pids"));
        _cleanup_free_ char *mem = path2(base, "memory/podctl/p/c");
        CHECK_STR(get(mem, "memory.limit_in_bytes"), "1048576");
        struct pc_cgroup_stats st;
        CHECK(pc_cgroup_stats(cg, &st, &err) == 0 && st.pids_current == 0);
        CHECK(pc_cgroup_kill(cg, &err) == 0); /* no freezer: plain loop */
        pc_cgroup_free(cg);
        rm_tree(base);
}

/* systemd-style "cpu,cpuacct" with cpu and cpuacct symlinks: one hierarchy,
 * handled once; and the same without the symlinks. */
static void test_v1_combined(void)
{
        const char *const ctrls[] = {"memory", "cpu,cpuacct", "pids", NULL};
        const char *const rels[] = {"p/c", NULL};
        for (int links = 0; links < 2; links++) {
                _cleanup_free_ char *base = fake_v1(ctrls, rels);
                if (links) {
                        _cleanup_free_ char *l1 = path2(base, "cpu");
                        _cleanup_free_ char *l2 = path2(base, "cpuacct");
                        CHECK(symlink("cpu,cpuacct", l1) == 0 && symlink("cpu,cpuacct", l2) == 0);
                }
                CHECK(pc_cgroup_detect(base) == PC_CGROUP_V1);
                pc_cgroup *cg = NULL;
                pc_error err;
                struct pc_cgroup_limits g = lim(-1, 20000, 100000, 100, -1);
                CHECK(pc_cgroup_create(base, "p/c", &g, &cg, &err) == 0);
                if (!cg)
                        continue;
                CHECK(pc_cgroup_missing(cg) == PC_CGROUP_CTRL_FREEZER);
                _cleanup_free_ char *cpu = path2(base, "cpu,cpuacct/podctl/p/c");
                CHECK_STR(get(cpu, "cpu.cfs_quota_us"), "20000");
                CHECK_STR(get(cpu, "cpu.shares"), "100");
                put(cpu, "cpuacct.usage", "5\n");
                struct pc_cgroup_stats st;
                CHECK(pc_cgroup_stats(cg, &st, &err) == 0 && st.cpu_usage_ns == 5);
                CHECK(pc_cgroup_enter(cg, 99, &err) == 0);
                CHECK_STR(get(cpu, "cgroup.procs"), "99");
                strip_files(base);
                CHECK(pc_cgroup_destroy(cg, &err) == 0);
                CHECK(!is_dir(base, "cpu,cpuacct/podctl"));
                CHECK(!is_dir(base, "memory/podctl"));
                pc_cgroup_free(cg);
                rm_tree(base);
        }
}

int main(void)
{
        test_detect();
        test_bad_args();
        test_v2_limits();
        test_v2_subtree_already();
        test_v2_degrade();
        test_v2_stats();
        test_v2_kill();
        test_v2_destroy();
        test_v1_limits();
        test_v1_stats_kill_destroy();
        test_v1_degrade();
        test_v1_combined();
        UNIT_DONE();
}
