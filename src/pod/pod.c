/* Pod operations on a podctl root: what the CLI verbs call. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "image/image.h"
#include "monitor/monitor.h"
#include "pod/internal.h"
#include "runtime/user.h"
#include "spec/selector.h"
#include "podctl/podctl.h"
#include "state/state.h"
#include "util/util.h"

/* ---- opening, garbage collection ------------------------------------------- */

/* A pod dir without a live monitor and without status.json (or pod.json) is
 * what an apply or a delete killed half-way left (gc.c): the Pod's own, and
 * mounts of pod dirs that are gone. The debris of the other Pods goes at the
 * walk of admission (node.c), which stats their files anyway: a walk of its
 * own cost 6 ms of every create and delete at 1,000 Pods. */
static void gc_orphans(podctl *ctx, const char *ns, const char *name)
{
        _cleanup_free_ char *key = pc_pod_key(ns, name);
        pc_gc_debris(ctx, key);
}

int podctl_open(const char *root, const char *log_dir, podctl **out, pc_error *err)
{
        podctl *ctx = pc_xcalloc(1, sizeof(*ctx));
        if (pc_root_open(root, log_dir, &ctx->root, err) < 0) {
                pc_root_close(&ctx->root);
                free(ctx);
                return -1;
        }
        pc_gc_register_root(ctx->root.root);
        *out = ctx;
        return 0;
}

void podctl_close(podctl *ctx)
{
        if (!ctx)
                return;
        pc_root_close(&ctx->root);
        free(ctx);
}

const char *podctl_root_dir(const podctl *ctx)
{
        return ctx->root.root;
}

const char *podctl_log_dir(const podctl *ctx)
{
        return ctx->root.log_dir;
}

/* ---- create ------------------------------------------------------------------ */

/* One image as the CLI resolves it for the monitor: its record when it is
 * used as it is, {"pull": {"policy": P}} when it is to be pulled first
 * (missing, or pull policy Always for an image that came from a registry),
 * {"pull": {"never": true}} for Never and a missing image. NULL: a damaged
 * image (err set). */
static json_t *image_record(pc_image_store *s, const char *image, const char *policy, pc_error *err)
{
        struct pc_image *img = NULL;
        pc_error e;
        bool present = pc_image_get(s, image, &img, &e) == 0;
        json_t *rec = NULL;
        if (!present && e.code != ENOENT)
                *err = e; /* a damaged image, not a missing one */
        else if (present && (strcmp(policy, "Always") != 0 || !pc_image_pulled(s, image)))
                /* an image loaded from an archive has no registry to ask */
                rec = pc_image_to_json(img);
        else if (!present && !strcmp(policy, "Never"))
                rec = json_pack("{s:{s:b}}", "pull", "never", 1);
        else
                rec = json_pack("{s:{s:s}}", "pull", "policy", policy);
        pc_image_free(img);
        return rec;
}

/* Each container's image ({container: record}) and each image volume's
 * ({"_volumes": {volume: record}}: '_' is in no container name), as
 * image_record says: the Pod is admitted and its monitor pulls (with a
 * helper process) or reports ErrImageNeverPull, as the kubelet does. */
int pc_pod_check_images(podctl *ctx, const struct pc_pod *pod, json_t **records, pc_error *err)
{
        pc_image_store *s = NULL;
        if (pc_image_store_open(ctx->root.root, &s, err) < 0)
                return -1;
        json_t *rec = json_object();
        int r = 0;
        for (int l = 0; l < 2 && r == 0; l++) {
                const struct pc_container *cs = l ? pod->containers : pod->init_containers;
                size_t n = l ? pod->n_containers : pod->n_init_containers;
                for (size_t i = 0; i < n && r == 0; i++) {
                        const char *policy =
                            cs[i].image_pull_policy ? cs[i].image_pull_policy : "IfNotPresent";
                        json_t *one = image_record(s, cs[i].image, policy, err);
                        if (!one)
                                r = pc_error_prefix(err, "container \"%s\"", cs[i].name);
                        else
                                json_object_set_new(rec, cs[i].name, one);
                }
        }
        json_t *vols = json_object();
        for (size_t i = 0; i < pod->n_volumes && r == 0; i++) {
                const struct pc_volume *v = &pod->volumes[i];
                if (v->kind != PC_VOL_IMAGE)
                        continue;
                const char *policy = v->image_pull_policy ? v->image_pull_policy : "IfNotPresent";
                json_t *one = image_record(s, v->image_ref, policy, err);
                if (!one)
                        r = pc_error_prefix(err, "volume \"%s\"", v->name);
                else
                        json_object_set_new(vols, v->name, one);
        }
        json_object_set_new(rec, "_volumes", vols);
        pc_image_store_close(s);
        if (r < 0) {
                json_decref(rec);
                return -1;
        }
        *records = rec;
        return 0;
}

static int move_fd_high(int fd)
{
        int n = fcntl(fd, F_DUPFD_CLOEXEC, 100);
        close(fd);
        return n;
}

/* Start the Pod's keeper detached (its own session, reparented to init); it
 * starts the monitor as its child with the pod's monitor.lock (already
 * flocked by us) and the report pipe as fds 3, 4. */
