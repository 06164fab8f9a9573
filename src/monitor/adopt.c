/* The monitor's side of the Pod's podctl-keeper (src/keeper/keeper.c) and
 * re-adoption: `podctl-monitor --adopt` reloads a running Pod from its state
 * dir, takes the log pipes back from the keeper, applies the exits the
 * keeper recorded while no monitor ran, and carries on.
 * See docs/ARCHITECTURE.md "Keeper and re-adoption". */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keeper/proto.h"
#include "monitor/monitor.h"
#include "util/fdpass.h"
#include "util/util.h"

/* ---- messages ---------------------------------------------------------------- */

static void send_msg(struct pc_monitor *m, const struct pc_keep_msg *k, int fd)
{
        /* a keeper that is gone: nothing holds the pipes but us, as before it */
        pc_keep_send(m->keeper_fd, k, fd);
}

/* One message; *fd the fd it carried or -1. 1 read, 0 none (nonblocking), -1 closed. */
static int recv_msg(int sock, struct pc_keep_msg *k, int *fd, bool block)
{
        ssize_t r = pc_recvmsg_fd(sock, k, sizeof(*k), fd, block ? 0 : MSG_DONTWAIT);
        if (r < 0 && errno == EAGAIN)
                return 0;
        if (r <= 0)
                return -1;
        if ((size_t)r != sizeof(*k)) {
                k->op = 0;
                return 1;
        }
        k->tag[PC_KEEP_TAG_MAX - 1] = '\0';
        return 1;
}

static void tag_of(const struct pc_ctr *c, int stream, char *tag)
{
        if (stream == PC_STREAM_IN)
                snprintf(tag, PC_KEEP_TAG_MAX, "%s/in", c->spec->name);
        else
                snprintf(tag, PC_KEEP_TAG_MAX, "%s/%d", c->spec->name, stream);
}

void pc_adopt_hold(struct pc_monitor *m, struct pc_ctr *c)
{
        if (m->keeper_fd < 0)
                return;
        int fds[3] = {c->out_fd, c->err_fd, c->in_fd};
        for (int s = 0; s < 3; s++) {
                if (fds[s] < 0)
                        continue;
                struct pc_keep_msg k = {.op = PC_KEEP_HOLD};
                tag_of(c, s, k.tag);
                send_msg(m, &k, fds[s]);
        }
}

void pc_adopt_release(struct pc_monitor *m, struct pc_ctr *c, int stream)
{
        if (m->keeper_fd < 0)
                return;
        struct pc_keep_msg k = {.op = PC_KEEP_DROP};
        tag_of(c, stream, k.tag);
        send_msg(m, &k, -1);
}

void pc_adopt_record_exit(struct pc_monitor *m, pid_t pid, int status)
{
        if (m->keeper_fd < 0)
                return;
        _cleanup_free_ char *p = pc_xasprintf("%s/exits.log", m->pod_dir);
        _cleanup_free_ char *line =
            pc_xasprintf("%d %d %lld\n", (int)pid, status, (long long)pc_now_ns());
        _cleanup_close_ int fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, line, strlen(line)) < 0)
                fprintf(stderr, "exits.log: %s\n", strerror(errno));
}

static void keeper_gone(struct pc_monitor *m)
{
        fprintf(stderr, "keeper: connection closed\n");
        epoll_ctl(m->epoll_fd, EPOLL_CTL_DEL, m->keeper_fd, NULL);
        close(m->keeper_fd);
        m->keeper_fd = -1;
}

static void on_msg(struct pc_monitor *m, const struct pc_keep_msg *k, int fd)
{
        if (fd >= 0)
                close(fd); /* only HOLDs at adoption carry fds */
        if (k->op != PC_KEEP_EXIT)
                return;
        m->reaped_at = k->time_ns;
        pc_monitor_child_exited(m, k->pid, k->status);
        m->reaped_at = 0;
}

void pc_adopt_on_keeper(struct pc_monitor *m)
{
        struct pc_keep_msg k;
        int fd, r;
        while (m->keeper_fd >= 0 && (r = recv_msg(m->keeper_fd, &k, &fd, false)) != 0) {
                if (r < 0) {
                        keeper_gone(m);
                        return;
                }
                on_msg(m, &k, fd);
        }
}

