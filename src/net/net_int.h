/* Internals of the network module shared by its files. */
#ifndef PODCTL_NET_NET_INT_H
#define PODCTL_NET_NET_INT_H

#include <jansson.h>
#include <netinet/in.h>
#include <stddef.h>

#include "net/net.h"
#include "util/error.h"
#include "util/run.h"

#define PC_NET_DEFAULT_PLUGIN_PATH "/usr/lib/cni:/opt/cni/bin"
#define PC_NET_DEFAULT_CONF_DIR    "/etc/cni/net.d"
#define PC_NET_DEFAULT_CACHE_DIR   "/var/lib/cni/podctl"
#define PC_NET_EXEC_TIMEOUT_MS     (120 * 1000)

/* ---- the native default network (native.c, nl.c) ---- */

#define PC_NET_NATIVE_BRIDGE    "podctl0"
#define PC_NET_NATIVE_LEASE_DIR "/var/lib/cni/networks/podctl"
#define PC_NET_NATIVE_RUN_DIR   "/run/podctl/net"

/* ADD of the default network without the plugins; *result is a CNI 1.0.0
 * result of the shape the bridge plugin gives. Rolls back what it did on
 * failure. */
int pc_net_native_add(const struct pc_net_pod *pod, json_t *port_mappings, json_t **result,
                      pc_error *err);
/* DEL: eth0 in the Pod (when netns_path names the live one and the caller
 * does not end it right after: netns_ends), the hostPort
 * rules, the lease (of result's address, or every lease of id). Idempotent. */
int pc_net_native_del(const char *id, const char *netns_path, bool netns_ends, json_t *result,
                      json_t *port_mappings, pc_error *err);

/* rtnetlink (nl.c): a socket, then requests that return 0 or -errno. */
/* out = the CNI plugins' iptables chain name for network NAME, container ID:
 * "CNI-" PREFIX hex(sha512(NAME ID)), 28 characters (FormatChainNameWithPrefix). */
void pc_net_chain_name(const char *name, const char *id, const char *prefix, char out[29]);

int pc_nl_open(pc_error *err);
int pc_nl_bridge_add(int fd, const char *name);
int pc_nl_veth_add(int fd, const char *host, const char *peer, int peer_netns_fd, int master);
int pc_nl_link_up(int fd, int ifindex);
int pc_nl_hairpin(int fd, int ifindex);
int pc_nl_link_del(int fd, const char *name);
int pc_nl_addr_add(int fd, int ifindex, struct in_addr addr, int prefix);
int pc_nl_default_route(int fd, int ifindex, struct in_addr gw);

#endif
