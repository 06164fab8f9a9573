/* Helpers shared by sandbox.c, container.c and exec.c (not part of the
 * module's interface). Everything named pc_rt_child_* runs in a forked child
 * between fork() and execve(). */
#ifndef PODCTL_RUNTIME_INTERNAL_H
#define PODCTL_RUNTIME_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "runtime/runtime.h"
#include "util/error.h"

/* How fork_in_pidns places the child. */
enum pc_rt_pidns {
        PC_RT_PIDNS_KEEP, /* the caller's pid_for_children */
        PC_RT_PIDNS_NEW,  /* a new PID namespace: the child is its PID 1 */
        PC_RT_PIDNS_JOIN, /* the PID namespace of `join_fd` */
};

/* fork() (so atfork handlers run and malloc stays usable in the child) with
 * the calling thread's pid_for_children switched for the duration of the
 * fork and restored right after. Returns the pid in the parent, 0 in the
 * child, -1 on error (nothing left behind). */
pid_t pc_rt_fork(enum pc_rt_pidns how, int join_fd, pc_error *err);

/* Start fn(arg) in a child sharing our memory, the calling thread suspended
 * until the child execs or exits (clone(CLONE_VM | CLONE_VFORK), as
 * posix_spawn does): no copy of the address space, so starting a process
 * costs the same in a big caller as in a small one. The child runs on a
 * stack of its own and must end in execve or _exit, never return, and
 * never modify the caller's variables (it shares them): it may malloc and
 * free (the caller is suspended meanwhile, so the heap is consistent) but
 * must free what it allocates before it execs. pid_for_children as in
 * pc_rt_fork. A process with more than one thread (another thread could
 * hold malloc's lock) and a sanitizer build fork instead: fn's protocol
 * must work with a caller that is not suspended (report over a CLOEXEC
 * socket, as pc_rt_parent_wait reads). Returns the child's pid or -1. */
pid_t pc_rt_spawn(enum pc_rt_pidns how, int join_fd, int (*fn)(void *), void *arg, pc_error *err);

/* Parent of a child that needs no go: wait for EOF (exec done) or an error
 * record, as pc_rt_parent_run does after its go. */
int pc_rt_parent_wait(int parent_fd, pid_t pid, pc_error *err);

/* The sync socket: a SOCK_SEQPACKET|SOCK_CLOEXEC pair. sv[0] is the
 * parent's end, sv[1] the child's. */
int pc_rt_sync_pair(int sv[2], pc_error *err);

/* Parent: run on_child, send the go, wait for EOF (exec done) or an error
 * record. On any failure the child is killed and reaped, *err filled and -1
 * returned. On success returns 0 and the child keeps running. */
int pc_rt_parent_run(int parent_fd, pid_t pid, pc_on_child_fn on_child, void *data, pc_error *err);
/* The same, for a child that may send one fd before it execs
 * (pc_rt_child_send_fd): *fd_out is it (O_CLOEXEC), or -1 when none came. */
int pc_rt_parent_run_fd(int parent_fd, pid_t pid, pc_on_child_fn on_child, void *data, int *fd_out,
                        pc_error *err);
/* Child: send fd to the parent (SCM_RIGHTS, one 'F' byte). */
int pc_rt_child_send_fd(int child_fd, int fd, pc_error *err);

/* Child: wait for the parent's go (exits quietly when the parent is gone). */
void pc_rt_child_wait_go(int child_fd);
/* Child: send *err to the parent and _exit(127). */
__attribute__((noreturn)) void pc_rt_child_fail(int child_fd, const pc_error *err);

/* Child: move fd to a number >= 3 (O_CLOEXEC), closing the old one; returns it. */
int pc_rt_child_fd_high(int fd, pc_error *err);

/* Child: default signal dispositions, empty mask. */
void pc_rt_child_reset_signals(void);

/* Child: make 0,1,2 the given fds (-1: /dev/null opened as devnull_fd, or
 * inherited when devnull_fd is -1 too), then close every fd >= 3 except
 * keep_fd (the sync socket, CLOEXEC). The given fds are first duplicated
 * above 2 so overlapping numbers are handled. */
int pc_rt_child_stdio(int in, int out, int err_fd, int devnull_fd, int keep_fd, pc_error *err);

/* Child: setgroups/setgid/setuid then capabilities (see runtime.h,
 * `privileged`). */
int pc_rt_child_identity(uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups, uint64_t caps,
                         pc_error *err);
/* Child: the parts of sec that come before the identity change (late =
 * false: AppArmor's exec profile, and the seccomp filter when there is no
 * no_new_privs, since loading it then needs CAP_SYS_ADMIN), and those that
 * come last, just before execve (late = true: no_new_privs, then the filter). */
int pc_rt_child_seal(const struct pc_proc_sec *sec, bool late, pc_error *err);

/* Child: find argv0 in PATH taken from envp (the default PATH when envp has
 * none), in the current root. out gets the path to execve. */
int pc_rt_child_lookup(const char *argv0, char *const *envp, char *out, size_t outlen,
                       pc_error *err);

#endif
