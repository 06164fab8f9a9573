/* The OCI image store.
 *
 * Layout under <root>/images (all 0700):
 *   blobs/sha256/<hex>          content-addressed blobs, verified on write
 *   layers/sha256/<hex>/        a layer unpacked once (hex = blob digest),
 *                               with a "rootfs" subdir and a ".done" marker
 *   refs.json                   { "docker.io/library/busybox:latest": "sha256:<manifest>" }
 *   lock                        flock for writers
 */
#ifndef PODCTL_IMAGE_IMAGE_H
#define PODCTL_IMAGE_IMAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct pc_image_store pc_image_store;

/* The parts of an image's config a container needs. */
struct pc_image {
        char *ref;             /* normalized name:tag as stored */
        char *manifest_digest; /* sha256:... (the image ID shown is the config digest) */
        char *config_digest;
        char **entrypoint; /* NULL-terminated or NULL */
        char **cmd;
        char **env;        /* "K=V" */
        char *working_dir; /* NULL or "" when unset */
        char *user;        /* NULL or "" when unset */
        char *stop_signal; /* NULL or e.g. "SIGQUIT" */
        char **layer_dirs; /* unpacked rootfs dirs, bottom layer first */
        size_t n_layers;
        int64_t size;    /* sum of compressed layer sizes */
        int64_t created; /* ns since epoch, 0 if unknown */
};

/* A resolved image as a JSON record and back (record.c): what a Pod's
 * monitor needs of its images, written by the CLI at creation so that the
 * monitor never opens the store (nor links its archive and digest code). */
json_t *pc_image_to_json(const struct pc_image *img);
int pc_image_from_json(json_t *j, struct pc_image **out, pc_error *err);

/* Image references: "busybox" -> "docker.io/library/busybox:latest",
 * "reg:5000/x/y:1" unchanged, "a@sha256:..." kept by digest. NULL if invalid.
 * Caller frees. */
char *pc_image_normalize(const char *ref);

/* root is the podctl state root (e.g. /var/lib/podctl); the store lives in
 * <root>/images and is created if missing. */
int pc_image_store_open(const char *root, pc_image_store **out, pc_error *err);
void pc_image_store_close(pc_image_store *s);

/* Load an OCI image layout (directory or tar) or a `docker save` archive.
 * Every image found is stored and its references recorded; `names` (may be
 * NULL) receives the references loaded. */
int pc_image_load(pc_image_store *s, const char *path, char ***names, pc_error *err);
/* Same, naming the image(s) `name` (a name without a tag takes the tag from
 * the layout's ref name, else "latest"). Without a name, an OCI layout entry
 * is named by its io.containerd.image.name annotation, else by its ref name
 * when that has a repository part ("busybox:1"), else loading fails asking
 * for a name. `names` is a NULL-terminated list for pc_strv_free. */
int pc_image_load_named(pc_image_store *s, const char *path, const char *name, char ***names,
                        pc_error *err);

/* Make a one-layer image from a root filesystem tarball (like docker import). */
int pc_image_import(pc_image_store *s, const char *tarball, const char *name, pc_error *err);

/* Resolve a reference (normalized as the spec module does, or a digest or an
 * unambiguous ID prefix) and make sure its layers are unpacked. */
int pc_image_get(pc_image_store *s, const char *ref, struct pc_image **out, pc_error *err);
void pc_image_free(struct pc_image *img);

/* All stored references, sorted by name (layer_dirs are where the layers
 * are or will be unpacked). Free each with pc_image_free, then the array. */
int pc_image_list(pc_image_store *s, struct pc_image ***out, size_t *n, pc_error *err);
/* Did `ref`, as it is stored now, come from a registry (a pull, see
 * registry.h) rather than from image load / import? (pulled.c) */
bool pc_image_pulled(pc_image_store *s, const char *ref);
/* Remove a reference; blobs and layers no longer referenced are deleted. */
int pc_image_remove(pc_image_store *s, const char *ref, pc_error *err);

/* archive_dl.c: load libarchive (once; podctl is not linked with it, the
 * first libarchive call loads it). NULL when loaded, else why it could not
 * be. Code that uses libarchive after leaving the host's mount namespace
 * (cp's side in a container) calls it first: there, dlopen would look for
 * the library in the container's files. */
const char *pc_archive_load(void);

#endif
