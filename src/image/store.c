/* The image store: blobs, references, lookups and garbage collection. */
#include <archive.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image_int.h"
#include "util/util.h"

/* ---- sha256 ---- */

struct pc_sha256 {
        EVP_MD_CTX *ctx;
};

struct pc_sha256 *pc_sha256_new(void)
{
        struct pc_sha256 *h = pc_xcalloc(1, sizeof(*h));
        h->ctx = EVP_MD_CTX_new();
        if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
                abort();
        return h;
}

void pc_sha256_update(struct pc_sha256 *h, const void *data, size_t len)
{
        if (len && EVP_DigestUpdate(h->ctx, data, len) != 1)
                abort();
}

void pc_sha256_final(struct pc_sha256 *h, char out[72])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != 32)
                abort();
        memcpy(out, "sha256:", 7);
        for (unsigned int i = 0; i < n; i++)
                snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
        pc_sha256_free(h);
}

void pc_sha256_free(struct pc_sha256 *h)
{
        if (!h)
                return;
        EVP_MD_CTX_free(h->ctx);
        free(h);
}

/* ---- JSON ---- */

const char *pc_json_str(json_t *obj, const char *key)
{
        json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
        return json_is_string(v) ? json_string_value(v) : NULL;
}

int pc_json_parse(const char *data, size_t len, const char *what, json_t **out, pc_error *err)
{
        json_error_t je;
        json_t *j = json_loadb(data, len, 0, &je);
        if (!j)
                return pc_fail(err, 0, "parse %s: %s (line %d)", what, je.text, je.line);
        *out = j;
        return 0;
}

/* ---- limits ---- */

int pc_image_json_too_big(pc_image_store *s, const char *what, pc_error *err)
{
        pc_fail(err, 0,
                "%s is larger than the %" PRId64 "-byte limit for image JSON "
                "(images.maxJSONBytes in config.json)",
                what, s->max_json_bytes);
        err->code = EFBIG; /* no strerror suffix */
        return -1;
}

int pc_image_too_many_layers(const char *what, size_t n, pc_error *err)
{
        return pc_fail(err, 0, "%s has %zu layers: the limit is %d", what, n, PC_IMAGE_MAX_LAYERS);
}

int pc_image_read_json_file(pc_image_store *s, const char *path, const char *what, char **data,
                            size_t *len, pc_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return pc_fail(err, errno, "open %s", path);
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > s->max_json_bytes)
                return pc_image_json_too_big(s, what, err);
        pc_error e2;
        if (pc_read_fd_max(fd, what, (size_t)s->max_json_bytes, data, len, &e2) < 0) {
                if (e2.code == EFBIG)
                        return pc_image_json_too_big(s, what, err);
                *err = e2;
                return -1;
        }
        return 0;
}

/* <root>/config.json: {"images": {"maxLayerBytes": N, "maxJSONBytes": N}} */
static int read_limits(pc_image_store *s, const char *root, pc_error *err)
{
        s->max_layer_bytes = PC_IMAGE_MAX_LAYER_BYTES;
        s->max_json_bytes = PC_IMAGE_MAX_JSON_BYTES;
        _cleanup_free_ char *path = pc_xasprintf("%s/config.json", root);
        _cleanup_free_ char *data = NULL;
        size_t n = 0;
        if (access(path, F_OK) < 0 && errno == ENOENT)
                return 0;
        if (pc_read_file_max(path, 1 << 20, &data, &n, err) < 0)
                return -1;
        _cleanup_json_ json_t *cfg = NULL;
        if (pc_json_parse(data, n, path, &cfg, err) < 0)
                return -1;
        json_t *im = json_object_get(cfg, "images");
        if (!im)
                return 0;
        if (!json_is_object(im))
                return pc_fail(err, EINVAL, "%s: images: not an object", path);
        static const char *const keys[] = {"maxLayerBytes", "maxJSONBytes"};
        int64_t *vals[] = {&s->max_layer_bytes, &s->max_json_bytes};
        for (size_t i = 0; i < PC_ARRAY_SIZE(keys); i++) {
                json_t *v = json_object_get(im, keys[i]);
                if (!v)
                        continue;
                if (!json_is_integer(v) || json_integer_value(v) < 1)
                        return pc_fail(err, EINVAL, "%s: images.%s: not a positive integer", path,
                                       keys[i]);
                *vals[i] = json_integer_value(v);
        }
        if (s->max_json_bytes > (1LL << 30))
                return pc_fail(err, EINVAL, "%s: images.maxJSONBytes: at most 1073741824", path);
        return 0;
}

