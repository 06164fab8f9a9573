/* Unit tests of src/net/ on the real kernel (root, from the repo root).
 *
 * Everything is private to this run: a conf and cache dir in /tmp, a bridge
 * "pct<pid>", a network "pctest-<pid>" on 10.250.<pid % 250>.0/24 whose
 * host-local leases live in the temp dir (ipam.dataDir), network namespaces
 * held by forked children. Whatever a failed check leaves behind (children,
 * CNI attachments, the bridge, the temp dir) is removed at exit. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/net.h"
#include "net/net_int.h"
#include "unit.h"
#include "util/util.h"

#define LISTEN_PORT 8080

static char tmpdir[] = "/tmp/pctest-net-XXXXXX";
static char bridge[16], netname[32], subnet3[16], conf_dir[128], cache_dir[128], ipam_dir[128];
static char plugin_path[512];
static int host_port;
static struct pc_net_config cfg;
static pid_t children[8];
static char used_ids[8][65];

static char *run(const char *const *argv)
{
        char *envp[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL};
        char *out = NULL, *errout = NULL;
        int st;
        pc_error err;
        _cleanup_free_ char *exe = pc_find_exec("/usr/sbin:/usr/bin:/sbin:/bin", argv[0]);
        if (!exe)
                return pc_xstrdup("");
        char *av[16];
        size_t i;
        av[0] = exe;
        for (i = 1; argv[i] && i < 15; i++)
                av[i] = (char *)argv[i];
        av[i] = NULL;
        if (pc_run(av, envp, "", 0, 30000, &out, &errout, &st, &err) < 0)
                return pc_xstrdup("");
        free(errout);
        return out;
}

static bool exists(const char *path)
{
        return access(path, F_OK) == 0;
}

static void make_id(int n, char out[65])
{
        snprintf(out, 65, "%08x%056d", (unsigned)getpid(), n);
        snprintf(used_ids[n], sizeof(used_ids[n]), "%s", out);
}

/* A child in a new network namespace serving "hello\n" on every address at
 * LISTEN_PORT. Returns its pid (0 on failure). */
static pid_t netns_child(int slot)
{
        int p[2];
        if (pipe(p) < 0)
                return 0;
        pid_t pid = fork();
        if (pid < 0)
                return 0;
        if (pid == 0) {
                close(p[0]);
                if (unshare(CLONE_NEWNET) < 0)
                        _exit(1);
                int s = socket(AF_INET, SOCK_STREAM, 0);
                int one = 1;
                setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(LISTEN_PORT)};
                if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 16) < 0)
                        _exit(1);
                if (write(p[1], "r", 1) != 1)
                        _exit(1);
                close(p[1]);
                for (;;) {
                        int c = accept(s, NULL, NULL);
                        if (c < 0)
                                continue;
                        if (write(c, "hello\n", 6) < 0) {
                        }
                        close(c);
                }
        }
        close(p[1]);
        char b;
        ssize_t n = read(p[0], &b, 1);
        close(p[0]);
        children[slot] = pid;
        if (n != 1) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                children[slot] = 0;
                return 0;
        }
        return pid;
}

static void kill_child(int slot)
{
        if (children[slot] > 0) {
                kill(children[slot], SIGKILL);
                waitpid(children[slot], NULL, 0);
                children[slot] = 0;
        }
}

/* Connect to ip:port and read what the server says ("" on failure). */
static void fetch(const char *ip, int port, char *buf, size_t len)
{
        buf[0] = '\0';
        int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct timeval tv = {.tv_sec = 3};
        setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        inet_pton(AF_INET, ip, &a.sin_addr);
        if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
                ssize_t n = read(s, buf, len - 1);
                if (n > 0)
                        buf[n] = '\0';
        }
        close(s);
}

