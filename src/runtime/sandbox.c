/* The Pod sandbox: pause, holding the Pod's namespaces. */
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "util/util.h"

static int loopback_up(pc_error *err)
{
        _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return pc_fail(err, errno, "bring lo up: socket");
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                return pc_fail(err, errno, "bring lo up: SIOCGIFFLAGS");
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                return pc_fail(err, errno, "bring lo up: SIOCSIFFLAGS");
        return 0;
}

/* The Pod's sysctls, in pause's (the caller's, once unshared) namespaces:
 * /proc/sys/net follows the opener's network namespace, kernel.shm* and
 * friends its IPC namespace. */
static int write_sysctls(const struct pc_sandbox_plan *plan, pc_error *err)
{
        for (size_t i = 0; i < plan->n_sysctls; i++) {
                const char *name = plan->sysctl_names[i];
                _cleanup_free_ char *path = pc_xasprintf("/proc/sys/%s", name);
                if (!strchr(name, '/'))
                        for (char *p = path + strlen("/proc/sys/"); *p; p++)
                                if (*p == '.')
                                        *p = '/';
                if (strstr(path, "..") || pc_write_file(path, plan->sysctl_values[i], err) < 0)
                        return pc_fail(err, err->code ? err->code : EINVAL, "set sysctl %s=%s",
                                       name, plan->sysctl_values[i]);
        }
        return 0;
}

/* pause's own mount namespace, with the Pod's /dev/shm tmpfs in it. */
static bool has_pod_mounts(const struct pc_sandbox_plan *plan)
{
        return plan->shm_dir || plan->n_tmpfs > 0;
}

static int pod_mounts(const struct pc_sandbox_plan *plan, pc_error *err)
{
        if (unshare(CLONE_NEWNS) < 0)
                return pc_fail(err, errno, "unshare mount namespace");
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return pc_fail(err, errno, "make / rslave");
        if (plan->shm_dir && mount("shm", plan->shm_dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                   "mode=1777,size=65536k") < 0)
                return pc_fail(err, errno, "mount the pod's /dev/shm tmpfs on %s", plan->shm_dir);
        for (size_t i = 0; i < plan->n_tmpfs; i++) {
                const struct pc_tmpfs *t = &plan->tmpfs[i];
                if (mount("tmpfs", t->dir, "tmpfs", t->flags, t->options) < 0)
                        return pc_fail(err, errno, "mount a tmpfs (%s) on %s", t->options, t->dir);
        }
        return 0;
}

