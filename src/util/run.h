/* Running a helper program without a shell (util/run.c). */
#ifndef PODCTL_UTIL_RUN_H
#define PODCTL_UTIL_RUN_H

#include <stddef.h>

#include "util/error.h"

/* Path of executable `name` in the ':'-separated `path`, or NULL. */
char *pc_find_exec(const char *path, const char *name);

/* Run `argv[0]` (an absolute path) with envp, `input` on its stdin, until it
 * exits (SIGKILL after timeout_ms). Its whole stdout and stderr are returned
 * NUL-terminated in *out / *errout; *status is the waitpid status. -1 only when
 * it could not be run or timed out. */
int pc_run(char *const argv[], char *const envp[], const char *input, size_t in_len, int timeout_ms,
           char **out, char **errout, int *status, pc_error *err);

#endif
