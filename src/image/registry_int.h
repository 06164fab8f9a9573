/* Internals of the registry client, shared by registry.c, creds.c and pull.c. */
#ifndef PODCTL_IMAGE_REGISTRY_INT_H
#define PODCTL_IMAGE_REGISTRY_INT_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "image/registry.h"
#include "util/error.h"

/* One registry endpoint, for one repository. */
struct pc_reg {
        char *host;      /* the reference's domain, or the mirror's host[:port] */
        char *base;      /* "https://registry-1.docker.io" (no trailing slash) */
        char *repo;      /* repository path, e.g. "library/busybox" */
        bool insecure;   /* listed in registries.insecure: no TLS verification */
        bool plain_http; /* insecure and the registry does not speak TLS */
        char *ca_blob;   /* system CAs + certs.d *.crt (PEM), NULL: curl's default */
        size_t ca_len;
        char *client_cert, *client_key; /* certs.d client.cert / client.key */
        char *basic;                    /* "Basic <base64>" when credentials are known */
        bool want_basic;                /* the registry challenged with Basic */
        char *registry_token;           /* a bearer token given as it is (the CRI's registry_token):
                                         * sent on every request, never exchanged */
        char *identity_token;           /* an OAuth2 refresh token (the CRI's identity_token):
                                         * exchanged at the token server for each scope */
        char *token;                    /* the current Bearer token for `scope` */
        char *scope;                    /* "repository:<repo>:pull" */
        json_t *tokens;                 /* scope -> {"token": ..., "exp": monotonic ns} */
        CURL *easy;                     /* serial requests (manifests, config, tokens) */
};

struct pc_reg_resp {
        long status;
        char *body;
        size_t len, max;
        bool too_big;
        char *content_type;
        char *www_auth;
        char *effective_url;
};
void pc_reg_resp_clear(struct pc_reg_resp *r);

/* curl_dl.c: load libcurl (once; podctl is not linked with it). NULL when
 * loaded, else why it could not be. */
const char *pc_curl_load(void);

/* What an endpoint authenticates with; every member may be NULL. */
struct pc_reg_creds {
        const char *user, *pass;    /* Basic (at the registry or its token server) */
        const char *registry_token; /* Bearer as it is, on every request */
        const char *identity_token; /* OAuth2 refresh token for the token server */
};

/* An endpoint for repository `repo` on registry `host` at `base`, with the
 * registries config (NULL: none) and credentials (NULL: anonymous). */
int pc_reg_open(const char *host, const char *base, const char *repo, json_t *config,
                const struct pc_reg_creds *creds, struct pc_reg **out, pc_error *err);
void pc_reg_free(struct pc_reg *r);

/* Common options of every transfer of this endpoint (TLS, redirects,
 * timeouts, Authorization when known). *hdrs gets the headers; free it with
 * curl_slist_free_all after the transfer. */
void pc_reg_setup(struct pc_reg *r, CURL *e, const char *url, const char *accept,
                  const char *extra_header, struct curl_slist **hdrs);
/* A header callback filling resp's content_type / www_auth. */
size_t pc_reg_header_cb(char *buf, size_t size, size_t n, void *data);

/* GET base + path into memory (at most max bytes), answering a 401
 * challenge once (token or Basic). The response is returned whatever its
 * status; -1 only for transport errors. */
int pc_reg_get(struct pc_reg *r, const char *path, const char *accept, size_t max,
               struct pc_reg_resp *resp, pc_error *err);
/* Answer a 401 with this challenge: fetch (or reuse) a token, or switch to
 * Basic. renew: what we sent was refused, do not reuse a cached token.
 * -1 (err filled) when there is nothing more to try. */
int pc_reg_authenticate(struct pc_reg *r, const char *www_auth, bool renew, pc_error *err);
/* A failed response as an error: "401 Unauthorized: <registry's message>". */
int pc_reg_http_fail(const struct pc_reg_resp *resp, const char *what, pc_error *err);
/* After a refusal (401, 403): append why to err's message: no credentials
 * were found, or the registry token was refused. */
void pc_reg_explain_refusal(const struct pc_reg *r, pc_error *err);
/* "Authorization: ..." for transfers made outside pc_reg_get, or NULL. */
char *pc_reg_auth_header(struct pc_reg *r);

/* The registries section of <root>/config.json (new reference), or NULL. */
json_t *pc_reg_config_load(const char *root, pc_error *err);
bool pc_reg_is_insecure(json_t *config, const char *host);

/* base64 helpers */
char *pc_base64_encode(const void *data, size_t len);
int pc_base64_decode(const char *s, char **out, size_t *len);

#endif
