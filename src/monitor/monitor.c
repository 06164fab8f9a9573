/* podctl-monitor: the per-Pod supervisor. See monitor.h for the state
 * machine and docs/ARCHITECTURE.md for how the CLI starts it. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <link.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "net/net.h"
#include "util/util.h"

#define BACKOFF_INITIAL (10 * NS_PER_SEC)
#define BACKOFF_MAX     (300 * NS_PER_SEC)
#define BACKOFF_RESET   (600 * NS_PER_SEC)
/* the kubelet's pod worker syncs a Pod again 10 s after a failed sync */
#define CONFIG_RETRY (10 * NS_PER_SEC)

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
        char ts[40];
        va_list ap;
        pc_format_time(pc_now_ns(), true, ts, sizeof(ts));
        fprintf(stderr, "%s ", ts);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

/* ---- reporting to the CLI that started us --------------------------------- */

static void report(struct pc_monitor *m, const char *kind, const char *msg)
{
        if (m->report_fd < 0)
                return;
        _cleanup_free_ char *line = pc_xasprintf("%s %s\n", kind, msg ? msg : "");
        for (char *p = line; *p && p[1]; p++)
                if (*p == '\n')
                        *p = ' ';
        if (write(m->report_fd, line, strlen(line)) < 0) {
                /* The CLI went away (killed?): nobody to tell. */
        }
}

static void report_done(struct pc_monitor *m)
{
        if (m->report_fd < 0)
                return;
        report(m, "ok", NULL);
        close(m->report_fd);
        m->report_fd = -1;
}

/* ---- containers ------------------------------------------------------------- */

static void set_str(char **dst, const char *s)
{
        free(*dst);
        *dst = pc_xstrdup(s);
}

static int64_t scaled(const struct pc_monitor *m, int64_t ns)
{
        return (int64_t)((double)ns * m->time_scale);
}

static void watch_add(struct pc_monitor *m, struct pc_ctr *c)
{
        int fds[2] = {c->out_fd, c->err_fd};
        for (int s = 0; s < 2; s++) {
                c->watch[s] = (struct pc_watch){c, s};
                struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &c->watch[s]};
                epoll_ctl(m->epoll_fd, EPOLL_CTL_ADD, fds[s], &ev);
        }
}

/* Read what a stream has; on EOF close it. */
static void drain(struct pc_monitor *m, struct pc_ctr *c, int stream)
{
        int *fd = stream ? &c->err_fd : &c->out_fd;
        static char buf[65536]; /* one thread; a pipe's default capacity */
        while (*fd >= 0) {
                ssize_t n = read(*fd, buf, sizeof(buf));
                if (n > 0) {
                        pc_log_feed(&c->log, stream, buf, (size_t)n);
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                epoll_ctl(m->epoll_fd, EPOLL_CTL_DEL, *fd, NULL);
                close(*fd);
                *fd = -1;
                pc_adopt_release(m, c, stream);
                pc_log_flush(&c->log, stream);
        }
}

static void close_streams(struct pc_monitor *m, struct pc_ctr *c)
{
        for (int s = 0; s < 2; s++) {
                drain(m, c, s);
                int *fd = s ? &c->err_fd : &c->out_fd;
                if (*fd >= 0) {
                        epoll_ctl(m->epoll_fd, EPOLL_CTL_DEL, *fd, NULL);
                        close(*fd);
                        *fd = -1;
                        pc_adopt_release(m, c, s);
                }
        }
        if (c->in_fd >= 0) {
                close(c->in_fd);
                c->in_fd = -1;
                pc_adopt_release(m, c, PC_STREAM_IN);
        }
        pc_log_close(&c->log);
}

static void new_container_id(struct pc_ctr *c)
{
        char a[37], b[37];
        pc_uuid4(a);
        pc_uuid4(b);
        size_t n = 0;
        for (const char *p = a; *p && n < 32; p++)
                if (*p != '-')
                        c->container_id[n++] = *p;
        for (const char *p = b; *p && n < 64; p++)
                if (*p != '-')
                        c->container_id[n++] = *p;
        c->container_id[n] = '\0';
}

static void start_ctr(struct pc_monitor *m, struct pc_ctr *c)
{
        pc_error err;
        pc_error_clear(&err);
        pc_pull_before_restart(c);
        if (pc_pull_needed(m, c)) {
                c->restart_due = 0;
                pc_pull_start(m, c); /* started once the image is there */
                return;
        }
        if (c->ever_started)
                c->restart_count++;
        c->restart_due = 0;
        if (c->ever_started || !c->container_id[0]) /* control.c names it at creation */
                new_container_id(c);
        c->started_at = pc_now_ns();
        if (!c->pull.pulled_now)
                pc_monitor_event(m, c, false, "Pulled",
                                 "Container image \"%s\" already present on machine",
                                 c->spec->image);
        c->pull.pulled_now = false;
        int r = pc_monitor_start_container(m, c, &err);
        if (r < 0 && c->config_error) {
                /* Nothing ran: the kubelet's CreateContainerConfigError, a
                 * waiting state (not a termination for the restart policy). */
                logf_("container %s: config error: %s", c->spec->name, err.msg);
                c->state = CTR_WAITING;
                set_str(&c->reason, "CreateContainerConfigError");
                set_str(&c->message, err.msg);
                _cleanup_free_ char *msg =
                    pc_xasprintf("container \"%s\": %s", c->spec->name, err.msg);
                report(m, "error", msg);
                pc_monitor_event(m, c, true, "Failed", "Error: %s", err.msg);
                /* tried again, as the kubelet's next sync does (a ConfigMap
                 * created later lets it start); a CRI container's is the
                 * kubelet's to retry */
                if (!m->pod.cri_sandbox) {
                        c->restart_due = pc_monotonic_ns() + scaled(m, CONFIG_RETRY);
                        if (c->restart_due == 0)
                                c->restart_due = 1;
                }
                return;
        }
        if (r < 0) {
                logf_("container %s: start failed: %s", c->spec->name, err.msg);
                c->state = CTR_TERMINATED;
                c->exit_code = 128;
                c->finished_at = pc_now_ns();
                set_str(&c->reason, "StartError");
                set_str(&c->message, err.msg);
                _cleanup_free_ char *prefix = pc_xasprintf("container \"%s\"", c->spec->name);
                _cleanup_free_ char *msg = pc_str_has_prefix(err.msg, prefix)
                                               ? pc_xstrdup(err.msg)
                                               : pc_xasprintf("%s: %s", prefix, err.msg);
                report(m, "error", msg);
                pc_monitor_event(m, c, true, "Failed", "Error: %s", err.msg);
                c->ever_started = true;
                /* it did not run: the backoff grows (no 10 minutes of running
                 * to reset it), or a start that always fails loops hot */
                c->healthy_since = pc_monotonic_ns();
                return;
        }
        c->state = CTR_RUNNING;
        c->ever_started = true;
        c->healthy_since = pc_monotonic_ns();
        pc_monitor_event(m, c, false, "Created", "Created container %s", c->spec->name);
        pc_monitor_event(m, c, false, "Started", "Started container %s", c->spec->name);
        free(c->reason);
        free(c->message);
        c->reason = c->message = NULL;
        watch_add(m, c);
        pc_adopt_hold(m, c);
        pc_monitor_read_user(m, c);
        logf_("container %s: started pid %d", c->spec->name, (int)c->pid);
        pc_health_on_start(m, c);
}

/* Schedule a restart with Kubernetes' backoff: the first restart is at once,
 * then 10s, 20s, 40s ... capped at 300s; reset after 10 minutes of running. */
static void schedule_restart(struct pc_monitor *m, struct pc_ctr *c)
{
        int64_t now = pc_monotonic_ns();
        if (now - c->healthy_since >= scaled(m, BACKOFF_RESET))
                c->backoff_ns = 0;
        int64_t delay = scaled(m, c->backoff_ns);
        c->restart_due = now + delay;
        if (c->restart_due == 0)
                c->restart_due = 1;
        c->backoff_ns = c->backoff_ns ? c->backoff_ns * 2 : BACKOFF_INITIAL;
        if (c->backoff_ns > BACKOFF_MAX)
                c->backoff_ns = BACKOFF_MAX;
        if (delay > 0) {
                pc_monitor_event(m, c, true, "BackOff",
                                 "Back-off restarting failed container %s in pod %s_%s(%s)",
                                 c->spec->name, m->pod.name, m->pod.namespace_, m->pod.uid);
                /* Kubernetes shows the wait as waiting/CrashLoopBackOff. */
                c->state = CTR_WAITING;
                set_str(&c->reason, "CrashLoopBackOff");
                free(c->message);
                c->message =
                    pc_xasprintf("back-off %llds restarting failed container=%s pod=%s_%s(%s)",
                                 (long long)(delay / NS_PER_SEC), c->spec->name, m->pod.name,
                                 m->pod.namespace_, m->pod.uid);
        }
}

/* What c's exit leads to now: nothing while the Pod ends or all its
 * containers restart; a changed definition restarts it; else its restart
 * rules and policy (pc_container_on_exit). */
static enum pc_exit_action exit_action(const struct pc_monitor *m, const struct pc_ctr *c)
{
        if (m->state == POD_TERMINATING || m->state == POD_DONE || m->restarting_all ||
            c->spec->ephemeral)
                return PC_EXIT_STAY;
        if (c->spec_changed) /* the kubelet: "definition changed", restarted regardless */
                return PC_EXIT_RESTART;
        if (m->state == POD_STOPPING_SIDECARS)
                return PC_EXIT_STAY;
        return pc_container_on_exit(c->spec, m->pod.restart_policy, c->exit_code);
}

/* The tail of a CRI log file as plain text: at most 80 lines, 2048 bytes
 * (the kubelet's FallbackToLogsOnError limits). */
static char *log_tail(const char *path)
{
        char *raw = NULL;
        size_t len = 0;
        pc_error ignore;
        if (pc_read_file(path, &raw, &len, &ignore) < 0)
                return NULL;
        /* Strip "<time> <stream> <tag> " from each record. */
        char *out = pc_xmalloc(len + 1);
        size_t n = 0;
        for (char *line = raw, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                char *p = line;
                for (int f = 0; f < 3 && p; f++)
                        p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL;
                if (!p)
                        continue;
                size_t l = strlen(p);
                memcpy(out + n, p, l);
                n += l;
                if (line[strlen(line) - l - 2] == 'F')
                        out[n++] = '\n';
        }
        out[n] = '\0';
        free(raw);
        size_t start = n > 2048 ? n - 2048 : 0, lines = 0;
        for (size_t i = n; i-- > start;) {
                if (out[i] == '\n' && i != n - 1 && ++lines == 80) {
                        start = i + 1;
                        break;
                }
        }
        memmove(out, out + start, n - start + 1);
        return out;
}

static char *termination_message(struct pc_monitor *m, struct pc_ctr *c)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/termination-log", c->dir);
        char *msg = NULL;
        size_t len = 0;
        pc_error ignore;
        if (pc_read_file(p, &msg, &len, &ignore) == 0 && len > 0) {
                if (len > 4096)
                        msg[4096] = '\0';
                return msg;
        }
        free(msg);
        const char *policy = c->spec->termination_message_policy;
        if (c->exit_code != 0 && policy && !strcmp(policy, "FallbackToLogsOnError")) {
                _cleanup_free_ char *lp =
                    pc_xasprintf("%s/%s/%d.log", m->log_dir, c->spec->name, c->restart_count);
                char *tail = log_tail(lp);
                if (tail && *tail)
                        return tail;
                free(tail);
        }
        return NULL;
}

