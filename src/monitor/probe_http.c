/* httpGet as the kubelet's prober and lifecycle handler make it (see
 * probe_http.h). The request is what Go's net/http client writes for the
 * kubelet's request (Host, User-Agent, the user's headers in canonical form,
 * Accept, Connection: close); redirects follow Go's client with the kubelet's
 * RedirectChecker. */
#include "monitor/probe_http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "util/util.h"

/* Messages and URLs are cut at their buffers' sizes on purpose (a reason
 * line is at most 1 KB, a URL at most PC_HTTP_URL_MAX). */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#define MAX_REDIRECTS 10
#define MAX_BODY      (10 * 1024) /* the kubelet reads at most 10 KiB of a body */

void pc_probe_say(int wfd, const char *fmt, ...)
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
void pc_probe_go_strerror(int e, char *buf, size_t len)
{
        if (e == EAGAIN || e == ETIMEDOUT || e == EINPROGRESS) {
                snprintf(buf, len, "i/o timeout");
                return;
        }
        snprintf(buf, len, "%s", strerror(e));
        buf[0] = (char)tolower((unsigned char)buf[0]);
}

void pc_probe_join_host_port(const char *host, int port, char *out, size_t len)
{
        if (strchr(host, ':'))
                snprintf(out, len, "[%s]:%d", host, port);
        else
                snprintf(out, len, "%s:%d", host, port);
}

/* Connect to host:port with socket timeouts. On failure -1 with Go's
 * "dial tcp ADDR: connect: connection refused" in msg. */
int pc_probe_dial(const char *host, int port, int timeout_s, int *out_fd, char *addr, size_t alen,
                  char *msg, size_t mlen)
{
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
        struct addrinfo *res = NULL;
        char ports[16], es[128];

        pc_probe_join_host_port(host, port, addr, alen);
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
                        pc_probe_join_host_port(ip, port, addr, alen);
                int cr;
                do
                        cr = connect(fd, ai->ai_addr, ai->ai_addrlen);
                while (cr < 0 && errno == EINTR);
                if (cr == 0) {
                        freeaddrinfo(res);
                        *out_fd = fd;
                        return 0;
                }
                e = errno;
                close(fd);
        }
        freeaddrinfo(res);
        pc_probe_go_strerror(e, es, sizeof(es));
        snprintf(msg, mlen, "dial tcp %s: connect: %s", addr, es);
        return -1;
}

/* ---- URLs ----------------------------------------------------------------- */

struct url {
        bool https;
        char host[256]; /* without brackets */
        int port;
        char hostport[300];         /* as in the URL: "[::1]:8443", "example.com" */
        char path[PC_HTTP_URL_MAX]; /* path and query, starts with "/" */
};

static int parse_url(const char *s, struct url *u)
{
        memset(u, 0, sizeof(*u));
        const char *p;
        if (!strncasecmp(s, "http://", 7)) {
                p = s + 7;
        } else if (!strncasecmp(s, "https://", 8)) {
                u->https = true;
                p = s + 8;
        } else {
                return -1;
        }
        size_t hl = strcspn(p, "/?#");
        if (hl == 0 || hl >= sizeof(u->hostport))
                return -1;
        memcpy(u->hostport, p, hl);
        u->hostport[hl] = 0;
        const char *rest = p + hl;
        const char *port = NULL;
        if (u->hostport[0] == '[') {
                char *close = strchr(u->hostport, ']');
                if (!close)
                        return -1;
                size_t n = (size_t)(close - u->hostport - 1);
                memcpy(u->host, u->hostport + 1, n);
                u->host[n] = 0;
                if (close[1] == ':')
                        port = close + 2;
                else if (close[1])
                        return -1;
        } else {
                char *colon = strrchr(u->hostport, ':');
                size_t n = colon ? (size_t)(colon - u->hostport) : strlen(u->hostport);
                memcpy(u->host, u->hostport, n);
                u->host[n] = 0;
                if (colon)
                        port = colon + 1;
        }
        u->port = u->https ? 443 : 80;
        if (port && *port) {
                char *end;
                long v = strtol(port, &end, 10);
                if (*end || v < 1 || v > 65535)
                        return -1;
                u->port = (int)v;
        }
        size_t fl = strcspn(rest, "#"); /* a fragment is never sent */
        if (fl + 2 > sizeof(u->path))
                return -1;
        if (rest[0] != '/') {
                u->path[0] = '/';
                memcpy(u->path + 1, rest, fl);
                u->path[fl + 1] = 0;
        } else {
                memcpy(u->path, rest, fl);
                u->path[fl] = 0;
        }
        return 0;
}

