/* HTTP with a registry (libcurl): TLS, authentication, errors.
 *
 * Authentication follows the distribution spec's token flow: a request is
 * made with what we have (a cached token for the scope, Basic credentials
 * once the registry asked for them); a 401 carries a WWW-Authenticate
 * challenge; Bearer -> GET realm?service=..&scope=.. (with Basic
 * credentials when we have some) -> {"token"|"access_token", "expires_in"},
 * cached per scope until it expires; Basic -> the credentials, if any.
 * With an identity token (an OAuth2 refresh token, the CRI's
 * identity_token) the token comes from distribution's OAuth2 POST to the
 * realm instead (grant_type=refresh_token), as containerd asks for it,
 * falling back to the GET as containerd does (fetch_token). A registry
 * token (the CRI's registry_token) is a Bearer token sent as it is on every
 * request: no token server is asked, and a 401 is final.
 *
 * Credentials travel only in an Authorization header (a refresh token also
 * in the body of the OAuth2 POST, which follows no redirect). libcurl (>= 7.58)
 * never sends a custom Authorization header to a host other than the one
 * of the original URL when it follows a redirect (CURLOPT_UNRESTRICTED_AUTH
 * stays off), so blob redirects to storage hosts go without it. Messages
 * never contain credentials or tokens.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/image_int.h"
#include "image/registry_int.h"
#include "util/util.h"

/* ---- base64 ---- */

char *pc_base64_encode(const void *data, size_t len)
{
        char *out = pc_xmalloc(4 * ((len + 2) / 3) + 1);
        EVP_EncodeBlock((unsigned char *)out, data, (int)len);
        return out;
}

int pc_base64_decode(const char *s, char **out, size_t *len)
{
        size_t n = strlen(s);
        while (n && isspace((unsigned char)s[n - 1]))
                n--;
        if (n % 4 == 1)
                return -1;
        /* accept unpadded input */
        _cleanup_free_ char *padded = pc_xasprintf("%.*s%s", (int)n, s,
                                                   n % 4 == 2   ? "=="
                                                   : n % 4 == 3 ? "="
                                                                : "");
        size_t pn = strlen(padded);
        char *buf = pc_xmalloc(pn / 4 * 3 + 1);
        int r = EVP_DecodeBlock((unsigned char *)buf, (unsigned char *)padded, (int)pn);
        if (r < 0) {
                free(buf);
                return -1;
        }
        size_t m = (size_t)r;
        if (pn >= 1 && padded[pn - 1] == '=')
                m--;
        if (pn >= 2 && padded[pn - 2] == '=')
                m--;
        buf[m] = '\0';
        *out = buf;
        *len = m;
        return 0;
}

/* ---- WWW-Authenticate ---- */

void pc_reg_challenge_clear(struct pc_reg_challenge *c)
{
        free(c->scheme);
        free(c->realm);
        free(c->service);
        free(c->scope);
        memset(c, 0, sizeof(*c));
}

