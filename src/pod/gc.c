/* Garbage collection: find and remove what no Pod owns (podctl gc).
 *
 * Ownership is by Pod uid, over every podctl root this host knows: this one,
 * the default root, every root registered in PC_ROOTS_REGISTRY (each
 * podctl_open adds its root), the roots and pod dirs of every running
 * podctl-monitor (from /proc/<pid>/cmdline), and /tmp/podctl-* (the test
 * suites' roots, which older builds did not register). A Pod of any of them,
 * finished or not, owns its cgroups, its sandbox's IP lease and its log dir.
 *
 * What is collected, in this order (mounts before any rm -rf, so a removal
 * never descends into a mount):
 *   mounts        host mounts below <root>/pods/<key>/ of a pod dir that is
 *                 gone or debris (by design there are none: every mount of a
 *                 Pod lives in its own mount namespaces)
 *   pod dirs      debris of this root: no live monitor and no status.json or
 *                 no readable pod.json (an apply or delete killed half-way):
 *                 torn down from what status.json recorded, then removed;
 *                 temporary files (*.tmp.<pid>) of writers that are gone
 *   cgroups       podctl/[burstable/|besteffort/]pod<uid> in every hierarchy
 *                 whose uid no Pod owns: their processes SIGKILLed (cgroup
 *                 kill), then removed; nothing outside podctl/ is touched
 *   network       this root's CNI cache entries whose sandbox no Pod owns (CNI
 *                 DEL with the cached config), and leases of podctl's default
 *                 network (host-local, /var/lib/cni/networks/podctl) whose
 *                 container id no Pod owns (CNI DEL, else the lease file)
 *   log dirs      <log dir>/<ns>_<name>_<uid> whose uid no Pod owns; the
 *                 temporary files of an interrupted compression
 *   keepers       podctl-keeper processes whose pod dir has no pod.json
 * Veths need nothing: a veth dies with its network namespace, which dies
 * with the last process of the Pod (killed with its cgroup). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "monitor/monitor.h"
#include "net/net.h"
#include "pod/internal.h"
#include "util/util.h"

#define CGROUP_BASE "/sys/fs/cgroup"
#define LEASE_DIR   "/var/lib/cni/networks/podctl"

struct gc {
        podctl *ctx;
        bool dry;
        char **out;   /* what was (or would be) removed */
        char **owned; /* Pod uids of every known root */
        char **roots;
        char **debris; /* pod dirs of this root that are debris (own nothing) */
        /* Two passes: the first only lists the candidates; then ownership is
         * read again, and the second removes the candidates of the first that
         * are still unowned. A Pod's pod.json exists before its monitor makes
         * its cgroups, lease or logs, so a Pod being created in another root
         * meanwhile is never taken for an orphan. */
        int pass;
        char **cand;
};

static bool in(char **v, const char *s);

/* Pass 1: remember key, do nothing. Pass 2: go ahead if pass 1 saw it. */
static bool take(struct gc *g, const char *key)
{
        if (g->pass == 1) {
                pc_strv_push(&g->cand, key);
                return false;
        }
        return in(g->cand, key);
}

static void note(struct gc *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct gc *g, const char *fmt, ...)
{
        if (!g->out)
                return;
        va_list ap;
        char *s = NULL;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (s)
                pc_strv_push(&g->out, s);
        free(s);
}

static bool in(char **v, const char *s)
{
        for (size_t i = 0; v && v[i]; i++)
                if (!strcmp(v[i], s))
                        return true;
        return false;
}

static bool is_uid(const char *s)
{
        if (strlen(s) != 36)
                return false;
        for (int i = 0; i < 36; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
                        return false;
        }
        return true;
}

static void own_pod_dir(struct gc *g, const char *dir)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/pod.json", dir);
        json_t *j = NULL;
        pc_error e;
        if (pc_json_load(p, &j, &e) < 0)
                return;
        const char *uid = json_string_value(json_object_get(json_object_get(j, "metadata"), "uid"));
        if (uid && !in(g->owned, uid))
                pc_strv_push(&g->owned, uid);
        json_decref(j);
}

