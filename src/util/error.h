/* podctl error convention (see docs/ERRORS.md).
 *
 * A function that can fail returns an int: >= 0 on success, -1 on failure.
 * On failure it has filled the caller's `pc_error` with an errno value (0 when
 * none applies) and a message. Each layer that returns the failure upwards may
 * add context in front with pc_error_prefix(). Only the top level (a CLI verb,
 * the monitor's main loop) prints an error. No allocation happens on the error
 * path, so an error can always be reported.
 */
#ifndef PODCTL_UTIL_ERROR_H
#define PODCTL_UTIL_ERROR_H

#include <stddef.h>

#define PC_ERROR_MSG_MAX 2048

typedef struct pc_error {
        int code;                   /* errno value, or 0 */
        char msg[PC_ERROR_MSG_MAX]; /* human readable, no trailing newline */
} pc_error;

/* Fill *err with msg (printf-style); when errnum != 0 append ": strerror".
 * Always returns -1, so `return pc_fail(err, errno, "open %s", p);`. */
int pc_fail(pc_error *err, int errnum, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Put "context: " in front of the message already in *err. Returns -1. */
int pc_error_prefix(pc_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reset to "no error". */
void pc_error_clear(pc_error *err);

#endif
