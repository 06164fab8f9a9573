/* Probes (startup, liveness, readiness) and lifecycle hooks (postStart,
 * preStop), as the kubelet runs them. Every attempt is a child process of the
 * monitor (probe.c), so the event loop never blocks; this file schedules
 * attempts, enforces their timeouts and acts on their results:
 *
 *   postStart  runs right after the container starts; until it is done the
 *              container is not started; if it fails the container is killed
 *              (FailedPostStartHook) and the restart policy applies.
 *   startup    until it succeeds, liveness and readiness wait; failureThreshold
 *              failures kill the container.
 *   liveness   failureThreshold consecutive failures kill the container.
 *   readiness  drives `ready` (and the Pod's Ready condition); no restart.
 *   preStop    runs when a container is stopped, before its stop signal.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "monitor/probe.h"
#include "runtime/user.h"
#include "util/util.h"

static const char *probe_name[PC_N_PROBES] = {"Startup", "Liveness", "Readiness"};

static void set_why(char *why, size_t len, const char *msg)
{
        size_t n = strlen(msg);
        if (n >= len)
                n = len - 1;
        memcpy(why, msg, n);
        why[n] = '\0';
}

static void attempt_reset(struct pc_attempt *a)
{
        if (a->fd >= 0)
                close(a->fd);
        *a = (struct pc_attempt){.pid = 0, .fd = -1};
}

static void attempt_abandon(struct pc_attempt *a)
{
        if (a->pid > 0) {
                kill(a->pid, SIGKILL);
                while (waitpid(a->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        attempt_reset(a);
}

static void attempt_drain(struct pc_attempt *a)
{
        char buf[1024];
        while (a->fd >= 0) {
                ssize_t n = read(a->fd, buf, sizeof(buf));
                if (n <= 0)
                        return;
                size_t room = sizeof(a->out) - a->len;
                size_t take = (size_t)n < room ? (size_t)n : room;
                memcpy(a->out + a->len, buf, take);
                a->len += take;
        }
}

/* Start handler h for container c; on a start error the attempt is recorded
 * as already failed (pid stays 0) and *why says so. */
static int attempt_start(struct pc_monitor *m, struct pc_ctr *c, const struct pc_handler *h,
                         int64_t timeout_s, bool hook, struct pc_attempt *a, char *why,
                         size_t whylen)
{
        struct pc_user u = {0};
        pc_error err;
        if (hook && h->kind != PC_HANDLER_EXEC && h->kind != PC_HANDLER_HTTP &&
            h->kind != PC_HANDLER_SLEEP) {
                /* the kubelet's handler runner knows exec, httpGet and sleep:
                 * a tcpSocket hook (which the API still accepts) fails */
                snprintf(why, whylen, "Cannot run handler: invalid handler: %s",
                         pc_handler_kind_name(h->kind));
                return -1;
        }
        char helper[4096];
        snprintf(helper, sizeof(helper), "%s/podctl-probe", m->root.libexec_dir);
        struct pc_probe_target t = {
            .container_pid = c->pid,
            .netns_fd = m->sandbox.netns_fd,
            .envp = c->envp,
            .cwd = c->cwd,
            .cgroup = c->cgroup,
            .sec = c->sec,
            .helper = helper,
            .hook = hook,
            .timeout_seconds = (int)timeout_s,
            /* a handler without host: the Pod's IP, as the kubelet's (NULL
             * with hostNetwork: 127.0.0.1) */
            .pod_ip = m->pod_ip,
        };
        if (h->kind == PC_HANDLER_EXEC) {
                /* resolved once per run: an attempt every second would read
                 * the container's passwd and group files every second
                 * (docs/PERFORMANCE.md "Probes") */
                if (c->exec_user_pid != c->pid) {
                        char root[64];
                        snprintf(root, sizeof(root), "/proc/%d/root", (int)c->pid);
                        if (pc_user_resolve(root, c->user ? c->user : "0", &u, &err) < 0) {
                                set_why(why, whylen, err.msg);
                                return -1;
                        }
                        /* the image user's groups, then supplementalGroups/fsGroup */
                        for (size_t i = 0; i < c->n_groups; i++) {
                                u.groups = pc_xrealloc(u.groups, (u.n_groups + 1) * sizeof(gid_t));
                                u.groups[u.n_groups++] = c->groups[i];
                        }
                        free(c->exec_groups);
                        c->exec_uid = u.uid;
                        c->exec_gid = u.gid;
                        c->exec_groups = STEAL(u.groups);
                        c->n_exec_groups = u.n_groups;
                        c->exec_user_pid = c->pid;
                }
                t.uid = c->exec_uid;
                t.gid = c->exec_gid;
                t.groups = c->exec_groups;
                t.n_groups = c->n_exec_groups;
        }
        attempt_reset(a);
        int r = pc_handler_start(h, &t, &a->pid, &a->fd, &err);
        pc_user_free(&u);
        if (r < 0) {
                a->pid = 0;
                set_why(why, whylen, err.msg);
                return -1;
        }
        a->deadline = timeout_s > 0 ? pc_monotonic_ns() + timeout_s * NS_PER_SEC : 0;
        a->kind = h->kind;
        return 0;
}

