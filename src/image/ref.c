/* Image reference normalization: util/imageref.c has the grammar (docker's
 * distribution/reference: familiar names get docker.io and library/). */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "image/image_int.h"
#include "util/imageref.h"
#include "util/util.h"

bool pc_digest_valid(const char *d)
{
        if (!d || !pc_str_has_prefix(d, "sha256:") || strlen(d) != 71)
                return false;
        for (const char *p = d + 7; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

bool pc_ref_has_tag(const char *ref)
{
        const char *slash = strrchr(ref, '/');
        const char *last = slash ? slash + 1 : ref;
        return strchr(last, ':') || strchr(ref, '@');
}

char *pc_image_normalize(const char *ref)
{
        struct pc_imgref r;
        const char *why;
        if (pc_imgref_parse(ref, &r, &why) < 0)
                return NULL;
        char *out = pc_imgref_string(&r);
        pc_imgref_clear(&r);
        return out;
}
