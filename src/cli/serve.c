/* podctl serve [--listen PATH]: the CRI server (docs/CRI.md). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cri/cri.h"

int cmd_serve(struct pc_cli *cli, int argc, char **argv)
{
        struct pc_cri_opts o = {.root = cli->root, .log_dir = cli->log_dir};
        for (int i = 1; i < argc; i++) {
                const char *v;
                if ((v = pc_cli_flag(argc, argv, &i, "--listen")))
                        o.listen = v;
                else if ((v = pc_cli_flag(argc, argv, &i, "--stream-address")))
                        o.stream_address = v;
                else
                        return pc_cli_fail("serve: unknown argument \"%s\" (usage: podctl serve "
                                           "[--listen PATH] [--stream-address HOST:PORT])",
                                           argv[i]);
        }
        pc_error err;
        if (pc_cri_serve(&o, &err) < 0)
                return pc_cli_die(&err);
        return 0;
}
