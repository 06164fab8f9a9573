/* ConfigMaps and Secrets of a root: <root>/objects/<ns>_<name>.json and
 * <ns>_<name>.secret.json, the defaulted objects with the server's metadata
 * (uid, creationTimestamp) added. Storing one tells the monitors of the
 * namespace (they update the volumes it feeds); deleting one does not
 * (Pods keep what their volumes hold, as under the kubelet). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pod/internal.h"
#include "spec/selector.h"
#include "state/state.h"
#include "util/cleanup.h"
#include "util/util.h"

/* Tell the monitors of the namespace's running Pods that a ConfigMap or
 * Secret changed (SIGUSR1: they rewrite the volumes whose payload differs,
 * as the kubelet's sync does). A monitor is signalled only when its pid's
 * start time is still the recorded one. */
static void notify_monitors(podctl *ctx, const char *ns)
{
        DIR *d = opendir(ctx->root.pods_dir);
        if (!d)
                return;
        _cleanup_free_ char *prefix = pc_xasprintf("%s_", ns);
        struct dirent *e;
        while ((e = readdir(d))) {
                if (!pc_str_has_prefix(e->d_name, prefix))
                        continue;
                _cleanup_free_ char *pp =
                    pc_xasprintf("%s/%s/monitor.pid", ctx->root.pods_dir, e->d_name);
                _cleanup_free_ char *s = NULL;
                pc_error ignore;
                unsigned long long st = 0;
                int pid = 0;
                if (pc_read_file(pp, &s, NULL, &ignore) == 0 &&
                    sscanf(s, "%d %llu", &pid, &st) == 2 && pid > 0 && pc_proc_alive(pid, st))
                        kill(pid, SIGUSR1);
        }
        closedir(d);
}

/* The API server's rules for an update of a ConfigMap or Secret: a
 * Secret's type never changes; an immutable one's data (and its
 * immutability) never change again; only delete and re-create. */
static int check_update(const char *path, const struct pc_configmap *obj, pc_error *err)
{
        json_t *old = json_load_file(path, 0, NULL);
        if (!old)
                return 0;
        int r = 0;
        const char *old_type = json_string_value(json_object_get(old, "type"));
        const char *new_type = json_string_value(json_object_get(obj->json, "type"));
        if (obj->secret && old_type && new_type && strcmp(old_type, new_type) != 0)
                r = pc_fail(err, EPERM,
                            "Secret \"%s\" is invalid: type: Invalid value: \"%s\": field is "
                            "immutable",
                            obj->name, new_type);
        if (r == 0 && json_is_true(json_object_get(old, "immutable"))) {
                const char *kind = obj->secret ? "Secret" : "ConfigMap";
                static const char *const fields[] = {"data", "binaryData", "type"};
                for (size_t i = 0; i < PC_ARRAY_SIZE(fields) && r == 0; i++) {
                        json_t *a = json_object_get(old, fields[i]);
                        json_t *b = json_object_get(obj->json, fields[i]);
                        if ((a || b) && !(a && b && json_equal(a, b)))
                                r = pc_fail(err, EPERM,
                                            "%s \"%s\" is invalid: %s: Forbidden: field is "
                                            "immutable when `immutable` is set",
                                            kind, obj->name, fields[i]);
                }
                if (r == 0 && !json_is_true(json_object_get(obj->json, "immutable")))
                        r = pc_fail(err, EPERM,
                                    "%s \"%s\" is invalid: immutable: Forbidden: field is "
                                    "immutable when `immutable` is set",
                                    kind, obj->name);
        }
        json_decref(old);
        return r;
}

int podctl_object_put(podctl *ctx, const struct pc_configmap *obj, pc_error *err)
{
        _cleanup_free_ char *p =
            pc_object_path(ctx->root.objects_dir, obj->namespace_, obj->name, obj->secret);
        if (check_update(p, obj, err) < 0)
                return -1;
        /* the server's metadata: a new uid and creationTimestamp, or the
         * stored ones */
        _cleanup_(json_decrefp) json_t *old = json_load_file(p, 0, NULL);
        _cleanup_(json_decrefp) json_t *j = json_deep_copy(obj->json);
        json_t *meta = json_object_get(j, "metadata");
        json_t *old_meta = json_object_get(old, "metadata");
        json_t *uid = json_object_get(old_meta, "uid");
        json_t *ts = json_object_get(old_meta, "creationTimestamp");
        if (json_is_object(meta)) {
                char u[37], t[40];
                pc_uuid4(u);
                pc_format_time(pc_now_ns(), false, t, sizeof(t));
                json_object_set_new(meta, "uid", uid ? json_incref(uid) : json_string(u));
                json_object_set_new(meta, "creationTimestamp",
                                    ts ? json_incref(ts) : json_string(t));
        }
        if (old && json_equal(old, j))
                return PODCTL_UNCHANGED;
        if (pc_json_save(p, j, true, err) < 0)
                return -1;
        notify_monitors(ctx, obj->namespace_);
        return old ? PODCTL_UPDATED : PODCTL_CREATED;
}

