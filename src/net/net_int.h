/* Internals of the network module shared by its files. */
#ifndef PODCTL_NET_NET_INT_H
#define PODCTL_NET_NET_INT_H

#include <stddef.h>

#include "util/error.h"

#define PC_NET_DEFAULT_PLUGIN_PATH "/usr/lib/cni:/opt/cni/bin"
#define PC_NET_DEFAULT_CONF_DIR    "/etc/cni/net.d"
#define PC_NET_DEFAULT_CACHE_DIR   "/var/lib/cni/podctl"
#define PC_NET_EXEC_TIMEOUT_MS     (120 * 1000)

/* Path of executable `name` in the ':'-separated `path`, or NULL. */
char *pc_net_find_exec(const char *path, const char *name);

/* Run `argv[0]` (an absolute path) with envp, `input` on its stdin, until it
 * exits (SIGKILL after timeout_ms). Its whole stdout and stderr are returned
 * NUL-terminated in *out / *errout; *status is the waitpid status. -1 only when
 * it could not be run or timed out. */
int pc_net_exec(char *const argv[], char *const envp[], const char *input, size_t in_len,
                int timeout_ms, char **out, char **errout, int *status, pc_error *err);

#endif
