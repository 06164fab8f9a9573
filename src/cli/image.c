/* podctl image: pull (image_pull.c), load, import, ls, rm, inspect, prune. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "image/image.h"
#include "image/registry.h"
#include "util/util.h"

static void usage(FILE *f)
{
        fputs("Usage:\n"
              "  podctl image pull NAME[:TAG|@DIGEST] [--creds USER:PASS] [-q]\n"
              "                                                 pull from a registry\n"
              "  podctl image load -i FILE|DIR [--name NAME]   load an OCI layout/archive or a "
              "docker save archive\n"
              "  podctl image import ROOTFS.tar[.gz] NAME[:TAG] make an image from a root "
              "filesystem tarball\n"
              "  podctl image ls [-q] [-o table|json]           list images\n"
              "  podctl image rm NAME|ID...                     remove images\n"
              "  podctl image inspect NAME|ID                   show an image's config (JSON)\n"
              "  podctl image prune                             remove the images no Pod uses\n",
              f);
}

static void human_size(int64_t n, char *buf, size_t len)
{
        static const char *units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
        double v = (double)n;
        size_t u = 0;
        while (v >= 1000.0 && u + 1 < PC_ARRAY_SIZE(units)) {
                v /= 1000.0;
                u++;
        }
        snprintf(buf, len, "%.4g%s", v, units[u]);
}

/* docker's CREATED column ("3 days ago", units.HumanDuration). */
static void created_ago(int64_t ns, char *buf, size_t len)
{
        if (ns <= 0) {
                snprintf(buf, len, "N/A");
                return;
        }
        int64_t s = (pc_now_ns() - ns) / 1000000000LL;
        int64_t m = s / 60, h = m / 60, d = h / 24;
        if (s < 1)
                snprintf(buf, len, "Less than a second ago");
        else if (s == 1)
                snprintf(buf, len, "1 second ago");
        else if (s < 60)
                snprintf(buf, len, "%lld seconds ago", (long long)s);
        else if (m == 1)
                snprintf(buf, len, "About a minute ago");
        else if (m < 60)
                snprintf(buf, len, "%lld minutes ago", (long long)m);
        else if (h == 1)
                snprintf(buf, len, "About an hour ago");
        else if (h < 48)
                snprintf(buf, len, "%lld hours ago", (long long)h);
        else if (d < 14)
                snprintf(buf, len, "%lld days ago", (long long)d);
        else if (d < 60)
                snprintf(buf, len, "%lld weeks ago", (long long)(d / 7));
        else if (d < 730)
                snprintf(buf, len, "%lld months ago", (long long)(d / 30));
        else
                snprintf(buf, len, "%lld years ago", (long long)(d / 365));
}

/* "docker.io/library/busybox:latest" -> repo "docker.io/library/busybox",
 * tag "latest"; digest references have tag "<none>". */
static void split_ref(const char *ref, char **repo, char **tag)
{
        const char *at = strchr(ref, '@');
        const char *end = at ? at : ref + strlen(ref);
        const char *slash = memrchr(ref, '/', (size_t)(end - ref));
        const char *colon =
            memrchr(slash ? slash : ref, ':', (size_t)(end - (slash ? slash : ref)));
        if (colon) {
                *repo = strndup(ref, (size_t)(colon - ref));
                *tag = strndup(colon + 1, (size_t)(end - colon - 1));
        } else {
                *repo = strndup(ref, (size_t)(end - ref));
                *tag = pc_xstrdup("<none>");
        }
        if (!*repo || !*tag)
                abort();
}

static int open_store(struct pc_cli *cli, pc_image_store **s)
{
        pc_error err;
        podctl *ctx = pc_cli_ctx(cli); /* creates the root with the right modes */
        if (!ctx)
                return 1;
        if (pc_image_store_open(podctl_root_dir(ctx), s, &err) < 0)
                return pc_cli_die(&err);
        return 0;
}

static int image_load(struct pc_cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {{"input", required_argument, NULL, 'i'},
                                             {"name", required_argument, NULL, 'n'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
        const char *input = NULL, *name = NULL;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "+i:n:h", opts, NULL)) != -1) {
                switch (c) {
                case 'i':
                        input = optarg;
                        break;
                case 'n':
                        name = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        return pc_cli_fail("usage: podctl image load -i FILE|DIR [--name NAME]");
                }
        }
        if (!input && optind < argc)
                input = argv[optind++];
        if (!input || optind < argc)
                return pc_cli_fail("usage: podctl image load -i FILE|DIR [--name NAME]");
        pc_image_store *s = NULL;
        if (open_store(cli, &s))
                return 1;
        pc_error err;
        _cleanup_strv_ char **names = NULL;
        int r = pc_image_load_named(s, input, name, &names, &err);
        pc_image_store_close(s);
        if (r < 0)
                return pc_cli_die(&err);
        for (size_t i = 0; names && names[i]; i++)
                printf("Loaded image: %s\n", names[i]);
        return 0;
}

