/* The Downward API's computed values: resourceFieldRef (Kubernetes'
 * ExtractContainerResourceValue: limits defaulted to the node's allocatable,
 * divisor, rounding up) and the labels/annotations file format. */
#include "unit.h"

#include <stdlib.h>

#include "spec/spec.h"
#include "util/util.h"

static struct pc_pod *load(const char *yaml, struct pc_manifest *m)
{
        pc_error err;
        if (pc_manifest_load("d.yaml", yaml, strlen(yaml), NULL, m, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                return NULL;
        }
        return m->n_pods ? &m->pods[0] : NULL;
}

/* The value of env[i] of container 0. */
static char *env_value(struct pc_pod *p, size_t i)
{
        static const struct pc_pod_resources alloc = {.cpu_m = 2500, .memory = 3LL << 30};
        pc_error err;
        char *v = pc_resource_ref_value(p, &p->containers[0], &p->containers[0].env[i].res, &alloc,
                                        100LL << 30, &err);
        if (!v)
                fprintf(stderr, "%s\n", err.msg);
        return v;
}

static void test_resource_ref(void)
{
        struct pc_manifest m;
        struct pc_pod *p = load(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
            "  - name: a\n    image: x\n"
            "    resources: {requests: {cpu: 125m, memory: 32Mi}, limits: {cpu: 250m, memory: "
            "64Mi}}\n"
            "    env:\n"
            "    - {name: E0, valueFrom: {resourceFieldRef: {resource: requests.cpu}}}\n"
            "    - {name: E1, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}}\n"
            "    - {name: E2, valueFrom: {resourceFieldRef: {resource: limits.memory}}}\n"
            "    - {name: E3, valueFrom: {resourceFieldRef: {resource: requests.memory, divisor: "
            "1Mi}}}\n"
            "    - {name: E4, valueFrom: {resourceFieldRef: {containerName: b, resource: "
            "limits.memory, divisor: 1Gi}}}\n"
            "    - {name: E5, valueFrom: {resourceFieldRef: {containerName: b, resource: "
            "limits.cpu}}}\n"
            "    - {name: E6, valueFrom: {resourceFieldRef: {resource: limits.ephemeral-storage, "
            "divisor: 1Gi}}}\n"
            "    - {name: E7, valueFrom: {resourceFieldRef: {containerName: b, resource: "
            "requests.memory, divisor: 1k}}}\n"
            "  - {name: b, image: x, resources: {requests: {memory: 1001}}}\n",
            &m);
        CHECK(p != NULL);
        if (!p) {
                pc_manifest_free(&m);
                return;
        }
        static const char *const want[] = {"1", "250", "67108864", "32", "3", "3", "100", "2"};
        for (size_t i = 0; i < PC_ARRAY_SIZE(want); i++) {
                char *v = env_value(p, i);
                CHECK_STR(v, want[i]);
                free(v);
        }
        /* the divisor is stored as the API server defaults it */
        json_t *c0 =
            json_array_get(json_object_get(json_object_get(p->json, "spec"), "containers"), 0);
        json_t *e0 = json_array_get(json_object_get(c0, "env"), 0);
        json_t *rr = json_object_get(json_object_get(e0, "valueFrom"), "resourceFieldRef");
        CHECK_STR(json_string_value(json_object_get(rr, "divisor")), "0");
        pc_manifest_free(&m);
}

static void test_format_map(void)
{
        struct pc_kv kv[] = {{"zone", "us-est-coast"},
                             {"cluster", "test-cluster1"},
                             {"q", "a\"b\\c\nd\te\x01 \xc3\xa9"}};
        char *s = pc_format_kv_map(kv, 3);
        CHECK_STR(s, "cluster=\"test-cluster1\"\nq=\"a\\\"b\\\\c\\nd\\te\\x01 \xc3\xa9\"\n"
                     "zone=\"us-est-coast\"");
        free(s);
        s = pc_format_kv_map(NULL, 0);
        CHECK_STR(s, "");
        free(s);
        struct pc_kv bad[] = {{"k", "\xff"}};
        s = pc_format_kv_map(bad, 1);
        CHECK_STR(s, "k=\"\\xff\"");
        free(s);
}

int main(void)
{
        test_resource_ref();
        test_format_map();
        UNIT_DONE();
}
