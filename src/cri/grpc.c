/* gRPC over HTTP/2 with libnghttp2 (see grpc.h). */
#include "cri/grpc.h"

#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_STREAMS 128

struct server {
        pc_grpc_handler handler;
        void *data;
};

struct job;

/* What request threads hand the connection thread, in order: a message of
 * a streaming response, or the end of a call (its reply). */
struct event {
        struct job *j;
        uint8_t *msg; /* NULL: the call is done */
        size_t len;
        struct event *next;
};

struct conn {
        int fd, wake;
        nghttp2_session *session;
        const struct server *srv;
        pthread_mutex_t mu;
        struct event *head, *tail; /* for the connection thread */
        struct stream *streams;    /* open streams (the connection thread's) */
        int refs;                  /* the connection thread + each request thread */
};

/* One request stream as it arrives, then its answer as it is sent. */
struct stream {
        struct stream *prev, *next; /* in conn->streams */
        int32_t id;
        char *path;
        bool grpc_type; /* content-type application/grpc[+proto] */
        uint8_t *in;
        size_t in_len, in_cap;
        bool too_big, dispatched;
        uint8_t *out; /* 5-byte prefixes + messages not sent yet */
        size_t out_len, out_off, out_cap;
        struct job *job;    /* its call while it runs (connection thread only) */
        bool streaming;     /* the response's headers are out; more may come */
        bool finished;      /* no more messages: trailers after the last */
        int status;         /* the trailers' grpc-status ... */
        char message[1600]; /* ... and grpc-message (percent-encoded) */
};

#define MAX_PENDING (64u << 20) /* bytes a client may leave unread on a stream */

struct job {
        struct conn *c;
        int32_t id;
        char *path;
        uint8_t *req;
        size_t len;
        struct pc_grpc_reply reply;
        bool cancelled; /* the stream closed: under c->mu */
};

static void push(struct conn *c, struct event *e)
{
        pthread_mutex_lock(&c->mu);
        if (c->tail)
                c->tail->next = e;
        else
                c->head = e;
        c->tail = e;
        pthread_mutex_unlock(&c->mu);
        uint64_t one = 1;
        if (write(c->wake, &one, sizeof(one)) < 0) {
                /* an eventfd write fails only on overflow: it is awake anyway */
        }
}

int pc_grpc_send(struct pc_grpc_reply *out, const void *msg, size_t len)
{
        struct job *j = out->call;
        if (!j || len > PC_GRPC_MAX_MESSAGE)
                return -1;
        if (pc_grpc_cancelled(out))
                return -1;
        struct event *e = calloc(1, sizeof(*e));
        uint8_t *m = malloc(len + 5);
        if (!e || !m) {
                free(e);
                free(m);
                return -1;
        }
        m[0] = 0;
        m[1] = (uint8_t)(len >> 24);
        m[2] = (uint8_t)(len >> 16);
        m[3] = (uint8_t)(len >> 8);
        m[4] = (uint8_t)len;
        if (len)
                memcpy(m + 5, msg, len);
        e->j = j;
        e->msg = m;
        e->len = len + 5;
        push(j->c, e);
        return 0;
}

bool pc_grpc_cancelled(const struct pc_grpc_reply *out)
{
        const struct job *j = out->call;
        if (!j)
                return false;
        pthread_mutex_lock(&j->c->mu);
        bool c = j->cancelled;
        pthread_mutex_unlock(&j->c->mu);
        return c;
}

void pc_grpc_fail(struct pc_grpc_reply *out, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        out->status = code;
        vsnprintf(out->message, sizeof(out->message), fmt, ap);
        va_end(ap);
        free(out->body);
        out->body = NULL;
        out->len = 0;
}

static void conn_unref(struct conn *c)
{
        pthread_mutex_lock(&c->mu);
        bool last = --c->refs == 0;
        pthread_mutex_unlock(&c->mu);
        if (!last)
                return;
        while (c->head) {
                struct event *e = c->head;
                c->head = e->next;
                if (!e->msg) {
                        free(e->j->reply.body);
                        free(e->j);
                }
                free(e->msg);
                free(e);
        }
        pthread_mutex_destroy(&c->mu);
        close(c->wake);
        free(c);
}

