/* CNI for a Pod's sandbox: configuration lists, ADD/DEL of a whole list with
 * prevResult chaining, the per-container cache, the default network. */
#include "net/net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/net_int.h"
#include "util/sha512.h"
#include "util/util.h"

/* The default network. 10.88.0.0/16 is podman's default too: change the
 * subnet here (or in the installed file) when both run on one host. */
static const char default_conflist[] =
    "{\n"
    "  \"cniVersion\": \"1.0.0\",\n"
    "  \"name\": \"podctl\",\n"
    "  \"plugins\": [\n"
    "    {\n"
    "      \"type\": \"bridge\",\n"
    "      \"bridge\": \"podctl0\",\n"
    "      \"isGateway\": true,\n"
    "      \"ipMasq\": true,\n"
    "      \"hairpinMode\": true,\n"
    "      \"ipam\": {\n"
    "        \"type\": \"host-local\",\n"
    "        \"routes\": [{ \"dst\": \"0.0.0.0/0\" }],\n"
    "        \"ranges\": [[{ \"subnet\": \"10.88.0.0/16\", \"gateway\": \"10.88.0.1\" }]]\n"
    "      }\n"
    "    },\n"
    "    {\n"
    "      \"type\": \"portmap\",\n"
    "      \"capabilities\": { \"portMappings\": true },\n"
    "      \"snat\": true\n"
    "    },\n"
    "    {\n"
    "      \"type\": \"firewall\"\n"
    "    }\n"
    "  ]\n"
    "}\n";

/* The default network is set up natively (native.c) when the list in use is
 * exactly podctl's default, unless PODCTL_NET_NATIVE=0: any other list, a
 * user's own or an edited default, runs through the CNI plugins. */
static bool is_native(json_t *list)
{
        const char *env = getenv("PODCTL_NET_NATIVE");
        if (env && !strcmp(env, "0"))
                return false;
        static json_t *def;
        if (!def) {
                json_error_t je;
                def = json_loads(default_conflist, 0, &je);
                if (!def)
                        return false;
        }
        return json_equal(list, def);
}

static const char *conf_dir_of(const struct pc_net_config *cfg)
{
        return cfg && cfg->conf_dir ? cfg->conf_dir : PC_NET_DEFAULT_CONF_DIR;
}
static const char *plugin_path_of(const struct pc_net_config *cfg)
{
        return cfg && cfg->plugin_path ? cfg->plugin_path : PC_NET_DEFAULT_PLUGIN_PATH;
}
static const char *cache_dir_of(const struct pc_net_config *cfg)
{
        return cfg && cfg->cache_dir ? cfg->cache_dir : PC_NET_DEFAULT_CACHE_DIR;
}

