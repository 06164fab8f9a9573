/* podctl port-forward POD [LOCAL:]REMOTE ...
 *
 * kubectl's verb: listens on 127.0.0.1:LOCAL ("REMOTE" alone: LOCAL = REMOTE;
 * ":REMOTE" or "0:REMOTE": a random free port, printed) and prints
 * "Forwarding from 127.0.0.1:LOCAL -> REMOTE". Each accepted connection is
 * served by a child that enters the Pod's network namespace (the pause
 * process's, /proc/<pausePid>/ns/net, opened once) and connects to
 * 127.0.0.1:REMOTE there, then relays bytes both ways until both directions
 * are closed. Nothing of the container image is used. Ends on SIGINT/SIGTERM,
 * and with "error: lost connection to pod" when the pause process exits. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/util.h"

struct fwd {
        int local, remote;
        int fd; /* listening socket */
};

static int parse_port(const char *s, int *out)
{
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 0 || v > 65535)
                return -1;
        *out = (int)v;
        return 0;
}

static int parse_spec(const char *spec, struct fwd *f)
{
        const char *colon = strchr(spec, ':');
        if (!colon) {
                if (parse_port(spec, &f->remote) < 0 || f->remote == 0)
                        return -1;
                f->local = f->remote;
                return 0;
        }
        _cleanup_free_ char *l = pc_xasprintf("%.*s", (int)(colon - spec), spec);
        if (*l == '\0')
                f->local = 0;
        else if (parse_port(l, &f->local) < 0)
                return -1;
        if (parse_port(colon + 1, &f->remote) < 0 || f->remote == 0)
                return -1;
        return 0;
}

static int listen_local(struct fwd *f, pc_error *err)
{
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return pc_fail(err, errno, "socket");
        int one = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f->local)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 128) < 0) {
                int saved = errno;
                close(s);
                return pc_fail(err, saved, "unable to listen on port %d", f->local);
        }
        socklen_t len = sizeof(a);
        if (getsockname(s, (struct sockaddr *)&a, &len) == 0)
                f->local = ntohs(a.sin_port);
        f->fd = s;
        return 0;
}

