/* podctl completion bash|zsh|fish, and the man pages (podctl __man DIR):
 * both generated from one table of the verbs, their synopsis and flags,
 * so completion, man pages and the verbs cannot drift apart silently (a
 * unit of tests/integration/completion.bats checks every verb is here). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "util/util.h"

struct flag_doc {
        const char *name; /* "--tail" */
        const char *arg;  /* "N", or NULL for a switch */
        const char *help;
};

struct verb_doc {
        const char *name, *synopsis, *description;
        bool pods; /* its arguments are Pod names */
        struct flag_doc flags[16];
};

static const struct verb_doc docs[] = {
    {"apply",
     "apply -f FILE [-f FILE...] [--validate=strict|warn|ignore]",
     "Create the Pods, ConfigMaps and Secrets of a manifest (YAML or JSON; - for standard "
     "input); several -f are applied in order, a file that does not load is skipped. Unknown "
     "fields are refused (--validate=strict, kubectl's default), warned about "
     "(warn) or dropped (ignore).",
     false,
     {{"-f", "FILE", "a manifest, or - for standard input (repeatable)"},
      {"--validate", "MODE", "strict, warn or ignore"},
      {"--wait-timeout", "SECONDS", "how long to wait for the first start of the containers"}}},
    {"get",
     "get pods [NAME...] [-o FORMAT] [-l SELECTOR] [--sort-by=PATH] [-w] | get node | get "
     "configmaps|secrets [NAME... | -l SELECTOR] [-o json|yaml|name]",
     "List Pods as kubectl does, or show them as JSON, YAML, names, a JSONPath template or "
     "custom columns; -w prints each change as it happens.",
     true,
     {{"-o", "FORMAT", "wide, json, yaml, name, jsonpath=TEMPLATE, custom-columns=SPEC"},
      {"-l", "SELECTOR", "label selector (=, ==, !=, in, notin, KEY, !KEY)"},
      {"--sort-by", "PATH", "sort by a JSONPath (.metadata.name)"},
      {"--no-headers", NULL, "no header row"},
      {"-w", NULL, "watch: print each change"},
      {"--watch-only", NULL, "watch without listing first"},
      {"--output-watch-events", NULL, "with -w: {type, object} watch events"},
      {"-A", NULL, "all namespaces"}}},
    {"describe",
     "describe pod NAME | describe node",
     "Show a Pod or the node in detail.",
     true,
     {{0}}},
    {"logs",
     "logs POD|-l SELECTOR [-c C|--all-containers] [-f] [-p] [--tail=N]",
     "Print the logs of a container (CRI log files), across its restarts with -f.",
     true,
     {{"-c", "CONTAINER", "the container (default: the first)"},
      {"-l", "SELECTOR", "every Pod matching the selector (last 10 lines each)"},
      {"--all-containers", NULL, "init containers, then the containers"},
      {"--prefix", NULL, "each line as [pod/NAME/CONTAINER] LINE"},
      {"-f", NULL, "follow"},
      {"-p", NULL, "the previous run"},
      {"--tail", "N", "the last N lines"},
      {"--since", "DURATION", "only what came within DURATION (5s, 2m, 1h)"},
      {"--since-time", "TIME", "only what came after an RFC 3339 time"},
      {"--limit-bytes", "N", "at most N bytes"},
      {"--timestamps", NULL, "each line with its time"},
      {"--max-log-requests", "N", "with -f and -l: at most N streams (5)"}}},
    {"exec",
     "exec POD [-c C] [-i] [-t] -- COMMAND...",
     "Run a command in a running container; its exit status is podctl's.",
     true,
     {{"-c", "CONTAINER", "the container"},
      {"-i", NULL, "pass standard input"},
      {"-t", NULL, "a terminal"}}},
    {"attach",
     "attach POD [-c C] [-i] [-t] [-q]",
     "Stream a running container's output; with -i, standard input goes to a container with "
     "stdin: true (Ctrl-P Ctrl-Q detaches from a terminal).",
     true,
     {{"-c", "CONTAINER", "the container"},
      {"-i", NULL, "pass standard input to the container's"},
      {"-t", NULL, "a terminal (the container's tty: true decides)"},
      {"-q", NULL, "no messages, only the container's output"}}},
    {"debug",
     "debug POD [-i] [-t] --image=IMAGE [--target=C] [-c NAME] [-- COMMAND...]",
     "Add an ephemeral container to a running Pod (in its namespaces; in C's PID namespace "
     "with --target) and attach to it with -i, as kubectl debug; never restarted, removed with "
     "the Pod.",
     true,
     {{"--image", "IMAGE", "the container's image (pulled when missing)"},
      {"--target", "CONTAINER", "share this container's PID namespace"},
      {"-c", "NAME", "the container's name (debugger-xxxxx)"},
      {"-i", NULL, "keep stdin open and attach"},
      {"-t", NULL, "a terminal"},
      {"--image-pull-policy", "POLICY", "Always, IfNotPresent or Never"},
      {"--env", "KEY=VALUE", "an environment variable"},
      {"--attach", "BOOL", "attach once it runs (default: with -i)"},
      {"-q", NULL, "no messages"}}},
    {"cp",
     "cp [-c C] POD:SRC DEST | SRC POD:DEST",
     "Copy files and directories from and to a container, as kubectl cp; symlinks in the "
     "container never lead out of it.",
     true,
     {{"-c", "CONTAINER", "the container"}}},
    {"wait",
     "wait --for=CONDITION pod/NAME... | pods -l SELECTOR [--timeout=30s]",
     "Wait for condition=NAME[=VALUE], delete, or jsonpath=EXPR[=VALUE] on Pods.",
     true,
     {{"--for", "CONDITION", "condition=Ready, delete, jsonpath='{.status.phase}'=Running"},
      {"--timeout", "DURATION", "give up after DURATION (30s; 0: look once)"},
      {"-l", "SELECTOR", "the Pods matching the selector"},
      {"--all", NULL, "every Pod of the namespace"}}},
    {"resize",
     "resize [pod] NAME -c CONTAINER [--cpu=Q] [--memory=Q] [--requests-cpu=Q] [--limits-cpu=Q] "
     "[--requests-memory=Q] [--limits-memory=Q]",
     "Change a container's cpu and memory requests and limits in place, as kubectl patch "
     "--subresource resize does (resizePolicy NotRequired: while it runs; RestartContainer: "
     "restarted).",
     true,
     {{"-c", "CONTAINER", "the container (an app container or a sidecar)"},
      {"--cpu", "QUANTITY", "the cpu request, and the limit if the container has one"},
      {"--memory", "QUANTITY", "the memory request, and the limit if the container has one"},
      {"--requests-cpu", "QUANTITY", "the cpu request"},
      {"--limits-cpu", "QUANTITY", "the cpu limit"},
      {"--requests-memory", "QUANTITY", "the memory request"},
      {"--limits-memory", "QUANTITY", "the memory limit"}}},
    {"label",
     "label pod NAME|-l SELECTOR|--all KEY=VALUE... KEY-... [--overwrite]",
     "Update the labels of Pods (metadata only).",
     true,
     {{"--overwrite", NULL, "change a label that has a value"},
      {"-l", "SELECTOR", "the Pods matching the selector"},
      {"--all", NULL, "every Pod of the namespace"}}},
    {"annotate",
     "annotate pod NAME|-l SELECTOR|--all KEY=VALUE... KEY-... [--overwrite]",
     "Update the annotations of Pods (metadata only).",
     true,
     {{"--overwrite", NULL, "change an annotation that has a value"},
      {"-l", "SELECTOR", "the Pods matching the selector"},
      {"--all", NULL, "every Pod of the namespace"}}},
    {"events",
     "events [--for pod/NAME] [-w] [--types=Normal,Warning]",
     "List the Pods' events, oldest first; -w prints new ones as they come.",
     false,
     {{"--for", "pod/NAME", "only this Pod's events"},
      {"--types", "TYPES", "Normal, Warning"},
      {"-w", NULL, "watch"},
      {"-o", "FORMAT", "json or yaml"},
      {"-A", NULL, "all namespaces"}}},
    {"delete",
     "delete pod NAME... | -l SELECTOR | -f FILE [--grace-period=N] [--force] | delete "
     "configmap|secret NAME...",
     "Stop and remove Pods.",
     true,
     {{"-f", "FILE", "the Pods of a manifest"},
      {"-l", "SELECTOR", "the Pods matching the selector"},
      {"--all", NULL, "every Pod of the namespace"},
      {"--grace-period", "SECONDS", "instead of terminationGracePeriodSeconds"},
      {"--force", NULL, "with --grace-period=0: at once"},
      {"--ignore-not-found", NULL, "a missing Pod is no error"}}},
    {"inspect", "inspect pod NAME", "Show podctl's runtime facts of a Pod (JSON).", true, {{0}}},
    {"top",
     "top pod [NAME] [--containers]",
     "CPU and memory use from the cgroups.",
     true,
     {{"--containers", NULL, "per container"}}},
    {"port-forward",
     "port-forward POD [LOCAL:]REMOTE...",
     "Forward local ports to ports in a Pod's network namespace.",
     true,
     {{0}}},
    {"gc",
     "gc [--dry-run]",
     "Remove what no Pod owns: cgroups, leases, debris, logs.",
     false,
     {{"--dry-run", NULL, "only say what would go"}}},
    {"image", "image pull|load|import|ls|inspect|rm|prune ...", "Manage images.", false, {{0}}},
    {"serve",
     "serve [--listen PATH | --no-cri] [--manifests DIR | --no-manifests] [--node-name NAME] "
     "[--gc-interval SECONDS] [--no-recover] [--stream-address HOST:PORT] "
     "[--cgroup-driver cgroupfs|systemd]",
     "Serve the Kubernetes CRI (runtime.v1) on a unix socket, for a kubelet (docs/CRI.md); run "
     "the static Pods of a manifest directory; at start bring back the Pods a reboot stopped "
     "(docs/OPERATIONS.md).",
     false,
     {{"--listen", "PATH", "the socket (default /run/podctl/podctl.sock; '' for none)"},
      {"--no-cri", NULL, "no CRI socket (static Pods and recovery only)"},
      {"--manifests", "DIR", "static Pod manifests (default /etc/podctl/manifests if it exists)"},
      {"--no-manifests", NULL, "no static Pods"},
      {"--node-name", "NAME", "the node name in static Pod names (default: the host name)"},
      {"--gc-interval", "SECONDS", "run gc at start and every SECONDS (default 60; 0: never)"},
      {"--no-recover", NULL, "do not bring back Pods whose sandbox is gone"},
      {"--stream-address", "HOST:PORT",
       "the exec/port-forward streaming server (default 127.0.0.1, any port)"},
      {"--cgroup-driver", "DRIVER",
       "the kubelet's cgroup driver: cgroupfs (default) or systemd (slice names as cgroup "
       "parents)"}}},
    {"completion", "completion bash|zsh|fish", "Print a shell completion script.", false, {{0}}},
    {"replace",
     "replace -f FILE [--force [--grace-period=N]] [--validate=strict|warn|ignore]",
     "Replace the Pods of a manifest. Without --force only an unchanged spec is accepted "
     "(labels and annotations are replaced); a changed one is refused as the API server "
     "refuses it. --force deletes each Pod, waits until it is gone, and creates it again.",
     false,
     {{"-f", "FILE", "the manifest, or - for standard input"},
      {"--force", NULL, "delete and re-create"},
      {"--grace-period", "SECONDS", "with --force: instead of terminationGracePeriodSeconds"},
      {"--validate", "MODE", "strict, warn or ignore"},
      {"--wait-timeout", "SECONDS", "how long to wait for the first start of the containers"}}},
    {"explain",
     "explain RESOURCE[.FIELD...] [--recursive]",
     "Describe the fields of pod, configmap or secret (or of one of their fields), each "
     "with its type and podctl's disposition: applied, refused with the reason, or warned and "
     "ignored (docs/FIELDS.md), in kubectl explain's layout.",
     false,
     {{"--recursive", NULL, "the whole field tree, names and types"},
      {"--api-version", "VERSION", "v1 only"}}},
};