static size_t running(const struct pc_monitor *m)
{
        size_t n = 0;
        for (size_t i = 0; i < m->n_init; i++)
                n += m->init[i].state == CTR_RUNNING;
        for (size_t i = 0; i < m->n_app; i++)
                n += m->app[i].state == CTR_RUNNING;
        for (size_t i = 0; i < m->n_eph; i++)
                n += m->eph[i].state == CTR_RUNNING;
        return n;
}

void pc_adopt_finish(struct pc_monitor *m)
{
        /* finish() SIGKILLed them: the keeper reaps them and tells us. */
        m->state = POD_DONE; /* no restart for what is reported now */
        int64_t deadline = pc_monotonic_ns() + 10 * NS_PER_SEC;
        while (running(m) > 0 && m->keeper_fd >= 0 && pc_monotonic_ns() < deadline) {
                struct pollfd p = {.fd = m->keeper_fd, .events = POLLIN};
                if (poll(&p, 1, 1000) > 0)
                        pc_adopt_on_keeper(m);
        }
}

/* ---- adoption ------------------------------------------------------------------ */

/* Exits recorded while no monitor ran, applied by pc_adopt_resume. */
static struct pending {
        pid_t pid;
        int status;
        int64_t at;
} * pending;
static size_t n_pending;

static void set_str(char **dst, const char *s)
{
        free(*dst);
        *dst = s ? pc_xstrdup(s) : NULL;
}

static int open_ns(pid_t pid, const char *type, int *out, pc_error *err)
{
        char p[64], self[64];
        snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)pid, type);
        snprintf(self, sizeof(self), "/proc/self/ns/%s", type);
        struct stat a, b;
        if (stat(p, &a) < 0)
                return pc_fail(err, errno, "%s", p);
        if (stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
                return 0; /* the host's: the Pod has none of its own */
        *out = open(p, O_RDONLY | O_CLOEXEC);
        if (*out < 0)
                return pc_fail(err, errno, "open %s", p);
        return 0;
}

static int64_t jint(json_t *o, const char *k)
{
        return (int64_t)json_integer_value(json_object_get(o, k));
}

static json_t *find_status(json_t *status, const struct pc_ctr *c)
{
        json_t *arr = json_object_get(status, c->spec->init        ? "initContainerStatuses"
                                              : c->spec->ephemeral ? "ephemeralContainerStatuses"
                                                                   : "containerStatuses");
        size_t i;
        json_t *s;
        json_array_foreach(arr, i, s)
        {
                const char *n = json_string_value(json_object_get(s, "name"));
                if (n && !strcmp(n, c->spec->name))
                        return s;
        }
        return NULL;
}

/* The last exit the keeper recorded for pid at or after `since` (ns). */
static bool recorded_exit(const char *pod_dir, pid_t pid, int64_t since, int *status, int64_t *at)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/exits.log", pod_dir);
        _cleanup_free_ char *data = NULL;
        pc_error ignore;
        if (pc_read_file(p, &data, NULL, &ignore) < 0)
                return false;
        bool found = false;
        for (char *line = data, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                long long lp, ls, lt;
                if (sscanf(line, "%lld %lld %lld", &lp, &ls, &lt) != 3)
                        continue;
                if (lp == pid && lt >= since) {
                        *status = (int)ls;
                        *at = lt;
                        found = true;
                }
        }
        return found;
}

static void restore_events(struct pc_monitor *m, json_t *events)
{
        size_t i;
        json_t *e;
        json_array_foreach(events, i, e)
        {
                const char *reason = json_string_value(json_object_get(e, "reason"));
                const char *msg = json_string_value(json_object_get(e, "message"));
                if (!reason || !msg)
                        continue;
                int64_t first = 0, last = 0;
                pc_parse_time(json_string_value(json_object_get(e, "firstTimestamp")) ?: "",
                              &first);
                pc_parse_time(json_string_value(json_object_get(e, "lastTimestamp")) ?: "", &last);
                const char *obj = json_string_value(json_object_get(e, "fieldPath"));
                m->events = pc_xrealloc(m->events, (m->n_events + 1) * sizeof(*m->events));
                m->events[m->n_events++] = (struct pc_event){
                    .warning =
                        !strcmp(json_string_value(json_object_get(e, "type")) ?: "", "Warning"),
                    .reason = pc_xstrdup(reason),
                    .message = pc_xstrdup(msg),
                    .object = obj ? pc_xstrdup(obj) : NULL,
                    .count = (int)json_integer_value(json_object_get(e, "count")),
                    .first = first,
                    .last = last,
                };
        }
}

