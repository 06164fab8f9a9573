#include "unit.h"
#include "util/util.h"

#include <stdlib.h>
#include <unistd.h>

int main(void)
{
        pc_error err;
        char buf[40];
        int64_t ns = 0;

        pc_format_time(1700000000123456789LL, true, buf, sizeof(buf));
        CHECK_STR(buf, "2023-11-14T22:13:20.123456789Z");
        pc_format_time(1700000000123456789LL, false, buf, sizeof(buf));
        CHECK_STR(buf, "2023-11-14T22:13:20Z");
        CHECK(pc_parse_time("2023-11-14T22:13:20.123456789Z", &ns) == 0);
        CHECK(ns == 1700000000123456789LL);
        CHECK(pc_parse_time("2023-11-14T22:13:20.5Z", &ns) == 0);
        CHECK(ns == 1700000000500000000LL);
        CHECK(pc_parse_time("garbage", &ns) < 0);
        /* outside what int64 nanoseconds hold (fuzzing found the overflow) */
        CHECK(pc_parse_time("1012-01-02T03:04:05Z", &ns) < 0);
        CHECK(pc_parse_time("2300-01-01T00:00:00Z", &ns) < 0);
        CHECK(pc_parse_time("1700-01-01T00:00:00Z", &ns) == 0 && ns < 0);

        CHECK(pc_fail(&err, 2, "open %s", "/x") == -1);
        CHECK_STR(err.msg, "open /x: No such file or directory");
        pc_error_prefix(&err, "container %s", "web");
        CHECK_STR(err.msg, "container web: open /x: No such file or directory");

        char dir[] = "/tmp/podctl-unit-XXXXXX";
        CHECK(mkdtemp(dir) != NULL);
        char *p = pc_xasprintf("%s/a/b/c", dir);
        CHECK(pc_mkdir_p(p, 0700, &err) == 0);
        char *f = pc_xasprintf("%s/a/file", dir);
        CHECK(pc_write_file_atomic(f, "hello", 5, 0600, &err) == 0);
        char *data = NULL;
        size_t len = 0;
        CHECK(pc_read_file(f, &data, &len, &err) == 0);
        CHECK(len == 5 && data && strcmp(data, "hello") == 0);
        CHECK(pc_rm_rf(dir, &err) == 0);
        CHECK(access(dir, F_OK) != 0);
        free(p);
        free(f);
        free(data);

        char u[37];
        pc_uuid4(u);
        CHECK(strlen(u) == 36 && u[14] == '4');
        CHECK(pc_proc_starttime(getpid()) > 0);
        CHECK(pc_proc_alive(getpid(), pc_proc_starttime(getpid())));
        CHECK(!pc_proc_alive(getpid(), 1));

        char **v = NULL;
        pc_strv_push(&v, "a");
        pc_strv_push(&v, "b");
        CHECK(pc_strv_len(v) == 2);
        pc_strv_free(v);
        UNIT_DONE();
}