static int image_import(struct pc_cli *cli, int argc, char **argv)
{
        if (argc != 3)
                return pc_cli_fail("usage: podctl image import ROOTFS.tar[.gz] NAME[:TAG]");
        _cleanup_free_ char *norm = pc_image_normalize(argv[2]);
        if (!norm)
                return pc_cli_fail("invalid image name \"%s\"", argv[2]);
        pc_image_store *s = NULL;
        if (open_store(cli, &s))
                return 1;
        pc_error err;
        struct pc_image *img = NULL;
        int r = pc_image_import(s, argv[1], norm, &err);
        if (r == 0)
                r = pc_image_get(s, norm, &img, &err);
        pc_image_store_close(s);
        if (r < 0)
                return pc_cli_die(&err);
        printf("Imported image: %s (%s)\n", norm, img->config_digest);
        pc_image_free(img);
        return 0;
}

static void free_list(struct pc_image **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                pc_image_free(v[i]);
        free(v);
}

static int image_ls(struct pc_cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                             {"output", required_argument, NULL, 'o'},
                                             {NULL, 0, NULL, 0}};
        bool quiet = false, json = false;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "+qo:", opts, NULL)) != -1) {
                switch (c) {
                case 'q':
                        quiet = true;
                        break;
                case 'o':
                        if (!strcmp(optarg, "json"))
                                json = true;
                        else if (strcmp(optarg, "table") != 0)
                                return pc_cli_fail("unsupported output format \"%s\"", optarg);
                        break;
                default:
                        return pc_cli_fail("usage: podctl image ls [-q] [-o table|json]");
                }
        }
        if (optind < argc)
                return pc_cli_fail("usage: podctl image ls [-q] [-o table|json]");
        pc_image_store *s = NULL;
        if (open_store(cli, &s))
                return 1;
        pc_error err;
        struct pc_image **v = NULL;
        size_t n = 0;
        int r = pc_image_list(s, &v, &n, &err);
        pc_image_store_close(s);
        if (r < 0)
                return pc_cli_die(&err);

        if (quiet) {
                /* unique IDs, in list order */
                for (size_t i = 0; i < n; i++) {
                        bool seen = false;
                        for (size_t k = 0; k < i && !seen; k++)
                                seen = !strcmp(v[k]->config_digest, v[i]->config_digest);
                        if (!seen)
                                printf("%s\n", v[i]->config_digest);
                }
                free_list(v, n);
                return 0;
        }
        if (json) {
                /* like `crictl images -o json`: one entry per image ID */
                json_t *images = json_array();
                for (size_t i = 0; i < n; i++) {
                        json_t *e = NULL;
                        for (size_t k = 0; k < json_array_size(images); k++) {
                                json_t *x = json_array_get(images, k);
                                if (!strcmp(json_string_value(json_object_get(x, "id")),
                                            v[i]->config_digest))
                                        e = x;
                        }
                        if (!e) {
                                char created[40];
                                pc_format_time(v[i]->created, false, created, sizeof(created));
                                _cleanup_free_ char *sz =
                                    pc_xasprintf("%lld", (long long)v[i]->size);
                                e = json_pack("{s:s, s:[], s:[], s:s, s:s, s:I}", "id",
                                              v[i]->config_digest, "repoTags", "repoDigests",
                                              "size", sz, "created", created, "layers",
                                              (json_int_t)v[i]->n_layers);
                                json_array_append_new(images, e);
                        }
                        json_t *list =
                            json_object_get(e, strchr(v[i]->ref, '@') ? "repoDigests" : "repoTags");
                        json_array_append_new(list, json_string(v[i]->ref));
                        _cleanup_free_ char *repo = NULL, *tag = NULL;
                        split_ref(v[i]->ref, &repo, &tag);
                        _cleanup_free_ char *dig =
                            pc_xasprintf("%s@%s", repo, v[i]->manifest_digest);
                        json_t *digests = json_object_get(e, "repoDigests");
                        bool have = false;
                        for (size_t k = 0; k < json_array_size(digests); k++)
                                have |= !strcmp(json_string_value(json_array_get(digests, k)), dig);
                        if (!have)
                                json_array_append_new(digests, json_string(dig));
                }
                json_t *root = json_pack("{s:o}", "images", images);
                char *out = json_dumps(root, JSON_INDENT(2));
                printf("%s\n", out ? out : "{}");
                free(out);
                json_decref(root);
                free_list(v, n);
                return 0;
        }
        struct pc_table t = {0};
        pc_table_row(&t, "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *repo = NULL, *tag = NULL;
                split_ref(v[i]->ref, &repo, &tag);
                char size[32], created[48], id[13];
                human_size(v[i]->size, size, sizeof(size));
                created_ago(v[i]->created, created, sizeof(created));
                snprintf(id, sizeof(id), "%.12s", v[i]->config_digest + 7);
                pc_table_row(&t, repo, tag, id, created, size);
        }
        pc_table_print(&t);
        free_list(v, n);
        return 0;
}

