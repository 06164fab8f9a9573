/* Pulling an image: manifest resolution, verified blob downloads, commit.
 *
 * Store consistency (several pulls at once, SIGKILL at any moment):
 *  - The whole download and unpack phase holds the store lock shared, so
 *    garbage collection (exclusive) never runs meanwhile.
 *  - A layer is downloaded into blobs/.partial-<hex>, flocked by its
 *    downloader: a second pull of the same blob waits for that lock and then
 *    finds the blob committed (each blob is downloaded once). A partial file
 *    left by a killed or failed pull is resumed with a Range request: its
 *    content is hashed again first, so the final check covers every byte.
 *  - A blob is renamed into blobs/ only once its size and sha256 match its
 *    descriptor; the reference is written (refs.json, atomically, under the
 *    exclusive lock) only when every blob is there and every layer unpacked.
 *    Before that nothing of the image is listed or used.
 *  - A failed pull removes what it committed that no reference needs (when
 *    it gets the exclusive lock without waiting; else the next GC does).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "image/image_int.h"
#include "image/registry_int.h"
#include "util/imageref.h"
#include "util/util.h"

#define MT_DOCKER_CONFIG  "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER   "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_SCHEMA1        "application/vnd.docker.distribution.manifest.v1+json"
#define MT_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

static const char ACCEPT[] =
    PC_MT_OCI_MANIFEST ", " PC_MT_OCI_INDEX ", " PC_MT_DOCKER_MANIFEST ", " PC_MT_DOCKER_LIST;

enum { MANIFEST_MAX = 4 << 20, CONFIG_MAX = 32 << 20, MAX_PARALLEL = 3, MAX_TRIES = 3 };

void pc_pull_result_clear(struct pc_pull_result *r)
{
        free(r->ref);
        free(r->manifest_digest);
        free(r->config_digest);
        memset(r, 0, sizeof(*r));
}

static void emit(const struct pc_pull_opts *o, enum pc_pull_event_kind k, const char *id,
                 int64_t done, int64_t total)
{
        if (!o->progress)
                return;
        struct pc_pull_event ev = {.kind = k, .id = id, .done = done, .total = total};
        o->progress(o->progress_data, &ev);
}

/* ---- platform ---- */

static void host_platform(const char **arch, const char **variant)
{
        struct utsname u;
        *variant = NULL;
        *arch = "amd64";
        if (uname(&u) < 0)
                return;
        static const struct {
                const char *machine, *arch, *variant;
        } map[] = {
            {"x86_64", "amd64", NULL},    {"aarch64", "arm64", NULL}, {"armv7l", "arm", "v7"},
            {"armv6l", "arm", "v6"},      {"i686", "386", NULL},      {"i386", "386", NULL},
            {"ppc64le", "ppc64le", NULL}, {"s390x", "s390x", NULL},   {"riscv64", "riscv64", NULL},
        };
        for (size_t i = 0; i < PC_ARRAY_SIZE(map); i++)
                if (!strcmp(u.machine, map[i].machine)) {
                        *arch = map[i].arch;
                        *variant = map[i].variant;
                        return;
                }
        *arch = pc_xstrdup(u.machine); /* leaked once: the process's own platform */
}

/* The descriptor of the host's platform in an index / manifest list. */
static json_t *pick_platform(json_t *index, pc_error *err)
{
        const char *arch, *variant;
        host_platform(&arch, &variant);
        json_t *m, *best = NULL;
        size_t i;
        char seen[512] = "";
        json_array_foreach(json_object_get(index, "manifests"), i, m)
        {
                json_t *p = json_object_get(m, "platform");
                const char *os = pc_json_str(p, "os"), *a = pc_json_str(p, "architecture");
                const char *v = pc_json_str(p, "variant");
                if (os && a && strlen(seen) < sizeof(seen) - 64)
                        snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s%s/%s%s%s",
                                 *seen ? ", " : "", os, a, v ? "/" : "", v ? v : "");
                if (!os || !a || strcmp(os, "linux") != 0 || strcmp(a, arch) != 0)
                        continue;
                if (variant && v && strcmp(v, variant) != 0)
                        continue;
                if (!strcmp(arch, "arm64") && v && strcmp(v, "v8") != 0)
                        continue;
                if (!best)
                        best = m;
        }
        if (!best)
                pc_fail(err, 0, "no image for linux/%s%s%s in the index (it has: %s)", arch,
                        variant ? "/" : "", variant ? variant : "", *seen ? seen : "nothing");
        return best;
}

/* ---- manifests ---- */

struct resolved {
        char *manifest; /* the image manifest's bytes */
        size_t len;
        char digest[72];  /* its digest */
        char *top_digest; /* what the reference resolved to (an index's digest) */
        json_t *json;
};

