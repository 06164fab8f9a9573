/* cgroup module against the host's real /sys/fs/cgroup (v1/hybrid or v2,
 * whichever is detected); on a hybrid host also against the cgroup2 mounted
 * at /sys/fs/cgroup/unified, which delegates no controller (the degraded v2
 * path: cgroup.procs, cgroup.kill, cpu.stat and rmdir still work). Needs
 * root; skipped otherwise. Everything lives in podctl/test-<pid>/ and is
 * removed at the end, also on failure; every process started is killed by
 * PID. */
#include "unit.h"
#include "cgroup/cgroup.h"
#include "util/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *BASE = "/sys/fs/cgroup";
static char pod[64];
static enum pc_cgroup_mode mode;
static bool podctl_existed;

static const char *const v1_ctrls[] = {"memory", "cpu", "cpuacct", "pids", "freezer", NULL};

/* Directory of controller ctrl (v1) of podctl/<rel>; v2 ignores ctrl. */
static char *cgdir(const char *ctrl, const char *rel)
{
        if (mode == PC_CGROUP_V2)
                return pc_xasprintf("%s/podctl/%s", BASE, rel);
        return pc_xasprintf("%s/%s/podctl/%s", BASE, ctrl, rel);
}

static char *readval(const char *ctrl, const char *rel, const char *file)
{
        _cleanup_free_ char *d = cgdir(ctrl, rel);
        _cleanup_free_ char *p = pc_xasprintf("%s/%s", d, file);
        char *s = NULL;
        pc_error err;
        if (pc_read_file(p, &s, NULL, &err) < 0)
                return pc_xstrdup("(none)");
        size_t n = strlen(s);
        if (n && s[n - 1] == '\n')
                s[n - 1] = '\0';
        return s;
}

#define CHECK_VAL(ctrl, rel, file, want)                                                           \
        do {                                                                                       \
                _cleanup_free_ char *_v = readval(ctrl, rel, file);                                \
                CHECK_STR(_v, want);                                                               \
        } while (0)

static bool exists(const char *ctrl, const char *rel)
{
        _cleanup_free_ char *d = cgdir(ctrl, rel);
        struct stat st;
        return stat(d, &st) == 0;
}

/* podctl/ was removed, or (someone else's pods run on this host) it
 * holds cgroups that are not ours. */
static bool podctl_gone_or_shared(const char *ctrl)
{
        _cleanup_free_ char *d = cgdir(ctrl, "");
        DIR *dir = opendir(d);
        if (!dir)
                return errno == ENOENT;
        bool others = false;
        struct dirent *de;
        while ((de = readdir(dir)))
                if (de->d_type == DT_DIR && de->d_name[0] != '.' && strcmp(de->d_name, pod) != 0)
                        others = true;
        closedir(dir);
        return others;
}

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* A child that waits for a byte on `go`, then uses some CPU and memory,
 * optionally forks a grandchild, reports on `ready`, and sleeps. */
static pid_t spawn_worker(int *go_w, int *ready_r, bool grandchild)
{
        int go[2], ready[2];
        if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
                return -1;
        pid_t p = fork();
        if (p == 0) {
                close(go[1]);
                close(ready[0]);
                char b;
                if (read(go[0], &b, 1) != 1)
                        _exit(1);
                size_t len = 8 << 20;
                char *m =
                    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (m != MAP_FAILED)
                        memset(m, 1, len);
                volatile unsigned long x = 0;
                int64_t end = pc_monotonic_ns() + 50000000;
                while (pc_monotonic_ns() < end)
                        x++;
                if (grandchild && fork() == 0) {
                        for (;;)
                                pause();
                }
                if (write(ready[1], "r", 1) != 1)
                        _exit(1);
                for (;;)
                        pause();
        }
        close(go[0]);
        close(ready[1]);
        *go_w = go[1];
        *ready_r = ready[0];
        return p;
}

static bool start_worker(int go_w, int ready_r)
{
        char b;
        bool ok = write(go_w, "g", 1) == 1 && read(ready_r, &b, 1) == 1;
        close(go_w);
        close(ready_r);
        return ok;
}

/* Remove whatever this test left (deepest first), by path: the podctl/
 * directories only when they did not exist before. */
