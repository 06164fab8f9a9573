/* The kubelet's atomic writer layout (atomicdir.h). */
#include "util/atomicdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

#define DATA_LINK "..data"

void pc_payload_free(struct pc_payload_file *files, size_t n)
{
        for (size_t i = 0; files && i < n; i++) {
                free(files[i].path);
                free(files[i].data);
        }
        free(files);
}

static bool path_ok(const char *p)
{
        if (!*p || p[0] == '/' || pc_str_has_prefix(p, ".."))
                return false;
        for (const char *s = p; *s;) {
                size_t w = strcspn(s, "/");
                if (w == 0 || (w == 2 && !strncmp(s, "..", 2)) || (w == 1 && s[0] == '.'))
                        return false;
                s += w + (s[w] == '/');
        }
        return true;
}

/* Is files[i] the last entry of its path? */
static bool last_of_path(const struct pc_payload_file *files, size_t n, size_t i)
{
        for (size_t k = i + 1; k < n; k++)
                if (!strcmp(files[k].path, files[i].path))
                        return false;
        return true;
}

static size_t count_files(int dfd)
{
        DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return (size_t)-1;
        }
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d)) && n != (size_t)-1) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        n = (size_t)-1;
                else if (S_ISDIR(st.st_mode)) {
                        int sub = openat(dirfd(d), e->d_name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        size_t k = sub < 0 ? (size_t)-1 : count_files(sub);
                        n = k == (size_t)-1 ? k : n + k;
                } else {
                        n++;
                }
        }
        closedir(d);
        return n;
}

/* Does dir/..data hold exactly these files? */
static bool same_payload(const char *dir, const struct pc_payload_file *files, size_t n)
{
        _cleanup_free_ char *data = pc_xasprintf("%s/" DATA_LINK, dir);
        size_t unique = 0;
        for (size_t i = 0; i < n; i++) {
                if (!last_of_path(files, n, i))
                        continue;
                unique++;
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", data, files[i].path);
                struct stat st;
                if (lstat(p, &st) < 0 || !S_ISREG(st.st_mode) ||
                    (st.st_mode & 07777) != (files[i].mode & 07777) ||
                    (size_t)st.st_size != files[i].len)
                        return false;
                _cleanup_free_ char *have = NULL;
                size_t len = 0;
                pc_error ignore;
                if (pc_read_file(p, &have, &len, &ignore) < 0 || len != files[i].len ||
                    (len && memcmp(have, files[i].data, len)))
                        return false;
        }
        int dfd = open(data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return false;
        return count_files(dfd) == unique;
}

/* The first component of a payload path. */
static char *first_component(const char *p)
{
        return strndup(p, strcspn(p, "/"));
}

static bool in_payload(const struct pc_payload_file *files, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++) {
                size_t w = strcspn(files[i].path, "/");
                if (strlen(name) == w && !strncmp(files[i].path, name, w))
                        return true;
        }
        return false;
}

static int write_ts_dir(const char *ts, const struct pc_payload_file *files, size_t n,
                        pc_error *err)
{
        for (size_t i = 0; i < n; i++) {
                if (!last_of_path(files, n, i))
                        continue;
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", ts, files[i].path);
                _cleanup_free_ char *parent = pc_xstrdup(p);
                *strrchr(parent, '/') = '\0';
                if (pc_mkdir_p(parent, 0755, err) < 0)
                        return -1;
                _cleanup_close_ int fd =
                    open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0)
                        return pc_fail(err, errno, "create %s", p);
                if (pc_write_all(fd, files[i].data, files[i].len) < 0)
                        return pc_fail(err, errno, "write %s", p);
                /* the mode exactly, whatever the umask */
                if (fchmod(fd, files[i].mode & 07777) < 0)
                        return pc_fail(err, errno, "chmod %s", p);
        }
        return 0;
}

int pc_atomic_dir_write(const char *dir, const struct pc_payload_file *files, size_t n,
                        bool *changed, pc_error *err)
{
        *changed = false;
        for (size_t i = 0; i < n; i++)
                if (!path_ok(files[i].path))
                        return pc_fail(err, EINVAL, "invalid file path \"%s\"", files[i].path);
        if (pc_mkdir_p(dir, 0755, err) < 0)
                return -1;
        _cleanup_free_ char *data = pc_xasprintf("%s/" DATA_LINK, dir);
        char old[256] = "";
        ssize_t ol = readlink(data, old, sizeof(old) - 1);
        if (ol > 0)
                old[ol] = '\0';
        else
                old[0] = '\0';
        if (!*old || !same_payload(dir, files, n)) {
                /* a new timestamped directory, then ..data swapped to it */
                char stamp[64];
                time_t now = time(NULL);
                struct tm tm;
                gmtime_r(&now, &tm);
                strftime(stamp, sizeof(stamp), "..%Y_%m_%d_%H_%M_%S.", &tm);
                _cleanup_free_ char *ts = pc_xasprintf("%s/%sXXXXXX", dir, stamp);
                if (!mkdtemp(ts))
                        return pc_fail(err, errno, "mkdtemp in %s", dir);
                int r = chmod(ts, 0755) < 0 ? pc_fail(err, errno, "chmod %s", ts)
                                            : write_ts_dir(ts, files, n, err);
                if (r < 0) {
                        pc_error ignore;
                        pc_rm_rf(ts, &ignore);
                        return -1;
                }
                _cleanup_free_ char *tmp = pc_xasprintf("%s/" DATA_LINK "_tmp", dir);
                unlink(tmp);
                if (symlink(strrchr(ts, '/') + 1, tmp) < 0 || rename(tmp, data) < 0) {
                        pc_fail(err, errno, "swap %s", data);
                        unlink(tmp);
                        pc_error ignore;
                        pc_rm_rf(ts, &ignore);
                        return -1;
                }
                *changed = true;
        }
        /* the user-visible links: one per top-level entry, none stale */
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *first = first_component(files[i].path);
                _cleanup_free_ char *link = pc_xasprintf("%s/%s", dir, first);
                _cleanup_free_ char *target = pc_xasprintf(DATA_LINK "/%s", first);
                struct stat st;
                if (lstat(link, &st) == 0)
                        continue;
                if (symlink(target, link) < 0)
                        return pc_fail(err, errno, "symlink %s", link);
        }
        DIR *d = opendir(dir);
        if (!d)
                return pc_fail(err, errno, "opendir %s", dir);
        struct dirent *e;
        while ((e = readdir(d))) {
                if (pc_str_has_prefix(e->d_name, ".."))
                        continue;
                if (!strcmp(e->d_name, ".") || in_payload(files, n, e->d_name))
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISLNK(st.st_mode))
                        unlinkat(dirfd(d), e->d_name, 0);
        }
        closedir(d);
        if (*changed && *old && strchr(old, '/') == NULL && pc_str_has_prefix(old, "..")) {
                _cleanup_free_ char *od = pc_xasprintf("%s/%s", dir, old);
                pc_error ignore;
                pc_rm_rf(od, &ignore);
        }
        return 0;
}
