/* Registry credentials as docker and the kubelet keep them: "auths" maps
 * (docker config.json, kubernetes.io/dockerconfigjson and dockercfg
 * Secrets), matched by registry host like the kubelet's keyring: a key
 * "host[:port][/path]" (a scheme and docker Hub's "/v1/" ignored) matches
 * an image on that host whose repository starts with the path; the longest
 * match wins. Values: {"auth": base64("user:pass")} or {"username",
 * "password"}. Nothing here ever prints or reports a secret. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include "image/image_int.h"
#include "image/registry_int.h"
#include "util/run.h"
#include "util/util.h"

int pc_reg_auths_add_secret(json_t *auths, const char *type, const char *data, size_t len,
                            pc_error *err)
{
        json_t *j = json_loadb(data, len, 0, NULL);
        if (!json_is_object(j)) {
                json_decref(j);
                return pc_fail(err, 0, "Secret of type %s: its data is not a JSON object", type);
        }
        json_t *map = j;
        if (!strcmp(type, "kubernetes.io/dockerconfigjson")) {
                map = json_object_get(j, "auths");
                if (!json_is_object(map)) {
                        json_decref(j);
                        return pc_fail(err, 0,
                                       "Secret of type %s: .dockerconfigjson has no "
                                       "\"auths\" object",
                                       type);
                }
        }
        json_object_update_missing(auths, map);
        json_decref(j);
        return 0;
}

static bool is_docker_hub(const char *h, size_t n)
{
        static const char *names[] = {"docker.io", "index.docker.io", "registry-1.docker.io",
                                      "registry.hub.docker.com"};
        for (size_t i = 0; i < PC_ARRAY_SIZE(names); i++)
                if (strlen(names[i]) == n && !strncmp(h, names[i], n))
                        return true;
        return false;
}

/* A registry key or address without its scheme; *hn: the host's length. */
static const char *host_of(const char *key, size_t *hn)
{
        if (pc_str_has_prefix(key, "https://"))
                key += 8;
        else if (pc_str_has_prefix(key, "http://"))
                key += 7;
        *hn = strcspn(key, "/");
        return key;
}

bool pc_reg_server_is(const char *server_address, const char *domain)
{
        size_t hn;
        const char *k = host_of(server_address, &hn);
        if (is_docker_hub(k, hn))
                return !strcmp(domain, "docker.io");
        return strlen(domain) == hn && !strncasecmp(k, domain, hn);
}

/* Match length of `key` for domain/path, or -1. */
static int match(const char *key, const char *domain, const char *path)
{
        size_t hn;
        const char *k = host_of(key, &hn);
        const char *kpath = k[hn] ? k + hn + 1 : "";
        bool hub = is_docker_hub(k, hn);
        if (hub) {
                if (strcmp(domain, "docker.io") != 0)
                        return -1;
                if (!strcmp(kpath, "v1/") || !strcmp(kpath, "v1") || !strcmp(kpath, "v2/"))
                        kpath = "";
        } else if (strlen(domain) != hn || strncmp(k, domain, hn) != 0) {
                /* "*.example.com" globs of the kubelet, one label deep */
                if (hn > 2 && k[0] == '*' && k[1] == '.') {
                        const char *dot = strchr(domain, '.');
                        if (!dot || strlen(dot) != hn - 1 || strncmp(dot, k + 1, hn - 1) != 0)
                                return -1;
                } else {
                        return -1;
                }
        }
        size_t pn = strlen(kpath);
        while (pn && kpath[pn - 1] == '/')
                pn--;
        if (pn) {
                if (strncmp(path, kpath, pn) != 0 || (path[pn] && path[pn] != '/'))
                        return -1;
        }
        return (int)(hn + pn);
}

