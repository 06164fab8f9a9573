/* The node's books: what Pods that exist have requested, admission of a new
 * Pod against allocatable, and the Node object `describe node` shows. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pod/internal.h"
#include "util/util.h"

static bool host_ip_overlap(const char *a, const char *b)
{
        bool any_a = !a || !*a || !strcmp(a, "0.0.0.0") || !strcmp(a, "::");
        bool any_b = !b || !*b || !strcmp(b, "0.0.0.0") || !strcmp(b, "::");
        return any_a || any_b || !strcmp(a, b);
}

static int host_port_error(pc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int host_port_error(pc_error *err, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        err->code = EADDRINUSE;
        return -1;
}

/* What the books need of a Pod that holds resources. All of it comes from
 * the Pod's spec and metadata; of what an update changes (src/pod/update.c)
 * only an in-place resize (src/pod/resize.c) changes the books: it writes a
 * new pod.json, so books.json no longer names it and is made again. */
struct held_port {
        int32_t host_port; /* > 0 */
        char *protocol;    /* NULL: TCP */
        char *host_ip;
};

struct held {
        char *ns, *name;
        json_t *created; /* metadata.creationTimestamp, or NULL */
        struct pc_pod_resources req, lim;
        size_t n_ports;
        struct held_port *ports;
};

static void held_free(struct held *h)
{
        free(h->ns);
        free(h->name);
        json_decref(h->created);
        for (size_t i = 0; i < h->n_ports; i++) {
                free(h->ports[i].protocol);
                free(h->ports[i].host_ip);
        }
        free(h->ports);
        memset(h, 0, sizeof(*h));
}

static void held_add_port(struct held *h, int32_t port, const char *protocol, const char *host_ip)
{
        h->ports = pc_xrealloc(h->ports, (h->n_ports + 1) * sizeof(*h->ports));
        h->ports[h->n_ports++] = (struct held_port){
            .host_port = port,
            .protocol = protocol ? pc_xstrdup(protocol) : NULL,
            .host_ip = host_ip ? pc_xstrdup(host_ip) : NULL,
        };
}

static int port_taken(const struct held *other, const struct pc_port *want, pc_error *err)
{
        if (want->host_port <= 0)
                return 0;
        for (size_t i = 0; i < other->n_ports; i++) {
                const struct held_port *h = &other->ports[i];
                if (h->host_port == want->host_port &&
                    !strcasecmp(h->protocol ? h->protocol : "TCP",
                                want->protocol ? want->protocol : "TCP") &&
                    host_ip_overlap(h->host_ip, want->host_ip))
                        return host_port_error(err,
                                               "hostPort %d/%s is already used by pod "
                                               "%s/%s (node(s) didn't have free ports for "
                                               "the requested pod ports)",
                                               want->host_port,
                                               want->protocol ? want->protocol : "TCP", other->ns,
                                               other->name);
        }
        return 0;
}

static void limits_of(const struct pc_pod *p, struct pc_pod_resources *lim)
{
        memset(lim, 0, sizeof(*lim));
        for (size_t i = 0; i < p->n_containers; i++) {
                if (p->containers[i].resources.cpu_limit > 0)
                        lim->cpu_m += p->containers[i].resources.cpu_limit;
                if (p->containers[i].resources.memory_limit > 0)
                        lim->memory += p->containers[i].resources.memory_limit;
        }
        /* Pod-level limits, where set, are the Pod's */
        if (p->resources.cpu_limit >= 0)
                lim->cpu_m = p->resources.cpu_limit;
        if (p->resources.memory_limit >= 0)
                lim->memory = p->resources.memory_limit;
}

/* A Pod holds its reservation from creation until it has terminated for good
 * (Succeeded/Failed) or is deleted: reservations belong to Pods that exist.
 * Only status.phase is needed, so the common file is not parsed whole: the
 * monitor writes status.json with pc_json_save (2-space indent, keys in
 * order), which begins with status and its phase. Anything else (another
 * layout, an escape in the phase, a file not ending as an object does) is
 * parsed whole, as before. No status.json, or no phase: holds. */
