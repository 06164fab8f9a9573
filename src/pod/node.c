/* The node's books: what Pods that exist have requested, admission of a new
 * Pod against allocatable, and the Node object `describe node` shows. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "pod/internal.h"
#include "util/util.h"

/* A Pod holds its reservation from creation until it has terminated for good
 * (Succeeded/Failed) or is deleted: reservations belong to Pods that exist. */
static bool holds_resources(const struct pc_pod_state *ps)
{
        const char *phase = json_string_value(json_object_get(ps->status, "phase"));
        if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")))
                return false;
        return true;
}

static bool host_ip_overlap(const char *a, const char *b)
{
        bool any_a = !a || !*a || !strcmp(a, "0.0.0.0") || !strcmp(a, "::");
        bool any_b = !b || !*b || !strcmp(b, "0.0.0.0") || !strcmp(b, "::");
        return any_a || any_b || !strcmp(a, b);
}

static int host_port_error(pc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int host_port_error(pc_error *err, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        err->code = EADDRINUSE;
        return -1;
}

static int port_taken(const struct pc_pod *other, const struct pc_port *want, pc_error *err)
{
        if (want->host_port <= 0)
                return 0;
        const struct pc_port *ports[512];
        size_t n = pc_pod_ports(other, ports, PC_ARRAY_SIZE(ports));
        for (size_t i = 0; i < n; i++) {
                const struct pc_port *h = ports[i];
                if (h->host_port == want->host_port &&
                    !strcasecmp(h->protocol ? h->protocol : "TCP",
                                want->protocol ? want->protocol : "TCP") &&
                    host_ip_overlap(h->host_ip, want->host_ip))
                        return host_port_error(err,
                                               "hostPort %d/%s is already used by pod "
                                               "%s/%s (node(s) didn't have free ports for "
                                               "the requested pod ports)",
                                               want->host_port,
                                               want->protocol ? want->protocol : "TCP",
                                               other->namespace_, other->name);
        }
        return 0;
}

static void limits_of(const struct pc_pod *p, struct pc_pod_resources *lim)
{
        memset(lim, 0, sizeof(*lim));
        for (size_t i = 0; i < p->n_containers; i++) {
                if (p->containers[i].resources.cpu_limit > 0)
                        lim->cpu_m += p->containers[i].resources.cpu_limit;
                if (p->containers[i].resources.memory_limit > 0)
                        lim->memory += p->containers[i].resources.memory_limit;
        }
        /* Pod-level limits, where set, are the Pod's */
        if (p->resources.cpu_limit >= 0)
                lim->cpu_m = p->resources.cpu_limit;
        if (p->resources.memory_limit >= 0)
                lim->memory = p->resources.memory_limit;
}

/* Call fn for every Pod that holds resources (decoded), stopping at the
 * first fn that fails. Pods being created or deleted are skipped. */
typedef int (*holding_fn)(const struct pc_pod *pod, json_t *obj, void *data, pc_error *err);

static int for_each_holding_pod(podctl *ctx, holding_fn fn, void *data, pc_error *err)
{
        _cleanup_strv_ char **keys = NULL;
        if (pc_pods_list(&ctx->root, &keys, err) < 0)
                return -1;
        int r = 0;
        for (size_t i = 0; keys[i] && r == 0; i++) {
                struct pc_pod_state ps;
                struct pc_pod pod;
                pc_error e2;
                if (pc_pod_state_load(&ctx->root, keys[i], &ps, &e2) == 0 && holds_resources(&ps) &&
                    pc_pod_from_json(ps.pod, &pod, &e2) == 0) {
                        r = fn(&pod, ps.pod, data, err);
                        pc_pod_free(&pod);
                }
                pc_pod_state_free(&ps);
        }
        return r;
}

struct books {
        struct pc_pod_resources requested;
        json_t *rows;              /* NULL: totals only */
        const struct pc_pod *want; /* admission: check its hostPorts; NULL otherwise */
};

static int add_to_books(const struct pc_pod *pod, json_t *obj, void *data, pc_error *err)
{
        struct books *b = data;
        struct pc_pod_resources req, lim;
        pc_pod_effective_request(pod, &req);
        b->requested.cpu_m += req.cpu_m;
        b->requested.memory += req.memory;
        if (b->rows) {
                limits_of(pod, &lim);
                json_t *r = json_object();
                json_object_set_new(r, "namespace", json_string(pod->namespace_));
                json_object_set_new(r, "name", json_string(pod->name));
                json_object_set_new(r, "cpuRequests", json_integer(req.cpu_m));
                json_object_set_new(r, "cpuLimits", json_integer(lim.cpu_m));
                json_object_set_new(r, "memoryRequests", json_integer(req.memory));
                json_object_set_new(r, "memoryLimits", json_integer(lim.memory));
                json_object_set(
                    r, "creationTimestamp",
                    json_object_get(json_object_get(obj, "metadata"), "creationTimestamp"));
                json_array_append_new(b->rows, r);
        }
        /* hostPort conflicts (the scheduler's NodePorts filter): same
         * protocol and port, overlapping host IPs. */
        const struct pc_port *ports[512];
        size_t n = b->want ? pc_pod_ports(b->want, ports, PC_ARRAY_SIZE(ports)) : 0;
        for (size_t i = 0; i < n; i++)
                if (port_taken(pod, ports[i], err) < 0)
                        return -1;
        return 0;
}

int pc_node_books(podctl *ctx, struct pc_pod_resources *requested, json_t *rows, pc_error *err)
{
        struct books b = {.rows = rows};
        int r = for_each_holding_pod(ctx, add_to_books, &b, err);
        *requested = b.requested;
        return r;
}

int pc_node_admit(podctl *ctx, const struct pc_node *node, const struct pc_pod *pod, pc_error *err)
{
        struct pc_pod_resources want;
        pc_pod_effective_request(pod, &want);
        /* One walk over the Pods: what they request, and their hostPorts. */
        struct books books = {.want = pod};
        if (for_each_holding_pod(ctx, add_to_books, &books, err) < 0)
                return -1;
        struct pc_pod_resources used = books.requested;
        int64_t free_cpu = node->allocatable.cpu_m - used.cpu_m;
        int64_t free_mem = node->allocatable.memory - used.memory;
        if (free_cpu < 0)
                free_cpu = 0;
        if (free_mem < 0)
                free_mem = 0;
        char *msg = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&msg, &len);
        if (!f)
                return pc_fail(err, errno, "open_memstream");
        if (want.cpu_m > free_cpu) {
                _cleanup_free_ char *a = pc_quantity_format(want.cpu_m, true);
                _cleanup_free_ char *b = pc_quantity_format(free_cpu, true);
                fprintf(f, "Insufficient cpu: requested %s, available %s", a, b);
        }
        if (want.memory > free_mem) {
                _cleanup_free_ char *a = pc_quantity_format(want.memory, false);
                _cleanup_free_ char *b = pc_quantity_format(free_mem, false);
                fprintf(f, "%sInsufficient memory: requested %s, available %s", len ? "; " : "", a,
                        b);
        }
        fclose(f);
        int r = 0;
        if (len > 0)
                r = pc_fail(err, ENOSPC, "%s", msg);
        free(msg);
        return r;
}

