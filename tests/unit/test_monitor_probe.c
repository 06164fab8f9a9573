/* The probe/hook runner against real servers in a network namespace of our
 * own (as root): tcp, http (status codes, headers, redirects), grpc health
 * (when python3-grpcio is installed), sleep, exec, SIGKILL on timeout, and
 * what the child inherits. Every process and namespace made here is gone at
 * the end, also when checks fail. */
#include "unit.h"
#include "monitor/monitor.h"
#include "monitor/probe.h"
#include "util/util.h"

#include <openssl/ssl.h>

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PORT      18080 /* http and tcp, inside the namespace only */
#define GRPC_PORT 18090
#define TLS_PORT  18443

static pid_t server_pid = -1, grpc_pid = -1, target_pid = -1;
static int netns_fd = -1;
static char grpc_script[] = "/tmp/podctl-grpc-health.XXXXXX";
static bool have_script;

struct result {
        int status; /* exit status, 128+signal, or -1 when it could not start */
        char out[2048];
};

static void lo_up(void)
{
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                _exit(3);
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                _exit(3);
        close(s);
}

static int listen_on(int port)
{
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 16) < 0)
                return -1;
        return s;
}

/* The HTTP server, plain on PORT and TLS (OpenSSL, a self-signed
 * certificate made for the test) on TLS_PORT, both inside the namespace:
 *   /ok 200, /bad 500, /redir 301 -> /ok (same host: followed),
 *   /away 302 -> http://elsewhere.invalid/ (another host: not followed; the
 *   body is the request head with the TLS server name, so checks read what
 *   was sent), /loop 302 -> /loop, /port 302 -> http://127.0.0.1:PORT/ok,
 *   /tohttps 302 -> https://127.0.0.1:TLS_PORT/ok, /tohttp (TLS) 302 ->
 *   http://127.0.0.1:PORT/ok, /rel 302 -> host (relative), /hdr 200 only with
 *   "X-Test: yes", /ua 200 only with the kubelet's default headers, /host 200
 *   only with "Host: example.com"; anything else 404. */
static char tls_dir[] = "/tmp/podctl-probe-tls.XXXXXX";
static bool have_tls_dir;

struct sconn {
        int fd;
        SSL *ssl;
};

static ssize_t sc_read(struct sconn *c, char *buf, size_t len)
{
        if (c->ssl) {
                int r = SSL_read(c->ssl, buf, (int)len);
                return r > 0 ? r : -1;
        }
        return read(c->fd, buf, len);
}

static void sc_write(struct sconn *c, const char *buf, size_t len)
{
        if (c->ssl) {
                if (SSL_write(c->ssl, buf, (int)len) <= 0) {
                        /* the probe may be gone already */
                }
        } else if (write(c->fd, buf, len) < 0) {
                /* the probe may be gone already */
        }
}

