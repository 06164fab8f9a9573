/* libFuzzer target: the image JSON parsers. The first byte chooses what the
 * rest of the input is:
 *   0  index.json of an OCI layout
 *   1  the image manifest (or an index) an OCI layout's index.json names
 *   2  the image config of an OCI manifest with no layers
 *   3  manifest.json of a docker-save archive (with a config c.json and a
 *      layer l.tar present)
 *   4  a pc_image record (images.json, pc_image_from_json)
 * and `image load` (or the record decoder) must fail cleanly or succeed,
 * never crash, and leave nothing behind. Built by `make fuzz`; replayed by
 * tests/unit/test_fuzz_replay.c. */
#include "image/image_int.h"
#include "util/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fj_digest(const void *p, size_t n, char out[72])
{
        unsigned char md[32];
        unsigned int len = 0;
        EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
        strcpy(out, "sha256:");
        for (int i = 0; i < 32; i++)
                snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

static void fj_write(const char *dir, const char *rel, const void *p, size_t n)
{
        pc_error err;
        _cleanup_free_ char *path = pc_xasprintf("%s/%s", dir, rel);
        if (pc_write_file_atomic(path, p, n, 0644, &err) < 0)
                abort();
}

static void fj_blob(const char *dir, const void *p, size_t n, char digest[72])
{
        fj_digest(p, n, digest);
        _cleanup_free_ char *rel = pc_xasprintf("blobs/sha256/%s", digest + 7);
        fj_write(dir, rel, p, n);
}

static void fj_index(const char *dir, const char *manifest_digest, size_t size)
{
        _cleanup_free_ char *idx = pc_xasprintf(
            "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
            "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu,"
            "\"annotations\":{\"org.opencontainers.image.ref.name\":\"fuzz/x:1\"}}]}",
            manifest_digest, size);
        fj_write(dir, "index.json", idx, strlen(idx));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        pc_error err;
        if (size == 0)
                return 0;
        int mode = data[0] % 5;
        const char *in = (const char *)data + 1;
        size_t n = size - 1;

        if (mode == 4) {
                json_t *j = json_loadb(in, n, JSON_DECODE_ANY, NULL);
                struct pc_image *img = NULL;
                if (j && pc_image_from_json(j, &img, &err) == 0) {
                        json_t *again = pc_image_to_json(img);
                        json_decref(again);
                        pc_image_free(img);
                }
                json_decref(j);
                return 0;
        }

        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        _cleanup_free_ char *root = pc_xasprintf("%s/podctl-fuzz-json-XXXXXX", base);
        if (!mkdtemp(root))
                abort();
        _cleanup_free_ char *layout = pc_xasprintf("%s/layout", root);
        _cleanup_free_ char *blobs = pc_xasprintf("%s/blobs/sha256", layout);
        if (pc_mkdir_p(blobs, 0755, &err) < 0)
                abort();
        char d[72], cd[72];
        switch (mode) {
        case 0:
                fj_write(layout, "index.json", in, n);
                break;
        case 1:
                fj_blob(layout, in, n, d);
                fj_index(layout, d, n);
                break;
        case 2: {
                fj_blob(layout, in, n, cd);
                _cleanup_free_ char *man = pc_xasprintf(
                    "{\"schemaVersion\":2,\"mediaType\":"
                    "\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":"
                    "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%zu},"
                    "\"layers\":[]}",
                    cd, n);
                fj_blob(layout, man, strlen(man), d);
                fj_index(layout, d, strlen(man));
                break;
        }
        case 3: {
                static const char cfg[] = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
                static const char tar[1024] = {0}; /* an empty tar: two zero blocks */
                fj_write(layout, "manifest.json", in, n);
                fj_write(layout, "c.json", cfg, strlen(cfg));
                fj_write(layout, "l.tar", tar, sizeof(tar));
                break;
        }
        }
        pc_image_store *s = NULL;
        _cleanup_free_ char *sroot = pc_xasprintf("%s/store", root);
        if (pc_image_store_open(sroot, &s, &err) < 0)
                abort();
        s->max_json_bytes = 1 << 20;
        s->max_layer_bytes = 16 << 20;
        char **names = NULL;
        if (pc_image_load(s, layout, &names, &err) == 0) {
                for (size_t i = 0; names && names[i]; i++) {
                        struct pc_image *img = NULL;
                        if (pc_image_get(s, names[i], &img, &err) == 0) {
                                json_t *j = pc_image_to_json(img);
                                json_decref(j);
                                pc_image_free(img);
                        }
                }
                struct pc_image **list = NULL;
                size_t cnt = 0;
                if (pc_image_list(s, &list, &cnt, &err) == 0) {
                        for (size_t i = 0; i < cnt; i++)
                                pc_image_free(list[i]);
                        free(list);
                }
                for (size_t i = 0; names && names[i]; i++)
                        pc_image_remove(s, names[i], &err);
        }
        pc_strv_free(names);
        pc_image_store_close(s);
        if (pc_rm_rf(root, &err) < 0)
                abort();
        return 0;
}
