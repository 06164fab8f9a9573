/* YAML (and JSON, which is YAML) text -> jansson trees with source positions,
 * and jansson -> kubectl-style YAML. Both on top of libyaml. */
#include "spec/spec_int.h"
#include "util/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH PC_MANIFEST_MAX_DEPTH

/* ---- paths -------------------------------------------------------------- */

static bool simple_key(const char *k)
{
        if (!*k || !(isalpha((unsigned char)*k) || *k == '_'))
                return false;
        for (; *k; k++)
                if (!isalnum((unsigned char)*k) && *k != '_' && *k != '-')
                        return false;
        return true;
}

char *pc_path_key(const char *parent, const char *key)
{
        if (!simple_key(key))
                return pc_xasprintf("%s[%s]", parent, key);
        if (!*parent)
                return pc_xstrdup(key);
        return pc_xasprintf("%s.%s", parent, key);
}

char *pc_path_index(const char *parent, size_t i)
{
        return pc_xasprintf("%s[%zu]", parent, i);
}

/* ---- scalar resolution (YAML 1.2 core schema, as JSON-compatible) ------- */

static bool is_null_word(const char *s)
{
        return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
               !strcmp(s, "NULL");
}

static int bool_word(const char *s)
{
        if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
                return 1;
        if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
                return 0;
        return -1;
}

static bool all_digits(const char *s, const char *set)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!strchr(set, *s))
                        return false;
        return true;
}

static bool is_int_word(const char *s)
{
        if (!strncmp(s, "0o", 2))
                return all_digits(s + 2, "01234567");
        if (!strncmp(s, "0x", 2))
                return all_digits(s + 2, "0123456789abcdefABCDEF");
        if (*s == '-' || *s == '+')
                s++;
        return all_digits(s, "0123456789");
}

static bool is_float_word(const char *s)
{
        bool digits = false;
        if (*s == '-' || *s == '+')
                s++;
        if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF"))
                return true;
        while (isdigit((unsigned char)*s)) {
                s++;
                digits = true;
        }
        if (*s == '.') {
                s++;
                while (isdigit((unsigned char)*s)) {
                        s++;
                        digits = true;
                }
        }
        if (!digits)
                return false;
        if (*s == 'e' || *s == 'E') {
                s++;
                if (*s == '-' || *s == '+')
                        s++;
                if (!isdigit((unsigned char)*s))
                        return false;
                while (isdigit((unsigned char)*s))
                        s++;
        }
        return *s == 0;
}

static bool legacy_octal(const char *s)
{
        if (*s == '-' || *s == '+')
                s++;
        return s[0] == '0' && s[1] && all_digits(s + 1, "01234567");
}

bool pc_yaml_plain_is_special(const char *s)
{
        return is_null_word(s) || bool_word(s) >= 0 || is_int_word(s) || is_float_word(s) ||
               !strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN");
}

/* Returns a new reference, or NULL with *why set. */
static json_t *resolve_plain(const char *s, const char **why)
{
        int b;
        if (is_null_word(s))
                return json_null();
        if ((b = bool_word(s)) >= 0)
                return json_boolean(b);
        if (is_int_word(s)) {
                const char *d = s;
                int base = 10;
                if (!strncmp(s, "0o", 2)) {
                        d = s + 2;
                        base = 8;
                } else if (!strncmp(s, "0x", 2)) {
                        d = s + 2;
                        base = 16;
                } else if (legacy_octal(s)) {
                        /* YAML 1.1, as Kubernetes reads it: defaultMode: 0644 */
                        base = 8;
                }
                errno = 0;
                long long v = strtoll(d, NULL, base);
                if (errno == 0)
                        return json_integer(v);
                /* too large for int64: a float, as JSON numbers are */
        }
        if (is_float_word(s) || is_int_word(s)) {
                double v = strtod(s, NULL);
                json_t *r = json_real(v);
                if (!r)
                        *why = "infinite or NaN numbers cannot be represented in JSON";
                return r;
        }
        return json_string(s);
}

/* ---- parser ------------------------------------------------------------- */

struct parser {
        yaml_parser_t p;
        const char *file;
        const char *text;
        size_t len;
        struct pc_diags *diags;
        json_t *pos;
        int depth;
        size_t nodes;      /* in all documents */
        size_t path_bytes; /* of the paths recorded in pos */
        bool failed;
};