static void write_conf(const char *extra_plugin, const char *range_extra)
{
        _cleanup_free_ char *path = pc_xasprintf("%s/10-test.conflist", conf_dir);
        _cleanup_free_ char *conf = pc_xasprintf(
            "{\"cniVersion\": \"1.0.0\", \"name\": \"%s\", \"plugins\": ["
            "{\"type\": \"bridge\", \"bridge\": \"%s\", \"isGateway\": true, \"ipMasq\": true,"
            " \"hairpinMode\": true, \"ipam\": {\"type\": \"host-local\", \"dataDir\": \"%s\","
            " \"routes\": [{\"dst\": \"0.0.0.0/0\"}],"
            " \"ranges\": [[{\"subnet\": \"%s.0/24\", \"gateway\": \"%s.1\"%s}]]}},"
            " {\"type\": \"portmap\", \"capabilities\": {\"portMappings\": true}, \"snat\": true},"
            " {\"type\": \"firewall\"}%s]}\n",
            netname, bridge, ipam_dir, subnet3, subnet3, range_extra, extra_plugin);
        pc_error err;
        if (pc_write_file_atomic(path, conf, strlen(conf), 0644, &err) < 0)
                fprintf(stderr, "write %s: %s\n", path, err.msg);
}

static bool iptables_mention(const char *id)
{
        const char *v4[] = {"iptables-save", NULL};
        _cleanup_free_ char *out = run(v4);
        return strstr(out, id) != NULL;
}

static void cleanup(void)
{
        for (size_t i = 0; i < PC_ARRAY_SIZE(used_ids); i++) {
                if (!used_ids[i][0])
                        continue;
                struct pc_net_pod pod = {.container_id = used_ids[i]};
                pc_error err;
                pc_net_del(&cfg, &pod, &err);
        }
        for (size_t i = 0; i < PC_ARRAY_SIZE(children); i++)
                kill_child((int)i);
        if (bridge[0]) {
                const char *del[] = {"ip", "link", "del", bridge, NULL};
                free(run(del));
        }
        pc_error err;
        pc_rm_rf(tmpdir, &err);
}

static void on_signal(int sig)
{
        cleanup();
        signal(sig, SIG_DFL);
        raise(sig);
}

static char *veth_of(json_t *result)
{
        size_t i;
        json_t *ifc;
        json_array_foreach(json_object_get(result, "interfaces"), i, ifc)
        {
                const char *name = json_string_value(json_object_get(ifc, "name"));
                if (name && !json_object_get(ifc, "sandbox") && strcmp(name, bridge))
                        return pc_xstrdup(name);
        }
        return NULL;
}

