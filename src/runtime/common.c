#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include "util/fdpass.h"
#include "util/util.h"

/* pid_for_children is opened again each call, not kept as own_pidns keeps
 * it: this path serves multi-threaded callers (the CRI server's threads),
 * each with its own thread-self namespace state, and a static fd would be a
 * race. */
pid_t pc_rt_fork(enum pc_rt_pidns how, int join_fd, pc_error *err)
{
        _cleanup_close_ int saved = -1;

        if (how != PC_RT_PIDNS_KEEP) {
                saved = open("/proc/thread-self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
                if (saved < 0)
                        return pc_fail(err, errno, "open /proc/thread-self/ns/pid_for_children");
                if (how == PC_RT_PIDNS_NEW && unshare(CLONE_NEWPID) < 0)
                        return pc_fail(err, errno, "unshare(CLONE_NEWPID)");
                if (how == PC_RT_PIDNS_JOIN && setns(join_fd, CLONE_NEWPID) < 0)
                        return pc_fail(err, errno, "join PID namespace");
        }
        pid_t pid = fork();
        int e = errno;
        if (pid == 0)
                return 0;
        if (saved >= 0 && setns(saved, CLONE_NEWPID) < 0) {
                /* Cannot happen as root (our own namespace); never leave the
                 * thread forking into the wrong namespace silently. */
                e = errno;
                if (pid > 0)
                        pc_pid_killp(&pid);
                return pc_fail(err, e, "restore pid_for_children namespace");
        }
        if (pid < 0)
                return pc_fail(err, e, "fork");
        return pid;
}

/* The child's stack: the child's frames (setup_exec's PATH_MAX buffer, an
 * error record, libcap) need a few pages; a guard page below. */
#define SPAWN_STACK (256 * 1024)

static bool single_threaded(void)
{
        struct stat st;
        /* procfs: a task directory's link count is its threads + 2 */
        return stat("/proc/self/task", &st) == 0 && st.st_nlink == 3;
}

/* Mapped at the first spawn and kept: the caller is single-threaded and
 * suspended while a child runs on it, so one stack serves every spawn. An
 * munmap after each would cost more than the spawn's clone (a TLB flush on
 * every CPU the child ran on; docs/PERFORMANCE.md "Probes"); the pages it
 * touched stay, a few kB. */
static void *spawn_stack(pc_error *err)
{
        static void *stack;
        if (stack)
                return stack;
        void *s = mmap(NULL, SPAWN_STACK, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
        if (s == MAP_FAILED) {
                pc_fail(err, errno, "mmap a stack for the child");
                return NULL;
        }
        if (mprotect(s, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE) < 0) {
                pc_fail(err, errno, "mprotect the child's guard page");
                munmap(s, SPAWN_STACK);
                return NULL;
        }
        return stack = s;
}

/* Our own PID namespace, to return pid_for_children to: opened once and
 * kept (CLOEXEC). A forked child that closed its fds may hold the number
 * for something else: checked by identity (one fstat) before each use. */
static int own_pidns(pc_error *err)
{
        static int fd = -1;
        static struct stat id;
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == id.st_dev && st.st_ino == id.st_ino)
                return fd;
        int n = open("/proc/thread-self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
        if (n < 0 || fstat(n, &id) < 0) {
                int e = errno;
                if (n >= 0)
                        close(n);
                fd = -1;
                return pc_fail(err, e, "open /proc/thread-self/ns/pid_for_children");
        }
        return fd = n;
}

pid_t pc_rt_spawn(enum pc_rt_pidns how, int join_fd, int (*fn)(void *), void *arg, pc_error *err)
{
        bool vfork = single_threaded();
#if defined(__SANITIZE_ADDRESS__)
        vfork = false; /* ASan's shadow of a stack it does not know */
#endif
        if (!vfork) {
                pid_t pid = pc_rt_fork(how, join_fd, err);
                if (pid == 0) {
                        fn(arg); /* execs or _exits */
                        _exit(127);
                }
                return pid;
        }
        void *stack = spawn_stack(err);
        if (!stack)
                return -1;
        int saved = -1;
        if (how != PC_RT_PIDNS_KEEP) {
                saved = own_pidns(err);
                if (saved < 0)
                        return -1;
                /* join_fd: a namespace file or the target's pidfd */
                if ((how == PC_RT_PIDNS_NEW && unshare(CLONE_NEWPID) < 0) ||
                    (how == PC_RT_PIDNS_JOIN && setns(join_fd, CLONE_NEWPID) < 0))
                        return pc_fail(err, errno, "%s PID namespace",
                                       how == PC_RT_PIDNS_NEW ? "unshare a" : "join the");
        }
        pid_t pid = clone(fn, (char *)stack + SPAWN_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, arg);
        /* here the child has exec'd or exited: its stack is free again */
        int e = errno;
        if (saved >= 0 && setns(saved, CLONE_NEWPID) < 0) {
                e = errno;
                if (pid > 0)
                        pc_pid_killp(&pid);
                return pc_fail(err, e, "restore pid_for_children namespace");
        }
        if (pid < 0)
                return pc_fail(err, e, "clone");
        return pid;
}

int pc_rt_sync_pair(int sv[2], pc_error *err)
{
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return pc_fail(err, errno, "socketpair");
        return 0;
}

static void kill_reap(pid_t pid)
{
        pc_pid_killp(&pid);
}

static int parent_wait(int parent_fd, pid_t pid, int *fd_out, pc_error *err);

int pc_rt_parent_run_fd(int parent_fd, pid_t pid, pc_on_child_fn on_child, void *data, int *fd_out,
                        pc_error *err)
{
        if (fd_out)
                *fd_out = -1;
        if (on_child && on_child(pid, data, err) < 0) {
                kill_reap(pid);
                return -1;
        }
        char go = 'g';
        if (send(parent_fd, &go, 1, MSG_NOSIGNAL) != 1) {
                int e = errno;
                kill_reap(pid);
                return pc_fail(err, e, "start child");
        }
        return parent_wait(parent_fd, pid, fd_out, err);
}

int pc_rt_parent_run(int parent_fd, pid_t pid, pc_on_child_fn on_child, void *data, pc_error *err)
{
        return pc_rt_parent_run_fd(parent_fd, pid, on_child, data, NULL, err);
}

int pc_rt_parent_wait(int parent_fd, pid_t pid, pc_error *err)
{
        return parent_wait(parent_fd, pid, NULL, err);
}

/* EOF: the CLOEXEC end closed by a successful execve; an error record; or,
 * when fd_out is given, one 'F' message carrying an fd first. */
static int parent_wait(int parent_fd, pid_t pid, int *fd_out, pc_error *err)
{
        pc_error rec;
        for (;;) {
                int got;
                ssize_t n = pc_recvmsg_fd(parent_fd, &rec, sizeof(rec), &got, 0);
                if (n == 1 && got >= 0 && fd_out && *fd_out < 0) {
                        *fd_out = got;
                        continue;
                }
                if (got >= 0)
                        close(got);
                if (n == 0)
                        return 0;
                if (fd_out && *fd_out >= 0) {
                        close(*fd_out);
                        *fd_out = -1;
                }
                if (n < 0) {
                        int e = errno;
                        kill_reap(pid);
                        return pc_fail(err, e, "read from child");
                }
                kill_reap(pid);
                if ((size_t)n != sizeof(rec))
                        return pc_fail(err, EPROTO, "short error record from child");
                rec.msg[sizeof(rec.msg) - 1] = '\0';
                err->code = rec.code;
                memcpy(err->msg, rec.msg, sizeof(err->msg));
                return -1;
        }
}

int pc_rt_child_send_fd(int child_fd, int fd, pc_error *err)
{
        if (pc_sendmsg_fd(child_fd, "F", 1, fd, 0) != 1)
                return pc_fail(err, errno, "send the terminal to the monitor");
        return 0;
}

void pc_rt_child_wait_go(int child_fd)
{
        char go;
        ssize_t n;
        do
                n = recv(child_fd, &go, 1, 0);
        while (n < 0 && errno == EINTR);
        if (n != 1)
                _exit(127);
}

void pc_rt_child_fail(int child_fd, const pc_error *err)
{
        (void)!send(child_fd, err, sizeof(*err), MSG_NOSIGNAL);
        _exit(127);
}

int pc_rt_child_fd_high(int fd, pc_error *err)
{
        if (fd < 0 || fd > 2)
                return fd;
        int n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (n < 0)
                return pc_fail(err, errno, "dup fd %d", fd);
        close(fd);
        return n;
}

void pc_rt_child_reset_signals(void)
{
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_DFL;
        sigemptyset(&sa.sa_mask);
        for (int sig = 1; sig < NSIG; sig++)
                (void)sigaction(sig, &sa, NULL); /* EINVAL for SIGKILL/SIGSTOP/glibc's */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

int pc_rt_child_stdio(int in, int out, int err_fd, int devnull_fd, int keep_fd, pc_error *err)
{
        int src[3] = {in, out, err_fd};
        int tmp[3] = {-1, -1, -1};

        for (int i = 0; i < 3; i++) {
                int fd = src[i] >= 0 ? src[i] : devnull_fd;
                if (fd < 0)
                        continue; /* inherit */
                tmp[i] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                if (tmp[i] < 0)
                        return pc_fail(err, errno, "stdio: dup fd %d", fd);
        }
        for (int i = 0; i < 3; i++) {
                if (tmp[i] < 0)
                        continue;
                if (dup2(tmp[i], i) < 0) /* dup2 leaves FD_CLOEXEC clear */
                        return pc_fail(err, errno, "stdio: dup2 to %d", i);
        }
        /* 0,1,2 must not be CLOEXEC even when inherited. */
        for (int i = 0; i < 3; i++) {
                int fl = fcntl(i, F_GETFD);
                if (fl >= 0 && (fl & FD_CLOEXEC))
                        fcntl(i, F_SETFD, fl & ~FD_CLOEXEC);
        }
        pc_close_fds_from(3, keep_fd);
        return 0;
}

static const cap_value_t default_caps[] = {
    CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,
    CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,           CAP_SETUID,
    CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
    CAP_KILL,    CAP_AUDIT_WRITE,
};

uint64_t pc_caps_default(void)
{
        uint64_t m = 0;
        for (size_t i = 0; i < PC_ARRAY_SIZE(default_caps); i++)
                m |= UINT64_C(1) << default_caps[i];
        return m;
}

uint64_t pc_caps_all(void)
{
        int max = (int)cap_max_bits(); /* the running kernel's */
        return max >= 64 ? UINT64_MAX : (UINT64_C(1) << max) - 1;
}

static int drop_bounding(uint64_t keep, pc_error *err)
{
        cap_value_t max = (cap_value_t)cap_max_bits();
        for (cap_value_t c = 0; c < max; c++) {
                if (c < 64 && (keep >> c) & 1)
                        continue;
                if (cap_drop_bound(c) < 0 && errno != EINVAL)
                        return pc_fail(err, errno, "drop capability %d from bounding set", c);
        }
        return 0;
}

/* effective = permitted = `set`, inheritable and ambient empty. */
static int set_caps(uint64_t set, pc_error *err)
{
        cap_t caps = cap_init(); /* all clear */
        if (!caps)
                return pc_fail(err, errno, "cap_init");
        cap_value_t list[64];
        int n = 0;
        for (cap_value_t c = 0; c < 64; c++)
                if ((set >> c) & 1)
                        list[n++] = c;
        if (n && (cap_set_flag(caps, CAP_EFFECTIVE, n, list, CAP_SET) < 0 ||
                  cap_set_flag(caps, CAP_PERMITTED, n, list, CAP_SET) < 0)) {
                int e = errno;
                cap_free(caps);
                return pc_fail(err, e, "cap_set_flag");
        }
        if (cap_set_proc(caps) < 0) {
                int e = errno;
                cap_free(caps);
                return pc_fail(err, e, "set capabilities");
        }
        cap_free(caps);
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return pc_fail(err, errno, "clear ambient capabilities");
        return 0;
}

int pc_rt_child_identity(uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups, uint64_t caps,
                         pc_error *err)
{
        /* Never more than this process has (a host may withhold some, e.g.
         * CAP_SYS_RESOURCE): what is not in our bounding set cannot be given. */
        caps &= pc_caps_all();
        for (cap_value_t c = 0; c < 64; c++)
                if ((caps >> c) & 1 && cap_get_bound(c) != 1)
                        caps &= ~(UINT64_C(1) << c);
        if (drop_bounding(caps, err) < 0)
                return -1;
        /* The primary group is a supplementary group too, first, as containerd
         * sets it (ensureAdditionalGids): `id` shows groups=GID,... */
        bool has_gid = false;
        for (size_t i = 0; i < n_groups; i++)
                has_gid |= groups[i] == gid;
        _cleanup_free_ gid_t *all = pc_xcalloc(n_groups + 1, sizeof(gid_t));
        size_t n_all = 0;
        if (!has_gid)
                all[n_all++] = gid;
        for (size_t i = 0; i < n_groups; i++)
                all[n_all++] = groups[i];
        if (setgroups(n_all, all) < 0)
                return pc_fail(err, errno, "setgroups");
        if (setresgid(gid, gid, gid) < 0)
                return pc_fail(err, errno, "setgid %u", (unsigned)gid);
        if (setresuid(uid, uid, uid) < 0)
                return pc_fail(err, errno, "setuid %u", (unsigned)uid);
        /* uid 0 keeps the set; another uid runs with none (execve would
         * clear them anyway), bounded by it for setuid binaries. */
        return set_caps(uid == 0 ? caps : 0, err);
}

int pc_rt_child_seal(const struct pc_proc_sec *sec, bool late, pc_error *err)
{
        const char *apparmor = sec->apparmor;
        bool no_new_privs = sec->no_new_privs;
        const struct pc_seccomp *seccomp = sec->seccomp;
        if (!late && apparmor) {
                /* AppArmor's change_onexec: the profile applies at execve. */
                _cleanup_close_ int fd =
                    open("/proc/thread-self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
                if (fd < 0)
                        fd = open("/proc/thread-self/attr/exec", O_WRONLY | O_CLOEXEC);
                _cleanup_free_ char *cmd = pc_xasprintf("exec %s", apparmor);
                if (fd < 0 || write(fd, cmd, strlen(cmd)) < 0)
                        return pc_fail(err, errno, "set AppArmor profile \"%s\"", apparmor);
        }
        if (late && no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return pc_fail(err, errno, "set no_new_privs");
        /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: before
         * the capabilities are dropped (early); with it, as late as possible. */
        if (seccomp && late == no_new_privs && pc_seccomp_load(seccomp, err) < 0)
                return -1;
        return 0;
}

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static bool is_executable(const char *p)
{
        struct stat st;
        return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

int pc_rt_child_lookup(const char *argv0, char *const *envp, char *out, size_t outlen,
                       pc_error *err)
{
        if (!argv0 || !*argv0)
                return pc_fail(err, EINVAL, "exec: empty command");
        if (strchr(argv0, '/')) {
                if ((size_t)snprintf(out, outlen, "%s", argv0) >= outlen)
                        return pc_fail(err, ENAMETOOLONG, "exec \"%s\"", argv0);
                return 0;
        }
        const char *path = DEFAULT_PATH;
        for (size_t i = 0; envp && envp[i]; i++)
                if (pc_str_has_prefix(envp[i], "PATH="))
                        path = envp[i] + 5;
        const char *p = path;
        for (;;) {
                const char *end = strchrnul(p, ':');
                int dlen = (int)(end - p);
                int n = dlen ? snprintf(out, outlen, "%.*s/%s", dlen, p, argv0)
                             : snprintf(out, outlen, "./%s", argv0);
                if (n > 0 && (size_t)n < outlen && is_executable(out))
                        return 0;
                if (!*end)
                        break;
                p = end + 1;
        }
        return pc_fail(err, ENOENT, "exec \"%s\": not found in PATH %s", argv0, path);
}
