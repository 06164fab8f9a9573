/* Image reference normalization, following the rules of Docker's
 * distribution/reference (familiar names get docker.io and library/). */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "image/image_int.h"
#include "util/util.h"

static bool is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
static bool component_valid(const char *s, size_t n)
{
        size_t i = 0;
        for (;;) {
                if (i >= n || !is_lower_alnum(s[i]))
                        return false;
                while (i < n && is_lower_alnum(s[i]))
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

static bool domain_valid(const char *s, size_t n)
{
        size_t i = 0;
        if (n == 0)
                return false;
        for (; i < n && s[i] != ':'; i++)
                if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '-')
                        return false;
        if (i == 0)
                return false;
        if (i < n) { /* port */
                if (i + 1 == n)
                        return false;
                for (i++; i < n; i++)
                        if (!isdigit((unsigned char)s[i]))
                                return false;
        }
        return true;
}

static bool tag_valid(const char *t)
{
        size_t n = strlen(t);
        if (n == 0 || n > 128)
                return false;
        if (!isalnum((unsigned char)t[0]) && t[0] != '_')
                return false;
        for (size_t i = 1; i < n; i++)
                if (!isalnum((unsigned char)t[i]) && t[i] != '_' && t[i] != '.' && t[i] != '-')
                        return false;
        return true;
}

bool pc_digest_valid(const char *d)
{
        if (!d || !pc_str_has_prefix(d, "sha256:") || strlen(d) != 71)
                return false;
        for (const char *p = d + 7; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

bool pc_ref_has_tag(const char *ref)
{
        const char *slash = strrchr(ref, '/');
        const char *last = slash ? slash + 1 : ref;
        return strchr(last, ':') || strchr(ref, '@');
}

char *pc_image_normalize(const char *ref)
{
        if (!ref || !*ref || strlen(ref) > 4096)
                return NULL;
        _cleanup_free_ char *r = pc_xstrdup(ref);
        char *digest = NULL, *tag = NULL;

        char *at = strchr(r, '@');
        if (at) {
                *at = '\0';
                digest = at + 1;
                if (!pc_digest_valid(digest))
                        return NULL;
        }
        char *slash = strrchr(r, '/');
        char *colon = strrchr(slash ? slash : r, ':');
        if (colon) {
                *colon = '\0';
                tag = colon + 1;
                if (!tag_valid(tag))
                        return NULL;
        }

        /* r is now the name: [domain/]path */
        const char *domain = "docker.io";
        char *path = r;
        char *first = strchr(r, '/');
        if (first) {
                size_t dn = (size_t)(first - r);
                bool is_domain = memchr(r, '.', dn) || memchr(r, ':', dn) ||
                                 (dn == 9 && !strncmp(r, "localhost", 9));
                for (size_t i = 0; i < dn && !is_domain; i++)
                        if (isupper((unsigned char)r[i]))
                                is_domain = true;
                if (is_domain) {
                        if (!domain_valid(r, dn))
                                return NULL;
                        *first = '\0';
                        domain = r;
                        path = first + 1;
                }
        }
        if (!strcmp(domain, "index.docker.io"))
                domain = "docker.io";

        /* validate path components */
        size_t ncomp = 0;
        for (const char *p = path;;) {
                const char *e = strchr(p, '/');
                size_t n = e ? (size_t)(e - p) : strlen(p);
                if (!component_valid(p, n))
                        return NULL;
                ncomp++;
                if (!e)
                        break;
                p = e + 1;
        }
        bool library = !strcmp(domain, "docker.io") && ncomp == 1;

        if (digest)
                return tag ? pc_xasprintf("%s/%s%s:%s@%s", domain, library ? "library/" : "", path,
                                          tag, digest)
                           : pc_xasprintf("%s/%s%s@%s", domain, library ? "library/" : "", path,
                                          digest);
        return pc_xasprintf("%s/%s%s:%s", domain, library ? "library/" : "", path,
                            tag ? tag : "latest");
}
