/* podctl get pods [NAME...] [-o wide|json|yaml|name] [-A] [-n NS] */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/util.h"

static const char *jstr(json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

static void row(struct pc_table *t, json_t *pod, bool wide, bool show_ns)
{
        json_t *meta = json_object_get(pod, "metadata");
        json_t *st = json_object_get(pod, "status");
        char ready[32], status[128], age[32], restarts[32];
        pc_cli_pod_ready(pod, ready, sizeof(ready));
        pc_cli_pod_status(pod, status, sizeof(status));
        snprintf(restarts, sizeof(restarts), "%lld", (long long)pc_cli_pod_restarts(pod));
        int64_t created = 0;
        if (!jstr(meta, "creationTimestamp") ||
            pc_parse_time(jstr(meta, "creationTimestamp"), &created) < 0)
                created = pc_now_ns();
        pc_cli_age(created, age, sizeof(age));
        const char *ns = jstr(meta, "namespace"), *name = jstr(meta, "name");
        const char *ip = jstr(st, "podIP") ? jstr(st, "podIP") : "<none>";
        char host[256] = "";
        gethostname(host, sizeof(host) - 1);
        if (show_ns && wide)
                pc_table_row(t, ns, name, ready, status, restarts, age, ip, host, "<none>",
                             "<none>");
        else if (show_ns)
                pc_table_row(t, ns, name, ready, status, restarts, age);
        else if (wide)
                pc_table_row(t, name, ready, status, restarts, age, ip, host, "<none>", "<none>");
        else
                pc_table_row(t, name, ready, status, restarts, age);
}

/* get node [-o json|yaml]: this host as the one node. */
static int get_node(struct pc_cli *cli, int argc, char **argv)
{
        const char *output = NULL, *v;
        for (int i = 1; i < argc; i++)
                if ((v = pc_cli_flag(argc, argv, &i, "-o")) ||
                    (v = pc_cli_flag(argc, argv, &i, "--output")))
                        output = v;
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        json_t *node = NULL;
        if (podctl_node_get(ctx, &node, &err) < 0)
                return pc_cli_die(&err);
        int rc = 0;
        if (output && !strcmp(output, "json")) {
                pc_cli_print_json(node);
        } else if (output && !strcmp(output, "yaml")) {
                rc = pc_cli_print_yaml(node);
        } else {
                struct pc_table t = {0};
                pc_table_row(&t, "NAME", "STATUS", "ROLES", "VERSION");
                pc_table_row(&t, jstr(json_object_get(node, "metadata"), "name"), "Ready", "<none>",
                             "podctl-" PODCTL_VERSION);
                pc_table_print(&t);
        }
        json_decref(node);
        return rc;
}

/* -o: "", wide, json, yaml, name, jsonpath=T, custom-columns=SPEC. */
struct get_out {
        const char *output;
        const char *jsonpath;       /* -o jsonpath=... */
        const char *custom_columns; /* -o custom-columns=... */
        bool wide, headers;
};

static int check_output(struct get_out *o)
{
        const char *out = o->output;
        if (!out)
                return 0;
        if (pc_str_has_prefix(out, "jsonpath=")) {
                o->jsonpath = out + strlen("jsonpath=");
                return 0;
        }
        if (pc_str_has_prefix(out, "custom-columns=")) {
                o->custom_columns = out + strlen("custom-columns=");
                return 0;
        }
        if (!strcmp(out, "jsonpath"))
                return pc_cli_fail("template format specified but no template given");
        if (!strcmp(out, "custom-columns"))
                return pc_cli_fail("custom-columns format specified but no custom columns given");
        o->wide = !strcmp(out, "wide");
        if (!o->wide && strcmp(out, "json") && strcmp(out, "yaml") && strcmp(out, "name"))
                return pc_cli_fail("unable to match a printer suitable for the output format "
                                   "\"%s\", allowed formats are: "
                                   "custom-columns,json,jsonpath,name,wide,yaml",
                                   out);
        return 0;
}

static void print_table(struct pc_cli *cli, const struct get_out *o, json_t *items)
{
        struct pc_table t = {0};
        bool wide = o->wide;
        const char *h[] = {"NAMESPACE", "NAME", "READY", "STATUS",         "RESTARTS",
                           "AGE",       "IP",   "NODE",  "NOMINATED NODE", "READINESS GATES"};
        const char **hh = cli->all_namespaces ? h : h + 1;
        if (o->headers && wide)
                pc_table_row(&t, hh[0], hh[1], hh[2], hh[3], hh[4], hh[5], hh[6], hh[7], hh[8],
                             cli->all_namespaces ? hh[9] : NULL);
        else if (o->headers)
                pc_table_row(&t, hh[0], hh[1], hh[2], hh[3], hh[4],
                             cli->all_namespaces ? hh[5] : NULL);
        size_t i;
        json_t *p;
        json_array_foreach(items, i, p)
        {
                row(&t, p, wide, cli->all_namespaces);
        }
        pc_table_print(&t);
}

/* Print items (a JSON array of Pods) in the chosen format. `single`: one
 * Pod was named, so json/yaml/jsonpath see the Pod, not a List. */
static int print_items(struct pc_cli *cli, const struct get_out *o, json_t *items, bool single)
{
        const char *output = o->output;
        int rc = 0;
        if (output && (!strcmp(output, "json") || !strcmp(output, "yaml") || o->jsonpath)) {
                json_t *out;
                if (single && json_array_size(items) == 1)
                        out = json_incref(json_array_get(items, 0));
                else
                        out = json_pack("{s:s,s:O,s:s,s:{s:s}}", "apiVersion", "v1", "items", items,
                                        "kind", "List", "metadata", "resourceVersion", "");
                if (o->jsonpath)
                        rc = pc_cli_print_jsonpath(o->jsonpath, out);
                else if (!strcmp(output, "json"))
                        pc_cli_print_json(out);
                else if (pc_cli_print_yaml(out) != 0)
                        rc = 1;
                json_decref(out);
        } else if (o->custom_columns) {
                rc = pc_cli_print_custom_columns(o->custom_columns, items, o->headers);
        } else if (output && !strcmp(output, "name")) {
                size_t i;
                json_t *p;
                json_array_foreach(items, i, p)
                {
                        printf("pod/%s\n", jstr(json_object_get(p, "metadata"), "name"));
                }
        } else {
                print_table(cli, o, items);
        }
        return rc;
}

/* ---- get pods without names ------------------------------------------------- */

static void append_to(json_t *pod, void *data)
{
        json_array_append_new(data, pod);
}

/* -o json of every Pod, each printed as it is read: the List as
 * pc_cli_print_json prints it (JSON_INDENT(4)), each item's own dump
 * indented to its depth (jansson's dump of a nested value is the value's
 * with two more levels after each newline; strings never hold one). */
struct json_list {
        const char *head; /* the List's text before its items' "[" */
        size_t head_len, n;
        char *buf; /* one item's indented text, reused */
        size_t cap;
};

#define ITEM_INDENT "        "

static void list_item(json_t *pod, void *data)
{
        struct json_list *l = data;
        _cleanup_(json_decrefp) json_t *p = pod;
        _cleanup_free_ char *dumped =
            json_is_string(p) ? NULL : json_dumps(p, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        const char *s = json_is_string(p) ? json_string_value(p) : dumped;
        if (!s)
                return;
        size_t ind = strlen(ITEM_INDENT), lines = 0, len = 0;
        for (; s[len]; len++)
                lines += s[len] == '\n';
        size_t need = 2 + ind + len + lines * ind;
        if (need > l->cap) {
                l->cap = need * 2;
                l->buf = pc_xrealloc(l->buf, l->cap);
        }
        char *o = l->buf;
        if (l->n++ == 0) {
                fwrite(l->head, 1, l->head_len, stdout);
                *o++ = '[';
        } else {
                *o++ = ',';
        }
        *o++ = '\n';
        memcpy(o, ITEM_INDENT, ind);
        o += ind;
        for (const char *c = s; *c; c++) {
                *o++ = *c;
                if (*c == '\n') {
                        memcpy(o, ITEM_INDENT, ind);
                        o += ind;
                }
        }
        fwrite(l->buf, 1, (size_t)(o - l->buf), stdout);
}

static int print_json_stream(struct pc_cli *cli, podctl *ctx, const char *selector)
{
        /* the List's text around its items, as jansson prints it */
        json_t *empty = json_pack("{s:s,s:[],s:s,s:{s:s}}", "apiVersion", "v1", "items", "kind",
                                  "List", "metadata", "resourceVersion", "");
        _cleanup_free_ char *frame =
            empty ? json_dumps(empty, JSON_INDENT(4) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(empty);
        const char *at = frame ? strstr(frame, "[]") : NULL;
        if (!at)
                return pc_cli_fail("out of memory");
        struct json_list l = {.head = frame, .head_len = (size_t)(at - frame)};
        pc_error err;
        int r = podctl_pod_each(ctx, cli->all_namespaces ? NULL : cli->namespace_, selector,
                                PODCTL_POD_PRINTED, list_item, &l, &err);
        free(l.buf);
        if (r < 0)
                return pc_cli_die(&err); /* before any item: nothing printed */
        if (l.n == 0)
                fwrite(l.head, 1, l.head_len, stdout);
        fputs(l.n ? "\n    ]" : "[]", stdout);
        fputs(at + 2, stdout);
        fputc('\n', stdout);
        return 0;
}

/* ---- get -w ---------------------------------------------------------------- */

static json_t *pod_named(json_t *items, const char *key)
{
        size_t i;
        json_t *p;
        json_array_foreach(items, i, p)
        {
                json_t *m = json_object_get(p, "metadata");
                _cleanup_free_ char *k =
                    pc_xasprintf("%s/%s", jstr(m, "namespace"), jstr(m, "name"));
                if (!strcmp(k, key))
                        return p;
        }
        return NULL;
}

static int current(struct pc_cli *cli, podctl *ctx, const char *name, const char *selector,
                   json_t **items)
{
        pc_error err;
        if (!name)
                return podctl_pod_select(ctx, cli->all_namespaces ? NULL : cli->namespace_,
                                         selector, items, &err) < 0
                           ? pc_cli_die(&err)
                           : 0;
        json_t *p = NULL;
        *items = json_array();
        if (podctl_pod_get(ctx, cli->namespace_, name, &p, &err) == 0)
                json_array_append_new(*items, p);
        else if (err.code != ENOENT)
                return pc_cli_die(&err);
        return 0;
}

/* What a table row shows but its AGE: a row is printed again only when
 * this changes. */
static char *row_key(json_t *pod, bool wide)
{
        char ready[32], status[128];
        pc_cli_pod_ready(pod, ready, sizeof(ready));
        pc_cli_pod_status(pod, status, sizeof(status));
        return pc_xasprintf("%s %s %lld %s", ready, status, (long long)pc_cli_pod_restarts(pod),
                            wide ? jstr(json_object_get(pod, "status"), "podIP") ?: "" : "");
}

struct watch_state {
        bool events;      /* --output-watch-events */
        bool header_done; /* the table's header has been printed */
        json_t *rows;     /* key -> row_key of the last row printed */
};

/* One watch event: the object (or, with --output-watch-events, {"type",
 * "object"}) in the output format; a table row without header. */
static int print_event(struct pc_cli *cli, const struct get_out *o, struct watch_state *ws,
                       const char *type, json_t *pod)
{
        const char *out = o->output;
        bool events = ws->events;
        int rc = 0;
        if (out && (!strcmp(out, "json") || !strcmp(out, "yaml"))) {
                json_t *v =
                    events ? json_pack("{s:s,s:O}", "type", type, "object", pod) : json_incref(pod);
                if (!strcmp(out, "json"))
                        pc_cli_print_json(v);
                else {
                        fputs("---\n", stdout);
                        rc = pc_cli_print_yaml(v);
                }
                json_decref(v);
        } else {
                bool table = !out || o->wide;
                json_t *m = json_object_get(pod, "metadata");
                _cleanup_free_ char *k =
                    pc_xasprintf("%s/%s", jstr(m, "namespace"), jstr(m, "name"));
                _cleanup_free_ char *rk = row_key(pod, o->wide);
                const char *last = jstr(ws->rows, k);
                if (table && strcmp(type, "DELETED") && last && !strcmp(last, rk))
                        return 0; /* nothing a row shows has changed */
                json_object_set_new(ws->rows, k, json_string(rk));
                json_t *one = json_pack("[O]", pod);
                struct get_out row_only = *o;
                row_only.headers = o->headers && !ws->header_done;
                ws->header_done = true;
                rc = print_items(cli, &row_only, one, true);
                json_decref(one);
        }
        fflush(stdout);
        return rc;
}

/* get -w: the Pods now (unless --watch-only), then each change as it
 * happens: a Pod created, changed or gone. Woken by podctl_watch (inotify on
 * the Pods' state files); runs until interrupted. */
static int watch_pods(struct pc_cli *cli, const struct get_out *o, const char *name,
                      const char *selector, bool watch_only, bool events)
{
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        struct podctl_watch *w = NULL;
        if (podctl_watch_open(ctx, &w, &err) < 0)
                return pc_cli_die(&err);
        json_t *prev = NULL;
        struct watch_state ws = {.events = events, .rows = json_object()};
        int rc = current(cli, ctx, name, selector, &prev);
        if (rc == 0 && name && !json_array_size(prev)) {
                fprintf(stderr, "Error from server (NotFound): pods \"%s\" not found\n", name);
                rc = 1;
        }
        if (rc == 0 && !watch_only) {
                size_t i;
                json_t *p;
                bool table = !o->output || o->wide;
                if (table && json_array_size(prev)) {
                        /* the Pods there are now: one table, aligned */
                        rc = print_items(cli, o, prev, false);
                        fflush(stdout);
                        ws.header_done = true;
                        json_array_foreach(prev, i, p)
                        {
                                json_t *m = json_object_get(p, "metadata");
                                _cleanup_free_ char *k =
                                    pc_xasprintf("%s/%s", jstr(m, "namespace"), jstr(m, "name"));
                                _cleanup_free_ char *rk = row_key(p, o->wide);
                                json_object_set_new(ws.rows, k, json_string(rk));
                        }
                } else {
                        json_array_foreach(prev, i, p) rc |= print_event(cli, o, &ws, "ADDED", p);
                }
        }
        while (rc == 0) {
                int r = podctl_watch_wait(w, -1, &err);
                if (r < 0) {
                        rc = pc_cli_die(&err);
                        break;
                }
                json_t *now = NULL;
                if ((rc = current(cli, ctx, name, selector, &now)) != 0)
                        break;
                size_t i;
                json_t *p;
                json_array_foreach(now, i, p)
                {
                        json_t *m = json_object_get(p, "metadata");
                        _cleanup_free_ char *k =
                            pc_xasprintf("%s/%s", jstr(m, "namespace"), jstr(m, "name"));
                        json_t *old = pod_named(prev, k);
                        if (!old)
                                rc |= print_event(cli, o, &ws, "ADDED", p);
                        else if (!json_equal(old, p))
                                rc |= print_event(cli, o, &ws, "MODIFIED", p);
                }
                json_array_foreach(prev, i, p)
                {
                        json_t *m = json_object_get(p, "metadata");
                        _cleanup_free_ char *k =
                            pc_xasprintf("%s/%s", jstr(m, "namespace"), jstr(m, "name"));
                        if (!pod_named(now, k))
                                rc |= print_event(cli, o, &ws, "DELETED", p);
                }
                json_decref(prev);
                prev = now;
        }
        json_decref(prev);
        json_decref(ws.rows);
        podctl_watch_close(w);
        return rc;
}

int cmd_get(struct pc_cli *cli, int argc, char **argv)
{
        const char *sort_by = NULL, *v;
        struct get_out o = {.headers = true};
        _cleanup_(pc_cli_pods_free) struct pc_cli_pods t = {.names = pc_xcalloc(1, sizeof(char *))};
        bool watch = false, watch_only = false, events = false;
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "-w") || !strcmp(argv[i], "--watch"))
                        watch = true;
                else if (!strcmp(argv[i], "--watch-only"))
                        watch = watch_only = true;
                else if (!strcmp(argv[i], "--output-watch-events") ||
                         !strcmp(argv[i], "--output-watch-events=true"))
                        events = true;
                else if ((v = pc_cli_flag(argc, argv, &i, "-o")) ||
                         (v = pc_cli_flag(argc, argv, &i, "--output")))
                        o.output = v;
                else if ((v = pc_cli_flag(argc, argv, &i, "--sort-by")))
                        sort_by = v;
                else if (!strcmp(argv[i], "--no-headers") || !strcmp(argv[i], "--no-headers=true"))
                        o.headers = false;
                else if (!strncmp(argv[i], "-o", 2) && argv[i][2])
                        o.output = argv[i] + 2;
                else if (strcmp(argv[i], "--all") && pc_cli_pods_arg(&t, argc, argv, &i))
                        continue;
                else if (argv[i][0] == '-')
                        return pc_cli_fail("unknown flag \"%s\" for get", argv[i]);
                else if (!t.resource_seen && pc_cli_object_kind(argv[i]) >= 0)
                        return pc_cli_get_objects(cli, pc_cli_object_kind(argv[i]), argc, argv);
                else if (!t.resource_seen && (!strcmp(argv[i], "node") ||
                                              !strcmp(argv[i], "nodes") || !strcmp(argv[i], "no")))
                        return get_node(cli, argc, argv);
                else if (pc_cli_pods_name(&t, argv[i]) != 0)
                        return 1;
        }
        const char *selector = t.selector;
        char **names = t.names;
        if (!t.resource_seen)
                return pc_cli_fail("you must specify the type of resource to get: pods, nodes, "
                                   "configmaps, secrets");
        if (selector && names[0])
                return pc_cli_fail("name cannot be provided when a selector is specified");
        if (o.output && *o.output == '=')
                o.output++; /* -o=json */
        if (check_output(&o) != 0)
                return 1;
        if (watch && names[0] && names[1])
                return pc_cli_fail("watch is only supported on individual resources and resource "
                                   "collections, but %zu resources were found",
                                   pc_strv_len(names));
        if (watch)
                return watch_pods(cli, &o, names[0], selector, watch_only, events);
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        json_t *items = NULL;
        int rc = 0;
        if (names[0]) {
                items = json_array();
                for (size_t i = 0; names[i]; i++) {
                        json_t *p = NULL;
                        if (podctl_pod_get(ctx, cli->namespace_, names[i], &p, &err) < 0) {
                                if (err.code == ENOENT)
                                        fprintf(stderr,
                                                "Error from server (NotFound): pods \"%s\" not "
                                                "found\n",
                                                names[i]);
                                else
                                        pc_cli_die(&err);
                                rc = 1;
                                continue;
                        }
                        json_array_append_new(items, p);
                }
        } else if (o.output && !strcmp(o.output, "json") && !sort_by) {
                return print_json_stream(cli, ctx, selector);
        } else if ((!o.output || o.wide || !strcmp(o.output, "name")) && !sort_by) {
                /* what a row shows only (PODCTL_POD_ROWS) */
                items = json_array();
                if (podctl_pod_each(ctx, cli->all_namespaces ? NULL : cli->namespace_, selector,
                                    PODCTL_POD_ROWS, append_to, items, &err) < 0) {
                        json_decref(items);
                        return pc_cli_die(&err);
                }
        } else if (podctl_pod_select(ctx, cli->all_namespaces ? NULL : cli->namespace_, selector,
                                     &items, &err) < 0) {
                return pc_cli_die(&err);
        }
        if (sort_by && pc_cli_sort_items(items, sort_by) != 0) {
                json_decref(items);
                return 1;
        }
        /* kubectl says "No resources found" for its human-readable tables only;
         * the other printers print what an empty list is for them */
        bool human = !o.output || o.wide;
        if (json_array_size(items) == 0 && human) {
                if (!names[0]) {
                        if (cli->all_namespaces)
                                fprintf(stderr, "No resources found\n");
                        else
                                fprintf(stderr, "No resources found in %s namespace.\n",
                                        cli->namespace_);
                }
        } else if (!names[0] || json_array_size(items) > 0) {
                rc |= print_items(cli, &o, items, names[0] && !names[1]);
        }
        json_decref(items);
        return rc;
}