static const char *skip_ws(const char *p)
{
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

static size_t tok_len(const char *p)
{
        size_t n = 0;
        while (p[n] && !strchr(" \t,=\"", p[n]))
                n++;
        return n;
}

static int rank(const char *scheme)
{
        if (!scheme)
                return 0;
        if (!strcmp(scheme, "bearer"))
                return 2;
        if (!strcmp(scheme, "basic"))
                return 1;
        return 0;
}

int pc_reg_parse_challenge(const char *hdr, struct pc_reg_challenge *out)
{
        struct pc_reg_challenge cur = {0}, best = {0};
        memset(out, 0, sizeof(*out));
        const char *p = hdr ? hdr : "";
        for (;;) {
                while (*p == ' ' || *p == '\t' || *p == ',')
                        p++;
                if (!*p)
                        break;
                size_t n = tok_len(p);
                if (n == 0)
                        goto fail;
                if (rank(cur.scheme) > rank(best.scheme)) {
                        pc_reg_challenge_clear(&best);
                        best = cur;
                } else {
                        pc_reg_challenge_clear(&cur);
                }
                memset(&cur, 0, sizeof(cur));
                cur.scheme = strndup(p, n);
                if (!cur.scheme)
                        abort();
                for (char *c = cur.scheme; *c; c++)
                        *c = (char)tolower((unsigned char)*c);
                p += n;
                for (;;) {
                        const char *q = skip_ws(p);
                        while (*q == ',')
                                q = skip_ws(q + 1);
                        size_t kn = tok_len(q);
                        const char *r = skip_ws(q + kn);
                        if (kn == 0 || *r != '=') {
                                /* the end, a token68, or the next challenge */
                                if (kn == 0 && *q && *q != ',')
                                        goto fail;
                                p = q;
                                break;
                        }
                        r = skip_ws(r + 1);
                        char *val;
                        if (*r == '"') {
                                size_t cap = strlen(r) + 1, vn = 0;
                                val = pc_xmalloc(cap);
                                for (r++; *r && *r != '"'; r++) {
                                        if (*r == '\\' && r[1])
                                                r++;
                                        val[vn++] = *r;
                                }
                                val[vn] = '\0';
                                if (*r != '"') {
                                        free(val);
                                        goto fail;
                                }
                                r++;
                        } else {
                                size_t vn = tok_len(r);
                                val = strndup(r, vn);
                                if (!val)
                                        abort();
                                r += vn;
                        }
                        char **slot = NULL;
                        if (kn == 5 && !strncasecmp(q, "realm", 5))
                                slot = &cur.realm;
                        else if (kn == 7 && !strncasecmp(q, "service", 7))
                                slot = &cur.service;
                        else if (kn == 5 && !strncasecmp(q, "scope", 5))
                                slot = &cur.scope;
                        if (slot && !*slot)
                                *slot = val;
                        else
                                free(val);
                        p = r;
                }
        }
        if (rank(cur.scheme) > rank(best.scheme)) {
                pc_reg_challenge_clear(&best);
                best = cur;
        } else {
                pc_reg_challenge_clear(&cur);
        }
        if (!rank(best.scheme)) {
                pc_reg_challenge_clear(&best);
                return -1;
        }
        *out = best;
        return 0;
fail:
        pc_reg_challenge_clear(&cur);
        pc_reg_challenge_clear(&best);
        return -1;
}

/* ---- configuration ---- */

json_t *pc_reg_config_load(const char *root, pc_error *err)
{
        _cleanup_free_ char *path = pc_xasprintf("%s/config.json", root);
        _cleanup_free_ char *data = NULL;
        size_t n = 0;
        pc_error e;
        if (access(path, F_OK) < 0)
                return json_object();
        if (pc_read_file(path, &data, &n, &e) < 0) {
                *err = e;
                return NULL;
        }
        json_t *j = NULL;
        if (pc_json_parse(data, n, path, &j, err) < 0)
                return NULL;
        json_t *r = json_object_get(j, "registries");
        if (r && !json_is_object(r)) {
                json_decref(j);
                pc_fail(err, 0, "%s: registries: not an object", path);
                return NULL;
        }
        json_t *out = r ? json_incref(r) : json_object();
        json_decref(j);
        return out;
}

bool pc_reg_is_insecure(json_t *config, const char *host)
{
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(config, "insecure"), i, v)
        {
                const char *s = json_string_value(v);
                if (!s)
                        continue;
                if (pc_str_has_prefix(s, "http://"))
                        s += 7;
                else if (pc_str_has_prefix(s, "https://"))
                        s += 8;
                size_t n = strcspn(s, "/");
                if (strlen(host) == n && !strncmp(s, host, n))
                        return true;
        }
        return false;
}

/* ---- TLS material from certs.d ---- */

static void append_file(char **buf, size_t *len, const char *path)
{
        _cleanup_free_ char *data = NULL;
        size_t n = 0;
        pc_error e;
        if (pc_read_file(path, &data, &n, &e) < 0)
                return;
        *buf = pc_xrealloc(*buf, *len + n + 2);
        memcpy(*buf + *len, data, n);
        *len += n;
        (*buf)[(*len)++] = '\n';
        (*buf)[*len] = '\0';
}

