/* Image pulls of a Pod, as the kubelet shows them.
 *
 * The CLI admits a Pod whose image is missing (or whose policy is Always)
 * and records {"pull": ...} for that container in images.json. Before the
 * container's first start the monitor runs a helper, the podctl binary's
 * `image pull-for-pod` (the monitor itself links no registry code and no
 * libcurl), which pulls into the store and writes the resolved image record
 * to <pod dir>/pull-<container>.json; its output goes to pull-<container>.log,
 * its layer progress to pull-<container>.progress (apply shows it on a tty).
 * Meanwhile the container waits with reason ContainerCreating (events
 * Pulling, then Pulled). A failure is ErrImagePull (event Failed with the
 * registry's error), then ImagePullBackOff (event BackOff) until the next
 * attempt: the kubelet's backoff, 10 s doubling up to 300 s (scaled by
 * PODCTL_TIME_SCALE). Never with a missing image is ErrImageNeverPull.
 * Under Always the image is pulled again before every restart of the
 * container (only what changed is downloaded). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "util/util.h"

#define NS                   1000000000LL
#define PULL_BACKOFF_INITIAL (10 * NS)
#define PULL_BACKOFF_MAX     (300 * NS)

static int64_t scaled(const struct pc_monitor *m, int64_t ns)
{
        return (int64_t)((double)ns * m->time_scale);
}

static void set(char **dst, const char *s)
{
        free(*dst);
        *dst = pc_xstrdup(s);
}

void pc_pull_init(struct pc_monitor *m, struct pc_ctr *c, json_t *pull)
{
        if (json_is_true(json_object_get(pull, "never"))) {
                c->never_pull = true;
                set(&c->reason, "ErrImageNeverPull");
                free(c->message);
                c->message =
                    pc_xasprintf("Container image \"%s\" is not present with pull policy of Never",
                                 c->spec->image);
                return;
        }
        c->pull_pending = true;
        c->pull_always =
            c->spec->image_pull_policy && !strcmp(c->spec->image_pull_policy, "Always");
        (void)m;
}

void pc_pull_before_restart(struct pc_ctr *c)
{
        /* Always: the tag is resolved again at every container start */
        if (c->pull_always && c->ever_started && !c->pull_pending && !c->pulled_now) {
                c->pull_pending = true;
                c->pull_attempts = 0;
                c->pull_backoff = 0;
                c->pull_due = 0;
        }
}

bool pc_pull_needed(const struct pc_ctr *c)
{
        return c->pull_pending || c->never_pull;
}

static char *pull_file(const struct pc_monitor *m, const struct pc_ctr *c, const char *ext)
{
        return pc_xasprintf("%s/pull-%s.%s", m->pod_dir, c->spec->name, ext);
}

static const char *helper(void)
{
        const char *h = getenv("PODCTL_PULL_HELPER");
        return h && *h ? h : "podctl";
}

void pc_pull_start(struct pc_monitor *m, struct pc_ctr *c)
{
        if (c->never_pull) {
                if (!c->never_reported) {
                        c->never_reported = true;
                        pc_monitor_event(m, c, true, "ErrImageNeverPull", "%s", c->message);
                        pc_monitor_event(m, c, true, "Failed", "Error: ErrImageNeverPull");
                }
                return;
        }
        if (c->pull_pid > 0 || (c->pull_due && c->pull_due > pc_monotonic_ns()))
                return;
        _cleanup_free_ char *log = pull_file(m, c, "log");
        _cleanup_free_ char *out = pull_file(m, c, "json");
        _cleanup_free_ char *prog = pull_file(m, c, "progress");
        unlink(out);
        unlink(prog);
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0) {
                c->pull_due = pc_monotonic_ns() + scaled(m, PULL_BACKOFF_INITIAL);
                return;
        }
        if (pid == 0) {
                /* a monitor that dies (SIGKILL) takes its pull with it */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                        _exit(127);
                sigset_t all;
                sigfillset(&all);
                sigprocmask(SIG_UNBLOCK, &all, NULL);
                int nfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                int lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
                if (nfd < 0 || lfd < 0 || dup2(nfd, 0) < 0 || dup2(lfd, 1) < 0 || dup2(lfd, 2) < 0)
                        _exit(127);
                pc_close_fds_from(3, -1);
                const char *bin = helper();
                char *argv[] = {(char *)bin,    "--root",    m->root.root, "image",
                                "pull-for-pod", "--pod-dir", m->pod_dir,   "--container",
                                c->spec->name,  "--out",     out,          "--progress",
                                prog,           NULL};
                if (strchr(bin, '/'))
                        execv(bin, argv);
                else
                        execvp(bin, argv);
                _exit(127);
        }
        c->pull_pid = pid;
        c->pull_started = pc_monotonic_ns();
        c->pull_due = 0;
        c->state = CTR_WAITING;
        if (c->pull_attempts++ == 0) {
                /* a retry keeps showing the last failure until it ends, as the kubelet */
                set(&c->reason, "ContainerCreating");
                free(c->message);
                c->message = NULL;
        }
        pc_monitor_event(m, c, false, "Pulling", "Pulling image \"%s\"", c->spec->image);
}

