/* podctl delete pod NAME... | -f FILE  [--grace-period=N] [--now] [--force]
 *                                      [--ignore-not-found] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/util.h"

static int delete_one(podctl *ctx, const char *ns, const char *name, int64_t grace,
                      bool ignore_missing)
{
        pc_error err;
        if (podctl_pod_delete(ctx, ns, name, grace, &err) < 0) {
                if (err.code == ENOENT) {
                        if (ignore_missing)
                                return 0;
                        fprintf(stderr, "Error from server (NotFound): pods \"%s\" not found\n",
                                name);
                        return 1;
                }
                return pc_cli_die(&err);
        }
        printf("pod \"%s\" deleted\n", name);
        fflush(stdout);
        return 0;
}

int cmd_delete(struct pc_cli *cli, int argc, char **argv)
{
        const char *file = NULL, *selector = NULL, *v;
        int64_t grace = -1;
        bool force = false, ignore_missing = false, resource_seen = false, all = false;
        _cleanup_strv_ char **names = pc_xcalloc(1, sizeof(char *));
        for (int i = 1; i < argc; i++) {
                if ((v = pc_cli_flag(argc, argv, &i, "-f")) ||
                    (v = pc_cli_flag(argc, argv, &i, "--filename")))
                        file = v;
                else if ((v = pc_cli_flag(argc, argv, &i, "--grace-period")))
                        grace = atoll(v);
                else if (!strcmp(argv[i], "--now"))
                        grace = 1;
                else if (!strcmp(argv[i], "--force"))
                        force = true;
                else if (!strcmp(argv[i], "--ignore-not-found"))
                        ignore_missing = true;
                else if ((v = pc_cli_flag(argc, argv, &i, "-l")) ||
                         (v = pc_cli_flag(argc, argv, &i, "--selector")))
                        selector = v;
                else if (!strncmp(argv[i], "-l", 2) && argv[i][2])
                        selector = argv[i] + 2;
                else if (!strcmp(argv[i], "--all"))
                        all = true;
                else if (argv[i][0] == '-')
                        return pc_cli_fail("unknown flag \"%s\" for delete", argv[i]);
                else if (!resource_seen && !file && pc_cli_is_pod_resource(argv[i]))
                        resource_seen = true;
                else if (!strncmp(argv[i], "pod/", 4) || !strncmp(argv[i], "pods/", 5))
                        pc_strv_push(&names, strchr(argv[i], '/') + 1);
                else if (resource_seen)
                        pc_strv_push(&names, argv[i]);
                else
                        return pc_cli_fail("the server doesn't have a resource type \"%s\"",
                                           argv[i]);
        }
        if (force && grace < 0)
                grace = 0;
        if (grace == 0 && !force)
                grace = 1; /* kubectl: --grace-period=0 needs --force to mean "at once" */
        podctl *ctx = NULL;
        int rc = 0;
        if (file) {
                struct pc_manifest m;
                if (pc_cli_load_manifest(cli, file, PC_VALIDATE_WARN, &m) != 0) {
                        pc_manifest_free(&m);
                        return 1;
                }
                if (!(ctx = pc_cli_ctx(cli))) {
                        pc_manifest_free(&m);
                        return 1;
                }
                for (size_t i = 0; i < m.n_pods; i++)
                        rc |= delete_one(ctx, m.pods[i].namespace_, m.pods[i].name, grace,
                                         ignore_missing);
                pc_manifest_free(&m);
                return rc;
        }
        if ((selector || all) && names[0])
                return pc_cli_fail("name cannot be provided when a selector is specified");
        if (selector && all)
                return pc_cli_fail("cannot set --all and --selector at the same time");
        if (!names[0] && !selector && !all)
                return pc_cli_fail("resource(s) were provided, but no name was specified "
                                   "(delete pod NAME or delete -f FILE)");
        if (!(ctx = pc_cli_ctx(cli)))
                return 1;
        if (selector || all) {
                pc_error err;
                json_t *items = NULL;
                if (podctl_pod_select(ctx, cli->namespace_, selector, &items, &err) < 0)
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
                        printf("No resources found\n");
                        return 0;
                }
        }
        for (size_t i = 0; names[i]; i++)
                rc |= delete_one(ctx, cli->namespace_, names[i], grace, ignore_missing);
        return rc;
}