static void resolved_clear(struct resolved *r)
{
        free(r->manifest);
        free(r->top_digest);
        json_decref(r->json);
        memset(r, 0, sizeof(*r));
}

static void sha256_hex(const void *data, size_t len, char out[72])
{
        struct pc_sha256 *h = pc_sha256_new();
        pc_sha256_update(h, data, len);
        pc_sha256_final(h, out);
}

static char *media_type(const struct pc_reg_resp *resp, json_t *j)
{
        const char *mt = pc_json_str(j, "mediaType");
        if (mt && *mt)
                return pc_xstrdup(mt);
        if (resp->content_type) {
                size_t n = strcspn(resp->content_type, "; ");
                char *s = strndup(resp->content_type, n);
                if (!s)
                        abort();
                return s;
        }
        return pc_xstrdup("");
}

/* The insecure fallback: a registry listed insecure that does not speak TLS. */
static int get_with_fallback(struct pc_reg *r, const char *path, const char *accept, size_t max,
                             struct pc_reg_resp *resp, pc_error *err)
{
        if (pc_reg_get(r, path, accept, max, resp, err) == 0)
                return 0;
        if (!r->insecure || r->plain_http || !pc_str_has_prefix(r->base, "https://"))
                return -1;
        char *http = pc_xasprintf("http://%s", r->base + 8);
        free(r->base);
        r->base = http;
        r->plain_http = true;
        return pc_reg_get(r, path, accept, max, resp, err);
}

static int fetch_manifest(struct pc_reg *r, const char *ref, const char *want_digest, int depth,
                          struct resolved *out, pc_error *err)
{
        _cleanup_free_ char *path = pc_xasprintf("/v2/%s/manifests/%s", r->repo, ref);
        struct pc_reg_resp resp = {0};
        if (get_with_fallback(r, path, ACCEPT, MANIFEST_MAX, &resp, err) < 0) {
                pc_reg_resp_clear(&resp);
                return -1;
        }
        if (resp.status != 200) {
                _cleanup_free_ char *what = pc_xasprintf("manifest %s", ref);
                pc_reg_http_fail(&resp, what, err);
                if (resp.status == 401 || resp.status == 403)
                        pc_reg_explain_refusal(r, err);
                pc_reg_resp_clear(&resp);
                return -1;
        }
        char digest[72];
        sha256_hex(resp.body ? resp.body : "", resp.len, digest);
        if (want_digest && strcmp(digest, want_digest) != 0) {
                pc_reg_resp_clear(&resp);
                return pc_fail(err, 0, "manifest digest mismatch: expected %s, got %s", want_digest,
                               digest);
        }
        json_t *j = json_loadb(resp.body ? resp.body : "", resp.len, 0, NULL);
        _cleanup_free_ char *mt = media_type(&resp, j);
        if (!strcmp(mt, MT_SCHEMA1) || !strcmp(mt, MT_SCHEMA1_SIGNED) ||
            (json_integer_value(json_object_get(j, "schemaVersion")) == 1)) {
                json_decref(j);
                pc_reg_resp_clear(&resp);
                return pc_fail(err, 0,
                               "manifest is Docker image manifest schema 1, which podctl does not "
                               "support (deprecated; push the image again with a current tool)");
        }
        if (!json_is_object(j)) {
                pc_reg_resp_clear(&resp);
                return pc_fail(err, 0, "manifest: not valid JSON (media type \"%s\")", mt);
        }
        if (!out->top_digest)
                out->top_digest = pc_xstrdup(digest);
        if (!strcmp(mt, PC_MT_OCI_INDEX) || !strcmp(mt, PC_MT_DOCKER_LIST)) {
                if (depth > 0) {
                        json_decref(j);
                        pc_reg_resp_clear(&resp);
                        return pc_fail(err, 0, "manifest: nested index");
                }
                json_t *d = pick_platform(j, err);
                const char *cd = d ? pc_json_str(d, "digest") : NULL;
                if (d && !pc_digest_valid(cd)) {
                        pc_fail(err, 0, "index: unsupported digest \"%s\"", cd ? cd : "");
                        d = NULL;
                }
                int rc = -1;
                if (d) {
                        _cleanup_free_ char *c = pc_xstrdup(cd);
                        json_int_t size = json_integer_value(json_object_get(d, "size"));
                        rc = fetch_manifest(r, c, c, depth + 1, out, err);
                        if (rc == 0 && size > 0 && (size_t)size != out->len)
                                rc = pc_fail(err, 0, "manifest %s: size %zu, index says %lld", c,
                                             out->len, (long long)size);
                }
                json_decref(j);
                pc_reg_resp_clear(&resp);
                return rc;
        }
        if (strcmp(mt, PC_MT_OCI_MANIFEST) != 0 && strcmp(mt, PC_MT_DOCKER_MANIFEST) != 0) {
                json_decref(j);
                pc_reg_resp_clear(&resp);
                return pc_fail(err, 0, "unsupported manifest media type \"%s\"", mt);
        }
        out->manifest = STEAL(resp.body);
        out->len = resp.len;
        memcpy(out->digest, digest, sizeof(digest));
        out->json = j;
        pc_reg_resp_clear(&resp);
        return 0;
}

