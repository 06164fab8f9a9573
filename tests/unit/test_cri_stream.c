/* The streaming server's SPDY framing and HTTP front (src/cri/spdy.c,
 * stream.c): frames and compressed header blocks round-trip between two
 * ends of a socket pair, malformed frames are refused, and the HTTP front
 * answers unknown tokens, missing upgrades and unsupported protocols as the
 * kubelet's streaming server does, before any SPDY. (The sessions
 * themselves are tested end to end in tests/integration/cri-stream.bats.) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cri/spdy.h"
#include "cri/stream.h"
#include "unit.h"
#include "util/cleanup.h"
#include "util/util.h"

static void put32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

/* A client's SYN_STREAM: id, no associated stream, priority 0, headers. */
static void send_syn_stream(struct pc_spdy *client, int fd, uint32_t id, const char *const *kv,
                            size_t n)
{
        pc_error err;
        uint8_t *blk = NULL;
        size_t len = 0;
        CHECK(pc_spdy_encode_headers(client, kv, n, &blk, &len, &err) == 0);
        size_t total = 18 + len;
        uint8_t *f = calloc(1, total);
        f[0] = 0x80;
        f[1] = 3;
        f[3] = PC_SPDY_SYN_STREAM;
        f[5] = (uint8_t)((10 + len) >> 16);
        f[6] = (uint8_t)((10 + len) >> 8);
        f[7] = (uint8_t)(10 + len);
        put32(f + 8, id);
        memcpy(f + 18, blk, len);
        CHECK(write(fd, f, total) == (ssize_t)total);
        free(f);
        free(blk);
}

static void test_frames(void)
{
        int sv[2];
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        pc_error err;
        struct pc_spdy server, client;
        CHECK(pc_spdy_init(&server, sv[0], NULL, 0, &err) == 0);
        CHECK(pc_spdy_init(&client, sv[1], NULL, 0, &err) == 0);

        /* two SYN_STREAMs share the client's compression context */
        const char *h1[] = {"streamType", "error", "port", "8080"};
        const char *h2[] = {"streamtype", "stdout"};
        send_syn_stream(&client, sv[1], 1, h1, 2);
        send_syn_stream(&client, sv[1], 3, h2, 1);
        struct pc_spdy_frame f = {0};
        CHECK(pc_spdy_read(&server, &f, &err) == 1);
        CHECK(f.type == PC_SPDY_SYN_STREAM && f.stream == 1);
        /* the second frame came with the first read: poll() would not see it */
        CHECK(pc_spdy_buffered(&server));
        CHECK_STR(pc_spdy_header(&f, "streamtype"), "error"); /* names lower-cased */
        CHECK_STR(pc_spdy_header(&f, "port"), "8080");
        CHECK(pc_spdy_read(&server, &f, &err) == 1);
        CHECK(f.type == PC_SPDY_SYN_STREAM && f.stream == 3);
        CHECK_STR(pc_spdy_header(&f, "streamtype"), "stdout");
        CHECK(pc_spdy_header(&f, "port") == NULL);
        CHECK(!pc_spdy_buffered(&server));

        /* the server's replies and data, read by the other end */
        CHECK(pc_spdy_syn_reply(&server, 3, false, &err) == 0);
        CHECK(pc_spdy_data(&server, 3, "hello", 5, false, &err) == 0);
        CHECK(pc_spdy_data(&server, 3, NULL, 0, true, &err) == 0);
        CHECK(pc_spdy_ping(&server, 7, &err) == 0);
        CHECK(pc_spdy_read(&client, &f, &err) == 1);
        CHECK(f.type == PC_SPDY_SYN_REPLY && f.stream == 3);
        CHECK_STR(pc_spdy_header(&f, ":status"), "200");
        CHECK(pc_spdy_read(&client, &f, &err) == 1);
        CHECK(f.type == PC_SPDY_DATA && f.stream == 3 && f.len == 5 &&
              !memcmp(f.data, "hello", 5) && !(f.flags & PC_SPDY_FLAG_FIN));
        CHECK(pc_spdy_read(&client, &f, &err) == 1);
        CHECK(f.type == PC_SPDY_DATA && f.len == 0 && (f.flags & PC_SPDY_FLAG_FIN));
        CHECK(pc_spdy_read(&client, &f, &err) == 1);
        CHECK(f.type == PC_SPDY_PING && f.value == 7);

        /* a frame over the limit, and another SPDY version, are refused */
        uint8_t big[8] = {0x80, 3, 0, PC_SPDY_SETTINGS, 0, 0x7f, 0xff, 0xff};
        CHECK(write(sv[1], big, 8) == 8);
        CHECK(pc_spdy_read(&server, &f, &err) < 0);
        CHECK_CONTAINS(err.msg, "frame (at most");
        pc_spdy_free(&server);
        CHECK(pc_spdy_init(&server, sv[0], NULL, 0, &err) == 0);
        uint8_t v2[12] = {0x80, 2, 0, PC_SPDY_PING, 0, 0, 0, 4, 0, 0, 0, 1};
        CHECK(write(sv[1], v2, 12) == 12);
        CHECK(pc_spdy_read(&server, &f, &err) < 0);
        CHECK_CONTAINS(err.msg, "version 2");
        /* the peer closing between frames is an orderly end */
        close(sv[1]);
        CHECK(pc_spdy_read(&server, &f, &err) == 0);
        pc_spdy_frame_clear(&f);
        pc_spdy_free(&server);
        pc_spdy_free(&client);
        close(sv[0]);
}

