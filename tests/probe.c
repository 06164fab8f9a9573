/* A tiny static probe run inside test containers, for what busybox lacks.
 *   probe shm-create KEY     create a SysV shared memory segment with KEY
 *   probe shm-check KEY      exit 0 when a segment with KEY exists
 *   probe fds                list open fds of this process (one per line)
 *   probe alloc MIB          allocate and touch MIB MiB, then sleep forever
 *   probe spin               burn CPU forever
 *   probe ids                print "ruid euid" (a setuid copy shows what exec gained)
 *   probe syscalls N         make N getppid(2) calls; print the mean ns per call
 *
 * Run as "agnhost" or "agnhost-2" (a copy or link by that name) it is the
 * conformance suite's stand-in for the e2e agnhost image, with the output of
 * the subcommands the suite uses (tests/conformance/README.md):
 *   pause | entrypoint-tester ARGS | etc-hosts | mounttest --FLAG=PATH... |
 *   liveness | test-webserver [--port=N] | netexec [--http-port=N]
 * as "pause" the pause image (agnhost pause), and as "nnp" the nonewprivs
 * image: prints "Effective uid: N".
 * Run as "stress" it is the documentation examples' polinux/stress:
 *   stress --vm 1 --vm-bytes N[K|M|G] --vm-hang S: a worker process allocates
 *   and touches N bytes and keeps them; if the worker dies (the OOM killer),
 *   the parent says so and exits 1, as stress does.
 */
#include <unistd.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

/* ---- agnhost stand-in ---------------------------------------------------- */

static void on_term(int sig)
{
        (void)sig;
        _exit(0);
}

/* Go's os.FileMode.String() ("-rw-r--r--", "dgtrwxrwxrwx"). */
static void go_mode(mode_t m, bool perm_only, char *out)
{
        char *o = out;
        if (!perm_only) {
                if (S_ISDIR(m))
                        *o++ = 'd';
                if (S_ISLNK(m))
                        *o++ = 'L';
                if (S_ISBLK(m))
                        *o++ = 'D';
                if (S_ISFIFO(m))
                        *o++ = 'p';
                if (S_ISSOCK(m))
                        *o++ = 'S';
                if (m & S_ISUID)
                        *o++ = 'u';
                if (m & S_ISGID)
                        *o++ = 'g';
                if (S_ISCHR(m)) {
                        *o++ = 'D';
                        *o++ = 'c';
                }
                if (m & S_ISVTX)
                        *o++ = 't';
        }
        if (o == out)
                *o++ = '-';
        const char *rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++)
                *o++ = (m & (1 << (8 - i))) ? rwx[i] : '-';
        *o = '\0';
}

static int print_content(const char *path)
{
        FILE *f = fopen(path, "r");
        if (!f) {
                printf("error reading file content for \"%s\": %s\n", path, strerror(errno));
                return -1;
        }
        printf("content of file \"%s\": ", path);
        int ch;
        while ((ch = fgetc(f)) != EOF)
                putchar(ch);
        putchar('\n');
        fclose(f);
        return 0;
}

static int flag_int(int argc, char **argv, const char *name, int def);

/* mounttest --file_content_in_loop: every 2 s until --retry_time seconds
 * (180) are over, print the content; stop once it is the initial content
 * unless --break_on_expected_content=false. */
static int content_in_loop(int argc, char **argv, const char *path)
{
        int retry = flag_int(argc, argv, "--retry_time", 180);
        bool brk = true;
        for (int i = 2; i < argc; i++)
                if (!strcmp(argv[i], "--break_on_expected_content=false"))
                        brk = false;
        int rc = -1;
        for (time_t start = time(NULL); time(NULL) - start < retry; sleep(2)) {
                char buf[4096];
                FILE *f = fopen(path, "r");
                if (!f) {
                        printf("Error reading file %s: %s, retrying\n", path, strerror(errno));
                        fflush(stdout);
                        rc = -1;
                        continue;
                }
                size_t n = fread(buf, 1, sizeof(buf) - 1, f);
                fclose(f);
                buf[n] = '\0';
                printf("content of file \"%s\": %s\n", path, buf);
                fflush(stdout);
                rc = 0;
                if (brk) {
                        if (strcmp(buf, "mount-tester new file\n")) {
                                printf("Unexpected content. Expected: mount-tester new file\n. "
                                       "Retrying");
                                continue;
                        }
                        break;
                }
        }
        return rc;
}

