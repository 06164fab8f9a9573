#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/util.h"

int pc_cli_die(const pc_error *err)
{
        fprintf(stderr, "error: %s\n", err->msg);
        return 1;
}

int pc_cli_fail(const char *fmt, ...)
{
        va_list ap;
        fputs("error: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return 1;
}

podctl *pc_cli_ctx(struct pc_cli *cli)
{
        pc_error err;
        if (!cli->ctx && podctl_open(cli->root, cli->log_dir, &cli->ctx, &err) < 0) {
                pc_cli_die(&err);
                return NULL;
        }
        return cli->ctx;
}

int pc_cli_read_input(const char *path, char **text, size_t *len, pc_error *err)
{
        /* never more than a manifest may be: -f /dev/zero must not hang */
        if (strcmp(path, "-") != 0)
                return pc_read_file_max(path, PC_MANIFEST_MAX_BYTES, text, len, err);
        return pc_read_fd_max(0, "standard input", PC_MANIFEST_MAX_BYTES, text, len, err);
}

int pc_cli_load_manifest(const struct pc_cli *cli, const char *path, enum pc_validate validate,
                         struct pc_manifest *m)
{
        pc_error err;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        memset(m, 0, sizeof(*m));
        if (pc_cli_read_input(path, &text, &len, &err) < 0)
                return pc_cli_die(&err);
        struct pc_check_opts opts = {.strict = validate == PC_VALIDATE_STRICT,
                                     .ignore_unknown = validate == PC_VALIDATE_IGNORE,
                                     .namespace_ = cli->namespace_,
                                     .enforce_namespace = cli->namespace_set};
        int r = pc_manifest_load(path, text, len, &opts, m, &err);
        for (size_t i = 0; i < m->diags.n; i++) {
                _cleanup_free_ char *line = pc_diag_format(&m->diags.v[i]);
                fprintf(stderr, "%s: %s\n",
                        m->diags.v[i].level == PC_DIAG_ERROR ? "error" : "Warning", line);
        }
        if (r < 0) {
                if (m->diags.n_errors == 0)
                        pc_cli_die(&err);
                return 1;
        }
        return 0;
}

void pc_cli_print_json(json_t *v)
{
        json_dumpf(v, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
}

int pc_cli_print_yaml(json_t *v)
{
        pc_error err;
        if (pc_yaml_emit(v, stdout, &err) < 0)
                return pc_cli_die(&err);
        return 0;
}

void pc_cli_age(int64_t since_ns, char *buf, size_t len)
{
        int64_t s = (pc_now_ns() - since_ns) / 1000000000LL;
        if (s < 0)
                s = 0;
        int64_t m = s / 60, h = s / 3600, d = s / 86400;
        if (s < 120)
                snprintf(buf, len, "%llds", (long long)s);
        else if (m < 10)
                snprintf(buf, len, "%lldm%llds", (long long)m, (long long)(s % 60));
        else if (h < 3)
                snprintf(buf, len, "%lldm", (long long)m);
        else if (h < 8)
                snprintf(buf, len, "%lldh%lldm", (long long)h, (long long)(m % 60));
        else if (d < 2)
                snprintf(buf, len, "%lldh", (long long)h);
        else if (d < 8)
                snprintf(buf, len, "%lldd%lldh", (long long)d, (long long)(h % 24));
        else if (d < 365 * 2)
                snprintf(buf, len, "%lldd", (long long)d);
        else
                snprintf(buf, len, "%lldy", (long long)(d / 365));
}

static const char *jstr(json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

static bool is_sidecar(json_t *pod, const char *name)
{
        json_t *inits = json_object_get(json_object_get(pod, "spec"), "initContainers");
        size_t i;
        json_t *c;
        json_array_foreach(inits, i, c)
        {
                const char *n = jstr(c, "name");
                const char *rp = jstr(c, "restartPolicy");
                if (n && !strcmp(n, name))
                        return rp && !strcmp(rp, "Always");
        }
        return false;
}

static bool condition_true(json_t *pod, const char *type)
{
        json_t *conds = json_object_get(json_object_get(pod, "status"), "conditions");
        size_t i;
        json_t *c;
        json_array_foreach(conds, i, c)
        {
                const char *t = jstr(c, "type"), *s = jstr(c, "status");
                if (t && !strcmp(t, type))
                        return s && !strcmp(s, "True");
        }
        return false;
}

/* kubectl's printPod: READY, STATUS and RESTARTS computed together. Native
 * sidecars (restartable init containers) count as containers once started. */
static void print_pod(json_t *pod, char *status, size_t slen, size_t *ready, size_t *total,
                      int64_t *restarts)
{
        json_t *st = json_object_get(pod, "status");
        json_t *spec = json_object_get(pod, "spec");
        const char *reason = jstr(st, "reason") ? jstr(st, "reason") : jstr(st, "phase");
        snprintf(status, slen, "%s", reason ? reason : "Pending");
        *ready = 0;
        *restarts = 0;
        *total = json_array_size(json_object_get(spec, "containers"));
        json_t *inits = json_object_get(st, "initContainerStatuses");
        size_t n_init = json_array_size(json_object_get(spec, "initContainers")), i;
        json_t *c;
        json_array_foreach(json_object_get(spec, "initContainers"), i, c)
        {
                const char *rp = jstr(c, "restartPolicy");
                if (rp && !strcmp(rp, "Always"))
                        (*total)++;
        }
        bool initializing = false;
        int64_t sidecar_restarts = 0;
        json_array_foreach(inits, i, c)
        {
                int64_t rc = json_integer_value(json_object_get(c, "restartCount"));
                *restarts += rc;
                if (is_sidecar(pod, jstr(c, "name") ? jstr(c, "name") : "")) {
                        sidecar_restarts += rc;
                        if (json_is_true(json_object_get(c, "started"))) {
                                *ready += json_is_true(json_object_get(c, "ready"));
                                continue;
                        }
                }
                json_t *state = json_object_get(c, "state");
                json_t *t = json_object_get(state, "terminated");
                json_t *w = json_object_get(state, "waiting");
                if (t && json_integer_value(json_object_get(t, "exitCode")) == 0)
                        continue;
                initializing = true;
                if (t) {
                        if (jstr(t, "reason"))
                                snprintf(status, slen, "Init:%s", jstr(t, "reason"));
                        else
                                snprintf(
                                    status, slen, "Init:ExitCode:%lld",
                                    (long long)json_integer_value(json_object_get(t, "exitCode")));
                } else if (w && jstr(w, "reason") && strcmp(jstr(w, "reason"), "PodInitializing")) {
                        snprintf(status, slen, "Init:%s", jstr(w, "reason"));
                } else {
                        snprintf(status, slen, "Init:%zu/%zu", i, n_init);
                }
                break;
        }
        if (!initializing || condition_true(pod, "Initialized")) {
                *restarts = sidecar_restarts;
                if (initializing) {
                        reason = jstr(st, "reason") ? jstr(st, "reason") : jstr(st, "phase");
                        snprintf(status, slen, "%s", reason ? reason : "Pending");
                }
                json_t *apps = json_object_get(st, "containerStatuses");
                bool has_running = false;
                for (size_t k = json_array_size(apps); k-- > 0;) {
                        c = json_array_get(apps, k);
                        *restarts += json_integer_value(json_object_get(c, "restartCount"));
                        json_t *state = json_object_get(c, "state");
                        json_t *t = json_object_get(state, "terminated");
                        json_t *w = json_object_get(state, "waiting");
                        if (w && jstr(w, "reason")) {
                                snprintf(status, slen, "%s", jstr(w, "reason"));
                        } else if (t && jstr(t, "reason")) {
                                snprintf(status, slen, "%s", jstr(t, "reason"));
                        } else if (t) {
                                snprintf(
                                    status, slen, "ExitCode:%lld",
                                    (long long)json_integer_value(json_object_get(t, "exitCode")));
                        } else if (json_object_get(state, "running") &&
                                   json_is_true(json_object_get(c, "ready"))) {
                                has_running = true;
                                (*ready)++;
                        }
                }
                if (!strcmp(status, "Completed") && has_running)
                        snprintf(status, slen, "%s",
                                 condition_true(pod, "Ready") ? "Running" : "NotReady");
        }
        if (json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp"))
                snprintf(status, slen, "Terminating");
}

const char *pc_cli_pod_status(json_t *pod, char *buf, size_t len)
{
        size_t ready, total;
        int64_t restarts;
        print_pod(pod, buf, len, &ready, &total, &restarts);
        return buf;
}

void pc_cli_pod_ready(json_t *pod, char *buf, size_t len)
{
        char status[128];
        size_t ready, total;
        int64_t restarts;
        print_pod(pod, status, sizeof(status), &ready, &total, &restarts);
        snprintf(buf, len, "%zu/%zu", ready, total);
}

int64_t pc_cli_pod_restarts(json_t *pod)
{
        char status[128];
        size_t ready, total;
        int64_t restarts;
        print_pod(pod, status, sizeof(status), &ready, &total, &restarts);
        return restarts;
}

void pc_table_add(struct pc_table *t, const char *const *cells)
{
        char **row = NULL;
        for (size_t i = 0; cells[i]; i++)
                pc_strv_push(&row, cells[i]);
        t->rows = pc_xrealloc(t->rows, (t->n_rows + 1) * sizeof(char **));
        t->rows[t->n_rows++] = row;
}

void pc_table_print(struct pc_table *t)
{
        size_t widths[32] = {0};
        for (size_t r = 0; r < t->n_rows; r++)
                for (size_t c = 0; t->rows[r][c] && c < 32; c++)
                        if (strlen(t->rows[r][c]) > widths[c])
                                widths[c] = strlen(t->rows[r][c]);
        for (size_t r = 0; r < t->n_rows; r++) {
                for (size_t c = 0; t->rows[r][c] && c < 32; c++) {
                        if (t->rows[r][c + 1])
                                printf("%-*s   ", (int)widths[c], t->rows[r][c]);
                        else
                                printf("%s\n", t->rows[r][c]);
                }
                pc_strv_free(t->rows[r]);
        }
        free(t->rows);
        t->rows = NULL;
        t->n_rows = 0;
}

bool pc_cli_is_pod_resource(const char *word)
{
        return !strcmp(word, "pod") || !strcmp(word, "pods") || !strcmp(word, "po");
}

const char *pc_cli_flag(int argc, char **argv, int *i, const char *name)
{
        size_t n = strlen(name);
        const char *a = argv[*i];
        if (strncmp(a, name, n) != 0)
                return NULL;
        if (a[n] == '=')
                return a + n + 1;
        if (a[n] == '\0' && *i + 1 < argc) {
                (*i)++;
                return argv[*i];
        }
        return NULL;
}

int pc_cli_pods_arg(struct pc_cli_pods *t, int argc, char **argv, int *i)
{
        const char *a = argv[*i], *v;
        if (!t->names)
                t->names = pc_xcalloc(1, sizeof(char *));
        if ((v = pc_cli_flag(argc, argv, i, "-l")) ||
            (v = pc_cli_flag(argc, argv, i, "--selector")))
                t->selector = v;
        else if (!strncmp(a, "-l", 2) && a[2])
                t->selector = a + 2;
        else if (!strcmp(a, "--all"))
                t->all = true;
        else if (a[0] == '-')
                return 0;
        else if (!t->resource_seen && pc_cli_is_pod_resource(a))
                t->resource_seen = true;
        else if (!strncmp(a, "pod/", 4) || !strncmp(a, "pods/", 5) || !strncmp(a, "po/", 3)) {
                t->resource_seen = true;
                pc_strv_push(&t->names, strchr(a, '/') + 1);
        } else
                return 0;
        return 1;
}

int pc_cli_pods_name(struct pc_cli_pods *t, const char *arg)
{
        if (!t->names)
                t->names = pc_xcalloc(1, sizeof(char *));
        if (!t->resource_seen)
                return pc_cli_fail("the server doesn't have a resource type \"%s\"", arg);
        pc_strv_push(&t->names, arg);
        return 0;
}

int pc_cli_pods_select(podctl *ctx, const char *ns, struct pc_cli_pods *t, pc_error *err)
{
        if (!t->names)
                t->names = pc_xcalloc(1, sizeof(char *));
        if (t->names[0])
                return 0;
        json_t *items = NULL;
        if (podctl_pod_select(ctx, ns, t->selector, &items, err) < 0)
                return -1;
        size_t i;
        json_t *p;
        json_array_foreach(items, i, p)
        {
                const char *n =
                    json_string_value(json_object_get(json_object_get(p, "metadata"), "name"));
                if (n)
                        pc_strv_push(&t->names, n);
        }
        json_decref(items);
        return 0;
}

void pc_cli_pods_free(struct pc_cli_pods *t)
{
        pc_strv_free(t->names);
        t->names = NULL;
}

int pc_cli_validate_flag(int argc, char **argv, int *i, enum pc_validate *out)
{
        const char *v;
        if (!strcmp(argv[*i], "--validate")) {
                *out = PC_VALIDATE_STRICT; /* kubectl: --validate alone is strict */
                return 1;
        }
        if (!(v = pc_cli_flag(argc, argv, i, "--validate")))
                return 0;
        if (!strcmp(v, "strict") || !strcmp(v, "true"))
                *out = PC_VALIDATE_STRICT;
        else if (!strcmp(v, "warn"))
                *out = PC_VALIDATE_WARN;
        else if (!strcmp(v, "ignore") || !strcmp(v, "false"))
                *out = PC_VALIDATE_IGNORE;
        else {
                pc_cli_fail("invalid --validate value \"%s\": must be strict, warn or ignore", v);
                return -1;
        }
        return 1;
}

int pc_cli_put_objects(podctl *ctx, const struct pc_manifest *m, const char *verb)
{
        int rc = 0;
        pc_error err;
        for (size_t i = 0; i < m->n_configmaps; i++) {
                const struct pc_configmap *o = &m->configmaps[i];
                int r = podctl_object_put(ctx, o, &err);
                if (r < 0) {
                        rc = pc_cli_die(&err);
                        continue;
                }
                printf("%s/%s %s\n", o->secret ? "secret" : "configmap", o->name,
                       verb                    ? verb
                       : r == PODCTL_CREATED   ? "created"
                       : r == PODCTL_UNCHANGED ? "unchanged"
                                               : "configured");
        }
        return rc;
}
