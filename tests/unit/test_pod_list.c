/* The listing's cache (src/pod/list.c) over Pod dirs made by hand: list.json
 * is used only while it names the pod.json and status.json there are, and
 * gives way to a full read when either changed, when it is missing, broken,
 * torn or being written; what the listing returns is the same from the
 * cache as from the files (the full object, its row, its printed text). */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pod/internal.h"
#include "podctl/podctl.h"
#include "util/util.h"

#define STATUS_FMT                                                                                 \
        "{\n  \"status\": {\"phase\": \"%s\", \"podIP\": \"10.0.0.9\", \"conditions\": "           \
        "[{\"type\": \"Ready\", \"status\": \"True\", \"lastTransitionTime\": \"t\"}], "           \
        "\"containerStatuses\": [{\"name\": \"c\", \"ready\": true, \"restartCount\": 2, "         \
        "\"image\": \"busybox\", \"state\": {\"running\": {\"startedAt\": \"t\"}}}]},\n"           \
        "  \"runtime\": {\"finished\": %s, \"keeperPid\": 0},\n  \"events\": [{\"reason\": "       \
        "\"Started\"}]\n}\n"

static void write_text(const char *dir, const char *name, const char *text)
{
        char *p = pc_xasprintf("%s/%s", dir, name);
        pc_error err;
        CHECK(pc_write_file_atomic(p, text, strlen(text), 0600, &err) == 0);
        free(p);
}

static void write_pod(const char *dir, const char *name, const char *label)
{
        char *pj = pc_xasprintf(
            "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\","
            "\"namespace\":\"default\",\"uid\":\"u-%s\",\"labels\":{\"app\":\"%s\"},"
            "\"annotations\":{\"note\":\"long\"},\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},"
            "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}",
            name, name, label);
        write_text(dir, "pod.json", pj);
        free(pj);
}

static void write_status(const char *dir, const char *phase, bool finished)
{
        char *st = pc_xasprintf(STATUS_FMT, phase, finished ? "true" : "false");
        write_text(dir, "status.json", st);
        free(st);
}

static bool exists(const char *dir, const char *name)
{
        char *p = pc_xasprintf("%s/%s", dir, name);
        bool r = access(p, F_OK) == 0;
        free(p);
        return r;
}

/* What the cache alone gives (-1: it is not used). */
static int cached(struct podctl *ctx, const char *key, enum pc_list_view view,
                  struct pc_pod_state *ps, char **printed)
{
        return pc_pod_list_cache_load(&ctx->root, key, view, ps, printed);
}

static const char *label_of(json_t *pod)
{
        return json_string_value(
            json_object_get(json_object_get(json_object_get(pod, "metadata"), "labels"), "app"));
}

static const char *phase_of(json_t *status)
{
        return json_string_value(json_object_get(status, "phase"));
}

/* The cache's label and phase, or "-" when it is not used. */
static char *cache_says(struct podctl *ctx, const char *key)
{
        struct pc_pod_state ps;
        char *printed = NULL;
        if (cached(ctx, key, PC_LIST_FULL, &ps, &printed) < 0)
                return pc_xstrdup("-");
        char *s = pc_xasprintf("%s %s", label_of(ps.pod), phase_of(ps.status));
        pc_pod_state_free(&ps);
        free(printed);
        return s;
}

/* The listing's label and phase (cache or not). */
static char *list_says(struct podctl *ctx, const char *key)
{
        struct pc_pod_state ps;
        char *printed = NULL;
        pc_error err;
        if (pc_pod_list_load(&ctx->root, key, PC_LIST_FULL, &ps, &printed, &err) < 0) {
                pc_pod_state_free(&ps); /* what it had made of the Pod */
                return pc_xstrdup("error");
        }
        char *s = pc_xasprintf("%s %s", label_of(ps.pod), phase_of(ps.status));
        pc_pod_state_free(&ps);
        free(printed);
        return s;
}

#define CHECK_SAYS(fn, want)                                                                       \
        do {                                                                                       \
                char *got_ = fn(&ctx, "default_a");                                                \
                CHECK_STR(got_, want);                                                             \
                free(got_);                                                                        \
        } while (0)