#define N_DOCS (sizeof(docs) / sizeof(docs[0]))

static const char *const globals[] = {"--root", "--log-dir", "-n", "--namespace", NULL};

static void print_bash(void)
{
        fputs("# podctl bash completion (podctl completion bash)\n"
              "_podctl_pods() {\n"
              "        podctl get pods -o 'jsonpath={.items[*].metadata.name}' 2>/dev/null\n"
              "}\n"
              "_podctl() {\n"
              "        local cur=${COMP_WORDS[COMP_CWORD]} verb=\"\" i\n"
              "        for ((i = 1; i < COMP_CWORD; i++)); do\n"
              "                case ${COMP_WORDS[i]} in\n"
              "                -*) ;;\n"
              "                *) verb=${COMP_WORDS[i]}; break ;;\n"
              "                esac\n"
              "        done\n"
              "        if [ -z \"$verb\" ]; then\n"
              "                COMPREPLY=($(compgen -W \"",
              stdout);
        for (size_t i = 0; i < N_DOCS; i++)
                printf("%s%s", i ? " " : "", docs[i].name);
        for (size_t i = 0; globals[i]; i++)
                printf(" %s", globals[i]);
        fputs("\" -- \"$cur\"))\n"
              "                return\n"
              "        fi\n"
              "        local flags=\"\" pods=0\n"
              "        case $verb in\n",
              stdout);
        for (size_t i = 0; i < N_DOCS; i++) {
                printf("        %s) flags=\"", docs[i].name);
                for (size_t f = 0; docs[i].flags[f].name; f++)
                        printf("%s%s", f ? " " : "", docs[i].flags[f].name);
                printf("\"; pods=%d ;;\n", docs[i].pods);
        }
        fputs("        esac\n"
              "        case $cur in\n"
              "        -*) COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\")) ;;\n"
              "        *) if [ \"$pods\" = 1 ]; then\n"
              "                   COMPREPLY=($(compgen -W \"pod pods $(_podctl_pods)\" -- "
              "\"$cur\"))\n"
              "           fi ;;\n"
              "        esac\n"
              "}\n"
              "complete -F _podctl podctl\n",
              stdout);
}

