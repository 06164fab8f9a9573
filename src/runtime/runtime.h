/* Kernel-facing part of a Pod: the sandbox (pause) and its containers.
 *
 * Called by the per-pod monitor, which is the parent of every process it
 * creates (so it can reap them). Nothing here knows about manifests: the
 * monitor turns the pod spec + image config into the plans below.
 *
 * Setup happens in the child between clone() and execve(); any failure there
 * is sent back to the parent over a CLOEXEC socketpair as {errno, message}
 * and returned as an error naming the step ("mount volume \"data\" at
 * /usr/share/nginx/html: ..."), never a silent exit.
 */
#ifndef PODCTL_RUNTIME_RUNTIME_H
#define PODCTL_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* ---- process security ---------------------------------------------------- */

/* A compiled seccomp filter (libseccomp), built in the parent, loaded by the
 * child. Profiles are docker/containerd's JSON format. */
struct pc_seccomp;
/* Compile profile `text` (named `what` in messages) for a process whose
 * capability bounding set is `caps` (the profile's includes/excludes "caps"
 * choose rules by it). libseccomp's code generation is slow (tens of ms for
 * RuntimeDefault), so with cache_dir the generated filter is kept there
 * (one 0600 file per profile, caps, architecture, libseccomp and kernel
 * version; a hit must match the whole key) and later calls read it back. */
int pc_seccomp_compile(const char *text, const char *what, uint64_t caps, const char *cache_dir,
                       struct pc_seccomp **out, pc_error *err);
/* RuntimeDefault: podctl's built-in profile (src/runtime/profiles/). */
int pc_seccomp_compile_default(uint64_t caps, const char *cache_dir, struct pc_seccomp **out,
                               pc_error *err);
/* In the child: install the filter (seccomp(2); without no_new_privs this
 * needs CAP_SYS_ADMIN, see pc_proc_sec). */
int pc_seccomp_load(const struct pc_seccomp *f, pc_error *err);
void pc_seccomp_free(struct pc_seccomp *f);

/* AppArmor (apparmor.c). PC_APPARMOR_DEFAULT is podctl's RuntimeDefault
 * profile, built in from src/runtime/profiles/apparmor-default. */
#define PC_APPARMOR_DEFAULT "podctl-default"
bool pc_apparmor_enabled(void);
const char *pc_apparmor_default_text(void);
/* Whether `profiles` (the kernel's "NAME (MODE)" lines) lists name. */
bool pc_apparmor_listed(const char *profiles, const char *name);
int pc_apparmor_loaded(const char *name, bool *loaded, pc_error *err);
/* Run apparmor_parser on the profile text: load (replace) it into the
 * kernel, or (load false) only compile it, which checks it on any host. */
int pc_apparmor_parse(const char *text, bool load, pc_error *err);
/* Load podctl-default unless it is loaded already. */
int pc_apparmor_ensure_default(pc_error *err);

/* Capability sets as bit masks (bit n = capability n). */
uint64_t pc_caps_default(void); /* containerd's default 14 */
uint64_t pc_caps_all(void);     /* every capability the running kernel has */

/* How every process of a container is sealed: its main process, exec, and
 * exec probes and hooks alike. A zeroed struct is the tightest: no
 * capabilities, no filter. */
struct pc_proc_sec {
        uint64_t caps;     /* bounding set; effective = permitted = caps for uid 0, none
                              for other uids; inheritable and ambient always empty */
        bool no_new_privs; /* allowPrivilegeEscalation: false */
        const struct pc_seccomp *seccomp; /* NULL: unconfined */
        const char *apparmor;             /* AppArmor profile to exec into, NULL: none */
};

/* A tmpfs the sandbox holds: mount point (a host directory), mount flags
 * (MS_NOSUID...) and options ("mode=0755,size=16m"). */
struct pc_tmpfs {
        char *dir;
        unsigned long flags;
        char *options;
};

/* hostUsers: false. A user namespace mapping 0..size-1 to host ids
 * base..base+size-1 (uid and gid), as an O_CLOEXEC fd. */
int pc_userns_create(uint32_t base, uint32_t size, int *fd, pc_error *err);
/* In a child: join it and become its root. */
int pc_userns_join(int fd, pc_error *err);