static const char STATUS_PREFIX[] = "{\n  \"status\": {\n    \"phase\": \"";

bool pc_node_status_holds(const char *buf, size_t len)
{
        size_t pl = sizeof(STATUS_PREFIX) - 1;
        size_t end = len;
        while (end > 0 && strchr(" \t\r\n", buf[end - 1]))
                end--;
        if (len > pl && end > 0 && buf[end - 1] == '}' && !memcmp(buf, STATUS_PREFIX, pl)) {
                size_t i = pl;
                while (i < len &&
                       ((buf[i] >= 'A' && buf[i] <= 'Z') || (buf[i] >= 'a' && buf[i] <= 'z')))
                        i++;
                if (i < len && buf[i] == '"') {
                        const char *ph = buf + pl;
                        size_t n = i - pl;
                        return !((n == 9 && !memcmp(ph, "Succeeded", 9)) ||
                                 (n == 6 && !memcmp(ph, "Failed", 6)));
                }
        }
        json_error_t je;
        json_t *s = json_loadb(buf, len, 0, &je);
        const char *phase =
            json_string_value(json_object_get(json_object_get(s, "status"), "phase"));
        bool holds = !(phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")));
        json_decref(s);
        return holds;
}

static bool holds_resources(const char *dir)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/status.json", dir);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        pc_error e;
        if (pc_read_file(p, &buf, &len, &e) < 0)
                return true;
        return pc_node_status_holds(buf, len);
}

/* books.json, a Pod's entry in the books as decoded from its pod.json, so
 * that admission need not parse and decode every Pod's spec. It names the
 * pod.json it was made from (device, inode, size, mtime, ctime: pod.json is
 * only ever replaced by rename); any other pod.json, or no books.json, or a
 * books.json that does not decode, and the spec is read instead (and, under
 * the root lock, books.json made again). */
#define BOOKS_FILE    "books.json"
#define BOOKS_VERSION 1

static int books_cache_load(const char *dir, struct held *h)
{
        _cleanup_free_ char *podp = pc_xasprintf("%s/pod.json", dir);
        _cleanup_free_ char *bp = pc_xasprintf("%s/" BOOKS_FILE, dir);
        struct stat st;
        if (stat(podp, &st) < 0)
                return -1;
        _cleanup_free_ char *key = pc_file_identity(&st);
        _cleanup_(json_decrefp) json_t *b = NULL;
        pc_error e;
        if (pc_json_load(bp, &b, &e) < 0)
                return -1;
        json_t *ports = json_object_get(b, "hostPorts");
        const char *ns = json_string_value(json_object_get(b, "namespace"));
        const char *name = json_string_value(json_object_get(b, "name"));
        const char *k = json_string_value(json_object_get(b, "podJson"));
        if (json_integer_value(json_object_get(b, "version")) != BOOKS_VERSION || !k ||
            strcmp(k, key) || !ns || !name || !json_is_array(ports))
                return -1;
        const char *fields[4] = {"cpuRequests", "memoryRequests", "cpuLimits", "memoryLimits"};
        int64_t *to[4] = {&h->req.cpu_m, &h->req.memory, &h->lim.cpu_m, &h->lim.memory};
        for (int i = 0; i < 4; i++) {
                json_t *v = json_object_get(b, fields[i]);
                if (!json_is_integer(v))
                        goto bad;
                *to[i] = json_integer_value(v);
        }
        size_t i;
        json_t *pt;
        json_array_foreach(ports, i, pt)
        {
                json_int_t hp = json_integer_value(json_object_get(pt, "hostPort"));
                if (hp <= 0 || hp > 65535)
                        goto bad;
                held_add_port(h, (int32_t)hp, json_string_value(json_object_get(pt, "protocol")),
                              json_string_value(json_object_get(pt, "hostIP")));
        }
        h->ns = pc_xstrdup(ns);
        h->name = pc_xstrdup(name);
        json_t *c = json_object_get(b, "creationTimestamp");
        h->created = c ? json_incref(c) : NULL;
        return 0;
bad:
        held_free(h);
        return -1;
}