static void restore_conditions(struct pc_monitor *m, json_t *conds)
{
        static const char *types[PC_N_CONDS] = {"PodReadyToStartContainers", "Initialized", "Ready",
                                                "ContainersReady", "PodScheduled"};
        size_t i;
        json_t *c;
        json_array_foreach(conds, i, c)
        {
                const char *t = json_string_value(json_object_get(c, "type"));
                for (int k = 0; t && k < PC_N_CONDS; k++) {
                        if (strcmp(t, types[k]) != 0)
                                continue;
                        m->cond_val[k] =
                            !strcmp(json_string_value(json_object_get(c, "status")) ?: "", "True");
                        pc_parse_time(json_string_value(json_object_get(c, "lastTransitionTime"))
                                          ?: "",
                                      &m->cond_time[k]);
                }
        }
}

/* One container from status.json; a run that was running gets its pipes
 * (from the keeper, later), log file, security and cgroup back. */
static int restore_ctr(struct pc_monitor *m, struct pc_ctr *c, json_t *status, json_t *rt,
                       pc_error *err)
{
        json_t *cs = find_status(status, c);
        json_t *rc = json_object_get(json_object_get(rt, "containers"), c->spec->name);
        json_t *ad = json_object_get(rc, "adopt");
        if (!cs || !ad)
                return pc_fail(err, EINVAL, "container \"%s\": no state to adopt", c->spec->name);
        int64_t now = pc_now_ns(), mono = pc_monotonic_ns();
        c->restart_count = (int)jint(cs, "restartCount");
        json_t *ls = json_object_get(cs, "lastState");
        json_decref(c->last_state);
        c->last_state = json_object_size(ls) ? json_incref(ls) : NULL;
        const char *id = json_string_value(json_object_get(cs, "containerID"));
        if (id && pc_str_has_prefix(id, "podctl://"))
                snprintf(c->container_id, sizeof(c->container_id), "%s", id + 9);
        json_t *user = json_object_get(cs, "user");
        if (user)
                c->user_status = json_incref(user);
        c->started_at = jint(ad, "startedAt");
        c->finished_at = jint(ad, "finishedAt");
        c->backoff_ns = jint(ad, "backoffNs");
        c->ever_started = json_is_true(json_object_get(ad, "everStarted"));
        c->started = json_is_true(json_object_get(ad, "started"));
        c->healthy_since = mono - (now - c->started_at);
        json_t *st = json_object_get(cs, "state");
        json_t *w = json_object_get(st, "waiting"), *t = json_object_get(st, "terminated");
        if (json_object_get(st, "running")) {
                pid_t pid = (pid_t)jint(rc, "pid");
                uint64_t start = (uint64_t)jint(rc, "pidStart");
                if (pid <= 0)
                        return pc_fail(err, EINVAL, "container \"%s\": no pid", c->spec->name);
                c->state = CTR_RUNNING;
                c->pid = pid;
                c->pid_start = start;
                set_str(&c->reason, NULL);
                set_str(&c->message, NULL);
                if (pc_monitor_adopt_ctr(m, c, err) < 0)
                        return pc_error_prefix(err, "container \"%s\"", c->spec->name);
                _cleanup_free_ char *lpath =
                    c->log_path
                        ? pc_xstrdup(c->log_path)
                        : pc_xasprintf("%s/%s/%d.log", m->log_dir, c->spec->name, c->restart_count);
                struct pc_log_opts lo = {m->log_max_size, m->log_max_files, m, c,
                                         c->spec->stdin_open || c->spec->tty};
                if (pc_log_open(&c->log, lpath, &lo, err) < 0)
                        return -1;
                if (!pc_proc_alive(pid, start)) {
                        /* It ended while no monitor ran: the keeper reaped it. */
                        int wstatus = 0;
                        int64_t at = 0;
                        if (!recorded_exit(m->pod_dir, pid, c->started_at, &wstatus, &at)) {
                                /* Not recorded (no keeper then): the kubelet's
                                 * ContainerStatusUnknown exit code. */
                                wstatus = 137 << 8;
                                at = now;
                                fprintf(stderr, "container %s: exit of pid %d not recorded\n",
                                        c->spec->name, (int)pid);
                        }
                        pending = pc_xrealloc(pending, (n_pending + 1) * sizeof(*pending));
                        pending[n_pending++] = (struct pending){pid, wstatus, at};
                }
        } else if (t) {
                c->state = CTR_TERMINATED;
                c->exit_code = (int)jint(t, "exitCode");
                set_str(&c->reason, json_string_value(json_object_get(t, "reason")));
                set_str(&c->message, json_string_value(json_object_get(t, "message")));
        } else {
                c->state = CTR_WAITING;
                set_str(&c->reason, json_string_value(json_object_get(w, "reason")));
                set_str(&c->message, json_string_value(json_object_get(w, "message")));
        }
        if (c->state != CTR_RUNNING && m->cgroup) {
                /* A run the dead monitor started but had not recorded yet:
                 * nobody supervises it, its restart comes again. */
                _cleanup_free_ char *rel = pc_xasprintf("%s/%s", m->cgroup_rel, c->spec->name);
                pc_cgroup *cg = NULL;
                pc_error ignore;
                if (pc_cgroup_open("/sys/fs/cgroup", rel, &cg, &ignore) == 0) {
                        pc_cgroup_kill(cg, &ignore);
                        pc_cgroup_free(cg);
                }
        }
        int64_t due = jint(ad, "restartAt");
        if (due > 0) {
                c->restart_due = mono + (due > now ? due - now : 0);
                if (c->restart_due == 0)
                        c->restart_due = 1;
        }
        return 0;
}

