/* podctl image pull REF [--creds USER:PASS] [-q], and the pulls of apply.
 *
 * Progress as docker shows it: on a terminal one line per layer, redrawn in
 * place (bytes, rate); otherwise plain lines, one per layer state change;
 * with -q nothing but the reference at the end. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "state/state.h"
#include "image/registry.h"
#include "util/imageref.h"
#include "util/util.h"

enum row_state { ROW_WAITING, ROW_EXISTS, ROW_OTHER, ROW_DOWNLOADING, ROW_COMPLETE };
static const char *const row_names[] = {"waiting", "exists", "other-pull", "downloading",
                                        "complete"};

struct layer_row {
        char id[13];
        char status[160];
        enum row_state state;
        int64_t done, total;
        int64_t started; /* monotonic ns */
        int64_t last_draw;
};

struct progress {
        bool tty, quiet;
        FILE *out;
        struct layer_row *rows;
        size_t n;
        int64_t start;
        const char *state_file; /* the pull helper's progress for apply, or NULL */
        int64_t last_write;
};

static const char *pc_json_str_cli(json_t *o, const char *k)
{
        json_t *v = json_is_object(o) ? json_object_get(o, k) : NULL;
        return json_is_string(v) ? json_string_value(v) : "";
}

static void fmt_bytes(int64_t n, char *buf, size_t len)
{
        static const char *units[] = {"B", "kB", "MB", "GB", "TB"};
        double v = (double)n;
        size_t u = 0;
        while (v >= 1000.0 && u + 1 < PC_ARRAY_SIZE(units)) {
                v /= 1000.0;
                u++;
        }
        snprintf(buf, len, u ? "%.1f%s" : "%.0f%s", v, units[u]);
}

/* "Downloading [=====>     ] 1.2MB/3.4MB 5.6MB/s" */
static void bar_status(int64_t done, int64_t total, int64_t started, int64_t now, char *buf,
                       size_t len)
{
        char d[32], t[32], rate[32];
        fmt_bytes(done, d, sizeof(d));
        fmt_bytes(total, t, sizeof(t));
        double secs = (double)(now - started) / 1e9;
        fmt_bytes(secs > 0.05 ? (int64_t)((double)done / secs) : 0, rate, sizeof(rate));
        char bar[31];
        int fill = total > 0 ? (int)(30 * done / total) : 30;
        for (int i = 0; i < 30; i++)
                bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
        bar[30] = '\0';
        snprintf(buf, len, "Downloading [%s] %s/%s %s/s", bar, d, t, rate);
}

static void row_text(const struct layer_row *r, int64_t now, char *buf, size_t len)
{
        switch (r->state) {
        case ROW_EXISTS:
                snprintf(buf, len, "Already exists");
                break;
        case ROW_OTHER:
                snprintf(buf, len, "Waiting (another pull is downloading it)");
                break;
        case ROW_DOWNLOADING:
                bar_status(r->done, r->total, r->started, now, buf, len);
                break;
        case ROW_COMPLETE:
                snprintf(buf, len, "Download complete");
                break;
        default:
                snprintf(buf, len, "Waiting");
        }
}

static struct layer_row *row_of(struct progress *p, const char *digest, size_t *idx)
{
        const char *hex = digest && strlen(digest) > 7 ? digest + 7 : "";
        for (size_t i = 0; i < p->n; i++)
                if (!strncmp(p->rows[i].id, hex, 12)) {
                        *idx = i;
                        return &p->rows[i];
                }
        p->rows = pc_xrealloc(p->rows, (p->n + 1) * sizeof(*p->rows));
        struct layer_row *r = &p->rows[p->n];
        memset(r, 0, sizeof(*r));
        snprintf(r->id, sizeof(r->id), "%.12s", hex);
        *idx = p->n++;
        if (p->tty && !p->quiet)
                fprintf(p->out, "%s: Waiting\n", r->id); /* its line */
        return r;
}

static void draw(struct progress *p, size_t idx)
{
        struct layer_row *r = &p->rows[idx];
        if (p->tty) {
                size_t up = p->n - idx;
                fprintf(p->out, "\033[%zuA\r\033[2K%s: %s\033[%zuB\r", up, r->id, r->status, up);
        } else {
                fprintf(p->out, "%s: %s\n", r->id, r->status);
        }
        fflush(p->out);
}

/* The helper's progress file: {"finished": b, "layers": [{id, state, done,
 * total, started}]}, replaced at most every 200 ms (and at every change of
 * state), read by apply on a terminal. */
