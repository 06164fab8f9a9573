/* The Pod's status in Kubernetes' v1 PodStatus shape, plus podctl's own
 * runtime facts (pids, cgroups, paths) for the CLI. */
#include <string.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "util/util.h"

static json_t *time_json(int64_t ns)
{
        char buf[40];
        pc_format_time(ns, false, buf, sizeof(buf));
        return json_string(buf);
}

static bool app_terminal(const struct pc_monitor *m, bool *all_ok)
{
        *all_ok = true;
        for (size_t i = 0; i < m->n_app; i++) {
                const struct pc_ctr *c = &m->app[i];
                if (c->state != CTR_TERMINATED || c->restart_due)
                        return false;
                if (c->exit_code != 0)
                        *all_ok = false;
        }
        return true;
}

const char *pc_pod_phase(const struct pc_monitor *m)
{
        bool all_ok;
        if (m->failed_init || m->deadline_exceeded || m->rejected || m->evicted)
                return "Failed";
        if (m->state == POD_INIT || m->restarting_all)
                return "Pending"; /* also while all containers restart (KEP-5532) */
        /* A CRI sandbox's containers ending do not end it (the kubelet's). */
        if (app_terminal(m, &all_ok) && m->n_app > 0 && !m->pod.cri_sandbox) {
                bool started = true;
                for (size_t i = 0; i < m->n_app; i++)
                        started = started && m->app[i].ever_started;
                if (started || !all_ok)
                        return all_ok ? "Succeeded" : "Failed";
        }
        for (size_t i = 0; i < m->n_app; i++)
                if (m->app[i].ever_started)
                        return "Running";
        return "Pending";
}

static json_t *state_json(const struct pc_ctr *c)
{
        json_t *inner = json_object();
        switch (c->state) {
        case CTR_WAITING:
                json_object_set_new(inner, "reason",
                                    json_string(c->reason ? c->reason : "ContainerCreating"));
                if (c->message)
                        json_object_set_new(inner, "message", json_string(c->message));
                return json_pack("{s:o}", "waiting", inner);
        case CTR_RUNNING:
                json_object_set_new(inner, "startedAt", time_json(c->started_at));
                return json_pack("{s:o}", "running", inner);
        case CTR_TERMINATED:
                json_object_set_new(inner, "exitCode", json_integer(c->exit_code));
                json_object_set_new(inner, "reason",
                                    json_string(c->reason ? c->reason : "Completed"));
                if (c->message)
                        json_object_set_new(inner, "message", json_string(c->message));
                if (c->started_at)
                        json_object_set_new(inner, "startedAt", time_json(c->started_at));
                json_object_set_new(inner, "finishedAt", time_json(c->finished_at));
                if (c->container_id[0]) {
                        char id[80];
                        snprintf(id, sizeof(id), "podctl://%s", c->container_id);
                        json_object_set_new(inner, "containerID", json_string(id));
                }
                return json_pack("{s:o}", "terminated", inner);
        }
        return inner;
}

static json_t *volume_mounts_json(const struct pc_container *spec);

