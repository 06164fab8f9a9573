/* Pod updates: what the API server's ValidatePodUpdate lets an update of a
 * Pod's spec change, carried out as the kubelet carries it out.
 *
 * - `containers[*].image`, `initContainers[*].image`: the stored spec and
 *   images.json take the new image, and the monitor (control "set_image")
 *   stops a running app container or sidecar and starts it again with it,
 *   whatever the restart policy (the kubelet's "Container X definition
 *   changed, will be restarted"); an init container takes it for a run
 *   still to come.
 * - `activeDeadlineSeconds`: set, or lowered (control "set_deadline"); never
 *   raised nor removed, with the API server's messages.
 * - `tolerations`: additions only (stored; scheduling means nothing on one
 *   node).
 * - `containers[*].resources` (and sidecars'), when nothing else changed:
 *   an in-place resize with the resize subresource's rules (resize.c).
 * - `terminationGracePeriodSeconds` (the API server allows only -1 -> 1,
 *   and podctl refuses negative ones): refused with a pointer to
 *   `replace --force`.
 * Any other change is refused with the API server's Forbidden message and
 * the changed paths. The monitor is told first (it may refuse: the Pod is
 * terminating), then the files a new monitor reads are written. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pod/control.h"
#include "pod/internal.h"
#include "util/cleanup.h"
#include "util/imageref.h"
#include "util/util.h"

#define FORBIDDEN_MSG                                                                              \
        "spec: Forbidden: pod updates may not change fields other than "                           \
        "`spec.containers[*].image`,`spec.initContainers[*].image`,"                               \
        "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "             \
        "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "    \
        "previously negative)"

static void diff_paths(json_t *a, json_t *b, const char *path, char ***out)
{
        if (json_equal(a, b))
                return;
        if (json_is_object(a) && json_is_object(b)) {
                const char *k;
                json_t *v;
                json_object_foreach(a, k, v)
                {
                        _cleanup_free_ char *p = pc_xasprintf("%s.%s", path, k);
                        diff_paths(v, json_object_get(b, k), p, out);
                }
                json_object_foreach(b, k, v)
                {
                        if (json_object_get(a, k))
                                continue;
                        _cleanup_free_ char *p = pc_xasprintf("%s.%s", path, k);
                        pc_strv_push(out, p);
                }
                return;
        }
        if (json_is_array(a) && json_is_array(b) && json_array_size(a) == json_array_size(b)) {
                for (size_t i = 0; i < json_array_size(a); i++) {
                        _cleanup_free_ char *p = pc_xasprintf("%s[%zu]", path, i);
                        diff_paths(json_array_get(a, i), json_array_get(b, i), p, out);
                }
                return;
        }
        pc_strv_push(out, path);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The paths (spec.containers[0].image) where two Pods' specs differ,
 * sorted (NULL-terminated; free with pc_strv_free). */
static char **spec_diff(json_t *have, json_t *want)
{
        char **out = pc_xcalloc(1, sizeof(char *));
        /* ephemeralContainers change through their subresource only (podctl
         * debug): an update neither sees nor drops them */
        json_t *hs = json_object_get(have, "spec"), *ws = json_object_get(want, "spec");
        json_t *eph = json_incref(json_object_get(hs, "ephemeralContainers"));
        json_object_del(hs, "ephemeralContainers");
        diff_paths(hs, ws, "spec", &out);
        if (eph)
                json_object_set_new(hs, "ephemeralContainers", eph);
        qsort(out, pc_strv_len(out), sizeof(char *), cmp_str);
        return out;
}

/* `<list>[N]<field>` of path p (list "spec.containers[", field "].image"):
 * N, else -1. */
static long field_index(const char *p, const char *list, const char *field)
{
        if (!pc_str_has_prefix(p, list))
                return -1;
        const char *rest = p + strlen(list);
        char *end;
        long n = strtol(rest, &end, 10);
        if (end == rest || n < 0 || strcmp(end, field) != 0)
                return -1;
        return n;
}

static bool under(const char *p, const char *prefix)
{
        size_t n = strlen(prefix);
        return !strncmp(p, prefix, n) && (p[n] == '\0' || p[n] == '.' || p[n] == '[');
}

/* A path ValidatePodUpdate lets an update change. */
static bool path_mutable(const char *p)
{
        return under(p, "spec.activeDeadlineSeconds") || under(p, "spec.tolerations") ||
               under(p, "spec.terminationGracePeriodSeconds") ||
               field_index(p, "spec.containers[", "].image") >= 0 ||
               field_index(p, "spec.initContainers[", "].image") >= 0;
}

/* The containers of one list, old and new, and the images that changed. */
struct list {
        const char *key; /* "containers", "initContainers" */
        const char *prefix;
        json_t *have;
        const struct pc_container *want;
        size_t n_want;
        bool *changed;
};