/* ---- store ---- */

/* dir owned by root (the store is root's) and 0700. */
static int tighten(const char *dir, pc_error *err)
{
        struct stat st;
        if (stat(dir, &st) < 0)
                return pc_fail(err, errno, "stat %s", dir);
        if ((st.st_mode & 077) && chmod(dir, st.st_mode & 07700) < 0)
                return pc_fail(err, errno, "chmod %s", dir);
        return 0;
}

int pc_image_store_open(const char *root, pc_image_store **out, pc_error *err)
{
        pc_image_store *s = pc_xcalloc(1, sizeof(*s));
        s->lock_fd = -1;
        s->dir = pc_xasprintf("%s/images", root);
        s->blobs = pc_xasprintf("%s/blobs/sha256", s->dir);
        s->layers = pc_xasprintf("%s/layers/sha256", s->dir);
        s->tmp = pc_xasprintf("%s/tmp", s->dir);
        s->refs = pc_xasprintf("%s/refs.json", s->dir);
        if (read_limits(s, root, err) < 0) {
                pc_error_prefix(err, "image store %s", s->dir);
                pc_image_store_close(s);
                return -1;
        }
        const char *dirs[] = {s->blobs, s->layers, s->tmp};
        for (size_t i = 0; i < PC_ARRAY_SIZE(dirs); i++) {
                if (pc_mkdir_p(dirs[i], 0700, err) < 0) {
                        pc_error_prefix(err, "image store %s", s->dir);
                        pc_image_store_close(s);
                        return -1;
                }
        }
        /* Layers keep their setuid files: no other user may reach them,
         * whatever mode an older store or a hand-made directory has. */
        if (tighten(s->dir, err) < 0) {
                pc_error_prefix(err, "image store %s", s->dir);
                pc_image_store_close(s);
                return -1;
        }
        _cleanup_free_ char *lock = pc_xasprintf("%s/lock", s->dir);
        s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (s->lock_fd < 0) {
                pc_fail(err, errno, "open %s", lock);
                pc_image_store_close(s);
                return -1;
        }
        *out = s;
        return 0;
}

void pc_image_store_close(pc_image_store *s)
{
        if (!s)
                return;
        if (s->lock_fd >= 0)
                close(s->lock_fd);
        free(s->dir);
        free(s->blobs);
        free(s->layers);
        free(s->tmp);
        free(s->refs);
        free(s);
}

int pc_store_lock(pc_image_store *s, int op, pc_error *err)
{
        while (flock(s->lock_fd, op) < 0) {
                if (errno != EINTR)
                        return pc_fail(err, errno, "lock %s/lock", s->dir);
        }
        return 0;
}

void pc_store_unlock(pc_image_store *s)
{
        flock(s->lock_fd, LOCK_UN);
}

/* ---- blobs ---- */

char *pc_blob_path(pc_image_store *s, const char *digest)
{
        return pc_xasprintf("%s/%s", s->blobs, digest + 7);
}

bool pc_blob_exists(pc_image_store *s, const char *digest)
{
        if (!pc_digest_valid(digest))
                return false;
        _cleanup_free_ char *p = pc_blob_path(s, digest);
        return access(p, F_OK) == 0;
}

