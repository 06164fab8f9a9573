/* A thin gRPC server over HTTP/2 (libnghttp2) on a listening socket: unary
 * RPCs only (no compression; one message per request, at most 16 MiB).
 * HTTP/2 framing is nghttp2's; this layer adds what gRPC puts on top of it
 * (the 5-byte message prefix, content-type, grpc-status/grpc-message
 * trailers), per grpc's PROTOCOL-HTTP2.md. Messages are opaque bytes here:
 * the CRI layer (service.c) decodes them with protobuf-c.
 *
 * Every connection has a thread running its HTTP/2 session; every request
 * runs on a thread of its own, so a slow RunPodSandbox never holds up a
 * ListPodSandbox on the same connection (the kubelet multiplexes all its
 * calls over one). */
#ifndef PODCTL_CRI_GRPC_H
#define PODCTL_CRI_GRPC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* gRPC status codes (grpc/include/grpc/impl/codegen/status.h). */
enum pc_grpc_code {
        PC_GRPC_OK = 0,
        PC_GRPC_UNKNOWN = 2,
        PC_GRPC_INVALID_ARGUMENT = 3,
        PC_GRPC_DEADLINE_EXCEEDED = 4,
        PC_GRPC_NOT_FOUND = 5,
        PC_GRPC_ALREADY_EXISTS = 6,
        PC_GRPC_RESOURCE_EXHAUSTED = 8,
        PC_GRPC_FAILED_PRECONDITION = 9,
        PC_GRPC_UNIMPLEMENTED = 12,
        PC_GRPC_INTERNAL = 13,
        PC_GRPC_UNAVAILABLE = 14,
};

#define PC_GRPC_MAX_MESSAGE (16u << 20)

/* What a handler answers: status OK with body (owned, malloc'd; may be NULL
 * for an empty message), or another status with a message. */
struct pc_grpc_reply {
        int status;
        char message[512];
        uint8_t *body;
        size_t len;
        void *call; /* the transport's (pc_grpc_send) */
};

/* Server streaming: send one message of the response now (a handler of a
 * `returns (stream ...)` method calls it any number of times, then returns
 * with its final status; body is left unset). 0 sent (queued), -1 the client
 * has gone (cancelled the call or closed the connection): stop. */
int pc_grpc_send(struct pc_grpc_reply *out, const void *msg, size_t len);
/* Whether the client has gone (without sending anything). */
bool pc_grpc_cancelled(const struct pc_grpc_reply *out);

/* Called on a request's own thread with the method path
 * ("/runtime.v1.RuntimeService/Version") and the request message. */
typedef void (*pc_grpc_handler)(void *data, const char *path, const uint8_t *req, size_t len,
                                struct pc_grpc_reply *out);

/* Accept connections on listen_fd until *stop is set (checked at least every
 * 200 ms) or accept fails for good. Requests in flight when it returns are
 * abandoned with the process (the server keeps no state of its own). */
int pc_grpc_serve(int listen_fd, pc_grpc_handler h, void *data, volatile sig_atomic_t *stop,
                  pc_error *err);

/* Accept one connection waiting on listen_fd (poll says it is readable)
 * and serve it on a thread of its own; for a caller with its own event loop
 * (src/cri/service.c). -1 only when accept fails for good. */
int pc_grpc_accept(int listen_fd, pc_grpc_handler h, void *data, pc_error *err);

/* Fill out with status code and a printf message. */
void pc_grpc_fail(struct pc_grpc_reply *out, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
