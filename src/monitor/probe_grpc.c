/* grpc.health.v1.Health/Check as the kubelet's gRPC probe makes it
 * (pkg/probe/grpc): one unary call on a fresh h2c connection, the outcome in
 * its words:
 *   SERVING                      success ("service healthy")
 *   another status               service unhealthy (responded with "NOT_SERVING")
 *   grpc-status Unimplemented    error: this server does not implement the grpc
 *                                health protocol (grpc.health.v1.Health): MSG
 *   grpc-status other            error: health rpc probe failed: rpc error:
 *                                code = NotFound desc = unknown service
 *   no connection                timeout: failed to connect service "ADDR" within Ns:
 *                                context deadline exceeded
 */
#include "monitor/probe_grpc.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "health.pb-c.h"
#include "monitor/probe_http.h"

#define USER_AGENT   "kube-probe/1.31"
#define MAX_RESPONSE (4u << 20) /* grpc-go's default receive limit */

struct call {
        int fd;
        int32_t stream;
        const uint8_t *req;
        size_t req_len, req_off;
        uint8_t *data;
        size_t dlen;
        bool too_big;
        int http_status;
        int grpc_status; /* -1 = none received */
        char grpc_message[512];
        bool closed;
        uint32_t reset_code;
        int io_errno; /* a socket error (0 = EOF) */
        bool io_failed;
};

static ssize_t on_send(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *ud)
{
        struct call *c = ud;
        (void)s;
        (void)flags;
        ssize_t w;
        do
                w = send(c->fd, data, len, MSG_NOSIGNAL);
        while (w < 0 && errno == EINTR);
        if (w < 0) {
                c->io_failed = true;
                c->io_errno = errno;
                return NGHTTP2_ERR_CALLBACK_FAILURE;
        }
        return w;
}

/* grpc-message is percent-encoded (gRPC over HTTP/2). */
static void percent_decode(const uint8_t *v, size_t len, char *out, size_t olen)
{
        size_t o = 0;
        for (size_t i = 0; i < len && o + 1 < olen; i++) {
                if (v[i] == '%' && i + 2 < len && isxdigit(v[i + 1]) && isxdigit(v[i + 2])) {
                        char hex[3] = {(char)v[i + 1], (char)v[i + 2], 0};
                        out[o++] = (char)strtol(hex, NULL, 16);
                        i += 2;
                } else {
                        out[o++] = (char)v[i];
                }
        }
        out[o] = 0;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
        struct call *c = ud;
        (void)s;
        (void)flags;
        if (frame->hd.type != NGHTTP2_HEADERS || frame->hd.stream_id != c->stream)
                return 0;
        char v[64];
        size_t n = valuelen < sizeof(v) - 1 ? valuelen : sizeof(v) - 1;
        memcpy(v, value, n);
        v[n] = 0;
        if (namelen == 7 && !memcmp(name, ":status", 7))
                c->http_status = atoi(v);
        else if (namelen == 11 && !memcmp(name, "grpc-status", 11))
                c->grpc_status = atoi(v);
        else if (namelen == 12 && !memcmp(name, "grpc-message", 12))
                percent_decode(value, valuelen, c->grpc_message, sizeof(c->grpc_message));
        return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t stream, const uint8_t *data,
                   size_t len, void *ud)
{
        struct call *c = ud;
        (void)s;
        (void)flags;
        if (stream != c->stream)
                return 0;
        if (c->dlen + len > MAX_RESPONSE) {
                c->too_big = true;
                return 0;
        }
        uint8_t *p = realloc(c->data, c->dlen + len + 1);
        if (!p)
                return NGHTTP2_ERR_CALLBACK_FAILURE;
        c->data = p;
        memcpy(c->data + c->dlen, data, len);
        c->dlen += len;
        return 0;
}

static int on_close(nghttp2_session *s, int32_t stream, uint32_t code, void *ud)
{
        struct call *c = ud;
        (void)s;
        if (stream == c->stream) {
                c->closed = true;
                c->reset_code = code;
        }
        return 0;
}

static ssize_t read_body(nghttp2_session *s, int32_t stream, uint8_t *buf, size_t len,
                         uint32_t *flags, nghttp2_data_source *src, void *ud)
{
        struct call *c = ud;
        (void)s;
        (void)stream;
        (void)src;
        size_t n = c->req_len - c->req_off;
        if (n > len)
                n = len;
        memcpy(buf, c->req + c->req_off, n);
        c->req_off += n;
        if (c->req_off == c->req_len)
                *flags |= NGHTTP2_DATA_FLAG_EOF;
        return (ssize_t)n;
}

