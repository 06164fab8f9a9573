/* Ephemeral containers (podctl debug): the API server's ephemeralcontainers
 * subresource and the kubelet's start of one, on one node. The container
 * (a v1 EphemeralContainer) is checked as ValidateEphemeralContainers does,
 * its image must be in the store (the CLI pulls it first), the Pod's
 * monitor starts it (control "add_ephemeral"), and only then does pod.json
 * (spec.ephemeralContainers) and images.json record it: what a new monitor
 * (adoption) reloads. Under the root lock, as every Pod change. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "image/image.h"
#include "pod/control.h"
#include "pod/internal.h"
#include "util/cleanup.h"
#include "util/imageref.h"
#include "util/util.h"

static bool has_name(json_t *arr, const char *name)
{
        size_t i;
        json_t *c;
        json_array_foreach(arr, i, c)
        {
                const char *n = json_string_value(json_object_get(c, "name"));
                if (n && !strcmp(n, name))
                        return true;
        }
        return false;
}

static bool dns_label(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
                        return false;
        return true;
}

/* ValidateEphemeralContainers' rules, with its messages; the path is
 * spec.ephemeralContainers[idx]. */
static int check(json_t *pod, json_t *ec, size_t idx, const char *pod_name, pc_error *err)
{
        json_t *spec = json_object_get(pod, "spec");
        const char *name = json_string_value(json_object_get(ec, "name"));
        const char *image = json_string_value(json_object_get(ec, "image"));
        if (!name || !*name)
                return pc_pod_invalid(err, pod_name,
                                      "spec.ephemeralContainers[%zu].name: Required value", idx);
        if (!dns_label(name))
                return pc_pod_invalid(
                    err, pod_name,
                    "spec.ephemeralContainers[%zu].name: Invalid value: \"%s\": a "
                    "lowercase RFC 1123 label must consist of lower case alphanumeric "
                    "characters or '-', and must start and end with an alphanumeric "
                    "character",
                    idx, name);
        if (has_name(json_object_get(spec, "containers"), name) ||
            has_name(json_object_get(spec, "initContainers"), name) ||
            has_name(json_object_get(spec, "ephemeralContainers"), name))
                return pc_pod_invalid(err, pod_name,
                                      "spec.ephemeralContainers[%zu].name: Duplicate value: \"%s\"",
                                      idx, name);
        if (!image || !*image)
                return pc_pod_invalid(err, pod_name,
                                      "spec.ephemeralContainers[%zu].image: Required value", idx);
        static const char *const forbidden[] = {"ports",        "livenessProbe", "readinessProbe",
                                                "startupProbe", "lifecycle",     "resources",
                                                "resizePolicy", "restartPolicy", "volumeDevices"};
        for (size_t k = 0; k < PC_ARRAY_SIZE(forbidden); k++)
                if (json_object_get(ec, forbidden[k]))
                        return pc_pod_invalid(
                            err, pod_name,
                            "spec.ephemeralContainers[%zu].%s: Forbidden: cannot be set "
                            "for an Ephemeral Container",
                            idx, forbidden[k]);
        const char *target = json_string_value(json_object_get(ec, "targetContainerName"));
        if (target && !has_name(json_object_get(spec, "containers"), target) &&
            !has_name(json_object_get(spec, "initContainers"), target))
                return pc_pod_invalid(
                    err, pod_name,
                    "spec.ephemeralContainers[%zu].targetContainerName: Not found: "
                    "\"%s\"",
                    idx, target);
        size_t i;
        json_t *vm;
        json_array_foreach(json_object_get(ec, "volumeMounts"), i, vm)
        {
                const char *v = json_string_value(json_object_get(vm, "name"));
                if (!v || !has_name(json_object_get(spec, "volumes"), v))
                        return pc_pod_invalid(
                            err, pod_name,
                            "spec.ephemeralContainers[%zu].volumeMounts[%zu].name: "
                            "Not found: \"%s\"",
                            idx, i, v ? v : "");
                if (json_object_get(vm, "subPath") || json_object_get(vm, "subPathExpr"))
                        return pc_pod_invalid(
                            err, pod_name,
                            "spec.ephemeralContainers[%zu].volumeMounts[%zu].subPath: "
                            "Forbidden: cannot be set for an Ephemeral Container",
                            idx, i);
        }
        return 0;
}

