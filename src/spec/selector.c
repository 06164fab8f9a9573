/* Label selectors (see selector.h): a small lexer and a list of requirements,
 * with apimachinery's grammar and its error wording. */
#include "spec/selector.h"
#include "util/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum op { OP_EQ, OP_NE, OP_IN, OP_NOTIN, OP_EXISTS, OP_NOT_EXISTS, OP_GT, OP_LT };

struct req {
        char *key;
        enum op op;
        char **values; /* NULL-terminated */
};

struct pc_selector {
        struct req *v;
        size_t n;
};

static bool name_part(const char *s, size_t n)
{
        if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
                        return false;
        return true;
}

static bool subdomain(const char *s, size_t n)
{
        if (n == 0 || n > 253)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                bool an = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
                if (!an && !(c == '-' || c == '.'))
                        return false;
                if ((i == 0 || i == n - 1) && !an)
                        return false;
                if (c == '.' && (s[i - 1] == '.' || s[i - 1] == '-' || s[i + 1] == '-'))
                        return false;
        }
        return true;
}

bool pc_label_key_valid(const char *key)
{
        const char *slash = strchr(key, '/');
        if (!slash)
                return name_part(key, strlen(key));
        return subdomain(key, (size_t)(slash - key)) && name_part(slash + 1, strlen(slash + 1));
}

bool pc_label_value_valid(const char *value)
{
        return !*value || name_part(value, strlen(value));
}

/* ---- lexer -------------------------------------------------------------- */

enum tok {
        T_END,
        T_ID,
        T_COMMA,
        T_LPAREN,
        T_RPAREN,
        T_NOT,
        T_EQ,
        T_DEQ,
        T_NE,
        T_GT,
        T_LT,
        T_IN,
        T_NOTIN
};

struct lex {
        const char *p;
        char buf[512];
};

static bool id_char(char c)
{
        return c && !isspace((unsigned char)c) && !strchr("!=,()<>", c);
}

static enum tok next(struct lex *l)
{
        while (isspace((unsigned char)*l->p))
                l->p++;
        l->buf[0] = '\0';
        char c = *l->p;
        if (!c)
                return T_END;
        l->p++;
        switch (c) {
        case ',':
                return T_COMMA;
        case '(':
                return T_LPAREN;
        case ')':
                return T_RPAREN;
        case '>':
                return T_GT;
        case '<':
                return T_LT;
        case '=':
                if (*l->p == '=') {
                        l->p++;
                        return T_DEQ;
                }
                return T_EQ;
        case '!':
                if (*l->p == '=') {
                        l->p++;
                        return T_NE;
                }
                return T_NOT;
        }
        size_t n = 0;
        l->buf[n++] = c;
        while (id_char(*l->p) && n < sizeof(l->buf) - 1)
                l->buf[n++] = *l->p++;
        l->buf[n] = '\0';
        if (!strcmp(l->buf, "in"))
                return T_IN;
        if (!strcmp(l->buf, "notin"))
                return T_NOTIN;
        return T_ID;
}

static const char *tok_text(enum tok t, const char *buf)
{
        static const char *s[] = {"", NULL, ",", "(", ")", "!", "=", "==", "!=", ">", "<"};
        if (t == T_ID || t == T_IN || t == T_NOTIN)
                return buf;
        return s[t];
}

static void req_free(struct req *r)
{
        free(r->key);
        pc_strv_free(r->values);
}

void pc_selector_free(struct pc_selector *sel)
{
        if (!sel)
                return;
        for (size_t i = 0; i < sel->n; i++)
                req_free(&sel->v[i]);
        free(sel->v);
        free(sel);
}

static int bad_value(pc_error *err, const char *v)
{
        return pc_fail(err, 0,
                       "unable to parse requirement: values[0]: Invalid value: \"%s\": a valid "
                       "label must be an empty string or consist of alphanumeric characters, "
                       "'-', '_' or '.', and must start and end with an alphanumeric character",
                       v);
}