static bool is_conf_name(const char *n)
{
        return n[0] != '.' && (pc_str_has_suffix(n, ".conflist") || pc_str_has_suffix(n, ".conf") ||
                               pc_str_has_suffix(n, ".json"));
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted config file names of dir (none when it does not exist). */
static char **conf_files(const char *dir)
{
        char **v = NULL;
        DIR *d = opendir(dir);
        if (!d)
                return NULL;
        struct dirent *de;
        while ((de = readdir(d)))
                if (is_conf_name(de->d_name))
                        pc_strv_push(&v, de->d_name);
        closedir(d);
        if (v)
                qsort(v, pc_strv_len(v), sizeof(*v), cmp_str);
        return v;
}

static bool valid_type(const char *t)
{
        return t && *t && !strchr(t, '/') && strcmp(t, ".") && strcmp(t, "..");
}

/* Check a loaded list; a single-plugin .conf is wrapped into a list. */
static json_t *normalize(json_t *j, const char *file, pc_error *err)
{
        if (!json_is_object(j)) {
                pc_fail(err, 0, "%s: not a JSON object", file);
                return NULL;
        }
        json_t *list;
        if (json_object_get(j, "plugins")) {
                list = json_incref(j);
        } else {
                list = json_object();
                json_t *v = json_object_get(j, "cniVersion");
                json_object_set(list, "cniVersion", v ? v : json_string("0.4.0"));
                json_object_set(list, "name", json_object_get(j, "name"));
                json_object_set_new(list, "plugins", json_pack("[O]", j));
        }
        const char *name = json_string_value(json_object_get(list, "name"));
        json_t *plugins = json_object_get(list, "plugins");
        if (!name || !*name) {
                json_decref(list);
                pc_fail(err, 0, "%s: no network \"name\"", file);
                return NULL;
        }
        if (!json_is_string(json_object_get(list, "cniVersion")))
                json_object_set_new(list, "cniVersion", json_string("0.4.0"));
        if (!json_is_array(plugins) || json_array_size(plugins) == 0) {
                json_decref(list);
                pc_fail(err, 0, "%s: no \"plugins\"", file);
                return NULL;
        }
        size_t i;
        json_t *p;
        json_array_foreach(plugins, i, p)
        {
                if (!json_is_object(p) ||
                    !valid_type(json_string_value(json_object_get(p, "type")))) {
                        json_decref(list);
                        pc_fail(err, 0, "%s: plugin %zu has no valid \"type\"", file, i);
                        return NULL;
                }
        }
        return list;
}

/* The first valid config list of dir: 1 found, 0 none there, -1 only invalid ones. */
static int load_from_dir(const char *dir, json_t **out, pc_error *err)
{
        _cleanup_strv_ char **files = conf_files(dir);
        bool bad = false;
        for (size_t i = 0; files && files[i]; i++) {
                _cleanup_free_ char *path = pc_xasprintf("%s/%s", dir, files[i]);
                json_error_t je;
                json_t *j = json_load_file(path, 0, &je);
                pc_error e2;
                if (!j) {
                        if (!bad)
                                pc_fail(err, 0, "%s:%d: %s", path, je.line, je.text);
                        bad = true;
                        continue;
                }
                json_t *list = normalize(j, path, &e2);
                json_decref(j);
                if (!list) {
                        if (!bad)
                                *err = e2;
                        bad = true;
                        continue;
                }
                *out = list;
                return 1;
        }
        return bad ? -1 : 0;
}

static int load_conflist(const struct pc_net_config *cfg, json_t **out, pc_error *err)
{
        const char *dir = conf_dir_of(cfg);
        int r = load_from_dir(dir, out, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (strcmp(dir, PC_NET_DEFAULT_CONF_DIR)) {
                r = load_from_dir(PC_NET_DEFAULT_CONF_DIR, out, err);
                if (r != 0)
                        return r < 0 ? -1 : 0;
                return pc_fail(err, ENOENT, "no CNI network configuration in %s or %s", dir,
                               PC_NET_DEFAULT_CONF_DIR);
        }
        return pc_fail(err, ENOENT, "no CNI network configuration in %s", dir);
}

int pc_net_ensure_default(const struct pc_net_config *cfg, pc_error *err)
{
        const char *dir = conf_dir_of(cfg);
        if (pc_mkdir_p(dir, 0755, err) < 0)
                return -1;
        _cleanup_strv_ char **files = conf_files(dir);
        if (files && files[0])
                return 0;
        _cleanup_free_ char *path = pc_xasprintf("%s/10-podctl.conflist", dir);
        if (pc_write_file_atomic(path, default_conflist, strlen(default_conflist), 0644, err) < 0)
                return pc_error_prefix(err, "install default network");
        return 0;
}

/* ---- cache ---- */

static bool valid_id(const char *id)
{
        if (!id || !*id || strlen(id) > 128)
                return false;
        for (const char *c = id; *c; c++)
                if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
                        return false;
        return id[0] != '.';
}

static char *cache_path(const struct pc_net_config *cfg, const char *id)
{
        return pc_xasprintf("%s/%s.json", cache_dir_of(cfg), id);
}

static int cache_write(const struct pc_net_config *cfg, const char *id, json_t *entry,
                       pc_error *err)
{
        if (pc_mkdir_p(cache_dir_of(cfg), 0700, err) < 0)
                return -1;
        _cleanup_free_ char *path = cache_path(cfg, id);
        _cleanup_free_ char *data = json_dumps(entry, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (!data)
                return pc_fail(err, ENOMEM, "encode %s", path);
        /* atomic, not fsync'ed (as libcni writes its cache): it describes
         * links and rules that a reboot removes anyway, and DEL without it
         * still releases the lease */
        return pc_replace_file(path, data, strlen(data), 0600, err);
}

/* 1 with *out, 0 when there is no cache file. */
static int cache_read(const struct pc_net_config *cfg, const char *id, json_t **out, pc_error *err)
{
        _cleanup_free_ char *path = cache_path(cfg, id);
        json_error_t je;
        json_t *j = json_load_file(path, 0, &je);
        if (!j) {
                if (access(path, F_OK) < 0 && errno == ENOENT)
                        return 0;
                return pc_fail(err, 0, "%s: %s", path, je.text);
        }
        if (!json_is_object(json_object_get(j, "config"))) {
                json_decref(j);
                return pc_fail(err, 0, "%s: no network config", path);
        }
        *out = j;
        return 1;
}

/* ---- running plugins ---- */

struct call {
        const struct pc_net_config *cfg;
        const char *command; /* ADD, DEL */
        const char *id;
        const char *netns;
        const char *ifname;
        const char *args; /* CNI_ARGS */
        json_t *list;     /* the config list */
        json_t *ports;    /* runtimeConfig.portMappings, or NULL */
};

static bool version_has_prev_result_on_del(const char *v)
{
        /* prevResult on DEL exists since 0.4.0 */
        return v && strcmp(v, "0.1.0") && strcmp(v, "0.2.0") && strcmp(v, "0.3.0") &&
               strcmp(v, "0.3.1");
}

static void trim(char *s)
{
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char)s[n - 1]))
                s[--n] = '\0';
}

