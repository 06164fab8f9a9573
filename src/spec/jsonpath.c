/* kubectl's JSONPath (see jsonpath.h): a template is a list of nodes (text,
 * an action's path or literal, range ... end); a path is a list of steps
 * applied to a list of current values. */
#include "spec/jsonpath.h"
#include "util/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *xstrndup(const char *s, size_t n)
{
        char *r = pc_xmalloc(n + 1);
        memcpy(r, s, n);
        r[n] = '\0';
        return r;
}

enum step_kind { S_FIELD, S_WILDCARD, S_RECURSIVE, S_INDEX, S_SLICE, S_FILTER, S_UNION };
enum cmp { C_EXISTS, C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE };

struct path;

struct step {
        enum step_kind kind;
        char *name;       /* S_FIELD */
        long idx[3];      /* S_INDEX: [0]; S_SLICE: start, end, step */
        bool has[3];      /* S_SLICE: which were given */
        char **names;     /* S_UNION of quoted names */
        struct path *lhs; /* S_FILTER: @.x */
        enum cmp op;
        struct path *rhs_path; /* S_FILTER: another path, or: */
        json_t *rhs;           /* a literal */
};

struct path {
        bool root; /* starts at $ */
        struct step *v;
        size_t n;
        json_t *literal; /* a "text" or number literal instead of steps */
};

enum node_kind { N_TEXT, N_ACTION, N_RANGE };

struct node {
        enum node_kind kind;
        char *text;        /* N_TEXT */
        struct path *path; /* N_ACTION, N_RANGE */
        struct node *body; /* N_RANGE */
        size_t n_body;
};

struct pc_jsonpath {
        char *src;
        struct node *v;
        size_t n;
};

static void path_free(struct path *p);

static void step_free(struct step *s)
{
        free(s->name);
        pc_strv_free(s->names);
        path_free(s->lhs);
        path_free(s->rhs_path);
        json_decref(s->rhs);
}

static void path_free(struct path *p)
{
        if (!p)
                return;
        for (size_t i = 0; i < p->n; i++)
                step_free(&p->v[i]);
        free(p->v);
        json_decref(p->literal);
        free(p);
}

static void nodes_free(struct node *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].text);
                path_free(v[i].path);
                nodes_free(v[i].body, v[i].n_body);
        }
        free(v);
}

void pc_jsonpath_free(struct pc_jsonpath *jp)
{
        if (!jp)
                return;
        free(jp->src);
        nodes_free(jp->v, jp->n);
        free(jp);
}

/* ---- parsing ------------------------------------------------------------- */

struct parser {
        const char *src; /* the whole template, for messages */
        const char *p;
        pc_error *err;
};

static int perr(struct parser *ps, const char *why)
{
        pc_fail(ps->err, 0, "error parsing jsonpath %s, %s", ps->src, why);
        ps->err->code = EINVAL;
        return -1;
}

static void skip_ws(struct parser *ps)
{
        while (*ps->p == ' ' || *ps->p == '\t')
                ps->p++;
}

/* A quoted string ('x' or "x") with Go's escapes \n \t \\ \" \'. */
static int quoted(struct parser *ps, char **out)
{
        char q = *ps->p++;
        _cleanup_free_ char *buf = pc_xmalloc(strlen(ps->p) + 1);
        size_t n = 0;
        while (*ps->p && *ps->p != q) {
                char c = *ps->p++;
                if (c == '\\' && *ps->p) {
                        c = *ps->p++;
                        c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
                }
                buf[n++] = c;
        }
        if (*ps->p != q)
                return perr(ps, "unterminated quoted string");
        ps->p++;
        buf[n] = '\0';
        *out = STEAL(buf);
        return 0;
}

static bool ident_char(char c)
{
        return c && !strchr(".[]() ,=!<>}{\"'@$", c) && !isspace((unsigned char)c);
}

static int parse_path(struct parser *ps, struct path **out, bool in_filter);

static struct step *add_step(struct path *p, enum step_kind k)
{
        p->v = pc_xrealloc(p->v, (p->n + 1) * sizeof(struct step));
        struct step *s = &p->v[p->n++];
        memset(s, 0, sizeof(*s));
        s->kind = k;
        return s;
}