static void own_root(struct gc *g, const char *root)
{
        if (in(g->roots, root))
                return;
        pc_strv_push(&g->roots, root);
        _cleanup_free_ char *pods = pc_xasprintf("%s/pods", root);
        DIR *d = opendir(pods);
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *dir = pc_xasprintf("%s/%s", pods, de->d_name);
                if (!in(g->debris, dir))
                        own_pod_dir(g, dir);
        }
        closedir(d);
}

/* Running monitors (and their compression children) and keepers: their
 * roots and Pods. */
static void own_running(struct gc *g)
{
        DIR *d = opendir("/proc");
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                _cleanup_free_ char *cp = pc_xasprintf("/proc/%s/comm", de->d_name);
                _cleanup_free_ char *comm = NULL;
                pc_error e;
                if (pc_read_file(cp, &comm, NULL, &e) < 0)
                        continue;
                if (strcmp(comm, "podctl-monitor\n") && strcmp(comm, "podctl-gzip\n") &&
                    strcmp(comm, "podctl-keeper\n")) /* a Pod whose monitor died */
                        continue;
                _cleanup_free_ char *lp = pc_xasprintf("/proc/%s/cmdline", de->d_name);
                _cleanup_free_ char *cmd = NULL;
                size_t len = 0;
                if (pc_read_file(lp, &cmd, &len, &e) < 0)
                        continue;
                for (size_t i = 0; i < len; i += strlen(cmd + i) + 1) {
                        const char *a = cmd + i;
                        size_t next = i + strlen(a) + 1;
                        if (next >= len)
                                break;
                        if (!strcmp(a, "--root"))
                                own_root(g, cmd + next);
                        else if (!strcmp(a, "--pod-dir"))
                                own_pod_dir(g, cmd + next);
                }
        }
        closedir(d);
}

/* Registered roots that still exist (the file rewritten without the others). */
static void own_registered(struct gc *g)
{
        _cleanup_free_ char *text = NULL;
        pc_error e;
        if (pc_read_file(PC_ROOTS_REGISTRY, &text, NULL, &e) < 0)
                return;
        _cleanup_free_ char *keep = pc_xstrdup("");
        bool dropped = false;
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (!*line)
                        continue;
                if (access(line, F_OK) < 0) {
                        dropped = true;
                        continue;
                }
                own_root(g, line);
                char *k = pc_xasprintf("%s%s\n", keep, line);
                free(keep);
                keep = k;
        }
        if (dropped && !g->dry)
                pc_replace_file(PC_ROOTS_REGISTRY, keep, strlen(keep), 0600, &e);
}

void pc_gc_register_root(const char *path)
{
        _cleanup_free_ char *root = realpath(path, NULL);
        if (!root || pc_mkdir_p("/run/podctl", 0700, NULL) < 0)
                return;
        _cleanup_close_ int fd =
            open(PC_ROOTS_REGISTRY, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0 || flock(fd, LOCK_EX) < 0)
                return;
        _cleanup_free_ char *text = NULL;
        pc_error e;
        if (pc_read_file(PC_ROOTS_REGISTRY, &text, NULL, &e) < 0)
                return;
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (!strcmp(line, root))
                        return;
        }
        _cleanup_free_ char *l = pc_xasprintf("%s\n", root);
        if (pc_write_all(fd, l, strlen(l)) < 0) {
                /* gc still finds a root with running monitors */
        }
}

static void own_all(struct gc *g)
{
        own_root(g, g->ctx->root.root);
        own_root(g, PC_DEFAULT_ROOT);
        own_registered(g);
        own_running(g);
        glob_t gl;
        if (glob("/tmp/podctl-*", GLOB_ONLYDIR | GLOB_NOSORT, NULL, &gl) == 0) {
                for (size_t i = 0; i < gl.gl_pathc; i++)
                        own_root(g, gl.gl_pathv[i]);
                globfree(&gl);
        }
}

/* ---- mounts and pod dirs ---------------------------------------------------------- */

/* mountinfo's octal escapes (\040 for a space). */
static void unescape(char *s)
{
        char *w = s;
        for (char *r = s; *r; r++) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] && r[3]) {
                        *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
                        r += 3;
                } else {
                        *w++ = *r;
                }
        }
        *w = '\0';
}