static void env_push(char ***env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void env_push(char ***env, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *s = NULL;
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        va_end(ap);
        pc_strv_push(env, s);
        free(s);
}

/* Run plugin idx of the list. On ADD success *result is its result. */
static int run_plugin(const struct call *c, size_t idx, json_t *prev, json_t **result,
                      pc_error *err)
{
        json_t *plugin = json_array_get(json_object_get(c->list, "plugins"), idx);
        const char *type = json_string_value(json_object_get(plugin, "type"));
        const char *ppath = plugin_path_of(c->cfg);
        _cleanup_free_ char *exe = pc_find_exec(ppath, type);
        if (!exe)
                return pc_fail(err, ENOENT,
                               "plugin \"%s\" not found in %s (apt-get install "
                               "containernetworking-plugins)",
                               type, ppath);

        json_t *conf = json_deep_copy(plugin);
        json_object_set(conf, "name", json_object_get(c->list, "name"));
        json_object_set(conf, "cniVersion", json_object_get(c->list, "cniVersion"));
        if (prev)
                json_object_set(conf, "prevResult", prev);
        json_t *caps = json_object_get(plugin, "capabilities");
        if (c->ports && json_array_size(c->ports) > 0 &&
            json_is_true(json_object_get(caps, "portMappings"))) {
                json_t *rc = json_object_get(conf, "runtimeConfig");
                if (!json_is_object(rc)) {
                        rc = json_object();
                        json_object_set_new(conf, "runtimeConfig", rc);
                }
                json_object_set(rc, "portMappings", c->ports);
        }
        _cleanup_free_ char *input = json_dumps(conf, JSON_COMPACT);
        json_decref(conf);
        if (!input)
                return pc_fail(err, ENOMEM, "encode plugin config");

        const char *path_env = getenv("PATH");
        _cleanup_strv_ char **envp = NULL;
        env_push(&envp, "CNI_COMMAND=%s", c->command);
        env_push(&envp, "CNI_CONTAINERID=%s", c->id);
        env_push(&envp, "CNI_NETNS=%s", c->netns ? c->netns : "");
        env_push(&envp, "CNI_IFNAME=%s", c->ifname);
        env_push(&envp, "CNI_ARGS=%s", c->args ? c->args : "");
        env_push(&envp, "CNI_PATH=%s", ppath);
        /* plugins run iptables, ip6tables, ...: they need a PATH */
        env_push(&envp, "PATH=%s",
                 path_env && *path_env
                     ? path_env
                     : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");

        char *argv[] = {exe, NULL};
        _cleanup_free_ char *out = NULL;
        _cleanup_free_ char *errout = NULL;
        int status = 0;
        if (pc_run(argv, envp, input, strlen(input), PC_NET_EXEC_TIMEOUT_MS, &out, &errout, &status,
                   err) < 0)
                return pc_error_prefix(err, "plugin \"%s\"", type);

        json_error_t je;
        json_t *res = out[0] ? json_loads(out, 0, &je) : NULL;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                const char *msg = json_string_value(json_object_get(res, "msg"));
                const char *det = json_string_value(json_object_get(res, "details"));
                json_int_t code = json_integer_value(json_object_get(res, "code"));
                trim(errout);
                trim(out);
                if (msg && det && *det)
                        pc_fail(err, 0, "plugin \"%s\" failed (%s, code %lld): %s: %s", type,
                                c->command, (long long)code, msg, det);
                else if (msg)
                        pc_fail(err, 0, "plugin \"%s\" failed (%s, code %lld): %s", type,
                                c->command, (long long)code, msg);
                else if (WIFEXITED(status))
                        pc_fail(err, 0, "plugin \"%s\" failed (%s): exit status %d%s%s", type,
                                c->command, WEXITSTATUS(status), *errout || *out ? ": " : "",
                                *errout ? errout : out);
                else
                        pc_fail(err, 0, "plugin \"%s\" failed (%s): killed by signal %d", type,
                                c->command, WTERMSIG(status));
                json_decref(res);
                return -1;
        }
        if (strcmp(c->command, "ADD")) {
                json_decref(res);
                return 0;
        }
        if (!json_is_object(res)) {
                json_decref(res);
                return pc_fail(err, 0, "plugin \"%s\": ADD gave no JSON result%s%s", type,
                               out[0] ? ": " : "", out);
        }
        *result = res;
        return 0;
}

/* CNI_ARGS, libcni/CRI style. */
static char *cni_args(const char *ns, const char *name, const char *id, const char *uid)
{
        return pc_xasprintf("IgnoreUnknown=1;K8S_POD_NAMESPACE=%s;K8S_POD_NAME=%s;"
                            "K8S_POD_INFRA_CONTAINER_ID=%s;K8S_POD_UID=%s",
                            ns ? ns : "", name ? name : "", id, uid ? uid : "");
}

static json_t *ports_json(const struct pc_net_port *ports, size_t n)
{
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
                char proto[16];
                const char *p = ports[i].protocol && *ports[i].protocol ? ports[i].protocol : "tcp";
                snprintf(proto, sizeof(proto), "%s", p);
                for (char *q = proto; *q; q++)
                        *q = (char)tolower((unsigned char)*q);
                json_t *m =
                    json_pack("{s:i, s:i, s:s}", "hostPort", (int)ports[i].host_port,
                              "containerPort", (int)ports[i].container_port, "protocol", proto);
                if (ports[i].host_ip && *ports[i].host_ip)
                        json_object_set_new(m, "hostIP", json_string(ports[i].host_ip));
                json_array_append_new(a, m);
        }
        return a;
}

