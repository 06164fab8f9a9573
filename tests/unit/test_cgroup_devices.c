/* Device access of a cgroup on the real kernel: v1 devices.allow (on a v1 or
 * hybrid host) and v2's BPF device program (on the cgroup2 mount: the whole
 * /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host). A child in the
 * cgroup may use /dev/null and mknod a block device, but not open it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "unit.h"

enum { NULL_OK = 1, MKNOD_OK = 2, BLOCK_DENIED = 4, MEM_DENIED = 8 };

/* In the child, once inside the cgroup: which of the facts hold. */
static int probe(const char *node)
{
        int r = 0;
        int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
                r |= NULL_OK;
                close(fd);
        }
        if (mknod(node, S_IFBLK | 0600, makedev(7, 0)) == 0)
                r |= MKNOD_OK;
        fd = open(node, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && errno == EPERM)
                r |= BLOCK_DENIED;
        if (fd >= 0)
                close(fd);
        unlink(node);
        /* a character device outside the list: /dev/mem (1:1) */
        if (mknod(node, S_IFCHR | 0600, makedev(1, 1)) == 0) {
                fd = open(node, O_RDONLY | O_CLOEXEC);
                if (fd < 0 && errno == EPERM)
                        r |= MEM_DENIED;
                if (fd >= 0)
                        close(fd);
                unlink(node);
        }
        return r;
}

static void suite(const char *base, const char *what)
{
        char rel[64], node[64];
        snprintf(rel, sizeof(rel), "test-dev-%d/c", (int)getpid());
        snprintf(node, sizeof(node), "/tmp/podctl-test-blk-%d", (int)getpid());
        pc_cgroup *cg = NULL;
        pc_error err;
        CHECK(pc_cgroup_create(base, rel, NULL, &cg, &err) == 0);
        if (!cg) {
                fprintf(stderr, "%s: %s\n", what, err.msg);
                return;
        }
        int r = pc_cgroup_restrict_devices(cg, NULL, 0, &err);
        CHECK(r == 0);
        if (r < 0)
                fprintf(stderr, "%s: %s\n", what, err.msg);
        int go[2];
        CHECK(pipe(go) == 0);
        pid_t pid = fork();
        if (pid == 0) {
                char c;
                close(go[1]);
                if (read(go[0], &c, 1) != 1)
                        _exit(100);
                _exit(probe(node));
        }
        close(go[0]);
        CHECK(pc_cgroup_enter(cg, pid, &err) == 0);
        CHECK(write(go[1], "g", 1) == 1);
        close(go[1]);
        int st = 0;
        waitpid(pid, &st, 0);
        int got = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (got != (NULL_OK | MKNOD_OK | BLOCK_DENIED | MEM_DENIED))
                fprintf(stderr, "%s: child facts %d\n", what, got);
        CHECK(got == (NULL_OK | MKNOD_OK | BLOCK_DENIED | MEM_DENIED));
        CHECK(pc_cgroup_destroy(cg, &err) == 0);
        pc_cgroup_free(cg);
        /* the parent test-dev-<pid> is removed with it once empty */
        char parent[128];
        snprintf(parent, sizeof(parent), "%s/podctl/test-dev-%d", base, (int)getpid());
        CHECK(access(parent, F_OK) != 0);
        unlink(node);
}

int main(void)
{
        if (geteuid() != 0) {
                printf("test_cgroup_devices: not root, skipped\n");
                UNIT_DONE();
        }
        enum pc_cgroup_mode m = pc_cgroup_detect("/sys/fs/cgroup");
        if (m != PC_CGROUP_NONE)
                suite("/sys/fs/cgroup", m == PC_CGROUP_V1 ? "v1" : "v2");
        if (m == PC_CGROUP_V1 && pc_cgroup_detect("/sys/fs/cgroup/unified") == PC_CGROUP_V2)
                suite("/sys/fs/cgroup/unified", "v2 (hybrid unified mount)");
        UNIT_DONE();
}
