/* The kubelet's atomic writer layout (util/atomicdir.c) on a real directory. */
#include "unit.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomicdir.h"
#include "util/util.h"

static char *slurp(const char *dir, const char *name)
{
        char *p = pc_xasprintf("%s/%s", dir, name), *out = NULL;
        pc_error err;
        if (pc_read_file(p, &out, NULL, &err) < 0)
                out = NULL;
        free(p);
        return out;
}

static char *link_of(const char *dir, const char *name)
{
        char buf[PATH_MAX];
        char *p = pc_xasprintf("%s/%s", dir, name);
        ssize_t n = readlink(p, buf, sizeof(buf) - 1);
        free(p);
        if (n < 0)
                return NULL;
        buf[n] = 0;
        return pc_xstrdup(buf);
}

static void test_layout_and_update(void)
{
        char dir[] = "/tmp/podctl-atomicdir.XXXXXX";
        CHECK(mkdtemp(dir) != NULL);
        pc_error err;
        bool changed;
        struct pc_payload_file v1[] = {
            {"a", "one", 3, 0644}, {"sub/b", "two", 3, 0400}, {"c", "old", 3, 0644}};
        CHECK(pc_atomic_dir_write(dir, v1, 3, &changed, &err) == 0);
        CHECK(changed);
        char *ts1 = link_of(dir, "..data");
        CHECK(ts1 && pc_str_has_prefix(ts1, "..20"));
        char *l = link_of(dir, "a");
        CHECK_STR(l, "..data/a");
        free(l);
        l = link_of(dir, "sub");
        CHECK_STR(l, "..data/sub");
        free(l);
        char *s = slurp(dir, "sub/b");
        CHECK_STR(s, "two");
        free(s);
        char *p = pc_xasprintf("%s/sub/b", dir);
        struct stat st;
        CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0400);
        free(p);

        /* the same payload: nothing written */
        CHECK(pc_atomic_dir_write(dir, v1, 3, &changed, &err) == 0);
        CHECK(!changed);
        char *same = link_of(dir, "..data");
        CHECK_STR(same, ts1);
        free(same);

        /* a changed one: a new directory, the old one and the stale link gone */
        struct pc_payload_file v2[] = {{"a", "ONE", 3, 0644}, {"sub/b", "two", 3, 0400}};
        CHECK(pc_atomic_dir_write(dir, v2, 2, &changed, &err) == 0);
        CHECK(changed);
        char *ts2 = link_of(dir, "..data");
        CHECK(ts2 && strcmp(ts2, ts1) != 0);
        s = slurp(dir, "a");
        CHECK_STR(s, "ONE");
        free(s);
        p = pc_xasprintf("%s/c", dir);
        CHECK(lstat(p, &st) < 0);
        free(p);
        p = pc_xasprintf("%s/%s", dir, ts1);
        CHECK(lstat(p, &st) < 0);
        free(p);
        /* a mode change alone is a change */
        struct pc_payload_file v3[] = {{"a", "ONE", 3, 0600}, {"sub/b", "two", 3, 0400}};
        CHECK(pc_atomic_dir_write(dir, v3, 2, &changed, &err) == 0);
        CHECK(changed);

        /* paths leading out are refused, nothing changed */
        struct pc_payload_file bad[] = {{"../x", "x", 1, 0644}};
        CHECK(pc_atomic_dir_write(dir, bad, 1, &changed, &err) < 0);
        struct pc_payload_file bad2[] = {{"..data", "x", 1, 0644}};
        CHECK(pc_atomic_dir_write(dir, bad2, 1, &changed, &err) < 0);
        s = slurp(dir, "a");
        CHECK_STR(s, "ONE");
        free(s);
        free(ts1);
        free(ts2);
        pc_rm_rf(dir, &err);
}

int main(void)
{
        test_layout_and_update();
        UNIT_DONE();
}
