/* podctl logs POD [-c CONTAINER] [-f] [-p|--previous] [--tail=N] [--timestamps]
 * Reads the CRI-format log files the monitor writes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/util.h"

struct log_out {
        bool timestamps;
        long tail;   /* -1: all */
        char **ring; /* last `tail` lines when tail >= 0 */
        size_t ring_n, ring_pos;
        char *partial; /* content of P records waiting for their F */
        size_t partial_len;
};

static void emit(struct log_out *o, const char *ts, const char *content, size_t len)
{
        char *line = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&line, &n);
        if (!f)
                return;
        if (o->timestamps)
                fprintf(f, "%s ", ts);
        fwrite(content, 1, len, f);
        fputc('\n', f);
        fclose(f);
        if (o->tail < 0) {
                fwrite(line, 1, n, stdout);
                free(line);
                return;
        }
        if (o->tail == 0) {
                free(line);
                return;
        }
        if (o->ring_n < (size_t)o->tail) {
                o->ring[o->ring_n++] = line;
        } else {
                free(o->ring[o->ring_pos]);
                o->ring[o->ring_pos] = line;
                o->ring_pos = (o->ring_pos + 1) % (size_t)o->tail;
        }
}

/* One CRI record: "<ts> <stream> <F|P> <content>" */
static void record(struct log_out *o, const char *line, size_t len)
{
        const char *sp1 = memchr(line, ' ', len);
        if (!sp1)
                return;
        const char *sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line));
        if (!sp2 || (size_t)(sp2 - line) + 2 > len)
                return;
        char tag = sp2[1];
        const char *content = sp2 + 3 <= line + len ? sp2 + 3 : line + len;
        size_t clen = (size_t)(line + len - content);
        char ts[64];
        size_t tslen =
            (size_t)(sp1 - line) < sizeof(ts) - 1 ? (size_t)(sp1 - line) : sizeof(ts) - 1;
        memcpy(ts, line, tslen);
        ts[tslen] = '\0';
        o->partial = pc_xrealloc(o->partial, o->partial_len + clen + 1);
        memcpy(o->partial + o->partial_len, content, clen);
        o->partial_len += clen;
        if (tag == 'P')
                return;
        emit(o, ts, o->partial, o->partial_len);
        o->partial_len = 0;
}

/* Feed file bytes; keeps an incomplete trailing line in *carry. */
static void feed(struct log_out *o, char **carry, size_t *carry_len, const char *data, size_t len)
{
        *carry = pc_xrealloc(*carry, *carry_len + len + 1);
        memcpy(*carry + *carry_len, data, len);
        *carry_len += len;
        size_t start = 0;
        for (size_t i = 0; i < *carry_len; i++) {
                if ((*carry)[i] == '\n') {
                        record(o, *carry + start, i - start);
                        start = i + 1;
                }
        }
        memmove(*carry, *carry + start, *carry_len - start);
        *carry_len -= start;
}

static void flush_ring(struct log_out *o)
{
        for (size_t k = 0; k < o->ring_n; k++) {
                size_t idx = (o->ring_pos + k) % o->ring_n;
                fputs(o->ring[idx], stdout);
                free(o->ring[idx]);
        }
        o->ring_n = o->ring_pos = 0;
        o->tail = -1; /* from now on (follow) print as it comes */
        fflush(stdout);
}

int cmd_logs(struct pc_cli *cli, int argc, char **argv)
{
        const char *pod = NULL, *container = NULL, *v;
        bool follow = false, previous = false;
        struct log_out o = {.tail = -1};
        for (int i = 1; i < argc; i++) {
                if ((v = pc_cli_flag(argc, argv, &i, "-c")) ||
                    (v = pc_cli_flag(argc, argv, &i, "--container")))
                        container = v;
                else if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow"))
                        follow = true;
                else if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "--previous"))
                        previous = true;
                else if (!strcmp(argv[i], "--timestamps"))
                        o.timestamps = true;
                else if ((v = pc_cli_flag(argc, argv, &i, "--tail")))
                        o.tail = atol(v);
                else if (argv[i][0] == '-')
                        return pc_cli_fail("unknown flag \"%s\" for logs", argv[i]);
                else if (!pod)
                        pod = argv[i];
                else if (!container)
                        container = argv[i];
                else
                        return pc_cli_fail("usage: podctl logs POD [-c CONTAINER]");
        }
        if (!pod)
                return pc_cli_fail("usage: podctl logs POD [-c CONTAINER] [-f] [-p] [--tail=N]");
        if (!strncmp(pod, "pod/", 4))
                pod += 4;
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        _cleanup_free_ char *path = NULL;
        bool running = false;
        if (podctl_pod_log_path(ctx, cli->namespace_, pod, container, previous, &path, &running,
                                &err) < 0)
                return pc_cli_die(&err);
        if (o.tail >= 0)
                o.ring = pc_xcalloc((size_t)o.tail + 1, sizeof(char *));
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && !(follow && running))
                return pc_cli_fail("container \"%s\" in pod \"%s\" has no logs yet",
                                   container ? container : "", pod);
        char *carry = NULL;
        size_t carry_len = 0;
        char buf[65536];
        for (;;) {
                ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : 0;
                if (n < 0 && errno == EINTR)
                        continue;
                if (n > 0) {
                        feed(&o, &carry, &carry_len, buf, (size_t)n);
                        continue;
                }
                if (o.tail >= 0)
                        flush_ring(&o);
                fflush(stdout);
                if (!follow || !running)
                        break;
                /* Follow: poll until the container stops running. */
                struct timespec ts = {0, 100 * 1000 * 1000};
                nanosleep(&ts, NULL);
                _cleanup_free_ char *p2 = NULL;
                if (podctl_pod_log_path(ctx, cli->namespace_, pod, container, false, &p2, &running,
                                        &err) < 0)
                        break;
                if (fd < 0)
                        fd = open(path, O_RDONLY | O_CLOEXEC);
                if (!running) {
                        /* One last read of what was written before it stopped. */
                        continue;
                }
        }
        free(carry);
        free(o.partial);
        free(o.ring);
        return 0;
}