static void books_cache_save(const char *dir, const struct held *h, const struct stat *st)
{
        _cleanup_free_ char *bp = pc_xasprintf("%s/" BOOKS_FILE, dir);
        _cleanup_free_ char *key = pc_file_identity(st);
        json_t *ports = json_array();
        for (size_t i = 0; i < h->n_ports; i++)
                json_array_append_new(ports, json_pack("{s:i,s:s?,s:s?}", "hostPort",
                                                       (int)h->ports[i].host_port, "protocol",
                                                       h->ports[i].protocol, "hostIP",
                                                       h->ports[i].host_ip));
        json_t *b =
            json_pack("{s:i,s:s,s:s,s:s,s:O?,s:I,s:I,s:I,s:I,s:o}", "version", BOOKS_VERSION,
                      "podJson", key, "namespace", h->ns, "name", h->name, "creationTimestamp",
                      h->created, "cpuRequests", (json_int_t)h->req.cpu_m, "memoryRequests",
                      (json_int_t)h->req.memory, "cpuLimits", (json_int_t)h->lim.cpu_m,
                      "memoryLimits", (json_int_t)h->lim.memory, "hostPorts", ports);
        pc_error e;
        if (b)
                pc_json_save(bp, b, false, &e); /* a cache: failing to write it is no error */
        json_decref(b);
}

/* The truth: pod.json read and decoded, as `pc_pod_from_json` sees it. With
 * save, books.json is made from it, naming the very file read (fstat). */
static int books_from_spec(const char *dir, bool save, struct held *h)
{
        _cleanup_free_ char *podp = pc_xasprintf("%s/pod.json", dir);
        _cleanup_close_ int fd = open(podp, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        pc_error e;
        struct stat st;
        if (pc_read_fd_max(fd, podp, SIZE_MAX / 4, &buf, &len, &e) < 0 || fstat(fd, &st) < 0)
                return -1;
        json_error_t je;
        _cleanup_(json_decrefp) json_t *obj = json_loadb(buf, len, 0, &je);
        struct pc_pod pod;
        if (!obj || pc_pod_from_json(obj, &pod, &e) < 0)
                return -1;
        pc_pod_effective_request(&pod, &h->req);
        limits_of(&pod, &h->lim);
        const struct pc_port *ports[512];
        size_t n = pc_pod_ports(&pod, ports, PC_ARRAY_SIZE(ports));
        for (size_t i = 0; i < n; i++)
                if (ports[i]->host_port > 0)
                        held_add_port(h, ports[i]->host_port, ports[i]->protocol,
                                      ports[i]->host_ip);
        h->ns = pc_xstrdup(pod.namespace_);
        h->name = pc_xstrdup(pod.name);
        json_t *c = json_object_get(json_object_get(obj, "metadata"), "creationTimestamp");
        h->created = c ? json_incref(c) : NULL;
        pc_pod_free(&pod);
        if (save)
                books_cache_save(dir, h, &st);
        return 0;
}

void pc_node_books_cache(const char *pod_dir)
{
        struct held h = {0};
        books_from_spec(pod_dir, true, &h);
        held_free(&h);
}

/* ---- the root's books ---------------------------------------------------------

 * root/books.cache: every Pod's entry in the books as the last walk found
 * it, and the identities (pc_file_identity) of the pod.json and status.json
 * it was found in. A walk over the Pods then costs two fstatat per Pod and
 * reads nothing else of a Pod whose two files are unchanged, where reading
 * each Pod's status.json and books.json made admission at 1,000 Pods cost
 * 23 ms of CPU under the root lock (docs/PERFORMANCE.md). Each file is
 * stat'ed before it is read, so an entry never names a file older than what
 * was read from it: a change after the stat only makes the next walk read
 * the Pod again. A cache: a line that does not parse, or a Pod not in it, is
 * read from the Pod's own files as before; it is written under the root
 * lock only, by rename, and only when a walk changed it. One line a Pod
 * after the first ("podctl-books 1"), fields separated by tabs:
 *   KEY NAMESPACE NAME POD_ID STATUS_ID HOLDS CPU_REQ MEM_REQ CPU_LIM MEM_LIM
 *   CREATED PORTS
 * HOLDS 0 or 1; CREATED the creationTimestamp or "-"; PORTS "-" or
 * PORT/PROTOCOL/HOSTIP joined by commas (an empty PROTOCOL or HOSTIP: "-").
 * None of these ever holds a tab, a newline, a comma or a slash: keys,
 * names and timestamps are the API server's formats, host IPs are IP
 * addresses; an entry that would (a Pod not made by podctl) is not kept. */
#define ROOT_BOOKS_FILE  "books.cache"
#define ROOT_BOOKS_MAGIC "podctl-books 1"

struct book_entry {
        char *key, *pod_id, *status_id;
        bool holds, seen;
        struct held h; /* when holds */
};

struct root_books {
        size_t n;
        struct book_entry *e; /* sorted by key, as pc_pods_list's keys */
};

static void entry_free(struct book_entry *e)
{
        free(e->key);
        free(e->pod_id);
        free(e->status_id);
        held_free(&e->h);
}

static void root_books_free(struct root_books *rb)
{
        for (size_t i = 0; i < rb->n; i++)
                entry_free(&rb->e[i]);
        free(rb->e);
        memset(rb, 0, sizeof(*rb));
}

static bool safe_field(const char *s)
{
        return s && *s && !strpbrk(s, "\t\n,/");
}

static bool parse_i64(const char *s, int64_t *out)
{
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || end == s || *end)
                return false;
        *out = v;
        return true;
}

