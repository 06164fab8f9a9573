/* The CLI: one file per verb, each parsing its flags, calling the library and
 * printing. Only this layer prints errors (see docs/ERRORS.md). */
#ifndef PODCTL_CLI_CLI_H
#define PODCTL_CLI_CLI_H

#include <stdbool.h>

#include "util/error.h"

struct pc_cli {
        const char *root;    /* --root / PODCTL_ROOT, default /var/lib/podctl */
        const char *log_dir; /* PODCTL_LOG_DIR, default /var/log/pods */
        bool debug;
};

/* Each verb: argv[0] is the verb itself. Returns the process exit status. */
int cmd_apply(struct pc_cli *cli, int argc, char **argv);
int cmd_get(struct pc_cli *cli, int argc, char **argv);
int cmd_describe(struct pc_cli *cli, int argc, char **argv);
int cmd_logs(struct pc_cli *cli, int argc, char **argv);
int cmd_exec(struct pc_cli *cli, int argc, char **argv);
int cmd_delete(struct pc_cli *cli, int argc, char **argv);
int cmd_inspect(struct pc_cli *cli, int argc, char **argv);
int cmd_image(struct pc_cli *cli, int argc, char **argv);

/* Print "error: <msg>" to stderr; returns 1. */
int pc_cli_die(const pc_error *err);
/* Print "error: <fmt>" to stderr; returns 1 (usage mistakes, exit 1 like kubectl). */
int pc_cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