static void test_fallbacks(void)
{
        char tmp[] = "/tmp/podctl-test-list.XXXXXX";
        CHECK(mkdtemp(tmp) != NULL);
        char *root = pc_xasprintf("%s/root", tmp), *logs = pc_xasprintf("%s/logs", tmp);
        struct podctl ctx;
        pc_error err;
        CHECK(pc_root_open(root, logs, &ctx.root, &err) == 0);
        char *a = pc_xasprintf("%s/default_a", ctx.root.pods_dir);
        char *lp = pc_xasprintf("%s/list.json", a);
        CHECK(mkdir(a, 0700) == 0);
        write_pod(a, "a", "one");
        write_status(a, "Running", false);

        /* missing: the files, and list.json made of them, then used */
        CHECK_SAYS(cache_says, "-");
        CHECK_SAYS(list_says, "one Running");
        CHECK(exists(a, "list.json"));
        CHECK_SAYS(cache_says, "one Running");

        /* stale pod.json (label's rewrite): the new one, and the cache remade */
        write_pod(a, "a", "two");
        CHECK_SAYS(cache_says, "-");
        CHECK_SAYS(list_says, "two Running");
        CHECK_SAYS(cache_says, "two Running");

        /* stale status.json (the monitor's next write) */
        write_status(a, "Failed", false);
        CHECK_SAYS(cache_says, "-");
        CHECK_SAYS(list_says, "two Failed");
        CHECK_SAYS(cache_says, "two Failed");
        /* the same text written again is another file all the same */
        write_status(a, "Failed", false);
        CHECK_SAYS(cache_says, "-");
        CHECK_SAYS(list_says, "two Failed");

        /* broken: garbage, a torn write (a prefix), a writer killed before
         * its first byte, a list.json of another Pod's files */
        char *good = NULL;
        CHECK(pc_read_file(lp, &good, NULL, &err) == 0);
        const char *bad[] = {"{not json", "", "-"};
        for (size_t i = 0; i < PC_ARRAY_SIZE(bad); i++) {
                write_text(a, "list.json", bad[i]);
                CHECK_SAYS(cache_says, "-");
                CHECK_SAYS(list_says, "two Failed");
                CHECK_SAYS(cache_says, "two Failed");
        }
        size_t glen = strlen(good);
        char *torn = pc_xasprintf("%.*s", (int)(glen - 10), good);
        write_text(a, "list.json", torn);
        CHECK_SAYS(cache_says, "-");
        char *longer = pc_xasprintf("%s}\n", good);
        write_text(a, "list.json", longer);
        CHECK_SAYS(cache_says, "-");
        char *dashed = pc_xstrdup(good);
        dashed[0] = '-';
        write_text(a, "list.json", dashed);
        CHECK_SAYS(cache_says, "-");
        CHECK_SAYS(list_says, "two Failed");
        free(torn);
        free(longer);
        free(dashed);
        /* names of other files: a's list.json made for b's files */
        char *b = pc_xasprintf("%s/default_b", ctx.root.pods_dir);
        CHECK(mkdir(b, 0700) == 0);
        write_pod(b, "b", "bee");
        write_status(b, "Pending", false);
        char *bl = pc_xasprintf("%s/list.json", b);
        write_text(b, "list.json", good);
        struct pc_pod_state ps;
        char *printed = NULL;
        CHECK(cached(&ctx, "default_b", PC_LIST_FULL, &ps, &printed) < 0);
        CHECK(pc_pod_list_load(&ctx.root, "default_b", PC_LIST_FULL, &ps, &printed, &err) == 0);
        CHECK_STR(label_of(ps.pod), "bee");
        pc_pod_state_free(&ps);
        free(bl);

        /* status.json gone: the full read (no status), no cache believed */
        char *sp = pc_xasprintf("%s/status.json", a);
        CHECK(unlink(sp) == 0);
        CHECK_SAYS(cache_says, "-");
        CHECK(pc_pod_list_load(&ctx.root, "default_a", PC_LIST_FULL, &ps, &printed, &err) == 0);
        CHECK(ps.status == NULL);
        pc_pod_state_free(&ps);
        write_status(a, "Running", false);
        /* pod.json gone: not a Pod, whatever list.json says */
        CHECK_SAYS(list_says, "two Running");
        char *pp = pc_xasprintf("%s/pod.json", a);
        char *saved = NULL;
        CHECK(pc_read_file(pp, &saved, NULL, &err) == 0);
        CHECK(unlink(pp) == 0);
        CHECK_SAYS(cache_says, "-");
        CHECK_SAYS(list_says, "error");
        write_text(a, "pod.json", saved);
        free(saved);
        free(pp);
        free(sp);

        /* being written (its flock held): not read, not written */
        CHECK_SAYS(list_says, "two Running");
        int fd = open(lp, O_RDONLY | O_CLOEXEC);
        CHECK(fd >= 0 && flock(fd, LOCK_EX) == 0);
        CHECK_SAYS(cache_says, "-");
        write_status(a, "Succeeded", true);
        CHECK_SAYS(list_says, "two Succeeded");
        close(fd);
        CHECK_SAYS(cache_says, "-"); /* its writer gave way */
        /* nor while a create, delete or gc holds the root lock */
        CHECK(pc_root_lock(&ctx.root, &err) == 0);
        CHECK_SAYS(list_says, "two Succeeded");
        pc_root_unlock(&ctx.root);
        CHECK_SAYS(cache_says, "-");
        CHECK_SAYS(list_says, "two Succeeded");
        CHECK_SAYS(cache_says, "two Succeeded");

        free(good);
        pc_root_close(&ctx.root);
        CHECK(pc_rm_rf(tmp, &err) == 0);
        free(a);
        free(b);
        free(lp);
        free(root);
        free(logs);
}