static char *dash_null(const char *s)
{
        return strcmp(s, "-") ? pc_xstrdup(s) : NULL;
}

/* One line (NUL-terminated, no newline) into e; false if it does not parse. */
static bool book_line(char *line, struct book_entry *e)
{
        char *f[12];
        size_t n = 0;
        char *save = NULL;
        for (char *t = strtok_r(line, "\t", &save); t; t = strtok_r(NULL, "\t", &save))
                if (n++ < 12)
                        f[n - 1] = t;
        if (n != 12)
                return false;
        memset(e, 0, sizeof(*e));
        int64_t *to[4] = {&e->h.req.cpu_m, &e->h.req.memory, &e->h.lim.cpu_m, &e->h.lim.memory};
        for (int i = 0; i < 4; i++)
                if (!parse_i64(f[6 + i], to[i]))
                        return false;
        if (strcmp(f[5], "0") && strcmp(f[5], "1"))
                return false;
        e->holds = f[5][0] == '1';
        if (strcmp(f[11], "-")) {
                char *psave = NULL;
                for (char *p = strtok_r(f[11], ",", &psave); p; p = strtok_r(NULL, ",", &psave)) {
                        char *proto = strchr(p, '/');
                        char *ip = proto ? strchr(proto + 1, '/') : NULL;
                        int64_t port;
                        if (!ip)
                                goto bad;
                        *proto++ = '\0';
                        *ip++ = '\0';
                        if (!parse_i64(p, &port) || port <= 0 || port > 65535 || !*proto || !*ip)
                                goto bad;
                        _cleanup_free_ char *pr = dash_null(proto);
                        _cleanup_free_ char *hi = dash_null(ip);
                        held_add_port(&e->h, (int32_t)port, pr, hi);
                }
        }
        e->key = pc_xstrdup(f[0]);
        e->h.ns = pc_xstrdup(f[1]);
        e->h.name = pc_xstrdup(f[2]);
        e->pod_id = pc_xstrdup(f[3]);
        e->status_id = pc_xstrdup(f[4]);
        e->h.created = strcmp(f[10], "-") ? json_string(f[10]) : NULL;
        return true;
bad:
        held_free(&e->h);
        return false;
}

