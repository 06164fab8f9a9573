/* The fuzz corpora as a regression test: every file of
 * tests/fuzz/corpus/<target>/ and tests/fuzz/crashes/<target>/ is run once
 * through its libFuzzer target (tests/fuzz/fuzz_<target>.c, included here
 * with its entry point renamed, linked without libFuzzer). A target aborts
 * or crashes on a bad outcome; under `make SAN=1` ASan and UBSan catch the
 * rest. Each file run is one check. Run from the repository root. */
#include "unit.h"
#include "util/util.h"

#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>

#define LLVMFuzzerTestOneInput fuzz_manifest_one
#include "../fuzz/fuzz_manifest.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_unpack_one
#include "../fuzz/fuzz_unpack.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_image_json_one
#include "../fuzz/fuzz_image_json.c"
#undef LLVMFuzzerTestOneInput

static const struct {
        const char *name;
        int (*one)(const uint8_t *data, size_t size);
        bool needs_root;
} targets[] = {
    {"manifest", fuzz_manifest_one, false},
    {"unpack", fuzz_unpack_one, true},
    {"image_json", fuzz_image_json_one, true},
};

static int cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t replay_dir(const char *dir, int (*one)(const uint8_t *, size_t))
{
        DIR *d = opendir(dir);
        struct dirent *de;
        _cleanup_strv_ char **names = NULL;
        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        pc_strv_push(&names, de->d_name);
        closedir(d);
        size_t n = pc_strv_len(names);
        if (n)
                qsort(names, n, sizeof(char *), cmp);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = pc_xasprintf("%s/%s", dir, names[i]);
                _cleanup_free_ char *data = NULL;
                size_t len = 0;
                pc_error err;
                int r = pc_read_file(path, &data, &len, &err);
                CHECK(r == 0);
                if (r < 0) {
                        fprintf(stderr, "%s\n", err.msg);
                        continue;
                }
                fflush(stderr);
                CHECK(one((const uint8_t *)data, len) == 0); /* a crash ends the binary */
        }
        return n;
}

int main(void)
{
        for (size_t t = 0; t < PC_ARRAY_SIZE(targets); t++) {
                if (targets[t].needs_root && getuid() != 0) {
                        fprintf(stderr, "not root: fuzz target %s not replayed\n", targets[t].name);
                        continue;
                }
                _cleanup_free_ char *corpus = pc_xasprintf("tests/fuzz/corpus/%s", targets[t].name);
                _cleanup_free_ char *crashes =
                    pc_xasprintf("tests/fuzz/crashes/%s", targets[t].name);
                size_t n = replay_dir(corpus, targets[t].one);
                /* a seed corpus must be there (run from the repository root) */
                CHECK(n > 0);
                n += replay_dir(crashes, targets[t].one);
                printf("fuzz %s: %zu inputs replayed\n", targets[t].name, n);
        }
        UNIT_DONE();
}