/* The helper's error: the last "error: " line of its log. */
static char *pull_error(const struct pc_monitor *m, const struct pc_ctr *c, int status)
{
        _cleanup_free_ char *log = pull_file(m, c, "log");
        _cleanup_free_ char *data = NULL;
        size_t n = 0;
        pc_error e;
        char *msg = NULL;
        if (pc_read_file(log, &data, &n, &e) == 0) {
                for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n"))
                        if (pc_str_has_prefix(line, "error: ")) {
                                free(msg);
                                msg = pc_xstrdup(line + 7);
                        }
        }
        if (msg)
                return msg;
        if (WIFSIGNALED(status))
                return pc_xasprintf("the pull helper was killed by signal %d", WTERMSIG(status));
        return pc_xasprintf("the pull helper %s exited with status %d", helper(),
                            WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void pull_done(struct pc_monitor *m, struct pc_ctr *c, int status)
{
        int64_t took = pc_monotonic_ns() - c->pull_started;
        c->pull_pid = 0;
        if (m->state == POD_TERMINATING || m->state == POD_DONE)
                return;
        _cleanup_free_ char *out = pull_file(m, c, "json");
        json_t *rec = NULL;
        pc_error err;
        struct pc_image *img = NULL;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && pc_json_load(out, &rec, &err) == 0 &&
            pc_image_from_json(rec, &img, &err) == 0) {
                pc_image_free(c->image); /* a restart under Always: the image pulled again */
                c->image = img;
                json_decref(rec);
                c->pull_pending = false;
                c->pulled_now = true;
                c->pull_backoff = 0;
                pc_monitor_event(m, c, false, "Pulled",
                                 "Successfully pulled image \"%s\" in %.3fs (%.3fs including "
                                 "waiting). Image size: %lld bytes.",
                                 c->spec->image, (double)took / 1e9, (double)took / 1e9,
                                 (long long)c->image->size);
                c->restart_due = 1; /* due now: the state machine starts it */
                return;
        }
        json_decref(rec);
        _cleanup_free_ char *msg = pull_error(m, c, status);
        set(&c->reason, "ErrImagePull");
        free(c->message);
        c->message = pc_xasprintf("%s", msg);
        pc_monitor_event(m, c, true, "Failed", "Failed to pull image \"%s\": %s", c->spec->image,
                         msg);
        pc_monitor_event(m, c, true, "Failed", "Error: ErrImagePull");
        c->pull_backoff = c->pull_backoff ? c->pull_backoff * 2 : PULL_BACKOFF_INITIAL;
        if (c->pull_backoff > PULL_BACKOFF_MAX)
                c->pull_backoff = PULL_BACKOFF_MAX;
        int64_t now = pc_monotonic_ns();
        c->pull_due = now + scaled(m, c->pull_backoff);
        if (c->pull_due == 0)
                c->pull_due = 1;
        /* shown as ErrImagePull for a moment, then ImagePullBackOff */
        c->pull_backoff_at = now + scaled(m, NS);
}

bool pc_pull_reaped(struct pc_monitor *m, pid_t pid, int status)
{
        struct pc_ctr *sets[2] = {m->init, m->app};
        size_t ns[2] = {m->n_init, m->n_app};
        for (int k = 0; k < 2; k++)
                for (size_t i = 0; i < ns[k]; i++)
                        if (sets[k][i].pull_pid == pid) {
                                pull_done(m, &sets[k][i], status);
                                return true;
                        }
        return false;
}

void pc_pull_tick(struct pc_monitor *m)
{
        if (m->state == POD_TERMINATING || m->state == POD_DONE)
                return;
        int64_t now = pc_monotonic_ns();
        struct pc_ctr *sets[2] = {m->init, m->app};
        size_t ns[2] = {m->n_init, m->n_app};
        for (int k = 0; k < 2; k++)
                for (size_t i = 0; i < ns[k]; i++) {
                        struct pc_ctr *c = &sets[k][i];
                        if (!c->pull_pending || c->pull_pid)
                                continue;
                        if (c->pull_backoff_at && c->pull_backoff_at <= now) {
                                c->pull_backoff_at = 0;
                                set(&c->reason, "ImagePullBackOff");
                                free(c->message);
                                c->message =
                                    pc_xasprintf("Back-off pulling image \"%s\"", c->spec->image);
                                pc_monitor_event(m, c, false, "BackOff",
                                                 "Back-off pulling image \"%s\"", c->spec->image);
                                pc_monitor_event(m, c, true, "Failed", "Error: ImagePullBackOff");
                        }
                        /* the next attempt, for a container the Pod has tried to start */
                        if (c->pull_due && c->pull_due <= now && c->pull_attempts > 0)
                                pc_pull_start(m, c);
                }
}

int64_t pc_pull_next(const struct pc_monitor *m)
{
        int64_t next = INT64_MAX;
        const struct pc_ctr *sets[2] = {m->init, m->app};
        size_t ns[2] = {m->n_init, m->n_app};
        for (int k = 0; k < 2; k++)
                for (size_t i = 0; i < ns[k]; i++) {
                        const struct pc_ctr *c = &sets[k][i];
                        if (!c->pull_pending || c->pull_pid)
                                continue;
                        if (c->pull_backoff_at && c->pull_backoff_at < next)
                                next = c->pull_backoff_at;
                        if (c->pull_due && c->pull_attempts > 0 && c->pull_due < next)
                                next = c->pull_due;
                }
        return next;
}

void pc_pull_kill(struct pc_monitor *m)
{
        struct pc_ctr *sets[2] = {m->init, m->app};
        size_t ns[2] = {m->n_init, m->n_app};
        for (int k = 0; k < 2; k++)
                for (size_t i = 0; i < ns[k]; i++) {
                        struct pc_ctr *c = &sets[k][i];
                        if (c->pull_pid <= 0)
                                continue;
                        /* the store stays consistent whenever a pull dies */
                        kill(c->pull_pid, SIGKILL);
                        while (waitpid(c->pull_pid, NULL, 0) < 0 && errno == EINTR)
                                ;
                        c->pull_pid = 0;
                }
}