static json_t *ctr_status_json(const struct pc_ctr *c)
{
        json_t *j = json_object();
        json_object_set_new(j, "name", json_string(c->spec->name));
        json_object_set_new(j, "state", state_json(c));
        json_object_set_new(j, "lastState",
                            c->last_state ? json_incref(c->last_state) : json_object());
        bool running = c->state == CTR_RUNNING;
        /* An init container that exited 0 is ready (the kubelet's prober
         * manager); the others while running and ready. */
        bool done = c->spec->init && !c->sidecar && c->state == CTR_TERMINATED && c->exit_code == 0;
        json_object_set_new(j, "ready", json_boolean((running && c->ready) || done));
        json_object_set_new(j, "restartCount", json_integer(c->restart_count));
        /* KEP-4960: the stop signal when the spec or the image sets one */
        const char *ss = c->spec->stop_signal;
        if (!ss && c->image && c->image->stop_signal && *c->image->stop_signal)
                ss = c->image->stop_signal;
        if (ss)
                json_object_set_new(j, "stopSignal",
                                    json_string_nocheck(ss)); /* validated or the image's */
        json_object_set_new(j, "image", json_string(c->image ? c->image->ref : c->spec->image));
        if (c->image) {
                /* repo@digest, as the kubelet reports it (no tag). */
                const char *ref = c->image->ref;
                const char *slash = strrchr(ref, '/');
                const char *colon = strrchr(slash ? slash : ref, ':');
                const char *at = strchr(ref, '@');
                size_t n = at ? (size_t)(at - ref) : colon ? (size_t)(colon - ref) : strlen(ref);
                _cleanup_free_ char *id =
                    pc_xasprintf("%.*s@%s", (int)n, ref, c->image->manifest_digest);
                json_object_set_new(j, "imageID", json_string(id));
        }
        if (c->container_id[0]) {
                char id[80];
                snprintf(id, sizeof(id), "podctl://%s", c->container_id);
                json_object_set_new(j, "containerID", json_string(id));
        }
        json_object_set_new(j, "started", json_boolean(running && c->started));
        /* in-place resize: what the container's cgroup holds (app containers
         * and sidecars: the ones a resize may change) */
        if (!c->spec->init || c->sidecar)
                json_object_set_new(j, "resources", pc_resize_status_json(c));
        if (c->user_status)
                json_object_set_new(j, "user", json_incref(c->user_status));
        if (c->spec->n_mounts)
                json_object_set_new(j, "volumeMounts", volume_mounts_json(c->spec));
        return j;
}

void pc_monitor_read_user(struct pc_monitor *m, struct pc_ctr *c)
{
        _cleanup_free_ char *p = pc_xasprintf("/proc/%d/status", (int)c->pid);
        _cleanup_free_ char *data = NULL;
        pc_error ignore;
        if (pc_read_file(p, &data, NULL, &ignore) < 0)
                return; /* already gone: the status keeps the previous run's */
        /* host ids -> the Pod's (hostUsers: false maps 0.. to uid_base..) */
        long long base = m->uid_size ? (long long)m->uid_base : 0;
        long long uid = -1, gid = -1;
        json_t *groups = json_array();
        for (char *line = data, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (pc_str_has_prefix(line, "Uid:"))
                        uid = strtoll(line + 4, NULL, 10) - base;
                else if (pc_str_has_prefix(line, "Gid:"))
                        gid = strtoll(line + 4, NULL, 10) - base;
                else if (pc_str_has_prefix(line, "Groups:")) {
                        char *q = line + 7, *end;
                        for (long long g; (g = strtoll(q, &end, 10)), end != q; q = end)
                                json_array_append_new(groups, json_integer(g - base));
                }
        }
        if (uid < 0 || gid < 0) {
                json_decref(groups);
                return;
        }
        json_decref(c->user_status);
        c->user_status = json_pack("{s:{s:I,s:I,s:o}}", "linux", "uid", (json_int_t)uid, "gid",
                                   (json_int_t)gid, "supplementalGroups", groups);
}

/* The kubelet's volumeMounts status (RecursiveReadOnlyMounts): each mount,
 * readOnly when it is, and how a read-only one is read-only. */
static json_t *volume_mounts_json(const struct pc_container *spec)
{
        json_t *a = json_array();
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const struct pc_volume_mount *vm = &spec->mounts[i];
                json_t *v = json_pack("{s:s,s:s}", "name", vm->name, "mountPath", vm->mount_path);
                if (vm->read_only) {
                        json_object_set_new(v, "readOnly", json_true());
                        json_object_set_new(
                            v, "recursiveReadOnly",
                            json_string(vm->recursive_read_only ? "Enabled" : "Disabled"));
                }
                json_array_append_new(a, v);
        }
        return a;
}

