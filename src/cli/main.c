/* podctl: run Kubernetes Pods on this host. Dispatches to one file per verb. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const struct verb {
        const char *name;
        int (*fn)(struct pc_cli *, int, char **);
        const char *help;
} verbs[] = {
    {"apply", cmd_apply, "Create Pods, ConfigMaps and Secrets from a manifest (-f FILE|-)"},
    {"get", cmd_get, "List Pods or the node (get pods [NAME] [-o wide|json|yaml|name], get node)"},
    {"describe", cmd_describe,
     "Show a Pod or the node in detail (describe pod NAME, describe node)"},
    {"logs", cmd_logs,
     "Print a container's logs (logs POD [-c C] [-f] [-p] [--tail=N] [--since=5m])"},
    {"exec", cmd_exec, "Run a command in a container (exec POD [-c C] [-i] [-t] -- CMD...)"},
    {"attach", cmd_attach,
     "Stream a running container's output, -i its input (attach POD [-c C] [-i] [-t])"},
    {"debug", cmd_debug,
     "Add an ephemeral debug container to a running Pod (debug POD -it --image=IMAGE "
     "[--target=C] [-- CMD...])"},
    {"delete", cmd_delete, "Stop and remove Pods (delete pod NAME | -f FILE)"},
    {"inspect", cmd_inspect, "Show podctl's runtime facts of a Pod (inspect pod NAME)"},
    {"top", cmd_top, "Show CPU and memory use (top pod [NAME] [--containers])"},
    {"port-forward", cmd_port_forward, "Forward local ports to a Pod (POD [LOCAL:]REMOTE...)"},
    {"gc", cmd_gc, "Remove what no Pod owns: cgroups, leases, debris, logs (gc [--dry-run])"},
    {"resize", cmd_resize,
     "Resize a container's cpu/memory in place (resize POD -c C [--cpu=Q] [--memory=Q] ...)"},
    {"label", cmd_label, "Update the labels of Pods (label pod NAME|-l SEL KEY=VAL... KEY-...)"},
    {"annotate", cmd_annotate,
     "Update the annotations of Pods (annotate pod NAME|-l SEL KEY=VAL... KEY-...)"},
    {"wait", cmd_wait,
     "Wait for a condition of Pods (wait --for=condition=Ready|delete|jsonpath=... pod/NAME)"},
    {"events", cmd_events,
     "List the Pods' events (events [--for pod/NAME] [-w] [--types=Warning])"},
    {"cp", cmd_cp, "Copy files to and from containers (cp [-c C] POD:SRC DEST | SRC POD:DEST)"},
    {"replace", cmd_replace,
     "Replace Pods from a manifest (replace -f FILE [--force [--grace-period=N]])"},
    {"explain", cmd_explain,
     "Describe a resource's fields and podctl's disposition (explain pod.spec.containers)"},
    {"completion", cmd_completion, "Print a shell completion script (completion bash|zsh|fish)"},
    {"image", cmd_image, "Manage images (image pull|load|import|ls|inspect|rm|prune)"},
    {"serve", cmd_serve,
     "Serve the CRI (runtime.v1) for a kubelet or crictl, static Pods, boot recovery "
     "(serve [--listen PATH|--no-cri] [--manifests DIR|--no-manifests])"},
};

static void usage(FILE *f)
{
        fputs("podctl runs Kubernetes Pods on this host.\n\n"
              "Usage: podctl [--root DIR] [--log-dir DIR] [-n NAMESPACE] [--cri] COMMAND [ARGS]\n\n"
              "Commands:\n",
              f);
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                fprintf(f, "  %-13s %s\n", verbs[i].name, verbs[i].help);
        fputs("\nEnvironment: PODCTL_ROOT (default /var/lib/podctl), PODCTL_LOG_DIR (default "
              "/var/log/pods)\n",
              f);
}

/* Global flags may stand anywhere before "--" (kubectl style); they are
 * removed from argv. */
static int take_globals(struct pc_cli *cli, int *argc, char **argv)
{
        int out = 0;
        for (int i = 0; i < *argc; i++) {
                const char *v;
                if (!strcmp(argv[i], "--")) {
                        while (i < *argc)
                                argv[out++] = argv[i++];
                        break;
                }
                if ((v = pc_cli_flag(*argc, argv, &i, "--root")))
                        cli->root = v;
                else if ((v = pc_cli_flag(*argc, argv, &i, "--log-dir")))
                        cli->log_dir = v;
                else if ((v = pc_cli_flag(*argc, argv, &i, "--namespace")) ||
                         (v = pc_cli_flag(*argc, argv, &i, "-n"))) {
                        cli->namespace_ = v;
                        cli->namespace_set = true;
                } else if (!strcmp(argv[i], "-A") || !strcmp(argv[i], "--all-namespaces"))
                        cli->all_namespaces = true;
                else if (!strcmp(argv[i], "--cri"))
                        cli->cri = true;
                else
                        argv[out++] = argv[i];
        }
        *argc = out;
        argv[out] = NULL;
        return 0;
}

int main(int argc, char **argv)
{
        struct pc_cli cli = {
            .root = getenv("PODCTL_ROOT"),
            .log_dir = getenv("PODCTL_LOG_DIR"),
            .namespace_ = "default",
        };
        argc--;
        argv++;
        take_globals(&cli, &argc, argv);
        /* --cri: the CRI server's sandboxes, kept in <root>/cri (docs/CRI.md) */
        static char cri_root[4096];
        if (cli.cri) {
                snprintf(cri_root, sizeof(cri_root), "%s/cri",
                         cli.root && *cli.root ? cli.root : "/var/lib/podctl");
                cli.root = cri_root;
        }
        if (argc < 1 || !strcmp(argv[0], "help") || !strcmp(argv[0], "--help") ||
            !strcmp(argv[0], "-h")) {
                usage(argc < 1 ? stderr : stdout);
                return argc < 1 ? 1 : 0;
        }
        if (!strcmp(argv[0], "version") || !strcmp(argv[0], "--version")) {
                puts("podctl " PODCTL_VERSION);
                return 0;
        }
        if (!strcmp(argv[0], "__man")) /* make man: the man pages */
                return cmd_man(&cli, argc, argv);
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
                if (!strcmp(argv[0], verbs[i].name)) {
                        int r = verbs[i].fn(&cli, argc, argv);
                        podctl_close(cli.ctx);
                        return r;
                }
        }
        fprintf(stderr, "error: unknown command \"%s\" for \"podctl\"\n", argv[0]);
        usage(stderr);
        return 1;
}
