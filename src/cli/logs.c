/* podctl logs POD [-c CONTAINER] [-f] [-p|--previous] [--tail=N] [--timestamps]
 *             [--since=DURATION | --since-time=RFC3339]
 * Reads the CRI-format log files the monitor writes, one per run of a
 * container: <log dir>/<ns>_<pod>_<uid>/<container>/<restartCount>.log.
 *
 * A run's output may span rotated files (the monitor's rotation, as the
 * kubelet's: <k>.log.<YYYYmmdd-HHMMSS>, older ones .gz): they are read oldest
 * first, then <k>.log, as one stream; -f notices a rotation (the path names
 * another file than the one being read) and carries on in the new file
 * without losing or repeating a record. --since/--since-time keep the records
 * at or after a time.
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
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <dirent.h>

#include "cli/cli.h"
#include "util/cleanup.h"
#include "util/util.h"

enum log_mode {
        LOG_PRINT,  /* what the file has, then stop */
        LOG_FOLLOW, /* -f: across restarts until no run can come */
        LOG_ATTACH, /* from the end of the current run's file until that run ends */
};

struct log_out {
        bool timestamps;
        bool split;  /* stderr records to stderr (attach) */
        bool raw;    /* attach: each record's content as it comes (a P record's
                        too: a prompt shows before its line ends) */
        long tail;   /* -1: all */
        char **ring; /* last `tail` lines when tail >= 0 */
        size_t ring_n, ring_pos;
        char *partial[2]; /* per stream: content of P records waiting for their F */
        size_t partial_len[2];
        char *carry; /* an incomplete trailing line of the file */
        size_t carry_len;
        bool skip_to_nl;    /* started in the middle of a record (attach) */
        int64_t since;      /* ns since epoch; records before it are not shown (0: all) */
        const char *prefix; /* --prefix: "[pod/NAME/CONTAINER] " before each line, or NULL */
        int64_t limit;      /* --limit-bytes: at most this many bytes of log (-1: all) */
        int64_t written;    /* of the current container stream */
};

/* A line goes out: its prefix, then at most what --limit-bytes leaves. */
static void out_line(struct log_out *o, FILE *f, const char *line, size_t n)
{
        if (o->limit >= 0) {
                if (o->written >= o->limit)
                        return;
                if ((int64_t)n > o->limit - o->written)
                        n = (size_t)(o->limit - o->written);
                o->written += (int64_t)n;
        }
        if (o->prefix)
                fputs(o->prefix, f);
        fwrite(line, 1, n, f);
}

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
                out_line(o, o->split && stream ? stderr : stdout, line, n);
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
        int64_t t;
        if (o->since && tag != 'P' && o->partial_len[stream] == 0 && pc_parse_time(ts, &t) == 0 &&
            t < o->since)
                return;
        if (o->raw) {
                FILE *f = o->split && stream ? stderr : stdout;
                fwrite(content, 1, clen, f);
                if (tag != 'P')
                        fputc('\n', f);
                return;
        }
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
                out_line(o, stdout, o->ring[idx], strlen(o->ring[idx]));
                free(o->ring[idx]);
        }
        o->ring_n = o->ring_pos = 0;
        o->tail = -1; /* from now on (follow) print as it comes */
        fflush(stdout);
}

static int cmp_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
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

/* A container's status; *eph: an ephemeral one's (never restarted). */
static json_t *find_status(json_t *status, const char *name, bool *init, bool *eph)
{
        static const char *const lists[3] = {"initContainerStatuses", "containerStatuses",
                                             "ephemeralContainerStatuses"};
        for (int l = 0; l < 3; l++) {
                size_t i;
                json_t *c;
                json_array_foreach(json_object_get(status, lists[l]), i, c)
                {
                        if (!strcmp(json_string_value(json_object_get(c, "name")) ?: "", name)) {
                                *init = l == 0;
                                *eph = l == 2;
                                return c;
                        }
                }
        }
        return NULL;
}

/* Kubernetes' restart rules applied to a Pod object: can another run of the
 * container (or more of the current one) still come? */
