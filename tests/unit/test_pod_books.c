/* The node's books (src/pod/node.c) over Pod dirs made by hand: the phase
 * read without a full parse, and books.json, the per-Pod cache of what a
 * Pod requests, which must give way to the truth when it is missing, names
 * another pod.json, or does not decode. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pod/internal.h"
#include "util/util.h"

static void test_status_holds(void)
{
        const char *running =
            "{\n  \"status\": {\n    \"phase\": \"Running\",\n    \"x\": 1\n  }\n}";
        const char *done = "{\n  \"status\": {\n    \"phase\": \"Succeeded\"\n  }\n}";
        const char *failed =
            "{\n  \"status\": {\n    \"phase\": \"Failed\"\n  },\n  \"runtime\": {}\n}\n";
        CHECK(pc_node_status_holds(running, strlen(running)));
        CHECK(!pc_node_status_holds(done, strlen(done)));
        CHECK(!pc_node_status_holds(failed, strlen(failed)));
        /* other layouts: parsed whole */
        const char *compact = "{\"runtime\":{},\"status\":{\"reason\":\"x\",\"phase\":\"Failed\"}}";
        CHECK(!pc_node_status_holds(compact, strlen(compact)));
        const char *escaped = "{\n  \"status\": {\n    \"phase\": \"Fail\\u0065d\"\n  }\n}";
        CHECK(!pc_node_status_holds(escaped, strlen(escaped)));
        /* a prefix that looks right but a file that is not whole: the full
         * parse decides (no status: holds) */
        const char *torn = "{\n  \"status\": {\n    \"phase\": \"Failed\",\n    \"con";
        CHECK(pc_node_status_holds(torn, strlen(torn)));
        const char *nophase = "{\n  \"status\": {\n    \"reason\": \"x\"\n  }\n}";
        CHECK(pc_node_status_holds(nophase, strlen(nophase)));
        CHECK(pc_node_status_holds("", 0));
        CHECK(pc_node_status_holds("garbage", 7));
}

static void write_text(const char *dir, const char *name, const char *text)
{
        char *p = pc_xasprintf("%s/%s", dir, name);
        pc_error err;
        CHECK(pc_write_file_atomic(p, text, strlen(text), 0600, &err) == 0);
        free(p);
}

static char *pod_json(const char *name, const char *cpu, int host_port)
{
        return pc_xasprintf(
            "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\","
            "\"namespace\":\"default\",\"uid\":\"u-%s\",\"creationTimestamp\":"
            "\"2026-01-01T00:00:00Z\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":"
            "\"busybox\",\"ports\":[{\"containerPort\":80,\"hostPort\":%d}],\"resources\":{"
            "\"requests\":{\"cpu\":\"%s\",\"memory\":\"1Mi\"},\"limits\":{\"cpu\":\"%s\"}}}]}}",
            name, name, host_port, cpu, cpu);
}

static char *make_pod(struct podctl *ctx, const char *name, const char *cpu, int host_port,
                      const char *phase)
{
        char *dir = pc_xasprintf("%s/default_%s", ctx->root.pods_dir, name);
        CHECK(mkdir(dir, 0700) == 0);
        char *pj = pod_json(name, cpu, host_port);
        write_text(dir, "pod.json", pj);
        free(pj);
        char *st = pc_xasprintf("{\n  \"status\": {\n    \"phase\": \"%s\"\n  }\n}", phase);
        write_text(dir, "status.json", st);
        free(st);
        return dir;
}

static int64_t books_cpu(struct podctl *ctx)
{
        struct pc_pod_resources req;
        pc_error err;
        if (pc_node_books(ctx, &req, NULL, &err) < 0)
                return -1;
        return req.cpu_m;
}

static bool exists(const char *dir, const char *name)
{
        char *p = pc_xasprintf("%s/%s", dir, name);
        bool r = access(p, F_OK) == 0;
        free(p);
        return r;
}

/* The root's books.cache stands in front of every Pod's books.json: gone,
 * and the next walk reads the Pods' own files. */
static void forget_root_books(struct podctl *ctx)
{
        char *p = pc_xasprintf("%s/books.cache", ctx->root.root);
        unlink(p);
        free(p);
}

