/* The CLI: one file per verb, each parsing its flags, calling the library and
 * printing. Only this layer prints errors (see docs/ERRORS.md). */
#ifndef PODCTL_CLI_CLI_H
#define PODCTL_CLI_CLI_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

#include "podctl/podctl.h"
#include "util/error.h"

struct pc_cli {
        const char *root;       /* --root / PODCTL_ROOT, default /var/lib/podctl */
        const char *log_dir;    /* --log-dir / PODCTL_LOG_DIR, default /var/log/pods */
        const char *namespace_; /* -n/--namespace, default "default" */
        bool namespace_set;     /* -n given (kubectl then enforces it on manifests) */
        bool all_namespaces;    /* -A/--all-namespaces */
        bool cri;               /* --cri: the CRI server's sandboxes (<root>/cri) */
        podctl *ctx;            /* opened on first use by pc_cli_ctx() */
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
int cmd_top(struct pc_cli *cli, int argc, char **argv);
int cmd_resize(struct pc_cli *cli, int argc, char **argv);
int cmd_attach(struct pc_cli *cli, int argc, char **argv);
int cmd_debug(struct pc_cli *cli, int argc, char **argv);
int cmd_port_forward(struct pc_cli *cli, int argc, char **argv);
int cmd_gc(struct pc_cli *cli, int argc, char **argv);
int cmd_serve(struct pc_cli *cli, int argc, char **argv);
int cmd_label(struct pc_cli *cli, int argc, char **argv);
int cmd_annotate(struct pc_cli *cli, int argc, char **argv);
int cmd_wait(struct pc_cli *cli, int argc, char **argv);
int cmd_events(struct pc_cli *cli, int argc, char **argv);
int cmd_cp(struct pc_cli *cli, int argc, char **argv);
int cmd_replace(struct pc_cli *cli, int argc, char **argv);
int cmd_explain(struct pc_cli *cli, int argc, char **argv);
int cmd_completion(struct pc_cli *cli, int argc, char **argv);
int cmd_man(struct pc_cli *cli, int argc, char **argv); /* hidden: podctl __man DIR */

/* ---- shared by the verbs (common.c) ---- */

/* Print "error: <msg>" to stderr; returns 1. */
int pc_cli_die(const pc_error *err);
/* Print "error: <fmt>" to stderr; returns 1 (usage mistakes, exit 1 like kubectl). */
int pc_cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The library context for cli->root (opened once). NULL after printing an error. */
podctl *pc_cli_ctx(struct pc_cli *cli);
/* Read a whole manifest file ("-" = stdin). */
int pc_cli_read_input(const char *path, char **text, size_t *len, pc_error *err);
/* Load a manifest file (prints warnings and errors). 0 on success. */
/* --validate (kubectl's): strict (the default) refuses unknown fields, warn
 * warns, ignore drops them silently. */
enum pc_validate { PC_VALIDATE_STRICT, PC_VALIDATE_WARN, PC_VALIDATE_IGNORE };
int pc_cli_load_manifest(const struct pc_cli *cli, const char *path, enum pc_validate validate,
                         struct pc_manifest *m);
/* Store the manifest's ConfigMaps and Secrets, printing "KIND/NAME VERB"
 * for each (verb NULL: created, configured or unchanged, as kubectl apply);
 * 1 when one failed (its error printed), else 0. */
int pc_cli_put_objects(podctl *ctx, const struct pc_manifest *m, const char *verb);

/* objects.c: ConfigMaps and Secrets for get and delete. */
enum { PC_CLI_CONFIGMAP, PC_CLI_SECRET };
/* configmap(s)/cm, secret(s): PC_CLI_*, else -1 */
int pc_cli_object_kind(const char *arg);
int pc_cli_get_objects(struct pc_cli *cli, int kind, int argc, char **argv);
int pc_cli_delete_objects(struct pc_cli *cli, int kind, int argc, char **argv);
/* describe configmap|secret NAME... (names: argv[0..argc)) */
int pc_cli_describe_objects(struct pc_cli *cli, int kind, int argc, char **argv);
/* describe's "Labels:   k=v" block: title padded to width, "<none>" when empty */
void pc_cli_print_map(const char *title, json_t *m, int width);
/* Delete one, printing kubectl's line; 1 on failure (NotFound unless
 * ignore_missing). */
int pc_cli_delete_object(podctl *ctx, const char *ns, const char *name, bool secret,
                         bool ignore_missing);
/* --validate[=strict|true|warn|ignore|false] at argv[*i]: 1 parsed into *out,
 * 0 not this flag, -1 a bad value (printed). */
int pc_cli_validate_flag(int argc, char **argv, int *i, enum pc_validate *out);
/* Print a JSON value (-o json) or YAML (-o yaml). */
void pc_cli_print_json(json_t *v);
int pc_cli_print_yaml(json_t *v);
/* kubectl's AGE column ("5s", "3m2s", "2d3h"). */
void pc_cli_age(int64_t since_ns, char *buf, size_t len);
/* kubectl's STATUS column for a Pod object. Returns a pointer into buf. */
const char *pc_cli_pod_status(json_t *pod, char *buf, size_t len);
/* READY "n/m" and total RESTARTS of a Pod object. */
void pc_cli_pod_ready(json_t *pod, char *buf, size_t len);
int64_t pc_cli_pod_restarts(json_t *pod);
/* Split "pod/NAME", "pods NAME" style resource arguments: returns true when
 * `word` names the pod resource (pod, pods, po). */
bool pc_cli_is_pod_resource(const char *word);
/* A table printed like kubectl's (columns padded to the widest cell + 3). */
struct pc_table {
        char ***rows; /* rows[r][c], NULL-terminated per row */
        size_t n_rows;
};
void pc_table_add(struct pc_table *t, const char *const *cells); /* up to the first NULL */
#define pc_table_row(t, ...) pc_table_add((t), (const char *const[]){__VA_ARGS__, NULL})
void pc_table_print(struct pc_table *t); /* prints and frees */

/* attach's stream (logs.c): the container's output from now until its run
 * ends. input NULL, or an input relayed meanwhile (attach -i): when one of
 * its fds (>= 0) is readable, on_ready(data, index) runs: 0 go on, 1 stop
 * watching that fd, -1 end the attach now (detached). */
struct pc_cli_attach_input {
        int fds[2];
        int (*on_ready)(void *data, int index);
        void *data;
        const char *banner; /* to stderr once the output is followed (NULL: none) */
};
int pc_cli_attach_stream(struct pc_cli *cli, const char *pod, const char *container,
                         struct pc_cli_attach_input *input);
/* The Pod's first container (kubectl's default for -c; caller frees), or NULL. */
char *pc_cli_default_container(podctl *ctx, const char *ns, const char *pod, pc_error *err);

/* tty.c: our terminal in raw mode for a remote terminal's master (exec -t,
 * attach -t): the window size copied to it (pc_cli_tty_winsize again on
 * SIGWINCH); SIGWINCH, SIGINT, SIGTERM, SIGHUP and SIGQUIT arrive as one byte
 * each on sig_pipe[0]. pc_cli_tty_restore undoes it all (also after a
 * failed pc_cli_tty_raw). Initialise with sig_pipe = {-1, -1}. */
#define PC_CLI_TTY_SIGNALS 5
struct pc_cli_tty {
        struct termios saved; /* our terminal before raw mode */
        bool raw;
        int sig_pipe[2]; /* self-pipe of the handlers */
        struct sigaction old_sa[PC_CLI_TTY_SIGNALS], old_pipe;
        int got_signal; /* a terminating signal */
};
int pc_cli_tty_raw(struct pc_cli_tty *t, int master, pc_error *err);
void pc_cli_tty_restore(struct pc_cli_tty *t);
void pc_cli_tty_winsize(int master);
/* All of buf to a possibly non-blocking fd: 0, or -1 with errno. */
int pc_cli_write_all(int fd, const char *buf, size_t len);

/* image pull (image_pull.c): `image pull`, and a pull with progress on
 * stdout for apply (quiet: none). res is filled on success. */
struct pc_pull_result;
int pc_cli_image_pull(struct pc_cli *cli, int argc, char **argv);
int pc_cli_pull(struct pc_cli *cli, const char *ref, const char *user, const char *pass,
                json_t *auths, bool quiet, struct pc_pull_result *res, pc_error *err);
/* apply on a terminal: show the Pod's image pulls (per-layer bars) until
 * each has ended; Ctrl-C stops showing, not the pull. */
void pc_cli_follow_pulls(struct pc_cli *cli, const struct pc_pod *p);
/* image pull-for-pod (hidden): the pull helper of a Pod's monitor. */
int pc_cli_image_pull_for_pod(struct pc_cli *cli, int argc, char **argv);

/* printers.c: -o jsonpath=TEMPLATE (obj: the Pod, or the List), -o
 * custom-columns=SPEC over items, --sort-by=PATH (items sorted in place). 0 or
 * the exit status after printing an error. */
int pc_cli_print_jsonpath(const char *tmpl, json_t *obj);
int pc_cli_print_custom_columns(const char *spec, json_t *items, bool headers);
int pc_cli_sort_items(json_t *items, const char *expr);

/* A Go duration ("1h30m", "10s", "500ms", "0", "-1s") in ns (logs.c). */
int pc_cli_parse_duration(const char *s, int64_t *ns);

/* label and annotate (label.c): the verb's whole work, for labels or annotations. */
int pc_cli_meta_verb(struct pc_cli *cli, int argc, char **argv, bool labels);

/* The Pods a verb acts on, as kubectl takes them: `pod NAME...`, `pod/NAME`,
 * `-l SELECTOR` (also --selector, -lSEL) or `--all` (common.c). */
struct pc_cli_pods {
        char **names; /* NULL-terminated (start with pc_xcalloc(1, sizeof(char *))) */
        const char *selector;
        bool all, resource_seen;
};
/* argv[*i] consumed (-l, --selector, --all, the pod resource word,
 * pod/NAME): 1 (*i advanced past a flag's value); 0 not ours. */
int pc_cli_pods_arg(struct pc_cli_pods *t, int argc, char **argv, int *i);
/* A bare NAME after the resource word; else prints kubectl's "the server
 * doesn't have a resource type" and returns 1. */
int pc_cli_pods_name(struct pc_cli_pods *t, const char *arg);
/* No name given: fill names with the Pods matching the selector (all when
 * none) in ns (NULL: every namespace). */
int pc_cli_pods_select(podctl *ctx, const char *ns, struct pc_cli_pods *t, pc_error *err);
void pc_cli_pods_free(struct pc_cli_pods *t);

/* Parse an --opt=value or --opt value flag; advances *i. NULL if no match. */
const char *pc_cli_flag(int argc, char **argv, int *i, const char *name);

#endif