/* The netns identity, to recognise it at DEL (the PID in the path may be reused). */
static json_t *netns_ident(const char *path)
{
        struct stat st;
        if (!path || !*path || stat(path, &st) < 0)
                return NULL;
        return json_pack("{s:I, s:I}", "dev", (json_int_t)st.st_dev, "ino", (json_int_t)st.st_ino);
}

static bool netns_matches(const char *path, json_t *ident)
{
        struct stat st;
        if (!path || !*path || stat(path, &st) < 0)
                return false;
        if (!ident)
                return true;
        return (json_int_t)st.st_dev == json_integer_value(json_object_get(ident, "dev")) &&
               (json_int_t)st.st_ino == json_integer_value(json_object_get(ident, "ino"));
}

/* Run DEL for every plugin in reverse order; the first error is returned
 * but every plugin runs. */
static int del_all(const struct call *c, json_t *prev, pc_error *err)
{
        json_t *plugins = json_object_get(c->list, "plugins");
        const char *v = json_string_value(json_object_get(c->list, "cniVersion"));
        int rc = 0;
        for (size_t i = json_array_size(plugins); i-- > 0;) {
                pc_error e2;
                if (run_plugin(c, i, version_has_prev_result_on_del(v) ? prev : NULL, NULL, &e2) <
                    0) {
                        if (rc == 0)
                                *err = e2;
                        rc = -1;
                }
        }
        return rc;
}

/* The CNI plugins' chain name (containernetworking/plugins pkg/utils
 * FormatChainNameWithPrefix): "CNI-" + prefix + the hex SHA-512 of name + id,
 * cut to 28 characters, so iptables rules podctl writes natively or cleans up
 * are the ones the plugins write and iptables tooling matches. */