/* One HTTP request to the server; the status line's code. */
static int http_code(int port, const char *req)
{
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                close(fd);
                return -1;
        }
        CHECK(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
        char buf[512] = "";
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        int code = -1;
        if (n > 12)
                sscanf(buf, "HTTP/1.1 %d", &code);
        return code;
}

static void test_http_front(void)
{
        pc_error err;
        struct pc_stream_server *s = NULL;
        CHECK(pc_stream_start("127.0.0.1:0", &s, &err) == 0);
        if (!s)
                return;
        CHECK(pc_stream_start("localhost:1", &(struct pc_stream_server *){NULL}, &err) < 0);
        CHECK_CONTAINS(err.msg, "not IPv4-HOST:PORT");
        char *url = NULL;
        struct pc_stream_req *r = pc_xcalloc(1, sizeof(*r));
        r->kind = PC_STREAM_PORTFORWARD;
        r->sandbox_id = pc_xstrdup("sb");
        CHECK(pc_stream_url(s, r, &url, &err) == 0);
        int port = 0;
        char tok[64] = "";
        CHECK(sscanf(url, "http://127.0.0.1:%d/portforward/%63s", &port, tok) == 2);
        CHECK(strlen(tok) == 32);
        _cleanup_free_ char *plain = pc_xasprintf("GET /portforward/%s HTTP/1.1\r\n\r\n", tok);
        _cleanup_free_ char *wrongkind = pc_xasprintf(
            "POST /exec/%s HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n", tok);
        /* the wrong path kind: 404 (and the token is gone) */
        CHECK(http_code(port, wrongkind) == 404);
        CHECK(http_code(port, plain) == 404);
        /* a fresh token without the upgrade headers: 400 */
        r = pc_xcalloc(1, sizeof(*r));
        r->kind = PC_STREAM_PORTFORWARD;
        free(url);
        CHECK(pc_stream_url(s, r, &url, &err) == 0);
        CHECK(sscanf(url, "http://127.0.0.1:%d/portforward/%63s", &port, tok) == 2);
        _cleanup_free_ char *noup = pc_xasprintf("GET /portforward/%s HTTP/1.1\r\n\r\n", tok);
        CHECK(http_code(port, noup) == 400);
        CHECK(http_code(port, "GET /other HTTP/1.1\r\n\r\n") == 404);
        free(url);
        pc_stream_stop(s);
}

int main(void)
{
        test_frames();
        test_http_front();
        UNIT_DONE();
}
