/* gRPC probes (probe_grpc.c): grpc.health.v1.Health/Check over HTTP/2
 * without TLS (h2c), as the kubelet's prober calls it; HTTP/2 and HPACK from
 * libnghttp2, the messages from protobuf-c code generated from health.proto.
 * Linked by the podctl-probe helper only. */
#ifndef PODCTL_MONITOR_PROBE_GRPC_H
#define PODCTL_MONITOR_PROBE_GRPC_H

/* One Check of `service` at host:port; the reason goes to wfd in the
 * kubelet's words. Returns the exit status of probe.h: 0 SERVING, 1 not. */
int pc_grpc_check(const char *host, int port, const char *service, int timeout_s, int wfd);

#endif
