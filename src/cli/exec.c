/* podctl exec POD [-c CONTAINER] [-i] [-t] -- COMMAND [ARGS...]
 * The exit status is the command's.
 *
 * -i: the command's stdin is ours (EOF included); without it, /dev/null.
 * -t (with -i, on a terminal; kubectl's rules): the command gets a
 * pseudo-terminal of the container's own /dev/pts as its controlling terminal
 * (the library allocates it). Here our terminal goes raw and bytes are relayed
 * both ways: keys, ^C included, reach the pty's line discipline, which turns
 * ^C into SIGINT for the command's foreground process group. The window size
 * follows ours (SIGWINCH). The terminal is restored on every way out: the
 * command's end, a hangup of our terminal, SIGTERM/SIGHUP/SIGINT/SIGQUIT
 * (then the command is hung up and killed, and we exit 128+signal). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/cleanup.h"

enum { P_STDIN, P_MASTER, P_PIDFD, P_SIG, P_N };

/* The relay loop proper. Returns 0 when the command is done (exited, or
 * every holder of the pty's slave closed it), -1 otherwise. */
static int relay_loop(struct pc_cli_tty *t, int master, pid_t pid, pc_error *err)
{
        /* The command's exit (Linux >= 5.3; without it, the end comes from the
         * pty: EIO once no process holds the slave). */
        _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        char in[4096], out[16384];
        size_t in_len = 0, in_off = 0;
        bool exited = false;
        for (;;) {
                struct pollfd p[P_N] = {
                    [P_STDIN] = {.fd = in_len || exited ? -1 : 0, .events = POLLIN},
                    [P_MASTER] = {.fd = master, .events = POLLIN | (in_len ? POLLOUT : 0)},
                    [P_PIDFD] = {.fd = exited ? -1 : pidfd, .events = POLLIN},
                    [P_SIG] = {.fd = t->sig_pipe[0], .events = POLLIN},
                };
                /* Once the command has exited, what it wrote is still relayed;
                 * a quiet pty (or EIO: no slave left) ends it. */
                int r = poll(p, P_N, exited ? 100 : -1);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return pc_fail(err, errno, "poll");
                if (r == 0)
                        return 0;
                if (p[P_SIG].revents) {
                        unsigned char sig;
                        while (read(t->sig_pipe[0], &sig, 1) == 1) {
                                if (sig == SIGWINCH) {
                                        pc_cli_tty_winsize(master);
                                } else {
                                        t->got_signal = sig;
                                        return pc_fail(err, EINTR, "interrupted by signal %d", sig);
                                }
                        }
                }
                if (p[P_MASTER].revents & (POLLIN | POLLHUP | POLLERR)) {
                        ssize_t n = read(master, out, sizeof(out));
                        if (n > 0 && pc_cli_write_all(1, out, (size_t)n) < 0)
                                return pc_fail(err, errno, "write to stdout");
                        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                                return 0; /* EIO: nobody holds the slave any more */
                }
                if (in_len && (p[P_MASTER].revents & POLLOUT)) {
                        ssize_t n = write(master, in + in_off, in_len);
                        if (n > 0) {
                                in_off += (size_t)n;
                                in_len -= (size_t)n;
                        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                                in_len = 0; /* EIO: the reading side is gone */
                        }
                }
                if (p[P_STDIN].revents) {
                        ssize_t n = read(0, in, sizeof(in));
                        if (n > 0) {
                                in_off = 0;
                                in_len = (size_t)n;
                        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                                /* Our terminal hung up: so does the command's. */
                                return pc_fail(err, 0, "the terminal hung up");
                        }
                }
                if (p[P_PIDFD].revents)
                        exited = true;
        }
}

static int relay(void *data, int master, pid_t pid, pc_error *err)
{
        struct pc_cli_tty *t = data;
        int r = pc_cli_tty_raw(t, master, err);
        if (r == 0)
                r = relay_loop(t, master, pid, err);
        pc_cli_tty_restore(t);
        return r;
}

int cmd_exec(struct pc_cli *cli, int argc, char **argv)
{
        struct podctl_exec_opts opts = {0};
        const char *pod = NULL, *v;
        int i;
        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--")) {
                        i++;
                        break;
                }
                if ((v = pc_cli_flag(argc, argv, &i, "-c")) ||
                    (v = pc_cli_flag(argc, argv, &i, "--container")))
                        opts.container = v;
                else if (!strcmp(argv[i], "-i") || !strcmp(argv[i], "--stdin"))
                        opts.stdin_open = true;
                else if (!strcmp(argv[i], "-t") || !strcmp(argv[i], "--tty"))
                        opts.tty = true;
                else if (!strcmp(argv[i], "-it") || !strcmp(argv[i], "-ti"))
                        opts.tty = opts.stdin_open = true;
                else if (argv[i][0] == '-')
                        return pc_cli_fail("unknown flag \"%s\" for exec", argv[i]);
                else if (!pod)
                        pod = argv[i];
                else
                        break; /* kubectl's deprecated form: exec POD CMD... */
        }
        if (!pod || i >= argc)
                return pc_cli_fail("usage: podctl exec POD [-c CONTAINER] [-i] [-t] -- COMMAND "
                                   "[ARGS...]");
        if (!strncmp(pod, "pod/", 4))
                pod += 4;
        opts.argv = argv + i;
        /* kubectl's rules: -t without -i is no terminal; -t on an input that is
         * not a terminal warns and streams without one. */
        if (opts.tty && !opts.stdin_open)
                opts.tty = false;
        if (opts.tty && !isatty(0)) {
                fputs("Unable to use a TTY - input is not a terminal or the right kind of file\n",
                      stderr);
                opts.tty = false;
        }
        struct pc_cli_tty t = {.sig_pipe = {-1, -1}};
        if (opts.tty) {
                struct winsize ws;
                if (ioctl(0, TIOCGWINSZ, &ws) == 0) {
                        opts.rows = ws.ws_row;
                        opts.cols = ws.ws_col;
                }
                opts.term = getenv("TERM");
                opts.relay = relay;
                opts.relay_data = &t;
        }
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        int status = 0;
        if (podctl_pod_exec(ctx, cli->namespace_, pod, &opts, &status, &err) < 0) {
                if (t.got_signal)
                        return 128 + t.got_signal;
                return pc_cli_die(&err);
        }
        return status;
}