static void load_certs_d(struct pc_reg *r, json_t *config, const char *certs_host)
{
        static const char *defaults[] = {"/etc/docker/certs.d", "/etc/containers/certs.d"};
        json_t *dirs = json_object_get(config, "certsDirs");
        size_t nd = json_is_array(dirs) ? json_array_size(dirs) : PC_ARRAY_SIZE(defaults);
        char *extra = NULL;
        size_t elen = 0;
        for (size_t i = 0; i < nd; i++) {
                const char *base =
                    json_is_array(dirs) ? json_string_value(json_array_get(dirs, i)) : defaults[i];
                if (!base)
                        continue;
                _cleanup_free_ char *dir = pc_xasprintf("%s/%s", base, certs_host);
                DIR *d = opendir(dir);
                if (!d)
                        continue;
                struct dirent *de;
                while ((de = readdir(d))) {
                        _cleanup_free_ char *p = pc_xasprintf("%s/%s", dir, de->d_name);
                        if (pc_str_has_suffix(de->d_name, ".crt")) {
                                append_file(&extra, &elen, p);
                        } else if (pc_str_has_suffix(de->d_name, ".cert") && !r->client_cert) {
                                _cleanup_free_ char *key = pc_xasprintf(
                                    "%s/%.*s.key", dir, (int)(strlen(de->d_name) - 5), de->d_name);
                                if (access(key, R_OK) == 0) {
                                        r->client_cert = STEAL(p);
                                        r->client_key = STEAL(key);
                                }
                        }
                }
                closedir(d);
        }
        if (!extra)
                return;
        /* the system store first, then the registry's CAs */
        curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);
        const char *sys = vi && vi->cainfo ? vi->cainfo : "/etc/ssl/certs/ca-certificates.crt";
        char *all = NULL;
        size_t alen = 0;
        append_file(&all, &alen, sys);
        all = pc_xrealloc(all, alen + elen + 1);
        memcpy(all + alen, extra, elen + 1);
        alen += elen;
        free(extra);
        r->ca_blob = all;
        r->ca_len = alen;
}

/* ---- endpoints ---- */

static void free_secret(char *s)
{
        if (s) {
                explicit_bzero(s, strlen(s));
                free(s);
        }
}

int pc_reg_open(const char *host, const char *base, const char *repo, json_t *config,
                const struct pc_reg_creds *creds, struct pc_reg **out, pc_error *err)
{
        static const struct pc_reg_creds none = {0};
        if (!creds)
                creds = &none;
        struct pc_reg *r = pc_xcalloc(1, sizeof(*r));
        r->host = pc_xstrdup(host);
        size_t bl = strlen(base);
        while (bl && base[bl - 1] == '/')
                bl--;
        r->base = strndup(base, bl);
        if (!r->base)
                abort();
        r->repo = pc_xstrdup(repo);
        r->scope = pc_xasprintf("repository:%s:pull", repo);
        r->tokens = json_object();
        /* host[:port] of the endpoint, for insecure and certs.d */
        const char *h = strstr(r->base, "://");
        h = h ? h + 3 : r->base;
        _cleanup_free_ char *ep_host = strndup(h, strcspn(h, "/"));
        if (!ep_host)
                abort();
        r->insecure = pc_reg_is_insecure(config, ep_host) || pc_reg_is_insecure(config, host);
        if (pc_str_has_prefix(r->base, "http://")) {
                if (!r->insecure) {
                        pc_reg_free(r);
                        return pc_fail(err, 0,
                                       "registry %s: plain HTTP is used only for registries listed "
                                       "in registries.insecure of config.json",
                                       ep_host);
                }
                r->plain_http = true;
        }
        load_certs_d(r, config, ep_host);
        if (creds->user && creds->pass) {
                _cleanup_free_ char *up = pc_xasprintf("%s:%s", creds->user, creds->pass);
                _cleanup_free_ char *b = pc_base64_encode(up, strlen(up));
                r->basic = pc_xasprintf("Basic %s", b);
                explicit_bzero(up, strlen(up));
        }
        if (creds->registry_token && *creds->registry_token)
                r->registry_token = pc_xstrdup(creds->registry_token);
        if (creds->identity_token && *creds->identity_token)
                r->identity_token = pc_xstrdup(creds->identity_token);
        r->easy = curl_easy_init();
        if (!r->easy) {
                pc_reg_free(r);
                return pc_fail(err, ENOMEM, "curl_easy_init");
        }
        *out = r;
        return 0;
}

void pc_reg_free(struct pc_reg *r)
{
        if (!r)
                return;
        if (r->easy)
                curl_easy_cleanup(r->easy);
        free(r->host);
        free(r->base);
        free(r->repo);
        free(r->ca_blob);
        free(r->client_cert);
        free(r->client_key);
        free_secret(r->basic);
        free_secret(r->token);
        free_secret(r->registry_token);
        free_secret(r->identity_token);
        free(r->scope);
        json_decref(r->tokens);
        free(r);
}

