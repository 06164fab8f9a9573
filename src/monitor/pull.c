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
 * container (only what changed is downloaded).
 *
 * An image volume's image (images.json "_volumes") takes the same path with
 * `--volume NAME` (files pull-volume_<name>.*: '_' is in no container
 * name), once for the Pod as the KEP says (Always: not again at restarts);
 * its events are the Pod's, and each container that mounts it waits with
 * its reason and message (the kubelet's toKubeContainerImageVolumes). */
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
                c->pull.never = true;
                set(&c->reason, "ErrImageNeverPull");
                free(c->message);
                c->message =
                    pc_xasprintf("Container image \"%s\" is not present with pull policy of Never",
                                 c->spec->image);
                return;
        }
        c->pull.pending = true;
        c->pull.always =
            c->spec->image_pull_policy && !strcmp(c->spec->image_pull_policy, "Always");
        (void)m;
}

void pc_pull_init_volume(struct pc_ivol *iv, json_t *pull)
{
        if (json_is_true(json_object_get(pull, "never"))) {
                iv->pull.never = true;
                set(&iv->reason, "ErrImageNeverPull");
                free(iv->message);
                iv->message =
                    pc_xasprintf("Container image \"%s\" is not present with pull policy of Never",
                                 iv->v->image_ref);
                return;
        }
        iv->pull.pending = true;
}

void pc_pull_before_restart(struct pc_ctr *c)
{
        /* Always: the tag is resolved again at every container start */
        struct pc_pull *p = &c->pull;
        if (p->always && c->ever_started && !p->pending && !p->pulled_now) {
                p->pending = true;
                p->attempts = 0;
                p->backoff = 0;
                p->due = 0;
        }
}

static bool waits(const struct pc_pull *p)
{
        return p->pending || p->never;
}

static bool mounts(const struct pc_ctr *c, const struct pc_ivol *iv)
{
        for (size_t i = 0; i < c->spec->n_mounts; i++)
                if (!strcmp(c->spec->mounts[i].name, iv->v->name))
                        return true;
        return false;
}

bool pc_pull_needed(const struct pc_monitor *m, const struct pc_ctr *c)
{
        if (waits(&c->pull))
                return true;
        for (size_t i = 0; i < m->n_ivols; i++)
                if (waits(&m->ivols[i].pull) && mounts(c, &m->ivols[i]))
                        return true;
        return false;
}

/* What one pull is of: a container's image (c) or an image volume's (iv). */
struct subject {
        struct pc_ctr *c;
        struct pc_ivol *iv;
};

static struct pc_pull *pull_of(struct subject s)
{
        return s.c ? &s.c->pull : &s.iv->pull;
}

static const char *ref_of(struct subject s)
{
        return s.c ? s.c->spec->image : s.iv->v->image_ref;
}

static char *pull_file(const struct pc_monitor *m, struct subject s, const char *ext)
{
        if (s.c)
                return pc_xasprintf("%s/pull-%s.%s", m->pod_dir, s.c->spec->name, ext);
        return pc_xasprintf("%s/pull-volume_%s.%s", m->pod_dir, s.iv->v->name, ext);
}

/* A container that waits for the volume shows its reason and message. */
static void show_on(struct pc_ctr *c, const struct pc_ivol *iv)
{
        if (c->state != CTR_WAITING || waits(&c->pull) || !iv->reason)
                return;
        set(&c->reason, iv->reason);
        free(c->message);
        c->message = iv->message ? pc_xstrdup(iv->message) : NULL;
}

static void show_volume(struct pc_monitor *m, const struct pc_ivol *iv)
{
        struct pc_ctr *sets[2] = {m->init, m->app};
        size_t ns[2] = {m->n_init, m->n_app};
        for (int k = 0; k < 2; k++)
                for (size_t i = 0; i < ns[k]; i++)
                        if (mounts(&sets[k][i], iv))
                                show_on(&sets[k][i], iv);
}

/* The pull's waiting reason: on the container, or on the volume and every
 * container that waits for it. */
static void show(struct pc_monitor *m, struct subject s, const char *reason, char *message)
{
        if (s.c) {
                set(&s.c->reason, reason);
                free(s.c->message);
                s.c->message = message;
                return;
        }
        set(&s.iv->reason, reason);
        free(s.iv->message);
        s.iv->message = message;
        show_volume(m, s.iv);
}

