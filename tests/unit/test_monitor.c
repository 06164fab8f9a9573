/* Unit tests of the monitor's pure parts: CRI log format, $(VAR) expansion,
 * Kubernetes' command/args/env rules, phase and status computation. */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <zlib.h>
#include <stdlib.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "util/util.h"

static void test_log_format(void)
{
        char buf[256];
        size_t n = pc_log_format(buf, sizeof(buf), 1700000000123456789LL, 0, false, "hello", 5);
        buf[n] = '\0';
        CHECK_STR(buf, "2023-11-14T22:13:20.123456789Z stdout F hello\n");
        n = pc_log_format(buf, sizeof(buf), 1700000000000000001LL, 1, true, "part", 4);
        buf[n] = '\0';
        CHECK_STR(buf, "2023-11-14T22:13:20.000000001Z stderr P part\n");
}

static char *read_all(const char *path)
{
        char *s = NULL;
        pc_error err;
        if (pc_read_file(path, &s, NULL, &err) < 0)
                return NULL;
        return s;
}

static void test_log_writer(void)
{
        char dir[] = "/tmp/podctl-unit-log-XXXXXX";
        CHECK(mkdtemp(dir) != NULL);
        char *path = pc_xasprintf("%s/0.log", dir);
        struct pc_log log = {.fd = -1};
        pc_error err;
        CHECK(pc_log_open(&log, path, NULL, &err) == 0);
        pc_log_feed(&log, 0, "one\ntw", 6);
        pc_log_feed(&log, 0, "o\n", 2);
        pc_log_feed(&log, 1, "err without newline", 19);
        /* A line longer than the buffer becomes P records, then an F. */
        size_t big = sizeof(log.buf[0]) + 10;
        char *long_line = pc_xmalloc(big + 1);
        memset(long_line, 'x', big);
        long_line[big] = '\n';
        pc_log_feed(&log, 0, long_line, big + 1);
        pc_log_close(&log);
        char *s = read_all(path);
        CHECK(s != NULL);
        CHECK_CONTAINS(s, " stdout F one\n");
        CHECK_CONTAINS(s, " stdout F two\n");
        CHECK_CONTAINS(s, " stderr F err without newline\n");
        CHECK_CONTAINS(s, " stdout P xxxx");
        CHECK_CONTAINS(s, " stdout F xxxxxxxxxx\n");
        /* Every record: timestamp, stream, tag, content. */
        int lines = 0;
        for (char *p = s; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
                lines++;
                CHECK(p[4] == '-' && p[10] == 'T' && p[29] == 'Z' && p[30] == ' ');
        }
        CHECK(lines == 5);
        free(s);
        free(long_line);
        CHECK(pc_rm_rf(dir, &err) == 0);
        free(path);
}

/* Rotation: at most max_files files, names <run>.log.<stamp>, all rotated
 * ones but the newest gzip-compressed, no record lost among the kept ones. */
static void test_log_rotation(void)
{
        char dir[] = "/tmp/podctl-unit-rot-XXXXXX";
        CHECK(mkdtemp(dir) != NULL);
        char *path = pc_xasprintf("%s/0.log", dir);
        struct pc_log log = {.fd = -1};
        struct pc_log_opts o = {.max_size = 300, .max_files = 3};
        pc_error err;
        CHECK(pc_log_open(&log, path, &o, &err) == 0);
        for (int i = 0; i < 20; i++) {
                char line[128];
                int n = snprintf(line, sizeof(line), "line %02d %060d\n", i, 0);
                pc_log_feed(&log, 0, line, (size_t)n);
                log.last_rotation = 0; /* allow the next rotation within this second */
        }
        pc_log_close(&log);
        DIR *d = opendir(dir);
        CHECK(d != NULL);
        int plain = 0, gz = 0, cur = 0;
        struct dirent *de;
        char *newest_gz = NULL;
        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (!strcmp(de->d_name, "0.log"))
                        cur++;
                else if (pc_str_has_suffix(de->d_name, ".gz")) {
                        gz++;
                        newest_gz = pc_xasprintf("%s/%s", dir, de->d_name);
                } else {
                        CHECK(strlen(de->d_name) == strlen("0.log.20261201-142530"));
                        CHECK(pc_str_has_prefix(de->d_name, "0.log.20"));
                        CHECK(de->d_name[14] == '-');
                        plain++;
                }
        }
        if (d)
                closedir(d);
        CHECK(cur == 1);
        CHECK(plain == 1);
        CHECK(gz == 1);
        /* The compressed one holds whole CRI records. */
        if (newest_gz) {
                gzFile f = gzopen(newest_gz, "rb");
                CHECK(f != NULL);
                char buf[4096];
                int n = f ? gzread(f, buf, sizeof(buf) - 1) : 0;
                if (f)
                        gzclose(f);
                CHECK(n > 0);
                buf[n > 0 ? n : 0] = '\0';
                CHECK_CONTAINS(buf, " stdout F line ");
                CHECK(n > 0 && buf[n - 1] == '\n');
                free(newest_gz);
        }
        char *s = read_all(path);
        CHECK_CONTAINS(s, "line 19 ");
        free(s);
        CHECK(pc_rm_rf(dir, &err) == 0);
        free(path);
}