static bool more_runs(json_t *pod, json_t *cs, const char *name)
{
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
        int code = (int)json_integer_value(json_object_get(term, "exitCode"));
        return podctl_container_runs_again(pod, name, code);
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
        bool init = false, eph = false;
        json_t *cs = find_status(json_object_get(p, "status"), container, &init, &eph);
        if (!cs) {
                json_decref(p);
                now->gone = true;
                return 0;
        }
        now->restarts = (int)json_integer_value(json_object_get(cs, "restartCount"));
        now->running = json_object_get(json_object_get(cs, "state"), "running") != NULL;
        now->more = eph ? !json_object_get(json_object_get(cs, "state"), "terminated")
                        : more_runs(p, cs, container);
        json_decref(p);
        return 0;
}

/* The container's name when none was given: the first app container (like
 * the library's podctl_pod_log_path). */
char *pc_cli_default_container(podctl *ctx, const char *ns, const char *pod, pc_error *err)
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

static void flush_out(void)
{
        fflush(stdout);
        fflush(stderr);
}

/* ---- the files of one run ---------------------------------------------------- */

/* Rotated files of run k, oldest first: "<k>.log.<stamp>" or its ".gz"
 * (both present: the compression just finished; the .gz is complete). */
static char **rotated_of(const char *dir, int k)
{
        _cleanup_free_ char *base = pc_xasprintf("%d.log.", k);
        char **v = pc_xcalloc(1, sizeof(char *));
        DIR *d = opendir(dir);
        if (!d)
                return v;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (!pc_str_has_prefix(de->d_name, base) || pc_str_has_suffix(de->d_name, ".tmp"))
                        continue;
                if (!pc_str_has_suffix(de->d_name, ".gz")) {
                        _cleanup_free_ char *z = pc_xasprintf("%s.gz", de->d_name);
                        if (faccessat(dirfd(d), z, F_OK, 0) == 0)
                                continue;
                }
                pc_strv_push(&v, de->d_name);
        }
        closedir(d);
        qsort(v, pc_strv_len(v), sizeof(char *), cmp_name);
        return v;
}

/* The stamp part of a rotated name, for comparing "x" with "x.gz". */
static int cmp_stamp(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        if (pc_str_has_suffix(a, ".gz"))
                la -= 3;
        if (pc_str_has_suffix(b, ".gz"))
                lb -= 3;
        int c = strncmp(a, b, la < lb ? la : lb);
        return c ? c : (la > lb) - (la < lb);
}

static bool same_file(int fd, const char *dir, const char *name)
{
        struct stat a, b;
        _cleanup_free_ char *p = pc_xasprintf("%s/%s", dir, name);
        return fd >= 0 && fstat(fd, &a) == 0 && stat(p, &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
}

/* One whole rotated file (a .gz through zlib). One that is gone was removed
 * as the oldest, or compressed meanwhile: then its .gz. */
static int read_rotated(struct log_out *o, const char *dir, const char *name, pc_error *err)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/%s", dir, name);
        if (!pc_str_has_suffix(name, ".gz")) {
                _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
                if (fd >= 0) {
                        int r = drain(o, fd, err);
                        o->carry_len = 0; /* a file ends with a whole record */
                        return r;
                }
                if (errno != ENOENT)
                        return pc_fail(err, errno, "open %s", p);
                free(p);
                p = pc_xasprintf("%s/%s.gz", dir, name);
        }
        gzFile gz = gzopen(p, "rb");
        if (!gz)
                return errno == ENOENT ? 0 : pc_fail(err, errno, "open %s", p);
        char buf[65536];
        int n;
        while ((n = gzread(gz, buf, sizeof(buf))) > 0)
                feed(o, buf, (size_t)n);
        int e;
        const char *msg = n < 0 ? gzerror(gz, &e) : NULL;
        gzclose(gz);
        o->carry_len = 0;
        if (n < 0)
                return pc_fail(err, 0, "read %s: %s", p, msg ? msg : "gzip error");
        return 0;
}

/* Where a reader of run k stands: the current file open as fd; `seen` the
 * newest rotated name already read or being read through fd (NULL: none). */
struct run_reader {
        const char *dir;
        int k;
        int fd;
        char *seen;
        bool fd_seen; /* seen names fd's own file (rotated before we listed) */
};

/* Open <k>.log, then read the rotated files older than it that are newer
 * than r->seen (the file behind fd, if it was rotated meanwhile, is left to
 * the fd). */
