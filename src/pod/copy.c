/* podctl cp (kubectl cp's semantics, without a tar binary in the image):
 * the container's side runs in a child that joins the container's mount
 * namespace (setns on a pidfd of the container's process, so the process
 * checked is the one joined) with the container process's uid, gid and
 * groups, and resolves the path given inside the container's root
 * (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): a symlink in the
 * container, absolute or "../..", never leads out of it. Below that path it
 * reads (a tree walk that never follows a symlink) or extracts (libarchive
 * with SECURE_SYMLINKS, NODOTDOT, NOABSOLUTEPATHS) a tar stream over a
 * socket; the caller's side writes or reads the local files.
 *
 * As kubectl cp:
 *   cp POD:SRC DEST   SRC a file: written to DEST; a directory: its contents
 *                     into DEST (made when missing). Symlinks in SRC are
 *                     skipped with a warning; files keep no mode (0666 &
 *                     umask, as os.Create).
 *   cp SRC POD:DEST   DEST an existing directory: SRC goes into it under its
 *                     own name; else SRC becomes DEST. Modes kept (tar -x as
 *                     the container's user), symlinks kept as symlinks. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/image.h"
#include "pod/internal.h"
#include "podctl/podctl.h"
#include "runtime/fsroot.h"
#include "state/state.h"
#include "util/util.h"

/* The container's process: pidfd and credentials. */
struct target {
        int pidfd;
        uid_t uid;
        gid_t gid;
        gid_t groups[64];
        int n_groups;
};

static int read_creds(pid_t pid, struct target *t, pc_error *err)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return pc_fail(err, errno, "%s", path);
        char line[1024];
        bool have_u = false, have_g = false;
        while (fgets(line, sizeof(line), f)) {
                unsigned long r, e;
                if (sscanf(line, "Uid:\t%lu\t%lu", &r, &e) == 2) {
                        t->uid = (uid_t)e;
                        have_u = true;
                } else if (sscanf(line, "Gid:\t%lu\t%lu", &r, &e) == 2) {
                        t->gid = (gid_t)e;
                        have_g = true;
                } else if (!strncmp(line, "Groups:", 7)) {
                        char *p = line + 7, *end;
                        for (;;) {
                                unsigned long g = strtoul(p, &end, 10);
                                if (end == p || t->n_groups >= 64)
                                        break;
                                t->groups[t->n_groups++] = (gid_t)g;
                                p = end;
                        }
                }
        }
        if (!have_u || !have_g)
                return pc_fail(err, 0, "%s: no Uid or Gid", path);
        return 0;
}

static int find_target(podctl *ctx, const char *ns, const char *name, const char *container,
                       struct target *t, pc_error *err)
{
        memset(t, 0, sizeof(*t));
        t->pidfd = -1;
        _cleanup_free_ char *key = pc_pod_key(ns, name);
        struct pc_pod_state ps;
        int r = pc_pod_state_load(&ctx->root, key, &ps, err);
        if (r == 0)
                pc_pod_adopt_if_lost(ctx, &ps);
        if (r < 0 || (!ps.status && !ps.monitor_alive)) {
                bool missing = r == 0 || err->code == ENOENT;
                pc_pod_state_free(&ps);
                if (missing)
                        return pc_fail(err, ENOENT, "pods \"%s\" not found", name);
                return -1;
        }
        if (!container) {
                json_t *cs = json_object_get(json_object_get(ps.pod, "spec"), "containers");
                container = json_string_value(json_object_get(json_array_get(cs, 0), "name"));
        }
        json_t *rt =
            json_object_get(json_object_get(ps.runtime, "containers"), container ? container : "");
        pid_t pid = (pid_t)json_integer_value(json_object_get(rt, "pid"));
        uint64_t start = (uint64_t)json_integer_value(json_object_get(rt, "pidStart"));
        bool alive = ps.monitor_alive;
        pc_pod_state_free(&ps);
        if (!rt) {
                pc_fail(err, 0, "container %s is not valid for pod %s", container ? container : "",
                        name);
                err->code = ENOENT;
                return -1;
        }
        if (!alive || pid <= 0)
                return pc_fail(err, 0, "container %s is not running (pod %s)", container, name);
        t->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        /* The pidfd pins the process; it is the one recorded if its start
         * time still matches now that the pidfd is held. */
        if (t->pidfd < 0 || !pc_proc_alive(pid, start)) {
                if (t->pidfd >= 0)
                        close(t->pidfd);
                t->pidfd = -1;
                return pc_fail(err, 0, "container %s is not running (pod %s)", container, name);
        }
        if (read_creds(pid, t, err) < 0 || !pc_proc_alive(pid, start)) {
                close(t->pidfd);
                t->pidfd = -1;
                if (!err->msg[0])
                        pc_fail(err, 0, "container %s is not running (pod %s)", container, name);
                return -1;
        }
        return 0;
}

