/* Our terminal for a remote one (exec -t, attach -t): raw mode, the window
 * size copied to the remote terminal's master (again on SIGWINCH), and the
 * terminating signals turned into bytes on a self-pipe, so the relay loop
 * restores the terminal on every way out. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/cleanup.h"

static const int relay_signals[PC_CLI_TTY_SIGNALS] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static int sig_pipe_w = -1;

static void on_signal(int sig)
{
        int saved = errno;
        unsigned char c = (unsigned char)sig;
        if (sig_pipe_w >= 0)
                (void)!write(sig_pipe_w, &c, 1);
        errno = saved;
}

void pc_cli_tty_winsize(int master)
{
        struct winsize ws;
        if (ioctl(0, TIOCGWINSZ, &ws) == 0 && (ws.ws_row || ws.ws_col))
                (void)ioctl(master, TIOCSWINSZ, &ws);
}

int pc_cli_write_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, buf, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN) {
                        struct pollfd p = {.fd = fd, .events = POLLOUT};
                        (void)poll(&p, 1, -1);
                        continue;
                }
                if (n < 0)
                        return -1;
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

int pc_cli_tty_raw(struct pc_cli_tty *t, int master, pc_error *err)
{
        if (pipe2(t->sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
                return pc_fail(err, errno, "pipe");
        sig_pipe_w = t->sig_pipe[1];
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal; /* no SA_RESTART: poll returns EINTR at once */
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < PC_CLI_TTY_SIGNALS; i++)
                sigaction(relay_signals[i], &sa, &t->old_sa[i]);
        /* A closed stdout must end the relay (EPIPE), not kill us raw. */
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, &t->old_pipe);
        pc_cli_tty_winsize(master);
        if (tcgetattr(0, &t->saved) < 0)
                return pc_fail(err, errno, "read the terminal's settings");
        struct termios raw = t->saved;
        cfmakeraw(&raw);
        /* Our handlers have no SA_RESTART: a signal here (a job-control
         * stop and continue of a background process group, SIGWINCH) is
         * EINTR, not a reason to give up. */
        int r;
        while ((r = tcsetattr(0, TCSANOW, &raw)) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return pc_fail(err, errno, "set the terminal to raw mode");
        t->raw = true;
        return 0;
}

void pc_cli_tty_restore(struct pc_cli_tty *t)
{
        if (t->raw)
                (void)tcsetattr(0, TCSANOW, &t->saved);
        t->raw = false;
        if (t->sig_pipe[1] >= 0) {
                for (size_t i = 0; i < PC_CLI_TTY_SIGNALS; i++)
                        sigaction(relay_signals[i], &t->old_sa[i], NULL);
                sigaction(SIGPIPE, &t->old_pipe, NULL);
        }
        sig_pipe_w = -1;
        for (int i = 0; i < 2; i++)
                if (t->sig_pipe[i] >= 0)
                        close(STEAL_FD(t->sig_pipe[i]));
}
