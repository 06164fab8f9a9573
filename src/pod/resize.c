/* In-place Pod resize (KEP-1287, as Kubernetes 1.33 has it: the `resize`
 * subresource), the API server's and the node's parts; the monitor carries
 * it out (src/monitor/resize.c).
 *
 * A resize changes containers[*].resources cpu and memory requests and
 * limits (app containers and sidecars), from `podctl resize` or from an
 * apply whose only change they are (src/pod/update.c). It is checked as
 * ValidatePodResize does, with its messages: only cpu and memory (other
 * resources and anything else of the spec stay as they are), no request or
 * limit removed, requests <= limits, no memory limit lowered unless the
 * container's resizePolicy for memory is RestartContainer (1.33: the
 * kubelet's best-effort decrease came in 1.34), the QoS class unchanged,
 * non-sidecar init containers untouched; Pod-level spec.resources are not
 * resized (1.34 alpha). Then, under the root lock, the node admits the new
 * requests as the kubelet's canResizePod (Infeasible: more than the node
 * has; Deferred: not beside the other Pods); a resize it cannot admit is
 * not applied, the Pod shows PodResizePending with the reason and the
 * kubelet's message, and the command fails. An admitted one goes to the
 * monitor (it may refuse: the Pod is terminating), then pod.json is written
 * (get -o yaml shows the new resources; books.json follows it). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pod/control.h"
#include "pod/internal.h"
#include "util/cleanup.h"
#include "util/util.h"

static const char *const lists[2] = {"containers", "initContainers"};

bool pc_resize_path(const char *p)
{
        /* Pod-level ones too: refused by validate() with the reason */
        if (!strcmp(p, "spec.resources") || pc_str_has_prefix(p, "spec.resources."))
                return true;
        for (int l = 0; l < 2; l++) {
                _cleanup_free_ char *pre = pc_xasprintf("spec.%s[", lists[l]);
                if (!pc_str_has_prefix(p, pre))
                        continue;
                const char *rest = p + strlen(pre);
                char *end;
                strtol(rest, &end, 10);
                if (end != rest && pc_str_has_prefix(end, "].resources") &&
                    (end[11] == '\0' || end[11] == '.'))
                        return true;
        }
        return false;
}

/* The API server's problems with a resize, gathered ("path: message"). */
struct problems {
        char **v;
};