/* The pipes the keeper holds, then PC_KEEP_END. */
static int take_pipes(struct pc_monitor *m, pc_error *err)
{
        for (;;) {
                struct pollfd p = {.fd = m->keeper_fd, .events = POLLIN};
                int n = poll(&p, 1, 5000);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return pc_fail(err, ETIMEDOUT, "keeper: no list of held pipes");
                struct pc_keep_msg k;
                int fd;
                if (recv_msg(m->keeper_fd, &k, &fd, true) < 0)
                        return pc_fail(err, EPIPE, "keeper: connection closed");
                if (k.op == PC_KEEP_END) {
                        if (fd >= 0)
                                close(fd);
                        return 0;
                }
                if (k.op != PC_KEEP_HOLD || fd < 0) {
                        on_msg(m, &k, fd);
                        continue;
                }
                char *slash = strrchr(k.tag, '/');
                struct pc_ctr *c = NULL;
                int stream = !slash ? 0 : slash[1] == '1' ? 1 : slash[1] == 'i' ? PC_STREAM_IN : 0;
                if (slash) {
                        *slash = '\0';
                        struct pc_ctr *lists[3] = {m->init, m->app, m->eph};
                        size_t counts[3] = {m->n_init, m->n_app, m->n_eph};
                        for (int l = 0; l < 3 && !c; l++)
                                for (size_t i = 0; i < counts[l] && !c; i++)
                                        if (!strcmp(lists[l][i].spec->name, k.tag))
                                                c = &lists[l][i];
                        *slash = '/';
                }
                int *slot = !c                       ? NULL
                            : stream == PC_STREAM_IN ? &c->in_fd
                            : stream                 ? &c->err_fd
                                                     : &c->out_fd;
                if (!c || c->state != CTR_RUNNING || *slot >= 0) {
                        close(fd); /* a run that is over: the keeper may let go */
                        struct pc_keep_msg d = {.op = PC_KEEP_DROP};
                        memcpy(d.tag, k.tag, sizeof(d.tag));
                        send_msg(m, &d, -1);
                        continue;
                }
                *slot = fd;
                if (stream == PC_STREAM_IN)
                        continue; /* written by attach, never read here */
                fcntl(fd, F_SETFL, O_NONBLOCK);
                c->watch[stream] = (struct pc_watch){c, stream};
                struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &c->watch[stream]};
                epoll_ctl(m->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
        }
}