/* Record the ContainerState of the run that just ended as lastState. */
static void remember_last_state(struct pc_ctr *c)
{
        char s[40], f[40], id[80];
        pc_format_time(c->started_at, false, s, sizeof(s));
        pc_format_time(c->finished_at, false, f, sizeof(f));
        snprintf(id, sizeof(id), "podctl://%s", c->container_id);
        json_t *t = json_pack("{s:i,s:s,s:s,s:s,s:s}", "exitCode", c->exit_code, "reason",
                              c->reason ? c->reason : "Error", "startedAt", s, "finishedAt", f,
                              "containerID", id);
        if (c->message)
                json_object_set_new(t, "message", json_string(c->message));
        json_decref(c->last_state);
        c->last_state = json_pack("{s:o}", "terminated", t);
}

static void on_exit_ctr(struct pc_monitor *m, struct pc_ctr *c, int status)
{
        pc_health_on_exit(m, c);
        close_streams(m, c);
        c->state = CTR_TERMINATED;
        c->finished_at = m->reaped_at ? m->reaped_at : pc_now_ns();
        c->pid = 0;
        if (WIFEXITED(status))
                c->exit_code = WEXITSTATUS(status);
        else
                c->exit_code = 128 + WTERMSIG(status);
        set_str(&c->reason, c->exit_code == 0 ? "Completed" : "Error");
        /* The kernel's OOM killer ended a process of the container (its main
         * process, or one whose death made it exit): OOMKilled, whatever the
         * exit code, as containerd reports a container with an OOM event. */
        struct pc_cgroup_stats cs;
        pc_error ignore;
        if (c->cgroup && pc_cgroup_stats(c->cgroup, &cs, &ignore) == 0 &&
            cs.oom_kills > c->oom_base)
                set_str(&c->reason, "OOMKilled");
        if (c->cgroup)
                pc_cgroup_kill(c->cgroup, &ignore); /* what the main process left behind */
        free(c->message);
        c->message = termination_message(m, c);
        logf_("container %s: exited with %d (%s)", c->spec->name, c->exit_code, c->reason);
}

static void kill_ctr(struct pc_ctr *c, int sig)
{
        if (c->state != CTR_RUNNING)
                return;
        if (sig == SIGKILL && c->cgroup) {
                pc_error ignore;
                pc_cgroup_kill(c->cgroup, &ignore);
        }
        kill(c->pid, sig);
}

/* RestartAllContainers: c's exit matched the rule. Every container is
 * killed at once (no preStop hook, no grace period, as the kubelet does);
 * advance() starts them all again once none runs (restart_all_step). The
 * restart waits for c's backoff, which grows as a restart of c would. */
static void begin_restart_all(struct pc_monitor *m, struct pc_ctr *c)
{
        logf_("container %s: exit %d: restarting all containers", c->spec->name, c->exit_code);
        m->restarting_all = true;
        m->all_restarts++;
        m->restart_all_at = pc_now_ns();
        free(m->restart_all_message);
        m->restart_all_message =
            pc_xasprintf("Container %s exited with code %d, restarting all containers",
                         c->spec->name, c->exit_code);
        pc_monitor_event(m, c, false, "RestartingAllContainers", "%s", m->restart_all_message);
        remember_last_state(c);
        schedule_restart(m, c);
        m->restart_all_due = c->restart_due;
        c->restart_due = 0;
        for (size_t i = 0; i < m->n_init; i++)
                kill_ctr(&m->init[i], SIGKILL);
        for (size_t i = 0; i < m->n_app; i++)
                kill_ctr(&m->app[i], SIGKILL);
        for (size_t i = 0; i < m->n_eph; i++)
                kill_ctr(&m->eph[i], SIGKILL); /* ephemeral: ended, never run again */
}

static void after_termination(struct pc_monitor *m, struct pc_ctr *c)
{
        enum pc_exit_action a = exit_action(m, c);
        if (c->spec->init && !c->sidecar && c->exit_code != 0 && a == PC_EXIT_STAY &&
            m->state == POD_INIT && !m->restarting_all) {
                m->failed_init = true;
                return;
        }
        if (a == PC_EXIT_RESTART_ALL) {
                begin_restart_all(m, c);
                return;
        }
        if (a == PC_EXIT_RESTART) {
                if (c->spec_changed) {
                        /* a new definition starts with no backoff (the
                         * kubelet's backoff key holds the spec's hash) */
                        c->spec_changed = false;
                        c->backoff_ns = 0;
                }
                remember_last_state(c);
                schedule_restart(m, c);
        }
}

static struct pc_ctr *find_pid(struct pc_monitor *m, pid_t pid)
{
        for (size_t i = 0; i < m->n_init; i++)
                if (m->init[i].state == CTR_RUNNING && m->init[i].pid == pid)
                        return &m->init[i];
        for (size_t i = 0; i < m->n_app; i++)
                if (m->app[i].state == CTR_RUNNING && m->app[i].pid == pid)
                        return &m->app[i];
        for (size_t i = 0; i < m->n_eph; i++)
                if (m->eph[i].state == CTR_RUNNING && m->eph[i].pid == pid)
                        return &m->eph[i];
        return NULL;
}

/* A signal name as Kubernetes and the OCI image config write it ("SIGUSR1",
 * "USR1", "SIGRTMIN+3", "SIGRTMAX-1", the aliases SIGCLD/SIGIOT/SIGPOLL) or
 * a number; 0 when it is none. */
int pc_signal_parse(const char *s)
{
        static const struct {
                const char *name;
                int sig;
        } aliases[] = {{"CLD", SIGCHLD}, {"IOT", SIGABRT}, {"POLL", SIGPOLL}, {"IO", SIGIO}};
        if (!s || !*s)
                return 0;
        if (pc_str_has_prefix(s, "SIG"))
                s += 3;
        for (size_t i = 0; i < PC_ARRAY_SIZE(aliases); i++)
                if (!strcmp(s, aliases[i].name))
                        return aliases[i].sig;
        char *end;
        if (pc_str_has_prefix(s, "RTMIN") || pc_str_has_prefix(s, "RTMAX")) {
                bool min = s[4] == 'N';
                long off = 0;
                if (s[5]) {
                        if (s[5] != (min ? '+' : '-'))
                                return 0;
                        off = strtol(s + 6, &end, 10);
                        if (*end || end == s + 6)
                                return 0;
                }
                int sig = min ? SIGRTMIN + (int)off : SIGRTMAX - (int)off;
                return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : 0;
        }
        for (int i = 1; i < SIGRTMIN; i++) {
                const char *abbrev = sigabbrev_np(i);
                if (abbrev && !strcmp(abbrev, s))
                        return i;
        }
        long n = strtol(s, &end, 10);
        return !*end && n > 0 && n < NSIG ? (int)n : 0;
}