/* grpc-go's names of the status codes. */
static const char *code_name(int code)
{
        static const char *const names[] = {"OK",
                                            "Canceled",
                                            "Unknown",
                                            "InvalidArgument",
                                            "DeadlineExceeded",
                                            "NotFound",
                                            "AlreadyExists",
                                            "PermissionDenied",
                                            "ResourceExhausted",
                                            "FailedPrecondition",
                                            "Aborted",
                                            "OutOfRange",
                                            "Unimplemented",
                                            "Internal",
                                            "Unavailable",
                                            "DataLoss",
                                            "Unauthenticated"};
        return code >= 0 && code < (int)(sizeof(names) / sizeof(names[0])) ? names[code]
                                                                           : "Unknown";
}

/* grpc-go's code for a non-200 HTTP status. */
static int code_of_http(int status)
{
        switch (status) {
        case 400:
                return 13;
        case 401:
                return 16;
        case 403:
                return 7;
        case 404:
                return 12;
        case 429:
        case 502:
        case 503:
        case 504:
                return 14;
        default:
                return 2;
        }
}

#define RPC_FAIL "error: health rpc probe failed: rpc error: "

static int fail_status(int wfd, int code, const char *msg, int timeout_s)
{
        if (code == 12) /* Unimplemented */
                pc_probe_say(wfd,
                             "error: this server does not implement the grpc health protocol "
                             "(grpc.health.v1.Health): %s",
                             msg);
        else if (code == 4) /* DeadlineExceeded */
                pc_probe_say(wfd, "timeout: health rpc did not complete within %ds", timeout_s);
        else
                pc_probe_say(wfd, RPC_FAIL "code = %s desc = %s", code_name(code), msg);
        return 1;
}

static int outcome(struct call *c, int wfd, int timeout_s)
{
        char msg[600];
        if (c->http_status && c->http_status != 200) {
                snprintf(msg, sizeof(msg), "unexpected HTTP status code received from server: %d",
                         c->http_status);
                return fail_status(wfd, code_of_http(c->http_status), msg, timeout_s);
        }
        if (c->grpc_status > 0)
                return fail_status(wfd, c->grpc_status, c->grpc_message, timeout_s);
        if (c->grpc_status < 0) {
                if (c->reset_code) {
                        snprintf(msg, sizeof(msg),
                                 "stream terminated by RST_STREAM with error code: %s",
                                 nghttp2_http2_strerror(c->reset_code));
                        return fail_status(wfd, c->reset_code == NGHTTP2_REFUSED_STREAM ? 14 : 13,
                                           msg, timeout_s);
                }
                return fail_status(wfd, 13, "server closed the stream without sending trailers",
                                   timeout_s);
        }
        if (c->too_big)
                return fail_status(wfd, 8, "grpc: received message larger than max", timeout_s);
        /* grpc-status 0: exactly one length-prefixed, uncompressed message */
        if (c->dlen < 5 || c->data[0] != 0) {
                return fail_status(wfd, 13,
                                   c->dlen >= 5 ? "grpc: compressed message without grpc-encoding"
                                                : "server returned no response message",
                                   timeout_s);
        }
        size_t ml = ((size_t)c->data[1] << 24) | ((size_t)c->data[2] << 16) |
                    ((size_t)c->data[3] << 8) | c->data[4];
        if (5 + ml > c->dlen)
                return fail_status(wfd, 13, "grpc: truncated response message", timeout_s);
        Grpc__Health__V1__HealthCheckResponse *r =
            grpc__health__v1__health_check_response__unpack(NULL, ml, c->data + 5);
        if (!r)
                return fail_status(wfd, 13, "grpc: failed to unmarshal the received message",
                                   timeout_s);
        int st = (int)r->status;
        grpc__health__v1__health_check_response__free_unpacked(r, NULL);
        if (st == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING)
                return 0;
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
            &grpc__health__v1__health_check_response__serving_status__descriptor, st);
        if (v)
                pc_probe_say(wfd, "service unhealthy (responded with \"%s\")", v->name);
        else
                pc_probe_say(wfd, "service unhealthy (responded with \"%d\")", st);
        return 1;
}