/* A full disk drops records (counted) and never fails or blocks the writer. */
static void test_log_enospc(void)
{
        struct pc_log log = {.fd = -1};
        pc_error err;
        CHECK(pc_log_open(&log, "/dev/full", NULL, &err) == 0);
        pc_log_feed(&log, 0, "a\nb\nc\n", 6);
        CHECK(log.dropped == 3);
        CHECK(log.drop_errno == ENOSPC);
        pc_log_close(&log);
}

/* A read of many lines (more than the writer's 64 KiB batch) comes out as
 * the same lines, in order, each a whole F record, and two logs fed in
 * turn keep their own lines. */
static void test_log_batches(void)
{
        char dir[] = "/tmp/podctl-unit-logb-XXXXXX";
        CHECK(mkdtemp(dir) != NULL);
        _cleanup_free_ char *pa = pc_xasprintf("%s/a.log", dir);
        _cleanup_free_ char *pb = pc_xasprintf("%s/b.log", dir);
        struct pc_log a = {.fd = -1}, b = {.fd = -1};
        pc_error err;
        CHECK(pc_log_open(&a, pa, NULL, &err) == 0);
        CHECK(pc_log_open(&b, pb, NULL, &err) == 0);
        enum { N = 5000 };
        char *in = pc_xmalloc(N * 16);
        size_t len = 0;
        for (int i = 0; i < N; i++)
                len += (size_t)sprintf(in + len, "line %09d\n", i);
        pc_log_feed(&a, 0, in, len / 2 + 3); /* ends in the middle of a line */
        pc_log_feed(&b, 1, "bee\n", 4);
        pc_log_feed(&a, 0, in + len / 2 + 3, len - len / 2 - 3);
        pc_log_close(&a);
        pc_log_close(&b);
        _cleanup_free_ char *sa = read_all(pa);
        _cleanup_free_ char *sb = read_all(pb);
        CHECK(sa != NULL);
        CHECK(sb != NULL);
        int i = 0;
        bool ok = true;
        for (char *p = sa; p && *p; i++) {
                char *nl = strchr(p, '\n');
                char want[32];
                snprintf(want, sizeof(want), " stdout F line %09d", i);
                if (!nl || (size_t)(nl - p) != 30 + strlen(want) ||
                    strncmp(p + 30, want, strlen(want))) {
                        ok = false;
                        break;
                }
                p = nl + 1;
        }
        CHECK(ok);
        CHECK(i == N);
        CHECK(sb && strlen(sb) == 31 + strlen("stderr F bee\n"));
        CHECK_CONTAINS(sb, " stderr F bee\n");
        free(in);
        CHECK(pc_rm_rf(dir, &err) == 0);
}

/* A short write (here: the file size limit) keeps the whole records that
 * made it and cuts the torn one off; the rest are counted as dropped. */