void pc_reg_resp_clear(struct pc_reg_resp *r)
{
        free(r->body);
        free(r->content_type);
        free(r->www_auth);
        free(r->effective_url);
        memset(r, 0, sizeof(*r));
}

char *pc_reg_auth_header(struct pc_reg *r)
{
        if (r->registry_token)
                return pc_xasprintf("Authorization: Bearer %s", r->registry_token);
        if (r->token)
                return pc_xasprintf("Authorization: Bearer %s", r->token);
        if (r->want_basic && r->basic)
                return pc_xasprintf("Authorization: %s", r->basic);
        return NULL;
}

void pc_reg_setup(struct pc_reg *r, CURL *e, const char *url, const char *accept,
                  const char *extra_header, struct curl_slist **hdrs)
{
        curl_easy_setopt(e, CURLOPT_URL, url);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(e, CURLOPT_UNRESTRICTED_AUTH, 0L);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, r->plain_http ? "http,https" : "https");
        curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, r->insecure ? "http,https" : "https");
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 30L);
        /* a stalled transfer fails instead of hanging: < 1 kB/s for 60 s */
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1024L);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 60L);
        curl_easy_setopt(e, CURLOPT_USERAGENT, "podctl/0.1");
        curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, NULL);
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, r->insecure ? 0L : 1L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, r->insecure ? 0L : 2L);
        if (r->ca_blob) {
                struct curl_blob b = {
                    .data = r->ca_blob, .len = r->ca_len, .flags = CURL_BLOB_NOCOPY};
                curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
        }
        if (r->client_cert) {
                curl_easy_setopt(e, CURLOPT_SSLCERT, r->client_cert);
                curl_easy_setopt(e, CURLOPT_SSLKEY, r->client_key);
        }
        struct curl_slist *h = NULL;
        if (accept) {
                _cleanup_free_ char *a = pc_xasprintf("Accept: %s", accept);
                h = curl_slist_append(h, a);
        }
        _cleanup_free_ char *auth = pc_reg_auth_header(r);
        if (auth) {
                h = curl_slist_append(h, auth);
                explicit_bzero(auth, strlen(auth));
        }
        if (extra_header)
                h = curl_slist_append(h, extra_header);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
        *hdrs = h;
}

size_t pc_reg_header_cb(char *buf, size_t size, size_t n, void *data)
{
        struct pc_reg_resp *resp = data;
        size_t len = size * n;
        const char *colon = memchr(buf, ':', len);
        if (!colon)
                return len;
        size_t kn = (size_t)(colon - buf);
        const char *v = colon + 1;
        size_t vn = len - kn - 1;
        while (vn && (*v == ' ' || *v == '\t'))
                v++, vn--;
        while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
                vn--;
        char **slot = NULL;
        if (kn == 12 && !strncasecmp(buf, "content-type", 12))
                slot = &resp->content_type;
        else if (kn == 16 && !strncasecmp(buf, "www-authenticate", 16))
                slot = &resp->www_auth;
        if (slot) {
                free(*slot);
                *slot = strndup(v, vn);
                if (!*slot)
                        abort();
        }
        return len;
}

/* A new response (after a redirect) starts with its status line: forget
 * the headers of the previous one. */
static size_t header_cb_reset(char *buf, size_t size, size_t n, void *data)
{
        struct pc_reg_resp *resp = data;
        if (size * n >= 5 && !strncmp(buf, "HTTP/", 5)) {
                free(resp->content_type);
                free(resp->www_auth);
                resp->content_type = resp->www_auth = NULL;
                return size * n;
        }
        return pc_reg_header_cb(buf, size, n, data);
}

static size_t body_cb(char *buf, size_t size, size_t n, void *data)
{
        struct pc_reg_resp *resp = data;
        size_t len = size * n;
        if (resp->len + len > resp->max) {
                resp->too_big = true;
                return 0;
        }
        resp->body = pc_xrealloc(resp->body, resp->len + len + 1);
        memcpy(resp->body + resp->len, buf, len);
        resp->len += len;
        resp->body[resp->len] = '\0';
        return len;
}

static int transport_fail(CURLcode c, const char *errbuf, const char *method, const char *url,
                          pc_error *err)
{
        return pc_fail(err, 0, "%s %s: %s", method, url, *errbuf ? errbuf : curl_easy_strerror(c));
}

/* Perform the request set up on the endpoint's handle (headers h, freed
 * here) into resp (at most max bytes of body). */
