/* CRI log format, as the kubelet reads it:
 *   <RFC3339Nano timestamp> <stdout|stderr> <F|P> <content>\n
 * F marks the end of a line, P a piece of a line longer than the buffer.
 *
 * Rotation (the kubelet's container log manager, done here as the records
 * are written instead of every 10 s): <run>.log is renamed
 * <run>.log.<YYYYmmdd-HHMMSS> (UTC) when the next record would take it past
 * max_size. At most one rotation a second, so every name is the true time
 * and unique: within the second of a rotation a file may grow past max_size
 * by what is written in that second (the kubelet's, checked every 10 s, by
 * ten seconds of output). Rotated files beyond max_files - 2 are removed oldest first, and
 * every rotated file but the newest is gzip-compressed by a forked child
 * (zlib, <name>.gz.tmp then rename), so the event loop never waits on it.
 *
 * The records of one read of the container's pipe share its timestamp (as
 * conmon's do) and are written with one write() (up to 64 KiB each), not
 * one per line.
 *
 * A failed write (disk full, quota, I/O error) drops the records of that
 * write only: a short write keeps the whole records that made it and is
 * cut back with ftruncate, so the file never holds a torn record; the drop
 * is counted in a Warning event LogLinesDropped (one count per record) and
 * the next write tries again; the first one that gets through records a
 * Normal event LogResumed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "monitor/monitor.h"
#include "util/util.h"

size_t pc_log_format(char *buf, size_t cap, int64_t ns, int stream, bool partial, const char *line,
                     size_t len)
{
        char ts[40];
        pc_format_time(ns, true, ts, sizeof(ts));
        int n =
            snprintf(buf, cap, "%s %s %c ", ts, stream ? "stderr" : "stdout", partial ? 'P' : 'F');
        if (n < 0 || (size_t)n >= cap)
                return 0;
        size_t room = cap - (size_t)n - 1;
        if (len > room)
                len = room;
        memcpy(buf + n, line, len);
        buf[(size_t)n + len] = '\n';
        return (size_t)n + len + 1;
}

/* ---- compression ------------------------------------------------------------ */