static int cmp_entry(const void *a, const void *b)
{
        return strcmp(((const struct book_entry *)a)->key, ((const struct book_entry *)b)->key);
}

static void root_books_load(const struct pc_root *r, struct root_books *rb)
{
        memset(rb, 0, sizeof(*rb));
        _cleanup_free_ char *p = pc_xasprintf("%s/" ROOT_BOOKS_FILE, r->root);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        pc_error e;
        if (pc_read_file_max(p, 64 << 20, &buf, &len, &e) < 0 || !len || buf[len - 1] != '\n')
                return;
        buf[len - 1] = '\0';
        char *save = NULL;
        char *line = strtok_r(buf, "\n", &save);
        if (!line || strcmp(line, ROOT_BOOKS_MAGIC))
                return;
        size_t cap = 0;
        while ((line = strtok_r(NULL, "\n", &save))) {
                struct book_entry be;
                if (!book_line(line, &be))
                        continue;
                if (rb->n == cap) {
                        cap = cap ? 2 * cap : 64;
                        rb->e = pc_xrealloc(rb->e, cap * sizeof(*rb->e));
                }
                rb->e[rb->n++] = be;
        }
        if (rb->n)
                qsort(rb->e, rb->n, sizeof(*rb->e), cmp_entry);
}

static struct book_entry *root_books_find(struct root_books *rb, const char *key)
{
        struct book_entry k = {.key = (char *)key};
        if (!rb->n)
                return NULL;
        return bsearch(&k, rb->e, rb->n, sizeof(*rb->e), cmp_entry);
}

static bool entry_safe(const struct book_entry *e)
{
        if (!safe_field(e->key) || !safe_field(e->pod_id) || !safe_field(e->status_id))
                return false;
        if (!e->holds)
                return true;
        const char *created = json_string_value(e->h.created);
        if (!safe_field(e->h.ns) || !safe_field(e->h.name) ||
            (e->h.created && !safe_field(created)))
                return false;
        for (size_t i = 0; i < e->h.n_ports; i++)
                if ((e->h.ports[i].protocol && !safe_field(e->h.ports[i].protocol)) ||
                    (e->h.ports[i].host_ip && !safe_field(e->h.ports[i].host_ip)))
                        return false;
        return true;
}

static void root_books_save(const struct pc_root *r, const struct root_books *rb)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return;
        fputs(ROOT_BOOKS_MAGIC "\n", f);
        for (size_t i = 0; i < rb->n; i++) {
                const struct book_entry *e = &rb->e[i];
                if (!e->seen)
                        continue; /* a Pod that is gone */
                const struct held *h = &e->h;
                fprintf(f, "%s\t%s\t%s\t%s\t%s\t%d\t%lld\t%lld\t%lld\t%lld\t%s\t", e->key,
                        h->ns ? h->ns : "-", h->name ? h->name : "-", e->pod_id, e->status_id,
                        e->holds, (long long)h->req.cpu_m, (long long)h->req.memory,
                        (long long)h->lim.cpu_m, (long long)h->lim.memory,
                        h->created ? json_string_value(h->created) : "-");
                for (size_t j = 0; j < h->n_ports; j++)
                        fprintf(f, "%s%d/%s/%s", j ? "," : "", (int)h->ports[j].host_port,
                                h->ports[j].protocol ? h->ports[j].protocol : "-",
                                h->ports[j].host_ip ? h->ports[j].host_ip : "-");
                fputs(h->n_ports ? "\n" : "-\n", f);
        }
        if (fclose(f) == 0) {
                _cleanup_free_ char *p = pc_xasprintf("%s/" ROOT_BOOKS_FILE, r->root);
                pc_error e;
                pc_replace_file(p, buf, len, 0600, &e); /* a cache: failing is no error */
        }
        free(buf);
}

