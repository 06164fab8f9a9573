/* Image reference grammar of distribution/reference (reference.go, normalize.go):
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [domain "/"] path-component ["/" path-component]*
 *   domain     := domain-component ["." domain-component]* [":" port-number]
 *   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 *   path-component   := [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
 *   tag        := /[\w][\w.-]{0,127}/
 *   digest     := algorithm ":" hex   (podctl supports sha256 only)
 *
 * The first component is a domain when it has a "." or ":", is "localhost",
 * or has an upper-case letter; otherwise docker.io is implied, and a
 * one-component path on docker.io gets "library/". The name is at most 255
 * characters. */
#include "util/imageref.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static const char E_FORMAT[] = "invalid reference format";
static const char E_LOWER[] = "invalid reference format: repository name must be lowercase";
static const char E_LONG[] = "invalid reference format: repository name must not be more than "
                             "255 characters";
static const char E_HEX[] = "invalid repository name (64-byte hexadecimal strings), cannot "
                            "specify 64-byte hexadecimal strings";
static const char E_DIGEST[] = "invalid reference format: unsupported digest (podctl supports "
                               "sha256:<64 hex digits>)";

static bool lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool path_component_ok(const char *s, size_t n)
{
        size_t i = 0;
        for (;;) {
                if (i >= n || !lower_alnum(s[i]))
                        return false;
                while (i < n && lower_alnum(s[i]))
                        i++;
                if (i == n)
                        return true;
                if (s[i] == '.') {
                        i++;
                } else if (s[i] == '_') {
                        i++;
                        if (i < n && s[i] == '_')
                                i++;
                } else if (s[i] == '-') {
                        while (i < n && s[i] == '-')
                                i++;
                } else {
                        return false;
                }
        }
}

static bool domain_component_ok(const char *s, size_t n)
{
        if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && s[i] != '-')
                        return false;
        return true;
}

static bool domain_ok(const char *s, size_t n)
{
        const char *colon = memchr(s, ':', n);
        size_t hn = colon ? (size_t)(colon - s) : n;
        if (colon) {
                const char *p = colon + 1, *e = s + n;
                if (p == e)
                        return false;
                for (; p < e; p++)
                        if (!isdigit((unsigned char)*p))
                                return false;
        }
        size_t start = 0;
        for (size_t i = 0; i <= hn; i++) {
                if (i == hn || s[i] == '.') {
                        if (!domain_component_ok(s + start, i - start))
                                return false;
                        start = i + 1;
                }
        }
        return true;
}

static bool tag_ok(const char *t, size_t n)
{
        if (n == 0 || n > 128)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = t[i];
                bool word = isalnum((unsigned char)c) || c == '_';
                if (!word && (i == 0 || (c != '.' && c != '-')))
                        return false;
        }
        return true;
}