/* A blob being written: a temp file in the blobs dir, hashed as it grows. */
struct blob_writer {
        char *tmp;
        int fd;
        struct pc_sha256 *h;
        int64_t size;
};

static int bw_open(pc_image_store *s, struct blob_writer *w, pc_error *err)
{
        w->tmp = pc_xasprintf("%s/.tmp-XXXXXX", s->blobs);
        w->fd = mkostemp(w->tmp, O_CLOEXEC);
        if (w->fd < 0) {
                int e = errno;
                free(w->tmp);
                w->tmp = NULL;
                return pc_fail(err, e, "create blob in %s", s->blobs);
        }
        w->h = pc_sha256_new();
        w->size = 0;
        return 0;
}

static void bw_abort(struct blob_writer *w)
{
        if (w->fd >= 0)
                close(w->fd);
        w->fd = -1;
        if (w->tmp)
                unlink(w->tmp);
        free(w->tmp);
        w->tmp = NULL;
        pc_sha256_free(w->h);
        w->h = NULL;
}

static int bw_write(struct blob_writer *w, const void *data, size_t len, pc_error *err)
{
        pc_sha256_update(w->h, data, len);
        w->size += (int64_t)len;
        if (pc_write_all(w->fd, data, len) < 0)
                return pc_fail(err, errno, "write %s", w->tmp);
        return 0;
}

static int bw_commit(pc_image_store *s, struct blob_writer *w, const char *expect,
                     char digest_out[72], pc_error *err)
{
        char d[72];
        pc_sha256_final(w->h, d);
        w->h = NULL;
        if (expect && strcmp(d, expect) != 0) {
                bw_abort(w);
                return pc_fail(err, 0, "digest mismatch: expected %s, got %s", expect, d);
        }
        if (fchmod(w->fd, 0600) < 0 || fsync(w->fd) < 0) {
                int e = errno;
                bw_abort(w);
                return pc_fail(err, e, "write blob %s", d);
        }
        close(w->fd);
        w->fd = -1;
        _cleanup_free_ char *path = pc_blob_path(s, d);
        if (rename(w->tmp, path) < 0) {
                int e = errno;
                bw_abort(w);
                return pc_fail(err, e, "rename blob %s", d);
        }
        free(w->tmp);
        w->tmp = NULL;
        if (digest_out)
                memcpy(digest_out, d, 72);
        return 0;
}

int pc_blob_put_mem(pc_image_store *s, const void *data, size_t len, const char *expect,
                    char digest_out[72], pc_error *err)
{
        struct blob_writer w = {.fd = -1};
        if (bw_open(s, &w, err) < 0)
                return -1;
        if (bw_write(&w, data, len, err) < 0) {
                bw_abort(&w);
                return -1;
        }
        return bw_commit(s, &w, expect, digest_out, err);
}

int pc_blob_put_file(pc_image_store *s, const char *src, const char *expect, bool decompress,
                     char digest_out[72], int64_t *size_out, pc_error *err)
{
        if (expect && !pc_digest_valid(expect))
                return pc_fail(err, 0, "unsupported digest \"%s\"", expect);
        struct blob_writer w = {.fd = -1};
        if (bw_open(s, &w, err) < 0)
                return -1;
        enum { BUFSZ = 1 << 16 };
        _cleanup_free_ char *buf = pc_xmalloc(BUFSZ);
        int r = 0;
        if (decompress) {
                struct archive *a = archive_read_new();
                archive_read_support_format_raw(a);
                struct archive_entry *ae;
                if (pc_archive_support_filters(a, true, err) < 0) {
                        r = -1;
                } else if (archive_read_open_filename(a, src, BUFSZ) != ARCHIVE_OK ||
                           archive_read_next_header(a, &ae) != ARCHIVE_OK) {
                        r = pc_fail(err, archive_errno(a) > 0 ? archive_errno(a) : 0, "read %s: %s",
                                    src, archive_error_string(a));
                } else {
                        for (;;) {
                                la_ssize_t n = archive_read_data(a, buf, BUFSZ);
                                if (n < 0) {
                                        r = pc_fail(err, 0, "read %s: %s", src,
                                                    archive_error_string(a));
                                        break;
                                }
                                if (n == 0)
                                        break;
                                if (w.size + n > s->max_layer_bytes) {
                                        r = pc_layer_too_big(s, src, err);
                                        break;
                                }
                                if ((r = bw_write(&w, buf, (size_t)n, err)) < 0)
                                        break;
                        }
                }
                archive_read_free(a);
        } else {
                _cleanup_close_ int fd = open(src, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        r = pc_fail(err, errno, "open %s", src);
                while (r == 0) {
                        ssize_t n = read(fd, buf, BUFSZ);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0) {
                                r = pc_fail(err, errno, "read %s", src);
                                break;
                        }
                        if (n == 0)
                                break;
                        r = bw_write(&w, buf, (size_t)n, err);
                }
        }
        if (r < 0) {
                bw_abort(&w);
                return -1;
        }
        int64_t size = w.size;
        if (bw_commit(s, &w, expect, digest_out, err) < 0)
                return -1;
        if (size_out)
                *size_out = size;
        return 0;
}