/* ---- the container's side (a child) ---------------------------------------- */

static void child_fail(int errfd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void child_fail(int errfd, const char *fmt, ...)
{
        char buf[1024];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n > 0)
                pc_write_all(errfd, buf, strlen(buf));
        _exit(1);
}

/* Into the container: its mount namespace (root and cwd become its root), a
 * fd of that root, then its credentials. */
static int enter(const struct target *t, int errfd)
{
        if (setns(t->pidfd, CLONE_NEWNS) < 0)
                child_fail(errfd, "join the container's mount namespace: %s", strerror(errno));
        int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                child_fail(errfd, "open the container's root: %s", strerror(errno));
        return rootfd;
}

static void drop(const struct target *t, int errfd)
{
        if (setgroups((size_t)t->n_groups, t->groups) < 0 ||
            setresgid(t->gid, t->gid, t->gid) < 0 || setresuid(t->uid, t->uid, t->uid) < 0)
                child_fail(errfd, "take the container's user: %s", strerror(errno));
}

/* "a/b/c" -> parent "a/b", base "c"; "/" -> ".", "." */
static void split(const char *path, char **parent, char **base)
{
        _cleanup_free_ char *p = pc_xstrdup(path);
        size_t n = strlen(p);
        while (n > 1 && p[n - 1] == '/')
                p[--n] = '\0';
        char *slash = strrchr(p, '/');
        if (!strcmp(p, "/") || !*p) {
                *parent = pc_xstrdup("/");
                *base = pc_xstrdup(".");
        } else if (!slash) {
                *parent = pc_xstrdup(".");
                *base = pc_xstrdup(p);
        } else {
                *base = pc_xstrdup(slash + 1);
                *slash = '\0';
                *parent = pc_xstrdup(slash == p ? "/" : p);
        }
}

static int copy_data(struct archive *in, struct archive *out)
{
        const void *buf;
        size_t size;
        la_int64_t off;
        for (;;) {
                int r = archive_read_data_block(in, &buf, &size, &off);
                if (r == ARCHIVE_EOF)
                        return 0;
                if (r < ARCHIVE_WARN)
                        return -1;
                if (archive_write_data(out, buf, size) < 0)
                        return -1;
        }
}

