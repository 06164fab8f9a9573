/* Loading images: OCI image layouts (directory or tar), `docker save`
 * archives, and root filesystem tarballs (import). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image_int.h"
#include "util/util.h"

/* A file inside the layout `dir` named by a relative path; it must resolve
 * (symlinks included) to a file below dir. */
static int layout_file(const char *dir, const char *rel, char **out, pc_error *err)
{
        if (!rel || !*rel || rel[0] == '/' || strstr(rel, ".."))
                return pc_fail(err, 0, "bad path \"%s\" in image archive", rel ? rel : "");
        char rdir[PATH_MAX], rfile[PATH_MAX];
        _cleanup_free_ char *p = pc_xasprintf("%s/%s", dir, rel);
        if (!realpath(dir, rdir))
                return pc_fail(err, errno, "resolve %s", dir);
        if (!realpath(p, rfile))
                return pc_fail(err, errno, "%s", p);
        size_t n = strlen(rdir);
        if (strncmp(rfile, rdir, n) != 0 || rfile[n] != '/')
                return pc_fail(err, 0, "%s points outside the image archive", rel);
        *out = pc_xstrdup(rfile);
        return 0;
}

static int layout_blob(const char *dir, const char *digest, char **out, pc_error *err)
{
        if (!pc_digest_valid(digest))
                return pc_fail(err, 0, "unsupported digest \"%s\"", digest ? digest : "");
        _cleanup_free_ char *rel = pc_xasprintf("blobs/sha256/%s", digest + 7);
        return layout_file(dir, rel, out, err);
}

static int read_json_file(pc_image_store *s, const char *path, const char *what, json_t **out,
                          pc_error *err)
{
        _cleanup_free_ char *data = NULL;
        size_t n = 0;
        if (pc_image_read_json_file(s, path, what, &data, &n, err) < 0)
                return -1;
        return pc_json_parse(data, n, what, out, err);
}

/* A JSON blob (manifest, config) of the archive must not be huge: checked
 * before it is copied into the store. */
static int check_json_size(pc_image_store *s, const char *path, const char *what, pc_error *err)
{
        struct stat st;
        if (stat(path, &st) < 0)
                return pc_fail(err, errno, "%s", path);
        if (st.st_size > s->max_json_bytes)
                return pc_image_json_too_big(s, what, err);
        return 0;
}

/* Copy blob `digest` from the layout into the store, verified; json: a
 * manifest or config, bounded by the JSON limit. */
static int copy_blob(pc_image_store *s, const char *dir, const char *digest, bool json,
                     pc_error *err)
{
        if (!pc_digest_valid(digest))
                return pc_fail(err, 0, "unsupported digest \"%s\"", digest ? digest : "");
        if (pc_blob_exists(s, digest))
                return 0;
        _cleanup_free_ char *src = NULL;
        if (layout_blob(dir, digest, &src, err) < 0)
                return -1;
        if (json && check_json_size(s, src, digest, err) < 0)
                return -1;
        if (pc_blob_put_file(s, src, digest, false, NULL, NULL, err) < 0)
                return pc_error_prefix(err, "blob %s", digest);
        return 0;
}

static bool is_index(json_t *j, const char *media_type)
{
        const char *mt = media_type ? media_type : pc_json_str(j, "mediaType");
        if (mt && (!strcmp(mt, PC_MT_OCI_INDEX) || !strcmp(mt, PC_MT_DOCKER_LIST)))
                return true;
        return json_is_array(json_object_get(j, "manifests")) && !json_object_get(j, "layers");
}

/* Store the manifest `digest` of the layout (and what it refers to). A
 * manifest list / index is resolved to its linux/amd64 manifest; *stored
 * receives the manifest digest stored (72 bytes). */
