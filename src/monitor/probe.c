/* Probe and lifecycle-hook runner (see probe.h). exec goes through
 * pc_exec_start; httpGet, tcpSocket and grpc are done by a forked child of
 * ours inside the Pod's network namespace, so nothing is needed in the image;
 * sleep is a child that sleeps. */
#include "monitor/probe.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "runtime/runtime.h"
#include "util/util.h"

#define USER_AGENT "kube-probe/1.31"

const char *pc_handler_kind_name(int kind)
{
        switch (kind) {
        case PC_HANDLER_EXEC:
                return "exec";
        case PC_HANDLER_HTTP:
                return "httpGet";
        case PC_HANDLER_TCP:
                return "tcpSocket";
        case PC_HANDLER_GRPC:
                return "grpc";
        case PC_HANDLER_SLEEP:
                return "sleep";
        default:
                return "none";
        }
}

void pc_handler_reason(const char *buf, size_t len, char *out, size_t outlen)
{
        size_t n = 0;
        if (!outlen)
                return;
        while (len > 0 && isspace((unsigned char)buf[len - 1]))
                len--;
        for (size_t i = 0; i < len && n + 1 < outlen; i++) {
                unsigned char ch = (unsigned char)buf[i];
                out[n++] =
                    (ch == '\n' || ch == '\t' || (ch >= 0x20 && ch != 0x7f)) ? (char)ch : '?';
        }
        out[n] = 0;
}

/* ---- the network child -------------------------------------------------- */

struct conn {
        int fd;
        int wfd;        /* the reason pipe */
        char addr[128]; /* "127.0.0.1:8080", "[::1]:8080" (Go's JoinHostPort) */
};

__attribute__((format(printf, 2, 3))) static void say(int wfd, const char *fmt, ...)
{
        char buf[1024];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if ((size_t)n > sizeof(buf) - 2)
                n = (int)sizeof(buf) - 2;
        buf[n++] = '\n';
        for (int off = 0; off < n;) {
                ssize_t w = write(wfd, buf + off, (size_t)(n - off));
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return;
                off += (int)w;
        }
}

/* Go's wording of an errno: glibc's text with a lower-case first letter
 * ("connection refused", "no route to host"); timeouts as "i/o timeout". */
static void go_strerror(int e, char *buf, size_t len)
{
        if (e == EAGAIN || e == ETIMEDOUT || e == EINPROGRESS) {
                snprintf(buf, len, "i/o timeout");
                return;
        }
        snprintf(buf, len, "%s", strerror(e));
        buf[0] = (char)tolower((unsigned char)buf[0]);
}

static void join_host_port(const char *host, int port, char *out, size_t len)
{
        if (strchr(host, ':'))
                snprintf(out, len, "[%s]:%d", host, port);
        else
                snprintf(out, len, "%s:%d", host, port);
}

/* Connect to host:port with timeouts. On failure returns -1 with Go's
 * "dial tcp ADDR: connect: connection refused" text in msg. */
static int dial(const char *host, int port, int timeout_s, struct conn *c, char *msg, size_t mlen)
{
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
        struct addrinfo *res = NULL;
        char ports[16], es[128];

        join_host_port(host, port, c->addr, sizeof(c->addr));
        snprintf(ports, sizeof(ports), "%d", port);
        int r = getaddrinfo(host, ports, &hints, &res);
        if (r != 0) {
                snprintf(msg, mlen, "dial tcp: lookup %s: %s", host,
                         r == EAI_NONAME ? "no such host" : gai_strerror(r));
                return -1;
        }
        int e = ECONNREFUSED;
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
                int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
                if (fd < 0) {
                        e = errno;
                        continue;
                }
                if (timeout_s > 0) {
                        struct timeval tv = {.tv_sec = timeout_s};
                        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
                        (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                }
                /* the address actually dialled, as Go prints it */
                char ip[INET6_ADDRSTRLEN] = "";
                if (ai->ai_family == AF_INET)
                        inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, ip,
                                  sizeof(ip));
                else if (ai->ai_family == AF_INET6)
                        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, ip,
                                  sizeof(ip));
                if (*ip)
                        join_host_port(ip, port, c->addr, sizeof(c->addr));
                int cr;
                do
                        cr = connect(fd, ai->ai_addr, ai->ai_addrlen);
                while (cr < 0 && errno == EINTR);
                if (cr == 0) {
                        freeaddrinfo(res);
                        c->fd = fd;
                        return 0;
                }
                e = errno;
                close(fd);
        }
        freeaddrinfo(res);
        go_strerror(e, es, sizeof(es));
        snprintf(msg, mlen, "dial tcp %s: connect: %s", c->addr, es);
        return -1;
}

