#include "util/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void oom(void)
{
        static const char msg[] = "podctl: out of memory\n";
        if (write(2, msg, sizeof(msg) - 1) < 0) {
        }
        abort();
}

void *pc_xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *pc_xcalloc(size_t n, size_t sz)
{
        void *p = calloc(n ? n : 1, sz ? sz : 1);
        if (!p)
                oom();
        return p;
}

void *pc_xrealloc(void *p, size_t n)
{
        p = realloc(p, n ? n : 1);
        if (!p)
                oom();
        return p;
}

char *pc_xstrdup(const char *s)
{
        char *r;
        if (!s)
                return NULL;
        r = strdup(s);
        if (!r)
                oom();
        return r;
}

char *pc_xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *r;
        va_start(ap, fmt);
        if (vasprintf(&r, fmt, ap) < 0)
                oom();
        va_end(ap);
        return r;
}

size_t pc_strv_len(char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

char **pc_strv_dup(char *const *v)
{
        size_t n = pc_strv_len(v);
        char **r = pc_xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
                r[i] = pc_xstrdup(v[i]);
        return r;
}

void pc_strv_push(char ***v, const char *s)
{
        size_t n = pc_strv_len(*v);
        *v = pc_xrealloc(*v, (n + 2) * sizeof(char *));
        (*v)[n] = pc_xstrdup(s);
        (*v)[n + 1] = NULL;
}

void pc_strv_free(char **v)
{
        if (!v)
                return;
        for (size_t i = 0; v[i]; i++)
                free(v[i]);
        free(v);
}

bool pc_str_has_prefix(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool pc_str_has_suffix(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && strcmp(s + a - b, suffix) == 0;
}

int pc_mkdir_p(const char *path, mode_t mode, pc_error *err)
{
        _cleanup_free_ char *p = pc_xstrdup(path);
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return pc_fail(err, errno, "mkdir %s", p);
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return pc_fail(err, errno, "mkdir %s", p);
        return 0;
}

static int rm_rf_at(int dfd, const char *name, pc_error *err)
{
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return 0;
                return pc_fail(err, errno, "stat %s", name);
        }
        if (S_ISDIR(st.st_mode)) {
                int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return pc_fail(err, errno, "open %s", name);
                DIR *d = fdopendir(fd);
                if (!d) {
                        close(fd);
                        return pc_fail(err, errno, "opendir %s", name);
                }
                struct dirent *de;
                int r = 0;
                while ((de = readdir(d))) {
                        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                                continue;
                        if (rm_rf_at(dirfd(d), de->d_name, err) < 0) {
                                r = -1;
                                break;
                        }
                }
                closedir(d);
                if (r < 0)
                        return pc_error_prefix(err, "%s", name);
                if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                        return pc_fail(err, errno, "rmdir %s", name);
                return 0;
        }
        if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
                return pc_fail(err, errno, "unlink %s", name);
        return 0;
}

int pc_rm_rf(const char *path, pc_error *err)
{
        return rm_rf_at(AT_FDCWD, path, err);
}

/* Read fd to its end, at most max + 1 bytes: 0, -1 with errno, -2 when
 * larger than max. */
static int read_fd(int fd, size_t max, char **out, size_t *len)
{
        size_t cap = 4096, n = 0;
        _cleanup_free_ char *buf = pc_xmalloc(cap + 1);
        for (;;) {
                if (n == cap) {
                        if (n > max)
                                return -2;
                        cap = cap > max / 2 ? max + 1 : cap * 2;
                        buf = pc_xrealloc(buf, cap + 1);
                }
                ssize_t r = read(fd, buf + n, cap - n);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -1;
                }
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        if (n > max)
                return -2;
        buf[n] = '\0';
        if (len)
                *len = n;
        *out = STEAL(buf);
        return 0;
}

/* code EFBIG, without strerror's "File too large" after the message */
static int too_large(pc_error *err, const char *what, size_t max)
{
        pc_fail(err, 0, "%s: larger than the limit of %zu bytes", what, max);
        err->code = EFBIG;
        return -1;
}

int pc_read_file(const char *path, char **out, size_t *len, pc_error *err)
{
        return pc_read_file_max(path, SIZE_MAX / 4, out, len, err);
}

int pc_read_file_max(const char *path, size_t max, char **out, size_t *len, pc_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return pc_fail(err, errno, "open %s", path);
        int r = read_fd(fd, max, out, len);
        if (r == -2)
                return too_large(err, path, max);
        if (r < 0)
                return pc_fail(err, errno, "read %s", path);
        return 0;
}

int pc_read_fd_max(int fd, const char *what, size_t max, char **out, size_t *len, pc_error *err)
{
        int r = read_fd(fd, max, out, len);
        if (r == -2)
                return too_large(err, what, max);
        if (r < 0)
                return pc_fail(err, errno, "read %s", what);
        return 0;
}

int pc_write_all(int fd, const void *data, size_t len)
{
        const char *p = data;
        while (len > 0) {
                ssize_t r = write(fd, p, len);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -1;
                }
                p += r;
                len -= (size_t)r;
        }
        return 0;
}