static void add_images(json_t *used, json_t *containers)
{
        size_t i;
        json_t *c;
        json_array_foreach(containers, i, c)
        {
                _cleanup_free_ char *n =
                    pc_image_normalize(json_string_value(json_object_get(c, "image")));
                if (n)
                        json_object_set_new(used, n, json_true());
        }
}

/* The images of image volumes (a Pod's, as a container's image). */
static void add_volume_images(json_t *used, json_t *volumes)
{
        size_t i;
        json_t *v;
        json_array_foreach(volumes, i, v)
        {
                json_t *ref = json_object_get(json_object_get(v, "image"), "reference");
                _cleanup_free_ char *n =
                    json_is_string(ref) ? pc_image_normalize(json_string_value(ref)) : NULL;
                if (n)
                        json_object_set_new(used, n, json_true());
        }
}

/* The images (by ID) that a Pod whose processes may run uses (its phase is
 * not Succeeded or Failed): id -> "pod/NAME" (-n NAMESPACE when not default). */
static json_t *images_in_use(podctl *ctx, pc_image_store *s, pc_error *err)
{
        json_t *pods = NULL;
        if (podctl_pod_list(ctx, NULL, &pods, err) < 0)
                return NULL;
        json_t *ids = json_object();
        size_t i;
        json_t *p;
        json_array_foreach(pods, i, p)
        {
                const char *phase =
                    json_string_value(json_object_get(json_object_get(p, "status"), "phase"));
                if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")))
                        continue;
                json_t *md = json_object_get(p, "metadata");
                const char *ns = json_string_value(json_object_get(md, "namespace"));
                _cleanup_free_ char *who =
                    pc_xasprintf("pod/%s%s%s", json_string_value(json_object_get(md, "name")),
                                 ns && strcmp(ns, "default") ? " -n " : "",
                                 ns && strcmp(ns, "default") ? ns : "");
                json_t *refs = json_object();
                json_t *spec = json_object_get(p, "spec");
                add_images(refs, json_object_get(spec, "containers"));
                add_images(refs, json_object_get(spec, "initContainers"));
                add_images(refs, json_object_get(spec, "ephemeralContainers"));
                add_volume_images(refs, json_object_get(spec, "volumes"));
                const char *ref;
                json_t *x;
                json_object_foreach(refs, ref, x)
                {
                        struct pc_image *img = NULL;
                        pc_error e2;
                        if (pc_image_get(s, ref, &img, &e2) == 0 &&
                            !json_object_get(ids, img->config_digest))
                                json_object_set_new(ids, img->config_digest, json_string(who));
                        pc_image_free(img);
                }
                json_decref(refs);
        }
        json_decref(pods);
        return ids;
}

/* image rm: an image a live Pod uses stays (its layers are the Pod's
 * containers' root filesystems), as podman refuses one in use. */
static int image_rm(struct pc_cli *cli, int argc, char **argv)
{
        if (argc < 2)
                return pc_cli_fail("usage: podctl image rm NAME|ID...");
        pc_image_store *s = NULL;
        if (open_store(cli, &s))
                return 1;
        pc_error err;
        json_t *used = images_in_use(pc_cli_ctx(cli), s, &err);
        if (!used) {
                pc_image_store_close(s);
                return pc_cli_die(&err);
        }
        int status = 0;
        for (int i = 1; i < argc; i++) {
                struct pc_image *img = NULL;
                if (pc_image_get(s, argv[i], &img, &err) == 0) {
                        const char *who =
                            json_string_value(json_object_get(used, img->config_digest));
                        pc_image_free(img);
                        if (who) {
                                pc_fail(&err, EBUSY,
                                        "image \"%s\" is in use by %s: delete the Pod first",
                                        argv[i], who);
                                status = pc_cli_die(&err);
                                continue;
                        }
                }
                if (pc_image_remove(s, argv[i], &err) < 0) {
                        status = pc_cli_die(&err);
                        continue;
                }
                printf("Deleted: %s\n", argv[i]);
        }
        json_decref(used);
        pc_image_store_close(s);
        return status;
}

