/* podctl exec POD [-c CONTAINER] [-i] [-t] -- COMMAND [ARGS...]
 * The exit status is the command's. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cmd_exec(struct pc_cli *cli, int argc, char **argv)
{
        struct podctl_exec_opts opts = {0};
        const char *pod = NULL, *v;
        int i;
        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--")) {
                        i++;
                        break;
                }
                if ((v = pc_cli_flag(argc, argv, &i, "-c")) ||
                    (v = pc_cli_flag(argc, argv, &i, "--container")))
                        opts.container = v;
                else if (!strcmp(argv[i], "-i") || !strcmp(argv[i], "--stdin"))
                        opts.stdin_open = true;
                else if (!strcmp(argv[i], "-t") || !strcmp(argv[i], "--tty"))
                        opts.tty = true;
                else if (!strcmp(argv[i], "-it") || !strcmp(argv[i], "-ti"))
                        opts.tty = opts.stdin_open = true;
                else if (argv[i][0] == '-')
                        return pc_cli_fail("unknown flag \"%s\" for exec", argv[i]);
                else if (!pod)
                        pod = argv[i];
                else
                        break; /* kubectl's deprecated form: exec POD CMD... */
        }
        if (!pod || i >= argc)
                return pc_cli_fail("usage: podctl exec POD [-c CONTAINER] -- COMMAND [ARGS...]");
        if (!strncmp(pod, "pod/", 4))
                pod += 4;
        opts.argv = argv + i;
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        int status = 0;
        if (podctl_pod_exec(ctx, cli->namespace_, pod, &opts, &status, &err) < 0)
                return pc_cli_die(&err);
        return status;
}
