/* ImageService over podctl's image store (<root>/images) and registry client. */
#include <errno.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cri/internal.h"
#include "image/image.h"
#include "image/registry.h"
#include "util/cleanup.h"
#include "util/imageref.h"
#include "util/util.h"

static void store_closep(pc_image_store **s)
{
        pc_image_store_close(*s);
}

/* base64 (docker's "auth") decoded, NUL-terminated; NULL if not base64. */
static char *b64(struct cri_call *c, const char *s, size_t *n)
{
        size_t len = strlen(s);
        if (len % 4)
                return NULL;
        unsigned char *out = cri_alloc(c, len / 4 * 3 + 1);
        int r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
        if (r < 0)
                return NULL;
        size_t m = (size_t)r;
        for (size_t i = len; i > 0 && s[i - 1] == '='; i--)
                m--;
        out[m] = '\0';
        *n = m;
        return (char *)out;
}

/* "docker.io/library/busybox:1" -> "docker.io/library/busybox"; a digest ref
 * "x@sha256:..." -> "x". */
static char *repo_of(struct cri_call *c, const char *ref)
{
        char *r = cri_strdup(c, ref);
        char *at = strchr(r, '@');
        if (at) {
                *at = '\0';
                return r;
        }
        char *colon = strrchr(r, ':');
        char *slash = strrchr(r, '/');
        if (colon && (!slash || colon > slash))
                *colon = '\0';
        return r;
}

static bool is_digest_ref(const char *ref)
{
        return strchr(ref, '@') != NULL;
}

/* The store's references grouped by image (config digest), as CRI images. */
struct images {
        struct pc_image **all;
        size_t n;
};

static void images_free(struct images *im)
{
        for (size_t i = 0; i < im->n; i++)
                pc_image_free(im->all[i]);
        free(im->all);
        im->all = NULL;
        im->n = 0;
}

static int images_load(struct cri_call *c, struct images *im, pc_error *err)
{
        _cleanup_(store_closep) pc_image_store *s = NULL;
        if (pc_image_store_open(c->cri->root, &s, err) < 0)
                return -1;
        return pc_image_list(s, &im->all, &im->n, err);
}

/* uid or username from the image config's User ("1000", "1000:1000", "nobody"). */
static void set_user(struct cri_call *c, Runtime__V1__Image *out, const char *user)
{
        if (!user || !*user)
                return;
        char *u = cri_strdup(c, user);
        char *colon = strchr(u, ':');
        if (colon)
                *colon = '\0';
        char *end;
        errno = 0;
        long long v = strtoll(u, &end, 10);
        if (*u && !*end && !errno) {
                out->uid = CRI_NEW(c, Runtime__V1__Int64Value, int64_value);
                out->uid->value = v;
        } else {
                out->username = u;
        }
}

/* The CRI image of config digest id: every reference to it. */
static Runtime__V1__Image *to_cri(struct cri_call *c, const struct images *im, const char *id)
{
        Runtime__V1__Image *out = CRI_NEW(c, Runtime__V1__Image, image);
        out->id = cri_strdup(c, id);
        out->repo_tags = cri_alloc(c, im->n * sizeof(char *));
        out->repo_digests = cri_alloc(c, im->n * sizeof(char *));
        for (size_t i = 0; i < im->n; i++) {
                const struct pc_image *x = im->all[i];
                if (strcmp(x->config_digest, id))
                        continue;
                if (!out->size) {
                        out->size = (uint64_t)(x->size > 0 ? x->size : 1);
                        set_user(c, out, x->user);
                }
                if (!is_digest_ref(x->ref))
                        out->repo_tags[out->n_repo_tags++] = cri_strdup(c, x->ref);
                char *d = cri_printf(c, "%s@%s", repo_of(c, x->ref), x->manifest_digest);
                bool dup = false;
                for (size_t k = 0; k < out->n_repo_digests; k++)
                        dup |= !strcmp(out->repo_digests[k], d);
                if (!dup)
                        out->repo_digests[out->n_repo_digests++] = d;
        }
        out->spec = CRI_NEW(c, Runtime__V1__ImageSpec, image_spec);
        out->spec->image = out->id;
        return out;
}

/* Which image does `name` mean: a reference (normalised like the kubelet's
 * image names), name@digest, an image ID (sha256:<hex> or <hex>), or an
 * unambiguous ID prefix. NULL when none. */
