/* The Downward API's values that need more than a lookup: resourceFieldRef
 * (the kubelet's ExtractContainerResourceValue over the Pod with its limits
 * defaulted from the node's allocatable) and the label/annotation files. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"
#include "util/util.h"

static const struct pc_container *find_ctr(const struct pc_pod *p, const char *name)
{
        for (size_t i = 0; i < p->n_containers; i++)
                if (!strcmp(p->containers[i].name, name))
                        return &p->containers[i];
        for (size_t i = 0; i < p->n_init_containers; i++)
                if (!strcmp(p->init_containers[i].name, name))
                        return &p->init_containers[i];
        return NULL;
}

/* ceil(v / d) for v >= 0, d > 0 */
static int64_t div_up(int64_t v, int64_t d)
{
        if (v <= 0)
                return 0;
        return v / d + (v % d != 0);
}

char *pc_resource_ref_value(const struct pc_pod *p, const struct pc_container *self,
                            const struct pc_resource_ref *ref, const struct pc_pod_resources *alloc,
                            int64_t alloc_ephemeral, pc_error *err)
{
        const struct pc_container *c = self;
        if (ref->container && *ref->container) {
                c = find_ctr(p, ref->container);
                if (!c) {
                        pc_fail(err, ENOENT, "resourceFieldRef: container \"%s\" not found",
                                ref->container);
                        return NULL;
                }
        }
        if (!c || !ref->resource) {
                pc_fail(err, EINVAL, "resourceFieldRef: no container");
                return NULL;
        }
        const struct pc_resources *r = &c->resources;
        const char *res = ref->resource;
        int64_t v;
        bool cpu = false;
        /* An unset limit is the Pod-level limit, else the node's allocatable
         * (the kubelet's defaultPodLimitsForDownwardAPI); an unset request
         * is 0. */
        int64_t pod_cpu = p->resources.cpu_limit >= 0 ? p->resources.cpu_limit : alloc->cpu_m;
        int64_t pod_mem =
            p->resources.memory_limit >= 0 ? p->resources.memory_limit : alloc->memory;
        if (!strcmp(res, "limits.cpu")) {
                v = r->cpu_limit >= 0 ? r->cpu_limit : pod_cpu;
                cpu = true;
        } else if (!strcmp(res, "requests.cpu")) {
                v = r->cpu_request;
                cpu = true;
        } else if (!strcmp(res, "limits.memory")) {
                v = r->memory_limit >= 0 ? r->memory_limit : pod_mem;
        } else if (!strcmp(res, "requests.memory")) {
                v = r->memory_request;
        } else if (!strcmp(res, "limits.ephemeral-storage")) {
                v = r->ephemeral_limit >= 0 ? r->ephemeral_limit : alloc_ephemeral;
        } else if (!strcmp(res, "requests.ephemeral-storage")) {
                v = r->ephemeral_request;
        } else {
                pc_fail(err, EINVAL, "resourceFieldRef: unsupported resource \"%s\"", res);
                return NULL;
        }
        int64_t d = ref->divisor > 0 ? ref->divisor : (cpu ? 1000 : 1);
        return pc_xasprintf("%" PRId64, div_up(v, d));
}

static int kv_cmp(const void *a, const void *b)
{
        const struct pc_kv *x = *(const struct pc_kv *const *)a;
        const struct pc_kv *y = *(const struct pc_kv *const *)b;
        return strcmp(x->name, y->name);
}

/* Length of the valid UTF-8 sequence at s (of a multi-byte character), 0
 * when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
        size_t n = s[0] >= 0xf0 && s[0] <= 0xf4   ? 4
                   : s[0] >= 0xe0                 ? 3
                   : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
                                                  : 0;
        if (s[0] > 0xf4)
                return 0;
        for (size_t i = 1; i < n; i++)
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
        return n;
}

/* Go's strconv.Quote, for printable ASCII, control bytes and valid UTF-8
 * (multi-byte characters are kept as they are). */
static void go_quote(FILE *f, const char *s)
{
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                switch (*p) {
                case '"':
                        fputs("\\\"", f);
                        continue;
                case '\\':
                        fputs("\\\\", f);
                        continue;
                case '\a':
                        fputs("\\a", f);
                        continue;
                case '\b':
                        fputs("\\b", f);
                        continue;
                case '\f':
                        fputs("\\f", f);
                        continue;
                case '\n':
                        fputs("\\n", f);
                        continue;
                case '\r':
                        fputs("\\r", f);
                        continue;
                case '\t':
                        fputs("\\t", f);
                        continue;
                case '\v':
                        fputs("\\v", f);
                        continue;
                default:
                        break;
                }
                if (*p < 0x20 || *p == 0x7f) {
                        fprintf(f, "\\x%02x", *p);
                } else if (*p < 0x80) {
                        fputc(*p, f);
                } else {
                        size_t n = utf8_len(p);
                        if (n == 0) {
                                fprintf(f, "\\x%02x", *p);
                        } else {
                                fwrite(p, 1, n, f);
                                p += n - 1;
                        }
                }
        }
        fputc('"', f);
}

char *pc_format_kv_map(const struct pc_kv *kv, size_t n)
{
        const struct pc_kv **sorted = pc_xcalloc(n + 1, sizeof(*sorted));
        for (size_t i = 0; i < n; i++)
                sorted[i] = &kv[i];
        qsort(sorted, n, sizeof(*sorted), kv_cmp);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                abort();
        for (size_t i = 0; i < n; i++) {
                if (i)
                        fputc('\n', f);
                fprintf(f, "%s=", sorted[i]->name);
                go_quote(f, sorted[i]->value);
        }
        fclose(f);
        free(sorted);
        return buf;
}
