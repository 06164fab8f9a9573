/* A container: a process in its own mount namespace on an overlay rootfs,
 * joined to the sandbox's namespaces. */
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <linux/mount.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "runtime/fsroot.h"
#include "runtime/internal.h"
#include "runtime/user.h"
#include "util/util.h"

#define FDPATH_MAX 32

static void fd_path(int fd, char buf[FDPATH_MAX])
{
        snprintf(buf, FDPATH_MAX, "/proc/self/fd/%d", fd);
}

/* mount(2) onto what `fd` (an O_PATH fd from the fsroot helpers) refers to. */
static int mount_on_fd(const char *source, int fd, const char *fstype, unsigned long flags,
                       const char *data)
{
        char p[FDPATH_MAX];
        fd_path(fd, p);
        return mount(source, p, fstype, flags, data);
}

/* Overlay option values must not contain the separators. */
static int check_overlay_path(const char *p, pc_error *err)
{
        if (strpbrk(p, ",:\\"))
                return pc_fail(err, EINVAL, "overlay path %s contains ',', ':' or '\\'", p);
        return 0;
}

/* hostUsers: false: each image layer through an idmapped mount (host 0 ->
 * the Pod's 0), attached at <prefix><i> in this mount namespace only; out[i]
 * gets those paths. */
static int idmap_layers(char *const *dirs, size_t n, const char *prefix, int userns, char **out,
                        pc_error *err)
{
        for (size_t i = 0; i < n; i++) {
                out[i] = pc_xasprintf("%s%zu", prefix, i);
                if (mkdir(out[i], 0755) < 0 && errno != EEXIST)
                        return pc_fail(err, errno, "mkdir %s", out[i]);
                _cleanup_close_ int fd = (int)syscall(SYS_open_tree, AT_FDCWD, dirs[i],
                                                      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
                if (fd < 0)
                        return pc_fail(err, errno, "open_tree %s", dirs[i]);
                struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP,
                                          .userns_fd = (uint64_t)userns};
                if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                        return pc_fail(err, errno, "idmap layer %s", dirs[i]);
                if (syscall(SYS_move_mount, fd, "", AT_FDCWD, out[i], MOVE_MOUNT_F_EMPTY_PATH) < 0)
                        return pc_fail(err, errno, "attach the idmapped layer at %s", out[i]);
        }
        return 0;
}

/* The overlay's options: lowerdir= top layer first (dirs is bottom first),
 * and upperdir/workdir when upper is set. NULL on error. */
static char *overlay_options(char *const *dirs, size_t n, const char *upper, const char *work,
                             pc_error *err)
{
        size_t cap = 64;
        for (size_t i = 0; i < n; i++) {
                if (check_overlay_path(dirs[i], err) < 0)
                        return NULL;
                cap += strlen(dirs[i]) + 1;
        }
        if (upper) {
                if (!work) {
                        pc_fail(err, EINVAL, "upper_dir without work_dir");
                        return NULL;
                }
                if (check_overlay_path(upper, err) < 0 || check_overlay_path(work, err) < 0)
                        return NULL;
                cap += strlen(upper) + strlen(work) + 32;
        }
        char *opts = pc_xmalloc(cap);
        size_t len = (size_t)snprintf(opts, cap, "lowerdir=");
        for (size_t i = n; i-- > 0;)
                len += (size_t)snprintf(opts + len, cap - len, "%s%s", dirs[i], i ? ":" : "");
        if (upper)
                snprintf(opts + len, cap - len, ",upperdir=%s,workdir=%s", upper, work);
        if (strlen(opts) >= (size_t)sysconf(_SC_PAGESIZE)) {
                free(opts);
                pc_fail(err, E2BIG, "overlay options longer than a page (%zu layers)", n);
                return NULL;
        }
        return opts;
}

/* An overlay of `dirs` (+ upper) on `target`; the layers idmapped first
 * (at <prefix><i>) when the Pod has a user namespace. */
static int mount_overlay(const struct pc_sandbox *sb, char *const *dirs, size_t n,
                         const char *upper, const char *work, const char *prefix,
                         const char *target, unsigned long flags, pc_error *err)
{
        _cleanup_strv_ char **mapped = NULL;
        if (sb && sb->userns_fd >= 0) {
                mapped = pc_xcalloc(n + 1, sizeof(char *));
                if (idmap_layers(dirs, n, prefix, sb->userns_fd, mapped, err) < 0)
                        return -1;
                dirs = mapped;
        }
        _cleanup_free_ char *opts = overlay_options(dirs, n, upper, work, err);
        if (!opts)
                return -1;
        if (mount("overlay", target, "overlay", flags, opts) < 0)
                return pc_fail(err, errno, "mount overlay on %s", target);
        return 0;
}