static void cleanup_dirs(void)
{
        pc_cgroup *cg = NULL;
        pc_error err;
        if (pc_cgroup_open(BASE, pod, &cg, &err) == 0) {
                pc_cgroup_kill(cg, &err);
                pc_cgroup_destroy(cg, &err);
                pc_cgroup_free(cg);
        }
        const char *rels[] = {"c1", "c2", "c3", "c4", "", NULL};
        for (int c = 0; v1_ctrls[c]; c++) {
                for (int r = 0; rels[r]; r++) {
                        _cleanup_free_ char *rel = pc_xasprintf("%s/%s", pod, rels[r]);
                        _cleanup_free_ char *d = cgdir(v1_ctrls[c], rel);
                        rmdir(d);
                }
                if (!podctl_existed) {
                        _cleanup_free_ char *d =
                            mode == PC_CGROUP_V2 ? pc_xasprintf("%s/podctl", BASE)
                                                 : pc_xasprintf("%s/%s/podctl", BASE, v1_ctrls[c]);
                        rmdir(d);
                }
                if (mode == PC_CGROUP_V2)
                        break;
        }
}

static void reap_all(void)
{
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
}

/* A process that forks as fast as it can, every child doing the same
 * (bounded by pids.max), to race kill. */
static pid_t spawn_forker(int *go_w, int *ready_r)
{
        int go[2], ready[2];
        if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0)
                return -1;
        pid_t p = fork();
        if (p == 0) {
                close(go[1]);
                close(ready[0]);
                char b;
                if (read(go[0], &b, 1) != 1)
                        _exit(1);
                if (write(ready[1], "r", 1) != 1)
                        _exit(1);
                close(ready[1]);
                for (;;) {
                        pid_t c = fork();
                        if (c > 0)
                                waitpid(-1, NULL, WNOHANG);
                }
        }
        close(go[0]);
        close(ready[1]);
        *go_w = go[1];
        *ready_r = ready[0];
        return p;
}

