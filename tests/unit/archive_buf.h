/* Archives in memory for the image unit tests (test_image.c,
 * test_image_breakout.c): a growing buffer libarchive writes into, a
 * one-entry raw stream compressed with gzip or zstd (a layer blob), and the
 * "sha256:<hex>" of bytes. Header-only: each test binary has its own copy. */
#ifndef PODCTL_TESTS_UNIT_ARCHIVE_BUF_H
#define PODCTL_TESTS_UNIT_ARCHIVE_BUF_H

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "util/util.h"

struct buf {
        char *p;
        size_t n;
};

static la_ssize_t buf_write(struct archive *a, void *c, const void *data, size_t n)
{
        struct buf *b = c;
        b->p = pc_xrealloc(b->p, b->n + n);
        memcpy(b->p + b->n, data, n);
        b->n += n;
        return (la_ssize_t)n;
}

enum { NONE, GZIP, ZSTD };

static struct buf compress_buf(struct buf in, int how)
{
        struct buf b = {0};
        struct archive *a = archive_write_new();
        archive_write_set_format_raw(a);
        if (how == ZSTD)
                archive_write_add_filter_zstd(a);
        else
                archive_write_add_filter_gzip(a);
        archive_write_set_bytes_in_last_block(a, 1); /* no zero padding after the stream */
        archive_write_open(a, &b, NULL, buf_write, NULL);
        struct archive_entry *ae = archive_entry_new();
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_pathname(ae, "data");
        archive_write_header(a, ae);
        archive_write_data(a, in.p, in.n);
        archive_entry_free(ae);
        archive_write_close(a);
        archive_write_free(a);
        return b;
}

static void sha256_hex(const void *p, size_t n, char out[72])
{
        unsigned char md[32];
        unsigned int len = 0;
        EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
        strcpy(out, "sha256:");
        for (int i = 0; i < 32; i++)
                snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

#endif