static int load_userns(struct pc_monitor *m, pc_error *err)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/userns.json", m->pod_dir);
        json_t *j = NULL;
        if (pc_json_load(p, &j, err) < 0)
                return pc_error_prefix(err, "user namespace range");
        m->uid_base = (uint32_t)json_integer_value(json_object_get(j, "base"));
        m->uid_size = (uint32_t)json_integer_value(json_object_get(j, "size"));
        json_decref(j);
        return 0;
}

int pc_adopt_setup(struct pc_monitor *m, pc_error *err)
{
        if (m->keeper_fd < 0)
                return pc_fail(err, EINVAL, "--adopt needs --keeper-fd");
        _cleanup_free_ char *sp = pc_xasprintf("%s/status.json", m->pod_dir);
        _cleanup_(json_decrefp) json_t *doc = NULL;
        if (pc_json_load(sp, &doc, err) < 0)
                return -1;
        json_t *status = json_object_get(doc, "status"), *rt = json_object_get(doc, "runtime");
        if (json_is_true(json_object_get(rt, "finished")))
                return pc_fail(err, EINVAL, "the Pod is finished: nothing to adopt");

        /* The sandbox: pause must still be the process that was recorded. */
        pid_t pause = (pid_t)jint(rt, "pausePid");
        uint64_t pstart = (uint64_t)jint(rt, "pauseStart");
        if (pause <= 0 || !pc_proc_alive(pause, pstart))
                return pc_fail(err, ESRCH, "the Pod's pause process is gone");
        m->sandbox.pause_pid = pause;
        m->pause_start = pstart;
        if (!m->pod.host_users) {
                if (load_userns(m, err) < 0 ||
                    open_ns(pause, "user", &m->sandbox.userns_fd, err) < 0)
                        return -1;
                m->sandbox.uid_base = m->uid_base;
        }
        if ((!m->pod.host_network && open_ns(pause, "net", &m->sandbox.netns_fd, err) < 0) ||
            (!m->pod.host_ipc && open_ns(pause, "ipc", &m->sandbox.ipcns_fd, err) < 0) ||
            open_ns(pause, "uts", &m->sandbox.utsns_fd, err) < 0 ||
            (m->pod.share_process_namespace &&
             open_ns(pause, "pid", &m->sandbox.pidns_fd, err) < 0) ||
            open_ns(pause, "mnt", &m->sandbox.mntns_fd, err) < 0)
                return pc_error_prefix(err, "pod sandbox");

        if (json_object_get(rt, "cgroupPath") &&
            pc_cgroup_open("/sys/fs/cgroup", m->cgroup_rel, &m->cgroup, err) < 0)
                return pc_error_prefix(err, "pod cgroup");
        m->etc_dir = pc_xasprintf("%s/etc", m->pod_dir);
        m->shm_dir = pc_xasprintf("%s/shm", m->pod_dir);
        m->volume_written = pc_xcalloc(m->pod.n_volumes + 1, sizeof(bool));
        for (size_t i = 0; i < m->pod.n_volumes; i++) {
                _cleanup_free_ char *d =
                    pc_xasprintf("%s/volumes/%s", m->pod_dir, m->pod.volumes[i].name);
                m->volume_written[i] = access(d, F_OK) == 0;
        }
        const char *ip = json_string_value(json_object_get(status, "podIP"));
        if (ip && !m->pod.host_network)
                m->pod_ip = pc_xstrdup(ip);
        m->net_attached = json_object_get(rt, "network") != NULL;
        pc_parse_time(json_string_value(json_object_get(status, "startTime")) ?: "",
                      &m->start_time);
        if (m->pod.active_deadline_seconds > 0) {
                int64_t end = m->start_time + m->pod.active_deadline_seconds * NS_PER_SEC;
                int64_t left = end - pc_now_ns();
                m->active_deadline = pc_monotonic_ns() + (left > 0 ? left : 0);
        }
        const char *reason = json_string_value(json_object_get(status, "reason"));
        if (reason)
                set_str(&m->pod_reason, reason);
        /* the Pod's failures that only the monitor knows */
        m->deadline_exceeded = reason && !strcmp(reason, "DeadlineExceeded");
        m->evicted = reason && !strcmp(reason, "Evicted");
        if (m->evicted)
                m->evicted_at = pc_now_ns();
        const char *message = json_string_value(json_object_get(status, "message"));
        if (message)
                set_str(&m->pod_message, message);
        restore_events(m, json_object_get(doc, "events"));
        restore_conditions(m, json_object_get(status, "conditions"));

        /* a CRI sandbox's containers, from their records */
        if (pc_control_restore(m, err) < 0)
                return -1;
        struct pc_ctr *lists[3] = {m->init, m->app, m->eph};
        size_t counts[3] = {m->n_init, m->n_app, m->n_eph};
        for (int l = 0; l < 3; l++)
                for (size_t i = 0; i < counts[l]; i++)
                        if (restore_ctr(m, &lists[l][i], status, rt, err) < 0)
                                return -1;
        if (take_pipes(m, err) < 0)
                return -1;

        /* Where the state machine was: past the init containers once an app
         * container ran, else at the first init container not done. */
        bool apps = false;
        for (size_t i = 0; i < m->n_app; i++)
                apps = apps || m->app[i].ever_started || m->app[i].state != CTR_WAITING;
        m->state = apps ? POD_RUNNING : POD_INIT;
        /* app containers held by a postStart hook that was running start
         * now (start_apps skips those started already: the hook is not run
         * again by an adopting monitor) */
        m->next_app = 0;
        int64_t until = jint(rt, "terminatingUntil");
        if (until > 0) {
                /* It was stopping the Pod: no restarts, the same deadline. */
                int64_t left = until - pc_now_ns();
                m->state = POD_TERMINATING;
                m->grace_deadline = pc_monotonic_ns() + (left > 0 ? left : 0);
                for (size_t i = 0; i < m->n_init; i++)
                        m->init[i].restart_due = 0;
                for (size_t i = 0; i < m->n_app; i++)
                        m->app[i].restart_due = 0;
        }
        m->next_init = m->n_init;
        for (size_t i = 0; !apps && i < m->n_init; i++) {
                const struct pc_ctr *c = &m->init[i];
                bool done = c->sidecar ? c->state == CTR_RUNNING && c->started
                                       : c->state == CTR_TERMINATED && c->exit_code == 0;
                if (!done) {
                        m->next_init = i;
                        break;
                }
        }
        return 0;
}