/* agnhost mounttest: the flags in the order mt.go runs them. */
static int mounttest(int argc, char **argv)
{
        static const char *order[] = {
            "fs_type",   "new_file_0644", "new_file_0666", "new_file_0660", "new_file_0777",
            "file_mode", "file_perm",     "file_owner",    "file_content",  "file_content_in_loop"};
        int rc = 0;
        umask(0);
        for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
                for (int i = 2; i < argc; i++) {
                        size_t n = strlen(order[k]);
                        if (strncmp(argv[i], "--", 2) || strncmp(argv[i] + 2, order[k], n) ||
                            argv[i][2 + n] != '=')
                                continue;
                        const char *path = argv[i] + 3 + n;
                        struct stat st;
                        struct statfs sf;
                        char mode[32];
                        if (!strcmp(order[k], "fs_type")) {
                                if (statfs(path, &sf) < 0) {
                                        rc = 1;
                                        continue;
                                }
                                if (sf.f_type == 0x01021994)
                                        printf("mount type of \"%s\": tmpfs\n", path);
                                else
                                        printf("mount type of \"%s\": %ld\n", path,
                                               (long)sf.f_type);
                        } else if (!strncmp(order[k], "new_file_", 9)) {
                                mode_t m = (mode_t)strtol(order[k] + 9, NULL, 8);
                                int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, m);
                                if (fd < 0 || write(fd, "mount-tester new file\n", 22) != 22) {
                                        printf("error writing new file \"%s\": %s\n", path,
                                               strerror(errno));
                                        rc = 1;
                                } else if (print_content(path) < 0) {
                                        rc = 1;
                                }
                                if (fd >= 0)
                                        close(fd);
                        } else if (!strcmp(order[k], "file_content")) {
                                rc |= print_content(path) < 0;
                        } else if (!strcmp(order[k], "file_content_in_loop")) {
                                rc |= content_in_loop(argc, argv, path) < 0;
                        } else if (stat(path, &st) < 0) {
                                printf("error stat %s: %s\n", path, strerror(errno));
                                rc = 1;
                        } else if (!strcmp(order[k], "file_owner")) {
                                printf("owner UID of \"%s\": %d\n", path, (int)st.st_uid);
                                printf("owner GID of \"%s\": %d\n", path, (int)st.st_gid);
                        } else {
                                go_mode(st.st_mode, !strcmp(order[k], "file_perm"), mode);
                                printf("%s of file \"%s\": %s\n",
                                       strcmp(order[k], "file_perm") ? "mode" : "perms", path,
                                       mode);
                        }
                }
        }
        return rc;
}

static int listen_on(int port)
{
        int fd = socket(AF_INET6, SOCK_STREAM, 0), one = 1, zero = 0;
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
        if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
                perror("listen");
                exit(1);
        }
        return fd;
}

static void url_decode(const char *in, size_t n, char *out, size_t size)
{
        char *o = out;
        for (size_t i = 0; i < n && in[i] && o < out + size - 1; i++) {
                unsigned h;
                if (in[i] == '%' && sscanf(in + i + 1, "%2x", &h) == 1) {
                        *o++ = (char)h;
                        i += 2;
                } else {
                        *o++ = in[i] == '+' ? ' ' : in[i];
                }
        }
        *o = '\0';
}

