/* The CRI streaming server (stream.h): tokens, the HTTP upgrade, and the
 * exec and port-forward sessions over SPDY (spdy.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "cri/spdy.h"
#include "cri/stream.h"
#include "pod/control.h"
#include "podctl/podctl.h"
#include "util/cleanup.h"
#include "util/util.h"

#define MAX_REQUEST   (16u << 10) /* the HTTP request head */
#define STREAM_WAIT_S 30          /* for the client's streams, as the kubelet's default */
#define MAX_FORWARDS  64          /* port-forward streams open at once on a connection */

struct token {
        char id[33];
        int64_t expires; /* monotonic s */
        struct pc_stream_req *req;
};

struct pc_stream_server {
        int fd;
        int port;
        pthread_t thread;
        pthread_mutex_t mu;
        struct token *tokens;
        size_t n_tokens, cap_tokens;
        int stop_pipe[2];
};

static int64_t now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec;
}

void pc_stream_req_free(struct pc_stream_req *r)
{
        if (!r)
                return;
        free(r->root);
        free(r->ns);
        free(r->pod);
        free(r->container);
        for (char **a = r->argv; a && *a; a++)
                free(*a);
        free(r->argv);
        free(r->sandbox_id);
        free(r);
}

static const char *kind_path(enum pc_stream_kind k)
{
        return k == PC_STREAM_EXEC ? "exec" : k == PC_STREAM_ATTACH ? "attach" : "portforward";
}

int pc_stream_url(struct pc_stream_server *s, struct pc_stream_req *req, char **url, pc_error *err)
{
        uint8_t rnd[16];
        if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
                pc_stream_req_free(req);
                return pc_fail(err, errno, "streaming: getrandom");
        }
        struct token t = {.expires = now_s() + PC_STREAM_TOKEN_TTL, .req = req};
        for (int i = 0; i < 16; i++)
                snprintf(t.id + 2 * i, 3, "%02x", rnd[i]);
        pthread_mutex_lock(&s->mu);
        /* expired tokens go first */
        int64_t now = now_s();
        size_t k = 0;
        for (size_t i = 0; i < s->n_tokens; i++) {
                if (s->tokens[i].expires <= now)
                        pc_stream_req_free(s->tokens[i].req);
                else
                        s->tokens[k++] = s->tokens[i];
        }
        s->n_tokens = k;
        if (s->n_tokens == s->cap_tokens) {
                s->cap_tokens = s->cap_tokens ? 2 * s->cap_tokens : 16;
                s->tokens = pc_xrealloc(s->tokens, s->cap_tokens * sizeof(*s->tokens));
        }
        s->tokens[s->n_tokens++] = t;
        pthread_mutex_unlock(&s->mu);
        *url = pc_xasprintf("http://127.0.0.1:%d/%s/%s", s->port, kind_path(req->kind), t.id);
        return 0;
}

/* Take the request of a token (one use), NULL when unknown or expired. */
static struct pc_stream_req *take(struct pc_stream_server *s, const char *id)
{
        struct pc_stream_req *r = NULL;
        pthread_mutex_lock(&s->mu);
        for (size_t i = 0; i < s->n_tokens; i++) {
                if (strcmp(s->tokens[i].id, id) != 0)
                        continue;
                if (s->tokens[i].expires > now_s())
                        r = s->tokens[i].req;
                else
                        pc_stream_req_free(s->tokens[i].req);
                s->tokens[i] = s->tokens[--s->n_tokens];
                break;
        }
        pthread_mutex_unlock(&s->mu);
        return r;
}

/* ---- HTTP ------------------------------------------------------------------------ */

static int send_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -1;
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

static void http_error(int fd, int code, const char *reason, const char *msg)
{
        _cleanup_free_ char *r = pc_xasprintf("HTTP/1.1 %d %s\r\nContent-Type: text/plain; "
                                              "charset=utf-8\r\nContent-Length: %zu\r\n"
                                              "Connection: close\r\n\r\n%s\n",
                                              code, reason, strlen(msg) + 1, msg);
        send_all(fd, r, strlen(r));
}

struct http_req {
        char head[MAX_REQUEST + 1];
        size_t head_len; /* through the blank line */
        size_t len;      /* bytes read (what follows the head is SPDY already) */
        char *method, *path;
        const char *query; /* after the path's '?', in path's allocation; NULL when none */
};

/* The value of header name (case-insensitive), all occurrences joined
 * with ",". */
static char *header(const struct http_req *h, const char *name)
{
        char *out = NULL;
        size_t n = strlen(name);
        const char *p = strstr(h->head, "\r\n");
        while (p && p + 2 < h->head + h->head_len) {
                p += 2;
                const char *eol = strstr(p, "\r\n");
                if (!eol || eol == p)
                        break;
                if ((size_t)(eol - p) > n && !strncasecmp(p, name, n) && p[n] == ':') {
                        const char *v = p + n + 1;
                        while (*v == ' ' || *v == '\t')
                                v++;
                        char *joined = out ? pc_xasprintf("%s,%.*s", out, (int)(eol - v), v)
                                           : pc_xasprintf("%.*s", (int)(eol - v), v);
                        free(out);
                        out = joined;
                }
                p = eol;
        }
        return out;
}

static bool has_token(const char *list, const char *tok)
{
        if (!list)
                return false;
        size_t n = strlen(tok);
        for (const char *p = list; *p;) {
                while (*p == ' ' || *p == ',')
                        p++;
                const char *e = p;
                while (*e && *e != ',')
                        e++;
                const char *t = e;
                while (t > p && t[-1] == ' ')
                        t--;
                if ((size_t)(t - p) == n && !strncasecmp(p, tok, n))
                        return true;
                p = e;
        }
        return false;
}

static int read_request(int fd, struct http_req *h)
{
        struct timeval tv = {.tv_sec = 10};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        while (h->len < MAX_REQUEST) {
                ssize_t r = recv(fd, h->head + h->len, MAX_REQUEST - h->len, 0);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        return -1;
                h->len += (size_t)r;
                h->head[h->len] = '\0';
                char *end = strstr(h->head, "\r\n\r\n");
                if (end) {
                        h->head_len = (size_t)(end - h->head) + 4;
                        break;
                }
        }
        if (!h->head_len)
                return -1;
        tv.tv_sec = 0;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        char *sp1 = strchr(h->head, ' ');
        char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
        if (!sp1 || !sp2)
                return -1;
        h->method = pc_xasprintf("%.*s", (int)(sp1 - h->head), h->head);
        h->path = pc_xasprintf("%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
        char *q = strchr(h->path, '?');
        if (q) {
                *q = '\0';
                h->query = q + 1;
        }
        return 0;
}

/* ---- exec -------------------------------------------------------------------------- */

enum { S_ERROR, S_STDIN, S_STDOUT, S_STDERR, S_RESIZE, S_N };
static const char *const stream_names[S_N] = {"error", "stdin", "stdout", "stderr", "resize"};

struct exec_child {
        struct pc_stream_req *req;
        int in, out, err, resize, fail; /* the worker's fds */
};

/* A worker's fd 3: window sizes as "ROWS COLS\n" lines (resize()); each
 * whole one set on the terminal tty (-1: none). false once fd 3 ended. */
struct resizes {
        char buf[64];
        size_t len;
};

static bool read_resizes(struct resizes *rs, int tty)
{
        ssize_t n = read(3, rs->buf + rs->len, sizeof(rs->buf) - 1 - rs->len);
        if (n > 0)
                rs->len += (size_t)n;
        rs->buf[rs->len] = '\0';
        char *nl;
        while ((nl = strchr(rs->buf, '\n'))) {
                unsigned rows = 0, cols = 0;
                if (tty >= 0 && sscanf(rs->buf, "%u %u", &rows, &cols) == 2) {
                        struct winsize ws = {.ws_row = (unsigned short)rows,
                                             .ws_col = (unsigned short)cols};
                        ioctl(tty, TIOCSWINSZ, &ws);
                }
                memmove(rs->buf, nl + 1, strlen(nl + 1) + 1);
                rs->len = strlen(rs->buf);
        }
        if (rs->len == sizeof(rs->buf) - 1)
                rs->len = 0; /* a line too long: not a size */
        return n > 0;
}

/* In the worker (tty): relay the terminal between the pipes and the
 * command's pseudo-terminal; resize requests arrive as "ROWS COLS\n". */
static int relay_tty(void *data, int master, pid_t pid, pc_error *err)
{
        (void)data;
        int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
        bool in_open = true, rs_open = true;
        struct resizes rs = {.len = 0};
        for (;;) {
                struct pollfd p[4] = {{master, POLLIN, 0},
                                      {in_open ? 0 : -1, POLLIN, 0},
                                      {rs_open ? 3 : -1, POLLIN, 0},
                                      {pfd, POLLIN, 0}};
                if (poll(p, 4, -1) < 0 && errno != EINTR)
                        return pc_fail(err, errno, "poll");
                if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        char b[16384];
                        ssize_t r = read(master, b, sizeof(b));
                        if (r > 0) {
                                if (write(1, b, (size_t)r) < 0) {
                                }
                                continue;
                        }
                        if (r < 0 && errno == EAGAIN)
                                continue;
                        return 0; /* EIO: the terminal's last holder is gone */
                }
                if (p[1].revents) {
                        char b[16384];
                        ssize_t r = read(0, b, sizeof(b));
                        if (r > 0) {
                                if (write(master, b, (size_t)r) < 0) {
                                }
                        } else {
                                in_open = false;
                        }
                }
                if (p[2].revents)
                        rs_open = read_resizes(&rs, master);
                if (p[3].revents & POLLIN) {
                        /* drain what the command wrote last */
                        char b[16384];
                        ssize_t r;
                        while ((r = read(master, b, sizeof(b))) > 0)
                                if (write(1, b, (size_t)r) < 0)
                                        break;
                        return 0;
                }
        }
}