static void write_state(struct progress *p, bool finished, bool force)
{
        int64_t now = pc_monotonic_ns();
        if (!p->state_file || (!force && now - p->last_write < 200000000LL))
                return;
        p->last_write = now;
        json_t *layers = json_array();
        for (size_t i = 0; i < p->n; i++)
                json_array_append_new(layers,
                                      json_pack("{s:s, s:s, s:I, s:I, s:I}", "id", p->rows[i].id,
                                                "state", row_names[p->rows[i].state], "done",
                                                (json_int_t)p->rows[i].done, "total",
                                                (json_int_t)p->rows[i].total, "started",
                                                (json_int_t)p->rows[i].started));
        json_t *j = json_pack("{s:b, s:o}", "finished", finished, "layers", layers);
        char *text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        pc_error e;
        if (text)
                pc_replace_file(p->state_file, text, strlen(text), 0600, &e);
        free(text);
}

static void on_progress(void *data, const struct pc_pull_event *ev)
{
        struct progress *p = data;
        size_t idx;
        struct layer_row *r;
        int64_t now = pc_monotonic_ns();
        switch (ev->kind) {
        case PC_PULL_RESOLVED:
        case PC_PULL_DONE:
                return;
        case PC_PULL_UNPACKING:
                write_state(p, false, true);
                if (!p->tty && !p->quiet)
                        fprintf(p->out, "Unpacking layers\n");
                return;
        case PC_PULL_LAYER_EXISTS:
                r = row_of(p, ev->id, &idx);
                r->state = ROW_EXISTS;
                break;
        case PC_PULL_LAYER_WAITING:
                r = row_of(p, ev->id, &idx);
                r->state = ROW_OTHER;
                break;
        case PC_PULL_LAYER_PROGRESS: {
                r = row_of(p, ev->id, &idx);
                bool first = r->state != ROW_DOWNLOADING;
                if (first) {
                        r->state = ROW_DOWNLOADING;
                        r->started = now;
                }
                r->done = ev->done;
                r->total = ev->total;
                write_state(p, false, first);
                if (p->quiet)
                        return;
                if (!p->tty) {
                        if (!first)
                                return; /* plain output: one line when it starts */
                        char t[32];
                        fmt_bytes(ev->total, t, sizeof(t));
                        snprintf(r->status, sizeof(r->status), "Downloading (%s)", t);
                        draw(p, idx);
                        return;
                }
                if (!first && now - r->last_draw < 100000000LL && ev->done != ev->total)
                        return;
                r->last_draw = now;
                row_text(r, now, r->status, sizeof(r->status));
                draw(p, idx);
                return;
        }
        case PC_PULL_LAYER_DONE:
                r = row_of(p, ev->id, &idx);
                r->state = ROW_COMPLETE;
                r->done = r->total = ev->total;
                break;
        default:
                return;
        }
        write_state(p, false, true);
        if (p->quiet)
                return;
        row_text(r, now, r->status, sizeof(r->status));
        draw(p, idx);
}

static int pull(struct pc_cli *cli, const char *ref, const char *user, const char *pass,
                json_t *auths, bool quiet, const char *state_file, struct pc_pull_result *res,
                pc_error *err)
{
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return pc_fail(err, 0, "cannot open the podctl root");
        pc_image_store *s = NULL;
        if (pc_image_store_open(podctl_root_dir(ctx), &s, err) < 0)
                return -1;
        struct progress p = {.tty = isatty(1),
                             .quiet = quiet,
                             .out = stdout,
                             .start = pc_monotonic_ns(),
                             .state_file = state_file};
        struct pc_pull_opts o = {.root = podctl_root_dir(ctx),
                                 .user = user,
                                 .pass = pass,
                                 .auths = auths,
                                 .progress = on_progress,
                                 .progress_data = &p};
        _cleanup_free_ char *norm = pc_image_normalize(ref);
        if (!quiet)
                printf("Pulling %s\n", norm ? norm : ref);
        fflush(stdout);
        int r = pc_image_pull(s, ref, &o, res, err);
        pc_image_store_close(s);
        write_state(&p, true, true);
        free(p.rows);
        if (r < 0)
                return -1;
        if (!quiet) {
                printf("Digest: %s\n", res->manifest_digest);
                printf("Status: %s %s\n",
                       res->downloaded ? "Downloaded newer image for" : "Image is up to date for",
                       res->ref);
        }
        return 0;
}