/* The value of query parameter KEY of PATH, decoded ("" when absent). */
static void query(const char *path, const char *key, char *out, size_t size)
{
        const char *q = strchr(path, '?');
        size_t kl = strlen(key);
        *out = '\0';
        for (const char *p = q; p && *p; p = strchr(p + 1, '&')) {
                if (!strncmp(p + 1, key, kl) && p[1 + kl] == '=') {
                        const char *v = p + 2 + kl;
                        url_decode(v, strcspn(v, "&"), out, size);
                        return;
                }
        }
}

/* netexec /dial: GET http://host:port/request, the reply body in a JSON
 * {"responses":[...]} (agnhost's shape), errors in "errors". */
static void dial(const char *path, char *body, size_t size)
{
        char host[256], port[16], req[1024];
        query(path, "host", host, sizeof(host));
        query(path, "port", port, sizeof(port));
        query(path, "request", req, sizeof(req));
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
            connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                snprintf(body, size, "{\"errors\":[\"dial %s:%s: %s\"]}", host, port,
                         strerror(errno));
                if (fd >= 0)
                        close(fd);
                return;
        }
        char out[2048], in[4096] = "";
        int n = snprintf(out, sizeof(out),
                         "GET /%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", req, host);
        size_t got = 0;
        ssize_t r;
        if (write(fd, out, (size_t)n) == n)
                while (got < sizeof(in) - 1 && (r = read(fd, in + got, sizeof(in) - 1 - got)) > 0)
                        got += (size_t)r;
        in[got] = '\0';
        close(fd);
        const char *b = strstr(in, "\r\n\r\n");
        snprintf(body, size, "{\"responses\":[\"%s\"]}", b ? b + 4 : "");
}

/* A one-request-at-a-time HTTP/1.1 server; mode: 'l' liveness (/healthz 200
 * for 10 s, then 500; /redirect?loc=), 'w' test-webserver, 'n' netexec
 * (/echo?msg= answers msg, /dial?host=&port=&request= asks another server;
 * every request line is logged). */
static __attribute__((noreturn)) void http_serve(int port, char mode)
{
        int lfd = listen_on(port);
        time_t start = time(NULL);
        printf("Started HTTP server on port %d\n", port);
        fflush(stdout);
        for (;;) {
                int c = accept(lfd, NULL, NULL);
                if (c < 0)
                        continue;
                char req[4096] = "", method[16] = "", path[2048] = "";
                ssize_t n = read(c, req, sizeof(req) - 1);
                if (n > 0)
                        req[n] = '\0';
                sscanf(req, "%15s %2047s", method, path);
                if (mode == 'n') {
                        printf("GET %s\n", path);
                        fflush(stdout);
                }
                int code = 200;
                char body[2200] = "ok", extra[2200] = "";
                if (mode == 'l' && !strcmp(path, "/healthz")) {
                        if (time(NULL) - start > 10) {
                                code = 500;
                                snprintf(body, sizeof(body), "error: %ld",
                                         (long)(time(NULL) - start));
                        }
                } else if (mode == 'l' && !strncmp(path, "/redirect?loc=", 14)) {
                        code = 302;
                        char loc[2048], *o = loc;
                        for (const char *p = path + 14; *p && o < loc + sizeof(loc) - 1; p++) {
                                unsigned h;
                                if (*p == '%' && sscanf(p + 1, "%2x", &h) == 1) {
                                        *o++ = (char)h;
                                        p += 2;
                                } else {
                                        *o++ = *p;
                                }
                        }
                        *o = '\0';
                        snprintf(extra, sizeof(extra), "Location: %s\r\n", loc);
                        snprintf(body, sizeof(body), "<a href=\"%s\">Found</a>.", loc);
                } else if (mode == 'n' && !strncmp(path, "/echo?msg=", 10)) {
                        snprintf(body, sizeof(body), "%s", path + 10);
                } else if (mode == 'n' && !strncmp(path, "/dial?", 6)) {
                        dial(path, body, sizeof(body));
                }
                char head[4600];
                int hl = snprintf(head, sizeof(head),
                                  "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: "
                                  "%zu\r\n%sConnection: close\r\n\r\n%s",
                                  code,
                                  code == 200   ? "OK"
                                  : code == 302 ? "Found"
                                                : "Error",
                                  strlen(body), extra, body);
                if (write(c, head, (size_t)hl) < 0)
                        perror("write");
                close(c);
        }
}