static void test_log_short_write(void)
{
        char dir[] = "/tmp/podctl-unit-logs-XXXXXX";
        CHECK(mkdtemp(dir) != NULL);
        _cleanup_free_ char *path = pc_xasprintf("%s/0.log", dir);
        struct pc_log log = {.fd = -1};
        pc_error err;
        CHECK(pc_log_open(&log, path, NULL, &err) == 0);
        struct rlimit old, lim;
        getrlimit(RLIMIT_FSIZE, &old);
        lim = old;
        lim.rlim_cur = 100; /* two 42-byte records and a piece of the third */
        void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
        CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
        pc_log_feed(&log, 0, "a\nb\nc\nd\n", 8);
        setrlimit(RLIMIT_FSIZE, &old);
        signal(SIGXFSZ, prev);
        CHECK(log.dropped == 2);
        CHECK(log.drop_errno == ENOSPC); /* a short write counts as a full disk */
        pc_log_feed(&log, 0, "e\n", 2);  /* space again: written */
        CHECK(log.dropped == 0);
        pc_log_close(&log);
        _cleanup_free_ char *s = read_all(path);
        CHECK(s != NULL);
        CHECK(s && strlen(s) == 3 * 42);
        CHECK_CONTAINS(s, " stdout F a\n");
        CHECK_CONTAINS(s, " stdout F b\n");
        CHECK(s && !strstr(s, " stdout F c") && !strstr(s, " stdout F d"));
        CHECK(s && pc_str_has_suffix(s, " stdout F e\n"));
        CHECK(pc_rm_rf(dir, &err) == 0);
}

static void test_expand(void)
{
        char *env[] = {"A=alpha", "B=beta", NULL};
        char *s = pc_expand_vars("$(A)-$(B)-$(C)-$$(A)-$$$(B)", env);
        CHECK_STR(s, "alpha-beta-$(C)-$(A)-$beta");
        free(s);
        s = pc_expand_vars("no vars $(unterminated", env);
        CHECK_STR(s, "no vars $(unterminated");
        free(s);
}

static void test_resolve(void)
{
        char *entry[] = {"/entry", "-x", NULL};
        char *cmd[] = {"default-arg", NULL};
        char *ienv[] = {"PATH=/img/bin", "FOO=image", "KEEP=1", NULL};
        struct pc_image img = {
            .entrypoint = entry, .cmd = cmd, .env = ienv, .working_dir = "/work"};
        struct pc_container c = {0};
        char *menv[] = {"FOO=manifest", "N=42", NULL};
        char **argv = NULL, **envp = NULL, *cwd = NULL;
        pc_error err;

        /* Neither command nor args: ENTRYPOINT + CMD. */
        CHECK(pc_resolve_process(&c, &img, menv, &argv, &envp, &cwd, &err) == 0);
        CHECK(pc_strv_len(argv) == 3);
        CHECK_STR(argv[0], "/entry");
        CHECK_STR(argv[2], "default-arg");
        CHECK_STR(cwd, "/work");
        int foo = 0, keep = 0, path = 0;
        for (size_t i = 0; envp[i]; i++) {
                foo += !strcmp(envp[i], "FOO=manifest");
                keep += !strcmp(envp[i], "KEEP=1");
                path += !strcmp(envp[i], "PATH=/img/bin");
                CHECK(strcmp(envp[i], "FOO=image") != 0);
        }
        CHECK(foo == 1 && keep == 1 && path == 1);
        pc_strv_free(argv);
        pc_strv_free(envp);
        free(cwd);

        /* args only: ENTRYPOINT + args, with $(VAR) expansion. */
        char *args[] = {"n=$(N)", NULL};
        c.args = args;
        CHECK(pc_resolve_process(&c, &img, menv, &argv, &envp, &cwd, &err) == 0);
        CHECK(pc_strv_len(argv) == 3);
        CHECK_STR(argv[0], "/entry");
        CHECK_STR(argv[2], "n=42");
        pc_strv_free(argv);
        pc_strv_free(envp);
        free(cwd);

        /* command only: the image's CMD is dropped. */
        char *command[] = {"/bin/sh", NULL};
        c.args = NULL;
        c.command = command;
        c.working_dir = "/override";
        CHECK(pc_resolve_process(&c, &img, menv, &argv, &envp, &cwd, &err) == 0);
        CHECK(pc_strv_len(argv) == 1);
        CHECK_STR(argv[0], "/bin/sh");
        CHECK_STR(cwd, "/override");
        pc_strv_free(argv);
        pc_strv_free(envp);
        free(cwd);

        /* No command anywhere: an error, and a PATH default otherwise. */
        struct pc_image empty = {0};
        struct pc_container c2 = {0};
        CHECK(pc_resolve_process(&c2, &empty, NULL, &argv, &envp, &cwd, &err) < 0);
        CHECK_CONTAINS(err.msg, "no command specified");
}