static char *identity_at(int dfd, const char *key, const char *file)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/%s", key, file);
        struct stat st;
        if (fstatat(dfd, p, &st, 0) < 0)
                return NULL;
        return pc_file_identity(&st);
}

/* Call fn for every Pod that holds resources, stopping at the first fn that
 * fails. Pods being created or deleted, and Pods whose pod.json does not
 * decode, are skipped. */
typedef int (*holding_fn)(const struct held *h, void *data, pc_error *err);

static int for_each_holding_pod(podctl *ctx, holding_fn fn, void *data, pc_error *err)
{
        _cleanup_strv_ char **keys = NULL;
        if (pc_pods_list(&ctx->root, &keys, err) < 0)
                return -1;
        _cleanup_close_ int dfd = open(ctx->root.pods_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return pc_fail(err, errno, "open %s", ctx->root.pods_dir);
        bool locked = ctx->root.lock_fd >= 0;
        struct root_books rb;
        root_books_load(&ctx->root, &rb);
        struct book_entry *fresh = NULL;
        size_t n_fresh = 0;
        int r = 0;
        for (size_t i = 0; keys[i] && r == 0; i++) {
                /* both stat'ed before anything is read of them */
                _cleanup_free_ char *pod_id = identity_at(dfd, keys[i], "pod.json");
                _cleanup_free_ char *status_id =
                    pod_id ? identity_at(dfd, keys[i], "status.json") : NULL;
                struct book_entry *be = root_books_find(&rb, keys[i]);
                if (be && pod_id && status_id && !strcmp(be->pod_id, pod_id) &&
                    !strcmp(be->status_id, status_id)) {
                        be->seen = true;
                        if (be->holds)
                                r = fn(&be->h, data, err);
                        continue;
                }
                /* a file missing: a Pod being made, or an apply's or a
                 * delete's debris, which gc removes here (under the lock) */
                if (locked && !status_id) {
                        pc_gc_debris_dir(ctx, keys[i]);
                        if (faccessat(dfd, keys[i], F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                                continue;
                }
                _cleanup_free_ char *dir = pc_xasprintf("%s/%s", ctx->root.pods_dir, keys[i]);
                struct book_entry ne = {.holds = holds_resources(dir)};
                bool found = !ne.holds || books_cache_load(dir, &ne.h) == 0 ||
                             books_from_spec(dir, locked, &ne.h) == 0;
                if (found && ne.holds)
                        r = fn(&ne.h, data, err);
                ne.key = pc_xstrdup(keys[i]);
                ne.pod_id = STEAL(pod_id);
                ne.status_id = STEAL(status_id);
                ne.seen = true;
                if (!found && locked && status_id)
                        pc_gc_debris_dir(ctx, keys[i]); /* a pod.json that does not parse */
                if (!found || !entry_safe(&ne)) {
                        entry_free(&ne);
                        continue;
                }
                fresh = pc_xrealloc(fresh, (n_fresh + 1) * sizeof(*fresh));
                fresh[n_fresh++] = ne;
        }
        /* changed: a Pod read again (fresh), or one gone or changed (unseen) */
        bool changed = n_fresh > 0;
        for (size_t i = 0; i < rb.n; i++)
                changed |= !rb.e[i].seen;
        if (n_fresh) { /* the file's order is not kept: a load sorts */
                rb.e = pc_xrealloc(rb.e, (rb.n + n_fresh) * sizeof(*rb.e));
                memcpy(rb.e + rb.n, fresh, n_fresh * sizeof(*fresh));
                rb.n += n_fresh;
        }
        free(fresh); /* its entries are rb's now */
        if (locked && r == 0 && changed)
                root_books_save(&ctx->root, &rb);
        root_books_free(&rb);
        return r;
}

struct books {
        struct pc_pod_resources requested;
        json_t *rows;              /* NULL: totals only */
        const struct pc_pod *want; /* admission: check its hostPorts; NULL otherwise */
};

static int add_to_books(const struct held *h, void *data, pc_error *err)
{
        struct books *b = data;
        b->requested.cpu_m += h->req.cpu_m;
        b->requested.memory += h->req.memory;
        if (b->rows) {
                json_t *r = json_object();
                json_object_set_new(r, "namespace", json_string(h->ns));
                json_object_set_new(r, "name", json_string(h->name));
                json_object_set_new(r, "cpuRequests", json_integer(h->req.cpu_m));
                json_object_set_new(r, "cpuLimits", json_integer(h->lim.cpu_m));
                json_object_set_new(r, "memoryRequests", json_integer(h->req.memory));
                json_object_set_new(r, "memoryLimits", json_integer(h->lim.memory));
                json_object_set(r, "creationTimestamp", h->created);
                json_array_append_new(b->rows, r);
        }
        /* hostPort conflicts (the scheduler's NodePorts filter): same
         * protocol and port, overlapping host IPs. */
        const struct pc_port *ports[512];
        size_t n = b->want ? pc_pod_ports(b->want, ports, PC_ARRAY_SIZE(ports)) : 0;
        for (size_t i = 0; i < n; i++)
                if (port_taken(h, ports[i], err) < 0)
                        return -1;
        return 0;
}

int pc_node_books(podctl *ctx, struct pc_pod_resources *requested, json_t *rows, pc_error *err)
{
        struct books b = {.rows = rows};
        int r = for_each_holding_pod(ctx, add_to_books, &b, err);
        *requested = b.requested;
        return r;
}

int pc_node_admit(podctl *ctx, const struct pc_node *node, const struct pc_pod *pod, pc_error *err)
{
        struct pc_pod_resources want;
        pc_pod_effective_request(pod, &want);
        /* One walk over the Pods: what they request, and their hostPorts. */
        struct books books = {.want = pod};
        if (for_each_holding_pod(ctx, add_to_books, &books, err) < 0)
                return -1;
        struct pc_pod_resources used = books.requested;
        int64_t free_cpu = node->allocatable.cpu_m - used.cpu_m;
        int64_t free_mem = node->allocatable.memory - used.memory;
        if (free_cpu < 0)
                free_cpu = 0;
        if (free_mem < 0)
                free_mem = 0;
        char *msg = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&msg, &len);
        if (!f)
                return pc_fail(err, errno, "open_memstream");
        if (want.cpu_m > free_cpu) {
                _cleanup_free_ char *a = pc_quantity_format(want.cpu_m, true);
                _cleanup_free_ char *b = pc_quantity_format(free_cpu, true);
                fprintf(f, "Insufficient cpu: requested %s, available %s", a, b);
        }
        if (want.memory > free_mem) {
                _cleanup_free_ char *a = pc_quantity_format(want.memory, false);
                _cleanup_free_ char *b = pc_quantity_format(free_mem, false);
                fprintf(f, "%sInsufficient memory: requested %s, available %s", len ? "; " : "", a,
                        b);
        }
        fclose(f);
        int r = 0;
        if (len > 0)
                r = pc_fail(err, ENOSPC, "%s", msg);
        free(msg);
        return r;
}

/* The books without one Pod (a resize re-admits it with its new requests). */
struct others {
        const char *ns, *name;
        struct pc_pod_resources requested;
};

static int add_other(const struct held *h, void *data, pc_error *err)
{
        (void)err;
        struct others *o = data;
        if (!strcmp(h->ns, o->ns) && !strcmp(h->name, o->name))
                return 0;
        o->requested.cpu_m += h->req.cpu_m;
        o->requested.memory += h->req.memory;
        return 0;
}

int pc_node_admit_resize(podctl *ctx, const struct pc_node *node, const struct pc_pod *pod,
                         const char **reason, pc_error *err)
{
        *reason = NULL;
        struct pc_pod_resources want;
        pc_pod_effective_request(pod, &want);
        int64_t cpu = node->allocatable.cpu_m, mem = node->allocatable.memory;
        /* the kubelet's canResizePod: more than the node has is Infeasible
         * (memory named first) */
        if (want.memory > mem || want.cpu_m > cpu) {
                *reason = "Infeasible";
                if (want.memory > mem)
                        pc_fail(err, 0,
                                "Node didn't have enough capacity: memory, requested: %lld, "
                                "capacity: %lld",
                                (long long)want.memory, (long long)mem);
                else
                        pc_fail(err, 0,
                                "Node didn't have enough capacity: cpu, requested: %lld, "
                                "capacity: %lld",
                                (long long)want.cpu_m, (long long)cpu);
                err->code = ENOSPC;
                return -1;
        }
        /* then admission beside the other Pods (canAdmitPod): Deferred */
        struct others o = {.ns = pod->namespace_, .name = pod->name};
        if (for_each_holding_pod(ctx, add_other, &o, err) < 0)
                return -1;
        const char *what = NULL;
        long long req = 0, used = 0, cap = 0;
        if (want.cpu_m > cpu - o.requested.cpu_m) {
                what = "cpu";
                req = want.cpu_m, used = o.requested.cpu_m, cap = cpu;
        } else if (want.memory > mem - o.requested.memory) {
                what = "memory";
                req = want.memory, used = o.requested.memory, cap = mem;
        }
        if (!what)
                return 0;
        *reason = "Deferred";
        pc_fail(err, 0,
                "Node didn't have enough resource: %s, requested: %lld, used: %lld, capacity: "
                "%lld",
                what, req, used, cap);
        err->code = ENOSPC;
        return -1;
}

static json_t *amounts_json(const struct pc_node_amounts *a)
{
        _cleanup_free_ char *cpu = pc_quantity_format(a->cpu_m, true);
        _cleanup_free_ char *mem = pc_xasprintf("%lldKi", (long long)(a->memory / 1024));
        _cleanup_free_ char *pids = pc_xasprintf("%lld", (long long)a->pids);
        return json_pack("{s:s,s:s,s:s}", "cpu", cpu, "memory", mem, "pids", pids);
}

int podctl_node_get(podctl *ctx, json_t **out, pc_error *err)
{
        struct pc_node node;
        struct pc_pod_resources used;
        if (pc_node_load(&ctx->root, &node, err) < 0)
                return -1;
        pc_node_free(&node);
        json_t *rows = json_array();
        if (pc_node_books(ctx, &used, rows, err) < 0) {
                json_decref(rows);
                return -1;
        }
        char host[256] = "";
        gethostname(host, sizeof(host) - 1);
        json_t *limits = json_pack("{s:I,s:I}", "cpu", (json_int_t)0, "memory", (json_int_t)0);
        size_t i;
        json_t *r;
        json_int_t lc = 0, lm = 0;
        json_array_foreach(rows, i, r)
        {
                lc += json_integer_value(json_object_get(r, "cpuLimits"));
                lm += json_integer_value(json_object_get(r, "memoryLimits"));
        }
        json_object_set_new(limits, "cpu", json_integer(lc));
        json_object_set_new(limits, "memory", json_integer(lm));
        *out =
            json_pack("{s:s,s:s,s:{s:s},s:{s:o,s:o},s:{s:{s:I,s:I},s:o,s:o}}", "apiVersion", "v1",
                      "kind", "Node", "metadata", "name", host, "status", "capacity",
                      amounts_json(&node.capacity), "allocatable", amounts_json(&node.allocatable),
                      "podctl", "requested", "cpu", (json_int_t)used.cpu_m, "memory",
                      (json_int_t)used.memory, "limits", limits, "pods", rows);
        return 0;
}
