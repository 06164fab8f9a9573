/* Kubernetes' env files (KEP-3721, valueFrom.fileKeyRef): lines
 * `NAME='value'`, spaces around `=` and before a line ignored, blank lines
 * and lines starting with `#` ignored, the value single-quoted and taken
 * literally (newlines included); unquoted or double-quoted values,
 * adjacent quoted strings and anything after the closing quote are errors.
 * No syscalls: unit-tested. */
#ifndef PODCTL_SPEC_ENVFILE_H
#define PODCTL_SPEC_ENVFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* The value of `key` in the file's text (the last one when it is declared
 * more than once, as a shell would leave it): 1 with *value set (malloc'd),
 * 0 when the file does not declare it, -1 (EINVAL, the line) when the text
 * is not an env file. */
int pc_envfile_get(const char *text, size_t len, const char *key, char **value, pc_error *err);

#endif
