/* kubectl's printers beyond the table: -o jsonpath=TEMPLATE,
 * -o custom-columns=HEADER:PATH,..., and --sort-by=PATH (the JSONPath
 * evaluation itself is src/spec/jsonpath.c). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "spec/jsonpath.h"
#include "util/util.h"

int pc_cli_print_jsonpath(const char *tmpl, json_t *obj)
{
        struct pc_jsonpath *jp = NULL;
        pc_error err;
        if (pc_jsonpath_parse(tmpl, &jp, &err) < 0)
                return pc_cli_die(&err);
        char *out = NULL;
        int r = pc_jsonpath_execute(jp, obj, true, &out, &err);
        pc_jsonpath_free(jp);
        if (r < 0)
                return pc_cli_die(&err);
        fputs(out, stdout);
        free(out);
        return 0;
}

struct column {
        char *header;
        struct pc_jsonpath *jp;
};

static void free_columns(struct column *c, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(c[i].header);
                pc_jsonpath_free(c[i].jp);
        }
        free(c);
}

/* "NAME:.metadata.name,STATUS:.status.phase" */
static int parse_columns(const char *spec, struct column **out, size_t *n)
{
        _cleanup_free_ char *s = pc_xstrdup(spec);
        struct column *cols = NULL;
        size_t cnt = 0;
        char *save = NULL;
        for (char *part = strtok_r(s, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
                char *colon = strchr(part, ':');
                if (!colon || colon == part || !colon[1]) {
                        free_columns(cols, cnt);
                        return pc_cli_fail("unexpected custom-columns spec: %s, expected "
                                           "<header>:<json-path-expr>",
                                           part);
                }
                *colon = '\0';
                _cleanup_free_ char *tmpl = pc_jsonpath_relaxed(colon + 1);
                pc_error err;
                struct pc_jsonpath *jp = NULL;
                if (pc_jsonpath_parse(tmpl, &jp, &err) < 0) {
                        free_columns(cols, cnt);
                        return pc_cli_die(&err);
                }
                cols = pc_xrealloc(cols, (cnt + 1) * sizeof(*cols));
                cols[cnt++] = (struct column){.header = pc_xstrdup(part), .jp = jp};
        }
        if (!cnt)
                return pc_cli_fail("custom-columns format specified but no custom columns "
                                   "given");
        *out = cols;
        *n = cnt;
        return 0;
}

/* One cell: the values joined with ",", "<none>" when there is none. */
static char *cell(const struct pc_jsonpath *jp, json_t *obj)
{
        json_t **vals = NULL;
        size_t n = 0;
        pc_error err;
        if (pc_jsonpath_values(jp, obj, &vals, &n, &err) < 0 || n == 0) {
                free(vals);
                return pc_xstrdup("<none>");
        }
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        for (size_t i = 0; f && i < n; i++) {
                if (i)
                        fputc(',', f);
                if (json_is_string(vals[i])) {
                        fputs(json_string_value(vals[i]), f);
                } else {
                        char *s =
                            json_dumps(vals[i], JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
                        fputs(s ? s : "", f);
                        free(s);
                }
        }
        if (f)
                fclose(f);
        free(vals);
        return buf ? buf : pc_xstrdup("");
}

int pc_cli_print_custom_columns(const char *spec, json_t *items, bool headers)
{
        struct column *cols = NULL;
        size_t n = 0;
        if (parse_columns(spec, &cols, &n) != 0)
                return 1;
        struct pc_table t = {0};
        _cleanup_free_ const char **row = pc_xcalloc(n + 1, sizeof(char *));
        if (headers) {
                for (size_t c = 0; c < n; c++)
                        row[c] = cols[c].header;
                pc_table_add(&t, row);
        }
        size_t i;
        json_t *obj;
        json_array_foreach(items, i, obj)
        {
                char **cells = pc_xcalloc(n + 1, sizeof(char *));
                for (size_t c = 0; c < n; c++)
                        cells[c] = cell(cols[c].jp, obj);
                pc_table_add(&t, (const char *const *)cells);
                pc_strv_free(cells);
        }
        pc_table_print(&t);
        free_columns(cols, n);
        return 0;
}

/* vbom.ml/util/sortorder's natural order, as kubectl's --sort-by uses for
 * strings: runs of digits compare as numbers. */
static int natural_cmp(const char *a, const char *b)
{
        while (*a && *b) {
                if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
                        while (*a == '0')
                                a++;
                        while (*b == '0')
                                b++;
                        size_t la = 0, lb = 0;
                        while (isdigit((unsigned char)a[la]))
                                la++;
                        while (isdigit((unsigned char)b[lb]))
                                lb++;
                        if (la != lb)
                                return la < lb ? -1 : 1;
                        int c = strncmp(a, b, la);
                        if (c)
                                return c;
                        a += la;
                        b += lb;
                        continue;
                }
                if (*a != *b)
                        return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
                a++;
                b++;
        }
        return *a ? 1 : *b ? -1 : 0;
}

struct keyed {
        json_t *item, *key;
        size_t pos;
};

static int keyed_cmp(const void *x, const void *y)
{
        const struct keyed *a = x, *b = y;
        int c = 0;
        if (!a->key || !b->key)
                c = a->key ? 1 : b->key ? -1 : 0; /* a missing value sorts first */
        else if (json_is_number(a->key) && json_is_number(b->key))
                c = json_number_value(a->key) < json_number_value(b->key)   ? -1
                    : json_number_value(a->key) > json_number_value(b->key) ? 1
                                                                            : 0;
        else if (json_is_string(a->key) && json_is_string(b->key))
                c = natural_cmp(json_string_value(a->key), json_string_value(b->key));
        else if (json_is_boolean(a->key) && json_is_boolean(b->key))
                c = json_is_true(a->key) - json_is_true(b->key);
        if (c)
                return c;
        return a->pos < b->pos ? -1 : a->pos > b->pos; /* stable */
}

int pc_cli_sort_items(json_t *items, const char *expr)
{
        _cleanup_free_ char *tmpl = pc_jsonpath_relaxed(expr);
        struct pc_jsonpath *jp = NULL;
        pc_error err;
        if (pc_jsonpath_parse(tmpl, &jp, &err) < 0)
                return pc_cli_die(&err);
        size_t n = json_array_size(items);
        struct keyed *k = pc_xcalloc(n + 1, sizeof(*k));
        for (size_t i = 0; i < n; i++) {
                json_t **vals = NULL;
                size_t nv = 0;
                k[i].item = json_incref(json_array_get(items, i));
                k[i].pos = i;
                if (pc_jsonpath_values(jp, k[i].item, &vals, &nv, &err) == 0 && nv > 0)
                        k[i].key = vals[0];
                free(vals);
        }
        qsort(k, n, sizeof(*k), keyed_cmp);
        json_array_clear(items);
        for (size_t i = 0; i < n; i++)
                json_array_append_new(items, k[i].item);
        free(k);
        pc_jsonpath_free(jp);
        return 0;
}
