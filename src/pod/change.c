/* What every change of an existing Pod's spec begins and ends with (update,
 * resize, ephemeral containers), and the API server's refusal. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "pod/internal.h"
#include "util/cleanup.h"
#include "util/util.h"

int pc_pod_change_begin(podctl *ctx, const char *ns, const char *name, struct pc_pod_state *ps,
                        pc_error *err)
{
        _cleanup_free_ char *key = pc_pod_key(ns, name);
        /* a Pod whose monitor is dead gets one first, so that the change
         * reaches a monitor */
        pc_pod_adopt_key_if_lost(ctx, key);
        if (pc_root_lock(&ctx->root, err) < 0)
                return -1;
        if (pc_pod_state_load(&ctx->root, key, ps, err) < 0) {
                if (err->code == ENOENT)
                        pc_fail(err, ENOENT, "pods \"%s\" not found", name);
                pc_root_unlock(&ctx->root);
                return -1;
        }
        return 0;
}

void pc_pod_change_end(podctl *ctx, struct pc_pod_state *ps)
{
        pc_pod_state_free(ps);
        pc_root_unlock(&ctx->root);
}

int pc_pod_invalid(pc_error *err, const char *name, const char *fmt, ...)
{
        char what[PC_ERROR_MSG_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        pc_fail(err, 0, "The Pod \"%s\" is invalid: %s", name, what);
        err->code = EINVAL;
        return -1;
}