static int import_manifest(pc_image_store *s, const char *dir, const char *digest, int depth,
                           char stored[72], pc_error *err)
{
        if (depth > 4)
                return pc_fail(err, 0, "image index nesting too deep");
        _cleanup_free_ char *src = NULL;
        _cleanup_free_ char *data = NULL;
        size_t n = 0;
        if (layout_blob(dir, digest, &src, err) < 0 ||
            pc_image_read_json_file(s, src, digest, &data, &n, err) < 0)
                return -1;
        struct pc_sha256 *h = pc_sha256_new();
        char got[72];
        pc_sha256_update(h, data, n);
        pc_sha256_final(h, got);
        if (strcmp(got, digest) != 0)
                return pc_fail(err, 0, "manifest: digest mismatch: expected %s, got %s", digest,
                               got);
        _cleanup_json_ json_t *j = NULL;
        if (pc_json_parse(data, n, digest, &j, err) < 0)
                return -1;
        if (is_index(j, NULL)) {
                json_t *ms = json_object_get(j, "manifests");
                for (size_t i = 0; i < json_array_size(ms); i++) {
                        json_t *m = json_array_get(ms, i);
                        json_t *p = json_object_get(m, "platform");
                        const char *os = pc_json_str(p, "os"),
                                   *arch = pc_json_str(p, "architecture");
                        if (os && arch && !strcmp(os, "linux") && !strcmp(arch, "amd64"))
                                return import_manifest(s, dir, pc_json_str(m, "digest"), depth + 1,
                                                       stored, err);
                }
                return pc_fail(err, 0, "image index %s has no linux/amd64 image", digest);
        }
        json_t *cfg = json_object_get(j, "config");
        json_t *layers = json_object_get(j, "layers");
        if (!json_is_object(cfg) || !json_is_array(layers))
                return pc_fail(err, 0, "manifest %s: no config or layers", digest);
        if (json_array_size(layers) > PC_IMAGE_MAX_LAYERS) {
                _cleanup_free_ char *what = pc_xasprintf("manifest %s", digest);
                return pc_image_too_many_layers(what, json_array_size(layers), err);
        }
        if (copy_blob(s, dir, pc_json_str(cfg, "digest"), true, err) < 0)
                return pc_error_prefix(err, "config");
        for (size_t i = 0; i < json_array_size(layers); i++)
                if (copy_blob(s, dir, pc_json_str(json_array_get(layers, i), "digest"), false,
                              err) < 0)
                        return pc_error_prefix(err, "layer %zu", i);
        if (pc_blob_put_mem(s, data, n, digest, stored, err) < 0)
                return pc_error_prefix(err, "manifest");
        return pc_image_verify_unpack(s, stored, err);
}

/* The name for an image: the user's (given a tag from the archive's ref
 * name when it has none), else the containerd annotation, else the ref name
 * when it has a repository part. */
static char *choose_name(const char *user, const char *cname, const char *refname, pc_error *err)
{
        bool ref_is_tag = refname && !strchr(refname, '/') && !strchr(refname, ':');
        char *n = NULL;
        if (user) {
                if (!pc_ref_has_tag(user) && ref_is_tag) {
                        _cleanup_free_ char *t = pc_xasprintf("%s:%s", user, refname);
                        n = pc_image_normalize(t);
                } else {
                        n = pc_image_normalize(user);
                }
                if (!n)
                        pc_fail(err, EINVAL, "invalid image name \"%s\"", user);
                return n;
        }
        if (cname) {
                if (!(n = pc_image_normalize(cname)))
                        pc_fail(err, EINVAL, "invalid image name \"%s\" in the archive", cname);
                return n;
        }
        if (refname && !ref_is_tag) {
                if (!(n = pc_image_normalize(refname)))
                        pc_fail(err, EINVAL, "invalid image name \"%s\" in the archive", refname);
                return n;
        }
        pc_fail(err, EINVAL,
                "the image's reference \"%s\" has no repository name; give one with --name",
                refname ? refname : "");
        return NULL;
}

static int load_oci(pc_image_store *s, const char *dir, const char *user, char ***names,
                    pc_error *err)
{
        _cleanup_free_ char *ipath = pc_xasprintf("%s/index.json", dir);
        _cleanup_json_ json_t *index = NULL;
        if (read_json_file(s, ipath, "index.json", &index, err) < 0)
                return -1;
        json_t *ms = json_object_get(index, "manifests");
        if (!json_is_array(ms) || json_array_size(ms) == 0)
                return pc_fail(err, 0, "index.json lists no images");
        if (json_array_size(ms) > PC_IMAGE_MAX_NAMES)
                return pc_fail(err, 0, "index.json lists %zu images: the limit is %d",
                               json_array_size(ms), PC_IMAGE_MAX_NAMES);
        size_t loaded = 0;
        for (size_t i = 0; i < json_array_size(ms); i++) {
                json_t *m = json_array_get(ms, i);
                json_t *ann = json_object_get(m, "annotations");
                const char *refname = pc_json_str(ann, "org.opencontainers.image.ref.name");
                const char *cname = pc_json_str(ann, "io.containerd.image.name");
                if (!refname && !cname && !user && json_array_size(ms) > 1)
                        continue; /* untagged extra entry */
                _cleanup_free_ char *name = choose_name(user, cname, refname, err);
                if (!name)
                        return -1;
                char stored[72];
                if (import_manifest(s, dir, pc_json_str(m, "digest"), 0, stored, err) < 0 ||
                    pc_refs_set(s, name, stored, err) < 0)
                        return pc_error_prefix(err, "%s", name);
                if (names)
                        pc_strv_push(names, name);
                loaded++;
        }
        if (!loaded)
                return pc_fail(err, 0, "no named image in index.json; give a name with --name");
        return 0;
}

