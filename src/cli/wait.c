/* podctl wait (pod/NAME... | pods NAME... | pods -l SELECTOR | pods --all)
 *   --for=condition=NAME[=VALUE] | --for=delete | --for=jsonpath='{EXPR}'[=VALUE]
 *   [--timeout=30s]
 * As kubectl wait: one deadline for all the Pods, each checked in turn;
 * "pod/NAME condition met" for each; exit 1 with kubectl's message on a
 * timeout. Wakes on changes of the Pods' state files (podctl_watch), never
 * by polling. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "spec/jsonpath.h"
#include "util/util.h"

enum wait_kind { W_CONDITION, W_DELETE, W_JSONPATH };

struct wait_for {
        enum wait_kind kind;
        char *cond, *value; /* condition name and status; jsonpath's value (NULL: any) */
        struct pc_jsonpath *jp;
};

/* kubectl splits the jsonpath input on single '=' ("==" stays). */
static int parse_for(const char *f, struct wait_for *w)
{
        memset(w, 0, sizeof(*w));
        if (!strcasecmp(f, "delete")) {
                w->kind = W_DELETE;
                return 0;
        }
        if (pc_str_has_prefix(f, "condition=")) {
                w->kind = W_CONDITION;
                w->cond = pc_xstrdup(f + strlen("condition="));
                char *eq = strchr(w->cond, '=');
                w->value = pc_xstrdup(eq ? eq + 1 : "true");
                if (eq)
                        *eq = '\0';
                return 0;
        }
        if (pc_str_has_prefix(f, "jsonpath=")) {
                w->kind = W_JSONPATH;
                const char *in = f + strlen("jsonpath=");
                _cleanup_free_ char *expr = pc_xstrdup(in);
                char *val = NULL;
                size_t n = 0, parts = 1;
                for (const char *p = in; *p; p++) {
                        if (p[0] == '=' && p[1] == '=') {
                                expr[n++] = '=';
                                expr[n++] = '=';
                                p++;
                        } else if (*p == '=') {
                                expr[n++] = '\0';
                                if (++parts == 2)
                                        val = expr + n;
                        } else {
                                expr[n++] = *p;
                        }
                }
                expr[n] = '\0';
                if (parts > 2)
                        return pc_cli_fail("jsonpath wait format must be "
                                           "--for=jsonpath='{.status.readyReplicas}'=3 or "
                                           "--for=jsonpath='{.status.readyReplicas}'");
                if (!*expr)
                        return pc_cli_fail("jsonpath expression cannot be empty");
                if (val) {
                        /* strings.Trim(value, `'"`) */
                        while (*val == '\'' || *val == '"')
                                val++;
                        size_t l = strlen(val);
                        while (l && (val[l - 1] == '\'' || val[l - 1] == '"'))
                                val[--l] = '\0';
                        if (!*val)
                                return pc_cli_fail(
                                    "jsonpath wait has to have a value after equal sign, like "
                                    "--for=jsonpath='{.status.readyReplicas}'=3");
                        w->value = pc_xstrdup(val);
                }
                _cleanup_free_ char *tmpl = pc_jsonpath_relaxed(expr);
                pc_error err;
                if (pc_jsonpath_parse(tmpl, &w->jp, &err) < 0)
                        return pc_cli_die(&err);
                return 0;
        }
        return pc_cli_fail("unrecognized condition: \"%s\"", f);
}

static void free_for(struct wait_for *w)
{
        free(w->cond);
        free(w->value);
        pc_jsonpath_free(w->jp);
}

static char *trim(const char *s)
{
        while (*s == ' ' || *s == '\t' || *s == '\n')
                s++;
        char *r = pc_xstrdup(s);
        size_t l = strlen(r);
        while (l && (r[l - 1] == ' ' || r[l - 1] == '\t' || r[l - 1] == '\n'))
                r[--l] = '\0';
        return r;
}

/* 1 met, 0 not yet, -1 an error (printed) that ends the wait. */
static int check(const struct wait_for *w, json_t *pod)
{
        if (w->kind == W_CONDITION) {
                json_t *conds = json_object_get(json_object_get(pod, "status"), "conditions");
                size_t i;
                json_t *c;
                json_array_foreach(conds, i, c)
                {
                        const char *t = json_string_value(json_object_get(c, "type"));
                        const char *st = json_string_value(json_object_get(c, "status"));
                        if (!t || !st || strcasecmp(t, w->cond))
                                continue;
                        return !strcasecmp(st, w->value);
                }
                return 0;
        }
        json_t **vals = NULL;
        size_t n = 0;
        pc_error err;
        if (pc_jsonpath_values(w->jp, pod, &vals, &n, &err) < 0) {
                free(vals);
                pc_cli_die(&err);
                return -1;
        }
        int r = 0;
        if (n > 1) {
                r = -1;
                pc_cli_fail("given jsonpath expression matches more than one value");
        } else if (n == 1 && !w->value) {
                r = 1;
        } else if (n == 1) {
                if (json_is_object(vals[0]) || json_is_array(vals[0])) {
                        pc_cli_fail("jsonpath leads to a nested object or list which is not "
                                    "supported");
                        r = -1;
                } else {
                        char *s = json_is_string(vals[0])
                                      ? pc_xstrdup(json_string_value(vals[0]))
                                      : json_dumps(vals[0], JSON_ENCODE_ANY | JSON_COMPACT);
                        _cleanup_free_ char *a = trim(s ? s : "");
                        _cleanup_free_ char *b = trim(w->value);
                        r = !strcmp(a, b);
                        free(s);
                }
        }
        free(vals);
        return r;
}