static void perr(struct parser *ps, yaml_mark_t m, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void perr(struct parser *ps, yaml_mark_t m, const char *path, const char *fmt, ...)
{
        va_list ap;
        _cleanup_free_ char *msg = NULL;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                abort();
        va_end(ap);
        pc_diag_add(ps->diags, PC_DIAG_ERROR, ps->file, (int)m.line + 1, (int)m.column + 1, path,
                    "%s", msg);
        ps->failed = true;
}

static int next_event(struct parser *ps, yaml_event_t *ev)
{
        if (yaml_parser_parse(&ps->p, ev))
                return 0;
        const char *problem = ps->p.problem ? ps->p.problem : "invalid YAML";
        yaml_mark_t m = ps->p.problem_mark;
        if (ps->p.error == YAML_READER_ERROR) {
                /* the reader reports a byte offset only */
                size_t off = ps->p.problem_offset < ps->len ? ps->p.problem_offset : ps->len;
                m.line = 0;
                m.column = 0;
                for (size_t i = 0; i < off; i++) {
                        if (ps->text[i] == '\n') {
                                m.line++;
                                m.column = 0;
                        } else if (((unsigned char)ps->text[i] & 0xc0) != 0x80) {
                                m.column++;
                        }
                }
                perr(ps, m, "", "%s", problem);
        } else {
                perr(ps, m, "", "%s", problem);
        }
        return -1;
}

static void record_pos(struct parser *ps, const char *path, int kl, int kc, yaml_mark_t n)
{
        ps->path_bytes += strlen(path) + 1;
        json_object_set_new(ps->pos, path,
                            json_pack("[iiii]", kl, kc, (int)n.line + 1, (int)n.column + 1));
}

/* Every node counts against the manifest's limits (spec.h); -1 with an
 * error at the node when one is exceeded. */
static int count_node(struct parser *ps, yaml_mark_t m, const char *path)
{
        if (++ps->nodes > PC_MANIFEST_MAX_NODES) {
                perr(ps, m, path, "too many YAML nodes: the limit is %d in a manifest",
                     PC_MANIFEST_MAX_NODES);
                return -1;
        }
        if (ps->path_bytes + strlen(path) > PC_MANIFEST_MAX_PATH_BYTES) {
                perr(ps, m, path,
                     "too large: the field paths of its nested keys exceed %d bytes "
                     "(too much nesting of long keys)",
                     PC_MANIFEST_MAX_PATH_BYTES);
                return -1;
        }
        return 0;
}

static int parse_node(struct parser *ps, yaml_event_t *ev, const char *path, int kl, int kc,
                      json_t **out);

static int parse_seq(struct parser *ps, const char *path, json_t *arr)
{
        for (size_t i = 0;; i++) {
                yaml_event_t ev;
                json_t *child = NULL;
                if (next_event(ps, &ev) < 0)
                        return -1;
                if (ev.type == YAML_SEQUENCE_END_EVENT) {
                        yaml_event_delete(&ev);
                        return 0;
                }
                _cleanup_free_ char *cp = pc_path_index(path, i);
                int r = parse_node(ps, &ev, cp, 0, 0, &child);
                if (r < 0)
                        return -1;
                json_array_append_new(arr, child);
        }
}

static int parse_map(struct parser *ps, const char *path, json_t *obj)
{
        for (;;) {
                yaml_event_t ev;
                json_t *child = NULL;
                if (next_event(ps, &ev) < 0)
                        return -1;
                if (ev.type == YAML_MAPPING_END_EVENT) {
                        yaml_event_delete(&ev);
                        return 0;
                }
                yaml_mark_t km = ev.start_mark;
                if (ev.type != YAML_SCALAR_EVENT) {
                        perr(ps, km, path, "mapping keys must be strings");
                        yaml_event_delete(&ev);
                        return -1;
                }
                _cleanup_free_ char *key = NULL;
                if (memchr(ev.data.scalar.value, 0, ev.data.scalar.length)) {
                        perr(ps, km, path, "mapping key contains a NUL character");
                        yaml_event_delete(&ev);
                        return -1;
                }
                if (ev.data.scalar.length > PC_MANIFEST_MAX_KEY) {
                        perr(ps, km, path, "mapping key longer than %d bytes", PC_MANIFEST_MAX_KEY);
                        yaml_event_delete(&ev);
                        return -1;
                }
                key = pc_xstrdup((const char *)ev.data.scalar.value);
                yaml_event_delete(&ev);
                _cleanup_free_ char *cp = pc_path_key(path, key);
                bool dup = json_object_get(obj, key) != NULL;
                if (dup)
                        perr(ps, km, cp, "duplicate key \"%s\"", key);
                if (next_event(ps, &ev) < 0)
                        return -1;
                if (parse_node(ps, &ev, dup ? "\x01" : cp, (int)km.line + 1, (int)km.column + 1,
                               &child) < 0)
                        return -1;
                if (dup || !json_is_object(obj))
                        json_decref(child);
                else
                        json_object_set_new(obj, key, child);
        }
}

/* Consumes ev. */
static int parse_node(struct parser *ps, yaml_event_t *ev, const char *path, int kl, int kc,
                      json_t **out)
{
        yaml_mark_t m = ev->start_mark;
        int r = 0;

        *out = NULL;
        if (ev->type != YAML_ALIAS_EVENT && count_node(ps, m, path) < 0) {
                yaml_event_delete(ev);
                return -1;
        }
        switch (ev->type) {
        case YAML_ALIAS_EVENT:
                perr(ps, m, path, "YAML aliases (*%s) are not supported",
                     (const char *)ev->data.alias.anchor);
                yaml_event_delete(ev);
                return -1;
        case YAML_SCALAR_EVENT: {
                const char *v = (const char *)ev->data.scalar.value;
                size_t n = ev->data.scalar.length;
                const char *tag = (const char *)ev->data.scalar.tag;
                const char *why = "invalid UTF-8";
                if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                    (!tag || strcmp(tag, YAML_STR_TAG) != 0) && !memchr(v, 0, n))
                        *out = resolve_plain(v, &why);
                else
                        *out = json_stringn(v, n);
                if (!*out) {
                        perr(ps, m, path, "%s", why);
                        *out = json_null();
                }
                break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
                bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
                if (ps->depth >= MAX_DEPTH) {
                        perr(ps, m, path, "nesting deeper than %d levels", MAX_DEPTH);
                        yaml_event_delete(ev);
                        return -1;
                }
                *out = seq ? json_array() : json_object();
                ps->depth++;
                record_pos(ps, path, kl, kc, m);
                r = seq ? parse_seq(ps, path, *out) : parse_map(ps, path, *out);
                ps->depth--;
                yaml_event_delete(ev);
                if (r < 0) {
                        json_decref(*out);
                        *out = NULL;
                }
                return r;
        }
        default:
                perr(ps, m, path, "unexpected YAML event");
                yaml_event_delete(ev);
                return -1;
        }
        record_pos(ps, path, kl, kc, m);
        yaml_event_delete(ev);
        return 0;
}

