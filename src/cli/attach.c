/* podctl attach POD [-c CONTAINER]
 * The container's live output from now on (stdout to stdout, stderr to
 * stderr) until its current run ends. The source is the log file the monitor
 * writes (logs.c follows it from its current end), so attaching never
 * disturbs the container and any number of attaches can run at once.
 *
 * -i/-t are refused: they need the container's stdin (`stdin: true`, `tty:
 * true`), which the monitor does not keep open (container stdin is /dev/null). */
#include <string.h>

#include "cli/cli.h"

int cmd_attach(struct pc_cli *cli, int argc, char **argv)
{
        const char *pod = NULL, *container = NULL, *v;
        for (int i = 1; i < argc; i++) {
                if ((v = pc_cli_flag(argc, argv, &i, "-c")) ||
                    (v = pc_cli_flag(argc, argv, &i, "--container")))
                        container = v;
                else if (!strcmp(argv[i], "-i") || !strcmp(argv[i], "--stdin") ||
                         !strcmp(argv[i], "-it") || !strcmp(argv[i], "-ti"))
                        return pc_cli_fail("attach -i is not supported yet: podctl does not keep "
                                           "a container's stdin open (stdin: true is not "
                                           "implemented); attach shows the output only");
                else if (!strcmp(argv[i], "-t") || !strcmp(argv[i], "--tty"))
                        return pc_cli_fail("attach -t is not supported yet: containers have no "
                                           "terminal (tty: true is not implemented)");
                else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
                        continue;
                else if (argv[i][0] == '-')
                        return pc_cli_fail("unknown flag \"%s\" for attach", argv[i]);
                else if (!pod)
                        pod = argv[i];
                else
                        return pc_cli_fail("usage: podctl attach POD [-c CONTAINER]");
        }
        if (!pod)
                return pc_cli_fail("usage: podctl attach POD [-c CONTAINER]");
        if (!strncmp(pod, "pod/", 4))
                pod += 4;
        return pc_cli_attach_stream(cli, pod, container);
}