static int write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;
        while (len > 0) {
                ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -1;
                p += w;
                len -= (size_t)w;
        }
        return 0;
}

/* Read exactly len bytes; -1 on error (errno) or EOF (errno 0). */
static int read_full(int fd, void *buf, size_t len)
{
        char *p = buf;
        while (len > 0) {
                ssize_t r = recv(fd, p, len, 0);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0) {
                        if (r == 0)
                                errno = 0;
                        return -1;
                }
                p += r;
                len -= (size_t)r;
        }
        return 0;
}

static const char *target_host(const struct pc_handler *h, const struct pc_probe_target *t)
{
        if (h->host && *h->host)
                return h->host;
        if (t->pod_ip && *t->pod_ip)
                return t->pod_ip;
        return "127.0.0.1";
}

static int do_tcp(const struct pc_handler *h, const struct pc_probe_target *t, int wfd)
{
        struct conn c = {.fd = -1, .wfd = wfd};
        char msg[512];
        if (dial(target_host(h, t), h->port, t->timeout_seconds, &c, msg, sizeof(msg)) < 0) {
                say(wfd, "%s", msg);
                return 1;
        }
        close(c.fd);
        return 0;
}

/* ---- httpGet ------------------------------------------------------------ */

static bool has_header(const struct pc_handler *h, const char *name)
{
        for (size_t i = 0; i < h->n_headers; i++)
                if (!strcasecmp(h->headers[i].name, name))
                        return true;
        return false;
}

static int do_http(const struct pc_handler *h, const struct pc_probe_target *t, int wfd)
{
        const char *host = target_host(h, t);
        const char *path = h->path && *h->path ? h->path : "/";
        const char *slash = path[0] == '/' ? "" : "/";
        char hp[160], url[2048], msg[512];
        struct conn c = {.fd = -1, .wfd = wfd};

        join_host_port(host, h->port, hp, sizeof(hp));
        snprintf(url, sizeof(url), "http://%s%s%s", hp, slash, path);
        if (h->scheme && !strcmp(h->scheme, "HTTPS")) {
                snprintf(url, sizeof(url), "https://%s%s%s", hp, slash, path);
                say(wfd, "Get \"%s\": HTTPS probes are not supported by podctl", url);
                return 1;
        }
        if (dial(host, h->port, t->timeout_seconds, &c, msg, sizeof(msg)) < 0) {
                say(wfd, "Get \"%s\": %s", url, msg);
                return 1;
        }

        /* The request as Go's client sends it for the kubelet: Host (unless
         * the user gives one), User-Agent and Accept defaults the user may
         * override, the user's headers, Connection: close. */
        size_t cap = 1024 + strlen(path), n = 0;
        for (size_t i = 0; i < h->n_headers; i++)
                cap += strlen(h->headers[i].name) + strlen(h->headers[i].value) + 4;
        _cleanup_free_ char *req = pc_xmalloc(cap);
        n += (size_t)snprintf(req + n, cap - n, "GET %s%s HTTP/1.1\r\n", slash, path);
        if (!has_header(h, "Host"))
                n += (size_t)snprintf(req + n, cap - n, "Host: %s\r\n", hp);
        if (!has_header(h, "User-Agent"))
                n += (size_t)snprintf(req + n, cap - n, "User-Agent: " USER_AGENT "\r\n");
        if (!has_header(h, "Accept"))
                n += (size_t)snprintf(req + n, cap - n, "Accept: */*\r\n");
        for (size_t i = 0; i < h->n_headers; i++)
                n += (size_t)snprintf(req + n, cap - n, "%s: %s\r\n", h->headers[i].name,
                                      h->headers[i].value);
        n += (size_t)snprintf(req + n, cap - n, "Connection: close\r\n\r\n");
        if (write_all(c.fd, req, n) < 0) {
                char es[128];
                go_strerror(errno, es, sizeof(es));
                say(wfd, "Get \"%s\": write tcp %s: %s", url, c.addr, es);
                close(c.fd);
                return 1;
        }

        /* The status line is all we need (the kubelet reads at most 10 KiB of
         * body and never shows it in a failure). */
        char buf[4096];
        size_t len = 0;
        char *eol = NULL;
        while (len < sizeof(buf) - 1) {
                ssize_t r = recv(c.fd, buf + len, sizeof(buf) - 1 - len, 0);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        char es[128];
                        go_strerror(errno, es, sizeof(es));
                        say(wfd, "Get \"%s\": read tcp %s: %s", url, c.addr, es);
                        close(c.fd);
                        return 1;
                }
                if (r == 0)
                        break;
                len += (size_t)r;
                buf[len] = 0;
                if ((eol = strstr(buf, "\r\n")) || (eol = strchr(buf, '\n')))
                        break;
        }
        close(c.fd);
        buf[len] = 0;
        int code = 0;
        if (len == 0) {
                say(wfd, "Get \"%s\": EOF", url);
                return 1;
        }
        if (sscanf(buf, "HTTP/%*d.%*d %3d", &code) != 1 || code < 100 || code > 999) {
                say(wfd,
                    "Get \"%s\": net/http: HTTP/1.x transport connection broken: malformed "
                    "HTTP response",
                    url);
                return 1;
        }
        if (code >= 200 && code < 400) {
                /* The kubelet follows redirects to the same host; podctl stops
                 * at the first one, which the kubelet also counts as success. */
                if (code >= 300)
                        say(wfd, "Probe terminated redirects");
                return 0;
        }
        say(wfd, "HTTP probe failed with statuscode: %d", code);
        return 1;
}