/* Host mounts below dir, deepest first (the reverse of mountinfo's order). */
static void unmount_below(struct gc *g, const char *dir)
{
        FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return;
        char **found = pc_xcalloc(1, sizeof(char *));
        char line[4096];
        _cleanup_free_ char *prefix = pc_xasprintf("%s/", dir);
        while (fgets(line, sizeof(line), f)) {
                char mp[4096];
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
                        continue;
                unescape(mp);
                if (!strcmp(mp, dir) || pc_str_has_prefix(mp, prefix))
                        pc_strv_push(&found, mp);
        }
        fclose(f);
        for (size_t n = pc_strv_len(found); n-- > 0;) {
                note(g, "mount %s", found[n]);
                if (!g->dry)
                        umount2(found[n], MNT_DETACH);
        }
        pc_strv_free(found);
}

/* "<name>.tmp.<pid>" of a writer that is gone. */
static void stale_tmp_files(struct gc *g, const char *dir)
{
        DIR *d = opendir(dir);
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                const char *t = strstr(de->d_name, ".tmp.");
                if (!t)
                        continue;
                char *end;
                long pid = strtol(t + 5, &end, 10);
                if (*end || pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno == EPERM))
                        continue;
                note(g, "temporary file %s/%s", dir, de->d_name);
                if (!g->dry)
                        unlinkat(dirfd(d), de->d_name, 0);
        }
        closedir(d);
}

/* The pod dir pods/KEY: debris when no monitor holds it and its pod.json or
 * its status.json is missing or does not parse (what an apply or a delete
 * killed half-way left); a Pod otherwise (perhaps finished, perhaps
 * MonitorLost), whose stale temporary files go. */
static void gc_pod_dir(struct gc *g, const char *key)
{
        pc_error e;
        _cleanup_free_ char *dir = pc_xasprintf("%s/%s", g->ctx->root.pods_dir, key);
        if (pc_pod_monitor_alive(dir))
                return;
        _cleanup_free_ char *sp = pc_xasprintf("%s/status.json", dir);
        _cleanup_free_ char *pp = pc_xasprintf("%s/pod.json", dir);
        json_t *pod = NULL, *st = NULL;
        bool has_pod = pc_json_load(pp, &pod, &e) == 0;
        bool has_status = pc_json_load(sp, &st, &e) == 0;
        json_decref(pod);
        if (has_pod && has_status) {
                json_decref(st);
                stale_tmp_files(g, dir);
                return;
        }
        if (access(dir, F_OK) < 0) {
                json_decref(st);
                return; /* gone meanwhile, or never there */
        }
        unmount_below(g, dir);
        note(g, "pod directory %s", dir);
        if (g->debris)
                pc_strv_push(&g->debris, dir);
        if (!g->dry) {
                json_t *rt = json_object_get(st, "runtime");
                rt = rt ? json_incref(rt) : json_object();
                pc_pod_teardown(dir, rt, &e);
                json_decref(rt);
                pc_rm_rf(dir, &e);
        }
        json_decref(st);
}

/* Mounts below pod dirs that are gone altogether. */
static void gc_gone_mounts(struct gc *g)
{
        FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return;
        char line[4096];
        char **gone = pc_xcalloc(1, sizeof(char *));
        _cleanup_free_ char *prefix = pc_xasprintf("%s/", g->ctx->root.pods_dir);
        while (fgets(line, sizeof(line), f)) {
                char mp[4096];
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
                        continue;
                unescape(mp);
                if (!pc_str_has_prefix(mp, prefix))
                        continue;
                char *key = mp + strlen(prefix);
                char *slash = strchr(key, '/');
                if (slash)
                        *slash = '\0';
                _cleanup_free_ char *dir = pc_xasprintf("%s%s", prefix, key);
                if (access(dir, F_OK) < 0 && !in(gone, dir))
                        pc_strv_push(&gone, dir);
        }
        fclose(f);
        for (size_t i = 0; gone[i]; i++)
                unmount_below(g, gone[i]);
        pc_strv_free(gone);
}

static void gc_pod_dirs(struct gc *g)
{
        _cleanup_strv_ char **keys = NULL;
        pc_error e;
        if (pc_pods_list(&g->ctx->root, &keys, &e) < 0)
                return;
        for (size_t i = 0; keys[i]; i++)
                gc_pod_dir(g, keys[i]);
        gc_gone_mounts(g);
}

