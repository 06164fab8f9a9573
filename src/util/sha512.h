/* SHA-512 for the monitor: the CNI-compatible iptables chain names (src/net)
 * are hashes, and the monitor must not map libcrypto (1.45 MB of RSS) for
 * one. libmd (Debian's libmd0, 47 KB, already on every Debian system as
 * libbsd's dependency) does it: these are thin wrappers over its SHA512*. */
#ifndef PODCTL_UTIL_SHA512_H
#define PODCTL_UTIL_SHA512_H

#include <sha2.h> /* libmd: SHA2_CTX and SHA512Init/Update/Final */
#include <stddef.h>
#include <stdint.h>

#define PC_SHA512_LEN 64

struct pc_sha512 {
        SHA2_CTX ctx;
};

void pc_sha512_init(struct pc_sha512 *s);
void pc_sha512_update(struct pc_sha512 *s, const void *data, size_t n);
void pc_sha512_final(struct pc_sha512 *s, unsigned char md[PC_SHA512_LEN]);
/* One call: md = SHA-512(data[0..n)). */
void pc_sha512(const void *data, size_t n, unsigned char md[PC_SHA512_LEN]);

#endif