int pc_log_gzip(const char *path, pc_error *err)
{
        _cleanup_free_ char *gzp = pc_xasprintf("%s.gz", path);
        _cleanup_free_ char *tmp = pc_xasprintf("%s.gz.tmp", path);
        _cleanup_close_ int in = open(path, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return pc_fail(err, errno, "open %s", path);
        int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        if (out < 0)
                return pc_fail(err, errno, "create %s", tmp);
        gzFile gz = gzdopen(out, "wb");
        if (!gz) {
                close(out);
                unlink(tmp);
                return pc_fail(err, ENOMEM, "gzip %s", path);
        }
        char buf[65536];
        int e = 0;
        for (;;) {
                ssize_t n = read(in, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        e = errno;
                        break;
                }
                if (n == 0)
                        break;
                if (gzwrite(gz, buf, (unsigned)n) != (int)n) {
                        e = errno ? errno : EIO;
                        break;
                }
        }
        if (gzclose(gz) != Z_OK && !e)
                e = errno ? errno : EIO;
        if (e || rename(tmp, gzp) < 0) {
                if (!e)
                        e = errno;
                unlink(tmp);
                return pc_fail(err, e, "gzip %s", path);
        }
        unlink(path);
        return 0;
}

/* "<base>.<stamp>" or "<base>.<stamp>.gz" (a rotated file of base);
 * *gz tells which. Temporary files are not. */
static bool rotated_name(const char *name, const char *base, bool *gz)
{
        size_t bl = strlen(base);
        if (strncmp(name, base, bl) || name[bl] != '.' || !name[bl + 1])
                return false;
        if (pc_str_has_suffix(name, ".tmp"))
                return false;
        *gz = pc_str_has_suffix(name, ".gz");
        return true;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted (oldest first) rotated files of base in dir, after removing the
 * debris of an interrupted compression: temporary files, and an
 * uncompressed file whose .gz is complete. */
static char **list_rotated(const char *dir, const char *base)
{
        char **v = pc_xcalloc(1, sizeof(char *));
        DIR *d = opendir(dir);
        if (!d)
                return v;
        struct dirent *de;
        size_t bl = strlen(base);
        while ((de = readdir(d))) {
                bool gz;
                if (!strncmp(de->d_name, base, bl) && de->d_name[bl] == '.' &&
                    pc_str_has_suffix(de->d_name, ".tmp")) {
                        unlinkat(dirfd(d), de->d_name, 0);
                        continue;
                }
                if (!rotated_name(de->d_name, base, &gz))
                        continue;
                if (!gz) {
                        _cleanup_free_ char *z = pc_xasprintf("%s.gz", de->d_name);
                        if (faccessat(dirfd(d), z, F_OK, 0) == 0) {
                                unlinkat(dirfd(d), de->d_name, 0);
                                continue;
                        }
                }
                pc_strv_push(&v, de->d_name);
        }
        closedir(d);
        qsort(v, pc_strv_len(v), sizeof(char *), cmp_str);
        return v;
}

/* Wait for the compressing child (it is short: at most max_files - 2 files of
 * max_size). The monitor's waitpid(-1) may have reaped it already: ECHILD. */
static void wait_gz(struct pc_log *log)
{
        if (log->gz_pidfd < 0)
                return;
        siginfo_t si;
        while (waitid(P_PIDFD, (id_t)log->gz_pidfd, &si, WEXITED) < 0 && errno == EINTR)
                ;
        close(log->gz_pidfd);
        log->gz_pidfd = -1;
}

static void spawn_gz(struct pc_log *log, const char *dir, char **names, const char *newest)
{
        size_t n = 0;
        for (size_t i = 0; names[i]; i++)
                if (!pc_str_has_suffix(names[i], ".gz") && strcmp(names[i], newest))
                        n++;
        if (n == 0)
                return;
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0)
                return; /* compressed at the next rotation */
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(0);
                prctl(PR_SET_NAME, "podctl-gzip");
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                pc_close_fds_from(3, -1);
                if (nice(10) < 0) {
                        /* lower priority is a courtesy */
                }
                for (size_t i = 0; names[i]; i++) {
                        if (pc_str_has_suffix(names[i], ".gz") || !strcmp(names[i], newest))
                                continue;
                        _cleanup_free_ char *p = pc_xasprintf("%s/%s", dir, names[i]);
                        pc_error e;
                        pc_log_gzip(p, &e);
                }
                _exit(0);
        }
        log->gz_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (log->gz_pidfd < 0) {
                /* Without a pidfd: wait now rather than lose track of it. */
                int st;
                while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                        ;
        } else {
                fcntl(log->gz_pidfd, F_SETFD, FD_CLOEXEC);
        }
}

/* ---- writing ------------------------------------------------------------------ */

