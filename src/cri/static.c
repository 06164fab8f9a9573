/* Static Pods from a manifest directory, as the kubelet's file source
 * (pkg/kubelet/config/file*.go) runs them. See static.h. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cri/static.h"
#include "podctl/podctl.h"
#include "util/cleanup.h"
#include "util/util.h"

#define SRC_ANN  "kubernetes.io/config.source"
#define HASH_ANN "kubernetes.io/config.hash"
#define FILE_ANN "podctl.io/config.file"
#define WATCH_MASK                                                                                 \
        (IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF |               \
         IN_MOVE_SELF | IN_ONLYDIR)
#define CREATE_WAIT_MS 60000 /* as apply's default --wait-timeout */

struct seen {
        char *path;
        char hash[33];
};

struct pc_static {
        char *root, *log_dir, *dir, *node;
        int fd;            /* inotify */
        int wd;            /* the directory's watch, -1 while it is not watched */
        struct seen *seen; /* the content each file had when last looked at */
        size_t n_seen;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
        char ts[40];
        pc_format_time(pc_now_ns(), false, ts, sizeof(ts));
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = NULL;
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        fprintf(stderr, "%s static pods: %s\n", ts, msg ? msg : fmt);
        fflush(stderr);
}

char *pc_static_pod_name(const char *name, const char *node)
{
        char *n = pc_xasprintf("%s-%s", name, node);
        if (!pc_is_dns1123_subdomain(n)) {
                free(n);
                return NULL;
        }
        return n;
}

/* The kubelet's file source reads every file; podctl the manifest
 * extensions only (an editor's backup or a README in the directory is not
 * a Pod). Hidden files are ignored by both. */
static bool is_manifest_name(const char *n)
{
        return n[0] != '.' && (pc_str_has_suffix(n, ".yaml") || pc_str_has_suffix(n, ".yml") ||
                               pc_str_has_suffix(n, ".json"));
}

static void hash_hex(const char *data, size_t len, char out[33])
{
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1)
                n = 0;
        for (unsigned int i = 0; i < 16 && i < n; i++)
                snprintf(out + 2 * i, 3, "%02x", md[i]);
        out[n >= 16 ? 32 : 0] = '\0';
}

static const char *ann(json_t *pod, const char *key)
{
        json_t *a = json_object_get(json_object_get(pod, "metadata"), "annotations");
        return json_string_value(json_object_get(a, key));
}

static const char *meta_str(json_t *pod, const char *key)
{
        return json_string_value(json_object_get(json_object_get(pod, "metadata"), key));
}

/* Was this Pod made from a manifest file (of any directory)? */
static const char *static_file_of(json_t *pod)
{
        const char *src = ann(pod, SRC_ANN);
        return src && !strcmp(src, "file") ? ann(pod, FILE_ANN) : NULL;
}

static json_t *find_pod(json_t *pods, const char *ns, const char *name)
{
        size_t i;
        json_t *p;
        json_array_foreach(pods, i, p)
        {
                const char *pns = meta_str(p, "namespace"), *pn = meta_str(p, "name");
                if (pns && pn && !strcmp(pns, ns) && !strcmp(pn, name))
                        return p;
        }
        return NULL;
}

static struct seen *seen_get(struct pc_static *s, const char *path)
{
        for (size_t i = 0; i < s->n_seen; i++)
                if (!strcmp(s->seen[i].path, path))
                        return &s->seen[i];
        s->seen = pc_xrealloc(s->seen, (s->n_seen + 1) * sizeof(*s->seen));
        struct seen *e = &s->seen[s->n_seen++];
        e->path = pc_xstrdup(path);
        e->hash[0] = '\0';
        return e;
}

static void delete_pod(podctl *ctx, json_t *pod, const char *why)
{
        const char *ns = meta_str(pod, "namespace"), *name = meta_str(pod, "name");
        pc_error err;
        if (podctl_pod_delete(ctx, ns, name, -1, &err) < 0 && err.code != ENOENT)
                say("pod %s/%s: delete failed: %s", ns, name, err.msg);
        else
                say("pod %s/%s deleted (%s)", ns, name, why);
}

/* Make the Pod a static Pod of `path` (name, annotations, nodeName as the
 * kubelet sets them). */
static void mark(struct pc_pod *p, const char *name, const char *path, const char *hash,
                 const char *node)
{
        json_t *meta = json_object_get(p->json, "metadata");
        json_object_set_new(meta, "name", json_string(name));
        json_t *a = json_object_get(meta, "annotations");
        if (!json_is_object(a)) {
                a = json_object();
                json_object_set_new(meta, "annotations", a);
        }
        json_object_set_new(a, SRC_ANN, json_string("file"));
        json_object_set_new(a, HASH_ANN, json_string(hash));
        json_object_set_new(a, FILE_ANN, json_string(path));
        json_object_set_new(json_object_get(p->json, "spec"), "nodeName", json_string(node));
        free(p->name);
        p->name = pc_xstrdup(name);
}

