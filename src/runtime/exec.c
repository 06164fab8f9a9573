/* `podctl exec`: a process in the namespaces of a running container. */
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/fsroot.h"
#include "runtime/internal.h"
#include "util/util.h"

/* The command's stdio as chosen by pc_exec_start (the plan's fds, or the pty
 * slave for all three). */
struct exec_stdio {
        int in, out, err;
        bool tty;
};

/* The target's namespaces: its pidfd (setns(2) joins several at once from
 * a pidfd, Linux 5.8; from its opening on, a recycled pid cannot be joined
 * by mistake) and, when it is not ours, its user namespace. */
struct exec_ns {
        int pidfd;
        int userns; /* -1: the target shares ours */
};

/* ipc, uts, net, cgroup and mnt, joined in one call (mnt last: the kernel
 * switches root and cwd to the mount namespace's root). */
#define EXEC_NS_FLAGS (CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWNS)

static int setup_exec(const struct pc_exec_plan *plan, const struct exec_stdio *io,
                      const struct exec_ns *ns, int sync_fd, pc_error *err)
{
        if (plan->cgroup_procs && pc_write_file(plan->cgroup_procs, "0", err) < 0)
                return pc_error_prefix(err, "join cgroup");
        if (setns(ns->pidfd, EXEC_NS_FLAGS) < 0)
                return pc_fail(err, errno, "join the namespaces of pid %d", (int)plan->target);
        /* the user namespace last (hostUsers: false): the others belong to
         * it, and joining them needs the host's privileges */
        if (ns->userns >= 0 && pc_userns_join(ns->userns, err) < 0)
                return -1;
        const char *cwd = plan->cwd && *plan->cwd ? plan->cwd : "/";
        if (chdir(cwd) < 0)
                return pc_fail(err, errno, "workingDir \"%s\"", cwd);
        if (pc_rt_child_seal(&plan->sec, false, err) < 0 ||
            pc_rt_child_identity(plan->uid, plan->gid, plan->groups, plan->n_groups, plan->sec.caps,
                                 err) < 0)
                return -1;
        if (!plan->argv || !plan->argv[0])
                return pc_fail(err, EINVAL, "exec: no command");
        char exe[PATH_MAX];
        if (pc_rt_child_lookup(plan->argv[0], plan->envp, exe, sizeof(exe), err) < 0)
                return -1;
        /* -1 means inherit here (not /dev/null). */
        if (pc_rt_child_stdio(io->in, io->out, io->err, -1, sync_fd, err) < 0)
                return -1;
        /* A terminal: a new session whose controlling terminal is the slave, so
         * the line discipline turns ^C into SIGINT for the command's foreground
         * process group and a hangup of the master into SIGHUP. */
        if (io->tty) {
                if (setsid() < 0)
                        return pc_fail(err, errno, "setsid");
                if (ioctl(0, TIOCSCTTY, 0) < 0)
                        return pc_fail(err, errno, "make the terminal the controlling terminal");
        }
        umask(022);
        pc_rt_child_reset_signals();
        if (pc_rt_child_seal(&plan->sec, true, err) < 0)
                return -1;
        char *empty[] = {NULL};
        execve(exe, plan->argv, plan->envp ? plan->envp : empty);
        return pc_fail(err, errno, "exec \"%s\"", exe);
}

/* What the exec child reads: the caller's memory, shared (pc_rt_spawn). */
struct exec_child {
        const struct pc_exec_plan *plan;
        const struct exec_stdio *io;
        const struct exec_ns *ns;
        int child_fd, parent_fd;
};

static int exec_child_main(void *arg)
{
        const struct exec_child *a = arg;
        pc_error cerr;
        pc_error_clear(&cerr);
        close(a->parent_fd);
        pc_rt_child_reset_signals();
        int fd = pc_rt_child_fd_high(a->child_fd, &cerr);
        if (fd < 0)
                _exit(127);
        /* The child joins the container's cgroup itself, first: its parent
         * is suspended until it execs (pc_rt_spawn). */
        if (a->plan->on_child && a->plan->on_child(getpid(), a->plan->on_child_data, &cerr) < 0)
                pc_rt_child_fail(fd, &cerr);
        setup_exec(a->plan, a->io, a->ns, fd, &cerr);
        pc_rt_child_fail(fd, &cerr);
}

static int exec_fork(const struct pc_exec_plan *plan, const struct exec_stdio *io,
                     const struct exec_ns *ns, pid_t *pid_out, pc_error *err)
{
        int sv[2];
        if (pc_rt_sync_pair(sv, err) < 0)
                return -1;
        _cleanup_close_ int parent_fd = sv[0];
        _cleanup_close_ int child_fd = sv[1];
        /* The child is started straight into the target's PID namespace (the
         * pid_for_children switch), so it is our direct child and its exit
         * status reaches waitpid. */
        struct exec_child a = {plan, io, ns, child_fd, parent_fd};
        pid_t pid = pc_rt_spawn(PC_RT_PIDNS_JOIN, ns->pidfd, exec_child_main, &a, err);
        if (pid < 0) {
                pc_error_prefix(err, "exec in pid %d", (int)plan->target);
                return -1;
        }
        close(STEAL_FD(child_fd));
        if (pc_rt_parent_wait(parent_fd, pid, err) < 0)
                return -1;
        *pid_out = pid;
        return 0;
}