static void handle(struct sconn *c, const char *sni)
{
        struct timeval tv = {.tv_sec = 2};
        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        char req[8192];
        size_t n = 0;
        while (n < sizeof(req) - 1) {
                ssize_t r = sc_read(c, req + n, sizeof(req) - 1 - n);
                if (r <= 0)
                        break;
                n += (size_t)r;
                req[n] = 0;
                if (strstr(req, "\r\n\r\n"))
                        break;
        }
        req[n] = 0;
        char path[256] = "", loc[300] = "", body[8192 + 300] = "";
        int code = 404;
        if (sscanf(req, "GET %255s HTTP/1.1", path) == 1) {
                if (!strcmp(path, "/ok")) {
                        code = 200;
                } else if (!strcmp(path, "/bad")) {
                        code = 500;
                } else if (!strcmp(path, "/redir")) {
                        code = 301;
                        snprintf(loc, sizeof(loc), "/ok");
                } else if (!strcmp(path, "/away")) {
                        code = 302;
                        snprintf(loc, sizeof(loc), "http://elsewhere.invalid/x");
                        char *e = strstr(req, "\r\n\r\n");
                        if (e)
                                *e = 0;
                        for (char *q = req; (q = strstr(q, "\r\n"));) {
                                memmove(q, q + 1, strlen(q + 1) + 1); /* CRLF -> " " */
                                *q = ' ';
                        }
                        snprintf(body, sizeof(body), "sni=%s|%s", sni ? sni : "-", req);
                } else if (!strcmp(path, "/loop")) {
                        code = 302;
                        snprintf(loc, sizeof(loc), "/loop");
                } else if (!strcmp(path, "/port")) {
                        code = 302;
                        snprintf(loc, sizeof(loc), "http://127.0.0.1:%d/ok", PORT);
                } else if (!strcmp(path, "/tohttps")) {
                        code = 302;
                        snprintf(loc, sizeof(loc), "https://127.0.0.1:%d/ok", TLS_PORT);
                } else if (!strcmp(path, "/tohttp")) {
                        code = 302;
                        snprintf(loc, sizeof(loc), "http://127.0.0.1:%d/ok", PORT);
                } else if (!strcmp(path, "/rel")) {
                        code = 302;
                        snprintf(loc, sizeof(loc), "host");
                } else if (!strcmp(path, "/hdr")) {
                        code = strstr(req, "\r\nX-Test: yes\r\n") ? 200 : 400;
                } else if (!strcmp(path, "/ua")) {
                        code = strstr(req, "\r\nUser-Agent: kube-probe/1.31\r\n") &&
                                       strstr(req, "\r\nAccept: */*\r\n") &&
                                       strstr(req, "\r\nHost: 127.0.0.1:18080\r\n") &&
                                       strstr(req, "\r\nConnection: close\r\n")
                                   ? 200
                                   : 400;
                } else if (!strcmp(path, "/host")) {
                        code = strstr(req, "\r\nHost: example.com\r\n") &&
                                       !strstr(req, "127.0.0.1:18080")
                                   ? 200
                                   : 400;
                }
        }
        char resp[sizeof(body) + 512];
        int len =
            snprintf(resp, sizeof(resp),
                     "HTTP/1.1 %d X\r\n%s%s%sContent-Length: %zu\r\nConnection: "
                     "close\r\n\r\n%s",
                     code, *loc ? "Location: " : "", loc, *loc ? "\r\n" : "", strlen(body), body);
        sc_write(c, resp, (size_t)len);
}

static int on_sni(SSL *ssl, int *ad, void *arg)
{
        (void)ad;
        const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        snprintf(arg, 256, "%s", name ? name : "");
        return SSL_TLSEXT_ERR_OK;
}

static void serve(int ready_fd)
{
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (unshare(CLONE_NEWNET) < 0)
                _exit(2);
        lo_up();
        int s = listen_on(PORT), ts = listen_on(TLS_PORT);
        if (s < 0 || ts < 0)
                _exit(4);
        SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
        char cert[128], key[128];
        static char sni[256];
        snprintf(cert, sizeof(cert), "%s/cert.pem", tls_dir);
        snprintf(key, sizeof(key), "%s/key.pem", tls_dir);
        if (!ctx || SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
                _exit(6);
        SSL_CTX_set_tlsext_servername_callback(ctx, on_sni);
        SSL_CTX_set_tlsext_servername_arg(ctx, sni);
        if (write(ready_fd, "1", 1) != 1)
                _exit(5);
        close(ready_fd);
        for (;;) {
                struct pollfd p[2] = {{.fd = s, .events = POLLIN}, {.fd = ts, .events = POLLIN}};
                if (poll(p, 2, -1) <= 0)
                        continue;
                for (int i = 0; i < 2; i++) {
                        if (!(p[i].revents & POLLIN))
                                continue;
                        struct sconn c = {.fd = accept4(p[i].fd, NULL, NULL, SOCK_CLOEXEC)};
                        if (c.fd < 0)
                                continue;
                        if (i == 1) {
                                sni[0] = 0;
                                c.ssl = SSL_new(ctx);
                                SSL_set_fd(c.ssl, c.fd);
                                if (SSL_accept(c.ssl) == 1)
                                        handle(&c, *sni ? sni : NULL);
                                SSL_free(c.ssl);
                        } else {
                                handle(&c, NULL);
                        }
                        close(c.fd);
                }
        }
}

static bool make_cert(void)
{
        if (!mkdtemp(tls_dir))
                return false;
        have_tls_dir = true;
        _cleanup_free_ char *cmd = pc_xasprintf(
            "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/key.pem -out %s/cert.pem "
            "-days 1 -subj /CN=podctl-test >/dev/null 2>&1",
            tls_dir, tls_dir);
        return system(cmd) == 0;
}

static bool wait_readable(int fd, int ms)
{
        struct pollfd p = {.fd = fd, .events = POLLIN};
        return poll(&p, 1, ms) == 1;
}

static bool start_server(void)
{
        if (!make_cert())
                return false;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return false;
        server_pid = fork();
        if (server_pid == 0) {
                close(p[0]);
                serve(p[1]);
        }
        close(p[1]);
        char b;
        bool ok = server_pid > 0 && wait_readable(p[0], 5000) && read(p[0], &b, 1) == 1;
        close(p[0]);
        if (!ok)
                return false;
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)server_pid);
        netns_fd = open(path, O_RDONLY | O_CLOEXEC);
        return netns_fd >= 0;
}

