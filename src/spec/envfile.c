/* Env files of fileKeyRef (envfile.h). */
#include "spec/envfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static bool blank(char ch)
{
        return ch == ' ' || ch == '\t' || ch == '\r';
}

/* Not an env file: EINVAL, without strerror's words after the message. */
static int bad(pc_error *err, char **value, const char *what, int line)
{
        free(*value);
        *value = NULL;
        pc_fail(err, 0, "line %d: %s", line, what);
        err->code = EINVAL;
        return -1;
}

int pc_envfile_get(const char *text, size_t len, const char *key, char **value, pc_error *err)
{
        const char *p = text, *end = text + len;
        int line = 1;
        *value = NULL;
        while (p < end) {
                while (p < end && blank(*p))
                        p++;
                if (p < end && *p == '#') {
                        while (p < end && *p != '\n')
                                p++;
                }
                if (p == end)
                        break;
                if (*p == '\n') {
                        p++;
                        line++;
                        continue;
                }
                int at = line;
                const char *name = p;
                while (p < end && !blank(*p) && *p != '=' && *p != '\n')
                        p++;
                size_t nlen = (size_t)(p - name);
                while (p < end && blank(*p))
                        p++;
                if (p == end || *p != '=')
                        return bad(err, value, "not NAME='value'", at);
                p++;
                while (p < end && blank(*p))
                        p++;
                if (nlen == 0)
                        return bad(err, value, "no name before '='", at);
                if (p == end || *p != '\'')
                        return bad(err, value, "the value must be in single quotes", at);
                const char *v = ++p;
                while (p < end && *p != '\'') {
                        if (*p == '\n')
                                line++;
                        p++;
                }
                if (p == end)
                        return bad(err, value, "the value's quote is not closed", at);
                const char *vend = p++;
                while (p < end && blank(*p))
                        p++;
                if (p < end && *p != '\n')
                        return bad(err, value, "nothing may follow the value's closing quote",
                                   line);
                if (nlen == strlen(key) && !strncmp(name, key, nlen)) {
                        free(*value);
                        *value = pc_xmalloc((size_t)(vend - v) + 1);
                        memcpy(*value, v, (size_t)(vend - v));
                        (*value)[vend - v] = '\0';
                }
        }
        return *value ? 1 : 0;
}