static void test_books_cache(void)
{
        char tmp[] = "/tmp/podctl-test-books.XXXXXX";
        CHECK(mkdtemp(tmp) != NULL);
        char *root = pc_xasprintf("%s/root", tmp), *logs = pc_xasprintf("%s/logs", tmp);
        struct podctl ctx;
        pc_error err;
        CHECK(pc_root_open(root, logs, &ctx.root, &err) == 0);
        char *a = make_pod(&ctx, "a", "100m", 8080, "Running");
        char *b = make_pod(&ctx, "b", "20m", 0, "Pending");
        char *done = make_pod(&ctx, "done", "1000m", 0, "Succeeded");
        char *failed = make_pod(&ctx, "failed", "1000m", 0, "Failed");

        /* no books.json: the truth, and nothing written without the lock */
        CHECK(books_cpu(&ctx) == 120);
        CHECK(!exists(a, "books.json"));
        CHECK(!exists(root, "books.cache"));
        /* the rows (describe node) */
        json_t *rows = json_array();
        struct pc_pod_resources req;
        CHECK(pc_node_books(&ctx, &req, rows, &err) == 0);
        CHECK(json_array_size(rows) == 2);
        json_t *r0 = json_array_get(rows, 0);
        CHECK_STR(json_string_value(json_object_get(r0, "name")), "a");
        CHECK(json_integer_value(json_object_get(r0, "cpuLimits")) == 100);
        CHECK_STR(json_string_value(json_object_get(r0, "creationTimestamp")),
                  "2026-01-01T00:00:00Z");
        json_decref(rows);

        /* under the root lock the walk makes books.json; then it is used */
        CHECK(pc_root_lock(&ctx.root, &err) == 0);
        CHECK(books_cpu(&ctx) == 120);
        pc_root_unlock(&ctx.root);
        CHECK(exists(a, "books.json") && exists(b, "books.json"));
        CHECK(!exists(done, "books.json") && !exists(failed, "books.json"));
        CHECK(exists(root, "books.cache")); /* the four Pods' lines */
        CHECK(books_cpu(&ctx) == 120);

        /* admission sees a cached Pod's hostPort */
        struct pc_node node;
        memset(&node, 0, sizeof(node));
        node.allocatable.cpu_m = 10000;
        node.allocatable.memory = 1LL << 40;
        char *pj = pod_json("new", "10m", 8080);
        json_error_t je;
        json_t *obj = json_loads(pj, 0, &je);
        free(pj);
        struct pc_pod want;
        CHECK(obj && pc_pod_from_json(obj, &want, &err) == 0);
        CHECK(pc_node_admit(&ctx, &node, &want, &err) < 0);
        CHECK_CONTAINS(err.msg, "hostPort 8080/TCP is already used by pod default/a");
        node.allocatable.cpu_m = 125;
        want.containers[0].ports[0].host_port = 9090;
        CHECK(pc_node_admit(&ctx, &node, &want, &err) < 0);
        CHECK_CONTAINS(err.msg, "Insufficient cpu: requested 10m, available 5m");
        pc_pod_free(&want);
        json_decref(obj);

        /* a books.json that names another pod.json (here: a's, replaced by a
         * spec asking more) is not believed */
        char *apj = pod_json("a", "300m", 8080);
        write_text(a, "pod.json", apj);
        free(apj);
        CHECK(books_cpu(&ctx) == 320);
        /* nor one that lies but names this pod.json wrongly, nor garbage */
        forget_root_books(&ctx);
        char *bp = pc_xasprintf("%s/books.json", b);
        write_text(b, "books.json",
                   "{\"version\":1,\"podJson\":\"0:0:0:0.0:0.0\",\"namespace\":\"default\","
                   "\"name\":\"b\",\"cpuRequests\":999999,\"memoryRequests\":0,"
                   "\"cpuLimits\":0,\"memoryLimits\":0,\"hostPorts\":[]}");
        CHECK(books_cpu(&ctx) == 320);
        write_text(b, "books.json", "{not json");
        CHECK(books_cpu(&ctx) == 320);
        forget_root_books(&ctx);
        /* remade under the lock, and then right from the cache */
        CHECK(pc_root_lock(&ctx.root, &err) == 0);
        CHECK(books_cpu(&ctx) == 320);
        pc_root_unlock(&ctx.root);
        char *text = NULL;
        CHECK(pc_read_file(bp, &text, NULL, &err) == 0);
        CHECK(text && strstr(text, "\"cpuRequests\": 20"));
        free(text);
        free(bp);
        CHECK(books_cpu(&ctx) == 320);
        /* pc_node_books_cache (create) makes one too */
        char *c = make_pod(&ctx, "c", "5m", 0, "Running");
        pc_node_books_cache(c);
        CHECK(exists(c, "books.json"));
        CHECK(books_cpu(&ctx) == 325);

        /* a Pod that finishes releases at once, cache or not */
        write_text(a, "status.json", "{\n  \"status\": {\n    \"phase\": \"Failed\"\n  }\n}");
        CHECK(books_cpu(&ctx) == 25);
        /* a deleted Pod is gone from the books */
        CHECK(pc_rm_rf(c, &err) == 0);
        CHECK(books_cpu(&ctx) == 20);
        /* a pod.json that is gone or does not decode: skipped, as before,
         * whatever books.json says */
        char *bpj = pc_xasprintf("%s/pod.json", b);
        CHECK(unlink(bpj) == 0);
        CHECK(books_cpu(&ctx) == 0);
        write_text(b, "pod.json", "{\"kind\":\"Pod\"}");
        CHECK(books_cpu(&ctx) == 0);
        free(bpj);

        pc_root_close(&ctx.root);
        CHECK(pc_rm_rf(tmp, &err) == 0);
        free(a);
        free(b);
        free(c);
        free(done);
        free(failed);
        free(root);
        free(logs);
}