void pc_adopt_resume(struct pc_monitor *m)
{
        struct pc_ctr *lists[3] = {m->init, m->app, m->eph};
        size_t counts[3] = {m->n_init, m->n_app, m->n_eph};
        for (int l = 0; l < 3; l++)
                for (size_t i = 0; i < counts[l]; i++) {
                        struct pc_ctr *c = &lists[l][i];
                        bool gone = false;
                        for (size_t k = 0; k < n_pending; k++)
                                gone = gone || pending[k].pid == c->pid;
                        if (c->state != CTR_RUNNING || gone)
                                continue;
                        pc_health_on_adopt(m, c);
                        if (m->state == POD_TERMINATING && (!c->sidecar || l >= 1)) {
                                /* Stopped again: the dead monitor may not have
                                 * got to it (its preStop may run a second time). */
                                int64_t left = (m->grace_deadline - pc_monotonic_ns()) / NS_PER_SEC;
                                pc_monitor_event(m, c, false, "Killing", "Stopping container %s",
                                                 c->spec->name);
                                pc_monitor_stop_ctr(m, c, left > 0 ? left : 0);
                        }
                }
        for (size_t k = 0; k < n_pending; k++) {
                fprintf(stderr, "pid %d exited while no monitor ran (wait status %d)\n",
                        (int)pending[k].pid, pending[k].status);
                m->reaped_at = pending[k].at;
                pc_monitor_child_exited(m, pending[k].pid, pending[k].status);
                m->reaped_at = 0;
        }
        free(pending);
        pending = NULL;
        n_pending = 0;
}