static void *run_job(void *arg)
{
        struct job *j = arg;
        struct conn *c = j->c;
        j->reply.status = PC_GRPC_OK;
        j->reply.call = j;
        c->srv->handler(c->srv->data, j->path, j->req, j->len, &j->reply);
        free(j->path);
        free(j->req);
        j->path = NULL;
        j->req = NULL;
        struct event *e = calloc(1, sizeof(*e));
        if (e) {
                e->j = j;
                push(c, e);
        }
        conn_unref(c);
        return NULL;
}

static void stream_free(struct stream *st)
{
        if (!st)
                return;
        free(st->path);
        free(st->in);
        free(st->out);
        free(st);
}

/* grpc-message is percent-encoded: bytes outside 0x20..0x7e, and '%'. */
static void percent_encode(const char *s, char *out, size_t n)
{
        size_t o = 0;
        for (; *s && o + 4 < n; s++) {
                unsigned char ch = (unsigned char)*s;
                if (ch < 0x20 || ch > 0x7e || ch == '%')
                        o += (size_t)snprintf(out + o, n - o, "%%%02X", ch);
                else
                        out[o++] = (char)ch;
        }
        out[o] = '\0';
}

#define NV(n, v)                                                                                   \
        {                                                                                          \
                (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v),                          \
                    NGHTTP2_NV_FLAG_NO_COPY_NAME                                                   \
        }

static ssize_t read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *user)
{
        struct stream *st = src->ptr;
        size_t n = st->out_len - st->out_off;
        if (n == 0 && !st->finished)
                return NGHTTP2_ERR_DEFERRED; /* resumed by the next message */
        if (n > len)
                n = len;
        memcpy(buf, st->out + st->out_off, n);
        st->out_off += n;
        if (st->out_off == st->out_len && st->finished) {
                *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
                char code[16];
                snprintf(code, sizeof(code), "%d", st->status);
                nghttp2_nv tr[] = {NV("grpc-status", code), NV("grpc-message", st->message)};
                if (nghttp2_submit_trailer(s, id, tr, st->status ? 2 : 1) != 0)
                        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
        }
        return (ssize_t)n;
}

/* Answer a finished request (its stream may be gone: the client cancelled). */
static void answer(struct conn *c, struct job *j)
{
        struct stream *st = nghttp2_session_get_stream_user_data(c->session, j->id);
        if (!st)
                return;
        if (j->reply.status != PC_GRPC_OK) {
                char code[16], msg[sizeof(j->reply.message) * 3 + 1];
                snprintf(code, sizeof(code), "%d", j->reply.status);
                percent_encode(j->reply.message, msg, sizeof(msg));
                nghttp2_nv h[] = {NV(":status", "200"), NV("content-type", "application/grpc"),
                                  NV("grpc-status", code), NV("grpc-message", msg)};
                nghttp2_submit_response(c->session, j->id, h, 4, NULL);
                return;
        }
        st->out_len = 5 + j->reply.len;
        st->out = malloc(st->out_len);
        if (!st->out) {
                nghttp2_submit_rst_stream(c->session, NGHTTP2_FLAG_NONE, j->id,
                                          NGHTTP2_INTERNAL_ERROR);
                return;
        }
        st->finished = true;
        st->out[0] = 0;
        uint32_t n = (uint32_t)j->reply.len;
        st->out[1] = (uint8_t)(n >> 24);
        st->out[2] = (uint8_t)(n >> 16);
        st->out[3] = (uint8_t)(n >> 8);
        st->out[4] = (uint8_t)n;
        if (j->reply.len)
                memcpy(st->out + 5, j->reply.body, j->reply.len);
        nghttp2_nv h[] = {NV(":status", "200"), NV("content-type", "application/grpc")};
        nghttp2_data_provider dp = {.source.ptr = st, .read_callback = read_body};
        nghttp2_submit_response(c->session, j->id, h, 2, &dp);
}

