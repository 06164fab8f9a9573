/* podctl apply -f FILE|- [-f FILE...] [--validate=strict|warn|ignore] [--wait-timeout=SECONDS]
 * --validate as kubectl: strict (the default) refuses unknown fields.
 * Several -f: each file applied in the order given, as kubectl's (which
 * continues on error): a file that does not load is reported and nothing of
 * it is created, the others are still applied; exit status 1 if any failed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/util.h"

static int apply_file(struct pc_cli *cli, const char *file, enum pc_validate validate, int wait_ms)
{
        struct pc_manifest m;
        if (pc_cli_load_manifest(cli, file, validate, &m) != 0) {
                pc_manifest_free(&m);
                return 1;
        }
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx) {
                pc_manifest_free(&m);
                return 1;
        }
        int rc = pc_cli_put_objects(ctx, &m, NULL);
        pc_error err;
        for (size_t i = 0; i < m.n_pods; i++) {
                struct pc_pod *p = &m.pods[i];
                char **start_errors = NULL;
                int r = podctl_pod_create(ctx, p, wait_ms, &start_errors, &err);
                if (r < 0 && err.code == EEXIST)
                        r = podctl_pod_update(ctx, p, &err); /* its images, or refused */
                if (r < 0) {
                        fprintf(stderr, "error: pod/%s: %s\n", p->name, err.msg);
                        rc = 1;
                        continue;
                }
                printf("pod/%s %s\n", p->name,
                       r == PODCTL_UNCHANGED ? "unchanged"
                       : r == PODCTL_UPDATED ? "configured"
                                             : "created");
                if (r == PODCTL_CREATED)
                        pc_cli_follow_pulls(cli, p);
                for (size_t k = 0; start_errors && start_errors[k]; k++) {
                        fprintf(stderr, "error: pod/%s: %s\n", p->name, start_errors[k]);
                        rc = 1;
                }
                pc_strv_free(start_errors);
        }
        fflush(stdout);
        pc_manifest_free(&m);
        return rc;
}

int cmd_apply(struct pc_cli *cli, int argc, char **argv)
{
        const char *v;
        _cleanup_strv_ char **files = pc_xcalloc(1, sizeof(char *));
        enum pc_validate validate = PC_VALIDATE_STRICT; /* kubectl's default */
        int wait_ms = 60000;
        for (int i = 1; i < argc; i++) {
                int r;
                if ((v = pc_cli_flag(argc, argv, &i, "-f")) ||
                    (v = pc_cli_flag(argc, argv, &i, "--filename")))
                        pc_strv_push(&files, v);
                else if ((r = pc_cli_validate_flag(argc, argv, &i, &validate)) != 0) {
                        if (r < 0)
                                return 1;
                } else if ((v = pc_cli_flag(argc, argv, &i, "--wait-timeout")))
                        wait_ms = atoi(v) * 1000;
                else
                        return pc_cli_fail("unknown argument \"%s\" for apply", argv[i]);
        }
        if (!files[0])
                return pc_cli_fail("must specify -f FILE (or -f - for standard input)");
        size_t n_stdin = 0;
        for (size_t i = 0; files[i]; i++)
                n_stdin += !strcmp(files[i], "-");
        if (n_stdin > 1)
                return pc_cli_fail("standard input (-f -) can be given only once");
        int rc = 0;
        for (size_t i = 0; files[i]; i++)
                rc |= apply_file(cli, files[i], validate, wait_ms);
        return rc;
}
