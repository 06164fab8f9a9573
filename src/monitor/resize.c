/* In-place Pod resize (KEP-1287, Kubernetes 1.33), the kubelet's part: the
 * CLI (src/pod/resize.c) has validated the new cpu/memory requests and
 * limits as the API server does and admitted them against the node under
 * the root lock; here they are carried out as the kubelet does.
 *
 * - resizePolicy NotRequired (the default): the container's cgroup takes
 *   the new cpu shares (weight on v2), CFS quota and memory limit while it
 *   runs; its PID, start time and restartCount stay.
 * - RestartContainer for a resource that changed: the running container is
 *   stopped ("Container X resize requires restart") and started again at
 *   once with the new values (restartCount + 1, no backoff), as after a
 *   definition change; PodResizeInProgress is True until it runs again.
 * - The Pod's cgroup follows (limits are the sum of the containers', shares
 *   from the requests). Writes are ordered so that no parent is ever below
 *   a child: the Pod first takes the larger of the old and new values, then
 *   the containers their new ones, then the Pod its new ones (after the
 *   last restart, when one is due). A write that fails puts every cgroup
 *   and the spec back as they were, and the resize is refused.
 * - A terminating Pod is resized too, best-effort, with nothing restarted;
 *   a container that does not run takes RestartContainer values at its
 *   next start.
 * - A resize the node cannot admit (src/pod/resize.c) is not applied: it
 *   shows as the condition PodResizePending (reason Infeasible or Deferred,
 *   the kubelet's message) until a later resize is applied.
 *
 * Control requests (control.c dispatches them):
 *   resize {containers: [{name, resources: {cpuRequest, cpuLimit,
 *           memoryRequest, memoryLimit}}]}   (-1: not set)
 *   resize_pending {reason, message} */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"
#include "util/cleanup.h"
#include "util/util.h"

#define MAX_RESIZE PC_MANIFEST_MAX_CONTAINERS

static json_t *fail(int code, const char *msg)
{
        return json_pack("{s:b,s:i,s:s}", "ok", 0, "code", code, "error", msg);
}

/* An app container or a sidecar (the containers a resize may change). */
static struct pc_ctr *resizable(struct pc_monitor *m, const char *name)
{
        for (size_t i = 0; name && i < m->n_app; i++)
                if (!strcmp(m->app[i].spec->name, name))
                        return &m->app[i];
        for (size_t i = 0; name && i < m->n_init; i++)
                if (m->init[i].sidecar && !strcmp(m->init[i].spec->name, name))
                        return &m->init[i];
        return NULL;
}

static bool any_restart_due(const struct pc_monitor *m)
{
        for (size_t i = 0; i < m->n_app; i++)
                if (m->app[i].resize_restart)
                        return true;
        for (size_t i = 0; i < m->n_init; i++)
                if (m->init[i].resize_restart)
                        return true;
        return false;
}

/* The larger of two limits (-1, unlimited, is the largest). */
static int64_t wider(int64_t a, int64_t b)
{
        return a < 0 || b < 0 ? -1 : a > b ? a : b;
}

static void widest(const struct pc_cgroup_limits *a, const struct pc_cgroup_limits *b,
                   struct pc_cgroup_limits *out)
{
        *out = *a;
        out->memory_max = wider(a->memory_max, b->memory_max);
        out->cpu_quota = wider(a->cpu_quota, b->cpu_quota);
        out->cpu_shares = a->cpu_shares > b->cpu_shares ? a->cpu_shares : b->cpu_shares;
}

static int set_ctr(struct pc_ctr *c, const struct pc_resources *r, pc_error *err)
{
        if (!c->cgroup)
                return 0;
        struct pc_cgroup_limits l;
        pc_monitor_container_limits(r, &l);
        if (pc_cgroup_set_limits(c->cgroup, &l, err) < 0)
                return pc_error_prefix(err, "container \"%s\": cgroup", c->spec->name);
        return 0;
}

static int set_pod(struct pc_monitor *m, const struct pc_cgroup_limits *l, pc_error *err)
{
        if (m->cgroup && pc_cgroup_set_limits(m->cgroup, l, err) < 0)
                return pc_error_prefix(err, "the Pod's cgroup");
        return 0;
}

/* Does the change from a to b touch what the cgroup holds of a resource
 * (the kubelet compares cpu request and limit, memory limit; a memory
 * request is not in the cgroup)? */
static bool cpu_changed(const struct pc_resources *a, const struct pc_resources *b)
{
        return a->cpu_request != b->cpu_request || a->cpu_limit != b->cpu_limit;
}