int pc_cli_pull(struct pc_cli *cli, const char *ref, const char *user, const char *pass,
                json_t *auths, bool quiet, struct pc_pull_result *res, pc_error *err)
{
        return pull(cli, ref, user, pass, auths, quiet, NULL, res, err);
}

int pc_cli_image_pull(struct pc_cli *cli, int argc, char **argv)
{
        static const struct option opts[] = {{"creds", required_argument, NULL, 'c'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
        static const char use[] =
            "usage: podctl image pull NAME[:TAG|@DIGEST] [--creds USER:PASS] [-q]";
        _cleanup_free_ char *creds = NULL;
        bool quiet = false;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        free(creds);
                        creds = pc_xstrdup(optarg);
                        /* keep it out of /proc/<pid>/cmdline as far as we can */
                        explicit_bzero(optarg, strlen(optarg));
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'h':
                        puts(use);
                        return 0;
                default:
                        return pc_cli_fail("%s", use);
                }
        }
        if (optind + 1 != argc)
                return pc_cli_fail("%s", use);
        const char *user = NULL, *pass = NULL;
        if (creds) {
                char *colon = strchr(creds, ':');
                if (!colon || colon == creds)
                        return pc_cli_fail("--creds must be USER:PASSWORD");
                *colon = '\0';
                user = creds;
                pass = colon + 1;
        }
        struct pc_pull_result res;
        pc_error err;
        int r = pc_cli_pull(cli, argv[optind], user, pass, NULL, quiet, &res, &err);
        if (creds)
                explicit_bzero(creds, strlen(creds) + (pass ? strlen(pass) + 1 : 0));
        if (r < 0)
                return pc_cli_die(&err);
        printf("%s\n", res.ref);
        pc_pull_result_clear(&res);
        return 0;
}

/* The "auths" of the Pod's imagePullSecrets (stored Secrets: apply stores a
 * manifest's Secrets before its Pods). A missing or unusable Secret is a
 * warning and the pull goes on without it, as the kubelet does. */
static json_t *pull_secret_auths(podctl *ctx, const struct pc_pod *p)
{
        json_t *auths = json_object();
        size_t i;
        json_t *ref;
        json_array_foreach(json_object_get(json_object_get(p->json, "spec"), "imagePullSecrets"), i,
                           ref)
        {
                const char *name = json_string_value(json_object_get(ref, "name"));
                if (!name || !*name)
                        continue;
                _cleanup_free_ char *objs = pc_xasprintf("%s/objects", podctl_root_dir(ctx));
                _cleanup_free_ char *path = pc_object_path(objs, p->namespace_, name, true);
                _cleanup_free_ char *data = NULL;
                size_t n = 0;
                pc_error e;
                json_t *j = NULL;
                struct pc_configmap cm;
                memset(&cm, 0, sizeof(cm));
                if (pc_read_file(path, &data, &n, &e) < 0 || !(j = json_loadb(data, n, 0, NULL)) ||
                    pc_configmap_from_json(j, &cm, &e) < 0 || !cm.secret) {
                        fprintf(stderr,
                                "Warning: pod/%s: unable to retrieve pull secret %s/%s for "
                                "the image pull; trying without it\n",
                                p->name, p->namespace_, name);
                        json_decref(j);
                        pc_configmap_free(&cm);
                        continue;
                }
                const char *type = json_string_value(json_object_get(j, "type"));
                const char *key = !type ? NULL
                                  : !strcmp(type, "kubernetes.io/dockerconfigjson")
                                      ? ".dockerconfigjson"
                                  : !strcmp(type, "kubernetes.io/dockercfg") ? ".dockercfg"
                                                                             : NULL;
                bool found = false;
                for (size_t k = 0; key && k < cm.n_data; k++) {
                        if (strcmp(cm.data[k].name, key) != 0)
                                continue;
                        found = true;
                        if (pc_reg_auths_add_secret(auths, type, cm.data[k].value, cm.len[k], &e) <
                            0)
                                fprintf(stderr, "Warning: pod/%s: pull secret %s: %s\n", p->name,
                                        name, e.msg);
                }
                if (!found)
                        fprintf(stderr,
                                "Warning: pod/%s: pull secret %s is not of type "
                                "kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg with "
                                "its key; ignored\n",
                                p->name, name);
                pc_configmap_free(&cm);
                json_decref(j);
        }
        return auths;
}

