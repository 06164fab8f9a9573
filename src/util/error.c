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
                snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", old);
        return -1;
}

void pc_error_clear(pc_error *err)
{
        err->code = 0;
        err->msg[0] = '\0';
}