static void reopen(struct pc_log *log)
{
        log->fd = open(log->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        struct stat st;
        log->size = log->fd >= 0 && fstat(log->fd, &st) == 0 ? st.st_size : 0;
}

static void rotate(struct pc_log *log)
{
        wait_gz(log);
        if (log->fd >= 0)
                close(log->fd);
        log->fd = -1;
        _cleanup_free_ char *dir = pc_xstrdup(log->path);
        char *slash = strrchr(dir, '/');
        const char *base = slash ? slash + 1 : dir;
        if (slash)
                *slash = '\0';
        const char *dirp = slash ? dir : ".";
        _cleanup_strv_ char **names = list_rotated(dirp, base);
        /* Room for this rotation: keep max_files - 2 (this one and the new
         * current file make max_files). Oldest first. */
        size_t n = pc_strv_len(names),
               keep = log->o.max_files > 2 ? (size_t)log->o.max_files - 2 : 0;
        for (size_t i = 0; i + keep < n; i++) {
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", dirp, names[i]);
                unlink(p);
                names[i][0] = '\0'; /* gone */
        }
        int64_t t = pc_now_ns() / 1000000000LL;
        if (t <= log->last_rotation)
                t = log->last_rotation + 1;
        char *rot = NULL;
        for (;; t++) {
                time_t tt = (time_t)t;
                struct tm tm;
                char stamp[32];
                gmtime_r(&tt, &tm);
                strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
                free(rot);
                rot = pc_xasprintf("%s.%s", log->path, stamp);
                _cleanup_free_ char *gz = pc_xasprintf("%s.gz", rot);
                if (access(rot, F_OK) < 0 && access(gz, F_OK) < 0)
                        break;
        }
        log->last_rotation = t;
        if (rename(log->path, rot) == 0) {
                const char *rs = strrchr(rot, '/');
                pc_strv_push(&names, rs ? rs + 1 : rot);
        }
        free(rot);
        /* names[] has "" for removed entries: skipped by spawn_gz's checks
         * only if we drop them; rebuild compactly. */
        char **live = pc_xcalloc(1, sizeof(char *));
        for (size_t i = 0; names[i]; i++)
                if (names[i][0])
                        pc_strv_push(&live, names[i]);
        size_t nl = pc_strv_len(live);
        if (nl > 0)
                spawn_gz(log, dirp, live, live[nl - 1]);
        pc_strv_free(live);
        reopen(log);
}

static void dropped(struct pc_log *log, int e, uint64_t records)
{
        log->drop_errno = e;
        for (uint64_t i = 0; i < records; i++) {
                log->dropped++;
                if (log->o.mon) {
                        const char *b = strrchr(log->path ? log->path : "", '/');
                        pc_monitor_event(log->o.mon, log->o.ctr, true, "LogLinesDropped",
                                         "could not write log file %s (%s): log line dropped",
                                         b ? b + 1 : "", strerror(e));
                }
        }
}

/* Records are gathered here and written with one write() per feed (one read
 * of the container's pipe, up to 64 KiB), not one per line. The monitor
 * has one thread and flushes at the end of every feed, so one buffer
 * serves every container's log. */
static struct {
        struct pc_log *log; /* whose records out holds */
        size_t len;
        char buf[64 * 1024];
} out;

static void flush_out(void)
{
        struct pc_log *log = out.log;
        size_t n = out.len;
        out.len = 0;
        out.log = NULL;
        if (!n || !log || !log->path)
                return;
        uint64_t records = 0;
        for (const char *p = out.buf; (p = memchr(p, '\n', n - (size_t)(p - out.buf))); p++)
                records++;
        if (log->fd < 0)
                reopen(log);
        if (log->fd < 0) {
                dropped(log, errno, records);
                return;
        }
        ssize_t w;
        do
                w = write(log->fd, out.buf, n);
        while (w < 0 && errno == EINTR);
        if (w == (ssize_t)n) {
                log->size += (int64_t)n;
                if (log->dropped && log->o.mon) {
                        const char *b = strrchr(log->path, '/');
                        pc_monitor_event(log->o.mon, log->o.ctr, false, "LogResumed",
                                         "writing log file %s again after %llu dropped log lines",
                                         b ? b + 1 : log->path, (unsigned long long)log->dropped);
                }
                log->dropped = 0;
                return;
        }
        int e = w < 0 ? errno : ENOSPC;
        /* A short write: keep the whole records that made it, cut the torn
         * one off, so no reader sees a torn record; drop the rest. */
        size_t keep = 0;
        if (w > 0) {
                const char *nl = memrchr(out.buf, '\n', (size_t)w);
                keep = nl ? (size_t)(nl - out.buf) + 1 : 0;
                for (const char *p = out.buf; (p = memchr(p, '\n', keep - (size_t)(p - out.buf)));
                     p++)
                        records--;
                if ((size_t)w > keep && ftruncate(log->fd, log->size + (int64_t)keep) < 0) {
                        /* the size stays wrong until the next rotation */
                }
                log->size += (int64_t)keep;
        }
        if (keep && log->dropped && log->o.mon) {
                const char *b = strrchr(log->path, '/');
                pc_monitor_event(log->o.mon, log->o.ctr, false, "LogResumed",
                                 "writing log file %s again after %llu dropped log lines",
                                 b ? b + 1 : log->path, (unsigned long long)log->dropped);
                log->dropped = 0;
        }
        dropped(log, e, records);
}

/* The timestamp of a feed: every record of one read carries the time it
 * was read (as conmon stamps the lines of one read). */
struct stamp {
        int64_t ns;
        char s[40];
        size_t len;
};

static void stamp_now(struct stamp *t)
{
        t->ns = pc_now_ns();
        pc_format_time(t->ns, true, t->s, sizeof(t->s));
        t->len = strlen(t->s);
}

static void write_record(struct pc_log *log, const struct stamp *t, int stream, bool partial,
                         const char *line, size_t len)
{
        if (!log->path)
                return;
        if (len > sizeof(log->buf[0]))
                len = sizeof(log->buf[0]);
        size_t n = t->len + sizeof(" stdout F ") - 1 + len + 1;
        if (out.log != log)
                flush_out();
        int64_t pending = (int64_t)out.len;
        if (log->o.max_size > 0 && log->size + pending > 0 &&
            log->size + pending + (int64_t)n > log->o.max_size &&
            t->ns / 1000000000LL > log->last_rotation) {
                flush_out();
                rotate(log);
        }
        if (out.len + n > sizeof(out.buf))
                flush_out();
        out.log = log;
        char *p = out.buf + out.len;
        memcpy(p, t->s, t->len);
        p += t->len;
        memcpy(p, stream ? " stderr " : " stdout ", 8);
        p += 8;
        *p++ = partial ? 'P' : 'F';
        *p++ = ' ';
        memcpy(p, line, len);
        p += len;
        *p++ = '\n';
        out.len += n;
}

static bool run_file(const char *name, int *run)
{
        char *end;
        long k = strtol(name, &end, 10);
        if (end == name || strncmp(end, ".log", 4) || (end[4] && end[4] != '.'))
                return false;
        *run = (int)k;
        return true;
}

void pc_log_prune_runs(const char *dir, int run)
{
        DIR *d = opendir(dir);
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                int k;
                if (run_file(de->d_name, &k) && k < run - 1)
                        unlinkat(dirfd(d), de->d_name, 0);
        }
        closedir(d);
}

