/* podctl-keeper: the process of a Pod that outlives its monitor.
 *
 * One per Pod, started in the monitor's place by the CLI (src/pod/pod.c): it
 * forks and execs podctl-monitor and stays its parent. It is
 * PR_SET_CHILD_SUBREAPER, so when the monitor dies the Pod's processes
 * (pause, containers, probe and hook attempts) become its children. It does
 * three things only:
 *
 *  - holds a copy of the read end of every container's stdout/stderr pipe,
 *    sent by the monitor over a SOCK_SEQPACKET socket (SCM_RIGHTS), so a
 *    writer never gets EPIPE/SIGPIPE while no monitor reads: its output
 *    waits in the pipe (1 MiB) until a monitor is back;
 *  - reaps every child other than the monitor and records it: one line
 *    "<pid> <wait status> <CLOCK_REALTIME ns>\n" appended to
 *    <pod dir>/exits.log, and the same as a message to the monitor when one
 *    is connected (after a re-adoption the old containers are the keeper's
 *    children, not the monitor's);
 *  - on SIGHUP, when no monitor runs, starts `podctl-monitor --adopt`, hands
 *    it every held fd (then PC_KEEP_END) on a new socket, and carries on.
 *
 * It exits when its monitor exits with status 0 (the Pod is done), or when the
 * first monitor fails its setup (status other than 3; the CLI removes the
 * Pod). An adopting monitor that fails exits with 3: the keeper stays, the
 * Pod can be adopted again.
 *
 * Every fd it holds is O_CLOEXEC: the monitor it execs gets only its socket
 * (fd 5) and, the first time, the CLI's lock and report fds (3, 4), which the
 * keeper closes right after. Signals are blocked and taken from a signalfd.
 * Built static with musl, no stdio (see the Makefile); a few KB resident.
 *
 * Usage: podctl-keeper POD_DIR MONITOR_BINARY [MONITOR ARGS...]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

#define MAX_HELD 256
#define MAX_ARGS 64

static struct {
        char tag[PC_KEEP_TAG_MAX];
        int fd;
} held[MAX_HELD];
static int n_held;

static void put(int fd, const char *s)
{
        size_t len = strlen(s);
        while (len > 0) {
                ssize_t r = write(fd, s, len);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                s += r;
                len -= (size_t)r;
        }
}

/* Decimal of v into buf (signed). */
static char *num(char *end, long long v)
{
        unsigned long long u = v < 0 ? (unsigned long long)(-v) : (unsigned long long)v;
        *--end = '\0';
        do {
                *--end = (char)('0' + u % 10);
                u /= 10;
        } while (u);
        if (v < 0)
                *--end = '-';
        return end;
}

static void drop(const char *tag)
{
        for (int i = 0; i < n_held; i++) {
                if (strcmp(held[i].tag, tag) != 0)
                        continue;
                close(held[i].fd);
                held[i] = held[--n_held];
                return;
        }
}

static void hold(const char *tag, int fd)
{
        drop(tag);
        if (n_held == MAX_HELD) {
                close(fd);
                return;
        }
        memcpy(held[n_held].tag, tag, PC_KEEP_TAG_MAX);
        held[n_held].tag[PC_KEEP_TAG_MAX - 1] = '\0';
        held[n_held].fd = fd;
        n_held++;
}

/* One message from the monitor: 1 read, 0 none waiting, -1 the socket is closed. */
static int recv_msg(int sock)
{
        struct pc_keep_msg m;
        struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr mh = {.msg_iov = &iov,
                            .msg_iovlen = 1,
                            .msg_control = u.buf,
                            .msg_controllen = sizeof(u.buf)};
        ssize_t r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        if (r < 0 && errno == EINTR)
                return 1;
        if (r < 0 && errno == EAGAIN)
                return 0;
        if (r <= 0)
                return -1;
        int fd = -1;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                        memcpy(&fd, CMSG_DATA(c), sizeof(int));
        if ((size_t)r != sizeof(m)) {
                if (fd >= 0)
                        close(fd);
                return 1;
        }
        m.tag[PC_KEEP_TAG_MAX - 1] = '\0';
        if (m.op == PC_KEEP_HOLD && fd >= 0)
                hold(m.tag, fd);
        else if (fd >= 0)
                close(fd);
        if (m.op == PC_KEEP_DROP)
                drop(m.tag);
        return 1;
}

static char *args[MAX_ARGS + 8];
static int n_base;