void pc_net_chain_name(const char *name, const char *id, const char *prefix, char out[29])
{
        _cleanup_free_ char *key = pc_xasprintf("%s%s", name, id);
        unsigned char md[PC_SHA512_LEN];
        pc_sha512(key, strlen(key), md);
        size_t pl = strlen("CNI-") + strlen(prefix);
        if (pl > 28)
                pl = 28;
        snprintf(out, 29, "CNI-%s", prefix);
        static const char hexd[] = "0123456789abcdef";
        for (size_t k = pl; k < 28; k++) {
                unsigned char b = md[(k - pl) / 2];
                out[k] = hexd[(k - pl) % 2 ? b & 0xf : b >> 4];
        }
        out[28] = '\0';
}

/* What the bridge plugin cannot remove when the netns is gone: it learns the
 * addresses of its ipMasq rule from the interface, so without the netns
 * the rule and its chain (named after sha512(name + id), as the plugins do)
 * would stay. The addresses come from the cached result. */
static void masq_cleanup(const struct call *c, json_t *prev)
{
        bool masq = false;
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(c->list, "plugins"), i, p)
        {
                if (!strcmp(json_string_value(json_object_get(p, "type")), "bridge") &&
                    json_is_true(json_object_get(p, "ipMasq")))
                        masq = true;
        }
        if (!masq)
                return;
        const char *name = json_string_value(json_object_get(c->list, "name"));
        char chain[29];
        pc_net_chain_name(name, c->id, "", chain);
        _cleanup_free_ char *comment = pc_xasprintf("name: \"%s\" id: \"%s\"", name, c->id);
        const char *sbin = "/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin";
        char *envp[] = {"PATH=/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin", NULL};
        json_t *ip;
        for (int v6 = 0; v6 < 2; v6++) {
                _cleanup_free_ char *ipt = pc_find_exec(sbin, v6 ? "ip6tables" : "iptables");
                if (!ipt)
                        continue;
                bool any = false;
                json_array_foreach(json_object_get(prev, "ips"), i, ip)
                {
                        const char *addr = json_string_value(json_object_get(ip, "address"));
                        if (!addr || (strchr(addr, ':') != NULL) != (v6 != 0))
                                continue;
                        any = true;
                        char bare[64];
                        snprintf(bare, sizeof(bare), "%s", addr);
                        char *slash = strchr(bare, '/');
                        if (slash)
                                *slash = '\0';
                        const char *srcs[] = {bare, addr};
                        for (int s = 0; s < 2; s++) {
                                char *argv[] = {ipt,         "-w",          "-t", "nat",
                                                "-D",        "POSTROUTING", "-s", (char *)srcs[s],
                                                "-j",        chain,         "-m", "comment",
                                                "--comment", comment,       NULL};
                                char *o = NULL, *e = NULL;
                                int st;
                                pc_error ig;
                                if (pc_run(argv, envp, "", 0, 30000, &o, &e, &st, &ig) == 0) {
                                        free(o);
                                        free(e);
                                }
                        }
                }
                if (!any)
                        continue;
                for (int k = 0; k < 2; k++) {
                        char *argv[] = {ipt, "-w", "-t", "nat", k ? "-X" : "-F", chain, NULL};
                        char *o = NULL, *e = NULL;
                        int st;
                        pc_error ig;
                        if (pc_run(argv, envp, "", 0, 30000, &o, &e, &st, &ig) == 0) {
                                free(o);
                                free(e);
                        }
                }
        }
}

static void fill_attachment(json_t *list, json_t *result, const char *ifname,
                            struct pc_net_attachment *out)
{
        memset(out, 0, sizeof(*out));
        out->network_name = pc_xstrdup(json_string_value(json_object_get(list, "name")));
        out->interface = pc_xstrdup(ifname);
        out->result = json_incref(result);
        json_t *ips = json_object_get(result, "ips");
        json_t *pick = NULL, *ip;
        size_t i;
        json_array_foreach(ips, i, ip)
        {
                const char *a = json_string_value(json_object_get(ip, "address"));
                if (!a)
                        continue;
                if (!pick)
                        pick = ip;
                if (!strchr(a, ':')) {
                        pick = ip;
                        break;
                }
        }
        if (pick) {
                const char *a = json_string_value(json_object_get(pick, "address"));
                const char *slash = strchr(a, '/');
                out->ip = slash ? pc_xasprintf("%.*s", (int)(slash - a), a) : pc_xstrdup(a);
                out->gateway = pc_xstrdup(json_string_value(json_object_get(pick, "gateway")));
        }
}