/* A request that fails before it reaches a handler. */
static void refuse(struct conn *c, int32_t id, int code, const char *msg)
{
        struct job j = {.c = c, .id = id};
        pc_grpc_fail(&j.reply, code, "%s", msg);
        answer(c, &j);
}

static void dispatch(struct conn *c, int32_t id, struct stream *st)
{
        st->dispatched = true;
        if (!st->path || !st->grpc_type) {
                refuse(c, id, PC_GRPC_INTERNAL, "not a gRPC request");
                return;
        }
        if (st->too_big) {
                refuse(c, id, PC_GRPC_RESOURCE_EXHAUSTED, "request message larger than 16 MiB");
                return;
        }
        if (st->in_len < 5) {
                refuse(c, id, PC_GRPC_INTERNAL, "no request message");
                return;
        }
        if (st->in[0] != 0) {
                refuse(c, id, PC_GRPC_UNIMPLEMENTED,
                       "compressed messages are not supported (grpc-encoding identity)");
                return;
        }
        uint32_t n = (uint32_t)st->in[1] << 24 | (uint32_t)st->in[2] << 16 |
                     (uint32_t)st->in[3] << 8 | st->in[4];
        if (n != st->in_len - 5) {
                refuse(c, id, PC_GRPC_UNIMPLEMENTED,
                       "one request message expected (unary RPCs only)");
                return;
        }
        struct job *j = calloc(1, sizeof(*j));
        if (!j) {
                refuse(c, id, PC_GRPC_RESOURCE_EXHAUSTED, "out of memory");
                return;
        }
        j->c = c;
        j->id = id;
        j->path = st->path;
        st->path = NULL;
        j->len = n;
        j->req = malloc(n ? n : 1);
        if (!j->req) {
                free(j->path);
                free(j);
                {
                        refuse(c, id, PC_GRPC_RESOURCE_EXHAUSTED, "out of memory");
                        return;
                }
        }
        memcpy(j->req, st->in + 5, n);
        st->job = j;
        pthread_mutex_lock(&c->mu);
        c->refs++;
        pthread_mutex_unlock(&c->mu);
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        pthread_t t;
        int r = pthread_create(&t, &a, run_job, j);
        pthread_attr_destroy(&a);
        if (r != 0) {
                st->job = NULL;
                free(j->path);
                free(j->req);
                free(j);
                conn_unref(c);
                refuse(c, id, PC_GRPC_RESOURCE_EXHAUSTED, "cannot start a thread");
        }
}

static int on_begin_headers(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
        if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
                return 0;
        struct stream *st = calloc(1, sizeof(*st));
        if (!st)
                return NGHTTP2_ERR_CALLBACK_FAILURE;
        struct conn *c = user;
        st->id = f->hd.stream_id;
        st->next = c->streams;
        if (c->streams)
                c->streams->prev = st;
        c->streams = st;
        nghttp2_session_set_stream_user_data(s, f->hd.stream_id, st);
        return 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *user)
{
        struct stream *st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
        if (!st || f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
                return 0;
        if (namelen == 5 && !memcmp(name, ":path", 5) && !st->path)
                st->path = strndup((const char *)value, valuelen);
        else if (namelen == 12 && !memcmp(name, "content-type", 12))
                st->grpc_type = valuelen >= 16 && !memcmp(value, "application/grpc", 16);
        return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                   void *user)
{
        struct stream *st = nghttp2_session_get_stream_user_data(s, id);
        if (!st || st->too_big)
                return 0;
        if (st->in_len + len > PC_GRPC_MAX_MESSAGE + 5) {
                st->too_big = true;
                return 0;
        }
        if (st->in_len + len > st->in_cap) {
                size_t cap = st->in_cap ? st->in_cap : 4096;
                while (cap < st->in_len + len)
                        cap *= 2;
                uint8_t *n = realloc(st->in, cap);
                if (!n)
                        return NGHTTP2_ERR_CALLBACK_FAILURE;
                st->in = n;
                st->in_cap = cap;
        }
        memcpy(st->in + st->in_len, data, len);
        st->in_len += len;
        return 0;
}

static int on_frame(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
        if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) ||
            !(f->hd.flags & NGHTTP2_FLAG_END_STREAM))
                return 0;
        struct stream *st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
        if (st && !st->dispatched)
                dispatch(user, f->hd.stream_id, st);
        return 0;
}