static void url_string(const struct url *u, char *out, size_t len)
{
        snprintf(out, len, "%s://%s%s", u->https ? "https" : "http", u->hostport, u->path);
}

void pc_http_format_url(char *out, size_t len, const char *scheme, const char *host, int port,
                        const char *path)
{
        char hp[300];
        pc_probe_join_host_port(host, port, hp, sizeof(hp));
        const char *p = path && *path ? path : "";
        snprintf(out, len, "%s://%s%s%s", scheme && !strcasecmp(scheme, "HTTPS") ? "https" : "http",
                 hp, p[0] == '/' ? "" : "/", p);
}

/* Location resolved against the URL of the request that got it (RFC 3986's
 * cases that occur: absolute, scheme-relative, absolute path, relative path,
 * query only). Returns whether the reference was absolute (it had a scheme),
 * -1 when it cannot be used. */
static int resolve_location(const struct url *base, const char *loc, char *out, size_t len)
{
        if (!strncasecmp(loc, "http://", 7) || !strncasecmp(loc, "https://", 8)) {
                snprintf(out, len, "%s", loc);
                return 1;
        }
        if (strchr(loc, ':') && strcspn(loc, ":") < strcspn(loc, "/?#"))
                return -1; /* another scheme */
        const char *scheme = base->https ? "https" : "http";
        if (loc[0] == '/' && loc[1] == '/') {
                snprintf(out, len, "%s:%s", scheme, loc);
        } else if (loc[0] == '/') {
                snprintf(out, len, "%s://%s%s", scheme, base->hostport, loc);
        } else if (loc[0] == '?') {
                size_t pl = strcspn(base->path, "?");
                snprintf(out, len, "%s://%s%.*s%s", scheme, base->hostport, (int)pl, base->path,
                         loc);
        } else {
                size_t pl = strcspn(base->path, "?");
                const char *slash = memrchr(base->path, '/', pl);
                int dl = slash ? (int)(slash - base->path + 1) : 1;
                snprintf(out, len, "%s://%s%.*s%s", scheme, base->hostport, dl,
                         slash ? base->path : "/", loc);
        }
        return 0;
}

/* ---- one exchange --------------------------------------------------------- */

struct stream {
        int fd;
        void *tls;
        const struct pc_http_tls *ops;
};

static ssize_t s_read(struct stream *s, void *buf, size_t len)
{
        if (s->tls)
                return s->ops->read(s->tls, buf, len);
        ssize_t r;
        do
                r = recv(s->fd, buf, len, 0);
        while (r < 0 && errno == EINTR);
        return r;
}