int pc_net_add(const struct pc_net_config *cfg, const struct pc_net_pod *pod,
               const struct pc_net_port *ports, size_t n_ports, struct pc_net_attachment *out,
               pc_error *err)
{
        memset(out, 0, sizeof(*out));
        if (!valid_id(pod->container_id))
                return pc_fail(err, EINVAL, "network: invalid container id \"%s\"",
                               pod->container_id ? pod->container_id : "");
        if (!pod->netns_path || !*pod->netns_path)
                return pc_fail(err, EINVAL, "network: no network namespace");
        json_t *list = NULL;
        if (load_conflist(cfg, &list, err) < 0)
                return pc_error_prefix(err, "network");
        json_auto_t *owned_list = list;
        const char *netname = json_string_value(json_object_get(list, "name"));

        _cleanup_free_ char *args =
            cni_args(pod->namespace, pod->name, pod->container_id, pod->uid);
        json_auto_t *pj = ports_json(ports, n_ports);
        struct call c = {.cfg = cfg,
                         .command = "ADD",
                         .id = pod->container_id,
                         .netns = pod->netns_path,
                         .ifname = PC_NET_IFNAME,
                         .args = args,
                         .list = list,
                         .ports = pj};

        /* Cached before the plugins run: a DEL after a crash in the middle
         * of ADD still knows the config that was used. */
        json_auto_t *entry =
            json_pack("{s:s, s:O, s:s, s:s, s:s, s:O, s:s?, s:s?, s:s?}", "kind",
                      "podctl-cni-cache", "config", list, "containerId", pod->container_id,
                      "ifName", PC_NET_IFNAME, "netns", pod->netns_path, "portMappings", pj,
                      "namespace", pod->namespace, "name", pod->name, "uid", pod->uid);
        json_object_set_new(entry, "netnsIdent", netns_ident(pod->netns_path));
        if (!json_object_get(entry, "netnsIdent"))
                return pc_fail(err, errno, "network: netns %s", pod->netns_path);
        if (!is_native(list) && cache_write(cfg, pod->container_id, entry, err) < 0)
                return pc_error_prefix(err, "network \"%s\": cache", netname);

        if (is_native(list)) {
                json_t *res = NULL;
                json_object_set_new(entry, "native", json_true());
                if (cache_write(cfg, pod->container_id, entry, err) < 0)
                        return pc_error_prefix(err, "network \"%s\": cache", netname);
                if (pc_net_native_add(pod, pj, &res, err) < 0) {
                        _cleanup_free_ char *path = cache_path(cfg, pod->container_id);
                        unlink(path);
                        return -1;
                }
                json_object_set_new(entry, "result", res);
                if (cache_write(cfg, pod->container_id, entry, err) < 0) {
                        pc_error ig;
                        pc_net_native_del(pod->container_id, pod->netns_path, false, res, pj, &ig);
                        _cleanup_free_ char *path = cache_path(cfg, pod->container_id);
                        unlink(path);
                        return pc_error_prefix(err, "network \"%s\": cache", netname);
                }
                fill_attachment(list, res, PC_NET_IFNAME, out);
                return 0;
        }

        json_t *prev = NULL;
        json_t *plugins = json_object_get(list, "plugins");
        for (size_t i = 0; i < json_array_size(plugins); i++) {
                json_t *res = NULL;
                if (run_plugin(&c, i, prev, &res, err) < 0) {
                        pc_error ig;
                        c.command = "DEL";
                        del_all(&c, prev, &ig);
                        json_decref(prev);
                        _cleanup_free_ char *path = cache_path(cfg, pod->container_id);
                        unlink(path);
                        return pc_error_prefix(err, "network \"%s\"", netname);
                }
                json_decref(prev);
                prev = res;
        }
        json_object_set_new(entry, "result", prev);
        if (cache_write(cfg, pod->container_id, entry, err) < 0) {
                pc_error ig;
                c.command = "DEL";
                del_all(&c, prev, &ig);
                _cleanup_free_ char *path = cache_path(cfg, pod->container_id);
                unlink(path);
                return pc_error_prefix(err, "network \"%s\": cache", netname);
        }
        fill_attachment(list, prev, PC_NET_IFNAME, out);
        return 0;
}

