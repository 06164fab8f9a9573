/* seccomp profiles: compile (docker/containerd JSON -> BPF), the on-disk
 * cache of generated filters, and loading one in a child (real kernel). */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/runtime.h"
#include "util/util.h"
#include "unit.h"

/* In a child: load f, then mkdir; the exit status tells what mkdir got. */
static int child_mkdir_errno(const struct pc_seccomp *f, const char *dir)
{
        pid_t pid = fork();
        if (pid == 0) {
                pc_error err;
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || pc_seccomp_load(f, &err) < 0)
                        _exit(200);
                _exit(mkdir(dir, 0700) == 0 ? 0 : errno);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        rmdir(dir);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void)
{
        char tmpl[] = "/tmp/podctl-test-seccomp.XXXXXX";
        char *dir = mkdtemp(tmpl);
        _cleanup_free_ char *cache = pc_xasprintf("%s/cache", dir);
        _cleanup_free_ char *probe = pc_xasprintf("%s/d", dir);
        pc_error err;
        struct pc_seccomp *a = NULL, *b = NULL, *c = NULL;

        UNIT_CASE("a profile that refuses mkdir with EACCES is applied to the child");
        const char *deny =
            "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
            "[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}";
        CHECK(pc_seccomp_compile(deny, "deny", pc_caps_default(), cache, &a, &err) == 0);
        if (a)
                CHECK(child_mkdir_errno(a, probe) == EACCES);

        UNIT_CASE("the cache gives back the same filter; a changed profile is not taken from it");
        CHECK(pc_seccomp_compile(deny, "deny", pc_caps_default(), cache, &b, &err) == 0);
        if (b)
                CHECK(child_mkdir_errno(b, probe) == EACCES);
        const char *allow = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[]}";
        CHECK(pc_seccomp_compile(allow, "allow", pc_caps_default(), cache, &c, &err) == 0);
        if (c)
                CHECK(child_mkdir_errno(c, probe) == 0);
        pc_seccomp_free(a);
        pc_seccomp_free(b);
        pc_seccomp_free(c);

        UNIT_CASE(
            "RuntimeDefault without CAP_SYS_ADMIN refuses unshare and mount; bad profiles fail");
        CHECK(pc_seccomp_compile_default(pc_caps_default(), cache, &a, &err) == 0);
        if (a) {
                pid_t pid = fork();
                if (pid == 0) {
                        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
                            pc_seccomp_load(a, &err) < 0)
                                _exit(200);
                        _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
                }
                int st = 0;
                waitpid(pid, &st, 0);
                CHECK(WIFEXITED(st) && WEXITSTATUS(st) == EPERM);
        }
        pc_seccomp_free(a);
        a = NULL;
        CHECK(pc_seccomp_compile("{\"syscalls\":[]}", "nodefault", 0, NULL, &a, &err) < 0);
        CHECK_CONTAINS(err.msg, "no defaultAction");
        CHECK(pc_seccomp_compile("{\"defaultAction\":\"SCMP_ACT_BOGUS\"}", "bogus", 0, NULL, &a,
                                 &err) < 0);
        CHECK_CONTAINS(err.msg, "unsupported action");
        CHECK(a == NULL);
        _cleanup_free_ char *rm = pc_xasprintf("rm -rf %s", dir);
        CHECK(system(rm) == 0);
        UNIT_DONE();
}
