/* podctl get configmaps|secrets [NAME...] [-o json|yaml|name] [-A] [-n NS]
 * podctl delete configmap|secret NAME... [--ignore-not-found]
 * podctl describe configmap|secret NAME...
 *
 * As kubectl's: the table is NAME DATA AGE (Secrets: NAME TYPE DATA AGE;
 * -A puts NAMESPACE first), DATA counting data and binaryData keys; a
 * named object that does not exist is "Error from server (NotFound):
 * configmaps "x" not found", exit 1. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/util.h"

int pc_cli_object_kind(const char *arg)
{
        if (!strcmp(arg, "configmap") || !strcmp(arg, "configmaps") || !strcmp(arg, "cm"))
                return PC_CLI_CONFIGMAP;
        if (!strcmp(arg, "secret") || !strcmp(arg, "secrets"))
                return PC_CLI_SECRET;
        return -1;
}

static const char *jstr(json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

static void row(struct pc_table *t, json_t *obj, bool secret, bool show_ns)
{
        json_t *meta = json_object_get(obj, "metadata");
        char data[32], age[32];
        snprintf(data, sizeof(data), "%zu",
                 json_object_size(json_object_get(obj, "data")) +
                     json_object_size(json_object_get(obj, "binaryData")));
        int64_t created = 0;
        if (!jstr(meta, "creationTimestamp") ||
            pc_parse_time(jstr(meta, "creationTimestamp"), &created) < 0)
                created = pc_now_ns();
        pc_cli_age(created, age, sizeof(age));
        const char *ns = jstr(meta, "namespace") ?: "", *name = jstr(meta, "name") ?: "";
        const char *type = jstr(obj, "type") ?: "Opaque";
        if (secret && show_ns)
                pc_table_row(t, ns, name, type, data, age);
        else if (secret)
                pc_table_row(t, name, type, data, age);
        else if (show_ns)
                pc_table_row(t, ns, name, data, age);
        else
                pc_table_row(t, name, data, age);
}

static int print(json_t *items, const char *output, bool single, bool secret, bool show_ns,
                 bool headers)
{
        const char *kind = secret ? "secret" : "configmap";
        if (output && (!strcmp(output, "json") || !strcmp(output, "yaml"))) {
                json_t *out =
                    single && json_array_size(items) == 1
                        ? json_incref(json_array_get(items, 0))
                        : json_pack("{s:s,s:O,s:s,s:{s:s}}", "apiVersion", "v1", "items", items,
                                    "kind", "List", "metadata", "resourceVersion", "");
                int rc = 0;
                if (!strcmp(output, "json"))
                        pc_cli_print_json(out);
                else
                        rc = pc_cli_print_yaml(out);
                json_decref(out);
                return rc;
        }
        size_t i;
        json_t *o;
        if (output && !strcmp(output, "name")) {
                json_array_foreach(items, i, o)
                {
                        printf("%s/%s\n", kind, jstr(json_object_get(o, "metadata"), "name"));
                }
                return 0;
        }
        if (json_array_size(items) == 0)
                return 0;
        struct pc_table t = {0};
        if (headers) {
                if (secret && show_ns)
                        pc_table_row(&t, "NAMESPACE", "NAME", "TYPE", "DATA", "AGE");
                else if (secret)
                        pc_table_row(&t, "NAME", "TYPE", "DATA", "AGE");
                else if (show_ns)
                        pc_table_row(&t, "NAMESPACE", "NAME", "DATA", "AGE");
                else
                        pc_table_row(&t, "NAME", "DATA", "AGE");
        }
        json_array_foreach(items, i, o) row(&t, o, secret, show_ns);
        pc_table_print(&t);
        return 0;
}

int pc_cli_get_objects(struct pc_cli *cli, int kind, int argc, char **argv)
{
        bool secret = kind == PC_CLI_SECRET, headers = true, seen_kind = false;
        const char *output = NULL, *selector = NULL, *v;
        _cleanup_strv_ char **names = pc_xcalloc(1, sizeof(char *));
        for (int i = 1; i < argc; i++) {
                if ((v = pc_cli_flag(argc, argv, &i, "-o")) ||
                    (v = pc_cli_flag(argc, argv, &i, "--output")))
                        output = v;
                else if (!strncmp(argv[i], "-o", 2) && argv[i][2])
                        output = argv[i] + 2;
                else if ((v = pc_cli_flag(argc, argv, &i, "-l")) ||
                         (v = pc_cli_flag(argc, argv, &i, "--selector")))
                        selector = v;
                else if (!strncmp(argv[i], "-l", 2) && argv[i][2])
                        selector = argv[i] + 2;
                else if (!strcmp(argv[i], "--no-headers"))
                        headers = false;
                else if (argv[i][0] == '-')
                        return pc_cli_fail("unknown flag \"%s\" for get %ss", argv[i],
                                           secret ? "secret" : "configmap");
                else if (!seen_kind && pc_cli_object_kind(argv[i]) == kind)
                        seen_kind = true;
                else
                        pc_strv_push(&names, argv[i]);
        }
        if (output && *output == '=')
                output++;
        if (selector && names[0])
                return pc_cli_fail("name cannot be provided when a selector is specified");
        if (output && strcmp(output, "json") && strcmp(output, "yaml") && strcmp(output, "name"))
                return pc_cli_fail("unable to match a printer suitable for the output format "
                                   "\"%s\", allowed formats are: json,name,yaml",
                                   output);
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        const char *ns = cli->all_namespaces ? NULL : cli->namespace_;
        json_t *items = NULL;
        int rc = 0;
        if (names[0]) {
                items = json_array();
                for (size_t i = 0; names[i]; i++) {
                        json_t *o = NULL;
                        if (podctl_object_get(ctx, cli->namespace_, names[i], secret, &o, &err) <
                            0) {
                                fprintf(stderr, "Error from server (NotFound): %s\n", err.msg);
                                rc = 1;
                                continue;
                        }
                        json_array_append_new(items, o);
                }
        } else if (podctl_object_list(ctx, ns, secret, selector, &items, &err) < 0) {
                return pc_cli_die(&err);
        }
        if (!names[0] && json_array_size(items) == 0 && (!output || !strcmp(output, "name"))) {
                if (ns)
                        fprintf(stderr, "No resources found in %s namespace.\n", ns);
                else
                        fprintf(stderr, "No resources found\n");
        }
        if (print(items, output, names[0] && !names[1], secret, !ns, headers) != 0)
                rc = 1;
        json_decref(items);
        return rc;
}

int pc_cli_delete_objects(struct pc_cli *cli, int kind, int argc, char **argv)
{
        bool secret = kind == PC_CLI_SECRET, ignore_missing = false, seen_kind = false;
        _cleanup_strv_ char **names = pc_xcalloc(1, sizeof(char *));
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--ignore-not-found"))
                        ignore_missing = true;
                else if (argv[i][0] == '-')
                        return pc_cli_fail("unknown flag \"%s\" for delete %s", argv[i],
                                           secret ? "secret" : "configmap");
                else if (!seen_kind && pc_cli_object_kind(argv[i]) == kind)
                        seen_kind = true;
                else
                        pc_strv_push(&names, argv[i]);
        }
        if (!names[0])
                return pc_cli_fail("resource(s) were provided, but no name was specified");
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        int rc = 0;
        for (size_t i = 0; names[i]; i++)
                rc |= pc_cli_delete_object(ctx, cli->namespace_, names[i], secret, ignore_missing);
        return rc;
}

int pc_cli_delete_object(podctl *ctx, const char *ns, const char *name, bool secret,
                         bool ignore_missing)
{
        pc_error err;
        if (podctl_object_delete(ctx, ns, name, secret, &err) < 0) {
                if (err.code != ENOENT)
                        return pc_cli_die(&err);
                if (ignore_missing)
                        return 0;
                fprintf(stderr, "Error from server (NotFound): %s \"%s\" not found\n",
                        secret ? "secrets" : "configmaps", name);
                return 1;
        }
        printf("%s \"%s\" deleted\n", secret ? "secret" : "configmap", name);
        fflush(stdout);
        return 0;
}

/* The decoded size of a base64 string. */
static size_t b64_size(json_t *v)
{
        const char *b = json_string_value(v) ?: "";
        size_t n = strlen(b), pad = 0;
        while (pad < n && pad < 2 && b[n - 1 - pad] == '=')
                pad++;
        return n / 4 * 3 - pad;
}