static int perform(struct pc_reg *r, const char *method, const char *url, size_t max,
                   struct curl_slist *h, struct pc_reg_resp *resp, pc_error *err)
{
        CURL *e = r->easy;
        char errbuf[CURL_ERROR_SIZE] = "";
        resp->max = max;
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb_reset);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, resp);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, body_cb);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, resp);
        CURLcode c = curl_easy_perform(e);
        curl_slist_free_all(h);
        if (c == CURLE_WRITE_ERROR && resp->too_big)
                return pc_fail(err, 0, "%s %s: response larger than %zu bytes", method, url, max);
        if (c != CURLE_OK)
                return transport_fail(c, errbuf, method, url, err);
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &resp->status);
        char *eff = NULL;
        curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &eff);
        resp->effective_url = pc_xstrdup(eff);
        return 0;
}

/* One GET of an absolute URL of the registry, with what authenticates us
 * there. */
static int get_url(struct pc_reg *r, const char *url, const char *accept, size_t max,
                   struct pc_reg_resp *resp, pc_error *err)
{
        curl_easy_reset(r->easy);
        pc_reg_resp_clear(resp);
        struct curl_slist *h = NULL;
        pc_reg_setup(r, r->easy, url, accept, NULL, &h);
        return perform(r, "GET", url, max, h, resp, err);
}

/* pc_reg_setup for a request to the token server: what authenticates us at
 * the registry (its current token, the registry token, Basic) is not sent
 * there; `auth` (a whole "Authorization: ..." header) or nothing instead. */
static void setup_token_request(struct pc_reg *r, const char *url, const char *auth,
                                struct curl_slist **h)
{
        char *tok = r->token, *rtok = r->registry_token;
        bool wb = r->want_basic;
        r->token = r->registry_token = NULL;
        r->want_basic = false;
        pc_reg_setup(r, r->easy, url, "application/json", auth, h);
        r->token = tok;
        r->registry_token = rtok;
        r->want_basic = wb;
}

#define TOKEN_MAX (1 << 20)

/* The token server's GET (distribution's token.md), with Basic
 * credentials `basic` ("Basic <base64>") or anonymous. */
static int token_get(struct pc_reg *r, const char *url, const char *basic, struct pc_reg_resp *resp,
                     pc_error *err)
{
        curl_easy_reset(r->easy);
        pc_reg_resp_clear(resp);
        _cleanup_free_ char *auth = basic ? pc_xasprintf("Authorization: %s", basic) : NULL;
        struct curl_slist *h = NULL;
        setup_token_request(r, url, auth, &h);
        if (auth)
                explicit_bzero(auth, strlen(auth));
        return perform(r, "GET", url, TOKEN_MAX, h, resp, err);
}

/* The token server's OAuth2 POST (distribution's oauth.md) of `form`,
 * application/x-www-form-urlencoded. Redirects are not followed: the form
 * holds the refresh token, which libcurl would post again to wherever a 307
 * points (it keeps only headers from other hosts). */
static int token_post(struct pc_reg *r, const char *url, const char *form, struct pc_reg_resp *resp,
                      pc_error *err)
{
        curl_easy_reset(r->easy);
        pc_reg_resp_clear(resp);
        struct curl_slist *h = NULL;
        setup_token_request(r, url,
                            "Content-Type: application/x-www-form-urlencoded; charset=utf-8", &h);
        curl_easy_setopt(r->easy, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, form);
        curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
        int rc = perform(r, "POST", url, TOKEN_MAX, h, resp, err);
        curl_easy_reset(r->easy); /* the handle forgets the form */
        return rc;
}

static char *url_escape(const char *s)
{
        char *e = curl_easy_escape(NULL, s, 0);
        if (!e)
                abort();
        char *r = pc_xstrdup(e);
        curl_free(e);
        return r;
}

static bool has_creds(const struct pc_reg *r)
{
        return r->basic || r->registry_token || r->identity_token;
}

void pc_reg_explain_refusal(const struct pc_reg *r, pc_error *err)
{
        size_t n = strlen(err->msg);
        if (r->registry_token)
                snprintf(err->msg + n, sizeof(err->msg) - n, " (the registry token was refused)");
        else if (!has_creds(r))
                snprintf(err->msg + n, sizeof(err->msg) - n, " (no credentials found for %s)",
                         r->host);
}

