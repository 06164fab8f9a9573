/* podctl events [--for pod/NAME] [-A] [-w] [--types=Normal,Warning]
 *               [-o json|yaml] [--no-headers]
 * kubectl events: the Pods' events, oldest first, as
 *   LAST SEEN   TYPE   REASON   OBJECT   MESSAGE
 * ("5s (x3 over 1m)" when an event repeated); -w prints each new or repeated
 * event as it comes (woken by inotify on the Pods' state files). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "util/util.h"

static const char *jstr(json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

/* Every event of the Pods asked for, each with its involvedObject, sorted
 * by lastTimestamp (then firstTimestamp, then order of occurrence). */
static int collect(struct pc_cli *cli, podctl *ctx, const char *pod, char **types, json_t **out)
{
        pc_error err;
        json_t *pods = NULL;
        if (pod) {
                json_t *p = NULL;
                pods = json_array();
                if (podctl_pod_get(ctx, cli->namespace_, pod, &p, &err) == 0)
                        json_array_append_new(pods, p);
                else if (err.code != ENOENT)
                        return pc_cli_die(&err);
        } else if (podctl_pod_list(ctx, cli->all_namespaces ? NULL : cli->namespace_, &pods, &err) <
                   0) {
                return pc_cli_die(&err);
        }
        json_t *all = json_array();
        size_t i;
        json_t *p;
        json_array_foreach(pods, i, p)
        {
                json_t *m = json_object_get(p, "metadata");
                json_t *evs = NULL;
                if (podctl_pod_events(ctx, jstr(m, "namespace"), jstr(m, "name"), &evs, &err) < 0)
                        continue; /* gone meanwhile */
                size_t k;
                json_t *e;
                json_array_foreach(evs, k, e)
                {
                        bool wanted = !types[0];
                        for (size_t t = 0; types[t]; t++)
                                wanted |= !strcasecmp(types[t], jstr(e, "type") ?: "");
                        if (!wanted)
                                continue;
                        json_t *ev = json_deep_copy(e);
                        json_t *io = json_pack("{s:s,s:s,s:s,s:O*}", "kind", "Pod", "namespace",
                                               jstr(m, "namespace"), "name", jstr(m, "name"), "uid",
                                               json_object_get(m, "uid"));
                        if (jstr(e, "fieldPath"))
                                json_object_set(io, "fieldPath", json_object_get(e, "fieldPath"));
                        json_object_set_new(ev, "involvedObject", io);
                        json_object_del(ev, "fieldPath");
                        json_object_set_new(ev, "apiVersion", json_string("v1"));
                        json_object_set_new(ev, "kind", json_string("Event"));
                        _cleanup_free_ char *en = pc_xasprintf("%s.%zu", jstr(m, "name"), k);
                        json_object_set_new(
                            ev, "metadata",
                            json_pack("{s:s,s:s}", "name", en, "namespace", jstr(m, "namespace")));
                        json_array_append_new(all, ev);
                }
                json_decref(evs);
        }
        json_decref(pods);
        /* insertion sort: stable, and lists are short */
        size_t n = json_array_size(all);
        for (size_t a = 1; a < n; a++) {
                for (size_t b = a; b > 0; b--) {
                        json_t *x = json_array_get(all, b - 1), *y = json_array_get(all, b);
                        if (strcmp(jstr(x, "lastTimestamp") ?: "",
                                   jstr(y, "lastTimestamp") ?: "") <= 0)
                                break;
                        json_incref(x);
                        json_array_set(all, b - 1, y);
                        json_array_set_new(all, b, x);
                }
        }
        *out = all;
        return 0;
}

static void add_row(struct pc_table *t, struct pc_cli *cli, json_t *e)
{
        int64_t first = pc_now_ns(), last = pc_now_ns();
        if (jstr(e, "firstTimestamp"))
                pc_parse_time(jstr(e, "firstTimestamp"), &first);
        if (jstr(e, "lastTimestamp"))
                pc_parse_time(jstr(e, "lastTimestamp"), &last);
        char a1[32], a2[32], seen[96];
        pc_cli_age(last, a1, sizeof(a1));
        long long count = json_integer_value(json_object_get(e, "count"));
        if (count > 1) {
                pc_cli_age(first, a2, sizeof(a2));
                snprintf(seen, sizeof(seen), "%s (x%lld over %s)", a1, count, a2);
        } else {
                snprintf(seen, sizeof(seen), "%s", a1);
        }
        json_t *io = json_object_get(e, "involvedObject");
        _cleanup_free_ char *obj = pc_xasprintf("Pod/%s", jstr(io, "name"));
        if (cli->all_namespaces)
                pc_table_row(t, jstr(io, "namespace"), seen, jstr(e, "type"), jstr(e, "reason"),
                             obj, jstr(e, "message") ?: "");
        else
                pc_table_row(t, seen, jstr(e, "type"), jstr(e, "reason"), obj,
                             jstr(e, "message") ?: "");
}

static void add_header(struct pc_table *t, struct pc_cli *cli)
{
        if (cli->all_namespaces)
                pc_table_row(t, "NAMESPACE", "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE");
        else
                pc_table_row(t, "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE");
}