static int parse_literal(struct parser *ps, json_t **out)
{
        skip_ws(ps);
        if (*ps->p == '"' || *ps->p == '\'') {
                _cleanup_free_ char *s = NULL;
                if (quoted(ps, &s) < 0)
                        return -1;
                *out = json_string(s);
                return 0;
        }
        if (!strncmp(ps->p, "true", 4) || !strncmp(ps->p, "false", 5)) {
                *out = json_boolean(*ps->p == 't');
                ps->p += *ps->p == 't' ? 4 : 5;
                return 0;
        }
        char *end;
        double d = strtod(ps->p, &end);
        if (end == ps->p)
                return perr(ps, "unrecognized filter operand");
        ps->p = end;
        *out = json_real(d);
        return 0;
}

static int parse_filter(struct parser *ps, struct step *s)
{
        /* at "?(" */
        ps->p += 2;
        skip_ws(ps);
        if (parse_path(ps, &s->lhs, true) < 0)
                return -1;
        skip_ws(ps);
        static const struct {
                const char *t;
                enum cmp op;
        } ops[] = {{"==", C_EQ}, {"!=", C_NE}, {"<=", C_LE}, {">=", C_GE},
                   {"<", C_LT},  {">", C_GT},  {"=", C_EQ}};
        s->op = C_EXISTS;
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
                size_t l = strlen(ops[i].t);
                if (!strncmp(ps->p, ops[i].t, l)) {
                        s->op = ops[i].op;
                        ps->p += l;
                        break;
                }
        }
        if (s->op != C_EXISTS) {
                skip_ws(ps);
                if (*ps->p == '@' || *ps->p == '$') {
                        if (parse_path(ps, &s->rhs_path, true) < 0)
                                return -1;
                } else if (parse_literal(ps, &s->rhs) < 0) {
                        return -1;
                }
                skip_ws(ps);
        }
        if (*ps->p != ')')
                return perr(ps, "unclosed filter: expected )");
        ps->p++;
        return 0;
}

static int parse_bracket(struct parser *ps, struct path *p)
{
        ps->p++; /* [ */
        skip_ws(ps);
        if (*ps->p == '*') {
                ps->p++;
                add_step(p, S_WILDCARD);
        } else if (ps->p[0] == '?' && ps->p[1] == '(') {
                if (parse_filter(ps, add_step(p, S_FILTER)) < 0)
                        return -1;
        } else if (*ps->p == '\'' || *ps->p == '"') {
                struct step *s = add_step(p, S_UNION);
                s->names = pc_xcalloc(1, sizeof(char *));
                for (;;) {
                        _cleanup_free_ char *name = NULL;
                        skip_ws(ps);
                        if ((*ps->p != '\'' && *ps->p != '"') || quoted(ps, &name) < 0)
                                return perr(ps, "expected a quoted field name");
                        pc_strv_push(&s->names, name);
                        skip_ws(ps);
                        if (*ps->p != ',')
                                break;
                        ps->p++;
                }
        } else {
                struct step *s = add_step(p, S_INDEX);
                int part = 0;
                bool slice = false;
                for (;;) {
                        skip_ws(ps);
                        if (*ps->p == '-' || isdigit((unsigned char)*ps->p)) {
                                char *end;
                                s->idx[part] = strtol(ps->p, &end, 10);
                                s->has[part] = true;
                                ps->p = end;
                        }
                        skip_ws(ps);
                        if (*ps->p != ':' || part == 2)
                                break;
                        slice = true;
                        part++;
                        ps->p++;
                }
                if (slice)
                        s->kind = S_SLICE;
                else if (!s->has[0])
                        return perr(ps, "invalid array index");
        }
        skip_ws(ps);
        if (*ps->p != ']')
                return perr(ps, "unterminated array");
        ps->p++;
        return 0;
}

/* A path: [$|@] then .name, ..name, .*, [..] steps. Ends at a character
 * no step starts with. */
static int parse_path(struct parser *ps, struct path **out, bool in_filter)
{
        struct path *p = pc_xcalloc(1, sizeof(*p));
        if (*ps->p == '$') {
                p->root = true;
                ps->p++;
        } else if (*ps->p == '@') {
                ps->p++;
        }
        for (;;) {
                if (ps->p[0] == '.' && ps->p[1] == '.') {
                        ps->p += 2;
                        add_step(p, S_RECURSIVE);
                        if (*ps->p == '[')
                                continue;
                }
                if (*ps->p == '.' && ps->p[1] == '[') {
                        ps->p++;
                        continue;
                }
                if (*ps->p == '.' ||
                    (p->n && p->v[p->n - 1].kind == S_RECURSIVE && ident_char(*ps->p))) {
                        if (*ps->p == '.')
                                ps->p++;
                        if (*ps->p == '*') {
                                ps->p++;
                                add_step(p, S_WILDCARD);
                                continue;
                        }
                        const char *st = ps->p;
                        while (ident_char(*ps->p))
                                ps->p++;
                        if (ps->p == st) {
                                if (!*ps->p || *ps->p == '}' || *ps->p == ' ' ||
                                    (in_filter && *ps->p == ')'))
                                        break; /* "{.}": the current value */
                                path_free(p);
                                return perr(ps, "unrecognized character in action");
                        }
                        add_step(p, S_FIELD)->name = xstrndup(st, (size_t)(ps->p - st));
                        continue;
                }
                if (*ps->p == '[') {
                        if (parse_bracket(ps, p) < 0) {
                                path_free(p);
                                return -1;
                        }
                        continue;
                }
                break;
        }
        *out = p;
        return 0;
}

