/* Metadata changes of a stored Pod (`label`, `annotate`): labels and
 * annotations only; they are stored in pod.json (replaced atomically, under
 * the root lock) and change nothing that runs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pod/internal.h"
#include "podctl/podctl.h"
#include "spec/selector.h"
#include "state/state.h"
#include "util/util.h"

static int check_entries(const char *field, json_t *set, pc_error *err)
{
        const char *k;
        json_t *v;
        json_object_foreach(set, k, v)
        {
                if (!pc_label_key_valid(k))
                        return pc_fail(err, 0,
                                       "metadata.%s: Invalid value: \"%s\": name part must "
                                       "consist of alphanumeric characters, '-', '_' or '.', and "
                                       "must start and end with an alphanumeric character",
                                       field, k);
                if (!strcmp(field, "labels") && !pc_label_value_valid(json_string_value(v) ?: ""))
                        return pc_fail(err, 0,
                                       "metadata.labels: Invalid value: \"%s\": a valid label "
                                       "must be an empty string or consist of alphanumeric "
                                       "characters, '-', '_' or '.', and must start and end with "
                                       "an alphanumeric character",
                                       json_string_value(v));
        }
        return 0;
}

/* kubectl's refusal to overwrite without --overwrite (label: a different
 * value; annotate: any value). */
static int check_overwrite(const char *field, json_t *cur, json_t *set, pc_error *err)
{
        char msg[sizeof(err->msg)] = "";
        size_t len = 0;
        bool labels = !strcmp(field, "labels");
        const char *k;
        json_t *v;
        json_object_foreach(set, k, v)
        {
                const char *old = json_string_value(json_object_get(cur, k));
                if (!old || (labels && !strcmp(old, json_string_value(v))))
                        continue;
                if (labels) {
                        pc_fail(err, 0, "'%s' already has a value (%s), and --overwrite is false",
                                k, old);
                        err->code = EEXIST;
                        return -1;
                }
                len += (size_t)snprintf(msg + len, len < sizeof(msg) ? sizeof(msg) - len : 0,
                                        "%s'%s' already has a value (%s)", len ? "; " : "", k, old);
                if (len >= sizeof(msg))
                        break;
        }
        if (len) {
                pc_fail(err, 0,
                        "--overwrite is false but found the following declared annotation(s): %s",
                        msg);
                err->code = EEXIST;
                return -1;
        }
        return 0;
}

int podctl_pod_update_meta(podctl *ctx, const char *ns, const char *name, const char *field,
                           json_t *set, char **remove, bool overwrite,
                           struct podctl_meta_result *res, pc_error *err)
{
        memset(res, 0, sizeof(*res));
        if (check_entries(field, set, err) < 0)
                return -1;
        _cleanup_free_ char *key = pc_pod_key(ns, name);
        /* a Pod whose monitor is dead gets one first, so that the labels
         * reach its downward API files */
        pc_pod_adopt_key_if_lost(ctx, key);
        if (pc_root_lock(&ctx->root, err) < 0)
                return -1;
        struct pc_pod_state ps;
        int r = pc_pod_state_load(&ctx->root, key, &ps, err);
        if (r < 0 || (!ps.status && !ps.monitor_alive)) {
                bool missing = r == 0 || err->code == ENOENT;
                pc_pod_state_free(&ps);
                pc_root_unlock(&ctx->root);
                if (missing)
                        return pc_fail(err, ENOENT, "pods \"%s\" not found", name);
                return -1;
        }
        json_t *meta = json_object_get(ps.pod, "metadata");
        json_t *cur = json_object_get(meta, field);
        _cleanup_free_ char *before =
            cur ? json_dumps(cur, JSON_COMPACT | JSON_SORT_KEYS) : pc_xstrdup("{}");
        if (!overwrite && check_overwrite(field, cur, set, err) < 0) {
                pc_pod_state_free(&ps);
                pc_root_unlock(&ctx->root);
                return -1;
        }
        json_t *next = cur ? json_deep_copy(cur) : json_object();
        res->not_found = pc_xcalloc(1, sizeof(char *));
        for (size_t i = 0; remove && remove[i]; i++) {
                if (!json_object_get(next, remove[i]))
                        pc_strv_push(&res->not_found, remove[i]);
                json_object_del(next, remove[i]);
        }
        json_object_update(next, set);
        _cleanup_free_ char *after = json_dumps(next, JSON_COMPACT | JSON_SORT_KEYS);
        res->changed = strcmp(before, after) != 0;
        res->shrank = strlen(after) < strlen(before);
        r = 0;
        if (res->changed) {
                if (json_object_size(next))
                        json_object_set(meta, field, next);
                else
                        json_object_del(meta, field);
                _cleanup_free_ char *podp = pc_xasprintf("%s/pod.json", ps.dir);
                r = pc_json_save(podp, ps.pod, true, err);
        }
        json_decref(next);
        pc_pod_state_free(&ps);
        pc_root_unlock(&ctx->root);
        if (r < 0) {
                pc_strv_free(res->not_found);
                res->not_found = NULL;
        }
        return r;
}

static void append_to(json_t *pod, void *data)
{
        json_array_append_new(data, pod);
}

int podctl_pod_select(podctl *ctx, const char *ns, const char *selector, json_t **out,
                      pc_error *err)
{
        json_t *arr = json_array();
        if (podctl_pod_each(ctx, ns, selector, 0, append_to, arr, err) < 0) {
                json_decref(arr);
                return -1;
        }
        *out = arr;
        return 0;
}
