/* The default network ("podctl": bridge podctl0, 10.88.0.0/16) set up
 * natively, without exec'ing the CNI plugins: what the bridge, host-local,
 * portmap and firewall plugins of the default conflist would do, in-process.
 *
 * - links, addresses, routes by rtnetlink (nl.c);
 * - IP leases in host-local's own store and format
 *   (/var/lib/cni/networks/podctl/<ip> holding "<id>\r\n<ifname>",
 *   last_reserved_ip.0, flock on its "lock" file), so host-local, gc and the
 *   people who read that directory see the same leases;
 * - hostPorts as portmap writes them (a CNI-DN-<hash> chain per Pod jumped
 *   from CNI-HOSTPORT-DNAT, with the hairpin/localhost marks to masquerade):
 *   one iptables-restore per Pod that has hostPorts, none for the others;
 * - masquerade and the FORWARD accept rules once per bridge (not per Pod as
 *   the bridge and firewall plugins do): PODCTL-MASQ and PODCTL-FORWARD.
 *
 * Numbers and the reasons for each choice: docs/PERFORMANCE.md. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/net.h"
#include "net/net_int.h"
#include "util/util.h"

#define BRIDGE    PC_NET_NATIVE_BRIDGE
#define NET_NAME  "podctl"
#define SUBNET    "10.88.0.0/16"
#define PREFIX    16
#define SBIN_PATH "/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin"

static const char *lease_dir(void)
{
        return PC_NET_NATIVE_LEASE_DIR;
}

static struct in_addr ip4(const char *s)
{
        struct in_addr a = {0};
        inet_pton(AF_INET, s, &a);
        return a;
}

static uint32_t net_lo(void)
{
        return ntohl(ip4("10.88.0.0").s_addr);
}
static uint32_t net_hi(void)
{
        return net_lo() | 0xffffu;
}
static uint32_t gw_addr(void)
{
        return net_lo() + 1;
}

static void fmt_ip(uint32_t host_order, char buf[INET_ADDRSTRLEN])
{
        struct in_addr a = {.s_addr = htonl(host_order)};
        inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static int write_str(const char *path, const char *s)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        ssize_t n = write(fd, s, strlen(s));
        return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* ---- iptables ------------------------------------------------------------------- */

static int iptables(const char *tool, const char *input, char **out, pc_error *err)
{
        _cleanup_free_ char *exe = pc_find_exec(SBIN_PATH, tool);
        if (!exe)
                return pc_fail(err, ENOENT, "%s not found (apt-get install iptables)", tool);
        char *argv[] = {exe, "-w", "--noflush", NULL};
        char *argv_save[] = {exe, NULL};
        char *envp[] = {"PATH=" SBIN_PATH, NULL};
        bool save = !strcmp(tool, "iptables-save");
        _cleanup_free_ char *o = NULL;
        _cleanup_free_ char *e = NULL;
        int st = 0;
        if (pc_run(save ? argv_save : argv, envp, input ? input : "", input ? strlen(input) : 0,
                   30000, &o, &e, &st, err) < 0)
                return pc_error_prefix(err, "%s", tool);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                size_t n = strlen(e);
                while (n > 0 && (e[n - 1] == '\n' || e[n - 1] == ' '))
                        e[--n] = '\0';
                return pc_fail(err, 0, "%s failed: %s", tool, *e ? e : "(no message)");
        }
        if (out)
                *out = STEAL(o);
        return 0;
}

static bool has_line(const char *text, const char *line)
{
        size_t n = strlen(line);
        for (const char *p = text; p && *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                if (len == n && !memcmp(p, line, n))
                        return true;
                p = nl ? nl + 1 : NULL;
        }
        return false;
}

/* The rules shared by every Pod of the network, added once per bridge:
 * whatever of them iptables-save does not show is added in one
 * iptables-restore. The lines are written as iptables-save prints them. */