/* ---- grpc: grpc.health.v1.Health/Check over h2c ------------------------- */

enum {
        H2_DATA = 0,
        H2_HEADERS = 1,
        H2_RST_STREAM = 3,
        H2_SETTINGS = 4,
        H2_PING = 6,
        H2_GOAWAY = 7
};
enum { H2_END_STREAM = 0x1, H2_ACK = 0x1, H2_END_HEADERS = 0x4, H2_PADDED = 0x8 };

static void h2_frame_header(unsigned char *p, size_t len, int type, int flags, uint32_t stream)
{
        p[0] = (unsigned char)(len >> 16);
        p[1] = (unsigned char)(len >> 8);
        p[2] = (unsigned char)len;
        p[3] = (unsigned char)type;
        p[4] = (unsigned char)flags;
        p[5] = (unsigned char)(stream >> 24);
        p[6] = (unsigned char)(stream >> 16);
        p[7] = (unsigned char)(stream >> 8);
        p[8] = (unsigned char)stream;
}

/* HPACK integer with an n-bit prefix (first byte's high bits in `first`). */
static size_t hpack_int(unsigned char *p, unsigned char first, int nbits, size_t v)
{
        size_t max = ((size_t)1 << nbits) - 1, n = 0;
        if (v < max) {
                p[n++] = (unsigned char)(first | v);
                return n;
        }
        p[n++] = (unsigned char)(first | max);
        v -= max;
        while (v >= 128) {
                p[n++] = (unsigned char)((v & 0x7f) | 0x80);
                v >>= 7;
        }
        p[n++] = (unsigned char)v;
        return n;
}

/* Literal header field without indexing, new name, no Huffman coding. */
static size_t hpack_literal(unsigned char *p, const char *name, const char *value)
{
        size_t n = 0, nl = strlen(name), vl = strlen(value);
        p[n++] = 0x00;
        n += hpack_int(p + n, 0, 7, nl);
        memcpy(p + n, name, nl);
        n += nl;
        n += hpack_int(p + n, 0, 7, vl);
        memcpy(p + n, value, vl);
        return n + vl;
}

static const char *health_status_name(uint64_t s)
{
        switch (s) {
        case 0:
                return "UNKNOWN";
        case 1:
                return "SERVING";
        case 2:
                return "NOT_SERVING";
        case 3:
                return "SERVICE_UNKNOWN";
        default:
                return "UNKNOWN";
        }
}

