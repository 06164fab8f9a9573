/* A tiny static probe run inside test containers, for what busybox lacks.
 *   probe shm-create KEY     create a SysV shared memory segment with KEY
 *   probe shm-check KEY      exit 0 when a segment with KEY exists
 *   probe fds                list open fds of this process (one per line)
 *   probe alloc MIB          allocate and touch MIB MiB, then sleep forever
 *   probe spin               burn CPU forever
 *   probe ids                print "ruid euid" (a setuid copy shows what exec gained)
 *   probe syscalls N         make N getppid(2) calls; print the mean ns per call
 */
#include <unistd.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <time.h>

int main(int argc, char **argv)
{
        if (argc == 3 && !strcmp(argv[1], "shm-create")) {
                int id = shmget((key_t)strtol(argv[2], NULL, 0), 4096, IPC_CREAT | 0600);
                if (id < 0) {
                        perror("shmget");
                        return 1;
                }
                printf("created %d\n", id);
                return 0;
        }
        if (argc == 3 && !strcmp(argv[1], "shm-check")) {
                int id = shmget((key_t)strtol(argv[2], NULL, 0), 0, 0);
                if (id < 0) {
                        perror("shmget");
                        return 1;
                }
                printf("found %d\n", id);
                return 0;
        }
        if (argc == 2 && !strcmp(argv[1], "fds")) {
                DIR *d = opendir("/proc/self/fd");
                struct dirent *de;
                while (d && (de = readdir(d)))
                        if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
                                printf("%s\n", de->d_name);
                return 0;
        }
        if (argc == 3 && !strcmp(argv[1], "alloc")) {
                long mib = strtol(argv[2], NULL, 0);
                for (long i = 0; i < mib; i++) {
                        char *p = malloc(1 << 20);
                        if (!p)
                                return 1;
                        memset(p, 1, 1 << 20);
                        if (i % 16 == 0) {
                                printf("allocated %ld MiB\n", i);
                                fflush(stdout);
                        }
                }
                printf("allocated %ld MiB\n", mib);
                fflush(stdout);
                for (;;)
                        pause();
        }
        if (argc == 3 && !strcmp(argv[1], "syscalls")) {
                long n = strtol(argv[2], NULL, 10);
                struct timespec a, b;
                clock_gettime(CLOCK_MONOTONIC, &a);
                for (long i = 0; i < n; i++)
                        syscall(SYS_getppid);
                clock_gettime(CLOCK_MONOTONIC, &b);
                double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
                printf("%.1f\n", n > 0 ? ns / (double)n : 0.0);
                return 0;
        }
        if (argc == 2 && !strcmp(argv[1], "ids")) {
                printf("%d %d\n", (int)getuid(), (int)geteuid());
                return 0;
        }
        if (argc == 2 && !strcmp(argv[1], "spin")) {
                volatile unsigned long n = 0;
                for (;;)
                        n++;
        }
        fprintf(stderr, "usage: probe shm-create KEY | shm-check KEY | fds | alloc MIB | spin\n");
        return 2;
}
