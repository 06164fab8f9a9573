/* SPDY/3.1 framing for the streaming server (spdy.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cri/spdy.h"
#include "cri/spdy_dict.h"
#include "util/cleanup.h"
#include "util/util.h"

#define SPDY_VERSION   3
#define MAX_HEADER_BLK (64u << 10) /* a decompressed header block */
#define MAX_HEADERS    64

static void put32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int write_all(int fd, const uint8_t *p, size_t n, pc_error *err)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return pc_fail(err, w < 0 ? errno : EIO, "spdy: write");
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

int pc_spdy_init(struct pc_spdy *s, int fd, const void *bytes, size_t n, pc_error *err)
{
        memset(s, 0, sizeof(*s));
        s->fd = fd;
        if (inflateInit(&s->inflate) != Z_OK)
                return pc_fail(err, ENOMEM, "spdy: inflateInit");
        s->inflate_ok = true;
        if (deflateInit(&s->deflate, Z_DEFAULT_COMPRESSION) != Z_OK ||
            deflateSetDictionary(&s->deflate, spdy_dict, sizeof(spdy_dict)) != Z_OK)
                return pc_fail(err, ENOMEM, "spdy: deflateInit");
        s->deflate_ok = true;
        s->cap = n > 65536 ? n : 65536;
        s->buf = pc_xmalloc(s->cap);
        if (n)
                memcpy(s->buf, bytes, n);
        s->len = n;
        return 0;
}

void pc_spdy_free(struct pc_spdy *s)
{
        if (s->inflate_ok)
                inflateEnd(&s->inflate);
        if (s->deflate_ok)
                deflateEnd(&s->deflate);
        free(s->buf);
        s->buf = NULL;
}

void pc_spdy_frame_clear(struct pc_spdy_frame *f)
{
        for (size_t i = 0; i < f->n_headers; i++) {
                free(f->names[i]);
                free(f->values[i]);
        }
        free(f->names);
        free(f->values);
        memset(f, 0, sizeof(*f));
}

bool pc_spdy_buffered(const struct pc_spdy *s)
{
        return s->len > s->pending;
}

const char *pc_spdy_header(const struct pc_spdy_frame *f, const char *name)
{
        for (size_t i = 0; i < f->n_headers; i++)
                if (strcmp(f->names[i], name) == 0)
                        return f->values[i];
        return NULL;
}

/* Decompress and decode a header block: a count, then (length, name,
 * length, value) pairs, 32-bit big-endian lengths. */
static int decode_headers(struct pc_spdy *s, const uint8_t *p, size_t n, struct pc_spdy_frame *f,
                          pc_error *err)
{
        _cleanup_free_ uint8_t *out = pc_xmalloc(MAX_HEADER_BLK);
        s->inflate.next_in = (uint8_t *)p;
        s->inflate.avail_in = (uInt)n;
        s->inflate.next_out = out;
        s->inflate.avail_out = MAX_HEADER_BLK;
        while (s->inflate.avail_in > 0) {
                int r = inflate(&s->inflate, Z_SYNC_FLUSH);
                if (r == Z_NEED_DICT) {
                        if (inflateSetDictionary(&s->inflate, spdy_dict, sizeof(spdy_dict)) != Z_OK)
                                return pc_fail(err, EPROTO, "spdy: header dictionary");
                        continue;
                }
                if (r == Z_BUF_ERROR && s->inflate.avail_out == 0)
                        return pc_fail(err, EPROTO, "spdy: header block over %u bytes",
                                       MAX_HEADER_BLK);
                if (r != Z_OK && r != Z_BUF_ERROR)
                        return pc_fail(err, EPROTO, "spdy: bad header block (zlib %d)", r);
                if (r == Z_BUF_ERROR)
                        break;
        }
        size_t len = MAX_HEADER_BLK - s->inflate.avail_out, at = 4;
        if (len < 4)
                return pc_fail(err, EPROTO, "spdy: short header block");
        uint32_t count = get32(out);
        if (count > MAX_HEADERS)
                return pc_fail(err, EPROTO, "spdy: %u headers (at most %d)", count, MAX_HEADERS);
        f->names = pc_xcalloc(count ? count : 1, sizeof(char *));
        f->values = pc_xcalloc(count ? count : 1, sizeof(char *));
        for (uint32_t i = 0; i < count; i++) {
                char *kv[2];
                for (int k = 0; k < 2; k++) {
                        if (len - at < 4)
                                return pc_fail(err, EPROTO, "spdy: truncated header block");
                        uint32_t l = get32(out + at);
                        at += 4;
                        if (l > len - at)
                                return pc_fail(err, EPROTO, "spdy: truncated header block");
                        kv[k] = pc_xmalloc(l + 1);
                        memcpy(kv[k], out + at, l);
                        kv[k][l] = '\0';
                        at += l;
                }
                for (char *c = kv[0]; *c; c++)
                        if (*c >= 'A' && *c <= 'Z')
                                *c = (char)(*c - 'A' + 'a');
                f->names[f->n_headers] = kv[0];
                f->values[f->n_headers++] = kv[1];
        }
        return 0;
}

