/* Env files of fileKeyRef: the syntax of the Kubernetes documentation's
 * "Env file syntax", what is found and what is refused. */
#include "unit.h"
#include "spec/envfile.h"
#include "util/util.h"

#include <stdlib.h>
#include <string.h>

/* The value of key in text, or "<absent>", or "<error: MSG>". */
static char *get(const char *text, const char *key)
{
        char *v = NULL;
        pc_error err;
        int r = pc_envfile_get(text, strlen(text), key, &v, &err);
        if (r < 0)
                return pc_xasprintf("<error: %s>", err.msg);
        if (r == 0)
                return pc_xstrdup("<absent>");
        return v;
}

#define CHECK_GET(text, key, want)                                                                 \
        do {                                                                                       \
                char *got_ = get(text, key);                                                       \
                CHECK_STR(got_, want);                                                             \
                free(got_);                                                                        \
        } while (0)

static void test_found(void)
{
        /* the documentation's examples */
        CHECK_GET("MY_VAR='my-literal-value'\n", "MY_VAR", "my-literal-value");
        const char *doc = "# comment\nDB_ADDRESS='address'\n\nMULTI='line1\nline2'\n";
        CHECK_GET(doc, "DB_ADDRESS", "address");
        CHECK_GET(doc, "MULTI", "line1\nline2");
        CHECK_GET(doc, "NOPE", "<absent>");
        /* what the documentation's init container writes (no final newline) */
        CHECK_GET("DB_ADDRESS='address'\nREST_ENDPOINT='endpoint'", "REST_ENDPOINT", "endpoint");
        /* spaces around '=' and before a line; literal content */
        CHECK_GET("  A = 'x y'\n", "A", "x y");
        CHECK_GET("A='$B \\n # not a comment \"q\"'\n", "A", "$B \\n # not a comment \"q\"");
        CHECK_GET("A=''\n", "A", "");
        /* the last declaration wins, as in a shell */
        CHECK_GET("A='1'\nA='2'\n", "A", "2");
        /* a key that is the prefix of another is not it */
        CHECK_GET("AB='1'\n", "A", "<absent>");
        CHECK_GET("", "A", "<absent>");
        CHECK_GET("\n\n# only comments\n", "A", "<absent>");
        CHECK_GET("A='1'\r\n", "A", "1");
}

static void test_refused(void)
{
        CHECK_GET("A=value\n", "A", "<error: line 1: the value must be in single quotes>");
        CHECK_GET("A=\"value\"\n", "A", "<error: line 1: the value must be in single quotes>");
        CHECK_GET("B='1'\nA='val1''val2'\n", "A",
                  "<error: line 2: nothing may follow the value's closing quote>");
        CHECK_GET("A='a'$OTHER\n", "A",
                  "<error: line 1: nothing may follow the value's closing quote>");
        CHECK_GET("A=${OTHER}\n", "A", "<error: line 1: the value must be in single quotes>");
        CHECK_GET("A='open\n", "A", "<error: line 1: the value's quote is not closed>");
        CHECK_GET("just words\n", "A", "<error: line 1: not NAME='value'>");
        CHECK_GET("='x'\n", "A", "<error: line 1: no name before '='>");
        /* an error anywhere refuses the file, even after the key */
        CHECK_GET("A='1'\nbad\n", "A", "<error: line 2: not NAME='value'>");
        /* lines counted across a multi-line value */
        CHECK_GET("M='1\n2'\nbad\n", "A", "<error: line 3: not NAME='value'>");
}

int main(void)
{
        test_found();
        test_refused();
        UNIT_DONE();
}
