/* podctl logs POD [-c CONTAINER] [-f] [-p|--previous] [--tail=N] [--timestamps]
 * Reads the CRI-format log files the monitor writes, one per run of a
 * container: <log dir>/<ns>_<pod>_<uid>/<container>/<restartCount>.log.
 *
 * -f follows the container across its restarts: when the current run ends
 * and restartCount grows, the rest of that run's file is printed and the next
 * run's file followed. It stops once no further run can come: the Pod is
 * finished (Succeeded, Failed) or its monitor lost (Unknown), the Pod is gone,
 * or the container terminated for good (its restart policy: Never, OnFailure
 * after exit 0, an init container that succeeded).
 *
 * `podctl attach` (attach.c) streams the same files from their current end,
 * stdout to stdout and stderr to stderr, until the current run ends. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/util.h"

enum log_mode {
        LOG_PRINT,  /* what the file has, then stop */
        LOG_FOLLOW, /* -f: across restarts until no run can come */
        LOG_ATTACH, /* from the end of the current run's file until that run ends */
};

struct log_out {
        bool timestamps;
        bool split;  /* stderr records to stderr (attach) */
        long tail;   /* -1: all */
        char **ring; /* last `tail` lines when tail >= 0 */
        size_t ring_n, ring_pos;
        char *partial[2]; /* per stream: content of P records waiting for their F */
        size_t partial_len[2];
        char *carry; /* an incomplete trailing line of the file */
        size_t carry_len;
        bool skip_to_nl; /* started in the middle of a record (attach) */
};

static void emit(struct log_out *o, int stream, const char *ts, const char *content, size_t len)
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
                fwrite(line, 1, n, o->split && stream ? stderr : stdout);
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
        int stream = (size_t)(sp2 - sp1 - 1) == strlen("stderr") && !memcmp(sp1 + 1, "stderr", 6);
        char tag = sp2[1];
        const char *content = sp2 + 3 <= line + len ? sp2 + 3 : line + len;
        size_t clen = (size_t)(line + len - content);
        char ts[64];
        size_t tslen =
            (size_t)(sp1 - line) < sizeof(ts) - 1 ? (size_t)(sp1 - line) : sizeof(ts) - 1;
        memcpy(ts, line, tslen);
        ts[tslen] = '\0';
        o->partial[stream] = pc_xrealloc(o->partial[stream], o->partial_len[stream] + clen + 1);
        memcpy(o->partial[stream] + o->partial_len[stream], content, clen);
        o->partial_len[stream] += clen;
        if (tag == 'P')
                return;
        emit(o, stream, ts, o->partial[stream], o->partial_len[stream]);
        o->partial_len[stream] = 0;
}

/* Feed file bytes; keeps an incomplete trailing line in o->carry. */
static void feed(struct log_out *o, const char *data, size_t len)
{
        if (o->skip_to_nl) {
                const char *nl = memchr(data, '\n', len);
                if (!nl)
                        return;
                o->skip_to_nl = false;
                len -= (size_t)(nl + 1 - data);
                data = nl + 1;
        }
        o->carry = pc_xrealloc(o->carry, o->carry_len + len + 1);
        memcpy(o->carry + o->carry_len, data, len);
        o->carry_len += len;
        size_t start = 0;
        for (size_t i = 0; i < o->carry_len; i++) {
                if (o->carry[i] == '\n') {
                        record(o, o->carry + start, i - start);
                        start = i + 1;
                }
        }
        memmove(o->carry, o->carry + start, o->carry_len - start);
        o->carry_len -= start;
}

/* A new file (the next run): nothing of the previous one carries over. */
static void reset_run(struct log_out *o)
{
        o->carry_len = 0;
        o->partial_len[0] = o->partial_len[1] = 0;
        o->skip_to_nl = false;
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

/* Read what fd has up to its current end. */
static int drain(struct log_out *o, int fd, pc_error *err)
{
        char buf[65536];
        if (fd < 0)
                return 0;
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return pc_fail(err, errno, "read log");
                if (n == 0)
                        return 0;
                feed(o, buf, (size_t)n);
        }
}