/* Append " name" (or "name" first) to a kubelet-style list "[a b]" in b. */
static void list_add(char *b, size_t sz, const char *name)
{
        size_t n = strlen(b);
        snprintf(b + n, sz - n, "%s%s", n ? " " : "", name);
}

/* The kubelet's conditions (pkg/kubelet/status/generate.go):
 * PodReadyToStartContainers True while the Pod's sandbox (pause, its
 * network) is up; Initialized False with "containers with incomplete
 * status: [init1 init2]" until every init container exited 0 (a sidecar:
 * started) or a regular container has run, True with reason PodCompleted
 * once the Pod Succeeded; ContainersReady and Ready False with "containers
 * with unready status: [...]" (sidecars and app containers), reason
 * PodCompleted/PodFailed once the Pod is terminal; PodScheduled True. */
void pc_monitor_update_conditions(struct pc_monitor *m)
{
        const char *phase = pc_pod_phase(m);
        bool terminal = !strcmp(phase, "Succeeded") || !strcmp(phase, "Failed");
        char incomplete[1024] = "", unready[1024] = "";
        bool regular_started = false;
        for (size_t i = 0; i < m->n_init; i++) {
                const struct pc_ctr *c = &m->init[i];
                if (c->sidecar ? !(c->state == CTR_RUNNING && c->started)
                               : !(c->state == CTR_TERMINATED && c->exit_code == 0))
                        list_add(incomplete, sizeof(incomplete), c->spec->name);
                if (c->sidecar && !(c->state == CTR_RUNNING && c->ready))
                        list_add(unready, sizeof(unready), c->spec->name);
        }
        for (size_t i = 0; i < m->n_app; i++) {
                const struct pc_ctr *c = &m->app[i];
                regular_started = regular_started || c->state != CTR_WAITING;
                if (!(c->state == CTR_RUNNING && c->ready))
                        list_add(unready, sizeof(unready), c->spec->name);
        }
        bool vals[PC_N_CONDS];
        const char *reasons[PC_N_CONDS] = {NULL};
        char *msgs[PC_N_CONDS] = {NULL};
        for (int i = 0; i < PC_N_CONDS; i++)
                vals[i] = true;
        vals[PC_COND_READY_TO_START] = m->sandbox.pause_pid > 0 && !terminal;
        if (!strcmp(phase, "Succeeded")) {
                reasons[PC_COND_INITIALIZED] = "PodCompleted";
        } else if (m->n_init > 0 && !regular_started && incomplete[0] && !m->all_restarts) {
                /* (a Pod that restarted all its containers stays Initialized) */
                vals[PC_COND_INITIALIZED] = false;
                reasons[PC_COND_INITIALIZED] = "ContainersNotInitialized";
                msgs[PC_COND_INITIALIZED] =
                    pc_xasprintf("containers with incomplete status: [%s]", incomplete);
        }
        if (terminal) {
                vals[PC_COND_CONTAINERS_READY] = false;
                reasons[PC_COND_CONTAINERS_READY] = phase[0] == 'S' ? "PodCompleted" : "PodFailed";
        } else if (unready[0]) {
                vals[PC_COND_CONTAINERS_READY] = false;
                reasons[PC_COND_CONTAINERS_READY] = "ContainersNotReady";
                msgs[PC_COND_CONTAINERS_READY] =
                    pc_xasprintf("containers with unready status: [%s]", unready);
        }
        vals[PC_COND_READY] = vals[PC_COND_CONTAINERS_READY];
        reasons[PC_COND_READY] = reasons[PC_COND_CONTAINERS_READY];
        msgs[PC_COND_READY] =
            msgs[PC_COND_CONTAINERS_READY] ? pc_xstrdup(msgs[PC_COND_CONTAINERS_READY]) : NULL;
        /* readiness gates: no condition of theirs exists on this node (the
         * kubelet's GeneratePodReadyCondition) */
        if (vals[PC_COND_READY] && m->pod.readiness_gates && m->pod.readiness_gates[0]) {
                char *buf = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&buf, &len);
                for (size_t i = 0; f && m->pod.readiness_gates[i]; i++)
                        fprintf(f,
                                "%scorresponding condition of pod readiness gate \"%s\" does not "
                                "exist.",
                                i ? ", " : "", m->pod.readiness_gates[i]);
                if (f)
                        fclose(f);
                vals[PC_COND_READY] = false;
                reasons[PC_COND_READY] = "ReadinessGatesNotReady";
                free(msgs[PC_COND_READY]);
                msgs[PC_COND_READY] = buf;
        }
        int64_t now = pc_now_ns();
        for (int i = 0; i < PC_N_CONDS; i++) {
                if (m->cond_time[i] == 0 || m->cond_val[i] != vals[i]) {
                        m->cond_val[i] = vals[i];
                        m->cond_time[i] = now;
                }
                m->cond_reason[i] = reasons[i];
                free(m->cond_message[i]);
                m->cond_message[i] = msgs[i];
        }
}