static int mount_rootfs(const struct pc_container_plan *plan, pc_error *err)
{
        if (plan->n_lower == 0)
                return pc_fail(err, EINVAL, "rootfs: no lower directory");
        /* idmapped layers at <container dir>/lower<i> */
        _cleanup_free_ char *base = pc_xstrdup(plan->rootfs_dir);
        char *slash = strrchr(base, '/');
        if (slash)
                *slash = '\0';
        _cleanup_free_ char *prefix = pc_xasprintf("%s/lower", base);
        if (mount_overlay(plan->sandbox, plan->lower_dirs, plan->n_lower, plan->upper_dir,
                          plan->work_dir, prefix, plan->rootfs_dir, 0, err) < 0)
                return pc_error_prefix(err, "rootfs");
        return 0;
}

/* Mount `fstype` at `dest` inside the root (created as a directory). */
static int mount_fs_in_root(int rootfd, const char *dest, const char *fstype, const char *source,
                            unsigned long flags, const char *data, pc_error *err)
{
        _cleanup_close_ int fd = pc_fsroot_mkdir_p(rootfd, dest, 0755, err);
        if (fd < 0)
                return pc_error_prefix(err, "mount %s at %s", fstype, dest);
        if (mount_on_fd(source, fd, fstype, flags, data) < 0)
                return pc_fail(err, errno, "mount %s at %s", fstype, dest);
        return 0;
}

/* Read-only remount of the mount at `path` inside the root, keeping the
 * flags it has (nosuid, nodev, noexec, atime). */