static bool layer_type_ok(const char *mt)
{
        static const char *ok[] = {PC_MT_OCI_LAYER,
                                   PC_MT_OCI_LAYER_GZIP,
                                   PC_MT_OCI_LAYER_ZSTD,
                                   MT_DOCKER_LAYER,
                                   "application/vnd.oci.image.layer.nondistributable.v1.tar",
                                   "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                                   "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
                                   "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"};
        for (size_t i = 0; i < PC_ARRAY_SIZE(ok); i++)
                if (!strcmp(mt, ok[i]))
                        return true;
        return false;
}

static int check_manifest(json_t *m, pc_error *err)
{
        json_t *cfg = json_object_get(m, "config");
        const char *cmt = pc_json_str(cfg, "mediaType");
        if (!pc_digest_valid(pc_json_str(cfg, "digest")) ||
            !json_is_integer(json_object_get(cfg, "size")))
                return pc_fail(err, 0, "manifest: bad config descriptor");
        if (cmt && strcmp(cmt, PC_MT_OCI_CONFIG) != 0 && strcmp(cmt, MT_DOCKER_CONFIG) != 0)
                return pc_fail(err, 0,
                               "manifest: unsupported config media type \"%s\" (not a "
                               "container image)",
                               cmt);
        json_t *layers = json_object_get(m, "layers");
        if (!json_is_array(layers))
                return pc_fail(err, 0, "manifest: no layers");
        size_t i;
        json_t *l;
        json_array_foreach(layers, i, l)
        {
                const char *mt = pc_json_str(l, "mediaType");
                if (!pc_digest_valid(pc_json_str(l, "digest")) ||
                    !json_is_integer(json_object_get(l, "size")) ||
                    json_integer_value(json_object_get(l, "size")) < 0)
                        return pc_fail(err, 0, "manifest: bad layer descriptor %zu", i);
                if (!mt || !layer_type_ok(mt))
                        return pc_fail(err, 0, "manifest: layer %zu: unsupported media type \"%s\"",
                                       i, mt ? mt : "");
        }
        return 0;
}

/* ---- blobs ---- */

static int fetch_small_blob(pc_image_store *s, struct pc_reg *r, const char *digest, int64_t size,
                            bool *committed, pc_error *err)
{
        if (pc_blob_exists(s, digest))
                return 0;
        if (size > CONFIG_MAX)
                return pc_fail(err, 0, "blob %s: %lld bytes is too large for a config", digest,
                               (long long)size);
        _cleanup_free_ char *path = pc_xasprintf("/v2/%s/blobs/%s", r->repo, digest);
        struct pc_reg_resp resp = {0};
        if (pc_reg_get(r, path, NULL, CONFIG_MAX, &resp, err) < 0) {
                pc_reg_resp_clear(&resp);
                return pc_error_prefix(err, "blob %s", digest);
        }
        int rc = 0;
        if (resp.status != 200)
                rc = pc_reg_http_fail(&resp, "blob", err);
        else if ((int64_t)resp.len != size)
                rc = pc_fail(err, 0, "size mismatch: expected %lld bytes, got %zu", (long long)size,
                             resp.len);
        else
                rc = pc_blob_put_mem(s, resp.body ? resp.body : "", resp.len, digest, NULL, err);
        pc_reg_resp_clear(&resp);
        if (rc < 0)
                return pc_error_prefix(err, "blob %s", digest);
        *committed = true;
        return 0;
}

enum xstate { X_TODO, X_RUNNING, X_WAITING, X_DONE };

struct xfer {
        const char *digest;
        int64_t size;
        enum xstate state;
        char *partial;
        int fd;
        struct pc_sha256 *h;
        int64_t have, reported;
        bool range_sent, body_started, bad_status, overflow, reauthed;
        long status;
        char *errbody; /* body of a failed response, for the message */
        size_t errlen;
        int tries;
        int64_t retry_at;
        CURL *e;
        struct curl_slist *hdrs;
        struct pc_reg_resp hresp; /* headers only */
        char errbuf[CURL_ERROR_SIZE];
        const struct pc_pull_opts *o;
};

static void xfer_close(struct xfer *x)
{
        if (x->fd >= 0)
                close(x->fd);
        x->fd = -1;
        pc_sha256_free(x->h);
        x->h = NULL;
}