void pc_gc_debris(podctl *ctx, const char *key)
{
        struct gc g = {.ctx = ctx};
        gc_pod_dir(&g, key);
        gc_gone_mounts(&g);
}

void pc_gc_debris_dir(podctl *ctx, const char *key)
{
        struct gc g = {.ctx = ctx};
        gc_pod_dir(&g, key);
}

/* ---- cgroups -------------------------------------------------------------------- */

/* Every "podctl" directory of a cgroup hierarchy (v2: the root's; v1: each
 * controller's, including named ones). */
static char **podctl_hierarchies(void)
{
        char **v = pc_xcalloc(1, sizeof(char *));
        struct stat st;
        if (stat(CGROUP_BASE "/podctl", &st) == 0 && S_ISDIR(st.st_mode))
                pc_strv_push(&v, CGROUP_BASE "/podctl");
        DIR *d = opendir(CGROUP_BASE);
        if (!d)
                return v;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || !strcmp(de->d_name, "podctl"))
                        continue;
                _cleanup_free_ char *p = pc_xasprintf("%s/%s/podctl", CGROUP_BASE, de->d_name);
                if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
                        pc_strv_push(&v, p);
        }
        closedir(d);
        return v;
}

/* rmdir a cgroup directory and its children, deepest first (a cgroup with
 * processes stays: EBUSY). */
static void rmdir_tree(const char *path)
{
        DIR *d = opendir(path);
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || de->d_type != DT_DIR)
                        continue;
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", path, de->d_name);
                rmdir_tree(p);
        }
        closedir(d);
        rmdir(path);
}

static void note_procs(struct gc *g, const char *path, const char *rel)
{
        _cleanup_free_ char *pp = pc_xasprintf("%s/cgroup.procs", path);
        _cleanup_fclose_ FILE *f = fopen(pp, "re");
        int pid;
        while (f && fscanf(f, "%d", &pid) == 1) {
                _cleanup_free_ char *cp = pc_xasprintf("/proc/%d/comm", pid);
                _cleanup_free_ char *comm = NULL;
                pc_error e;
                if (pc_read_file(cp, &comm, NULL, &e) == 0)
                        comm[strcspn(comm, "\n")] = '\0';
                note(g, "process %d (%s) of cgroup podctl/%s", pid, comm ? comm : "?", rel);
        }
        DIR *d = opendir(path);
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || de->d_type != DT_DIR)
                        continue;
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", path, de->d_name);
                note_procs(g, p, rel);
        }
        closedir(d);
}

static void gc_cgroups(struct gc *g)
{
        _cleanup_strv_ char **hier = podctl_hierarchies();
        _cleanup_strv_ char **rels = pc_xcalloc(1, sizeof(char *));
        static const char *const qos[] = {"", "burstable/", "besteffort/"};
        for (size_t h = 0; hier[h]; h++) {
                for (size_t q = 0; q < PC_ARRAY_SIZE(qos); q++) {
                        _cleanup_free_ char *dir = pc_xasprintf("%s/%s", hier[h], qos[q]);
                        DIR *d = opendir(dir);
                        if (!d)
                                continue;
                        struct dirent *de;
                        while ((de = readdir(d))) {
                                if (de->d_type != DT_DIR || strncmp(de->d_name, "pod", 3) ||
                                    !is_uid(de->d_name + 3) || in(g->owned, de->d_name + 3))
                                        continue;
                                _cleanup_free_ char *rel = pc_xasprintf("%s%s", qos[q], de->d_name);
                                _cleanup_free_ char *key = pc_xasprintf("cgroup:%s", rel);
                                if (!in(rels, rel) && take(g, key))
                                        pc_strv_push(&rels, rel);
                        }
                        closedir(d);
                }
        }
        for (size_t i = 0; rels[i]; i++) {
                note(g, "cgroup podctl/%s", rels[i]);
                /* Processes once (the first hierarchy that has them). */
                for (size_t h = 0; hier[h]; h++) {
                        _cleanup_free_ char *p = pc_xasprintf("%s/%s", hier[h], rels[i]);
                        if (access(p, F_OK) == 0) {
                                size_t before = pc_strv_len(g->out);
                                note_procs(g, p, rels[i]);
                                if (pc_strv_len(g->out) > before)
                                        break;
                        }
                }
                if (g->dry)
                        continue;
                pc_cgroup *cg = NULL;
                pc_error e;
                if (pc_cgroup_open(CGROUP_BASE, rels[i], &cg, &e) == 0) {
                        pc_cgroup_kill(cg, &e);
                        pc_cgroup_destroy(cg, &e);
                        pc_cgroup_free(cg);
                }
                /* Hierarchies the cgroup module does not manage (a named one,
                 * a controller it does not use). */
                for (size_t h = 0; hier[h]; h++) {
                        _cleanup_free_ char *p = pc_xasprintf("%s/%s", hier[h], rels[i]);
                        rmdir_tree(p);
                }
        }
}