static struct pc_container specs[3];

static void init_monitor(struct pc_monitor *m, struct pc_ctr *apps, size_t n)
{
        memset(m, 0, sizeof(*m));
        m->pod.restart_policy = "Never";
        m->app = apps;
        m->n_app = n;
        m->state = POD_RUNNING;
        for (size_t i = 0; i < n; i++) {
                memset(&apps[i], 0, sizeof(apps[i]));
                specs[i].name = i == 0 ? "a" : "b";
                apps[i].spec = &specs[i];
        }
}

static void test_phase(void)
{
        struct pc_monitor m;
        struct pc_ctr apps[2];
        init_monitor(&m, apps, 2);
        m.state = POD_INIT;
        CHECK_STR(pc_pod_phase(&m), "Pending");
        m.state = POD_RUNNING;
        CHECK_STR(pc_pod_phase(&m), "Pending"); /* nothing started yet */
        apps[0].state = CTR_RUNNING;
        apps[0].ever_started = true;
        CHECK_STR(pc_pod_phase(&m), "Running");
        apps[0].state = CTR_TERMINATED;
        apps[1].state = CTR_TERMINATED;
        apps[1].ever_started = true;
        CHECK_STR(pc_pod_phase(&m), "Succeeded");
        apps[1].exit_code = 2;
        CHECK_STR(pc_pod_phase(&m), "Failed");
        apps[1].restart_due = 1; /* will restart: still running */
        CHECK_STR(pc_pod_phase(&m), "Running");
        apps[1].restart_due = 0;
        m.failed_init = true;
        CHECK_STR(pc_pod_phase(&m), "Failed");
}

static void test_status_json(void)
{
        struct pc_monitor m;
        struct pc_ctr apps[2];
        init_monitor(&m, apps, 2);
        apps[0].state = CTR_RUNNING;
        apps[0].ever_started = true;
        apps[0].started_at = 1700000000000000000LL;
        apps[0].started = apps[0].ready = true;
        apps[1].state = CTR_TERMINATED;
        apps[1].ever_started = true;
        apps[1].exit_code = 1;
        apps[1].reason = "Error";
        apps[1].restart_count = 3;
        apps[1].finished_at = 1700000001000000000LL;
        json_t *st = pc_monitor_status_json(&m);
        CHECK_STR(json_string_value(json_object_get(st, "phase")), "Running");
        json_t *cs = json_object_get(st, "containerStatuses");
        CHECK(json_array_size(cs) == 2);
        json_t *a = json_array_get(cs, 0), *b = json_array_get(cs, 1);
        CHECK_STR(json_string_value(json_object_get(
                      json_object_get(json_object_get(a, "state"), "running"), "startedAt")),
                  "2023-11-14T22:13:20Z");
        CHECK(json_is_true(json_object_get(a, "ready")));
        json_t *t = json_object_get(json_object_get(b, "state"), "terminated");
        CHECK(json_integer_value(json_object_get(t, "exitCode")) == 1);
        CHECK_STR(json_string_value(json_object_get(t, "reason")), "Error");
        CHECK(json_integer_value(json_object_get(b, "restartCount")) == 3);
        CHECK(!json_is_true(json_object_get(b, "ready")));
        CHECK_STR(json_string_value(json_object_get(st, "qosClass")), "BestEffort");
        /* the kubelet's five, in its order */
        json_t *conds = json_object_get(st, "conditions");
        CHECK(json_array_size(conds) == 5);
        const char *order[] = {"PodReadyToStartContainers", "Initialized", "Ready",
                               "ContainersReady", "PodScheduled"};
        for (size_t k = 0; k < 5; k++)
                CHECK_STR(json_string_value(json_object_get(json_array_get(conds, k), "type")),
                          order[k]);
        json_decref(st);
}

/* The condition's field (reason/message/status) as the status shows it. */
static const char *cond_field(json_t *st, int i, const char *field)
{
        return json_string_value(
            json_object_get(json_array_get(json_object_get(st, "conditions"), i), field));
}

/* Conditions and init container readiness exactly as the kubelet writes them
 * (pkg/kubelet/status/generate.go, prober manager). */