/* ---- attach ---------------------------------------------------------------- */

struct follow {
        const char *path;
        int fd;
        char carry[32768]; /* an incomplete record */
        size_t len;
        bool tty;
};

/* One CRI record "<ts> <stream> <F|P> <content>": its content to stdout or
 * stderr as it comes (a P record's too), a newline after an F record's. */
static void follow_record(const char *line, size_t len)
{
        const char *sp1 = memchr(line, ' ', len);
        const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line)) : NULL;
        if (!sp2 || (size_t)(sp2 - line) + 2 > len)
                return;
        int out = !strncmp(sp1 + 1, "stderr ", 7) ? 2 : 1;
        bool partial = sp2[1] == 'P';
        const char *content = sp2 + 3 <= line + len ? sp2 + 3 : line + len;
        size_t n = (size_t)(line + len - content);
        if ((n && write(out, content, n) < 0) || (!partial && write(out, "\n", 1) < 0)) {
        }
}

/* Read what the log file has past our offset; a renamed file (the kubelet's
 * rotation, then ReopenContainerLog) is read to its end, then the new one. */
static void follow_read(struct follow *f)
{
        for (;;) {
                if (f->fd < 0 && (f->fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0)
                        return;
                ssize_t n;
                while ((n = read(f->fd, f->carry + f->len, sizeof(f->carry) - f->len)) > 0) {
                        f->len += (size_t)n;
                        size_t start = 0;
                        for (size_t i = 0; i < f->len; i++)
                                if (f->carry[i] == '\n') {
                                        follow_record(f->carry + start, i - start);
                                        start = i + 1;
                                }
                        if (start == 0 && f->len == sizeof(f->carry))
                                start = f->len; /* not a record: dropped */
                        memmove(f->carry, f->carry + start, f->len - start);
                        f->len -= start;
                }
                struct stat a, b;
                if (stat(f->path, &a) == 0 && fstat(f->fd, &b) == 0 && a.st_ino == b.st_ino &&
                    a.st_dev == b.st_dev)
                        return;
                close(f->fd); /* rotated: on to the new file */
                f->fd = -1;
                f->len = 0;
        }
}

/* In the worker: the container's stdin (fd 0 -> its stdin or terminal), its
 * window size (fd 3, "ROWS COLS\n"), and its output from now on, read from
 * its CRI log (to fd 1/2) until it exits. */
static void __attribute__((noreturn)) attach_worker(const struct pc_stream_req *r)
{
        podctl *ctx = NULL;
        pc_error err = {0};
        json_t *reply = NULL;
        int in = -1;
        if (podctl_open(r->root, NULL, &ctx, &err) < 0) {
                dprintf(4, "%s", err.msg);
                _exit(255);
        }
        _cleanup_free_ char *dir = podctl_pod_dir_path(ctx, r->ns, r->pod);
        json_t *req =
            json_pack("{s:s,s:s,s:b}", "op", "attach", "name", r->container, "stdin", r->in);
        int rc = pc_monitor_call_fd(dir, req, &reply, r->in ? &in : NULL, 0, &err);
        json_decref(req);
        if (rc < 0) {
                dprintf(4, "%s", err.msg);
                _exit(255);
        }
        const char *path = json_string_value(json_object_get(reply, "logPath"));
        const char *id = json_string_value(json_object_get(reply, "id"));
        pid_t pid = (pid_t)json_integer_value(json_object_get(reply, "pid"));
        struct follow f = {.path = path, .fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1};
        if (f.fd >= 0)
                lseek(f.fd, 0, SEEK_END); /* from now on */
        _cleanup_free_ char *ldir = pc_xstrdup(path ? path : "/");
        char *slash = strrchr(ldir, '/');
        if (slash && slash != ldir)
                *slash = '\0';
        int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (ino >= 0)
                inotify_add_watch(ino, ldir, IN_MODIFY | IN_CREATE | IN_MOVED_TO);
        int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
        bool in_open = in >= 0, rs_open = true;
        struct resizes rs = {.len = 0};
        while (pfd >= 0) {
                struct pollfd p[4] = {{in_open ? 0 : -1, POLLIN, 0},
                                      {rs_open ? 3 : -1, POLLIN, 0},
                                      {ino, POLLIN, 0},
                                      {pfd, POLLIN, 0}};
                if (poll(p, 4, 100) < 0 && errno != EINTR)
                        break;
                if (p[0].revents) {
                        char b[16384];
                        ssize_t n = read(0, b, sizeof(b));
                        for (ssize_t off = 0; n > 0 && off < n;) {
                                ssize_t w = write(in, b + off, (size_t)(n - off));
                                if (w < 0 && errno == EAGAIN) {
                                        struct pollfd o = {in, POLLOUT, 0};
                                        poll(&o, 1, -1);
                                        continue;
                                }
                                if (w <= 0) {
                                        n = 0;
                                        break;
                                }
                                off += w;
                        }
                        if (n <= 0) {
                                /* the client's EOF: ours closes (stdinOnce: the container's) */
                                in_open = false;
                                close(in);
                                in = -1;
                        }
                }
                if (p[1].revents)
                        rs_open = read_resizes(&rs, in);
                if (p[2].revents) {
                        char b[4096];
                        while (read(ino, b, sizeof(b)) > 0)
                                ;
                }
                follow_read(&f);
                if (p[3].revents & POLLIN)
                        break;
        }
        /* It exited: its last output reaches the log once the monitor has
         * seen the exit (it drains the pipes first). */
        for (int i = 0; i < 50 && id; i++) {
                json_t *q = json_pack("{s:s,s:s}", "op", "status", "id", id), *st = NULL;
                pc_error e2;
                int x = pc_monitor_call(dir, q, &st, 1000, &e2);
                json_decref(q);
                const char *state =
                    json_string_value(json_object_get(json_object_get(st, "container"), "state"));
                bool running = x == 0 && state && !strcmp(state, "RUNNING");
                json_decref(st);
                if (!running)
                        break;
                struct timespec ts = {0, 100 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        follow_read(&f);
        json_decref(reply);
        podctl_close(ctx);
        _exit(0);
}

/* The worker: a child of the server that runs the command through the
 * library as `podctl exec` does. Its fds 0-2 are the pipes, 3 the resize
 * pipe, 4 the failure pipe (the library's error message). */
static void __attribute__((noreturn)) exec_worker(const struct exec_child *c)
{
        const struct pc_stream_req *r = c->req;
        int fds[5] = {c->in, c->out, c->err, c->resize, c->fail};
        /* move them above 5 first, then into place */
        for (int i = 0; i < 5; i++)
                fds[i] = fds[i] >= 0 ? fcntl(fds[i], F_DUPFD, 10) : -1;
        int null = open("/dev/null", O_RDWR);
        for (int i = 0; i < 5; i++)
                dup2(fds[i] >= 0 ? fds[i] : null, i);
        syscall(SYS_close_range, 5, ~0U, 0);
        signal(SIGPIPE, SIG_DFL);
        if (r->kind == PC_STREAM_ATTACH)
                attach_worker(r);
        podctl *ctx = NULL;
        pc_error err = {0};
        int status = 0;
        struct podctl_exec_opts o = {
            .container = r->container,
            .argv = r->argv,
            .tty = r->tty,
            .stdin_open = r->in,
            .relay = r->tty ? relay_tty : NULL,
        };
        if (podctl_open(r->root, NULL, &ctx, &err) < 0 ||
            podctl_pod_exec(ctx, r->ns, r->pod, &o, &status, &err) < 0) {
                dprintf(4, "%s", err.msg);
                _exit(255);
        }
        _exit(status & 0xff);
}

struct session {
        struct pc_spdy spdy;
        int fd;
        int version; /* remotecommand: 1..5 */
        bool ws;     /* WebSocket (channel bytes), else SPDY (streams) */
        struct {
                uint8_t *buf; /* read and not yet taken */
                size_t len, cap, pending;
                uint8_t *msg; /* the message being put together (fragments) */
                size_t msg_len;
        } w;
        uint32_t ids[S_N];
        uint32_t last_stream;
        /* what came on the stdin and resize streams before the command ran */
        char *early[S_N];
        size_t early_len[S_N];
        bool early_fin;
};

/* ---- the session's transport: SPDY streams or WebSocket channels -------------- */

/* WebSocket (RFC 6455) frames as Kubernetes' channel protocols use them:
 * binary messages whose first byte is the channel (0 stdin, 1 stdout, 2
 * stderr, 3 error, 4 resize); v5 adds [255, channel]: that channel is
 * closed (the client's stdin has ended). The client masks, the server does
 * not. */
#define WS_MAX_MSG (1u << 20)

static int ws_send(struct session *s, int opcode, const void *a, size_t alen, const void *b,
                   size_t blen, pc_error *err)
{
        uint8_t h[10];
        size_t n = alen + blen, hl = 2;
        h[0] = (uint8_t)(0x80 | opcode);
        if (n < 126) {
                h[1] = (uint8_t)n;
        } else if (n < 65536) {
                h[1] = 126;
                h[2] = (uint8_t)(n >> 8);
                h[3] = (uint8_t)n;
                hl = 4;
        } else {
                h[1] = 127;
                for (int i = 0; i < 8; i++)
                        h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
                hl = 10;
        }
        if (send_all(s->fd, (const char *)h, hl) < 0 || (alen && send_all(s->fd, a, alen) < 0) ||
            (blen && send_all(s->fd, b, blen) < 0))
                return pc_fail(err, EPIPE, "websocket: write");
        return 0;
}

static int ws_fill(struct session *s, size_t want, pc_error *err)
{
        if (want > s->w.cap) {
                s->w.cap = want;
                s->w.buf = pc_xrealloc(s->w.buf, s->w.cap);
        }
        while (s->w.len < want) {
                ssize_t r = read(s->fd, s->w.buf + s->w.len, s->w.cap - s->w.len);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return pc_fail(err, errno, "websocket: read");
                if (r == 0)
                        return 0;
                s->w.len += (size_t)r;
        }
        return 1;
}

/* The next whole message (fragments joined; control frames answered): 1
 * with *op (1 text, 2 binary) and the payload in s->w.msg, 0 closed. */
static int ws_read(struct session *s, int *op, pc_error *err)
{
        s->w.msg_len = 0;
        int msg_op = 0;
        for (;;) {
                memmove(s->w.buf, s->w.buf + s->w.pending, s->w.len - s->w.pending);
                s->w.len -= s->w.pending;
                s->w.pending = 0;
                int r = ws_fill(s, 2, err);
                if (r <= 0)
                        return r;
                uint8_t b0 = s->w.buf[0], b1 = s->w.buf[1];
                bool fin = b0 & 0x80, masked = b1 & 0x80;
                int opcode = b0 & 0x0f;
                uint64_t n = b1 & 0x7f;
                size_t hl = 2;
                if (n == 126 || n == 127) {
                        size_t ext = n == 126 ? 2 : 8;
                        if ((r = ws_fill(s, 2 + ext, err)) <= 0)
                                return r;
                        n = 0;
                        for (size_t i = 0; i < ext; i++)
                                n = n << 8 | s->w.buf[2 + i];
                        hl += ext;
                }
                if (!masked)
                        return pc_fail(err, EPROTO, "websocket: a client frame without mask");
                if (n > WS_MAX_MSG || s->w.msg_len + n > WS_MAX_MSG)
                        return pc_fail(err, EPROTO, "websocket: a message over %u bytes",
                                       WS_MAX_MSG);
                hl += 4;
                if ((r = ws_fill(s, hl + (size_t)n, err)) <= 0)
                        return r < 0 ? -1 : pc_fail(err, EPROTO, "websocket: closed in a frame");
                uint8_t *key = s->w.buf + hl - 4, *p = s->w.buf + hl;
                for (uint64_t i = 0; i < n; i++)
                        p[i] ^= key[i % 4];
                s->w.pending = hl + (size_t)n;
                if (opcode == 0x9) { /* ping: pong with its data */
                        if (ws_send(s, 0xA, p, (size_t)n, NULL, 0, err) < 0)
                                return -1;
                        continue;
                }
                if (opcode == 0xA)
                        continue;
                if (opcode == 0x8) { /* close: answer it */
                        ws_send(s, 0x8, p, n >= 2 ? 2 : 0, NULL, 0, err);
                        return 0;
                }
                if (opcode != 0 && opcode != 1 && opcode != 2)
                        return pc_fail(err, EPROTO, "websocket: opcode %d", opcode);
                if (opcode)
                        msg_op = opcode;
                s->w.msg = pc_xrealloc(s->w.msg, s->w.msg_len + (size_t)n + 1);
                memcpy(s->w.msg + s->w.msg_len, p, (size_t)n);
                s->w.msg_len += (size_t)n;
                if (fin) {
                        *op = msg_op;
                        return 1;
                }
        }
}

/* Kubernetes' channel numbers of the streams (S_*), and back. */
static const uint8_t ws_chan[S_N] = {
    [S_STDIN] = 0, [S_STDOUT] = 1, [S_STDERR] = 2, [S_ERROR] = 3, [S_RESIZE] = 4};

static int stream_of_chan(unsigned ch)
{
        for (int k = 0; k < S_N; k++)
                if (ws_chan[k] == ch)
                        return k;
        return -1;
}

/* Send on channel k (S_*). */
static int send_chan(struct session *s, int k, const void *p, size_t n, pc_error *err)
{
        if (s->ws) {
                uint8_t ch = ws_chan[k];
                return ws_send(s, 0x2, &ch, 1, p, n, err);
        }
        return s->ids[k] ? pc_spdy_data(&s->spdy, s->ids[k], p, n, false, err) : 0;
}

static bool transport_buffered(const struct session *s)
{
        return s->ws ? s->w.len > s->w.pending : pc_spdy_buffered(&s->spdy);
}

/* What the client sent, as the exec session sees it. */
enum { EV_NONE, EV_DATA, EV_FIN };
struct event {
        int kind, k; /* channel S_* */
        const uint8_t *data;
        size_t len;
        bool fin; /* EV_DATA: the channel ends with it */
};

/* 1 an event (maybe EV_NONE), 0 the client is gone, -1 error. */
static int read_event(struct session *s, struct pc_spdy_frame *f, struct event *ev, pc_error *err)
{
        *ev = (struct event){.kind = EV_NONE, .k = -1};
        if (s->ws) {
                int op = 0;
                int r = ws_read(s, &op, err);
                if (r <= 0)
                        return r;
                if (op != 2 || s->w.msg_len == 0)
                        return 1; /* text frames: the base64 protocols, not served */
                uint8_t ch = s->w.msg[0];
                if (ch == 255 && s->w.msg_len >= 2 && s->version >= 5) {
                        *ev = (struct event){.kind = EV_FIN, .k = stream_of_chan(s->w.msg[1])};
                        return 1;
                }
                int k = stream_of_chan(ch);
                if (k < 0)
                        return 1;
                *ev = (struct event){
                    .kind = EV_DATA, .k = k, .data = s->w.msg + 1, .len = s->w.msg_len - 1};
                return 1;
        }
        int r = pc_spdy_read(&s->spdy, f, err);
        if (r <= 0)
                return r;
        if (f->type == PC_SPDY_PING) {
                pc_spdy_ping(&s->spdy, f->value, err);
        } else if (f->type == PC_SPDY_GOAWAY) {
                return 0;
        } else if (f->type == PC_SPDY_DATA || f->type == PC_SPDY_RST_STREAM) {
                int k = -1;
                for (int i = 0; i < S_N && f->stream; i++)
                        if (s->ids[i] == f->stream)
                                k = i;
                if (f->type == PC_SPDY_DATA && f->len) {
                        pc_spdy_window_update(&s->spdy, f->stream, (uint32_t)f->len, err);
                        pc_spdy_window_update(&s->spdy, 0, (uint32_t)f->len, err);
                }
                if (k < 0)
                        return 1;
                if (f->type == PC_SPDY_RST_STREAM)
                        *ev = (struct event){.kind = EV_FIN, .k = k};
                else
                        *ev = (struct event){.kind = EV_DATA,
                                             .k = k,
                                             .data = f->data,
                                             .len = f->len,
                                             .fin = (f->flags & PC_SPDY_FLAG_FIN) != 0};
        }
        return 1;
}

/* The end of the session's streams (SPDY: FIN on each; WebSocket: a close
 * frame, normal closure). */
static void end_streams(struct session *s, pc_error *err)
{
        if (s->ws) {
                uint8_t code[2] = {0x03, 0xe8}; /* 1000 */
                ws_send(s, 0x8, code, 2, NULL, 0, err);
                return;
        }
        for (int i = 0; i < S_N; i++)
                if (s->ids[i])
                        pc_spdy_data(&s->spdy, s->ids[i], NULL, 0, true, err);
}

static void status_json(struct session *s, const struct pc_stream_req *r, int code,
                        const char *fail, pc_error *err)
{
        json_t *st;
        if (fail && *fail) {
                st = json_pack("{s:{},s:s,s:s}", "metadata", "status", "Failure", "message", fail);
        } else if (code == 0) {
                st = json_pack("{s:{},s:s}", "metadata", "status", "Success");
        } else {
                _cleanup_free_ char *cmd = NULL;
                for (char **a = r->argv; a && *a; a++) {
                        char *n = pc_xasprintf("%s%s%s", cmd ? cmd : "", cmd ? " " : "", *a);
                        free(cmd);
                        cmd = n;
                }
                _cleanup_free_ char *msg = pc_xasprintf(
                    "command terminated with non-zero exit code: error executing command "
                    "[%s], exit code %d",
                    cmd ? cmd : "", code);
                _cleanup_free_ char *cs = pc_xasprintf("%d", code);
                st = json_pack("{s:{},s:s,s:s,s:s,s:{s:[{s:s,s:s}]}}", "metadata", "status",
                               "Failure", "message", msg, "reason", "NonZeroExitCode", "details",
                               "causes", "reason", "ExitCode", "message", cs);
        }
        if (s->version >= 4) {
                char *d = json_dumps(st, JSON_COMPACT);
                send_chan(s, S_ERROR, d, strlen(d), err);
                free(d);
        } else if (fail || code) {
                const char *m = json_string_value(json_object_get(st, "message"));
                send_chan(s, S_ERROR, m, strlen(m), err);
        }
        json_decref(st);
}

/* Wait for the client's streams: error always, and the ones the request
 * asks for. Each gets its SYN_REPLY at once. */
static int accept_streams(struct session *s, const bool want[S_N], pc_error *err)
{
        int64_t deadline = now_s() + STREAM_WAIT_S;
        struct pc_spdy_frame f = {0};
        for (;;) {
                bool all = true;
                for (int i = 0; i < S_N; i++)
                        if (want[i] && !s->ids[i])
                                all = false;
                if (all)
                        break;
                struct pollfd p = {s->fd, POLLIN, 0};
                int left = (int)(deadline - now_s());
                if (!pc_spdy_buffered(&s->spdy) && (left <= 0 || poll(&p, 1, left * 1000) <= 0)) {
                        pc_spdy_frame_clear(&f);
                        return pc_fail(err, ETIMEDOUT,
                                       "timed out waiting for client to create streams");
                }
                int r = pc_spdy_read(&s->spdy, &f, err);
                if (r <= 0) {
                        pc_spdy_frame_clear(&f);
                        return r < 0 ? -1 : pc_fail(err, EPIPE, "client closed the connection");
                }
                if (f.type == PC_SPDY_PING) {
                        pc_spdy_ping(&s->spdy, f.value, err);
                        continue;
                }
                if (f.type == PC_SPDY_DATA) {
                        /* a client may write before it has opened every stream */
                        for (int k = S_STDIN; k <= S_RESIZE; k += S_RESIZE - S_STDIN) {
                                if (!s->ids[k] || f.stream != s->ids[k])
                                        continue;
                                if (s->early_len[k] + f.len > (1u << 20))
                                        return pc_fail(err, ENOBUFS,
                                                       "more than 1 MiB of input before the "
                                                       "streams were open");
                                s->early[k] = pc_xrealloc(s->early[k], s->early_len[k] + f.len + 1);
                                memcpy(s->early[k] + s->early_len[k], f.data, f.len);
                                s->early_len[k] += f.len;
                                if (k == S_STDIN && (f.flags & PC_SPDY_FLAG_FIN))
                                        s->early_fin = true;
                        }
                        if (f.len) {
                                pc_spdy_window_update(&s->spdy, f.stream, (uint32_t)f.len, err);
                                pc_spdy_window_update(&s->spdy, 0, (uint32_t)f.len, err);
                        }
                        continue;
                }
                if (f.type != PC_SPDY_SYN_STREAM)
                        continue;
                if (f.stream > s->last_stream)
                        s->last_stream = f.stream;
                const char *t = pc_spdy_header(&f, "streamtype");
                int k = -1;
                for (int i = 0; t && i < S_N; i++)
                        if (!strcmp(t, stream_names[i]))
                                k = i;
                if (k < 0 || s->ids[k]) {
                        pc_spdy_rst(&s->spdy, f.stream, PC_SPDY_PROTOCOL_ERROR, err);
                        continue;
                }
                s->ids[k] = f.stream;
                if (pc_spdy_syn_reply(&s->spdy, f.stream, false, err) < 0) {
                        pc_spdy_frame_clear(&f);
                        return -1;
                }
        }
        pc_spdy_frame_clear(&f);
        return 0;
}

/* Resize messages: {"Width":W,"Height":H} JSON objects, one after another
 * (client-go's json.Encoder); each goes to the worker as "ROWS COLS\n". */
static void resize(int fd, const char *p, size_t n)
{
        while (fd >= 0 && n > 0) {
                json_error_t je;
                json_t *j = json_loadb(p, n, JSON_DISABLE_EOF_CHECK, &je);
                if (!j)
                        return;
                json_int_t w = json_integer_value(json_object_get(j, "Width"));
                json_int_t h = json_integer_value(json_object_get(j, "Height"));
                json_decref(j);
                if (w > 0 && h > 0 && w < 65536 && h < 65536)
                        dprintf(fd, "%lld %lld\n", (long long)h, (long long)w);
                size_t used = je.position > 0 ? (size_t)je.position : n;
                while (used < n && (p[used] == '\n' || p[used] == ' '))
                        used++;
                p += used;
                n -= used;
        }
}

static void close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

static void exec_session(struct session *s, struct pc_stream_req *r)
{
        pc_error err = {0};
        bool client = true, exited = false;
        bool want[S_N] = {[S_ERROR] = true,
                          [S_STDIN] = r->in,
                          [S_STDOUT] = r->out,
                          [S_STDERR] = r->err && !r->tty,
                          [S_RESIZE] = r->tty && s->version >= 3};
        if (!s->ws && accept_streams(s, want, &err) < 0)
                return;
        int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2] = {-1, -1}, rs[2] = {-1, -1},
            fl[2] = {-1, -1};
        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0 ||
            pipe2(rs, O_CLOEXEC) < 0 || pipe2(fl, O_CLOEXEC) < 0) {
                status_json(s, r, 0, "streaming: pipe failed", &err);
                goto out;
        }
        struct exec_child c = {r, in[0], out[1], er[1], rs[0], fl[1]};
        pid_t pid = fork();
        if (pid == 0)
                exec_worker(&c);
        close_fd(&in[0]);
        close_fd(&out[1]);
        close_fd(&er[1]);
        close_fd(&rs[0]);
        close_fd(&fl[1]);
        if (pid < 0) {
                status_json(s, r, 0, "streaming: fork failed", &err);
                goto out;
        }
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (!r->in)
                close_fd(&in[1]);
        if (s->early_len[S_RESIZE])
                resize(rs[1], s->early[S_RESIZE], s->early_len[S_RESIZE]);
        int status = 0;
        struct pc_spdy_frame f = {0};
        /* stdin the command has not read yet: while there is some, the
         * client's frames wait (back-pressure), so a command that writes
         * while it does not read never deadlocks the session */
        struct {
                uint8_t *p;
                size_t len, off;
                bool fin;
        } pend = {0};
        if (in[1] >= 0) {
                fcntl(in[1], F_SETFL, O_NONBLOCK);
                /* what came before the command ran goes first */
                pend.p = (uint8_t *)s->early[S_STDIN];
                pend.len = s->early_len[S_STDIN];
                pend.fin = s->early_fin;
                s->early[S_STDIN] = NULL;
                if (!pend.len && pend.fin)
                        close_fd(&in[1]);
        }
        while (out[0] >= 0 || er[0] >= 0 || !exited) {
                bool waiting = pend.off < pend.len && in[1] >= 0;
                struct pollfd p[5] = {{client && !waiting ? s->fd : -1, POLLIN, 0},
                                      {out[0], POLLIN, 0},
                                      {er[0], POLLIN, 0},
                                      {exited ? -1 : pidfd, POLLIN, 0},
                                      {waiting ? in[1] : -1, POLLOUT, 0}};
                bool buffered = client && !waiting && transport_buffered(s);
                if (poll(p, 5, buffered ? 0 : -1) < 0 && errno != EINTR)
                        break;
                if (buffered)
                        p[0].revents |= POLLIN;
                if (p[4].revents) {
                        ssize_t w = write(in[1], pend.p + pend.off, pend.len - pend.off);
                        if (w > 0)
                                pend.off += (size_t)w;
                        else if (w < 0 && errno != EAGAIN && errno != EINTR)
                                close_fd(&in[1]);
                        if (pend.off == pend.len && pend.fin)
                                close_fd(&in[1]);
                }
                for (int k = 1; k <= 2; k++) {
                        int *fd = k == 1 ? &out[0] : &er[0];
                        if (*fd < 0 || !(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        char b[32768];
                        ssize_t n = read(*fd, b, sizeof(b));
                        if (n > 0) {
                                if (client)
                                        send_chan(s, k == 1 ? S_STDOUT : S_STDERR, b, (size_t)n,
                                                  &err);
                        } else if (n == 0 || errno != EINTR) {
                                close_fd(fd);
                        }
                }
                if (p[3].revents & POLLIN) {
                        if (waitpid(pid, &status, 0) == pid)
                                exited = true;
                }
                if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
                        continue;
                struct event ev;
                int rr = read_event(s, &f, &ev, &err);
                if (rr <= 0) {
                        client = false; /* the client is gone: the command's stdin ends */
                        close_fd(&in[1]);
                        continue;
                }
                if (ev.kind == EV_FIN && ev.k == S_STDIN) {
                        if (pend.off < pend.len)
                                pend.fin = true;
                        else
                                close_fd(&in[1]);
                } else if (ev.kind == EV_DATA && ev.k == S_STDIN && in[1] >= 0) {
                        size_t off = 0;
                        while (off < ev.len) {
                                ssize_t w = write(in[1], ev.data + off, ev.len - off);
                                if (w < 0 && errno == EINTR)
                                        continue;
                                if (w < 0 && errno == EAGAIN)
                                        break;
                                if (w <= 0) {
                                        close_fd(&in[1]);
                                        break;
                                }
                                off += (size_t)w;
                        }
                        if (in[1] >= 0 && off < ev.len) {
                                /* the rest when the pipe has room (pend is empty
                                 * here: nothing is read while it is not) */
                                pend.p = pc_xrealloc(pend.p, ev.len - off);
                                memcpy(pend.p, ev.data + off, ev.len - off);
                                pend.len = ev.len - off;
                                pend.off = 0;
                                pend.fin = ev.fin;
                        } else if (ev.fin) {
                                close_fd(&in[1]);
                        }
                } else if (ev.kind == EV_DATA && ev.k == S_RESIZE && ev.len) {
                        resize(rs[1], (const char *)ev.data, ev.len);
                }
        }
        pc_spdy_frame_clear(&f);
        free(pend.p);
        close_fd(&in[1]);
        char fail[1024] = "";
        ssize_t n = read(fl[0], fail, sizeof(fail) - 1);
        fail[n > 0 ? n : 0] = '\0';
        if (pidfd >= 0)
                close(pidfd);
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (client)
                status_json(s, r, code, n > 0 ? fail : NULL, &err);
out:
        close_fd(&in[1]);
        close_fd(&out[0]);
        close_fd(&er[0]);
        close_fd(&rs[1]);
        close_fd(&fl[0]);
        if (client)
                end_streams(s, &err);
        for (int i = 0; i < S_N; i++)
                free(s->early[i]);
}

/* ---- port forward ------------------------------------------------------------------ */

struct forward {
        char *request_id;
        int port;
        uint32_t err_id, data_id;
        int tcp; /* -1 until dialled */
        bool failed;
};

/* A TCP connection to 127.0.0.1:port in the sandbox's network namespace:
 * the socket is made in it (this thread enters it and comes back), then
 * connected from here. */
static int dial(const struct pc_stream_req *r, int port, pc_error *err)
{
        if (pc_proc_starttime(r->pause_pid) != r->pause_start)
                return pc_fail(err, ESRCH, "the sandbox %s is not running", r->sandbox_id);
        _cleanup_free_ char *nsp = pc_xasprintf("/proc/%d/ns/net", (int)r->pause_pid);
        int target = open(nsp, O_RDONLY | O_CLOEXEC);
        int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        int fd = -1, e = 0;
        if (target < 0 || self < 0) {
                e = errno;
        } else if (setns(target, CLONE_NEWNET) < 0) {
                e = errno;
        } else {
                fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                e = errno;
                if (setns(self, CLONE_NEWNET) < 0)
                        abort(); /* this thread must not stay in the Pod's netns */
        }
        if (target >= 0)
                close(target);
        if (self >= 0)
                close(self);
        if (fd < 0)
                return pc_fail(err, e, "enter the network namespace of sandbox %s", r->sandbox_id);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                e = errno;
                close(fd);
                return pc_fail(err, e,
                               "failed to connect to localhost:%d inside namespace of sandbox %s",
                               port, r->sandbox_id);
        }
        return fd;
}

static void forward_close(struct session *s, struct forward *fw, pc_error *err)
{
        if (fw->tcp >= 0)
                close(fw->tcp);
        if (fw->data_id)
                pc_spdy_data(&s->spdy, fw->data_id, NULL, 0, true, err);
        if (fw->err_id)
                pc_spdy_data(&s->spdy, fw->err_id, NULL, 0, true, err);
        free(fw->request_id);
        memset(fw, 0, sizeof(*fw));
        fw->tcp = -1;
}

static void forward_session(struct session *s, struct pc_stream_req *r)
{
        pc_error err = {0};
        struct forward fw[MAX_FORWARDS];
        for (int i = 0; i < MAX_FORWARDS; i++)
                fw[i] = (struct forward){.tcp = -1};
        struct pc_spdy_frame f = {0};
        for (;;) {
                struct pollfd p[MAX_FORWARDS + 1];
                p[0] = (struct pollfd){s->fd, POLLIN, 0};
                for (int i = 0; i < MAX_FORWARDS; i++)
                        p[i + 1] = (struct pollfd){fw[i].tcp, POLLIN, 0};
                bool buffered = pc_spdy_buffered(&s->spdy);
                if (poll(p, MAX_FORWARDS + 1, buffered ? 0 : -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (buffered)
                        p[0].revents |= POLLIN;
                for (int i = 0; i < MAX_FORWARDS; i++) {
                        if (fw[i].tcp < 0 || !(p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        char b[32768];
                        ssize_t n = read(fw[i].tcp, b, sizeof(b));
                        if (n > 0)
                                pc_spdy_data(&s->spdy, fw[i].data_id, b, (size_t)n, false, &err);
                        else if (n == 0 || errno != EINTR)
                                forward_close(s, &fw[i], &err);
                }
                if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
                        continue;
                int rr = pc_spdy_read(&s->spdy, &f, &err);
                if (rr <= 0)
                        break;
                if (f.type == PC_SPDY_PING) {
                        pc_spdy_ping(&s->spdy, f.value, &err);
                        continue;
                }
                if (f.type == PC_SPDY_GOAWAY)
                        break;
                if (f.type == PC_SPDY_SYN_STREAM) {
                        if (f.stream > s->last_stream)
                                s->last_stream = f.stream;
                        const char *t = pc_spdy_header(&f, "streamtype");
                        const char *port = pc_spdy_header(&f, "port");
                        const char *rid = pc_spdy_header(&f, "requestid");
                        long pn = port ? strtol(port, NULL, 10) : 0;
                        bool is_data = t && !strcmp(t, "data"), is_err = t && !strcmp(t, "error");
                        if ((!is_data && !is_err) || pn <= 0 || pn > 65535) {
                                pc_spdy_rst(&s->spdy, f.stream, PC_SPDY_PROTOCOL_ERROR, &err);
                                continue;
                        }
                        /* the pair of this request id (kubectl sends it; an old
                         * client without one pairs by port) */
                        const char *key = rid ? rid : port;
                        struct forward *x = NULL, *free_slot = NULL;
                        for (int i = 0; i < MAX_FORWARDS; i++) {
                                if (fw[i].request_id && !strcmp(fw[i].request_id, key) &&
                                    !(is_data ? fw[i].data_id : fw[i].err_id))
                                        x = &fw[i];
                                else if (!fw[i].request_id && !free_slot)
                                        free_slot = &fw[i];
                        }
                        if (!x && !free_slot) {
                                pc_spdy_rst(&s->spdy, f.stream, PC_SPDY_REFUSED_STREAM, &err);
                                continue;
                        }
                        if (!x) {
                                x = free_slot;
                                x->request_id = pc_xstrdup(key);
                                x->port = (int)pn;
                        }
                        if (is_data)
                                x->data_id = f.stream;
                        else
                                x->err_id = f.stream;
                        pc_spdy_syn_reply(&s->spdy, f.stream, false, &err);
                        if (x->data_id && x->err_id) {
                                pc_error de = {0};
                                x->tcp = dial(r, x->port, &de);
                                if (x->tcp < 0) {
                                        _cleanup_free_ char *m =
                                            pc_xasprintf("error forwarding port %d to pod %s: %s",
                                                         x->port, r->sandbox_id, de.msg);
                                        pc_spdy_data(&s->spdy, x->err_id, m, strlen(m), false,
                                                     &err);
                                        forward_close(s, x, &err);
                                }
                        }
                        continue;
                }
                if (f.type != PC_SPDY_DATA && f.type != PC_SPDY_RST_STREAM)
                        continue;
                if (f.type == PC_SPDY_DATA && f.len) {
                        pc_spdy_window_update(&s->spdy, f.stream, (uint32_t)f.len, &err);
                        pc_spdy_window_update(&s->spdy, 0, (uint32_t)f.len, &err);
                }
                for (int i = 0; i < MAX_FORWARDS; i++) {
                        if (fw[i].data_id != f.stream || fw[i].tcp < 0)
                                continue;
                        if (f.type == PC_SPDY_RST_STREAM) {
                                forward_close(s, &fw[i], &err);
                                break;
                        }
                        size_t off = 0;
                        while (off < f.len) {
                                ssize_t w =
                                    send(fw[i].tcp, f.data + off, f.len - off, MSG_NOSIGNAL);
                                if (w < 0 && errno == EINTR)
                                        continue;
                                if (w <= 0)
                                        break;
                                off += (size_t)w;
                        }
                        if (f.flags & PC_SPDY_FLAG_FIN)
                                shutdown(fw[i].tcp, SHUT_WR);
                        break;
                }
        }
        pc_spdy_frame_clear(&f);
        for (int i = 0; i < MAX_FORWARDS; i++)
                if (fw[i].request_id) {
                        if (fw[i].tcp >= 0)
                                close(fw[i].tcp);
                        free(fw[i].request_id);
                }
}

/* ---- connections and the server ------------------------------------------------------- */

static const char *const exec_protocols[] = {"v4.channel.k8s.io", "v3.channel.k8s.io",
                                             "v2.channel.k8s.io", "channel.k8s.io"};

struct conn {
        struct pc_stream_server *srv;
        int fd;
};

/* Read and drop what the client sends until it closes (true), for at most
 * `secs` seconds (false). */
static bool drain_until_eof(int fd, int secs)
{
        char junk[4096];
        int64_t until = now_s() + secs;
        for (;;) {
                struct pollfd p = {fd, POLLIN, 0};
                int left = (int)(until - now_s());
                if (left <= 0 || poll(&p, 1, left * 1000) <= 0)
                        return false;
                ssize_t n = read(fd, junk, sizeof(junk));
                if (n == 0)
                        return true;
                if (n < 0 && errno != EINTR)
                        return false;
        }
}

/* A graceful end: the client, which has all it needs once its streams have
 * ended, closes first (for at most 2 s); then our side closes, and what the
 * client still sends is read until it closes (2 s more), so that closing
 * never resets the connection under frames it has not read yet. A client
 * that saw the connection end before it had taken the last frames (npm's
 * spdy-transport drops those) gets them all. */
static void graceful_end(int fd)
{
        if (drain_until_eof(fd, 2))
                return;
        shutdown(fd, SHUT_WR);
        drain_until_eof(fd, 2);
}

/* Exec over WebSocket (Kubernetes 1.30+'s v5.channel.k8s.io, and v4 and the
 * first channel.k8s.io: binary channel protocols; the base64 ones are not
 * served): the RFC 6455 handshake, then the exec session on channels. */
static const char *const ws_protocols[] = {"v5.channel.k8s.io", "v4.channel.k8s.io",
                                           "channel.k8s.io"};

/* The RFC 6455 handshake's answer: 101 with Sec-WebSocket-Accept
 * (base64(SHA-1(key + the RFC's GUID))) and the protocol chosen (none when
 * ""); then the session reads WebSocket frames, from what came after the
 * request's head on. */
static int ws_accept(struct session *s, int fd, const struct http_req *h, const char *key,
                     const char *chosen)
{
        _cleanup_free_ char *cat = pc_xasprintf("%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
        unsigned char md[SHA_DIGEST_LENGTH];
        SHA1((const unsigned char *)cat, strlen(cat), md);
        char accept[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
        EVP_EncodeBlock((unsigned char *)accept, md, SHA_DIGEST_LENGTH);
        _cleanup_free_ char *resp = pc_xasprintf(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s%s%s\r\n",
            accept, *chosen ? "Sec-WebSocket-Protocol: " : "", chosen, *chosen ? "\r\n" : "");
        if (send_all(fd, resp, strlen(resp)) < 0)
                return -1;
        *s = (struct session){.fd = fd, .ws = true};
        size_t extra = h->len - h->head_len;
        s->w.cap = extra > 65536 ? extra : 65536;
        s->w.buf = pc_xmalloc(s->w.cap);
        memcpy(s->w.buf, h->head + h->head_len, extra);
        s->w.len = extra;
        return 0;
}

static void ws_session(int fd, const struct http_req *h, struct pc_stream_req *r)
{
        _cleanup_free_ char *key = header(h, "sec-websocket-key");
        _cleanup_free_ char *protos = header(h, "sec-websocket-protocol");
        const char *chosen = NULL;
        int version = 0;
        for (int i = 0; i < 3 && !chosen; i++)
                if (has_token(protos, ws_protocols[i])) {
                        chosen = ws_protocols[i];
                        version = i == 0 ? 5 : i == 1 ? 4 : 1;
                }
        if (!key || !*key) {
                http_error(fd, 400, "Bad Request", "websocket: no Sec-WebSocket-Key");
                return;
        }
        if (!chosen) {
                _cleanup_free_ char *m = pc_xasprintf(
                    "unable to upgrade: unable to negotiate protocol: client supports %s, "
                    "server supports [v5.channel.k8s.io v4.channel.k8s.io channel.k8s.io]",
                    protos ? protos : "nothing");
                http_error(fd, 403, "Forbidden", m);
                return;
        }
        struct session s;
        if (ws_accept(&s, fd, h, key, chosen) < 0)
                return;
        s.version = version;
        exec_session(&s, r);
        graceful_end(fd);
        free(s.w.buf);
        free(s.w.msg);
}

/* Port forwarding over WebSocket, as the kubelet's streaming server serves
 * it (portforward/websocket.go): protocol v4.channel.k8s.io (or none), the
 * ports of the CRI request (or the URL's ?port= query, comma-separated or
 * repeated); for port i, channel 2i carries data both ways and 2i+1 the
 * server's error text; the server's first message on each is the port
 * (uint16, little endian). Each port's TCP connection is dialled at once;
 * the session ends when all have ended or the client closes. */
static void ws_forward_session(int fd, const struct http_req *h, struct pc_stream_req *r,
                               const int *ports, size_t n_ports)
{
        _cleanup_free_ char *key = header(h, "sec-websocket-key");
        _cleanup_free_ char *protos = header(h, "sec-websocket-protocol");
        if (!key || !*key) {
                http_error(fd, 400, "Bad Request", "websocket: no Sec-WebSocket-Key");
                return;
        }
        const char *chosen = has_token(protos, "v4.channel.k8s.io") ? "v4.channel.k8s.io" : "";
        if (protos && *protos && !*chosen) {
                _cleanup_free_ char *m = pc_xasprintf(
                    "unable to upgrade: unable to negotiate protocol: client supports %s, "
                    "server supports [v4.channel.k8s.io]",
                    protos);
                http_error(fd, 403, "Forbidden", m);
                return;
        }
        if (n_ports == 0) {
                http_error(fd, 400, "Bad Request", "query parameter \"port\" is required");
                return;
        }
        struct session s;
        if (ws_accept(&s, fd, h, key, chosen) < 0)
                return;
        pc_error err = {0};
        int tcp[PC_STREAM_MAX_PORTS];
        size_t open_n = 0;
        for (size_t i = 0; i < n_ports; i++) {
                uint8_t pb[2] = {(uint8_t)(ports[i] & 0xff), (uint8_t)(ports[i] >> 8)};
                uint8_t ch[2] = {(uint8_t)(2 * i), (uint8_t)(2 * i + 1)};
                ws_send(&s, 0x2, &ch[0], 1, pb, 2, &err);
                ws_send(&s, 0x2, &ch[1], 1, pb, 2, &err);
                pc_error de = {0};
                tcp[i] = dial(r, ports[i], &de);
                if (tcp[i] < 0) {
                        _cleanup_free_ char *m =
                            pc_xasprintf("error forwarding port %d to pod %s: %s", ports[i],
                                         r->sandbox_id, de.msg);
                        ws_send(&s, 0x2, &ch[1], 1, m, strlen(m), &err);
                } else {
                        open_n++;
                }
        }
        while (open_n > 0) {
                struct pollfd p[PC_STREAM_MAX_PORTS + 1];
                p[0] = (struct pollfd){fd, POLLIN, 0};
                for (size_t i = 0; i < n_ports; i++)
                        p[i + 1] = (struct pollfd){tcp[i], POLLIN, 0};
                bool buffered = transport_buffered(&s);
                if (poll(p, n_ports + 1, buffered ? 0 : -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (buffered)
                        p[0].revents |= POLLIN;
                for (size_t i = 0; i < n_ports; i++) {
                        if (tcp[i] < 0 || !(p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        char b[32768];
                        ssize_t n = read(tcp[i], b, sizeof(b));
                        uint8_t ch = (uint8_t)(2 * i);
                        if (n > 0) {
                                ws_send(&s, 0x2, &ch, 1, b, (size_t)n, &err);
                        } else if (n == 0 || errno != EINTR) {
                                close(tcp[i]);
                                tcp[i] = -1;
                                open_n--;
                        }
                }
                if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
                        continue;
                int op = 0;
                if (ws_read(&s, &op, &err) <= 0)
                        break; /* closed (answered), or broken */
                if (op != 2 || s.w.msg_len < 1)
                        continue;
                size_t ch = s.w.msg[0];
                if (ch % 2 || ch / 2 >= n_ports || tcp[ch / 2] < 0)
                        continue;
                size_t off = 1;
                while (off < s.w.msg_len) {
                        ssize_t w =
                            send(tcp[ch / 2], s.w.msg + off, s.w.msg_len - off, MSG_NOSIGNAL);
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w <= 0)
                                break;
                        off += (size_t)w;
                }
        }
        for (size_t i = 0; i < n_ports; i++)
                if (tcp[i] >= 0)
                        close(tcp[i]);
        uint8_t code[2] = {0x03, 0xe8}; /* 1000 */
        ws_send(&s, 0x8, code, 2, NULL, 0, &err);
        graceful_end(fd);
        free(s.w.buf);
        free(s.w.msg);
}

/* The ports of a query "port=80&port=81,82" (as the kubelet's
 * NewV4Options reads them): 0 with *n of them (0 when none), -1 when one
 * is not a port or there are too many. */
static int query_ports(const char *q, int *ports, size_t *n)
{
        *n = 0;
        for (const char *p = q; p && *p;) {
                size_t len = strcspn(p, "&");
                if (len > 5 && !strncmp(p, "port=", 5)) {
                        const char *v = p + 5, *end = p + len;
                        while (v < end) {
                                char *e;
                                errno = 0;
                                long x = strtol(v, &e, 10);
                                if (e == v || errno || x < 1 || x > 65535 ||
                                    (e < end && *e != ',') || *n >= PC_STREAM_MAX_PORTS)
                                        return -1;
                                ports[(*n)++] = (int)x;
                                v = e < end ? e + 1 : e;
                        }
                }
                p += len;
                if (*p == '&')
                        p++;
        }
        return 0;
}

static void *conn_main(void *arg)
{
        struct conn *c = arg;
        int fd = c->fd;
        struct pc_stream_server *srv = c->srv;
        free(c);
        struct http_req *h = pc_xcalloc(1, sizeof(*h));
        struct pc_stream_req *r = NULL;
        _cleanup_free_ char *upgrade = NULL;
        _cleanup_free_ char *connection = NULL;
        _cleanup_free_ char *protos = NULL;
        _cleanup_free_ char *resp = NULL;
        if (read_request(fd, h) < 0)
                goto out;
        enum pc_stream_kind kind;
        const char *tok;
        if (!strncmp(h->path, "/exec/", 6)) {
                kind = PC_STREAM_EXEC;
                tok = h->path + 6;
        } else if (!strncmp(h->path, "/attach/", 8)) {
                kind = PC_STREAM_ATTACH;
                tok = h->path + 8;
        } else if (!strncmp(h->path, "/portforward/", 13)) {
                kind = PC_STREAM_PORTFORWARD;
                tok = h->path + 13;
        } else {
                http_error(fd, 404, "Not Found", "404 page not found");
                goto out;
        }
        r = take(srv, tok);
        bool execish = kind != PC_STREAM_PORTFORWARD; /* exec and attach: remotecommand */
        if (!r || r->kind != kind) {
                http_error(fd, 404, "Not Found", "unknown or expired streaming token");
                goto out;
        }
        upgrade = header(h, "upgrade");
        connection = header(h, "connection");
        if (has_token(connection, "upgrade") && has_token(upgrade, "websocket")) {
                if (execish) {
                        ws_session(fd, h, r);
                        goto out;
                }
                int ports[PC_STREAM_MAX_PORTS];
                size_t n_ports = 0;
                if (query_ports(h->query, ports, &n_ports) < 0) {
                        http_error(fd, 400, "Bad Request", "query parameter \"port\": invalid");
                        goto out;
                }
                if (!n_ports) {
                        memcpy(ports, r->ports, r->n_ports * sizeof(int));
                        n_ports = r->n_ports;
                }
                ws_forward_session(fd, h, r, ports, n_ports);
                goto out;
        }
        if (!has_token(connection, "upgrade") || !has_token(upgrade, "spdy/3.1")) {
                http_error(fd, 400, "Bad Request",
                           "unable to upgrade: missing upgrade headers in request");
                goto out;
        }
        protos = header(h, "x-stream-protocol-version");
        const char *chosen = NULL;
        int version = 0;
        if (execish) {
                for (int i = 0; i < 4 && !chosen; i++)
                        if (has_token(protos, exec_protocols[i])) {
                                chosen = exec_protocols[i];
                                version = 4 - i;
                        }
                if (!protos || !*protos) {
                        chosen = "";
                        version = 1;
                }
        } else if (!protos || !*protos || has_token(protos, "portforward.k8s.io")) {
                chosen = protos && *protos ? "portforward.k8s.io" : "";
        }
        if (!chosen) {
                _cleanup_free_ char *m = pc_xasprintf(
                    "unable to upgrade: unable to negotiate protocol: client supports %s, "
                    "server supports %s",
                    protos,
                    execish ? "[v4.channel.k8s.io v3.channel.k8s.io "
                              "v2.channel.k8s.io channel.k8s.io]"
                            : "[portforward.k8s.io]");
                http_error(fd, 403, "Forbidden", m);
                goto out;
        }
        resp = pc_xasprintf(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
            "%s%s%s\r\n",
            *chosen ? "X-Stream-Protocol-Version: " : "", chosen, *chosen ? "\r\n" : "");
        if (send_all(fd, resp, strlen(resp)) < 0)
                goto out;
        struct session s = {.fd = fd, .version = version};
        pc_error err = {0};
        if (pc_spdy_init(&s.spdy, fd, h->head + h->head_len, h->len - h->head_len, &err) == 0) {
                if (execish)
                        exec_session(&s, r);
                else
                        forward_session(&s, r);
                pc_spdy_goaway(&s.spdy, s.last_stream, &err);
                graceful_end(fd);
        }
        pc_spdy_free(&s.spdy);
out:
        pc_stream_req_free(r);
        if (h) {
                free(h->method);
                free(h->path);
                free(h);
        }
        close(fd);
        return NULL;
}

static void *server_main(void *arg)
{
        struct pc_stream_server *s = arg;
        for (;;) {
                struct pollfd p[2] = {{s->fd, POLLIN, 0}, {s->stop_pipe[0], POLLIN, 0}};
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[1].revents)
                        break;
                int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
                if (fd < 0)
                        continue;
                struct conn *c = pc_xmalloc(sizeof(*c));
                *c = (struct conn){s, fd};
                pthread_t t;
                pthread_attr_t a;
                pthread_attr_init(&a);
                pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
                if (pthread_create(&t, &a, conn_main, c) != 0) {
                        close(fd);
                        free(c);
                }
                pthread_attr_destroy(&a);
        }
        return NULL;
}

int pc_stream_start(const char *addr, struct pc_stream_server **out, pc_error *err)
{
        const char *a = addr && *addr ? addr : "127.0.0.1:0";
        const char *colon = strrchr(a, ':');
        if (!colon)
                return pc_fail(err, EINVAL, "--stream-address %s: not HOST:PORT", a);
        _cleanup_free_ char *host = pc_xasprintf("%.*s", (int)(colon - a), a);
        char *end;
        long port = strtol(colon + 1, &end, 10);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        if (*end || port < 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
                return pc_fail(err, EINVAL, "--stream-address %s: not IPv4-HOST:PORT", a);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        socklen_t sl = sizeof(sa);
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0 ||
            getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
                int e = errno;
                if (fd >= 0)
                        close(fd);
                return pc_fail(err, e, "streaming server: listen on %s", a);
        }
        struct pc_stream_server *s = pc_xcalloc(1, sizeof(*s));
        s->fd = fd;
        s->port = ntohs(sa.sin_port);
        pthread_mutex_init(&s->mu, NULL);
        if (pipe2(s->stop_pipe, O_CLOEXEC) < 0 ||
            pthread_create(&s->thread, NULL, server_main, s) != 0) {
                close(fd);
                free(s);
                return pc_fail(err, errno, "streaming server: start");
        }
        *out = s;
        return 0;
}

void pc_stream_stop(struct pc_stream_server *s)
{
        if (!s)
                return;
        if (write(s->stop_pipe[1], "x", 1) < 0) {
        }
        pthread_join(s->thread, NULL);
        close(s->fd);
        close(s->stop_pipe[0]);
        close(s->stop_pipe[1]);
        for (size_t i = 0; i < s->n_tokens; i++)
                pc_stream_req_free(s->tokens[i].req);
        free(s->tokens);
        pthread_mutex_destroy(&s->mu);
        free(s);
}