/* The container's stop signal: lifecycle.stopSignal, else the image's
 * StopSignal, else SIGTERM (KEP-4960). */
int pc_monitor_stop_signal(const struct pc_ctr *c)
{
        int sig = pc_signal_parse(c->spec->stop_signal);
        if (!sig)
                sig = pc_signal_parse(c->image ? c->image->stop_signal : NULL);
        return sig ? sig : SIGTERM;
}

static size_t running_count(const struct pc_monitor *m, bool apps, bool inits)
{
        size_t n = 0;
        for (size_t i = 0; inits && i < m->n_init; i++)
                n += m->init[i].state == CTR_RUNNING;
        for (size_t i = 0; apps && i < m->n_app; i++)
                n += m->app[i].state == CTR_RUNNING;
        for (size_t i = 0; apps && i < m->n_eph; i++)
                n += m->eph[i].state == CTR_RUNNING;
        return n;
}

/* Sidecars are stopped after the app containers, in reverse order, one at
 * a time, within what is left of the grace period. */
static void stop_next_sidecar(struct pc_monitor *m)
{
        for (size_t i = m->n_init; i-- > 0;) {
                struct pc_ctr *c = &m->init[i];
                if (!c->sidecar || c->state != CTR_RUNNING)
                        continue;
                if (!c->kill_at) {
                        int64_t left = (m->grace_deadline - pc_monotonic_ns()) / NS_PER_SEC;
                        pc_monitor_event(m, c, false, "Killing", "Stopping container %s",
                                         c->spec->name);
                        pc_monitor_stop_ctr(m, c, left > 0 ? left : 0);
                }
                return;
        }
}

/* The Pod ends (terminating, or its containers are done): so do its
 * ephemeral containers, as under the kubelet. */
static void stop_ephemeral(struct pc_monitor *m, int64_t grace_s)
{
        for (size_t i = 0; i < m->n_eph; i++) {
                struct pc_ctr *c = &m->eph[i];
                if (c->state == CTR_RUNNING && !c->kill_at) {
                        pc_monitor_event(m, c, false, "Killing", "Stopping container %s",
                                         c->spec->name);
                        pc_monitor_stop_ctr(m, c, grace_s);
                }
        }
}

static void begin_termination(struct pc_monitor *m, int64_t grace_s)
{
        if (m->state == POD_TERMINATING || m->state == POD_DONE)
                return;
        logf_("terminating, grace period %llds", (long long)grace_s);
        m->state = POD_TERMINATING;
        m->restarting_all = false; /* what was being restarted is now stopped */
        pc_pull_kill(m);
        m->grace_deadline = pc_monotonic_ns() + grace_s * NS_PER_SEC;
        for (size_t i = 0; i < m->n_init; i++)
                m->init[i].restart_due = 0;
        for (size_t i = 0; i < m->n_app; i++) {
                struct pc_ctr *c = &m->app[i];
                c->restart_due = 0;
                if (c->state == CTR_RUNNING) {
                        pc_monitor_event(m, c, false, "Killing", "Stopping container %s",
                                         c->spec->name);
                        pc_monitor_stop_ctr(m, c, grace_s);
                }
        }
        for (size_t i = 0; i < m->n_init; i++) {
                struct pc_ctr *c = &m->init[i];
                if (!c->sidecar && c->state == CTR_RUNNING) {
                        pc_monitor_event(m, c, false, "Killing", "Stopping container %s",
                                         c->spec->name);
                        pc_monitor_stop_ctr(m, c, grace_s);
                }
        }
        stop_ephemeral(m, grace_s);
        if (running_count(m, true, false) == 0)
                stop_next_sidecar(m);
}

/* A start that failed is a termination (StartError) for the restart policy. */
static void after_start(struct pc_monitor *m, struct pc_ctr *c)
{
        if (c->state == CTR_TERMINATED)
                after_termination(m, c);
}

/* ---- the Pod state machine -------------------------------------------------- */

static void finish(struct pc_monitor *m);

/* The app containers not started yet, in order, each once the previous
 * one's postStart hook has returned (or failed, or its container ended): the
 * kubelet's startContainer runs the hook before the next container starts,
 * and setups such as Istio's holdApplicationUntilProxyStarts rely on it. A
 * CRI sandbox's containers are started by StartContainer instead. */
static void start_apps(struct pc_monitor *m)
{
        if (m->pod.cri_sandbox)
                return;
        while (m->next_app < m->n_app) {
                if (m->next_app > 0 && m->app[m->next_app - 1].hook_kind == PC_HOOK_POST_START)
                        return;
                struct pc_ctr *c = &m->app[m->next_app++];
                if (c->state != CTR_WAITING || c->ever_started || c->restart_due)
                        continue; /* completed and kept (recover.c), or started already */
                start_ctr(m, c);
                after_start(m, c);
        }
}

/* RestartAllContainers, once no container runs any more: each container
 * that ran keeps that run as lastState and is due again (its restart count
 * goes up when it starts), and the Pod starts over from its first init
 * container; the sandbox, its IP and the volumes stay. False while
 * containers are still being killed. */
static bool restart_all_step(struct pc_monitor *m, int64_t now)
{
        if (running_count(m, true, true) > 0)
                return false;
        int64_t due = m->restart_all_due > now ? m->restart_all_due : now;
        if (due == 0)
                due = 1;
        struct pc_ctr *lists[] = {m->init, m->app};
        size_t counts[] = {m->n_init, m->n_app};
        for (size_t l = 0; l < 2; l++) {
                for (size_t i = 0; i < counts[l]; i++) {
                        struct pc_ctr *c = &lists[l][i];
                        if (!c->ever_started)
                                continue; /* it never ran: it starts as the first time */
                        if (c->state == CTR_TERMINATED)
                                remember_last_state(c);
                        c->state = CTR_WAITING;
                        set_str(&c->reason, due > now ? "CrashLoopBackOff" : "PodInitializing");
                        free(c->message);
                        c->message = NULL;
                        c->restart_due = due;
                }
        }
        m->restarting_all = false;
        m->restart_all_at = pc_now_ns();
        m->failed_init = false;
        m->state = POD_INIT;
        m->next_init = 0;
        m->next_app = 0;
        logf_("all containers stopped: starting the Pod's containers again");
        return true;
}

static void advance(struct pc_monitor *m)
{
        int64_t now = pc_monotonic_ns();
        if (m->restarting_all && !restart_all_step(m, now))
                return;
        for (int guard = 0; guard < 64; guard++) {
                enum pc_pod_state_id before = m->state;
                switch (m->state) {
                case POD_INIT:
                        if (m->failed_init || m->rejected) {
                                finish(m);
                                return;
                        }
                        while (m->next_init < m->n_init) {
                                struct pc_ctr *c = &m->init[m->next_init];
                                /* A sidecar lets the next init container start
                                 * once it has started (startup probe passed). */
                                if (c->sidecar && c->state == CTR_RUNNING && c->started) {
                                        m->next_init++;
                                        continue;
                                }
                                if (!c->sidecar && c->state == CTR_TERMINATED &&
                                    c->exit_code == 0 && !c->restart_due) {
                                        m->next_init++;
                                        continue;
                                }
                                if (c->state == CTR_RUNNING) {
                                        /* Like kubectl, apply does not wait for
                                         * init containers to finish. */
                                        report_done(m);
                                        break;
                                }
                                if (c->state == CTR_WAITING && c->config_error &&
                                    !(c->restart_due && c->restart_due <= now)) {
                                        /* waits for its next try (start_ctr) */
                                        report_done(m);
                                        break;
                                }
                                if (pc_pull_needed(m, c)) {
                                        start_ctr(m, c); /* begins or goes on pulling */
                                        if (pc_pull_needed(m, c)) {
                                                report_done(m); /* apply does not wait */
                                                break;
                                        }
                                }
                                if (c->state == CTR_WAITING && !c->ever_started) {
                                        start_ctr(m, c);
                                        after_start(m, c);
                                        continue;
                                }
                                if (c->restart_due && c->restart_due <= now) {
                                        start_ctr(m, c);
                                        after_start(m, c);
                                        continue;
                                }
                                break;
                        }
                        if (m->failed_init) {
                                finish(m);
                                return;
                        }
                        if (m->next_init == m->n_init) {
                                m->state = POD_RUNNING;
                                m->next_app = 0;
                                start_apps(m);
                                report_done(m);
                        }
                        break;
                case POD_RUNNING: {
                        start_apps(m);
                        for (size_t i = 0; i < m->n_init; i++) {
                                struct pc_ctr *c = &m->init[i];
                                if (c->sidecar && c->restart_due && c->restart_due <= now) {
                                        start_ctr(m, c);
                                        after_start(m, c);
                                }
                        }
                        bool pending = false;
                        for (size_t i = 0; i < m->n_app; i++) {
                                struct pc_ctr *c = &m->app[i];
                                if (c->restart_due && c->restart_due <= now) {
                                        start_ctr(m, c);
                                        after_start(m, c);
                                }
                                if (c->state != CTR_TERMINATED || c->restart_due)
                                        pending = true;
                        }
                        /* A CRI sandbox lives until it is stopped. */
                        if (!pending && !m->pod.cri_sandbox) {
                                m->state = POD_STOPPING_SIDECARS;
                                m->grace_deadline =
                                    now + m->pod.termination_grace_period_seconds * NS_PER_SEC;
                                stop_ephemeral(m, m->pod.termination_grace_period_seconds);
                                stop_next_sidecar(m);
                        }
                        break;
                }
                case POD_STOPPING_SIDECARS:
                        stop_next_sidecar(m);
                        if (running_count(m, true, true) == 0) {
                                finish(m);
                                return;
                        }
                        break;
                case POD_TERMINATING:
                        if (running_count(m, true, false) == 0)
                                stop_next_sidecar(m);
                        if (running_count(m, true, true) == 0) {
                                finish(m);
                                return;
                        }
                        break;
                case POD_DONE:
                        return;
                }
                if (m->state == before)
                        break;
        }
}