static void run_suite(const char *base)
{
        BASE = base;
        mode = pc_cgroup_detect(BASE);
        if (mode == PC_CGROUP_NONE) {
                SKIP("%s: no cgroup filesystem", BASE);
                return;
        }
        printf("test_cgroup_real: %s: cgroup v%d\n", BASE, mode == PC_CGROUP_V2 ? 2 : 1);
        UNIT_CASE(BASE);
        podctl_existed = exists("memory", "");

        _cleanup_free_ char *c1 = pc_xasprintf("%s/c1", pod);
        _cleanup_free_ char *c2 = pc_xasprintf("%s/c2", pod);
        _cleanup_free_ char *c3 = pc_xasprintf("%s/c3", pod);
        _cleanup_free_ char *c4 = pc_xasprintf("%s/c4", pod);
        pc_error err;
        pc_cgroup *g1 = NULL, *g2 = NULL, *g3 = NULL, *g4 = NULL, *gp = NULL;
        unsigned missing = 0;
        _cleanup_pid_ pid_t w4 = 0;
        _cleanup_pid_ pid_t w1 = 0;
        _cleanup_pid_ pid_t w2 = 0;
        _cleanup_pid_ pid_t w3 = 0;
        int go, ready, st;

        /* create with limits, read them back from the kernel */
        struct pc_cgroup_limits l = {.memory_max = 64 << 20,
                                     .cpu_quota = 20000,
                                     .cpu_period = 100000,
                                     .cpu_shares = 256,
                                     .pids_max = 64};
        if (pc_cgroup_create(BASE, c1, &l, &g1, &err) < 0) {
                fprintf(stderr, "create: %s\n", err.msg);
                UNIT_FAIL();
                goto out;
        }
        if (pc_cgroup_warning(g1))
                printf("warning: %s\n", pc_cgroup_warning(g1));
        if (mode == PC_CGROUP_V1) {
                CHECK_VAL("memory", c1, "memory.limit_in_bytes", "67108864");
                CHECK_VAL("cpu", c1, "cpu.cfs_quota_us", "20000");
                CHECK_VAL("cpu", c1, "cpu.cfs_period_us", "100000");
                CHECK_VAL("cpu", c1, "cpu.shares", "256");
                CHECK_VAL("pids", c1, "pids.max", "64");
                for (int c = 0; v1_ctrls[c]; c++)
                        CHECK(exists(v1_ctrls[c], c1));
        } else {
                if (!(pc_cgroup_missing(g1) & PC_CGROUP_CTRL_MEMORY))
                        CHECK_VAL("", c1, "memory.max", "67108864");
                else
                        SKIP("%s: memory.max: no memory controller delegated", BASE);
                if (!(pc_cgroup_missing(g1) & PC_CGROUP_CTRL_CPU)) {
                        CHECK_VAL("", c1, "cpu.max", "20000 100000");
                        CHECK_VAL("", c1, "cpu.weight", "10");
                } else {
                        SKIP("%s: cpu.max, cpu.weight: no cpu controller delegated", BASE);
                }
                if (!(pc_cgroup_missing(g1) & PC_CGROUP_CTRL_PIDS))
                        CHECK_VAL("", c1, "pids.max", "64");
                else
                        SKIP("%s: pids.max: no pids controller delegated", BASE);
        }
        missing = pc_cgroup_missing(g1);
        /* the host's own v2 hierarchy delegates every controller podctl uses
         * (a v1 host has them all as hierarchies of their own) */
        if (strcmp(BASE, "/sys/fs/cgroup") != 0)
                SKIP("%s: all controllers present: only asked of /sys/fs/cgroup", BASE);
        else if (mode == PC_CGROUP_V1)
                SKIP("%s: all controllers present on a v2 /sys/fs/cgroup: this host is v1", BASE);
        else
                CHECK(missing == 0);
        if (mode == PC_CGROUP_V2 && missing)
                CHECK(pc_cgroup_warning(g1) != NULL);
        else if (mode == PC_CGROUP_V1)
                SKIP("%s: warning for missing v2 controllers: this hierarchy is v1", BASE);
        CHECK(pc_cgroup_create(BASE, c2, NULL, &g2, &err) == 0);
        CHECK(pc_cgroup_create(BASE, c3, NULL, &g3, &err) == 0);
        if (!g2 || !g3)
                goto out;

        /* enter: a worker in c1, one with a grandchild in c2 */
        w1 = spawn_worker(&go, &ready, false);
        CHECK(w1 > 0);
        CHECK(pc_cgroup_enter(g1, w1, &err) == 0);
        CHECK(start_worker(go, ready));
        /* g2 through its held cgroup.procs files (pc_cgroup_keep_open,
         * twice: idempotent) */
        CHECK(pc_cgroup_keep_open(g2, &err) == 0);
        CHECK(pc_cgroup_keep_open(g2, &err) == 0);
        w2 = spawn_worker(&go, &ready, true);
        CHECK(w2 > 0);
        CHECK(pc_cgroup_enter(g2, w2, &err) == 0);
        CHECK(start_worker(go, ready));
        for (int w = 0; w < 2; w++) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)(w ? w2 : w1));
                _cleanup_free_ char *s = NULL;
                CHECK(pc_read_file(path, &s, NULL, &err) == 0);
                _cleanup_free_ char *want = pc_xasprintf("/podctl/%s\n", w ? c2 : c1);
                CHECK_CONTAINS(s, want);
        }

        /* stats */
        struct pc_cgroup_stats s1;
        CHECK(pc_cgroup_stats(g1, &s1, &err) == 0);
        CHECK(s1.cpu_usage_ns > 10000000ULL); /* it spun for 50 ms */
        if (!(missing & PC_CGROUP_CTRL_MEMORY)) {
                CHECK(s1.memory_usage >= (8u << 20));
                CHECK(s1.memory_working_set > 0 && s1.memory_working_set <= s1.memory_usage);
        }
        if (!(missing & PC_CGROUP_CTRL_PIDS))
                CHECK(s1.pids_current == 1);
        CHECK(s1.oom_kills == 0);
        struct pc_cgroup_stats s2;
        CHECK(pc_cgroup_stats(g2, &s2, &err) == 0);
        if (!(missing & PC_CGROUP_CTRL_PIDS))
                CHECK(s2.pids_current == 2);

        /* a fork storm, capped by pids.max 32 (so only where the pids
         * controller is available) */
        struct pc_cgroup_limits l4 = {.memory_max = -1,
                                      .cpu_quota = -1,
                                      .cpu_period = 100000,
                                      .cpu_shares = -1,
                                      .pids_max = 32};
        if (missing & PC_CGROUP_CTRL_PIDS) {
                SKIP("%s: fork storm capped by pids.max: no pids controller", BASE);
                goto skip_storm;
        }
        CHECK(pc_cgroup_create(BASE, c4, &l4, &g4, &err) == 0);
        if (!g4)
                goto out;
        w4 = spawn_forker(&go, &ready);
        CHECK(w4 > 0 && pc_cgroup_enter(g4, w4, &err) == 0);
        CHECK(start_worker(go, ready));
        sleep_ms(100);
        {
                int64_t t0 = pc_monotonic_ns();
                CHECK(pc_cgroup_kill(g4, &err) == 0);
                if (err.msg[0])
                        fprintf(stderr, "kill: %s\n", err.msg);
                CHECK(pc_monotonic_ns() - t0 < 3000000000LL);
        }
        CHECK(waitpid(w4, &st, 0) == w4 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        w4 = 0;
        sleep_ms(20);
        reap_all();
        CHECK(pc_cgroup_destroy(g4, &err) == 0);
        CHECK(!exists("memory", c4));
skip_storm:

        /* destroy while busy: EBUSY, naming the path; nothing removed */
        CHECK(pc_cgroup_destroy(g1, &err) < 0);
        CHECK(err.code == EBUSY);
        CHECK_CONTAINS(err.msg, c1);
        CHECK(exists("memory", c1));

        /* kill one container */
        pc_error_clear(&err);
        CHECK(pc_cgroup_kill(g1, &err) == 0);
        CHECK(waitpid(w1, &st, 0) == w1);
        w1 = 0;
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        CHECK(pc_cgroup_stats(g1, &s1, &err) == 0 && s1.pids_current == 0);
        CHECK(pc_cgroup_destroy(g1, &err) == 0);
        for (int c = 0; v1_ctrls[c]; c++)
                CHECK(!exists(v1_ctrls[c], c1));
        CHECK(pc_cgroup_destroy(g1, &err) == 0); /* gone: success */
        CHECK(exists("memory", pod));            /* c2, c3 still there */

        /* kill the whole pod: c2's worker and its grandchild, c3's */
        w3 = spawn_worker(&go, &ready, true);
        CHECK(pc_cgroup_enter(g3, w3, &err) == 0);
        CHECK(start_worker(go, ready));
        CHECK(pc_cgroup_open(BASE, pod, &gp, &err) == 0);
        if (!gp)
                goto out;
        CHECK(pc_cgroup_kill(gp, &err) == 0);
        CHECK(waitpid(w2, &st, 0) == w2 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        w2 = 0;
        CHECK(waitpid(w3, &st, 0) == w3 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        w3 = 0;
        sleep_ms(20);
        reap_all(); /* the grandchildren, reparented to us */
        CHECK(pc_cgroup_stats(g2, &s2, &err) == 0 && s2.pids_current == 0);
        {
                _cleanup_free_ char *procs = readval("memory", c2, "cgroup.procs");
                CHECK_STR(procs, "");
        }

        /* destroying the pod takes its children, then the empty podctl/ */
        CHECK(pc_cgroup_destroy(gp, &err) == 0);
        CHECK(!exists("memory", pod));
        for (int c = 0; v1_ctrls[c]; c++) {
                CHECK(!exists(v1_ctrls[c], c2));
                CHECK(!exists(v1_ctrls[c], pod));
                if (!podctl_existed)
                        CHECK(podctl_gone_or_shared(v1_ctrls[c]));
                else
                        SKIP("%s: empty podctl/ of %s removed: it was there before (another run's)",
                             BASE, v1_ctrls[c]);
                if (mode == PC_CGROUP_V2)
                        break;
        }
        pc_cgroup_free(g1);
        CHECK(pc_cgroup_open(BASE, pod, &g1, &err) < 0 && err.code == ENOENT);
        CHECK(g1 == NULL);

out:
        /* on failure: processes first (by PID), then the directories */
        if (w1 > 0)
                kill(w1, SIGKILL);
        if (w2 > 0)
                kill(w2, SIGKILL);
        if (w3 > 0)
                kill(w3, SIGKILL);
        if (w4 > 0)
                kill(w4, SIGKILL);
        cleanup_dirs();
        pc_cgroup_free(g1);
        pc_cgroup_free(g2);
        pc_cgroup_free(g3);
        pc_cgroup_free(g4);
        pc_cgroup_free(gp);
        reap_all();
        CHECK(!exists("memory", pod));
        UNIT_CASE(NULL);
}

int main(void)
{
        if (geteuid() != 0) {
                SKIP("not root");
                UNIT_DONE();
        }
        /* orphaned grandchildren come back to us to be reaped */
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        snprintf(pod, sizeof(pod), "test-%d", (int)getpid());
        run_suite("/sys/fs/cgroup");
        if (pc_cgroup_detect("/sys/fs/cgroup") == PC_CGROUP_V1 &&
            pc_cgroup_detect("/sys/fs/cgroup/unified") == PC_CGROUP_V2)
                run_suite("/sys/fs/cgroup/unified");
        UNIT_DONE();
}
