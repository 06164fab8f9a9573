/* podctl-probe: one attempt of an HTTPS httpGet probe or hook, or of a gRPC
 * probe, run by the monitor's probe child (already in the Pod's network
 * namespace) so that the monitor itself links no TLS, HTTP/2 or protobuf
 * library (each monitor's memory stays small; docs/PERFORMANCE.md).
 *
 *   podctl-probe http [--hook] --url URL [--host-header H] [--first-host H]
 *                     [--hops N] [--timeout S] [-H NAME VALUE]...
 *   podctl-probe grpc --host H --port P [--service S] [--timeout S]
 *
 * The reason goes to stdout and the exit status says the outcome, as
 * src/monitor/probe.h describes: 0 success, 1 failure, 3 success with a
 * warning, 2 bad usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/probe_grpc.h"
#include "monitor/probe_http.h"
#include "monitor/probe_tls.h"
#include "spec/spec.h"

#define UA_PROBE     "kube-probe/1.31"
#define UA_LIFECYCLE "kube-lifecycle/1.31"

static int usage(void)
{
        fprintf(stderr, "usage: podctl-probe http [--hook] --url URL [--host-header H] "
                        "[--first-host H] [--hops N] [--timeout S] [-H NAME VALUE]...\n"
                        "       podctl-probe grpc --host H --port P [--service S] "
                        "[--timeout S]\n");
        return 2;
}

int main(int argc, char **argv)
{
        if (argc < 2)
                return usage();
        const char *mode = argv[1];
        struct pc_http_get g;
        memset(&g, 0, sizeof(g));
        struct pc_kv *headers = calloc((size_t)argc, sizeof(*headers));
        size_t nh = 0;
        bool hook = false;
        const char *host = NULL, *service = "";
        int port = 0, timeout = 0;
        if (!headers)
                return 1;
        for (int i = 2; i < argc; i++) {
                const char *a = argv[i];
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (!strcmp(a, "--hook")) {
                        hook = true;
                        continue;
                }
                if (!v)
                        return usage();
                i++;
                if (!strcmp(a, "--url"))
                        snprintf(g.url, sizeof(g.url), "%s", v);
                else if (!strcmp(a, "--host-header"))
                        snprintf(g.host_header, sizeof(g.host_header), "%s", v);
                else if (!strcmp(a, "--first-host"))
                        snprintf(g.first_host, sizeof(g.first_host), "%s", v);
                else if (!strcmp(a, "--hops"))
                        g.hops = atoi(v);
                else if (!strcmp(a, "--timeout"))
                        timeout = atoi(v);
                else if (!strcmp(a, "--host"))
                        host = v;
                else if (!strcmp(a, "--port"))
                        port = atoi(v);
                else if (!strcmp(a, "--service"))
                        service = v;
                else if (!strcmp(a, "-H") && i + 1 < argc) {
                        headers[nh].name = (char *)v;
                        headers[nh++].value = argv[++i];
                } else
                        return usage();
        }
        int rc;
        if (!strcmp(mode, "http") && *g.url) {
                g.headers = headers;
                g.n_headers = nh;
                g.user_agent = hook ? UA_LIFECYCLE : UA_PROBE;
                g.timeout_s = timeout;
                g.tls = &pc_probe_openssl;
                rc = pc_http_handler(&g, hook, 1);
                if (rc < 0)
                        rc = 1; /* cannot happen with a TLS client */
        } else if (!strcmp(mode, "grpc") && host && port > 0) {
                rc = pc_grpc_check(host, port, service, timeout, 1);
        } else {
                rc = usage();
        }
        free(headers);
        return rc;
}