/* Where the container stands now. */
struct ctr_now {
        bool gone;    /* no such Pod (any more) */
        int restarts; /* restartCount: the number of the current run's file */
        bool running; /* this run is running */
        bool more;    /* output may still come: this run or a later one */
};

static json_t *find_status(json_t *status, const char *name, bool *init)
{
        static const char *const lists[2] = {"initContainerStatuses", "containerStatuses"};
        for (int l = 0; l < 2; l++) {
                size_t i;
                json_t *c;
                json_array_foreach(json_object_get(status, lists[l]), i, c)
                {
                        if (!strcmp(json_string_value(json_object_get(c, "name")) ?: "", name)) {
                                *init = l == 0;
                                return c;
                        }
                }
        }
        return NULL;
}

static const char *ctr_policy(json_t *spec, const char *name)
{
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(spec, "initContainers"), i, c)
        {
                if (!strcmp(json_string_value(json_object_get(c, "name")) ?: "", name))
                        return json_string_value(json_object_get(c, "restartPolicy"));
        }
        return NULL;
}

/* Kubernetes' restart rules applied to a Pod object: can another run of the
 * container (or more of the current one) still come? */
static bool more_runs(json_t *pod, json_t *cs, bool init, const char *name)
{
        json_t *spec = json_object_get(pod, "spec");
        json_t *status = json_object_get(pod, "status");
        const char *phase = json_string_value(json_object_get(status, "phase")) ?: "";
        if (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed") || !strcmp(phase, "Unknown"))
                return false;
        json_t *state = json_object_get(cs, "state");
        json_t *term = json_object_get(state, "terminated");
        if (!term)
                return true; /* running, waiting (to start, backing off) */
        if (json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp"))
                return false;
        json_int_t code = json_integer_value(json_object_get(term, "exitCode"));
        const char *policy = json_string_value(json_object_get(spec, "restartPolicy")) ?: "Always";
        if (init) {
                const char *own = ctr_policy(spec, name);
                if (own && !strcmp(own, "Always"))
                        return true; /* a native sidecar */
                return code != 0 && strcmp(policy, "Never") != 0;
        }
        if (!strcmp(policy, "Always"))
                return true;
        if (!strcmp(policy, "OnFailure"))
                return code != 0;
        return false;
}

static int ctr_now(podctl *ctx, const char *ns, const char *pod, const char *container,
                   struct ctr_now *now, pc_error *err)
{
        *now = (struct ctr_now){0};
        json_t *p = NULL;
        if (podctl_pod_get(ctx, ns, pod, &p, err) < 0) {
                if (err->code != ENOENT)
                        return -1;
                now->gone = true;
                return 0;
        }
        bool init = false;
        json_t *cs = find_status(json_object_get(p, "status"), container, &init);
        if (!cs) {
                json_decref(p);
                now->gone = true;
                return 0;
        }
        now->restarts = (int)json_integer_value(json_object_get(cs, "restartCount"));
        now->running = json_object_get(json_object_get(cs, "state"), "running") != NULL;
        now->more = more_runs(p, cs, init, container);
        json_decref(p);
        return 0;
}

/* The container's name when none was given: the first app container (like
 * the library's podctl_pod_log_path). */
static char *default_container(podctl *ctx, const char *ns, const char *pod, pc_error *err)
{
        json_t *p = NULL;
        if (podctl_pod_get(ctx, ns, pod, &p, err) < 0)
                return NULL;
        json_t *cs = json_object_get(json_object_get(p, "spec"), "containers");
        char *name = pc_xstrdup(json_string_value(json_object_get(json_array_get(cs, 0), "name")));
        json_decref(p);
        if (!name)
                pc_fail(err, EINVAL, "pod \"%s\" has no containers", pod);
        return name;
}

static int open_run(const char *dir, int k)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/%d.log", dir, k);
        return open(p, O_RDONLY | O_CLOEXEC);
}

static void flush_out(void)
{
        fflush(stdout);
        fflush(stderr);
}

static int stream_logs(struct pc_cli *cli, podctl *ctx, const char *pod, const char *container,
                       bool previous, enum log_mode mode, struct log_out *o, pc_error *err)
{
        _cleanup_free_ char *name = NULL;
        if (!container) {
                name = default_container(ctx, cli->namespace_, pod, err);
                if (!name)
                        return -1;
                container = name;
        }
        _cleanup_free_ char *dir = NULL;
        bool running = false;
        if (podctl_pod_log_path(ctx, cli->namespace_, pod, container, previous, &dir, &running,
                                err) < 0)
                return -1;
        /* dir/<k>.log: k is the run (restartCount) the library chose. */
        char *slash = strrchr(dir, '/');
        int k = slash ? atoi(slash + 1) : 0;
        if (slash)
                *slash = '\0';
        struct ctr_now now = {.running = running, .more = running, .restarts = k};
        if (mode != LOG_PRINT && ctr_now(ctx, cli->namespace_, pod, container, &now, err) < 0)
                return -1;
        if (mode == LOG_ATTACH && (!running || now.restarts != k))
                return pc_fail(err, 0,
                               "cannot attach: container \"%s\" in pod \"%s\" is not running",
                               container, pod);
        _cleanup_close_ int fd = open_run(dir, k);
        if (fd < 0 && !(mode == LOG_FOLLOW && now.more))
                return pc_fail(err, 0, "container \"%s\" in pod \"%s\" has no logs yet", container,
                               pod);
        if (mode == LOG_ATTACH) {
                /* From now on: the end of the file, at a record boundary. */
                off_t end = lseek(fd, 0, SEEK_END);
                char last = '\n';
                if (end > 0 && pread(fd, &last, 1, end - 1) == 1 && last != '\n')
                        o->skip_to_nl = true;
        }
        bool final = false;
        for (;;) {
                if (drain(o, fd, err) < 0)
                        return -1;
                if (o->tail >= 0)
                        flush_ring(o);
                flush_out();
                if (mode == LOG_PRINT || final)
                        return 0;
                struct timespec ts = {0, 100 * 1000 * 1000};
                nanosleep(&ts, NULL);
                if (ctr_now(ctx, cli->namespace_, pod, container, &now, err) < 0)
                        return -1;
                if (now.gone) {
                        final = true; /* what was written before it went */
                        continue;
                }
                if (now.restarts > k) {
                        /* This run is over (its output is all in its file before
                         * the next run starts): the rest of it, then the next. */
                        if (drain(o, fd, err) < 0)
                                return -1;
                        flush_out();
                        if (mode == LOG_ATTACH)
                                return 0;
                        if (fd >= 0)
                                close(STEAL_FD(fd));
                        reset_run(o);
                        k++;
                        fd = open_run(dir, k);
                        continue;
                }
                if (fd < 0)
                        fd = open_run(dir, k);
                if (mode == LOG_ATTACH ? !now.running : !now.more)
                        final = true; /* one last read of what came before */
        }
}

static void free_out(struct log_out *o)
{
        free(o->carry);
        free(o->partial[0]);
        free(o->partial[1]);
        for (size_t k = 0; k < o->ring_n; k++)
                free(o->ring[k]);
        free(o->ring);
}

int pc_cli_attach_stream(struct pc_cli *cli, const char *pod, const char *container)
{
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        struct log_out o = {.tail = -1, .split = true};
        pc_error err;
        int r = stream_logs(cli, ctx, pod, container, false, LOG_ATTACH, &o, &err);
        free_out(&o);
        return r < 0 ? pc_cli_die(&err) : 0;
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
        if (o.tail >= 0)
                o.ring = pc_xcalloc((size_t)o.tail + 1, sizeof(char *));
        pc_error err;
        /* --previous is a finished run: nothing to follow. */
        enum log_mode mode = follow && !previous ? LOG_FOLLOW : LOG_PRINT;
        int r = stream_logs(cli, ctx, pod, container, previous, mode, &o, &err);
        free_out(&o);
        return r < 0 ? pc_cli_die(&err) : 0;
}
