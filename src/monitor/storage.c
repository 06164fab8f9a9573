/* Local ephemeral storage limits, as the kubelet's eviction manager
 * enforces them (LocalStorageCapacityIsolation, pkg/kubelet/eviction):
 *
 * - a disk emptyDir with a sizeLimit: "Usage of EmptyDir volume "V" exceeds
 *   the limit "1Mi". "
 * - a container's limits.ephemeral-storage against its writable layer (the
 *   overlay's upper dir) and its logs: "Container C exceeded its local
 *   ephemeral storage limit "1Mi". "
 *
 * Checked every 10 s (the eviction manager's monitoring interval; scaled by
 * PODCTL_TIME_SCALE) while the Pod runs, only for Pods that have such a
 * limit. Usage is what du counts: the allocated blocks of everything under
 * the directory, each inode once, not crossing mounts. Over a limit the
 * monitor evicts the Pod (monitor.c): Failed, reason Evicted, that
 * message, a DisruptionTarget condition, its containers killed at once. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "util/cleanup.h"
#include "util/util.h"

#define STORAGE_INTERVAL (10 * NS_PER_SEC)
#define MAX_DEPTH        128

struct usage {
        int64_t bytes;
        dev_t dev;
        /* inodes with more than one link, counted once */
        ino_t *seen;
        size_t n_seen, cap_seen;
};

static bool seen_before(struct usage *u, ino_t ino)
{
        for (size_t i = 0; i < u->n_seen; i++)
                if (u->seen[i] == ino)
                        return true;
        if (u->n_seen == u->cap_seen) {
                u->cap_seen = u->cap_seen ? u->cap_seen * 2 : 64;
                u->seen = pc_xrealloc(u->seen, u->cap_seen * sizeof(*u->seen));
        }
        u->seen[u->n_seen++] = ino;
        return false;
}

static void add(struct usage *u, const struct stat *st)
{
        if (st->st_nlink > 1 && !S_ISDIR(st->st_mode) && seen_before(u, st->st_ino))
                return;
        u->bytes += (int64_t)st->st_blocks * 512;
}

/* Everything under the open directory dfd (closed here). */
static void walk(struct usage *u, int dfd, int depth)
{
        DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return;
        }
        struct dirent *e;
        while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    st.st_dev != u->dev)
                        continue;
                add(u, &st);
                if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH) {
                        int sub = openat(dirfd(d), e->d_name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0)
                                walk(u, sub, depth + 1);
                }
        }
        closedir(d);
}

/* du of path (0 when it is missing). */
static int64_t usage_of(const char *path)
{
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
                if (fd >= 0)
                        close(fd);
                return 0;
        }
        struct usage u = {.bytes = (int64_t)st.st_blocks * 512, .dev = st.st_dev};
        walk(&u, fd, 0);
        free(u.seen);
        return u.bytes;
}

static int64_t file_usage(const char *path)
{
        struct stat st;
        return path && stat(path, &st) == 0 ? (int64_t)st.st_blocks * 512 : 0;
}

/* A quantity as Kubernetes prints one given in binary units: 1Mi, 512Ki,
 * else bytes. */
static void format_qty(int64_t v, char *buf, size_t n)
{
        static const char *const units[] = {"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"};
        for (int i = 0; i < 6; i++) {
                int64_t f = (int64_t)1 << (10 * (6 - i));
                if (v >= f && v % f == 0) {
                        snprintf(buf, n, "%lld%s", (long long)(v / f), units[i]);
                        return;
                }
        }
        snprintf(buf, n, "%lld", (long long)v);
}

static bool watched(const struct pc_monitor *m)
{
        for (size_t i = 0; i < m->pod.n_volumes; i++) {
                const struct pc_volume *v = &m->pod.volumes[i];
                if (v->kind == PC_VOL_EMPTYDIR && v->size_limit > 0 &&
                    !(v->medium && !strcmp(v->medium, "Memory")))
                        return true;
        }
        for (size_t i = 0; i < m->pod.n_containers; i++)
                if (m->pod.containers[i].resources.ephemeral_limit > 0)
                        return true;
        for (size_t i = 0; i < m->pod.n_init_containers; i++)
                if (m->pod.init_containers[i].resources.ephemeral_limit > 0)
                        return true;
        return false;
}

static char *container_over(const struct pc_ctr *c)
{
        int64_t limit = c->spec->resources.ephemeral_limit;
        if (limit <= 0 || !c->dir)
                return NULL;
        _cleanup_free_ char *upper = pc_xasprintf("%s/upper", c->dir);
        int64_t used = usage_of(upper) + file_usage(c->log.path);
        if (used <= limit)
                return NULL;
        char q[32];
        format_qty(limit, q, sizeof(q));
        return pc_xasprintf("Container %s exceeded its local ephemeral storage limit \"%s\". ",
                            c->spec->name, q);
}

char *pc_storage_check(struct pc_monitor *m)
{
        int64_t now = pc_monotonic_ns();
        if (m->state != POD_RUNNING && m->state != POD_INIT)
                return NULL;
        if (m->storage_due == 0) {
                if (!watched(m)) {
                        m->storage_due = -1; /* never */
                        return NULL;
                }
                m->storage_due = now;
        }
        if (m->storage_due < 0 || now < m->storage_due)
                return NULL;
        m->storage_due = now + (int64_t)((double)STORAGE_INTERVAL * m->time_scale);
        for (size_t i = 0; i < m->pod.n_volumes; i++) {
                const struct pc_volume *v = &m->pod.volumes[i];
                if (v->kind != PC_VOL_EMPTYDIR || v->size_limit <= 0 ||
                    (v->medium && !strcmp(v->medium, "Memory")))
                        continue;
                _cleanup_free_ char *d = pc_xasprintf("%s/volumes/%s", m->pod_dir, v->name);
                if (usage_of(d) <= v->size_limit)
                        continue;
                char q[32];
                format_qty(v->size_limit, q, sizeof(q));
                return pc_xasprintf("Usage of EmptyDir volume \"%s\" exceeds the limit \"%s\". ",
                                    v->name, q);
        }
        for (size_t i = 0; i < m->n_init; i++) {
                char *msg = container_over(&m->init[i]);
                if (msg)
                        return msg;
        }
        for (size_t i = 0; i < m->n_app; i++) {
                char *msg = container_over(&m->app[i]);
                if (msg)
                        return msg;
        }
        return NULL;
}

int64_t pc_storage_next(const struct pc_monitor *m)
{
        return m->storage_due > 0 ? m->storage_due : INT64_MAX;
}