int pc_spawn_monitor(podctl *ctx, const char *dir, int lock_fd, int report_w, pc_error *err)
{
        _cleanup_free_ char *bin = pc_xasprintf("%s/podctl-monitor", ctx->root.libexec_dir);
        _cleanup_free_ char *keeper = pc_xasprintf("%s/podctl-keeper", ctx->root.libexec_dir);
        if (access(bin, X_OK) < 0)
                return pc_fail(err, errno, "%s", bin);
        if (access(keeper, X_OK) < 0)
                return pc_fail(err, errno, "%s", keeper);
        char cli_path[4096] = "";
        ssize_t cn = readlink("/proc/self/exe", cli_path, sizeof(cli_path) - 1);
        cli_path[cn > 0 ? cn : 0] = '\0';
        pid_t pid = fork();
        if (pid < 0)
                return pc_fail(err, errno, "fork");
        if (pid == 0) {
                setsid();
                pid_t gc = fork();
                if (gc != 0)
                        _exit(gc < 0 ? 1 : 0);
                int l = move_fd_high(lock_fd), w = move_fd_high(report_w);
                /* above 4: /dev/null in a slot dup2 overwrites below would
                 * leave the report pipe as the keeper's stdio */
                int nfd = move_fd_high(open("/dev/null", O_RDWR));
                if (l < 0 || w < 0 || nfd < 0 || dup2(l, 3) < 0 || dup2(w, 4) < 0)
                        _exit(127);
                dup2(nfd, 0);
                dup2(nfd, 1);
                dup2(nfd, 2);
                pc_close_fds_from(5, -1);
                /* image pulls: the monitor runs this binary's `image pull-for-pod` */
                if (cli_path[0])
                        setenv("PODCTL_PULL_HELPER", cli_path, 1);
                /* The keeper execs the monitor with these and the lock,
                 * report and keeper fds (src/keeper/keeper.c). */
                char *kargv[] = {
                    "podctl-keeper", (char *)dir,       bin,         "--root",    ctx->root.root,
                    "--log-dir",     ctx->root.log_dir, "--pod-dir", (char *)dir, NULL};
                execv(keeper, kargv);
                _exit(127);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return pc_fail(err, 0, "could not start podctl-monitor");
        return 0;
}

/* Read the monitor's report: "error <msg>" lines, then "ok" or "fatal <msg>". */
int pc_read_report(int fd, int wait_ms, char ***errors, pc_error *err)
{
        char buf[8192];
        size_t len = 0;
        int64_t deadline = pc_monotonic_ns() + (int64_t)wait_ms * 1000000;
        for (;;) {
                int64_t left = (deadline - pc_monotonic_ns()) / 1000000;
                if (left <= 0)
                        break;
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int n = poll(&p, 1, (int)left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                len += (size_t)r;
                if (len == sizeof(buf) - 1)
                        break;
        }
        buf[len] = '\0';
        for (char *line = buf, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (pc_str_has_prefix(line, "error "))
                        pc_strv_push(errors, line + 6);
                else if (pc_str_has_prefix(line, "fatal "))
                        return pc_fail(err, 0, "%s", line + 6);
        }
        /* Without "ok" within wait_ms the Pod is still starting: that is fine. */
        return 0;
}

/* hostUsers: false: a range of 65536 host ids of its own for the Pod: the
 * first multiple of 65536 of the pool that no Pod of any podctl root on this
 * host holds. The pool is the "podctl" user's ranges in /etc/subuid and
 * /etc/subgid when it has any (as the kubelet takes the "kubelet" user's),
 * else 65536 up (4096 ranges). Holdings are files /run/podctl/userns/<base>
 * naming the pod dir (created O_EXCL; one whose pod dir no longer records
 * that base is stale and taken over), and the Pod's own <pod>/userns.json. */
#define USERNS_SIZE  65536ull
#define USERNS_SLOTS 4096ull
#define USERNS_REG   "/run/podctl/userns"
#define USERNS_USER  "podctl"

/* The `USERNS_USER` entry of a subid file: 1 with *start, *count; 0 if none. */
static int subid_range(const char *path, unsigned long long *start, unsigned long long *count,
                       pc_error *err)
{
        _cleanup_free_ char *data = NULL;
        size_t n = 0;
        pc_error e;
        if (pc_read_file(path, &data, &n, &e) < 0)
                return e.code == ENOENT ? 0 : pc_fail(err, e.code, "read %s", path);
        for (char *line = data, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                char *colon = strchr(line, ':');
                if (!colon || (size_t)(colon - line) != strlen(USERNS_USER) ||
                    strncmp(line, USERNS_USER, strlen(USERNS_USER)) != 0)
                        continue;
                char *end;
                errno = 0;
                *start = strtoull(colon + 1, &end, 10);
                if (errno || *end != ':')
                        return pc_fail(err, EINVAL,
                                       "%s: the " USERNS_USER " entry is not NAME:START:COUNT",
                                       path);
                *count = strtoull(end + 1, &end, 10);
                if (errno || *end)
                        return pc_fail(err, EINVAL,
                                       "%s: the " USERNS_USER " entry is not NAME:START:COUNT",
                                       path);
                return 1;
        }
        return 0;
}

/* The pool as range indices [*first, *first + *slots). */
static int userns_pool(unsigned long long *first, unsigned long long *slots, pc_error *err)
{
        unsigned long long us = 0, uc = 0, gs = 0, gc = 0;
        int u = subid_range("/etc/subuid", &us, &uc, err);
        if (u < 0)
                return -1;
        int g = subid_range("/etc/subgid", &gs, &gc, err);
        if (g < 0)
                return -1;
        if (!u && !g) {
                *first = 1;
                *slots = USERNS_SLOTS;
                return 0;
        }
        if (u != g || us != gs || uc != gc)
                return pc_fail(err, EINVAL,
                               "the " USERNS_USER " user's ranges in /etc/subuid and /etc/subgid "
                               "differ: they must be the same");
        if (us == 0 || us % USERNS_SIZE || uc % USERNS_SIZE || uc < USERNS_SIZE ||
            us + uc > (1ull << 32))
                return pc_fail(err, EINVAL,
                               "the " USERNS_USER " user's range in /etc/subuid (%llu:%llu) must "
                               "start at a non-zero multiple of 65536 and hold a multiple of 65536 "
                               "ids, within 32 bits",
                               us, uc);
        *first = us / USERNS_SIZE;
        *slots = uc / USERNS_SIZE;
        return 0;
}

static long long recorded_base(const char *pod_dir)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/userns.json", pod_dir);
        json_t *j = NULL;
        pc_error ignore;
        if (pc_json_load(p, &j, &ignore) < 0)
                return -1;
        long long b = (long long)json_integer_value(json_object_get(j, "base"));
        json_decref(j);
        return b;
}

/* Hold base..base+size for the Pod in dir: its registry file (O_EXCL; a
 * stale one, whose pod dir no longer records that base, is taken over) and
 * its userns.json. 0 held, 1 another Pod holds it (or took it meanwhile),
 * -1 error. */
static int hold_range(const char *dir, unsigned long long base, unsigned long long size,
                      char **holder, pc_error *err)
{
        _cleanup_free_ char *reg = pc_xasprintf(USERNS_REG "/%llu", base);
        int fd = open(reg, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST) {
                pc_error ignore;
                if (pc_read_file(reg, holder, NULL, &ignore) == 0 &&
                    recorded_base(*holder) == (long long)base)
                        return 1; /* held */
                free(*holder);
                *holder = NULL;
                unlink(reg); /* stale: its Pod is gone */
                fd = open(reg, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        }
        if (fd < 0)
                return errno == EEXIST ? 1 : pc_fail(err, errno, "%s", reg);
        int w = pc_write_all(fd, dir, strlen(dir));
        close(fd);
        json_t *j = json_pack("{s:I,s:I}", "base", (json_int_t)base, "size", (json_int_t)size);
        _cleanup_free_ char *p = pc_xasprintf("%s/userns.json", dir);
        int r = w < 0 ? pc_fail(err, errno, "write %s", reg) : pc_json_save(p, j, true, err);
        json_decref(j);
        if (r < 0)
                unlink(reg);
        return r;
}

static int alloc_userns(const char *dir, pc_error *err)
{
        unsigned long long first = 0, slots = 0;
        if (userns_pool(&first, &slots, err) < 0)
                return -1;
        if (pc_mkdir_p(USERNS_REG, 0700, err) < 0)
                return -1;
        for (unsigned long long k = first; k < first + slots; k++) {
                _cleanup_free_ char *holder = NULL;
                int r = hold_range(dir, k * USERNS_SIZE, USERNS_SIZE, &holder, err);
                if (r <= 0)
                        return r;
        }
        return pc_fail(err, ENOSPC,
                       "no free user namespace range (%llu Pods with hostUsers: false hold "
                       "them all)",
                       slots);
}

/* A CRI sandbox's range, as the kubelet mapped it: held the same way, or
 * refused when another Pod holds that base. */
static int alloc_userns_at(const char *dir, const char *spec, pc_error *err)
{
        unsigned long long base = 0, size = 0;
        char *end;
        errno = 0;
        base = strtoull(spec, &end, 10);
        if (errno || *end != ':' || !base)
                return pc_fail(err, EINVAL, "user namespace range \"%s\": not HOSTID:LENGTH", spec);
        size = strtoull(end + 1, &end, 10);
        if (errno || *end || !size || base + size > (1ull << 32))
                return pc_fail(err, EINVAL, "user namespace range \"%s\": not HOSTID:LENGTH", spec);
        if (pc_mkdir_p(USERNS_REG, 0700, err) < 0)
                return -1;
        _cleanup_free_ char *holder = NULL;
        int r = hold_range(dir, base, size, &holder, err);
        if (r == 1)
                return pc_fail(err, EBUSY,
                               "user namespace range %llu+%llu: held by another Pod (%s)", base,
                               size, holder ? holder : "?");
        return r;
}

/* The Pod's holding, when its pod dir goes. */
static void release_userns(const char *dir)
{
        long long base = recorded_base(dir);
        if (base <= 0)
                return;
        _cleanup_free_ char *reg = pc_xasprintf(USERNS_REG "/%lld", base);
        _cleanup_free_ char *holder = NULL;
        pc_error ignore;
        if (pc_read_file(reg, &holder, NULL, &ignore) == 0 && !strcmp(holder, dir))
                unlink(reg);
}

int podctl_pod_create(podctl *ctx, struct pc_pod *pod, int wait_ms, char ***start_errors,
                      pc_error *err)
{
        _cleanup_free_ char *dir = pc_pod_dir(&ctx->root, pod->namespace_, pod->name);
        _cleanup_free_ char *lockp = pc_xasprintf("%s/monitor.lock", dir);
        _cleanup_free_ char *podp = pc_xasprintf("%s/pod.json", dir);
        _cleanup_free_ char *imagesp = pc_xasprintf("%s/images.json", dir);
        _cleanup_(json_decrefp) json_t *images = NULL;
        _cleanup_close_ int lock_fd = -1;
        int pipefd[2] = {-1, -1};
        char **errors = pc_xcalloc(1, sizeof(char *));
        if (start_errors)
                *start_errors = NULL;
        /* a CRI sandbox's user namespace range is the kubelet's */
        const char *cri_userns = NULL;
        for (size_t i = 0; pod->cri_sandbox && i < pod->n_annotations; i++)
                if (!strcmp(pod->annotations[i].name, PC_CRI_USERNS_ANNOTATION))
                        cri_userns = pod->annotations[i].value;

        if (pc_root_lock(&ctx->root, err) < 0)
                goto fail;
        gc_orphans(ctx, pod->namespace_, pod->name);
        struct stat st;
        if (stat(dir, &st) == 0) {
                _cleanup_free_ char *key = pc_pod_key(pod->namespace_, pod->name);
                struct pc_pod_state ps;
                pc_error e2;
                int same =
                    pc_pod_state_load(&ctx->root, key, &ps, &e2) == 0 &&
                    json_equal(json_object_get(ps.pod, "spec"), json_object_get(pod->json, "spec"));
                pc_pod_state_free(&ps);
                pc_root_unlock(&ctx->root);
                pc_strv_free(errors);
                if (same)
                        return PODCTL_UNCHANGED;
                return pc_fail(err, EEXIST,
                               "pods \"%s\" already exists with a different spec (a Pod's spec "
                               "cannot be changed: delete it first)",
                               pod->name);
        }
        if (pc_pod_check_images(ctx, pod, &images, err) < 0)
                goto fail;
        /* Admission: the whole Pod fits what is left, or nothing of it is
         * made. The check and the reservation (the pod dir below) happen
         * under the same root lock. */
        struct pc_node node;
        if (pc_node_load(&ctx->root, &node, err) < 0)
                goto fail;
        int admitted = pc_security_admit(ctx, &node, pod, err) == 0 &&
                       pc_node_admit(ctx, &node, pod, err) == 0;
        pc_node_free(&node);
        if (!admitted)
                goto fail;

        char uid[37], ts[40];
        pc_uuid4(uid);
        pc_format_time(pc_now_ns(), false, ts, sizeof(ts));
        json_t *meta = json_object_get(pod->json, "metadata");
        json_object_set_new(meta, "uid", json_string(uid));
        json_object_set_new(meta, "creationTimestamp", json_string(ts));
        free(pod->uid);
        pod->uid = pc_xstrdup(uid);

        if (mkdir(dir, 0700) < 0) {
                pc_fail(err, errno, "mkdir %s", dir);
                goto fail;
        }
        lock_fd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lock_fd < 0 || flock(lock_fd, LOCK_EX) < 0) {
                pc_fail(err, errno, "lock %s", lockp);
                goto fail_dir;
        }
        if (pc_json_save(podp, pod->json, true, err) < 0 ||
            pc_json_save(imagesp, images, true, err) < 0 ||
            (!pod->host_users &&
             (cri_userns ? alloc_userns_at(dir, cri_userns, err) : alloc_userns(dir, err)) < 0))
                goto fail_dir;
        pc_node_books_cache(dir);
        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                pc_fail(err, errno, "pipe");
                goto fail_dir;
        }
        if (pc_spawn_monitor(ctx, dir, lock_fd, pipefd[1], err) < 0)
                goto fail_dir;
        close(pipefd[1]);
        pipefd[1] = -1;
        /* The monitor holds the lock now (same open file description). */
        close(STEAL_FD(lock_fd));
        pc_root_unlock(&ctx->root);

        int r = pc_read_report(pipefd[0], wait_ms, &errors, err);
        close(pipefd[0]);
        if (r < 0) {
                /* The monitor rolled back and exited: remove what is left. */
                pc_error e2;
                for (int i = 0; i < 500 && pc_pod_monitor_alive(dir); i++)
                        usleep(10000);
                pc_root_lock(&ctx->root, &e2);
                pc_rm_rf(dir, &e2);
                pc_root_unlock(&ctx->root);
                pc_strv_free(errors);
                return -1;
        }
        if (start_errors && errors[0])
                *start_errors = STEAL(errors);
        pc_strv_free(errors);
        return PODCTL_CREATED;

fail_dir : {
        pc_error e2;
        pc_rm_rf(dir, &e2);
}
fail:
        if (pipefd[0] >= 0)
                close(pipefd[0]);
        if (pipefd[1] >= 0)
                close(pipefd[1]);
        pc_root_unlock(&ctx->root);
        pc_strv_free(errors);
        return -1;
}