static bool sha256_ok(const char *d)
{
        if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
                return false;
        for (const char *p = d + 7; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

/* algorithm ":" hex{32,} as docker accepts it (we then support only sha256) */
static bool digest_syntax_ok(const char *d)
{
        const char *colon = strchr(d, ':');
        if (!colon || colon == d || !isalpha((unsigned char)d[0]))
                return false;
        for (const char *p = d; p < colon; p++)
                if (!isalnum((unsigned char)*p) && !strchr("-_+.", *p))
                        return false;
        size_t n = strlen(colon + 1);
        if (n < 32)
                return false;
        for (const char *p = colon + 1; *p; p++)
                if (!isxdigit((unsigned char)*p))
                        return false;
        return true;
}

void pc_imgref_clear(struct pc_imgref *r)
{
        free(r->domain);
        free(r->path);
        free(r->tag);
        free(r->digest);
        memset(r, 0, sizeof(*r));
}

int pc_imgref_parse(const char *s, struct pc_imgref *out, const char **why)
{
        memset(out, 0, sizeof(*out));
        *why = E_FORMAT;
        if (!s || !*s || strlen(s) > 4096)
                return -1;
        const char *at = strchr(s, '@');
        size_t name_end = at ? (size_t)(at - s) : strlen(s);
        if (at) {
                if (!digest_syntax_ok(at + 1))
                        return -1;
                if (!sha256_ok(at + 1)) {
                        *why = E_DIGEST;
                        return -1;
                }
        }
        /* a tag: the last ':' after the last '/' of the name part */
        const char *slash = memrchr(s, '/', name_end);
        const char *lastc = slash ? slash + 1 : s;
        const char *colon = memchr(lastc, ':', name_end - (size_t)(lastc - s));
        size_t repo_end = colon ? (size_t)(colon - s) : name_end;
        if (colon && !tag_ok(colon + 1, name_end - repo_end - 1))
                return -1;
        if (repo_end == 0)
                return -1;

        /* domain split (splitDockerDomain) */
        const char *first = memchr(s, '/', repo_end);
        const char *path = s;
        size_t dn = 0;
        bool has_domain = false;
        if (first) {
                dn = (size_t)(first - s);
                has_domain = memchr(s, '.', dn) || memchr(s, ':', dn) ||
                             (dn == 9 && !strncmp(s, "localhost", 9));
                for (size_t i = 0; i < dn && !has_domain; i++)
                        if (isupper((unsigned char)s[i]))
                                has_domain = true;
                if (has_domain) {
                        if (!domain_ok(s, dn))
                                return -1;
                        path = first + 1;
                }
        }
        size_t pn = repo_end - (size_t)(path - s);
        for (size_t i = 0; i < pn; i++) {
                if (isupper((unsigned char)path[i])) {
                        *why = E_LOWER;
                        return -1;
                }
        }
        size_t ncomp = 0;
        for (size_t i = 0, start = 0; i <= pn; i++) {
                if (i == pn || path[i] == '/') {
                        if (!path_component_ok(path + start, i - start))
                                return -1;
                        ncomp++;
                        start = i + 1;
                }
        }
        if (!has_domain && pn == 64) {
                bool hex = true;
                for (size_t i = 0; i < pn && hex; i++)
                        hex = (path[i] >= '0' && path[i] <= '9') ||
                              (path[i] >= 'a' && path[i] <= 'f');
                if (hex) {
                        *why = E_HEX;
                        return -1;
                }
        }
        char *domain = has_domain ? strndup(s, dn) : pc_xstrdup("docker.io");
        if (!domain)
                abort();
        if (!strcmp(domain, "index.docker.io")) {
                free(domain);
                domain = pc_xstrdup("docker.io");
        }
        bool library = !strcmp(domain, "docker.io") && ncomp == 1;
        out->domain = domain;
        out->path = pc_xasprintf("%s%.*s", library ? "library/" : "", (int)pn, path);
        if (strlen(out->domain) + 1 + strlen(out->path) > 255) {
                pc_imgref_clear(out);
                *why = E_LONG;
                return -1;
        }
        if (colon) {
                out->tag = strndup(colon + 1, name_end - repo_end - 1);
                if (!out->tag)
                        abort();
        }
        if (at)
                out->digest = pc_xstrdup(at + 1);
        *why = NULL;
        return 0;
}

const char *pc_imgref_tag(const struct pc_imgref *r)
{
        if (r->tag)
                return r->tag;
        return r->digest ? NULL : "latest";
}

char *pc_imgref_name(const struct pc_imgref *r)
{
        return pc_xasprintf("%s/%s", r->domain, r->path);
}

char *pc_imgref_string(const struct pc_imgref *r)
{
        const char *tag = pc_imgref_tag(r);
        return pc_xasprintf("%s/%s%s%s%s%s", r->domain, r->path, tag ? ":" : "", tag ? tag : "",
                            r->digest ? "@" : "", r->digest ? r->digest : "");
}

const char *pc_imgref_default_pull_policy(const char *image)
{
        struct pc_imgref r;
        const char *why;
        if (pc_imgref_parse(image, &r, &why) < 0)
                return "IfNotPresent";
        const char *tag = pc_imgref_tag(&r);
        const char *pol = tag && !strcmp(tag, "latest") ? "Always" : "IfNotPresent";
        pc_imgref_clear(&r);
        return pol;
}