/* A resize re-admits the Pod without its own old requests: Infeasible
 * beyond the node's allocatable (memory named first), Deferred when it does
 * not fit beside the others, with the kubelet's messages. */
static void test_admit_resize(void)
{
        char tmp[] = "/tmp/podctl-test-resize.XXXXXX";
        CHECK(mkdtemp(tmp) != NULL);
        char *root = pc_xasprintf("%s/root", tmp), *logs = pc_xasprintf("%s/logs", tmp);
        struct podctl ctx;
        pc_error err;
        CHECK(pc_root_open(root, logs, &ctx.root, &err) == 0);
        char *a = make_pod(&ctx, "a", "100m", 8080, "Running");
        char *b = make_pod(&ctx, "b", "20m", 0, "Running");
        struct pc_node node;
        memset(&node, 0, sizeof(node));
        node.allocatable.cpu_m = 200;
        node.allocatable.memory = 64LL << 20;
        const char *reason = "x";
        static const struct {
                const char *cpu;
                int rc;
                const char *reason, *msg;
        } cases[] = {
            /* its own 100m and hostPort are not counted against it */
            {"180m", 0, NULL, NULL},
            {"190m", -1, "Deferred",
             "Node didn't have enough resource: cpu, requested: 190, used: 20, capacity: 200"},
            {"300m", -1, "Infeasible",
             "Node didn't have enough capacity: cpu, requested: 300, capacity: 200"},
        };
        for (size_t i = 0; i < PC_ARRAY_SIZE(cases); i++) {
                char *pj = pod_json("a", cases[i].cpu, 8080);
                json_error_t je;
                json_t *obj = json_loads(pj, 0, &je);
                free(pj);
                struct pc_pod want;
                CHECK(obj && pc_pod_from_json(obj, &want, &err) == 0);
                CHECK(pc_node_admit_resize(&ctx, &node, &want, &reason, &err) == cases[i].rc);
                if (cases[i].reason) {
                        CHECK_STR(reason, cases[i].reason);
                        CHECK_STR(err.msg, cases[i].msg);
                        CHECK(err.code == ENOSPC);
                } else {
                        CHECK(reason == NULL);
                }
                /* more memory than the node has: memory is named first */
                want.containers[0].resources.memory_request = 128LL << 20;
                if (cases[i].rc < 0 && !strcmp(cases[i].reason, "Infeasible")) {
                        CHECK(pc_node_admit_resize(&ctx, &node, &want, &reason, &err) < 0);
                        CHECK_STR(err.msg, "Node didn't have enough capacity: memory, requested: "
                                           "134217728, capacity: 67108864");
                }
                pc_pod_free(&want);
                json_decref(obj);
        }
        pc_root_close(&ctx.root);
        CHECK(pc_rm_rf(tmp, &err) == 0);
        free(a);
        free(b);
        free(root);
        free(logs);
}

int main(void)
{
        test_status_holds();
        test_books_cache();
        test_admit_resize();
        UNIT_DONE();
}