/* A pty pair of the target's devpts instance. Opening /dev/ptmx through the
 * container's root (RESOLVE_IN_ROOT: its /dev/ptmx -> pts/ptmx symlink, or
 * whatever the image did to it, cannot lead to the host's) allocates the pty
 * in the devpts mounted at the container's /dev/pts, so inside the container
 * the slave is /dev/pts/N of its own /dev/pts (`tty` and ttyname() work) and
 * the host's devpts is never involved. The slave comes from TIOCGPTPEER:
 * no path lookup in a directory the container controls. */
static int open_pty(const struct pc_exec_plan *plan, int *master_out, int *slave_out, pc_error *err)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/root", (int)plan->target);
        _cleanup_close_ int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return pc_fail(err, errno, "open %s", path);
        /* Looked at before it is opened: opening whatever device node the
         * container put there could have effects of its own. */
        _cleanup_close_ int ptmx = pc_fsroot_open(root, "/dev/ptmx", O_PATH, err);
        if (ptmx < 0)
                return pc_error_prefix(err, "allocate a terminal");
        struct stat st;
        if (fstat(ptmx, &st) < 0)
                return pc_fail(err, errno, "allocate a terminal: stat /dev/ptmx");
        if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2)
                return pc_fail(err, ENOTTY,
                               "allocate a terminal: the container's /dev/ptmx is "
                               "not the pty multiplexer");
        snprintf(path, sizeof(path), "/proc/self/fd/%d", ptmx);
        _cleanup_close_ int master = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (master < 0)
                return pc_fail(err, errno, "allocate a terminal: open /dev/ptmx");
        int unlock = 0;
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                return pc_fail(err, errno, "allocate a terminal: unlock the pty");
        _cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return pc_fail(err, errno, "allocate a terminal: open the pty's slave");
        /* Like grantpt(): the terminal belongs to the user of the command (the
         * group stays devpts' gid=5, "tty"). */
        if (fchown(slave, plan->uid, (gid_t)-1) < 0)
                return pc_fail(err, errno, "allocate a terminal: chown the pty");
        if (plan->tty_rows || plan->tty_cols) {
                struct winsize ws = {.ws_row = plan->tty_rows, .ws_col = plan->tty_cols};
                if (ioctl(master, TIOCSWINSZ, &ws) < 0)
                        return pc_fail(err, errno, "allocate a terminal: set the window size");
        }
        *master_out = STEAL_FD(master);
        *slave_out = STEAL_FD(slave);
        return 0;
}

/* Whether fd is the user namespace we are in (ours looked up once). */
static bool our_userns(int fd)
{
        static struct stat mine;
        struct stat st;
        if (!mine.st_ino && stat("/proc/self/ns/user", &mine) < 0)
                return false;
        return fstat(fd, &st) == 0 && st.st_ino == mine.st_ino && st.st_dev == mine.st_dev;
}

int pc_exec_start(const struct pc_exec_plan *plan, pid_t *pid_out, pc_error *err)
{
        *pid_out = -1;
        if (plan->tty && !plan->pty_master)
                return pc_fail(err, EINVAL,
                               "exec: a terminal needs somewhere to return its master");
        if (plan->tty)
                *plan->pty_master = -1;
        _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, plan->target, 0);
        if (pidfd < 0)
                return pc_fail(err, errno, "exec in pid %d", (int)plan->target);
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)plan->target);
        _cleanup_close_ int userns = open(path, O_RDONLY | O_CLOEXEC);
        if (userns < 0)
                return pc_fail(err, errno, "exec in pid %d: open %s", (int)plan->target, path);
        if (our_userns(userns))
                close(STEAL_FD(userns));
        /* still the process the pidfd names: the /proc path above was not
         * a recycled pid's */
        if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
                return pc_fail(err, errno, "exec in pid %d", (int)plan->target);
        struct exec_ns ns = {pidfd, userns};
        _cleanup_close_ int master = -1;
        _cleanup_close_ int slave = -1;
        struct exec_stdio io = {plan->stdin_fd, plan->stdout_fd, plan->stderr_fd, false};
        if (plan->tty) {
                if (open_pty(plan, &master, &slave, err) < 0)
                        return -1;
                io = (struct exec_stdio){slave, slave, slave, true};
        }
        if (exec_fork(plan, &io, &ns, pid_out, err) < 0)
                return -1;
        if (plan->tty)
                *plan->pty_master = STEAL_FD(master);
        return 0;
}