int pc_sandbox_run_in_mounts(const struct pc_sandbox *sb, int (*fn)(void *data, pc_error *err),
                             void *data, pc_error *err)
{
        if (sb->mntns_fd < 0)
                return fn(data, err);
        int sv[2];
        if (pc_rt_sync_pair(sv, err) < 0)
                return -1;
        _cleanup_close_ int parent_fd = sv[0];
        _cleanup_close_ int child_fd = sv[1];
        pid_t pid = fork();
        if (pid < 0)
                return pc_fail(err, errno, "fork");
        if (pid == 0) {
                pc_error e;
                pc_error_clear(&e);
                close(parent_fd);
                if (setns(sb->mntns_fd, CLONE_NEWNS) < 0)
                        pc_fail(&e, errno, "join the pod's mount namespace");
                else if (fn(data, &e) == 0)
                        _exit(0);
                pc_rt_child_fail(child_fd, &e);
        }
        close(STEAL_FD(child_fd));
        pc_error rec;
        ssize_t n;
        do
                n = recv(parent_fd, &rec, sizeof(rec), 0);
        while (n < 0 && errno == EINTR);
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (n == (ssize_t)sizeof(rec)) {
                rec.msg[sizeof(rec.msg) - 1] = '\0';
                *err = rec;
                return -1;
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return pc_fail(err, EIO, "writer in the pod's mount namespace died (status %d)",
                               st);
        return 0;
}

/* pause runs in the Pod's namespaces, where (with shareProcessNamespace) the
 * containers see it as PID 1: it is exec'd from a sealed memfd copy, so
 * /proc/1/exe leads to nothing on the host that could be overwritten
 * (CVE-2019-5736). 13 KB copied per Pod. */
static int sealed_copy(const char *path, pc_error *err)
{
        _cleanup_close_ int src = open(path, O_RDONLY | O_CLOEXEC);
        if (src < 0)
                return pc_fail(err, errno, "exec pause \"%s\"", path);
        /* what execve(path) would refuse, the copy must refuse too */
        struct stat st;
        if (fstat(src, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
                return pc_fail(err, EACCES, "exec pause \"%s\"", path);
        _cleanup_close_ int fd = memfd_create("pause", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return pc_fail(err, errno, "memfd_create");
        char buf[16384];
        ssize_t n;
        while ((n = read(src, buf, sizeof(buf))) > 0)
                if (pc_write_all(fd, buf, (size_t)n) < 0)
                        return pc_fail(err, errno, "copy pause");
        if (n < 0)
                return pc_fail(err, errno, "read pause \"%s\"", path);
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
                return pc_fail(err, errno, "seal the pause copy");
        return STEAL_FD(fd);
}

/* In the child: never returns. */
__attribute__((noreturn)) static void sandbox_child(const struct pc_sandbox_plan *plan, int sync_fd,
                                                    int ready_fd)
{
        pc_error err;
        pc_error_clear(&err);
        pc_rt_child_reset_signals();
        sync_fd = pc_rt_child_fd_high(sync_fd, &err);
        if (sync_fd < 0)
                _exit(127);
        pc_rt_child_wait_go(sync_fd);
        /* The Pod's mounts first, as root of the host (the state dirs are
         * 0700); then its user namespace, to which the namespaces made below
         * belong. */
        if (has_pod_mounts(plan) && pod_mounts(plan, &err) < 0)
                pc_rt_child_fail(sync_fd, &err);
        if (plan->userns && pc_userns_join(plan->userns_fd, &err) < 0)
                pc_rt_child_fail(sync_fd, &err);

        int flags = CLONE_NEWUTS;
        if (!plan->host_network)
                flags |= CLONE_NEWNET;
        if (!plan->host_ipc)
                flags |= CLONE_NEWIPC;
        if (unshare(flags) < 0) {
                pc_fail(&err, errno, "unshare namespaces");
                pc_rt_child_fail(sync_fd, &err);
        }
        if (plan->hostname && sethostname(plan->hostname, strlen(plan->hostname)) < 0) {
                pc_fail(&err, errno, "set hostname \"%s\"", plan->hostname);
                pc_rt_child_fail(sync_fd, &err);
        }
        if (!plan->host_network && loopback_up(&err) < 0)
                pc_rt_child_fail(sync_fd, &err);
        if (write_sysctls(plan, &err) < 0)
                pc_rt_child_fail(sync_fd, &err);
        if (chdir("/") < 0) {
                pc_fail(&err, errno, "chdir /");
                pc_rt_child_fail(sync_fd, &err);
        }
        _cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0) {
                pc_fail(&err, errno, "open /dev/null");
                pc_rt_child_fail(sync_fd, &err);
        }
        /* stdout: the readiness pipe (see src/pause/pause.c). */
        if (pc_rt_child_stdio(-1, ready_fd, -1, devnull, sync_fd, &err) < 0)
                pc_rt_child_fail(sync_fd, &err);
        int exe_fd = sealed_copy(plan->pause_path, &err); /* after stdio closed the rest */
        if (exe_fd < 0)
                pc_rt_child_fail(sync_fd, &err);
        /* AppArmor's profile for the exec (and seccomp without no_new_privs)
         * while still privileged */
        if (plan->sec && pc_rt_child_seal(plan->sec, false, &err) < 0)
                pc_rt_child_fail(sync_fd, &err);
        if ((plan->set_user || plan->n_groups) && setgroups(plan->n_groups, plan->groups) < 0) {
                pc_fail(&err, errno, "pause: set its supplementary groups");
                pc_rt_child_fail(sync_fd, &err);
        }
        /* last: the ids drop every capability (the namespaces are made) */
        if (plan->set_user && (setresgid(plan->gid, plan->gid, plan->gid) < 0 ||
                               setresuid(plan->uid, plan->uid, plan->uid) < 0)) {
                pc_fail(&err, errno, "pause: set user %u:%u", plan->uid, plan->gid);
                pc_rt_child_fail(sync_fd, &err);
        }
        if (plan->sec && pc_rt_child_seal(plan->sec, true, &err) < 0)
                pc_rt_child_fail(sync_fd, &err);
        char *argv[] = {"pause", NULL};
        char *envp[] = {NULL};
        syscall(SYS_execveat, exe_fd, "", argv, envp, AT_EMPTY_PATH);
        pc_fail(&err, errno, "exec pause \"%s\"", plan->pause_path);
        pc_rt_child_fail(sync_fd, &err);
}

static int open_ns(pid_t pid, const char *name, int *out, pc_error *err)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
        *out = open(path, O_RDONLY | O_CLOEXEC);
        if (*out < 0)
                return pc_fail(err, errno, "open %s", path);
        return 0;
}

/* pause writes one byte when it runs; EOF first means it died. On failure
 * the child is reaped. */
static int wait_ready(int fd, pid_t pid, pc_error *err)
{
        struct pollfd p = {.fd = fd, .events = POLLIN};
        char c;
        int n;
        do {
                n = poll(&p, 1, 10000);
        } while (n < 0 && errno == EINTR);
        ssize_t r = n > 0 ? read(fd, &c, 1) : -1;
        if (r == 1)
                return 0;
        kill(pid, SIGKILL);
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (n == 0)
                return pc_fail(err, ETIMEDOUT, "pause did not become ready");
        if (WIFEXITED(st))
                return pc_fail(err, 0, "pause exited before it was ready (exit status %d)",
                               WEXITSTATUS(st));
        return pc_fail(err, 0, "pause died before it was ready (signal %d)", WTERMSIG(st));
}

int pc_sandbox_create(const struct pc_sandbox_plan *plan, pc_on_child_fn on_child, void *data,
                      struct pc_sandbox *out, pc_error *err)
{
        out->pause_pid = -1;
        out->netns_fd = out->ipcns_fd = out->utsns_fd = out->pidns_fd = out->mntns_fd = -1;
        out->userns_fd = -1;
        if (!plan->pause_path)
                return pc_fail(err, EINVAL, "sandbox: no pause binary");

        int sv[2];
        if (pc_rt_sync_pair(sv, err) < 0)
                return pc_error_prefix(err, "sandbox");
        _cleanup_close_ int parent_fd = sv[0];
        _cleanup_close_ int child_fd = sv[1];

        int ready[2];
        if (pipe2(ready, O_CLOEXEC) < 0)
                return pc_fail(err, errno, "sandbox: pipe");
        _cleanup_close_ int ready_r = ready[0];
        _cleanup_close_ int ready_w = ready[1];

        pid_t pid = pc_rt_fork(plan->share_pid ? PC_RT_PIDNS_NEW : PC_RT_PIDNS_KEEP, -1, err);
        if (pid < 0)
                return pc_error_prefix(err, "sandbox");
        if (pid == 0) {
                close(STEAL_FD(parent_fd));
                close(STEAL_FD(ready_r));
                sandbox_child(plan, STEAL_FD(child_fd), ready_w);
        }
        close(STEAL_FD(child_fd));
        close(STEAL_FD(ready_w));
        if (pc_rt_parent_run(parent_fd, pid, on_child, data, err) < 0)
                return pc_error_prefix(err, "sandbox");
        if (wait_ready(ready_r, pid, err) < 0)
                return pc_error_prefix(err, "sandbox");

        /* pause is exec'd: its namespaces are final. */
        _cleanup_pid_ pid_t owned = pid;
        struct pc_sandbox sb = {.pause_pid = pid};
        sb.netns_fd = sb.ipcns_fd = sb.utsns_fd = sb.pidns_fd = sb.mntns_fd = -1;
        sb.userns_fd = -1;
        if (plan->userns) {
                sb.userns_fd = fcntl(plan->userns_fd, F_DUPFD_CLOEXEC, 3);
                sb.uid_base = plan->uid_base;
        }
        if ((!plan->host_network && open_ns(pid, "net", &sb.netns_fd, err) < 0) ||
            (!plan->host_ipc && open_ns(pid, "ipc", &sb.ipcns_fd, err) < 0) ||
            open_ns(pid, "uts", &sb.utsns_fd, err) < 0 ||
            (plan->share_pid && open_ns(pid, "pid", &sb.pidns_fd, err) < 0) ||
            (has_pod_mounts(plan) && open_ns(pid, "mnt", &sb.mntns_fd, err) < 0)) {
                pc_sandbox_release(&sb);
                return pc_error_prefix(err, "sandbox");
        }
        owned = -1;
        *out = sb;
        return 0;
}

void pc_sandbox_release(struct pc_sandbox *sb)
{
        int *fds[] = {&sb->netns_fd, &sb->ipcns_fd, &sb->utsns_fd,
                      &sb->pidns_fd, &sb->mntns_fd, &sb->userns_fd};
        for (size_t i = 0; i < PC_ARRAY_SIZE(fds); i++) {
                if (*fds[i] >= 0)
                        close(*fds[i]);
                *fds[i] = -1;
        }
}