json_t *pc_monitor_status_json(const struct pc_monitor *m)
{
        static const char *cond_names[PC_N_CONDS] = {[PC_COND_READY_TO_START] =
                                                         "PodReadyToStartContainers",
                                                     [PC_COND_INITIALIZED] = "Initialized",
                                                     [PC_COND_READY] = "Ready",
                                                     [PC_COND_CONTAINERS_READY] = "ContainersReady",
                                                     [PC_COND_SCHEDULED] = "PodScheduled"};
        json_t *st = json_object();
        json_object_set_new(st, "phase", json_string(pc_pod_phase(m)));
        json_t *conds = json_array();
        for (int i = 0; i < PC_N_CONDS; i++) {
                json_t *c = json_object();
                json_object_set_new(c, "type", json_string(cond_names[i]));
                json_object_set_new(c, "status", json_string(m->cond_val[i] ? "True" : "False"));
                json_object_set_new(c, "lastProbeTime", json_null());
                json_object_set_new(c, "lastTransitionTime", time_json(m->cond_time[i]));
                if (m->cond_reason[i])
                        json_object_set_new(c, "reason", json_string(m->cond_reason[i]));
                if (m->cond_message[i])
                        json_object_set_new(c, "message", json_string(m->cond_message[i]));
                json_array_append_new(conds, c);
        }
        if (m->evicted)
                /* the kubelet's, when it evicts a Pod */
                json_array_append_new(
                    conds, json_pack("{s:s,s:s,s:n,s:o,s:s,s:s}", "type", "DisruptionTarget",
                                     "status", "True", "lastProbeTime", "lastTransitionTime",
                                     time_json(m->evicted_at), "reason", "TerminationByKubelet",
                                     "message", m->pod_message ? m->pod_message : ""));
        if (m->all_restarts)
                json_array_append_new(
                    conds,
                    json_pack("{s:s,s:s,s:n,s:o,s:s,s:s}", "type", "AllContainersRestarting",
                              "status", m->restarting_all ? "True" : "False", "lastProbeTime",
                              "lastTransitionTime", time_json(m->restart_all_at), "reason",
                              "RestartAllContainers", "message",
                              m->restart_all_message ? m->restart_all_message : ""));
        pc_resize_conditions(m, conds);
        json_object_set_new(st, "conditions", conds);
        if (m->pod_reason)
                json_object_set_new(st, "reason", json_string(m->pod_reason));
        if (m->pod_message)
                json_object_set_new(st, "message", json_string(m->pod_message));
        json_object_set_new(st, "hostIP", json_string(PC_HOST_IP));
        json_object_set_new(st, "hostIPs", json_pack("[{s:s}]", "ip", PC_HOST_IP));
        /* A hostNetwork Pod has the host's IP (kubelet_pods.go). */
        const char *ip = m->pod_ip ? m->pod_ip : m->pod.host_network ? PC_HOST_IP : NULL;
        if (ip) {
                json_object_set_new(st, "podIP", json_string(ip));
                json_object_set_new(st, "podIPs", json_pack("[{s:s}]", "ip", ip));
        }
        if (m->start_time)
                json_object_set_new(st, "startTime", time_json(m->start_time));
        /* A Pod the node rejected has no container statuses (the kubelet's
         * rejectPod sets phase, reason and message only). */
        if (m->n_init > 0 && !m->rejected) {
                json_t *a = json_array();
                for (size_t i = 0; i < m->n_init; i++)
                        json_array_append_new(a, ctr_status_json(&m->init[i]));
                json_object_set_new(st, "initContainerStatuses", a);
        }
        if (!m->rejected) {
                json_t *a = json_array();
                for (size_t i = 0; i < m->n_app; i++)
                        json_array_append_new(a, ctr_status_json(&m->app[i]));
                json_object_set_new(st, "containerStatuses", a);
        }
        if (m->n_eph > 0) {
                /* never ready (the kubelet's: they have no probes and do not
                 * count for the Pod's readiness) */
                json_t *a = json_array();
                for (size_t i = 0; i < m->n_eph; i++) {
                        json_t *e = ctr_status_json(&m->eph[i]);
                        json_object_set_new(e, "ready", json_false());
                        json_array_append_new(a, e);
                }
                json_object_set_new(st, "ephemeralContainerStatuses", a);
        }
        json_object_set_new(st, "qosClass",
                            json_string(m->qos_class ? m->qos_class : "BestEffort"));
        return st;
}

