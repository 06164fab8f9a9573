/* podctl delete pod NAME... | -f FILE  [--grace-period=N] [--now] [--force]
 *                                      [--ignore-not-found]
 * podctl delete configmap|secret NAME... (objects.c); -f deletes the file's
 * ConfigMaps and Secrets too. */
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
        const char *file = NULL, *v;
        int64_t grace = -1;
        bool force = false, ignore_missing = false;
        _cleanup_(pc_cli_pods_free) struct pc_cli_pods t = {.names = pc_xcalloc(1, sizeof(char *))};
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
                else if (!t.resource_seen && argv[i][0] != '-' && pc_cli_object_kind(argv[i]) >= 0)
                        return pc_cli_delete_objects(cli, pc_cli_object_kind(argv[i]), argc, argv);
                else if (pc_cli_pods_arg(&t, argc, argv, &i))
                        continue;
                else if (argv[i][0] == '-')
                        return pc_cli_fail("unknown flag \"%s\" for delete", argv[i]);
                else if (pc_cli_pods_name(&t, argv[i]) != 0)
                        return 1;
        }
        char **names = t.names;
        const char *selector = t.selector;
        bool all = t.all;
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
                /* the file's ConfigMaps and Secrets too, as kubectl's */
                for (size_t i = 0; i < m.n_configmaps; i++)
                        rc |= pc_cli_delete_object(ctx, m.configmaps[i].namespace_,
                                                   m.configmaps[i].name, m.configmaps[i].secret,
                                                   ignore_missing);
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
                if (pc_cli_pods_select(ctx, cli->namespace_, &t, &err) < 0)
                        return pc_cli_die(&err);
                names = t.names;
                if (!names[0]) {
                        printf("No resources found\n");
                        return 0;
                }
        }
        for (size_t i = 0; names[i]; i++)
                rc |= delete_one(ctx, cli->namespace_, names[i], grace, ignore_missing);
        return rc;
}
