/* struct pc_image <-> JSON, and freeing it. Only jansson: the monitor links
 * this without the rest of the store. */
#include <errno.h>
#include <stdlib.h>

#include "image/image.h"
#include "util/util.h"

static json_t *strv_json(char **v)
{
        if (!v)
                return json_null();
        json_t *a = json_array();
        for (size_t i = 0; v[i]; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

static char **json_strv(json_t *a)
{
        if (!json_is_array(a))
                return NULL;
        char **v = pc_xcalloc(json_array_size(a) + 1, sizeof(char *));
        size_t i;
        json_t *e;
        json_array_foreach(a, i, e)
        {
                v[i] = pc_xstrdup(json_is_string(e) ? json_string_value(e) : "");
        }
        return v;
}

static json_t *str_json(const char *s)
{
        return s ? json_string(s) : json_null();
}

static char *json_str(json_t *o, const char *k)
{
        return pc_xstrdup(json_string_value(json_object_get(o, k)));
}

json_t *pc_image_to_json(const struct pc_image *img)
{
        json_t *j = json_object();
        json_object_set_new(j, "ref", str_json(img->ref));
        json_object_set_new(j, "manifestDigest", str_json(img->manifest_digest));
        json_object_set_new(j, "configDigest", str_json(img->config_digest));
        json_object_set_new(j, "entrypoint", strv_json(img->entrypoint));
        json_object_set_new(j, "cmd", strv_json(img->cmd));
        json_object_set_new(j, "env", strv_json(img->env));
        json_object_set_new(j, "workingDir", str_json(img->working_dir));
        json_object_set_new(j, "user", str_json(img->user));
        json_object_set_new(j, "stopSignal", str_json(img->stop_signal));
        json_object_set_new(j, "layers", strv_json(img->layer_dirs));
        json_object_set_new(j, "size", json_integer(img->size));
        json_object_set_new(j, "created", json_integer(img->created));
        return j;
}

int pc_image_from_json(json_t *j, struct pc_image **out, pc_error *err)
{
        if (!json_is_object(j) || !json_is_array(json_object_get(j, "layers")))
                return pc_fail(err, EINVAL, "malformed image record");
        struct pc_image *img = pc_xcalloc(1, sizeof(*img));
        img->ref = json_str(j, "ref");
        img->manifest_digest = json_str(j, "manifestDigest");
        img->config_digest = json_str(j, "configDigest");
        img->entrypoint = json_strv(json_object_get(j, "entrypoint"));
        img->cmd = json_strv(json_object_get(j, "cmd"));
        img->env = json_strv(json_object_get(j, "env"));
        img->working_dir = json_str(j, "workingDir");
        img->user = json_str(j, "user");
        img->stop_signal = json_str(j, "stopSignal");
        img->layer_dirs = json_strv(json_object_get(j, "layers"));
        img->n_layers = pc_strv_len(img->layer_dirs);
        img->size = json_integer_value(json_object_get(j, "size"));
        img->created = json_integer_value(json_object_get(j, "created"));
        *out = img;
        return 0;
}

void pc_image_free(struct pc_image *img)
{
        if (!img)
                return;
        free(img->ref);
        free(img->manifest_digest);
        free(img->config_digest);
        pc_strv_free(img->entrypoint);
        pc_strv_free(img->cmd);
        pc_strv_free(img->env);
        free(img->working_dir);
        free(img->user);
        free(img->stop_signal);
        pc_strv_free(img->layer_dirs);
        free(img);
}
