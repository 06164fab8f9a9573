/* kubectl's JSONPath templates (client-go util/jsonpath), as -o jsonpath=,
 * -o custom-columns=, --sort-by and wait --for=jsonpath= take them:
 *   text {.a.b} {.items[*].metadata.name} {.x[0]} {.x[-1]} {.x[1:3]}
 *   {.x[?(@.type=="Ready")].status} {..name} {['key.with.dots']}
 *   {range .items[*]}{.metadata.name}{"\n"}{end}  {$.kind}  {@}
 * No syscalls: unit-tested. */
#ifndef PODCTL_SPEC_JSONPATH_H
#define PODCTL_SPEC_JSONPATH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "util/error.h"

struct pc_jsonpath;

/* Parse a template; EINVAL "error parsing jsonpath TEXT, REASON" (kubectl's
 * words) when it is not one. */
int pc_jsonpath_parse(const char *text, struct pc_jsonpath **out, pc_error *err);
void pc_jsonpath_free(struct pc_jsonpath *jp);

/* Execute against a JSON value, printing as kubectl does: the results of one
 * {action} space-separated; strings bare, other values as compact JSON. A
 * field that is missing prints nothing (allow_missing) or fails with
 * "NAME is not found" (ENOENT). Returns the text, malloc'd. */
int pc_jsonpath_execute(const struct pc_jsonpath *jp, json_t *data, bool allow_missing, char **out,
                        pc_error *err);

/* The values a template's first action selects (borrowed references into
 * data), for --sort-by and wait --for=jsonpath: a NULL-terminated array to free(). */
int pc_jsonpath_values(const struct pc_jsonpath *jp, json_t *data, json_t ***out, size_t *n,
                       pc_error *err);

/* kubectl's relaxed form: "{.a.b}" as given, ".a.b" or "a.b" wrapped in
 * braces. Returns a malloc'd template. */
char *pc_jsonpath_relaxed(const char *expr);

#endif