static int parse_req(struct lex *l, struct req *r, enum tok *after, pc_error *err)
{
        enum tok t = next(l);
        bool negated = false;
        if (t == T_NOT) {
                negated = true;
                t = next(l);
        }
        if (t != T_ID)
                return pc_fail(err, 0,
                               "unable to parse requirement: found '%s', expected: !, "
                               "identifier, or 'end of string'",
                               tok_text(t, l->buf));
        if (!pc_label_key_valid(l->buf))
                return pc_fail(err, 0,
                               "unable to parse requirement: key: Invalid value: \"%s\": name "
                               "part must consist of alphanumeric characters, '-', '_' or '.', "
                               "and must start and end with an alphanumeric character",
                               l->buf);
        r->key = pc_xstrdup(l->buf);
        r->values = pc_xcalloc(1, sizeof(char *));
        t = next(l);
        if (negated) {
                r->op = OP_NOT_EXISTS;
                if (t != T_END && t != T_COMMA)
                        return pc_fail(err, 0,
                                       "unable to parse requirement: found '%s', expected: ',' "
                                       "or 'end of string'",
                                       tok_text(t, l->buf));
                *after = t;
                return 0;
        }
        switch (t) {
        case T_END:
        case T_COMMA:
                r->op = OP_EXISTS;
                *after = t;
                return 0;
        case T_EQ:
        case T_DEQ:
        case T_NE:
        case T_GT:
        case T_LT: {
                r->op = t == T_NE ? OP_NE : t == T_GT ? OP_GT : t == T_LT ? OP_LT : OP_EQ;
                const char *save = l->p;
                enum tok v = next(l);
                if (v == T_IN || v == T_NOTIN)
                        v = T_ID;
                if (v != T_ID) {
                        /* key= is a requirement on the empty value */
                        l->p = save;
                        l->buf[0] = '\0';
                        if (r->op == OP_GT || r->op == OP_LT)
                                return pc_fail(err, 0,
                                               "unable to parse requirement: found '%s', "
                                               "expected: identifier",
                                               tok_text(v, l->buf));
                }
                if (!pc_label_value_valid(l->buf))
                        return bad_value(err, l->buf);
                if (r->op == OP_GT || r->op == OP_LT) {
                        char *end;
                        errno = 0;
                        (void)strtoll(l->buf, &end, 10);
                        if (errno || *end)
                                return pc_fail(err, 0,
                                               "unable to parse requirement: for 'Gt', 'Lt' "
                                               "operators, the value must be an integer");
                }
                pc_strv_push(&r->values, l->buf);
                *after = next(l);
                break;
        }
        case T_IN:
        case T_NOTIN:
                r->op = t == T_IN ? OP_IN : OP_NOTIN;
                if ((t = next(l)) != T_LPAREN)
                        return pc_fail(err, 0,
                                       "unable to parse requirement: found '%s', expected: '('",
                                       tok_text(t, l->buf));
                for (;;) {
                        t = next(l);
                        if (t == T_RPAREN && !r->values[0]) {
                                pc_strv_push(&r->values, "");
                                break;
                        }
                        if (t == T_IN || t == T_NOTIN)
                                t = T_ID;
                        if (t == T_ID) {
                                if (!pc_label_value_valid(l->buf))
                                        return bad_value(err, l->buf);
                                pc_strv_push(&r->values, l->buf);
                                t = next(l);
                        } else if (t == T_COMMA || t == T_RPAREN) {
                                pc_strv_push(&r->values, ""); /* (a,,b): an empty value */
                        }
                        if (t == T_RPAREN)
                                break;
                        if (t != T_COMMA)
                                return pc_fail(err, 0,
                                               "unable to parse requirement: found '%s', "
                                               "expected: ',', ')' or identifier",
                                               tok_text(t, l->buf));
                }
                *after = next(l);
                break;
        default:
                return pc_fail(err, 0,
                               "unable to parse requirement: found '%s', expected: in, notin, "
                               "=, ==, !=, gt, lt",
                               tok_text(t, l->buf));
        }
        if (*after != T_END && *after != T_COMMA)
                return pc_fail(err, 0,
                               "unable to parse requirement: found '%s', expected: ',' or 'end "
                               "of string'",
                               tok_text(*after, l->buf));
        return 0;
}

int pc_selector_parse(const char *text, struct pc_selector **out, pc_error *err)
{
        struct pc_selector *sel = pc_xcalloc(1, sizeof(*sel));
        struct lex l = {.p = text};
        const char *p = text;
        while (isspace((unsigned char)*p))
                p++;
        if (*p) {
                for (;;) {
                        sel->v = pc_xrealloc(sel->v, (sel->n + 1) * sizeof(struct req));
                        memset(&sel->v[sel->n], 0, sizeof(struct req));
                        enum tok after;
                        int r = parse_req(&l, &sel->v[sel->n++], &after, err);
                        if (r < 0) {
                                pc_selector_free(sel);
                                return -1;
                        }
                        if (after == T_END)
                                break;
                }
        }
        *out = sel;
        return 0;
}

static bool has_value(char **values, const char *v)
{
        for (size_t i = 0; values[i]; i++)
                if (!strcmp(values[i], v))
                        return true;
        return false;
}

bool pc_selector_match(const struct pc_selector *sel, json_t *labels)
{
        for (size_t i = 0; i < sel->n; i++) {
                const struct req *r = &sel->v[i];
                json_t *jv = json_object_get(labels, r->key);
                const char *v = json_string_value(jv);
                bool ok;
                switch (r->op) {
                case OP_EQ:
                case OP_IN:
                        ok = v && has_value(r->values, v);
                        break;
                case OP_NE:
                case OP_NOTIN:
                        ok = !v || !has_value(r->values, v);
                        break;
                case OP_EXISTS:
                        ok = v != NULL;
                        break;
                case OP_NOT_EXISTS:
                        ok = v == NULL;
                        break;
                default: { /* Gt, Lt: both sides integers */
                        char *end;
                        long long a = v ? strtoll(v, &end, 10) : 0;
                        long long b = strtoll(r->values[0], NULL, 10);
                        ok = v && *v && !*end && (r->op == OP_GT ? a > b : a < b);
                }
                }
                if (!ok)
                        return false;
        }
        return true;
}
