/* podctl explain RESOURCE[.field...] [--recursive]: kubectl explain from the
 * validator's schema (the one docs/FIELDS.md is made from): each field with
 * its type and podctl's disposition (applied, refused with the reason,
 * warned and ignored). No API server: the descriptions are podctl's, not
 * the OpenAPI text. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/util.h"

int cmd_explain(struct pc_cli *cli, int argc, char **argv)
{
        (void)cli;
        const char *path = NULL;
        bool recursive = false;
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--recursive") || !strcmp(argv[i], "--recursive=true"))
                        recursive = true;
                else if (!strcmp(argv[i], "--recursive=false"))
                        recursive = false;
                else if (!strncmp(argv[i], "--api-version", 13)) {
                        const char *v = argv[i][13] == '=' ? argv[i] + 14
                                        : i + 1 < argc     ? argv[++i]
                                                           : "";
                        if (strcmp(v, "v1") != 0)
                                return pc_cli_fail("couldn't find resource for \"%s\"", v);
                } else if (argv[i][0] == '-')
                        return pc_cli_fail("unknown flag \"%s\" for explain", argv[i]);
                else if (!path)
                        path = argv[i];
                else
                        return pc_cli_fail("we accept only this format: explain RESOURCE");
        }
        if (!path)
                return pc_cli_fail("You must specify the type of resource to explain. Valid "
                                   "resource types: pods, configmaps, secrets");
        pc_error err;
        if (pc_spec_explain(stdout, path, recursive, &err) < 0)
                return pc_cli_die(&err);
        return 0;
}