/* ---- network -------------------------------------------------------------------- */

/* A podctl-keeper whose pod dir (its first argument) has no pod.json any
 * more (the state removed by hand, an apply killed before its monitor
 * reported): no monitor can adopt its Pod, nothing else ends it. */
static void gc_keepers(struct gc *g)
{
        DIR *d = opendir("/proc");
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                _cleanup_free_ char *cp = pc_xasprintf("/proc/%s/comm", de->d_name);
                _cleanup_free_ char *comm = NULL;
                pc_error e;
                if (pc_read_file(cp, &comm, NULL, &e) < 0 || strcmp(comm, "podctl-keeper\n"))
                        continue;
                _cleanup_free_ char *lp = pc_xasprintf("/proc/%s/cmdline", de->d_name);
                _cleanup_free_ char *cmd = NULL;
                size_t len = 0;
                if (pc_read_file(lp, &cmd, &len, &e) < 0 || strlen(cmd) + 1 >= len)
                        continue;
                const char *dir = cmd + strlen(cmd) + 1;
                _cleanup_free_ char *pj = pc_xasprintf("%s/pod.json", dir);
                if (access(pj, F_OK) == 0)
                        continue;
                pid_t pid = (pid_t)atoi(de->d_name);
                _cleanup_free_ char *key = pc_xasprintf("keeper:%d:%llu", (int)pid,
                                                        (unsigned long long)pc_proc_starttime(pid));
                if (!take(g, key))
                        continue;
                note(g, "process %d (podctl-keeper) of pod directory %s", (int)pid, dir);
                if (!g->dry)
                        kill(pid, SIGKILL);
        }
        closedir(d);
}

static bool owned_sandbox(struct gc *g, const char *id)
{
        for (size_t i = 0; g->owned[i]; i++) {
                char hex[33];
                size_t n = 0;
                for (const char *p = g->owned[i]; *p && n < 32; p++)
                        if (*p != '-')
                                hex[n++] = *p;
                hex[n] = '\0';
                if (strlen(id) == 64 && !strncmp(id, hex, 32) && !strcmp(id + 32, hex))
                        return true;
        }
        return false;
}

static void gc_network(struct gc *g)
{
        _cleanup_free_ char *conf = pc_xasprintf("%s/cni/net.d", g->ctx->root.root);
        _cleanup_free_ char *cache = pc_xasprintf("%s/cni/cache", g->ctx->root.root);
        struct pc_net_config cfg = {
            .conf_dir = conf, .cache_dir = cache, .plugin_path = getenv("PODCTL_CNI_PATH")};
        pc_error e;
        DIR *d = opendir(cache);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (!pc_str_has_suffix(de->d_name, ".json"))
                        continue;
                _cleanup_free_ char *id = pc_xstrdup(de->d_name);
                id[strlen(id) - 5] = '\0';
                _cleanup_free_ char *key = pc_xasprintf("cache:%s", id);
                if (owned_sandbox(g, id) || !take(g, key))
                        continue;
                note(g, "network attachment of sandbox %.12s (CNI DEL)", id);
                struct pc_net_pod pod = {.container_id = id};
                if (!g->dry)
                        pc_net_del(&cfg, &pod, &e);
        }
        if (d)
                closedir(d);

        _cleanup_free_ char *ours = pc_xasprintf("%s/10-podctl.conflist", conf);
        bool have_conf = access(ours, F_OK) == 0;
        d = opendir(LEASE_DIR);
        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.' || !strcmp(de->d_name, "lock") ||
                    pc_str_has_prefix(de->d_name, "last_reserved_ip"))
                        continue;
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", LEASE_DIR, de->d_name);
                _cleanup_free_ char *id = NULL;
                if (pc_read_file(p, &id, NULL, &e) < 0)
                        continue;
                id[strcspn(id, "\r\n")] = '\0';
                _cleanup_free_ char *key = pc_xasprintf("lease:%s:%s", de->d_name, id);
                if (owned_sandbox(g, id) || !take(g, key))
                        continue;
                note(g, "IP lease %s of network podctl (sandbox %.12s)", de->d_name, id);
                if (g->dry)
                        continue;
                struct pc_net_pod pod = {.container_id = id};
                if (have_conf)
                        pc_net_del(&cfg, &pod, &e);
                if (access(p, F_OK) == 0) {
                        /* host-local's own lock, as its DEL would take it. */
                        _cleanup_close_ int lk =
                            open(LEASE_DIR "/lock", O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
                        if (lk >= 0)
                                flock(lk, LOCK_EX);
                        unlink(p);
                }
        }
        if (d)
                closedir(d);
}