static const char *layer_media_type(const char *path)
{
        unsigned char m[4] = {0};
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                if (read(fd, m, sizeof(m)) < 0)
                        memset(m, 0, sizeof(m));
                close(fd);
        }
        if (m[0] == 0x1f && m[1] == 0x8b)
                return PC_MT_OCI_LAYER_GZIP;
        if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
                return PC_MT_OCI_LAYER_ZSTD;
        return PC_MT_OCI_LAYER;
}

static int load_docker(pc_image_store *s, const char *dir, const char *user, char ***names,
                       pc_error *err)
{
        _cleanup_free_ char *mpath = pc_xasprintf("%s/manifest.json", dir);
        _cleanup_json_ json_t *man = NULL;
        if (read_json_file(s, mpath, "manifest.json", &man, err) < 0)
                return -1;
        if (!json_is_array(man) || json_array_size(man) == 0)
                return pc_fail(err, 0, "manifest.json lists no images");
        size_t nnames = 0;
        for (size_t i = 0; i < json_array_size(man); i++) {
                json_t *e = json_array_get(man, i);
                json_t *layers = json_object_get(e, "Layers");
                json_t *tags = json_object_get(e, "RepoTags");
                _cleanup_free_ char *cfile = NULL;
                char cd[72];
                int64_t csize = 0;
                if (!json_is_array(layers))
                        return pc_fail(err, 0, "manifest.json: entry %zu has no Layers", i);
                if (json_array_size(layers) > PC_IMAGE_MAX_LAYERS) {
                        _cleanup_free_ char *what = pc_xasprintf("manifest.json: image %zu", i);
                        return pc_image_too_many_layers(what, json_array_size(layers), err);
                }
                nnames += json_is_array(tags) ? json_array_size(tags) : 1;
                if (nnames > PC_IMAGE_MAX_NAMES)
                        return pc_fail(err, 0, "manifest.json names more than %d images",
                                       PC_IMAGE_MAX_NAMES);
                if (layout_file(dir, pc_json_str(e, "Config"), &cfile, err) < 0 ||
                    check_json_size(s, cfile, "the image config", err) < 0 ||
                    pc_blob_put_file(s, cfile, NULL, false, cd, &csize, err) < 0)
                        return pc_error_prefix(err, "config");
                _cleanup_json_ json_t *om =
                    json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[]}", "schemaVersion", 2,
                              "mediaType", PC_MT_OCI_MANIFEST, "config", "mediaType",
                              PC_MT_OCI_CONFIG, "digest", cd, "size", (json_int_t)csize, "layers");
                json_t *olayers = json_object_get(om, "layers");
                for (size_t k = 0; k < json_array_size(layers); k++) {
                        json_t *l = json_array_get(layers, k);
                        _cleanup_free_ char *lfile = NULL;
                        char ld[72];
                        int64_t lsize = 0;
                        if (layout_file(dir, json_string_value(l), &lfile, err) < 0 ||
                            pc_blob_put_file(s, lfile, NULL, false, ld, &lsize, err) < 0)
                                return pc_error_prefix(err, "layer %zu", k);
                        json_array_append_new(olayers, json_pack("{s:s, s:s, s:I}", "mediaType",
                                                                 layer_media_type(lfile), "digest",
                                                                 ld, "size", (json_int_t)lsize));
                }
                _cleanup_free_ char *mdata = json_dumps(om, JSON_COMPACT);
                char md[72];
                if (!mdata)
                        return pc_fail(err, ENOMEM, "encode manifest");
                if (pc_blob_put_mem(s, mdata, strlen(mdata), NULL, md, err) < 0 ||
                    pc_image_verify_unpack(s, md, err) < 0)
                        return -1;
                size_t before = pc_strv_len(names ? *names : NULL);
                _cleanup_strv_ char **these = NULL;
                if (user) {
                        char *n = choose_name(user, NULL, NULL, err);
                        if (!n)
                                return -1;
                        pc_strv_push(&these, n);
                        free(n);
                } else {
                        for (size_t k = 0; k < json_array_size(tags); k++) {
                                const char *t = json_string_value(json_array_get(tags, k));
                                _cleanup_free_ char *n = t ? pc_image_normalize(t) : NULL;
                                if (!n)
                                        return pc_fail(err, EINVAL,
                                                       "invalid image name \"%s\" in manifest.json",
                                                       t ? t : "");
                                pc_strv_push(&these, n);
                        }
                }
                if (!these)
                        return pc_fail(err, EINVAL,
                                       "image %zu in manifest.json has no RepoTags; give a name "
                                       "with --name",
                                       i);
                for (size_t k = 0; these[k]; k++) {
                        if (pc_refs_set(s, these[k], md, err) < 0)
                                return -1;
                        if (names)
                                pc_strv_push(names, these[k]);
                }
                (void)before;
        }
        return 0;
}