/* A token for `scope` from the challenge's realm, as containerd's docker
 * authorizer asks for one (remotes/docker/authorizer.go, auth/fetch.go).
 * With an identity token: the OAuth2 POST (grant_type=refresh_token,
 * client_id=podctl), its JSON's access_token; a POST answered 400, 401 or
 * 404 (servers without OAuth2: GCR's 404, Artifactory's 401, ACR's 400) is
 * followed by the GET with the refresh token as Basic password and no user
 * name; 405 is such an answer only with a user name, which an identity
 * token never has, so it fails. Otherwise the GET, with the Basic
 * credentials when there are some; its JSON's token or access_token. The
 * caller frees *tok; *expires_in is 0 when the answer has none. */
static int fetch_token(struct pc_reg *r, const struct pc_reg_challenge *ch, const char *scope,
                       char **tok, json_int_t *expires_in, pc_error *err)
{
        _cleanup_free_ char *esc_scope = url_escape(scope);
        _cleanup_free_ char *esc_service = url_escape(ch->service ? ch->service : "");
        struct pc_reg_resp resp = {0};
        bool oauth = false;
        long post_status = 0;
        if (r->identity_token) {
                char *esc_rt = url_escape(r->identity_token);
                char *form = pc_xasprintf("grant_type=refresh_token&refresh_token=%s&service=%s&"
                                          "scope=%s&client_id=podctl",
                                          esc_rt, esc_service, esc_scope);
                int rc = token_post(r, ch->realm, form, &resp, err);
                free_secret(form);
                free_secret(esc_rt);
                if (rc < 0) {
                        pc_reg_resp_clear(&resp);
                        return pc_error_prefix(err, "token server");
                }
                post_status = resp.status;
                oauth = resp.status == 200;
                if (!oauth && resp.status != 400 && resp.status != 401 && resp.status != 404) {
                        pc_reg_http_fail(&resp, "token server: OAuth2 POST", err);
                        pc_reg_resp_clear(&resp);
                        return -1;
                }
        }
        if (!oauth) {
                _cleanup_free_ char *url = pc_xasprintf(
                    "%s%sscope=%s%s%s", ch->realm, strchr(ch->realm, '?') ? "&" : "?", esc_scope,
                    ch->service ? "&service=" : "", ch->service ? esc_service : "");
                char *basic = NULL;
                if (r->identity_token) {
                        char *up = pc_xasprintf(":%s", r->identity_token);
                        char *b = pc_base64_encode(up, strlen(up));
                        basic = pc_xasprintf("Basic %s", b);
                        free_secret(up);
                        free_secret(b);
                }
                int rc = token_get(r, url, basic ? basic : r->basic, &resp, err);
                free_secret(basic);
                if (rc < 0) {
                        pc_reg_resp_clear(&resp);
                        return pc_error_prefix(err, "token server");
                }
        }
        if (resp.status != 200) {
                pc_reg_http_fail(&resp, "token server", err);
                pc_reg_resp_clear(&resp);
                size_t n = strlen(err->msg);
                if (post_status)
                        snprintf(err->msg + n, sizeof(err->msg) - n,
                                 " (the GET tried after the OAuth2 POST was answered %ld)",
                                 post_status);
                else
                        pc_reg_explain_refusal(r, err);
                return -1;
        }
        json_t *j = NULL;
        int rc = pc_json_parse(resp.body ? resp.body : "", resp.len, "token response", &j, err);
        pc_reg_resp_clear(&resp);
        if (rc < 0)
                return -1;
        /* the OAuth2 answer has access_token; the GET's token, or access_token */
        const char *t = oauth ? NULL : pc_json_str(j, "token");
        if (!t || !*t)
                t = pc_json_str(j, "access_token");
        if (!t || !*t) {
                json_decref(j);
                return pc_fail(err, 0, "token response without %s",
                               oauth ? "an access_token" : "a token");
        }
        *tok = pc_xstrdup(t);
        *expires_in = json_integer_value(json_object_get(j, "expires_in"));
        json_decref(j);
        return 0;
}