static int on_close(nghttp2_session *s, int32_t id, uint32_t code, void *user)
{
        struct conn *c = user;
        struct stream *st = nghttp2_session_get_stream_user_data(s, id);
        if (st && st->job) {
                /* the call runs on: it learns from pc_grpc_send/cancelled */
                pthread_mutex_lock(&c->mu);
                st->job->cancelled = true;
                pthread_mutex_unlock(&c->mu);
        }
        if (st) {
                if (st->prev)
                        st->prev->next = st->next;
                else
                        c->streams = st->next;
                if (st->next)
                        st->next->prev = st->prev;
        }
        stream_free(st);
        nghttp2_session_set_stream_user_data(s, id, NULL);
        return 0;
}

static int send_all(int fd, const uint8_t *p, size_t n)
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

/* Write what nghttp2 has to send, in as few writes as it fits (blocking:
 * this thread has nothing else to do meanwhile). */
static int flush(struct conn *c)
{
        uint8_t buf[32768];
        size_t fill = 0;
        for (;;) {
                const uint8_t *p;
                ssize_t n = nghttp2_session_mem_send(c->session, &p);
                if (n < 0)
                        return -1;
                if (n > 0 && fill + (size_t)n <= sizeof(buf)) {
                        memcpy(buf + fill, p, (size_t)n);
                        fill += (size_t)n;
                        continue;
                }
                if (fill && send_all(c->fd, buf, fill) < 0)
                        return -1;
                fill = 0;
                if (n == 0)
                        return 0;
                if (send_all(c->fd, p, (size_t)n) < 0)
                        return -1;
        }
}

/* A message of a streaming response: queued on its stream, the headers
 * sent with the first one. */
static void stream_message(struct conn *c, struct event *e)
{
        struct stream *st = nghttp2_session_get_stream_user_data(c->session, e->j->id);
        if (!st)
                return; /* the client has gone */
        if (st->out_off == st->out_len)
                st->out_off = st->out_len = 0;
        if (st->out_len - st->out_off + e->len > MAX_PENDING) {
                /* a client that does not read: the call ends for it */
                nghttp2_submit_rst_stream(c->session, NGHTTP2_FLAG_NONE, e->j->id, NGHTTP2_CANCEL);
                return;
        }
        if (st->out_len + e->len > st->out_cap) {
                size_t cap = st->out_cap ? st->out_cap : 4096;
                while (cap < st->out_len + e->len)
                        cap *= 2;
                uint8_t *n = realloc(st->out, cap);
                if (!n)
                        return;
                st->out = n;
                st->out_cap = cap;
        }
        memcpy(st->out + st->out_len, e->msg, e->len);
        st->out_len += e->len;
        if (st->streaming) {
                nghttp2_session_resume_data(c->session, e->j->id);
                return;
        }
        st->streaming = true;
        nghttp2_nv h[] = {NV(":status", "200"), NV("content-type", "application/grpc")};
        nghttp2_data_provider dp = {.source.ptr = st, .read_callback = read_body};
        nghttp2_submit_response(c->session, e->j->id, h, 2, &dp);
}

/* The end of a call: the reply (unary), or the trailers after what was
 * streamed. */
static void call_done(struct conn *c, struct job *j)
{
        struct stream *st = nghttp2_session_get_stream_user_data(c->session, j->id);
        if (st)
                st->job = NULL;
        if (st && st->streaming) {
                st->finished = true;
                st->status = j->reply.status;
                percent_encode(j->reply.status ? j->reply.message : "", st->message,
                               sizeof(st->message));
                nghttp2_session_resume_data(c->session, j->id);
                return;
        }
        answer(c, j);
}

