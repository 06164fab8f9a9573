/* Tests of the pause binary ($B/pause, B defaulting to the directory above
 * this test binary, then "build"): static and small, -v and usage, exits 0 on
 * SIGTERM/SIGINT, ignores other signals, and as PID 1 of a new PID namespace
 * reaps orphans reparented to it. Needs root for the namespace part
 * (skipped otherwise). Every process started here is killed by PID.
 * Self-contained: the Makefile links no library into test_pause. */
#include "unit.h"
#include "util/cleanup.h"

#include <stdbool.h>
#include <stdint.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *pause_bin;

/* Kill (SIGKILL) and reap a child still owned by the scope. */
static void kill_reapp(pid_t *pid)
{
        if (*pid > 0) {
                kill(*pid, SIGKILL);
                while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
}
#define _cleanup_child_ _cleanup_(kill_reapp)

static int64_t mono_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static char *xstrdup(const char *s)
{
        char *r = strdup(s);
        if (!r)
                abort();
        return r;
}

/* Whole small file as a string, NULL on error. */
static char *read_small(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        char buf[8192];
        size_t n = 0;
        ssize_t r;
        while (n + 1 < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) != 0) {
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return NULL;
                }
                n += (size_t)r;
        }
        buf[n] = '\0';
        return xstrdup(buf);
}

static char *find_pause(void)
{
        char buf[4096];
        const char *b = getenv("B");
        if (b && *b) {
                snprintf(buf, sizeof(buf), "%s/pause", b);
                return xstrdup(buf);
        }
        /* this binary is $B/tests/test_pause */
        ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 32);
        if (n > 0) {
                buf[n] = '\0';
                char *slash = strrchr(buf, '/');
                if (slash) {
                        strcpy(slash, "/../pause");
                        if (access(buf, X_OK) == 0)
                                return xstrdup(buf);
                }
        }
        return xstrdup("build/pause");
}

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* waitpid with a deadline; returns the pid, 0 on timeout, -1 on error. */
static pid_t wait_timeout(pid_t pid, int *status, int ms)
{
        int64_t end = mono_ns() + (int64_t)ms * 1000000;
        for (;;) {
                pid_t r = waitpid(pid, status, WNOHANG);
                if (r != 0)
                        return r;
                if (mono_ns() > end)
                        return 0;
                sleep_ms(5);
        }
}

/* Run pause with args, capture its fd `which` (1 or 2; the other goes to
 * /dev/null); returns the exit status or -1. */
static int run_capture(char *const argv[], int which, char *out, size_t outlen)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        _cleanup_child_ pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                int devnull = open("/dev/null", O_RDWR);
                if (devnull >= 0)
                        dup2(devnull, which == 1 ? 2 : 1);
                dup2(p[1], which);
                execv(pause_bin, argv);
                _exit(127);
        }
        close(p[1]);
        size_t n = 0;
        ssize_t r;
        while (n + 1 < outlen && (r = read(p[0], out + n, outlen - 1 - n)) != 0) {
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                n += (size_t)r;
        }
        out[n] = '\0';
        close(p[0]);
        int st;
        pid_t w = wait_timeout(pid, &st, 5000);
        if (w != pid)
                return -1;
        pid = 0;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_binary(void)
{
        struct stat st;
        CHECK(stat(pause_bin, &st) == 0);
        CHECK(st.st_size > 0 && st.st_size < 100 * 1024);

        /* Statically linked: an ELF without PT_INTERP and PT_DYNAMIC. */
        _cleanup_close_ int fd = open(pause_bin, O_RDONLY | O_CLOEXEC);
        CHECK(fd >= 0);
        Elf64_Ehdr eh;
        CHECK(fd >= 0 && pread(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh));
        CHECK(memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 && eh.e_ident[EI_CLASS] == ELFCLASS64);
        bool interp = false, dynamic = false;
        for (int i = 0; i < eh.e_phnum && i < 64; i++) {
                Elf64_Phdr ph;
                off_t off = (off_t)eh.e_phoff + (off_t)i * eh.e_phentsize;
                if (pread(fd, &ph, sizeof(ph), off) != (ssize_t)sizeof(ph))
                        break;
                interp |= ph.p_type == PT_INTERP;
                dynamic |= ph.p_type == PT_DYNAMIC;
        }
        CHECK(!interp);
        CHECK(!dynamic);
}

static void test_args(void)
{
        char out[256];
        char *v[] = {pause_bin, "-v", NULL};
        CHECK(run_capture(v, 1, out, sizeof(out)) == 0);
        CHECK_CONTAINS(out, "pause (podctl) ");
        char *bad[] = {pause_bin, "extra", NULL};
        CHECK(run_capture(bad, 2, out, sizeof(out)) == 2);
        CHECK_CONTAINS(out, "usage: pause");
        char *bad2[] = {pause_bin, "-v", "x", NULL};
        CHECK(run_capture(bad2, 1, out, sizeof(out)) == 2);
        CHECK_STR(out, "");
}