static int write_replace(const char *path, const void *data, size_t len, mode_t mode, bool sync,
                         pc_error *err)
{
        _cleanup_free_ char *tmp = pc_xasprintf("%s.tmp.%d", path, (int)getpid());
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0)
                return pc_fail(err, errno, "create %s", tmp);
        if (pc_write_all(fd, data, len) < 0 || (sync && fsync(fd) < 0)) {
                int e = errno;
                close(fd);
                unlink(tmp);
                return pc_fail(err, e, "write %s", tmp);
        }
        close(fd);
        if (rename(tmp, path) < 0) {
                int e = errno;
                unlink(tmp);
                return pc_fail(err, e, "rename %s", path);
        }
        return 0;
}

int pc_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, pc_error *err)
{
        return write_replace(path, data, len, mode, true, err);
}

int pc_replace_file(const char *path, const void *data, size_t len, mode_t mode, pc_error *err)
{
        return write_replace(path, data, len, mode, false, err);
}

int pc_write_file(const char *path, const char *data, pc_error *err)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return pc_fail(err, errno, "open %s", path);
        if (pc_write_all(fd, data, strlen(data)) < 0)
                return pc_fail(err, errno, "write %s", path);
        return 0;
}

int64_t pc_now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t pc_monotonic_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void pc_format_time(int64_t ns, bool nano, char *buf, size_t len)
{
        time_t sec = (time_t)(ns / 1000000000LL);
        long frac = (long)(ns % 1000000000LL);
        struct tm tm;
        char base[32];
        gmtime_r(&sec, &tm);
        strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
        if (nano)
                snprintf(buf, len, "%s.%09ldZ", base, frac);
        else
                snprintf(buf, len, "%sZ", base);
}

int pc_parse_time(const char *s, int64_t *ns)
{
        struct tm tm = {0};
        const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        long frac = 0;
        if (!p)
                return -1;
        if (*p == '.') {
                int digits = 0;
                p++;
                while (*p >= '0' && *p <= '9') {
                        if (digits < 9) {
                                frac = frac * 10 + (*p - '0');
                                digits++;
                        }
                        p++;
                }
                while (digits++ < 9)
                        frac *= 10;
        }
        if (*p != 'Z' || p[1])
                return -1;
        /* nanoseconds since the epoch in an int64 span 1678..2262: refuse
         * what does not fit (with room for a later UTC offset) */
        time_t t = timegm(&tm);
        if (t < -9000000000LL || t > 9000000000LL)
                return -1;
        *ns = (int64_t)t * 1000000000LL + frac;
        return 0;
}

uint64_t pc_proc_starttime(pid_t pid)
{
        char path[64], buf[1024];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        /* comm may contain spaces and parentheses: fields resume after the last ')' */
        char *p = strrchr(buf, ')');
        if (!p)
                return 0;
        p++;
        /* p now points at " state ppid ...": starttime is field 22, i.e. the
         * 20th after the comm. */
        for (int field = 3; field < 22 && p; field++)
                p = strchr(p + 1, ' ');
        if (!p)
                return 0;
        return strtoull(p + 1, NULL, 10);
}

bool pc_proc_alive(pid_t pid, uint64_t starttime)
{
        if (pid <= 0)
                return false;
        uint64_t st = pc_proc_starttime(pid);
        if (st == 0)
                return false;
        if (starttime && st != starttime)
                return false;
        /* A zombie is not alive for our purposes. */
        char path[64], buf[256];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        char *p = strrchr(buf, ')');
        return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

void pc_close_fds_from(int lowfd, int keep)
{
        if (keep < 0) {
                if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0) == 0)
                        return;
        } else {
                if (keep > lowfd)
                        syscall(SYS_close_range, (unsigned)lowfd, (unsigned)keep - 1, 0);
                if (syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0) == 0)
                        return;
        }
        for (int fd = lowfd; fd < 65536; fd++)
                if (fd != keep)
                        close(fd);
}

void pc_pid_killp(pid_t *pid)
{
        if (*pid > 0) {
                int saved = errno;
                kill(*pid, SIGKILL);
                while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                errno = saved;
        }
}

void pc_uuid4(char out[37])
{
        unsigned char b[16];
        size_t got = 0;
        while (got < sizeof(b)) {
                ssize_t r = getrandom(b + got, sizeof(b) - got, 0);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        abort();
                got += (size_t)r;
        }
        b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
        b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
        snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                 b[13], b[14], b[15]);
}

char *pc_self_dir(void)
{
        char buf[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
        if (n <= 0)
                return pc_xstrdup(".");
        buf[n] = '\0';
        char *slash = strrchr(buf, '/');
        if (slash)
                *slash = '\0';
        return pc_xstrdup(buf);
}