/* image prune: remove every image no Pod (of any namespace) refers to, and
 * the leftovers of interrupted downloads. */
static int image_prune(struct pc_cli *cli, int argc, char **argv)
{
        if (argc != 1)
                return pc_cli_fail("usage: podctl image prune");
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        json_t *pods = NULL;
        if (podctl_pod_list(ctx, NULL, &pods, &err) < 0)
                return pc_cli_die(&err);
        json_t *used = json_object();
        size_t i;
        json_t *p;
        json_array_foreach(pods, i, p)
        {
                json_t *spec = json_object_get(p, "spec");
                add_images(used, json_object_get(spec, "containers"));
                add_images(used, json_object_get(spec, "initContainers"));
                add_volume_images(used, json_object_get(spec, "volumes"));
        }
        json_decref(pods);
        pc_image_store *s = NULL;
        if (open_store(cli, &s)) {
                json_decref(used);
                return 1;
        }
        struct pc_image **v = NULL;
        size_t n = 0;
        int status = 0;
        if (pc_image_list(s, &v, &n, &err) < 0)
                status = pc_cli_die(&err);
        for (size_t k = 0; k < n; k++) {
                if (json_object_get(used, v[k]->ref))
                        continue;
                if (pc_image_remove(s, v[k]->ref, &err) < 0) {
                        status = pc_cli_die(&err);
                        continue;
                }
                printf("Deleted: %s\n", v[k]->ref);
        }
        free_list(v, n);
        if (pc_image_pull_clean(s, &err) < 0)
                status = pc_cli_die(&err);
        pc_image_store_close(s);
        json_decref(used);
        return status;
}

static json_t *strv_json(char **v)
{
        json_t *a = json_array();
        for (size_t i = 0; v && v[i]; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

static int image_inspect(struct pc_cli *cli, int argc, char **argv)
{
        if (argc != 2)
                return pc_cli_fail("usage: podctl image inspect NAME|ID");
        pc_image_store *s = NULL;
        if (open_store(cli, &s))
                return 1;
        pc_error err;
        struct pc_image *img = NULL;
        int r = pc_image_get(s, argv[1], &img, &err);
        pc_image_store_close(s);
        if (r < 0)
                return pc_cli_die(&err);
        char created[40];
        pc_format_time(img->created, false, created, sizeof(created));
        json_t *j = json_pack(
            "{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s, s:o, s:I, s:s}", "ref", img->ref, "id",
            img->config_digest, "manifestDigest", img->manifest_digest, "entrypoint",
            strv_json(img->entrypoint), "cmd", strv_json(img->cmd), "env", strv_json(img->env),
            "workingDir", img->working_dir ? img->working_dir : "", "user",
            img->user ? img->user : "", "stopSignal", img->stop_signal ? img->stop_signal : "",
            "layerDirs", strv_json(img->layer_dirs), "size", (json_int_t)img->size, "created",
            created);
        char *out = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
        printf("%s\n", out ? out : "{}");
        free(out);
        json_decref(j);
        pc_image_free(img);
        return 0;
}

int cmd_image(struct pc_cli *cli, int argc, char **argv)
{
        if (argc < 2) {
                usage(stderr);
                return 1;
        }
        const char *verb = argv[1];
        argc--;
        argv++;
        if (!strcmp(verb, "pull"))
                return pc_cli_image_pull(cli, argc, argv);
        if (!strcmp(verb, "pull-for-pod"))
                return pc_cli_image_pull_for_pod(cli, argc, argv);
        if (!strcmp(verb, "load"))
                return image_load(cli, argc, argv);
        if (!strcmp(verb, "import"))
                return image_import(cli, argc, argv);
        if (!strcmp(verb, "ls") || !strcmp(verb, "list"))
                return image_ls(cli, argc, argv);
        if (!strcmp(verb, "rm") || !strcmp(verb, "remove"))
                return image_rm(cli, argc, argv);
        if (!strcmp(verb, "inspect"))
                return image_inspect(cli, argc, argv);
        if (!strcmp(verb, "prune"))
                return image_prune(cli, argc, argv);
        if (!strcmp(verb, "-h") || !strcmp(verb, "--help") || !strcmp(verb, "help")) {
                usage(stdout);
                return 0;
        }
        usage(stderr);
        return pc_cli_fail("unknown image command \"%s\"", verb);
}
