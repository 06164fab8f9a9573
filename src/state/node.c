/* The node: what this host may hand out to Pods.
 *
 * Capacity is detected (CPUs this process may run on, MemTotal, pid_max) and
 * may be overridden in <root>/config.json; allocatable is capacity minus the
 * reserve (default: 100Mi of memory, the kubelet's default hard eviction
 * threshold):
 *
 *   {"node": {"capacity": {"cpu": "2", "memory": "3Gi", "pids": 32768},
 *             "reserved": {"cpu": "0", "memory": "100Mi"},
 *             "podPidsLimit": 1024},
 *    "seccompDefault": true,
 *    "allowedUnsafeSysctls": ["kernel.msg*", "net.core.somaxconn"],
 *    "containerLogMaxSize": "10Mi", "containerLogMaxFiles": 5}
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "spec/spec.h"
#include "state/state.h"
#include "util/util.h"

static int64_t detect_memory(void)
{
        FILE *f = fopen("/proc/meminfo", "re");
        char line[256];
        long long kb = 0;
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "MemTotal: %lld kB", &kb) == 1)
                        break;
        if (f)
                fclose(f);
        return (int64_t)kb * 1024;
}

static int64_t detect_pids(void)
{
        FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
        long long v = 32768;
        if (f) {
                if (fscanf(f, "%lld", &v) != 1)
                        v = 32768;
                fclose(f);
        }
        return v;
}

static int quantity(json_t *obj, const char *key, bool milli, int64_t *out, pc_error *err)
{
        json_t *v = json_object_get(obj, key);
        if (!v)
                return 0;
        if (json_is_integer(v)) {
                *out = json_integer_value(v) * (milli ? 1000 : 1);
                return 0;
        }
        if (!json_is_string(v) || pc_quantity_parse(json_string_value(v), milli, out) < 0)
                return pc_fail(err, EINVAL, "config.json: node.%s: not a quantity", key);
        return 0;
}

int pc_node_load(const struct pc_root *r, struct pc_node *n, pc_error *err)
{
        memset(n, 0, sizeof(*n));
        cpu_set_t set;
        CPU_ZERO(&set);
        n->capacity.cpu_m =
            (sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1) * 1000LL;
        n->capacity.memory = detect_memory();
        n->capacity.pids = detect_pids();
        n->reserved.memory = 100LL * 1024 * 1024;
        n->pod_pids_limit = -1;
        n->seccomp_default = true;
        n->container_log_max_size = 10LL * 1024 * 1024;
        n->container_log_max_files = 5;

        _cleanup_free_ char *path = pc_xasprintf("%s/config.json", r->root);
        json_t *cfg = NULL;
        pc_error e2;
        if (pc_json_load(path, &cfg, &e2) < 0) {
                if (e2.code == ENOENT)
                        goto done;
                return pc_fail(err, e2.code, "%s", e2.msg);
        }
        json_t *node = json_object_get(cfg, "node");
        json_t *cap = json_object_get(node, "capacity");
        json_t *res = json_object_get(node, "reserved");
        int rc = 0;
        if (quantity(cap, "cpu", true, &n->capacity.cpu_m, err) < 0 ||
            quantity(cap, "memory", false, &n->capacity.memory, err) < 0 ||
            quantity(cap, "pids", false, &n->capacity.pids, err) < 0 ||
            quantity(res, "cpu", true, &n->reserved.cpu_m, err) < 0 ||
            quantity(res, "memory", false, &n->reserved.memory, err) < 0 ||
            quantity(res, "pids", false, &n->reserved.pids, err) < 0)
                rc = -1;
        json_t *ppl = json_object_get(node, "podPidsLimit");
        if (json_is_integer(ppl))
                n->pod_pids_limit = json_integer_value(ppl);
        json_t *sd = json_object_get(cfg, "seccompDefault");
        if (json_is_boolean(sd))
                n->seccomp_default = json_is_true(sd);
        else if (sd)
                rc = pc_fail(err, EINVAL, "config.json: seccompDefault: not a boolean");
        json_t *aus = json_object_get(cfg, "allowedUnsafeSysctls");
        size_t i;
        json_t *x;
        json_array_foreach(aus, i, x)
        {
                if (json_is_string(x))
                        pc_strv_push(&n->allowed_unsafe_sysctls, json_string_value(x));
                else
                        rc = pc_fail(err, EINVAL,
                                     "config.json: allowedUnsafeSysctls[%zu]: not a string", i);
        }
        if (json_object_get(cfg, "containerLogMaxSize") &&
            (quantity(cfg, "containerLogMaxSize", false, &n->container_log_max_size, err) < 0 ||
             n->container_log_max_size <= 0))
                rc = pc_fail(err, EINVAL,
                             "config.json: containerLogMaxSize: not a positive quantity");
        json_t *lmf = json_object_get(cfg, "containerLogMaxFiles");
        if (json_is_integer(lmf) && json_integer_value(lmf) >= 2 && json_integer_value(lmf) <= 1000)
                n->container_log_max_files = (int)json_integer_value(lmf);
        else if (lmf)
                rc = pc_fail(err, EINVAL, "config.json: containerLogMaxFiles: not an integer >= 2");
        json_decref(cfg);
        if (rc < 0) {
                pc_node_free(n);
                return -1;
        }
done:
        n->allocatable.cpu_m = n->capacity.cpu_m - n->reserved.cpu_m;
        n->allocatable.memory = n->capacity.memory - n->reserved.memory;
        n->allocatable.pids = n->capacity.pids - n->reserved.pids;
        if (n->allocatable.cpu_m < 0)
                n->allocatable.cpu_m = 0;
        if (n->allocatable.memory < 0)
                n->allocatable.memory = 0;
        return 0;
}

void pc_node_free(struct pc_node *n)
{
        pc_strv_free(n->allowed_unsafe_sysctls);
        n->allowed_unsafe_sysctls = NULL;
}

int64_t pc_node_ephemeral_storage(const struct pc_root *r)
{
        struct statvfs st;
        if (statvfs(r->root, &st) < 0)
                return 0;
        return (int64_t)st.f_blocks * (int64_t)st.f_frsize;
}
