/* Internals of the image store, shared by the files of src/image. */
#ifndef PODCTL_IMAGE_IMAGE_INT_H
#define PODCTL_IMAGE_IMAGE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/image.h"
#include "util/error.h"

#define PC_MT_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define PC_MT_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define PC_MT_OCI_CONFIG      "application/vnd.oci.image.config.v1+json"
#define PC_MT_OCI_LAYER       "application/vnd.oci.image.layer.v1.tar"
#define PC_MT_OCI_LAYER_GZIP  "application/vnd.oci.image.layer.v1.tar+gzip"
#define PC_MT_OCI_LAYER_ZSTD  "application/vnd.oci.image.layer.v1.tar+zstd"
#define PC_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define PC_MT_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"

struct pc_image_store {
        char *dir;    /* <root>/images */
        char *blobs;  /* <dir>/blobs/sha256 */
        char *layers; /* <dir>/layers/sha256 */
        char *tmp;    /* <dir>/tmp: scratch space for loads */
        char *refs;   /* <dir>/refs.json */
        int lock_fd;
        /* Limits against hostile images (<root>/config.json "images"):
         * what one layer or one image archive may expand to (stream bytes and
         * the apparent size of its files, sparse ones included), and the size
         * of any image JSON (index, manifest, config, docker manifest.json). */
        int64_t max_layer_bytes;
        int64_t max_json_bytes;
};

#define PC_IMAGE_MAX_LAYER_BYTES (64LL << 30) /* 64 GiB */
/* Layers of one image (overlayfs stacks at most about 500 lower dirs; docker
 * refuses more than 127), and images or names one archive may load. */
#define PC_IMAGE_MAX_LAYERS 128
#define PC_IMAGE_MAX_NAMES  1000
/* Components of a layer entry's path (every check walks them all). */
#define PC_IMAGE_MAX_PATH_DEPTH 128
/* The unpacker's work budget: directory lookups may not exceed
 * PER_ENTRY x entries + FREE (unpack.c). */
#define PC_IMAGE_LOOKUPS_PER_ENTRY 16
#define PC_IMAGE_LOOKUPS_FREE      (1u << 20)
#define PC_IMAGE_MAX_JSON_BYTES    (32LL << 20) /* 32 MiB: what a pull accepts for a config */

/* Read a JSON file of an image (bounded by s->max_json_bytes, with an error
 * naming the limit) and parse it. what names it in errors. */
int pc_image_read_json_file(pc_image_store *s, const char *path, const char *what, char **data,
                            size_t *len, pc_error *err);
/* The error for more than PC_IMAGE_MAX_LAYERS layers. */
int pc_image_too_many_layers(const char *what, size_t n, pc_error *err);
/* The error for a layer or archive expanding beyond max_layer_bytes (EFBIG). */
int pc_layer_too_big(pc_image_store *s, const char *what, pc_error *err);
/* The error for an image JSON over the limit (code EFBIG). */
int pc_image_json_too_big(pc_image_store *s, const char *what, pc_error *err);

/* Locking: LOCK_EX for writers, LOCK_SH for readers. */
int pc_store_lock(pc_image_store *s, int op, pc_error *err);
void pc_store_unlock(pc_image_store *s);

/* sha256 */
struct pc_sha256;
struct pc_sha256 *pc_sha256_new(void);
void pc_sha256_update(struct pc_sha256 *h, const void *data, size_t len);
/* Writes "sha256:<64 hex>" (72 bytes with NUL) and frees h. */
void pc_sha256_final(struct pc_sha256 *h, char out[72]);
void pc_sha256_free(struct pc_sha256 *h);
bool pc_digest_valid(const char *d);

/* Blobs. */
char *pc_blob_path(pc_image_store *s, const char *digest);
bool pc_blob_exists(pc_image_store *s, const char *digest);
/* Copy a file into the store. When `expect` is set, the content must have
 * that digest (else "digest mismatch" and nothing is left behind).
 * When `decompress` is set the file is decompressed (gzip, zstd, xz...) on
 * the way in. digest_out (72 bytes) and size_out may be NULL. */
int pc_blob_put_file(pc_image_store *s, const char *src, const char *expect, bool decompress,
                     char digest_out[72], int64_t *size_out, pc_error *err);
int pc_blob_put_mem(pc_image_store *s, const void *data, size_t len, const char *expect,
                    char digest_out[72], pc_error *err);
/* Read a (small, JSON) blob and verify its digest. */
int pc_blob_read(pc_image_store *s, const char *digest, char **out, size_t *len, pc_error *err);
int pc_blob_read_json(pc_image_store *s, const char *digest, json_t **out, pc_error *err);

/* Layers (unpack.c). */
char *pc_layer_dir(pc_image_store *s, const char *digest);    /* layers/sha256/<hex> */
char *pc_layer_rootfs(pc_image_store *s, const char *digest); /* .../rootfs */
bool pc_layer_unpacked(pc_image_store *s, const char *digest);
/* Unpack blob `digest` once; its uncompressed tar must hash to diff_id. */
int pc_layer_unpack(pc_image_store *s, const char *digest, const char *diff_id, pc_error *err);

/* Extract a tar (any compression) below dest, securely, without owners:
 * used for OCI and docker archives given as tar files. */
int pc_extract_archive(pc_image_store *s, const char *tarball, const char *dest, pc_error *err);
/* Enable on a libarchive reader the decompressors libarchive runs itself
 * (never an external program): gzip and zstd, plus xz and bzip2 for
 * archives (not layers). */
struct archive;
int pc_archive_support_filters(struct archive *a, bool archive, pc_error *err);

/* Check an image stored by manifest digest: config and layer blobs present,
 * layer count matching rootfs.diff_ids, layers unpacked and verified. */
int pc_image_verify_unpack(pc_image_store *s, const char *manifest_digest, pc_error *err);

/* refs.json; the caller holds the lock. */
int pc_refs_read(pc_image_store *s, json_t **out, pc_error *err);
int pc_refs_write(pc_image_store *s, json_t *refs, pc_error *err);
/* Record name -> manifest digest (caller holds LOCK_EX). */
int pc_refs_set(pc_image_store *s, const char *name, const char *manifest_digest, pc_error *err);
/* Remove what interrupted writers left (temp blobs, half-unpacked layers,
 * load scratch dirs). Only safe under LOCK_EX: every unpack or write holds
 * at least LOCK_SH, so under LOCK_EX any temp entry is stale. */
void pc_store_clean_stale(pc_image_store *s);
/* Delete blobs and layers no reference needs (caller holds LOCK_EX). */
int pc_image_gc(pc_image_store *s, pc_error *err);

/* JSON helpers. */
#define _cleanup_json_ __attribute__((cleanup(json_decrefp)))
const char *pc_json_str(json_t *obj, const char *key); /* NULL if missing/not a string */
int pc_json_parse(const char *data, size_t len, const char *what, json_t **out, pc_error *err);

/* pulled.json (pulled.c): record name -> manifest digest as pulled from a
 * registry (caller holds LOCK_EX). */
void pc_image_mark_pulled(pc_image_store *s, const char *name, const char *digest);

/* Does a reference carry a tag or digest in its last path component? */
bool pc_ref_has_tag(const char *ref);

#endif
