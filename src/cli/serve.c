/* podctl serve [--listen PATH | --no-cri] [--manifests DIR | --no-manifests]
 * [--node-name NAME] [--gc-interval SECONDS] [--no-recover]: the CRI server
 * (docs/CRI.md), static Pods and boot recovery (docs/OPERATIONS.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cri/cri.h"
#include "cri/static.h"

#define SERVE_USAGE                                                                                \
        "podctl serve [--listen PATH | --no-cri] [--manifests DIR | --no-manifests] "              \
        "[--node-name NAME] [--gc-interval SECONDS] [--no-recover] [--stream-address HOST:PORT] "  \
        "[--cgroup-driver cgroupfs|systemd]"

int cmd_serve(struct pc_cli *cli, int argc, char **argv)
{
        struct pc_cri_opts o = {.root = cli->root, .log_dir = cli->log_dir, .gc_interval_s = 60};
        bool manifests_set = false;
        for (int i = 1; i < argc; i++) {
                const char *v;
                if ((v = pc_cli_flag(argc, argv, &i, "--listen")))
                        o.listen = v;
                else if (!strcmp(argv[i], "--no-cri"))
                        o.listen = "";
                else if ((v = pc_cli_flag(argc, argv, &i, "--manifests"))) {
                        o.manifests = *v ? v : NULL;
                        manifests_set = true;
                } else if (!strcmp(argv[i], "--no-manifests")) {
                        o.manifests = NULL;
                        manifests_set = true;
                } else if ((v = pc_cli_flag(argc, argv, &i, "--node-name")))
                        o.node_name = v;
                else if ((v = pc_cli_flag(argc, argv, &i, "--gc-interval"))) {
                        char *end;
                        long n = strtol(v, &end, 10);
                        if (!*v || *end || n < 0 || n > 86400 * 7)
                                return pc_cli_fail("serve: invalid --gc-interval \"%s\": seconds "
                                                   "from 0 (never) to 604800",
                                                   v);
                        o.gc_interval_s = (int)n;
                } else if (!strcmp(argv[i], "--no-recover"))
                        o.no_recover = true;
                else if ((v = pc_cli_flag(argc, argv, &i, "--stream-address")))
                        o.stream_address = v;
                else if ((v = pc_cli_flag(argc, argv, &i, "--cgroup-driver"))) {
                        if (strcmp(v, "cgroupfs") && strcmp(v, "systemd"))
                                return pc_cli_fail("serve: invalid --cgroup-driver \"%s\": "
                                                   "cgroupfs or systemd",
                                                   v);
                        o.systemd_cgroups = !strcmp(v, "systemd");
                } else
                        return pc_cli_fail(
                            "serve: unknown argument \"%s\" (usage: " SERVE_USAGE ")", argv[i]);
        }
        /* The kubelet's staticPodPath convention: the default directory is
         * used when it exists; an explicit one is waited for. */
        struct stat st;
        if (!manifests_set && stat(PC_STATIC_DEFAULT_DIR, &st) == 0 && S_ISDIR(st.st_mode))
                o.manifests = PC_STATIC_DEFAULT_DIR;
        if (o.node_name && !*o.node_name)
                return pc_cli_fail("serve: --node-name must not be empty");
        if (o.manifests && o.manifests[0] != '/')
                return pc_cli_fail("serve: --manifests %s: must be an absolute path", o.manifests);
        pc_error err;
        if (pc_cri_serve(&o, &err) < 0)
                return pc_cli_die(&err);
        return 0;
}
