/* list.json: what the listing (`get pods`, podctl_pod_each) needs of a Pod,
 * so that it need not parse every Pod's pod.json and whole status.json
 * (its runtime and events are most of it) each time. Three parts, each
 * followed by a newline: the header with the Pod's row (what a table row,
 * -o name and -l read: pc_pod_row_pod, pc_pod_row_status), compact JSON;
 * pod.json as it is and the v1 status, compact JSON; the Pod object as
 * `get -o json` prints it (PC_LIST_PRINTED_FLAGS), verbatim. A table parses
 * the first part only, -o json copies the third. The header names the
 * pod.json and the status.json it came from (device, inode, size, mtime,
 * ctime: both are only ever replaced by rename) and the parts' lengths;
 * when either file is another one now, or list.json is missing, does not
 * decode, has other lengths or is being written, the Pod is read in full
 * instead, and list.json made again from what was read (the fstat of the
 * very files). runtime.finished is kept; monitor_alive is never cached: it
 * is the monitor.lock's state at each look, and a Pod whose monitor is
 * gone is made of the second part (its status then says MonitorLost).
 * Written under the root lock taken shared (never while a create, delete
 * or gc, which take it exclusively, makes or removes Pod dirs), not
 * fsync'ed: a cache. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pod/internal.h"
#include "util/util.h"

#define LIST_VERSION 1
#define LIST_MAX     (16u << 20)

/* Copy key from one object to another when it is there (shared, not
 * copied: the row is read, never changed in place but by pod_object_of,
 * which changes only status members the row owns). */
static void keep(json_t *to, json_t *from, const char *key)
{
        json_t *v = json_object_get(from, key);
        if (v)
                json_object_set(to, key, v);
}

static json_t *keep_each(json_t *list, const char *const *keys, size_t n)
{
        json_t *out = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(list, i, e)
        {
                json_t *o = json_object();
                for (size_t k = 0; k < n; k++)
                        keep(o, e, keys[k]);
                json_array_append_new(out, o);
        }
        return out;
}

json_t *pc_pod_row_pod(json_t *pod)
{
        json_t *row = json_object(), *meta = json_object_get(pod, "metadata");
        keep(row, pod, "apiVersion");
        keep(row, pod, "kind");
        if (meta) {
                json_t *m = json_object();
                const char *keys[] = {"name",   "namespace",         "uid",
                                      "labels", "creationTimestamp", "deletionTimestamp"};
                for (size_t k = 0; k < PC_ARRAY_SIZE(keys); k++)
                        keep(m, meta, keys[k]);
                json_object_set_new(row, "metadata", m);
        }
        json_t *spec = json_object_get(pod, "spec");
        if (spec) {
                json_t *sp = json_object();
                const char *ckeys[] = {"name"}, *ikeys[] = {"name", "restartPolicy"};
                json_t *c = json_object_get(spec, "containers");
                json_t *ic = json_object_get(spec, "initContainers");
                if (c)
                        json_object_set_new(sp, "containers", keep_each(c, ckeys, 1));
                if (ic)
                        json_object_set_new(sp, "initContainers", keep_each(ic, ikeys, 2));
                json_object_set_new(row, "spec", sp);
        }
        return row;
}

json_t *pc_pod_row_status(json_t *status)
{
        json_t *row = json_object();
        const char *keys[] = {"phase", "reason", "message", "podIP"};
        for (size_t k = 0; k < PC_ARRAY_SIZE(keys); k++)
                keep(row, status, keys[k]);
        const char *ckeys[] = {"type", "status"};
        const char *skeys[] = {"name", "state", "ready", "started", "restartCount"};
        json_t *conds = json_object_get(status, "conditions");
        if (conds)
                json_object_set_new(row, "conditions", keep_each(conds, ckeys, 2));
        const char *lists[] = {"initContainerStatuses", "containerStatuses"};
        for (size_t l = 0; l < PC_ARRAY_SIZE(lists); l++) {
                json_t *v = json_object_get(status, lists[l]);
                if (v)
                        json_object_set_new(row, lists[l], keep_each(v, skeys, 5));
        }
        return row;
}

void pc_pod_state_rows(struct pc_pod_state *ps)
{
        if (ps->pod) {
                json_t *p = pc_pod_row_pod(ps->pod);
                json_decref(ps->pod);
                ps->pod = p;
        }
        if (ps->status) {
                json_t *s = pc_pod_row_status(ps->status);
                json_decref(ps->status);
                ps->status = s;
        }
}

static char *identity_of(const char *dir, const char *file)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/%s", dir, file);
        struct stat st;
        if (stat(p, &st) < 0)
                return NULL;
        return pc_file_identity(&st);
}

/* doc at [at, at + n) of buf, followed by a newline */
static bool slice(const char *buf, size_t len, size_t at, json_t *n, size_t *end)
{
        if (!json_is_integer(n) || json_integer_value(n) < 0 || at > len ||
            (size_t)json_integer_value(n) >= len - at || buf[at + json_integer_value(n)] != '\n')
                return false;
        *end = at + (size_t)json_integer_value(n);
        return true;
}

