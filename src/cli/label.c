/* podctl label pod NAME... | -l SELECTOR | --all  KEY=VALUE... KEY-... [--overwrite]
 * (annotate.c: the same for annotations.) Metadata only: nothing that runs
 * changes. Prints kubectl's "pod/NAME labeled" per Pod. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/util.h"

int pc_cli_meta_verb(struct pc_cli *cli, int argc, char **argv, bool labels)
{
        const char *verb = labels ? "label" : "annotate", *v, *selector = NULL;
        const char *field = labels ? "labels" : "annotations";
        bool overwrite = false, all = false, resource_seen = false;
        _cleanup_strv_ char **names = pc_xcalloc(1, sizeof(char *));
        _cleanup_strv_ char **remove = pc_xcalloc(1, sizeof(char *));
        _cleanup_(json_decrefp) json_t *set = json_object();
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--overwrite") || !strcmp(argv[i], "--overwrite=true"))
                        overwrite = true;
                else if (!strcmp(argv[i], "--overwrite=false"))
                        overwrite = false;
                else if (!strcmp(argv[i], "--all"))
                        all = true;
                else if ((v = pc_cli_flag(argc, argv, &i, "-l")) ||
                         (v = pc_cli_flag(argc, argv, &i, "--selector")))
                        selector = v;
                else if (!strncmp(argv[i], "-l", 2) && argv[i][2])
                        selector = argv[i] + 2;
                else if (argv[i][0] == '-')
                        return pc_cli_fail("unknown flag \"%s\" for %s", argv[i], verb);
                else if (!resource_seen && pc_cli_is_pod_resource(argv[i]))
                        resource_seen = true;
                else if (!strncmp(argv[i], "pod/", 4) || !strncmp(argv[i], "pods/", 5)) {
                        resource_seen = true;
                        pc_strv_push(&names, strchr(argv[i], '/') + 1);
                } else if (strchr(argv[i], '=')) {
                        _cleanup_free_ char *k = pc_xstrdup(argv[i]);
                        char *eq = strchr(k, '=');
                        *eq = '\0';
                        json_object_set_new(set, k, json_string(eq + 1));
                } else if (pc_str_has_suffix(argv[i], "-") && argv[i][1]) {
                        _cleanup_free_ char *k = pc_xstrdup(argv[i]);
                        k[strlen(k) - 1] = '\0';
                        pc_strv_push(&remove, k);
                } else if (resource_seen)
                        pc_strv_push(&names, argv[i]);
                else
                        return pc_cli_fail("the server doesn't have a resource type \"%s\"",
                                           argv[i]);
        }
        if (!resource_seen)
                return pc_cli_fail("one or more resources must be specified as <resource> "
                                   "<name> or <resource>/<name>");
        if (!json_object_size(set) && !remove[0])
                return pc_cli_fail("at least one %s update is required",
                                   labels ? "label" : "annotation");
        for (size_t i = 0; remove[i]; i++)
                if (json_object_get(set, remove[i]))
                        return pc_cli_fail("can not both modify and remove %s in the same "
                                           "command",
                                           labels ? "a label" : "an annotation");
        if (names[0] && (selector || all))
                return pc_cli_fail("you cannot provide a name and a selector or --all at the "
                                   "same time");
        if (!names[0] && !selector && !all)
                return pc_cli_fail("resource(s) were provided, but no name was specified");
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        if (!names[0]) {
                json_t *items = NULL;
                if (podctl_pod_select(ctx, cli->all_namespaces ? NULL : cli->namespace_, selector,
                                      &items, &err) < 0)
                        return pc_cli_die(&err);
                size_t i;
                json_t *p;
                json_array_foreach(items, i, p)
                {
                        pc_strv_push(&names, json_string_value(json_object_get(
                                                 json_object_get(p, "metadata"), "name")));
                }
                json_decref(items);
                if (!names[0]) {
                        fprintf(stderr, "No resources found in %s namespace.\n", cli->namespace_);
                        return 0;
                }
        }
        int rc = 0;
        for (size_t i = 0; names[i]; i++) {
                struct podctl_meta_result res;
                if (podctl_pod_update_meta(ctx, cli->namespace_, names[i], field, set, remove,
                                           overwrite, &res, &err) < 0) {
                        if (err.code == ENOENT)
                                fprintf(stderr,
                                        "Error from server (NotFound): pods \"%s\" not found\n",
                                        names[i]);
                        else
                                pc_cli_die(&err);
                        rc = 1;
                        continue;
                }
                if (labels)
                        for (size_t k = 0; res.not_found[k]; k++)
                                printf("label \"%s\" not found.\n", res.not_found[k]);
                const char *what;
                if (!labels)
                        what = "annotated";
                else if (!res.changed)
                        what = "not labeled";
                else if (!overwrite && res.shrank)
                        what = "unlabeled";
                else
                        what = "labeled";
                printf("pod/%s %s\n", names[i], what);
                pc_strv_free(res.not_found);
        }
        return rc;
}

int cmd_label(struct pc_cli *cli, int argc, char **argv)
{
        return pc_cli_meta_verb(cli, argc, argv, true);
}