static int fill(struct pc_spdy *s, size_t want, pc_error *err)
{
        if (want > s->cap) {
                s->cap = want;
                s->buf = pc_xrealloc(s->buf, s->cap);
        }
        while (s->len < want) {
                ssize_t r = read(s->fd, s->buf + s->len, s->cap - s->len);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return pc_fail(err, errno, "spdy: read");
                if (r == 0)
                        return 0;
                s->len += (size_t)r;
        }
        return 1;
}

int pc_spdy_read(struct pc_spdy *s, struct pc_spdy_frame *f, pc_error *err)
{
        pc_spdy_frame_clear(f);
        /* the previous frame stayed in the buffer (a DATA payload points
         * into it): drop it now */
        memmove(s->buf, s->buf + s->pending, s->len - s->pending);
        s->len -= s->pending;
        s->pending = 0;
        int r = fill(s, 8, err);
        if (r <= 0) {
                if (r == 0 && s->len > 0)
                        return pc_fail(err, EPROTO, "spdy: connection closed inside a frame");
                return r;
        }
        const uint8_t *h = s->buf;
        uint32_t length = (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
        if (length > PC_SPDY_MAX_FRAME)
                return pc_fail(err, EPROTO, "spdy: a %u-byte frame (at most %u)", length,
                               PC_SPDY_MAX_FRAME);
        r = fill(s, 8 + (size_t)length, err);
        if (r <= 0)
                return r < 0 ? -1 : pc_fail(err, EPROTO, "spdy: connection closed inside a frame");
        h = s->buf;
        const uint8_t *p = h + 8;
        f->flags = h[4];
        int ret = 1;
        if (!(h[0] & 0x80)) {
                f->type = PC_SPDY_DATA;
                f->stream = get32(h) & 0x7fffffff;
                f->len = length;
                f->data = p;
        } else {
                unsigned version = ((unsigned)(h[0] & 0x7f) << 8) | h[1];
                f->type = (int)((unsigned)h[2] << 8 | h[3]);
                if (version != SPDY_VERSION)
                        ret = pc_fail(err, EPROTO, "spdy: version %u (only 3)", version);
                else
                        switch (f->type) {
                        case PC_SPDY_SYN_STREAM:
                                if (length < 10) {
                                        ret = pc_fail(err, EPROTO, "spdy: short SYN_STREAM");
                                        break;
                                }
                                f->stream = get32(p) & 0x7fffffff;
                                if (decode_headers(s, p + 10, length - 10, f, err) < 0)
                                        ret = -1;
                                break;
                        case PC_SPDY_SYN_REPLY:
                        case PC_SPDY_HEADERS:
                                if (length < 4) {
                                        ret = pc_fail(err, EPROTO, "spdy: short frame");
                                        break;
                                }
                                f->stream = get32(p) & 0x7fffffff;
                                if (decode_headers(s, p + 4, length - 4, f, err) < 0)
                                        ret = -1;
                                break;
                        case PC_SPDY_RST_STREAM:
                        case PC_SPDY_WINDOW_UPDATE:
                                if (length < 8) {
                                        ret = pc_fail(err, EPROTO, "spdy: short frame");
                                        break;
                                }
                                f->stream = get32(p) & 0x7fffffff;
                                f->value = get32(p + 4) & 0x7fffffff;
                                break;
                        case PC_SPDY_PING:
                                if (length < 4) {
                                        ret = pc_fail(err, EPROTO, "spdy: short PING");
                                        break;
                                }
                                f->value = get32(p);
                                break;
                        case PC_SPDY_GOAWAY:
                                f->stream = length >= 4 ? get32(p) & 0x7fffffff : 0;
                                f->value = length >= 8 ? get32(p + 4) : 0;
                                break;
                        default: /* SETTINGS and unknown types: skipped */
                                break;
                        }
        }
        s->pending = 8 + (size_t)length;
        return ret;
}

static void control_header(uint8_t *h, int type, uint8_t flags, size_t length)
{
        h[0] = 0x80;
        h[1] = SPDY_VERSION;
        h[2] = (uint8_t)(type >> 8);
        h[3] = (uint8_t)type;
        h[4] = flags;
        h[5] = (uint8_t)(length >> 16);
        h[6] = (uint8_t)(length >> 8);
        h[7] = (uint8_t)length;
}

int pc_spdy_encode_headers(struct pc_spdy *s, const char *const *kv, size_t n_pairs, uint8_t **out,
                           size_t *out_len, pc_error *err)
{
        size_t raw_len = 4;
        for (size_t i = 0; i < 2 * n_pairs; i++)
                raw_len += 4 + strlen(kv[i]);
        _cleanup_free_ uint8_t *raw = pc_xmalloc(raw_len);
        put32(raw, (uint32_t)n_pairs);
        size_t at = 4;
        for (size_t i = 0; i < 2 * n_pairs; i++) {
                size_t l = strlen(kv[i]);
                put32(raw + at, (uint32_t)l);
                memcpy(raw + at + 4, kv[i], l);
                at += 4 + l;
        }
        size_t cap = deflateBound(&s->deflate, raw_len) + 64;
        uint8_t *z = pc_xmalloc(cap);
        s->deflate.next_in = raw;
        s->deflate.avail_in = (uInt)raw_len;
        s->deflate.next_out = z;
        s->deflate.avail_out = (uInt)cap;
        if (deflate(&s->deflate, Z_SYNC_FLUSH) != Z_OK || s->deflate.avail_in != 0) {
                free(z);
                return pc_fail(err, EIO, "spdy: compress a header block");
        }
        *out = z;
        *out_len = cap - s->deflate.avail_out;
        return 0;
}

int pc_spdy_syn_reply(struct pc_spdy *s, uint32_t stream, bool fin, pc_error *err)
{
        /* spdystream (client-go) ignores a reply's headers; SPDY's HTTP
         * layer (and spdy-transport) wants a status in it */
        static const char *const kv[] = {":status", "200", ":version", "HTTP/1.1"};
        _cleanup_free_ uint8_t *blk = NULL;
        size_t n = 0;
        if (pc_spdy_encode_headers(s, kv, 2, &blk, &n, err) < 0)
                return -1;
        _cleanup_free_ uint8_t *f = pc_xmalloc(12 + n);
        control_header(f, PC_SPDY_SYN_REPLY, fin ? PC_SPDY_FLAG_FIN : 0, 4 + n);
        put32(f + 8, stream & 0x7fffffff);
        memcpy(f + 12, blk, n);
        return write_all(s->fd, f, 12 + n, err);
}

int pc_spdy_data(struct pc_spdy *s, uint32_t stream, const void *p, size_t n, bool fin,
                 pc_error *err)
{
        const uint8_t *d = p;
        do {
                size_t chunk = n > 65536 ? 65536 : n;
                bool last = chunk == n;
                uint8_t h[8];
                put32(h, stream & 0x7fffffff);
                h[4] = last && fin ? PC_SPDY_FLAG_FIN : 0;
                h[5] = (uint8_t)(chunk >> 16);
                h[6] = (uint8_t)(chunk >> 8);
                h[7] = (uint8_t)chunk;
                if (write_all(s->fd, h, 8, err) < 0 ||
                    (chunk && write_all(s->fd, d, chunk, err) < 0))
                        return -1;
                d += chunk;
                n -= chunk;
        } while (n > 0);
        return 0;
}

static int control8(struct pc_spdy *s, int type, uint32_t a, uint32_t b, size_t len, pc_error *err)
{
        uint8_t f[16];
        control_header(f, type, 0, len);
        put32(f + 8, a);
        put32(f + 12, b);
        return write_all(s->fd, f, 8 + len, err);
}

int pc_spdy_rst(struct pc_spdy *s, uint32_t stream, uint32_t status, pc_error *err)
{
        return control8(s, PC_SPDY_RST_STREAM, stream & 0x7fffffff, status, 8, err);
}

int pc_spdy_ping(struct pc_spdy *s, uint32_t id, pc_error *err)
{
        return control8(s, PC_SPDY_PING, id, 0, 4, err);
}

int pc_spdy_goaway(struct pc_spdy *s, uint32_t last_stream, pc_error *err)
{
        return control8(s, PC_SPDY_GOAWAY, last_stream & 0x7fffffff, 0, 8, err);
}

int pc_spdy_window_update(struct pc_spdy *s, uint32_t stream, uint32_t delta, pc_error *err)
{
        return control8(s, PC_SPDY_WINDOW_UPDATE, stream & 0x7fffffff, delta & 0x7fffffff, 8, err);
}