static int remount_ro(int rootfd, const char *path, pc_error *err)
{
        /* Reopen: the path now resolves to the new mount's root. */
        _cleanup_close_ int fd = pc_fsroot_open(rootfd, path, O_PATH, err);
        if (fd < 0)
                return -1;
        struct statvfs sv;
        if (fstatvfs(fd, &sv) < 0)
                return pc_fail(err, errno, "statvfs %s", path);
        unsigned long keep = 0;
        if (sv.f_flag & ST_NOSUID)
                keep |= MS_NOSUID;
        if (sv.f_flag & ST_NODEV)
                keep |= MS_NODEV;
        if (sv.f_flag & ST_NOEXEC)
                keep |= MS_NOEXEC;
        if (sv.f_flag & ST_NOATIME)
                keep |= MS_NOATIME;
        if (sv.f_flag & ST_NODIRATIME)
                keep |= MS_NODIRATIME;
        if (sv.f_flag & ST_RELATIME)
                keep |= MS_RELATIME;
        if (mount_on_fd(NULL, fd, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
                return pc_fail(err, errno, "remount %s read-only", path);
        return 0;
}

static int bind_in_root(int rootfd, const char *source, const char *dest, bool file, bool read_only,
                        pc_error *err)
{
        _cleanup_close_ int fd = file ? pc_fsroot_mkfile(rootfd, dest, 0644, err)
                                      : pc_fsroot_mkdir_p(rootfd, dest, 0755, err);
        if (fd < 0)
                return -1;
        if (mount_on_fd(source, fd, NULL, MS_BIND | MS_REC, NULL) < 0)
                return pc_fail(err, errno, "bind %s", source);
        if (read_only && remount_ro(rootfd, dest, err) < 0)
                return -1;
        return 0;
}

struct devnode {
        const char *name;
        unsigned maj, min;
};
static const struct devnode devnodes[] = {
    {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

/* Privileged: every character and block device of the host's /dev (top
 * level), as runc gives a privileged container the host's devices. */
static int copy_host_devices(int dev, pc_error *err)
{
        _cleanup_(closedirp) DIR *d = opendir("/dev");
        if (!d)
                return pc_fail(err, errno, "open the host's /dev");
        struct dirent *e;
        while ((e = readdir(d))) {
                struct stat st;
                if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) ||
                    !strcmp(e->d_name, "ptmx")) /* the container's devpts' instead */
                        continue;
                if (mknodat(dev, e->d_name, st.st_mode & (S_IFMT | 07777), st.st_rdev) < 0 &&
                    errno != EEXIST)
                        return pc_fail(err, errno, "mknod /dev/%s", e->d_name);
                (void)!fchownat(dev, e->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
        }
        return 0;
}

static int setup_dev(int rootfd, const char *shm_dir, bool privileged, unsigned tty_gid_base,
                     pc_error *err)
{
        if (mount_fs_in_root(rootfd, "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME,
                             "mode=755,size=65536k", err) < 0)
                return -1;
        _cleanup_close_ int dev = pc_fsroot_open(rootfd, "/dev", O_PATH | O_DIRECTORY, err);
        if (dev < 0)
                return -1;
        for (size_t i = 0; i < PC_ARRAY_SIZE(devnodes); i++) {
                const struct devnode *d = &devnodes[i];
                if (mknodat(dev, d->name, S_IFCHR | 0666, makedev(d->maj, d->min)) == 0)
                        continue;
                /* No mknod (device cgroup, user namespace): bind the host's. */
                char host[64], dst[64];
                snprintf(host, sizeof(host), "/dev/%s", d->name);
                snprintf(dst, sizeof(dst), "/dev/%s", d->name);
                if (bind_in_root(rootfd, host, dst, true, false, err) < 0)
                        return pc_error_prefix(err, "create %s", dst);
        }
        if (privileged && copy_host_devices(dev, err) < 0)
                return -1;
        static const char *const links[][2] = {
            {"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"},
            {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
            {"pts/ptmx", "ptmx"},          {"/proc/kcore", "core"},
        };
        for (size_t i = 0; i < PC_ARRAY_SIZE(links); i++)
                if (symlinkat(links[i][0], dev, links[i][1]) < 0)
                        return pc_fail(err, errno, "symlink /dev/%s", links[i][1]);
        char ptsopts[96];
        snprintf(ptsopts, sizeof(ptsopts), "newinstance,ptmxmode=0666,mode=0620,gid=%u",
                 5 + tty_gid_base);
        if (mount_fs_in_root(rootfd, "/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC, ptsopts,
                             err) < 0)
                return -1;
        if (shm_dir) {
                if (bind_in_root(rootfd, shm_dir, "/dev/shm", false, false, err) < 0)
                        return pc_error_prefix(err, "/dev/shm");
        } else if (mount_fs_in_root(rootfd, "/dev/shm", "tmpfs", "shm",
                                    MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k",
                                    err) < 0) {
                return -1;
        }
        if (mount_fs_in_root(rootfd, "/dev/mqueue", "mqueue", "mqueue",
                             MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err) < 0)
                return -1;
        return 0;
}

static int setup_sys(int rootfd, bool privileged, pc_error *err)
{
        unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC | (privileged ? 0 : MS_RDONLY);
        if (mount_fs_in_root(rootfd, "/sys", "sysfs", "sysfs", fl, NULL, err) == 0)
                return 0;
        if (err->code != EPERM && err->code != EACCES)
                return -1;
        /* sysfs refused (e.g. host network in a user namespace): a
         * read-only recursive bind of the host's. */
        if (bind_in_root(rootfd, "/sys", "/sys", false, !privileged, err) < 0)
                return pc_error_prefix(err, "bind /sys");
        return 0;
}

/* /sys/fs/cgroup inside the container, read-only, as runc mounts it: in the
 * container's own cgroup namespace (unshared after the monitor placed it), so
 * only its own cgroup is visible. v2: cgroup2; v1: a tmpfs holding the
 * hierarchies podctl places containers in (others would show the host's
 * tree), with the host's symlinks (cpu -> cpu,cpuacct). */
static const char *const v1_controllers[] = {"cpu",  "cpuacct", "memory",
                                             "pids", "freezer", "devices"};

static bool v1_ours(const char *opts, char *out, size_t outlen)
{
        /* super options "rw,cpu,cpuacct": every controller must be one of ours */
        _cleanup_free_ char *o = pc_xstrdup(opts);
        char *save, *tok;
        size_t n = 0;
        bool any = false;
        out[0] = '\0';
        for (tok = strtok_r(o, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (!strcmp(tok, "rw") || !strcmp(tok, "ro") || !strcmp(tok, "xattr") ||
                    !strcmp(tok, "clone_children") || !strcmp(tok, "noprefix") ||
                    pc_str_has_prefix(tok, "release_agent="))
                        continue;
                bool ours = false;
                for (size_t i = 0; i < PC_ARRAY_SIZE(v1_controllers); i++)
                        ours |= !strcmp(tok, v1_controllers[i]);
                if (!ours)
                        return false;
                n += (size_t)snprintf(out + n, outlen > n ? outlen - n : 0, "%s%s", any ? "," : "",
                                      tok);
                any = true;
        }
        return any && n < outlen;
}

static int setup_cgroupfs(int rootfd, pc_error *err)
{
        const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME;
        enum pc_cgroup_mode mode = pc_cgroup_detect("/sys/fs/cgroup");
        if (mode == PC_CGROUP_NONE)
                return 0;
        if (unshare(CLONE_NEWCGROUP) < 0)
                return pc_fail(err, errno, "unshare cgroup namespace");
        if (mode == PC_CGROUP_V2)
                return mount_fs_in_root(rootfd, "/sys/fs/cgroup", "cgroup2", "cgroup",
                                        fl | MS_RDONLY, NULL, err);
        if (mount_fs_in_root(rootfd, "/sys/fs/cgroup", "tmpfs", "tmpfs", fl, "mode=755", err) < 0)
                return -1;
        _cleanup_close_ int cgdir =
            pc_fsroot_open(rootfd, "/sys/fs/cgroup", O_PATH | O_DIRECTORY, err);
        if (cgdir < 0)
                return -1;
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096];
        while (f && fgets(line, sizeof(line), f)) {
                /* id parent maj:min root mountpoint opts... - fstype source superopts */
                char mnt[1024], fstype[64], super[1024];
                char *dash = strstr(line, " - ");
                if (!dash || sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1 ||
                    sscanf(dash + 3, "%63s %*s %1023s", fstype, super) != 2)
                        continue;
                if (strcmp(fstype, "cgroup") || !pc_str_has_prefix(mnt, "/sys/fs/cgroup/"))
                        continue;
                const char *name = mnt + strlen("/sys/fs/cgroup/");
                char ctrl[256];
                if (strchr(name, '/') || !v1_ours(super, ctrl, sizeof(ctrl)))
                        continue;
                _cleanup_free_ char *dest = pc_xasprintf("/sys/fs/cgroup/%s", name);
                if (mount_fs_in_root(rootfd, dest, "cgroup", "cgroup", fl | MS_RDONLY, ctrl, err) <
                    0)
                        return -1;
        }
        _cleanup_(closedirp) DIR *d = opendir("/sys/fs/cgroup");
        struct dirent *e;
        while (d && (e = readdir(d))) {
                char target[256];
                ssize_t n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
                if (n <= 0 || strchr(target, '/'))
                        continue;
                target[n] = '\0';
                if (symlinkat(target, cgdir, e->d_name) < 0 && errno != EEXIST)
                        return pc_fail(err, errno, "symlink /sys/fs/cgroup/%s", e->d_name);
        }
        return remount_ro(rootfd, "/sys/fs/cgroup", err);
}

/* containerd's masked and read-only paths (oci.WithDefaultSpec, lifted by
 * procMount: Unmasked and by privileged). */
static const char *const masked_paths[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* A directory gets an empty read-only tmpfs, a file the host's /dev/null. */
static int mask_path(int rootfd, const char *path, pc_error *err)
{
        _cleanup_close_ int fd = pc_fsroot_open(rootfd, path, O_PATH | O_NOFOLLOW, err);
        if (fd < 0)
                return err->code == ENOENT ? 0 : -1;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return pc_fail(err, errno, "mask %s: stat", path);
        int r = S_ISDIR(st.st_mode)
                    ? mount_on_fd("tmpfs", fd, "tmpfs",
                                  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=0555")
                    : mount_on_fd("/dev/null", fd, NULL, MS_BIND, NULL);
        if (r < 0)
                return pc_fail(err, errno, "mask %s", path);
        return 0;
}

static int readonly_path(int rootfd, const char *path, pc_error *err)
{
        _cleanup_close_ int fd = pc_fsroot_open(rootfd, path, O_PATH | O_NOFOLLOW, err);
        if (fd < 0)
                return err->code == ENOENT ? 0 : -1;
        char p[FDPATH_MAX];
        fd_path(fd, p);
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
                return pc_fail(err, errno, "bind %s read-only", path);
        return remount_ro(rootfd, path, err);
}

static int setup_masks(int rootfd, pc_error *err)
{
        for (size_t i = 0; i < PC_ARRAY_SIZE(masked_paths); i++)
                if (mask_path(rootfd, masked_paths[i], err) < 0)
                        return -1;
        for (size_t i = 0; i < PC_ARRAY_SIZE(readonly_paths); i++)
                if (readonly_path(rootfd, readonly_paths[i], err) < 0)
                        return -1;
        return 0;
}

/* Bind `srcfd` (an O_PATH fd) at dest inside the root. */
/* Bind `srcfd` (and what is mounted below it) on `dstfd` through an idmapped
 * copy of the tree: its host ids appear as the user namespace's. */
static int bind_idmapped(int srcfd, int dstfd, int userns, pc_error *err)
{
        _cleanup_close_ int t =
            (int)syscall(SYS_open_tree, srcfd, "",
                         OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
        if (t < 0)
                return pc_fail(err, errno, "open_tree");
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
        if (syscall(SYS_mount_setattr, t, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) <
            0)
                return pc_fail(err, errno,
                               "idmapped mount (hostUsers: false needs a filesystem that "
                               "supports idmapped mounts)");
        if (syscall(SYS_move_mount, t, "", dstfd, "",
                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return pc_fail(err, errno, "attach the idmapped mount");
        return 0;
}

/* Is the mount of fd shared or a slave (the optional fields of its
 * /proc/self/mountinfo line: "shared:N", "master:N")? 1, 0, or -1. */
static int mount_propagates(int fd, char *mnt_point, size_t len, pc_error *err)
{
        struct statx stx;
        if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
                return pc_fail(err, errno ? errno : ENOTSUP, "statx (mount id)");
        FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return pc_fail(err, errno, "open /proc/self/mountinfo");
        char *line = NULL;
        size_t cap = 0;
        int r = pc_fail(err, ENOENT, "mount %llu is not in /proc/self/mountinfo",
                        (unsigned long long)stx.stx_mnt_id);
        while (getline(&line, &cap, f) > 0) {
                unsigned long long id;
                int off = 0;
                char point[PATH_MAX];
                /* id parent major:minor root mount-point options optional... - */
                if (sscanf(line, "%llu %*u %*s %*s %4095s %*s%n", &id, point, &off) < 2 ||
                    id != stx.stx_mnt_id)
                        continue;
                snprintf(mnt_point, len, "%s", point);
                char *rest = line + off, *dash = strstr(rest, " - ");
                if (dash)
                        *dash = '\0';
                r = strstr(rest, " shared:") || strstr(rest, " master:");
                break;
        }
        free(line);
        fclose(f);
        return r;
}

/* The bind at dest (and below it): private, or rslave for HostToContainer. */
static int set_propagation(int rootfd, const struct pc_bind *b, pc_error *err)
{
        _cleanup_close_ int m = pc_fsroot_open(rootfd, b->destination, O_PATH, err);
        if (m < 0)
                return -1;
        struct mount_attr attr = {.propagation = b->host_to_container ? MS_SLAVE : MS_PRIVATE};
        if (syscall(SYS_mount_setattr, m, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) <
            0)
                return pc_fail(err, errno, "make %s %s", b->destination,
                               b->host_to_container ? "rslave" : "private");
        return 0;
}

static int bind_fd_in_root(int rootfd, int srcfd, const struct pc_bind *b, int userns,
                           pc_error *err)
{
        if (b->host_to_container) {
                char point[PATH_MAX] = "";
                int r = mount_propagates(srcfd, point, sizeof(point), err);
                if (r < 0)
                        return -1;
                if (r == 0)
                        return pc_fail(err, EINVAL,
                                       "mountPropagation HostToContainer: path \"%s\" is mounted "
                                       "on \"%s\" but it is not a shared or slave mount",
                                       b->source, point);
        }
        struct stat st;
        if (fstat(srcfd, &st) < 0)
                return pc_fail(err, errno, "stat source");
        char src[FDPATH_MAX];
        fd_path(srcfd, src);
        bool file = b->create_file || !S_ISDIR(st.st_mode);
        _cleanup_close_ int fd = file ? pc_fsroot_mkfile(rootfd, b->destination, 0644, err)
                                      : pc_fsroot_mkdir_p(rootfd, b->destination, 0755, err);
        if (fd < 0)
                return -1;
        if (b->idmap && userns >= 0) {
                if (bind_idmapped(srcfd, fd, userns, err) < 0)
                        return pc_error_prefix(err, "bind %s", b->source);
        } else if (mount_on_fd(src, fd, NULL, MS_BIND | MS_REC, NULL) < 0) {
                return pc_fail(err, errno, "bind %s", b->source);
        }
        if (set_propagation(rootfd, b, err) < 0)
                return -1;
        if (!b->read_only)
                return 0;
        if (b->recursive_read_only) {
                _cleanup_close_ int m = pc_fsroot_open(rootfd, b->destination, O_PATH, err);
                struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
                if (m < 0)
                        return -1;
                if (syscall(SYS_mount_setattr, m, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                            sizeof(attr)) < 0)
                        return pc_fail(err, errno, "make %s recursively read-only", b->destination);
                return 0;
        }
        return remount_ro(rootfd, b->destination, err);
}

/* An image volume's bind: read-only, noexec, nosuid, nodev (the KEP's
 * options), on the bind and anything below it. */
static int seal_image_bind(int rootfd, const char *dest, pc_error *err)
{
        _cleanup_close_ int m = pc_fsroot_open(rootfd, dest, O_PATH, err);
        if (m < 0)
                return -1;
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC |
                                              MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
        if (syscall(SYS_mount_setattr, m, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) <
            0)
                return pc_fail(err, errno, "make %s read-only and noexec", dest);
        return 0;
}

/* A subPath the volume does not have yet, made as the kubelet makes it
 * (makeMounts: SafeMakeDir with the volume directory's own mode, setgid and
 * sticky bits included, so an fsGroup volume's subPath is group-writable as
 * the volume is). Returns its O_PATH fd. */
static int make_sub_path(int vol, const char *sub_path, pc_error *err)
{
        struct stat st;
        if (fstat(vol, &st) < 0)
                return pc_fail(err, errno, "stat the volume");
        int fd = pc_fsroot_mkdir_p(vol, sub_path, st.st_mode & 0777, err);
        if (fd < 0)
                return -1;
        char p[64];
        snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
        if (chmod(p, st.st_mode & 07777) < 0) {
                int e = errno;
                close(fd);
                return pc_fail(err, e, "chmod");
        }
        return fd;
}

static int setup_binds(const struct pc_container_plan *plan, int rootfd, pc_error *err)
{
        for (size_t i = 0; i < plan->n_binds; i++) {
                const struct pc_bind *b = &plan->binds[i];
                const char *what = b->what ? b->what : b->destination;
                if (!b->source || !b->destination)
                        return pc_fail(err, EINVAL, "mount %s: no source or destination", what);
                /* an image of one layer is that layer (overlayfs wants two
                 * lower dirs without an upper one): bound as it is */
                struct pc_bind one = *b;
                if (b->n_layers == 1) {
                        one.source = b->layers[0];
                        one.idmap = true;
                        b = &one;
                } else if (b->n_layers) {
                        _cleanup_free_ char *prefix = pc_xasprintf("%s.lower", b->source);
                        if (mount_overlay(plan->sandbox, b->layers, b->n_layers, NULL, NULL, prefix,
                                          b->source, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                          err) < 0)
                                return pc_error_prefix(err, "mount %s at %s", what, b->destination);
                }
                _cleanup_close_ int src = open(b->source, O_PATH | O_CLOEXEC);
                if (src < 0)
                        return pc_fail(err, errno, "mount %s at %s: source %s", what,
                                       b->destination, b->source);
                if (b->sub_path) {
                        /* In the volume, as in a root: an existing entry of any
                         * type, else a new directory (not in an image). */
                        int sub = pc_fsroot_open(src, b->sub_path, O_PATH, err);
                        if (sub < 0 && err->code == ENOENT && !b->n_layers)
                                sub = make_sub_path(src, b->sub_path, err);
                        if (sub < 0)
                                return pc_error_prefix(err, "mount %s at %s: subPath \"%s\"", what,
                                                       b->destination, b->sub_path);
                        close(src);
                        src = sub;
                }
                int userns = plan->sandbox ? plan->sandbox->userns_fd : -1;
                if (bind_fd_in_root(rootfd, src, b, userns, err) < 0 ||
                    (b->n_layers && seal_image_bind(rootfd, b->destination, err) < 0))
                        return pc_error_prefix(err, "mount %s at %s", what, b->destination);
        }
        return 0;
}

static int do_pivot_root(const char *rootfs, pc_error *err)
{
        if (chdir(rootfs) < 0)
                return pc_fail(err, errno, "chdir %s", rootfs);
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return pc_fail(err, errno, "pivot_root %s", rootfs);
        /* The old root is now stacked on "."; detach it. */
        if (umount2(".", MNT_DETACH) < 0)
                return pc_fail(err, errno, "unmount old root");
        if (chdir("/") < 0)
                return pc_fail(err, errno, "chdir /");
        return 0;
}

/* After pivot_root: create (when missing) and enter the working directory. */
static int make_cwd(const char *cwd, pc_error *err)
{
        struct stat st;
        if (stat(cwd, &st) == 0) {
                if (!S_ISDIR(st.st_mode))
                        return pc_fail(err, ENOTDIR, "workingDir \"%s\"", cwd);
                return 0;
        }
        if (errno != ENOENT)
                return pc_fail(err, errno, "workingDir \"%s\"", cwd);
        if (pc_mkdir_p(cwd, 0755, err) < 0)
                return pc_error_prefix(err, "workingDir \"%s\"", cwd);
        return 0;
}

/* After pivot_root: a pty of the container's own devpts (mounted by
 * setup_dev on a /dev the image cannot reach), so its slave is /dev/pts/N
 * inside and `tty` names it; the slave comes from TIOCGPTPEER, never by path,
 * and belongs to the container's user, as grantpt() does. The master goes to
 * the monitor; the slave is returned. */
static int open_tty(uid_t uid, int sync_fd, pc_error *err)
{
        _cleanup_close_ int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return pc_fail(err, errno, "allocate a terminal: open /dev/pts/ptmx");
        int unlock = 0;
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                return pc_fail(err, errno, "allocate a terminal: unlock the pty");
        int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return pc_fail(err, errno, "allocate a terminal: open the pty's slave");
        if (fchown(slave, uid, (gid_t)-1) < 0) {
                pc_fail(err, errno, "allocate a terminal: chown the pty");
                close(slave);
                return -1;
        }
        if (pc_rt_child_send_fd(sync_fd, master, err) < 0) {
                close(slave);
                return -1;
        }
        return slave;
}

static int setup_container(const struct pc_container_plan *plan, int *stdio, int sync_fd,
                           pc_error *err)
{
        const struct pc_sandbox *sb = plan->sandbox;
        const struct {
                int fd;
                int type;
                const char *name;
        } ns[] = {
            {sb ? sb->ipcns_fd : -1, CLONE_NEWIPC, "ipc"},
            {sb ? sb->utsns_fd : -1, CLONE_NEWUTS, "uts"},
            {sb ? sb->netns_fd : -1, CLONE_NEWNET, "net"},
        };
        for (size_t i = 0; i < PC_ARRAY_SIZE(ns); i++)
                if (ns[i].fd >= 0 && setns(ns[i].fd, ns[i].type) < 0)
                        return pc_fail(err, errno, "join the pod's %s namespace", ns[i].name);
        /* The container's mount namespace is a copy of pause's, which holds
         * the Pod's tmpfs mounts (/dev/shm). */
        if (sb && sb->mntns_fd >= 0 && setns(sb->mntns_fd, CLONE_NEWNS) < 0)
                return pc_fail(err, errno, "join the pod's mount namespace");
        if (unshare(CLONE_NEWNS) < 0)
                return pc_fail(err, errno, "unshare mount namespace");
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return pc_fail(err, errno, "make / rslave");

        /* /dev/null of the host, for stdin, before the host's /dev goes. */
        _cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0)
                return pc_fail(err, errno, "open /dev/null");

        if (!plan->rootfs_dir)
                return pc_fail(err, EINVAL, "no rootfs directory");
        if (mount_rootfs(plan, err) < 0)
                return -1;
        _cleanup_close_ int rootfd = open(plan->rootfs_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return pc_fail(err, errno, "open rootfs %s", plan->rootfs_dir);

        if (mount_fs_in_root(rootfd, "/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                             NULL, err) < 0)
                return -1;
        if (setup_dev(rootfd, plan->shm_dir, plan->privileged,
                      sb && sb->userns_fd >= 0 ? sb->uid_base : 0, err) < 0)
                return -1;
        if (setup_sys(rootfd, plan->privileged, err) < 0 || setup_cgroupfs(rootfd, err) < 0)
                return -1;
        if (!plan->privileged && !plan->proc_unmasked && setup_masks(rootfd, err) < 0)
                return -1;
        if (setup_binds(plan, rootfd, err) < 0)
                return -1;

        if (do_pivot_root(plan->rootfs_dir, err) < 0)
                return -1;
        const char *cwd = plan->cwd && *plan->cwd ? plan->cwd : "/";
        if (make_cwd(cwd, err) < 0) /* may create: before the read-only remount */
                return -1;
        if (plan->rootfs_read_only &&
            mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
                return pc_fail(err, errno, "remount rootfs read-only");
        if (chdir(cwd) < 0)
                return pc_fail(err, errno, "workingDir \"%s\"", cwd);

        /* hostUsers: false: every mount is made (by root of the host's user
         * namespace, in a mount namespace it owns); now into the Pod's. */
        if (sb && sb->userns_fd >= 0 && pc_userns_join(sb->userns_fd, err) < 0)
                return -1;
        uid_t uid = plan->uid;
        gid_t gid = plan->gid;
        struct pc_user u = {0};
        if (plan->user) {
                if (pc_user_resolve("/", plan->user, &u, err) < 0)
                        return -1;
                uid = u.uid;
                gid = u.gid;
                if (plan->groups_strict) {
                        free(u.groups);
                        u.groups = NULL;
                        u.n_groups = 0;
                }
        }
        for (size_t i = 0; i < plan->n_groups; i++) {
                bool dup = false;
                for (size_t j = 0; j < u.n_groups; j++)
                        dup |= u.groups[j] == plan->groups[i];
                if (!dup) {
                        u.groups = pc_xrealloc(u.groups, (u.n_groups + 1) * sizeof(gid_t));
                        u.groups[u.n_groups++] = plan->groups[i];
                }
        }
        /* A terminal, while still privileged enough to give it to the user. */
        _cleanup_close_ int slave = -1;
        if (plan->tty && (slave = open_tty(uid, sync_fd, err)) < 0) {
                pc_user_free(&u);
                return -1;
        }
        int r = pc_rt_child_seal(&plan->sec, false, err);
        if (r == 0)
                r = pc_rt_child_identity(uid, gid, u.groups, u.n_groups, plan->sec.caps, err);
        pc_user_free(&u);
        if (r < 0)
                return -1;

        char exe[PATH_MAX];
        if (!plan->argv || !plan->argv[0])
                return pc_fail(err, EINVAL, "no command");
        if (pc_rt_child_lookup(plan->argv[0], plan->envp, exe, sizeof(exe), err) < 0)
                return -1;
        if (slave >= 0)
                stdio[0] = stdio[1] = stdio[2] = slave;
        if (pc_rt_child_stdio(stdio[0], stdio[1], stdio[2], devnull, sync_fd, err) < 0)
                return -1;
        /* The terminal's session: ^C reaches the foreground process group as
         * SIGINT, a window change as SIGWINCH. */
        if (slave >= 0) {
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

__attribute__((noreturn)) static void container_child(const struct pc_container_plan *plan,
                                                      int sync_fd)
{
        pc_error err;
        pc_error_clear(&err);
        pc_rt_child_reset_signals();
        umask(0);
        int stdio[3] = {plan->stdin_fd, plan->stdout_fd, plan->stderr_fd};
        sync_fd = pc_rt_child_fd_high(sync_fd, &err);
        if (sync_fd < 0)
                _exit(127);
        pc_rt_child_wait_go(sync_fd);
        setup_container(plan, stdio, sync_fd, &err);
        pc_rt_child_fail(sync_fd, &err);
}

int pc_container_start(const struct pc_container_plan *plan, pc_on_child_fn on_child, void *data,
                       pid_t *pid_out, pc_error *err)
{
        const char *name = plan->name ? plan->name : "";
        *pid_out = -1;
        if (plan->share_pid && (!plan->sandbox || plan->sandbox->pidns_fd < 0))
                return pc_fail(err, EINVAL,
                               "container \"%s\": share_pid without the sandbox's PID namespace",
                               name);
        int sv[2];
        if (pc_rt_sync_pair(sv, err) < 0)
                return pc_error_prefix(err, "container \"%s\"", name);
        _cleanup_close_ int parent_fd = sv[0];
        _cleanup_close_ int child_fd = sv[1];

        pid_t pid = plan->join_pidns  ? pc_rt_fork(PC_RT_PIDNS_JOIN, plan->pidns_fd, err)
                    : plan->share_pid ? pc_rt_fork(PC_RT_PIDNS_JOIN, plan->sandbox->pidns_fd, err)
                    : plan->host_pid  ? pc_rt_fork(PC_RT_PIDNS_KEEP, -1, err)
                                      : pc_rt_fork(PC_RT_PIDNS_NEW, -1, err);
        if (pid < 0)
                return pc_error_prefix(err, "container \"%s\"", name);
        if (pid == 0) {
                close(STEAL_FD(parent_fd));
                container_child(plan, STEAL_FD(child_fd));
        }
        close(STEAL_FD(child_fd));
        int master = -1;
        if (pc_rt_parent_run_fd(parent_fd, pid, on_child, data, plan->tty ? &master : NULL, err) <
            0)
                return pc_error_prefix(err, "container \"%s\"", name);
        if (plan->tty) {
                if (master < 0) {
                        pc_pid_killp(&pid);
                        return pc_fail(err, EPROTO, "container \"%s\": no terminal came back",
                                       name);
                }
                *plan->pty_master = master;
        }
        *pid_out = pid;
        return 0;
}