static const char *find_id(struct cri_call *c, const struct images *im, const char *name)
{
        if (!name || !*name)
                return NULL;
        char *norm = pc_image_normalize(name);
        const char *found = NULL;
        for (size_t i = 0; i < im->n && !found; i++) {
                const struct pc_image *x = im->all[i];
                if ((norm && !strcmp(x->ref, norm)) || !strcmp(x->ref, name) ||
                    !strcmp(x->config_digest, name) ||
                    (!strncmp(x->config_digest, "sha256:", 7) &&
                     !strcmp(x->config_digest + 7, name)))
                        found = x->config_digest;
                if (!found && norm && is_digest_ref(norm)) {
                        const char *at = strchr(norm, '@');
                        char *repo = repo_of(c, x->ref);
                        if (!strcmp(at + 1, x->manifest_digest) &&
                            strlen(repo) == (size_t)(at - norm) &&
                            !strncmp(repo, norm, (size_t)(at - norm)))
                                found = x->config_digest;
                }
        }
        free(norm);
        if (found)
                return found;
        /* an ID prefix (at least 3 hex digits), when it names one image */
        const char *hex = !strncmp(name, "sha256:", 7) ? name + 7 : name;
        if (strlen(hex) < 3 || strspn(hex, "0123456789abcdef") != strlen(hex))
                return NULL;
        for (size_t i = 0; i < im->n; i++) {
                const char *d = im->all[i]->config_digest;
                if (strncmp(d, "sha256:", 7) || strncmp(d + 7, hex, strlen(hex)))
                        continue;
                if (found && strcmp(found, d))
                        return NULL; /* ambiguous */
                found = d;
        }
        return found;
}

void cri_list_images(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__ListImagesRequest *q = (const void *)req;
        struct images im = {0};
        pc_error err = {0};
        if (images_load(c, &im, &err) < 0)
                return cri_reply_err(c, &err);
        const char *only = NULL;
        if (q->filter && q->filter->image && *q->filter->image->image) {
                only = find_id(c, &im, q->filter->image->image);
                if (!only) {
                        images_free(&im);
                        Runtime__V1__ListImagesResponse r = RUNTIME__V1__LIST_IMAGES_RESPONSE__INIT;
                        return cri_reply(c, &r.base);
                }
        }
        Runtime__V1__ListImagesResponse r = RUNTIME__V1__LIST_IMAGES_RESPONSE__INIT;
        r.images = cri_alloc(c, (im.n ? im.n : 1) * sizeof(*r.images));
        for (size_t i = 0; i < im.n; i++) {
                const char *id = im.all[i]->config_digest;
                if (only && strcmp(only, id))
                        continue;
                bool seen = false;
                for (size_t k = 0; k < r.n_images; k++)
                        seen |= !strcmp(r.images[k]->id, id);
                if (!seen)
                        r.images[r.n_images++] = to_cri(c, &im, id);
        }
        cri_reply(c, &r.base);
        images_free(&im);
}