/* As kubectl's describe: a ConfigMap's values in full, a Secret's sizes. */
int pc_cli_describe_objects(struct pc_cli *cli, int kind, int argc, char **argv)
{
        bool secret = kind == PC_CLI_SECRET;
        if (argc == 0)
                return pc_cli_fail("usage: podctl describe %s NAME",
                                   secret ? "secret" : "configmap");
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        int rc = 0;
        for (int i = 0; i < argc; i++) {
                json_t *o = NULL;
                pc_error err;
                if (podctl_object_get(ctx, cli->namespace_, argv[i], secret, &o, &err) < 0) {
                        fprintf(stderr, "Error from server (NotFound): %s\n", err.msg);
                        rc = 1;
                        continue;
                }
                if (i)
                        printf("\n\n");
                json_t *meta = json_object_get(o, "metadata");
                printf("Name:         %s\n", jstr(meta, "name") ?: "");
                printf("Namespace:    %s\n", jstr(meta, "namespace") ?: "");
                pc_cli_print_map("Labels:       ", json_object_get(meta, "labels"), 14);
                pc_cli_print_map("Annotations:  ", json_object_get(meta, "annotations"), 14);
                const char *k;
                json_t *v;
                if (secret) {
                        printf("\nType:  %s\n\nData\n====\n", jstr(o, "type") ?: "Opaque");
                        json_object_foreach(json_object_get(o, "data"), k, v)
                        {
                                printf("%s:  %zu bytes\n", k, b64_size(v));
                        }
                } else {
                        printf("\nData\n====\n");
                        json_object_foreach(json_object_get(o, "data"), k, v)
                        {
                                printf("%s:\n----\n%s\n\n", k, json_string_value(v) ?: "");
                        }
                        printf("\nBinaryData\n====\n");
                        json_object_foreach(json_object_get(o, "binaryData"), k, v)
                        {
                                printf("%s: %zu bytes\n", k, b64_size(v));
                        }
                }
                printf("\nEvents:  <none>\n");
                json_decref(o);
        }
        return rc;
}