/* Take the blob's partial file. 1: ours to download, 0: blob already there,
 * 2: another pull holds it (blocking = false). */
static int xfer_lock(pc_image_store *s, struct xfer *x, bool blocking, pc_error *err)
{
        if (!x->partial)
                x->partial = pc_xasprintf("%s/.partial-%s", s->blobs, x->digest + 7);
        for (;;) {
                if (pc_blob_exists(s, x->digest))
                        return 0;
                int fd = open(x->partial, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd < 0)
                        return pc_fail(err, errno, "open %s", x->partial);
                int r;
                while ((r = flock(fd, LOCK_EX | (blocking ? 0 : LOCK_NB))) < 0 && errno == EINTR)
                        ;
                if (r < 0) {
                        int e = errno;
                        close(fd);
                        if (e == EWOULDBLOCK)
                                return 2;
                        return pc_fail(err, e, "lock %s", x->partial);
                }
                /* still the file at that path? (else it was committed or removed) */
                struct stat a, b;
                if (fstat(fd, &a) == 0 && stat(x->partial, &b) == 0 && a.st_ino == b.st_ino &&
                    a.st_dev == b.st_dev) {
                        x->fd = fd;
                        break;
                }
                close(fd);
        }
        if (pc_blob_exists(s, x->digest)) {
                unlink(x->partial);
                xfer_close(x);
                return 0;
        }
        /* resume: hash what is there */
        struct stat st;
        if (fstat(x->fd, &st) < 0)
                return pc_fail(err, errno, "stat %s", x->partial);
        x->h = pc_sha256_new();
        x->have = 0;
        if (st.st_size > x->size) {
                if (ftruncate(x->fd, 0) < 0)
                        return pc_fail(err, errno, "truncate %s", x->partial);
                st.st_size = 0;
        }
        enum { BUF = 1 << 16 };
        _cleanup_free_ char *buf = pc_xmalloc(BUF);
        while (x->have < st.st_size) {
                ssize_t n = pread(x->fd, buf, BUF, x->have);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                pc_sha256_update(x->h, buf, (size_t)n);
                x->have += n;
        }
        if (ftruncate(x->fd, x->have) < 0 || lseek(x->fd, x->have, SEEK_SET) < 0)
                return pc_fail(err, errno, "resume %s", x->partial);
        return 1;
}

static size_t xfer_write(char *buf, size_t size, size_t n, void *data)
{
        struct xfer *x = data;
        size_t len = size * n;
        if (!x->body_started) {
                x->body_started = true;
                curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &x->status);
                if (x->status == 200 && x->have > 0) {
                        /* no range support: start over */
                        if (ftruncate(x->fd, 0) < 0 || lseek(x->fd, 0, SEEK_SET) < 0)
                                return 0;
                        pc_sha256_free(x->h);
                        x->h = pc_sha256_new();
                        x->have = 0;
                } else if (x->status != 200 && !(x->status == 206 && x->range_sent)) {
                        x->bad_status = true;
                }
        }
        if (x->bad_status) {
                if (x->errlen + len <= 65536) {
                        x->errbody = pc_xrealloc(x->errbody, x->errlen + len + 1);
                        memcpy(x->errbody + x->errlen, buf, len);
                        x->errlen += len;
                        x->errbody[x->errlen] = '\0';
                }
                return len;
        }
        if (x->have + (int64_t)len > x->size) {
                x->overflow = true;
                return 0;
        }
        if (pc_write_all(x->fd, buf, len) < 0)
                return 0;
        pc_sha256_update(x->h, buf, len);
        x->have += (int64_t)len;
        if (x->have - x->reported >= (256 << 10) || x->have == x->size) {
                x->reported = x->have;
                emit(x->o, PC_PULL_LAYER_PROGRESS, x->digest, x->have, x->size);
        }
        return len;
}

