/* Probe and lifecycle-hook runner (see probe.h). exec goes through
 * pc_exec_start; httpGet, tcpSocket and grpc are done by a forked child of
 * ours inside the Pod's network namespace, so nothing is needed in the image
 * (plain HTTP and TCP in the child itself; an HTTPS hop and gRPC by the
 * podctl-probe helper the child execs, which links OpenSSL, nghttp2 and
 * protobuf-c); sleep is a child that sleeps. */
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
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "monitor/probe_http.h"
#include "runtime/runtime.h"
#include "util/util.h"

#define UA_PROBE     "kube-probe/1.31"
#define UA_LIFECYCLE "kube-lifecycle/1.31"

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
        char addr[320], msg[512];
        int fd;
        if (pc_probe_dial(target_host(h, t), h->port, t->timeout_seconds, &fd, addr, sizeof(addr),
                          msg, sizeof(msg)) < 0) {
                pc_probe_say(wfd, "%s", msg);
                return 1;
        }
        close(fd);
        return 0;
}

/* Hand the rest of the attempt to the podctl-probe helper (TLS, HTTP/2): it
 * runs in this process, so the caller's SIGKILL still stops all of it. */
__attribute__((noreturn)) static void exec_helper(const struct pc_probe_target *t, char **argv,
                                                  int wfd)
{
        if (!t->helper) {
                pc_probe_say(wfd, "podctl-probe helper not configured");
                _exit(1);
        }
        argv[0] = (char *)t->helper;
        if (dup2(wfd, 1) < 0)
                _exit(2);
        char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
        execve(t->helper, argv, envp);
        pc_probe_say(wfd, "exec %s: %s", t->helper, strerror(errno));
        _exit(1);
}

static int do_http(const struct pc_handler *h, const struct pc_probe_target *t, int wfd)
{
        struct pc_http_get g;
        memset(&g, 0, sizeof(g));
        pc_http_format_url(g.url, sizeof(g.url), h->scheme, target_host(h, t), h->port, h->path);
        /* the kubelet: req.Host = the first Host header's value */
        for (size_t i = 0; i < h->n_headers; i++)
                if (!strcasecmp(h->headers[i].name, "Host")) {
                        snprintf(g.host_header, sizeof(g.host_header), "%s",
                                 h->headers[i].value ? h->headers[i].value : "");
                        break;
                }
        g.headers = h->headers;
        g.n_headers = h->n_headers;
        g.user_agent = t->hook ? UA_LIFECYCLE : UA_PROBE;
        g.timeout_s = t->timeout_seconds;
        int rc = pc_http_handler(&g, t->hook, wfd);
        if (rc >= 0)
                return rc;
        /* an https hop: the helper carries on from here */
        size_t n = 0, cap = 16 + 3 * h->n_headers;
        char **argv = pc_xcalloc(cap, sizeof(char *));
        char hops[16], timeout[16];
        snprintf(hops, sizeof(hops), "%d", g.hops);
        snprintf(timeout, sizeof(timeout), "%d", t->timeout_seconds);
        argv[n++] = "podctl-probe";
        argv[n++] = "http";
        if (t->hook)
                argv[n++] = "--hook";
        argv[n++] = "--url";
        argv[n++] = g.url;
        argv[n++] = "--first-host";
        argv[n++] = g.first_host;
        argv[n++] = "--hops";
        argv[n++] = hops;
        argv[n++] = "--timeout";
        argv[n++] = timeout;
        if (*g.host_header) {
                argv[n++] = "--host-header";
                argv[n++] = g.host_header;
        }
        for (size_t i = 0; i < h->n_headers; i++) {
                argv[n++] = "-H";
                argv[n++] = h->headers[i].name;
                argv[n++] = h->headers[i].value ? h->headers[i].value : "";
        }
        argv[n] = NULL;
        exec_helper(t, argv, wfd);
}

static int do_grpc(const struct pc_handler *h, const struct pc_probe_target *t, int wfd)
{
        char port[16], timeout[16];
        snprintf(port, sizeof(port), "%d", (int)h->port);
        snprintf(timeout, sizeof(timeout), "%d", t->timeout_seconds);
        char *argv[] = {"podctl-probe", "grpc",  "--host",    (char *)target_host(h, t),
                        "--port",       port,    "--service", h->service ? h->service : "",
                        "--timeout",    timeout, NULL};
        exec_helper(t, argv, wfd);
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
                pc_probe_say(wfd, "join the Pod's network namespace: %s", strerror(errno));
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
                pc_probe_say(wfd, "unsupported handler");
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
                /* The attempt joins the container's cgroup through fds held
                 * for the container's run (a failure: by path, as before). */
                pc_error ignore;
                if (t->cgroup)
                        (void)pc_cgroup_keep_open(t->cgroup, &ignore);
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
