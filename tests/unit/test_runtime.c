/* Runtime module: sandbox (pause), containers and exec, on a real kernel.
 * Runs as root from the repo root. Builds a busybox rootfs in a temp dir;
 * every child is killed and reaped by PID, the temp dir removed, even when a
 * check fails. */
#include "unit.h"
#include "runtime/runtime.h"
#include "runtime/fsroot.h"
#include "runtime/user.h"
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char base[] = "/tmp/podctl-rt-XXXXXX";
static pid_t owned[64];
static size_t n_owned;
static char pause_path[PATH_MAX];

static void own(pid_t pid)
{
        if (pid > 0 && n_owned < PC_ARRAY_SIZE(owned))
                owned[n_owned++] = pid;
}

static void disown_pid(pid_t pid)
{
        for (size_t i = 0; i < n_owned; i++)
                if (owned[i] == pid)
                        owned[i] = -1;
}

static void kill_all(void)
{
        for (size_t i = 0; i < n_owned; i++)
                if (owned[i] > 0)
                        pc_pid_killp(&owned[i]);
        n_owned = 0;
}

static char *path_in(const char *rel)
{
        return pc_xasprintf("%s/%s", base, rel);
}

static void write_at(const char *rel, const char *data)
{
        _cleanup_free_ char *p = path_in(rel);
        pc_error err;
        if (pc_write_file_atomic(p, data, strlen(data), 0644, &err) < 0)
                fprintf(stderr, "write %s: %s\n", p, err.msg);
}

static void mkdir_at(const char *rel)
{
        _cleanup_free_ char *p = path_in(rel);
        pc_error err;
        if (pc_mkdir_p(p, 0755, &err) < 0)
                fprintf(stderr, "%s\n", err.msg);
}

static void symlink_at(const char *target, const char *rel)
{
        _cleanup_free_ char *p = path_in(rel);
        if (symlink(target, p) < 0)
                perror(p);
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
        char *data = NULL;
        size_t len = 0;
        pc_error err;
        if (pc_read_file(from, &data, &len, &err) < 0)
                return -1;
        int r = pc_write_file_atomic(to, data, len, mode, &err);
        free(data);
        return r;
}