static const char *uid_of(json_t *pod)
{
        return json_string_value(json_object_get(json_object_get(pod, "metadata"), "uid"));
}

/* Wait for one Pod; 0 when its condition is met (printed), 1 on failure. */
static int wait_one(struct pc_cli *cli, podctl *ctx, struct podctl_watch *watch,
                    const struct wait_for *w, const char *name, int64_t timeout_ns,
                    int64_t deadline)
{
        _cleanup_free_ char *uid = NULL;
        for (bool first = true;; first = false) {
                json_t *pod = NULL;
                pc_error err;
                int met;
                if (podctl_pod_get(ctx, cli->namespace_, name, &pod, &err) < 0) {
                        if (err.code != ENOENT)
                                return pc_cli_die(&err);
                        if (w->kind != W_DELETE) {
                                fprintf(stderr,
                                        "Error from server (NotFound): pods \"%s\" not found\n",
                                        name);
                                return 1;
                        }
                        if (first)
                                return 0; /* kubectl: nothing to wait for, nothing said */
                        met = 1;
                } else if (w->kind == W_DELETE) {
                        if (first)
                                uid = pc_xstrdup(uid_of(pod));
                        /* a Pod of the same name made again is another Pod */
                        met = uid && uid_of(pod) && strcmp(uid, uid_of(pod)) != 0;
                } else {
                        met = check(w, pod);
                }
                json_decref(pod);
                if (met < 0)
                        return 1;
                if (met) {
                        printf("pod/%s condition met\n", name);
                        fflush(stdout);
                        return 0;
                }
                if (timeout_ns == 0)
                        return pc_cli_fail("condition not met for pods/%s", name);
                int64_t left = deadline - pc_monotonic_ns();
                if (left <= 0)
                        return pc_cli_fail("timed out waiting for the condition on pods/%s", name);
                /* Woken by any change; at most 1 s, so a deadline is kept and a
                 * change inotify cannot see (none known) is caught anyway. */
                int ms = left / 1000000 + 1 < 1000 ? (int)(left / 1000000 + 1) : 1000;
                if (podctl_watch_wait(watch, ms, &err) < 0)
                        return pc_cli_die(&err);
        }
}

int cmd_wait(struct pc_cli *cli, int argc, char **argv)
{
        const char *forc = NULL, *v;
        int64_t timeout = 30LL * 1000000000LL;
        _cleanup_(pc_cli_pods_free) struct pc_cli_pods t = {.names = pc_xcalloc(1, sizeof(char *))};
        for (int i = 1; i < argc; i++) {
                if ((v = pc_cli_flag(argc, argv, &i, "--for")))
                        forc = v;
                else if ((v = pc_cli_flag(argc, argv, &i, "--timeout"))) {
                        if (pc_cli_parse_duration(v, &timeout) < 0)
                                return pc_cli_fail("invalid argument \"%s\" for \"--timeout\" "
                                                   "flag: time: invalid duration \"%s\"",
                                                   v, v);
                        if (timeout < 0)
                                timeout = 168LL * 3600 * 1000000000LL; /* "a week" */
                } else if (pc_cli_pods_arg(&t, argc, argv, &i))
                        continue;
                else if (argv[i][0] == '-')
                        return pc_cli_fail("unknown flag \"%s\" for wait", argv[i]);
                else if (pc_cli_pods_name(&t, argv[i]) != 0)
                        return 1;
        }
        if (!t.resource_seen)
                return pc_cli_fail("you must provide one or more resources by argument or "
                                   "filename");
        if (!forc)
                return pc_cli_fail("--for must be specified");
        if (t.names[0] && (t.selector || t.all))
                return pc_cli_fail("name cannot be provided when a selector is specified");
        if (!t.names[0] && !t.selector && !t.all)
                return pc_cli_fail("resource(s) were provided, but no name was specified");
        struct wait_for w;
        if (parse_for(forc, &w) != 0) {
                free_for(&w);
                return 1;
        }
        int64_t deadline = pc_monotonic_ns() + timeout;
        int rc = 0;
        podctl *ctx = pc_cli_ctx(cli);
        struct podctl_watch *watch = NULL;
        pc_error err;
        if (!ctx) {
                rc = 1;
                goto out;
        }
        /* The watch first: a change between a look and the wait still wakes us. */
        if (podctl_watch_open(ctx, &watch, &err) < 0) {
                rc = pc_cli_die(&err);
                goto out;
        }
        if (!t.names[0]) {
                if (pc_cli_pods_select(ctx, cli->namespace_, &t, &err) < 0) {
                        rc = pc_cli_die(&err);
                        goto out;
                }
                if (!t.names[0] && w.kind != W_DELETE) {
                        rc = pc_cli_fail("no matching resources found");
                        goto out;
                }
        }
        for (size_t i = 0; t.names[i] && rc == 0; i++)
                rc = wait_one(cli, ctx, watch, &w, t.names[i], timeout, deadline);
out:
        podctl_watch_close(watch);
        free_for(&w);
        return rc;
}