static int iptables_init(pc_error *err)
{
        _cleanup_free_ char *cur = NULL;
        if (iptables("iptables-save", NULL, &cur, err) < 0)
                return -1;
        static const char masq_jump[] =
            "-A POSTROUTING -s " SUBNET
            " -m comment --comment \"podctl default network: masquerade\" -j PODCTL-MASQ";
        static const char fwd_jump[] =
            "-A FORWARD -m comment --comment \"podctl default network\" -j PODCTL-FORWARD";
        static const char *const hp_chains[][2] = {
            {":CNI-HOSTPORT-DNAT - [0:0]", NULL},
            {":CNI-HOSTPORT-SETMARK - [0:0]",
             "-A CNI-HOSTPORT-SETMARK -m comment --comment \"CNI portfwd masquerade mark\" -j "
             "MARK --set-xmark 0x2000/0x2000"},
            {":CNI-HOSTPORT-MASQ - [0:0]",
             "-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE"},
        };
        static const char *const hp_jumps[] = {
            "-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
            "-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
            "-A POSTROUTING -m comment --comment \"CNI portfwd requiring masquerade\" -j "
            "CNI-HOSTPORT-MASQ",
        };
        _cleanup_free_ char *in = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&in, &len);
        if (!f)
                return pc_fail(err, errno, "open_memstream");
        /* our own chains are (re)declared: that flushes and refills them */
        fprintf(f, "*nat\n:PODCTL-MASQ - [0:0]\n");
        for (size_t i = 0; i < PC_ARRAY_SIZE(hp_chains); i++) {
                /* portmap's chains are shared with the CNI path: created when
                 * missing, never flushed */
                if (!has_line(cur, hp_chains[i][0]))
                        fprintf(f, "%s\n", hp_chains[i][0]);
                if (hp_chains[i][1] && !has_line(cur, hp_chains[i][1]))
                        fprintf(f, "%s\n", hp_chains[i][1]);
        }
        fprintf(f, "-A PODCTL-MASQ -d " SUBNET " -j ACCEPT\n"
                   "-A PODCTL-MASQ ! -d 224.0.0.0/4 -j MASQUERADE\n");
        if (!has_line(cur, masq_jump))
                fprintf(f, "%s\n", masq_jump);
        for (size_t i = 0; i < PC_ARRAY_SIZE(hp_jumps); i++)
                if (!has_line(cur, hp_jumps[i]))
                        fprintf(f, "%s\n", hp_jumps[i]);
        fprintf(f, "COMMIT\n*filter\n:PODCTL-FORWARD - [0:0]\n"
                   "-A PODCTL-FORWARD -o " BRIDGE
                   " -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
                   "-A PODCTL-FORWARD -i " BRIDGE " -j ACCEPT\n");
        if (!has_line(cur, fwd_jump))
                fprintf(f, "%s\n", fwd_jump);
        fprintf(f, "COMMIT\n");
        if (fclose(f) != 0)
                return pc_fail(err, errno, "write iptables rules");
        return iptables("iptables-restore", in, NULL, err);
}

static void chain_name(const char *id, const char *prefix, char out[29])
{
        pc_net_chain_name(NET_NAME, id, prefix, out);
}

struct hp {
        int host_port, container_port;
        char proto[8];
        char host_ip[INET_ADDRSTRLEN];
};

/* The Pod's IPv4 hostPorts from a portMappings array (IPv6 hostIPs are not
 * for this IPv4-only network, as portmap skips them). */
static size_t hostports(json_t *pm, struct hp *out, size_t max)
{
        size_t n = 0, i;
        json_t *m;
        json_array_foreach(pm, i, m)
        {
                const char *proto = json_string_value(json_object_get(m, "protocol"));
                const char *hip = json_string_value(json_object_get(m, "hostIP"));
                struct hp h = {(int)json_integer_value(json_object_get(m, "hostPort")),
                               (int)json_integer_value(json_object_get(m, "containerPort")), "",
                               ""};
                snprintf(h.proto, sizeof(h.proto), "%s", proto && *proto ? proto : "tcp");
                if (hip && *hip && strcmp(hip, "0.0.0.0")) {
                        struct in_addr a;
                        if (inet_pton(AF_INET, hip, &a) != 1)
                                continue;
                        snprintf(h.host_ip, sizeof(h.host_ip), "%s", hip);
                }
                if (h.host_port <= 0 || h.host_port > 65535 || h.container_port <= 0 ||
                    h.container_port > 65535 || n == max)
                        continue;
                out[n++] = h;
        }
        return n;
}

/* The jump rules of CNI-HOSTPORT-DNAT into the Pod's chain, one per protocol
 * (multiport takes at most 15 ports: more make more rules). */