/* The image pull-for-pod pulls: a container's, or an image volume's. */
static const char *pod_image(struct pc_pod *pod, const char *ctr, const char *vol)
{
        if (ctr) {
                struct pc_container *c = pc_pod_find_container(pod, ctr);
                return c ? c->image : NULL;
        }
        for (size_t i = 0; i < pod->n_volumes; i++)
                if (pod->volumes[i].kind == PC_VOL_IMAGE && !strcmp(pod->volumes[i].name, vol))
                        return pod->volumes[i].image_ref;
        return NULL;
}

/* podctl image pull-for-pod --pod-dir DIR --container NAME|--volume NAME
 * --out FILE (hidden): the helper a Pod's monitor runs to pull a container's
 * image, or an image volume's, with the Pod's imagePullSecrets; the resolved
 * image record goes to FILE. */
int pc_cli_image_pull_for_pod(struct pc_cli *cli, int argc, char **argv)
{
        const char *dir = NULL, *name = NULL, *vol = NULL, *out = NULL, *progress = NULL, *v;
        for (int i = 1; i < argc; i++) {
                if ((v = pc_cli_flag(argc, argv, &i, "--pod-dir")))
                        dir = v;
                else if ((v = pc_cli_flag(argc, argv, &i, "--container")))
                        name = v;
                else if ((v = pc_cli_flag(argc, argv, &i, "--volume")))
                        vol = v;
                else if ((v = pc_cli_flag(argc, argv, &i, "--out")))
                        out = v;
                else if ((v = pc_cli_flag(argc, argv, &i, "--progress")))
                        progress = v;
                else
                        return pc_cli_fail("unknown argument \"%s\"", argv[i]);
        }
        if (!dir || !name == !vol || !out)
                return pc_cli_fail("usage: podctl image pull-for-pod --pod-dir DIR --container "
                                   "NAME|--volume NAME --out FILE");
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        _cleanup_free_ char *podp = pc_xasprintf("%s/pod.json", dir);
        _cleanup_free_ char *data = NULL;
        size_t n = 0;
        json_t *j = NULL;
        struct pc_pod pod;
        memset(&pod, 0, sizeof(pod));
        if (pc_read_file(podp, &data, &n, &err) < 0)
                return pc_cli_die(&err);
        if (!(j = json_loadb(data, n, 0, NULL)))
                return pc_cli_fail("%s: not JSON", podp);
        int r = pc_pod_from_json(j, &pod, &err);
        json_decref(j);
        if (r < 0)
                return pc_cli_die(&err);
        const char *image = pod_image(&pod, name, vol);
        if (!image) {
                pc_pod_free(&pod);
                return pc_cli_fail("no %s \"%s\" in %s", name ? "container" : "image volume",
                                   name ? name : vol, podp);
        }
        json_t *auths = pull_secret_auths(ctx, &pod);
        struct pc_pull_result res;
        r = pull(cli, image, NULL, NULL, auths, false, progress, &res, &err);
        json_decref(auths);
        pc_image_store *s = NULL;
        struct pc_image *img = NULL;
        if (r == 0) {
                pc_pull_result_clear(&res);
                r = pc_image_store_open(podctl_root_dir(ctx), &s, &err);
        }
        if (r == 0)
                r = pc_image_get(s, image, &img, &err);
        pc_image_store_close(s);
        pc_pod_free(&pod);
        if (r < 0)
                return pc_cli_die(&err);
        json_t *rec = pc_image_to_json(img);
        pc_image_free(img);
        char *text = json_dumps(rec, JSON_COMPACT);
        json_decref(rec);
        r = text ? pc_write_file_atomic(out, text, strlen(text), 0600, &err) : -1;
        if (!text)
                pc_fail(&err, ENOMEM, "encode the image record");
        free(text);
        if (r < 0)
                return pc_cli_die(&err);
        return 0;
}

/* A line per container being pulled, and per layer under it, from the
 * helpers' progress files; NULL-terminated, *all_done when none is pulling. */