static void schedule(struct pc_prober *pr, int64_t delay_s)
{
        if (pr->p)
                pr->next = pc_monotonic_ns() + delay_s * NS_PER_SEC;
}

/* Liveness and readiness begin once the container has started. */
static void begin_probing(struct pc_ctr *c)
{
        c->started = true;
        c->ready = c->probes[PC_PROBE_READINESS].p == NULL;
        for (int k = PC_PROBE_LIVENESS; k < PC_N_PROBES; k++)
                schedule(&c->probes[k], c->probes[k].p ? c->probes[k].p->initial_delay_seconds : 0);
}

static void after_post_start(struct pc_ctr *c)
{
        if (c->probes[PC_PROBE_STARTUP].p)
                schedule(&c->probes[PC_PROBE_STARTUP],
                         c->probes[PC_PROBE_STARTUP].p->initial_delay_seconds);
        else
                begin_probing(c);
}

void pc_health_on_start(struct pc_monitor *m, struct pc_ctr *c)
{
        const struct pc_container *s = c->spec;
        const struct pc_probe *ps[PC_N_PROBES] = {&s->startup, &s->liveness, &s->readiness};
        for (int k = 0; k < PC_N_PROBES; k++) {
                attempt_reset(&c->probes[k].a);
                c->probes[k] = (struct pc_prober){.p = ps[k]->set ? ps[k] : NULL, .a.fd = -1};
        }
        c->started = c->ready = false;
        c->kill_at = 0;
        c->pending_signal = 0;
        c->hook_kind = PC_HOOK_NONE;
        if (s->post_start.kind != PC_HANDLER_NONE) {
                char why[256];
                c->hook_kind = PC_HOOK_POST_START;
                if (attempt_start(m, c, &s->post_start, m->pod.termination_grace_period_seconds,
                                  true, &c->hook, why, sizeof(why)) < 0) {
                        pc_monitor_event(m, c, true, "FailedPostStartHook", "%s", why);
                        c->hook_kind = PC_HOOK_NONE;
                        pc_monitor_stop_ctr(m, c, 0);
                }
                return;
        }
        after_post_start(c);
}

/* A run a previous monitor started: its postStart ran then. The probes start
 * over (readiness false until it passes again, as after a kubelet restart);
 * a startup probe that had passed is not run again (c->started kept). */
void pc_health_on_adopt(struct pc_monitor *m, struct pc_ctr *c)
{
        (void)m;
        const struct pc_container *s = c->spec;
        const struct pc_probe *ps[PC_N_PROBES] = {&s->startup, &s->liveness, &s->readiness};
        bool started = c->started;
        for (int k = 0; k < PC_N_PROBES; k++) {
                attempt_reset(&c->probes[k].a);
                c->probes[k] = (struct pc_prober){.p = ps[k]->set ? ps[k] : NULL, .a.fd = -1};
        }
        c->started = c->ready = false;
        c->kill_at = 0;
        c->pending_signal = 0;
        c->hook_kind = PC_HOOK_NONE;
        if (started)
                begin_probing(c);
        else
                after_post_start(c);
}

