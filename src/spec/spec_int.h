/* Internal interfaces of the spec module (not for other modules). */
#ifndef PODCTL_SPEC_SPEC_INT_H
#define PODCTL_SPEC_SPEC_INT_H

#include "spec/spec.h"

/* One YAML document: its jansson tree and the source positions of its nodes.
 * pos maps a field path ("spec.containers[0].name", "" for the root) to
 * [key_line, key_col, node_line, node_col] (key_* 0 for the root and for
 * array items). */
struct pc_doc {
        json_t *root;
        json_t *pos;
        int line, column; /* where the document starts */
};

struct pc_docs {
        struct pc_doc *v;
        size_t n;
};

/* Parse YAML/JSON text into documents (empty documents skipped). Syntax
 * errors go to diags (error level) and make it return -1. */
int pc_yaml_parse(const char *file, const char *text, size_t len, struct pc_docs *docs,
                  struct pc_diags *diags);
void pc_docs_free(struct pc_docs *docs);

/* Field path helpers shared by the parser and the validator. */
char *pc_path_key(const char *parent, const char *key);
char *pc_path_index(const char *parent, size_t i);

/* Append a diagnostic (msg is formatted). */
void pc_diag_add(struct pc_diags *d, enum pc_diag_level level, const char *file, int line,
                 int column, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* Does the plain scalar s resolve to something other than a string? */
bool pc_yaml_plain_is_special(const char *s);

/* Strict standard base64 (padding required). Returns -1 when invalid. The
 * result is NUL-terminated (not counted in *len). */
int pc_b64_decode(const char *s, unsigned char **out, size_t *len);
char *pc_b64_encode(const unsigned char *data, size_t len);

/* A quantity given as a JSON string or number. */
int pc_quantity_json(json_t *v, bool milli, int64_t *out);

#endif