/* HealthCheckResponse { ServingStatus status = 1; } */
static uint64_t decode_health_response(const unsigned char *p, size_t len)
{
        uint64_t status = 0;
        size_t i = 0;
        while (i < len) {
                uint64_t key = 0, v = 0;
                int shift = 0;
                while (i < len && shift < 64) {
                        key |= (uint64_t)(p[i] & 0x7f) << shift;
                        shift += 7;
                        if (!(p[i++] & 0x80))
                                break;
                }
                int wt = (int)(key & 7);
                if (wt == 0) {
                        shift = 0;
                        while (i < len && shift < 64) {
                                v |= (uint64_t)(p[i] & 0x7f) << shift;
                                shift += 7;
                                if (!(p[i++] & 0x80))
                                        break;
                        }
                        if ((key >> 3) == 1)
                                status = v;
                } else if (wt == 2) {
                        shift = 0;
                        while (i < len && shift < 64) {
                                v |= (uint64_t)(p[i] & 0x7f) << shift;
                                shift += 7;
                                if (!(p[i++] & 0x80))
                                        break;
                        }
                        i += v > len - i ? len - i : (size_t)v;
                } else if (wt == 5) {
                        i += 4;
                } else if (wt == 1) {
                        i += 8;
                } else {
                        break;
                }
        }
        return status;
}

#define RPC_FAIL "error: health rpc probe failed: rpc error: "

