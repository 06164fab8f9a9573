#include "runtime/fsroot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/util.h"

static int openat2_in_root(int rootfd, const char *path, int flags)
{
        struct open_how how;
        memset(&how, 0, sizeof(how));
        how.flags = (unsigned long long)(flags | O_CLOEXEC);
        how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        /* The kernel rejects an absolute path only outside RESOLVE_IN_ROOT;
         * with it, "/" means the root. Retry on EAGAIN (a concurrent rename). */
        for (int i = 0; i < 32; i++) {
                long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
                if (fd >= 0 || errno != EAGAIN)
                        return (int)fd;
        }
        return -1;
}

int pc_fsroot_open(int rootfd, const char *path, int flags, pc_error *err)
{
        int fd = openat2_in_root(rootfd, path, flags);
        if (fd < 0)
                return pc_fail(err, errno, "open %s in root", path);
        return fd;
}

/* Split the last component off `path` (modifying it). Returns the last
 * component; *parent is set to the rest ("/" when none). */
static char *split_last(char *path, const char **parent)
{
        size_t len = strlen(path);
        while (len > 1 && path[len - 1] == '/')
                path[--len] = '\0';
        char *slash = strrchr(path, '/');
        if (!slash) {
                *parent = ".";
                return path;
        }
        *slash = '\0';
        *parent = *path ? path : "/";
        return slash + 1;
}

/* `comp` (in the directory `dirfd`, reached as `parent` inside the root) is
 * a symlink whose target does not exist: rewrite `buf` as the path to
 * create, i.e. the target (relative to `parent` unless absolute) followed by
 * `rest`. Resolution stays inside the root since the result is resolved
 * with RESOLVE_IN_ROOT again. */
static int follow_dangling(int dirfd, const char *comp, const char *parent, const char *rest,
                           char *buf, size_t buflen)
{
        char target[PATH_MAX];
        ssize_t n = readlinkat(dirfd, comp, target, sizeof(target) - 1);
        if (n < 0)
                return -1;
        target[n] = '\0';
        char tmp[PATH_MAX];
        int k = target[0] == '/' ? snprintf(tmp, sizeof(tmp), "%s/%s", target, rest)
                                 : snprintf(tmp, sizeof(tmp), "%s/%s/%s", parent, target, rest);
        if (k < 0 || (size_t)k >= sizeof(tmp) || (size_t)k >= buflen) {
                errno = ENAMETOOLONG;
                return -1;
        }
        memcpy(buf, tmp, (size_t)k + 1);
        return 0;
}

int pc_fsroot_mkdir_p(int rootfd, const char *path, mode_t mode, pc_error *err)
{
        char buf[PATH_MAX];
        if ((size_t)snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf))
                return pc_fail(err, ENAMETOOLONG, "mkdir %s", path);
        int links = 0;
restart:;
        size_t len = strlen(buf);
        _cleanup_close_ int cur = openat2_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
        if (cur < 0)
                return pc_fail(err, errno, "open root");
        size_t i = 0;
        while (i < len) {
                while (i < len && buf[i] == '/')
                        i++;
                if (i >= len)
                        break;
                size_t start = i;
                while (i < len && buf[i] != '/')
                        i++;
                char saved = buf[i];
                buf[i] = '\0';
                const char *comp = buf + start;
                int fd = openat2_in_root(rootfd, buf, O_PATH | O_DIRECTORY);
                if (fd < 0 && errno == ENOENT && strcmp(comp, "..") && strcmp(comp, ".")) {
                        /* `cur` is the parent, already resolved inside the root;
                         * mkdirat does not follow a (dangling) symlink. */
                        if (mkdirat(cur, comp, mode) < 0 && errno != EEXIST)
                                return pc_fail(err, errno, "mkdir %s", buf);
                        fd = openat2_in_root(rootfd, buf, O_PATH | O_DIRECTORY);
                        struct stat st;
                        if (fd < 0 && errno == ENOENT &&
                            fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                            S_ISLNK(st.st_mode)) {
                                /* A dangling symlink: create its target instead. */
                                if (++links > 40)
                                        return pc_fail(err, ELOOP, "mkdir %s", path);
                                char parent[PATH_MAX];
                                snprintf(parent, sizeof(parent), "%.*s", (int)start, buf);
                                char rest[PATH_MAX];
                                snprintf(rest, sizeof(rest), "%s", saved ? buf + i + 1 : "");
                                if (follow_dangling(cur, comp, parent, rest, buf, sizeof(buf)) < 0)
                                        return pc_fail(err, errno, "mkdir %s", path);
                                close(STEAL_FD(cur));
                                goto restart;
                        }
                }
                if (fd < 0)
                        return pc_fail(err, errno, "%s", buf);
                close(cur);
                cur = fd;
                buf[i] = saved;
        }
        return STEAL_FD(cur);
}

int pc_fsroot_mkfile(int rootfd, const char *path, mode_t mode, pc_error *err)
{
        int fd = openat2_in_root(rootfd, path, O_PATH);
        if (fd >= 0) {
                struct stat st;
                if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
                        close(fd);
                        return pc_fail(err, EISDIR, "%s", path);
                }
                return fd;
        }
        if (errno != ENOENT)
                return pc_fail(err, errno, "%s", path);

        char buf[PATH_MAX];
        if ((size_t)snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf))
                return pc_fail(err, ENAMETOOLONG, "%s", path);
        const char *parent;
        char *name = split_last(buf, &parent);
        if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
                return pc_fail(err, EINVAL, "%s: not a file name", path);
        _cleanup_close_ int dfd = pc_fsroot_mkdir_p(rootfd, parent, 0755, err);
        if (dfd < 0)
                return -1;
        if (mknodat(dfd, name, S_IFREG | mode, 0) < 0 && errno != EEXIST)
                return pc_fail(err, errno, "create %s", path);
        fd = openat2_in_root(rootfd, path, O_PATH);
        if (fd < 0)
                return pc_fail(err, errno, "%s", path);
        return fd;
}