static int run_open_current(struct log_out *o, struct run_reader *r, pc_error *err)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/%d.log", r->dir, r->k);
        r->fd = open(p, O_RDONLY | O_CLOEXEC);
        r->fd_seen = false;
        _cleanup_strv_ char **rot = rotated_of(r->dir, r->k);
        for (size_t i = 0; rot[i]; i++) {
                if (r->seen && cmp_stamp(rot[i], r->seen) <= 0)
                        continue;
                free(r->seen);
                r->seen = pc_xstrdup(rot[i]);
                if (same_file(r->fd, r->dir, rot[i])) {
                        r->fd_seen = true;
                        break; /* ours: rotated after we opened it; newer ones later */
                }
                if (read_rotated(o, r->dir, rot[i], err) < 0)
                        return -1;
        }
        return 0;
}

/* -f: has <k>.log been rotated away from under fd? Then the rest of fd,
 * what was rotated after it, and the new <k>.log. */
static int run_catch_up(struct log_out *o, struct run_reader *r, pc_error *err)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/%d.log", r->dir, r->k);
        struct stat a, b;
        if (r->fd >= 0 && fstat(r->fd, &a) == 0 && stat(p, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino)
                return 0;
        if (r->fd < 0 && access(p, F_OK) < 0)
                return 0; /* not created yet */
        if (drain(o, r->fd, err) < 0)
                return -1;
        /* fd's file now has a rotated name newer than `seen`: the first such
         * one (or the one with its inode) is it, already read. */
        if (r->fd >= 0 && !r->fd_seen) {
                _cleanup_strv_ char **rot = rotated_of(r->dir, r->k);
                for (size_t i = 0; rot[i]; i++) {
                        if (r->seen && cmp_stamp(rot[i], r->seen) <= 0)
                                continue;
                        free(r->seen);
                        r->seen = pc_xstrdup(rot[i]);
                        break;
                }
        }
        if (r->fd >= 0) {
                close(r->fd);
                r->fd = -1;
        }
        o->carry_len = 0; /* records never span files; a P chain may */
        return run_open_current(o, r, err);
}

/* Until the log directory changes (inotify: a record written, a file
 * rotated or created), 100 ms pass, or the input has something. Returns 1
 * when the input asked to end the attach. */
static int wait_more(int ino, struct pc_cli_attach_input *in)
{
        struct pollfd p[3] = {{.fd = ino, .events = POLLIN}};
        for (int i = 0; i < 2; i++)
                p[1 + i] = (struct pollfd){.fd = in ? in->fds[i] : -1, .events = POLLIN};
        if (ino < 0 && !in) {
                struct timespec ts = {0, 100 * 1000 * 1000};
                nanosleep(&ts, NULL);
                return 0;
        }
        int r = poll(p, 3, 100);
        if (r <= 0)
                return 0;
        if (p[0].revents) {
                char buf[4096];
                while (read(ino, buf, sizeof(buf)) > 0)
                        ;
        }
        for (int i = 0; i < 2; i++) {
                if (!p[1 + i].revents)
                        continue;
                int x = in->on_ready(in->data, i);
                if (x < 0)
                        return 1;
                if (x > 0)
                        in->fds[i] = -1;
        }
        return 0;
}

