/* Pod networking through CNI plugins (CNI spec 1.0.0, results 0.4.0/1.0.0).
 *
 * podctl runs the plugins of one network configuration list (a .conflist, or a
 * single-plugin .conf) for a Pod's sandbox, the way kubelet's CRI runtimes do
 * through libcni: ADD runs every plugin in order, chaining prevResult; DEL runs
 * them in reverse order. Plugins are exec'd directly (no shell) with the CNI_*
 * environment and the network config on stdin.
 *
 * The result of a successful ADD is cached in cache_dir (one file per
 * container id, with the exact config that was used), so a DEL from another
 * process (the CLI after a monitor crash) passes the same config, ports and
 * prevResult. */
#ifndef PODCTL_NET_NET_H
#define PODCTL_NET_NET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Where to find things. Any NULL field takes its default. */
struct pc_net_config {
        const char *conf_dir;    /* podctl's own, e.g. <root>/cni/net.d; when it holds no
                                    .conflist/.conf, /etc/cni/net.d is read instead */
        const char *plugin_path; /* ':'-separated; default "/usr/lib/cni:/opt/cni/bin" */
        const char *cache_dir;   /* e.g. <root>/cni/cache; default /var/lib/cni/podctl */
};

/* The sandbox being attached. */
struct pc_net_pod {
        const char *container_id; /* required: the sandbox id, 64 hex, stable for the Pod */
        const char *netns_path;   /* /proc/<pause pid>/ns/net; for DEL may be NULL or dead */
        const char *namespace;    /* K8S_POD_NAMESPACE (NULL: omitted; DEL: from the cache) */
        const char *name;         /* K8S_POD_NAME */
        const char *uid;          /* K8S_POD_UID */
        /* DEL only: the caller ends the namespace right after DEL (kills
         * the last process in it), so the native default network leaves
         * the veth pair to die with it instead of deleting it (a synchronous
         * veth delete costs 10-25 ms; docs/PERFORMANCE.md). false: deleted. */
        bool netns_ends;
};

/* One hostPort (runtimeConfig.portMappings). protocol "TCP"/"UDP"/"SCTP" (any
 * case; NULL = tcp); host_ip NULL or "" = every address. */
struct pc_net_port {
        int32_t host_port, container_port;
        const char *protocol;
        const char *host_ip;
};

/* What ADD gave. */
struct pc_net_attachment {
        char *ip;           /* the Pod IP: first IPv4 of the result (else first IP), no prefix */
        char *gateway;      /* its gateway, or NULL */
        char *network_name; /* "name" of the config list used */
        char *interface;    /* "eth0" */
        json_t *result;     /* the final CNI result (owned) */
};

#define PC_NET_IFNAME "eth0"

/* Install podctl's default conflist (<conf_dir>/10-podctl.conflist: bridge
 * "podctl0", isGateway, ipMasq, host-local IPAM on 10.88.0.0/16, then portmap
 * with capabilities {"portMappings": true}) unless conf_dir already holds a
 * .conflist/.conf/.json. Creates conf_dir. */
int pc_net_ensure_default(const struct pc_net_config *cfg, pc_error *err);

/* The kubelet's pod CIDR (CRI UpdateRuntimeConfig): podctl's network of
 * cfg (the default conflist, or one written here before) becomes network
 * PC_NET_CIDR_NAME on bridge PC_NET_CIDR_BRIDGE with that range, for the
 * sandboxes made from now on (sandboxes keep the network they were given).
 * A directory holding a user's own configuration is left alone (*applied
 * false), as is an empty cidrs. IPv4 only: an IPv6 range is refused. */
#define PC_NET_CIDR_NAME   "podctl-cri"
#define PC_NET_CIDR_BRIDGE "podctl-cri0"
int pc_net_set_pod_cidr(const struct pc_net_config *cfg, const char *cidrs, bool *applied,
                        pc_error *err);

/* CNI ADD for a sandbox: ifname eth0; CNI_ARGS IgnoreUnknown=1;
 * K8S_POD_NAMESPACE; K8S_POD_NAME; K8S_POD_INFRA_CONTAINER_ID; K8S_POD_UID;
 * runtimeConfig.portMappings from ports (for plugins with that capability).
 * On failure runs DEL for what was added (so nothing is left: no veth, no
 * lease, no iptables rule) and returns the failing plugin's error:
 * `network "podctl": plugin "bridge": <msg>: <details>`. *out is zeroed first;
 * free it with pc_net_attachment_free. */
int pc_net_add(const struct pc_net_config *cfg, const struct pc_net_pod *pod,
               const struct pc_net_port *ports, size_t n_ports, struct pc_net_attachment *out,
               pc_error *err);

/* CNI DEL, plugins in reverse order, with the config, ports, CNI_ARGS and
 * prevResult cached at ADD (or, without a cache file, the current config and
 * no prevResult). Tolerates a netns that is NULL or gone (then also removes
 * what the bridge plugin cannot: its ipMasq rule). Idempotent: a second DEL
 * succeeds. Removes the cache file on success. Call it while the pause process
 * still lives when possible. */
int pc_net_del(const struct pc_net_config *cfg, const struct pc_net_pod *pod, pc_error *err);

/* Read the cached attachment of a container id (for status after a restart of
 * the monitor). Returns 1 and fills *out when found, 0 when not cached. */
int pc_net_cached(const struct pc_net_config *cfg, const char *container_id,
                  struct pc_net_attachment *out, pc_error *err);

void pc_net_attachment_free(struct pc_net_attachment *a);

#endif