static void jump_rules(FILE *f, const char *op, const char *id, const char *dn, const struct hp *h,
                       size_t n)
{
        static const char *const protos[] = {"sctp", "tcp", "udp"};
        for (size_t p = 0; p < PC_ARRAY_SIZE(protos); p++) {
                size_t k = 0;
                for (size_t i = 0; i < n; i++) {
                        if (strcmp(h[i].proto, protos[p]))
                                continue;
                        bool dup = false;
                        for (size_t j = 0; j < i; j++)
                                if (!strcmp(h[j].proto, protos[p]) &&
                                    h[j].host_port == h[i].host_port)
                                        dup = true;
                        if (dup)
                                continue;
                        if (k % 15 == 0) {
                                if (k)
                                        fprintf(f, " -j %s\n", dn);
                                fprintf(f,
                                        "%s CNI-HOSTPORT-DNAT -p %s -m comment --comment "
                                        "\"dnat name: \\\"%s\\\" id: \\\"%s\\\"\" -m multiport "
                                        "--dports %d",
                                        op, protos[p], NET_NAME, id, h[i].host_port);
                        } else {
                                fprintf(f, ",%d", h[i].host_port);
                        }
                        k++;
                }
                if (k)
                        fprintf(f, " -j %s\n", dn);
        }
}

static int hostports_add(const char *id, const char *pod_ip, const struct hp *h, size_t n,
                         pc_error *err)
{
        char dn[29];
        chain_name(id, "DN-", dn);
        _cleanup_free_ char *in = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&in, &len);
        if (!f)
                return pc_fail(err, errno, "open_memstream");
        fprintf(f, "*nat\n:%s - [0:0]\n", dn);
        for (size_t i = 0; i < n; i++) {
                char dst[64] = "";
                if (h[i].host_ip[0])
                        snprintf(dst, sizeof(dst), " -d %s/32", h[i].host_ip);
                const char *p = h[i].proto;
                fprintf(f, "-A %s -s " SUBNET "%s -p %s -m %s --dport %d -j CNI-HOSTPORT-SETMARK\n",
                        dn, dst, p, p, h[i].host_port);
                fprintf(f,
                        "-A %s -s 127.0.0.1/32%s -p %s -m %s --dport %d -j CNI-HOSTPORT-SETMARK\n",
                        dn, dst, p, p, h[i].host_port);
                fprintf(f, "-A %s%s -p %s -m %s --dport %d -j DNAT --to-destination %s:%d\n", dn,
                        dst, p, p, h[i].host_port, pod_ip, h[i].container_port);
        }
        jump_rules(f, "-A", id, dn, h, n);
        fprintf(f, "COMMIT\n");
        if (fclose(f) != 0)
                return pc_fail(err, errno, "write iptables rules");
        if (iptables("iptables-restore", in, NULL, err) < 0)
                return pc_error_prefix(err, "hostPort rules");
        return 0;
}

/* Idempotent: the jumps and the chain, or (when the jumps are gone) the
 * chain, or nothing. */
static void hostports_del(const char *id, const struct hp *h, size_t n)
{
        char dn[29];
        chain_name(id, "DN-", dn);
        for (int attempt = 0; attempt < 2; attempt++) {
                _cleanup_free_ char *in = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&in, &len);
                if (!f)
                        return;
                fprintf(f, "*nat\n");
                if (attempt == 0)
                        jump_rules(f, "-D", id, dn, h, n);
                fprintf(f, ":%s - [0:0]\n-X %s\nCOMMIT\n", dn, dn);
                if (fclose(f) != 0)
                        return;
                pc_error ig;
                if (iptables("iptables-restore", in, NULL, &ig) == 0)
                        return;
        }
}

/* ---- the bridge, once ------------------------------------------------------------ */

/* Bridge podctl0 up with the gateway address, forwarding on, the shared
 * iptables rules: done under a host-wide lock, and skipped while a marker
 * for this bridge (its ifindex: a new bridge is set up again) exists. */
