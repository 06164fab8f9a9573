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
        if (m->failed_init || m->deadline_exceeded || m->rejected)
                return "Failed";
        if (m->state == POD_INIT)
                return "Pending";
        if (app_terminal(m, &all_ok) && m->n_app > 0) {
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
        return j;
}

/* Append " name" (or "name" first) to a kubelet-style list "[a b]" in b. */
static void list_add(char *b, size_t sz, const char *name)
{
        size_t n = strlen(b);
        snprintf(b + n, sz - n, "%s%s", n ? " " : "", name);
}

/* The kubelet's conditions (pkg/kubelet/status/generate.go): Initialized
 * False with "containers with incomplete status: [init1 init2]" until every
 * init container exited 0 (a sidecar: started) or a regular container has
 * run; ContainersReady and Ready False with "containers with unready status:
 * [...]" (sidecars and app containers), reason PodCompleted/PodFailed once
 * the Pod is terminal. */
void pc_monitor_update_conditions(struct pc_monitor *m)
{
        const char *phase = pc_pod_phase(m);
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
        bool vals[4] = {true, true, true, true};
        const char *reasons[4] = {NULL, NULL, NULL, NULL};
        char *msgs[4] = {NULL, NULL, NULL, NULL};
        if (!strcmp(phase, "Succeeded")) {
                reasons[1] = m->n_init > 0 ? "PodCompleted" : NULL;
        } else if (m->n_init > 0 && !regular_started && incomplete[0]) {
                vals[1] = false;
                reasons[1] = "ContainersNotInitialized";
                msgs[1] = pc_xasprintf("containers with incomplete status: [%s]", incomplete);
        }
        if (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")) {
                vals[2] = false;
                reasons[2] = phase[0] == 'S' ? "PodCompleted" : "PodFailed";
        } else if (unready[0]) {
                vals[2] = false;
                reasons[2] = "ContainersNotReady";
                msgs[2] = pc_xasprintf("containers with unready status: [%s]", unready);
        }
        vals[3] = vals[2];
        reasons[3] = reasons[2];
        msgs[3] = msgs[2] ? pc_xstrdup(msgs[2]) : NULL;
        /* readiness gates: no condition of theirs exists on this node (the
         * kubelet's GeneratePodReadyCondition) */
        if (vals[2] && m->pod.readiness_gates && m->pod.readiness_gates[0]) {
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
                vals[3] = false;
                reasons[3] = "ReadinessGatesNotReady";
                msgs[3] = buf;
        }
        int64_t now = pc_now_ns();
        for (int i = 0; i < 4; i++) {
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
        static const char *cond_names[4] = {"PodScheduled", "Initialized", "ContainersReady",
                                            "Ready"};
        json_t *st = json_object();
        json_object_set_new(st, "phase", json_string(pc_pod_phase(m)));
        json_t *conds = json_array();
        for (int i = 0; i < 4; i++) {
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
        json_object_set_new(st, "qosClass",
                            json_string(m->qos_class ? m->qos_class : "BestEffort"));
        return st;
}

static json_t *runtime_json(const struct pc_monitor *m, bool finished)
{
        json_t *rt = json_object();
        json_object_set_new(rt, "monitorPid", json_integer(finished ? 0 : getpid()));
        json_object_set_new(rt, "monitorStart",
                            json_integer(finished ? 0 : (json_int_t)pc_proc_starttime(getpid())));
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
        json_t *cs = json_object();
        struct pc_ctr *lists[2] = {m->init, m->app};
        size_t counts[2] = {m->n_init, m->n_app};
        for (int l = 0; l < 2; l++) {
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
                        json_object_set_new(cs, c->spec->name, j);
                }
        }
        json_object_set_new(rt, "containers", cs);
        return rt;
}

int pc_monitor_write_status(struct pc_monitor *m, bool finished)
{
        pc_monitor_update_conditions(m);
        json_t *doc = json_object();
        json_object_set_new(doc, "status", pc_monitor_status_json(m));
        json_object_set_new(doc, "runtime", runtime_json(m, finished));
        json_object_set_new(doc, "events", pc_monitor_events_json(m));
        _cleanup_free_ char *p = pc_xasprintf("%s/status.json", m->pod_dir);
        int r = pc_json_save(p, doc, false, NULL);
        json_decref(doc);
        return r;
}
