/* Image references, parsed and normalised with the rules of docker's
 * distribution/reference (ParseNormalizedNamed), which the kubelet uses:
 *
 *   nginx                      docker.io/library/nginx:latest
 *   user/app:v1                docker.io/user/app:v1
 *   host:5000/a/b:t            host:5000/a/b:t
 *   name@sha256:<64 hex>       by digest (no tag)
 *   name:tag@sha256:<64 hex>   the digest wins; the tag is kept for display
 *
 * Only the spec (validation, imagePullPolicy defaults) and the image module
 * use it; it lives in util because neither may depend on the other. */
#ifndef PODCTL_UTIL_IMAGEREF_H
#define PODCTL_UTIL_IMAGEREF_H

#include <stdbool.h>

struct pc_imgref {
        char *domain; /* "docker.io", "localhost:5000", ... */
        char *path;   /* "library/nginx" */
        char *tag;    /* NULL when none was given (see pc_imgref_tag) */
        char *digest; /* "sha256:<hex>" or NULL */
};

/* Parse `s`. On failure returns -1 and points *why at a static message in
 * docker's words ("invalid reference format", "... must be lowercase"). */
int pc_imgref_parse(const char *s, struct pc_imgref *out, const char **why);
void pc_imgref_clear(struct pc_imgref *r);

/* The tag used for pulls and defaults: the given one, or "latest" when
 * neither tag nor digest was given; NULL for a digest-only reference. */
const char *pc_imgref_tag(const struct pc_imgref *r);
/* "domain/path" */
char *pc_imgref_name(const struct pc_imgref *r);
/* The normalised string: domain/path[:tag][@digest] with ":latest" added
 * when neither tag nor digest was given. */
char *pc_imgref_string(const struct pc_imgref *r);

/* Kubernetes' imagePullPolicy default for an image string: "Always" when
 * the tag is latest (or defaulted to it), else "IfNotPresent" (also for an
 * unparsable reference, as the API server does). */
const char *pc_imgref_default_pull_policy(const char *image);

#endif