/* ---- what the listing returns, cache or not ---------------------------------------- */

static void collect(json_t *pod, void *data)
{
        json_array_append_new(data, pod);
}

static json_t *each(struct podctl *ctx, unsigned flags, const char *selector)
{
        json_t *arr = json_array();
        pc_error err;
        CHECK(podctl_pod_each(ctx, NULL, selector, flags, collect, arr, &err) == 0);
        return arr;
}

static char *dumped(json_t *v)
{
        return json_dumps(v, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
}

static void test_views(void)
{
        setenv("PODCTL_ADOPT", "0", 1);
        char tmp[] = "/tmp/podctl-test-list.XXXXXX";
        CHECK(mkdtemp(tmp) != NULL);
        char *root = pc_xasprintf("%s/root", tmp), *logs = pc_xasprintf("%s/logs", tmp);
        struct podctl ctx;
        pc_error err;
        CHECK(pc_root_open(root, logs, &ctx.root, &err) == 0);
        char *a = pc_xasprintf("%s/default_a", ctx.root.pods_dir);
        char *d = pc_xasprintf("%s/default_done", ctx.root.pods_dir);
        CHECK(mkdir(a, 0700) == 0 && mkdir(d, 0700) == 0);
        write_pod(a, "a", "one");
        write_status(a, "Running", false);
        write_pod(d, "done", "two");
        write_status(d, "Succeeded", true);
        /* a's monitor runs: this test holds its monitor.lock */
        char *ml = pc_xasprintf("%s/monitor.lock", a);
        int lock = open(ml, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        CHECK(lock >= 0 && flock(lock, LOCK_EX) == 0);

        /* from the files (no list.json yet), then from list.json: the same */
        json_t *full = each(&ctx, 0, NULL);
        CHECK(exists(a, "list.json") && exists(d, "list.json"));
        json_t *again = each(&ctx, 0, NULL);
        CHECK(json_array_size(full) == 2 && json_equal(full, again));
        char *t1 = dumped(full), *t2 = dumped(again);
        CHECK_STR(t1, t2); /* key order too */
        free(t1);
        free(t2);
        json_t *pa = json_array_get(full, 0);
        CHECK_STR(phase_of(json_object_get(pa, "status")), "Running");
        CHECK(json_object_get(json_object_get(pa, "metadata"), "annotations") != NULL);
        CHECK(json_object_get(json_object_get(pa, "status"), "containerStatuses") != NULL);

        /* printed: each Pod's text as get -o json prints it */
        json_t *printed = each(&ctx, PODCTL_POD_PRINTED, NULL);
        CHECK(json_array_size(printed) == 2);
        for (size_t i = 0; i < 2; i++) {
                json_t *p = json_array_get(printed, i);
                char *want = dumped(json_array_get(full, i));
                CHECK(json_is_string(p));
                CHECK_STR(json_string_value(p), want);
                free(want);
        }
        json_decref(printed);

        /* rows: what a table row reads, nothing else; the same cached or not */
        json_t *rows = each(&ctx, PODCTL_POD_ROWS, NULL);
        json_t *r0 = json_array_get(rows, 0);
        json_t *meta = json_object_get(r0, "metadata");
        CHECK_STR(json_string_value(json_object_get(meta, "name")), "a");
        CHECK_STR(label_of(r0), "one");
        CHECK(json_object_get(meta, "annotations") == NULL);
        json_t *c0 = json_array_get(json_object_get(json_object_get(r0, "spec"), "containers"), 0);
        CHECK_STR(json_string_value(json_object_get(c0, "name")), "c");
        CHECK(json_object_get(c0, "image") == NULL);
        json_t *st = json_object_get(r0, "status");
        CHECK_STR(json_string_value(json_object_get(st, "podIP")), "10.0.0.9");
        json_t *cs = json_array_get(json_object_get(st, "containerStatuses"), 0);
        CHECK(json_integer_value(json_object_get(cs, "restartCount")) == 2);
        CHECK(json_is_true(json_object_get(cs, "ready")));
        CHECK(json_object_get(cs, "image") == NULL);
        json_t *cond = json_array_get(json_object_get(st, "conditions"), 0);
        CHECK_STR(json_string_value(json_object_get(cond, "status")), "True");
        CHECK(json_object_get(cond, "lastTransitionTime") == NULL);
        char *p0 = pc_xasprintf("%s/list.json", a);
        CHECK(unlink(p0) == 0);
        free(p0);
        json_t *rows2 = each(&ctx, PODCTL_POD_ROWS, NULL);
        CHECK(json_equal(rows, rows2));
        json_decref(rows2);
        json_decref(rows);

        /* -l over the cached labels; a label's rewrite seen at once */
        json_t *sel = each(&ctx, PODCTL_POD_ROWS, "app=one");
        CHECK(json_array_size(sel) == 1);
        json_decref(sel);
        write_pod(a, "a", "three");
        sel = each(&ctx, PODCTL_POD_ROWS, "app=one");
        CHECK(json_array_size(sel) == 0);
        json_decref(sel);
        sel = each(&ctx, PODCTL_POD_PRINTED, "app=three");
        CHECK(json_array_size(sel) == 1);
        CHECK_CONTAINS(json_string_value(json_array_get(sel, 0)), "\"app\": \"three\"");
        json_decref(sel);

        /* monitor_alive is not cached: a's monitor gone, a is MonitorLost
         * (Unknown, not ready) from the very same list.json, in every view;
         * done (finished) stays as it was */
        close(lock);
        json_t *lost = each(&ctx, PODCTL_POD_PRINTED, NULL);
        CHECK(json_is_object(json_array_get(lost, 0))); /* not the cached text */
        json_t *ls = json_object_get(json_array_get(lost, 0), "status");
        CHECK_STR(phase_of(ls), "Unknown");
        CHECK_STR(json_string_value(json_object_get(ls, "reason")), "MonitorLost");
        CHECK(json_is_string(json_array_get(lost, 1)));
        CHECK_CONTAINS(json_string_value(json_array_get(lost, 1)), "\"phase\": \"Succeeded\"");
        json_decref(lost);
        rows = each(&ctx, PODCTL_POD_ROWS, NULL);
        st = json_object_get(json_array_get(rows, 0), "status");
        CHECK_STR(json_string_value(json_object_get(st, "reason")), "MonitorLost");
        cs = json_array_get(json_object_get(st, "containerStatuses"), 0);
        CHECK(json_is_false(json_object_get(cs, "ready")));
        json_decref(rows);
        lost = each(&ctx, 0, NULL);
        CHECK_STR(phase_of(json_object_get(json_array_get(lost, 0), "status")), "Unknown");
        json_decref(lost);
        /* and back once a monitor holds the lock again (adoption) */
        lock = open(ml, O_RDWR | O_CLOEXEC);
        CHECK(lock >= 0 && flock(lock, LOCK_EX) == 0);
        json_t *back = each(&ctx, 0, NULL);
        CHECK_STR(phase_of(json_object_get(json_array_get(back, 0), "status")), "Running");
        json_decref(back);
        close(lock);

        /* a deleted Pod is gone, its list.json with it */
        CHECK(pc_rm_rf(d, &err) == 0);
        json_t *one = each(&ctx, 0, NULL);
        CHECK(json_array_size(one) == 1);
        json_decref(one);

        json_decref(full);
        json_decref(again);
        pc_root_close(&ctx.root);
        CHECK(pc_rm_rf(tmp, &err) == 0);
        free(ml);
        free(a);
        free(d);
        free(root);
        free(logs);
}

int main(void)
{
        test_fallbacks();
        test_views();
        UNIT_DONE();
}
