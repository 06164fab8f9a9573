/* podctl inspect pod NAME: podctl's own runtime facts (pids, cgroups, paths). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_inspect(struct pc_cli *cli, int argc, char **argv)
{
        int i = 1;
        if (i < argc && pc_cli_is_pod_resource(argv[i]))
                i++;
        if (i >= argc)
                return pc_cli_fail("usage: podctl inspect pod NAME");
        const char *name = argv[i];
        if (!strncmp(name, "pod/", 4))
                name += 4;
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        json_t *o = NULL;
        if (podctl_pod_inspect(ctx, cli->namespace_, name, &o, &err) < 0)
                return pc_cli_die(&err);
        pc_cli_print_json(o);
        json_decref(o);
        return 0;
}