/* A new image brings its own default imagePullPolicy (Always for :latest,
 * else IfNotPresent) into the manifest's defaulted spec: a changed policy
 * that is the new image's default, next to a changed image, goes with the
 * image (both are stored), so that the same file applied again is
 * unchanged. (The API server keeps the first default under kubectl apply's
 * merge patch: docs/DEVIATIONS.md.) */
static bool defaulted_policy(const char *p, const struct list *l)
{
        long i = field_index(p, l->prefix, "].imagePullPolicy");
        if (i < 0 || (size_t)i >= l->n_want || !l->changed[i])
                return false;
        const struct pc_container *c = &l->want[i];
        return c->image_pull_policy &&
               !strcmp(c->image_pull_policy, pc_imgref_default_pull_policy(c->image));
}

static char *joined(char **v)
{
        char *list = pc_xstrdup("");
        for (size_t i = 0; v[i]; i++) {
                char *n = pc_xasprintf("%s%s%s", list, i ? ", " : "", v[i]);
                free(list);
                list = n;
        }
        return list;
}

/* activeDeadlineSeconds as ValidatePodUpdate checks it: set, or lowered;
 * never raised nor removed. */
static int check_deadline(json_t *have, json_t *want, const char *name, pc_error *err)
{
        json_t *o = json_object_get(json_object_get(have, "spec"), "activeDeadlineSeconds");
        json_t *n = json_object_get(json_object_get(want, "spec"), "activeDeadlineSeconds");
        if (!n)
                return pc_pod_invalid(
                    err, name,
                    "spec.activeDeadlineSeconds: Invalid value: \"null\": must not "
                    "update from a positive integer to nil value");
        if (o && json_integer_value(o) < json_integer_value(n))
                return pc_pod_invalid(
                    err, name,
                    "spec.activeDeadlineSeconds: Invalid value: %lld: must be less "
                    "than or equal to previous value",
                    (long long)json_integer_value(n));
        return 0;
}

/* tolerations: only additions (every old one is still there). */
static int check_tolerations(json_t *have, json_t *want, const char *name, pc_error *err)
{
        json_t *o = json_object_get(json_object_get(have, "spec"), "tolerations");
        json_t *n = json_object_get(json_object_get(want, "spec"), "tolerations");
        size_t i, k;
        json_t *t, *u;
        json_array_foreach(o, i, t)
        {
                bool kept = false;
                json_array_foreach(n, k, u) kept |= json_equal(t, u);
                if (!kept)
                        return pc_pod_invalid(
                            err, name,
                            "spec.tolerations: Forbidden: existing toleration can "
                            "not be modified except its tolerationSeconds");
        }
        return 0;
}

/* The stored Pod with the containers' resources (and the Pod-level ones:
 * resize.c refuses a change of them with the reason) of the applied one. */
static int resize_to(podctl *ctx, struct pc_pod_state *ps, json_t *applied, pc_error *err)
{
        _cleanup_(json_decrefp) json_t *want = json_deep_copy(ps->pod);
        json_t *pr = json_object_get(json_object_get(applied, "spec"), "resources");
        if (pr)
                json_object_set(json_object_get(want, "spec"), "resources", pr);
        else
                json_object_del(json_object_get(want, "spec"), "resources");
        static const char *const keys[] = {"containers", "initContainers"};
        for (int l = 0; l < 2; l++) {
                json_t *a = json_object_get(json_object_get(want, "spec"), keys[l]);
                json_t *b = json_object_get(json_object_get(applied, "spec"), keys[l]);
                for (size_t i = 0; i < json_array_size(a) && i < json_array_size(b); i++) {
                        json_t *r = json_object_get(json_array_get(b, i), "resources");
                        if (r)
                                json_object_set(json_array_get(a, i), "resources", r);
                        else
                                json_object_del(json_array_get(a, i), "resources");
                }
        }
        return pc_pod_resize_locked(ctx, ps, want, err);
}