struct pc_sandbox_plan {
        const char *pause_path; /* the static pause binary */
        const char *hostname;   /* set in the new UTS namespace */
        bool share_pid;         /* pause is PID 1 of a new PID namespace */
        bool host_network;      /* keep the host's network namespace */
        bool host_ipc;          /* keep the host's IPC namespace */
        int cgroup_procs_fd;    /* unused (kept for source compatibility): the caller
                                   moves the pid into cgroups through on_child */
        /* A tmpfs (64 MiB, nosuid, nodev, noexec, 1777) mounted on this host
         * directory in pause's own mount namespace: the Pod's /dev/shm. It lives
         * as long as pause and never appears in the host's mount table. NULL:
         * pause keeps the host's mount namespace. */
        const char *shm_dir;
        /* More tmpfs mounts of pause's mount namespace: Secret volumes (their
         * data never touches a disk), emptyDir medium: Memory. */
        const struct pc_tmpfs *tmpfs;
        size_t n_tmpfs;
        /* hostUsers: false: pause joins userns_fd first, so the Pod's other
         * namespaces belong to it (false: the host's user namespace). */
        bool userns;
        int userns_fd;
        uint32_t uid_base; /* the host id of its 0 */
        /* Pod sysctls ("net.ipv4.ip_local_port_range" or with '/'), written in
         * pause's namespaces before it runs; the caller has checked they are
         * namespaced and allowed. */
        char **sysctl_names, **sysctl_values;
        size_t n_sysctls;
        /* pause's ids (a CRI sandbox's run_as_user/run_as_group): it runs as
         * them, with no supplementary groups and so no capabilities;
         * set_user false: root */
        bool set_user;
        uint32_t uid, gid;
        /* a CRI sandbox's security for pause: seccomp, AppArmor (NULL sec:
         * none) and its supplementary groups */
        const struct pc_proc_sec *sec;
        const gid_t *groups;
        size_t n_groups;
};

struct pc_sandbox {
        pid_t pause_pid;
        /* O_CLOEXEC fds to pause's namespaces (-1 where the host's is kept). */
        int netns_fd, ipcns_fd, utsns_fd, pidns_fd, mntns_fd;
        int userns_fd;     /* hostUsers: false: the Pod's user namespace, else -1 */
        uint32_t uid_base; /* its host id for 0 */
};

/* Start pause in new namespaces; loopback up, hostname set.
 * `before_exec_hook` is not needed: cgroup placement is done by the caller
 * through `on_child` (called in the parent with the child's pid while the
 * child waits, may be NULL). */
typedef int (*pc_on_child_fn)(pid_t pid, void *data, pc_error *err);

int pc_sandbox_create(const struct pc_sandbox_plan *plan, pc_on_child_fn on_child, void *data,
                      struct pc_sandbox *out, pc_error *err);
/* Run fn(data) in a child that joined the sandbox's mount namespace (where
 * its tmpfs mounts are), e.g. to write a Secret volume; its error comes back
 * in *err. Without a mount namespace of its own, fn runs in the caller. */
int pc_sandbox_run_in_mounts(const struct pc_sandbox *sb, int (*fn)(void *data, pc_error *err),
                             void *data, pc_error *err);
/* Close the namespace fds and set them to -1 (does not signal or reap pause;
 * safe to call twice). */
void pc_sandbox_release(struct pc_sandbox *sb);

/* One bind mount into the container. */
struct pc_bind {
        const char *source;      /* host path (file or directory) */
        const char *destination; /* absolute path inside the container */
        bool read_only;
        bool create_file; /* destination is a file (create it if missing) */
        const char *what; /* for messages: volume "data", "/etc/hosts" */
        /* subPath: a path inside `source` (a directory), resolved in the
         * container's child as if source were "/" (RESOLVE_IN_ROOT: a symlink
         * another container planted cannot lead out of the volume), created as
         * a directory when missing, and mounted from the resolved fd. */
        const char *sub_path;
        bool recursive_read_only; /* read_only for every submount too (mount_setattr) */
        /* mountPropagation: HostToContainer makes the bind (and what is below
         * it) rslave, so that the host's later mounts below a shared or slave
         * source appear in it (a private source is refused, as containerd
         * refuses it); otherwise (None) it is private. */
        bool host_to_container;
        /* hostUsers: false: mount it idmapped through the Pod's user namespace
         * (host ids 0.. seen as the Pod's 0..), as hostPath volumes are */
        bool idmap;
        /* An image volume: `source` is an empty directory on which the child
         * first mounts a read-only overlay of these image layers (bottom
         * first, as lower_dirs), in the container's mount namespace only
         * (idmapped layers under hostUsers: false, as the rootfs's); the bind
         * is read-only, noexec, nosuid and nodev, and a subPath must exist
         * in the image (nothing is created in it). */
        char *const *layers;
        size_t n_layers;
};

struct pc_container_plan {
        const char *name; /* for messages */
        /* rootfs: overlay of lower dirs + upper/work, mounted on `rootfs_dir`,
         * inside the container's own mount namespace only (it disappears with the
         * container's last process; nothing to unmount on the host).
         * lower_dirs is in image layer order, BOTTOM FIRST (lower_dirs[0] is the
         * base layer); the overlay lowerdir= option is built top-first from it.
         * upper_dir/work_dir NULL: a read-only overlay of the lower dirs. */
        char **lower_dirs;
        size_t n_lower;
        const char *upper_dir;
        const char *work_dir;
        const char *rootfs_dir;
        bool rootfs_read_only;

        const struct pc_sandbox *sandbox; /* namespaces to join */
        bool share_pid;                   /* join pause's PID namespace, else a new one */
        bool host_pid;                    /* hostPID: stay in the host's PID namespace */
        const char *shm_dir;              /* bind-mounted at /dev/shm (NULL: a private
                                             64m tmpfs) */