static void xfer_start(struct pc_reg *r, CURLM *m, struct xfer *x)
{
        _cleanup_free_ char *url = pc_xasprintf("%s/v2/%s/blobs/%s", r->base, r->repo, x->digest);
        _cleanup_free_ char *range =
            x->have > 0 ? pc_xasprintf("Range: bytes=%lld-", (long long)x->have) : NULL;
        x->range_sent = range != NULL;
        x->body_started = x->bad_status = x->overflow = false;
        x->status = 0;
        free(x->errbody);
        x->errbody = NULL;
        x->errlen = 0;
        x->errbuf[0] = '\0';
        pc_reg_resp_clear(&x->hresp);
        if (!x->e)
                x->e = curl_easy_init();
        if (!x->e)
                abort();
        curl_easy_reset(x->e);
        pc_reg_setup(r, x->e, url, NULL, range, &x->hdrs);
        curl_easy_setopt(x->e, CURLOPT_ERRORBUFFER, x->errbuf);
        curl_easy_setopt(x->e, CURLOPT_WRITEFUNCTION, xfer_write);
        curl_easy_setopt(x->e, CURLOPT_WRITEDATA, x);
        curl_easy_setopt(x->e, CURLOPT_HEADERFUNCTION, pc_reg_header_cb);
        curl_easy_setopt(x->e, CURLOPT_HEADERDATA, &x->hresp);
        curl_easy_setopt(x->e, CURLOPT_PRIVATE, x);
        /* PODCTL_PULL_MAX_RATE: bytes per second per layer (throttling, tests) */
        const char *rate = getenv("PODCTL_PULL_MAX_RATE");
        if (rate && atoll(rate) > 0)
                curl_easy_setopt(x->e, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t)atoll(rate));
        curl_multi_add_handle(m, x->e);
        x->state = X_RUNNING;
}

/* A finished transfer. 0: done (committed), 1: to be retried, -1: failed. */
static int xfer_finish(pc_image_store *s, struct pc_reg *r, struct xfer *x, CURLcode c,
                       bool *committed, pc_error *err)
{
        curl_slist_free_all(x->hdrs);
        x->hdrs = NULL;
        long status = x->status;
        if (!status)
                curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &status);
        if (x->overflow)
                return pc_fail(err, 0, "blob %s: larger than the %lld bytes of its descriptor",
                               x->digest, (long long)x->size);
        if (status == 401 && !x->reauthed) {
                x->reauthed = true;
                if (pc_reg_authenticate(r, x->hresp.www_auth, true, err) < 0)
                        return pc_error_prefix(err, "blob %s", x->digest);
                return 1;
        }
        if (c == CURLE_OK && status == 416 && x->range_sent) {
                /* our partial file is no prefix the registry accepts: start over */
                if (ftruncate(x->fd, 0) < 0 || lseek(x->fd, 0, SEEK_SET) < 0)
                        return pc_fail(err, errno, "truncate %s", x->partial);
                pc_sha256_free(x->h);
                x->h = pc_sha256_new();
                x->have = 0;
                return 1;
        }
        if (c == CURLE_OK && (x->bad_status || (status != 200 && status != 206))) {
                struct pc_reg_resp er = {.status = status, .body = x->errbody, .len = x->errlen};
                pc_reg_http_fail(&er, "blob", err);
                return pc_error_prefix(err, "%s", x->digest);
        }
        if (c != CURLE_OK || x->have < x->size) {
                if (++x->tries < MAX_TRIES) {
                        x->retry_at = pc_monotonic_ns() + 1000000000LL * x->tries;
                        return 1;
                }
                if (c != CURLE_OK)
                        return pc_fail(err, 0, "blob %s: %s", x->digest,
                                       *x->errbuf ? x->errbuf : curl_easy_strerror(c));
                return pc_fail(err, 0, "blob %s: transfer ended after %lld of %lld bytes",
                               x->digest, (long long)x->have, (long long)x->size);
        }
        char got[72];
        pc_sha256_final(x->h, got);
        x->h = NULL;
        if (strcmp(got, x->digest) != 0) {
                unlink(x->partial);
                return pc_fail(err, 0,
                               "blob %s: digest mismatch: the registry sent content with "
                               "digest %s",
                               x->digest, got);
        }
        _cleanup_free_ char *final = pc_blob_path(s, x->digest);
        if (fsync(x->fd) < 0 || rename(x->partial, final) < 0)
                return pc_fail(err, errno, "commit blob %s", x->digest);
        xfer_close(x);
        *committed = true;
        x->state = X_DONE;
        emit(x->o, PC_PULL_LAYER_DONE, x->digest, x->size, x->size);
        return 0;
}