int pc_blob_read(pc_image_store *s, const char *digest, char **out, size_t *len, pc_error *err)
{
        if (!pc_digest_valid(digest))
                return pc_fail(err, 0, "unsupported digest \"%s\"", digest ? digest : "");
        _cleanup_free_ char *p = pc_blob_path(s, digest);
        _cleanup_free_ char *data = NULL;
        _cleanup_free_ char *what = pc_xasprintf("blob %s", digest);
        size_t n = 0;
        if (pc_image_read_json_file(s, p, what, &data, &n, err) < 0)
                return err->code == EFBIG ? -1 : pc_error_prefix(err, "blob %s", digest);
        struct pc_sha256 *h = pc_sha256_new();
        char d[72];
        pc_sha256_update(h, data, n);
        pc_sha256_final(h, d);
        if (strcmp(d, digest) != 0)
                return pc_fail(err, 0, "blob %s: digest mismatch (got %s)", digest, d);
        *out = STEAL(data);
        if (len)
                *len = n;
        return 0;
}

int pc_blob_read_json(pc_image_store *s, const char *digest, json_t **out, pc_error *err)
{
        _cleanup_free_ char *data = NULL;
        size_t n = 0;
        if (pc_blob_read(s, digest, &data, &n, err) < 0)
                return -1;
        return pc_json_parse(data, n, digest, out, err);
}

/* ---- refs ---- */

int pc_refs_read(pc_image_store *s, json_t **out, pc_error *err)
{
        _cleanup_free_ char *data = NULL;
        size_t n = 0;
        if (access(s->refs, F_OK) < 0 && errno == ENOENT) {
                *out = json_object();
                return 0;
        }
        if (pc_read_file(s->refs, &data, &n, err) < 0)
                return -1;
        json_t *j = NULL;
        if (pc_json_parse(data, n, s->refs, &j, err) < 0)
                return -1;
        if (!json_is_object(j)) {
                json_decref(j);
                return pc_fail(err, 0, "%s: not a JSON object", s->refs);
        }
        *out = j;
        return 0;
}