int podctl_pod_add_ephemeral(podctl *ctx, const char *ns, const char *name, json_t *container,
                             pc_error *err)
{
        struct pc_pod_state ps;
        if (pc_pod_change_begin(ctx, ns, name, &ps, err) < 0)
                return -1;
        int rc = -1;
        json_t *images = NULL, *rec = NULL, *reply = NULL, *req = NULL;
        pc_image_store *store = NULL;
        struct pc_image *img = NULL;
        _cleanup_free_ char *imagesp = NULL, *podp = NULL;
        _cleanup_(json_decrefp) json_t *ec = json_deep_copy(container);
        json_t *spec = json_object_get(ps.pod, "spec");
        json_t *list = json_object_get(spec, "ephemeralContainers");
        size_t idx = json_array_size(list);
        if (check(ps.pod, ec, idx, name, err) < 0)
                goto out;
        const char *phase = json_string_value(json_object_get(ps.status, "phase"));
        if (ps.finished || !ps.monitor_alive ||
            (phase && strcmp(phase, "Running") != 0 && strcmp(phase, "Pending") != 0)) {
                pc_fail(err, EINVAL,
                        "pod \"%s\" is not running: ephemeral containers start "
                        "only in a running Pod",
                        name);
                goto out;
        }
        /* the kubelet's defaults, as the API server stores them */
        const char *image = json_string_value(json_object_get(ec, "image"));
        if (!json_object_get(ec, "imagePullPolicy"))
                json_object_set_new(ec, "imagePullPolicy",
                                    json_string(pc_imgref_default_pull_policy(image)));
        if (!json_object_get(ec, "terminationMessagePath"))
                json_object_set_new(ec, "terminationMessagePath",
                                    json_string("/dev/termination-log"));
        if (!json_object_get(ec, "terminationMessagePolicy"))
                json_object_set_new(ec, "terminationMessagePolicy", json_string("File"));
        if (pc_image_store_open(ctx->root.root, &store, err) < 0)
                goto out;
        if (pc_image_get(store, image, &img, err) < 0) {
                if (err->code == ENOENT)
                        pc_fail(err, ENOENT,
                                "image \"%s\" is not in the store: load or pull it first", image);
                goto out;
        }
        rec = pc_image_to_json(img);
        req = json_pack("{s:s,s:O,s:O}", "op", "add_ephemeral", "container", ec, "image", rec);
        if (pc_monitor_call(ps.dir, req, &reply, 0, err) < 0) {
                pc_error_prefix(err, "ephemeral container \"%s\"",
                                json_string_value(json_object_get(ec, "name")));
                goto out;
        }
        /* what a new monitor reloads */
        if (!list) {
                list = json_array();
                json_object_set_new(spec, "ephemeralContainers", list);
        }
        json_array_append(list, ec);
        imagesp = pc_xasprintf("%s/images.json", ps.dir);
        podp = pc_xasprintf("%s/pod.json", ps.dir);
        if (pc_json_load(imagesp, &images, err) < 0)
                goto out;
        json_object_set(images, json_string_value(json_object_get(ec, "name")), rec);
        if (pc_json_save(imagesp, images, true, err) < 0 ||
            pc_json_save(podp, ps.pod, true, err) < 0)
                goto out;
        rc = 0;
out:
        json_decref(req);
        json_decref(reply);
        json_decref(rec);
        json_decref(images);
        pc_image_free(img);
        pc_image_store_close(store);
        pc_pod_change_end(ctx, &ps);
        return rc;
}