static const char *grpc_python(void)
{
        static const char *const cands[] = {"/usr/bin/python3", "python3"};
        for (size_t i = 0; i < PC_ARRAY_SIZE(cands); i++) {
                _cleanup_free_ char *cmd =
                    pc_xasprintf("%s -c 'import grpc, grpc_tools' >/dev/null 2>&1", cands[i]);
                if (system(cmd) == 0)
                        return cands[i];
        }
        return NULL;
}

/* tests/grpc-health-server.py (grpcio, messages from health.proto) inside
 * the test namespace, answering from the status file grpc_script. */
static bool start_grpc(const char *python)
{
        int fd = mkstemp(grpc_script);
        if (fd < 0)
                return false;
        have_script = true;
        static const char statuses[] = "- SERVING\ndown NOT_SERVING\nunknown UNKNOWN\n";
        bool w = write(fd, statuses, strlen(statuses)) == (ssize_t)strlen(statuses);
        close(fd);
        if (!w)
                return false;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return false;
        grpc_pid = fork();
        if (grpc_pid == 0) {
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (setns(netns_fd, CLONE_NEWNET) < 0 || dup2(p[1], 1) < 0)
                        _exit(2);
                char port[16];
                snprintf(port, sizeof(port), "%d", GRPC_PORT);
                execlp(python, python, "tests/grpc-health-server.py", port, grpc_script,
                       (char *)NULL);
                _exit(127);
        }
        close(p[1]);
        char buf[16] = "";
        bool ok = grpc_pid > 0 && wait_readable(p[0], 20000) && read(p[0], buf, 5) == 5 &&
                  !strncmp(buf, "ready", 5);
        close(p[0]);
        return ok;
}