static const char *helper(void)
{
        const char *h = getenv("PODCTL_PULL_HELPER");
        return h && *h ? h : "podctl";
}

static void start_one(struct pc_monitor *m, struct subject s)
{
        struct pc_pull *p = pull_of(s);
        if (p->never) {
                if (!p->never_reported) {
                        p->never_reported = true;
                        const char *msg = s.c ? s.c->message : s.iv->message;
                        pc_monitor_event(m, s.c, true, "ErrImageNeverPull", "%s", msg);
                        pc_monitor_event(m, s.c, true, "Failed", "Error: ErrImageNeverPull");
                }
                return;
        }
        if (p->pid > 0 || (p->due && p->due > pc_monotonic_ns()))
                return;
        _cleanup_free_ char *log = pull_file(m, s, "log");
        _cleanup_free_ char *out = pull_file(m, s, "json");
        _cleanup_free_ char *prog = pull_file(m, s, "progress");
        unlink(out);
        unlink(prog);
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0) {
                p->due = pc_monotonic_ns() + scaled(m, PULL_BACKOFF_INITIAL);
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
                char *argv[] = {(char *)bin,
                                "--root",
                                m->root.root,
                                "image",
                                "pull-for-pod",
                                "--pod-dir",
                                m->pod_dir,
                                s.c ? "--container" : "--volume",
                                s.c ? s.c->spec->name : s.iv->v->name,
                                "--out",
                                out,
                                "--progress",
                                prog,
                                NULL};
                if (strchr(bin, '/'))
                        execv(bin, argv);
                else
                        execvp(bin, argv);
                _exit(127);
        }
        p->pid = pid;
        p->started = pc_monotonic_ns();
        p->due = 0;
        if (s.c)
                s.c->state = CTR_WAITING;
        if (p->attempts++ == 0) {
                /* a retry keeps showing the last failure until it ends, as the kubelet */
                if (s.c) {
                        show(m, s, "ContainerCreating", NULL);
                } else {
                        free(s.iv->reason);
                        free(s.iv->message);
                        s.iv->reason = s.iv->message = NULL;
                }
        }
        pc_monitor_event(m, s.c, false, "Pulling", "Pulling image \"%s\"", ref_of(s));
}

void pc_pull_start(struct pc_monitor *m, struct pc_ctr *c)
{
        if (waits(&c->pull)) {
                start_one(m, (struct subject){.c = c});
                return;
        }
        for (size_t i = 0; i < m->n_ivols; i++) {
                struct pc_ivol *iv = &m->ivols[i];
                if (!waits(&iv->pull) || !mounts(c, iv))
                        continue;
                start_one(m, (struct subject){.iv = iv});
                show_on(c, iv);
        }
}

/* The helper's error: the last "error: " line of its log. */
static char *pull_error(const struct pc_monitor *m, struct subject s, int status)
{
        _cleanup_free_ char *log = pull_file(m, s, "log");
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

/* The volume's image is there: the containers waiting for it are due, and
 * those that showed its failure show ContainerCreating again. */
static void volume_ready(struct pc_monitor *m, struct pc_ivol *iv)
{
        struct pc_ctr *sets[2] = {m->init, m->app};
        size_t ns[2] = {m->n_init, m->n_app};
        for (int k = 0; k < 2; k++)
                for (size_t i = 0; i < ns[k]; i++) {
                        struct pc_ctr *c = &sets[k][i];
                        if (c->state != CTR_WAITING || !mounts(c, iv))
                                continue;
                        if (iv->reason && c->reason && !strcmp(c->reason, iv->reason)) {
                                set(&c->reason, "ContainerCreating");
                                free(c->message);
                                c->message = NULL;
                        }
                        if (!c->restart_due)
                                c->restart_due = 1;
                }
        free(iv->reason);
        free(iv->message);
        iv->reason = iv->message = NULL;
}

static void pull_done(struct pc_monitor *m, struct subject s, int status)
{
        struct pc_pull *p = pull_of(s);
        int64_t took = pc_monotonic_ns() - p->started;
        p->pid = 0;
        if (m->state == POD_TERMINATING || m->state == POD_DONE)
                return;
        _cleanup_free_ char *out = pull_file(m, s, "json");
        json_t *rec = NULL;
        pc_error err;
        struct pc_image *img = NULL;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && pc_json_load(out, &rec, &err) == 0 &&
            pc_image_from_json(rec, &img, &err) == 0) {
                struct pc_image **dst = s.c ? &s.c->image : &s.iv->image;
                pc_image_free(*dst); /* a restart under Always: the image pulled again */
                *dst = img;
                json_decref(rec);
                p->pending = false;
                p->pulled_now = true;
                p->backoff = 0;
                pc_monitor_event(m, s.c, false, "Pulled",
                                 "Successfully pulled image \"%s\" in %.3fs (%.3fs including "
                                 "waiting). Image size: %lld bytes.",
                                 ref_of(s), (double)took / 1e9, (double)took / 1e9,
                                 (long long)img->size);
                if (s.c)
                        s.c->restart_due = 1; /* due now: the state machine starts it */
                else
                        volume_ready(m, s.iv);
                return;
        }
        json_decref(rec);
        char *msg = pull_error(m, s, status);
        pc_monitor_event(m, s.c, true, "Failed", "Failed to pull image \"%s\": %s", ref_of(s), msg);
        pc_monitor_event(m, s.c, true, "Failed", "Error: ErrImagePull");
        show(m, s, "ErrImagePull", msg);
        p->backoff = p->backoff ? p->backoff * 2 : PULL_BACKOFF_INITIAL;
        if (p->backoff > PULL_BACKOFF_MAX)
                p->backoff = PULL_BACKOFF_MAX;
        int64_t now = pc_monotonic_ns();
        p->due = now + scaled(m, p->backoff);
        if (p->due == 0)
                p->due = 1;
        /* shown as ErrImagePull for a moment, then ImagePullBackOff */
        p->backoff_at = now + scaled(m, NS);
}

