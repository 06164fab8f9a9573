/* SPDY/3.1 framing, as much as Kubernetes' streaming protocols use
 * (k8s.io/apimachinery httpstream/spdy over moby/spdystream): the client
 * opens streams with SYN_STREAM and header blocks, the server answers each
 * with SYN_REPLY, both sides send DATA (FIN closes a direction), RST_STREAM,
 * PING (echoed), GOAWAY, SETTINGS (ignored) and WINDOW_UPDATE.
 *
 * Header blocks are zlib streams with SPDY/3's dictionary, one compression
 * context per direction for the whole connection (zlib, src/cri/spdy_dict.h).
 *
 * Flow control: spdystream, the kubelet's and crictl's client, neither sends
 * nor honours WINDOW_UPDATE, so the server does not wait for window on what
 * it sends (it would stall after 64 KiB); it does give window back for all
 * it receives, for clients that keep SPDY/3.1's windows.
 *
 * One reader and one writer thread at most per connection; frames are read
 * whole (at most PC_SPDY_MAX_FRAME bytes). */
#ifndef PODCTL_CRI_SPDY_H
#define PODCTL_CRI_SPDY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "util/error.h"

enum {
        PC_SPDY_DATA = 0, /* not a control frame */
        PC_SPDY_SYN_STREAM = 1,
        PC_SPDY_SYN_REPLY = 2,
        PC_SPDY_RST_STREAM = 3,
        PC_SPDY_SETTINGS = 4,
        PC_SPDY_PING = 6,
        PC_SPDY_GOAWAY = 7,
        PC_SPDY_HEADERS = 8,
        PC_SPDY_WINDOW_UPDATE = 9,
};
#define PC_SPDY_FLAG_FIN  0x01
#define PC_SPDY_MAX_FRAME (1u << 20)
/* RST_STREAM status codes */
#define PC_SPDY_PROTOCOL_ERROR 1
#define PC_SPDY_REFUSED_STREAM 3
#define PC_SPDY_CANCEL         5

struct pc_spdy {
        int fd;
        z_stream inflate, deflate;
        bool inflate_ok, deflate_ok;
        uint8_t *buf; /* bytes read and not yet taken */
        size_t len, cap;
        size_t pending; /* the last frame returned, at the front of buf */
};

struct pc_spdy_frame {
        int type; /* PC_SPDY_* */
        uint8_t flags;
        uint32_t stream;        /* DATA, SYN_*, RST, HEADERS, WINDOW_UPDATE */
        const uint8_t *data;    /* DATA payload (valid until the next read) */
        size_t len;             /* DATA payload length */
        uint32_t value;         /* RST/GOAWAY status, PING id, WINDOW_UPDATE delta */
        char **names, **values; /* SYN_STREAM/SYN_REPLY/HEADERS: lower-case names */
        size_t n_headers;
};

/* bytes: what was read from fd past the HTTP request (may be NULL). */
int pc_spdy_init(struct pc_spdy *s, int fd, const void *bytes, size_t n, pc_error *err);
void pc_spdy_free(struct pc_spdy *s);
/* Read the next frame (blocking): 1 a frame, 0 the peer closed, -1 error. */
int pc_spdy_read(struct pc_spdy *s, struct pc_spdy_frame *f, pc_error *err);
void pc_spdy_frame_clear(struct pc_spdy_frame *f);
/* Bytes already read past the last frame returned: poll() on the socket
 * says nothing about them, so read again before waiting. */
bool pc_spdy_buffered(const struct pc_spdy *s);
/* The first value of header name in f, or NULL. */
const char *pc_spdy_header(const struct pc_spdy_frame *f, const char *name);

int pc_spdy_syn_reply(struct pc_spdy *s, uint32_t stream, bool fin, pc_error *err);
int pc_spdy_data(struct pc_spdy *s, uint32_t stream, const void *p, size_t n, bool fin,
                 pc_error *err);
int pc_spdy_rst(struct pc_spdy *s, uint32_t stream, uint32_t status, pc_error *err);
int pc_spdy_ping(struct pc_spdy *s, uint32_t id, pc_error *err);
int pc_spdy_goaway(struct pc_spdy *s, uint32_t last_stream, pc_error *err);
int pc_spdy_window_update(struct pc_spdy *s, uint32_t stream, uint32_t delta, pc_error *err);

/* For tests: a header block as a client sends it (compressed with s's
 * deflate context) and a whole frame from raw bytes. */
int pc_spdy_encode_headers(struct pc_spdy *s, const char *const *kv, size_t n_pairs, uint8_t **out,
                           size_t *out_len, pc_error *err);

#endif
