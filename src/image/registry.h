/* Pulling images from registries (OCI distribution spec v2, libcurl).
 *
 * registry.c  HTTP with the registry: TLS (system CAs + certs.d), the
 *             WWW-Authenticate challenge, Bearer tokens cached per scope
 *             (GET, or the OAuth2 POST of a refresh token), a given bearer
 *             token, Basic auth, redirects without credentials to other hosts
 * creds.c     credentials: docker config.json "auths" maps (from
 *             imagePullSecrets or $DOCKER_CONFIG / ~/.docker), matched by host
 * pull.c      the pull: manifest (index / list -> this host's platform),
 *             config, layers in parallel (curl multi), each blob verified
 *             (size and sha256) before it is renamed into the store
 *
 * Only the CLI links this (the monitor never calls it, so it never links
 * libcurl). Configuration, in <root>/config.json:
 *   "registries": {
 *     "mirrors":  {"docker.io": ["https://mirror.local"]},
 *     "insecure": ["127.0.0.1:5000"],          TLS unverified, then plain HTTP
 *     "certsDirs": ["/etc/docker/certs.d", "/etc/containers/certs.d"]
 *   }
 */
#ifndef PODCTL_IMAGE_REGISTRY_H
#define PODCTL_IMAGE_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "image/image.h"
#include "util/error.h"

/* ---- WWW-Authenticate (RFC 7235) -------------------------------------- */

struct pc_reg_challenge {
        char *scheme; /* lower case: "bearer", "basic" */
        char *realm, *service, *scope;
};
/* Parse a WWW-Authenticate value; with several challenges Bearer is
 * preferred, then Basic. -1 when there is none of those or it is malformed. */
int pc_reg_parse_challenge(const char *hdr, struct pc_reg_challenge *out);
void pc_reg_challenge_clear(struct pc_reg_challenge *c);

/* ---- credentials -------------------------------------------------------- */

/* Add the "auths" of a kubernetes.io/dockerconfigjson (content of the
 * .dockerconfigjson key) or kubernetes.io/dockercfg (.dockercfg) Secret to
 * `auths` (a JSON object: registry key -> {auth | username, password}). */
int pc_reg_auths_add_secret(json_t *auths, const char *type, const char *data, size_t len,
                            pc_error *err);
/* The credentials for an image in `auths` (registry keys as docker and the
 * kubelet write them: "host[:port]", "https://host/v1/", "host/path"):
 * the most specific matching key. 1 with *user, *pass set, or with
 * *identity_token (an entry's "identitytoken", an OAuth2 refresh token, as
 * docker's config.json has it; it wins over "auth") when identity_token is
 * not NULL (NULL for a Secret's: the kubelet reads no token there); 0 when
 * nothing matches. The caller frees what is set. */
int pc_reg_auths_lookup(json_t *auths, const char *domain, const char *path, char **user,
                        char **pass, char **identity_token);
/* Does a CRI AuthConfig's server_address ("host[:port]", with or without
 * "https://" and a path: "https://index.docker.io/v1/") name the registry
 * `domain` of an image (pc_imgref's, "docker.io" for Docker Hub under any of
 * its names)? Host names compare case-insensitively. */
bool pc_reg_server_is(const char *server_address, const char *domain);
/* The credential helper docker's config.json (`config`, the whole file)
 * names for registry `domain`: credHelpers, else credsStore; or NULL. */
const char *pc_reg_cred_helper_name(json_t *config, const char *domain);
/* Run docker-credential-`name` get for `domain`: 1 with *user, *pass set,
 * or *identity_token when its user name is "<token>" (docker's convention),
 * the caller frees them; 0 when it has no credentials, -1 when it fails. */
int pc_reg_cred_helper_get(const char *name, const char *domain, char **user, char **pass,
                           char **identity_token, pc_error *err);

/* ---- pull ---------------------------------------------------------------- */

enum pc_pull_event_kind {
        PC_PULL_RESOLVED, /* the manifest: id = manifest digest, total = layers */
        PC_PULL_LAYER_EXISTS,
        PC_PULL_LAYER_WAITING, /* another pull is downloading it */
        PC_PULL_LAYER_PROGRESS,
        PC_PULL_LAYER_DONE, /* downloaded and verified */
        PC_PULL_UNPACKING,
        PC_PULL_DONE,
};

struct pc_pull_event {
        enum pc_pull_event_kind kind;
        const char *id; /* layer digest (or manifest digest for RESOLVED) */
        int64_t done, total;
};

struct pc_pull_opts {
        const char *root;        /* for <root>/config.json */
        const char *user, *pass; /* explicit credentials (--creds), or NULL */
        /* explicit tokens (the CRI's AuthConfig), or NULL; like --creds they
         * go to the registry only, never to a mirror, and nothing else is
         * looked up: a bearer token sent as it is on every request, or an
         * OAuth2 refresh token exchanged at the registry's token server */
        const char *registry_token, *identity_token;
        json_t *auths;         /* from imagePullSecrets, tried next; may be NULL */
        bool no_docker_config; /* do not read $DOCKER_CONFIG / ~/.docker/config.json */
        void (*progress)(void *data, const struct pc_pull_event *ev);
        void *progress_data;
};

struct pc_pull_result {
        char *ref;             /* name as stored (normalised) */
        char *manifest_digest; /* the platform's image manifest */
        char *config_digest;   /* the image ID */
        int64_t size;          /* sum of its compressed layers */
        int64_t downloaded;    /* bytes fetched by this pull */
};
void pc_pull_result_clear(struct pc_pull_result *r);

/* Pull `ref` into the store: afterwards the image is listed, its blobs
 * verified and its layers unpacked. On failure nothing of it is listed or
 * used; blobs this pull committed and nobody needs are removed again. */
int pc_image_pull(pc_image_store *s, const char *ref, const struct pc_pull_opts *o,
                  struct pc_pull_result *res, pc_error *err);

/* Remove the partial downloads interrupted pulls left for resuming (image
 * prune). Takes the store's exclusive lock. */
int pc_image_pull_clean(pc_image_store *s, pc_error *err);

#endif