int podctl_pod_update(podctl *ctx, const struct pc_pod *pod, pc_error *err)
{
        struct pc_pod_state ps;
        if (pc_pod_change_begin(ctx, pod->namespace_, pod->name, &ps, err) < 0)
                return -1;
        int rc = -1;
        json_t *images = NULL, *recs = NULL;
        _cleanup_free_ char *imagesp = NULL, *podp = NULL, *list = NULL;
        json_t *spec = json_object_get(ps.pod, "spec");
        struct list lists[2] = {
            {"containers", "spec.containers[", json_object_get(spec, "containers"), pod->containers,
             pod->n_containers, pc_xcalloc(pod->n_containers + 1, 1)},
            {"initContainers", "spec.initContainers[", json_object_get(spec, "initContainers"),
             pod->init_containers, pod->n_init_containers,
             pc_xcalloc(pod->n_init_containers + 1, 1)},
        };
        char **changed = spec_diff(ps.pod, pod->json);
        list = joined(changed);
        if (!changed[0]) {
                rc = PODCTL_UNCHANGED;
                goto out;
        }
        /* what changed, and whether an update may change it */
        bool forbidden = false, unsupported = false, deadline = false, tolerations = false,
             any_image = false, resize = false;
        for (size_t i = 0; changed[i]; i++)
                for (int l = 0; l < 2; l++) {
                        long n = field_index(changed[i], lists[l].prefix, "].image");
                        if (n >= 0 && (size_t)n < lists[l].n_want)
                                lists[l].changed[n] = any_image = true;
                }
        for (size_t i = 0; changed[i]; i++) {
                const char *p = changed[i];
                if (field_index(p, "spec.containers[", "].image") >= 0 ||
                    field_index(p, "spec.initContainers[", "].image") >= 0 ||
                    defaulted_policy(p, &lists[0]) || defaulted_policy(p, &lists[1]))
                        continue;
                if (pc_resize_path(p))
                        resize = true;
                else if (under(p, "spec.activeDeadlineSeconds"))
                        deadline = true;
                else if (under(p, "spec.tolerations"))
                        tolerations = true;
                else if (path_mutable(p))
                        unsupported = true;
                else
                        forbidden = true;
        }
        /* resources alone: the resize subresource's semantics (resize.c);
         * next to any other change, the update's refusal */
        if (forbidden || (resize && (unsupported || deadline || tolerations || any_image))) {
                pc_pod_invalid(err, pod->name, FORBIDDEN_MSG "\n  changed: %s", list);
                goto out;
        }
        if (resize) {
                rc = resize_to(ctx, &ps, pod->json, err);
                goto out;
        }
        if (unsupported) {
                pc_fail(err, 0,
                        "podctl does not update terminationGracePeriodSeconds in place "
                        "(changed: %s): use replace --force to re-create it",
                        list);
                err->code = ENOTSUP;
                goto out;
        }
        if ((deadline && check_deadline(ps.pod, pod->json, pod->name, err) < 0) ||
            (tolerations && check_tolerations(ps.pod, pod->json, pod->name, err) < 0))
                goto out;
        imagesp = pc_xasprintf("%s/images.json", ps.dir);
        if (any_image && (pc_pod_check_images(ctx, pod, &recs, err) < 0 ||
                          pc_json_load(imagesp, &images, err) < 0))
                goto out;
        /* the monitor first (it may refuse: the Pod is terminating), then
         * what a new monitor (adoption, recovery) reads */
        bool running = !ps.finished && ps.monitor_alive;
        for (int l = 0; l < 2; l++)
                for (size_t n = 0; n < lists[l].n_want; n++) {
                        if (!lists[l].changed[n])
                                continue;
                        const struct pc_container *c = &lists[l].want[n];
                        json_t *rec = json_object_get(recs, c->name);
                        json_object_set(images, c->name, rec);
                        json_t *hc = json_array_get(lists[l].have, n);
                        json_object_set_new(hc, "image", json_string(c->image));
                        if (c->image_pull_policy)
                                json_object_set_new(hc, "imagePullPolicy",
                                                    json_string(c->image_pull_policy));
                        if (!running)
                                continue; /* nothing runs: the spec alone changes */
                        json_t *req = json_pack("{s:s,s:s,s:s,s:O}", "op", "set_image", "name",
                                                c->name, "reference", c->image, "image", rec);
                        json_t *reply = NULL;
                        int r = pc_monitor_call(ps.dir, req, &reply, 0, err);
                        json_decref(req);
                        json_decref(reply);
                        if (r < 0) {
                                pc_error_prefix(err, "container \"%s\"", c->name);
                                goto out;
                        }
                }
        json_t *ads = json_object_get(json_object_get(pod->json, "spec"), "activeDeadlineSeconds");
        if (deadline) {
                json_object_set(spec, "activeDeadlineSeconds", ads);
                json_t *req = json_pack("{s:s,s:I}", "op", "set_deadline", "seconds",
                                        json_integer_value(ads));
                json_t *reply = NULL;
                int r = running ? pc_monitor_call(ps.dir, req, &reply, 0, err) : 0;
                json_decref(req);
                json_decref(reply);
                if (r < 0)
                        goto out;
        }
        if (tolerations)
                json_object_set(spec, "tolerations",
                                json_object_get(json_object_get(pod->json, "spec"), "tolerations"));
        podp = pc_xasprintf("%s/pod.json", ps.dir);
        if ((images && pc_json_save(imagesp, images, true, err) < 0) ||
            pc_json_save(podp, ps.pod, true, err) < 0)
                goto out;
        rc = PODCTL_UPDATED;
out:
        free(lists[0].changed);
        free(lists[1].changed);
        json_decref(images);
        json_decref(recs);
        pc_strv_free(changed);
        pc_pod_change_end(ctx, &ps);
        return rc;
}
