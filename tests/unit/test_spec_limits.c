/* Manifest limits (spec.h PC_MANIFEST_MAX_*, docs/SECURITY.md "Limits") for
 * the shapes too big for the corpus in tests/data/manifests/bad: each fails
 * fast with one error naming file:line:col. */
#include "spec/spec.h"
#include "unit.h"
#include "util/util.h"

#include <stdlib.h>
#include <time.h>

static double now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Load text; true when it fails with a diagnostic containing want, within
 * 10 s (a hang or an exponential blowup would not be). */
static bool fails_with(const char *text, size_t len, const char *want)
{
        struct pc_manifest m;
        pc_error err;
        double t0 = now();
        int r = pc_manifest_load("big.yaml", text, len, NULL, &m, &err);
        double dt = now() - t0;
        bool found = false;
        for (size_t i = 0; i < m.diags.n && !found; i++) {
                _cleanup_free_ char *d = pc_diag_format(&m.diags.v[i]);
                found = strstr(d, want) != NULL;
        }
        if (r == 0 || !found || dt > 10.0) {
                fprintf(stderr, "expected a failure with \"%s\" within 10 s: r=%d, %.2f s\n", want,
                        r, dt);
                for (size_t i = 0; i < m.diags.n; i++) {
                        _cleanup_free_ char *d = pc_diag_format(&m.diags.v[i]);
                        fprintf(stderr, "  %.300s\n", d);
                }
        }
        pc_manifest_free(&m);
        return r < 0 && found && dt <= 10.0;
}

/* A growing buffer. */
struct sb {
        char *p;
        size_t n, cap;
};

static void sb_add(struct sb *b, const char *s)
{
        size_t l = strlen(s);
        if (b->n + l + 1 > b->cap) {
                b->cap = (b->n + l + 1) * 2;
                b->p = pc_xrealloc(b->p, b->cap);
        }
        memcpy(b->p + b->n, s, l + 1);
        b->n += l;
}

int main(void)
{
        /* the whole file: refused before parsing */
        {
                size_t n = PC_MANIFEST_MAX_BYTES + 1;
                char *t = pc_xmalloc(n + 1);
                memset(t, '#', n);
                t[n] = 0;
                CHECK(fails_with(t, n,
                                 "big.yaml:1:1: the manifest is 8388609 bytes: "
                                 "the limit is 8388608"));
                free(t);
        }
        /* nodes: one flow list of 200001 scalars (400 KB) */
        {
                struct sb b = {0};
                sb_add(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: n}\nx: [");
                for (int i = 0; i < PC_MANIFEST_MAX_NODES + 1; i++)
                        sb_add(&b, "1,");
                sb_add(&b, "1]\n");
                CHECK(fails_with(b.p, b.n, "too many YAML nodes: the limit is 200000"));
                CHECK(fails_with(b.p, b.n, "big.yaml:4:"));
                free(b.p);
        }
        /* long keys nested deep, then many leaves: the paths kept for
         * positions would be gigabytes */
        {
                struct sb b = {0};
                _cleanup_free_ char *key = pc_xmalloc(1001);
                memset(key, 'k', 1000);
                key[1000] = 0;
                sb_add(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: n}\nx: ");
                for (int i = 0; i < 60; i++) {
                        sb_add(&b, "{");
                        sb_add(&b, key);
                        sb_add(&b, ": ");
                }
                sb_add(&b, "[");
                for (int i = 0; i < 2000; i++)
                        sb_add(&b, "1,");
                sb_add(&b, "1]");
                for (int i = 0; i < 60; i++)
                        sb_add(&b, "}");
                sb_add(&b, "\n");
                CHECK(b.n < 200 << 10);
                CHECK(fails_with(b.p, b.n, "field paths of its nested keys exceed 67108864 bytes"));
                free(b.p);
        }
        /* billion laughs, the YAML shape: the first alias stops it */
        {
                const char *t = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                                "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                                "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                                "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                                "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                                "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                                "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                                "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                                "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
                CHECK(fails_with(t, strlen(t),
                                 "big.yaml:2:8: b[0]: YAML aliases (*a) are not "
                                 "supported"));
        }
        /* the per-Pod and per-container counts */
        {
                struct sb b = {0};
                sb_add(&b, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                           "  initContainers:\n");
                char line[64];
                for (int i = 0; i < 101; i++) {
                        snprintf(line, sizeof(line), "  - {name: i%d, image: busybox}\n", i);
                        sb_add(&b, line);
                }
                sb_add(&b, "  containers:\n  - name: c\n    image: busybox\n    ports:\n");
                for (int i = 0; i < 257; i++) {
                        snprintf(line, sizeof(line), "    - containerPort: %d\n", 1000 + i);
                        sb_add(&b, line);
                }
                sb_add(&b, "    volumeMounts:\n");
                for (int i = 0; i < 257; i++) {
                        snprintf(line, sizeof(line), "    - {name: v, mountPath: /m%d}\n", i);
                        sb_add(&b, line);
                }
                sb_add(&b, "    envFrom:\n");
                for (int i = 0; i < 101; i++)
                        sb_add(&b, "    - configMapRef: {name: x}\n");
                CHECK(fails_with(b.p, b.n,
                                 "big.yaml:5:3: spec.initContainers: Too many: 101: "
                                 "must have at most 100 items"));
                /* with the init containers in bounds, the container's lists */
                char *ic = strstr(b.p, "  - {name: i100,");
                char *end = ic ? strchr(ic, '\n') : NULL;
                if (end)
                        memmove(ic, end + 1, strlen(end + 1) + 1);
                size_t n = strlen(b.p);
                CHECK(fails_with(b.p, n,
                                 "spec.containers[0].ports: Too many: 257: must have at "
                                 "most 256 items"));
                CHECK(fails_with(b.p, n, "spec.containers[0].volumeMounts: Too many: 257"));
                CHECK(fails_with(b.p, n,
                                 "spec.containers[0].envFrom: Too many: 101: must have "
                                 "at most 100 items"));
                free(b.p);
        }
        /* at the limits, a manifest still loads */
        {
                struct sb b = {0};
                sb_add(&b, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                           "  containers:\n  - name: c\n    image: busybox\n    env:\n");
                char line[64];
                for (int i = 0; i < PC_MANIFEST_MAX_ENV; i++) {
                        snprintf(line, sizeof(line), "    - {name: E%d, value: x}\n", i);
                        sb_add(&b, line);
                }
                struct pc_manifest m;
                pc_error err;
                int r = pc_manifest_load("ok.yaml", b.p, b.n, NULL, &m, &err);
                if (r < 0)
                        fprintf(stderr, "at the limit: %s\n", err.msg);
                CHECK(r == 0 && m.n_pods == 1);
                pc_manifest_free(&m);
                free(b.p);
        }
        UNIT_DONE();
}