static char **pull_lines(podctl *ctx, const char *dir, json_t *names, json_t *pod, bool *all_done)
{
        char **lines = NULL;
        int64_t now = pc_monotonic_ns();
        *all_done = true;
        json_t *statuses = json_object_get(json_object_get(pod, "status"), "containerStatuses");
        json_t *inits = json_object_get(json_object_get(pod, "status"), "initContainerStatuses");
        size_t i;
        json_t *nm;
        json_array_foreach(names, i, nm)
        {
                const char *name = json_string_value(nm);
                json_t *st = NULL, *x;
                size_t k;
                json_array_foreach(statuses, k, x) if (!strcmp(pc_json_str_cli(x, "name"), name))
                    st = x;
                json_array_foreach(inits, k, x) if (!strcmp(pc_json_str_cli(x, "name"), name)) st =
                    x;
                json_t *waiting = json_object_get(json_object_get(st, "state"), "waiting");
                const char *reason = pc_json_str_cli(waiting, "reason");
                const char *image = pc_json_str_cli(st, "image");
                _cleanup_free_ char *pp = pc_xasprintf("%s/pull-%s.progress", dir, name);
                _cleanup_free_ char *data = NULL;
                size_t n = 0;
                pc_error e;
                json_t *prog = NULL;
                if (pc_read_file(pp, &data, &n, &e) == 0)
                        prog = json_loadb(data, n, 0, NULL);
                bool finished = json_is_true(json_object_get(prog, "finished"));
                bool pulling = !finished && waiting &&
                               (!strcmp(reason, "ContainerCreating") ||
                                (prog && !strcmp(reason, "PodInitializing")));
                if (pulling) {
                        *all_done = false;
                        _cleanup_free_ char *h =
                            pc_xasprintf("%s: Pulling image \"%s\"", name, image);
                        pc_strv_push(&lines, h);
                        json_t *l;
                        json_array_foreach(json_object_get(prog, "layers"), k, l)
                        {
                                struct layer_row r;
                                memset(&r, 0, sizeof(r));
                                const char *stn = pc_json_str_cli(l, "state");
                                for (size_t q = 0; q < PC_ARRAY_SIZE(row_names); q++)
                                        if (!strcmp(stn, row_names[q]))
                                                r.state = (enum row_state)q;
                                r.done = json_integer_value(json_object_get(l, "done"));
                                r.total = json_integer_value(json_object_get(l, "total"));
                                r.started = json_integer_value(json_object_get(l, "started"));
                                char text[160];
                                row_text(&r, now, text, sizeof(text));
                                _cleanup_free_ char *line =
                                    pc_xasprintf("  %s: %s", pc_json_str_cli(l, "id"), text);
                                pc_strv_push(&lines, line);
                        }
                } else if (waiting && strcmp(reason, "ContainerCreating") != 0 &&
                           strcmp(reason, "PodInitializing") != 0) {
                        _cleanup_free_ char *h = pc_xasprintf("%s: %s: %s", name, reason,
                                                              pc_json_str_cli(waiting, "message"));
                        pc_strv_push(&lines, h);
                } else {
                        _cleanup_free_ char *h =
                            pc_xasprintf("%s: Pulled image \"%s\"", name, image);
                        pc_strv_push(&lines, h);
                }
                json_decref(prog);
        }
        (void)ctx;
        if (!lines)
                lines = pc_xcalloc(1, sizeof(char *));
        return lines;
}

void pc_cli_follow_pulls(struct pc_cli *cli, const struct pc_pod *p)
{
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx || !isatty(1))
                return;
        _cleanup_free_ char *dir =
            pc_xasprintf("%s/pods/%s_%s", podctl_root_dir(ctx), p->namespace_, p->name);
        _cleanup_free_ char *ip = pc_xasprintf("%s/images.json", dir);
        _cleanup_free_ char *data = NULL;
        size_t n = 0;
        pc_error err;
        if (pc_read_file(ip, &data, &n, &err) < 0)
                return;
        json_t *images = json_loadb(data, n, 0, NULL);
        json_t *names = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(images, k, v)
        {
                json_t *pull = json_object_get(v, "pull");
                if (pull && !json_is_true(json_object_get(pull, "never")))
                        json_array_append_new(names, json_string(k));
        }
        json_decref(images);
        size_t drawn = 0;
        while (json_array_size(names)) {
                json_t *pod = NULL;
                if (podctl_pod_get(ctx, p->namespace_, p->name, &pod, &err) < 0)
                        break;
                bool done = false;
                char **lines = pull_lines(ctx, dir, names, pod, &done);
                json_decref(pod);
                if (drawn)
                        printf("\033[%zuA\r\033[J", drawn);
                for (drawn = 0; lines[drawn]; drawn++)
                        printf("%s\n", lines[drawn]);
                fflush(stdout);
                pc_strv_free(lines);
                if (done)
                        break;
                usleep(200000);
        }
        json_decref(names);
}
