/* The CRI server (runtime.v1 RuntimeService + ImageService) over libpodctl:
 * what `podctl serve` runs. See docs/CRI.md. */
#ifndef PODCTL_CRI_CRI_H
#define PODCTL_CRI_CRI_H

#include "util/error.h"

struct pc_cri_opts {
        const char *root;    /* podctl root (NULL: default); CRI sandboxes live in <root>/cri */
        const char *log_dir; /* NULL: default */
        const char *listen;  /* unix socket path (NULL: PC_CRI_DEFAULT_SOCKET) */
        const char *stream_address; /* the streaming server's IPv4 HOST:PORT (NULL:
                                       127.0.0.1 and an ephemeral port) */
};

#define PC_CRI_DEFAULT_SOCKET "/run/podctl/podctl.sock"

/* Listen (mode 0660) and serve until SIGTERM or SIGINT. A socket file left
 * by a server that is gone is replaced; one that answers is refused
 * (EADDRINUSE). */
int pc_cri_serve(const struct pc_cri_opts *o, pc_error *err);

#endif
