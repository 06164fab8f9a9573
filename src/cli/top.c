/* podctl top pod [NAME] [--containers] [-A] : CPU and memory from cgroups. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/util.h"

int cmd_top(struct pc_cli *cli, int argc, char **argv)
{
        const char *name = NULL;
        bool containers = false, resource_seen = false;
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--containers"))
                        containers = true;
                else if (argv[i][0] == '-')
                        return pc_cli_fail("unknown flag \"%s\" for top", argv[i]);
                else if (!resource_seen && pc_cli_is_pod_resource(argv[i]))
                        resource_seen = true;
                else if (resource_seen && !name)
                        name = argv[i];
                else
                        return pc_cli_fail("usage: podctl top pod [NAME] [--containers]");
        }
        if (!resource_seen)
                return pc_cli_fail("usage: podctl top pod [NAME] [--containers]");
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        json_t *rows = NULL;
        if (podctl_pod_top(ctx, cli->all_namespaces ? NULL : cli->namespace_, name, containers,
                           &rows, &err) < 0) {
                if (err.code == ENOENT)
                        fprintf(stderr, "Error from server (NotFound): %s\n", err.msg);
                else
                        pc_cli_die(&err);
                return 1;
        }
        if (json_array_size(rows) == 0) {
                json_decref(rows);
                return pc_cli_fail("metrics not available yet (no running Pod)");
        }
        struct pc_table t = {0};
        if (containers)
                pc_table_row(&t, "POD", "NAME", "CPU(cores)", "MEMORY(bytes)");
        else
                pc_table_row(&t, "NAME", "CPU(cores)", "MEMORY(bytes)");
        size_t i;
        json_t *r;
        json_array_foreach(rows, i, r)
        {
                char cpu[32], mem[32];
                snprintf(cpu, sizeof(cpu), "%lldm",
                         (long long)json_integer_value(json_object_get(r, "cpuMillicores")));
                snprintf(mem, sizeof(mem), "%lldMi",
                         (long long)(json_integer_value(json_object_get(r, "memoryWorkingSet")) /
                                     (1024 * 1024)));
                const char *pod = json_string_value(json_object_get(r, "pod"));
                if (containers)
                        pc_table_row(&t, pod, json_string_value(json_object_get(r, "container")),
                                     cpu, mem);
                else
                        pc_table_row(&t, pod, cpu, mem);
        }
        pc_table_print(&t);
        json_decref(rows);
        return 0;
}
