/* pulled.json: which references came from a registry (kept apart from
 * pull.c so that code deciding about pulls links no libcurl). */
#include <string.h>
#include <sys/file.h>

#include "image/image_int.h"
#include "image/registry.h"
#include "util/util.h"

/* pulled.json: name -> manifest digest of the references that came from a
 * registry (imagePullPolicy Always re-resolves only those; see
 * pc_image_pulled). Best effort: losing it only means Always treats the
 * image as loaded locally. Caller holds LOCK_EX. */
static char *pulled_path(pc_image_store *s)
{
        return pc_xasprintf("%s/pulled.json", s->dir);
}

static json_t *pulled_read(pc_image_store *s)
{
        _cleanup_free_ char *path = pulled_path(s);
        _cleanup_free_ char *data = NULL;
        size_t n = 0;
        pc_error e;
        json_t *j = NULL;
        if (pc_read_file(path, &data, &n, &e) == 0)
                j = json_loadb(data, n, 0, NULL);
        if (!json_is_object(j)) {
                json_decref(j);
                j = json_object();
        }
        return j;
}

void pc_image_mark_pulled(pc_image_store *s, const char *name, const char *digest)
{
        _cleanup_json_ json_t *j = pulled_read(s);
        json_object_set_new(j, name, json_string(digest));
        _cleanup_free_ char *data = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
        _cleanup_free_ char *path = pulled_path(s);
        pc_error e;
        if (data)
                pc_write_file_atomic(path, data, strlen(data), 0600, &e);
}

bool pc_image_pulled(pc_image_store *s, const char *ref)
{
        _cleanup_free_ char *name = pc_image_normalize(ref);
        pc_error e;
        if (!name || pc_store_lock(s, LOCK_SH, &e) < 0)
                return false;
        _cleanup_json_ json_t *refs = NULL;
        _cleanup_json_ json_t *pulled = pulled_read(s);
        bool r = false;
        if (pc_refs_read(s, &refs, &e) == 0) {
                const char *a = json_string_value(json_object_get(refs, name));
                const char *b = json_string_value(json_object_get(pulled, name));
                r = a && b && !strcmp(a, b);
        }
        pc_store_unlock(s);
        return r;
}