#define NV(n, v)                                                                                   \
        {                                                                                          \
                (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE     \
        }

int pc_grpc_check(const char *host, int port, const char *service, int timeout_s, int wfd)
{
        char addr[320], hp[320], msg[512];
        int fd = -1;
        pc_probe_join_host_port(host, port, hp, sizeof(hp));
        if (pc_probe_dial(host, port, timeout_s, &fd, addr, sizeof(addr), msg, sizeof(msg)) < 0) {
                /* the kubelet dials with WithBlock: a server that is not there
                 * is a connect timeout */
                pc_probe_say(wfd,
                             "timeout: failed to connect service \"%s\" within %ds: context "
                             "deadline exceeded (%s)",
                             hp, timeout_s, msg);
                return 1;
        }

        /* the request message: 5-byte gRPC prefix + HealthCheckRequest */
        Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
        req.service = (char *)(service ? service : "");
        size_t pl = grpc__health__v1__health_check_request__get_packed_size(&req);
        uint8_t *body = malloc(5 + pl);
        if (!body) {
                close(fd);
                pc_probe_say(wfd, RPC_FAIL "out of memory");
                return 1;
        }
        body[0] = 0;
        body[1] = (uint8_t)(pl >> 24);
        body[2] = (uint8_t)(pl >> 16);
        body[3] = (uint8_t)(pl >> 8);
        body[4] = (uint8_t)pl;
        grpc__health__v1__health_check_request__pack(&req, body + 5);

        struct call c = {.fd = fd, .req = body, .req_len = 5 + pl, .grpc_status = -1};
        nghttp2_session_callbacks *cbs = NULL;
        nghttp2_session *s = NULL;
        int rc = 1;
        if (nghttp2_session_callbacks_new(&cbs) != 0)
                goto protocol;
        nghttp2_session_callbacks_set_send_callback(cbs, on_send);
        nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
        nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_close);
        if (nghttp2_session_client_new(&s, cbs, &c) != 0)
                goto protocol;
        char timeout[32];
        snprintf(timeout, sizeof(timeout), "%dS", timeout_s > 0 ? timeout_s : 1);
        const nghttp2_nv hdrs[] = {
            NV(":method", "POST"),
            NV(":scheme", "http"),
            NV(":path", "/grpc.health.v1.Health/Check"),
            NV(":authority", hp),
            NV("content-type", "application/grpc"),
            NV("user-agent", USER_AGENT),
            NV("te", "trailers"),
            NV("grpc-timeout", timeout),
        };
        nghttp2_data_provider prd = {.read_callback = read_body};
        if (nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0) != 0)
                goto protocol;
        c.stream = nghttp2_submit_request(s, NULL, hdrs, sizeof(hdrs) / sizeof(hdrs[0]), &prd, &c);
        if (c.stream < 0)
                goto protocol;
        while (!c.closed) {
                if (nghttp2_session_send(s) != 0)
                        goto io;
                if (!nghttp2_session_want_read(s))
                        break;
                uint8_t buf[16384];
                ssize_t r;
                do
                        r = recv(fd, buf, sizeof(buf), 0);
                while (r < 0 && errno == EINTR);
                if (r <= 0) {
                        c.io_failed = true;
                        c.io_errno = r < 0 ? errno : 0;
                        goto io;
                }
                if (nghttp2_session_mem_recv(s, buf, (size_t)r) < 0)
                        goto protocol;
        }
        rc = outcome(&c, wfd, timeout_s);
        goto out;
io:
        if (c.io_failed && (c.io_errno == EAGAIN || c.io_errno == ETIMEDOUT)) {
                rc = fail_status(wfd, 4, "", timeout_s);
        } else if (c.io_failed && c.io_errno) {
                char es[128];
                pc_probe_go_strerror(c.io_errno, es, sizeof(es));
                snprintf(msg, sizeof(msg), "connection error: read tcp %s: %s", addr, es);
                rc = fail_status(wfd, 14, msg, timeout_s);
        } else {
                rc = fail_status(wfd, 14, "error reading from server: EOF", timeout_s);
        }
        goto out;
protocol:
        rc = fail_status(wfd, 13, "HTTP/2 protocol error", timeout_s);
out:
        if (s)
                nghttp2_session_del(s);
        if (cbs)
                nghttp2_session_callbacks_del(cbs);
        free(c.data);
        free(body);
        close(fd);
        return rc;
}