static void print_zsh(void)
{
        fputs("#compdef podctl\n# podctl zsh completion (podctl completion zsh)\n"
              "_podctl() {\n"
              "        local -a verbs\n"
              "        verbs=(\n",
              stdout);
        for (size_t i = 0; i < N_DOCS; i++)
                printf("                '%s:%s'\n", docs[i].name, docs[i].description);
        fputs("        )\n"
              "        if (( CURRENT == 2 )); then\n"
              "                _describe 'command' verbs\n"
              "                return\n"
              "        fi\n"
              "        case ${words[2]} in\n",
              stdout);
        for (size_t i = 0; i < N_DOCS; i++) {
                printf("        %s) _arguments", docs[i].name);
                for (size_t f = 0; docs[i].flags[f].name; f++)
                        printf(" '%s[%s]%s'", docs[i].flags[f].name, docs[i].flags[f].help,
                               docs[i].flags[f].arg ? ":value:" : "");
                if (docs[i].pods)
                        fputs(" '*:pod:($(podctl get pods -o "
                              "jsonpath={.items[*].metadata.name} 2>/dev/null))'",
                              stdout);
                fputs(" ;;\n", stdout);
        }
        fputs("        esac\n}\n_podctl \"$@\"\n", stdout);
}

static void print_fish(void)
{
        fputs("# podctl fish completion (podctl completion fish)\n"
              "complete -c podctl -f\n",
              stdout);
        for (size_t i = 0; i < N_DOCS; i++) {
                printf("complete -c podctl -n __fish_use_subcommand -a %s -d '%s'\n", docs[i].name,
                       docs[i].synopsis);
                for (size_t f = 0; docs[i].flags[f].name; f++) {
                        const char *n = docs[i].flags[f].name;
                        printf("complete -c podctl -n '__fish_seen_subcommand_from %s' %s %s%s "
                               "-d '%s'\n",
                               docs[i].name, n[1] == '-' ? "-l" : "-s", n + (n[1] == '-' ? 2 : 1),
                               docs[i].flags[f].arg ? " -r" : "", docs[i].flags[f].help);
                }
                if (docs[i].pods)
                        printf("complete -c podctl -n '__fish_seen_subcommand_from %s' -a "
                               "'(podctl get pods -o \"jsonpath={.items[*].metadata.name}\" "
                               "2>/dev/null | string split \" \")'\n",
                               docs[i].name);
        }
}