void cri_image_status(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__ImageStatusRequest *q = (const void *)req;
        if (!q->image || !*q->image->image) {
                pc_grpc_fail(c->out, PC_GRPC_INVALID_ARGUMENT, "image.image: Required value");
                return;
        }
        struct images im = {0};
        pc_error err = {0};
        if (images_load(c, &im, &err) < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__ImageStatusResponse r = RUNTIME__V1__IMAGE_STATUS_RESPONSE__INIT;
        const char *id = find_id(c, &im, q->image->image);
        if (id) /* not found: an empty response, as the CRI asks */
                r.image = to_cri(c, &im, id);
        cri_reply(c, &r.base);
        images_free(&im);
}

void cri_pull_image(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__PullImageRequest *q = (const void *)req;
        if (!q->image || !*q->image->image) {
                pc_grpc_fail(c->out, PC_GRPC_INVALID_ARGUMENT, "image.image: Required value");
                return;
        }
        /* an AuthConfig with a server_address is for that registry only, as
         * containerd's ParseAuth has it: for another the pull goes without */
        const Runtime__V1__AuthConfig *auth = q->auth;
        char *other = NULL;
        if (auth && *auth->server_address) {
                struct pc_imgref ir;
                const char *why;
                if (pc_imgref_parse(q->image->image, &ir, &why) == 0) {
                        if (!pc_reg_server_is(auth->server_address, ir.domain)) {
                                other = cri_strdup(c, ir.domain);
                                auth = NULL;
                        }
                        pc_imgref_clear(&ir);
                }
        }
        /* containerd's order (ParseAuth): username, identity_token, auth; then
         * registry_token, which containerd leaves unused (docs/DEVIATIONS.md) */
        const char *user = NULL, *pass = NULL, *rtok = NULL, *itok = NULL;
        _cleanup_free_ char *u = NULL, *p = NULL;
        if (auth) {
                if (*auth->username) {
                        user = auth->username;
                        pass = auth->password;
                } else if (*auth->identity_token) {
                        itok = auth->identity_token;
                } else if (*auth->auth) {
                        /* base64("user:pass"), as docker's config.json has it */
                        size_t n = 0;
                        char *dec = b64(c, auth->auth, &n);
                        char *colon = dec ? memchr(dec, ':', n) : NULL;
                        if (!colon) {
                                pc_grpc_fail(
                                    c->out, PC_GRPC_INVALID_ARGUMENT,
                                    "auth.auth: Invalid value: not base64 of user:password");
                                return;
                        }
                        u = pc_xasprintf("%.*s", (int)(colon - dec), dec);
                        p = pc_xasprintf("%.*s", (int)(n - (size_t)(colon - dec) - 1), colon + 1);
                        user = u;
                        pass = p;
                } else if (*auth->registry_token) {
                        rtok = auth->registry_token;
                }
        }
        _cleanup_(store_closep) pc_image_store *s = NULL;
        pc_error err = {0};
        if (pc_image_store_open(c->cri->root, &s, &err) < 0)
                return cri_reply_err(c, &err);
        struct pc_pull_opts o = {.root = c->cri->root,
                                 .user = user,
                                 .pass = pass,
                                 .registry_token = rtok,
                                 .identity_token = itok};
        struct pc_pull_result res = {0};
        if (pc_image_pull(s, q->image->image, &o, &res, &err) < 0) {
                if (other) /* says why the credentials were not sent */
                        pc_error_prefix(&err,
                                        "auth not used: its server_address \"%s\" is not "
                                        "the image's registry %s",
                                        q->auth->server_address, other);
                return cri_reply_err(c, &err);
        }
        Runtime__V1__PullImageResponse r = RUNTIME__V1__PULL_IMAGE_RESPONSE__INIT;
        r.image_ref = cri_strdup(c, res.config_digest); /* Image.id, as v1.36 asks */
        pc_pull_result_clear(&res);
        cri_reply(c, &r.base);
}

void cri_remove_image(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__RemoveImageRequest *q = (const void *)req;
        if (!q->image || !*q->image->image) {
                pc_grpc_fail(c->out, PC_GRPC_INVALID_ARGUMENT, "image.image: Required value");
                return;
        }
        struct images im = {0};
        pc_error err = {0};
        if (images_load(c, &im, &err) < 0)
                return cri_reply_err(c, &err);
        const char *found = find_id(c, &im, q->image->image);
        char *id = found ? cri_strdup(c, found) : NULL;
        _cleanup_(store_closep) pc_image_store *s = NULL;
        int r = 0;
        /* its layers are the root filesystems of the containers made of it
         * (podctl keeps no second copy): refused while one exists, as the
         * kubelet's image GC never removes such an image */
        const char *who = NULL;
        if (id) {
                podctl *ctx = cri_ctx(c, &err);
                r = ctx ? cri_image_user(c, ctx, id, &who, &err) : -1;
                podctl_close(ctx);
                if (r == 0 && who) {
                        images_free(&im);
                        pc_grpc_fail(c->out, PC_GRPC_FAILED_PRECONDITION,
                                     "image %s is in use by container %s: remove the container "
                                     "first",
                                     q->image->image, who);
                        return;
                }
        }
        if (id && r == 0 && pc_image_store_open(c->cri->root, &s, &err) < 0)
                r = -1;
        /* every tag of the image goes (the CRI's rule) */
        for (size_t i = 0; id && r == 0 && i < im.n; i++)
                if (!strcmp(im.all[i]->config_digest, id) &&
                    pc_image_remove(s, im.all[i]->ref, &err) < 0 && err.code != ENOENT)
                        r = -1;
        images_free(&im);
        if (r < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__RemoveImageResponse out = RUNTIME__V1__REMOVE_IMAGE_RESPONSE__INIT;
        cri_reply(c, &out.base); /* idempotent: an image that is not there is removed */
}

static uint64_t du_bytes, du_inodes;

static int du_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
        du_bytes += (uint64_t)st->st_blocks * 512;
        du_inodes++;
        return 0;
}

void cri_image_fs_info(struct cri_call *c, const ProtobufCMessage *req)
{
        static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
        char *dir = cri_printf(c, "%s/images", c->cri->root);
        pthread_mutex_lock(&mu);
        du_bytes = du_inodes = 0;
        nftw(dir, du_one, 32, FTW_PHYS | FTW_MOUNT);
        uint64_t bytes = du_bytes, inodes = du_inodes;
        pthread_mutex_unlock(&mu);
        Runtime__V1__FilesystemUsage *u =
            CRI_NEW(c, Runtime__V1__FilesystemUsage, filesystem_usage);
        u->timestamp = cri_now_ns();
        u->fs_id = CRI_NEW(c, Runtime__V1__FilesystemIdentifier, filesystem_identifier);
        u->fs_id->mountpoint = dir;
        u->used_bytes = CRI_NEW(c, Runtime__V1__UInt64Value, uint64_value);
        u->used_bytes->value = bytes;
        u->inodes_used = CRI_NEW(c, Runtime__V1__UInt64Value, uint64_value);
        u->inodes_used->value = inodes;
        Runtime__V1__ImageFsInfoResponse r = RUNTIME__V1__IMAGE_FS_INFO_RESPONSE__INIT;
        r.n_image_filesystems = 1;
        r.image_filesystems = &u;
        cri_reply(c, &r.base);
}