int pc_refs_write(pc_image_store *s, json_t *refs, pc_error *err)
{
        _cleanup_free_ char *data = json_dumps(refs, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (!data)
                return pc_fail(err, ENOMEM, "encode %s", s->refs);
        return pc_write_file_atomic(s->refs, data, strlen(data), 0600, err);
}

int pc_refs_set(pc_image_store *s, const char *name, const char *manifest_digest, pc_error *err)
{
        _cleanup_json_ json_t *refs = NULL;
        if (pc_refs_read(s, &refs, err) < 0)
                return -1;
        json_object_set_new(refs, name, json_string(manifest_digest));
        return pc_refs_write(s, refs, err);
}

/* ---- manifests and configs ---- */

struct manifest_info {
        json_t *manifest;
        json_t *config;
        const char *config_digest;
        json_t *layers;   /* array of descriptors */
        json_t *diff_ids; /* array of strings */
};

static void manifest_info_clear(struct manifest_info *m)
{
        if (m->manifest)
                json_decref(m->manifest);
        if (m->config)
                json_decref(m->config);
        memset(m, 0, sizeof(*m));
}

static int manifest_load(pc_image_store *s, const char *manifest_digest, struct manifest_info *m,
                         pc_error *err)
{
        memset(m, 0, sizeof(*m));
        if (pc_blob_read_json(s, manifest_digest, &m->manifest, err) < 0)
                return pc_error_prefix(err, "manifest");
        json_t *cfg = json_object_get(m->manifest, "config");
        m->config_digest = pc_json_str(cfg, "digest");
        m->layers = json_object_get(m->manifest, "layers");
        if (!pc_digest_valid(m->config_digest) || !json_is_array(m->layers)) {
                manifest_info_clear(m);
                return pc_fail(err, 0, "manifest %s: no config digest or layers", manifest_digest);
        }
        if (json_array_size(m->layers) > PC_IMAGE_MAX_LAYERS) {
                size_t n = json_array_size(m->layers);
                manifest_info_clear(m);
                _cleanup_free_ char *what = pc_xasprintf("manifest %s", manifest_digest);
                return pc_image_too_many_layers(what, n, err);
        }
        if (pc_blob_read_json(s, m->config_digest, &m->config, err) < 0) {
                manifest_info_clear(m);
                return pc_error_prefix(err, "image config");
        }
        m->diff_ids = json_object_get(json_object_get(m->config, "rootfs"), "diff_ids");
        if (!json_is_array(m->diff_ids) ||
            json_array_size(m->diff_ids) != json_array_size(m->layers)) {
                manifest_info_clear(m);
                return pc_fail(err, 0,
                               "image config %s: rootfs.diff_ids does not match the %zu layers",
                               manifest_digest, json_array_size(m->layers));
        }
        return 0;
}

int pc_image_verify_unpack(pc_image_store *s, const char *manifest_digest, pc_error *err)
{
        struct manifest_info m;
        if (manifest_load(s, manifest_digest, &m, err) < 0)
                return -1;
        for (size_t i = 0; i < json_array_size(m.layers); i++) {
                const char *d = pc_json_str(json_array_get(m.layers, i), "digest");
                json_t *did = json_array_get(m.diff_ids, i);
                if (!pc_digest_valid(d) || !json_is_string(did)) {
                        manifest_info_clear(&m);
                        return pc_fail(err, 0, "manifest %s: bad layer %zu", manifest_digest, i);
                }
                if (pc_layer_unpack(s, d, json_string_value(did), err) < 0) {
                        pc_error_prefix(err, "layer %s", d);
                        manifest_info_clear(&m);
                        return -1;
                }
        }
        manifest_info_clear(&m);
        return 0;
}

static char **json_strv(json_t *a)
{
        if (!json_is_array(a))
                return NULL;
        char **v = pc_xcalloc(json_array_size(a) + 1, sizeof(char *));
        size_t n = 0;
        for (size_t i = 0; i < json_array_size(a); i++) {
                json_t *e = json_array_get(a, i);
                if (json_is_string(e))
                        v[n++] = pc_xstrdup(json_string_value(e));
        }
        return v;
}

static int64_t parse_created(const char *s)
{
        int64_t ns = 0;
        if (!s)
                return 0;
        if (pc_parse_time(s, &ns) == 0)
                return ns;
        /* "...+01:00" / "...-05:00" offsets */
        size_t n = strlen(s);
        if (n > 6 && (s[n - 6] == '+' || s[n - 6] == '-') && s[n - 3] == ':') {
                _cleanup_free_ char *z = pc_xasprintf("%.*sZ", (int)(n - 6), s);
                int hh = atoi(s + n - 5), mm = atoi(s + n - 2);
                if (pc_parse_time(z, &ns) == 0) {
                        int64_t off = ((int64_t)hh * 3600 + mm * 60) * 1000000000LL;
                        return s[n - 6] == '+' ? ns - off : ns + off;
                }
        }
        return 0;
}

static struct pc_image *image_fill(pc_image_store *s, const char *ref, const char *manifest_digest,
                                   struct manifest_info *m)
{
        struct pc_image *img = pc_xcalloc(1, sizeof(*img));
        img->ref = pc_xstrdup(ref);
        img->manifest_digest = pc_xstrdup(manifest_digest);
        img->config_digest = pc_xstrdup(m->config_digest);
        json_t *c = json_object_get(m->config, "config");
        img->entrypoint = json_strv(json_object_get(c, "Entrypoint"));
        img->cmd = json_strv(json_object_get(c, "Cmd"));
        img->env = json_strv(json_object_get(c, "Env"));
        img->working_dir = pc_xstrdup(pc_json_str(c, "WorkingDir"));
        img->user = pc_xstrdup(pc_json_str(c, "User"));
        img->stop_signal = pc_xstrdup(pc_json_str(c, "StopSignal"));
        img->created = parse_created(pc_json_str(m->config, "created"));
        img->n_layers = json_array_size(m->layers);
        img->layer_dirs = pc_xcalloc(img->n_layers + 1, sizeof(char *));
        for (size_t i = 0; i < img->n_layers; i++) {
                json_t *l = json_array_get(m->layers, i);
                const char *d = pc_json_str(l, "digest");
                img->layer_dirs[i] = pc_digest_valid(d) ? pc_layer_rootfs(s, d) : pc_xstrdup("");
                json_t *sz = json_object_get(l, "size");
                if (json_is_integer(sz))
                        img->size += json_integer_value(sz);
        }
        return img;
}

static bool is_hex(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
                        return false;
        return true;
}

/* The config digest of a stored manifest, or NULL. */
static char *config_digest_of(pc_image_store *s, const char *manifest_digest)
{
        json_t *man = NULL;
        pc_error e;
        if (pc_blob_read_json(s, manifest_digest, &man, &e) < 0)
                return NULL;
        char *r = pc_xstrdup(pc_json_str(json_object_get(man, "config"), "digest"));
        json_decref(man);
        return r;
}

/* Find the ref for `ref` (caller holds a lock): *name and *digest are set
 * (borrowed from refs) or the function fails with "not found". */
static int resolve(pc_image_store *s, json_t *refs, const char *ref, const char **name,
                   const char **digest, pc_error *err)
{
        const char *key;
        json_t *val;
        /* A full digest (config = image ID, or manifest), or an ID prefix. */
        const char *hex = pc_str_has_prefix(ref, "sha256:") ? ref + 7 : ref;
        if (is_hex(hex) && strlen(hex) >= 12 && strlen(hex) <= 64) {
                const char *found_name = NULL, *found_digest = NULL;
                _cleanup_free_ char *found_cfg = NULL;
                bool ambiguous = false;
                json_object_foreach(refs, key, val)
                {
                        const char *md = json_string_value(val);
                        if (!md)
                                continue;
                        _cleanup_free_ char *cd = config_digest_of(s, md);
                        bool match = (cd && pc_str_has_prefix(cd + 7, hex)) ||
                                     (strlen(hex) == 64 && !strcmp(md + 7, hex));
                        if (!match)
                                continue;
                        if (found_cfg && cd && strcmp(found_cfg, cd) != 0)
                                ambiguous = true;
                        if (!found_name) {
                                found_name = key;
                                found_digest = md;
                                found_cfg = pc_xstrdup(cd);
                        }
                }
                if (ambiguous)
                        return pc_fail(err, 0, "image ID prefix \"%s\" is ambiguous", ref);
                if (found_name) {
                        *name = found_name;
                        *digest = found_digest;
                        return 0;
                }
        }
        _cleanup_free_ char *norm = pc_image_normalize(ref);
        if (norm) {
                json_t *v = json_object_get(refs, norm);
                if (json_is_string(v)) {
                        *name = json_object_iter_key(json_object_iter_at(refs, norm));
                        *digest = json_string_value(v);
                        return 0;
                }
                char *at = strchr(norm, '@');
                if (at) {
                        /* repo[:tag]@digest: any ref of that repo with that manifest */
                        *at = '\0';
                        const char *want = at + 1;
                        char *slash = strrchr(norm, '/');
                        char *colon = strrchr(slash ? slash : norm, ':');
                        if (colon)
                                *colon = '\0';
                        size_t rl = strlen(norm);
                        json_object_foreach(refs, key, val)
                        {
                                const char *md = json_string_value(val);
                                if (md && !strcmp(md, want) && !strncmp(key, norm, rl) &&
                                    (key[rl] == ':' || key[rl] == '@')) {
                                        *name = key;
                                        *digest = md;
                                        return 0;
                                }
                        }
                }
        }
        pc_fail(err, 0,
                "image \"%s\" not found in the local store (load it with podctl image load)", ref);
        err->code = ENOENT; /* callers may test for "not found" */
        return -1;
}

int pc_image_get(pc_image_store *s, const char *ref, struct pc_image **out, pc_error *err)
{
        if (pc_store_lock(s, LOCK_SH, err) < 0)
                return -1;
        _cleanup_json_ json_t *refs = NULL;
        const char *name = NULL, *digest = NULL;
        struct manifest_info m;
        int r = -1;
        if (pc_refs_read(s, &refs, err) < 0 || resolve(s, refs, ref, &name, &digest, err) < 0)
                goto out;
        if (pc_image_verify_unpack(s, digest, err) < 0) {
                pc_error_prefix(err, "image %s", name);
                goto out;
        }
        if (manifest_load(s, digest, &m, err) < 0) {
                pc_error_prefix(err, "image %s", name);
                goto out;
        }
        *out = image_fill(s, name, digest, &m);
        manifest_info_clear(&m);
        r = 0;
out:
        pc_store_unlock(s);
        return r;
}

int pc_image_list(pc_image_store *s, struct pc_image ***out, size_t *n, pc_error *err)
{
        if (pc_store_lock(s, LOCK_SH, err) < 0)
                return -1;
        _cleanup_json_ json_t *refs = NULL;
        if (pc_refs_read(s, &refs, err) < 0) {
                pc_store_unlock(s);
                return -1;
        }
        size_t cnt = 0;
        struct pc_image **v = pc_xcalloc(json_object_size(refs) + 1, sizeof(*v));
        /* sorted by name */
        const char **keys = pc_xcalloc(json_object_size(refs) + 1, sizeof(char *));
        size_t nk = 0;
        const char *key;
        json_t *val;
        json_object_foreach(refs, key, val) keys[nk++] = key;
        for (size_t i = 1; i < nk; i++)
                for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
                        const char *t = keys[j];
                        keys[j] = keys[j - 1];
                        keys[j - 1] = t;
                }
        for (size_t i = 0; i < nk; i++) {
                struct manifest_info m;
                const char *md = json_string_value(json_object_get(refs, keys[i]));
                pc_error e;
                if (!md || manifest_load(s, md, &m, &e) < 0)
                        continue; /* damaged entries are skipped, not fatal */
                v[cnt++] = image_fill(s, keys[i], md, &m);
                manifest_info_clear(&m);
        }
        free(keys);
        pc_store_unlock(s);
        *out = v;
        *n = cnt;
        return 0;
}

