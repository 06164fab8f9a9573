/* util/sha512.c against FIPS 180-4's examples and against OpenSSL's SHA512()
 * (which the monitor no longer links) for every length across block edges. */
#include "unit.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "util/sha512.h"

static void hex(const unsigned char *md, char out[2 * PC_SHA512_LEN + 1])
{
        for (int i = 0; i < PC_SHA512_LEN; i++)
                snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int digest_is(const void *data, size_t n, const char *want)
{
        unsigned char md[PC_SHA512_LEN];
        char h[2 * PC_SHA512_LEN + 1];
        pc_sha512(data, n, md);
        hex(md, h);
        if (strcmp(h, want) != 0)
                fprintf(stderr, "sha512 of %zu bytes: %s, want %s\n", n, h, want);
        return strcmp(h, want) == 0;
}

static void test_fips_vectors(void)
{
        CHECK(digest_is("", 0,
                        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
                        "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"));
        CHECK(digest_is("abc", 3,
                        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"));
        const char *two = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                          "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
        CHECK(digest_is(two, strlen(two),
                        "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
                        "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"));
        /* one million 'a', fed in uneven pieces */
        static char a[1000000];
        memset(a, 'a', sizeof(a));
        struct pc_sha512 s;
        pc_sha512_init(&s);
        for (size_t off = 0, step = 1; off < sizeof(a); off += step, step = step * 3 % 997 + 1)
                pc_sha512_update(&s, a + off, off + step > sizeof(a) ? sizeof(a) - off : step);
        unsigned char md[PC_SHA512_LEN];
        char h[2 * PC_SHA512_LEN + 1];
        pc_sha512_final(&s, md);
        hex(md, h);
        CHECK(strcmp(h, "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
                        "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b") == 0);
}

static void test_same_as_openssl(void)
{
        unsigned char data[600];
        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (unsigned char)(i * 131 + 7);
        int bad = 0;
        for (size_t n = 0; n <= sizeof(data); n++) {
                unsigned char mine[PC_SHA512_LEN], theirs[SHA512_DIGEST_LENGTH];
                pc_sha512(data, n, mine);
                SHA512(data, n, theirs);
                if (memcmp(mine, theirs, sizeof(mine)) != 0) {
                        if (!bad++)
                                fprintf(stderr, "sha512 differs from OpenSSL at %zu bytes\n", n);
                }
        }
        CHECK(bad == 0);
}

int main(void)
{
        test_fips_vectors();
        test_same_as_openssl();
        UNIT_DONE();
}
