/* A minimal rtnetlink client for the native default network (native.c):
 * create a bridge and a veth pair, enslave and bring up links, set a bridge
 * port's hairpin mode, add addresses and routes, delete links. One request,
 * one acknowledgement; nothing is dumped or cached.
 *
 * Written by hand rather than with libmnl or libnl: these seven requests are
 * about 200 lines, and the monitor stays free of one more shared library
 * (see docs/PERFORMANCE.md and docs/DEPENDENCIES.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/net_int.h"
#include "util/util.h"

#define NL_BUF 4096

struct req {
        union {
                struct nlmsghdr h;
                char buf[NL_BUF];
        };
};

int pc_nl_open(pc_error *err)
{
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0)
                return pc_fail(err, errno, "netlink socket");
        struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = errno;
                close(fd);
                return pc_fail(err, e, "netlink bind");
        }
        return fd;
}

static void *msg_init(struct req *r, uint16_t type, uint16_t flags, size_t hdrlen)
{
        memset(r, 0, sizeof(*r));
        r->h.nlmsg_len = NLMSG_LENGTH(hdrlen);
        r->h.nlmsg_type = type;
        r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        return NLMSG_DATA(&r->h);
}

static struct rtattr *attr_put(struct req *r, unsigned short type, const void *data, size_t len)
{
        size_t off = NLMSG_ALIGN(r->h.nlmsg_len);
        size_t alen = RTA_LENGTH(len);
        if (off + RTA_ALIGN(alen) > sizeof(r->buf))
                abort(); /* requests are built from fixed, small parts */
        struct rtattr *a = (struct rtattr *)(r->buf + off);
        a->rta_type = type;
        a->rta_len = (unsigned short)alen;
        if (len)
                memcpy(RTA_DATA(a), data, len);
        r->h.nlmsg_len = (uint32_t)(off + RTA_ALIGN(alen));
        return a;
}

static void attr_str(struct req *r, unsigned short type, const char *s)
{
        attr_put(r, type, s, strlen(s) + 1);
}

static void attr_u32(struct req *r, unsigned short type, uint32_t v)
{
        attr_put(r, type, &v, sizeof(v));
}

static struct rtattr *nest_start(struct req *r, unsigned short type)
{
        return attr_put(r, type, NULL, 0);
}

static void nest_end(struct req *r, struct rtattr *a)
{
        a->rta_len = (unsigned short)(r->buf + r->h.nlmsg_len - (char *)a);
}

/* Send and wait for the acknowledgement: 0, or -errno of the kernel's answer. */
static int talk(int fd, struct req *r)
{
        static uint32_t seq;
        r->h.nlmsg_seq = ++seq;
        struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
        if (sendto(fd, r->buf, r->h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return -errno;
        char buf[NL_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf), 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
                     h = NLMSG_NEXT(h, n)) {
                        if (h->nlmsg_seq != r->h.nlmsg_seq)
                                continue;
                        if (h->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(h);
                                return e->error;
                        }
                }
        }
}

int pc_nl_bridge_add(int fd, const char *name)
{
        struct req r;
        struct ifinfomsg *ifi = msg_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        attr_str(&r, IFLA_IFNAME, name);
        struct rtattr *li = nest_start(&r, IFLA_LINKINFO);
        attr_str(&r, IFLA_INFO_KIND, "bridge");
        nest_end(&r, li);
        return talk(fd, &r);
}

int pc_nl_veth_add(int fd, const char *host, const char *peer, int peer_netns_fd, int master)
{
        struct req r;
        struct ifinfomsg *ifi = msg_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_flags = IFF_UP;
        ifi->ifi_change = IFF_UP;
        attr_str(&r, IFLA_IFNAME, host);
        if (master > 0)
                attr_u32(&r, IFLA_MASTER, (uint32_t)master);
        struct rtattr *li = nest_start(&r, IFLA_LINKINFO);
        attr_str(&r, IFLA_INFO_KIND, "veth");
        struct rtattr *data = nest_start(&r, IFLA_INFO_DATA);
        struct rtattr *pe = nest_start(&r, VETH_INFO_PEER);
        /* the peer's ifinfomsg is the head of VETH_INFO_PEER's payload; it
         * cannot be set up here (the kernel opens it before the pair is
         * linked: ENOTCONN), so the caller sets it up in its namespace */
        struct ifinfomsg pifi = {.ifi_family = AF_UNSPEC};
        size_t off = NLMSG_ALIGN(r.h.nlmsg_len);
        memcpy(r.buf + off, &pifi, sizeof(pifi));
        r.h.nlmsg_len = (uint32_t)(off + NLMSG_ALIGN(sizeof(pifi)));
        attr_str(&r, IFLA_IFNAME, peer);
        attr_u32(&r, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
        nest_end(&r, pe);
        nest_end(&r, data);
        nest_end(&r, li);
        return talk(fd, &r);
}

int pc_nl_link_up(int fd, int ifindex)
{
        struct req r;
        struct ifinfomsg *ifi = msg_init(&r, RTM_NEWLINK, 0, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        ifi->ifi_flags = IFF_UP;
        ifi->ifi_change = IFF_UP;
        return talk(fd, &r);
}

int pc_nl_hairpin(int fd, int ifindex)
{
        struct req r;
        struct ifinfomsg *ifi = msg_init(&r, RTM_SETLINK, 0, sizeof(*ifi));
        ifi->ifi_family = AF_BRIDGE;
        ifi->ifi_index = ifindex;
        struct rtattr *p = nest_start(&r, IFLA_PROTINFO | NLA_F_NESTED);
        uint8_t on = 1;
        attr_put(&r, IFLA_BRPORT_MODE, &on, sizeof(on));
        nest_end(&r, p);
        return talk(fd, &r);
}

int pc_nl_link_del(int fd, const char *name)
{
        struct req r;
        struct ifinfomsg *ifi = msg_init(&r, RTM_DELLINK, 0, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        attr_str(&r, IFLA_IFNAME, name);
        return talk(fd, &r);
}

int pc_nl_addr_add(int fd, int ifindex, struct in_addr addr, int prefix)
{
        struct req r;
        struct ifaddrmsg *ifa = msg_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
        ifa->ifa_family = AF_INET;
        ifa->ifa_prefixlen = (unsigned char)prefix;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        ifa->ifa_index = (unsigned)ifindex;
        attr_put(&r, IFA_LOCAL, &addr, sizeof(addr));
        attr_put(&r, IFA_ADDRESS, &addr, sizeof(addr));
        if (prefix < 31) {
                uint32_t mask = prefix ? htonl(~0u << (32 - prefix)) : 0;
                struct in_addr brd = {.s_addr = addr.s_addr | ~mask};
                attr_put(&r, IFA_BROADCAST, &brd, sizeof(brd));
        }
        return talk(fd, &r);
}

int pc_nl_default_route(int fd, int ifindex, struct in_addr gw)
{
        struct req r;
        struct rtmsg *rt = msg_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof(*rt));
        rt->rtm_family = AF_INET;
        rt->rtm_table = RT_TABLE_MAIN;
        rt->rtm_protocol = RTPROT_BOOT;
        rt->rtm_scope = RT_SCOPE_UNIVERSE;
        rt->rtm_type = RTN_UNICAST;
        attr_put(&r, RTA_GATEWAY, &gw, sizeof(gw));
        attr_u32(&r, RTA_OIF, (uint32_t)ifindex);
        return talk(fd, &r);
}