int pc_net_del(const struct pc_net_config *cfg, const struct pc_net_pod *pod, pc_error *err)
{
        if (!valid_id(pod->container_id))
                return pc_fail(err, EINVAL, "network: invalid container id \"%s\"",
                               pod->container_id ? pod->container_id : "");
        json_auto_t *entry = NULL;
        int r = cache_read(cfg, pod->container_id, &entry, err);
        if (r < 0)
                return pc_error_prefix(err, "network");
        json_t *list = NULL;
        if (r == 0) {
                if (load_conflist(cfg, &list, err) < 0)
                        return pc_error_prefix(err, "network");
        } else {
                list = json_incref(json_object_get(entry, "config"));
        }
        json_auto_t *owned_list = list;
        const char *netname = json_string_value(json_object_get(list, "name"));
        const char *ns = pod->namespace, *name = pod->name, *uid = pod->uid;
        if (entry) {
                ns = json_string_value(json_object_get(entry, "namespace"));
                name = json_string_value(json_object_get(entry, "name"));
                uid = json_string_value(json_object_get(entry, "uid"));
        }
        _cleanup_free_ char *args = cni_args(ns, name, pod->container_id, uid);
        json_t *prev = entry ? json_object_get(entry, "result") : NULL;
        if (json_is_null(prev))
                prev = NULL;
        /* A dead netns, or a path now naming another one (PID reuse), is
         * passed as none: the plugins then release what lives outside it. */
        bool alive =
            netns_matches(pod->netns_path, entry ? json_object_get(entry, "netnsIdent") : NULL);
        if (entry ? json_is_true(json_object_get(entry, "native")) : is_native(list)) {
                if (pc_net_native_del(
                        pod->container_id, alive ? pod->netns_path : NULL, pod->netns_ends, prev,
                        entry ? json_object_get(entry, "portMappings") : NULL, err) < 0)
                        return pc_error_prefix(err, "network \"%s\"", netname);
                _cleanup_free_ char *path = cache_path(cfg, pod->container_id);
                if (unlink(path) < 0 && errno != ENOENT)
                        return pc_fail(err, errno, "network: remove %s", path);
                return 0;
        }
        struct call c = {.cfg = cfg,
                         .command = "DEL",
                         .id = pod->container_id,
                         .netns = alive ? pod->netns_path : "",
                         .ifname = PC_NET_IFNAME,
                         .args = args,
                         .list = list,
                         .ports = entry ? json_object_get(entry, "portMappings") : NULL};
        if (del_all(&c, prev, err) < 0)
                return pc_error_prefix(err, "network \"%s\"", netname);
        if (!alive && prev)
                masq_cleanup(&c, prev);
        _cleanup_free_ char *path = cache_path(cfg, pod->container_id);
        if (unlink(path) < 0 && errno != ENOENT)
                return pc_fail(err, errno, "network: remove %s", path);
        return 0;
}

int pc_net_cached(const struct pc_net_config *cfg, const char *container_id,
                  struct pc_net_attachment *out, pc_error *err)
{
        memset(out, 0, sizeof(*out));
        if (!valid_id(container_id))
                return pc_fail(err, EINVAL, "network: invalid container id");
        json_auto_t *entry = NULL;
        int r = cache_read(cfg, container_id, &entry, err);
        if (r <= 0)
                return r;
        json_t *res = json_object_get(entry, "result");
        if (!json_is_object(res))
                return 0;
        fill_attachment(json_object_get(entry, "config"), res,
                        json_string_value(json_object_get(entry, "ifName")), out);
        return 1;
}

void pc_net_attachment_free(struct pc_net_attachment *a)
{
        if (!a)
                return;
        free(a->ip);
        free(a->gateway);
        free(a->network_name);
        free(a->interface);
        json_decref(a->result);
        memset(a, 0, sizeof(*a));
}

/* ---- the pod CIDR (the kubelet's UpdateRuntimeConfig) ---- */