/* The monitor's own start time: read once (status is written often). */
static unsigned long long self_start(void)
{
        static unsigned long long start;
        if (!start)
                start = pc_proc_starttime(getpid());
        return start;
}

static json_t *runtime_json(const struct pc_monitor *m, bool finished)
{
        json_t *rt = json_object();
        json_object_set_new(rt, "monitorPid", json_integer(finished ? 0 : getpid()));
        json_object_set_new(rt, "monitorStart",
                            json_integer(finished ? 0 : (json_int_t)self_start()));
        if (m->keeper_fd >= 0) {
                /* adopt.c: who to ask (SIGHUP) for a new monitor once we are gone */
                static unsigned long long kstart;
                if (!kstart)
                        kstart = pc_proc_starttime(getppid());
                json_object_set_new(rt, "keeperPid", json_integer(getppid()));
                json_object_set_new(rt, "keeperStart", json_integer((json_int_t)kstart));
        }
        json_object_set_new(rt, "pausePid", json_integer(m->sandbox.pause_pid));
        json_object_set_new(rt, "pauseStart", json_integer((json_int_t)m->pause_start));
        if (m->cgroup_rel)
                json_object_set_new(rt, "cgroup", json_string(m->cgroup_rel));
        if (m->cgroup)
                json_object_set_new(rt, "cgroupPath", json_string(pc_cgroup_path(m->cgroup)));
        json_object_set_new(rt, "logDir", json_string(m->log_dir));
        if (m->net_attached) {
                _cleanup_free_ char *conf = pc_xasprintf("%s/cni/net.d", m->root.root);
                _cleanup_free_ char *cache = pc_xasprintf("%s/cni/cache", m->root.root);
                json_object_set_new(rt, "network",
                                    json_pack("{s:s,s:s,s:s}", "sandboxId", m->sandbox_id,
                                              "confDir", conf, "cacheDir", cache));
        }
        json_object_set_new(rt, "finished", json_boolean(finished));
        if (m->state == POD_TERMINATING && !finished) {
                /* adopt.c: a monitor killed while stopping the Pod; the new one
                 * goes on stopping it until the same deadline (realtime ns) */
                static int64_t seen, real;
                if (seen != m->grace_deadline) {
                        seen = m->grace_deadline;
                        real = pc_now_ns() + (m->grace_deadline - pc_monotonic_ns());
                }
                json_object_set_new(rt, "terminatingUntil", json_integer((json_int_t)real));
        }
        json_t *cs = json_object();
        struct pc_ctr *lists[3] = {m->init, m->app, m->eph};
        size_t counts[3] = {m->n_init, m->n_app, m->n_eph};
        for (int l = 0; l < 3; l++) {
                for (size_t i = 0; i < counts[l]; i++) {
                        const struct pc_ctr *c = &lists[l][i];
                        json_t *j = json_object();
                        bool running = c->state == CTR_RUNNING;
                        json_object_set_new(j, "pid", json_integer(running ? c->pid : 0));
                        json_object_set_new(j, "pidStart",
                                            json_integer(running ? (json_int_t)c->pid_start : 0));
                        _cleanup_free_ char *rootfs = pc_xasprintf("%s/rootfs", c->dir);
                        json_object_set_new(j, "rootfs", json_string(rootfs));
                        _cleanup_free_ char *log = pc_xasprintf("%s/%s/%d.log", m->log_dir,
                                                                c->spec->name, c->restart_count);
                        json_object_set_new(j, "logPath", json_string(log));
                        if (c->cgroup)
                                json_object_set_new(j, "cgroupPath",
                                                    json_string(pc_cgroup_path(c->cgroup)));
                        /* What a monitor adopting the Pod needs beyond the v1 status
                         * (adopt.c): exact times, backoff, when a restart is due. */
                        struct pc_ctr *w = (struct pc_ctr *)c; /* the conversion's cache */
                        if (w->restart_due_seen != c->restart_due) {
                                w->restart_due_seen = c->restart_due;
                                w->restart_due_real =
                                    c->restart_due
                                        ? pc_now_ns() + (c->restart_due - pc_monotonic_ns())
                                        : 0;
                        }
                        int64_t due = c->restart_due_real;
                        json_object_set_new(j, "adopt",
                                            json_pack("{s:I,s:I,s:I,s:I,s:b,s:b}", "startedAt",
                                                      (json_int_t)c->started_at, "finishedAt",
                                                      (json_int_t)c->finished_at, "backoffNs",
                                                      (json_int_t)c->backoff_ns, "restartAt",
                                                      (json_int_t)due, "everStarted",
                                                      c->ever_started, "started", c->started));
                        json_object_set_new(cs, c->spec->name, j);
                }
        }
        json_object_set_new(rt, "containers", cs);
        return rt;
}

/* Called after every turn of the event loop: the file is replaced only when
 * its text changed (a probe attempt that changes nothing writes nothing;
 * docs/PERFORMANCE.md "Probes"). The monitor is status.json's only writer. */
int pc_monitor_write_status(struct pc_monitor *m, bool finished)
{
        m->status_built_at = pc_monotonic_ns();
        pc_monitor_update_conditions(m);
        json_t *doc = json_object();
        json_object_set_new(doc, "status", pc_monitor_status_json(m));
        json_object_set_new(doc, "runtime", runtime_json(m, finished));
        json_object_set_new(doc, "events", pc_monitor_events_json(m));
        /* The event loop calls this after every wake-up, a read of a busy
         * container's output included: the file is replaced only when its
         * content changes (a create and a rename cost more than the rest
         * of a wake-up). */
        _cleanup_free_ char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        if (!s)
                return -1;
        if (m->status_written && !strcmp(s, m->status_written))
                return 0;
        _cleanup_free_ char *p = pc_xasprintf("%s/status.json", m->pod_dir);
        if (pc_replace_file(p, s, strlen(s), 0600, NULL) < 0)
                return -1;
        free(m->status_written);
        m->status_written = STEAL(s);
        return 0;
}
