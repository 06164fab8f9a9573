#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int pc_fail(pc_error *err, int errnum, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (!err)
                return -1;
        va_start(ap, fmt);
        n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        if (n < 0)
                n = 0;
        if (errnum != 0 && (size_t)n < sizeof(err->msg))
                snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
        err->code = errnum;
        return -1;
}

/* msg[len..cap) = ": " + tail, truncated to fit. */
static void append(char *msg, size_t len, size_t cap, const char *tail)
{
        const char sep[] = ": ";
        for (size_t i = 0; sep[i] && len + 1 < cap; i++)
                msg[len++] = sep[i];
        for (size_t i = 0; tail[i] && len + 1 < cap; i++)
                msg[len++] = tail[i];
        msg[len] = '\0';
}

int pc_error_prefix(pc_error *err, const char *fmt, ...)
{
        char old[PC_ERROR_MSG_MAX];
        va_list ap;
        int n;

        if (!err)
                return -1;
        memcpy(old, err->msg, sizeof(old));
        va_start(ap, fmt);
        n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < sizeof(err->msg))
                append(err->msg, (size_t)n, sizeof(err->msg), old);
        return -1;
}

void pc_error_clear(pc_error *err)
{
        err->code = 0;
        err->msg[0] = '\0';
}
