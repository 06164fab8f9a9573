/* CRI log format, as the kubelet reads it:
 *   <RFC3339Nano timestamp> <stdout|stderr> <F|P> <content>\n
 * F marks the end of a line, P a piece of a line longer than the buffer. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

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

int pc_log_open(struct pc_log *log, const char *path, pc_error *err)
{
        memset(log->len, 0, sizeof(log->len));
        log->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (log->fd < 0)
                return pc_fail(err, errno, "open log %s", path);
        log->path = pc_xstrdup(path);
        return 0;
}

static void write_record(struct pc_log *log, int stream, bool partial, const char *line, size_t len)
{
        char rec[sizeof(log->buf[0]) + 64];
        size_t n = pc_log_format(rec, sizeof(rec), pc_now_ns(), stream, partial, line, len);
        if (log->fd >= 0 && n > 0 && write(log->fd, rec, n) < 0) {
                /* A full disk must not stop the Pod: the line is lost. */
        }
}

void pc_log_feed(struct pc_log *log, int stream, const char *data, size_t len)
{
        char *buf = log->buf[stream];
        size_t cap = sizeof(log->buf[stream]);
        while (len > 0) {
                const char *nl = memchr(data, '\n', len);
                size_t take = nl ? (size_t)(nl - data) : len;
                if (log->len[stream] + take >= cap) {
                        /* Fill the buffer and emit it as a partial record. */
                        size_t fit = cap - log->len[stream];
                        memcpy(buf + log->len[stream], data, fit);
                        write_record(log, stream, true, buf, cap);
                        log->len[stream] = 0;
                        data += fit;
                        len -= fit;
                        continue;
                }
                memcpy(buf + log->len[stream], data, take);
                log->len[stream] += take;
                data += take;
                len -= take;
                if (nl) {
                        write_record(log, stream, false, buf, log->len[stream]);
                        log->len[stream] = 0;
                        data++;
                        len--;
                }
        }
}

void pc_log_flush(struct pc_log *log, int stream)
{
        if (log->len[stream] > 0) {
                write_record(log, stream, false, log->buf[stream], log->len[stream]);
                log->len[stream] = 0;
        }
}

void pc_log_close(struct pc_log *log)
{
        pc_log_flush(log, 0);
        pc_log_flush(log, 1);
        if (log->fd >= 0)
                close(log->fd);
        log->fd = -1;
        free(log->path);
        log->path = NULL;
}
