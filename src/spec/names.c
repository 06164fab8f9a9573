/* Names, quantities and diagnostics. */
#include "spec/spec_int.h"
#include "util/util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- names -------------------------------------------------------------- */

static bool alnum_lower(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool label_n(const char *s, size_t n)
{
        if (n == 0 || n > 63 || !alnum_lower(s[0]) || !alnum_lower(s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!alnum_lower(s[i]) && s[i] != '-')
                        return false;
        return true;
}

bool pc_is_dns1123_label(const char *s)
{
        return s && label_n(s, strlen(s));
}

bool pc_is_dns1123_subdomain(const char *s)
{
        size_t n;
        if (!s || (n = strlen(s)) == 0 || n > 253)
                return false;
        const char *p = s;
        for (;;) {
                const char *dot = strchr(p, '.');
                size_t len = dot ? (size_t)(dot - p) : strlen(p);
                /* subdomain labels are not limited to 63 on their own */
                if (len == 0 || !alnum_lower(p[0]) || !alnum_lower(p[len - 1]))
                        return false;
                for (size_t i = 0; i < len; i++)
                        if (!alnum_lower(p[i]) && p[i] != '-')
                                return false;
                if (!dot)
                        return true;
                p = dot + 1;
        }
}

/* ---- quantities --------------------------------------------------------- */

struct suffix {
        const char *s;
        int base2, base10;
};

static const struct suffix suffixes[] = {
    {"Ki", 10, 0}, {"Mi", 20, 0}, {"Gi", 30, 0}, {"Ti", 40, 0}, {"Pi", 50, 0}, {"Ei", 60, 0},
    {"n", 0, -9},  {"u", 0, -6},  {"m", 0, -3},  {"", 0, 0},    {"k", 0, 3},   {"M", 0, 6},
    {"G", 0, 9},   {"T", 0, 12},  {"P", 0, 15},  {"E", 0, 18},
};

#define QMAX ((__int128)1 << 100)

int pc_quantity_parse(const char *s, bool milli, int64_t *out)
{
        __int128 mant = 0;
        int frac = 0, exp10 = 0, exp2 = 0;
        bool neg = false, digits = false;
        const char *p = s;

        if (!s)
                return -1;
        if (*p == '+' || *p == '-')
                neg = *p++ == '-';
        for (; isdigit((unsigned char)*p); p++) {
                digits = true;
                if (mant < QMAX)
                        mant = mant * 10 + (*p - '0');
                else
                        exp10++;
        }
        if (*p == '.') {
                p++;
                for (; isdigit((unsigned char)*p); p++) {
                        digits = true;
                        if (mant < QMAX) {
                                mant = mant * 10 + (*p - '0');
                                frac++;
                        }
                }
        }
        if (!digits)
                return -1;
        if ((*p == 'e' || *p == 'E') &&
            (isdigit((unsigned char)p[1]) ||
             ((p[1] == '+' || p[1] == '-') && isdigit((unsigned char)p[2])))) {
                char *end;
                long e = strtol(p + 1, &end, 10);
                if (*end || e > 100 || e < -100)
                        return -1;
                exp10 += (int)e;
                p = end;
        } else {
                size_t i;
                for (i = 0; i < PC_ARRAY_SIZE(suffixes); i++)
                        if (!strcmp(p, suffixes[i].s))
                                break;
                if (i == PC_ARRAY_SIZE(suffixes))
                        return -1;
                exp10 += suffixes[i].base10;
                exp2 = suffixes[i].base2;
        }
        exp10 -= frac;
        if (milli)
                exp10 += 3;
        __int128 v = mant;
        for (; exp2 > 0; exp2--) {
                v *= 2;
                if (v > INT64_MAX)
                        return -1;
        }
        for (; exp10 > 0; exp10--) {
                v *= 10;
                if (v > INT64_MAX)
                        return -1;
        }
        if (exp10 < 0) {
                __int128 div = 1;
                for (; exp10 < 0 && div < QMAX; exp10++)
                        div *= 10;
                v = (v + div - 1) / div; /* round up, like Quantity.Value() */
        }
        if (v > INT64_MAX)
                return -1;
        *out = neg ? -(int64_t)v : (int64_t)v;
        return 0;
}

/* ---- diagnostics -------------------------------------------------------- */

void pc_diag_add(struct pc_diags *d, enum pc_diag_level level, const char *file, int line,
                 int column, const char *path, const char *fmt, ...)
{
        va_list ap;
        char *msg;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                abort();
        va_end(ap);
        d->v = pc_xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
        d->v[d->n++] = (struct pc_diag){
            .level = level,
            .file = pc_xstrdup(file ? file : "-"),
            .line = line,
            .column = column,
            .path = pc_xstrdup(path ? path : ""),
            .msg = msg,
        };
        if (level == PC_DIAG_ERROR)
                d->n_errors++;
}

char *pc_diag_format(const struct pc_diag *d)
{
        const char *file = !d->file || !strcmp(d->file, "-") ? "<stdin>" : d->file;
        _cleanup_free_ char *pos = NULL;

        if (d->line > 0)
                pos = pc_xasprintf("%s:%d:%d: ", file, d->line, d->column);
        else
                pos = pc_xasprintf("%s: ", file);
        if (d->path && *d->path)
                return pc_xasprintf("%s%s: %s", pos, d->path, d->msg);
        return pc_xasprintf("%s%s", pos, d->msg);
}

void pc_diags_free(struct pc_diags *d)
{
        for (size_t i = 0; i < d->n; i++) {
                free(d->v[i].file);
                free(d->v[i].path);
                free(d->v[i].msg);
        }
        free(d->v);
        d->v = NULL;
        d->n = d->n_errors = 0;
}
