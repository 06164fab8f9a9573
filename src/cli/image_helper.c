/* podctl image ...: run by podctl-image, the same CLI with the image verbs
 * (pull, load, import, ls, inspect, rm, prune) linked in. Only that binary
 * links libcurl (and its 26 libraries: TLS, LDAP, Kerberos, HTTP/2, ...),
 * which every other command would otherwise map and relocate at each start:
 * about 5 ms of CPU per command (docs/PERFORMANCE.md). Linked into podctl
 * only; podctl-image has image.c's cmd_image instead. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/util.h"

/* podctl-image from $PODCTL_LIBEXEC, next to podctl (a build dir), or in
 * ../libexec/podctl (an install): the first that exists. */
static char *helper_path(void)
{
        const char *env = getenv("PODCTL_LIBEXEC");
        _cleanup_free_ char *self = pc_self_dir();
        if (env && *env) {
                char *p = pc_xasprintf("%s/podctl-image", env);
                if (access(p, X_OK) == 0)
                        return p;
                free(p);
        }
        char *p = pc_xasprintf("%s/podctl-image", self);
        if (access(p, X_OK) == 0)
                return p;
        free(p);
        return pc_xasprintf("%s/../libexec/podctl/podctl-image", self);
}

int cmd_image(struct pc_cli *cli, int argc, char **argv)
{
        _cleanup_free_ char *exe = helper_path();
        char **av = pc_xcalloc((size_t)argc + 9, sizeof(char *));
        size_t n = 0;
        av[n++] = exe;
        if (cli->root) {
                av[n++] = "--root";
                av[n++] = (char *)cli->root;
        }
        if (cli->log_dir) {
                av[n++] = "--log-dir";
                av[n++] = (char *)cli->log_dir;
        }
        if (cli->namespace_set) {
                av[n++] = "-n";
                av[n++] = (char *)cli->namespace_;
        }
        if (cli->all_namespaces)
                av[n++] = "-A";
        for (int i = 0; i < argc; i++)
                av[n++] = argv[i];
        av[n] = NULL;
        execv(exe, av);
        fprintf(stderr, "error: run %s: %s\n", exe, strerror(errno));
        free(av);
        return 1;
}