void pc_health_on_exit(struct pc_monitor *m, struct pc_ctr *c)
{
        (void)m;
        for (int k = 0; k < PC_N_PROBES; k++) {
                attempt_abandon(&c->probes[k].a);
                c->probes[k].next = 0;
        }
        attempt_abandon(&c->hook);
        c->hook_kind = PC_HOOK_NONE;
        c->started = c->ready = false;
        c->kill_at = 0;
        c->pending_signal = 0;
        free(c->exec_groups);
        c->exec_groups = NULL;
        c->n_exec_groups = 0;
        c->exec_user_pid = 0;
}

/* A startup or liveness probe gave up on the container: stop it (with the
 * probe's own grace period when it has one); the restart policy follows. */
static void kill_for_probe(struct pc_monitor *m, struct pc_ctr *c, struct pc_prober *pr,
                           const char *what)
{
        const struct pc_probe *p = pr->p;
        pr->next = 0;
        pc_monitor_event(m, c, false, "Killing", "Container %s failed %s probe, will be restarted",
                         c->spec->name, what);
        pc_monitor_stop_ctr(m, c,
                            p->termination_grace_period_seconds >= 0
                                ? p->termination_grace_period_seconds
                                : m->pod.termination_grace_period_seconds);
}

/* A probe result: thresholds, then what it means for the container. */
static void probe_result(struct pc_monitor *m, struct pc_ctr *c, int k, bool success,
                         const char *why)
{
        struct pc_prober *pr = &c->probes[k];
        const struct pc_probe *p = pr->p;
        bool ok = pr->ok, ready = c->ready, started = c->started;
        if (success) {
                pr->failures = 0;
                if (++pr->successes >= p->success_threshold)
                        pr->ok = true;
        } else {
                pr->successes = 0;
                pr->failures++;
                pc_monitor_event(m, c, true, "Unhealthy", "%s probe failed: %s", probe_name[k],
                                 why);
                if (pr->failures >= p->failure_threshold)
                        pr->ok = false;
        }
        schedule(pr, p->period_seconds);
        switch (k) {
        case PC_PROBE_STARTUP:
                if (pr->ok) {
                        pr->next = 0; /* done for this run */
                        begin_probing(c);
                } else if (!success && pr->failures >= p->failure_threshold) {
                        kill_for_probe(m, c, pr, "startup");
                }
                break;
        case PC_PROBE_LIVENESS:
                if (!success && pr->failures >= p->failure_threshold)
                        kill_for_probe(m, c, pr, "liveness");
                break;
        case PC_PROBE_READINESS:
                c->ready = c->started && pr->ok;
                break;
        }
        /* a failure made an event (not quiet already); a pass that flips
         * nothing leaves the status as it was */
        if (pr->ok != ok || c->ready != ready || c->started != started)
                pc_monitor_not_quiet(m);
}

static void hook_result(struct pc_monitor *m, struct pc_ctr *c, bool success, const char *why)
{
        pc_monitor_not_quiet(m);
        enum pc_hook_kind kind = c->hook_kind;
        c->hook_kind = PC_HOOK_NONE;
        if (kind == PC_HOOK_POST_START) {
                if (success) {
                        after_post_start(c);
                        return;
                }
                pc_monitor_event(m, c, true, "FailedPostStartHook", "%s", why);
                pc_monitor_stop_ctr(m, c, 0);
                return;
        }
        if (kind == PC_HOOK_PRE_STOP) {
                if (!success)
                        pc_monitor_event(m, c, true, "FailedPreStopHook", "%s", why);
                if (c->pending_signal && c->state == CTR_RUNNING)
                        kill(c->pid, c->pending_signal);
                c->pending_signal = 0;
        }
}

