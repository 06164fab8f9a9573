/* Pod updates: what the API server's ValidatePodUpdate lets an update of a
 * Pod's spec change, carried out as the kubelet carries it out.
 *
 * The one change podctl applies in place is a new image of an app container
 * (`spec.containers[*].image`): the stored spec and images.json take it, and
 * the monitor (control "set_image") stops a running container and starts it
 * again with the new image, whatever the restart policy (the kubelet's
 * "Container X definition changed, will be restarted"). The other fields an
 * update may change (initContainers' images, activeDeadlineSeconds,
 * tolerations, terminationGracePeriodSeconds) are refused with a pointer to
 * `replace --force`; any other change with the API server's Forbidden
 * message and the changed paths. */
#include <errno.h>
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

char **podctl_spec_diff(json_t *have, json_t *want)
{
        char **out = pc_xcalloc(1, sizeof(char *));
        diff_paths(json_object_get(have, "spec"), json_object_get(want, "spec"), "spec", &out);
        qsort(out, pc_strv_len(out), sizeof(char *), cmp_str);
        return out;
}

/* `<list>[N].image` of path p: N, else -1. */
static long image_index(const char *p, const char *list)
{
        if (!pc_str_has_prefix(p, list))
                return -1;
        const char *rest = p + strlen(list);
        char *end;
        long n = strtol(rest, &end, 10);
        if (end == rest || strcmp(end, "].image") != 0)
                return -1;
        return n;
}

bool podctl_spec_path_mutable(const char *p)
{
        static const char *const prefixes[] = {"spec.activeDeadlineSeconds", "spec.tolerations",
                                               "spec.terminationGracePeriodSeconds", NULL};
        for (size_t i = 0; prefixes[i]; i++)
                if (!strcmp(p, prefixes[i]) ||
                    (pc_str_has_prefix(p, prefixes[i]) &&
                     (p[strlen(prefixes[i])] == '.' || p[strlen(prefixes[i])] == '[')))
                        return true;
        return image_index(p, "spec.containers[") >= 0 ||
               image_index(p, "spec.initContainers[") >= 0;
}

/* A new image brings its own default imagePullPolicy (Always for :latest,
 * else IfNotPresent) into the manifest's defaulted spec: a changed policy
 * that is the new image's default, next to a changed image, goes with the
 * image (stored with it below), so that the same file applied again is
 * unchanged. (The API server keeps the first default under kubectl apply's
 * merge patch: docs/DEVIATIONS.md.) */
static void drop_defaulted_policies(char **changed, json_t *have, const struct pc_pod *pod)
{
        json_t *hc = json_object_get(json_object_get(have, "spec"), "containers");
        size_t w = 0;
        for (size_t i = 0; changed[i]; i++) {
                const char *p = changed[i];
                const char *tail = ".imagePullPolicy";
                size_t n = strlen(p), t = strlen(tail);
                char *end;
                long idx = -1;
                if (pc_str_has_prefix(p, "spec.containers[") && n > t && !strcmp(p + n - t, tail)) {
                        idx = strtol(p + strlen("spec.containers["), &end, 10);
                        if (strcmp(end, "].imagePullPolicy") != 0)
                                idx = -1;
                }
                if (idx >= 0 && (size_t)idx < pod->n_containers) {
                        const struct pc_container *c = &pod->containers[idx];
                        const char *old_image = json_string_value(
                            json_object_get(json_array_get(hc, (size_t)idx), "image"));
                        if (old_image && strcmp(old_image, c->image) != 0 && c->image_pull_policy &&
                            !strcmp(c->image_pull_policy,
                                    pc_imgref_default_pull_policy(c->image))) {
                                free(changed[i]);
                                continue;
                        }
                }
                changed[w++] = changed[i];
        }
        changed[w] = NULL;
}

