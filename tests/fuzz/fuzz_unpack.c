/* libFuzzer target: the layer unpacker. The first byte chooses the mode,
 * the rest is a layer blob (tar, plain or gzip/zstd) unpacked as a layer
 * (even) or as an image archive (odd: the path of `image load` for tar
 * files). It is unpacked
 * into a store under a scratch directory; afterwards nothing may exist
 * outside the store's layers and temp directories, and no half layer or
 * temp entry may be left behind (the unpack fails on the diff_id, which is
 * never right, or earlier). Built by `make fuzz`; replayed by
 * tests/unit/test_fuzz_replay.c. */
#include "image/image_int.h"
#include "util/util.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fu_root[64];
static pc_image_store *fu_store;

static size_t fu_count(const char *dir)
{
        DIR *d = opendir(dir);
        size_t n = 0;
        struct dirent *de;
        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

static void fu_cleanup(void)
{
        pc_error e;
        pc_image_store_close(fu_store);
        pc_rm_rf(fu_root, &e);
}

static int fu_init(void)
{
        pc_error err;
        if (fu_store)
                return 0;
        /* tmpfs when there is one: the store fsyncs every blob */
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(fu_root, sizeof(fu_root), "%s/podctl-fuzz-unpack-XXXXXX", base);
        if (!mkdtemp(fu_root) || pc_image_store_open(fu_root, &fu_store, &err) < 0)
                abort();
        /* small limits, so a bomb is cut off quickly */
        fu_store->max_layer_bytes = 16 << 20;
        fu_store->max_json_bytes = 1 << 20;
        atexit(fu_cleanup);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        pc_error err;
        char digest[72];
        if (size == 0)
                return 0;
        fu_init();
        bool archive = data[0] & 1;
        data++;
        size--;
        if (pc_blob_put_mem(fu_store, data, size, NULL, digest, &err) < 0)
                abort();
        _cleanup_free_ char *blob = pc_blob_path(fu_store, digest);
        if (archive) {
                _cleanup_free_ char *dest = pc_xasprintf("%s/load-XXXXXX", fu_store->tmp);
                if (!mkdtemp(dest))
                        abort();
                pc_extract_archive(fu_store, blob, dest, &err);
                if (pc_rm_rf(dest, &err) < 0)
                        abort();
        } else {
                /* the diff_id is never right: the unpack must clean up */
                const char *diff =
                    "sha256:0000000000000000000000000000000000000000000000000000000000000000";
                if (pc_layer_unpack(fu_store, digest, diff, &err) == 0)
                        abort();
                if (fu_count(fu_store->layers) != 0) {
                        fprintf(stderr, "unpack left entries in %s\n", fu_store->layers);
                        abort();
                }
        }
        unlink(blob);
        /* nothing outside the store: the root holds only images/ */
        if (fu_count(fu_root) != 1 || fu_count(fu_store->dir) != 4 ||
            fu_count(fu_store->tmp) != 0) {
                fprintf(stderr, "unpack wrote outside the store in %s\n", fu_root);
                abort();
        }
        return 0;
}
