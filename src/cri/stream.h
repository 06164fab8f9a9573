/* The CRI streaming server: what the URLs of Exec, Attach and PortForward
 * point to. The kubelet (and crictl) connect to the URL with an HTTP/1.1
 * upgrade to SPDY/3.1 and speak Kubernetes' channel protocols on it:
 * remotecommand v4 (v1-v3 accepted) for exec, portforward.k8s.io for port
 * forwarding (docs/CRI.md, "Streaming").
 *
 * Bound to 127.0.0.1 on an ephemeral port (or the configured one). Each URL
 * carries a one-time token (128 random bits) that expires after
 * PC_STREAM_TOKEN_TTL seconds unused, as the kubelet's streaming server's
 * token cache. One thread per connection. */
#ifndef PODCTL_CRI_STREAM_H
#define PODCTL_CRI_STREAM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

#define PC_STREAM_TOKEN_TTL 60

enum pc_stream_kind { PC_STREAM_EXEC, PC_STREAM_ATTACH, PC_STREAM_PORTFORWARD };

/* What a URL stands for; owned by the server once registered. */
/* ports of one WebSocket port-forward session */
#define PC_STREAM_MAX_PORTS 32

struct pc_stream_req {
        enum pc_stream_kind kind;
        /* exec: the command, in container `container` of Pod ns/pod of the
         * podctl root `root`; attach: that container's own stdio */
        char *root, *ns, *pod, *container;
        char **argv; /* NULL-terminated */
        bool tty, in, out, err;
        /* port forward: the sandbox's network namespace, held by its pause
         * (pid and start time, checked at connect time), and its name for
         * messages */
        pid_t pause_pid;
        uint64_t pause_start;
        char *sandbox_id;
        /* the CRI request's ports (WebSocket port forwarding takes them) */
        int ports[PC_STREAM_MAX_PORTS];
        size_t n_ports;
};

struct pc_stream_server;

/* Listen on addr ("127.0.0.1:0" when NULL) and serve in a thread. */
int pc_stream_start(const char *addr, struct pc_stream_server **out, pc_error *err);
void pc_stream_stop(struct pc_stream_server *s);
/* Register req (taken over, even on failure) and return its URL,
 * "http://127.0.0.1:PORT/<kind>/<token>". */
int pc_stream_url(struct pc_stream_server *s, struct pc_stream_req *req, char **url, pc_error *err);
void pc_stream_req_free(struct pc_stream_req *r);

#endif