static int refuse(const char *name, char **changed, bool all_mutable, pc_error *err)
{
        _cleanup_free_ char *list = pc_xstrdup("");
        for (size_t i = 0; changed[i]; i++) {
                char *n = pc_xasprintf("%s%s%s", list, i ? ", " : "", changed[i]);
                free(list);
                list = n;
        }
        if (all_mutable)
                pc_fail(err, 0,
                        "podctl updates only containers[*].image in place (changed: %s): use "
                        "replace --force to re-create it",
                        list);
        else
                pc_fail(err, 0, "The Pod \"%s\" is invalid: " FORBIDDEN_MSG "\n  changed: %s", name,
                        list);
        err->code = all_mutable ? ENOTSUP : EINVAL;
        return -1;
}

int podctl_pod_update(podctl *ctx, const struct pc_pod *pod, pc_error *err)
{
        _cleanup_free_ char *key = pc_pod_key(pod->namespace_, pod->name);
        {
                /* a Pod whose monitor is dead gets one first (before the root
                 * lock, as meta.c), so that the change reaches a monitor */
                struct pc_pod_state pre;
                pc_error e2;
                if (pc_pod_state_load(&ctx->root, key, &pre, &e2) == 0)
                        pc_pod_adopt_if_lost(ctx, &pre);
                pc_pod_state_free(&pre);
        }
        if (pc_root_lock(&ctx->root, err) < 0)
                return -1;
        struct pc_pod_state ps;
        int rc = -1;
        char **changed = NULL;
        json_t *images = NULL, *recs = NULL;
        _cleanup_free_ char *imagesp = NULL;
        _cleanup_free_ char *podp = NULL;
        if (pc_pod_state_load(&ctx->root, key, &ps, err) < 0) {
                if (err->code == ENOENT)
                        pc_fail(err, ENOENT, "pods \"%s\" not found", pod->name);
                pc_root_unlock(&ctx->root);
                return -1;
        }
        changed = podctl_spec_diff(ps.pod, pod->json);
        if (!changed[0]) {
                rc = PODCTL_UNCHANGED;
                goto out;
        }
        drop_defaulted_policies(changed, ps.pod, pod);
        bool all_mutable = true, all_images = true;
        for (size_t i = 0; changed[i]; i++) {
                all_mutable &= podctl_spec_path_mutable(changed[i]);
                all_images &= image_index(changed[i], "spec.containers[") >= 0;
        }
        if (!all_images) {
                refuse(pod->name, changed, all_mutable, err);
                goto out;
        }
        json_t *have = json_object_get(json_object_get(ps.pod, "spec"), "containers");
        if (pc_pod_check_images(ctx, pod, &recs, err) < 0)
                goto out;
        imagesp = pc_xasprintf("%s/images.json", ps.dir);
        if (pc_json_load(imagesp, &images, err) < 0)
                goto out;
        bool finished = ps.finished || !ps.monitor_alive;
        for (size_t i = 0; changed[i]; i++) {
                size_t n = (size_t)image_index(changed[i], "spec.containers[");
                const struct pc_container *c = &pod->containers[n];
                json_t *rec = json_object_get(recs, c->name);
                json_object_set(images, c->name, rec);
                json_t *hc = json_array_get(have, n);
                json_object_set_new(hc, "image", json_string(c->image));
                if (c->image_pull_policy)
                        json_object_set_new(hc, "imagePullPolicy",
                                            json_string(c->image_pull_policy));
                if (finished)
                        continue; /* nothing runs: the spec alone changes */
                json_t *req = json_pack("{s:s,s:s,s:s,s:O}", "op", "set_image", "name", c->name,
                                        "reference", c->image, "image", rec);
                json_t *reply = NULL;
                int r = pc_monitor_call(ps.dir, req, &reply, 0, err);
                json_decref(req);
                json_decref(reply);
                if (r < 0) {
                        pc_error_prefix(err, "pod/%s: container \"%s\"", pod->name, c->name);
                        goto out;
                }
        }
        /* what a new monitor (adoption, recovery) reads */
        podp = pc_xasprintf("%s/pod.json", ps.dir);
        if (pc_json_save(imagesp, images, true, err) < 0 ||
            pc_json_save(podp, ps.pod, true, err) < 0)
                goto out;
        rc = PODCTL_UPDATED;
out:
        json_decref(images);
        json_decref(recs);
        pc_strv_free(changed);
        pc_pod_state_free(&ps);
        pc_root_unlock(&ctx->root);
        return rc;
}
