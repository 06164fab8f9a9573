/* podctl attach POD [-c CONTAINER] [-i] [-t] [-q]
 * The container's live output from now on (stdout to stdout, stderr to
 * stderr) until its current run ends. The source is the log file the monitor
 * writes (logs.c follows it from its current end, woken by inotify), so
 * attaching never disturbs the container and any number of attaches can run
 * at once.
 *
 * -i (a container with `stdin: true`): our stdin goes to the container's.
 * The monitor hands us its stdin (the pipe's write end, or the terminal's
 * master with `tty: true`) over its control channel, and we write into it
 * directly. Our EOF closes our copy: with `stdinOnce: true` it was the last
 * one, so the container reads EOF (the monitor gave its own to the first
 * attach); without it the container's stdin stays open for the next attach.
 *
 * -t, as kubectl: a container with a terminal gets one whether -t is given
 * or not; -t on a container without one is an error message and no
 * terminal. On our own terminal it goes raw (keys, ^C included, reach the
 * container's line discipline), its window size is the container's (again
 * on every SIGWINCH) and Ctrl-P Ctrl-Q detaches, leaving the container
 * running. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "pod/control.h"
#include "util/cleanup.h"

#define CTRL_P 0x10
#define CTRL_Q 0x11

struct relay {
        int fd;           /* the container's stdin; -1 once closed */
        bool escape;      /* raw terminal: Ctrl-P Ctrl-Q detaches */
        bool held_ctrl_p; /* a Ctrl-P that may start the escape */
        bool detached;
        struct pc_cli_tty tty;
};

static void close_input(struct relay *r)
{
        if (r->fd >= 0)
                close(STEAL_FD(r->fd));
}

/* Our stdin has bytes (index 0) or a signal came (index 1). */
static int on_ready(void *data, int index)
{
        struct relay *r = data;
        if (index == 1) {
                unsigned char sig;
                while (read(r->tty.sig_pipe[0], &sig, 1) == 1) {
                        if (sig == SIGWINCH) {
                                pc_cli_tty_winsize(r->fd);
                                continue;
                        }
                        r->tty.got_signal = sig;
                        return -1;
                }
                return 0;
        }
        char buf[4096 + 1];
        size_t off = 0;
        if (r->held_ctrl_p) {
                buf[off++] = CTRL_P;
                r->held_ctrl_p = false;
        }
        ssize_t n = read(0, buf + off, sizeof(buf) - off);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (n <= 0) {
                /* our EOF is the container's once nobody else holds its stdin */
                close_input(r);
                return 1;
        }
        size_t len = off + (size_t)n;
        if (r->escape) {
                for (size_t i = 0; i + 1 < len; i++) {
                        if (buf[i] == CTRL_P && buf[i + 1] == CTRL_Q) {
                                if (i > 0)
                                        (void)pc_cli_write_all(r->fd, buf, i);
                                r->detached = true;
                                return -1;
                        }
                }
                if (buf[len - 1] == CTRL_P) {
                        r->held_ctrl_p = true; /* the next read says */
                        len--;
                }
        }
        if (len > 0 && pc_cli_write_all(r->fd, buf, len) < 0) {
                close_input(r); /* EPIPE, EIO: the container's side is gone */
                return 1;
        }
        return 0;
}

int cmd_attach(struct pc_cli *cli, int argc, char **argv)
{
        const char *pod = NULL, *container = NULL, *v;
        bool want_stdin = false, want_tty = false, quiet = false;
        for (int i = 1; i < argc; i++) {
                if ((v = pc_cli_flag(argc, argv, &i, "-c")) ||
                    (v = pc_cli_flag(argc, argv, &i, "--container")))
                        container = v;
                else if (!strcmp(argv[i], "-i") || !strcmp(argv[i], "--stdin"))
                        want_stdin = true;
                else if (!strcmp(argv[i], "-t") || !strcmp(argv[i], "--tty"))
                        want_tty = true;
                else if (!strcmp(argv[i], "-it") || !strcmp(argv[i], "-ti"))
                        want_stdin = want_tty = true;
                else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
                        quiet = true;
                else if (argv[i][0] == '-')
                        return pc_cli_fail("unknown flag \"%s\" for attach", argv[i]);
                else if (!pod)
                        pod = argv[i];
                else
                        return pc_cli_fail("usage: podctl attach POD [-c CONTAINER] [-i] [-t]");
        }
        if (!pod)
                return pc_cli_fail("usage: podctl attach POD [-c CONTAINER] [-i] [-t]");
        if (!strncmp(pod, "pod/", 4))
                pod += 4;
        if (!want_stdin)
                return pc_cli_attach_stream(cli, pod, container, NULL);

        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        _cleanup_free_ char *name = NULL;
        if (!container) {
                if (!(name = pc_cli_default_container(ctx, cli->namespace_, pod, &err)))
                        return pc_cli_die(&err);
                container = name;
        }
        struct relay r = {.fd = -1, .tty = {.sig_pipe = {-1, -1}}};
        bool tty = false;
        if (podctl_pod_attach_stdin(ctx, cli->namespace_, pod, container, &r.fd, &tty, &err) < 0)
                return pc_cli_die(&err);
        /* kubectl's rules: the container's terminal decides, -t only warns */
        if (want_tty && !tty)
                fprintf(stderr, "error: Unable to use a TTY - container %s did not allocate one\n",
                        container);
        bool raw = tty && isatty(0);
        if (raw) {
                if (pc_cli_tty_raw(&r.tty, r.fd, &err) < 0) {
                        pc_cli_tty_restore(&r.tty);
                        close_input(&r);
                        return pc_cli_die(&err);
                }
                r.escape = true;
        } else {
                /* the container's end going away is EPIPE, not our death */
                signal(SIGPIPE, SIG_IGN);
                if (tty)
                        pc_cli_tty_winsize(r.fd);
        }
        struct pc_cli_attach_input in = {
            {0, r.tty.sig_pipe[0]},
            on_ready,
            &r,
            raw && !quiet ? "If you don't see a command prompt, try pressing enter.\r\n" : NULL};
        int rc = pc_cli_attach_stream(cli, pod, container, &in);
        pc_cli_tty_restore(&r.tty);
        close_input(&r);
        if (r.tty.got_signal)
                return 128 + r.tty.got_signal;
        if (raw && !quiet)
                fprintf(stderr,
                        "%sSession ended, resume using 'podctl attach %s -c %s -i -t' command "
                        "when the pod is running\n",
                        r.detached ? "\n" : "", pod, container);
        return rc;
}
