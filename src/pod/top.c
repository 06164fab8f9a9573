/* `top`: CPU (millicores over a short window) and memory working set per Pod
 * and container, read from the cgroups, as kubectl top shows them. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "cgroup/cgroup.h"
#include "pod/internal.h"
#include "util/util.h"

struct sample {
        char *ns, *pod, *container; /* container NULL: the Pod's cgroup */
        pc_cgroup *cg;
        uint64_t cpu0;
        int64_t t0;
};

static void add_sample(struct sample **v, size_t *n, const char *ns, const char *pod,
                       const char *container, const char *rel)
{
        pc_cgroup *cg = NULL;
        pc_error e;
        if (pc_cgroup_open("/sys/fs/cgroup", rel, &cg, &e) < 0)
                return;
        struct pc_cgroup_stats st;
        if (pc_cgroup_stats(cg, &st, &e) < 0) {
                pc_cgroup_free(cg);
                return;
        }
        *v = pc_xrealloc(*v, (*n + 1) * sizeof(**v));
        (*v)[(*n)++] = (struct sample){pc_xstrdup(ns),  pc_xstrdup(pod),  pc_xstrdup(container), cg,
                                       st.cpu_usage_ns, pc_monotonic_ns()};
}

int podctl_pod_top(podctl *ctx, const char *ns, const char *name, bool containers, json_t **out,
                   pc_error *err)
{
        _cleanup_strv_ char **keys = NULL;
        if (pc_pods_list(&ctx->root, &keys, err) < 0)
                return -1;
        struct sample *v = NULL;
        size_t n = 0;
        bool found = false;
        for (size_t i = 0; keys[i]; i++) {
                struct pc_pod_state ps;
                pc_error e2;
                if (pc_pod_state_load(&ctx->root, keys[i], &ps, &e2) < 0) {
                        pc_pod_state_free(&ps);
                        continue;
                }
                pc_pod_adopt_if_lost(ctx, &ps);
                json_t *meta = json_object_get(ps.pod, "metadata");
                const char *pns = json_string_value(json_object_get(meta, "namespace"));
                const char *pname = json_string_value(json_object_get(meta, "name"));
                const char *rel = json_string_value(json_object_get(ps.runtime, "cgroup"));
                bool match = (!ns || (pns && !strcmp(ns, pns))) &&
                             (!name || (pname && !strcmp(name, pname)));
                if (match && pname)
                        found = true;
                if (match && rel && ps.monitor_alive && !ps.finished) {
                        if (!containers) {
                                add_sample(&v, &n, pns, pname, NULL, rel);
                        } else {
                                const char *cname;
                                json_t *c;
                                json_object_foreach(json_object_get(ps.runtime, "containers"),
                                                    cname, c)
                                {
                                        if (json_integer_value(json_object_get(c, "pid")) <= 0)
                                                continue;
                                        _cleanup_free_ char *crel =
                                            pc_xasprintf("%s/%s", rel, cname);
                                        add_sample(&v, &n, pns, pname, cname, crel);
                                }
                        }
                }
                pc_pod_state_free(&ps);
        }
        if (name && !found) {
                free(v);
                return pc_fail(err, ENOENT, "pods \"%s\" not found", name);
        }
        if (n > 0) {
                struct timespec ts = {0, 500 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        json_t *rows = json_array();
        for (size_t i = 0; i < n; i++) {
                struct pc_cgroup_stats st;
                pc_error e2;
                if (pc_cgroup_stats(v[i].cg, &st, &e2) == 0) {
                        int64_t dt = pc_monotonic_ns() - v[i].t0;
                        int64_t milli =
                            dt > 0 ? (int64_t)((st.cpu_usage_ns - v[i].cpu0) * 1000 / (uint64_t)dt)
                                   : 0;
                        json_t *r =
                            json_pack("{s:s,s:s,s:I,s:I}", "namespace", v[i].ns, "pod", v[i].pod,
                                      "cpuMillicores", (json_int_t)milli, "memoryWorkingSet",
                                      (json_int_t)st.memory_working_set);
                        if (v[i].container)
                                json_object_set_new(r, "container", json_string(v[i].container));
                        json_array_append_new(rows, r);
                }
                pc_cgroup_free(v[i].cg);
                free(v[i].ns);
                free(v[i].pod);
                free(v[i].container);
        }
        free(v);
        *out = rows;
        return 0;
}
