/* podctl cp [-c CONTAINER] [[NAMESPACE/]POD:]SRC [[NAMESPACE/]POD:]DEST
 * kubectl cp: one side in a container, the other local (copy.c in the
 * library does both). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/util.h"

struct spec {
        char *ns, *pod; /* NULL pod: a local path */
        const char *file;
};

static int parse_spec(const char *arg, struct spec *s)
{
        memset(s, 0, sizeof(*s));
        const char *colon = strchr(arg, ':');
        if (colon == arg)
                return pc_cli_fail("filespec must match the canonical format: "
                                   "[[namespace/]pod:]file/path");
        if (!colon) {
                s->file = arg;
                return 0;
        }
        _cleanup_free_ char *pod = pc_xasprintf("%.*s", (int)(colon - arg), arg);
        char *slash = strchr(pod, '/');
        if (slash && strchr(slash + 1, '/'))
                return pc_cli_fail("filespec must match the canonical format: "
                                   "[[namespace/]pod:]file/path");
        if (slash) {
                *slash = '\0';
                s->ns = pc_xstrdup(pod);
                s->pod = pc_xstrdup(slash + 1);
        } else {
                s->pod = pc_xstrdup(pod);
        }
        s->file = colon + 1;
        return 0;
}

int cmd_cp(struct pc_cli *cli, int argc, char **argv)
{
        const char *container = NULL, *v;
        const char *args[2] = {NULL, NULL};
        int n = 0;
        for (int i = 1; i < argc; i++) {
                if ((v = pc_cli_flag(argc, argv, &i, "-c")) ||
                    (v = pc_cli_flag(argc, argv, &i, "--container")))
                        container = v;
                else if (argv[i][0] == '-' && argv[i][1])
                        return pc_cli_fail("unknown flag \"%s\" for cp", argv[i]);
                else if (n < 2)
                        args[n++] = argv[i];
                else
                        return pc_cli_fail("source and destination are required");
        }
        if (n != 2)
                return pc_cli_fail("source and destination are required");
        struct spec src, dest;
        if (parse_spec(args[0], &src) != 0)
                return 1;
        if (parse_spec(args[1], &dest) != 0) {
                free(src.ns);
                free(src.pod);
                return 1;
        }
        int rc = 0;
        if (!src.pod && !dest.pod) {
                rc = pc_cli_fail("one of src or dest must be a remote file specification");
                goto out;
        }
        if (src.pod && dest.pod) {
                rc = pc_cli_fail("one of src or dest must be a local file specification");
                goto out;
        }
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx) {
                rc = 1;
                goto out;
        }
        const struct spec *remote = src.pod ? &src : &dest;
        const char *ns = remote->ns ? remote->ns : cli->namespace_;
        pc_error err;
        char **warnings = NULL;
        int r = src.pod ? podctl_pod_copy_from(ctx, ns, src.pod, container, src.file, dest.file,
                                               &warnings, &err)
                        : podctl_pod_copy_to(ctx, ns, dest.pod, container, src.file, dest.file,
                                             &warnings, &err);
        for (size_t i = 0; warnings && warnings[i]; i++)
                fprintf(stderr, "warning: %s\n", warnings[i]);
        pc_strv_free(warnings);
        if (r < 0) {
                if (err.code == ENOENT && strstr(err.msg, "pods \""))
                        fprintf(stderr, "Error from server (NotFound): pods \"%s\" not found\n",
                                remote->pod);
                else
                        pc_cli_die(&err);
                rc = 1;
        }
out:
        free(src.ns);
        free(src.pod);
        free(dest.ns);
        free(dest.pod);
        return rc;
}
