/* Kubernetes' resource rules on the Pod model: effective requests (the
 * scheduler's), QoS class, quantity formatting. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "spec/spec.h"
#include "util/util.h"

static int64_t or_zero(int64_t v)
{
        return v < 0 ? 0 : v;
}

static void add(struct pc_pod_resources *a, const struct pc_resources *r)
{
        a->cpu_m += or_zero(r->cpu_request);
        a->memory += or_zero(r->memory_request);
}

static void max_into(struct pc_pod_resources *a, const struct pc_pod_resources *b)
{
        if (b->cpu_m > a->cpu_m)
                a->cpu_m = b->cpu_m;
        if (b->memory > a->memory)
                a->memory = b->memory;
}

/* Per resource: the larger of (app containers + all native sidecars) and,
 * for each init container, its request plus the sidecars started before it.
 * (Requests were defaulted to limits by the spec module.) */
void pc_pod_effective_request(const struct pc_pod *p, struct pc_pod_resources *out)
{
        struct pc_pod_resources sidecars = {0}, init_max = {0}, apps = {0};
        for (size_t i = 0; i < p->n_init_containers; i++) {
                const struct pc_container *c = &p->init_containers[i];
                if (c->restart_policy && !strcmp(c->restart_policy, "Always")) {
                        add(&sidecars, &c->resources);
                        continue;
                }
                struct pc_pod_resources one = sidecars;
                add(&one, &c->resources);
                max_into(&init_max, &one);
        }
        for (size_t i = 0; i < p->n_containers; i++)
                add(&apps, &p->containers[i].resources);
        apps.cpu_m += sidecars.cpu_m;
        apps.memory += sidecars.memory;
        *out = apps;
        max_into(out, &init_max);
        /* Pod-level requests, where set, are the Pod's (KEP-2837) */
        if (p->resources.cpu_request >= 0)
                out->cpu_m = p->resources.cpu_request;
        if (p->resources.memory_request >= 0)
                out->memory = p->resources.memory_request;
}

bool pc_pod_level_resources(const struct pc_pod *p)
{
        const struct pc_resources *r = &p->resources;
        return r->cpu_request >= 0 || r->cpu_limit >= 0 || r->memory_request >= 0 ||
               r->memory_limit >= 0;
}

const char *pc_pod_qos_class(const struct pc_pod *p)
{
        /* Pod-level resources decide alone (Kubernetes' computePodLevelQOS):
         * Guaranteed when cpu and memory limits are set and requests equal. */
        if (pc_pod_level_resources(p)) {
                const struct pc_resources *r = &p->resources;
                return r->cpu_limit >= 0 && r->memory_limit >= 0 &&
                               r->cpu_request == r->cpu_limit &&
                               r->memory_request == r->memory_limit
                           ? "Guaranteed"
                           : "Burstable";
        }
        bool any = false, guaranteed = true;
        for (int l = 0; l < 2; l++) {
                const struct pc_container *cs = l ? p->containers : p->init_containers;
                size_t n = l ? p->n_containers : p->n_init_containers;
                for (size_t i = 0; i < n; i++) {
                        const struct pc_resources *r = &cs[i].resources;
                        if (r->cpu_request >= 0 || r->cpu_limit >= 0 || r->memory_request >= 0 ||
                            r->memory_limit >= 0)
                                any = true;
                        int64_t creq = r->cpu_request >= 0 ? r->cpu_request : r->cpu_limit;
                        int64_t mreq = r->memory_request >= 0 ? r->memory_request : r->memory_limit;
                        if (r->cpu_limit < 0 || r->memory_limit < 0 || creq != r->cpu_limit ||
                            mreq != r->memory_limit)
                                guaranteed = false;
                }
        }
        if (!any)
                return "BestEffort";
        return guaranteed ? "Guaranteed" : "Burstable";
}

char *pc_quantity_format(int64_t v, bool cpu)
{
        if (cpu) {
                if (v % 1000 == 0)
                        return pc_xasprintf("%" PRId64, v / 1000);
                return pc_xasprintf("%" PRId64 "m", v);
        }
        static const char *suffix[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
        int s = 0;
        while (s < 6 && v != 0 && v % 1024 == 0) {
                v /= 1024;
                s++;
        }
        return pc_xasprintf("%" PRId64 "%s", v, suffix[s]);
}