int pc_log_open(struct pc_log *log, const char *path, const struct pc_log_opts *opts, pc_error *err)
{
        memset(log->len, 0, sizeof(log->len));
        log->o = opts ? *opts : (struct pc_log_opts){0};
        log->gz_pidfd = -1;
        log->dropped = 0;
        log->last_rotation = 0;
        log->path = pc_xstrdup(path);
        reopen(log);
        if (log->fd < 0 && errno != ENOSPC && errno != EDQUOT) {
                int e = errno;
                free(log->path);
                log->path = NULL;
                return pc_fail(err, e, "open log %s", path);
        }
        return 0;
}

void pc_log_feed(struct pc_log *log, int stream, const char *data, size_t len)
{
        char *buf = log->buf[stream];
        size_t cap = sizeof(log->buf[stream]);
        struct stamp t;
        stamp_now(&t);
        while (len > 0) {
                const char *nl = memchr(data, '\n', len);
                size_t take = nl ? (size_t)(nl - data) : len;
                if (log->len[stream] + take >= cap) {
                        /* Fill the buffer and emit it as a partial record. */
                        size_t fit = cap - log->len[stream];
                        if (log->len[stream] == 0) {
                                write_record(log, &t, stream, true, data, cap);
                        } else {
                                memcpy(buf + log->len[stream], data, fit);
                                write_record(log, &t, stream, true, buf, cap);
                        }
                        log->len[stream] = 0;
                        data += fit;
                        len -= fit;
                        continue;
                }
                if (nl && log->len[stream] == 0) {
                        /* a whole line: straight from the read */
                        write_record(log, &t, stream, false, data, take);
                } else {
                        memcpy(buf + log->len[stream], data, take);
                        log->len[stream] += take;
                        if (nl) {
                                write_record(log, &t, stream, false, buf, log->len[stream]);
                                log->len[stream] = 0;
                        }
                }
                data += take;
                len -= take;
                if (nl) {
                        data++;
                        len--;
                }
        }
        /* An interactive container's prompt ("/ # ", no newline yet) is
         * written now, as a P record the line's rest completes (conmon's
         * way), so attach shows it. */
        if (log->o.interactive && log->len[stream] > 0) {
                write_record(log, &t, stream, true, buf, log->len[stream]);
                log->len[stream] = 0;
        }
        flush_out();
}

void pc_log_flush(struct pc_log *log, int stream)
{
        if (log->len[stream] > 0) {
                struct stamp t;
                stamp_now(&t);
                write_record(log, &t, stream, false, log->buf[stream], log->len[stream]);
                log->len[stream] = 0;
                flush_out();
        }
}

void pc_log_reopen(struct pc_log *log)
{
        if (!log->path)
                return;
        if (out.log == log)
                flush_out();
        if (log->fd >= 0)
                close(log->fd);
        reopen(log);
}

void pc_log_close(struct pc_log *log)
{
        pc_log_flush(log, 0);
        pc_log_flush(log, 1);
        if (out.log == log)
                flush_out();
        if (log->fd >= 0)
                close(log->fd);
        log->fd = -1;
        wait_gz(log);
        free(log->path);
        log->path = NULL;
}