static void build_rootfs(void)
{
        static const char *const applets[] = {
            "sh",    "cat",  "ls",   "hostname", "sleep", "stat",     "mount", "id",  "echo",
            "touch", "grep", "test", "wc",       "true",  "readlink", "tr",    "pwd",
        };
        mkdir_at("lower1/bin");
        mkdir_at("lower1/etc");
        mkdir_at("lower1/tmp");
        mkdir_at("lower2/etc");
        _cleanup_free_ char *bb = path_in("lower1/bin/busybox");
        CHECK(copy_file("/bin/busybox", bb, 0755) == 0);
        for (size_t i = 0; i < PC_ARRAY_SIZE(applets); i++) {
                _cleanup_free_ char *rel = pc_xasprintf("lower1/bin/%s", applets[i]);
                symlink_at("busybox", rel);
        }
        write_at("lower1/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                                      "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        write_at("lower1/etc/group", "root:x:0:\nnogroup:x:65534:\nstaff:x:50:nobody\n");
        write_at("lower1/etc/layer", "bottom\n");
        write_at("lower2/etc/layer", "top\n"); /* the upper layer wins */
        /* Symlinks an image could use to point mounts out of its root. */
        _cleanup_free_ char *secret = path_in("secret");
        symlink_at(secret, "lower1/escape");
        symlink_at("../../../../../../..", "lower1/up");
        symlink_at("/", "lower1/rootlink");
        mkdir_at("secret");
        mkdir_at("hostvol");
        mkdir_at("hostro");
        mkdir_at("shm");
        write_at("hostro/file", "ro\n");
}

static char *lowers[3];
static struct pc_sandbox sb = {-1, -1, -1, -1, -1, -1, -1, 0};
static int counter;

/* A fresh plan with its own upper/work/rootfs (overlay refuses a workdir
 * still in use by a dying mount). */
static struct pc_container_plan make_plan(char **argv)
{
        counter++;
        _cleanup_free_ char *c = pc_xasprintf("c%d", counter);
        _cleanup_free_ char *u = pc_xasprintf("c%d/upper", counter);
        _cleanup_free_ char *w = pc_xasprintf("c%d/work", counter);
        _cleanup_free_ char *r = pc_xasprintf("c%d/rootfs", counter);
        mkdir_at(u);
        mkdir_at(w);
        mkdir_at(r);
        static char *keep[256];
        static size_t n_keep;
        struct pc_container_plan p = {
            .name = "web",
            .lower_dirs = lowers,
            .n_lower = 2,
            .upper_dir = keep[n_keep++ % 256] = path_in(u),
            .work_dir = keep[n_keep++ % 256] = path_in(w),
            .rootfs_dir = keep[n_keep++ % 256] = path_in(r),
            .sandbox = &sb,
            .share_pid = false,
            .shm_dir = keep[n_keep++ % 256] = path_in("shm"),
            .argv = argv,
            .envp = NULL,
            .cwd = "/",
            .stdin_fd = -1,
            .stdout_fd = 1,
            .stderr_fd = 2,
            .sec = {.caps = pc_caps_default()},
        };
        return p;
}

/* Run to completion with stdout (and stderr) captured. Returns the start
 * result; *out (malloc'd) and *status filled when it started. */
static int run(struct pc_container_plan *p, char **out, int *status, pc_error *err)
{
        int pfd[2];
        *out = NULL;
        *status = -1;
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return pc_fail(err, errno, "pipe");
        p->stdout_fd = pfd[1];
        p->stderr_fd = pfd[1];
        pid_t pid;
        int r = pc_container_start(p, NULL, NULL, &pid, err);
        close(pfd[1]);
        if (r < 0) {
                close(pfd[0]);
                return -1;
        }
        own(pid);
        size_t cap = 4096, n = 0;
        char *buf = pc_xmalloc(cap);
        for (;;) {
                if (n + 1 >= cap)
                        buf = pc_xrealloc(buf, cap *= 2);
                ssize_t k = read(pfd[0], buf + n, cap - n - 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += (size_t)k;
        }
        buf[n] = '\0';
        close(pfd[0]);
        while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
        disown_pid(pid);
        *out = buf;
        return 0;
}

/* Run `sh -c script` in a fresh container; returns its output (malloc'd, or
 * NULL when it did not start). */
static char *sh(const char *script, bool share_pid, int *status)
{
        char *argv[] = {"sh", "-c", (char *)script, NULL};
        struct pc_container_plan p = make_plan(argv);
        p.share_pid = share_pid;
        pc_error err;
        char *out = NULL;
        int st;
        if (run(&p, &out, &st, &err) < 0) {
                fprintf(stderr, "container for '%s': %s\n", script, err.msg);
                return NULL;
        }
        if (status)
                *status = st;
        return out;
}

static unsigned long ino_of(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

static bool exists(const char *path)
{
        struct stat st;
        return lstat(path, &st) == 0;
}

/* The host's mounts that involve this test's directory (other processes on
 * the host may mount and unmount their own things meanwhile). */
static char *mountinfo_snapshot(void)
{
        char *s = NULL;
        pc_error err;
        if (pc_read_file("/proc/self/mountinfo", &s, NULL, &err) < 0)
                return pc_xstrdup("");
        char *out = pc_xcalloc(strlen(s) + 1, 1);
        for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
                if (strstr(line, base)) {
                        strcat(out, line);
                        strcat(out, "\n");
                }
        }
        free(s);
        return out;
}

static void test_user(void)
{
        pc_error err;
        struct pc_user u;
        _cleanup_free_ char *root = path_in("lower1");
        CHECK(pc_user_resolve(root, "nobody", &u, &err) == 0);
        CHECK(u.uid == 65534 && u.gid == 65534);
        CHECK(u.n_groups == 1 && u.groups && u.groups[0] == 50);
        pc_user_free(&u);
        CHECK(pc_user_resolve(root, "1000", &u, &err) == 0);
        CHECK(u.uid == 1000 && u.gid == 0 && u.n_groups == 0);
        CHECK(pc_user_resolve(root, "0:nogroup", &u, &err) == 0);
        CHECK(u.uid == 0 && u.gid == 65534);
        pc_user_free(&u);
        CHECK(pc_user_resolve(root, "1:2", &u, &err) == 0);
        CHECK(u.uid == 1 && u.gid == 2);
        CHECK(pc_user_resolve(root, "ghost", &u, &err) < 0);
        CHECK_CONTAINS(err.msg, "user \"ghost\"");
        CHECK(pc_user_resolve(root, "root:nogrp", &u, &err) < 0);
}

static void test_fsroot(void)
{
        pc_error err;
        _cleanup_free_ char *root = path_in("fsroot");
        _cleanup_free_ char *secret = path_in("secret");
        mkdir_at("fsroot");
        symlink_at(secret, "fsroot/abs");
        symlink_at("../../..", "fsroot/rel");
        _cleanup_close_ int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        CHECK(rfd >= 0);
        _cleanup_close_ int a = pc_fsroot_mkdir_p(rfd, "/abs/x/y", 0755, &err);
        CHECK(a >= 0);
        _cleanup_free_ char *inside = pc_xasprintf("%s%s/x/y", root, secret);
        CHECK(exists(inside));
        _cleanup_free_ char *outside = pc_xasprintf("%s/x", secret);
        CHECK(!exists(outside));
        _cleanup_close_ int b = pc_fsroot_mkfile(rfd, "/rel/f", 0644, &err);
        CHECK(b >= 0);
        _cleanup_free_ char *f = pc_xasprintf("%s/f", root);
        CHECK(exists(f));
        _cleanup_close_ int c = pc_fsroot_mkdir_p(rfd, "/rel/f/sub", 0755, &err);
        CHECK(c < 0 && err.code == ENOTDIR);
}

static int fail_on_child(pid_t pid, void *data, pc_error *err)
{
        return pc_fail(err, 0, "refused %d", (int)pid);
}

static int record_on_child(pid_t pid, void *data, pc_error *err)
{
        *(pid_t *)data = pid;
        return 0;
}

/* pc_exec_start's on_child runs in the child itself (pc_rt_spawn): it
 * reports the pid it was given through a pipe (the fd in data). */
static int send_on_child(pid_t pid, void *data, pc_error *err)
{
        return write(*(int *)data, &pid, sizeof(pid)) == (ssize_t)sizeof(pid) ? 0 : -1;
}

/* The last NSpid of a (possibly zombie) process: its pid in its own PID
 * namespace. */
static pid_t ns_pid(pid_t pid)
{
        char path[64], line[256];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "re");
        pid_t last = -1;
        while (f && fgets(line, sizeof(line), f)) {
                if (strncmp(line, "NSpid:", 6) != 0)
                        continue;
                char *save = NULL;
                for (char *t = strtok_r(line + 6, " \t\n", &save); t;
                     t = strtok_r(NULL, " \t\n", &save))
                        last = (pid_t)atoi(t);
        }
        if (f)
                fclose(f);
        return last;
}

int main(void)
{
        pc_error err;
        if (geteuid() != 0) {
                SKIP("needs root");
                UNIT_DONE();
        }
        if (!mkdtemp(base)) {
                perror("mkdtemp");
                return 1;
        }
        _cleanup_free_ char *mounts_before = mountinfo_snapshot();
        build_rootfs();
        lowers[0] = path_in("lower1"); /* bottom first */
        lowers[1] = path_in("lower2");
        test_user();
        test_fsroot();

        /* pause: the static $B/pause (exec'd from a sealed memfd copy, so it
         * must be a real binary, not a script); B as tests/run sets it. */
        const char *bdir = getenv("B") && *getenv("B") ? getenv("B") : "build";
        char built[256];
        snprintf(built, sizeof(built), "%s/pause", bdir);
        if (getenv("PODCTL_TEST_PAUSE"))
                snprintf(pause_path, sizeof(pause_path), "%s", getenv("PODCTL_TEST_PAUSE"));
        else if (!realpath(built, pause_path))
                snprintf(pause_path, sizeof(pause_path), "%s (missing: run make)", built);

        /* Sandbox failure: a missing pause binary is an error, child reaped. */
        struct pc_sandbox bad;
        struct pc_sandbox_plan bplan = {.pause_path = "/nonexistent/pause", .hostname = "x"};
        CHECK(pc_sandbox_create(&bplan, NULL, NULL, &bad, &err) < 0);
        CHECK_CONTAINS(err.msg, "exec pause \"/nonexistent/pause\": No such file or directory");
        CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);

        /* on_child failure: error returned, child reaped */
        bplan.pause_path = pause_path;
        CHECK(pc_sandbox_create(&bplan, fail_on_child, NULL, &bad, &err) < 0);
        CHECK_CONTAINS(err.msg, "sandbox: refused");
        CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);

        /* host network + host IPC, no shared PID namespace */
        {
                struct pc_sandbox hsb;
                pid_t seen = -1;
                struct pc_sandbox_plan hplan = {.pause_path = pause_path,
                                                .hostname = "hostnet",
                                                .host_network = true,
                                                .host_ipc = true};
                if (pc_sandbox_create(&hplan, record_on_child, &seen, &hsb, &err) < 0) {
                        fprintf(stderr, "host sandbox: %s\n", err.msg);
                        CHECK(!"host sandbox");
                } else {
                        own(hsb.pause_pid);
                        CHECK(seen == hsb.pause_pid);
                        CHECK(hsb.netns_fd < 0 && hsb.ipcns_fd < 0 && hsb.pidns_fd < 0);
                        CHECK(hsb.utsns_fd >= 0);
                        char np[64];
                        snprintf(np, sizeof(np), "/proc/%d/ns/net", (int)hsb.pause_pid);
                        CHECK(ino_of(np) == ino_of("/proc/self/ns/net"));
                        snprintf(np, sizeof(np), "/proc/%d/ns/uts", (int)hsb.pause_pid);
                        CHECK(ino_of(np) != ino_of("/proc/self/ns/uts"));
                        /* share_pid needs the sandbox's PID namespace */
                        char *argv[] = {"true", NULL};
                        struct pc_container_plan p = make_plan(argv);
                        p.sandbox = &hsb;
                        p.share_pid = true;
                        pid_t cp;
                        CHECK(pc_container_start(&p, NULL, NULL, &cp, &err) < 0);
                        CHECK(err.code == EINVAL);
                        pc_sandbox_release(&hsb);
                }
        }

        struct pc_sandbox_plan splan = {
            .pause_path = pause_path, .hostname = "podtest", .share_pid = true};
        if (pc_sandbox_create(&splan, NULL, NULL, &sb, &err) < 0) {
                fprintf(stderr, "sandbox: %s\n", err.msg);
                CHECK(!"sandbox created");
                goto out;
        }
        own(sb.pause_pid);
        CHECK(sb.netns_fd >= 0 && sb.ipcns_fd >= 0 && sb.utsns_fd >= 0 && sb.pidns_fd >= 0);
        char p1[64], p2[64];
        snprintf(p1, sizeof(p1), "/proc/%d/ns/net", (int)sb.pause_pid);
        CHECK(ino_of(p1) != 0 && ino_of(p1) != ino_of("/proc/self/ns/net"));
        snprintf(p1, sizeof(p1), "/proc/%d/ns/pid", (int)sb.pause_pid);
        CHECK(ino_of(p1) != ino_of("/proc/self/ns/pid"));
        /* Our own pid_for_children was restored. */
        CHECK(ino_of("/proc/self/ns/pid_for_children") == ino_of("/proc/self/ns/pid"));
        /* pause has no fds but 0,1,2 */
        snprintf(p1, sizeof(p1), "/proc/%d/fd/3", (int)sb.pause_pid);
        CHECK(!exists(p1));

        int st;
        char *out;

        /* hostname, namespaces shared with pause */
        out = sh("hostname; stat -L -c %i /proc/self/ns/net /proc/self/ns/ipc "
                 "/proc/self/ns/uts",
                 false, &st);
        {
                char want[256];
                snprintf(p1, sizeof(p1), "/proc/%d/ns/", (int)sb.pause_pid);
                snprintf(want, sizeof(want), "podtest\n%lu\n%lu\n%lu\n",
                         ino_of(strcat(strcpy(p2, p1), "net")),
                         ino_of(strcat(strcpy(p2, p1), "ipc")),
                         ino_of(strcat(strcpy(p2, p1), "uts")));
                CHECK_STR(out, want);
        }
        free(out);

        /* own PID namespace: PID 1 */
        out = sh("echo $$", false, &st);
        CHECK_STR(out, "1\n");
        free(out);

        /* shared PID namespace: pause is PID 1 */
        out =
            sh("echo $$; ls /proc | grep -c '^1$'; cat /proc/1/cmdline | tr '\\0' ' '", true, &st);
        CHECK(out && strncmp(out, "1\n", 2) != 0);
        CHECK(out && strstr(out, "\n1\n"));
        free(out);

        /* layers, upper dir, mqueue, devices */
        {
                char *argv[] = {"sh", "-c",
                                "cat /etc/layer; echo hi > /newfile; "
                                "ls /dev/null /dev/zero /dev/full /dev/random /dev/urandom "
                                "/dev/tty /dev/pts/ptmx /dev/shm /dev/mqueue >/dev/null && "
                                "readlink /dev/ptmx; readlink /dev/fd; "
                                "grep -c ' /sys sysfs ro' /proc/self/mounts",
                                NULL};
                struct pc_container_plan p = make_plan(argv);
                CHECK(run(&p, &out, &st, &err) == 0);
                CHECK_STR(out, "top\npts/ptmx\n/proc/self/fd\n1\n");
                CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
                _cleanup_free_ char *up = pc_xasprintf("%s/newfile", p.upper_dir);
                _cleanup_free_ char *lo = path_in("lower1/newfile");
                CHECK(exists(up));
                CHECK(!exists(lo));
                free(out);
        }

        /* binds: read-only, writable, escaping symlinks, /dev/shm shared */
        {
                char *argv[] = {"sh", "-c",
                                "cat /ro/file; touch /ro/x 2>&1; "
                                "echo data > /pod-data/f; cat /escape/sub/hostro-copy; "
                                "ls /podctl-escape-test /rootlink-dst; echo s > /dev/shm/s",
                                NULL};
                _cleanup_free_ char *ro = path_in("hostro");
                _cleanup_free_ char *vol = path_in("hostvol");
                _cleanup_free_ char *rofile = path_in("hostro/file");
                struct pc_bind binds[] = {
                    {.source = ro, .destination = "/ro", .read_only = true, .what = "ro"},
                    {.source = vol, .destination = "/pod-data", .what = "volume \"data\""},
                    {.source = rofile,
                     .destination = "/escape/sub/hostro-copy",
                     .read_only = true,
                     .what = "esc"},
                    {.source = vol, .destination = "/up/podctl-escape-test", .what = "up"},
                    {.source = vol, .destination = "/rootlink/rootlink-dst", .what = "rl"},
                };
                struct pc_container_plan p = make_plan(argv);
                p.binds = binds;
                p.n_binds = PC_ARRAY_SIZE(binds);
                if (run(&p, &out, &st, &err) < 0)
                        fprintf(stderr, "binds: %s\n", err.msg);
                CHECK(out != NULL);
                CHECK_CONTAINS(out, "ro\n");
                CHECK_CONTAINS(out, "Read-only file system");
                _cleanup_free_ char *f = path_in("hostvol/f");
                char *data = NULL;
                CHECK(pc_read_file(f, &data, NULL, &err) == 0);
                CHECK_STR(data, "data\n");
                free(data);
                CHECK_CONTAINS(out, "Read-only file system\nro\n"); /* hostro-copy */
                CHECK_CONTAINS(out, "/podctl-escape-test:\nf\n");
                CHECK_CONTAINS(out, "/rootlink-dst:\nf\n");
                /* nothing created on the host through the symlinks */
                _cleanup_free_ char *ss = path_in("secret/sub");
                CHECK(!exists(ss));
                CHECK(!exists("/podctl-escape-test"));
                CHECK(!exists("/rootlink-dst"));
                _cleanup_free_ char *inside = pc_xasprintf("%s%s/secret/sub", p.upper_dir, base);
                CHECK(exists(inside));
                _cleanup_free_ char *shm = path_in("shm/s");
                CHECK(exists(shm));
                free(out);
        }

        /* fds: only 0,1,2 */
        out = sh("ls /proc/$$/fd; true", false, &st);
        CHECK_STR(out, "0\n1\n2\n");
        free(out);

        /* capabilities: the default set, and none for a non-root user */
        out = sh("grep -E 'Cap(Eff|Bnd|Inh|Amb)' /proc/self/status", false, &st);
        CHECK_CONTAINS(out, "CapInh:\t0000000000000000\n");
        CHECK_CONTAINS(out, "CapEff:\t00000000a80425fb\n");
        CHECK_CONTAINS(out, "CapBnd:\t00000000a80425fb\n");
        CHECK_CONTAINS(out, "CapAmb:\t0000000000000000\n");
        free(out);
        {
                char *argv[] = {"sh", "-c", "id -u; id -g; id -G; grep CapEff /proc/self/status",
                                NULL};
                struct pc_container_plan p = make_plan(argv);
                p.user = "nobody";
                CHECK(run(&p, &out, &st, &err) == 0);
                CHECK_STR(out, "65534\n65534\n65534 50\nCapEff:\t0000000000000000\n");
                free(out);
        }
        {
                char *argv[] = {"sh", "-c", "grep CapEff /proc/self/status; pwd", NULL};
                struct pc_container_plan p = make_plan(argv);
                p.privileged = true;
                p.sec.caps = pc_caps_all();
                p.cwd = "/work/dir"; /* created */
                p.rootfs_read_only = true;
                CHECK(run(&p, &out, &st, &err) == 0);
                CHECK(out && !strstr(out, "a80425fb") && strstr(out, "\n/work/dir\n"));
                free(out);
                char *argv2[] = {"sh", "-c", "touch /x 2>&1", NULL};
                p = make_plan(argv2);
                p.rootfs_read_only = true;
                CHECK(run(&p, &out, &st, &err) == 0);
                CHECK_CONTAINS(out, "Read-only file system");
                free(out);
        }

        /* errors name the container and the cause; the child is reaped */
        {
                char *argv[] = {"/bin/nope", NULL};
                struct pc_container_plan p = make_plan(argv);
                CHECK(run(&p, &out, &st, &err) < 0);
                CHECK_STR(err.msg, "container \"web\": exec \"/bin/nope\": No such file or "
                                   "directory");
                char *argv2[] = {"nope", NULL};
                p = make_plan(argv2);
                CHECK(run(&p, &out, &st, &err) < 0);
                CHECK_CONTAINS(err.msg, "container \"web\": exec \"nope\"");
                char *argv3[] = {"true", NULL};
                p = make_plan(argv3);
                p.cwd = "/etc/passwd";
                CHECK(run(&p, &out, &st, &err) < 0);
                CHECK_STR(err.msg,
                          "container \"web\": workingDir \"/etc/passwd\": Not a directory");
                struct pc_bind b = {.source = "/nonexistent/podctl",
                                    .destination = "/pod-data",
                                    .what = "volume \"data\""};
                p = make_plan(argv3);
                p.binds = &b;
                p.n_binds = 1;
                CHECK(run(&p, &out, &st, &err) < 0);
                CHECK_CONTAINS(err.msg, "container \"web\": mount volume \"data\" at /pod-data: "
                                        "source /nonexistent/podctl: No such file or directory");
                p = make_plan(argv3);
                p.user = "ghost";
                CHECK(run(&p, &out, &st, &err) < 0);
                CHECK_CONTAINS(err.msg, "container \"web\": user \"ghost\"");
                /* no zombie left: only pause is our child */
                CHECK(waitpid(-1, NULL, WNOHANG) == 0);
        }

        /* exec into a running container */
        {
                char *argv[] = {"sleep", "1000", NULL};
                struct pc_container_plan p = make_plan(argv);
                pid_t cpid = -1;
                if (pc_container_start(&p, NULL, NULL, &cpid, &err) < 0) {
                        fprintf(stderr, "%s\n", err.msg);
                        CHECK(!"long-running container");
                } else {
                        own(cpid);
                        char *eargv[] = {"sh", "-c", "cat /etc/layer; test -e /newfile; exit 7",
                                         NULL};
                        int pfd[2];
                        CHECK(pipe2(pfd, O_CLOEXEC) == 0);
                        struct pc_exec_plan ep = {.target = cpid,
                                                  .argv = eargv,
                                                  .cwd = "/etc",
                                                  .stdin_fd = -1,
                                                  .stdout_fd = pfd[1],
                                                  .stderr_fd = 2};
                        pid_t epid = -1, seen = -1;
                        int rec[2];
                        CHECK(pipe2(rec, O_CLOEXEC) == 0);
                        ep.on_child = send_on_child;
                        ep.on_child_data = &rec[1];
                        CHECK(pc_exec_start(&ep, &epid, &err) == 0);
                        close(rec[1]);
                        CHECK(read(rec[0], &seen, sizeof(seen)) == (ssize_t)sizeof(seen));
                        close(rec[0]);
                        /* called in the child, with its pid in the container's PID
                         * namespace (what a cgroup.procs write from there takes) */
                        CHECK(seen > 0 && seen != epid && seen == ns_pid(epid));
                        ep.on_child = NULL;
                        close(pfd[1]);
                        char buf[64] = "";
                        ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);
                        buf[n > 0 ? n : 0] = '\0';
                        close(pfd[0]);
                        CHECK_STR(buf, "top\n");
                        int est = 0;
                        CHECK(epid > 0 && waitpid(epid, &est, 0) == epid);
                        CHECK(WIFEXITED(est) && WEXITSTATUS(est) == 7);

                        char *nargv[] = {"nope-cmd", NULL};
                        ep.argv = nargv;
                        ep.stdout_fd = -1;
                        CHECK(pc_exec_start(&ep, &epid, &err) < 0);
                        CHECK_CONTAINS(err.msg, "exec \"nope-cmd\"");
                        CHECK(waitpid(-1, NULL, WNOHANG) == 0);

                        /* PID namespace: the exec'd process sees the container as PID 1 */
                        char *pargv[] = {"sh", "-c", "exit $(cat /proc/1/comm | grep -c sleep)",
                                         NULL};
                        ep.argv = pargv;
                        CHECK(pc_exec_start(&ep, &epid, &err) == 0);
                        CHECK(epid > 0 && waitpid(epid, &est, 0) == epid);
                        CHECK(WIFEXITED(est) && WEXITSTATUS(est) == 1);
                }
        }

out:
        kill_all();
        pc_sandbox_release(&sb);
        pc_sandbox_release(&sb); /* twice is fine */
        for (size_t i = 0; i < PC_ARRAY_SIZE(lowers); i++)
                free(lowers[i]);
        /* the containers' mounts lived in their own namespaces only */
        _cleanup_free_ char *mounts_after = mountinfo_snapshot();
        CHECK_STR(mounts_after, mounts_before);
        CHECK(pc_rm_rf(base, &err) == 0);
        UNIT_DONE();
}