static void test_add_del(void)
{
        char id[65];
        make_id(0, id);
        pid_t child = netns_child(0);
        CHECK(child > 0);
        if (!child)
                return;
        _cleanup_free_ char *nspath = pc_xasprintf("/proc/%d/ns/net", child);
        struct pc_net_pod pod = {.container_id = id,
                                 .netns_path = nspath,
                                 .namespace = "default",
                                 .name = "web",
                                 .uid = "0e3c1a52-5d4c-4c33-9bd7-000000000001"};
        struct pc_net_port port = {
            .host_port = host_port, .container_port = LISTEN_PORT, .protocol = "TCP"};
        struct pc_net_attachment a;
        pc_error err = {0};
        int r = pc_net_add(&cfg, &pod, &port, 1, &a, &err);
        CHECK(r == 0);
        if (r < 0) {
                fprintf(stderr, "pc_net_add: %s\n", err.msg);
                return;
        }
        CHECK(a.ip && pc_str_has_prefix(a.ip, subnet3));
        _cleanup_free_ char *gw = pc_xasprintf("%s.1", subnet3);
        CHECK_STR(a.gateway, gw);
        CHECK_STR(a.network_name, netname);
        CHECK_STR(a.interface, "eth0");

        /* eth0 in the netns has the IP */
        _cleanup_free_ char *nsarg = pc_xasprintf("--net=%s", nspath);
        const char *show[] = {"nsenter", nsarg, "ip", "-4", "-o", "addr", "show", "eth0", NULL};
        _cleanup_free_ char *addr = run(show);
        _cleanup_free_ char *want = pc_xasprintf("inet %s/24", a.ip ? a.ip : "?");
        CHECK_CONTAINS(addr, want);

        /* the cache, the lease and the host's veth exist */
        _cleanup_free_ char *cachef = pc_xasprintf("%s/%s.json", cache_dir, id);
        _cleanup_free_ char *lease = pc_xasprintf("%s/%s/%s", ipam_dir, netname, a.ip);
        _cleanup_free_ char *veth = veth_of(a.result);
        _cleanup_free_ char *vethp = pc_xasprintf("/sys/class/net/%s", veth ? veth : "?");
        CHECK(exists(cachef));
        CHECK(exists(lease));
        CHECK(veth && exists(vethp));
        CHECK(iptables_mention(id));

        /* the cache gives the same attachment to another process */
        struct pc_net_attachment c;
        CHECK(pc_net_cached(&cfg, id, &c, &err) == 1);
        CHECK_STR(c.ip, a.ip);
        pc_net_attachment_free(&c);

        /* the host reaches the Pod by IP, and by hostPort on 127.0.0.1 */
        char buf[64];
        fetch(a.ip, LISTEN_PORT, buf, sizeof(buf));
        CHECK_STR(buf, "hello\n");
        fetch("127.0.0.1", host_port, buf, sizeof(buf));
        CHECK_STR(buf, "hello\n");

        /* a second Pod reaches the first by IP */
        char id2[65];
        make_id(1, id2);
        pid_t child2 = netns_child(1);
        CHECK(child2 > 0);
        _cleanup_free_ char *nspath2 = pc_xasprintf("/proc/%d/ns/net", child2);
        struct pc_net_pod pod2 = {.container_id = id2, .netns_path = nspath2};
        struct pc_net_attachment a2;
        CHECK(pc_net_add(&cfg, &pod2, NULL, 0, &a2, &err) == 0);
        CHECK(a2.ip && a.ip && strcmp(a2.ip, a.ip));
        _cleanup_free_ char *nsarg2 = pc_xasprintf("--net=%s", nspath2);
        _cleanup_free_ char *url = pc_xasprintf("%s", a.ip ? a.ip : "?");
        const char *nc[] = {"nsenter", nsarg2, "busybox", "nc", "-w", "3", url, "8080", NULL};
        _cleanup_free_ char *got = run(nc);
        CHECK_STR(got, "hello\n");
        CHECK(pc_net_del(&cfg, &pod2, &err) == 0);
        pc_net_attachment_free(&a2);
        kill_child(1);

        /* DEL removes all of it; a second DEL succeeds */
        r = pc_net_del(&cfg, &pod, &err);
        CHECK(r == 0);
        if (r < 0)
                fprintf(stderr, "pc_net_del: %s\n", err.msg);
        CHECK(!exists(cachef));
        CHECK(!exists(lease));
        CHECK(!exists(vethp));
        CHECK(!iptables_mention(id));
        addr = (free(addr), run(show));
        CHECK(!strstr(addr, "inet "));
        fetch("127.0.0.1", host_port, buf, sizeof(buf));
        CHECK_STR(buf, "");
        CHECK(pc_net_del(&cfg, &pod, &err) == 0);
        pc_net_attachment_free(&a);
        kill_child(0);
}

/* The Pod's netns is gone before DEL (pause killed, monitor crashed). */
static void test_del_dead_netns(void)
{
        char id[65];
        make_id(2, id);
        pid_t child = netns_child(2);
        CHECK(child > 0);
        if (!child)
                return;
        _cleanup_free_ char *nspath = pc_xasprintf("/proc/%d/ns/net", child);
        struct pc_net_pod pod = {.container_id = id, .netns_path = nspath};
        struct pc_net_port port = {.host_port = host_port, .container_port = LISTEN_PORT};
        struct pc_net_attachment a;
        pc_error err = {0};
        CHECK(pc_net_add(&cfg, &pod, &port, 1, &a, &err) == 0);
        _cleanup_free_ char *lease = pc_xasprintf("%s/%s/%s", ipam_dir, netname, a.ip);
        CHECK(exists(lease));
        kill_child(2);
        int r = pc_net_del(&cfg, &pod, &err);
        CHECK(r == 0);
        if (r < 0)
                fprintf(stderr, "pc_net_del (dead netns): %s\n", err.msg);
        CHECK(!exists(lease));
        CHECK(!iptables_mention(id));
        struct pc_net_pod none = {.container_id = id};
        CHECK(pc_net_del(&cfg, &none, &err) == 0);
        pc_net_attachment_free(&a);
}