        /* Volumes, /etc/hosts, /etc/hostname, /etc/resolv.conf, ..., in order.
         * The destination is resolved inside the rootfs (symlinks cannot escape
         * it); missing directories are created; a source that is not a
         * directory gets a file destination even without create_file. */
        struct pc_bind *binds;
        size_t n_binds;

        char **argv; /* argv[0] is looked up in PATH from envp when it has no '/' */
        char **envp;
        const char *cwd; /* created when missing, like runc; NULL = "/" */
        uid_t uid;
        gid_t gid;
        gid_t *groups; /* supplementary groups (added to /etc/group ones with `user`) */
        size_t n_groups;
        bool groups_strict; /* supplementalGroupsPolicy: Strict: only `groups`, none
                               from the image's /etc/group */
        const char *user;   /* image/pod user spec ("1000", "nobody", "1000:1000",
                               "nobody:nogroup"), resolved against the container's own
                               /etc/passwd and /etc/group (parsed by hand, no NSS);
                               gid = the passwd entry's (0 when unknown) unless given;
                               supplementary groups = /etc/group memberships + groups[];
                               NULL = use uid/gid/groups above */
        bool privileged;    /* mounts: /sys read-write, no masked or read-only paths,
                               the host's devices in /dev (capabilities: sec.caps) */
        bool proc_unmasked; /* procMount: Unmasked: no masked or read-only paths */
        struct pc_proc_sec sec;

        int stdin_fd;  /* -1: /dev/null */
        int stdout_fd; /* the write ends of the monitor's log pipes */
        int stderr_fd;
        /* tty: true: a terminal allocated by the container itself in its own
         * devpts (after pivot_root, so /dev/pts/0 is its name inside), its
         * slave owned by the container's user and made its stdin, stdout,
         * stderr and controlling terminal (a new session); stdin_fd,
         * stdout_fd and stderr_fd are then ignored. The master (O_CLOEXEC) is
         * sent back over the start socket and returned in *pty_master. */
        bool tty;
        int *pty_master;
        /* join this PID namespace (an ephemeral container's target's) instead
         * of share_pid/host_pid/a new one */
        bool join_pidns;
        int pidns_fd;
};

/* Start a container; returns once the program has been exec'd (or fails with
 * the reason). The pid is a child of the caller. on_child as above. */
int pc_container_start(const struct pc_container_plan *plan, pc_on_child_fn on_child, void *data,
                       pid_t *pid, pc_error *err);

/* For `podctl exec`: run argv inside the namespaces of a running container
 * process `target` (its ipc, uts, net, pid and, last, mount namespace, hence
 * its root), with env/cwd/uid/gid. Returns the pid of the process that execs
 * argv, a direct child of the caller: waitpid() on it gives the command's exit
 * status. A failure before exec (e.g. command not found) is returned as an
 * error, the child reaped. Stdio is inherited unless fds are given (>= 0);
 * every other fd is closed. Zero-initialise the plan (designated
 * initialisers) so fields added later default to off. */
struct pc_exec_plan {
        pid_t target;
        char **argv; /* argv[0] looked up in PATH (from envp) inside the container */
        char **envp;
        const char *cwd; /* inside the container; NULL = "/"; must exist */
        uid_t uid;
        gid_t gid;
        int stdin_fd, stdout_fd, stderr_fd;
        const char *cgroup_procs; /* a cgroup.procs the child writes itself into, or NULL
                                     (cgroup v1 has one per hierarchy: use on_child) */
        /* Added: */
        gid_t *groups; /* supplementary groups */
        size_t n_groups;
        struct pc_proc_sec sec;  /* the container's (see pc_container_plan) */
        pc_on_child_fn on_child; /* called with the child's pid before it joins
                                    anything (e.g. pc_cgroup_enter for each cgroup); may be NULL.
                                    Here it runs in the child itself (pc_rt_spawn: the
                                    parent is suspended), with getpid(): its pid in
                                    the target's PID namespace */
        void *on_child_data;
        /* A terminal (tty): a pseudo-terminal pair allocated in the container's own
         * devpts instance (its /dev/ptmx opened through /proc/<target>/root, resolved
         * inside that root; the slave taken from the master with TIOCGPTPEER, never by
         * path, and owned by uid). The slave is the command's stdin, stdout, stderr
         * and controlling terminal (the command leads a new session); stdin_fd,
         * stdout_fd and stderr_fd are ignored. The master (O_CLOEXEC|O_NONBLOCK) is
         * returned in *pty_master, which must then be non-NULL; the caller closes it
         * (which hangs the terminal up). tty_rows/tty_cols: the initial window size
         * (0: left unset). */
        bool tty;
        int *pty_master;
        unsigned short tty_rows, tty_cols;
};
int pc_exec_start(const struct pc_exec_plan *plan, pid_t *pid, pc_error *err);

#endif