static int do_grpc(const struct pc_handler *h, const struct pc_probe_target *t, int wfd)
{
        const char *host = target_host(h, t);
        const char *service = h->service ? h->service : "";
        char msg[512], hp[160];
        struct conn c = {.fd = -1, .wfd = wfd};
        _cleanup_free_ unsigned char *payload = NULL;
        _cleanup_free_ unsigned char *data = NULL;

        join_host_port(host, h->port, hp, sizeof(hp));
        if (dial(host, h->port, t->timeout_seconds, &c, msg, sizeof(msg)) < 0) {
                say(wfd, "error: failed to connect service at \"%s\": %s", hp, msg);
                return 1;
        }

        size_t sl = strlen(service);
        size_t cap = 512 + 2 * strlen(hp) + sl;
        _cleanup_free_ unsigned char *out = pc_xmalloc(cap);
        size_t n = 0;
        static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
        memcpy(out, preface, sizeof(preface) - 1);
        n += sizeof(preface) - 1;
        h2_frame_header(out + n, 0, H2_SETTINGS, 0, 0);
        n += 9;
        size_t hdr_at = n;
        n += 9;
        size_t hs = n;
        n += hpack_literal(out + n, ":method", "POST");
        n += hpack_literal(out + n, ":scheme", "http");
        n += hpack_literal(out + n, ":path", "/grpc.health.v1.Health/Check");
        n += hpack_literal(out + n, ":authority", hp);
        n += hpack_literal(out + n, "content-type", "application/grpc");
        n += hpack_literal(out + n, "user-agent", USER_AGENT);
        n += hpack_literal(out + n, "te", "trailers");
        h2_frame_header(out + hdr_at, n - hs, H2_HEADERS, H2_END_HEADERS, 1);
        /* DATA: gRPC message prefix + HealthCheckRequest { string service = 1; } */
        unsigned char pb[16] = {0};
        size_t pbn = 0;
        if (sl) {
                size_t v = sl;
                pb[pbn++] = 0x0a;
                while (v >= 128) {
                        pb[pbn++] = (unsigned char)((v & 0x7f) | 0x80);
                        v >>= 7;
                }
                pb[pbn++] = (unsigned char)v;
        }
        size_t msg_len = pbn + sl;
        h2_frame_header(out + n, 5 + msg_len, H2_DATA, H2_END_STREAM, 1);
        n += 9;
        out[n++] = 0; /* not compressed */
        out[n++] = (unsigned char)(msg_len >> 24);
        out[n++] = (unsigned char)(msg_len >> 16);
        out[n++] = (unsigned char)(msg_len >> 8);
        out[n++] = (unsigned char)msg_len;
        memcpy(out + n, pb, pbn);
        n += pbn;
        memcpy(out + n, service, sl);
        n += sl;
        if (write_all(c.fd, out, n) < 0)
                goto io_error;

        /* Frames until the response message, a reset or the end. */
        unsigned char fh[9];
        size_t dlen = 0;
        for (;;) {
                if (read_full(c.fd, fh, 9) < 0)
                        goto io_error;
                size_t len = ((size_t)fh[0] << 16) | ((size_t)fh[1] << 8) | fh[2];
                int type = fh[3], flags = fh[4];
                uint32_t stream = ((uint32_t)(fh[5] & 0x7f) << 24) | ((uint32_t)fh[6] << 16) |
                                  ((uint32_t)fh[7] << 8) | fh[8];
                if (len > (1u << 24)) {
                        say(wfd, RPC_FAIL "frame too large");
                        close(c.fd);
                        return 1;
                }
                free(payload);
                payload = pc_xmalloc(len ? len : 1);
                if (len && read_full(c.fd, payload, len) < 0)
                        goto io_error;
                if (type == H2_SETTINGS && !(flags & H2_ACK)) {
                        unsigned char ack[9];
                        h2_frame_header(ack, 0, H2_SETTINGS, H2_ACK, 0);
                        if (write_all(c.fd, ack, 9) < 0)
                                goto io_error;
                } else if (type == H2_PING && !(flags & H2_ACK) && len == 8) {
                        unsigned char pong[17];
                        h2_frame_header(pong, 8, H2_PING, H2_ACK, 0);
                        memcpy(pong + 9, payload, 8);
                        if (write_all(c.fd, pong, 17) < 0)
                                goto io_error;
                } else if (type == H2_GOAWAY) {
                        uint32_t code = len >= 8 ? ((uint32_t)payload[4] << 24) |
                                                       ((uint32_t)payload[5] << 16) |
                                                       ((uint32_t)payload[6] << 8) | payload[7]
                                                 : 0;
                        say(wfd,
                            RPC_FAIL "code = Unavailable desc = the server sent GOAWAY "
                                     "(error code %u)",
                            code);
                        close(c.fd);
                        return 1;
                } else if (type == H2_RST_STREAM && stream == 1) {
                        uint32_t code = len >= 4 ? ((uint32_t)payload[0] << 24) |
                                                       ((uint32_t)payload[1] << 16) |
                                                       ((uint32_t)payload[2] << 8) | payload[3]
                                                 : 0;
                        say(wfd,
                            RPC_FAIL "code = Internal desc = stream terminated by "
                                     "RST_STREAM with error code: %u",
                            code);
                        close(c.fd);
                        return 1;
                } else if (type == H2_DATA && stream == 1) {
                        size_t off = 0, end = len;
                        if (flags & H2_PADDED) {
                                size_t pad = len ? payload[0] : 0;
                                off = 1;
                                end = pad + 1 <= len ? len - pad : off;
                        }
                        data = pc_xrealloc(data, dlen + (end - off) + 1);
                        memcpy(data + dlen, payload + off, end - off);
                        dlen += end - off;
                        if (dlen >= 5) {
                                size_t ml = ((size_t)data[1] << 24) | ((size_t)data[2] << 16) |
                                            ((size_t)data[3] << 8) | data[4];
                                if (data[0] != 0) {
                                        say(wfd, RPC_FAIL "code = Internal desc = compressed "
                                                          "response not supported");
                                        close(c.fd);
                                        return 1;
                                }
                                if (dlen >= 5 + ml) {
                                        uint64_t st = decode_health_response(data + 5, ml);
                                        close(c.fd);
                                        if (st == 1)
                                                return 0;
                                        say(wfd, "service unhealthy (responded with \"%s\")",
                                            health_status_name(st));
                                        return 1;
                                }
                        }
                        if (flags & H2_END_STREAM)
                                break;
                } else if (type == H2_HEADERS && stream == 1 && (flags & H2_END_STREAM)) {
                        /* Trailers without a message: the call failed (grpc-status
                         * is in the HPACK block, which podctl does not decode). */
                        say(wfd, RPC_FAIL "the server ended the call without a response "
                                          "(grpc-status != OK; is grpc.health.v1.Health "
                                          "implemented?)");
                        close(c.fd);
                        return 1;
                }
        }
        say(wfd, RPC_FAIL "code = Internal desc = server closed the stream without sending "
                          "a response");
        close(c.fd);
        return 1;
io_error : {
        int e = errno;
        char es[128];
        if (e)
                go_strerror(e, es, sizeof(es));
        else
                snprintf(es, sizeof(es), "EOF");
        say(wfd, RPC_FAIL "code = Unavailable desc = connection to %s: %s", c.addr, es);
        close(c.fd);
        return 1;
}
}

/* ---- children ----------------------------------------------------------- */