int pc_reg_authenticate(struct pc_reg *r, const char *www_auth, bool renew, pc_error *err)
{
        /* a given bearer token is all there is: never exchanged, never replaced */
        if (r->registry_token)
                return pc_fail(err, 0, "401 Unauthorized: the registry token was refused");
        struct pc_reg_challenge ch;
        if (pc_reg_parse_challenge(www_auth, &ch) < 0)
                return pc_fail(err, 0, "401 Unauthorized (no usable WWW-Authenticate challenge)");
        if (!strcmp(ch.scheme, "basic")) {
                pc_reg_challenge_clear(&ch);
                if (!r->basic && r->identity_token)
                        return pc_fail(err, 0,
                                       "401 Unauthorized: the registry asks for Basic credentials; "
                                       "an identity token is only exchanged at a token server");
                if (!r->basic)
                        return pc_fail(err, 0,
                                       "401 Unauthorized: the registry needs credentials "
                                       "(no credentials found for %s)",
                                       r->host);
                r->want_basic = true;
                return 0;
        }
        if (!ch.realm) {
                pc_reg_challenge_clear(&ch);
                return pc_fail(err, 0, "401 Unauthorized: Bearer challenge without a realm");
        }
        _cleanup_free_ char *scope = pc_xstrdup(ch.scope ? ch.scope : r->scope);
        if (renew)
                json_object_del(r->tokens, scope);
        json_t *cached = json_object_get(r->tokens, scope);
        if (cached && json_integer_value(json_object_get(cached, "exp")) > pc_monotonic_ns()) {
                free_secret(r->token);
                r->token = pc_xstrdup(json_string_value(json_object_get(cached, "token")));
                pc_reg_challenge_clear(&ch);
                return 0;
        }
        if (!pc_str_has_prefix(ch.realm, "https://") &&
            !(r->insecure && pc_str_has_prefix(ch.realm, "http://"))) {
                int rr = pc_fail(err, 0, "token realm \"%s\" is not https", ch.realm);
                pc_reg_challenge_clear(&ch);
                return rr;
        }
        char *tok = NULL;
        json_int_t exp_s = 0;
        int rc = fetch_token(r, &ch, scope, &tok, &exp_s, err);
        pc_reg_challenge_clear(&ch);
        if (rc < 0)
                return -1;
        if (exp_s < 60)
                exp_s = 60; /* the spec's default and minimum */
        free_secret(r->token);
        r->token = tok;
        /* renew 10 s before it runs out */
        json_object_set_new(
            r->tokens, scope,
            json_pack("{s:s, s:I}", "token", tok, "exp",
                      (json_int_t)(pc_monotonic_ns() + (exp_s - 10) * 1000000000LL)));
        return 0;
}

int pc_reg_get(struct pc_reg *r, const char *path, const char *accept, size_t max,
               struct pc_reg_resp *resp, pc_error *err)
{
        _cleanup_free_ char *url = pc_xasprintf("%s%s", r->base, path);
        for (bool renewed = false;; renewed = true) {
                bool had = r->token || (r->want_basic && r->basic);
                if (get_url(r, url, accept, max, resp, err) < 0)
                        return -1;
                /* a registry token refused: the caller reports the registry's answer */
                if (resp->status != 401 || renewed || r->registry_token)
                        return 0;
                _cleanup_free_ char *wa = pc_xstrdup(resp->www_auth);
                if (pc_reg_authenticate(r, wa, had, err) < 0)
                        return -1;
        }
}

static const char *reason(long status)
{
        switch (status) {
        case 400:
                return "Bad Request";
        case 401:
                return "Unauthorized";
        case 403:
                return "Forbidden";
        case 404:
                return "Not Found";
        case 405:
                return "Method Not Allowed";
        case 429:
                return "Too Many Requests";
        case 500:
                return "Internal Server Error";
        case 502:
                return "Bad Gateway";
        case 503:
                return "Service Unavailable";
        default:
                return "";
        }
}

int pc_reg_http_fail(const struct pc_reg_resp *resp, const char *what, pc_error *err)
{
        /* {"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown",...}]} */
        char detail[512] = "";
        json_t *j = resp->body ? json_loadb(resp->body, resp->len, 0, NULL) : NULL;
        json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
        const char *code = pc_json_str(e0, "code"), *msg = pc_json_str(e0, "message");
        if (!msg)
                msg = pc_json_str(j, "details"); /* token servers */
        if (!code && !msg) {
                /* an OAuth2 error (RFC 6749 section 5.2) */
                code = pc_json_str(j, "error");
                msg = pc_json_str(j, "error_description");
        }
        if (code || msg)
                snprintf(detail, sizeof(detail), ": %s%s%.300s", code ? code : "",
                         code && msg ? ": " : "", msg ? msg : "");
        json_decref(j);
        return pc_fail(err, 0, "%s: %ld %s%s", what, resp->status, reason(resp->status), detail);
}