static int host_setup(int nl, int *br_index, pc_error *err)
{
        if (pc_mkdir_p(PC_NET_NATIVE_RUN_DIR, 0700, err) < 0)
                return -1;
        _cleanup_close_ int lk =
            open(PC_NET_NATIVE_RUN_DIR "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lk < 0 || flock(lk, LOCK_EX) < 0)
                return pc_fail(err, errno, "lock %s/lock", PC_NET_NATIVE_RUN_DIR);
        int idx = (int)if_nametoindex(BRIDGE);
        if (idx > 0) {
                _cleanup_free_ char *mark =
                    pc_xasprintf("%s/%s.%d", PC_NET_NATIVE_RUN_DIR, BRIDGE, idx);
                if (access(mark, F_OK) == 0) {
                        *br_index = idx;
                        return 0;
                }
        }
        if (idx == 0) {
                int r = pc_nl_bridge_add(nl, BRIDGE);
                if (r < 0 && r != -EEXIST)
                        return pc_fail(err, -r, "create bridge %s", BRIDGE);
                idx = (int)if_nametoindex(BRIDGE);
                if (idx == 0)
                        return pc_fail(err, errno, "bridge %s", BRIDGE);
        }
        int r = pc_nl_link_up(nl, idx);
        if (r < 0)
                return pc_fail(err, -r, "set %s up", BRIDGE);
        r = pc_nl_addr_add(nl, idx, (struct in_addr){htonl(gw_addr())}, PREFIX);
        if (r < 0 && r != -EEXIST)
                return pc_fail(err, -r, "add the gateway address to %s", BRIDGE);
        if (write_str("/proc/sys/net/ipv4/ip_forward", "1") < 0)
                return pc_fail(err, errno, "enable net.ipv4.ip_forward");
        /* hostPorts reached on 127.0.0.1 are routed to the bridge (portmap's snat) */
        if (write_str("/proc/sys/net/ipv4/conf/" BRIDGE "/route_localnet", "1") < 0)
                return pc_fail(err, errno, "enable route_localnet on %s", BRIDGE);
        if (iptables_init(err) < 0)
                return pc_error_prefix(err, "masquerade and forward rules");
        _cleanup_free_ char *mark = pc_xasprintf("%s/%s.%d", PC_NET_NATIVE_RUN_DIR, BRIDGE, idx);
        _cleanup_close_ int mfd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        *br_index = idx;
        return 0;
}

static int shared_rules_again(pc_error *err)
{
        _cleanup_close_ int lk =
            open(PC_NET_NATIVE_RUN_DIR "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lk < 0 || flock(lk, LOCK_EX) < 0)
                return pc_fail(err, errno, "lock %s/lock", PC_NET_NATIVE_RUN_DIR);
        return iptables_init(err);
}

/* ---- leases (host-local's store) ------------------------------------------------- */

static int lease_lock(pc_error *err)
{
        if (pc_mkdir_p(lease_dir(), 0755, err) < 0)
                return -1;
        _cleanup_free_ char *p = pc_xasprintf("%s/lock", lease_dir());
        int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return pc_fail(err, errno, "open %s", p);
        if (flock(fd, LOCK_EX) < 0) {
                int e = errno;
                close(fd);
                return pc_fail(err, e, "lock %s", p);
        }
        return fd;
}

/* The lease file names this id (first line) and ifname (second, when there). */
static bool lease_is(const char *path, const char *id, const char *ifname)
{
        char buf[512];
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return false;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        char *nl = strpbrk(buf, "\r\n");
        char *second = NULL;
        if (nl) {
                *nl = '\0';
                second = nl + 1;
                while (*second == '\r' || *second == '\n')
                        second++;
                second[strcspn(second, "\r\n")] = '\0';
        }
        /* host-local trims the id it writes */
        if (strcmp(buf, id))
                return false;
        return !second || !*second || !strcmp(second, ifname);
}

static int lease_alloc(const char *id, const char *ifname, uint32_t *out, pc_error *err)
{
        _cleanup_close_ int lk = lease_lock(err);
        if (lk < 0)
                return -1;
        const char *dir = lease_dir();
        _cleanup_free_ char *lastp = pc_xasprintf("%s/last_reserved_ip.0", dir);
        uint32_t lo = net_lo() + 1, hi = net_hi() - 1; /* host-local's default range */
        uint32_t cur = hi;                             /* so the first is lo */
        char buf[64];
        _cleanup_close_ int lf = open(lastp, O_RDONLY | O_CLOEXEC);
        if (lf >= 0) {
                ssize_t n = read(lf, buf, sizeof(buf) - 1);
                struct in_addr a;
                if (n > 0) {
                        buf[n] = '\0';
                        buf[strcspn(buf, "\r\n ")] = '\0';
                        if (inet_pton(AF_INET, buf, &a) == 1 && ntohl(a.s_addr) >= lo &&
                            ntohl(a.s_addr) <= hi)
                                cur = ntohl(a.s_addr);
                }
        }
        _cleanup_free_ char *content = pc_xasprintf("%s\r\n%s", id, ifname);
        for (uint32_t k = 0; k <= hi - lo; k++) {
                cur = cur >= hi ? lo : cur + 1;
                if (cur == gw_addr())
                        continue;
                char ip[INET_ADDRSTRLEN];
                fmt_ip(cur, ip);
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", dir, ip);
                _cleanup_close_ int fd =
                    open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd < 0) {
                        if (errno == EEXIST)
                                continue;
                        return pc_fail(err, errno, "IP lease %s", p);
                }
                if (write(fd, content, strlen(content)) != (ssize_t)strlen(content)) {
                        int e = errno;
                        unlink(p);
                        return pc_fail(err, e, "write IP lease %s", p);
                }
                /* like host-local: the last reserved address, for the next search */
                _cleanup_close_ int wf =
                    open(lastp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (wf < 0 || write(wf, ip, strlen(ip)) != (ssize_t)strlen(ip)) {
                        int e = errno;
                        unlink(p);
                        return pc_fail(err, e, "write %s", lastp);
                }
                *out = cur;
                return 0;
        }
        char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
        fmt_ip(lo, a);
        fmt_ip(hi, b);
        return pc_fail(err, ENOSPC, "no IP addresses available in range set: %s-%s", a, b);
}

/* Release this id's lease: the address it was given (ip, when known) or,
 * without one, every lease naming the id (host-local's ReleaseByID). */
static void lease_release(const char *id, const char *ifname, const char *ip)
{
        pc_error ig;
        _cleanup_close_ int lk = lease_lock(&ig);
        if (lk < 0)
                return;
        const char *dir = lease_dir();
        if (ip && *ip) {
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", dir, ip);
                if (lease_is(p, id, ifname))
                        unlink(p);
                return;
        }
        DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                struct in_addr a;
                if (inet_pton(AF_INET, de->d_name, &a) != 1)
                        continue;
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", dir, de->d_name);
                if (lease_is(p, id, ifname))
                        unlink(p);
        }
        if (d)
                closedir(d);
}

/* ---- the Pod's side ------------------------------------------------------------- */

/* Run fn with a netlink socket in the network namespace nsfd. The monitor is
 * single-threaded: the thread returns to its namespace before anything else
 * runs (and aborts if it cannot: it would be in the Pod's). */
static int in_netns(int nsfd, int (*fn)(int nl, void *data, pc_error *err), void *data,
                    pc_error *err)
{
        _cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (self < 0)
                return pc_fail(err, errno, "open own network namespace");
        if (setns(nsfd, CLONE_NEWNET) < 0)
                return pc_fail(err, errno, "enter the Pod's network namespace");
        pc_error e2;
        int nl = pc_nl_open(&e2);
        int r = nl < 0 ? -1 : fn(nl, data, &e2);
        if (nl >= 0)
                close(nl);
        if (setns(self, CLONE_NEWNET) < 0)
                abort();
        if (r < 0) {
                *err = e2;
                return -1;
        }
        return 0;
}

struct pod_side {
        uint32_t ip;
};

static int configure_eth0(int nl, void *data, pc_error *err)
{
        const struct pod_side *ps = data;
        int idx = (int)if_nametoindex(PC_NET_IFNAME);
        if (idx == 0)
                return pc_fail(err, errno, "%s in the Pod", PC_NET_IFNAME);
        int r = pc_nl_link_up(nl, idx);
        if (r < 0)
                return pc_fail(err, -r, "set %s up", PC_NET_IFNAME);
        r = pc_nl_addr_add(nl, idx, (struct in_addr){htonl(ps->ip)}, PREFIX);
        if (r < 0)
                return pc_fail(err, -r, "add the Pod's address to %s", PC_NET_IFNAME);
        r = pc_nl_default_route(nl, idx, (struct in_addr){htonl(gw_addr())});
        if (r < 0)
                return pc_fail(err, -r, "add the Pod's default route");
        return 0;
}

static int delete_eth0(int nl, void *data, pc_error *err)
{
        (void)data;
        int r = pc_nl_link_del(nl, PC_NET_IFNAME);
        if (r < 0 && r != -ENODEV)
                return pc_fail(err, -r, "delete %s in the Pod", PC_NET_IFNAME);
        return 0;
}

static json_t *make_result(const char *veth, const char *netns, const char *ip)
{
        char gw[INET_ADDRSTRLEN];
        fmt_ip(gw_addr(), gw);
        return json_pack("{s:s, s:[{s:s}, {s:s}, {s:s, s:s}], s:[{s:i, s:s+, s:s}], "
                         "s:[{s:s, s:s}], s:{}}",
                         "cniVersion", "1.0.0", "interfaces", "name", BRIDGE, "name", veth, "name",
                         PC_NET_IFNAME, "sandbox", netns, "ips", "interface", 2, "address", ip,
                         "/16", "gateway", gw, "routes", "dst", "0.0.0.0/0", "gw", gw, "dns");
}

int pc_net_native_add(const struct pc_net_pod *pod, json_t *port_mappings, json_t **result,
                      pc_error *err)
{
        _cleanup_close_ int nl = pc_nl_open(err);
        if (nl < 0)
                return -1;
        int br = 0;
        if (host_setup(nl, &br, err) < 0)
                return -1;
        _cleanup_close_ int nsfd = open(pod->netns_path, O_RDONLY | O_CLOEXEC);
        if (nsfd < 0)
                return pc_fail(err, errno, "open %s", pod->netns_path);

        uint32_t addr = 0;
        if (lease_alloc(pod->container_id, PC_NET_IFNAME, &addr, err) < 0)
                return pc_error_prefix(err, "host-local");
        char ip[INET_ADDRSTRLEN];
        fmt_ip(addr, ip);

        /* the host side: veth<8 hex> as the bridge plugin names it */
        char veth[IFNAMSIZ];
        int r = -EEXIST;
        for (int attempt = 0; attempt < 3 && r == -EEXIST; attempt++) {
                uint32_t rnd = 0;
                if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                        rnd = (uint32_t)pc_monotonic_ns() ^ (uint32_t)getpid();
                snprintf(veth, sizeof(veth), "veth%08x", rnd);
                r = pc_nl_veth_add(nl, veth, PC_NET_IFNAME, nsfd, br);
        }
        if (r == -EXFULL) {
                /* the kernel's BR_MAX_PORTS */
                pc_fail(err, -r,
                        "create veth pair %s/%s: the bridge has no free port (a Linux bridge "
                        "holds at most 1024 ports: a host with more Pods needs a second network)",
                        veth, PC_NET_IFNAME);
                goto fail_lease;
        }
        if (r < 0) {
                pc_fail(err, -r, "create veth pair %s/%s", veth, PC_NET_IFNAME);
                goto fail_lease;
        }
        int vidx = (int)if_nametoindex(veth);
        if (vidx == 0) {
                pc_fail(err, errno, "veth %s", veth);
                goto fail_veth;
        }
        r = pc_nl_hairpin(nl, vidx);
        if (r < 0) {
                pc_fail(err, -r, "hairpin mode on %s", veth);
                goto fail_veth;
        }
        struct pod_side ps = {.ip = addr};
        if (in_netns(nsfd, configure_eth0, &ps, err) < 0)
                goto fail_veth;

        struct hp hps[256];
        size_t nhp = hostports(port_mappings, hps, PC_ARRAY_SIZE(hps));
        if (nhp > 0 && hostports_add(pod->container_id, ip, hps, nhp, err) < 0) {
                /* the shared chains may have been flushed since the bridge was
                 * set up (the marker does not see that): set them up again, once */
                pc_error e2;
                if (shared_rules_again(&e2) < 0 ||
                    hostports_add(pod->container_id, ip, hps, nhp, err) < 0)
                        goto fail_veth;
        }
        *result = make_result(veth, pod->netns_path, ip);
        return 0;

fail_veth:
        pc_nl_link_del(nl, veth);
fail_lease:
        lease_release(pod->container_id, PC_NET_IFNAME, ip);
        return pc_error_prefix(err, "network \"%s\" (native)", NET_NAME);
}

int pc_net_native_del(const char *id, const char *netns_path, bool netns_ends, json_t *result,
                      json_t *port_mappings, pc_error *err)
{
        (void)err;
        /* the veth pair: deleting eth0 in the Pod takes the host side too (a
         * dead namespace took both with it, and one that ends right after
         * takes them with it) */
        if (netns_path && *netns_path && !netns_ends) {
                _cleanup_close_ int nsfd = open(netns_path, O_RDONLY | O_CLOEXEC);
                pc_error ig;
                if (nsfd >= 0)
                        in_netns(nsfd, delete_eth0, NULL, &ig);
        }
        struct hp hps[256];
        size_t nhp = hostports(port_mappings, hps, PC_ARRAY_SIZE(hps));
        if (nhp > 0)
                hostports_del(id, hps, nhp);
        const char *ip = NULL;
        char bare[INET_ADDRSTRLEN] = "";
        json_t *ips = json_object_get(result, "ips");
        const char *a = json_string_value(json_object_get(json_array_get(ips, 0), "address"));
        if (a) {
                snprintf(bare, sizeof(bare), "%.*s", (int)strcspn(a, "/"), a);
                ip = bare;
        }
        lease_release(id, PC_NET_IFNAME, ip);
        return 0;
}