/* ---- remove and GC ---- */

static void mark(json_t *keep, const char *digest)
{
        if (pc_digest_valid(digest))
                json_object_set_new(keep, digest + 7, json_true());
}

int pc_image_gc(pc_image_store *s, pc_error *err)
{
        _cleanup_json_ json_t *refs = NULL;
        if (pc_refs_read(s, &refs, err) < 0)
                return -1;
        _cleanup_json_ json_t *keep = json_object();
        const char *key;
        json_t *val;
        json_object_foreach(refs, key, val)
        {
                const char *md = json_string_value(val);
                if (!pc_digest_valid(md))
                        continue;
                mark(keep, md);
                json_t *man = NULL;
                pc_error e;
                if (pc_blob_read_json(s, md, &man, &e) < 0)
                        continue;
                mark(keep, pc_json_str(json_object_get(man, "config"), "digest"));
                json_t *layers = json_object_get(man, "layers");
                for (size_t i = 0; i < json_array_size(layers); i++)
                        mark(keep, pc_json_str(json_array_get(layers, i), "digest"));
                json_decref(man);
        }
        const char *dirs[] = {s->blobs, s->layers};
        for (size_t k = 0; k < PC_ARRAY_SIZE(dirs); k++) {
                DIR *d = opendir(dirs[k]);
                if (!d)
                        return pc_fail(err, errno, "open %s", dirs[k]);
                struct dirent *de;
                int r = 0;
                while ((de = readdir(d))) {
                        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                                continue;
                        if (json_object_get(keep, de->d_name))
                                continue;
                        /* a download to resume (pull.c); image prune removes them */
                        if (pc_str_has_prefix(de->d_name, ".partial-"))
                                continue;
                        /* unreferenced, or a leftover temp file/dir */
                        _cleanup_free_ char *p = pc_xasprintf("%s/%s", dirs[k], de->d_name);
                        if (pc_rm_rf(p, err) < 0) {
                                r = -1;
                                break;
                        }
                }
                closedir(d);
                if (r < 0)
                        return pc_error_prefix(err, "garbage collection");
        }
        pc_store_clean_stale(s);
        return 0;
}