static void problem(struct problems *pr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void problem(struct problems *pr, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *s = NULL;
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (s)
                pc_strv_push(&pr->v, s);
        free(s);
}

/* json_equal, with two absent values equal */
static bool same(json_t *a, json_t *b)
{
        return (!a && !b) || json_equal(a, b);
}

static json_t *res_part(json_t *ct, const char *part)
{
        return json_object_get(json_object_get(ct, "resources"), part);
}

/* Other resources than cpu and memory, and resource claims, must stay. */
static bool only_cpu_memory(json_t *a, json_t *b)
{
        static const char *const parts[] = {"requests", "limits"};
        json_t *ra = json_object_get(a, "resources"), *rb = json_object_get(b, "resources");
        if (!same(json_object_get(ra, "claims"), json_object_get(rb, "claims")))
                return false;
        for (int p = 0; p < 2; p++) {
                json_t *x = json_object_get(ra, parts[p]), *y = json_object_get(rb, parts[p]);
                for (int side = 0; side < 2; side++) {
                        const char *k;
                        json_t *v;
                        json_object_foreach(side ? y : x, k, v)
                        {
                                if (!strcmp(k, "cpu") || !strcmp(k, "memory"))
                                        continue;
                                if (!same(v, json_object_get(side ? x : y, k)))
                                        return false;
                        }
                }
        }
        json_t *ca = json_deep_copy(a), *cb = json_deep_copy(b);
        json_object_del(ca, "resources");
        json_object_del(cb, "resources");
        bool eq = same(ca, cb);
        json_decref(ca);
        json_decref(cb);
        return eq;
}

static char *show_quantity(json_t *v)
{
        if (json_is_string(v))
                return pc_xstrdup(json_string_value(v));
        char *s = json_dumps(v, JSON_ENCODE_ANY);
        return s ? s : pc_xstrdup("?");
}

/* One container, old (o, decoded co) and new (n, cn), at path. */
static void check_container(struct problems *pr, const char *path, json_t *o, json_t *n,
                            const struct pc_container *co, const struct pc_container *cn)
{
        static const char *const parts[] = {"requests", "limits"};
        static const char *const names[] = {"cpu", "memory"};
        for (int p = 0; p < 2; p++) {
                bool removed = false;
                for (int r = 0; r < 2; r++)
                        removed |= json_object_get(res_part(o, parts[p]), names[r]) &&
                                   !json_object_get(res_part(n, parts[p]), names[r]);
                if (removed)
                        problem(pr, "%s.resources.%s: Forbidden: resource %s cannot be removed",
                                path, parts[p], parts[p]);
        }
        const struct pc_resources *rn = &cn->resources;
        int64_t req[2] = {rn->cpu_request, rn->memory_request};
        int64_t lim[2] = {rn->cpu_limit, rn->memory_limit};
        for (int r = 0; r < 2; r++)
                if (lim[r] >= 0 && req[r] > lim[r]) {
                        _cleanup_free_ char *rq =
                            show_quantity(json_object_get(res_part(n, "requests"), names[r]));
                        _cleanup_free_ char *lq =
                            show_quantity(json_object_get(res_part(n, "limits"), names[r]));
                        problem(pr,
                                "%s.resources.requests: Invalid value: \"%s\": must be less "
                                "than or equal to %s limit of %s",
                                path, rq, names[r], lq);
                }
        if (co->resources.memory_limit >= 0 && rn->memory_limit >= 0 &&
            rn->memory_limit < co->resources.memory_limit && !co->resize_restart_memory)
                problem(pr,
                        "%s.resources.limits[memory]: Forbidden: memory limits cannot be "
                        "decreased unless resizePolicy is RestartContainer",
                        path);
}

static int refuse(pc_error *err, const char *name, char **v)
{
        _cleanup_free_ char *all = pc_xstrdup("");
        for (size_t i = 0; v[i]; i++) {
                char *n = pc_xasprintf("%s%s%s", all, i ? ", " : "", v[i]);
                free(all);
                all = n;
        }
        if (v[1])
                pc_fail(err, 0, "The Pod \"%s\" is invalid: [%s]", name, all);
        else
                pc_fail(err, 0, "The Pod \"%s\" is invalid: %s", name, all);
        err->code = EINVAL;
        return -1;
}

/* ValidatePodResize, on the stored Pod (have, decoded as o) and the new
 * one (want, n). */
static int validate(json_t *have, json_t *want, const struct pc_pod *o, const struct pc_pod *n,
                    pc_error *err)
{
        struct problems pr = {.v = pc_xcalloc(1, sizeof(char *))};
        json_t *hs = json_object_get(have, "spec"), *ws = json_object_get(want, "spec");
        if (!same(json_object_get(hs, "resources"), json_object_get(ws, "resources")))
                problem(&pr, "spec.resources: Forbidden: podctl does not resize Pod-level "
                             "resources in place (Kubernetes 1.34 alpha, "
                             "InPlacePodLevelResourcesVerticalScaling): use replace --force");
        bool other = false;
        for (int l = 0; l < 2; l++) {
                json_t *a = json_object_get(hs, lists[l]), *b = json_object_get(ws, lists[l]);
                if (json_array_size(a) != json_array_size(b)) {
                        other = true;
                        continue;
                }
                const struct pc_container *cs = l ? o->init_containers : o->containers;
                const struct pc_container *ns = l ? n->init_containers : n->containers;
                for (size_t i = 0; i < json_array_size(a); i++) {
                        json_t *x = json_array_get(a, i), *y = json_array_get(b, i);
                        if (same(x, y))
                                continue;
                        if (!only_cpu_memory(x, y)) {
                                other = true;
                                continue;
                        }
                        _cleanup_free_ char *path = pc_xasprintf("spec.%s[%zu]", lists[l], i);
                        if (l == 1 &&
                            !(cs[i].restart_policy && !strcmp(cs[i].restart_policy, "Always"))) {
                                problem(&pr,
                                        "%s.resources: Forbidden: resources for non-sidecar "
                                        "init containers are immutable",
                                        path);
                                continue;
                        }
                        check_container(&pr, path, x, y, &cs[i], &ns[i]);
                }
        }
        /* the rest of the spec is the same (update.c let only these in) */
        json_t *hc = json_deep_copy(hs), *wc = json_deep_copy(ws);
        for (int l = 0; l < 2; l++) {
                json_object_del(hc, lists[l]);
                json_object_del(wc, lists[l]);
        }
        json_object_del(hc, "resources");
        json_object_del(wc, "resources");
        other |= !same(hc, wc);
        json_decref(hc);
        json_decref(wc);
        if (other)
                problem(&pr, "spec: Forbidden: only cpu and memory resources are mutable");
        const char *qo = pc_pod_qos_class(o), *qn = pc_pod_qos_class(n);
        if (strcmp(qo, qn))
                problem(&pr,
                        "spec: Invalid value: \"%s\": Pod QOS Class may not change as a result "
                        "of resizing",
                        qo);
        int r = pr.v[0] ? refuse(err, o->name, pr.v) : 0;
        pc_strv_free(pr.v);
        return r;
}

/* The control request: every container whose resources changed. */
static json_t *resize_request(const struct pc_pod *o, const struct pc_pod *n)
{
        json_t *a = json_array();
        for (int l = 0; l < 2; l++) {
                const struct pc_container *cs = l ? o->init_containers : o->containers;
                const struct pc_container *ns = l ? n->init_containers : n->containers;
                size_t k = l ? o->n_init_containers : o->n_containers;
                for (size_t i = 0; i < k; i++) {
                        const struct pc_resources *x = &cs[i].resources, *y = &ns[i].resources;
                        if (x->cpu_request == y->cpu_request && x->cpu_limit == y->cpu_limit &&
                            x->memory_request == y->memory_request &&
                            x->memory_limit == y->memory_limit)
                                continue;
                        json_array_append_new(
                            a, json_pack("{s:s,s:{s:I,s:I,s:I,s:I}}", "name", ns[i].name,
                                         "resources", "cpuRequest", (json_int_t)y->cpu_request,
                                         "cpuLimit", (json_int_t)y->cpu_limit, "memoryRequest",
                                         (json_int_t)y->memory_request, "memoryLimit",
                                         (json_int_t)y->memory_limit));
                }
        }
        return json_pack("{s:s,s:o}", "op", "resize", "containers", a);
}

static int call(const char *dir, json_t *req, pc_error *err)
{
        json_t *reply = NULL;
        int r = pc_monitor_call(dir, req, &reply, 0, err);
        json_decref(reply);
        json_decref(req);
        return r;
}

int pc_pod_resize_locked(podctl *ctx, struct pc_pod_state *ps, json_t *want, pc_error *err)
{
        struct pc_pod o = {0}, n = {0};
        struct pc_node node = {0};
        bool node_loaded = false;
        int rc = -1;
        _cleanup_(json_decrefp) json_t *req = NULL;
        _cleanup_free_ char *podp = pc_xasprintf("%s/pod.json", ps->dir);
        if (pc_pod_from_json(ps->pod, &o, err) < 0 || pc_pod_from_json(want, &n, err) < 0) {
                pc_error_prefix(err, "resize");
                goto out;
        }
        if (validate(ps->pod, want, &o, &n, err) < 0)
                goto out;
        req = resize_request(&o, &n);
        bool running = !ps->finished && ps->monitor_alive;
        if (running && json_array_size(json_object_get(req, "containers"))) {
                if (pc_node_load(&ctx->root, &node, err) < 0)
                        goto out;
                node_loaded = true;
                const char *reason = NULL;
                if (pc_node_admit_resize(ctx, &node, &n, &reason, err) < 0) {
                        if (!reason)
                                goto out;
                        pc_error e2;
                        call(ps->dir,
                             json_pack("{s:s,s:s,s:s}", "op", "resize_pending", "reason", reason,
                                       "message", err->msg),
                             &e2);
                        pc_error_prefix(err, "resize not applied (PodResizePending, reason %s)",
                                        reason);
                        err->code = ENOSPC;
                        goto out;
                }
                if (call(ps->dir, json_incref(req), err) < 0)
                        goto out;
        }
        if (pc_json_save(podp, want, true, err) < 0) {
                /* put the running containers back as pod.json has them */
                pc_error e2;
                if (running && json_array_size(json_object_get(req, "containers")))
                        call(ps->dir, resize_request(&n, &o), &e2);
                goto out;
        }
        pc_node_books_cache(ps->dir);
        rc = PODCTL_UPDATED;
out:
        if (node_loaded)
                pc_node_free(&node);
        pc_pod_free(&o);
        pc_pod_free(&n);
        return rc;
}

/* A quantity into container ct's resources.<part>.<name>. */
static void set_quantity(json_t *ct, const char *part, const char *name, int64_t v)
{
        if (v < 0)
                return;
        json_t *res = json_object_get(ct, "resources");
        if (!json_is_object(res)) {
                res = json_object();
                json_object_set_new(ct, "resources", res);
        }
        json_t *p = json_object_get(res, part);
        if (!json_is_object(p)) {
                p = json_object();
                json_object_set_new(res, part, p);
        }
        _cleanup_free_ char *q = pc_quantity_format(v, !strcmp(name, "cpu"));
        json_object_set_new(p, name, json_string(q));
}

int podctl_pod_resize(podctl *ctx, const char *ns, const char *name, const struct podctl_resize *rs,
                      pc_error *err)
{
        struct pc_pod_state ps;
        if (pc_pod_change_begin(ctx, ns, name, &ps, err) < 0)
                return -1;
        int rc = -1;
        _cleanup_(json_decrefp) json_t *want = json_deep_copy(ps.pod);
        json_t *spec = json_object_get(want, "spec"), *ct = NULL;
        for (int l = 0; l < 2 && !ct; l++) {
                size_t i;
                json_t *x;
                json_array_foreach(json_object_get(spec, lists[l]), i, x)
                {
                        const char *cn = json_string_value(json_object_get(x, "name"));
                        if (cn && rs->container && !strcmp(cn, rs->container)) {
                                ct = x;
                                break;
                        }
                }
        }
        if (!ct) {
                pc_fail(err, 0, "container %s not found in pod %s", rs->container, name);
                err->code = EINVAL;
                goto out;
        }
        bool cpu_lim = json_object_get(res_part(ct, "limits"), "cpu") != NULL;
        bool mem_lim = json_object_get(res_part(ct, "limits"), "memory") != NULL;
        set_quantity(ct, "requests", "cpu", rs->cpu);
        set_quantity(ct, "limits", "cpu", cpu_lim ? rs->cpu : -1);
        set_quantity(ct, "requests", "memory", rs->memory);
        set_quantity(ct, "limits", "memory", mem_lim ? rs->memory : -1);
        set_quantity(ct, "requests", "cpu", rs->cpu_request);
        set_quantity(ct, "limits", "cpu", rs->cpu_limit);
        set_quantity(ct, "requests", "memory", rs->memory_request);
        set_quantity(ct, "limits", "memory", rs->memory_limit);
        if (json_equal(want, ps.pod)) {
                rc = PODCTL_UNCHANGED;
                goto out;
        }
        rc = pc_pod_resize_locked(ctx, &ps, want, err);
out:
        pc_pod_change_end(ctx, &ps);
        return rc;
}