int pc_pod_list_cache_load(const struct pc_root *r, const char *key, enum pc_list_view view,
                           struct pc_pod_state *ps, char **printed)
{
        memset(ps, 0, sizeof(*ps));
        *printed = NULL;
        _cleanup_free_ char *dir = pc_xasprintf("%s/%s", r->pods_dir, key);
        /* the files' identities first: a cache naming them was made of them */
        _cleanup_free_ char *pod_id = identity_of(dir, "pod.json");
        _cleanup_free_ char *status_id = pod_id ? identity_of(dir, "status.json") : NULL;
        if (!status_id)
                return -1;
        _cleanup_free_ char *lp = pc_xasprintf("%s/" PC_LIST_FILE, dir);
        _cleanup_close_ int fd = open(lp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        pc_error e;
        if (fd < 0 || flock(fd, LOCK_SH | LOCK_NB) < 0 ||
            pc_read_fd_max(fd, lp, LIST_MAX, &buf, &len, &e) < 0)
                return -1; /* none, being written, or not a cache */
        json_error_t je;
        _cleanup_(json_decrefp) json_t *h = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK, &je);
        const char *pk = json_string_value(json_object_get(h, "podJson"));
        const char *sk = json_string_value(json_object_get(h, "statusJson"));
        json_t *finished = json_object_get(h, "finished");
        size_t full_at = (size_t)je.position + 1, full_end = 0, text_end = 0;
        if (json_integer_value(json_object_get(h, "version")) != LIST_VERSION || !pk ||
            strcmp(pk, pod_id) || !sk || strcmp(sk, status_id) || !json_is_boolean(finished) ||
            full_at > len || buf[full_at - 1] != '\n' ||
            !slice(buf, len, full_at, json_object_get(h, "fullLength"), &full_end) ||
            !slice(buf, len, full_end + 1, json_object_get(h, "textLength"), &text_end) ||
            text_end + 1 != len)
                return -1;
        bool alive = pc_pod_monitor_alive(dir);
        _cleanup_(json_decrefp) json_t *full = NULL;
        json_t *from = h;
        if (view == PC_LIST_PRINTED && (alive || json_is_true(finished))) {
                /* as pod_object_of makes it: nothing to change */
                *printed = pc_xasprintf("%.*s", (int)(text_end - full_end - 1), buf + full_end + 1);
        } else if (view != PC_LIST_ROWS) {
                full = json_loadb(buf + full_at, full_end - full_at, 0, &je);
                from = full;
        }
        json_t *pod = json_object_get(from, "pod"), *status = json_object_get(from, "status");
        if (!json_is_object(pod) || !json_is_object(status)) {
                free(STEAL(*printed));
                return -1;
        }
        ps->dir = STEAL(dir);
        ps->pod = json_incref(pod);
        ps->status = json_incref(status);
        ps->finished = json_is_true(finished);
        ps->monitor_alive = alive;
        return 0;
}

/* Rewritten in place under its own flock (readers take it shared and
 * give way to a writer; a second writer gives way too): a new inode per
 * save, as a rename would make, costs several times the save on a busy
 * ext4 (its search for a free inode), and a truncate frees blocks (a
 * discard). The first byte is written last: a writer killed half-way
 * leaves a file that does not parse. */
static void write_in_place(const char *path, const char *text, size_t len)
{
        _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
                return;
        if (pwrite(fd, "-", 1, 0) != 1 || pwrite(fd, text + 1, len - 1, 1) != (ssize_t)(len - 1) ||
            ftruncate(fd, (off_t)len) < 0)
                return;
        if (pwrite(fd, text, 1, 0) != 1)
                return;
}

void pc_pod_list_cache_save(const struct pc_root *r, const struct pc_pod_state *ps)
{
        if (!ps->pod || !ps->status || !ps->pod_st.st_ino || !ps->status_st.st_ino)
                return; /* only a Pod read whole, with its status */
        _cleanup_close_ int lock = pc_root_try_lock_shared(r);
        if (lock < 0)
                return; /* a create, delete or gc runs: next time */
        size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
        _cleanup_(json_decrefp) json_t *full =
            json_pack("{s:O,s:O}", "pod", ps->pod, "status", ps->status);
        /* the Pod object as pod_object_of makes it of a Pod not lost */
        _cleanup_(json_decrefp) json_t *obj = json_copy(ps->pod);
        if (!full || !obj || json_object_set(obj, "status", ps->status) < 0)
                return;
        _cleanup_free_ char *t2 = json_dumps(full, flags);
        _cleanup_free_ char *t3 = json_dumps(obj, PC_LIST_PRINTED_FLAGS);
        if (!t2 || !t3)
                return;
        _cleanup_free_ char *pk = pc_file_identity(&ps->pod_st);
        _cleanup_free_ char *sk = pc_file_identity(&ps->status_st);
        _cleanup_(json_decrefp) json_t *h =
            json_pack("{s:i,s:s,s:s,s:b,s:I,s:I,s:o,s:o}", "version", LIST_VERSION, "podJson", pk,
                      "statusJson", sk, "finished", ps->finished, "fullLength",
                      (json_int_t)strlen(t2), "textLength", (json_int_t)strlen(t3), "pod",
                      pc_pod_row_pod(ps->pod), "status", pc_pod_row_status(ps->status));
        _cleanup_free_ char *t1 = h ? json_dumps(h, flags) : NULL;
        if (!t1)
                return;
        _cleanup_free_ char *text = pc_xasprintf("%s\n%s\n%s\n", t1, t2, t3);
        _cleanup_free_ char *lp = pc_xasprintf("%s/" PC_LIST_FILE, ps->dir);
        write_in_place(lp, text, strlen(text)); /* a cache: failing is no error */
}

int pc_pod_list_load(const struct pc_root *r, const char *key, enum pc_list_view view,
                     struct pc_pod_state *ps, char **printed, pc_error *err)
{
        if (pc_pod_list_cache_load(r, key, view, ps, printed) == 0)
                return 0;
        if (pc_pod_state_load(r, key, ps, err) < 0)
                return -1;
        pc_pod_list_cache_save(r, ps);
        if (view == PC_LIST_ROWS)
                pc_pod_state_rows(ps);
        return 0;
}