void pc_docs_free(struct pc_docs *docs)
{
        for (size_t i = 0; i < docs->n; i++) {
                json_decref(docs->v[i].root);
                json_decref(docs->v[i].pos);
        }
        free(docs->v);
        docs->v = NULL;
        docs->n = 0;
}

int pc_yaml_parse(const char *file, const char *text, size_t len, struct pc_docs *docs,
                  struct pc_diags *diags)
{
        struct parser ps = {.file = file, .text = text, .len = len, .diags = diags};
        yaml_event_t ev;
        int r = 0;

        docs->v = NULL;
        docs->n = 0;
        if (len > PC_MANIFEST_MAX_BYTES) {
                pc_diag_add(diags, PC_DIAG_ERROR, file, 1, 1, "",
                            "the manifest is %zu bytes: the limit is %d", len,
                            PC_MANIFEST_MAX_BYTES);
                return -1;
        }
        size_t ndocs = 0;
        if (!yaml_parser_initialize(&ps.p))
                abort();
        yaml_parser_set_input_string(&ps.p, (const unsigned char *)text, len);
        for (;;) {
                if (next_event(&ps, &ev) < 0) {
                        r = -1;
                        break;
                }
                yaml_event_type_t t = ev.type;
                yaml_mark_t dm = ev.start_mark;
                yaml_event_delete(&ev);
                if (t == YAML_STREAM_END_EVENT)
                        break;
                if (t != YAML_DOCUMENT_START_EVENT)
                        continue; /* STREAM_START */
                if (++ndocs > PC_MANIFEST_MAX_DOCUMENTS) {
                        perr(&ps, dm, "", "too many YAML documents: the limit is %d in a manifest",
                             PC_MANIFEST_MAX_DOCUMENTS);
                        r = -1;
                        break;
                }
                json_t *root = NULL;
                ps.pos = json_object();
                if (next_event(&ps, &ev) < 0 || parse_node(&ps, &ev, "", 0, 0, &root) < 0 ||
                    next_event(&ps, &ev) < 0) {
                        json_decref(root);
                        json_decref(ps.pos);
                        r = -1;
                        break;
                }
                yaml_event_delete(&ev); /* DOCUMENT_END */
                if (json_is_null(root)) {
                        json_decref(root);
                        json_decref(ps.pos);
                        continue;
                }
                docs->v = pc_xrealloc(docs->v, (docs->n + 1) * sizeof(*docs->v));
                docs->v[docs->n++] = (struct pc_doc){
                    .root = root,
                    .pos = ps.pos,
                    .line = (int)dm.line + 1,
                    .column = (int)dm.column + 1,
                };
        }
        yaml_parser_delete(&ps.p);
        if (ps.failed)
                r = -1;
        if (r < 0)
                pc_docs_free(docs);
        return r;
}

/* ---- emitter ------------------------------------------------------------ */

static int emit(yaml_emitter_t *e, yaml_event_t *ev)
{
        return yaml_emitter_emit(e, ev) ? 0 : -1;
}

