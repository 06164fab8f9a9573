/* The probe/hook runner against real servers in a network namespace of our
 * own (as root): tcp, http (status codes, headers, redirects), grpc health
 * (when python3-grpcio is installed), sleep, exec, SIGKILL on timeout, and
 * what the child inherits. Every process and namespace made here is gone at
 * the end, also when checks fail. */
#include "unit.h"
#include "monitor/probe.h"
#include "util/util.h"

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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PORT      18080 /* http and tcp, inside the namespace only */
#define GRPC_PORT 18090

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

/* The HTTP server: /ok 200, /bad 500, /redir 301, /hdr 200 only with
 * "X-Test: yes", /ua 200 only with the kubelet's default headers, /host 200
 * only with "Host: example.com"; anything else 404. */
static void serve(int ready_fd)
{
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (unshare(CLONE_NEWNET) < 0)
                _exit(2);
        lo_up();
        int s = listen_on(PORT);
        if (s < 0)
                _exit(4);
        if (write(ready_fd, "1", 1) != 1)
                _exit(5);
        close(ready_fd);
        for (;;) {
                int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
                if (c < 0)
                        continue;
                struct timeval tv = {.tv_sec = 2};
                setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                char req[8192];
                size_t n = 0;
                while (n < sizeof(req) - 1) {
                        ssize_t r = read(c, req + n, sizeof(req) - 1 - n);
                        if (r <= 0)
                                break;
                        n += (size_t)r;
                        req[n] = 0;
                        if (strstr(req, "\r\n\r\n"))
                                break;
                }
                req[n] = 0;
                char path[256] = "";
                int code = 404;
                if (sscanf(req, "GET %255s HTTP/1.1", path) == 1) {
                        if (!strcmp(path, "/ok"))
                                code = 200;
                        else if (!strcmp(path, "/bad"))
                                code = 500;
                        else if (!strcmp(path, "/redir"))
                                code = 301;
                        else if (!strcmp(path, "/hdr"))
                                code = strstr(req, "\r\nX-Test: yes\r\n") ? 200 : 400;
                        else if (!strcmp(path, "/ua"))
                                code = strstr(req, "\r\nUser-Agent: kube-probe/1.31\r\n") &&
                                               strstr(req, "\r\nAccept: */*\r\n") &&
                                               strstr(req, "\r\nHost: 127.0.0.1:18080\r\n") &&
                                               strstr(req, "\r\nConnection: close\r\n")
                                           ? 200
                                           : 400;
                        else if (!strcmp(path, "/host"))
                                code = strstr(req, "\r\nHost: example.com\r\n") &&
                                               !strstr(req, "127.0.0.1:18080")
                                           ? 200
                                           : 400;
                }
                char resp[256];
                int len = snprintf(resp, sizeof(resp),
                                   "HTTP/1.1 %d X\r\n%sContent-Length: 0\r\nConnection: "
                                   "close\r\n\r\n",
                                   code, code == 301 ? "Location: /ok\r\n" : "");
                if (write(c, resp, (size_t)len) < 0) {
                        /* the probe may be gone already */
                }
                close(c);
        }
}

static bool wait_readable(int fd, int ms)
{
        struct pollfd p = {.fd = fd, .events = POLLIN};
        return poll(&p, 1, ms) == 1;
}