/* The end of an attempt: *success, and *why (the failure's reason, or the
 * message of a success's warning, whose event reason goes to *warning: the
 * network kinds exit 3 for "success, with a warning", see probe.h). */
static void finish_attempt(struct pc_attempt *a, int status, bool timed_out, bool *success,
                           char *why, size_t whylen, char *warning, size_t warnlen)
{
        attempt_drain(a);
        char reason[512];
        pc_handler_reason(a->out, a->len, reason, sizeof(reason));
        *success = !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (warning && warnlen)
                *warning = 0;
        if (!timed_out && a->kind != PC_HANDLER_EXEC && WIFEXITED(status) &&
            WEXITSTATUS(status) == 3) {
                *success = true;
                size_t wl = strcspn(reason, " ");
                if (warning && warnlen)
                        snprintf(warning, warnlen, "%.*s", (int)wl, reason);
                set_why(why, whylen, reason[wl] ? reason + wl + 1 : "");
                attempt_reset(a);
                return;
        }
        if (timed_out)
                snprintf(why, whylen, "command timed out");
        else if (*reason)
                set_why(why, whylen, reason);
        else if (WIFEXITED(status))
                snprintf(why, whylen, "exit status %d", WEXITSTATUS(status));
        else
                snprintf(why, whylen, "killed by signal %d", WTERMSIG(status));
        attempt_reset(a);
}

bool pc_health_reaped(struct pc_monitor *m, pid_t pid, int status)
{
        struct pc_ctr *lists[3] = {m->init, m->app, m->eph};
        size_t counts[3] = {m->n_init, m->n_app, m->n_eph};
        char why[600], warn[64];
        bool ok;
        for (int l = 0; l < 3; l++) {
                for (size_t i = 0; i < counts[l]; i++) {
                        struct pc_ctr *c = &lists[l][i];
                        for (int k = 0; k < PC_N_PROBES; k++) {
                                if (c->probes[k].a.pid != pid)
                                        continue;
                                finish_attempt(&c->probes[k].a, status, false, &ok, why,
                                               sizeof(why), warn, sizeof(warn));
                                if (c->state == CTR_RUNNING && *warn)
                                        pc_monitor_event(m, c, true, warn, "%s probe warning: %s",
                                                         probe_name[k], why);
                                if (c->state == CTR_RUNNING)
                                        probe_result(m, c, k, ok, why);
                                return true;
                        }
                        if (c->hook.pid == pid) {
                                finish_attempt(&c->hook, status, false, &ok, why, sizeof(why), warn,
                                               sizeof(warn));
                                if (*warn)
                                        pc_monitor_event(m, c, true, warn, "%s", why);
                                hook_result(m, c, ok, why);
                                return true;
                        }
                }
        }
        return false;
}

static void logf_kill(const struct pc_ctr *c)
{
        fprintf(stderr, "container %s: grace period over, SIGKILL\n", c->spec->name);
}

static void tick_ctr(struct pc_monitor *m, struct pc_ctr *c, int64_t now)
{
        char why[600];
        bool ok;
        if (c->state != CTR_RUNNING)
                return;
        /* The grace period of a stopping container is over. */
        if (c->kill_at && now >= c->kill_at) {
                pc_monitor_not_quiet(m);
                logf_kill(c);
                if (c->cgroup) {
                        pc_error ignore;
                        pc_cgroup_kill(c->cgroup, &ignore);
                }
                kill(c->pid, SIGKILL);
                c->kill_at = now + NS_PER_SEC; /* again in a second if it is not reaped */
        }
        /* A hook past its time: give up on it. */
        if (c->hook.pid > 0) {
                attempt_drain(&c->hook);
                if (c->hook.deadline && now >= c->hook.deadline) {
                        kill(c->hook.pid, SIGKILL);
                        while (waitpid(c->hook.pid, NULL, 0) < 0 && errno == EINTR)
                                ;
                        finish_attempt(&c->hook, 0, true, &ok, why, sizeof(why), NULL, 0);
                        hook_result(m, c, false, why);
                }
        }
        for (int k = 0; k < PC_N_PROBES; k++) {
                struct pc_prober *pr = &c->probes[k];
                if (pr->a.pid > 0) {
                        attempt_drain(&pr->a);
                        if (now >= pr->a.deadline) {
                                kill(pr->a.pid, SIGKILL);
                                while (waitpid(pr->a.pid, NULL, 0) < 0 && errno == EINTR)
                                        ;
                                finish_attempt(&pr->a, 0, true, &ok, why, sizeof(why), NULL, 0);
                                probe_result(m, c, k, false, why);
                        }
                        continue;
                }
                if (!pr->p || !pr->next || now < pr->next || c->kill_at)
                        continue;
                pr->next = 0;
                if (attempt_start(m, c, &pr->p->handler, pr->p->timeout_seconds, false, &pr->a, why,
                                  sizeof(why)) < 0)
                        probe_result(m, c, k, false, why);
                if (c->state != CTR_RUNNING)
                        return;
        }
}