/* ---- re-adoption ---------------------------------------------------------------- */

static bool read_pidfile(const char *dir, pid_t *pid, uint64_t *start)
{
        _cleanup_free_ char *pp = pc_xasprintf("%s/monitor.pid", dir);
        _cleanup_free_ char *s = NULL;
        pc_error e2;
        unsigned long long st = 0;
        int p = 0;
        if (pc_read_file(pp, &s, NULL, &e2) < 0 || sscanf(s, "%d %llu", &p, &st) != 2)
                return false;
        *pid = p;
        *start = st;
        return true;
}

int pc_pod_adopt(podctl *ctx, const char *dir, pc_error *err)
{
        (void)ctx;
        if (pc_pod_monitor_alive(dir))
                return 0;
        _cleanup_free_ char *sp = pc_xasprintf("%s/status.json", dir);
        _cleanup_(json_decrefp) json_t *doc = NULL;
        if (pc_json_load(sp, &doc, err) < 0)
                return -1;
        json_t *rt = json_object_get(doc, "runtime");
        if (json_is_true(json_object_get(rt, "finished")))
                return pc_fail(err, EINVAL, "the Pod is finished: nothing to adopt");
        pid_t keeper = (pid_t)json_integer_value(json_object_get(rt, "keeperPid"));
        uint64_t kstart = (uint64_t)json_integer_value(json_object_get(rt, "keeperStart"));
        if (keeper <= 0 || !pc_proc_alive(keeper, kstart))
                return pc_fail(err, ESRCH,
                               "the Pod's podctl-keeper is gone: no monitor can adopt it");
        pid_t old = (pid_t)json_integer_value(json_object_get(rt, "monitorPid"));
        if (kill(keeper, SIGHUP) < 0)
                return pc_fail(err, errno, "signal podctl-keeper %d", (int)keeper);
        /* Adopted once the new monitor holds the lock and has written the
         * status (its pid in it): until then a delete's SIGTERM could find
         * it before its signals are blocked. */
        int64_t deadline = pc_monotonic_ns() + 10 * 1000000000LL;
        while (pc_monotonic_ns() < deadline) {
                pid_t mpid = 0;
                uint64_t mstart = 0;
                if (read_pidfile(dir, &mpid, &mstart) && mpid != old) {
                        if (!pc_proc_alive(mpid, mstart) && !pc_pod_monitor_alive(dir))
                                return pc_fail(err, 0,
                                               "podctl-monitor --adopt failed (see %s/monitor.log)",
                                               dir);
                        json_t *d = NULL;
                        pc_error e2;
                        bool ok = pc_pod_monitor_alive(dir) && pc_json_load(sp, &d, &e2) == 0 &&
                                  json_integer_value(json_object_get(json_object_get(d, "runtime"),
                                                                     "monitorPid")) == mpid;
                        json_decref(d);
                        if (ok)
                                return 0;
                }
                struct timespec ts = {0, 5 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        return pc_fail(err, ETIMEDOUT, "podctl-monitor --adopt did not start (see %s/monitor.log)",
                       dir);
}

/* Any command that finds a Pod's monitor dead starts one (PODCTL_ADOPT=0:
 * not, to look at a Pod as it is). */
void pc_pod_adopt_if_lost(podctl *ctx, struct pc_pod_state *ps)
{
        const char *env = getenv("PODCTL_ADOPT");
        if (ps->monitor_alive || ps->finished || !ps->status || (env && !strcmp(env, "0")))
                return;
        pc_error e2;
        if (pc_pod_adopt(ctx, ps->dir, &e2) < 0)
                return; /* stays MonitorLost; the status says so */
        _cleanup_free_ char *dir = pc_xstrdup(ps->dir);
        char *slash = strrchr(dir, '/');
        if (!slash)
                return;
        struct pc_pod_state fresh;
        if (pc_pod_state_load(&ctx->root, slash + 1, &fresh, &e2) < 0)
                return;
        pc_pod_state_free(ps);
        *ps = fresh;
}

void pc_pod_adopt_key_if_lost(podctl *ctx, const char *key)
{
        struct pc_pod_state pre;
        pc_error e2;
        if (pc_pod_state_load(&ctx->root, key, &pre, &e2) == 0)
                pc_pod_adopt_if_lost(ctx, &pre);
        pc_pod_state_free(&pre);
}

/* ---- reading -------------------------------------------------------------------- */

static int load(podctl *ctx, const char *ns, const char *name, struct pc_pod_state *ps,
                pc_error *err)
{
        _cleanup_free_ char *key = pc_pod_key(ns, name);
        int r = pc_pod_state_load(&ctx->root, key, ps, err);
        if (r == 0)
                pc_pod_adopt_if_lost(ctx, ps);
        if (r < 0 || (!ps->status && !ps->monitor_alive)) {
                /* A Pod exists once its monitor runs or has written its status;
                 * anything else in pods/ is an apply's debris (gc_orphans). */
                bool missing = r == 0 || err->code == ENOENT;
                pc_pod_state_free(ps);
                if (missing)
                        return pc_fail(err, ENOENT, "pods \"%s\" not found", name);
                return -1;
        }
        return 0;
}

/* The v1 Pod with status; honest when the monitor is gone. With take, made
 * of ps's own pod and status (which ps then no longer has): no copies, for
 * a caller about to free ps. */
static json_t *pod_object_of(struct pc_pod_state *ps, bool take)
{
        bool lost = !ps->monitor_alive && !ps->finished && ps->status;
        json_t *o, *status;
        if (take) {
                o = STEAL(ps->pod);
                status = STEAL(ps->status);
        } else {
                o = json_deep_copy(ps->pod);
                status = ps->status ? json_deep_copy(ps->status) : NULL;
        }
        if (!status)
                status = json_pack("{s:s}", "phase", "Pending");
        if (lost) {
                json_object_set_new(status, "phase", json_string("Unknown"));
                json_object_set_new(status, "reason", json_string("MonitorLost"));
                json_object_set_new(status, "message",
                                    json_string("podctl-monitor of this Pod is not running; the "
                                                "container states below are the last known"));
                /* Nobody watches: never Ready (as the node controller marks
                 * the Pods of a lost kubelet). */
                size_t i;
                json_t *c;
                json_array_foreach(json_object_get(status, "conditions"), i, c)
                {
                        const char *t = json_string_value(json_object_get(c, "type"));
                        if (t && (!strcmp(t, "Ready") || !strcmp(t, "ContainersReady"))) {
                                json_object_set_new(c, "status", json_string("False"));
                                json_object_set_new(c, "reason", json_string("MonitorLost"));
                                json_object_set_new(
                                    c, "message",
                                    json_string("podctl-monitor of this Pod is not running"));
                        }
                }
                const char *lists[2] = {"initContainerStatuses", "containerStatuses"};
                for (int l = 0; l < 2; l++)
                        json_array_foreach(json_object_get(status, lists[l]), i, c)
                        {
                                json_object_set_new(c, "ready", json_false());
                        }
        }
        json_object_set_new(o, "status", status);
        return o;
}

static json_t *pod_object(const struct pc_pod_state *ps)
{
        return pod_object_of((struct pc_pod_state *)ps, false);
}

int podctl_pod_get(podctl *ctx, const char *ns, const char *name, json_t **out, pc_error *err)
{
        struct pc_pod_state ps;
        if (load(ctx, ns, name, &ps, err) < 0)
                return -1;
        *out = pod_object(&ps);
        pc_pod_state_free(&ps);
        return 0;
}

int podctl_pod_each(podctl *ctx, const char *ns, const char *selector, unsigned flags,
                    podctl_pod_fn fn, void *data, pc_error *err)
{
        struct pc_selector *sel = NULL;
        if (selector && *selector && pc_selector_parse(selector, &sel, err) < 0)
                return -1;
        _cleanup_strv_ char **keys = NULL;
        if (pc_pods_list(&ctx->root, &keys, err) < 0) {
                pc_selector_free(sel);
                return -1;
        }
        enum pc_list_view view = (flags & PODCTL_POD_ROWS)      ? PC_LIST_ROWS
                                 : (flags & PODCTL_POD_PRINTED) ? PC_LIST_PRINTED
                                                                : PC_LIST_FULL;
        for (size_t i = 0; keys[i]; i++) {
                struct pc_pod_state ps;
                _cleanup_free_ char *printed = NULL;
                pc_error e2;
                if (pc_pod_list_load(&ctx->root, keys[i], view, &ps, &printed, &e2) < 0 ||
                    (!ps.status && !ps.monitor_alive)) {
                        pc_pod_state_free(&ps);
                        continue; /* being created or deleted, or an apply's debris */
                }
                if (!ps.monitor_alive && !ps.finished) {
                        pc_pod_adopt_if_lost(ctx, &ps); /* read again in full when adopted */
                        if (view == PC_LIST_ROWS)
                                pc_pod_state_rows(&ps);
                }
                json_t *meta = json_object_get(ps.pod, "metadata");
                const char *pns = json_string_value(json_object_get(meta, "namespace"));
                if ((!ns || (pns && !strcmp(ns, pns))) &&
                    (!sel || pc_selector_match(sel, json_object_get(meta, "labels"))))
                        fn(printed ? json_stringn_nocheck(printed, strlen(printed))
                                   : pod_object_of(&ps, true),
                           data);
                pc_pod_state_free(&ps);
        }
        pc_selector_free(sel);
        return 0;
}

int podctl_pod_list(podctl *ctx, const char *ns, json_t **out, pc_error *err)
{
        return podctl_pod_select(ctx, ns, NULL, out, err);
}

int podctl_pod_events(podctl *ctx, const char *ns, const char *name, json_t **out, pc_error *err)
{
        struct pc_pod_state ps;
        if (load(ctx, ns, name, &ps, err) < 0)
                return -1;
        *out = ps.events ? json_incref(ps.events) : json_array();
        pc_pod_state_free(&ps);
        return 0;
}

int podctl_pod_inspect(podctl *ctx, const char *ns, const char *name, json_t **out, pc_error *err)
{
        struct pc_pod_state ps;
        if (load(ctx, ns, name, &ps, err) < 0)
                return -1;
        json_t *o = json_object();
        json_t *meta = json_object_get(ps.pod, "metadata");
        json_object_set(o, "name", json_object_get(meta, "name"));
        json_object_set(o, "namespace", json_object_get(meta, "namespace"));
        json_object_set(o, "uid", json_object_get(meta, "uid"));
        json_object_set_new(o, "stateDir", json_string(ps.dir));
        json_object_set_new(o, "monitorAlive", json_boolean(ps.monitor_alive));
        if (ps.status)
                json_object_set(o, "phase", json_object_get(ps.status, "phase"));
        json_object_set_new(o, "runtime", ps.runtime ? json_incref(ps.runtime) : json_object());
        *out = o;
        pc_pod_state_free(&ps);
        return 0;
}

/* ---- delete ---------------------------------------------------------------------- */

static bool wait_monitor_exit(const char *dir, int64_t timeout_ms)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/monitor.lock", dir);
        _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return true;
        int64_t deadline = pc_monotonic_ns() + timeout_ms * 1000000;
        while (pc_monotonic_ns() < deadline) {
                if (flock(fd, LOCK_SH | LOCK_NB) == 0)
                        return true;
                struct timespec ts = {0, 2 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
        return false;
}

/* Ask the Pod's monitor to stop it (grace < 0: the Pod's own period) and
 * wait until the monitor has exited. */
static void stop_monitor_once(struct pc_pod_state *ps, int64_t grace);

/* A monitor killed in the middle of the stop leaves a Pod that is not
 * finished: a new one adopts it and is asked again, with what is left of the
 * grace period (a few times at most). */
static void stop_monitor(podctl *ctx, struct pc_pod_state *ps, int64_t grace)
{
        int64_t start = pc_monotonic_ns();
        if (grace < 0) {
                json_t *g = json_object_get(json_object_get(ps->pod, "spec"),
                                            "terminationGracePeriodSeconds");
                grace = g ? json_integer_value(g) : 30;
        }
        stop_monitor_once(ps, grace);
        for (int i = 0; i < 5; i++) {
                _cleanup_free_ char *sp = pc_xasprintf("%s/status.json", ps->dir);
                json_t *doc = NULL;
                pc_error e2;
                if (pc_json_load(sp, &doc, &e2) < 0)
                        return;
                bool finished =
                    json_is_true(json_object_get(json_object_get(doc, "runtime"), "finished"));
                json_decref(doc);
                const char *env = getenv("PODCTL_ADOPT");
                if (finished || (env && !strcmp(env, "0")) || pc_pod_adopt(ctx, ps->dir, &e2) < 0)
                        return;
                int64_t left = grace - (pc_monotonic_ns() - start) / 1000000000LL;
                ps->monitor_alive = true;
                stop_monitor_once(ps, left > 0 ? left : 0);
        }
}

static void stop_monitor_once(struct pc_pod_state *ps, int64_t grace)
{
        if (grace < 0) {
                json_t *g = json_object_get(json_object_get(ps->pod, "spec"),
                                            "terminationGracePeriodSeconds");
                grace = g ? json_integer_value(g) : 30;
        }
        if (ps->monitor_alive) {
                /* Ask the monitor to stop the Pod; the grace period rides in the
                 * signal's value. Its pid is in status.json, or monitor.pid while
                 * it is still setting up. */
                pid_t mpid = 0;
                uint64_t mstart = 0;
                for (int i = 0; i < 200 && mpid == 0; i++) {
                        _cleanup_free_ char *pp = pc_xasprintf("%s/monitor.pid", ps->dir);
                        char *s = NULL;
                        pc_error e2;
                        if (pc_read_file(pp, &s, NULL, &e2) == 0) {
                                unsigned long long st = 0;
                                int p = 0;
                                if (sscanf(s, "%d %llu", &p, &st) == 2) {
                                        mpid = p;
                                        mstart = st;
                                }
                                free(s);
                        }
                        if (!mpid)
                                usleep(10000);
                }
                if (mpid > 0 && pc_proc_alive(mpid, mstart)) {
                        union sigval v = {.sival_int = (int)grace};
                        sigqueue(mpid, SIGTERM, v);
                }
                if (!wait_monitor_exit(ps->dir, (grace + 30) * 1000) && mpid > 0)
                        kill(mpid, SIGKILL); /* never kill(0): the caller's group */
                wait_monitor_exit(ps->dir, 5000);
        }
}

int podctl_pod_stop(podctl *ctx, const char *ns, const char *name, int64_t grace, pc_error *err)
{
        struct pc_pod_state ps;
        if (load(ctx, ns, name, &ps, err) < 0)
                return -1;
        stop_monitor(ctx, &ps, grace);
        pc_pod_state_free(&ps);
        /* The monitor's teardown again, for a monitor that was killed. */
        if (pc_root_lock(&ctx->root, err) < 0)
                return -1;
        int r = load(ctx, ns, name, &ps, err);
        if (r == 0) {
                json_t *rt = ps.runtime ? json_incref(ps.runtime) : json_object();
                pc_error e2;
                if (pc_pod_teardown(ps.dir, rt, &e2) < 0)
                        r = pc_fail(err, e2.code, "%s", e2.msg);
                json_decref(rt);
                pc_pod_state_free(&ps);
        }
        pc_root_unlock(&ctx->root);
        return r;
}

int podctl_pod_delete(podctl *ctx, const char *ns, const char *name, int64_t grace, pc_error *err)
{
        struct pc_pod_state ps;
        if (pc_root_lock(&ctx->root, err) < 0)
                return -1;
        gc_orphans(ctx, ns, name);
        pc_root_unlock(&ctx->root);
        if (load(ctx, ns, name, &ps, err) < 0)
                return -1;
        stop_monitor(ctx, &ps, grace);
        pc_pod_state_free(&ps);

        /* Whatever the monitor did or could not do: remove everything. */
        if (pc_root_lock(&ctx->root, err) < 0)
                return -1;
        if (load(ctx, ns, name, &ps, err) < 0) {
                pc_root_unlock(&ctx->root);
                return -1;
        }
        int r = 0;
        json_t *rt = ps.runtime ? json_incref(ps.runtime) : json_object();
        pc_error e2;
        if (pc_pod_teardown(ps.dir, rt, &e2) < 0)
                r = pc_fail(err, e2.code, "%s", e2.msg);
        json_decref(rt);
        json_t *meta = json_object_get(ps.pod, "metadata");
        const char *uid = json_string_value(json_object_get(meta, "uid"));
        if (uid) {
                _cleanup_free_ char *ld = pc_pod_log_dir(&ctx->root, ns, name, uid);
                pc_rm_rf(ld, &e2);
        }
        if (r == 0)
                release_userns(ps.dir);
        if (r == 0 && pc_rm_rf(ps.dir, &e2) < 0)
                r = pc_fail(err, e2.code, "%s", e2.msg);
        pc_pod_state_free(&ps);
        pc_root_unlock(&ctx->root);
        return r;
}

/* ---- logs -------------------------------------------------------------------------- */

static json_t *find_status(json_t *status, const char *container, bool *init)
{
        const char *lists[3] = {"initContainerStatuses", "containerStatuses",
                                "ephemeralContainerStatuses"};
        for (int l = 0; l < 3; l++) {
                json_t *arr = json_object_get(status, lists[l]);
                size_t i;
                json_t *c;
                json_array_foreach(arr, i, c)
                {
                        if (!strcmp(json_string_value(json_object_get(c, "name")) ?: "",
                                    container)) {
                                if (init)
                                        *init = l == 0;
                                return c;
                        }
                }
        }
        return NULL;
}

static const char *first_container(json_t *pod)
{
        json_t *cs = json_object_get(json_object_get(pod, "spec"), "containers");
        return json_string_value(json_object_get(json_array_get(cs, 0), "name"));
}

static int log_path_of(podctl *ctx, const char *ns, const char *name, struct pc_pod_state *ps,
                       const char *container, bool previous, char **path, bool *running,
                       pc_error *err)
{
        if (!container)
                container = first_container(ps->pod);
        json_t *cs = find_status(ps->status, container ? container : "", NULL);
        if (!cs)
                return pc_fail(err, ENOENT, "container \"%s\" is not valid for pod \"%s\"",
                               container ? container : "", name);
        int restarts = (int)json_integer_value(json_object_get(cs, "restartCount"));
        if (previous) {
                if (restarts == 0)
                        return pc_fail(err, ENOENT,
                                       "previous terminated container \"%s\" in pod \"%s\" not "
                                       "found",
                                       container, name);
                restarts--;
        }
        const char *uid =
            json_string_value(json_object_get(json_object_get(ps->pod, "metadata"), "uid"));
        _cleanup_free_ char *ld = pc_pod_log_dir(&ctx->root, ns, name, uid ? uid : "");
        *path = pc_xasprintf("%s/%s/%d.log", ld, container, restarts);
        json_t *state = json_object_get(cs, "state");
        *running = !previous && ps->monitor_alive && json_object_get(state, "running") != NULL;
        return 0;
}

bool podctl_container_runs_again(json_t *pod, const char *container, int exit_code)
{
        struct pc_pod spec;
        pc_error err;
        if (pc_pod_from_json(pod, &spec, &err) < 0)
                return false;
        const struct pc_container *c = pc_pod_find_container(&spec, container);
        bool more = c && (pc_container_on_exit(c, spec.restart_policy, exit_code) != PC_EXIT_STAY ||
                          pc_pod_restarts_all(&spec));
        pc_pod_free(&spec);
        return more;
}

int podctl_pod_log_path(podctl *ctx, const char *ns, const char *name, const char *container,
                        bool previous, char **path, bool *running, pc_error *err)
{
        struct pc_pod_state ps;
        if (load(ctx, ns, name, &ps, err) < 0)
                return -1;
        int r = log_path_of(ctx, ns, name, &ps, container, previous, path, running, err);
        pc_pod_state_free(&ps);
        return r;
}

/* ---- exec ---------------------------------------------------------------------------- */

/* "uid[:gid]" or names, resolved in the container's /etc/passwd and
 * /etc/group (read through its root, never following links out of it). */
static int lookup_id(pid_t pid, const char *file, const char *name, long *id)
{
        char *end;
        long v = strtol(name, &end, 10);
        if (*name && !*end) {
                *id = v;
                return 0;
        }
        _cleanup_free_ char *root = pc_xasprintf("/proc/%d/root", (int)pid);
        _cleanup_free_ char *text = NULL;
        pc_error ignore;
        if (pc_user_read_etc(root, file, &text, &ignore) < 0)
                return -1;
        _cleanup_fclose_ FILE *f = fmemopen(text, strlen(text), "r");
        if (!f)
                return -1;
        char line[1024];
        while (fgets(line, sizeof(line), f)) {
                char *save, *n = strtok_r(line, ":", &save);
                strtok_r(NULL, ":", &save);
                char *idp = strtok_r(NULL, ":", &save);
                if (n && idp && !strcmp(n, name)) {
                        *id = strtol(idp, NULL, 10);
                        return 0;
                }
        }
        return -1;
}

static int enter_cgroup(pid_t pid, void *data, pc_error *err)
{
        return pc_cgroup_enter(data, pid, err);
}

static void seccomp_freep(struct pc_seccomp **f)
{
        pc_seccomp_free(*f);
}

/* exec.json's "security" (written by the monitor at each container start):
 * capabilities, no_new_privs, the seccomp profile (compiled again here),
 * AppArmor and supplementary groups. */
static int exec_security(const char *root, json_t *j, struct pc_proc_sec *sec,
                         struct pc_seccomp **filter, char **apparmor, gid_t **groups,
                         size_t *n_groups, pc_error *err)
{
        if (!json_is_object(j))
                return pc_fail(err, EINVAL,
                               "exec: the container's security settings are missing "
                               "(started by an older podctl?)");
        sec->caps = (uint64_t)json_integer_value(json_object_get(j, "caps"));
        sec->no_new_privs = json_is_true(json_object_get(j, "noNewPrivs"));
        *apparmor = pc_xstrdup(json_string_value(json_object_get(j, "apparmor")));
        sec->apparmor = *apparmor;
        const char *sc = json_string_value(json_object_get(j, "seccomp"));
        const char *lh = json_string_value(json_object_get(j, "seccompLocalhost"));
        _cleanup_free_ char *cache = pc_xasprintf("%s/cache/seccomp", root);
        int r = 0;
        if (sc && !strcmp(sc, "RuntimeDefault")) {
                r = pc_seccomp_compile_default(sec->caps, cache, filter, err);
        } else if (sc && !strcmp(sc, "Localhost") && lh) {
                _cleanup_free_ char *path = pc_xasprintf("%s/seccomp/%s", root, lh);
                _cleanup_free_ char *text = NULL;
                r = pc_read_file(path, &text, NULL, err);
                if (r == 0)
                        r = pc_seccomp_compile(text, lh, sec->caps, cache, filter, err);
        }
        if (r < 0)
                return -1;
        sec->seccomp = *filter;
        json_t *gs = json_object_get(j, "groups");
        *groups = pc_xcalloc(json_array_size(gs) + 1, sizeof(gid_t));
        size_t i;
        json_t *g;
        json_array_foreach(gs, i, g)(*groups)[(*n_groups)++] = (gid_t)json_integer_value(g);
        return 0;
}

static int exec_in(podctl *ctx, struct pc_pod_state *ps, const char *name,
                   const struct podctl_exec_opts *opts, int *status, pc_error *err)
{
        if (opts->tty && !opts->relay)
                return pc_fail(err, EINVAL, "exec: a terminal needs a relay");
        const char *container = opts->container ? opts->container : first_container(ps->pod);
        json_t *rt =
            json_object_get(json_object_get(ps->runtime, "containers"), container ? container : "");
        pid_t pid = (pid_t)json_integer_value(json_object_get(rt, "pid"));
        uint64_t start = (uint64_t)json_integer_value(json_object_get(rt, "pidStart"));
        if (!rt) {
                pc_fail(err, 0, "container %s is not valid for pod %s", container ? container : "",
                        name);
                err->code = ENOENT;
                return -1;
        }

        if (!ps->monitor_alive || pid <= 0 || !pc_proc_alive(pid, start))
                return pc_fail(err, 0, "container %s is not running (pod %s)", container, name);

        _cleanup_free_ char *cfgp = pc_xasprintf("%s/containers/%s/exec.json", ps->dir, container);
        json_t *cfg = NULL;
        if (pc_json_load(cfgp, &cfg, err) < 0)
                return -1;
        _cleanup_strv_ char **envp = pc_xcalloc(1, sizeof(char *));
        size_t i;
        json_t *e;
        bool has_term = false;
        json_array_foreach(json_object_get(cfg, "env"), i, e)
        {
                pc_strv_push(&envp, json_string_value(e));
                has_term |= pc_str_has_prefix(json_string_value(e) ?: "", "TERM=");
        }
        if (opts->tty && opts->term && !has_term) {
                _cleanup_free_ char *term = pc_xasprintf("TERM=%s", opts->term);
                pc_strv_push(&envp, term);
        }
        _cleanup_free_ char *cwd = pc_xstrdup(json_string_value(json_object_get(cfg, "cwd")));
        _cleanup_free_ char *user = pc_xstrdup(json_string_value(json_object_get(cfg, "user")));
        bool strict =
            json_is_true(json_object_get(json_object_get(cfg, "security"), "groupsStrict"));
        /* Sealed as the container's own processes are. */
        struct pc_proc_sec sec = {0};
        _cleanup_(seccomp_freep) struct pc_seccomp *filter = NULL;
        _cleanup_free_ gid_t *groups = NULL;
        _cleanup_free_ char *apparmor = NULL;
        size_t n_groups = 0;
        int sr = exec_security(ctx->root.root, json_object_get(cfg, "security"), &sec, &filter,
                               &apparmor, &groups, &n_groups, err);
        json_decref(cfg);
        if (sr < 0)
                return -1;
        /* as the container's process: the user's groups in the image's
         * /etc/group first (unless supplementalGroupsPolicy: Strict), then
         * fsGroup and supplementalGroups */
        if (user && !strict) {
                _cleanup_free_ char *root = pc_xasprintf("/proc/%d/root", (int)pid);
                struct pc_user u = {0};
                pc_error ignore;
                if (pc_user_resolve(root, user, &u, &ignore) == 0 && u.n_groups) {
                        gid_t *all = pc_xcalloc(u.n_groups + n_groups + 1, sizeof(gid_t));
                        size_t k = 0;
                        for (size_t a = 0; a < u.n_groups; a++)
                                all[k++] = u.groups[a];
                        for (size_t b = 0; b < n_groups; b++) {
                                bool dup = false;
                                for (size_t j = 0; j < u.n_groups; j++)
                                        dup |= u.groups[j] == groups[b];
                                if (!dup)
                                        all[k++] = groups[b];
                        }
                        free(groups);
                        groups = all;
                        n_groups = k;
                }
                pc_user_free(&u);
        }
        long uid = 0, gid = -1;
        char *colon = user ? strchr(user, ':') : NULL;
        if (colon)
                *colon = '\0';
        if (user && lookup_id(pid, "passwd", user, &uid) < 0)
                return pc_fail(err, 0, "unable to find user %s", user);

        if (colon && lookup_id(pid, "group", colon + 1, &gid) < 0)
                return pc_fail(err, 0, "unable to find group %s", colon + 1);

        if (gid < 0) {
                /* The user's primary group from passwd (field 4). */
                gid = 0;
                _cleanup_free_ char *root = pc_xasprintf("/proc/%d/root", (int)pid);
                _cleanup_free_ char *text = NULL;
                pc_error ignore;
                if (pc_user_read_etc(root, "passwd", &text, &ignore) < 0)
                        text = pc_xstrdup("");
                _cleanup_fclose_ FILE *f = fmemopen(text, strlen(text), "r");
                char line[1024];
                while (f && fgets(line, sizeof(line), f)) {
                        long u = -1, g = -1;
                        char *save, *tok = strtok_r(line, ":", &save);
                        for (int fld = 1; tok && fld <= 4;
                             fld++, tok = strtok_r(NULL, ":", &save)) {
                                if (fld == 3)
                                        u = strtol(tok, NULL, 10);
                                if (fld == 4)
                                        g = strtol(tok, NULL, 10);
                        }
                        if (u == uid && g >= 0) {
                                gid = g;
                                break;
                        }
                }
        }
        /* The command joins the container's cgroup (every hierarchy on v1). */
        const char *podcg = json_string_value(json_object_get(ps->runtime, "cgroup"));
        pc_cgroup *cg = NULL;
        if (podcg) {
                _cleanup_free_ char *rel = pc_xasprintf("%s/%s", podcg, container);
                pc_error ignore;
                if (pc_cgroup_open("/sys/fs/cgroup", rel, &cg, &ignore) < 0)
                        cg = NULL;
        }
        /* Without -i the command reads nothing (kubectl): /dev/null. */
        _cleanup_close_ int devnull = -1;
        if (!opts->stdin_open && !opts->tty) {
                devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (devnull < 0)
                        return pc_fail(err, errno, "open /dev/null");
        }
        _cleanup_close_ int master = -1;
        struct pc_exec_plan plan = {
            .target = pid,
            .argv = opts->argv,
            .envp = envp,
            .cwd = cwd,
            .uid = (uid_t)uid,
            .gid = (gid_t)gid,
            .stdin_fd = opts->stdin_open ? 0 : devnull,
            .stdout_fd = 1,
            .stderr_fd = 2,
            .groups = groups,
            .n_groups = n_groups,
            .sec = sec,
            .on_child = cg ? enter_cgroup : NULL,
            .on_child_data = cg,
            .tty = opts->tty,
            .pty_master = opts->tty ? &master : NULL,
            .tty_rows = opts->rows,
            .tty_cols = opts->cols,
        };
        pid_t child;
        int r = pc_exec_start(&plan, &child, err);
        pc_cgroup_free(cg);
        if (r < 0)
                return -1;
        if (opts->tty && opts->relay(opts->relay_data, master, child, err) < 0) {
                close(STEAL_FD(master)); /* hangup: SIGHUP to the command's session */
                pc_pid_killp(&child);
                return -1;
        }
        if (master >= 0)
                close(STEAL_FD(master)); /* what the command left behind gets SIGHUP */
        int ws;
        while (waitpid(child, &ws, 0) < 0) {
                if (errno != EINTR)
                        return pc_fail(err, errno, "waitpid");
        }
        *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        return 0;
}

int podctl_pod_exec(podctl *ctx, const char *ns, const char *name,
                    const struct podctl_exec_opts *opts, int *status, pc_error *err)
{
        struct pc_pod_state ps;
        if (load(ctx, ns, name, &ps, err) < 0)
                return -1;
        int r = exec_in(ctx, &ps, name, opts, status, err);
        pc_pod_state_free(&ps);
        return r;
}