/* cp POD:SRC: SRC as a tar stream on fd, names "BASE/..." */
static void child_read(const struct target *t, const char *src, int fd, int errfd)
{
        signal(SIGPIPE, SIG_IGN);
        int rootfd = enter(t, errfd);
        _cleanup_free_ char *parent = NULL, *base = NULL;
        split(src, &parent, &base);
        pc_error err;
        int dirfd = pc_fsroot_open(rootfd, parent, O_PATH | O_DIRECTORY, &err);
        if (dirfd < 0)
                child_fail(errfd, "%s: %s", src,
                           err.code == ENOENT ? "No such file or directory" : err.msg);
        drop(t, errfd);
        if (fchdir(dirfd) < 0)
                child_fail(errfd, "%s: %s", parent, strerror(errno));
        struct stat st;
        if (fstatat(AT_FDCWD, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                child_fail(errfd, "%s: %s", src, strerror(errno));
        struct archive *disk = archive_read_disk_new();
        struct archive *out = archive_write_new();
        archive_read_disk_set_symlink_physical(disk);
        archive_write_set_format_pax_restricted(out);
        if (archive_write_open_fd(out, fd) != ARCHIVE_OK)
                child_fail(errfd, "tar: %s", archive_error_string(out));
        if (archive_read_disk_open(disk, base) != ARCHIVE_OK)
                child_fail(errfd, "%s: %s", src, archive_error_string(disk));
        for (;;) {
                struct archive_entry *e = archive_entry_new();
                int r = archive_read_next_header2(disk, e);
                if (r == ARCHIVE_EOF) {
                        archive_entry_free(e);
                        break;
                }
                if (r < ARCHIVE_WARN)
                        child_fail(errfd, "%s: %s", src, archive_error_string(disk));
                archive_read_disk_descend(disk);
                if (archive_write_header(out, e) < ARCHIVE_WARN)
                        child_fail(errfd, "tar: %s", archive_error_string(out));
                if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0 &&
                    copy_data(disk, out) < 0)
                        child_fail(errfd, "%s: %s", archive_entry_pathname(e),
                                   archive_error_string(disk));
                archive_entry_free(e);
        }
        archive_read_free(disk);
        if (archive_write_close(out) != ARCHIVE_OK)
                child_fail(errfd, "tar: %s", archive_error_string(out));
        archive_write_free(out);
        _exit(0);
}

/* cp SRC POD:DEST: extract the stream on fd (names "SRCBASE/...") at DEST. */
static void child_write(const struct target *t, const char *src_base, const char *dest, int fd,
                        int errfd)
{
        int rootfd = enter(t, errfd);
        pc_error err;
        _cleanup_free_ char *dir = NULL, *base = NULL;
        int dirfd = pc_fsroot_open(rootfd, dest, O_PATH | O_DIRECTORY, &err);
        if (dirfd >= 0) {
                dir = pc_xstrdup(dest); /* an existing directory: SRC goes into it */
                base = pc_xstrdup(src_base);
        } else {
                split(dest, &dir, &base);
                dirfd = pc_fsroot_open(rootfd, dir, O_PATH | O_DIRECTORY, &err);
                if (dirfd < 0)
                        child_fail(errfd, "%s: %s", dir,
                                   err.code == ENOENT ? "No such file or directory" : err.msg);
        }
        drop(t, errfd);
        if (fchdir(dirfd) < 0)
                child_fail(errfd, "%s: %s", dir, strerror(errno));
        struct archive *in = archive_read_new();
        struct archive *disk = archive_write_disk_new();
        archive_read_support_format_tar(in);
        archive_write_disk_set_options(
            disk, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                      ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
        if (archive_read_open_fd(in, fd, 65536) != ARCHIVE_OK)
                child_fail(errfd, "tar: %s", archive_error_string(in));
        size_t bl = strlen(src_base);
        for (;;) {
                struct archive_entry *e;
                int r = archive_read_next_header(in, &e);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN)
                        child_fail(errfd, "tar: %s", archive_error_string(in));
                const char *n = archive_entry_pathname(e);
                if (strncmp(n, src_base, bl) || (n[bl] && n[bl] != '/'))
                        child_fail(errfd, "tar contents corrupted");
                _cleanup_free_ char *name = pc_xasprintf("%s%s", base, n + bl);
                archive_entry_set_pathname(e, name);
                if (archive_write_header(disk, e) < ARCHIVE_WARN)
                        child_fail(errfd, "%s/%s: %s", strcmp(dir, "/") ? dir : "", name,
                                   archive_errno(disk) > 0 ? strerror(archive_errno(disk))
                                                           : archive_error_string(disk));
                if (archive_entry_size(e) > 0 && copy_data(in, disk) < 0)
                        child_fail(errfd, "%s: %s", name, archive_error_string(disk));
                if (archive_write_finish_entry(disk) < ARCHIVE_WARN)
                        child_fail(errfd, "%s: %s", name, archive_error_string(disk));
        }
        archive_read_free(in);
        if (archive_write_close(disk) != ARCHIVE_OK)
                child_fail(errfd, "%s", archive_error_string(disk));
        archive_write_free(disk);
        _exit(0);
}

/* ---- the caller's side ------------------------------------------------------- */

struct job {
        pid_t pid;
        int data; /* our end of the socket */
        int errfd;
};

static int start(const struct target *t, bool reading, const char *a, const char *b, struct job *j,
                 pc_error *err)
{
        int sv[2], ep[2];
        /* libarchive is loaded on first use: here, on the host, before the
         * child enters the container's mount namespace */
        const char *lib = pc_archive_load();
        if (lib)
                return pc_fail(err, 0, "%s", lib);
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return pc_fail(err, errno, "socketpair");
        if (pipe2(ep, O_CLOEXEC) < 0) {
                close(sv[0]);
                close(sv[1]);
                return pc_fail(err, errno, "pipe");
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
                pc_fail(err, errno, "fork");
                close(sv[0]);
                close(sv[1]);
                close(ep[0]);
                close(ep[1]);
                return -1;
        }
        if (pid == 0) {
                close(sv[0]);
                close(ep[0]);
                if (reading)
                        child_read(t, a, sv[1], ep[1]);
                else
                        child_write(t, a, b, sv[1], ep[1]);
                _exit(1);
        }
        close(sv[1]);
        close(ep[1]);
        *j = (struct job){.pid = pid, .data = sv[0], .errfd = ep[0]};
        return 0;
}

/* Reap the child; its error, if any, wins over ours. */
static int finish(struct job *j, int r, pc_error *err)
{
        if (j->data >= 0)
                close(j->data);
        int ws = 0;
        while (waitpid(j->pid, &ws, 0) < 0 && errno == EINTR)
                ;
        char msg[1024];
        ssize_t n = read(j->errfd, msg, sizeof(msg) - 1);
        close(j->errfd);
        if (n > 0) {
                msg[n] = '\0';
                return pc_fail(err, 0, "%s", msg);
        }
        if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
                return r < 0 ? -1 : pc_fail(err, 0, "copy in the container failed");
        return r;
}

/* Is "rel" (a name below the copy's root) free of ".." and absolute parts? */
static bool inside(const char *rel)
{
        if (rel[0] == '/')
                return false;
        _cleanup_free_ char *s = pc_xstrdup(rel);
        char *save = NULL;
        for (char *c = strtok_r(s, "/", &save); c; c = strtok_r(NULL, "/", &save))
                if (!strcmp(c, ".."))
                        return false;
        return true;
}

static int mkdir_p(const char *path, pc_error *err)
{
        if (pc_mkdir_p(path, 0755, err) < 0)
                return -1;
        return 0;
}

static void warn(char ***warnings, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(char ***warnings, const char *fmt, ...)
{
        char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) >= 0)
                pc_strv_push(warnings, s);
        va_end(ap);
        free(s);
}