static int emit_scalar(yaml_emitter_t *e, const char *s, size_t n, yaml_scalar_style_t style)
{
        yaml_event_t ev;
        if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)n, 1, 1, style))
                return -1;
        return emit(e, &ev);
}

/* YAML 1.1 booleans: plain strings for us, but booleans for YAML 1.1 readers
 * (go-yaml v2, which kubectl uses): quote them so both agree. */
static bool yaml11_word(const char *s)
{
        static const char *const words[] = {"y",  "Y",  "yes", "Yes", "YES", "n",   "N",   "no",
                                            "No", "NO", "on",  "On",  "ON",  "off", "Off", "OFF"};
        for (size_t i = 0; i < PC_ARRAY_SIZE(words); i++)
                if (!strcmp(s, words[i]))
                        return true;
        return false;
}

static int emit_string(yaml_emitter_t *e, const char *s, size_t n)
{
        yaml_scalar_style_t st = YAML_PLAIN_SCALAR_STYLE;
        if (memchr(s, 0, n) || pc_yaml_plain_is_special(s) || yaml11_word(s))
                st = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        else if (memchr(s, '\n', n))
                st = YAML_LITERAL_SCALAR_STYLE;
        /* libyaml itself falls back to a quoted style when plain is not
         * possible (": ", leading "-", "#", ...). */
        return emit_scalar(e, s, n, st);
}

static int emit_node(yaml_emitter_t *e, json_t *v)
{
        yaml_event_t ev;
        char buf[64];

        switch (json_typeof(v)) {
        case JSON_OBJECT: {
                const char *k;
                json_t *c;
                bool empty = json_object_size(v) == 0;
                if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                                         empty ? YAML_FLOW_MAPPING_STYLE
                                                               : YAML_BLOCK_MAPPING_STYLE) ||
                    emit(e, &ev) < 0)
                        return -1;
                json_object_foreach(v, k, c)
                {
                        if (emit_string(e, k, strlen(k)) < 0 || emit_node(e, c) < 0)
                                return -1;
                }
                if (!yaml_mapping_end_event_initialize(&ev))
                        return -1;
                return emit(e, &ev);
        }
        case JSON_ARRAY: {
                size_t i;
                json_t *c;
                bool empty = json_array_size(v) == 0;
                if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                                          empty ? YAML_FLOW_SEQUENCE_STYLE
                                                                : YAML_BLOCK_SEQUENCE_STYLE) ||
                    emit(e, &ev) < 0)
                        return -1;
                json_array_foreach(v, i, c)
                {
                        if (emit_node(e, c) < 0)
                                return -1;
                }
                if (!yaml_sequence_end_event_initialize(&ev))
                        return -1;
                return emit(e, &ev);
        }
        case JSON_STRING:
                return emit_string(e, json_string_value(v), json_string_length(v));
        case JSON_INTEGER:
                snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                return emit_scalar(e, buf, strlen(buf), YAML_PLAIN_SCALAR_STYLE);
        case JSON_REAL:
                snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
                if (!strpbrk(buf, ".eEn")) /* keep it a float when read back */
                        strcat(buf, ".0");
                return emit_scalar(e, buf, strlen(buf), YAML_PLAIN_SCALAR_STYLE);
        case JSON_TRUE:
                return emit_scalar(e, "true", 4, YAML_PLAIN_SCALAR_STYLE);
        case JSON_FALSE:
                return emit_scalar(e, "false", 5, YAML_PLAIN_SCALAR_STYLE);
        case JSON_NULL:
        default:
                return emit_scalar(e, "null", 4, YAML_PLAIN_SCALAR_STYLE);
        }
}

int pc_yaml_emit(json_t *value, FILE *out, pc_error *err)
{
        yaml_emitter_t e;
        yaml_event_t ev;
        int r = -1;

        if (!yaml_emitter_initialize(&e))
                abort();
        yaml_emitter_set_output_file(&e, out);
        yaml_emitter_set_unicode(&e, 1);
        yaml_emitter_set_width(&e, -1);
        yaml_emitter_set_indent(&e, 2);
        if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || emit(&e, &ev) < 0)
                goto out;
        if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) || emit(&e, &ev) < 0)
                goto out;
        if (emit_node(&e, value) < 0)
                goto out;
        if (!yaml_document_end_event_initialize(&ev, 1) || emit(&e, &ev) < 0)
                goto out;
        if (!yaml_stream_end_event_initialize(&ev) || emit(&e, &ev) < 0)
                goto out;
        if (!yaml_emitter_flush(&e))
                goto out;
        r = 0;
out:
        if (r < 0)
                pc_fail(err, 0, "emit YAML: %s", e.problem ? e.problem : "write error");
        yaml_emitter_delete(&e);
        return r;
}