static json_t *amounts_json(const struct pc_node_amounts *a)
{
        _cleanup_free_ char *cpu = pc_quantity_format(a->cpu_m, true);
        _cleanup_free_ char *mem = pc_xasprintf("%lldKi", (long long)(a->memory / 1024));
        _cleanup_free_ char *pids = pc_xasprintf("%lld", (long long)a->pids);
        return json_pack("{s:s,s:s,s:s}", "cpu", cpu, "memory", mem, "pids", pids);
}

int podctl_node_get(podctl *ctx, json_t **out, pc_error *err)
{
        struct pc_node node;
        struct pc_pod_resources used;
        if (pc_node_load(&ctx->root, &node, err) < 0)
                return -1;
        pc_node_free(&node);
        json_t *rows = json_array();
        if (pc_node_books(ctx, &used, rows, err) < 0) {
                json_decref(rows);
                return -1;
        }
        char host[256] = "";
        gethostname(host, sizeof(host) - 1);
        json_t *limits = json_pack("{s:I,s:I}", "cpu", (json_int_t)0, "memory", (json_int_t)0);
        size_t i;
        json_t *r;
        json_int_t lc = 0, lm = 0;
        json_array_foreach(rows, i, r)
        {
                lc += json_integer_value(json_object_get(r, "cpuLimits"));
                lm += json_integer_value(json_object_get(r, "memoryLimits"));
        }
        json_object_set_new(limits, "cpu", json_integer(lc));
        json_object_set_new(limits, "memory", json_integer(lm));
        *out =
            json_pack("{s:s,s:s,s:{s:s},s:{s:o,s:o},s:{s:{s:I,s:I},s:o,s:o}}", "apiVersion", "v1",
                      "kind", "Node", "metadata", "name", host, "status", "capacity",
                      amounts_json(&node.capacity), "allocatable", amounts_json(&node.allocatable),
                      "podctl", "requested", "cpu", (json_int_t)used.cpu_m, "memory",
                      (json_int_t)used.memory, "limits", limits, "pods", rows);
        return 0;
}
