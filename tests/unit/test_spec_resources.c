/* Kubernetes' resource rules: effective request, QoS class, quantities. */
#include "unit.h"

#include <stdlib.h>

#include "spec/spec.h"

static struct pc_pod *load(const char *yaml, struct pc_manifest *m)
{
        pc_error err;
        if (pc_manifest_load("r.yaml", yaml, strlen(yaml), NULL, m, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                return NULL;
        }
        return m->n_pods ? &m->pods[0] : NULL;
}

static void test_effective(void)
{
        struct pc_manifest m;
        struct pc_pod *p =
            load("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                 "  initContainers:\n"
                 "  - {name: big, image: x, resources: {requests: {memory: 3Gi, cpu: 100m}}}\n"
                 "  - {name: side, image: x, restartPolicy: Always,\n"
                 "     resources: {requests: {memory: 100Mi}}}\n"
                 "  - {name: after, image: x, resources: {requests: {memory: 1Gi}}}\n"
                 "  containers:\n"
                 "  - {name: a, image: x, resources: {requests: {memory: 1Gi, cpu: 250m}}}\n"
                 "  - {name: b, image: x, resources: {limits: {memory: 1Gi, cpu: 1}}}\n",
                 &m);
        CHECK(p != NULL);
        if (p) {
                struct pc_pod_resources r;
                pc_pod_effective_request(p, &r);
                /* apps + sidecar = 2Gi+100Mi; inits: 3Gi (big), 1Gi+100Mi (after) */
                CHECK(r.memory == 3LL << 30);
                /* cpu: apps 250m + 1000m (limit defaults the request) = 1250m > 100m */
                CHECK(r.cpu_m == 1250);
                CHECK_STR(pc_pod_qos_class(p), "Burstable");
        }
        pc_manifest_free(&m);

        p = load("apiVersion: v1\nkind: Pod\nmetadata: {name: g}\nspec:\n  containers:\n"
                 "  - {name: a, image: x, resources: {limits: {memory: 1Gi, cpu: 500m}}}\n",
                 &m);
        CHECK(p && !strcmp(pc_pod_qos_class(p), "Guaranteed"));
        pc_manifest_free(&m);
        p = load("apiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec:\n  containers:\n"
                 "  - {name: a, image: x}\n",
                 &m);
        CHECK(p && !strcmp(pc_pod_qos_class(p), "BestEffort"));
        if (p) {
                struct pc_pod_resources r;
                pc_pod_effective_request(p, &r);
                CHECK(r.memory == 0 && r.cpu_m == 0);
        }
        pc_manifest_free(&m);
}

static void test_format(void)
{
        char *s;
        CHECK_STR((s = pc_quantity_format(3LL << 30, false)), "3Gi");
        free(s);
        CHECK_STR((s = pc_quantity_format(2560LL << 20, false)), "2560Mi");
        free(s);
        CHECK_STR((s = pc_quantity_format(1000, false)), "1000");
        free(s);
        CHECK_STR((s = pc_quantity_format(1500, true)), "1500m");
        free(s);
        CHECK_STR((s = pc_quantity_format(2000, true)), "2");
        free(s);
}

/* Pod-level resources (KEP-2837): the Pod's requests are its effective
 * request, and alone decide the QoS class. */
static void test_pod_level(void)
{
        struct pc_manifest m;
        struct pc_pod *p = load("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                                "  resources: {requests: {cpu: 1, memory: 100Mi}, limits: {cpu: 1, "
                                "memory: 200Mi}}\n"
                                "  containers:\n"
                                "  - {name: a, image: x, resources: {requests: {memory: 50Mi, cpu: "
                                "500m}}}\n"
                                "  - {name: b, image: x}\n",
                                &m);
        CHECK(p != NULL);
        if (p) {
                struct pc_pod_resources r;
                pc_pod_effective_request(p, &r);
                CHECK(r.cpu_m == 1000);
                CHECK(r.memory == 100LL << 20);
                CHECK_STR(pc_pod_qos_class(p), "Burstable");
                CHECK(pc_pod_level_resources(p));
        }
        pc_manifest_free(&m);
        p = load("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                 "  resources: {limits: {cpu: 1, memory: 64Mi}}\n"
                 "  containers:\n"
                 "  - {name: a, image: x}\n",
                 &m);
        CHECK(p != NULL);
        if (p)
                CHECK_STR(pc_pod_qos_class(p), "Guaranteed"); /* requests defaulted from limits */
        pc_manifest_free(&m);
}

int main(void)
{
        test_effective();
        test_pod_level();
        test_format();
        UNIT_DONE();
}