/* Download every layer of `layers` that is not in the store. */
static int fetch_layers(pc_image_store *s, struct pc_reg *r, json_t *layers,
                        const struct pc_pull_opts *o, char ***committed, int64_t *downloaded,
                        pc_error *err)
{
        size_t n = json_array_size(layers);
        struct xfer *xs = pc_xcalloc(n + 1, sizeof(*xs));
        CURLM *m = curl_multi_init();
        if (!m)
                abort();
        curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)MAX_PARALLEL);
        int rc = 0;
        for (size_t i = 0; i < n; i++) {
                json_t *l = json_array_get(layers, i);
                xs[i].fd = -1;
                xs[i].o = o;
                xs[i].digest = pc_json_str(l, "digest");
                xs[i].size = json_integer_value(json_object_get(l, "size"));
                for (size_t k = 0; k < i; k++)
                        if (!strcmp(xs[k].digest, xs[i].digest))
                                xs[i].state = X_DONE; /* the same layer twice */
        }
        for (int round = 0; round < 2 && rc == 0; round++) {
                size_t running = 0;
                for (size_t i = 0; i < n && rc == 0; i++) {
                        struct xfer *x = &xs[i];
                        if (x->state == X_DONE)
                                continue;
                        int lr = xfer_lock(s, x, round > 0, err);
                        if (lr < 0) {
                                rc = pc_error_prefix(err, "layer %s", x->digest);
                        } else if (lr == 0) {
                                x->state = X_DONE;
                                emit(o, PC_PULL_LAYER_EXISTS, x->digest, x->size, x->size);
                        } else if (lr == 2) {
                                x->state = X_WAITING;
                                emit(o, PC_PULL_LAYER_WAITING, x->digest, 0, x->size);
                        } else {
                                x->state = X_TODO;
                                x->tries = 0;
                                running++;
                        }
                }
                /* the transfers of this round */
                size_t active = 0;
                while (rc == 0 && running > 0) {
                        int64_t now = pc_monotonic_ns();
                        for (size_t i = 0; i < n; i++)
                                if (xs[i].state == X_TODO && xs[i].retry_at <= now) {
                                        xfer_start(r, m, &xs[i]);
                                        active++;
                                }
                        int still = 0;
                        CURLMcode mc = curl_multi_perform(m, &still);
                        if (mc == CURLM_OK && still > 0)
                                mc = curl_multi_poll(m, NULL, 0, active ? 1000 : 100, NULL);
                        else if (mc == CURLM_OK && active == 0)
                                nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
                        if (mc != CURLM_OK) {
                                rc = pc_fail(err, 0, "curl: %s", curl_multi_strerror(mc));
                                break;
                        }
                        CURLMsg *msg;
                        int left;
                        while (rc == 0 && (msg = curl_multi_info_read(m, &left))) {
                                if (msg->msg != CURLMSG_DONE)
                                        continue;
                                struct xfer *x = NULL;
                                curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
                                CURLcode cc = msg->data.result;
                                curl_multi_remove_handle(m, msg->easy_handle);
                                active--;
                                bool com = false;
                                int fr = xfer_finish(s, r, x, cc, &com, err);
                                if (com) {
                                        pc_strv_push(committed, x->digest);
                                        *downloaded += x->size;
                                }
                                if (fr < 0) {
                                        rc = -1;
                                } else if (fr == 1) {
                                        x->state = X_TODO;
                                } else {
                                        running--;
                                }
                        }
                }
                if (rc < 0)
                        break;
                /* layers another pull was fetching: wait for its lock, then
                 * either the blob is there or we fetch it in the next round */
                bool waited = false;
                for (size_t i = 0; i < n; i++)
                        if (xs[i].state == X_WAITING) {
                                xs[i].state = X_TODO;
                                waited = true;
                        }
                if (!waited)
                        break;
        }
        for (size_t i = 0; i < n; i++) {
                struct xfer *x = &xs[i];
                if (x->e) {
                        curl_multi_remove_handle(m, x->e);
                        curl_easy_cleanup(x->e);
                }
                curl_slist_free_all(x->hdrs);
                xfer_close(x);
                free(x->partial);
                free(x->errbody);
                pc_reg_resp_clear(&x->hresp);
                if (rc == 0 && x->state != X_DONE)
                        rc = pc_fail(err, 0, "layer %s: not downloaded", x->digest);
        }
        curl_multi_cleanup(m);
        free(xs);
        return rc;
}

/* ---- credentials ---- */

/* docker's config.json ($DOCKER_CONFIG, else ~/.docker), or NULL. */
static json_t *docker_config(void)
{
        const char *dc = getenv("DOCKER_CONFIG");
        const char *home = getenv("HOME");
        _cleanup_free_ char *path = dc && *dc ? pc_xasprintf("%s/config.json", dc)
                                    : home    ? pc_xasprintf("%s/.docker/config.json", home)
                                              : NULL;
        if (!path)
                return NULL;
        _cleanup_free_ char *data = NULL;
        size_t n = 0;
        pc_error e;
        if (pc_read_file(path, &data, &n, &e) < 0)
                return NULL;
        json_t *j = json_loadb(data, n, 0, NULL);
        explicit_bzero(data, n);
        if (!json_is_object(j)) {
                json_decref(j);
                return NULL;
        }
        return j;
}

/* The first credentials found: --creds (or the CRI's tokens, which
 * find_creds leaves alone), the Pod's imagePullSecrets, then
 * docker's config.json: its credential helper for the host (credHelpers,
 * else credsStore) and, when that has none, its "auths". A helper that
 * fails fails the pull, as it does docker's. Only config.json and its
 * helpers give an identity token (*itok), as docker's. */
