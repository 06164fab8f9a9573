/* `podctl exec`: a process in the namespaces of a running container. */
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "util/util.h"

struct target_ns {
        int fd;
        int type;
        const char *name;
};

static int setup_exec(const struct pc_exec_plan *plan, struct target_ns *ns, size_t n_ns,
                      int sync_fd, pc_error *err)
{
        if (plan->cgroup_procs && pc_write_file(plan->cgroup_procs, "0", err) < 0)
                return pc_error_prefix(err, "join cgroup");
        /* ipc, uts, net, then mnt last: it changes root and cwd. */
        for (size_t i = 0; i < n_ns; i++)
                if (setns(ns[i].fd, ns[i].type) < 0)
                        return pc_fail(err, errno, "join %s namespace of pid %d", ns[i].name,
                                       (int)plan->target);
        const char *cwd = plan->cwd && *plan->cwd ? plan->cwd : "/";
        if (chdir(cwd) < 0)
                return pc_fail(err, errno, "workingDir \"%s\"", cwd);
        if (pc_rt_child_identity(plan->uid, plan->gid, plan->groups, plan->n_groups,
                                 plan->privileged, err) < 0)
                return -1;
        if (!plan->argv || !plan->argv[0])
                return pc_fail(err, EINVAL, "exec: no command");
        char exe[PATH_MAX];
        if (pc_rt_child_lookup(plan->argv[0], plan->envp, exe, sizeof(exe), err) < 0)
                return -1;
        /* /dev/null of the container, for stdio that was asked for as -1?
         * No: -1 means inherit here. */
        if (pc_rt_child_stdio(plan->stdin_fd, plan->stdout_fd, plan->stderr_fd, -1, sync_fd, err) <
            0)
                return -1;
        umask(022);
        pc_rt_child_reset_signals();
        char *empty[] = {NULL};
        execve(exe, plan->argv, plan->envp ? plan->envp : empty);
        return pc_fail(err, errno, "exec \"%s\"", exe);
}

static int exec_fork(const struct pc_exec_plan *plan, int pidns, struct target_ns *ns, size_t n_ns,
                     pid_t *pid_out, pc_error *err)
{
        int sv[2];
        if (pc_rt_sync_pair(sv, err) < 0)
                return -1;
        _cleanup_close_ int parent_fd = sv[0];
        _cleanup_close_ int child_fd = sv[1];
        /* The child is forked straight into the target's PID namespace (the
         * pid_for_children switch), so it is our direct child and its exit
         * status reaches waitpid. */
        pid_t pid = pc_rt_fork(PC_RT_PIDNS_JOIN, pidns, err);
        if (pid < 0) {
                pc_error_prefix(err, "exec in pid %d", (int)plan->target);
                return -1;
        }
        if (pid == 0) {
                pc_error cerr;
                pc_error_clear(&cerr);
                close(STEAL_FD(parent_fd));
                pc_rt_child_reset_signals();
                int fd = pc_rt_child_fd_high(STEAL_FD(child_fd), &cerr);
                if (fd < 0)
                        _exit(127);
                pc_rt_child_wait_go(fd);
                setup_exec(plan, ns, n_ns, fd, &cerr);
                pc_rt_child_fail(fd, &cerr);
        }
        close(STEAL_FD(child_fd));
        if (pc_rt_parent_run(parent_fd, pid, plan->on_child, plan->on_child_data, err) < 0)
                return -1;
        *pid_out = pid;
        return 0;
}

int pc_exec_start(const struct pc_exec_plan *plan, pid_t *pid_out, pc_error *err)
{
        *pid_out = -1;
        static const struct {
                const char *name;
                int type;
        } names[] = {
            {"ipc", CLONE_NEWIPC},
            {"uts", CLONE_NEWUTS},
            {"net", CLONE_NEWNET},
            {"mnt", CLONE_NEWNS},
        };
        struct target_ns ns[PC_ARRAY_SIZE(names)];
        _cleanup_close_ int pidns = -1;
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
        }

        r = exec_fork(plan, pidns, ns, PC_ARRAY_SIZE(ns), pid_out, err);
out:
        for (size_t i = 0; i < PC_ARRAY_SIZE(ns); i++)
                if (ns[i].fd >= 0)
                        close(ns[i].fd);
        return r;
}
