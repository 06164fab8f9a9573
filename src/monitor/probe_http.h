/* httpGet probes and hooks as the kubelet makes them (pkg/probe/http,
 * pkg/kubelet/lifecycle): one GET per hop over HTTP/1.1 with Connection:
 * close, redirects followed while they stay on the first request's host name
 * (10 at most), a redirect to another host returned as the final response.
 *
 * This file knows no TLS library: an https:// hop is done through `tls` (the
 * podctl-probe helper passes OpenSSL's, probe_tls.c); without one the run
 * stops with PC_HTTP_NEED_TLS and where to carry on, so the monitor (which
 * links no TLS library, to keep its memory small) hands the rest to the
 * helper. */
#ifndef PODCTL_MONITOR_PROBE_HTTP_H
#define PODCTL_MONITOR_PROBE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "spec/spec.h"

/* A TLS client over a connected socket. */
struct pc_http_tls {
        /* Handshake (no verification, as the kubelet: InsecureSkipVerify) with
         * SNI `sni` (NULL for an IP address, as Go sends none). NULL on failure
         * with Go's wording in msg ("tls: ..."); *got_http is set when the
         * server answered in plain HTTP. */
        void *(*start)(int fd, const char *sni, bool *got_http, char *msg, size_t mlen);
        ssize_t (*read)(void *h, void *buf, size_t len);
        ssize_t (*write)(void *h, const void *buf, size_t len);
        void (*end)(void *h);
};

#define PC_HTTP_URL_MAX 2048

struct pc_http_get {
        char url[PC_HTTP_URL_MAX];   /* absolute http:// or https:// URL of this hop */
        char host_header[256];       /* the Host to send ("" = the URL's host:port) */
        char first_host[256];        /* host name of the first request ("" = this URL's) */
        int hops;                    /* redirects followed so far */
        const struct pc_kv *headers; /* the handler's httpHeaders (Host, User-Agent and
                                        Accept rules applied here) */
        size_t n_headers;
        bool drop_authorization;       /* the lifecycle fallback to http drops it */
        const char *user_agent;        /* "kube-probe/1.31" or "kube-lifecycle/1.31" */
        int timeout_s;                 /* socket timeouts, 0 = none */
        const struct pc_http_tls *tls; /* NULL: stop at an https hop */
};

enum pc_http_outcome { PC_HTTP_RESPONSE, PC_HTTP_ERROR, PC_HTTP_NEED_TLS };

struct pc_http_result {
        enum pc_http_outcome outcome;
        int status;     /* RESPONSE: the final response's status code */
        bool got_http;  /* ERROR: an https server answered in plain HTTP */
        char msg[1024]; /* ERROR: Go's text, e.g. Get "URL": dial tcp ...: connection refused */
        char body[512]; /* RESPONSE: the start of the body (printable) */
};

/* The first hop's URL, as the kubelet formats it: scheme (lower case) :// host
 * (an IPv6 address in brackets) : port, then path (a "/" added in front when
 * missing). */
void pc_http_format_url(char *out, size_t len, const char *scheme, const char *host, int port,
                        const char *path);

/* Run g (updated in place: at NEED_TLS it holds the hop to carry on with). */
void pc_http_run(struct pc_http_get *g, struct pc_http_result *r);

/* What a handler's run means, written as probe.h describes (reason on wfd,
 * exit status 0 success, 1 failure, 3 success with a warning whose first
 * word is the event reason). hook: a lifecycle hook (any response succeeds;
 * an https hook answered in plain HTTP is retried over http, with a
 * LifecycleHTTPFallback warning). Returns -1 at NEED_TLS (g says where). */
int pc_http_handler(struct pc_http_get *g, bool hook, int wfd);

/* Shared with probe.c and the helper: a reason line on wfd. */
__attribute__((format(printf, 2, 3))) void pc_probe_say(int wfd, const char *fmt, ...);

/* Go's net.Dial wording for a failed connect (host:port in c_addr). */
int pc_probe_dial(const char *host, int port, int timeout_s, int *fd, char *addr, size_t alen,
                  char *msg, size_t mlen);
void pc_probe_go_strerror(int e, char *buf, size_t len);
void pc_probe_join_host_port(const char *host, int port, char *out, size_t len);

#endif
