/* SHA-512 through libmd (sha512.h). */
#include "util/sha512.h"

void pc_sha512_init(struct pc_sha512 *s)
{
        SHA512Init(&s->ctx);
}

void pc_sha512_update(struct pc_sha512 *s, const void *data, size_t n)
{
        SHA512Update(&s->ctx, data, n);
}

void pc_sha512_final(struct pc_sha512 *s, unsigned char md[PC_SHA512_LEN])
{
        SHA512Final(md, &s->ctx);
}

void pc_sha512(const void *data, size_t n, unsigned char md[PC_SHA512_LEN])
{
        struct pc_sha512 s;
        pc_sha512_init(&s);
        pc_sha512_update(&s, data, n);
        pc_sha512_final(&s, md);
}