static bool memory_changed(const struct pc_resources *a, const struct pc_resources *b)
{
        return a->memory_limit != b->memory_limit;
}

static int64_t res_field(json_t *r, const char *k)
{
        json_t *v = json_object_get(r, k);
        return json_is_integer(v) ? json_integer_value(v) : -1;
}

struct change {
        struct pc_ctr *c;
        struct pc_resources old, want;
        bool restart;  /* RestartContainer for a resource that changed, and it runs */
        bool in_place; /* its cgroup takes the new values now */
        bool stale;    /* RestartContainer: they wait for its next start */
};

static void undo(struct pc_monitor *m, struct change *ch, size_t n, size_t written,
                 const struct pc_cgroup_limits *pod_old)
{
        pc_error ignore;
        for (size_t i = 0; i < written; i++)
                if (ch[i].in_place)
                        set_ctr(ch[i].c, &ch[i].old, &ignore);
        for (size_t i = 0; i < n; i++)
                ch[i].c->spec->resources = ch[i].old;
        set_pod(m, pod_old, &ignore);
}

json_t *pc_resize_op(struct pc_monitor *m, json_t *req)
{
        json_t *list = json_object_get(req, "containers");
        if (!json_is_array(list) || json_array_size(list) == 0 ||
            json_array_size(list) > MAX_RESIZE)
                return fail(EINVAL, "resize: containers (1 or more) are required");
        if (m->pod.cri_sandbox)
                return fail(EPERM, "resize: not for CRI sandboxes");
        /* a terminating Pod is resized too, best-effort (KEP-1287's
         * lifecycle nuances), but nothing is restarted any more */
        bool ending = m->state == POD_TERMINATING || m->state == POD_DONE;
        struct change ch[MAX_RESIZE];
        size_t n = 0, i;
        json_t *x;
        json_array_foreach(list, i, x)
        {
                const char *name = json_string_value(json_object_get(x, "name"));
                struct pc_ctr *c = resizable(m, name);
                if (!c) {
                        char msg[256];
                        snprintf(msg, sizeof(msg), "container \"%s\" not found", name ? name : "");
                        return fail(ENOENT, msg);
                }
                json_t *r = json_object_get(x, "resources");
                struct pc_resources want = c->spec->resources;
                want.cpu_request = res_field(r, "cpuRequest");
                want.cpu_limit = res_field(r, "cpuLimit");
                want.memory_request = res_field(r, "memoryRequest");
                want.memory_limit = res_field(r, "memoryLimit");
                const struct pc_resources *old = &c->spec->resources;
                bool changed = cpu_changed(old, &want) || memory_changed(old, &want);
                bool by_restart = (c->spec->resize_restart_cpu && cpu_changed(old, &want)) ||
                                  (c->spec->resize_restart_memory && memory_changed(old, &want));
                ch[n++] =
                    (struct change){.c = c,
                                    .old = *old,
                                    .want = want,
                                    .restart = by_restart && c->state == CTR_RUNNING && !ending,
                                    .in_place = changed && !by_restart,
                                    .stale = changed && by_restart};
        }
        /* the Pod's values before and after */
        struct pc_cgroup_limits pod_old, pod_new, pod_wide;
        pc_monitor_pod_limits(m, &pod_old);
        for (i = 0; i < n; i++)
                ch[i].c->spec->resources = ch[i].want;
        pc_monitor_pod_limits(m, &pod_new);
        widest(&pod_old, &pod_new, &pod_wide);
        pc_error err;
        if (set_pod(m, &pod_wide, &err) < 0) {
                undo(m, ch, n, 0, &pod_old);
                return fail(err.code ? err.code : EIO, err.msg);
        }
        for (i = 0; i < n; i++)
                if (ch[i].in_place && set_ctr(ch[i].c, &ch[i].want, &err) < 0) {
                        undo(m, ch, n, i, &pod_old);
                        return fail(err.code ? err.code : EIO, err.msg);
                }
        bool restarting = false;
        for (i = 0; i < n; i++)
                restarting |= ch[i].restart || ch[i].c->resize_restart;
        /* with a restart to come, the Pod keeps the wider values until then */
        if (!restarting && set_pod(m, &pod_new, &err) < 0) {
                undo(m, ch, n, n, &pod_old);
                return fail(err.code ? err.code : EIO, err.msg);
        }
        json_t *restarted = json_array();
        for (i = 0; i < n; i++) {
                struct pc_ctr *c = ch[i].c;
                if (ch[i].in_place && c->state == CTR_RUNNING) {
                        c->applied = ch[i].want;
                        c->applied_set = true;
                }
                c->resize_stale |= ch[i].stale;
                if (!ch[i].restart)
                        continue;
                c->resize_restart = true;
                c->spec_changed = true; /* started again at once, no backoff */
                json_array_append_new(restarted, json_string(c->spec->name));
                pc_monitor_event(m, c, false, "Killing", "Container %s resize requires restart",
                                 c->spec->name);
                pc_monitor_stop_ctr(m, c, m->pod.termination_grace_period_seconds);
        }
        fprintf(stderr, "podctl-monitor: resized %zu container(s), %zu to restart\n", n,
                json_array_size(restarted));
        free(m->resize_pending_reason);
        free(m->resize_pending_message);
        m->resize_pending_reason = m->resize_pending_message = NULL;
        m->resize_pending_at = 0;
        if (restarting && !m->resize_progress_at)
                m->resize_progress_at = pc_now_ns();
        return json_pack("{s:b,s:o}", "ok", 1, "restarted", restarted);
}