int cmd_completion(struct pc_cli *cli, int argc, char **argv)
{
        (void)cli;
        if (argc != 2)
                return pc_cli_fail("Shell not specified (podctl completion bash|zsh|fish)");
        if (!strcmp(argv[1], "bash"))
                print_bash();
        else if (!strcmp(argv[1], "zsh"))
                print_zsh();
        else if (!strcmp(argv[1], "fish"))
                print_fish();
        else
                return pc_cli_fail("Unsupported shell type \"%s\".", argv[1]);
        return 0;
}

/* roff: a leading '.' or '\'' must not start a request; '\' and '-' escaped. */
static void roff(FILE *f, const char *s)
{
        if (*s == '.' || *s == '\'')
                fputs("\\&", f);
        for (; *s; s++) {
                if (*s == '\\')
                        fputs("\\e", f);
                else if (*s == '-')
                        fputs("\\-", f);
                else
                        fputc(*s, f);
        }
}

/* podctl __man DIR: podctl.1 and podctl-VERB.1 for every verb. */
int cmd_man(struct pc_cli *cli, int argc, char **argv)
{
        (void)cli;
        if (argc != 2)
                return pc_cli_fail("usage: podctl __man DIR");
        pc_error err;
        if (pc_mkdir_p(argv[1], 0755, &err) < 0)
                return pc_cli_die(&err);
        for (size_t i = 0; i <= N_DOCS; i++) {
                const struct verb_doc *d = i < N_DOCS ? &docs[i] : NULL;
                _cleanup_free_ char *p = d ? pc_xasprintf("%s/podctl-%s.1", argv[1], d->name)
                                           : pc_xasprintf("%s/podctl.1", argv[1]);
                FILE *f = fopen(p, "we");
                if (!f)
                        return pc_cli_fail("%s: %s", p, strerror(errno));
                char title[64] = "PODCTL";
                if (d) {
                        size_t n = strlen(title);
                        title[n++] = '-';
                        for (const char *c = d->name; *c && n < sizeof(title) - 1; c++)
                                title[n++] = *c >= 'a' && *c <= 'z' ? (char)(*c - 32) : *c;
                        title[n] = '\0';
                }
                fputs(".TH ", f);
                roff(f, title);
                fputs(" 1 \"\" \"podctl " PODCTL_VERSION "\" \"podctl\"\n", f);
                fputs(".ad l\n.nh\n", f); /* flags and paths are not to be hyphenated */
                fputs(".SH NAME\n", f);
                if (d) {
                        fprintf(f, "podctl\\-%s \\- ", d->name);
                        roff(f, d->description);
                        fputs("\n.SH SYNOPSIS\n.B podctl\n", f);
                        roff(f, d->synopsis);
                        fputs("\n.SH DESCRIPTION\n", f);
                        roff(f, d->description);
                        fputc('\n', f);
                        if (d->flags[0].name) {
                                fputs(".SH OPTIONS\n", f);
                                for (size_t k = 0; d->flags[k].name; k++) {
                                        fputs(".TP\n.B ", f);
                                        roff(f, d->flags[k].name);
                                        if (d->flags[k].arg) {
                                                fputs(" \\fI", f);
                                                roff(f, d->flags[k].arg);
                                                fputs("\\fR", f);
                                        }
                                        fputc('\n', f);
                                        roff(f, d->flags[k].help);
                                        fputc('\n', f);
                                }
                        }
                } else {
                        fputs("podctl \\- run Kubernetes Pods on this host\n.SH SYNOPSIS\n"
                              ".B podctl\n[\\-\\-root DIR] [\\-\\-log\\-dir DIR] [\\-n NAMESPACE] "
                              "COMMAND [ARGS]\n.SH COMMANDS\n",
                              f);
                        for (size_t k = 0; k < N_DOCS; k++) {
                                fprintf(f, ".TP\n.BR podctl\\-%s (1)\n", docs[k].name);
                                roff(f, docs[k].description);
                                fputc('\n', f);
                        }
                }
                fputs(".SH SEE ALSO\n.BR podctl (1)\n", f);
                if (fclose(f) != 0)
                        return pc_cli_fail("%s: %s", p, strerror(errno));
        }
        return 0;
}