/* Relay until both directions are done. */
static void relay(int a, int b)
{
        int fds[2] = {a, b};
        bool open_r[2] = {true, true}; /* still reading from fds[i] */
        static char buf[65536];
        while (open_r[0] || open_r[1]) {
                struct pollfd p[2];
                int map[2], n = 0;
                for (int i = 0; i < 2; i++)
                        if (open_r[i]) {
                                map[n] = i;
                                p[n++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
                        }
                if (poll(p, (nfds_t)n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                for (int k = 0; k < n; k++) {
                        if (!p[k].revents)
                                continue;
                        int i = map[k], o = 1 - i;
                        ssize_t r = read(fds[i], buf, sizeof(buf));
                        if (r < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        if (r <= 0) {
                                open_r[i] = false;
                                shutdown(fds[o], SHUT_WR);
                                if (r < 0)
                                        return; /* reset: give up both ways */
                                continue;
                        }
                        for (ssize_t off = 0; off < r;) {
                                ssize_t w =
                                    send(fds[o], buf + off, (size_t)(r - off), MSG_NOSIGNAL);
                                if (w < 0 && errno == EINTR)
                                        continue;
                                if (w <= 0)
                                        return;
                                off += w;
                        }
                }
        }
}

static void serve(int conn, int netns_fd, int remote)
{
        if (setns(netns_fd, CLONE_NEWNET) < 0) {
                fprintf(stderr, "error: enter the pod's network namespace: %s\n", strerror(errno));
                _exit(1);
        }
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)remote)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
                fprintf(stderr,
                        "E0000 an error occurred forwarding -> %d: error forwarding port %d to "
                        "pod: connect 127.0.0.1:%d: %s\n",
                        remote, remote, remote, strerror(errno));
                _exit(1);
        }
        relay(conn, s);
        _exit(0);
}

int cmd_port_forward(struct pc_cli *cli, int argc, char **argv)
{
        const char *pod = NULL;
        struct fwd *fw = NULL;
        size_t nfw = 0;
        for (int i = 1; i < argc; i++) {
                if (argv[i][0] == '-' && argv[i][1])
                        return free(fw),
                               pc_cli_fail("unknown flag \"%s\" for port-forward", argv[i]);
                if (!pod) {
                        pod = argv[i];
                        continue;
                }
                fw = pc_xrealloc(fw, (nfw + 1) * sizeof(*fw));
                if (parse_spec(argv[i], &fw[nfw]) < 0) {
                        free(fw);
                        return pc_cli_fail("invalid port specification \"%s\" "
                                           "(want [LOCAL:]REMOTE)",
                                           argv[i]);
                }
                fw[nfw++].fd = -1;
        }
        _cleanup_free_ struct fwd *fwds = fw;
        if (!pod || nfw == 0)
                return pc_cli_fail("usage: podctl port-forward POD [LOCAL:]REMOTE ...");
        if (!strncmp(pod, "pod/", 4) || !strncmp(pod, "pods/", 5))
                pod = strchr(pod, '/') + 1;
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        json_t *info = NULL;
        if (podctl_pod_inspect(ctx, cli->namespace_, pod, &info, &err) < 0)
                return pc_cli_die(&err);
        json_t *rt = json_object_get(info, "runtime");
        pid_t pause = (pid_t)json_integer_value(json_object_get(rt, "pausePid"));
        uint64_t start = (uint64_t)json_integer_value(json_object_get(rt, "pauseStart"));
        json_decref(info);
        if (pause <= 0 || (start && !pc_proc_alive(pause, start)))
                return pc_cli_fail("pod \"%s\" is not running", pod);
        /* pidfd: readable when pause exits, i.e. when the Pod goes away */
        _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pause, 0);
        _cleanup_free_ char *nspath = pc_xasprintf("/proc/%d/ns/net", pause);
        _cleanup_close_ int netns = open(nspath, O_RDONLY | O_CLOEXEC);
        if (pidfd < 0 || netns < 0 || (start && !pc_proc_alive(pause, start)))
                return pc_cli_fail("pod \"%s\" is not running", pod);

        for (size_t i = 0; i < nfw; i++)
                if (listen_local(&fwds[i], &err) < 0) {
                        for (size_t k = 0; k < i; k++)
                                close(fwds[k].fd);
                        return pc_cli_die(&err);
                }
        for (size_t i = 0; i < nfw; i++)
                printf("Forwarding from 127.0.0.1:%d -> %d\n", fwds[i].local, fwds[i].remote);
        fflush(stdout);

        sigset_t set, old;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGCHLD);
        sigprocmask(SIG_BLOCK, &set, &old);
        _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        int rc = 0;
        struct pollfd *p = pc_xcalloc(nfw + 2, sizeof(*p));
        for (;;) {
                p[0] = (struct pollfd){.fd = sfd, .events = POLLIN};
                p[1] = (struct pollfd){.fd = pidfd, .events = POLLIN};
                for (size_t i = 0; i < nfw; i++)
                        p[i + 2] = (struct pollfd){.fd = fwds[i].fd, .events = POLLIN};
                if (poll(p, nfw + 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        rc = pc_cli_fail("poll: %s", strerror(errno));
                        break;
                }
                if (p[0].revents) {
                        struct signalfd_siginfo si;
                        bool stop = false;
                        while (read(sfd, &si, sizeof(si)) == sizeof(si))
                                if (si.ssi_signo != SIGCHLD)
                                        stop = true;
                        while (waitpid(-1, NULL, WNOHANG) > 0)
                                ;
                        if (stop)
                                break;
                }
                if (p[1].revents) {
                        rc = pc_cli_fail("lost connection to pod");
                        break;
                }
                for (size_t i = 0; i < nfw; i++) {
                        if (!p[i + 2].revents)
                                continue;
                        int c = accept4(fwds[i].fd, NULL, NULL, SOCK_CLOEXEC);
                        if (c < 0)
                                continue;
                        printf("Handling connection for %d\n", fwds[i].local);
                        fflush(stdout);
                        pid_t child = fork();
                        if (child == 0) {
                                prctl(PR_SET_PDEATHSIG, SIGKILL);
                                if (getppid() == 1)
                                        _exit(0);
                                sigprocmask(SIG_SETMASK, &old, NULL);
                                signal(SIGPIPE, SIG_IGN);
                                for (size_t k = 0; k < nfw; k++)
                                        close(fwds[k].fd);
                                serve(c, netns, fwds[i].remote);
                        }
                        if (child < 0)
                                fprintf(stderr, "error: fork: %s\n", strerror(errno));
                        close(c);
                }
        }
        free(p);
        for (size_t i = 0; i < nfw; i++)
                close(fwds[i].fd);
        /* connections in flight end with us (PR_SET_PDEATHSIG) */
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
        sigprocmask(SIG_SETMASK, &old, NULL);
        return rc;
}