/* An action's content: "range PATH", "end", a quoted literal, or a path. */
static int parse_action(struct parser *ps, const char *a, size_t len, struct node *n, bool *end)
{
        _cleanup_free_ char *s = xstrndup(a, len);
        char *t = s;
        while (isspace((unsigned char)*t))
                t++;
        size_t tl = strlen(t);
        while (tl && isspace((unsigned char)t[tl - 1]))
                t[--tl] = '\0';
        *end = false;
        memset(n, 0, sizeof(*n));
        if (!strcmp(t, "end")) {
                *end = true;
                return 0;
        }
        const char *saved = ps->p;
        n->kind = N_ACTION;
        if (!strncmp(t, "range", 5) && (isspace((unsigned char)t[5]) || !t[5])) {
                n->kind = N_RANGE;
                t += 5;
                while (isspace((unsigned char)*t))
                        t++;
        }
        ps->p = t;
        int r;
        if (*t == '"' || *t == '\'') {
                n->path = pc_xcalloc(1, sizeof(*n->path));
                r = parse_literal(ps, &n->path->literal);
        } else if (isdigit((unsigned char)*t) || (*t == '-' && isdigit((unsigned char)t[1]))) {
                n->path = pc_xcalloc(1, sizeof(*n->path));
                r = parse_literal(ps, &n->path->literal);
        } else {
                r = parse_path(ps, &n->path, false);
        }
        if (r == 0) {
                skip_ws(ps);
                if (*ps->p)
                        r = perr(ps, "unrecognized character in action");
        }
        ps->p = saved;
        return r;
}

/* Nodes until {end} (nested) or the end of the template. */
static int parse_nodes(struct parser *ps, struct node **out, size_t *n, bool nested)
{
        struct node *v = NULL;
        size_t cnt = 0;
        for (;;) {
                if (!*ps->p) {
                        if (nested) {
                                nodes_free(v, cnt);
                                return perr(ps, "unclosed range: missing {end}");
                        }
                        break;
                }
                if (*ps->p != '{') {
                        const char *st = ps->p;
                        while (*ps->p && *ps->p != '{')
                                ps->p++;
                        v = pc_xrealloc(v, (cnt + 1) * sizeof(*v));
                        v[cnt++] = (struct node){.kind = N_TEXT,
                                                 .text = xstrndup(st, (size_t)(ps->p - st))};
                        continue;
                }
                /* {...}: to the matching '}' outside quotes */
                const char *st = ++ps->p;
                char q = 0;
                while (*ps->p && (q || *ps->p != '}')) {
                        if (q && *ps->p == '\\' && ps->p[1])
                                ps->p++;
                        else if (q && *ps->p == q)
                                q = 0;
                        else if (!q && (*ps->p == '"' || *ps->p == '\''))
                                q = *ps->p;
                        ps->p++;
                }
                if (!*ps->p) {
                        nodes_free(v, cnt);
                        return perr(ps, "unclosed action");
                }
                struct node nd;
                bool end;
                if (parse_action(ps, st, (size_t)(ps->p - st), &nd, &end) < 0) {
                        nodes_free(v, cnt);
                        return -1;
                }
                ps->p++; /* } */
                if (end) {
                        if (!nested) {
                                nodes_free(v, cnt);
                                return perr(ps, "not in range, nothing to end");
                        }
                        *out = v;
                        *n = cnt;
                        return 0;
                }
                if (nd.kind == N_RANGE && parse_nodes(ps, &nd.body, &nd.n_body, true) < 0) {
                        path_free(nd.path);
                        nodes_free(v, cnt);
                        return -1;
                }
                v = pc_xrealloc(v, (cnt + 1) * sizeof(*v));
                v[cnt++] = nd;
        }
        *out = v;
        *n = cnt;
        return 0;
}