static void test_conditions(void)
{
        struct pc_monitor m;
        struct pc_ctr apps[2], inits[2];
        static struct pc_container ispecs[2] = {{.name = "init1", .init = true},
                                                {.name = "init2", .init = true}};
        init_monitor(&m, apps, 2);
        memset(inits, 0, sizeof(inits));
        for (int i = 0; i < 2; i++)
                inits[i].spec = &ispecs[i];
        m.init = inits;
        m.n_init = 2;
        m.state = POD_INIT;
        pc_monitor_update_conditions(&m);
        json_t *st = pc_monitor_status_json(&m);
        CHECK_STR(cond_field(st, 1, "status"), "False");
        CHECK_STR(cond_field(st, 1, "reason"), "ContainersNotInitialized");
        CHECK_STR(cond_field(st, 1, "message"), "containers with incomplete status: [init1 init2]");
        CHECK_STR(cond_field(st, 2, "reason"), "ContainersNotReady");
        CHECK_STR(cond_field(st, 2, "message"), "containers with unready status: [a b]");
        CHECK_STR(cond_field(st, 3, "reason"), "ContainersNotReady");
        CHECK_STR(cond_field(st, 3, "message"), "containers with unready status: [a b]");
        json_decref(st);

        /* init1 done: ready, only init2 incomplete. */
        inits[0].state = CTR_TERMINATED;
        inits[0].ever_started = true;
        pc_monitor_update_conditions(&m);
        st = pc_monitor_status_json(&m);
        json_t *is = json_array_get(json_object_get(st, "initContainerStatuses"), 0);
        CHECK(json_is_true(json_object_get(is, "ready")));
        CHECK(!json_is_true(json_object_get(is, "started")));
        CHECK_STR(cond_field(st, 1, "message"), "containers with incomplete status: [init2]");
        json_decref(st);

        /* All done, a running and ready: Initialized True without a reason, b unready. */
        inits[1].state = CTR_TERMINATED;
        m.state = POD_RUNNING;
        apps[0].state = CTR_RUNNING;
        apps[0].ever_started = apps[0].started = apps[0].ready = true;
        pc_monitor_update_conditions(&m);
        st = pc_monitor_status_json(&m);
        CHECK_STR(cond_field(st, 1, "status"), "True");
        CHECK(cond_field(st, 1, "reason") == NULL);
        CHECK(cond_field(st, 1, "message") == NULL);
        CHECK_STR(cond_field(st, 2, "message"), "containers with unready status: [b]");
        json_decref(st);

        /* Both exited 0: Succeeded, PodCompleted everywhere, no message. */
        for (int i = 0; i < 2; i++) {
                apps[i].state = CTR_TERMINATED;
                apps[i].ever_started = true;
        }
        pc_monitor_update_conditions(&m);
        st = pc_monitor_status_json(&m);
        CHECK_STR(json_string_value(json_object_get(st, "phase")), "Succeeded");
        CHECK_STR(cond_field(st, 1, "status"), "True");
        CHECK_STR(cond_field(st, 1, "reason"), "PodCompleted");
        CHECK_STR(cond_field(st, 2, "status"), "False");
        CHECK_STR(cond_field(st, 2, "reason"), "PodCompleted");
        CHECK(cond_field(st, 2, "message") == NULL);
        CHECK_STR(cond_field(st, 3, "reason"), "PodCompleted");
        json_decref(st);

        /* A failed init container under Never: PodFailed, init1 incomplete. */
        inits[0].exit_code = 1;
        m.failed_init = true;
        for (int i = 0; i < 2; i++)
                apps[i].state = CTR_WAITING, apps[i].ever_started = false;
        inits[1].state = CTR_WAITING;
        pc_monitor_update_conditions(&m);
        st = pc_monitor_status_json(&m);
        is = json_array_get(json_object_get(st, "initContainerStatuses"), 0);
        CHECK(!json_is_true(json_object_get(is, "ready")));
        CHECK_STR(cond_field(st, 1, "message"), "containers with incomplete status: [init1 init2]");
        CHECK_STR(cond_field(st, 2, "reason"), "PodFailed");
        json_decref(st);
        for (int i = 0; i < 4; i++)
                free(m.cond_message[i]);
}

int main(void)
{
        test_log_format();
        test_log_writer();
        test_log_rotation();
        test_log_enospc();
        test_log_batches();
        test_log_short_write();
        test_expand();
        test_resolve();
        test_phase();
        test_status_json();
        test_conditions();
        UNIT_DONE();
}
