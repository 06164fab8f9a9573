/* ListMetricDescriptors and ListPodSandboxMetrics (and StreamPodSandboxMetrics,
 * service.c): the kubelet's CRI metrics (PodAndContainerStatsFromCRI), with
 * cadvisor's metric names and CRI-O's labels: id, image, namespace, pod,
 * container (a sandbox's own metrics: its id, "", its namespace and name,
 * "POD"), then the metric's own (cpu, interface). Values are what
 * ListPodSandboxStats measures (the pod and container cgroups, eth0 of the
 * sandbox's netns, the writable layers): seconds as whole seconds, as
 * CRI-O's. */
#include <string.h>

#include "cri/internal.h"
#include "util/cleanup.h"

#define NS_PER_S 1000000000ULL

enum { BASE = 0, CPU, IFACE };
static const char *const base_keys[] = {"id", "image", "namespace", "pod", "container"};
#define N_BASE 5

static const struct desc {
        const char *name, *help;
        int extra; /* BASE, CPU ("cpu"), IFACE ("interface") */
} descs[] = {
    {"container_last_seen", "Last time a container was seen by the exporter", BASE},
    {"container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", CPU},
    {"container_memory_usage_bytes",
     "Current memory usage in bytes, including all memory regardless of when it was accessed",
     BASE},
    {"container_memory_working_set_bytes", "Current working set in bytes.", BASE},
    {"container_processes", "Number of processes running inside the container.", BASE},
    {"container_fs_usage_bytes",
     "Number of bytes that are consumed by the container on this "
     "filesystem.",
     BASE},
    {"container_network_receive_bytes_total", "Cumulative count of bytes received", IFACE},
    {"container_network_receive_errors_total",
     "Cumulative count of errors encountered while receiving", IFACE},
    {"container_network_transmit_bytes_total", "Cumulative count of bytes transmitted", IFACE},
    {"container_network_transmit_errors_total",
     "Cumulative count of errors encountered while transmitting", IFACE},
};

void cri_list_metric_descriptors(struct cri_call *c, const ProtobufCMessage *req)
{
        (void)req;
        size_t n = sizeof(descs) / sizeof(descs[0]);
        Runtime__V1__ListMetricDescriptorsResponse r =
            RUNTIME__V1__LIST_METRIC_DESCRIPTORS_RESPONSE__INIT;
        r.descriptors = cri_alloc(c, n * sizeof(*r.descriptors));
        for (size_t i = 0; i < n; i++) {
                Runtime__V1__MetricDescriptor *d =
                    CRI_NEW(c, Runtime__V1__MetricDescriptor, metric_descriptor);
                d->name = (char *)descs[i].name;
                d->help = (char *)descs[i].help;
                d->n_label_keys = N_BASE + (descs[i].extra != BASE);
                d->label_keys = cri_alloc(c, d->n_label_keys * sizeof(char *));
                for (size_t k = 0; k < N_BASE; k++)
                        d->label_keys[k] = (char *)base_keys[k];
                if (descs[i].extra == CPU)
                        d->label_keys[N_BASE] = "cpu";
                else if (descs[i].extra == IFACE)
                        d->label_keys[N_BASE] = "interface";
                r.descriptors[r.n_descriptors++] = d;
        }
        cri_reply(c, &r.base);
}

/* The metrics being put together for one sandbox or container. */
struct out {
        struct cri_call *c;
        const char *labels[N_BASE];
        int64_t now;
        Runtime__V1__Metric **v;
        size_t n, cap;
};

static void add(struct out *o, const char *name, bool counter, const char *extra, uint64_t value)
{
        if (o->n == o->cap) {
                size_t cap = o->cap ? o->cap * 2 : 16;
                Runtime__V1__Metric **v = cri_alloc(o->c, cap * sizeof(*v));
                if (o->n)
                        memcpy(v, o->v, o->n * sizeof(*v));
                o->v = v;
                o->cap = cap;
        }
        Runtime__V1__Metric *m = CRI_NEW(o->c, Runtime__V1__Metric, metric);
        m->name = (char *)name;
        m->timestamp = o->now;
        m->metric_type =
            counter ? RUNTIME__V1__METRIC_TYPE__COUNTER : RUNTIME__V1__METRIC_TYPE__GAUGE;
        m->n_label_values = N_BASE + (extra != NULL);
        m->label_values = cri_alloc(o->c, m->n_label_values * sizeof(char *));
        for (size_t k = 0; k < N_BASE; k++)
                m->label_values[k] = cri_strdup(o->c, o->labels[k] ? o->labels[k] : "");
        if (extra)
                m->label_values[N_BASE] = (char *)extra;
        m->value = CRI_NEW(o->c, Runtime__V1__UInt64Value, uint64_value);
        m->value->value = value;
        o->v[o->n++] = m;
}

