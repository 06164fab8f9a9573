/* Pod user namespaces (hostUsers: false): a user namespace mapping ids
 * 0..size-1 to host ids base..base+size-1, made by a throwaway child so that
 * pause and every container can join it (setns) at the right step. */
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/util.h"

int pc_userns_create(uint32_t base, uint32_t size, int *out, pc_error *err)
{
        *out = -1;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return pc_fail(err, errno, "user namespace: pipe");
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(p[0]);
                close(p[1]);
                return pc_fail(err, e, "user namespace: fork");
        }
        if (pid == 0) {
                close(p[0]);
                char c = unshare(CLONE_NEWUSER) == 0 ? 'u' : 'e';
                if (write(p[1], &c, 1) != 1)
                        _exit(1);
                pause(); /* until the parent has the namespace and kills us */
                _exit(0);
        }
        close(p[1]);
        _cleanup_pid_ pid_t child = pid;
        _cleanup_close_ int r = p[0];
        char c = 0;
        if (read(r, &c, 1) != 1 || c != 'u')
                return pc_fail(err, EPERM, "user namespace: unshare failed in the child");
        char map[64], path[64];
        int n = snprintf(map, sizeof(map), "0 %u %u\n", base, size);
        static const char *const files[] = {"uid_map", "gid_map"};
        for (size_t i = 0; i < 2; i++) {
                snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[i]);
                _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, map, (size_t)n) != n)
                        return pc_fail(err, errno, "user namespace: write %s \"%.*s\"", path, n - 1,
                                       map);
        }
        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
        *out = open(path, O_RDONLY | O_CLOEXEC);
        if (*out < 0)
                return pc_fail(err, errno, "user namespace: open %s", path);
        return 0; /* the child is killed and reaped by its cleanup */
}

int pc_userns_join(int fd, pc_error *err)
{
        if (setns(fd, CLONE_NEWUSER) < 0)
                return pc_fail(err, errno, "join the pod's user namespace");
        /* root of the namespace: its id 0 (host id base) */
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                return pc_fail(err, errno, "become root of the pod's user namespace");
        return 0;
}
