/* Running a helper program (a CNI plugin, iptables, a docker credential
 * helper): fork/exec, no shell; stdin fed and stdout/stderr read in full at
 * the same time with poll(), so neither side can block the other; a deadline
 * ends a hung program. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/run.h"
#include "util/util.h"

char *pc_find_exec(const char *path, const char *name)
{
        if (!name || !*name || strchr(name, '/'))
                return NULL;
        const char *p = path;
        while (p && *p) {
                const char *end = strchr(p, ':');
                size_t n = end ? (size_t)(end - p) : strlen(p);
                if (n > 0) {
                        char *cand = pc_xasprintf("%.*s/%s", (int)n, p, name);
                        struct stat st;
                        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
                                return cand;
                        free(cand);
                }
                p = end ? end + 1 : NULL;
        }
        return NULL;
}

struct buf {
        char *data;
        size_t len, cap;
};

static int buf_read(struct buf *b, int fd)
{
        if (b->cap - b->len < 4097) {
                b->cap = b->cap ? b->cap * 2 : 8192;
                b->data = pc_xrealloc(b->data, b->cap);
        }
        ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
        if (n > 0)
                b->len += (size_t)n;
        return (int)n;
}

static char *buf_take(struct buf *b)
{
        if (!b->data)
                return pc_xstrdup("");
        b->data[b->len] = '\0';
        char *r = b->data;
        b->data = NULL;
        return r;
}

int pc_run(char *const argv[], char *const envp[], const char *input, size_t in_len, int timeout_ms,
           char **out, char **errout, int *status, pc_error *err)
{
        int in[2] = {-1, -1}, o[2] = {-1, -1}, e[2] = {-1, -1};
        *out = *errout = NULL;
        /* stdin is a socket: send(MSG_NOSIGNAL) cannot raise SIGPIPE in a
         * caller that did not ignore it. */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0)
                return pc_fail(err, errno, "socketpair");
        if (pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0) {
                int saved = errno;
                for (int i = 0; i < 2; i++) {
                        pc_closep(&in[i]);
                        pc_closep(&o[i]);
                        pc_closep(&e[i]);
                }
                return pc_fail(err, saved, "pipe");
        }
        pid_t pid = fork();
        if (pid < 0) {
                int saved = errno;
                for (int i = 0; i < 2; i++) {
                        pc_closep(&in[i]);
                        pc_closep(&o[i]);
                        pc_closep(&e[i]);
                }
                return pc_fail(err, saved, "fork");
        }
        if (pid == 0) {
                /* Child: only async-signal-safe calls. */
                sigset_t all;
                sigemptyset(&all);
                sigprocmask(SIG_SETMASK, &all, NULL);
                signal(SIGPIPE, SIG_DFL);
                if (dup2(in[1], 0) < 0 || dup2(o[1], 1) < 0 || dup2(e[1], 2) < 0)
                        _exit(127);
                pc_close_fds_from(3, -1);
                execve(argv[0], argv, envp);
                static const char msg[] = "exec failed\n";
                ssize_t ignored = write(2, msg, sizeof(msg) - 1);
                (void)ignored;
                _exit(127);
        }
        _cleanup_pid_ pid_t child = pid;
        close(in[1]);
        close(o[1]);
        close(e[1]);
        _cleanup_close_ int fin = in[0];
        _cleanup_close_ int fout = o[0];
        _cleanup_close_ int ferr = e[0];
        fcntl(fin, F_SETFL, O_NONBLOCK);

        struct buf bo = {0}, be = {0};
        size_t sent = 0;
        if (in_len == 0)
                shutdown(fin, SHUT_WR);
        int64_t deadline = pc_monotonic_ns() + (int64_t)timeout_ms * 1000000;
        int rc = 0;
        while (fout >= 0 || ferr >= 0) {
                struct pollfd p[3];
                int np = 0, ii = -1, io = -1, ie = -1;
                if (sent < in_len) {
                        ii = np;
                        p[np++] = (struct pollfd){.fd = fin, .events = POLLOUT};
                }
                if (fout >= 0) {
                        io = np;
                        p[np++] = (struct pollfd){.fd = fout, .events = POLLIN};
                }
                if (ferr >= 0) {
                        ie = np;
                        p[np++] = (struct pollfd){.fd = ferr, .events = POLLIN};
                }
                int64_t left = (deadline - pc_monotonic_ns()) / 1000000;
                if (left <= 0) {
                        rc = pc_fail(err, ETIMEDOUT, "%s did not finish within %d s", argv[0],
                                     timeout_ms / 1000);
                        break;
                }
                int n = poll(p, (nfds_t)np, (int)left);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        rc = pc_fail(err, errno, "poll");
                        break;
                }
                if (ii >= 0 && p[ii].revents) {
                        ssize_t w = send(fin, input + sent, in_len - sent, MSG_NOSIGNAL);
                        if (w > 0)
                                sent += (size_t)w;
                        else if (w < 0 && errno != EAGAIN && errno != EINTR)
                                sent = in_len; /* the plugin does not read stdin */
                        if (sent >= in_len)
                                shutdown(fin, SHUT_WR);
                }
                if (io >= 0 && p[io].revents) {
                        int r = buf_read(&bo, fout);
                        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
                                pc_closep(&fout), fout = -1;
                }
                if (ie >= 0 && p[ie].revents) {
                        int r = buf_read(&be, ferr);
                        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
                                pc_closep(&ferr), ferr = -1;
                }
        }
        if (rc < 0) {
                free(bo.data);
                free(be.data);
                return rc; /* child killed and reaped by its cleanup */
        }
        int st = 0;
        for (;;) {
                pid_t w = waitpid(child, &st, 0);
                if (w == child)
                        break;
                if (w < 0 && errno == EINTR)
                        continue;
                int saved = errno;
                free(bo.data);
                free(be.data);
                child = -1;
                return pc_fail(err, saved, "waitpid %s", argv[0]);
        }
        child = -1;
        *status = st;
        *out = buf_take(&bo);
        *errout = buf_take(&be);
        return 0;
}