static void common(struct out *o, const Runtime__V1__CpuUsage *cpu,
                   const Runtime__V1__MemoryUsage *mem)
{
        add(o, "container_last_seen", false, NULL, (uint64_t)o->now / NS_PER_S);
        if (cpu && cpu->usage_core_nano_seconds)
                add(o, "container_cpu_usage_seconds_total", true, "total",
                    cpu->usage_core_nano_seconds->value / NS_PER_S);
        if (mem && mem->usage_bytes)
                add(o, "container_memory_usage_bytes", false, NULL, mem->usage_bytes->value);
        if (mem && mem->working_set_bytes)
                add(o, "container_memory_working_set_bytes", false, NULL,
                    mem->working_set_bytes->value);
}

static Runtime__V1__PodSandboxMetrics *sandbox_metrics(struct cri_call *c,
                                                       const Runtime__V1__PodSandboxStats *s)
{
        Runtime__V1__PodSandboxMetrics *pm =
            CRI_NEW(c, Runtime__V1__PodSandboxMetrics, pod_sandbox_metrics);
        const Runtime__V1__PodSandboxAttributes *a = s->attributes;
        const Runtime__V1__LinuxPodSandboxStats *lx = s->linux;
        pm->pod_sandbox_id = a->id;
        const char *ns = a->metadata ? a->metadata->namespace_ : "";
        const char *pod = a->metadata ? a->metadata->name : "";
        struct out o = {.c = c, .labels = {a->id, "", ns, pod, "POD"}, .now = cri_now_ns()};
        if (lx) {
                common(&o, lx->cpu, lx->memory);
                if (lx->process && lx->process->process_count)
                        add(&o, "container_processes", false, NULL,
                            lx->process->process_count->value);
                for (size_t i = 0; lx->network && i < lx->network->n_interfaces; i++) {
                        const Runtime__V1__NetworkInterfaceUsage *n = lx->network->interfaces[i];
                        if (n->rx_bytes)
                                add(&o, "container_network_receive_bytes_total", true, n->name,
                                    n->rx_bytes->value);
                        if (n->rx_errors)
                                add(&o, "container_network_receive_errors_total", true, n->name,
                                    n->rx_errors->value);
                        if (n->tx_bytes)
                                add(&o, "container_network_transmit_bytes_total", true, n->name,
                                    n->tx_bytes->value);
                        if (n->tx_errors)
                                add(&o, "container_network_transmit_errors_total", true, n->name,
                                    n->tx_errors->value);
                }
        }
        pm->metrics = o.v;
        pm->n_metrics = o.n;
        size_t nc = lx ? lx->n_containers : 0;
        pm->container_metrics = cri_alloc(c, (nc + 1) * sizeof(*pm->container_metrics));
        for (size_t i = 0; i < nc; i++) {
                const Runtime__V1__ContainerStats *cs = lx->containers[i];
                Runtime__V1__ContainerMetrics *cm =
                    CRI_NEW(c, Runtime__V1__ContainerMetrics, container_metrics);
                cm->container_id = cs->attributes->id;
                struct out co = {
                    .c = c,
                    .labels = {cs->attributes->id, "", ns, pod,
                               cs->attributes->metadata ? cs->attributes->metadata->name : ""},
                    .now = o.now};
                common(&co, cs->cpu, cs->memory);
                if (cs->writable_layer && cs->writable_layer->used_bytes)
                        add(&co, "container_fs_usage_bytes", false, NULL,
                            cs->writable_layer->used_bytes->value);
                cm->metrics = co.v;
                cm->n_metrics = co.n;
                pm->container_metrics[pm->n_container_metrics++] = cm;
        }
        return pm;
}

void cri_list_sandbox_metrics(struct cri_call *c, const ProtobufCMessage *req)
{
        (void)req;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct cri_sb_ref *sbs;
        size_t n;
        if (!ctx || cri_sandbox_refs(c, ctx, NULL, &sbs, &n, &err) < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__ListPodSandboxMetricsResponse r =
            RUNTIME__V1__LIST_POD_SANDBOX_METRICS_RESPONSE__INIT;
        r.pod_metrics = cri_alloc(c, (n + 1) * sizeof(*r.pod_metrics));
        for (size_t i = 0; i < n; i++)
                if (sbs[i].ready) /* running sandboxes, as their stats */
                        r.pod_metrics[r.n_pod_metrics++] =
                            sandbox_metrics(c, cri_sandbox_stats_of(c, ctx, &sbs[i]));
        cri_reply(c, &r.base);
}