static int stream_logs(struct pc_cli *cli, podctl *ctx, const char *pod, const char *container,
                       bool previous, enum log_mode mode, struct log_out *o,
                       struct pc_cli_attach_input *in, pc_error *err)
{
        _cleanup_close_ int ino = -1; /* the log directory's changes (follow, attach) */
        _cleanup_free_ char *name = NULL;
        if (!container) {
                name = pc_cli_default_container(ctx, cli->namespace_, pod, err);
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
        struct run_reader rr = {.dir = dir, .k = k, .fd = -1};
        int rc = -1;
        if (mode == LOG_ATTACH) {
                /* From now on: the end of the current file, at a record boundary;
                 * what was rotated before is history. */
                _cleanup_strv_ char **rot = rotated_of(dir, k);
                size_t n = pc_strv_len(rot);
                rr.seen = n ? pc_xstrdup(rot[n - 1]) : NULL;
                _cleanup_free_ char *p = pc_xasprintf("%s/%d.log", dir, k);
                rr.fd = open(p, O_RDONLY | O_CLOEXEC);
                off_t end = rr.fd >= 0 ? lseek(rr.fd, 0, SEEK_END) : 0;
                char last = '\n';
                if (end > 0 && pread(rr.fd, &last, 1, end - 1) == 1 && last != '\n')
                        o->skip_to_nl = true;
                /* only now: what the user types after it is answered after
                 * this point of the log */
                if (in && in->banner) {
                        fputs(in->banner, stderr);
                        fflush(stderr);
                }
        } else {
                _cleanup_strv_ char **rot = rotated_of(dir, k);
                if (run_open_current(o, &rr, err) < 0)
                        goto out;
                if (rr.fd < 0 && !rot[0] && !(mode == LOG_FOLLOW && now.more)) {
                        pc_fail(err, 0, "container \"%s\" in pod \"%s\" has no logs yet", container,
                                pod);
                        goto out;
                }
        }
        bool final = false;
        /* Woken by what the monitor writes, not by a timer only: an attached
         * terminal echoes at once. */
        if (mode != LOG_PRINT && (ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) >= 0 &&
            inotify_add_watch(ino, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
                close(STEAL_FD(ino));
        for (;;) {
                if (drain(o, rr.fd, err) < 0)
                        goto out;
                if (mode != LOG_PRINT && run_catch_up(o, &rr, err) < 0)
                        goto out;
                if (o->tail >= 0)
                        flush_ring(o);
                flush_out();
                if (mode == LOG_PRINT || final)
                        break;
                if (wait_more(ino, in))
                        break; /* detached */
                if (ctr_now(ctx, cli->namespace_, pod, container, &now, err) < 0)
                        goto out;
                if (now.gone) {
                        final = true; /* what was written before it went */
                        continue;
                }
                if (now.restarts > rr.k) {
                        /* This run is over (its output is all in its files before
                         * the next run starts): the rest of it, then the next. */
                        if (drain(o, rr.fd, err) < 0 || run_catch_up(o, &rr, err) < 0 ||
                            drain(o, rr.fd, err) < 0)
                                goto out;
                        flush_out();
                        if (mode == LOG_ATTACH)
                                break;
                        if (rr.fd >= 0)
                                close(rr.fd);
                        rr.fd = -1;
                        free(rr.seen);
                        rr.seen = NULL;
                        reset_run(o);
                        rr.k++;
                        if (run_open_current(o, &rr, err) < 0)
                                goto out;
                        continue;
                }
                if (rr.fd < 0 && run_open_current(o, &rr, err) < 0)
                        goto out;
                if (mode == LOG_ATTACH ? !now.running : !now.more)
                        final = true; /* one last read of what came before */
        }
        rc = 0;
out:
        if (rr.fd >= 0)
                close(rr.fd);
        free(rr.seen);
        return rc;
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

int pc_cli_attach_stream(struct pc_cli *cli, const char *pod, const char *container,
                         struct pc_cli_attach_input *input)
{
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        struct log_out o = {.tail = -1, .split = true, .raw = true, .limit = -1};
        pc_error err;
        int r = stream_logs(cli, ctx, pod, container, false, LOG_ATTACH, &o, input, &err);
        free_out(&o);
        return r < 0 ? pc_cli_die(&err) : 0;
}

/* A Go duration ("1h30m", "10s", "500ms", "0", "-1s"): --since, --timeout. */
int pc_cli_parse_duration(const char *s, int64_t *ns)
{
        int64_t total = 0;
        int sign = 1;
        if (*s == '-' || *s == '+')
                sign = *s++ == '-' ? -1 : 1;
        if (!strcmp(s, "0")) {
                *ns = 0;
                return 0;
        }
        if (!*s)
                return -1;
        while (*s) {
                char *end;
                double v = strtod(s, &end);
                if (end == s)
                        return -1;
                int64_t unit;
                if (!strncmp(end, "ms", 2)) {
                        unit = 1000000LL;
                        end += 2;
                } else if (!strncmp(end, "us", 2)) {
                        unit = 1000LL;
                        end += 2;
                } else if (!strncmp(end, "ns", 2)) {
                        unit = 1LL;
                        end += 2;
                } else if (*end == 'h') {
                        unit = 3600LL * 1000000000LL;
                        end++;
                } else if (*end == 'm') {
                        unit = 60LL * 1000000000LL;
                        end++;
                } else if (*end == 's') {
                        unit = 1000000000LL;
                        end++;
                } else {
                        return -1;
                }
                total += (int64_t)(v * (double)unit);
                s = end;
        }
        *ns = sign * total;
        return 0;
}

/* One stream: a container of a Pod, and its prefix ("[pod/NAME/CONTAINER] "). */
struct stream {
        char *pod, *container, *prefix;
};

static int one_stream(struct pc_cli *cli, podctl *ctx, const struct log_out *tmpl,
                      const struct stream *st, bool previous, enum log_mode mode)
{
        struct log_out o = *tmpl;
        o.prefix = st->prefix;
        if (o.tail >= 0)
                o.ring = pc_xcalloc((size_t)o.tail + 1, sizeof(char *));
        pc_error err;
        int r = stream_logs(cli, ctx, st->pod, st->container, previous, mode, &o, NULL, &err);
        free_out(&o);
        flush_out();
        return r < 0 ? pc_cli_die(&err) : 0;
}

/* The streams to show: each Pod (named, or matching -l), and its containers
 * (-c C; the default one; or, with --all-containers, init containers then app
 * containers, in the spec's order). */
static int add_streams(podctl *ctx, json_t *pod, const char *container, bool all, bool prefix,
                       struct stream **v, size_t *n)
{
        const char *name =
            json_string_value(json_object_get(json_object_get(pod, "metadata"), "name"));
        json_t *spec = json_object_get(pod, "spec");
        _cleanup_strv_ char **names = pc_xcalloc(1, sizeof(char *));
        if (container) {
                pc_strv_push(&names, container);
        } else if (all) {
                static const char *const lists[] = {"initContainers", "containers"};
                for (int l = 0; l < 2; l++) {
                        size_t i;
                        json_t *c;
                        json_array_foreach(json_object_get(spec, lists[l]), i, c)
                        {
                                pc_strv_push(&names, json_string_value(json_object_get(c, "name")));
                        }
                }
        } else {
                json_t *c = json_array_get(json_object_get(spec, "containers"), 0);
                pc_strv_push(&names, json_string_value(json_object_get(c, "name")) ?: "");
        }
        for (size_t i = 0; names[i]; i++) {
                *v = pc_xrealloc(*v, (*n + 1) * sizeof(**v));
                (*v)[*n] = (struct stream){
                    .pod = pc_xstrdup(name),
                    .container = pc_xstrdup(names[i]),
                    .prefix = prefix ? pc_xasprintf("[pod/%s/%s] ", name, names[i]) : NULL,
                };
                (*n)++;
        }
        (void)ctx;
        return 0;
}

int cmd_logs(struct pc_cli *cli, int argc, char **argv)
{
        const char *pod = NULL, *container = NULL, *selector = NULL, *v;
        bool follow = false, previous = false, all_containers = false, prefix = false;
        bool tail_set = false;
        long max_requests = 5;
        struct log_out o = {.tail = -1, .limit = -1};
        for (int i = 1; i < argc; i++) {
                if ((v = pc_cli_flag(argc, argv, &i, "-c")) ||
                    (v = pc_cli_flag(argc, argv, &i, "--container")))
                        container = v;
                else if ((v = pc_cli_flag(argc, argv, &i, "-l")) ||
                         (v = pc_cli_flag(argc, argv, &i, "--selector")))
                        selector = v;
                else if (!strncmp(argv[i], "-l", 2) && argv[i][2])
                        selector = argv[i] + 2;
                else if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow"))
                        follow = true;
                else if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "--previous"))
                        previous = true;
                else if (!strcmp(argv[i], "--all-containers") ||
                         !strcmp(argv[i], "--all-containers=true"))
                        all_containers = true;
                else if (!strcmp(argv[i], "--prefix") || !strcmp(argv[i], "--prefix=true"))
                        prefix = true;
                else if (!strcmp(argv[i], "--timestamps"))
                        o.timestamps = true;
                else if ((v = pc_cli_flag(argc, argv, &i, "--tail"))) {
                        o.tail = atol(v);
                        tail_set = true;
                } else if ((v = pc_cli_flag(argc, argv, &i, "--limit-bytes"))) {
                        char *end;
                        o.limit = strtoll(v, &end, 10);
                        if (!*v || *end || o.limit <= 0)
                                return pc_cli_fail("--limit-bytes must be greater than 0");
                } else if ((v = pc_cli_flag(argc, argv, &i, "--max-log-requests"))) {
                        max_requests = atol(v);
                        if (max_requests <= 0)
                                return pc_cli_fail("--max-log-requests must be greater than 0");
                } else if ((v = pc_cli_flag(argc, argv, &i, "--since"))) {
                        int64_t d;
                        if (pc_cli_parse_duration(v, &d) < 0 || d < 0)
                                return pc_cli_fail("invalid argument \"%s\" for \"--since\" flag",
                                                   v);
                        o.since = pc_now_ns() - d;
                } else if ((v = pc_cli_flag(argc, argv, &i, "--since-time"))) {
                        if (pc_parse_time(v, &o.since) < 0)
                                return pc_cli_fail(
                                    "invalid argument \"%s\" for \"--since-time\" flag: "
                                    "not an RFC3339 time",
                                    v);
                } else if (argv[i][0] == '-')
                        return pc_cli_fail("unknown flag \"%s\" for logs", argv[i]);
                else if (!pod)
                        pod = argv[i];
                else if (!container)
                        container = argv[i];
                else
                        return pc_cli_fail("usage: podctl logs POD [-c CONTAINER]");
        }
        if (!pod && !selector)
                return pc_cli_fail("usage: podctl logs POD [-c CONTAINER] [-f] [-p] [--tail=N]");
        if (pod && selector)
                return pc_cli_fail("only one of a selector or a pod name may be given");
        if (container && all_containers)
                return pc_cli_fail("--container cannot be given with --all-containers");
        if (pod && !strncmp(pod, "pod/", 4))
                pod += 4;
        /* kubectl: with a selector, the last 10 lines unless --tail says. */
        if (selector && !tail_set)
                o.tail = 10;
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        json_t *pods = NULL;
        if (selector) {
                if (podctl_pod_select(ctx, cli->namespace_, selector, &pods, &err) < 0)
                        return pc_cli_die(&err);
                if (!json_array_size(pods)) {
                        json_decref(pods);
                        fprintf(stderr, "No resources found in %s namespace.\n", cli->namespace_);
                        return 0;
                }
        } else {
                json_t *p = NULL;
                if (podctl_pod_get(ctx, cli->namespace_, pod, &p, &err) < 0) {
                        if (err.code == ENOENT) {
                                fprintf(stderr,
                                        "Error from server (NotFound): pods \"%s\" not found\n",
                                        pod);
                                return 1;
                        }
                        return pc_cli_die(&err);
                }
                pods = json_pack("[o]", p);
        }
        struct stream *streams = NULL;
        size_t n = 0, i;
        json_t *p;
        json_array_foreach(pods, i, p)
        {
                add_streams(ctx, p, container, all_containers, prefix, &streams, &n);
        }
        json_decref(pods);
        /* --previous is a finished run: nothing to follow. */
        enum log_mode mode = follow && !previous ? LOG_FOLLOW : LOG_PRINT;
        int rc = 0;
        if (mode == LOG_FOLLOW && n > 1 && (long)n > max_requests) {
                rc = pc_cli_fail("you are attempting to follow %zu log streams, but maximum "
                                 "allowed concurrency is %ld, use --max-log-requests to increase "
                                 "the limit",
                                 n, max_requests);
        } else if (mode == LOG_FOLLOW && n > 1) {
                /* Followed side by side, as kubectl does: one process per stream,
                 * each writing whole lines. */
                flush_out();
                pid_t *kids = pc_xcalloc(n, sizeof(pid_t));
                for (size_t k = 0; k < n; k++) {
                        kids[k] = fork();
                        if (kids[k] == 0) {
                                setvbuf(stdout, NULL, _IOLBF, 0);
                                _exit(one_stream(cli, ctx, &o, &streams[k], previous, mode));
                        }
                        if (kids[k] < 0)
                                rc = pc_cli_fail("fork: %s", strerror(errno));
                }
                for (size_t k = 0; k < n; k++) {
                        int ws;
                        while (kids[k] > 0 && waitpid(kids[k], &ws, 0) < 0 && errno == EINTR)
                                ;
                        if (kids[k] > 0 && (!WIFEXITED(ws) || WEXITSTATUS(ws)))
                                rc = 1;
                }
                free(kids);
        } else {
                for (size_t k = 0; k < n; k++)
                        rc |= one_stream(cli, ctx, &o, &streams[k], previous, mode);
        }
        for (size_t k = 0; k < n; k++) {
                free(streams[k].pod);
                free(streams[k].container);
                free(streams[k].prefix);
        }
        free(streams);
        return rc;
}