/* One file whose content changed (or is seen for the first time). */
static void apply_file(struct pc_static *s, podctl *ctx, json_t *pods, const char *path,
                       const char *text, size_t len, const char *hash)
{
        struct pc_check_opts opts = {.strict = true};
        struct pc_manifest m;
        pc_error err;
        int r = pc_manifest_load(path, text, len, &opts, &m, &err);
        for (size_t i = 0; i < m.diags.n; i++) {
                _cleanup_free_ char *line = pc_diag_format(&m.diags.v[i]);
                say("%s: %s", m.diags.v[i].level == PC_DIAG_ERROR ? "error" : "warning", line);
        }
        if (r < 0) {
                say("%s not applied: %s; its Pods (if any) are left as they are", path, err.msg);
                pc_manifest_free(&m);
                return;
        }
        /* Every check first: a file is applied whole or not at all. */
        char **names = pc_xcalloc(m.n_pods + 1, sizeof(char *));
        bool ok = true, unchanged = true;
        for (size_t i = 0; i < m.n_pods && ok; i++) {
                struct pc_pod *p = &m.pods[i];
                names[i] = pc_static_pod_name(p->name, s->node);
                if (!names[i]) {
                        say("%s not applied: pod \"%s\": its static Pod name \"%s-%s\" is not a "
                            "valid name (a DNS subdomain of at most 253 characters)",
                            path, p->name, p->name, s->node);
                        ok = false;
                        break;
                }
                json_t *have = find_pod(pods, p->namespace_, names[i]);
                const char *owner = have ? static_file_of(have) : NULL;
                if (have && (!owner || strcmp(owner, path))) {
                        say("%s not applied: pod %s/%s exists and is not this file's static Pod "
                            "(%s); it is left alone",
                            path, p->namespace_, names[i],
                            owner ? owner : "applied by hand or by another client");
                        ok = false;
                }
                const char *h = have ? ann(have, HASH_ANN) : NULL;
                if (!have || !h || strcmp(h, hash))
                        unchanged = false;
        }
        /* Pods this file made before and no longer names. */
        size_t i;
        json_t *p;
        json_array_foreach(pods, i, p)
        {
                const char *owner = static_file_of(p);
                if (!ok || !owner || strcmp(owner, path))
                        continue;
                bool named = false;
                for (size_t k = 0; k < m.n_pods && names[k]; k++)
                        named |= !strcmp(names[k], meta_str(p, "name")) &&
                                 !strcmp(m.pods[k].namespace_, meta_str(p, "namespace"));
                if (!named)
                        unchanged = false;
        }
        if (ok && unchanged && m.n_pods > 0) {
                say("%s: unchanged (hash %s), its Pods stay", path, hash);
                ok = false; /* nothing to do */
        }
        if (ok) {
                /* A changed file: its old Pods go first, as the kubelet deletes
                 * a changed static Pod and creates the new one. */
                json_array_foreach(pods, i, p)
                {
                        const char *owner = static_file_of(p);
                        if (owner && !strcmp(owner, path))
                                delete_pod(ctx, p, "its manifest file changed");
                }
                for (size_t k = 0; k < m.n_configmaps; k++) {
                        struct pc_configmap *o = &m.configmaps[k];
                        if (podctl_object_put(ctx, o, &err) < 0)
                                say("%s: %s/%s: %s", path, o->secret ? "secret" : "configmap",
                                    o->name, err.msg);
                        else
                                say("%s/%s/%s configured (%s)", o->secret ? "secret" : "configmap",
                                    o->namespace_, o->name, path);
                }
                for (size_t k = 0; k < m.n_pods; k++) {
                        struct pc_pod *pp = &m.pods[k];
                        mark(pp, names[k], path, hash, s->node);
                        char **errors = NULL;
                        if (podctl_pod_create(ctx, pp, CREATE_WAIT_MS, &errors, &err) < 0) {
                                say("pod %s/%s: create failed: %s", pp->namespace_, pp->name,
                                    err.msg);
                                continue;
                        }
                        say("pod %s/%s created (uid %s) from %s", pp->namespace_, pp->name,
                            pp->uid ? pp->uid : "?", path);
                        for (size_t e = 0; errors && errors[e]; e++)
                                say("pod %s/%s: %s", pp->namespace_, pp->name, errors[e]);
                        pc_strv_free(errors);
                }
        }
        pc_strv_free(names);
        pc_manifest_free(&m);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The manifest files of the directory, sorted (full paths). */
static char **list_files(const char *dir, pc_error *err)
{
        DIR *d = opendir(dir);
        if (!d) {
                pc_fail(err, errno, "open %s", dir);
                return NULL;
        }
        char **v = pc_xcalloc(1, sizeof(char *));
        struct dirent *e;
        while ((e = readdir(d))) {
                if (!is_manifest_name(e->d_name))
                        continue;
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", dir, e->d_name);
                struct stat st;
                if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
                        pc_strv_push(&v, p);
        }
        closedir(d);
        qsort(v, pc_strv_len(v), sizeof(char *), cmp_str);
        return v;
}

static void reconcile(struct pc_static *s)
{
        pc_error err;
        _cleanup_strv_ char **files = list_files(s->dir, &err);
        if (!files) {
                say("%s: static Pods are left as they are", err.msg);
                return;
        }
        podctl *ctx = NULL;
        json_t *pods = NULL;
        if (podctl_open(s->root, s->log_dir, &ctx, &err) < 0 ||
            podctl_pod_list(ctx, NULL, &pods, &err) < 0) {
                say("%s", err.msg);
                podctl_close(ctx);
                return;
        }
        for (size_t i = 0; files[i]; i++) {
                _cleanup_free_ char *text = NULL;
                size_t len = 0;
                if (pc_read_file_max(files[i], PC_MANIFEST_MAX_BYTES, &text, &len, &err) < 0) {
                        say("%s not applied: %s", files[i], err.msg);
                        continue;
                }
                char hash[33];
                hash_hex(text, len, hash);
                struct seen *e = seen_get(s, files[i]);
                if (!strcmp(e->hash, hash))
                        continue; /* as it was when last looked at */
                memcpy(e->hash, hash, sizeof(hash));
                apply_file(s, ctx, pods, files[i], text, len, hash);
        }
        /* Static Pods whose file is gone (from this directory, or of another
         * one: the kubelet runs the Pods of its staticPodPath only). */
        size_t i;
        json_t *p;
        json_array_foreach(pods, i, p)
        {
                const char *owner = static_file_of(p);
                if (!owner)
                        continue;
                bool there = false;
                for (size_t k = 0; files[k] && !there; k++)
                        there = !strcmp(files[k], owner);
                if (!there)
                        delete_pod(ctx, p, "its manifest file is gone");
        }
        /* Forget files that are gone (a file made again is new). */
        size_t w = 0;
        for (size_t k = 0; k < s->n_seen; k++) {
                bool there = false;
                for (size_t f = 0; files[f] && !there; f++)
                        there = !strcmp(files[f], s->seen[k].path);
                if (there)
                        s->seen[w++] = s->seen[k];
                else
                        free(s->seen[k].path);
        }
        s->n_seen = w;
        json_decref(pods);
        podctl_close(ctx);
}

static void watch_dir(struct pc_static *s, bool quiet)
{
        s->wd = inotify_add_watch(s->fd, s->dir, WATCH_MASK);
        if (s->wd < 0) {
                if (!quiet)
                        say("cannot watch %s: %s; looking for it again periodically", s->dir,
                            strerror(errno));
                return;
        }
        say("watching %s (node name %s)", s->dir, s->node);
        reconcile(s);
}

int pc_static_open(const char *root, const char *log_dir, const char *dir, const char *node,
                   struct pc_static **out, pc_error *err)
{
        if (!dir || dir[0] != '/')
                return pc_fail(err, 0, "--manifests %s: must be an absolute path", dir ? dir : "");
        struct pc_static *s = pc_xcalloc(1, sizeof(*s));
        s->root = pc_xstrdup(root);
        s->log_dir = pc_xstrdup(log_dir);
        s->dir = pc_xstrdup(dir);
        size_t n = strlen(s->dir);
        while (n > 1 && s->dir[n - 1] == '/')
                s->dir[--n] = '\0';
        char host[256] = "";
        if (!node || !*node) {
                if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
                        snprintf(host, sizeof(host), "localhost");
                for (char *c = host; *c; c++)
                        *c = (char)tolower((unsigned char)*c);
                node = host;
        }
        s->node = pc_xstrdup(node);
        s->wd = -1;
        s->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (s->fd < 0) {
                int e = errno;
                pc_static_close(s);
                return pc_fail(err, e, "inotify");
        }
        watch_dir(s, false);
        *out = s;
        return 0;
}

int pc_static_fd(const struct pc_static *s)
{
        return s->fd;
}

void pc_static_sync(struct pc_static *s)
{
        char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool any = false;
        for (;;) {
                ssize_t n = read(s->fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                for (char *q = buf; q < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *)q;
                        if (ev->wd == s->wd && (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF |
                                                            IN_IGNORED | IN_UNMOUNT))) {
                                if (s->wd >= 0) {
                                        inotify_rm_watch(s->fd, s->wd);
                                        say("%s is gone: static Pods are left as they are; "
                                            "looking for it again periodically",
                                            s->dir);
                                }
                                s->wd = -1;
                        } else if (ev->len && is_manifest_name(ev->name)) {
                                any = true;
                        } else if (ev->mask & IN_Q_OVERFLOW) {
                                any = true;
                        }
                        q += sizeof(*ev) + ev->len;
                }
        }
        if (any && s->wd >= 0)
                reconcile(s);
}

void pc_static_tick(struct pc_static *s)
{
        if (s->wd < 0)
                watch_dir(s, true);
}

void pc_static_close(struct pc_static *s)
{
        if (!s)
                return;
        if (s->fd >= 0)
                close(s->fd);
        for (size_t i = 0; i < s->n_seen; i++)
                free(s->seen[i].path);
        free(s->seen);
        free(s->root);
        free(s->log_dir);
        free(s->dir);
        free(s->node);
        free(s);
}