static void clean_dir(const char *dir, const char *prefix)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        if (!d)
                return;
        while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
                    !pc_str_has_prefix(de->d_name, prefix))
                        continue;
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", dir, de->d_name);
                pc_error e;
                pc_rm_rf(p, &e); /* best effort */
        }
        closedir(d);
}

void pc_store_clean_stale(pc_image_store *s)
{
        clean_dir(s->blobs, ".tmp-");
        clean_dir(s->layers, ".tmp-");
        clean_dir(s->tmp, "");
}

int pc_image_remove(pc_image_store *s, const char *ref, pc_error *err)
{
        if (pc_store_lock(s, LOCK_EX, err) < 0)
                return -1;
        int r = -1;
        _cleanup_json_ json_t *refs = NULL;
        _cleanup_free_ char *by_id = NULL, *name_copy = NULL;
        const char *name = NULL, *digest = NULL;
        if (pc_refs_read(s, &refs, err) < 0 || resolve(s, refs, ref, &name, &digest, err) < 0)
                goto out;
        name_copy = pc_xstrdup(name);
        /* An image ID removes every name of that image. */
        const char *hex = pc_str_has_prefix(ref, "sha256:") ? ref + 7 : ref;
        if (is_hex(hex) && strlen(hex) >= 12) {
                _cleanup_free_ char *norm = pc_image_normalize(ref);
                if (!norm || !json_object_get(refs, norm))
                        by_id = config_digest_of(s, digest);
        }
        if (by_id) {
                const char *key;
                json_t *val;
                void *tmp;
                json_object_foreach_safe(refs, tmp, key, val)
                {
                        _cleanup_free_ char *cd = config_digest_of(s, json_string_value(val));
                        if (cd && !strcmp(cd, by_id))
                                json_object_del(refs, key);
                }
        } else {
                json_object_del(refs, name_copy);
        }
        if (pc_refs_write(s, refs, err) < 0)
                goto out;
        r = pc_image_gc(s, err);
out:
        pc_store_unlock(s);
        return r;
}
