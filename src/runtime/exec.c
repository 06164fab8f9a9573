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

struct target_ns {
        int fd;
        int type;
        const char *name;
};

static int setup_exec(const struct pc_exec_plan *plan, const struct exec_stdio *io,
                      struct target_ns *ns, size_t n_ns, int sync_fd, pc_error *err)
{
        if (plan->cgroup_procs && pc_write_file(plan->cgroup_procs, "0", err) < 0)
                return pc_error_prefix(err, "join cgroup");
        /* ipc, uts, net, then mnt last: it changes root and cwd. */
        for (size_t i = 0; i < n_ns; i++) {
                if (ns[i].fd < 0)
                        continue;
                if (ns[i].type == CLONE_NEWUSER) {
                        if (pc_userns_join(ns[i].fd, err) < 0)
                                return -1;
                        continue;
                }
                if (setns(ns[i].fd, ns[i].type) < 0)
                        return pc_fail(err, errno, "join %s namespace of pid %d", ns[i].name,
                                       (int)plan->target);
        }
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
        struct target_ns *ns;
        size_t n_ns;
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
        setup_exec(a->plan, a->io, a->ns, a->n_ns, fd, &cerr);
        pc_rt_child_fail(fd, &cerr);
}

static int exec_fork(const struct pc_exec_plan *plan, const struct exec_stdio *io, int pidns,
                     struct target_ns *ns, size_t n_ns, pid_t *pid_out, pc_error *err)
{
        int sv[2];
        if (pc_rt_sync_pair(sv, err) < 0)
                return -1;
        _cleanup_close_ int parent_fd = sv[0];
        _cleanup_close_ int child_fd = sv[1];
        /* The child is started straight into the target's PID namespace (the
         * pid_for_children switch), so it is our direct child and its exit
         * status reaches waitpid. */
        struct exec_child a = {plan, io, ns, n_ns, child_fd, parent_fd};
        pid_t pid = pc_rt_spawn(PC_RT_PIDNS_JOIN, pidns, exec_child_main, &a, err);
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

static bool same_ns(int fd, const char *mine)
{
        struct stat a, b;
        return fstat(fd, &a) == 0 && stat(mine, &b) == 0 && a.st_ino == b.st_ino &&
               a.st_dev == b.st_dev;
}

int pc_exec_start(const struct pc_exec_plan *plan, pid_t *pid_out, pc_error *err)
{
        *pid_out = -1;
        if (plan->tty && !plan->pty_master)
                return pc_fail(err, EINVAL,
                               "exec: a terminal needs somewhere to return its master");
        if (plan->tty)
                *plan->pty_master = -1;
        static const struct {
                const char *name;
                int type;
        } names[] = {
            {"ipc", CLONE_NEWIPC},
            {"uts", CLONE_NEWUTS},
            {"net", CLONE_NEWNET},
            {"cgroup", CLONE_NEWCGROUP},
            {"mnt", CLONE_NEWNS},
            {"user", CLONE_NEWUSER}, /* last: hostUsers: false; skipped when it is ours */
        };
        struct target_ns ns[PC_ARRAY_SIZE(names)];
        _cleanup_close_ int pidns = -1;
        _cleanup_close_ int master = -1;
        _cleanup_close_ int slave = -1;
        struct exec_stdio io = {plan->stdin_fd, plan->stdout_fd, plan->stderr_fd, false};
        char path[64];
        int r = -1;

        for (size_t i = 0; i < PC_ARRAY_SIZE(ns); i++)
                ns[i].fd = -1;
        snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)plan->target);
        pidns = open(path, O_RDONLY | O_CLOEXEC);
        if (pidns < 0) {
                pc_fail(err, errno, "exec in pid %d: open %s", (int)plan->target, path);
                goto out;
        }
        for (size_t i = 0; i < PC_ARRAY_SIZE(ns); i++) {
                ns[i].name = names[i].name;
                ns[i].type = names[i].type;
                snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)plan->target, names[i].name);
                ns[i].fd = open(path, O_RDONLY | O_CLOEXEC);
                if (ns[i].fd < 0) {
                        pc_fail(err, errno, "exec in pid %d: open %s", (int)plan->target, path);
                        goto out;
                }
                if (names[i].type == CLONE_NEWUSER && same_ns(ns[i].fd, "/proc/self/ns/user")) {
                        close(ns[i].fd);
                        ns[i].fd = -1;
                }
        }

        if (plan->tty) {
                if (open_pty(plan, &master, &slave, err) < 0)
                        goto out;
                io = (struct exec_stdio){slave, slave, slave, true};
        }
        r = exec_fork(plan, &io, pidns, ns, PC_ARRAY_SIZE(ns), pid_out, err);
        if (r == 0 && plan->tty)
                *plan->pty_master = STEAL_FD(master);
out:
        for (size_t i = 0; i < PC_ARRAY_SIZE(ns); i++)
                if (ns[i].fd >= 0)
                        close(ns[i].fd);
        return r;
}