static int flag_int(int argc, char **argv, const char *name, int def)
{
        size_t n = strlen(name);
        for (int i = 2; i < argc; i++)
                if (!strncmp(argv[i], name, n) && argv[i][n] == '=')
                        return atoi(argv[i] + n + 1);
        return def;
}

static int agnhost(int argc, char **argv)
{
        const char *cmd = argc > 1 ? argv[1] : "";
        signal(SIGTERM, on_term);
        signal(SIGINT, on_term);
        if (!strcmp(cmd, "pause")) {
                printf("Paused\n");
                fflush(stdout);
                for (;;)
                        pause();
        }
        if (!strcmp(cmd, "entrypoint-tester")) {
                printf("[");
                for (int i = 0; i < argc; i++)
                        printf("%s%s", i ? " " : "", argv[i]);
                printf("]\n");
                return 0;
        }
        if (!strcmp(cmd, "etc-hosts"))
                return print_content("/etc/hosts") < 0;
        if (!strcmp(cmd, "mounttest"))
                return mounttest(argc, argv);
        if (!strcmp(cmd, "liveness"))
                http_serve(8080, 'l');
        if (!strcmp(cmd, "test-webserver"))
                http_serve(flag_int(argc, argv, "--port", 80), 'w');
        if (!strcmp(cmd, "netexec"))
                http_serve(flag_int(argc, argv, "--http-port", 8080), 'n');
        fprintf(stderr, "agnhost stand-in: unknown subcommand \"%s\"\n", cmd);
        return 2;
}

static int stress(int argc, char **argv)
{
        long long bytes = 256LL << 20; /* stress's --vm-bytes default */
        for (int i = 1; i + 1 < argc; i++)
                if (!strcmp(argv[i], "--vm-bytes")) {
                        char *end;
                        bytes = strtoll(argv[i + 1], &end, 10);
                        switch (*end) {
                        case 'k':
                        case 'K':
                                bytes <<= 10;
                                break;
                        case 'm':
                        case 'M':
                                bytes <<= 20;
                                break;
                        case 'g':
                        case 'G':
                                bytes <<= 30;
                                break;
                        }
                }
        printf("stress: info: [1] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd\n");
        fflush(stdout);
        pid_t w = fork();
        if (w < 0)
                return 1;
        if (w == 0) {
                for (long long done = 0; done < bytes; done += 1 << 20) {
                        char *p = malloc(1 << 20);
                        if (!p)
                                _exit(1);
                        memset(p, 'x', 1 << 20);
                }
                for (;;)
                        pause(); /* --vm-hang: keep it */
        }
        int st;
        while (waitpid(w, &st, 0) < 0 && errno == EINTR)
                ;
        if (WIFSIGNALED(st))
                fprintf(stderr, "stress: FAIL: [1] (415) <-- worker %d got signal %d\n", (int)w,
                        WTERMSIG(st));
        fprintf(stderr, "stress: FAIL: [1] (451) failed run completed in 1s\n");
        return 1;
}

int main(int argc, char **argv)
{
        const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
        if (!strcmp(base, "stress"))
                return stress(argc, argv);
        if (!strncmp(base, "agnhost", 7))
                return agnhost(argc, argv);
        if (!strcmp(base, "pause")) {
                char *pargv[] = {argv[0], "pause", NULL};
                return agnhost(2, pargv);
        }
        if (!strcmp(base, "nnp")) {
                printf("Effective uid: %d\n", (int)geteuid());
                return 0;
        }
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
