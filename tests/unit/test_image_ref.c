/* Image references (util/imageref.c, as docker's distribution/reference
 * normalises them), the WWW-Authenticate parser of the registry client and
 * its credential matching (docker config "auths", pull Secrets). */
#include "image/registry.h"
#include "unit.h"
#include "util/imageref.h"
#include "util/util.h"

#include <jansson.h>
#include <stdlib.h>

#define DG "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_normalise(void)
{
        static const char *cases[][2] = {
            {"nginx", "docker.io/library/nginx:latest"},
            {"nginx:1.25", "docker.io/library/nginx:1.25"},
            {"library/nginx", "docker.io/library/nginx:latest"},
            {"docker.io/nginx", "docker.io/library/nginx:latest"},
            {"index.docker.io/library/nginx:1", "docker.io/library/nginx:1"},
            {"user/app:v1", "docker.io/user/app:v1"},
            {"docker.io/user/app", "docker.io/user/app:latest"},
            {"localhost/x", "localhost/x:latest"},
            {"localhost:5000/a/b:t", "localhost:5000/a/b:t"},
            {"127.0.0.1:5000/team/app:v2", "127.0.0.1:5000/team/app:v2"},
            {"Registry.Example.com/a", "Registry.Example.com/a:latest"},
            {"quay.io/a/b-c_d.e__f---g", "quay.io/a/b-c_d.e__f---g:latest"},
            {"reg:5000", "docker.io/library/reg:5000"},
            {"nginx@" DG, "docker.io/library/nginx@" DG},
            {"nginx:1.25@" DG, "docker.io/library/nginx:1.25@" DG},
            {"ghcr.io/o/r:_tag.1-x", "ghcr.io/o/r:_tag.1-x"},
        };
        for (size_t i = 0; i < PC_ARRAY_SIZE(cases); i++) {
                struct pc_imgref r;
                const char *why = NULL;
                int rc = pc_imgref_parse(cases[i][0], &r, &why);
                if (rc < 0)
                        fprintf(stderr, "parse(\"%s\"): %s\n", cases[i][0], why);
                CHECK(rc == 0);
                if (rc < 0)
                        continue;
                char *s = pc_imgref_string(&r);
                CHECK_STR(s, cases[i][1]);
                free(s);
                pc_imgref_clear(&r);
        }
        struct pc_imgref r;
        const char *why;
        CHECK(pc_imgref_parse("h:1/a/b:t@" DG, &r, &why) == 0);
        CHECK_STR(r.domain, "h:1");
        CHECK_STR(r.path, "a/b");
        CHECK_STR(r.tag, "t");
        CHECK_STR(r.digest, DG);
        pc_imgref_clear(&r);
        CHECK(pc_imgref_parse("busybox@" DG, &r, &why) == 0);
        CHECK(pc_imgref_tag(&r) == NULL);
        pc_imgref_clear(&r);
}