int pc_image_load_named(pc_image_store *s, const char *path, const char *name, char ***names,
                        pc_error *err)
{
        struct stat st;
        _cleanup_strv_ char **loaded = NULL;
        if (stat(path, &st) < 0)
                return pc_fail(err, errno, "%s", path);
        if (pc_store_lock(s, LOCK_EX, err) < 0)
                return -1;
        pc_store_clean_stale(s);
        _cleanup_free_ char *tmp = NULL, *oci_index = NULL, *docker_manifest = NULL;
        const char *dir = path;
        int r = -1;
        pc_error e2;
        if (!S_ISDIR(st.st_mode)) {
                tmp = pc_xasprintf("%s/load-XXXXXX", s->tmp);
                if (!mkdtemp(tmp)) {
                        pc_fail(err, errno, "create %s", tmp);
                        free(STEAL(tmp));
                        goto out;
                }
                if (pc_extract_archive(s, path, tmp, err) < 0)
                        goto out;
                dir = tmp;
        }
        oci_index = pc_xasprintf("%s/index.json", dir);
        docker_manifest = pc_xasprintf("%s/manifest.json", dir);
        if (access(oci_index, F_OK) == 0)
                r = load_oci(s, dir, name, &loaded, err);
        else if (access(docker_manifest, F_OK) == 0)
                r = load_docker(s, dir, name, &loaded, err);
        else
                pc_fail(err, 0,
                        "neither an OCI image layout (index.json) nor a docker archive "
                        "(manifest.json)");
out:
        if (tmp)
                pc_rm_rf(tmp, &e2);
        if (r < 0) {
                pc_image_gc(s, &e2); /* drop what a failed load stored */
                pc_error_prefix(err, "load %s", path);
        } else if (names) {
                *names = STEAL(loaded);
        }
        pc_store_unlock(s);
        return r;
}

int pc_image_load(pc_image_store *s, const char *path, char ***names, pc_error *err)
{
        return pc_image_load_named(s, path, NULL, names, err);
}

int pc_image_import(pc_image_store *s, const char *tarball, const char *name, pc_error *err)
{
        _cleanup_free_ char *norm = name ? pc_image_normalize(name) : NULL;
        if (!norm)
                return pc_fail(err, EINVAL, "invalid image name \"%s\"", name ? name : "");
        if (pc_store_lock(s, LOCK_EX, err) < 0)
                return -1;
        pc_store_clean_stale(s);
        int r = -1;
        char ld[72], cd[72], md[72], created[40];
        int64_t lsize = 0;
        pc_error e2;
        _cleanup_free_ char *cdata = NULL, *mdata = NULL;
        _cleanup_json_ json_t *config = NULL, *manifest = NULL;
        /* The layer blob is the uncompressed tar, so its digest is its diff_id. */
        if (pc_blob_put_file(s, tarball, NULL, true, ld, &lsize, err) < 0)
                goto out;
        pc_format_time(pc_now_ns(), false, created, sizeof(created));
        config = json_pack("{s:s, s:s, s:s, s:{}, s:{s:s, s:[s]}, s:[{s:s, s:s, s:s}]}", "created",
                           created, "architecture", "amd64", "os", "linux", "config", "rootfs",
                           "type", "layers", "diff_ids", ld, "history", "created", created,
                           "created_by", "podctl image import", "comment", "imported from tarball");
        cdata = config ? json_dumps(config, JSON_COMPACT) : NULL;
        if (!cdata) {
                pc_fail(err, ENOMEM, "encode image config");
                goto out;
        }
        if (pc_blob_put_mem(s, cdata, strlen(cdata), NULL, cd, err) < 0)
                goto out;
        manifest =
            json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2,
                      "mediaType", PC_MT_OCI_MANIFEST, "config", "mediaType", PC_MT_OCI_CONFIG,
                      "digest", cd, "size", (json_int_t)strlen(cdata), "layers", "mediaType",
                      PC_MT_OCI_LAYER, "digest", ld, "size", (json_int_t)lsize);
        mdata = manifest ? json_dumps(manifest, JSON_COMPACT) : NULL;
        if (!mdata) {
                pc_fail(err, ENOMEM, "encode image manifest");
                goto out;
        }
        if (pc_blob_put_mem(s, mdata, strlen(mdata), NULL, md, err) < 0 ||
            pc_image_verify_unpack(s, md, err) < 0 || pc_refs_set(s, norm, md, err) < 0)
                goto out;
        r = 0;
out:
        if (r < 0) {
                pc_image_gc(s, &e2);
                pc_error_prefix(err, "import %s", tarball);
        }
        pc_store_unlock(s);
        return r;
}