int podctl_pod_copy_from(podctl *ctx, const char *ns, const char *name, const char *container,
                         const char *src, const char *dest, char ***warnings, pc_error *err)
{
        *warnings = pc_xcalloc(1, sizeof(char *));
        if (!*src || !*dest)
                return pc_fail(err, 0, "filepath can not be empty");
        struct target t;
        if (find_target(ctx, ns, name, container, &t, err) < 0)
                return -1;
        struct job j;
        int r = start(&t, true, src, NULL, &j, err);
        close(t.pidfd);
        if (r < 0)
                return -1;
        _cleanup_free_ char *parent = NULL, *base = NULL;
        split(src, &parent, &base);
        size_t bl = strlen(base);
        struct archive *in = archive_read_new();
        archive_read_support_format_tar(in);
        r = 0;
        if (archive_read_open_fd(in, j.data, 65536) != ARCHIVE_OK) {
                r = pc_fail(err, 0, "tar: %s", archive_error_string(in));
                goto out;
        }
        for (;;) {
                struct archive_entry *e;
                int ar = archive_read_next_header(in, &e);
                if (ar == ARCHIVE_EOF)
                        break;
                if (ar < ARCHIVE_WARN) {
                        r = pc_fail(err, 0, "tar: %s", archive_error_string(in));
                        break;
                }
                const char *n = archive_entry_pathname(e);
                if (strncmp(n, base, bl) || (n[bl] && n[bl] != '/')) {
                        r = pc_fail(err, 0, "tar contents corrupted");
                        break;
                }
                const char *rel = n + bl;
                while (*rel == '/')
                        rel++;
                _cleanup_free_ char *to =
                    *rel ? pc_xasprintf("%s/%s", dest, rel) : pc_xstrdup(dest);
                if (!inside(rel)) {
                        warn(warnings, "file \"%s\" is outside target destination, skipping", to);
                        continue;
                }
                _cleanup_free_ char *todir = pc_xstrdup(to);
                char *slash = strrchr(todir, '/');
                if (slash && slash != todir) {
                        *slash = '\0';
                        if (mkdir_p(todir, err) < 0) {
                                r = -1;
                                break;
                        }
                }
                mode_t type = archive_entry_filetype(e);
                if (type == AE_IFDIR) {
                        if (mkdir_p(to, err) < 0) {
                                r = -1;
                                break;
                        }
                        continue;
                }
                if (type == AE_IFLNK) {
                        warn(warnings, "skipping symlink: \"%s\" -> \"%s\"", to,
                             archive_entry_symlink(e) ?: "");
                        continue;
                }
                if (type != AE_IFREG)
                        continue;
                _cleanup_close_ int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
                if (fd < 0) {
                        r = pc_fail(err, errno, "open %s", to);
                        break;
                }
                const void *buf;
                size_t size;
                la_int64_t off;
                for (;;) {
                        int dr = archive_read_data_block(in, &buf, &size, &off);
                        if (dr == ARCHIVE_EOF)
                                break;
                        if (dr < ARCHIVE_WARN) {
                                r = pc_fail(err, 0, "tar: %s", archive_error_string(in));
                                break;
                        }
                        if (pwrite(fd, buf, size, off) != (ssize_t)size) {
                                r = pc_fail(err, errno, "write %s", to);
                                break;
                        }
                }
                if (r < 0)
                        break;
        }
out:
        archive_read_free(in); /* leaves j.data open: finish() closes it */
        return finish(&j, r, err);
}