/* podctl's network for a pod CIDR: the default's plugins, its own name (so
 * its leases are its own), bridge and range. */
static char *cidr_conflist(const char *subnet, const char *gateway)
{
        json_t *list = json_loads(default_conflist, 0, NULL);
        json_object_set_new(list, "name", json_string(PC_NET_CIDR_NAME));
        json_t *bridge = json_array_get(json_object_get(list, "plugins"), 0);
        json_object_set_new(bridge, "bridge", json_string(PC_NET_CIDR_BRIDGE));
        json_t *range = json_array_get(
            json_array_get(json_object_get(json_object_get(bridge, "ipam"), "ranges"), 0), 0);
        json_object_set_new(range, "subnet", json_string(subnet));
        json_object_set_new(range, "gateway", json_string(gateway));
        char *s = json_dumps(list, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(list);
        char *r = pc_xasprintf("%s\n", s);
        free(s);
        return r;
}

int pc_net_set_pod_cidr(const struct pc_net_config *cfg, const char *cidrs, bool *applied,
                        pc_error *err)
{
        *applied = false;
        if (!cidrs || !*cidrs)
                return 0;
        /* "10.244.1.0/24" or, dual-stack, "10.244.1.0/24,fd00:1::/64" */
        _cleanup_free_ char *v4 = NULL;
        _cleanup_free_ char *copy = pc_xstrdup(cidrs);
        for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
                if (strchr(tok, ':'))
                        return pc_fail(err, EINVAL,
                                       "pod_cidr: Unsupported value: \"%s\": podctl's network is "
                                       "IPv4 only",
                                       tok);
                if (v4)
                        return pc_fail(err, EINVAL, "pod_cidr: \"%s\": more than one IPv4 range",
                                       cidrs);
                v4 = pc_xstrdup(tok);
        }
        char *slash = v4 ? strchr(v4, '/') : NULL;
        struct in_addr a;
        char *end = NULL;
        long bits = slash ? strtol(slash + 1, &end, 10) : -1;
        if (slash)
                *slash = '\0';
        if (!slash || !*(slash + 1) || *end || bits < 8 || bits > 30 ||
            inet_pton(AF_INET, v4, &a) != 1)
                return pc_fail(err, EINVAL,
                               "pod_cidr: Invalid value: \"%s\": an IPv4 CIDR from /8 to /30",
                               cidrs);
        uint32_t ip = ntohl(a.s_addr), mask = bits ? ~0u << (32 - bits) : 0;
        if (ip & ~mask)
                return pc_fail(err, EINVAL,
                               "pod_cidr: Invalid value: \"%s\": not the network's first address",
                               cidrs);
        char net[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
        struct in_addr g = {htonl(ip + 1)};
        inet_ntop(AF_INET, &a, net, sizeof(net));
        inet_ntop(AF_INET, &g, gw, sizeof(gw));
        _cleanup_free_ char *subnet = pc_xasprintf("%s/%ld", net, bits);

        /* Only podctl's own network is changed: the default (or a pod CIDR
         * network written here before) in 10-podctl.conflist and nothing
         * else; a user's own configuration is theirs, as containerd leaves
         * one alone without a template. */
        const char *dir = conf_dir_of(cfg);
        if (pc_mkdir_p(dir, 0755, err) < 0)
                return -1;
        _cleanup_strv_ char **files = conf_files(dir);
        if (files && (files[1] || strcmp(files[0], "10-podctl.conflist")))
                return 0;
        _cleanup_free_ char *path = pc_xasprintf("%s/10-podctl.conflist", dir);
        if (files) {
                _cleanup_free_ char *cur = NULL;
                if (pc_read_file(path, &cur, NULL, err) < 0)
                        return -1;
                json_t *j = json_loads(cur, 0, NULL);
                const char *name = json_string_value(json_object_get(j, "name"));
                bool ours =
                    strcmp(cur, default_conflist) == 0 || (name && !strcmp(name, PC_NET_CIDR_NAME));
                json_decref(j);
                if (!ours)
                        return 0;
        }
        _cleanup_free_ char *text = cidr_conflist(subnet, gw);
        if (pc_write_file_atomic(path, text, strlen(text), 0644, err) < 0)
                return pc_error_prefix(err, "pod_cidr");
        *applied = true;
        return 0;
}