/* Every pull of the Pod, containers' then image volumes': the i-th in *s. */
static bool next_subject(struct pc_monitor *m, size_t *i, struct subject *s)
{
        size_t n = (*i)++;
        *s = (struct subject){0};
        if (n < m->n_init)
                s->c = &m->init[n];
        else if ((n -= m->n_init) < m->n_app)
                s->c = &m->app[n];
        else if ((n -= m->n_app) < m->n_ivols)
                s->iv = &m->ivols[n];
        else
                return false;
        return true;
}

bool pc_pull_reaped(struct pc_monitor *m, pid_t pid, int status)
{
        struct subject s;
        for (size_t i = 0; next_subject(m, &i, &s);)
                if (pull_of(s)->pid == pid) {
                        pull_done(m, s, status);
                        return true;
                }
        return false;
}

/* A pull backing off: ImagePullBackOff is shown a moment after the failure. */
static void back_off(struct pc_monitor *m, struct subject s)
{
        pull_of(s)->backoff_at = 0;
        pc_monitor_event(m, s.c, false, "BackOff", "Back-off pulling image \"%s\"", ref_of(s));
        pc_monitor_event(m, s.c, true, "Failed", "Error: ImagePullBackOff");
        show(m, s, "ImagePullBackOff", pc_xasprintf("Back-off pulling image \"%s\"", ref_of(s)));
}

void pc_pull_tick(struct pc_monitor *m)
{
        if (m->state == POD_TERMINATING || m->state == POD_DONE)
                return;
        int64_t now = pc_monotonic_ns();
        struct subject s;
        for (size_t i = 0; next_subject(m, &i, &s);) {
                struct pc_pull *p = pull_of(s);
                if (!p->pending || p->pid)
                        continue;
                if (p->backoff_at && p->backoff_at <= now)
                        back_off(m, s);
                /* the next attempt, for an image the Pod has tried to start with */
                if (p->due && p->due <= now && p->attempts > 0)
                        start_one(m, s);
        }
}

int64_t pc_pull_next(const struct pc_monitor *m)
{
        int64_t next = INT64_MAX;
        struct subject s;
        for (size_t i = 0; next_subject((struct pc_monitor *)m, &i, &s);) {
                const struct pc_pull *p = pull_of(s);
                if (!p->pending || p->pid)
                        continue;
                if (p->backoff_at && p->backoff_at < next)
                        next = p->backoff_at;
                if (p->due && p->attempts > 0 && p->due < next)
                        next = p->due;
        }
        return next;
}

void pc_pull_kill(struct pc_monitor *m)
{
        struct subject s;
        for (size_t i = 0; next_subject(m, &i, &s);) {
                struct pc_pull *p = pull_of(s);
                if (p->pid <= 0)
                        continue;
                /* the store stays consistent whenever a pull dies */
                kill(p->pid, SIGKILL);
                while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                p->pid = 0;
        }
}