static int find_creds(const struct pc_pull_opts *o, const char *host, const char *repo, char **user,
                      char **pass, char **itok, pc_error *err)
{
        *user = *pass = *itok = NULL;
        if (o->registry_token || o->identity_token)
                return 0;
        if (o->user && o->pass) {
                *user = pc_xstrdup(o->user);
                *pass = pc_xstrdup(o->pass);
                return 0;
        }
        if (o->auths && pc_reg_auths_lookup(o->auths, host, repo, user, pass, NULL) == 1)
                return 0;
        if (o->no_docker_config)
                return 0;
        json_t *cfg = docker_config();
        if (!cfg)
                return 0;
        int rc = 0;
        const char *helper = pc_reg_cred_helper_name(cfg, host);
        if (helper)
                rc = pc_reg_cred_helper_get(helper, host, user, pass, itok, err);
        if (rc == 0) {
                json_t *a = json_object_get(cfg, "auths");
                if (json_is_object(a))
                        pc_reg_auths_lookup(a, host, repo, user, pass, itok);
        }
        json_decref(cfg);
        return rc < 0 ? -1 : 0;
}

static void free_secret(char *s)
{
        if (s) {
                explicit_bzero(s, strlen(s));
                free(s);
        }
}

/* ---- the pull ---- */

/* The registry itself gets the credentials found for it (--creds or the
 * CRI's tokens first); a mirror only those found for the mirror's own
 * host: a registry's secrets never go to another host. */
static int open_endpoint(const struct pc_pull_opts *o, json_t *config, const char *host,
                         const char *base, bool mirror, const char *repo, struct pc_reg **out,
                         pc_error *err)
{
        const char *h = strstr(base, "://");
        h = h ? h + 3 : base;
        _cleanup_free_ char *ep_host = strndup(h, strcspn(h, "/"));
        if (!ep_host)
                abort();
        char *user = NULL, *pass = NULL, *itok = NULL;
        struct pc_pull_opts mo = *o;
        if (mirror)
                mo.user = mo.pass = mo.registry_token = mo.identity_token = NULL;
        if (find_creds(&mo, mirror ? ep_host : host, repo, &user, &pass, &itok, err) < 0)
                return -1;
        struct pc_reg_creds c = {.user = user,
                                 .pass = pass,
                                 .registry_token = mo.registry_token,
                                 .identity_token = mo.identity_token ? mo.identity_token : itok};
        int rc = pc_reg_open(mirror ? ep_host : host, base, repo, config, &c, out, err);
        free_secret(user);
        free_secret(pass);
        free_secret(itok);
        return rc;
}

static int commit_ref(pc_image_store *s, const char *name, const struct resolved *rv, pc_error *err)
{
        if (pc_store_lock(s, LOCK_EX, err) < 0)
                return -1;
        int rc = 0;
        /* a GC may have run between our shared and exclusive locks */
        json_t *cfg = json_object_get(rv->json, "config");
        if (!pc_blob_exists(s, rv->digest) || !pc_blob_exists(s, pc_json_str(cfg, "digest")))
                rc = 1;
        size_t i;
        json_t *l;
        json_array_foreach(json_object_get(rv->json, "layers"), i, l)
        {
                if (!pc_blob_exists(s, pc_json_str(l, "digest")) ||
                    !pc_layer_unpacked(s, pc_json_str(l, "digest")))
                        rc = 1;
        }
        if (rc == 0 && pc_refs_set(s, name, rv->digest, err) < 0)
                rc = -1;
        if (rc == 0)
                pc_image_mark_pulled(s, name, rv->digest);
        pc_store_unlock(s);
        return rc;
}

static void cleanup_failed(pc_image_store *s, char **committed)
{
        if (!committed || !*committed)
                return;
        pc_error e;
        if (pc_store_lock(s, LOCK_EX | LOCK_NB, &e) < 0)
                return; /* others are pulling: the next GC removes what is left */
        pc_image_gc(s, &e);
        pc_store_unlock(s);
}