static bool start_server(void)
{
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

static const char grpc_server_py[] =
    "import sys\n"
    "from concurrent import futures\n"
    "import grpc\n"
    "def check(req, ctx):\n"
    "    svc = b''\n"
    "    if len(req) >= 2 and req[0] == 0x0a:\n"
    "        svc = req[2:2 + req[1]]\n"
    "    return b'\\x08\\x01' if svc == b'' else b'\\x08\\x02'\n"
    "h = grpc.method_handlers_generic_handler('grpc.health.v1.Health',\n"
    "    {'Check': grpc.unary_unary_rpc_method_handler(check)})\n"
    "s = grpc.server(futures.ThreadPoolExecutor(max_workers=2))\n"
    "s.add_generic_rpc_handlers((h,))\n"
    "s.add_insecure_port('127.0.0.1:' + sys.argv[1])\n"
    "s.start()\n"
    "print('ready', flush=True)\n"
    "s.wait_for_termination()\n";

static const char *grpc_python(void)
{
        static const char *const cands[] = {"/usr/bin/python3", "python3"};
        for (size_t i = 0; i < PC_ARRAY_SIZE(cands); i++) {
                _cleanup_free_ char *cmd =
                    pc_xasprintf("%s -c 'import grpc' >/dev/null 2>&1", cands[i]);
                if (system(cmd) == 0)
                        return cands[i];
        }
        return NULL;
}

/* A Python gRPC health server inside the test namespace. */
static bool start_grpc(const char *python)
{
        int fd = mkstemp(grpc_script);
        if (fd < 0)
                return false;
        have_script = true;
        bool w =
            write(fd, grpc_server_py, strlen(grpc_server_py)) == (ssize_t)strlen(grpc_server_py);
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
                execlp(python, python, grpc_script, port, (char *)NULL);
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

static struct pc_probe_target ns_target(void)
{
        return (struct pc_probe_target){.netns_fd = netns_fd, .timeout_seconds = 5};
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
        strcpy(path, "/bad");
        run(&h, &t, &r);
        CHECK(r.status == 1);
        CHECK_STR(r.out, "HTTP probe failed with statuscode: 500");
        strcpy(path, "/redir");
        run(&h, &t, &r);
        CHECK(r.status == 0);
        CHECK_CONTAINS(r.out, "Probe terminated redirects");
        strcpy(path, "/ua");
        run(&h, &t, &r);
        CHECK(r.status == 0);
        strcpy(path, "/hdr");
        run(&h, &t, &r);
        CHECK(r.status == 1);
        CHECK_STR(r.out, "HTTP probe failed with statuscode: 400");
        char xn[] = "X-Test", xv[] = "yes", hn[] = "Host", hv[] = "example.com";
        struct pc_kv hdrs[] = {{xn, xv}, {hn, hv}};
        h.headers = hdrs;
        h.n_headers = 2;
        run(&h, &t, &r);
        CHECK(r.status == 0);
        strcpy(path, "/host");
        run(&h, &t, &r);
        CHECK(r.status == 0);
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
        char https[] = "HTTPS";
        h.port = PORT;
        h.scheme = https;
        run(&h, &t, &r);
        CHECK(r.status == 1);
        CHECK_CONTAINS(r.out, "https://127.0.0.1:18080/ok");
}

static void test_grpc(void)
{
        const char *python = grpc_python();
        if (!python) {
                SKIP("grpc checks: python3 grpc module not installed (apt-get install "
                     "python3-grpcio)");
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
        if (r.status != 0) {
                int st = 0;
                pid_t w = waitpid(grpc_pid, &st, WNOHANG);
                fprintf(stderr, "grpc: %s (python server %s, status 0x%x)\n", r.out,
                        w == grpc_pid ? "exited" : "running", st);
                if (w == grpc_pid)
                        grpc_pid = -1;
        }
        char down[] = "down";
        h.service = down;
        run(&h, &t, &r);
        CHECK(r.status == 1);
        CHECK_STR(r.out, "service unhealthy (responded with \"NOT_SERVING\")");
        h.service = NULL;
        h.port = GRPC_PORT + 1;
        run(&h, &t, &r);
        CHECK(r.status == 1);
        CHECK_STR(r.out, "error: failed to connect service at \"127.0.0.1:18091\": dial tcp "
                         "127.0.0.1:18091: connect: connection refused");
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
}

int main(void)
{
        if (geteuid() != 0) {
                SKIP("not root");
                UNIT_DONE();
        }
        signal(SIGPIPE, SIG_IGN);
        test_reason();
        bool up = start_server();
        CHECK(up);
        if (up) {
                test_tcp();
                test_http();
                test_grpc();
                test_sleep_kill_and_inheritance();
        }
        test_exec();
        cleanup();
        UNIT_DONE();
}
