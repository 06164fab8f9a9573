/* Manifest corpus: every file in tests/data/manifests/bad must fail to load
 * with a diagnostic containing the text of its "# expect: " first line
 * ("# strict" on line 2: load with --validate=strict); every file in
 * tests/data/manifests/good must load without errors. Run from the repo root. */
#include "unit.h"
#include "spec/spec.h"
#include "util/util.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#define BAD_DIR  "tests/data/manifests/bad"
#define GOOD_DIR "tests/data/manifests/good"

static int cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted *.yaml / *.json names in dir. */
static char **list_dir(const char *dir)
{
        char **v = pc_xcalloc(1, sizeof(char *));
        DIR *d = opendir(dir);
        struct dirent *e;
        if (!d) {
                fprintf(stderr, "cannot open %s (run from the repository root)\n", dir);
                return v;
        }
        while ((e = readdir(d)))
                if (pc_str_has_suffix(e->d_name, ".yaml") || pc_str_has_suffix(e->d_name, ".json"))
                        pc_strv_push(&v, e->d_name);
        closedir(d);
        qsort(v, pc_strv_len(v), sizeof(char *), cmp);
        return v;
}

static void test_bad(const char *name)
{
        _cleanup_free_ char *path = pc_xasprintf("%s/%s", BAD_DIR, name);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        pc_error err;
        struct pc_manifest m;

        CHECK(pc_read_file(path, &text, &len, &err) == 0);
        if (!text)
                return;
        const char *tag = "# expect: ";
        CHECK(pc_str_has_prefix(text, tag));
        if (!pc_str_has_prefix(text, tag))
                return;
        const char *nl = strchr(text, '\n');
        _cleanup_free_ char *expect =
            strndup(text + strlen(tag), nl ? (size_t)(nl - text) - strlen(tag) : strlen(text));
        struct pc_check_opts o = {.strict = nl && pc_str_has_prefix(nl + 1, "# strict")};

        /* Diagnostics name the file as given: the base name keeps them short. */
        int r = pc_manifest_load(name, text, len, &o, &m, &err);
        bool found = false;
        for (size_t i = 0; i < m.diags.n && !found; i++) {
                _cleanup_free_ char *d = pc_diag_format(&m.diags.v[i]);
                found = m.diags.v[i].level == PC_DIAG_ERROR && strstr(d, expect) != NULL;
        }
        if (r >= 0 || !found) {
                UNIT_FAIL();
                fprintf(stderr, "%s: load %s; expected an error containing:\n  %s\ngot:\n", path,
                        r >= 0 ? "succeeded" : "failed", expect);
                for (size_t i = 0; i < m.diags.n; i++) {
                        _cleanup_free_ char *d = pc_diag_format(&m.diags.v[i]);
                        fprintf(stderr, "  %s\n", d);
                }
        } else {
                UNIT_PASS();
        }
        pc_manifest_free(&m);
}

static void test_good(const char *name)
{
        _cleanup_free_ char *path = pc_xasprintf("%s/%s", GOOD_DIR, name);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        pc_error err;
        struct pc_manifest m;
        struct pc_check_opts o = {0};

        CHECK(pc_read_file(path, &text, &len, &err) == 0);
        if (!text)
                return;
        int r = pc_manifest_load(path, text, len, &o, &m, &err);
        if (r < 0 || m.diags.n_errors) {
                UNIT_FAIL();
                fprintf(stderr, "%s: expected to load, got:\n", path);
                for (size_t i = 0; i < m.diags.n; i++) {
                        _cleanup_free_ char *d = pc_diag_format(&m.diags.v[i]);
                        fprintf(stderr, "  %s\n", d);
                }
        } else {
                UNIT_PASS();
        }
        CHECK(m.n_pods + m.n_configmaps > 0);
        pc_manifest_free(&m);
}

int main(void)
{
        _cleanup_strv_ char **bad = list_dir(BAD_DIR);
        _cleanup_strv_ char **good = list_dir(GOOD_DIR);

        CHECK(pc_strv_len(bad) >= 35);
        CHECK(pc_strv_len(good) >= 3);
        /* one case per corpus file */
        for (size_t i = 0; bad[i]; i++) {
                _cleanup_free_ char *c = pc_xasprintf("bad/%s", bad[i]);
                UNIT_CASE(c);
                test_bad(bad[i]);
        }
        for (size_t i = 0; good[i]; i++) {
                _cleanup_free_ char *c = pc_xasprintf("good/%s", good[i]);
                UNIT_CASE(c);
                test_good(good[i]);
        }
        UNIT_CASE(NULL);
        UNIT_DONE();
}