/* libarchive writes to the socket with MSG_NOSIGNAL: a child that has
 * died makes a write fail, never a SIGPIPE for the caller. */
static la_ssize_t sock_write(struct archive *a, void *data, const void *buf, size_t n)
{
        int fd = *(int *)data;
        for (;;) {
                ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        archive_set_error(a, errno, "write: %s", strerror(errno));
                return w;
        }
}

int podctl_pod_copy_to(podctl *ctx, const char *ns, const char *name, const char *container,
                       const char *src, const char *dest, char ***warnings, pc_error *err)
{
        *warnings = pc_xcalloc(1, sizeof(char *));
        if (!*src || !*dest)
                return pc_fail(err, 0, "filepath can not be empty");
        struct stat st;
        if (lstat(src, &st) < 0)
                return pc_fail(err, 0, "%s doesn't exist in local filesystem", src);
        _cleanup_free_ char *parent = NULL, *base = NULL;
        split(src, &parent, &base);
        struct target t;
        if (find_target(ctx, ns, name, container, &t, err) < 0)
                return -1;
        struct job j;
        int r = start(&t, false, base, dest, &j, err);
        close(t.pidfd);
        if (r < 0)
                return -1;
        _cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct archive *disk = archive_read_disk_new();
        struct archive *out = archive_write_new();
        archive_read_disk_set_symlink_physical(disk);
        archive_write_set_format_pax_restricted(out);
        archive_write_set_bytes_in_last_block(out, 1);
        r = 0;
        if (archive_write_open(out, &j.data, NULL, sock_write, NULL) != ARCHIVE_OK || cwd < 0 ||
            chdir(parent) < 0 || archive_read_disk_open(disk, base) != ARCHIVE_OK) {
                r = pc_fail(err, 0, "%s: %s", src,
                            archive_error_string(disk) ?: archive_error_string(out)
                                                              ?: strerror(errno));
                goto out;
        }
        for (;;) {
                struct archive_entry *e = archive_entry_new();
                int ar = archive_read_next_header2(disk, e);
                if (ar == ARCHIVE_EOF) {
                        archive_entry_free(e);
                        break;
                }
                if (ar < ARCHIVE_WARN) {
                        r = pc_fail(err, 0, "%s: %s", src, archive_error_string(disk));
                        archive_entry_free(e);
                        break;
                }
                archive_read_disk_descend(disk);
                if (archive_write_header(out, e) < ARCHIVE_WARN ||
                    (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0 &&
                     copy_data(disk, out) < 0)) {
                        r = pc_fail(err, 0, "%s: %s", archive_entry_pathname(e),
                                    archive_error_string(out) ?: archive_error_string(disk));
                        archive_entry_free(e);
                        break;
                }
                archive_entry_free(e);
        }
        if (r == 0 && archive_write_close(out) != ARCHIVE_OK)
                r = pc_fail(err, 0, "tar: %s", archive_error_string(out));
out:
        if (cwd >= 0 && fchdir(cwd) < 0 && r == 0)
                r = pc_fail(err, errno, "back to the working directory");
        archive_read_free(disk);
        archive_write_free(out);
        return finish(&j, r, err);
}