/* Fork and exec the monitor with its socket as fd 5. */
static pid_t launch(int first, int *sock)
{
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -1;
        int n = n_base;
        if (first) {
                args[n++] = "--lock-fd";
                args[n++] = "3";
                args[n++] = "--report-fd";
                args[n++] = "4";
        } else {
                args[n++] = "--adopt";
                /* Everything held, then the end mark: queued in the socket
                 * before the monitor runs, so it reads them at once. */
                for (int i = 0; i < n_held; i++) {
                        struct pc_keep_msg m = {.op = PC_KEEP_HOLD};
                        memcpy(m.tag, held[i].tag, PC_KEEP_TAG_MAX);
                        pc_keep_send(sv[0], &m, held[i].fd);
                }
                struct pc_keep_msg e = {.op = PC_KEEP_END};
                pc_keep_send(sv[0], &e, -1);
        }
        args[n++] = "--keeper-fd";
        args[n++] = "5";
        args[n] = NULL;
        pid_t pid = fork();
        if (pid < 0) {
                close(sv[0]);
                close(sv[1]);
                return -1;
        }
        if (pid == 0) {
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                if (dup2(sv[1], 5) < 0) /* dup2 clears FD_CLOEXEC */
                        _exit(127);
                execv(args[0], args);
                _exit(127);
        }
        close(sv[1]);
        *sock = sv[0];
        return pid;
}

static void record(int log_fd, int sock, pid_t pid, int status)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        long long ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
        char a[24], b[24], c[24], line[80];
        line[0] = '\0';
        strcat(line, num(a + sizeof(a), pid));
        strcat(line, " ");
        strcat(line, num(b + sizeof(b), status));
        strcat(line, " ");
        strcat(line, num(c + sizeof(c), ns));
        strcat(line, "\n");
        put(log_fd, line); /* O_APPEND: one write, one line */
        if (sock >= 0) {
                struct pc_keep_msg m = {
                    .op = PC_KEEP_EXIT, .pid = pid, .status = status, .time_ns = ns};
                pc_keep_send(sock, &m, -1);
        }
}

int main(int argc, char **argv)
{
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        if (argc < 3 || argc - 2 > MAX_ARGS) {
                put(2, "usage: podctl-keeper POD_DIR MONITOR_BINARY [ARGS...]\n");
                return 2;
        }
        for (int i = 2; i < argc; i++)
                args[n_base++] = argv[i];
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        prctl(PR_SET_NAME, "podctl-keeper");

        char path[4096];
        if (strlen(argv[1]) > sizeof(path) - 16) {
                put(2, "podctl-keeper: pod dir too long\n");
                return 2;
        }
        strcpy(path, argv[1]);
        strcat(path, "/exits.log");
        int log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        sigset_t want;
        sigemptyset(&want);
        sigaddset(&want, SIGCHLD);
        sigaddset(&want, SIGHUP);
        int sfd = signalfd(-1, &want, SFD_CLOEXEC | SFD_NONBLOCK);
        if (log_fd < 0 || sfd < 0) {
                put(2, "podctl-keeper: cannot open exits.log or signalfd\n");
                return 1;
        }

        int sock = -1, launches = 1;
        pid_t mon = launch(1, &sock);
        /* The CLI's lock (held by the monitor now) and report pipe: ours
         * would keep the lock taken and the report open after the monitor. */
        close(3);
        close(4);
        if (mon < 0) {
                put(2, "podctl-keeper: cannot start the monitor\n");
                return 1;
        }

        for (;;) {
                struct pollfd p[2] = {{.fd = sfd, .events = POLLIN},
                                      {.fd = sock, .events = POLLIN}};
                int n = poll(p, sock >= 0 ? 2 : 1, -1);
                if (n < 0 && errno != EINTR)
                        return 1;
                if (sock >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
                        int r;
                        while ((r = recv_msg(sock)) > 0)
                                ;
                        if (r < 0) {
                                close(sock); /* the monitor went away */
                                sock = -1;
                        }
                }
                struct signalfd_siginfo si;
                int hup = 0;
                while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                        hup |= si.ssi_signo == SIGHUP;
                for (;;) {
                        int status;
                        pid_t pid = waitpid(-1, &status, WNOHANG);
                        if (pid < 0 && errno == EINTR)
                                continue;
                        if (pid <= 0)
                                break;
                        if (pid != mon) {
                                record(log_fd, sock, pid, status);
                                continue;
                        }
                        mon = 0;
                        if (sock >= 0) {
                                close(sock);
                                sock = -1;
                        }
                        if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 ||
                                                  (launches == 1 && WEXITSTATUS(status) != 3)))
                                return 0; /* the Pod is done (or never was) */
                }
                if (hup && mon == 0) {
                        launches++;
                        mon = launch(0, &sock);
                        if (mon < 0)
                                mon = 0;
                }
        }
}