/* An event's identity, and what makes it new again (its count). */
static char *event_key(json_t *e)
{
        json_t *io = json_object_get(e, "involvedObject");
        return pc_xasprintf("%s/%s/%s/%s/%s/%s/%s", jstr(io, "namespace"), jstr(io, "name"),
                            jstr(io, "uid") ?: "", jstr(io, "fieldPath") ?: "",
                            jstr(e, "reason") ?: "", jstr(e, "message") ?: "",
                            jstr(e, "firstTimestamp") ?: "");
}

int cmd_events(struct pc_cli *cli, int argc, char **argv)
{
        const char *forp = NULL, *output = NULL, *v;
        bool watch = false, headers = true;
        _cleanup_strv_ char **types = pc_xcalloc(1, sizeof(char *));
        for (int i = 1; i < argc; i++) {
                if ((v = pc_cli_flag(argc, argv, &i, "--for"))) {
                        forp = v;
                } else if ((v = pc_cli_flag(argc, argv, &i, "--types"))) {
                        _cleanup_free_ char *s = pc_xstrdup(v);
                        char *save = NULL;
                        for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                                if (strcasecmp(t, "Normal") && strcasecmp(t, "Warning"))
                                        return pc_cli_fail("valid --types are Normal or Warning");
                                pc_strv_push(&types, t);
                        }
                } else if ((v = pc_cli_flag(argc, argv, &i, "-o")) ||
                           (v = pc_cli_flag(argc, argv, &i, "--output"))) {
                        output = v;
                } else if (!strcmp(argv[i], "-w") || !strcmp(argv[i], "--watch")) {
                        watch = true;
                } else if (!strcmp(argv[i], "--no-headers")) {
                        headers = false;
                } else {
                        return pc_cli_fail("unknown flag or argument \"%s\" for events", argv[i]);
                }
        }
        const char *pod = NULL;
        if (forp) {
                const char *slash = strchr(forp, '/');
                _cleanup_free_ char *kind =
                    slash ? pc_xasprintf("%.*s", (int)(slash - forp), forp) : NULL;
                if (!slash || !slash[1] || !pc_cli_is_pod_resource(kind))
                        return pc_cli_fail("--for must be in resource/name form (podctl has "
                                           "Pods: pod/NAME)");
                pod = slash + 1;
        }
        if (output && strcmp(output, "json") && strcmp(output, "yaml"))
                return pc_cli_fail("unable to match a printer suitable for the output format "
                                   "\"%s\", allowed formats are: json,yaml",
                                   output);
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        struct podctl_watch *w = NULL;
        if (watch && podctl_watch_open(ctx, &w, &err) < 0)
                return pc_cli_die(&err);
        json_t *evs = NULL;
        if (collect(cli, ctx, pod, types, &evs) != 0) {
                podctl_watch_close(w);
                return 1;
        }
        int rc = 0;
        json_t *seen = json_object();
        size_t i;
        json_t *e;
        if (output) {
                if (watch) {
                        json_array_foreach(evs, i, e) pc_cli_print_json(e);
                } else {
                        json_t *list =
                            json_pack("{s:s,s:O,s:s,s:{s:s}}", "apiVersion", "v1", "items", evs,
                                      "kind", "EventList", "metadata", "resourceVersion", "");
                        if (!strcmp(output, "json"))
                                pc_cli_print_json(list);
                        else
                                rc = pc_cli_print_yaml(list);
                        json_decref(list);
                }
        } else if (!json_array_size(evs) && !watch) {
                if (cli->all_namespaces)
                        fprintf(stderr, "No events found.\n");
                else
                        fprintf(stderr, "No events found in %s namespace.\n", cli->namespace_);
        } else if (json_array_size(evs)) {
                struct pc_table t = {0};
                if (headers)
                        add_header(&t, cli);
                json_array_foreach(evs, i, e) add_row(&t, cli, e);
                pc_table_print(&t);
        }
        bool header_done = json_array_size(evs) > 0 || !headers;
        json_array_foreach(evs, i, e)
        {
                _cleanup_free_ char *k = event_key(e);
                json_object_set(seen, k, json_object_get(e, "count"));
        }
        json_decref(evs);
        fflush(stdout);
        while (watch && rc == 0) {
                if (podctl_watch_wait(w, -1, &err) < 0) {
                        rc = pc_cli_die(&err);
                        break;
                }
                if ((rc = collect(cli, ctx, pod, types, &evs)) != 0)
                        break;
                struct pc_table t = {0};
                if (!header_done && !output && json_array_size(evs))
                        add_header(&t, cli);
                json_array_foreach(evs, i, e)
                {
                        _cleanup_free_ char *k = event_key(e);
                        json_t *c = json_object_get(seen, k);
                        if (c && json_equal(c, json_object_get(e, "count")))
                                continue;
                        json_object_set(seen, k, json_object_get(e, "count"));
                        header_done = true;
                        if (output)
                                pc_cli_print_json(e);
                        else
                                add_row(&t, cli, e);
                }
                if (t.n_rows)
                        pc_table_print(&t);
                fflush(stdout);
                json_decref(evs);
        }
        json_decref(seen);
        podctl_watch_close(w);
        return rc;
}