/* Start pause; flags 0 = plain fork, CLONE_NEWPID = PID 1 of a new namespace. */
static pid_t start_pause(unsigned long flags)
{
        pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid == 0) {
                int devnull = open("/dev/null", O_RDWR);
                if (devnull >= 0)
                        dup2(devnull, 0);
                execl(pause_bin, pause_bin, (char *)NULL);
                _exit(127);
        }
        return pid;
}

/* Wait until pause sleeps in its signal loop: comm is "pause" (it exec'ed)
 * and it is in S state (it blocks signals before it can sleep). SigBlk of
 * /proc/pid/status cannot tell: sigwaitinfo unblocks the awaited set while
 * it sleeps. */
static bool wait_blocked(pid_t pid)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        for (int i = 0; i < 400; i++) {
                _cleanup_free_ char *s = read_small(path);
                if (s) {
                        char *p = strrchr(s, ')');
                        if (p && p[1] == ' ' && p[2] == 'S' && strstr(s, "(pause)"))
                                return true;
                }
                sleep_ms(5);
        }
        return false;
}

static void test_signals_plain(void)
{
        int st = 0;
        _cleanup_child_ pid_t pid = start_pause(0);
        CHECK(pid > 0);
        CHECK(wait_blocked(pid));
        /* ignored signals */
        kill(pid, SIGHUP);
        kill(pid, SIGUSR1);
        kill(pid, SIGPIPE);
        CHECK(wait_timeout(pid, &st, 200) == 0);
        kill(pid, SIGTERM);
        CHECK(wait_timeout(pid, &st, 2000) == pid);
        pid = 0;
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

        _cleanup_child_ pid_t p2 = start_pause(0);
        CHECK(p2 > 0 && wait_blocked(p2));
        kill(p2, SIGINT);
        CHECK(wait_timeout(p2, &st, 2000) == p2);
        p2 = 0;
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* "NSpid:" of /proc/pid/status: the last value is the pid in its own namespace. */
static long ns_pid(pid_t pid)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        _cleanup_free_ char *s = read_small(path);
        if (!s)
                return -1;
        char *l = strstr(s, "NSpid:");
        if (!l)
                return -1;
        l += 6;
        long last = -1;
        char *end;
        for (;;) {
                long v = strtol(l, &end, 10);
                if (end == l)
                        break;
                last = v;
                l = end;
        }
        return last;
}

/* State letter and ppid from /proc/pid/stat; 0 when the process is gone. */
static char proc_state(pid_t pid, pid_t *ppid)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        _cleanup_free_ char *s = read_small(path);
        if (!s)
                return 0;
        char *p = strrchr(s, ')');
        if (!p || p[1] == '\0')
                return 0;
        char st = p[2];
        if (ppid)
                *ppid = (pid_t)strtol(p + 4, NULL, 10);
        return st;
}

/* Count zombies whose parent is `parent`. */
static int zombies_of(pid_t parent)
{
        DIR *d = opendir("/proc");
        if (!d)
                return -1;
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                pid_t p = (pid_t)atoi(de->d_name);
                pid_t pp = 0;
                if (p > 0 && proc_state(p, &pp) == 'Z' && pp == parent)
                        n++;
        }
        closedir(d);
        return n;
}

#define NORPHANS 5

/* Join pause's PID namespace (for our children), fork a child A there, and
 * let A fork NORPHANS children that report their host PID then wait for
 * a byte on `go` before exiting. A exits at once: its children are orphans
 * of the namespace, so the kernel reparents them to its init, pause. (An
 * orphan goes to the reaper of its dead parent's namespace, which is why
 * A, not this process, has to be their parent.) */
static void orphan_maker(pid_t pause_pid, int report_fd, int go_fd)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pause_pid);
        int ns = open(path, O_RDONLY | O_CLOEXEC);
        if (ns < 0 || setns(ns, CLONE_NEWPID) < 0)
                _exit(3);
        pid_t a = fork();
        if (a < 0)
                _exit(7);
        if (a > 0) {
                int st;
                if (waitpid(a, &st, 0) != a || !WIFEXITED(st))
                        _exit(8);
                _exit(WEXITSTATUS(st));
        }
        for (int i = 0; i < NORPHANS; i++) {
                pid_t c = fork();
                if (c < 0)
                        _exit(4);
                if (c == 0) {
                        /* /proc is the host's: /proc/self names our host PID */
                        char buf[32];
                        ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
                        if (n <= 0)
                                _exit(5);
                        int hostpid = atoi((buf[n] = '\0', buf));
                        if (write(report_fd, &hostpid, sizeof(hostpid)) != sizeof(hostpid))
                                _exit(6);
                        char b;
                        while (read(go_fd, &b, 1) < 0 && errno == EINTR)
                                ;
                        _exit(0);
                }
        }
        _exit(0);
}