int pc_reg_auths_lookup(json_t *auths, const char *domain, const char *path, char **user,
                        char **pass, char **identity_token)
{
        const char *key, *best_key = NULL;
        json_t *val;
        int best = -1;
        json_object_foreach(auths, key, val)
        {
                if (!json_is_object(val))
                        continue;
                int m = match(key, domain, path);
                if (m > best) {
                        best = m;
                        best_key = key;
                }
        }
        if (!best_key)
                return 0;
        val = json_object_get(auths, best_key);
        const char *u = pc_json_str(val, "username"), *p = pc_json_str(val, "password");
        const char *a = pc_json_str(val, "auth"), *t = pc_json_str(val, "identitytoken");
        /* docker's and containers/image's rule: the refresh token wins */
        if (identity_token && t && *t) {
                *identity_token = pc_xstrdup(t);
                return 1;
        }
        if (a && *a) {
                char *dec = NULL;
                size_t n = 0;
                if (pc_base64_decode(a, &dec, &n) < 0)
                        return 0;
                char *colon = memchr(dec, ':', n);
                if (!colon) {
                        explicit_bzero(dec, n);
                        free(dec);
                        return 0;
                }
                *colon = '\0';
                *user = pc_xstrdup(dec);
                *pass = pc_xstrdup(colon + 1);
                explicit_bzero(dec, n);
                free(dec);
                return 1;
        }
        if (u && p) {
                *user = pc_xstrdup(u);
                *pass = pc_xstrdup(p);
                return 1;
        }
        return 0;
}

/* ---- docker credential helpers ------------------------------------------ */

/* The helper docker's config.json names for `domain`: credHelpers by
 * registry host (Docker Hub under any of its names), else credsStore. */
const char *pc_reg_cred_helper_name(json_t *config, const char *domain)
{
        json_t *helpers = json_object_get(config, "credHelpers");
        const char *key;
        json_t *val;
        json_object_foreach(helpers, key, val)
        {
                if (!json_is_string(val) || !*json_string_value(val))
                        continue;
                const char *k = key;
                if (pc_str_has_prefix(k, "https://"))
                        k += 8;
                size_t hn = strcspn(k, "/");
                bool same = is_docker_hub(k, hn) ? !strcmp(domain, "docker.io")
                                                 : strlen(domain) == hn && !strncmp(k, domain, hn);
                if (same)
                        return json_string_value(val);
        }
        const char *store = pc_json_str(config, "credsStore");
        return store && *store ? store : NULL;
}

/* Ask docker-credential-<name> for the credentials of `domain`, as docker
 * does: "get" with the server URL on stdin, {"Username","Secret"} on
 * stdout. 1 with *user and *pass set, 0 when the helper has none ("credentials
 * not found"), -1 when it cannot be run or fails. Its output, which may
 * hold the secret, never reaches an error message. */
int pc_reg_cred_helper_get(const char *name, const char *domain, char **user, char **pass,
                           char **identity_token, pc_error *err)
{
        if (!*name || strchr(name, '/'))
                return pc_fail(err, 0, "credential helper \"%s\": not a helper name", name);
        _cleanup_free_ char *prog = pc_xasprintf("docker-credential-%s", name);
        const char *path = getenv("PATH");
        _cleanup_free_ char *exe =
            pc_find_exec(path && *path ? path : "/usr/local/bin:/usr/bin:/bin", prog);
        if (!exe)
                return pc_fail(err, 0, "credential helper %s: not found in $PATH", prog);
        _cleanup_free_ char *server =
            pc_xstrdup(!strcmp(domain, "docker.io") ? "https://index.docker.io/v1/" : domain);
        char *argv[] = {exe, "get", NULL};
        extern char **environ;
        char *out = NULL, *errout = NULL;
        int st = 0;
        int rc = pc_run(argv, environ, server, strlen(server), 30 * 1000, &out, &errout, &st, err);
        if (rc < 0) {
                free(out);
                free(errout);
                return -1;
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                /* docker-credential-helpers' ErrCredentialsNotFound */
                bool none = strstr(out, "credentials not found") != NULL;
                explicit_bzero(out, strlen(out));
                free(out);
                free(errout);
                if (none)
                        return 0;
                return pc_fail(err, 0, "credential helper %s failed (%s %d)", prog,
                               WIFEXITED(st) ? "exit status" : "signal",
                               WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        }
        free(errout);
        json_t *j = json_loads(out, 0, NULL);
        explicit_bzero(out, strlen(out));
        free(out);
        const char *u = pc_json_str(j, "Username"), *p = pc_json_str(j, "Secret");
        if (!u || !p) {
                json_decref(j);
                return pc_fail(err, 0,
                               "credential helper %s: its answer has no Username and Secret", prog);
        }
        /* docker's convention (cli/config/credentials): this user name says
         * the secret is an identity token */
        if (!strcmp(u, "<token>"))
                *identity_token = pc_xstrdup(p);
        else {
                *user = pc_xstrdup(u);
                *pass = pc_xstrdup(p);
        }
        /* jansson keeps its own copy of the secret */
        explicit_bzero((char *)p, strlen(p));
        json_decref(j);
        return 1;
}