static int pull_from(pc_image_store *s, struct pc_reg *r, const struct pc_imgref *ir,
                     const char *name, const struct pc_pull_opts *o, struct pc_pull_result *res,
                     char ***committed, pc_error *err)
{
        struct resolved rv = {0};
        const char *tag = pc_imgref_tag(ir);
        const char *ref = ir->digest ? ir->digest : tag;
        if (fetch_manifest(r, ref, ir->digest, 0, &rv, err) < 0) {
                resolved_clear(&rv);
                return -1;
        }
        int rc = check_manifest(rv.json, err);
        json_t *layers = json_object_get(rv.json, "layers");
        if (rc == 0)
                emit(o, PC_PULL_RESOLVED, rv.digest, (int64_t)json_array_size(layers), 0);
        for (int attempt = 0; rc == 0; attempt++) {
                if (pc_store_lock(s, LOCK_SH, err) < 0) {
                        rc = -1;
                        break;
                }
                json_t *cfg = json_object_get(rv.json, "config");
                bool com = false;
                rc = fetch_small_blob(s, r, pc_json_str(cfg, "digest"),
                                      json_integer_value(json_object_get(cfg, "size")), &com, err);
                if (com)
                        pc_strv_push(committed, pc_json_str(cfg, "digest"));
                if (rc == 0)
                        rc = fetch_layers(s, r, layers, o, committed, &res->downloaded, err);
                if (rc == 0 && !pc_blob_exists(s, rv.digest)) {
                        rc = pc_blob_put_mem(s, rv.manifest, rv.len, rv.digest, NULL, err);
                        if (rc == 0)
                                pc_strv_push(committed, rv.digest);
                }
                if (rc == 0) {
                        emit(o, PC_PULL_UNPACKING, rv.digest, 0, 0);
                        rc = pc_image_verify_unpack(s, rv.digest, err);
                }
                pc_store_unlock(s);
                if (rc < 0)
                        break;
                rc = commit_ref(s, name, &rv, err);
                if (rc <= 0)
                        break;
                if (attempt >= 2) {
                        rc = pc_fail(err, 0, "the store changed under the pull three times");
                        break;
                }
                rc = 0; /* blobs were collected meanwhile: fetch them again */
        }
        if (rc == 0) {
                res->manifest_digest = pc_xstrdup(rv.digest);
                res->config_digest =
                    pc_xstrdup(pc_json_str(json_object_get(rv.json, "config"), "digest"));
                size_t i;
                json_t *l;
                json_array_foreach(layers, i, l) res->size +=
                    json_integer_value(json_object_get(l, "size"));
        }
        resolved_clear(&rv);
        return rc;
}

int pc_image_pull(pc_image_store *s, const char *ref, const struct pc_pull_opts *o,
                  struct pc_pull_result *res, pc_error *err)
{
        memset(res, 0, sizeof(*res));
        struct pc_imgref ir;
        const char *why;
        if (pc_imgref_parse(ref, &ir, &why) < 0)
                return pc_fail(err, 0, "couldn't parse image reference \"%s\": %s", ref, why);
        _cleanup_free_ char *name = pc_imgref_string(&ir);
        json_t *config = pc_reg_config_load(o->root, err);
        if (!config) {
                pc_imgref_clear(&ir);
                return -1;
        }
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                const char *lib = pc_curl_load();
                pc_imgref_clear(&ir);
                return pc_fail(err, 0, "pull %s: %s", ref, lib ? lib : "libcurl: init failed");
        }
        /* endpoints: the configured mirrors, then the registry itself */
        _cleanup_strv_ char **bases = NULL;
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(json_object_get(config, "mirrors"), ir.domain), i, v)
        {
                if (json_string_value(v))
                        pc_strv_push(&bases, json_string_value(v));
        }
        _cleanup_free_ char *def = !strcmp(ir.domain, "docker.io")
                                       ? pc_xstrdup("https://registry-1.docker.io")
                                       : pc_xasprintf("https://%s", ir.domain);
        pc_strv_push(&bases, def);
        _cleanup_strv_ char **committed = NULL;
        int rc = -1;
        for (i = 0; bases[i]; i++) {
                struct pc_reg *r = NULL;
                pc_error e;
                if (open_endpoint(o, config, ir.domain, bases[i], bases[i + 1] != NULL, ir.path, &r,
                                  &e) == 0) {
                        rc = pull_from(s, r, &ir, name, o, res, &committed, &e);
                        pc_reg_free(r);
                }
                if (rc == 0)
                        break;
                *err = e;
                if (bases[i + 1])
                        continue; /* a mirror failed: the next one, or the registry */
        }
        json_decref(config);
        if (rc < 0) {
                cleanup_failed(s, committed);
                pc_error_prefix(err, "pull %s", name);
        } else {
                res->ref = STEAL(name);
                emit(o, PC_PULL_DONE, res->manifest_digest, res->size, res->size);
        }
        pc_imgref_clear(&ir);
        return rc;
}

int pc_image_pull_clean(pc_image_store *s, pc_error *err)
{
        if (pc_store_lock(s, LOCK_EX, err) < 0)
                return -1;
        DIR *d = opendir(s->blobs);
        if (!d) {
                pc_store_unlock(s);
                return pc_fail(err, errno, "open %s", s->blobs);
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (!pc_str_has_prefix(de->d_name, ".partial-"))
                        continue;
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", s->blobs, de->d_name);
                unlink(p);
        }
        closedir(d);
        pc_store_unlock(s);
        return 0;
}