int pc_jsonpath_parse(const char *text, struct pc_jsonpath **out, pc_error *err)
{
        struct pc_jsonpath *jp = pc_xcalloc(1, sizeof(*jp));
        jp->src = pc_xstrdup(text);
        struct parser ps = {.src = jp->src, .p = jp->src, .err = err};
        if (parse_nodes(&ps, &jp->v, &jp->n, false) < 0) {
                pc_jsonpath_free(jp);
                return -1;
        }
        *out = jp;
        return 0;
}

/* ---- evaluation ---------------------------------------------------------- */

struct vals {
        json_t **v;
        size_t n;
};

static void vpush(struct vals *l, json_t *x)
{
        l->v = pc_xrealloc(l->v, (l->n + 2) * sizeof(json_t *));
        l->v[l->n++] = x;
        l->v[l->n] = NULL;
}

static void recurse_all(json_t *x, struct vals *out)
{
        vpush(out, x);
        const char *k;
        json_t *c;
        size_t i;
        if (json_is_object(x)) {
                json_object_foreach(x, k, c) recurse_all(c, out);
        } else if (json_is_array(x)) {
                json_array_foreach(x, i, c) recurse_all(c, out);
        }
}

static int eval_path(const struct path *p, json_t *root, json_t *cur, bool allow_missing,
                     struct vals *out, pc_error *err);

static int cmp_values(json_t *a, json_t *b)
{
        if (json_is_number(a) && json_is_number(b)) {
                double x = json_number_value(a), y = json_number_value(b);
                return x < y ? -1 : x > y;
        }
        if (json_is_string(a) && json_is_string(b))
                return strcmp(json_string_value(a), json_string_value(b));
        return json_equal(a, b) ? 0 : 2; /* 2: not comparable, and not equal */
}

static bool filter_holds(const struct step *s, json_t *root, json_t *x)
{
        struct vals l = {0};
        pc_error ignore;
        eval_path(s->lhs, root, x, true, &l, &ignore);
        bool ok = false;
        if (s->op == C_EXISTS) {
                ok = l.n > 0;
        } else if (l.n > 0) {
                json_t *rhs = s->rhs;
                struct vals r = {0};
                if (s->rhs_path) {
                        eval_path(s->rhs_path, root, x, true, &r, &ignore);
                        rhs = r.n ? r.v[0] : NULL;
                }
                int c = rhs ? cmp_values(l.v[0], rhs) : 2;
                switch (s->op) {
                case C_EQ:
                        ok = c == 0;
                        break;
                case C_NE:
                        ok = c != 0;
                        break;
                case C_LT:
                        ok = c == -1;
                        break;
                case C_LE:
                        ok = c == -1 || c == 0;
                        break;
                case C_GT:
                        ok = c == 1;
                        break;
                case C_GE:
                        ok = c == 1 || c == 0;
                        break;
                default:
                        break;
                }
                free(r.v);
        }
        free(l.v);
        return ok;
}