static int s_write_all(struct stream *s, const char *p, size_t len)
{
        while (len > 0) {
                ssize_t w;
                if (s->tls)
                        w = s->ops->write(s->tls, p, len);
                else
                        w = send(s->fd, p, len, MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -1;
                p += w;
                len -= (size_t)w;
        }
        return 0;
}

static void s_close(struct stream *s)
{
        if (s->tls)
                s->ops->end(s->tls);
        s->tls = NULL;
        if (s->fd >= 0)
                close(s->fd);
        s->fd = -1;
}

/* Go's http.CanonicalHeaderKey for the validator's [-A-Za-z0-9]+ names. */
static void canonical(const char *name, char *out, size_t len)
{
        bool up = true;
        size_t i = 0;
        for (; name[i] && i + 1 < len; i++) {
                unsigned char ch = (unsigned char)name[i];
                out[i] = (char)(up ? toupper(ch) : tolower(ch));
                up = ch == '-';
        }
        out[i] = 0;
}

struct hdr {
        char name[128];
        const char *value;
        size_t order;
};

/* Go writes a Header sorted by key, the values of one key in their order. */
static int hdr_cmp(const void *a, const void *b)
{
        const struct hdr *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* Go's textproto.TrimString after replacing CR/LF with spaces. */
static void header_value(const char *v, char *out, size_t len)
{
        while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
                v++;
        size_t n = 0;
        for (; v[n] && n + 1 < len; n++)
                out[n] = (v[n] == '\r' || v[n] == '\n') ? ' ' : v[n];
        while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
                n--;
        out[n] = 0;
}

/* The request of g for URL u, as Go writes the kubelet's request. */
static char *build_request(const struct pc_http_get *g, const struct url *u, size_t *out_len)
{
        size_t n = g->n_headers;
        struct hdr *h = pc_xcalloc(n ? n : 1, sizeof(*h));
        bool ua_set = false, accept_set = false;
        const char *ua = NULL, *accept = NULL;
        for (size_t i = 0; i < n; i++) {
                canonical(g->headers[i].name, h[i].name, sizeof(h[i].name));
                h[i].value = g->headers[i].value ? g->headers[i].value : "";
                h[i].order = i;
                if (!strcmp(h[i].name, "User-Agent") && !ua_set) {
                        ua_set = true;
                        ua = h[i].value;
                }
                if (!strcmp(h[i].name, "Accept") && !accept_set) {
                        accept_set = true;
                        accept = h[i].value;
                }
        }
        qsort(h, n, sizeof(*h), hdr_cmp);
        size_t cap = 512 + strlen(u->path) + strlen(g->host_header) + strlen(u->hostport);
        for (size_t i = 0; i < n; i++)
                cap += strlen(h[i].name) + strlen(h[i].value) + 4;
        char *req = pc_xmalloc(cap);
        size_t len = 0;
        char v[4096];
        len += (size_t)snprintf(req + len, cap - len, "GET %s HTTP/1.1\r\nHost: %s\r\n", u->path,
                                *g->host_header ? g->host_header : u->hostport);
        /* User-Agent: the user's first value (none sent when it is empty) */
        header_value(ua_set ? ua : g->user_agent, v, sizeof(v));
        if (*v)
                len += (size_t)snprintf(req + len, cap - len, "User-Agent: %s\r\n", v);
        if (!accept_set)
                len += (size_t)snprintf(req + len, cap - len, "Accept: */*\r\n");
        else if (!*accept)
                accept_set = false; /* an empty Accept is removed, as the kubelet does */
        len += (size_t)snprintf(req + len, cap - len, "Connection: close\r\n");
        for (size_t i = 0; i < n; i++) {
                if (!strcmp(h[i].name, "Host") || !strcmp(h[i].name, "User-Agent"))
                        continue;
                if (!strcmp(h[i].name, "Accept") && !accept_set)
                        continue;
                if (g->drop_authorization && !strcmp(h[i].name, "Authorization"))
                        continue;
                if (!strcmp(h[i].name, "Connection"))
                        continue; /* DisableKeepAlives: Go sends its own close */
                header_value(h[i].value, v, sizeof(v));
                len += (size_t)snprintf(req + len, cap - len, "%s: %s\r\n", h[i].name, v);
        }
        len += (size_t)snprintf(req + len, cap - len, "\r\n");
        free(h);
        *out_len = len;
        return req;
}

/* A header's value in a response head (NULL-terminated copy in out). */
static bool find_header(const char *head, const char *name, char *out, size_t len)
{
        size_t nl = strlen(name);
        for (const char *l = strstr(head, "\n"); l; l = strstr(l, "\n")) {
                l++;
                if (!strncasecmp(l, name, nl) && l[nl] == ':') {
                        const char *v = l + nl + 1;
                        while (*v == ' ' || *v == '\t')
                                v++;
                        size_t vl = strcspn(v, "\r\n");
                        while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                                vl--;
                        if (vl >= len)
                                vl = len - 1;
                        memcpy(out, v, vl);
                        out[vl] = 0;
                        return true;
                }
        }
        return false;
}

struct response {
        int status;
        char location[PC_HTTP_URL_MAX];
        bool has_location;
        char body[512];
};

static void err_io(struct pc_http_result *r, const char *url, const char *op, const char *addr,
                   int e)
{
        char es[128];
        r->outcome = PC_HTTP_ERROR;
        if (!e) {
                snprintf(r->msg, sizeof(r->msg), "Get \"%s\": EOF", url);
                return;
        }
        pc_probe_go_strerror(e, es, sizeof(es));
        snprintf(r->msg, sizeof(r->msg), "Get \"%s\": %s tcp %s: %s", url, op, addr, es);
}

/* One GET; 0 with *resp filled, -1 with r filled (ERROR or NEED_TLS). */
static int exchange(const struct pc_http_get *g, const struct url *u, const char *url,
                    struct response *resp, struct pc_http_result *r)
{
        struct stream s = {.fd = -1, .ops = g->tls};
        char addr[320], msg[512];
        bool got_http = false;
        if (u->https && !g->tls) {
                r->outcome = PC_HTTP_NEED_TLS;
                return -1;
        }
        if (pc_probe_dial(u->host, u->port, g->timeout_s, &s.fd, addr, sizeof(addr), msg,
                          sizeof(msg)) < 0) {
                r->outcome = PC_HTTP_ERROR;
                snprintf(r->msg, sizeof(r->msg), "Get \"%s\": %s", url, msg);
                return -1;
        }
        if (u->https) {
                struct in6_addr a6;
                bool ip =
                    inet_pton(AF_INET, u->host, &a6) == 1 || inet_pton(AF_INET6, u->host, &a6) == 1;
                s.tls = g->tls->start(s.fd, ip ? NULL : u->host, &got_http, msg, sizeof(msg));
                if (!s.tls) {
                        r->outcome = PC_HTTP_ERROR;
                        r->got_http = got_http;
                        snprintf(r->msg, sizeof(r->msg), "Get \"%s\": %s", url, msg);
                        s_close(&s);
                        return -1;
                }
        }
        size_t qlen;
        _cleanup_free_ char *req = build_request(g, u, &qlen);
        if (s_write_all(&s, req, qlen) < 0) {
                err_io(r, url, "write", addr, errno ? errno : EPIPE);
                s_close(&s);
                return -1;
        }
        /* head, then up to MAX_BODY of body (or Content-Length) */
        size_t cap = 16384 + MAX_BODY, len = 0;
        _cleanup_free_ char *buf = pc_xmalloc(cap + 1);
        char *body = NULL;
        long long clen = -1;
        for (;;) {
                if (body) {
                        size_t have = len - (size_t)(body - buf);
                        if (have >= MAX_BODY || (clen >= 0 && (long long)have >= clen))
                                break;
                }
                if (len >= cap)
                        break;
                errno = 0;
                ssize_t k = s_read(&s, buf + len, cap - len);
                if (k < 0 && !body) {
                        err_io(r, url, "read", addr, errno ? errno : EIO);
                        s_close(&s);
                        return -1;
                }
                if (k <= 0)
                        break;
                len += (size_t)k;
                buf[len] = 0;
                if (!body) {
                        char *e = strstr(buf, "\r\n\r\n");
                        if (e) {
                                body = e + 4;
                                e[2] = 0; /* the head ends with its last line's CRLF */
                                char cl[32];
                                if (find_header(buf, "Content-Length", cl, sizeof(cl)))
                                        clen = atoll(cl);
                        }
                }
        }
        s_close(&s);
        buf[len] = 0;
        if (len == 0) {
                err_io(r, url, "read", addr, 0);
                return -1;
        }
        int code = 0;
        if (sscanf(buf, "HTTP/%*d.%*d %3d", &code) != 1 || code < 100 || code > 999 || !body) {
                r->outcome = PC_HTTP_ERROR;
                snprintf(r->msg, sizeof(r->msg),
                         "Get \"%s\": net/http: HTTP/1.x transport connection broken: malformed "
                         "HTTP response",
                         url);
                return -1;
        }
        resp->status = code;
        resp->has_location = find_header(buf, "Location", resp->location, sizeof(resp->location));
        size_t bl = len - (size_t)(body - buf);
        if (clen >= 0 && (long long)bl > clen)
                bl = (size_t)clen;
        size_t o = 0;
        for (size_t i = 0; i < bl && o + 1 < sizeof(resp->body); i++) {
                unsigned char ch = (unsigned char)body[i];
                resp->body[o++] =
                    (ch >= 0x20 && ch != 0x7f) || ch == '\n' || ch == '\t' ? (char)ch : '?';
        }
        resp->body[o] = 0;
        return 0;
}

void pc_http_run(struct pc_http_get *g, struct pc_http_result *r)
{
        memset(r, 0, sizeof(*r));
        for (;;) {
                struct url u;
                if (parse_url(g->url, &u) < 0) {
                        r->outcome = PC_HTTP_ERROR;
                        snprintf(r->msg, sizeof(r->msg), "parse \"%s\": invalid URL", g->url);
                        return;
                }
                if (!*g->first_host)
                        snprintf(g->first_host, sizeof(g->first_host), "%s", u.host);
                char url[PC_HTTP_URL_MAX];
                url_string(&u, url, sizeof(url));
                struct response resp;
                memset(&resp, 0, sizeof(resp));
                if (exchange(g, &u, url, &resp, r) < 0)
                        return;
                bool redirect = resp.status == 301 || resp.status == 302 || resp.status == 303 ||
                                resp.status == 307 || resp.status == 308;
                char next[PC_HTTP_URL_MAX];
                int abs = -1;
                struct url nu;
                if (redirect && resp.has_location && *resp.location)
                        abs = resolve_location(&u, resp.location, next, sizeof(next));
                if (abs < 0 || parse_url(next, &nu) < 0) {
                        /* not a redirect Go follows: this is the response */
                        r->outcome = PC_HTTP_RESPONSE;
                        r->status = resp.status;
                        snprintf(r->body, sizeof(r->body), "%s", resp.body);
                        return;
                }
                /* the kubelet's RedirectChecker: another host name ends the
                 * chain with this response; more than 10 is an error */
                if (strcmp(nu.host, g->first_host) != 0) {
                        r->outcome = PC_HTTP_RESPONSE;
                        r->status = resp.status;
                        snprintf(r->body, sizeof(r->body), "%s", resp.body);
                        return;
                }
                if (g->hops >= MAX_REDIRECTS) {
                        r->outcome = PC_HTTP_ERROR;
                        snprintf(r->msg, sizeof(r->msg), "Get \"%s\": stopped after %d redirects",
                                 url, MAX_REDIRECTS);
                        return;
                }
                g->hops++;
                /* Go keeps a custom Host only when the Location had no scheme */
                if (abs)
                        g->host_header[0] = 0;
                snprintf(g->url, sizeof(g->url), "%s", next);
        }
}

int pc_http_handler(struct pc_http_get *g, bool hook, int wfd)
{
        struct pc_http_result r;
        char first_url[PC_HTTP_URL_MAX];
        snprintf(first_url, sizeof(first_url), "%s", g->url);
        pc_http_run(g, &r);
        if (r.outcome == PC_HTTP_NEED_TLS)
                return -1;
        if (hook) {
                if (r.outcome == PC_HTTP_RESPONSE)
                        return 0;
                if (r.got_http && !strncmp(g->url, "https://", 8)) {
                        /* the kubelet retries an https hook answered in plain
                         * HTTP over http, without Authorization */
                        struct url u;
                        char hostport[300] = "";
                        if (parse_url(g->url, &u) == 0)
                                snprintf(hostport, sizeof(hostport), "%s", u.hostport);
                        char url[PC_HTTP_URL_MAX];
                        snprintf(url, sizeof(url), "http://%s", g->url + 8);
                        snprintf(g->url, sizeof(g->url), "%s", url);
                        g->drop_authorization = true;
                        struct pc_http_result r2;
                        pc_http_run(g, &r2);
                        if (r2.outcome == PC_HTTP_RESPONSE) {
                                pc_probe_say(wfd,
                                             "LifecycleHTTPFallback request to HTTPS lifecycle "
                                             "hook %s got HTTP response, retry with HTTP "
                                             "succeeded",
                                             hostport);
                                return 3;
                        }
                }
                pc_probe_say(wfd, "%s", r.msg);
                return 1;
        }
        if (r.outcome == PC_HTTP_ERROR) {
                pc_probe_say(wfd, "%s", r.msg);
                return 1;
        }
        if (r.status >= 200 && r.status < 400) {
                if (r.status >= 300) {
                        for (char *p = r.body; *p; p++)
                                if (*p == '\n' || *p == '\t')
                                        *p = ' ';
                        pc_probe_say(wfd,
                                     "ProbeWarning Probe terminated redirects, Response body: %s",
                                     r.body);
                        return 3;
                }
                return 0;
        }
        pc_probe_say(wfd, "HTTP probe failed with statuscode: %d", r.status);
        return 1;
}
