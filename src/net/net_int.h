/* Internals of the network module shared by its files. */
#ifndef PODCTL_NET_NET_INT_H
#define PODCTL_NET_NET_INT_H

#include <stddef.h>

#include "util/error.h"
#include "util/run.h"

#define PC_NET_DEFAULT_PLUGIN_PATH "/usr/lib/cni:/opt/cni/bin"
#define PC_NET_DEFAULT_CONF_DIR    "/etc/cni/net.d"
#define PC_NET_DEFAULT_CACHE_DIR   "/var/lib/cni/podctl"
#define PC_NET_EXEC_TIMEOUT_MS     (120 * 1000)

#endif
