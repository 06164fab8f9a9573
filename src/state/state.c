#include "state/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

static char *find_libexec(void)
{
        const char *env = getenv("PODCTL_LIBEXEC");
        if (env && *env)
                return pc_xstrdup(env);
        _cleanup_free_ char *self = pc_self_dir();
        _cleanup_free_ char *same = pc_xasprintf("%s/pause", self);
        if (access(same, X_OK) == 0)
                return STEAL(self);
        return pc_xasprintf("%s/../libexec/podctl", self);
}

int pc_root_open(const char *root, const char *log_dir, struct pc_root *r, pc_error *err)
{
        memset(r, 0, sizeof(*r));
        r->lock_fd = -1;
        r->root = pc_xstrdup(root && *root ? root : PC_DEFAULT_ROOT);
        r->log_dir = pc_xstrdup(log_dir && *log_dir ? log_dir : PC_DEFAULT_LOG_DIR);
        r->pods_dir = pc_xasprintf("%s/pods", r->root);
        r->objects_dir = pc_xasprintf("%s/objects", r->root);
        r->libexec_dir = find_libexec();
        const char *dirs[] = {r->root, r->pods_dir, r->objects_dir};
        for (size_t i = 0; i < PC_ARRAY_SIZE(dirs); i++) {
                if (pc_mkdir_p(dirs[i], 0700, err) < 0)
                        return pc_error_prefix(err, "state root");
                if (chmod(dirs[i], 0700) < 0)
                        return pc_fail(err, errno, "chmod %s", dirs[i]);
        }
        if (pc_mkdir_p(r->log_dir, 0755, err) < 0)
                return pc_error_prefix(err, "log directory");
        return 0;
}

void pc_root_close(struct pc_root *r)
{
        pc_root_unlock(r);
        free(r->root);
        free(r->log_dir);
        free(r->pods_dir);
        free(r->objects_dir);
        free(r->libexec_dir);
        memset(r, 0, sizeof(*r));
        r->lock_fd = -1;
}

int pc_root_lock(struct pc_root *r, pc_error *err)
{
        if (r->lock_fd >= 0)
                return 0;
        _cleanup_free_ char *p = pc_xasprintf("%s/lock", r->root);
        int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return pc_fail(err, errno, "open %s", p);
        while (flock(fd, LOCK_EX) < 0) {
                if (errno != EINTR) {
                        close(fd);
                        return pc_fail(err, errno, "lock %s", p);
                }
        }
        r->lock_fd = fd;
        return 0;
}

void pc_root_unlock(struct pc_root *r)
{
        if (r->lock_fd >= 0) {
                close(r->lock_fd);
                r->lock_fd = -1;
        }
}

char *pc_pod_key(const char *ns, const char *name)
{
        return pc_xasprintf("%s_%s", ns, name);
}

char *pc_pod_dir(const struct pc_root *r, const char *ns, const char *name)
{
        return pc_xasprintf("%s/%s_%s", r->pods_dir, ns, name);
}

char *pc_pod_log_dir(const struct pc_root *r, const char *ns, const char *name, const char *uid)
{
        return pc_xasprintf("%s/%s_%s_%s", r->log_dir, ns, name, uid);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int pc_pods_list(const struct pc_root *r, char ***keys, pc_error *err)
{
        DIR *d = opendir(r->pods_dir);
        if (!d)
                return pc_fail(err, errno, "open %s", r->pods_dir);
        char **v = pc_xcalloc(1, sizeof(char *));
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                pc_strv_push(&v, de->d_name);
        }
        closedir(d);
        qsort(v, pc_strv_len(v), sizeof(char *), cmp_str);
        *keys = v;
        return 0;
}

char *pc_file_identity(const struct stat *st)
{
        return pc_xasprintf("%llu:%llu:%lld:%lld.%09ld:%lld.%09ld", (unsigned long long)st->st_dev,
                            (unsigned long long)st->st_ino, (long long)st->st_size,
                            (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
                            (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

int pc_root_try_lock_shared(const struct pc_root *r)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/lock", r->root);
        _cleanup_close_ int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0 || flock(fd, LOCK_SH | LOCK_NB) < 0)
                return -1;
        return STEAL_FD(fd);
}

bool pc_pod_monitor_alive(const char *pod_dir)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/monitor.lock", pod_dir);
        _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        if (flock(fd, LOCK_SH | LOCK_NB) == 0)
                return false; /* nobody holds it exclusively */
        return errno == EWOULDBLOCK;
}

/* One read and a parse of the buffer: json_load_file reads with getc, a
 * locked call per byte (a third of `get pods`' CPU). With st, the fstat of
 * the file read. */
static int json_load_stat(const char *path, json_t **out, struct stat *st, pc_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return pc_fail(err, errno, "%s", path);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        pc_error rerr;
        if (pc_read_fd_max(fd, path, SIZE_MAX / 4, &buf, &len, &rerr) < 0)
                return pc_fail(err, rerr.code, "%s", path);
        if (st && fstat(fd, st) < 0)
                return pc_fail(err, errno, "fstat %s", path);
        json_error_t je;
        json_t *v = json_loadb(buf, len, 0, &je);
        if (!v)
                return pc_fail(err, EINVAL, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        *out = v;
        return 0;
}

int pc_json_load(const char *path, json_t **out, pc_error *err)
{
        return json_load_stat(path, out, NULL, err);
}

int pc_json_save(const char *path, json_t *v, bool durable, pc_error *err)
{
        _cleanup_free_ char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (!s)
                return pc_fail(err, ENOMEM, "encode %s", path);
        size_t len = strlen(s);
        if (durable)
                return pc_write_file_atomic(path, s, len, 0600, err);
        return pc_replace_file(path, s, len, 0600, err);
}

int pc_pod_state_load(const struct pc_root *r, const char *key, struct pc_pod_state *st,
                      pc_error *err)
{
        memset(st, 0, sizeof(*st));
        st->dir = pc_xasprintf("%s/%s", r->pods_dir, key);
        _cleanup_free_ char *podp = pc_xasprintf("%s/pod.json", st->dir);
        if (json_load_stat(podp, &st->pod, &st->pod_st, err) < 0) {
                pc_pod_state_free(st); /* nothing for the caller to free */
                return -1;
        }
        _cleanup_free_ char *statp = pc_xasprintf("%s/status.json", st->dir);
        json_t *s = NULL;
        pc_error ignore;
        if (json_load_stat(statp, &s, &st->status_st, &ignore) < 0) {
                memset(&st->status_st, 0, sizeof(st->status_st));
        } else {
                st->status = json_incref(json_object_get(s, "status"));
                st->runtime = json_incref(json_object_get(s, "runtime"));
                st->events = json_incref(json_object_get(s, "events"));
                json_decref(s);
        }
        st->monitor_alive = pc_pod_monitor_alive(st->dir);
        st->finished = st->runtime && json_is_true(json_object_get(st->runtime, "finished"));
        return 0;
}

void pc_pod_state_free(struct pc_pod_state *st)
{
        free(st->dir);
        json_decref(st->pod);
        json_decref(st->status);
        json_decref(st->runtime);
        json_decref(st->events);
        memset(st, 0, sizeof(*st));
}

char *pc_object_path(const char *objects_dir, const char *ns, const char *name, bool secret)
{
        return pc_xasprintf("%s/%s_%s%s.json", objects_dir, ns, name, secret ? ".secret" : "");
}