static void child_reset_signals(void)
{
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_DFL;
        sigemptyset(&sa.sa_mask);
        for (int sig = 1; sig < NSIG; sig++)
                (void)sigaction(sig, &sa, NULL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

__attribute__((noreturn)) static void net_child(const struct pc_handler *h,
                                                const struct pc_probe_target *t, int wfd)
{
        child_reset_signals();
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (t->netns_fd >= 0 && setns(t->netns_fd, CLONE_NEWNET) < 0) {
                say(wfd, "join the Pod's network namespace: %s", strerror(errno));
                _exit(2);
        }
        /* stdio on /dev/null, nothing else of the caller's but the pipe */
        if (wfd < 3) {
                int hi = fcntl(wfd, F_DUPFD, 3);
                if (hi < 0)
                        _exit(2);
                wfd = hi;
        }
        int dn = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (dn >= 0) {
                for (int i = 0; i < 3; i++)
                        if (dn != i)
                                dup2(dn, i);
                if (dn > 2 && dn != wfd)
                        close(dn);
        }
        pc_close_fds_from(3, wfd);
        if (t->timeout_seconds > 0)
                alarm((unsigned)t->timeout_seconds + 1); /* a safety net; the caller kills */
        int rc;
        switch (h->kind) {
        case PC_HANDLER_TCP:
                rc = do_tcp(h, t, wfd);
                break;
        case PC_HANDLER_HTTP:
                rc = do_http(h, t, wfd);
                break;
        case PC_HANDLER_GRPC:
                rc = do_grpc(h, t, wfd);
                break;
        case PC_HANDLER_SLEEP: {
                struct timespec ts = {.tv_sec = h->sleep_seconds > 0 ? h->sleep_seconds : 0};
                while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                        ;
                rc = 0;
                break;
        }
        default:
                say(wfd, "unsupported handler");
                rc = 2;
        }
        _exit(rc);
}

static int enter_cgroup(pid_t pid, void *data, pc_error *err)
{
        return pc_cgroup_enter(data, pid, err);
}

int pc_handler_start(const struct pc_handler *h, const struct pc_probe_target *t, pid_t *pid,
                     int *out_fd, pc_error *err)
{
        int p[2];
        *pid = -1;
        *out_fd = -1;
        if (!h || h->kind == PC_HANDLER_NONE)
                return pc_fail(err, EINVAL, "no handler");
        if ((h->kind == PC_HANDLER_HTTP || h->kind == PC_HANDLER_TCP ||
             h->kind == PC_HANDLER_GRPC) &&
            (h->port < 1 || h->port > 65535))
                return pc_fail(err, EINVAL, "%s: invalid port %d", pc_handler_kind_name(h->kind),
                               (int)h->port);
        if (pipe2(p, O_CLOEXEC) < 0)
                return pc_fail(err, errno, "%s: pipe", pc_handler_kind_name(h->kind));
        _cleanup_close_ int rfd = p[0];
        _cleanup_close_ int wfd = p[1];
        if (fcntl(rfd, F_SETFL, O_NONBLOCK) < 0)
                return pc_fail(err, errno, "%s: pipe", pc_handler_kind_name(h->kind));

        if (h->kind == PC_HANDLER_EXEC) {
                _cleanup_close_ int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (devnull < 0)
                        return pc_fail(err, errno, "exec: open /dev/null");
                struct pc_exec_plan plan = {
                    .target = t->container_pid,
                    .argv = h->command,
                    .envp = t->envp,
                    .cwd = t->cwd,
                    .uid = t->uid,
                    .gid = t->gid,
                    .groups = t->groups,
                    .n_groups = t->n_groups,
                    .sec = t->sec,
                    .stdin_fd = devnull,
                    .stdout_fd = wfd,
                    .stderr_fd = wfd,
                    .on_child = t->cgroup ? enter_cgroup : NULL,
                    .on_child_data = t->cgroup,
                };
                if (pc_exec_start(&plan, pid, err) < 0)
                        return pc_error_prefix(err, "exec probe");
                *out_fd = STEAL_FD(rfd);
                return 0;
        }

        pid_t child = fork();
        if (child < 0)
                return pc_fail(err, errno, "%s: fork", pc_handler_kind_name(h->kind));
        if (child == 0) {
                close(rfd);
                net_child(h, t, wfd);
        }
        *pid = child;
        *out_fd = STEAL_FD(rfd);
        return 0;
}