json_t *pc_resize_pending_op(struct pc_monitor *m, json_t *req)
{
        const char *reason = json_string_value(json_object_get(req, "reason"));
        const char *msg = json_string_value(json_object_get(req, "message"));
        if (!reason || !msg || (strcmp(reason, "Infeasible") && strcmp(reason, "Deferred")))
                return fail(EINVAL, "resize_pending: reason Infeasible or Deferred and a "
                                    "message are required");
        if (!m->resize_pending_reason || strcmp(m->resize_pending_reason, reason))
                m->resize_pending_at = pc_now_ns();
        free(m->resize_pending_reason);
        free(m->resize_pending_message);
        m->resize_pending_reason = pc_xstrdup(reason);
        m->resize_pending_message = pc_xstrdup(msg);
        return json_pack("{s:b}", "ok", 1);
}

int pc_resize_on_start(struct pc_monitor *m, struct pc_ctr *c, pc_error *err)
{
        c->applied = c->spec->resources;
        c->applied_set = true;
        /* after a RestartContainer resize its cgroup (kept from the run
         * before, empty now) takes the new values, and once no other restart
         * is due the Pod's cgroup its own */
        if (c->resize_stale && set_ctr(c, &c->spec->resources, err) < 0)
                return -1;
        c->resize_stale = false;
        if (!c->resize_restart)
                return 0;
        c->resize_restart = false;
        if (any_restart_due(m))
                return 0;
        m->resize_progress_at = 0;
        struct pc_cgroup_limits l;
        pc_monitor_pod_limits(m, &l);
        return set_pod(m, &l, err);
}

static json_t *condition(const char *type, int64_t at, const char *reason, const char *msg)
{
        json_t *c = json_pack("{s:s,s:s,s:n}", "type", type, "status", "True", "lastProbeTime");
        char t[40];
        pc_format_time(at, false, t, sizeof(t));
        json_object_set_new(c, "lastTransitionTime", json_string(t));
        if (reason)
                json_object_set_new(c, "reason", json_string(reason));
        if (msg)
                json_object_set_new(c, "message", json_string(msg));
        return c;
}

void pc_resize_conditions(const struct pc_monitor *m, json_t *conds)
{
        if (m->resize_pending_reason)
                json_array_append_new(conds, condition("PodResizePending", m->resize_pending_at,
                                                       m->resize_pending_reason,
                                                       m->resize_pending_message));
        if (m->resize_progress_at)
                json_array_append_new(
                    conds, condition("PodResizeInProgress", m->resize_progress_at, NULL, NULL));
}

static void put_quantity(json_t *o, const char *k, int64_t v, bool cpu)
{
        if (v < 0)
                return;
        _cleanup_free_ char *q = pc_quantity_format(v, cpu);
        json_object_set_new(o, k, json_string(q));
}

/* status.containerStatuses[].resources: what the running container's cgroup
 * holds, else what its next start gets. */
json_t *pc_resize_status_json(const struct pc_ctr *c)
{
        const struct pc_resources *r =
            c->state == CTR_RUNNING && c->applied_set ? &c->applied : &c->spec->resources;
        json_t *req = json_object(), *lim = json_object(), *j = json_object();
        put_quantity(req, "cpu", r->cpu_request, true);
        put_quantity(req, "memory", r->memory_request, false);
        put_quantity(lim, "cpu", r->cpu_limit, true);
        put_quantity(lim, "memory", r->memory_limit, false);
        if (json_object_size(lim))
                json_object_set(j, "limits", lim);
        if (json_object_size(req))
                json_object_set(j, "requests", req);
        json_decref(req);
        json_decref(lim);
        return j;
}
