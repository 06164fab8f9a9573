/* The TLS side of httpGet probes and hooks with scheme HTTPS, on OpenSSL:
 * the kubelet's client does not verify the server (InsecureSkipVerify), sends
 * SNI only for a host name, and tells a server that answers in plain HTTP
 * apart ("http: server gave HTTP response to HTTPS client"). Only the
 * podctl-probe helper links this (the monitor stays free of libssl). */
#include "monitor/probe_tls.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

struct tls {
        SSL_CTX *ctx;
        SSL *ssl;
        unsigned char first[5]; /* the first record header the server sent */
        bool have_first;
};

/* OpenSSL shows each record header to the message callback before it checks
 * it: the way to see "HTTP/" where a TLS record was due. */
static void on_msg(int write_p, int version, int content_type, const void *buf, size_t len,
                   SSL *ssl, void *arg)
{
        struct tls *t = arg;
        (void)version;
        (void)ssl;
        if (!write_p && content_type == SSL3_RT_HEADER && len >= 5 && !t->have_first) {
                memcpy(t->first, buf, 5);
                t->have_first = true;
        }
}

static void tls_free(struct tls *t)
{
        if (t->ssl)
                SSL_free(t->ssl);
        if (t->ctx)
                SSL_CTX_free(t->ctx);
        free(t);
}

static void *tls_start(int fd, const char *sni, bool *got_http, char *msg, size_t mlen)
{
        struct tls *t = calloc(1, sizeof(*t));
        *got_http = false;
        if (!t) {
                snprintf(msg, mlen, "tls: out of memory");
                return NULL;
        }
        t->ctx = SSL_CTX_new(TLS_client_method());
        if (!t->ctx)
                goto fail;
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);
        SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION); /* Go's client minimum */
        t->ssl = SSL_new(t->ctx);
        if (!t->ssl || SSL_set_fd(t->ssl, fd) != 1)
                goto fail;
        SSL_set_msg_callback(t->ssl, on_msg);
        SSL_set_msg_callback_arg(t->ssl, t);
        if (sni && SSL_set_tlsext_host_name(t->ssl, sni) != 1)
                goto fail;
        ERR_clear_error();
        int r = SSL_connect(t->ssl);
        if (r == 1)
                return t;
        if (t->have_first && !memcmp(t->first, "HTTP/", 5)) {
                *got_http = true;
                snprintf(msg, mlen, "http: server gave HTTP response to HTTPS client");
                tls_free(t);
                return NULL;
        }
        if (t->have_first && (t->first[0] < 0x14 || t->first[0] > 0x18 || t->first[1] != 3)) {
                snprintf(msg, mlen, "tls: first record does not look like a TLS handshake");
                tls_free(t);
                return NULL;
        }
        int e = SSL_get_error(t->ssl, r);
        if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN) {
                int en = errno;
                if (ERR_peek_error() == 0) {
                        if (r == 0 || en == 0)
                                snprintf(msg, mlen, "EOF");
                        else if (en == EAGAIN || en == ETIMEDOUT)
                                snprintf(msg, mlen, "net/http: TLS handshake timeout");
                        else
                                snprintf(msg, mlen, "tls: %s", strerror(en));
                        tls_free(t);
                        return NULL;
                }
        }
fail : {
        unsigned long ec = ERR_get_error();
        const char *why = ec ? ERR_reason_error_string(ec) : NULL;
        snprintf(msg, mlen, "tls: %s", why ? why : "handshake failure");
        if (t)
                tls_free(t);
        return NULL;
}
}

static ssize_t tls_read(void *h, void *buf, size_t len)
{
        struct tls *t = h;
        size_t got = 0;
        int r = SSL_read_ex(t->ssl, buf, len, &got);
        if (r == 1)
                return (ssize_t)got;
        int e = SSL_get_error(t->ssl, r);
        if (e == SSL_ERROR_ZERO_RETURN)
                return 0;
        if (e == SSL_ERROR_SYSCALL && errno == 0)
                return 0; /* EOF without close_notify: what servers often do */
        if (!errno)
                errno = EIO;
        return -1;
}

static ssize_t tls_write(void *h, const void *buf, size_t len)
{
        struct tls *t = h;
        size_t put = 0;
        if (SSL_write_ex(t->ssl, buf, len, &put) == 1)
                return (ssize_t)put;
        if (!errno)
                errno = EIO;
        return -1;
}

static void tls_end(void *h)
{
        struct tls *t = h;
        (void)SSL_shutdown(t->ssl);
        tls_free(t);
}

const struct pc_http_tls pc_probe_openssl = {
    .start = tls_start,
    .read = tls_read,
    .write = tls_write,
    .end = tls_end,
};