/* ---- logs ------------------------------------------------------------------------ */

static void tmp_files_below(struct gc *g, const char *dir)
{
        DIR *d = opendir(dir);
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", dir, de->d_name);
                if (de->d_type == DT_DIR) {
                        tmp_files_below(g, p);
                } else if (pc_str_has_suffix(de->d_name, ".tmp")) {
                        note(g, "temporary file %s", p);
                        if (!g->dry)
                                unlink(p);
                }
        }
        closedir(d);
}

static void gc_logs(struct gc *g)
{
        const char *ld = g->ctx->root.log_dir;
        DIR *d = opendir(ld);
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                const char *us = strrchr(de->d_name, '_');
                if (de->d_name[0] == '.' || !us || !is_uid(us + 1))
                        continue;
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", ld, de->d_name);
                if (in(g->owned, us + 1)) {
                        /* A Pod without a monitor: nothing compresses now. */
                        _cleanup_free_ char *key =
                            pc_xasprintf("%.*s", (int)(us - de->d_name), de->d_name);
                        _cleanup_free_ char *pd = pc_xasprintf("%s/%s", g->ctx->root.pods_dir, key);
                        if (g->pass == 2 && !pc_pod_monitor_alive(pd))
                                tmp_files_below(g, p);
                        continue;
                }
                _cleanup_free_ char *key = pc_xasprintf("log:%s", p);
                if (!take(g, key))
                        continue;
                note(g, "log directory %s", p);
                if (!g->dry) {
                        pc_error e;
                        pc_rm_rf(p, &e);
                }
        }
        closedir(d);
}

int podctl_gc(podctl *ctx, bool dry_run, char ***removed, pc_error *err)
{
        struct gc g = {.ctx = ctx, .dry = dry_run};
        g.out = pc_xcalloc(1, sizeof(char *));
        g.owned = pc_xcalloc(1, sizeof(char *));
        g.roots = pc_xcalloc(1, sizeof(char *));
        g.debris = pc_xcalloc(1, sizeof(char *));
        g.cand = pc_xcalloc(1, sizeof(char *));
        if (pc_root_lock(&ctx->root, err) < 0) {
                pc_strv_free(g.out);
                pc_strv_free(g.owned);
                pc_strv_free(g.roots);
                pc_strv_free(g.debris);
                pc_strv_free(g.cand);
                return -1;
        }
        gc_pod_dirs(&g);
        for (g.pass = 1; g.pass <= 2; g.pass++) {
                /* Ownership after the debris of this root is gone. */
                pc_strv_free(g.owned);
                pc_strv_free(g.roots);
                g.owned = pc_xcalloc(1, sizeof(char *));
                g.roots = pc_xcalloc(1, sizeof(char *));
                own_all(&g);
                gc_keepers(&g);
                gc_cgroups(&g);
                gc_network(&g);
                gc_logs(&g);
        }
        pc_strv_free(g.cand);
        pc_root_unlock(&ctx->root);
        pc_strv_free(g.owned);
        pc_strv_free(g.roots);
        pc_strv_free(g.debris);
        *removed = g.out;
        return 0;
}
