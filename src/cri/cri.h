/* The CRI server (runtime.v1 RuntimeService + ImageService) over libpodctl:
 * what `podctl serve` runs. See docs/CRI.md. */
#ifndef PODCTL_CRI_CRI_H
#define PODCTL_CRI_CRI_H

#include <stdbool.h>

#include "util/error.h"

struct pc_cri_opts {
        const char *root;    /* podctl root (NULL: default); CRI sandboxes live in <root>/cri */
        const char *log_dir; /* NULL: default */
        const char *listen;  /* unix socket path (NULL: PC_CRI_DEFAULT_SOCKET; "": no CRI) */
        /* Static Pods (static.h): their directory, NULL for none; the node name
         * in their names (NULL: the host name). */
        const char *manifests;
        const char *node_name;
        int gc_interval_s;          /* podctl gc every N s (timerfd); 0: never; at start too */
        bool no_recover;            /* skip boot recovery (podctl_pod_recover) at start */
        const char *stream_address; /* the streaming server's IPv4 HOST:PORT (NULL:
                                       127.0.0.1 and an ephemeral port) */
        /* --cgroup-driver systemd: RuntimeConfig says SYSTEMD and a
         * sandbox's cgroup_parent is a slice name ("kubepods-pod1.slice"),
         * nested as systemd nests slices below podctl/cri/ */
        bool systemd_cgroups;
};

#define PC_CRI_DEFAULT_SOCKET "/run/podctl/podctl.sock"

/* Listen (mode 0660) and serve until SIGTERM or SIGINT. A socket file left
 * by a server that is gone is replaced; one that answers is refused
 * (EADDRINUSE). One server per root (<root>/serve.lock, EBUSY). Before
 * serving: boot recovery of the root's Pods, gc, the static Pods; then one
 * event loop (poll) for the socket, the manifest directory's inotify fd and
 * the gc timer. */
int pc_cri_serve(const struct pc_cri_opts *o, pc_error *err);

#endif
