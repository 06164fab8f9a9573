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

int pc_fsroot_mkdir_p(int rootfd, const char *path, mode_t mode, pc_error *err)
{
        size_t len = strlen(path);
        if (len >= PATH_MAX)
                return pc_fail(err, ENAMETOOLONG, "mkdir %s", path);
        char buf[PATH_MAX];
        memcpy(buf, path, len + 1);

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