static void test_pidns(void)
{
        if (geteuid() != 0) {
                SKIP("PID namespace tests: not root");
                return;
        }
        int st = 0;
        _cleanup_child_ pid_t pp = start_pause(CLONE_NEWPID);
        CHECK(pp > 0);
        if (pp <= 0)
                return;
        CHECK(wait_blocked(pp));
        CHECK(ns_pid(pp) == 1);

        /* An orphan reparented to pause (init of the namespace) that exits
         * becomes pause's zombie until pause reaps it. */
        int rep[2], go[2];
        CHECK(pipe2(rep, O_CLOEXEC) == 0 && pipe2(go, O_CLOEXEC) == 0);
        _cleanup_child_ pid_t maker = fork();
        if (maker == 0) {
                close(rep[0]);
                close(go[1]);
                orphan_maker(pp, rep[1], go[0]);
        }
        close(rep[1]);
        close(go[0]);
        int st2;
        CHECK(maker > 0 && wait_timeout(maker, &st2, 5000) == maker);
        maker = 0;
        CHECK(WIFEXITED(st2) && WEXITSTATUS(st2) == 0);

        pid_t orphans[NORPHANS] = {0};
        int got = 0;
        while (got < NORPHANS) {
                int v;
                if (read(rep[0], &v, sizeof(v)) != (ssize_t)sizeof(v))
                        break;
                orphans[got++] = v;
        }
        CHECK(got == NORPHANS);
        close(rep[0]);
        for (int i = 0; i < got; i++) {
                pid_t ppid = 0;
                CHECK(proc_state(orphans[i], &ppid) != 0);
                CHECK(ppid == pp); /* reparented to pause */
                CHECK(ns_pid(orphans[i]) > 1);
        }
        close(go[1]); /* all orphans exit now, nearly at once */

        bool gone = false;
        for (int t = 0; t < 400 && !gone; t++) {
                gone = true;
                for (int i = 0; i < got; i++)
                        if (proc_state(orphans[i], NULL) != 0)
                                gone = false;
                if (!gone)
                        sleep_ms(5);
        }
        CHECK(gone);
        CHECK(zombies_of(pp) == 0);
        CHECK(proc_state(pp, NULL) == 'S');

        /* SIGTERM from the parent namespace: exit 0, quickly. */
        int64_t t0 = mono_ns();
        kill(pp, SIGTERM);
        CHECK(wait_timeout(pp, &st, 2000) == pp);
        CHECK(mono_ns() - t0 < 1000000000LL);
        pp = 0;
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* SIGTERM sent from inside the namespace reaches PID 1 too (the kernel
 * would drop it for an init with a SIG_DFL disposition). */
static void test_pidns_inner_term(void)
{
        if (geteuid() != 0)
                return;
        int st = 0;
        _cleanup_child_ pid_t pp = start_pause(CLONE_NEWPID);
        CHECK(pp > 0 && wait_blocked(pp));
        _cleanup_child_ pid_t k = fork();
        if (k == 0) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pp);
                int ns = open(path, O_RDONLY | O_CLOEXEC);
                if (ns < 0 || setns(ns, CLONE_NEWPID) < 0)
                        _exit(3);
                pid_t c = fork();
                if (c == 0)
                        _exit(kill(1, SIGTERM) == 0 ? 0 : 4);
                int cs;
                if (c < 0 || waitpid(c, &cs, 0) != c)
                        _exit(5);
                /* When pause (PID 1) exits, the kernel SIGKILLs the rest of
                 * the namespace: the sender may die before its own _exit. */
                if (WIFSIGNALED(cs) && WTERMSIG(cs) == SIGKILL)
                        _exit(0);
                _exit(WIFEXITED(cs) ? WEXITSTATUS(cs) : 6);
        }
        CHECK(k > 0 && wait_timeout(k, &st, 5000) == k);
        k = 0;
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CHECK(wait_timeout(pp, &st, 2000) == pp);
        pp = 0;
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
        pause_bin = find_pause();
        if (access(pause_bin, X_OK) != 0) {
                fprintf(stderr, "%s: not found (build it, or set B)\n", pause_bin);
                UNIT_FAIL();
                free(pause_bin);
                UNIT_DONE();
        }
        test_binary();
        test_args();
        test_signals_plain();
        test_pidns();
        test_pidns_inner_term();
        free(pause_bin);
        UNIT_DONE();
}
