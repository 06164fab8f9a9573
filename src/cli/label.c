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
        const char *verb = labels ? "label" : "annotate";
        const char *field = labels ? "labels" : "annotations";
        bool overwrite = false;
        _cleanup_(pc_cli_pods_free) struct pc_cli_pods t = {.names = pc_xcalloc(1, sizeof(char *))};
        _cleanup_strv_ char **remove = pc_xcalloc(1, sizeof(char *));
        _cleanup_(json_decrefp) json_t *set = json_object();
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--overwrite") || !strcmp(argv[i], "--overwrite=true"))
                        overwrite = true;
                else if (!strcmp(argv[i], "--overwrite=false"))
                        overwrite = false;
                else if (pc_cli_pods_arg(&t, argc, argv, &i))
                        continue;
                else if (argv[i][0] == '-')
                        return pc_cli_fail("unknown flag \"%s\" for %s", argv[i], verb);
                else if (strchr(argv[i], '=')) {
                        _cleanup_free_ char *k = pc_xstrdup(argv[i]);
                        char *eq = strchr(k, '=');
                        *eq = '\0';
                        json_object_set_new(set, k, json_string(eq + 1));
                } else if (pc_str_has_suffix(argv[i], "-") && argv[i][1]) {
                        _cleanup_free_ char *k = pc_xstrdup(argv[i]);
                        k[strlen(k) - 1] = '\0';
                        pc_strv_push(&remove, k);
                } else if (pc_cli_pods_name(&t, argv[i]) != 0)
                        return 1;
        }
        char **names = t.names;
        if (!t.resource_seen)
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
        if (names[0] && (t.selector || t.all))
                return pc_cli_fail("you cannot provide a name and a selector or --all at the "
                                   "same time");
        if (!names[0] && !t.selector && !t.all)
                return pc_cli_fail("resource(s) were provided, but no name was specified");
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        if (!names[0]) {
                if (pc_cli_pods_select(ctx, cli->all_namespaces ? NULL : cli->namespace_, &t,
                                       &err) < 0)
                        return pc_cli_die(&err);
                names = t.names;
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
