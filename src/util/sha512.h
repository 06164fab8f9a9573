/* SHA-512 (FIPS 180-4), self-contained: the monitor names the CNI-compatible
 * iptables chains with it (src/net) and must not map libcrypto for that. */
#ifndef PODCTL_UTIL_SHA512_H
#define PODCTL_UTIL_SHA512_H

#include <stddef.h>
#include <stdint.h>

#define PC_SHA512_LEN 64

struct pc_sha512 {
        uint64_t h[8];
        uint64_t len; /* bytes hashed so far (< 2^61 here: enough) */
        unsigned char buf[128];
        size_t fill;
};

void pc_sha512_init(struct pc_sha512 *s);
void pc_sha512_update(struct pc_sha512 *s, const void *data, size_t n);
void pc_sha512_final(struct pc_sha512 *s, unsigned char md[PC_SHA512_LEN]);
/* One call: md = SHA-512(data[0..n)). */
void pc_sha512(const void *data, size_t n, unsigned char md[PC_SHA512_LEN]);

#endif