static void test_invalid(void)
{
        static const char *bad[][2] = {
            {"", "invalid reference format"},
            {"Nginx", "must be lowercase"},
            {"docker.io/Library/nginx", "must be lowercase"},
            {"a:", "invalid reference format"},
            {":t", "invalid reference format"},
            {"a//b", "invalid reference format"},
            {"a@sha256:12", "invalid reference format"},
            {"a@sha512:"
             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
             "unsupported digest"},
            {"-a", "invalid reference format"},
            {"a/../b", "invalid reference format"},
            {"reg:x/a", "invalid reference format"},
            {"-reg.io/a", "invalid reference format"},
            {"a:b c", "invalid reference format"},
            {"a:-t", "invalid reference format"},
            {"nginx:1.25 ", "invalid reference format"},
            {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "64-byte"},
            {"a_", "invalid reference format"},
            {"a/b/", "invalid reference format"},
        };
        for (size_t i = 0; i < PC_ARRAY_SIZE(bad); i++) {
                struct pc_imgref r;
                const char *why = NULL;
                int rc = pc_imgref_parse(bad[i][0], &r, &why);
                if (rc == 0)
                        fprintf(stderr, "parse(\"%s\") accepted\n", bad[i][0]);
                CHECK(rc < 0);
                CHECK_CONTAINS(why, bad[i][1]);
                if (rc == 0)
                        pc_imgref_clear(&r);
        }
        /* the tag is at most 128 characters, the name 255 */
        char tag[140], name[300];
        memset(tag, 'a', sizeof(tag) - 1);
        tag[sizeof(tag) - 1] = '\0';
        char *ref = pc_xasprintf("x:%.128s", tag);
        struct pc_imgref r;
        const char *why;
        CHECK(pc_imgref_parse(ref, &r, &why) == 0);
        pc_imgref_clear(&r);
        free(ref);
        ref = pc_xasprintf("x:%.129s", tag);
        CHECK(pc_imgref_parse(ref, &r, &why) < 0);
        free(ref);
        memset(name, 'a', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        ref = pc_xasprintf("r.io/%.250s", name);
        CHECK(pc_imgref_parse(ref, &r, &why) == 0);
        pc_imgref_clear(&r);
        free(ref);
        ref = pc_xasprintf("r.io/%.251s", name);
        CHECK(pc_imgref_parse(ref, &r, &why) < 0);
        CHECK_CONTAINS(why, "255");
        free(ref);
}

static void test_pull_policy(void)
{
        CHECK_STR(pc_imgref_default_pull_policy("nginx"), "Always");
        CHECK_STR(pc_imgref_default_pull_policy("nginx:latest"), "Always");
        CHECK_STR(pc_imgref_default_pull_policy("nginx:1.25"), "IfNotPresent");
        CHECK_STR(pc_imgref_default_pull_policy("reg:5000/nginx"), "Always");
        CHECK_STR(pc_imgref_default_pull_policy("nginx@" DG), "IfNotPresent");
        CHECK_STR(pc_imgref_default_pull_policy("nginx:1@" DG), "IfNotPresent");
        /* Kubernetes: the tag decides, even with a digest */
        CHECK_STR(pc_imgref_default_pull_policy("nginx:latest@" DG), "Always");
        CHECK_STR(pc_imgref_default_pull_policy("Bad Name"), "IfNotPresent");
}

static void check_challenge(const char *hdr, const char *scheme, const char *realm,
                            const char *service, const char *scope)
{
        struct pc_reg_challenge ch;
        int rc = pc_reg_parse_challenge(hdr, &ch);
        CHECK(rc == 0);
        if (rc < 0)
                return;
        CHECK_STR(ch.scheme, scheme);
        if (realm)
                CHECK_STR(ch.realm, realm);
        else
                CHECK(ch.realm == NULL);
        if (service)
                CHECK_STR(ch.service, service);
        else
                CHECK(ch.service == NULL);
        if (scope)
                CHECK_STR(ch.scope, scope);
        else
                CHECK(ch.scope == NULL);
        pc_reg_challenge_clear(&ch);
}

static void test_challenge(void)
{
        check_challenge(
            "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
            "scope=\"repository:library/nginx:pull\"",
            "bearer", "https://auth.docker.io/token", "registry.docker.io",
            "repository:library/nginx:pull");
        check_challenge("Basic realm=\"Registry Realm\"", "basic", "Registry Realm", NULL, NULL);
        check_challenge("bearer  realm=\"https://h/t\" , service=svc, error=\"insufficient_scope\"",
                        "bearer", "https://h/t", "svc", NULL);
        /* quoted-pair and a comma inside quotes */
        check_challenge(
            "Bearer realm=\"https://h/t?a=1,b=\\\"2\\\"\",scope=\"repository:a/b:pull,push\"",
            "bearer", "https://h/t?a=1,b=\"2\"", NULL, "repository:a/b:pull,push");
        /* several challenges: Bearer preferred */
        check_challenge("Basic realm=\"x\", Bearer realm=\"https://tok\",service=\"s\"", "bearer",
                        "https://tok", "s", NULL);
        struct pc_reg_challenge ch;
        CHECK(pc_reg_parse_challenge("", &ch) < 0);
        CHECK(pc_reg_parse_challenge("Bearer realm=\"unterminated", &ch) < 0);
        CHECK(pc_reg_parse_challenge("Negotiate", &ch) < 0);
}

static void check_lookup(json_t *auths, const char *domain, const char *path, const char *user,
                         const char *pass)
{
        char *u = NULL, *p = NULL;
        int r = pc_reg_auths_lookup(auths, domain, path, &u, &p, NULL);
        if (!user) {
                if (r != 0)
                        fprintf(stderr, "lookup %s/%s: unexpected match %s\n", domain, path, u);
                CHECK(r == 0);
        } else {
                CHECK(r == 1);
                CHECK_STR(u, user);
                CHECK_STR(p, pass);
        }
        free(u);
        free(p);
}

static void test_auths(void)
{
        /* base64("hub:hubpw"), base64("team:teampw") */
        json_t *auths = json_pack(
            "{s:{s:s}, s:{s:s, s:s}, s:{s:s}, s:{s:s, s:s}, s:{s:s, s:s}}",
            "https://index.docker.io/v1/", "auth", "aHViOmh1YnB3", "registry.example.com:5000",
            "username", "plain", "password", "plainpw", "registry.example.com/team", "auth",
            "dGVhbTp0ZWFtcHc=", "*.corp.example", "username", "glob", "password", "globpw",
            "http://127.0.0.1:5000", "username", "loop", "password", "looppw");
        check_lookup(auths, "docker.io", "library/nginx", "hub", "hubpw");
        check_lookup(auths, "registry.example.com:5000", "x/y", "plain", "plainpw");
        check_lookup(auths, "registry.example.com", "team/app", "team", "teampw");
        check_lookup(auths, "registry.example.com", "other/app", NULL, NULL);
        check_lookup(auths, "registry.example.com", "teamx/app", NULL, NULL);
        check_lookup(auths, "r.corp.example", "a", "glob", "globpw");
        check_lookup(auths, "a.b.corp.example", "a", NULL, NULL);
        check_lookup(auths, "127.0.0.1:5000", "busybox", "loop", "looppw");
        check_lookup(auths, "127.0.0.1:5001", "busybox", NULL, NULL);
        check_lookup(auths, "quay.io", "a/b", NULL, NULL);
        json_decref(auths);

        /* config.json's "identitytoken" wins over "auth"; not read when the
         * caller takes no token (a Secret's auths, as the kubelet's) */
        json_t *t =
            json_pack("{s:{s:s, s:s}, s:{s:s}}", "tok.example", "auth", "dTpw", /* u:p */
                      "identitytoken", "refresh-1", "only.example", "identitytoken", "refresh-2");
        char *u = NULL, *pw = NULL, *it = NULL;
        CHECK(pc_reg_auths_lookup(t, "tok.example", "a", &u, &pw, &it) == 1);
        CHECK(!u && !pw);
        CHECK_STR(it, "refresh-1");
        free(it);
        it = NULL;
        check_lookup(t, "tok.example", "a", "u", "p");
        check_lookup(t, "only.example", "a", NULL, NULL);
        CHECK(pc_reg_auths_lookup(t, "only.example", "a", &u, &pw, &it) == 1);
        CHECK_STR(it, "refresh-2");
        free(it);
        json_decref(t);

        /* Secrets: dockerconfigjson has "auths", dockercfg is the map itself */
        json_t *a = json_object();
        pc_error err;
        const char *dcj = "{\"auths\": {\"ghcr.io\": {\"username\": \"u\", \"password\": \"p\"}}}";
        CHECK(pc_reg_auths_add_secret(a, "kubernetes.io/dockerconfigjson", dcj, strlen(dcj),
                                      &err) == 0);
        const char *dc = "{\"quay.io\": {\"auth\": \"cTpxcA==\"}}"; /* q:qp */
        CHECK(pc_reg_auths_add_secret(a, "kubernetes.io/dockercfg", dc, strlen(dc), &err) == 0);
        check_lookup(a, "ghcr.io", "o/r", "u", "p");
        check_lookup(a, "quay.io", "o/r", "q", "qp");
        CHECK(pc_reg_auths_add_secret(a, "kubernetes.io/dockerconfigjson", "[1]", 3, &err) < 0);
        CHECK(pc_reg_auths_add_secret(a, "kubernetes.io/dockerconfigjson", "{}", 2, &err) < 0);
        CHECK_CONTAINS(err.msg, "auths");
        json_decref(a);
}

/* A CRI AuthConfig's server_address against the image's registry */
static void test_server_address(void)
{
        CHECK(pc_reg_server_is("127.0.0.1:5000", "127.0.0.1:5000"));
        CHECK(pc_reg_server_is("https://127.0.0.1:5000", "127.0.0.1:5000"));
        CHECK(pc_reg_server_is("http://127.0.0.1:5000/v2/", "127.0.0.1:5000"));
        CHECK(pc_reg_server_is("Registry.Example.com", "registry.example.com"));
        CHECK(pc_reg_server_is("https://index.docker.io/v1/", "docker.io"));
        CHECK(pc_reg_server_is("registry-1.docker.io", "docker.io"));
        CHECK(!pc_reg_server_is("127.0.0.1:5001", "127.0.0.1:5000"));
        CHECK(!pc_reg_server_is("127.0.0.1", "127.0.0.1:5000"));
        CHECK(!pc_reg_server_is("127.0.0.1:50000", "127.0.0.1:5000"));
        CHECK(!pc_reg_server_is("https://index.docker.io/v1/", "quay.io"));
        CHECK(!pc_reg_server_is("quay.io", "docker.io"));
        CHECK(!pc_reg_server_is("registry.example.com.evil", "registry.example.com"));
}

int main(void)
{
        test_normalise();
        test_invalid();
        test_pull_policy();
        test_challenge();
        test_auths();
        test_server_address();
        UNIT_DONE();
}