/* Reap everything, stop pause, remove runtime state, write the final status. */
static void finish(struct pc_monitor *m)
{
        pc_error err;
        logf_("pod done (%s)", pc_pod_phase(m));
        pc_pull_kill(m);
        for (size_t i = 0; i < m->n_init; i++)
                kill_ctr(&m->init[i], SIGKILL);
        for (size_t i = 0; i < m->n_app; i++)
                kill_ctr(&m->app[i], SIGKILL);
        for (size_t i = 0; i < m->n_eph; i++)
                kill_ctr(&m->eph[i], SIGKILL);
        int status;
        pid_t pid;
        while (running_count(m, true, true) > 0 && (pid = waitpid(-1, &status, 0)) > 0) {
                if (pc_health_reaped(m, pid, status))
                        continue;
                struct pc_ctr *c = find_pid(m, pid);
                if (c)
                        on_exit_ctr(m, c, status);
        }
        pc_adopt_finish(m); /* adopted runs are the keeper's children */
        m->state = POD_DONE;
        pc_monitor_write_status(m, true);
        report_done(m);
        /* Teardown while pause still holds the network namespace (CNI DEL
         * works best then); it kills pause, which we reap. */
        _cleanup_free_ char *p = pc_xasprintf("%s/status.json", m->pod_dir);
        json_t *doc = NULL;
        if (pc_json_load(p, &doc, &err) == 0) {
                if (pc_pod_teardown(m->pod_dir, json_object_get(doc, "runtime"), &err) < 0)
                        logf_("teardown: %s", err.msg);
                else
                        m->net_attached = false; /* DEL done: nothing left for delete */
                json_decref(doc);
        }
        if (m->sandbox.pause_pid > 0) {
                kill(m->sandbox.pause_pid, SIGKILL);
                while (waitpid(m->sandbox.pause_pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
        pc_monitor_write_status(m, true);
        m->sandbox.pause_pid = 0;
}

/* ---- setup -------------------------------------------------------------------- */

/* The Pod's spec.resources.limits.pids is over the node's podPidsLimit: the
 * node's holds (a PIDLimitCapped event at setup). */
static bool pids_capped(const struct pc_monitor *m)
{
        return m->pod.pids_limit > 0 && m->node_pids_limit > 0 &&
               m->node_pids_limit < m->pod.pids_limit;
}

/* Kubernetes' pod-level cgroup values: limits only when every container has
 * one (app containers and sidecars, which run beside them: their limits add
 * up); shares from the sum of requests (2 for BestEffort); the Pod's pids
 * limit from its annotation podctl.io/pids-limit or the node's default. */
void pc_monitor_pod_limits(const struct pc_monitor *m, struct pc_cgroup_limits *l)
{
        int64_t node_pids = m->node_pids_limit;
        const struct pc_pod *p = &m->pod;
        int64_t mem = 0, cpu = 0, req = 0;
        bool all_mem = p->n_containers > 0, all_cpu = p->n_containers > 0;
        for (size_t i = 0; i < p->n_containers + p->n_init_containers; i++) {
                const struct pc_container *c = i < p->n_containers
                                                   ? &p->containers[i]
                                                   : &p->init_containers[i - p->n_containers];
                if (c->init && !(c->restart_policy && !strcmp(c->restart_policy, "Always")))
                        continue; /* a run-once init container is not beside them */
                const struct pc_resources *r = &c->resources;
                all_mem = all_mem && r->memory_limit > 0;
                all_cpu = all_cpu && r->cpu_limit > 0;
                mem += r->memory_limit > 0 ? r->memory_limit : 0;
                cpu += r->cpu_limit > 0 ? r->cpu_limit : 0;
        }
        struct pc_pod_resources eff;
        pc_pod_effective_request(p, &eff);
        req = eff.cpu_m;
        *l = PC_CGROUP_LIMITS_NONE;
        l->memory_max = all_mem ? mem : -1;
        l->cpu_quota = all_cpu ? cpu * l->cpu_period / 1000 : -1;
        l->cpu_shares = req > 0 ? (req * 1024 / 1000 < 2 ? 2 : req * 1024 / 1000) : 2;
        /* Pod-level limits, where set, are the Pod's (KEP-2837) */
        if (p->resources.memory_limit >= 0)
                l->memory_max = p->resources.memory_limit;
        if (p->resources.cpu_limit >= 0)
                l->cpu_quota = p->resources.cpu_limit * l->cpu_period / 1000;
        l->pids_max = node_pids;
        for (size_t i = 0; i < p->n_annotations; i++)
                if (!strcmp(p->annotations[i].name, "podctl.io/pids-limit"))
                        l->pids_max = strtoll(p->annotations[i].value, NULL, 10);
        /* spec.resources.limits.pids: min(the Pod's, the node's) */
        if (p->pids_limit > 0 && !pids_capped(m))
                l->pids_max = p->pids_limit;
}

void pc_monitor_ctr_blank(struct pc_ctr *c, struct pc_container *spec)
{
        memset(c, 0, sizeof(*c));
        c->spec = spec;
        c->state = CTR_WAITING;
        c->out_fd = c->err_fd = c->in_fd = -1;
        c->log.fd = -1;
        c->log.gz_pidfd = -1;
        c->hook.fd = -1;
        for (int k = 0; k < PC_N_PROBES; k++)
                c->probes[k].a.fd = -1;
}

int pc_monitor_ctr_init(struct pc_monitor *m, struct pc_ctr *c, struct pc_container *spec,
                        json_t *rec, pc_error *err)
{
        pc_monitor_ctr_blank(c, spec);
        c->sidecar = spec->init && spec->restart_policy && !strcmp(spec->restart_policy, "Always");
        c->reason =
            pc_xstrdup(m->pod.n_init_containers == 0 ? "ContainerCreating" : "PodInitializing");
        c->dir = pc_xasprintf("%s/containers/%s", m->pod_dir, spec->name);
        if (pc_mkdir_p(c->dir, 0700, err) < 0)
                return -1;
        if (json_object_get(rec, "pull"))
                pc_pull_init(m, c, json_object_get(rec, "pull"));
        else if (pc_image_from_json(rec, &c->image, err) < 0)
                return pc_error_prefix(err, "container \"%s\": images.json", spec->name);
        return 0;
}

static int init_ctrs(struct pc_monitor *m, struct pc_container *specs, size_t n, json_t *images,
                     struct pc_ctr **out, size_t cap, pc_error *err)
{
        *out = pc_xcalloc(cap > n ? cap : n, sizeof(struct pc_ctr));
        for (size_t i = 0; i < n; i++)
                if (pc_monitor_ctr_init(m, &(*out)[i], &specs[i],
                                        json_object_get(images, specs[i].name), err) < 0)
                        return -1;
        return 0;
}

/* The image volumes, with their images.json "_volumes" records: an image
 * record, or {"pull": ...} as a container's. */
static int init_ivols(struct pc_monitor *m, json_t *images, pc_error *err)
{
        m->ivols = pc_xcalloc(m->pod.n_volumes ? m->pod.n_volumes : 1, sizeof(struct pc_ivol));
        json_t *recs = json_object_get(images, "_volumes");
        for (size_t i = 0; i < m->pod.n_volumes; i++) {
                struct pc_volume *v = &m->pod.volumes[i];
                if (v->kind != PC_VOL_IMAGE)
                        continue;
                struct pc_ivol *iv = &m->ivols[m->n_ivols++];
                iv->v = v;
                iv->name = pc_xstrdup(v->name);
                json_t *rec = json_object_get(recs, v->name);
                if (json_object_get(rec, "pull"))
                        pc_pull_init_volume(iv, json_object_get(rec, "pull"));
                else if (pc_image_from_json(rec, &iv->image, err) < 0)
                        return pc_error_prefix(err, "volume \"%s\": images.json", v->name);
        }
        return 0;
}

static int enter_pause_cgroup(pid_t pid, void *data, pc_error *err)
{
        struct pc_monitor *m = data;
        if (!m->cgroup)
                return 0;
        pc_cgroup *cg = NULL;
        _cleanup_free_ char *rel = pc_xasprintf("%s/pause", m->cgroup_rel);
        if (pc_cgroup_create("/sys/fs/cgroup", rel, NULL, &cg, err) < 0)
                return -1;
        int r = pc_cgroup_enter(cg, pid, err);
        pc_cgroup_free(cg);
        return r;
}

/* The CNI configuration of this root (see docs/ARCHITECTURE.md). */
static void net_config(const struct pc_root *r, char **conf, char **cache, struct pc_net_config *c)
{
        *conf = pc_xasprintf("%s/cni/net.d", r->root);
        *cache = pc_xasprintf("%s/cni/cache", r->root);
        *c = (struct pc_net_config){
            .conf_dir = *conf, .cache_dir = *cache, .plugin_path = getenv("PODCTL_CNI_PATH")};
}

/* CNI ADD for the sandbox, with the Pod's hostPorts; then /etc/hosts gets
 * the Pod IP. The attachment is recorded in status.json before ADD runs, so
 * a teardown (ours or the CLI's) always runs DEL. */
static int attach_network(struct pc_monitor *m, pc_error *err)
{
        _cleanup_free_ char *conf = NULL, *cache = NULL;
        struct pc_net_config cfg;
        net_config(&m->root, &conf, &cache, &cfg);
        if (pc_net_ensure_default(&cfg, err) < 0)
                return -1;
        struct pc_net_port ports[256];
        const struct pc_port *all[512];
        size_t n = 0, n_all = pc_pod_ports(&m->pod, all, PC_ARRAY_SIZE(all));
        for (size_t i = 0; i < n_all && n < PC_ARRAY_SIZE(ports); i++)
                if (all[i]->host_port > 0)
                        ports[n++] = (struct pc_net_port){all[i]->host_port, all[i]->container_port,
                                                          all[i]->protocol, all[i]->host_ip};
        char netns[64];
        snprintf(netns, sizeof(netns), "/proc/%d/ns/net", (int)m->sandbox.pause_pid);
        struct pc_net_pod pod = {.container_id = m->sandbox_id,
                                 .netns_path = netns,
                                 .namespace = m->pod.namespace_,
                                 .name = m->pod.name,
                                 .uid = m->pod.uid};
        struct pc_net_attachment att;
        m->net_attached = true; /* from here on teardown runs DEL (idempotent) */
        pc_monitor_write_status(m, false);
        if (pc_net_add(&cfg, &pod, ports, n, &att, err) < 0)
                return -1;
        m->pod_ip = pc_xstrdup(att.ip);
        pc_net_attachment_free(&att);
        logf_("pod IP %s", m->pod_ip ? m->pod_ip : "(none)");
        return pc_monitor_write_hosts(m, err);
}

static const char *node_name(void)
{
        static char host[256];
        if (!host[0] && gethostname(host, sizeof(host) - 1) < 0)
                snprintf(host, sizeof(host), "localhost");
        return host;
}

/* hostUsers: false: the id range pod create allocated (<pod>/userns.json). */
static int load_userns(struct pc_monitor *m, pc_error *err)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/userns.json", m->pod_dir);
        json_t *j = NULL;
        if (pc_json_load(p, &j, err) < 0)
                return pc_error_prefix(err, "user namespace range");
        json_int_t b = json_integer_value(json_object_get(j, "base"));
        json_int_t n = json_integer_value(json_object_get(j, "size"));
        json_decref(j);
        if (b <= 0 || n <= 0 || b > UINT32_MAX - n)
                return pc_fail(err, EINVAL, "%s: bad range", p);
        m->uid_base = (uint32_t)b;
        m->uid_size = (uint32_t)n;
        return 0;
}

static int setup(struct pc_monitor *m, pc_error *err)
{
        _cleanup_free_ char *podp = pc_xasprintf("%s/pod.json", m->pod_dir);
        json_t *j = NULL;
        if (pc_json_load(podp, &j, err) < 0)
                return -1;
        int r = pc_pod_from_json(j, &m->pod, err);
        json_decref(j);
        if (r < 0)
                return pc_error_prefix(err, "pod.json");
        m->log_dir = pc_pod_log_dir(&m->root, m->pod.namespace_, m->pod.name, m->pod.uid);
        /* The sandbox id (CNI container id): 64 hex, stable for the Pod. */
        char hex[33];
        size_t nh = 0;
        for (const char *p = m->pod.uid; *p && nh < 32; p++)
                if (*p != '-')
                        hex[nh++] = *p;
        hex[nh] = '\0';
        m->sandbox_id = pc_xasprintf("%s%s", hex, hex);
        if (pc_mkdir_p(m->log_dir, 0755, err) < 0)
                return -1;
        /* The images as the CLI resolved them: the monitor never opens the store. */
        _cleanup_free_ char *imgp = pc_xasprintf("%s/images.json", m->pod_dir);
        json_t *images = NULL;
        if (pc_json_load(imgp, &images, err) < 0)
                return -1;
        int ri = init_ctrs(m, m->pod.init_containers, m->pod.n_init_containers, images, &m->init, 0,
                           err);
        m->n_init = m->pod.n_init_containers;
        if (ri == 0)
                /* a CRI sandbox's containers come later (control.c): room
                 * for them now, so that epoll data never moves */
                ri = init_ctrs(m, m->pod.containers, m->pod.n_containers, images, &m->app,
                               m->pod.cri_sandbox ? PC_CONTROL_MAX_CTRS : 0, err);
        m->n_app = m->pod.n_containers;
        /* ephemeral containers: room for more, their specs too */
        size_t ne = m->pod.n_ephemeral_containers;
        if (ne > PC_MAX_EPHEMERAL)
                ne = m->pod.n_ephemeral_containers = PC_MAX_EPHEMERAL;
        m->pod.ephemeral_containers = pc_xrealloc(
            m->pod.ephemeral_containers, PC_MAX_EPHEMERAL * sizeof(*m->pod.ephemeral_containers));
        memset(m->pod.ephemeral_containers + ne, 0,
               (PC_MAX_EPHEMERAL - ne) * sizeof(*m->pod.ephemeral_containers));
        if (ri == 0)
                ri = init_ctrs(m, m->pod.ephemeral_containers, ne, images, &m->eph,
                               PC_MAX_EPHEMERAL, err);
        m->n_eph = ne;
        if (ri == 0)
                ri = init_ivols(m, images, err);
        json_decref(images);
        if (ri < 0)
                return -1;
        pc_monitor_load_recovery(m); /* boot recovery: what the old sandbox's containers had */
        /* The kubelet's OS admission: a Pod for another OS fails at once,
         * nothing of it is created (its status says why). */
        if (m->pod.os_name && strcmp(m->pod.os_name, "linux")) {
                m->rejected = true;
                set_str(&m->pod_reason, "PodOSNotSupported");
                set_str(&m->pod_message, "Pod was rejected: Failed to admit pod as the OS field "
                                         "doesn't match node OS");
                pc_monitor_event(m, NULL, true, "PodOSNotSupported",
                                 "Failed to admit pod as the OS field doesn't match node OS");
                return 0;
        }

        /* cgroups: podctl/<qos>/pod<uid>, kubelet's layout. Without cgroups
         * (none mounted, or not permitted) the Pod still runs. */
        m->qos_class = pc_xstrdup(pc_pod_qos_class(&m->pod));
        struct pc_node node;
        if (pc_node_load(&m->root, &node, err) < 0)
                return -1;
        struct pc_cgroup_limits lim;
        m->node_pids_limit = node.pod_pids_limit;
        pc_monitor_pod_limits(m, &lim);
        if (pids_capped(m))
                pc_monitor_event(m, NULL, true, "PIDLimitCapped",
                                 "Pod PID limit %lld capped to the node's podPidsLimit %lld",
                                 (long long)m->pod.pids_limit, (long long)m->node_pids_limit);
        m->seccomp_default = node.seccomp_default;
        m->log_max_size = node.container_log_max_size;
        m->log_max_files = node.container_log_max_files;
        m->alloc.cpu_m = node.allocatable.cpu_m;
        m->alloc.memory = node.allocatable.memory;
        m->alloc_ephemeral = pc_node_ephemeral_storage(&m->root);
        pc_node_free(&node);
        const char *qos = !strcmp(m->qos_class, "Guaranteed")  ? ""
                          : !strcmp(m->qos_class, "Burstable") ? "burstable/"
                                                               : "besteffort/";
        const char *cri_parent = NULL; /* a CRI sandbox's cgroup_parent (src/cri) */
        for (size_t i = 0; m->pod.cri_sandbox && i < m->pod.n_annotations; i++)
                if (!strcmp(m->pod.annotations[i].name, PC_CRI_CGROUP_ANNOTATION))
                        cri_parent = m->pod.annotations[i].value;
        m->cgroup_rel = cri_parent ? pc_xasprintf("cri/%s/pod%s", cri_parent, m->pod.uid)
                                   : pc_xasprintf("%spod%s", qos, m->pod.uid);
        if (m->adopting)
                return pc_adopt_setup(m, err); /* the Pod exists: reload it */
        /* From here on the Pod is real: its status (with the cgroup) lets a
         * delete clean up even if this monitor dies during setup. */
        pc_monitor_write_status(m, false);
        pc_error cgerr;
        if (pc_cgroup_detect("/sys/fs/cgroup") == PC_CGROUP_NONE ||
            pc_cgroup_create("/sys/fs/cgroup", m->cgroup_rel, &lim, &m->cgroup, &cgerr) < 0) {
                logf_("warning: running without cgroups: %s",
                      m->cgroup ? "" : "cgroup setup failed");
                m->cgroup = NULL;
        }

        if (pc_monitor_prepare_pod(m, err) < 0)
                return -1;
        _cleanup_free_ char *pause = pc_xasprintf("%s/pause", m->root.libexec_dir);
        _cleanup_free_ char *kernel_hostname = pc_pod_kernel_hostname(&m->pod);
        struct pc_sandbox_plan plan = {
            .pause_path = pause,
            .hostname = m->pod.host_network ? node_name() : kernel_hostname,
            .share_pid = m->pod.share_process_namespace,
            .host_network = m->pod.host_network,
            .host_ipc = m->pod.host_ipc,
            .cgroup_procs_fd = -1,
            .shm_dir = m->pod.host_ipc ? NULL : m->shm_dir,
            .set_user = m->pod.sandbox_uid >= 0,
            .uid = (uint32_t)(m->pod.sandbox_uid >= 0 ? m->pod.sandbox_uid : 0),
            .gid = (uint32_t)(m->pod.sandbox_gid >= 0 ? m->pod.sandbox_gid : 0),
        };
        /* a CRI sandbox's pause: the security its config gave it */
        struct pc_proc_sec pause_sec = {.caps = pc_caps_default(), .no_new_privs = true};
        struct pc_seccomp *pause_seccomp = NULL; /* freed below, after the start */
        _cleanup_free_ gid_t *pause_groups = NULL;
        if (m->pod.cri_sandbox) {
                if (m->pod.sandbox_seccomp.type == PC_PROFILE_RUNTIME_DEFAULT) {
                        _cleanup_free_ char *cache = pc_xasprintf("%s/cache/seccomp", m->root.root);
                        if (pc_seccomp_compile_default(pause_sec.caps, cache, &pause_seccomp, err) <
                            0)
                                return pc_error_prefix(err, "pause's seccomp profile");
                        pause_sec.seccomp = pause_seccomp;
                }
                if (m->pod.sandbox_apparmor.type == PC_PROFILE_RUNTIME_DEFAULT &&
                    pc_apparmor_enabled())
                        pause_sec.apparmor = PC_APPARMOR_DEFAULT;
                pause_groups = pc_xcalloc(m->pod.n_supplemental_groups + 1, sizeof(gid_t));
                for (size_t i = 0; i < m->pod.n_supplemental_groups; i++)
                        pause_groups[i] = (gid_t)m->pod.supplemental_groups[i];
                plan.sec = &pause_sec;
                plan.groups = pause_groups;
                plan.n_groups = m->pod.n_supplemental_groups;
        }
        size_t n_tmpfs = 0;
        struct pc_tmpfs *tmpfs = pc_monitor_pod_tmpfs(m, &n_tmpfs);
        plan.tmpfs = tmpfs;
        plan.n_tmpfs = n_tmpfs;
        _cleanup_free_ char **sys_names = pc_xcalloc(m->pod.n_sysctls + 1, sizeof(char *));
        _cleanup_free_ char **sys_values = pc_xcalloc(m->pod.n_sysctls + 1, sizeof(char *));
        for (size_t i = 0; i < m->pod.n_sysctls; i++) {
                sys_names[i] = m->pod.sysctls[i].name;
                sys_values[i] = m->pod.sysctls[i].value;
        }
        plan.sysctl_names = sys_names;
        plan.sysctl_values = sys_values;
        plan.n_sysctls = m->pod.n_sysctls;
        _cleanup_close_ int userns = -1;
        if (!m->pod.host_users) {
                if (load_userns(m, err) < 0 ||
                    pc_userns_create(m->uid_base, m->uid_size, &userns, err) < 0) {
                        pc_tmpfs_free(tmpfs, n_tmpfs);
                        pc_seccomp_free(pause_seccomp);
                        return pc_error_prefix(err, "pod sandbox");
                }
                plan.userns = true;
                plan.userns_fd = userns;
                plan.uid_base = m->uid_base;
        }
        int64_t t_sb = pc_monotonic_ns();
        int sr = pc_sandbox_create(&plan, enter_pause_cgroup, m, &m->sandbox, err);
        t_sb = pc_monotonic_ns() - t_sb;
        pc_tmpfs_free(tmpfs, n_tmpfs);
        pc_seccomp_free(pause_seccomp);
        if (sr < 0 || pc_monitor_memory_volumes_ready(m, err) < 0)
                return pc_error_prefix(err, "pod sandbox");
        m->pause_start = pc_proc_starttime(m->sandbox.pause_pid);
        int64_t t_net = pc_monotonic_ns();
        if (!m->pod.host_network && attach_network(m, err) < 0)
                return pc_error_prefix(err, "pod network");
        t_net = pc_monotonic_ns() - t_net;
        logf_("setup: sandbox %.1f ms, network %.1f ms", t_sb / 1e6, t_net / 1e6);
        m->start_time = pc_now_ns();
        if (m->pod.active_deadline_seconds > 0)
                m->active_deadline =
                    pc_monotonic_ns() + m->pod.active_deadline_seconds * NS_PER_SEC;
        pc_monitor_event(m, NULL, false, "Scheduled", "Successfully assigned %s/%s to %s",
                         m->pod.namespace_, m->pod.name, node_name());
        pc_monitor_write_status(m, false);
        return 0;
}

/* Undo a setup that failed half-way: nothing of the Pod may remain. */
static void rollback(struct pc_monitor *m)
{
        pc_error err;
        if (m->sandbox.pause_pid > 0) {
                kill(m->sandbox.pause_pid, SIGKILL);
                waitpid(m->sandbox.pause_pid, NULL, 0);
                m->sandbox.pause_pid = 0;
        }
        _cleanup_free_ char *p = pc_xasprintf("%s/status.json", m->pod_dir);
        json_t *doc = NULL;
        json_t *rt = NULL;
        if (pc_json_load(p, &doc, &err) == 0)
                rt = json_incref(json_object_get(doc, "runtime"));
        json_decref(doc);
        if (!rt)
                rt = json_object();
        if (m->cgroup_rel)
                json_object_set_new(rt, "cgroup", json_string(m->cgroup_rel));
        if (pc_pod_teardown(m->pod_dir, rt, &err) < 0)
                logf_("rollback: %s", err.msg);
        json_decref(rt);
        if (m->log_dir)
                pc_rm_rf(m->log_dir, &err);
}

void pc_monitor_ctr_free(struct pc_ctr *c)
{
        free(c->reason);
        free(c->message);
        free(c->dir);
        pc_log_close(&c->log);
        if (c->out_fd >= 0)
                close(c->out_fd);
        if (c->err_fd >= 0)
                close(c->err_fd);
        if (c->in_fd >= 0)
                close(c->in_fd);
        c->out_fd = c->err_fd = c->in_fd = -1;
        json_decref(c->last_state);
        json_decref(c->user_status);
        pc_strv_free(c->envp);
        free(c->cwd);
        free(c->user);
        pc_seccomp_free(c->seccomp);
        free(c->groups);
        free(c->exec_groups);
        pc_image_free(c->image);
        pc_cgroup_free(c->cgroup);
}

static void free_ctrs(struct pc_ctr *cs, size_t n)
{
        for (size_t i = 0; i < n; i++)
                pc_monitor_ctr_free(&cs[i]);
        free(cs);
}

static void free_ivols(struct pc_ivol *ivs, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                pc_image_free(ivs[i].image);
                free(ivs[i].name);
                free(ivs[i].reason);
                free(ivs[i].message);
        }
        free(ivs);
}

/* Everything the monitor holds, at exit (so leak checkers see a clean exit). */
static void monitor_free(struct pc_monitor *m)
{
        free_ctrs(m->init, m->n_init);
        free_ctrs(m->app, m->n_app);
        free_ctrs(m->eph, m->n_eph);
        free_ivols(m->ivols, m->n_ivols);
        for (int i = 0; i < PC_N_CONDS; i++)
                free(m->cond_message[i]);
        pc_sandbox_release(&m->sandbox);
        pc_cgroup_free(m->cgroup);
        pc_pod_free(&m->pod);
        pc_monitor_events_free(m);
        free(m->volume_written);
        free(m->pod_dir);
        free(m->status_written);
        free(m->cgroup_rel);
        free(m->qos_class);
        free(m->log_dir);
        free(m->pod_reason);
        free(m->pod_message);
        free(m->restart_all_message);
        free(m->resize_pending_reason);
        free(m->resize_pending_message);
        free(m->shm_dir);
        free(m->etc_dir);
        free(m->pod_ip);
        free(m->sandbox_id);
        if (m->epoll_fd >= 0)
                close(m->epoll_fd);
        if (m->signal_fd >= 0)
                close(m->signal_fd);
        if (m->report_fd >= 0)
                close(m->report_fd);
        if (m->keeper_fd >= 0)
                close(m->keeper_fd);
        pc_root_close(&m->root);
}

/* ---- main ------------------------------------------------------------------------ */

/* The monitor's code and read-only data that the Pod's setup ran through
 * stay mapped, and counted in its RSS, though an idle monitor runs a small
 * part of them: their page table entries are dropped when the Pod settles.
 * What runs again is mapped again from the page cache (a minor fault). Only
 * the program's PT_LOAD segments without PF_W, rounded inwards to whole
 * pages: nothing ever writes them (the RELRO part of the data, which the
 * start-up relocated, is in a writable segment), so nothing is lost. */
static int drop_segment_pages(struct dl_phdr_info *info, size_t size, void *data)
{
        (void)size;
        uintptr_t pg = *(uintptr_t *)data;
        for (int i = 0; i < info->dlpi_phnum; i++) {
                const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
                if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
                        continue;
                uintptr_t a = (info->dlpi_addr + ph->p_vaddr + pg - 1) & ~(pg - 1);
                uintptr_t b = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(pg - 1);
                if (b > a)
                        (void)madvise((void *)a, b - a, MADV_DONTNEED);
        }
        return 1; /* the program only: it comes first */
}

static void drop_code_pages(void)
{
        uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
        dl_iterate_phdr(drop_segment_pages, &pg);
}

/* A ConfigMap or Secret changed: containers waiting in
 * CreateContainerConfigError try again now, not at their next retry. */
static void retry_config_errors(struct pc_monitor *m)
{
        struct pc_ctr *lists[2] = {m->init, m->app};
        size_t counts[2] = {m->n_init, m->n_app};
        for (int l = 0; l < 2; l++)
                for (size_t i = 0; i < counts[l]; i++) {
                        struct pc_ctr *c = &lists[l][i];
                        if (c->state == CTR_WAITING && c->config_error && c->restart_due)
                                c->restart_due = 1;
                }
}

static void handle_signal(struct pc_monitor *m)
{
        struct signalfd_siginfo si;
        while (read(m->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                if (si.ssi_signo == SIGCHLD)
                        continue; /* reaped below */
                pc_monitor_not_quiet(m);
                if (si.ssi_signo == SIGUSR1) {
                        m->sync_volumes = true; /* a ConfigMap or Secret changed */
                        continue;
                }
                int64_t grace = m->pod.termination_grace_period_seconds;
                if (si.ssi_code == SI_QUEUE && si.ssi_int >= 0)
                        grace = si.ssi_int;
                if (m->state == POD_TERMINATING && grace == 0) {
                        m->grace_deadline = pc_monotonic_ns();
                        continue;
                }
                begin_termination(m, grace);
        }
}

/* Collect every exited child. Called on every loop iteration, not only on
 * SIGCHLD: a lost or coalesced notification must never leave a container
 * looking alive. */
void pc_monitor_child_exited(struct pc_monitor *m, pid_t pid, int status)
{
        if (pid == m->sandbox.pause_pid) {
                logf_("pause exited unexpectedly");
                m->sandbox.pause_pid = 0;
                set_str(&m->pod_reason, "SandboxDied");
                begin_termination(m, 0);
                return;
        }
        if (pc_health_reaped(m, pid, status))
                return; /* a probe or hook attempt (health.c says if it changed anything) */
        pc_monitor_not_quiet(m);
        if (pc_pull_reaped(m, pid, status))
                return; /* an image pull helper */
        struct pc_ctr *c = find_pid(m, pid);
        if (!c)
                return; /* an orphan we reaped as subreaper */
        if (!m->reaped_at)
                pc_adopt_record_exit(m, pid, status); /* before anything: we may die */
        on_exit_ctr(m, c, status);
        after_termination(m, c);
}

static void reap_children(struct pc_monitor *m)
{
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
                pc_monitor_child_exited(m, pid, status);
}

/* The earliest deadline of the Pod's timers other than the probes'. */
static int64_t next_deadline(const struct pc_monitor *m)
{
        int64_t next = INT64_MAX;
        for (size_t i = 0; i < m->n_init; i++)
                if (m->init[i].restart_due && m->init[i].restart_due < next)
                        next = m->init[i].restart_due;
        for (size_t i = 0; i < m->n_app; i++)
                if (m->app[i].restart_due && m->app[i].restart_due < next)
                        next = m->app[i].restart_due;
        if ((m->state == POD_TERMINATING || m->state == POD_STOPPING_SIDECARS) &&
            m->grace_deadline < next)
                next = m->grace_deadline;
        if (m->active_deadline && !m->deadline_exceeded && m->active_deadline < next)
                next = m->active_deadline;
        int64_t h = pc_pull_next(m);
        if (h < next)
                next = h;
        h = pc_storage_next(m);
        if (h < next)
                next = h;
        return next;
}

/* Whether this turn may skip rebuilding the status: it was quiet (see the
 * event loop), and the status was rebuilt less than STATUS_RECHECK ago (a
 * bound on what a missed not-quiet mark could leave stale). Each rebuild
 * is a JSON document built and compared: the monitor's largest cost under
 * an exec probe every second (docs/PERFORMANCE.md "Probes"). */
#define STATUS_RECHECK (10 * NS_PER_SEC)

static bool status_unchanged(const struct pc_monitor *m)
{
        return m->turn_quiet && pc_monotonic_ns() - m->status_built_at < STATUS_RECHECK;
}

static int compute_timeout(const struct pc_monitor *m)
{
        int64_t now = pc_monotonic_ns(), next = next_deadline(m);
        int64_t h = pc_health_next(m);
        if (h < next)
                next = h;
        if (next == INT64_MAX)
                return -1;
        if (next <= now)
                return 0;
        int64_t ms = (next - now + 999999) / 1000000;
        return ms > 60000 ? 60000 : (int)ms;
}

/* A local storage limit exceeded (storage.c): the kubelet's eviction: the
 * Pod fails (Evicted, the message), a DisruptionTarget condition, its
 * containers are killed at once (grace period 0). */
static void check_storage(struct pc_monitor *m)
{
        if (m->evicted || m->state == POD_TERMINATING || m->state == POD_DONE)
                return;
        char *msg = pc_storage_check(m);
        if (!msg)
                return;
        m->evicted = true;
        m->evicted_at = pc_now_ns();
        set_str(&m->pod_reason, "Evicted");
        set_str(&m->pod_message, msg);
        logf_("evicted: %s", msg);
        pc_monitor_event(m, NULL, true, "Evicted", "%s", msg);
        free(msg);
        begin_termination(m, 0);
}

/* activeDeadlineSeconds: the Pod fails and its containers are stopped. */
static void check_active_deadline(struct pc_monitor *m)
{
        if (!m->active_deadline || m->deadline_exceeded || pc_monotonic_ns() < m->active_deadline)
                return;
        if (m->state == POD_TERMINATING || m->state == POD_DONE)
                return;
        m->deadline_exceeded = true;
        set_str(&m->pod_reason, "DeadlineExceeded");
        set_str(&m->pod_message, "Pod was active on the node longer than the specified deadline");
        pc_monitor_event(m, NULL, false, "DeadlineExceeded", "%s", m->pod_message);
        begin_termination(m, m->pod.termination_grace_period_seconds);
}

static void on_grace_expired(struct pc_monitor *m)
{
        if (m->state != POD_TERMINATING && m->state != POD_STOPPING_SIDECARS)
                return;
        if (pc_monotonic_ns() < m->grace_deadline)
                return;
        logf_("grace period over: killing");
        for (size_t i = 0; i < m->n_app; i++)
                kill_ctr(&m->app[i], SIGKILL);
        for (size_t i = 0; i < m->n_init; i++)
                kill_ctr(&m->init[i], SIGKILL);
        m->grace_deadline = pc_monotonic_ns() + NS_PER_SEC; /* again in a second if needed */
}

int pc_monitor_main(int argc, char **argv)
{
        static const struct option opts[] = {
            {"root", required_argument, NULL, 'r'},
            {"log-dir", required_argument, NULL, 'l'},
            {"pod-dir", required_argument, NULL, 'p'},
            {"lock-fd", required_argument, NULL, 'k'},
            {"report-fd", required_argument, NULL, 'o'},
            {"keeper-fd", required_argument, NULL, 'K'},
            {"adopt", no_argument, NULL, 'A'},
            {NULL, 0, NULL, 0},
        };
        struct pc_monitor mon = {0};
        struct pc_monitor *m = &mon;
        const char *root = NULL, *log_dir = NULL;
        int lock_fd = -1, opt;
        pc_error err;
        m->report_fd = -1;
        m->keeper_fd = -1;
        m->epoll_fd = m->signal_fd = -1;
        m->sandbox.netns_fd = m->sandbox.ipcns_fd = m->sandbox.utsns_fd = m->sandbox.pidns_fd =
            m->sandbox.mntns_fd = m->sandbox.userns_fd = -1;
        while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (opt) {
                case 'r':
                        root = optarg;
                        break;
                case 'l':
                        log_dir = optarg;
                        break;
                case 'p':
                        m->pod_dir = pc_xstrdup(optarg);
                        break;
                case 'k':
                        lock_fd = atoi(optarg);
                        break;
                case 'o':
                        m->report_fd = atoi(optarg);
                        break;
                case 'K':
                        m->keeper_fd = atoi(optarg);
                        break;
                case 'A':
                        m->adopting = true;
                        break;
                default:
                        return 2;
                }
        }
        if (m->pod_dir && m->adopting && lock_fd < 0) {
                /* A new monitor for a running Pod: the lock is ours to take;
                 * another monitor holding it means there is nothing to do. */
                _cleanup_free_ char *lp = pc_xasprintf("%s/monitor.lock", m->pod_dir);
                lock_fd = open(lp, O_RDWR | O_CLOEXEC);
                if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) < 0)
                        return 3;
        }
        if (!m->pod_dir || lock_fd < 0) {
                fprintf(stderr, "usage: podctl-monitor --pod-dir DIR --lock-fd N [--report-fd N] "
                                "[--root DIR] [--log-dir DIR] [--keeper-fd N [--adopt]]\n");
                return 2;
        }
        fcntl(lock_fd, F_SETFD, FD_CLOEXEC);
        if (m->keeper_fd >= 0)
                fcntl(m->keeper_fd, F_SETFD, FD_CLOEXEC);
        if (m->report_fd >= 0)
                fcntl(m->report_fd, F_SETFD, FD_CLOEXEC);

        /* Our own diagnostics go to <pod dir>/monitor.log. */
        _cleanup_free_ char *mlog = pc_xasprintf("%s/monitor.log", m->pod_dir);
        int lfd = open(mlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        int nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (nfd >= 0) {
                dup2(nfd, 0);
                dup2(nfd, 1);
                close(nfd);
        }
        if (lfd >= 0) {
                dup2(lfd, 2);
                close(lfd);
        }
        setvbuf(stderr, NULL, _IOLBF, 0);

        /* So that `delete` can signal us even before status.json exists. */
        _cleanup_free_ char *pidp = pc_xasprintf("%s/monitor.pid", m->pod_dir);
        _cleanup_free_ char *pids = pc_xasprintf("%d %llu\n", (int)getpid(),
                                                 (unsigned long long)pc_proc_starttime(getpid()));
        pc_replace_file(pidp, pids, strlen(pids), 0600, &err);

        const char *scale = getenv("PODCTL_TIME_SCALE");
        m->time_scale = scale ? strtod(scale, NULL) : 1.0;
        if (m->time_scale < 0)
                m->time_scale = 1.0;

        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGUSR1);
        sigprocmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        prctl(PR_SET_NAME, "podctl-monitor");
        m->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        m->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (m->signal_fd < 0 || m->epoll_fd < 0) {
                pc_fail(&err, errno, "signalfd/epoll");
                report(m, "fatal", err.msg);
                return 1;
        }
        struct epoll_event sev = {.events = EPOLLIN, .data.ptr = NULL};
        epoll_ctl(m->epoll_fd, EPOLL_CTL_ADD, m->signal_fd, &sev);

        if (m->keeper_fd >= 0) {
                struct epoll_event kev = {.events = EPOLLIN, .data.ptr = &m->keeper_fd};
                epoll_ctl(m->epoll_fd, EPOLL_CTL_ADD, m->keeper_fd, &kev);
        }
        if (m->adopting) {
                if (pc_root_open(root, log_dir, &m->root, &err) < 0 || setup(m, &err) < 0) {
                        /* Nothing of a running Pod is undone: the keeper stays,
                         * another monitor may try again. */
                        logf_("adopt failed: %s", err.msg);
                        monitor_free(m);
                        return 3;
                }
                logf_("pod %s/%s: adopted, sandbox pid %d", m->pod.namespace_, m->pod.name,
                      (int)m->sandbox.pause_pid);
                pc_adopt_resume(m);
        } else if (pc_root_open(root, log_dir, &m->root, &err) < 0 || setup(m, &err) < 0) {
                logf_("setup failed: %s", err.msg);
                report(m, "fatal", err.msg);
                rollback(m);
                monitor_free(m);
                return 1;
        }
        if (!m->adopting) {
                logf_("pod %s/%s: sandbox pid %d", m->pod.namespace_, m->pod.name,
                      (int)m->sandbox.pause_pid);
                m->state = POD_INIT;
        }
        /* The control channel listens before the first report: a CRI
         * sandbox is done setting up at once (advance reports it), and the
         * kubelet's CreateContainer follows RunPodSandbox's answer. */
        if (pc_control_open(m, &err) < 0)
                logf_("warning: no control channel: %s", err.msg);
        advance(m);
        /* A Pod refused at once is done already: its final status stays. */
        if (m->state != POD_DONE)
                pc_monitor_write_status(m, false);

        int trimmed_state = -1;
        size_t trimmed_running = (size_t)-1;
        while (m->state != POD_DONE) {
                /* The Pod's setup (the containers' starts; in the first
                 * Pod of a root, 1.2 MB of it) leaves free memory in the
                 * heap that a live chunk above it keeps from being returned:
                 * hand it back whenever the Pod settles in a new state, not
                 * at every wake-up. */
                if ((int)m->state != trimmed_state ||
                    running_count(m, true, true) != trimmed_running) {
                        trimmed_state = (int)m->state;
                        trimmed_running = running_count(m, true, true);
                        malloc_trim(0);
                        drop_code_pages();
                }
                struct epoll_event evs[16];
                int n = epoll_wait(m->epoll_fd, evs, 16, compute_timeout(m));
                if (n < 0 && errno != EINTR) {
                        logf_("epoll_wait: %s", strerror(errno));
                        break;
                }
                /* Quiet until shown otherwise: a wake-up for a probe's
                 * timer or its attempt's exit only. Any fd but the
                 * signalfd, any signal but SIGCHLD, any other child, any
                 * event, any other timer due: not quiet. */
                m->turn_quiet = pc_monotonic_ns() < next_deadline(m);
                for (int i = 0; i < n; i++) {
                        if (!evs[i].data.ptr) {
                                handle_signal(m);
                                continue;
                        }
                        pc_monitor_not_quiet(m);
                        if (pc_control_event(m, evs[i].data.ptr))
                                continue;
                        if (evs[i].data.ptr == &m->keeper_fd) {
                                pc_adopt_on_keeper(m);
                                continue;
                        }
                        struct pc_watch *w = evs[i].data.ptr;
                        drain(m, w->c, w->stream);
                }
                reap_children(m);
                check_active_deadline(m);
                check_storage(m);
                pc_health_tick(m);
                pc_pull_tick(m);
                if (m->sync_volumes) {
                        m->sync_volumes = false;
                        pc_monitor_sync_volumes(m);
                        retry_config_errors(m);
                }
                on_grace_expired(m);
                advance(m);
                if (m->state != POD_DONE && !status_unchanged(m))
                        pc_monitor_write_status(m, false);
        }
        pc_control_close(m);
        monitor_free(m);
        return 0;
}

void pc_monitor_start_ctr(struct pc_monitor *m, struct pc_ctr *c)
{
        start_ctr(m, c);
        after_start(m, c);
}
