/* podctl resize [pod] NAME -c CONTAINER [--cpu=Q] [--memory=Q]
 *               [--requests-cpu=Q] [--limits-cpu=Q] [--requests-memory=Q] [--limits-memory=Q]
 *
 * An in-place resize of one container, what `kubectl patch pod NAME
 * --subresource resize` may change: its cpu and memory requests and
 * limits (src/pod/resize.c). --cpu and --memory set the request and, when
 * the container has one, the limit (so a Guaranteed Pod stays Guaranteed);
 * the --requests-* and --limits-* flags set one value each and win over
 * them. Prints "pod/NAME resized" (or "unchanged"); a resize the API
 * server refuses prints its message, one the node cannot admit the
 * kubelet's (the Pod then shows PodResizePending), both with exit 1. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/util.h"

static const struct {
        const char *flag;
        bool cpu;
        size_t off;
} qflags[] = {
    {"--cpu", true, offsetof(struct podctl_resize, cpu)},
    {"--memory", false, offsetof(struct podctl_resize, memory)},
    {"--requests-cpu", true, offsetof(struct podctl_resize, cpu_request)},
    {"--limits-cpu", true, offsetof(struct podctl_resize, cpu_limit)},
    {"--requests-memory", false, offsetof(struct podctl_resize, memory_request)},
    {"--limits-memory", false, offsetof(struct podctl_resize, memory_limit)},
};

/* argv[*i] one of qflags: 1 (value stored), -1 (bad value, printed), 0. */
static int quantity_flag(int argc, char **argv, int *i, struct podctl_resize *rs)
{
        for (size_t k = 0; k < PC_ARRAY_SIZE(qflags); k++) {
                const char *v = pc_cli_flag(argc, argv, i, qflags[k].flag);
                if (!v)
                        continue;
                int64_t q;
                if (pc_quantity_parse(v, qflags[k].cpu, &q) < 0 || q < 0) {
                        pc_cli_fail("invalid value \"%s\" for %s: a quantity (%s) is required", v,
                                    qflags[k].flag, qflags[k].cpu ? "500m, 2" : "128Mi, 1Gi");
                        return -1;
                }
                *(int64_t *)((char *)rs + qflags[k].off) = q;
                return 1;
        }
        return 0;
}

int cmd_resize(struct pc_cli *cli, int argc, char **argv)
{
        struct podctl_resize rs = {.cpu_request = -1,
                                   .cpu_limit = -1,
                                   .memory_request = -1,
                                   .memory_limit = -1,
                                   .cpu = -1,
                                   .memory = -1};
        const char *name = NULL, *v;
        bool any = false;
        for (int i = 1; i < argc; i++) {
                int r;
                if ((v = pc_cli_flag(argc, argv, &i, "-c")) ||
                    (v = pc_cli_flag(argc, argv, &i, "--container")))
                        rs.container = v;
                else if ((r = quantity_flag(argc, argv, &i, &rs)) != 0) {
                        if (r < 0)
                                return 1;
                        any = true;
                } else if (argv[i][0] == '-')
                        return pc_cli_fail("unknown flag \"%s\" for resize", argv[i]);
                else if (!name && !strncmp(argv[i], "pod/", 4) && argv[i][4])
                        name = argv[i] + 4;
                else if (!name && pc_cli_is_pod_resource(argv[i]))
                        continue;
                else if (!name)
                        name = argv[i];
                else
                        return pc_cli_fail("resize takes one Pod (got \"%s\" and \"%s\")", name,
                                           argv[i]);
        }
        if (!name)
                return pc_cli_fail("usage: podctl resize [pod] NAME -c CONTAINER [--cpu=Q] "
                                   "[--memory=Q] [--requests-cpu=Q] [--limits-cpu=Q] "
                                   "[--requests-memory=Q] [--limits-memory=Q]");
        if (!rs.container)
                return pc_cli_fail("a container is required: -c CONTAINER");
        if (!any)
                return pc_cli_fail("nothing to resize: give --cpu, --memory, --requests-cpu, "
                                   "--limits-cpu, --requests-memory or --limits-memory");
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        int r = podctl_pod_resize(ctx, cli->namespace_, name, &rs, &err);
        if (r < 0) {
                if (err.code == ENOENT) {
                        fprintf(stderr, "Error from server (NotFound): %s\n", err.msg);
                        return 1;
                }
                return pc_cli_die(&err);
        }
        printf("pod/%s %s\n", name, r == PODCTL_UNCHANGED ? "unchanged" : "resized");
        return 0;
}