static void reap(pid_t *pid)
{
        if (*pid > 0) {
                kill(*pid, SIGKILL);
                while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        *pid = -1;
}

static void cleanup(void)
{
        reap(&grpc_pid);
        reap(&server_pid);
        reap(&target_pid);
        if (netns_fd >= 0)
                close(netns_fd);
        netns_fd = -1;
        if (have_script)
                unlink(grpc_script);
        if (have_tls_dir) {
                _cleanup_free_ char *cmd = pc_xasprintf("rm -rf %s", tls_dir);
                if (system(cmd) != 0)
                        fprintf(stderr, "could not remove %s\n", tls_dir);
        }
}

/* Run one attempt to its end (10 s at most, then SIGKILL). */
static void run(const struct pc_handler *h, const struct pc_probe_target *t, struct result *r)
{
        pc_error err;
        pid_t pid;
        int fd;
        size_t n = 0;

        memset(r, 0, sizeof(*r));
        if (pc_handler_start(h, t, &pid, &fd, &err) < 0) {
                r->status = -1;
                snprintf(r->out, sizeof(r->out), "%s", err.msg);
                return;
        }
        int64_t deadline = pc_monotonic_ns() + 10LL * 1000000000;
        for (;;) {
                int ms = (int)((deadline - pc_monotonic_ns()) / 1000000);
                if (ms <= 0 || !wait_readable(fd, ms))
                        break;
                char buf[512];
                ssize_t k = read(fd, buf, sizeof(buf));
                if (k < 0 && (errno == EAGAIN || errno == EINTR))
                        continue;
                if (k <= 0)
                        break;
                size_t take =
                    (size_t)k < sizeof(r->out) - 1 - n ? (size_t)k : sizeof(r->out) - 1 - n;
                memcpy(r->out + n, buf, take);
                n += take;
        }
        close(fd);
        int st = 0;
        for (;;) {
                pid_t w = waitpid(pid, &st, WNOHANG);
                if (w == pid)
                        break;
                if (pc_monotonic_ns() > deadline) {
                        kill(pid, SIGKILL);
                        waitpid(pid, &st, 0);
                        break;
                }
                usleep(10000);
        }
        r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        char tidy[sizeof(r->out)];
        pc_handler_reason(r->out, n, tidy, sizeof(tidy));
        memcpy(r->out, tidy, sizeof(tidy));
}

static char helper[4096];

static struct pc_probe_target ns_target(void)
{
        return (struct pc_probe_target){
            .netns_fd = netns_fd, .timeout_seconds = 5, .helper = helper};
}

static void test_tcp(void)
{
        struct pc_handler h = {.kind = PC_HANDLER_TCP, .port = PORT};
        struct pc_probe_target t = ns_target();
        struct result r;

        run(&h, &t, &r);
        CHECK(r.status == 0);
        h.port = PORT + 1;
        run(&h, &t, &r);
        CHECK(r.status != 0);
        CHECK_STR(r.out, "dial tcp 127.0.0.1:18081: connect: connection refused");

        /* It really runs in the namespace: on the host nothing listens there. */
        int s = listen_on(PORT);
        if (s >= 0) {
                close(s);
                t.netns_fd = -1;
                h.port = PORT;
                run(&h, &t, &r);
                CHECK(r.status != 0);
                CHECK_STR(r.out, "dial tcp 127.0.0.1:18080: connect: connection refused");
        } else {
                SKIP("host-namespace tcp check: the port is in use on the host");
        }
        /* explicit host, and a name to resolve */
        t = ns_target();
        char host[] = "localhost";
        h = (struct pc_handler){.kind = PC_HANDLER_TCP, .port = PORT, .host = host};
        run(&h, &t, &r);
        CHECK(r.status == 0 || strstr(r.out, "[::1]") != NULL); /* localhost may be ::1 first */
}

static void test_http(void)
{
        struct pc_probe_target t = ns_target();
        struct result r;
        char path[64] = "/ok", scheme[] = "HTTP";
        struct pc_handler h = {
            .kind = PC_HANDLER_HTTP, .port = PORT, .path = path, .scheme = scheme};

        run(&h, &t, &r);
        CHECK(r.status == 0);
        CHECK_STR(r.out, "");
        strcpy(path, "/bad");
        run(&h, &t, &r);
        CHECK(r.status == 1);
        CHECK_STR(r.out, "HTTP probe failed with statuscode: 500");
        /* a redirect on the same host is followed (to a 200: plain success),
         * also to another port of it */
        strcpy(path, "/redir");
        run(&h, &t, &r);
        CHECK(r.status == 0);
        CHECK_STR(r.out, "");
        strcpy(path, "/port");
        run(&h, &t, &r);
        CHECK(r.status == 0);
        CHECK_STR(r.out, "");
        /* to another host: not followed, a success with the kubelet's warning */
        strcpy(path, "/away");
        run(&h, &t, &r);
        CHECK(r.status == 3);
        CHECK_CONTAINS(r.out, "ProbeWarning Probe terminated redirects, Response body: sni=-|GET "
                              "/away HTTP/1.1");
        /* a loop: Go's client gives up after 10 */
        strcpy(path, "/loop");
        run(&h, &t, &r);
        CHECK(r.status == 1);
        CHECK_STR(r.out, "Get \"http://127.0.0.1:18080/loop\": stopped after 10 redirects");
        strcpy(path, "/ua");
        run(&h, &t, &r);
        CHECK(r.status == 0);
        strcpy(path, "/hdr");
        run(&h, &t, &r);
        CHECK(r.status == 1);
        CHECK_STR(r.out, "HTTP probe failed with statuscode: 400");
        /* names in Go's canonical form, Host from the headers */
        char xn[] = "x-test", xv[] = "yes", hn[] = "Host", hv[] = "example.com";
        struct pc_kv hdrs[] = {{xn, xv}, {hn, hv}};
        h.headers = hdrs;
        h.n_headers = 2;
        run(&h, &t, &r);
        CHECK(r.status == 0);
        strcpy(path, "/host");
        run(&h, &t, &r);
        CHECK(r.status == 0);
        /* a custom Host survives a relative redirect (Go's rule) */
        strcpy(path, "/rel");
        run(&h, &t, &r);
        CHECK(r.status == 0);
        CHECK_STR(r.out, "");
        /* the request as sent: Host, the user's User-Agent and Accept in place
         * of the defaults, an empty Accept removed */
        char uan[] = "User-Agent", uav[] = "mine/1", an[] = "accept", av[] = "", x2[] = "X-Test",
             x2v[] = "two";
        struct pc_kv hdrs2[] = {{xn, xv}, {uan, uav}, {an, av}, {x2, x2v}};
        h.headers = hdrs2;
        h.n_headers = 4;
        strcpy(path, "/away");
        run(&h, &t, &r);
        CHECK(r.status == 3);
        CHECK_CONTAINS(r.out, "|GET /away HTTP/1.1 Host: 127.0.0.1:18080 User-Agent: mine/1 "
                              "Connection: close X-Test: yes X-Test: two");
        CHECK(strstr(r.out, "Accept") == NULL);
        h.headers = NULL;
        h.n_headers = 0;
        strcpy(path, "nothing"); /* no leading slash: added, as Go's URL does */
        run(&h, &t, &r);
        CHECK_STR(r.out, "HTTP probe failed with statuscode: 404");

        strcpy(path, "/ok");
        h.port = PORT + 1;
        run(&h, &t, &r);
        CHECK(r.status == 1);
        CHECK_STR(r.out, "Get \"http://127.0.0.1:18081/ok\": dial tcp 127.0.0.1:18081: connect: "
                         "connection refused");
        /* hooks: any response is a success (the kubelet checks no status) */
        t.hook = true;
        h.port = PORT;
        strcpy(path, "/bad");
        run(&h, &t, &r);
        CHECK(r.status == 0);
        h.port = PORT + 1;
        run(&h, &t, &r);
        CHECK(r.status == 1);
        CHECK_CONTAINS(r.out, "connection refused");
}

static void test_https(void)
{
        struct pc_probe_target t = ns_target();
        struct result r;
        char path[64] = "/ok", scheme[] = "HTTPS";
        struct pc_handler h = {
            .kind = PC_HANDLER_HTTP, .port = TLS_PORT, .path = path, .scheme = scheme};

        /* a self-signed certificate: not verified, as the kubelet */
        run(&h, &t, &r);
        CHECK(r.status == 0);
        CHECK_STR(r.out, "");
        strcpy(path, "/bad");
        run(&h, &t, &r);
        CHECK(r.status == 1);
        CHECK_STR(r.out, "HTTP probe failed with statuscode: 500");
        /* no SNI for an IP address; the request inside TLS as over TCP */
        strcpy(path, "/away");
        run(&h, &t, &r);
        CHECK(r.status == 3);
        CHECK_CONTAINS(r.out, "Response body: sni=-|GET /away HTTP/1.1 Host: 127.0.0.1:18443 "
                              "User-Agent: kube-probe/1.31 Accept: */*");
        /* SNI for a host name */
        char lh[] = "localhost";
        h.host = lh;
        run(&h, &t, &r);
        if (strstr(r.out, "[::1]")) {
                SKIP("https SNI check: localhost resolves to ::1 first here");
        } else {
                CHECK(r.status == 3);
                CHECK_CONTAINS(r.out, "Response body: sni=localhost|GET /away HTTP/1.1 Host: "
                                      "localhost:18443");
        }
        h.host = NULL;
        /* https -> http and http -> https on the same host are followed */
        strcpy(path, "/tohttp");
        run(&h, &t, &r);
        CHECK(r.status == 0);
        CHECK_STR(r.out, "");
        char http[] = "HTTP";
        h.scheme = http;
        h.port = PORT;
        strcpy(path, "/tohttps");
        run(&h, &t, &r);
        CHECK(r.status == 0);
        CHECK_STR(r.out, "");
        /* TLS against a plain HTTP server: Go's words */
        h.scheme = scheme;
        strcpy(path, "/ok");
        run(&h, &t, &r);
        CHECK(r.status == 1);
        CHECK_STR(r.out, "Get \"https://127.0.0.1:18080/ok\": http: server gave HTTP response to "
                         "HTTPS client");
        /* a hook retries that over http and warns (LifecycleHTTPFallback) */
        t.hook = true;
        run(&h, &t, &r);
        CHECK(r.status == 3);
        CHECK_STR(r.out, "LifecycleHTTPFallback request to HTTPS lifecycle hook 127.0.0.1:18080 "
                         "got HTTP response, retry with HTTP succeeded");
        /* no helper: a clear failure */
        t.hook = false;
        t.helper = "/nonexistent/podctl-probe";
        run(&h, &t, &r);
        CHECK(r.status == 1);
        CHECK_STR(r.out, "exec /nonexistent/podctl-probe: No such file or directory");
}

static void test_grpc(void)
{
        const char *python = grpc_python();
        if (!python) {
                SKIP("grpc checks: python3 grpc modules not installed (apt-get install "
                     "python3-grpcio python3-grpc-tools)");
                return;
        }
        bool up = start_grpc(python);
        CHECK(up);
        if (!up)
                return;
        struct pc_probe_target t = ns_target();
        struct result r;
        struct pc_handler h = {.kind = PC_HANDLER_GRPC, .port = GRPC_PORT};
        /* grpcio prints "ready" before its pollers serve: wait as a startup
         * probe would (a failed attempt must be a clean failure, not a hang) */
        int attempts = 0;
        do {
                if (attempts)
                        usleep(100000);
                run(&h, &t, &r);
        } while (r.status != 0 && ++attempts < 100);
        if (attempts)
                printf("grpc server answered after %d failed attempt(s): %s\n", attempts, r.out);
        CHECK(r.status == 0);
        CHECK_STR(r.out, "");
        if (r.status != 0) {
                int st = 0;
                pid_t w = waitpid(grpc_pid, &st, WNOHANG);
                fprintf(stderr, "grpc: %s (python server %s, status 0x%x)\n", r.out,
                        w == grpc_pid ? "exited" : "running", st);
                if (w == grpc_pid)
                        grpc_pid = -1;
        }
        char down[] = "down", unknown[] = "unknown", nosuch[] = "no-such-service";
        h.service = down;
        run(&h, &t, &r);
        CHECK(r.status == 1);
        CHECK_STR(r.out, "service unhealthy (responded with \"NOT_SERVING\")");
        h.service = unknown;
        run(&h, &t, &r);
        CHECK(r.status == 1);
        CHECK_STR(r.out, "service unhealthy (responded with \"UNKNOWN\")");
        /* the server's own error status, from the trailers (HPACK) */
        h.service = nosuch;
        run(&h, &t, &r);
        CHECK(r.status == 1);
        CHECK_STR(r.out, "error: health rpc probe failed: rpc error: code = NotFound desc = "
                         "unknown service");
        h.service = NULL;
        h.port = GRPC_PORT + 1;
        run(&h, &t, &r);
        CHECK(r.status == 1);
        CHECK_STR(r.out, "timeout: failed to connect service \"127.0.0.1:18091\" within 5s: "
                         "context deadline exceeded (dial tcp 127.0.0.1:18091: connect: "
                         "connection refused)");
        /* an HTTP/1.1 server is no gRPC server: a failure, not a hang */
        h.port = PORT;
        run(&h, &t, &r);
        CHECK(r.status == 1);
        CHECK_CONTAINS(r.out, "rpc error");
}

static void test_sleep_kill_and_inheritance(void)
{
        struct pc_probe_target t = ns_target();
        struct result r;
        struct pc_handler h = {.kind = PC_HANDLER_SLEEP, .sleep_seconds = 1};
        int64_t t0 = pc_monotonic_ns();
        run(&h, &t, &r);
        CHECK(r.status == 0);
        CHECK(pc_monotonic_ns() - t0 >= 1000000000LL);

        /* The child: an empty signal mask although ours blocks SIGTERM, only
         * stdio and the pipe open, and SIGKILL ends the attempt. */
        sigset_t blk, old;
        sigemptyset(&blk);
        sigaddset(&blk, SIGTERM);
        sigprocmask(SIG_BLOCK, &blk, &old);
        _cleanup_close_ int extra = open("/dev/null", O_RDONLY); /* not CLOEXEC */
        h.sleep_seconds = 30;
        pc_error err;
        pid_t pid;
        int fd;
        int rc = pc_handler_start(&h, &t, &pid, &fd, &err);
        sigprocmask(SIG_SETMASK, &old, NULL);
        CHECK(rc == 0);
        if (rc != 0)
                return;
        usleep(200000);
        char p[64];
        snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
        _cleanup_free_ char *status = NULL;
        size_t len;
        if (pc_read_file(p, &status, &len, &err) == 0)
                CHECK_CONTAINS(status, "SigBlk:\t0000000000000000\n");
        else
                CHECK(false);
        snprintf(p, sizeof(p), "/proc/%d/fd", (int)pid);
        int nfd = 0;
        _cleanup_free_ char *cmd = pc_xasprintf("ls %s | wc -l", p);
        FILE *f = popen(cmd, "r");
        if (f) {
                if (fscanf(f, "%d", &nfd) != 1)
                        nfd = -1;
                pclose(f);
        }
        CHECK(nfd == 4); /* 0, 1, 2 and the pipe */
        kill(pid, SIGKILL);
        int st;
        CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        close(fd);
}

static void test_exec(void)
{
        /* The mechanism, against a plain process in the host's namespaces. */
        target_pid = fork();
        if (target_pid == 0) {
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                for (;;)
                        pause();
        }
        CHECK(target_pid > 0);
        if (target_pid <= 0)
                return;
        char *env[] = {(char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *)"X=from-env", NULL};
        struct pc_probe_target t = {.container_pid = target_pid,
                                    .netns_fd = -1,
                                    .envp = env,
                                    .cwd = "/",
                                    .sec = {.caps = pc_caps_all()}};
        struct result r;
        char *argv[] = {(char *)"sh", (char *)"-c", (char *)"echo out $X; echo err >&2; exit 3",
                        NULL};
        struct pc_handler h = {.kind = PC_HANDLER_EXEC, .command = argv};
        run(&h, &t, &r);
        CHECK(r.status == 3);
        CHECK_CONTAINS(r.out, "out from-env");
        CHECK_CONTAINS(r.out, "err");
        char *ok[] = {(char *)"true", NULL};
        h.command = ok;
        run(&h, &t, &r);
        CHECK(r.status == 0);
        char *missing[] = {(char *)"/no/such/probe-command", NULL};
        h.command = missing;
        run(&h, &t, &r);
        CHECK(r.status == -1);
        CHECK_CONTAINS(r.out, "exec probe");
        /* stdin is /dev/null, not ours */
        char *in[] = {(char *)"sh", (char *)"-c", (char *)"readlink /proc/self/fd/0", NULL};
        h.command = in;
        run(&h, &t, &r);
        CHECK_STR(r.out, "/dev/null");
        reap(&target_pid);
}

static void test_reason(void)
{
        char out[16];
        pc_handler_reason("abc\x01\n\n  ", 8, out, sizeof(out));
        CHECK_STR(out, "abc?");
        pc_handler_reason("0123456789abcdefghij", 20, out, sizeof(out));
        CHECK_STR(out, "0123456789abcde");
        CHECK_STR(pc_handler_kind_name(PC_HANDLER_GRPC), "grpc");
        /* stop signals as Kubernetes and image configs name them */
        CHECK(pc_signal_parse("SIGUSR1") == SIGUSR1);
        CHECK(pc_signal_parse("QUIT") == SIGQUIT);
        CHECK(pc_signal_parse("SIGCLD") == SIGCHLD);
        CHECK(pc_signal_parse("SIGIOT") == SIGABRT);
        CHECK(pc_signal_parse("SIGPOLL") == SIGIO);
        CHECK(pc_signal_parse("SIGRTMIN") == SIGRTMIN);
        CHECK(pc_signal_parse("SIGRTMIN+3") == SIGRTMIN + 3);
        CHECK(pc_signal_parse("SIGRTMAX-2") == SIGRTMAX - 2);
        CHECK(pc_signal_parse("SIGRTMAX") == SIGRTMAX);
        CHECK(pc_signal_parse("9") == 9);
        CHECK(pc_signal_parse("SIGFOO") == 0);
        CHECK(pc_signal_parse("SIGRTMIN-1") == 0);
        CHECK(pc_signal_parse(NULL) == 0);
}

int main(void)
{
        if (geteuid() != 0) {
                SKIP("not root");
                UNIT_DONE();
        }
        signal(SIGPIPE, SIG_IGN);
        test_reason();
        const char *b = getenv("B");
        char cwd[1024];
        snprintf(helper, sizeof(helper), "%s/%s/podctl-probe", getcwd(cwd, sizeof(cwd)) ? cwd : ".",
                 b && *b ? b : "build");
        bool up = start_server();
        CHECK(up);
        if (up) {
                test_tcp();
                test_http();
                test_https();
                test_grpc();
                test_sleep_kill_and_inheritance();
        }
        test_exec();
        cleanup();
        UNIT_DONE();
}
