/* pause: the process that holds a pod's namespaces open.
 *
 * It does nothing but wait for signals, so it is safe as PID 1 of a pod's
 * PID namespace as well as an ordinary process:
 *
 *  - every catchable signal is blocked from the first instruction of main()
 *    and taken synchronously with sigwaitinfo(), so there are no signal
 *    handlers and no async-signal-safety concerns at all;
 *  - SIGCHLD: reap with waitpid(-1, WNOHANG) until nothing is left, so
 *    processes reparented to it (as init of a shared PID namespace) never
 *    stay zombies. SIGCHLD notifications coalesce, hence the loop;
 *  - SIGTERM, SIGINT: exit with status 0 (as the Kubernetes pause does:
 *    being asked to stop is the normal end of a pod sandbox, not a failure);
 *  - every other signal is ignored.
 *
 * Because the signals are blocked (not left at SIG_DFL), the kernel queues
 * them for PID 1 of a namespace too, so SIGTERM sent from inside the pod
 * works the same as from the host.
 *
 * Readiness: once its signals are blocked, pause writes one newline to its
 * standard output and closes it. The runtime gives it a pipe there and
 * waits for that byte, so a pause that dies at once is an error of the
 * sandbox, not a Pod that looked created.
 *
 * Usage: pause          run
 *        pause -v       print the version on stdout, exit 0
 *        anything else  usage on stderr, exit 2
 *
 * Built static with musl (see the Makefile); it uses no stdio to stay small.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PAUSE_VERSION
#define PAUSE_VERSION "0.1.0"
#endif

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

static void reap(void)
{
        for (;;) {
                pid_t p = waitpid(-1, NULL, WNOHANG);
                if (p > 0)
                        continue;
                if (p < 0 && errno == EINTR)
                        continue;
                return; /* 0: children left but none exited; -1/ECHILD: none */
        }
}

int main(int argc, char **argv)
{
        sigset_t all;

        sigfillset(&all);
        if (sigprocmask(SIG_BLOCK, &all, NULL) < 0) {
                put(2, "pause: sigprocmask failed\n");
                return 1;
        }

        if (argc == 2 && strcmp(argv[1], "-v") == 0) {
                put(1, "pause (podctl) " PAUSE_VERSION "\n");
                return 0;
        }
        if (argc != 1) {
                put(2, "usage: pause [-v]\n");
                return 2;
        }

        /* Ready: tell whoever holds the other end of stdout, then let go of it. */
        if (write(1, "\n", 1) < 0) {
                /* no reader (run by hand with stdout closed): nothing to tell */
        }
        close(1);

        /* Children may predate us (e.g. exec'ed into from a process that
         * had some); collect those that already exited. */
        reap();

        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&all, &si);
                if (sig < 0) {
                        if (errno == EINTR)
                                continue;
                        put(2, "pause: sigwaitinfo failed\n");
                        return 1;
                }
                switch (sig) {
                case SIGCHLD:
                        reap();
                        break;
                case SIGTERM:
                case SIGINT:
                        return 0;
                default:
                        break;
                }
        }
}
