/* podctl gc [--dry-run]: remove what no Pod owns (see src/pod/gc.c) and say
 * what it was; with --dry-run only say it. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/util.h"

int cmd_gc(struct pc_cli *cli, int argc, char **argv)
{
        bool dry = false;
        for (int i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "--dry-run"))
                        dry = true;
                else
                        return pc_cli_fail(
                            "unknown flag \"%s\" for gc (usage: podctl gc [--dry-run])", argv[i]);
        }
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        char **removed = NULL;
        pc_error err;
        if (podctl_gc(ctx, dry, &removed, &err) < 0)
                return pc_cli_die(&err);
        for (size_t i = 0; removed[i]; i++)
                printf("%s %s\n", dry ? "would remove" : "removed", removed[i]);
        if (!removed[0])
                printf("nothing to collect\n");
        pc_strv_free(removed);
        return 0;
}