static int eval_path(const struct path *p, json_t *root, json_t *cur, bool allow_missing,
                     struct vals *out, pc_error *err)
{
        if (p->literal) {
                vpush(out, p->literal);
                return 0;
        }
        struct vals now = {0};
        vpush(&now, p->root ? root : cur);
        for (size_t i = 0; i < p->n; i++) {
                const struct step *s = &p->v[i];
                struct vals next = {0};
                for (size_t k = 0; k < now.n; k++) {
                        json_t *x = now.v[k], *c;
                        size_t j;
                        const char *key;
                        switch (s->kind) {
                        case S_FIELD:
                                if ((c = json_object_get(x, s->name)))
                                        vpush(&next, c);
                                break;
                        case S_UNION:
                                for (size_t u = 0; s->names[u]; u++)
                                        if ((c = json_object_get(x, s->names[u])))
                                                vpush(&next, c);
                                break;
                        case S_WILDCARD:
                                if (json_is_array(x)) {
                                        json_array_foreach(x, j, c) vpush(&next, c);
                                } else if (json_is_object(x)) {
                                        json_object_foreach(x, key, c) vpush(&next, c);
                                }
                                break;
                        case S_RECURSIVE:
                                recurse_all(x, &next);
                                break;
                        case S_INDEX: {
                                long n = (long)json_array_size(x), ix = s->idx[0];
                                if (ix < 0)
                                        ix += n;
                                if (json_is_array(x) && ix >= 0 && ix < n) {
                                        vpush(&next, json_array_get(x, (size_t)ix));
                                } else if (json_is_array(x) && !allow_missing) {
                                        free(now.v);
                                        free(next.v);
                                        pc_fail(err, 0,
                                                "array index out of bounds: index %ld, "
                                                "length %ld",
                                                s->idx[0], n);
                                        err->code = ENOENT;
                                        return -1;
                                }
                                break;
                        }
                        case S_SLICE: {
                                if (!json_is_array(x))
                                        break;
                                long n = (long)json_array_size(x);
                                long a = s->has[0] ? s->idx[0] : 0;
                                long b = s->has[1] ? s->idx[1] : n;
                                long st = s->has[2] && s->idx[2] > 0 ? s->idx[2] : 1;
                                if (a < 0)
                                        a += n;
                                if (b < 0)
                                        b += n;
                                if (a < 0)
                                        a = 0;
                                if (b > n)
                                        b = n;
                                for (long q = a; q < b; q += st)
                                        vpush(&next, json_array_get(x, (size_t)q));
                                break;
                        }
                        case S_FILTER:
                                if (json_is_array(x)) {
                                        json_array_foreach(x, j, c) if (filter_holds(s, root, c))
                                            vpush(&next, c);
                                } else if (filter_holds(s, root, x)) {
                                        vpush(&next, x);
                                }
                                break;
                        }
                }
                if (s->kind == S_FIELD && !next.n && !allow_missing) {
                        free(now.v);
                        free(next.v);
                        pc_fail(err, 0, "%s is not found", s->name);
                        err->code = ENOENT;
                        return -1;
                }
                free(now.v);
                now = next;
                if (!now.n)
                        break;
        }
        for (size_t k = 0; k < now.n; k++)
                vpush(out, now.v[k]);
        free(now.v);
        return 0;
}

static void print_value(FILE *f, json_t *v)
{
        if (json_is_string(v)) {
                fputs(json_string_value(v), f);
        } else if (json_is_real(v) && json_real_value(v) == (double)(long long)json_real_value(v)) {
                fprintf(f, "%lld", (long long)json_real_value(v));
        } else {
                char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
                if (s)
                        fputs(s, f);
                free(s);
        }
}

static int exec_nodes(const struct node *v, size_t n, json_t *root, json_t *cur, bool allow_missing,
                      FILE *f, pc_error *err)
{
        for (size_t i = 0; i < n; i++) {
                if (v[i].kind == N_TEXT) {
                        fputs(v[i].text, f);
                        continue;
                }
                struct vals l = {0};
                if (eval_path(v[i].path, root, cur, allow_missing, &l, err) < 0)
                        return -1;
                if (v[i].kind == N_RANGE) {
                        for (size_t k = 0; k < l.n; k++) {
                                if (exec_nodes(v[i].body, v[i].n_body, root, l.v[k], allow_missing,
                                               f, err) < 0) {
                                        free(l.v);
                                        return -1;
                                }
                        }
                } else {
                        for (size_t k = 0; k < l.n; k++) {
                                if (k)
                                        fputc(' ', f);
                                print_value(f, l.v[k]);
                        }
                }
                free(l.v);
        }
        return 0;
}

int pc_jsonpath_execute(const struct pc_jsonpath *jp, json_t *data, bool allow_missing, char **out,
                        pc_error *err)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return pc_fail(err, errno, "open_memstream");
        int r = exec_nodes(jp->v, jp->n, data, data, allow_missing, f, err);
        fclose(f);
        if (r < 0) {
                free(buf);
                return -1;
        }
        *out = buf;
        return 0;
}

int pc_jsonpath_values(const struct pc_jsonpath *jp, json_t *data, json_t ***out, size_t *n,
                       pc_error *err)
{
        struct vals l = {0};
        for (size_t i = 0; i < jp->n; i++) {
                if (jp->v[i].kind == N_TEXT)
                        continue;
                if (eval_path(jp->v[i].path, data, data, true, &l, err) < 0)
                        return -1;
                break;
        }
        if (!l.v)
                l.v = pc_xcalloc(1, sizeof(json_t *));
        *out = l.v;
        *n = l.n;
        return 0;
}

char *pc_jsonpath_relaxed(const char *expr)
{
        size_t n = strlen(expr);
        if (n >= 2 && expr[0] == '{' && expr[n - 1] == '}') {
                if (expr[1] == '.')
                        return pc_xstrdup(expr);
                return pc_xasprintf("{.%.*s}", (int)(n - 2), expr + 1);
        }
        return pc_xasprintf("{%s%s}", expr[0] == '.' ? "" : ".", expr);
}