/* Is d_name "<ns>_<name>.json" (secret: ".secret.json") of namespace ns
 * (any when NULL)? */
static bool object_file(const char *d_name, const char *ns, bool secret)
{
        const char *sfx = secret ? ".secret.json" : ".json";
        size_t n = strlen(d_name), k = strlen(sfx);
        if (n <= k || strcmp(d_name + n - k, sfx) != 0)
                return false;
        if (!secret && n > strlen(".secret.json") &&
            !strcmp(d_name + n - strlen(".secret.json"), ".secret.json"))
                return false;
        const char *us = strchr(d_name, '_');
        if (!us || us == d_name)
                return false;
        return !ns || ((size_t)(us - d_name) == strlen(ns) && !strncmp(d_name, ns, strlen(ns)));
}

static int cmp_objects(const void *a, const void *b)
{
        json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
        json_t *mx = json_object_get(x, "metadata"), *my = json_object_get(y, "metadata");
        int c = strcmp(json_string_value(json_object_get(mx, "namespace")) ?: "",
                       json_string_value(json_object_get(my, "namespace")) ?: "");
        return c ? c
                 : strcmp(json_string_value(json_object_get(mx, "name")) ?: "",
                          json_string_value(json_object_get(my, "name")) ?: "");
}

int podctl_object_list(podctl *ctx, const char *ns, bool secret, const char *selector, json_t **out,
                       pc_error *err)
{
        *out = NULL;
        struct pc_selector *sel = NULL;
        if (selector && *selector && pc_selector_parse(selector, &sel, err) < 0)
                return -1;
        DIR *d = opendir(ctx->root.objects_dir);
        if (!d) {
                int e = errno;
                pc_selector_free(sel);
                if (e == ENOENT) {
                        *out = json_array();
                        return 0;
                }
                return pc_fail(err, e, "open %s", ctx->root.objects_dir);
        }
        json_t **v = NULL;
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
                if (!object_file(e->d_name, ns, secret))
                        continue;
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", ctx->root.objects_dir, e->d_name);
                json_t *j = json_load_file(p, 0, NULL);
                if (!j)
                        continue; /* going away under us */
                if (sel && !pc_selector_match(
                               sel, json_object_get(json_object_get(j, "metadata"), "labels"))) {
                        json_decref(j);
                        continue;
                }
                v = pc_xrealloc(v, (n + 1) * sizeof(*v));
                v[n++] = j;
        }
        closedir(d);
        pc_selector_free(sel);
        if (n)
                qsort(v, n, sizeof(*v), cmp_objects);
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, v[i]);
        free(v);
        *out = a;
        return 0;
}

int podctl_object_get(podctl *ctx, const char *ns, const char *name, bool secret, json_t **out,
                      pc_error *err)
{
        _cleanup_free_ char *p = pc_object_path(ctx->root.objects_dir, ns, name, secret);
        *out = json_load_file(p, 0, NULL);
        if (!*out) {
                pc_fail(err, 0, "%s \"%s\" not found", secret ? "secrets" : "configmaps", name);
                err->code = ENOENT;
                return -1;
        }
        return 0;
}

int podctl_object_delete(podctl *ctx, const char *ns, const char *name, bool secret, pc_error *err)
{
        _cleanup_free_ char *p = pc_object_path(ctx->root.objects_dir, ns, name, secret);
        if (unlink(p) < 0) {
                int e = errno;
                if (e != ENOENT)
                        return pc_fail(err, e, "delete %s", p);
                pc_fail(err, 0, "%s \"%s\" not found", secret ? "secrets" : "configmaps", name);
                err->code = ENOENT;
                return -1;
        }
        /* Pods that use it keep what their volumes hold (as the kubelet's) */
        return 0;
}