void pc_health_tick(struct pc_monitor *m)
{
        int64_t now = pc_monotonic_ns();
        for (size_t i = 0; i < m->n_init; i++)
                tick_ctr(m, &m->init[i], now);
        for (size_t i = 0; i < m->n_app; i++)
                tick_ctr(m, &m->app[i], now);
        for (size_t i = 0; i < m->n_eph; i++)
                tick_ctr(m, &m->eph[i], now); /* a stop's SIGKILL */
}

static void earliest(int64_t *next, int64_t t)
{
        if (t > 0 && t < *next)
                *next = t;
}

int64_t pc_health_next(const struct pc_monitor *m)
{
        int64_t next = INT64_MAX;
        const struct pc_ctr *lists[3] = {m->init, m->app, m->eph};
        size_t counts[3] = {m->n_init, m->n_app, m->n_eph};
        for (int l = 0; l < 3; l++) {
                for (size_t i = 0; i < counts[l]; i++) {
                        const struct pc_ctr *c = &lists[l][i];
                        if (c->state != CTR_RUNNING)
                                continue;
                        earliest(&next, c->kill_at);
                        if (c->hook.pid > 0)
                                earliest(&next, c->hook.deadline);
                        for (int k = 0; k < PC_N_PROBES; k++) {
                                if (c->probes[k].a.pid > 0)
                                        earliest(&next, c->probes[k].a.deadline);
                                else
                                        earliest(&next, c->probes[k].next);
                        }
                }
        }
        return next;
}

/* Stop a running container: preStop (if any), then the stop signal, then
 * SIGKILL at the end of the grace period. */
void pc_monitor_stop_ctr(struct pc_monitor *m, struct pc_ctr *c, int64_t grace_s)
{
        if (c->state != CTR_RUNNING)
                return;
        int64_t now = pc_monotonic_ns();
        int64_t kill_at = now + grace_s * NS_PER_SEC;
        if (c->kill_at && c->kill_at <= kill_at)
                return; /* already stopping, at least as urgently */
        c->kill_at = kill_at > 0 ? kill_at : 1;
        for (int k = 0; k < PC_N_PROBES; k++) {
                attempt_abandon(&c->probes[k].a);
                c->probes[k].next = 0;
        }
        if (grace_s <= 0) {
                if (c->cgroup) {
                        pc_error ignore;
                        pc_cgroup_kill(c->cgroup, &ignore);
                }
                kill(c->pid, SIGKILL);
                return;
        }
        int sig = pc_monitor_stop_signal(c);
        if (c->spec->pre_stop.kind != PC_HANDLER_NONE && c->hook_kind != PC_HOOK_PRE_STOP) {
                char why[256];
                attempt_abandon(&c->hook);
                c->hook_kind = PC_HOOK_PRE_STOP;
                c->pending_signal = sig;
                if (attempt_start(m, c, &c->spec->pre_stop, grace_s, true, &c->hook, why,
                                  sizeof(why)) < 0)
                        hook_result(m, c, false, why);
                return;
        }
        if (c->hook_kind != PC_HOOK_PRE_STOP)
                kill(c->pid, sig);
}