static void take_done(struct conn *c)
{
        uint64_t v;
        if (read(c->wake, &v, sizeof(v)) < 0) {
                /* EAGAIN: nothing new */
        }
        pthread_mutex_lock(&c->mu);
        struct event *list = c->head;
        c->head = c->tail = NULL;
        pthread_mutex_unlock(&c->mu);
        while (list) {
                struct event *e = list;
                list = e->next;
                if (e->msg) {
                        stream_message(c, e);
                        free(e->msg);
                } else {
                        call_done(c, e->j);
                        free(e->j->reply.body);
                        free(e->j);
                }
                free(e);
        }
}

static void *run_conn(void *arg)
{
        struct conn *c = arg;
        nghttp2_session_callbacks *cb;
        if (nghttp2_session_callbacks_new(&cb) != 0)
                goto out;
        nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
        nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame);
        nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
        int r = nghttp2_session_server_new(&c->session, cb, c);
        nghttp2_session_callbacks_del(cb);
        if (r != 0)
                goto out;
        nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, MAX_STREAMS}};
        nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, iv, 1);
        uint8_t buf[16384];
        while (nghttp2_session_want_read(c->session) || nghttp2_session_want_write(c->session)) {
                if (flush(c) < 0)
                        break;
                struct pollfd p[2] = {{c->fd, POLLIN, 0}, {c->wake, POLLIN, 0}};
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[1].revents & POLLIN)
                        take_done(c);
                if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        ssize_t n = read(c->fd, buf, sizeof(buf));
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0)
                                break;
                        if (nghttp2_session_mem_recv(c->session, buf, (size_t)n) < 0)
                                break;
                }
        }
        flush(c);
out:
        /* The streams still open: their calls are cancelled (a streaming one
         * stops), their memory freed (nghttp2_session_del calls no
         * on_close). */
        while (c->streams) {
                struct stream *st = c->streams;
                c->streams = st->next;
                if (st->job) {
                        pthread_mutex_lock(&c->mu);
                        st->job->cancelled = true;
                        pthread_mutex_unlock(&c->mu);
                }
                if (c->session)
                        nghttp2_session_set_stream_user_data(c->session, st->id, NULL);
                stream_free(st);
        }
        if (c->session)
                nghttp2_session_del(c->session);
        c->session = NULL;
        close(c->fd);
        conn_unref(c);
        return NULL;
}

static struct server srv;

int pc_grpc_accept(int listen_fd, pc_grpc_handler h, void *data, pc_error *err)
{
        srv.handler = h;
        srv.data = data;
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN || errno == EMFILE ||
                    errno == ENFILE)
                        return 0;
                return pc_fail(err, errno, "accept");
        }
        struct conn *c = calloc(1, sizeof(*c));
        if (!c) {
                close(fd);
                return 0;
        }
        c->fd = fd;
        c->srv = &srv;
        c->refs = 1;
        c->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        pthread_mutex_init(&c->mu, NULL);
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        pthread_t t;
        if (c->wake < 0 || pthread_create(&t, &a, run_conn, c) != 0) {
                close(fd);
                if (c->wake >= 0)
                        close(c->wake);
                pthread_mutex_destroy(&c->mu);
                free(c);
        }
        pthread_attr_destroy(&a);
        return 0;
}

int pc_grpc_serve(int listen_fd, pc_grpc_handler h, void *data, volatile sig_atomic_t *stop,
                  pc_error *err)
{
        while (!*stop) {
                struct pollfd p = {listen_fd, POLLIN, 0};
                int r = poll(&p, 1, 200);
                if (r < 0 && errno != EINTR)
                        return pc_fail(err, errno, "poll");
                if (r <= 0)
                        continue;
                if (pc_grpc_accept(listen_fd, h, data, err) < 0)
                        return -1;
        }
        return 0;
}