static bool bridge_has_ports(void)
{
        _cleanup_free_ char *brif = pc_xasprintf("/sys/class/net/%s/brif", bridge);
        int fd = open(brif, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return false;
        close(fd);
        const char *ls[] = {"ls", "-A", brif, NULL};
        _cleanup_free_ char *out = run(ls);
        return out[0] != '\0';
}

static size_t lease_count(void)
{
        _cleanup_free_ char *dir = pc_xasprintf("%s/%s", ipam_dir, netname);
        const char *ls[] = {"ls", "-A", dir, NULL};
        _cleanup_free_ char *out = run(ls);
        size_t n = 0;
        for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n"))
                if (strncmp(l, "last_reserved", 13) && strcmp(l, "lock"))
                        n++;
        return n;
}

static void test_failing_plugin(void)
{
        write_conf(", {\"type\": \"podctl-test-fail\"}", "");
        char id[65];
        make_id(3, id);
        pid_t child = netns_child(3);
        CHECK(child > 0);
        _cleanup_free_ char *nspath = pc_xasprintf("/proc/%d/ns/net", child);
        struct pc_net_pod pod = {.container_id = id, .netns_path = nspath};
        struct pc_net_attachment a;
        pc_error err = {0};
        CHECK(pc_net_add(&cfg, &pod, NULL, 0, &a, &err) < 0);
        CHECK_CONTAINS(err.msg, "plugin \"podctl-test-fail\"");
        CHECK_CONTAINS(err.msg, "fake failure for ");
        CHECK_CONTAINS(err.msg, "podctl test plugin");
        CHECK(a.ip == NULL);
        CHECK(!bridge_has_ports());
        CHECK(lease_count() == 0);
        CHECK(!iptables_mention(id));
        _cleanup_free_ char *cachef = pc_xasprintf("%s/%s.json", cache_dir, id);
        CHECK(!exists(cachef));
        _cleanup_free_ char *nsarg = pc_xasprintf("--net=%s", nspath);
        const char *show[] = {"nsenter", nsarg, "ip", "-o", "link", "show", NULL};
        _cleanup_free_ char *links = run(show);
        CHECK(!strstr(links, "eth0"));
        kill_child(3);
}

static void test_missing_plugin(void)
{
        write_conf(", {\"type\": \"podctl-no-such-plugin\"}", "");
        char id[65];
        make_id(4, id);
        pid_t child = netns_child(4);
        _cleanup_free_ char *nspath = pc_xasprintf("/proc/%d/ns/net", child);
        struct pc_net_pod pod = {.container_id = id, .netns_path = nspath};
        struct pc_net_attachment a;
        pc_error err = {0};
        CHECK(pc_net_add(&cfg, &pod, NULL, 0, &a, &err) < 0);
        CHECK_CONTAINS(err.msg, "plugin \"podctl-no-such-plugin\" not found in ");
        CHECK_CONTAINS(err.msg, "apt-get install containernetworking-plugins");
        CHECK(!bridge_has_ports());
        CHECK(lease_count() == 0);
        kill_child(4);
}

/* A range of one address: the second ADD gets host-local's message. */
static void test_exhausted(void)
{
        _cleanup_free_ char *range =
            pc_xasprintf(", \"rangeStart\": \"%s.10\", \"rangeEnd\": \"%s.10\"", subnet3, subnet3);
        write_conf("", range);
        char id1[65], id2[65];
        make_id(5, id1);
        make_id(6, id2);
        pid_t c1 = netns_child(5), c2 = netns_child(6);
        _cleanup_free_ char *ns1 = pc_xasprintf("/proc/%d/ns/net", c1);
        _cleanup_free_ char *ns2 = pc_xasprintf("/proc/%d/ns/net", c2);
        struct pc_net_pod p1 = {.container_id = id1, .netns_path = ns1};
        struct pc_net_pod p2 = {.container_id = id2, .netns_path = ns2};
        struct pc_net_attachment a1, a2;
        pc_error err = {0};
        CHECK(pc_net_add(&cfg, &p1, NULL, 0, &a1, &err) == 0);
        CHECK(pc_net_add(&cfg, &p2, NULL, 0, &a2, &err) < 0);
        CHECK_CONTAINS(err.msg, "no IP addresses available");
        CHECK(lease_count() == 1);
        CHECK(pc_net_del(&cfg, &p1, &err) == 0);
        CHECK(lease_count() == 0);
        CHECK(!bridge_has_ports());
        pc_net_attachment_free(&a1);
        kill_child(5);
        kill_child(6);
}

static void test_default_conf(void)
{
        _cleanup_free_ char *dir = pc_xasprintf("%s/default.d", tmpdir);
        struct pc_net_config c = {.conf_dir = dir};
        pc_error err;
        CHECK(pc_net_ensure_default(&c, &err) == 0);
        _cleanup_free_ char *path = pc_xasprintf("%s/10-podctl.conflist", dir);
        json_error_t je;
        json_t *j = json_load_file(path, 0, &je);
        CHECK(j != NULL);
        CHECK_STR(json_string_value(json_object_get(j, "name")), "podctl");
        json_t *p0 = json_array_get(json_object_get(j, "plugins"), 0);
        CHECK_STR(json_string_value(json_object_get(p0, "bridge")), "podctl0");
        CHECK_STR(
            json_string_value(json_object_get(
                json_array_get(
                    json_array_get(json_object_get(json_object_get(p0, "ipam"), "ranges"), 0), 0),
                "subnet")),
            "10.88.0.0/16");
        json_decref(j);
        /* an existing file is kept */
        const char *mine = "{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"plugins\":[{\"type\":"
                           "\"loopback\"}]}";
        pc_write_file_atomic(path, mine, strlen(mine), 0644, &err);
        CHECK(pc_net_ensure_default(&c, &err) == 0);
        char *data = NULL;
        size_t len;
        CHECK(pc_read_file(path, &data, &len, &err) == 0);
        CHECK_STR(data, mine);
        free(data);
        /* an invalid id is refused */
        struct pc_net_pod bad = {.container_id = "../x", .netns_path = "/proc/self/ns/net"};
        struct pc_net_attachment a;
        CHECK(pc_net_add(&c, &bad, NULL, 0, &a, &err) < 0);
}

/* podctl's default network without the plugins (src/net/native.c): the
 * shared bridge podctl0 and host-local's lease dir of the "podctl" network,
 * as Pods use them. */
static void test_native(void)
{
        _cleanup_free_ char *ndir = pc_xasprintf("%s/native.d", tmpdir);
        struct pc_net_config nc = {.conf_dir = ndir, .cache_dir = cache_dir};
        pc_error err = {0};
        CHECK(pc_net_ensure_default(&nc, &err) == 0);
        char id[65];
        make_id(7, id);
        pid_t child = netns_child(7);
        CHECK(child > 0);
        if (!child)
                return;
        _cleanup_free_ char *nspath = pc_xasprintf("/proc/%d/ns/net", child);
        struct pc_net_pod pod = {.container_id = id, .netns_path = nspath};
        struct pc_net_port port = {
            .host_port = host_port + 1, .container_port = LISTEN_PORT, .protocol = "TCP"};
        struct pc_net_attachment a;
        int r = pc_net_add(&nc, &pod, &port, 1, &a, &err);
        CHECK(r == 0);
        if (r < 0) {
                fprintf(stderr, "pc_net_add (native): %s\n", err.msg);
                kill_child(7);
                return;
        }
        CHECK(a.ip && pc_str_has_prefix(a.ip, "10.88."));
        CHECK_STR(a.gateway, "10.88.0.1");
        CHECK_STR(a.network_name, "podctl");

        /* made natively: the cache says so and no plugin ran */
        _cleanup_free_ char *cachef = pc_xasprintf("%s/%s.json", cache_dir, id);
        _cleanup_free_ char *cache = NULL;
        CHECK(pc_read_file(cachef, &cache, NULL, &err) == 0);
        CHECK_CONTAINS(cache, "\"native\": true");

        /* eth0: the address on the /16, the default route via the gateway */
        _cleanup_free_ char *nsarg = pc_xasprintf("--net=%s", nspath);
        const char *show[] = {"nsenter", nsarg, "ip", "-4", "-o", "addr", "show", "eth0", NULL};
        _cleanup_free_ char *addr = run(show);
        _cleanup_free_ char *want = pc_xasprintf("inet %s/16", a.ip ? a.ip : "?");
        CHECK_CONTAINS(addr, want);
        const char *route[] = {"nsenter", nsarg, "ip", "-4", "route", "show", "default", NULL};
        _cleanup_free_ char *rt = run(route);
        CHECK_CONTAINS(rt, "default via 10.88.0.1 dev eth0");

        /* host-local's lease: "<id>\r\neth0" in a file named by the IP */
        _cleanup_free_ char *lease =
            pc_xasprintf("/var/lib/cni/networks/podctl/%s", a.ip ? a.ip : "?");
        _cleanup_free_ char *lc = NULL;
        CHECK(pc_read_file(lease, &lc, NULL, &err) == 0);
        _cleanup_free_ char *lwant = pc_xasprintf("%s\r\neth0", id);
        CHECK_STR(lc, lwant);

        /* the host reaches it by IP and by hostPort on 127.0.0.1 (portmap's rules) */
        char buf[64];
        fetch(a.ip, LISTEN_PORT, buf, sizeof(buf));
        CHECK_STR(buf, "hello\n");
        fetch("127.0.0.1", host_port + 1, buf, sizeof(buf));
        CHECK_STR(buf, "hello\n");
        CHECK(iptables_mention(id));

        /* DEL (the namespace stays): veth, rules, lease, cache gone; again: fine */
        _cleanup_free_ char *veth = NULL;
        size_t i;
        json_t *ifc;
        json_array_foreach(json_object_get(a.result, "interfaces"), i, ifc)
        {
                const char *name = json_string_value(json_object_get(ifc, "name"));
                if (name && !json_object_get(ifc, "sandbox") && strcmp(name, "podctl0"))
                        veth = pc_xstrdup(name);
        }
        _cleanup_free_ char *vethp = pc_xasprintf("/sys/class/net/%s", veth ? veth : "?");
        CHECK(veth && exists(vethp));
        CHECK(pc_net_del(&nc, &pod, &err) == 0);
        CHECK(!exists(vethp));
        CHECK(!exists(lease));
        CHECK(!exists(cachef));
        CHECK(!iptables_mention(id));
        fetch("127.0.0.1", host_port + 1, buf, sizeof(buf));
        CHECK_STR(buf, "");
        addr = (free(addr), run(show));
        CHECK(!strstr(addr, "inet "));
        CHECK(pc_net_del(&nc, &pod, &err) == 0);
        pc_net_attachment_free(&a);

        /* a DEL without the cache entry (gc after a crash) still releases
         * the lease: by the id, as host-local's DEL does */
        CHECK(pc_net_add(&nc, &pod, NULL, 0, &a, &err) == 0);
        _cleanup_free_ char *lease2 =
            pc_xasprintf("/var/lib/cni/networks/podctl/%s", a.ip ? a.ip : "?");
        CHECK(exists(lease2));
        unlink(cachef);
        struct pc_net_pod bare = {.container_id = id};
        CHECK(pc_net_del(&nc, &bare, &err) == 0);
        CHECK(!exists(lease2));
        pc_net_attachment_free(&a);
        kill_child(7);
}

int main(void)
{
        if (geteuid() != 0) {
                SKIP("needs root");
                UNIT_DONE();
        }
        if (!mkdtemp(tmpdir))
                return 1;
        int pid = getpid();
        snprintf(bridge, sizeof(bridge), "pct%d", pid);
        snprintf(netname, sizeof(netname), "pctest-%d", pid);
        snprintf(subnet3, sizeof(subnet3), "10.250.%d", pid % 250);
        snprintf(conf_dir, sizeof(conf_dir), "%s/net.d", tmpdir);
        snprintf(cache_dir, sizeof(cache_dir), "%s/cache", tmpdir);
        snprintf(ipam_dir, sizeof(ipam_dir), "%s/ipam", tmpdir);
        char cwd[256];
        if (!getcwd(cwd, sizeof(cwd)))
                return 1;
        snprintf(plugin_path, sizeof(plugin_path), "/usr/lib/cni:/opt/cni/bin:%s/tests/data/cni",
                 cwd);
        host_port = 20000 + pid % 10000;
        cfg = (struct pc_net_config){
            .conf_dir = conf_dir, .plugin_path = plugin_path, .cache_dir = cache_dir};
        atexit(cleanup);
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        pc_error err;
        pc_mkdir_p(conf_dir, 0755, &err);
        write_conf("", "");

        test_default_conf();
        test_add_del();
        test_del_dead_netns();
        test_failing_plugin();
        test_missing_plugin();
        test_exhausted();
        test_native();
        UNIT_DONE();
}
