/* Turning the Pod spec and image configs into files on disk and container
 * plans for the runtime. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "runtime/fsroot.h"
#include "spec/envfile.h"
#include "util/atomicdir.h"
#include "util/util.h"

/* ---- $(VAR) expansion and Kubernetes' command/args/env rules -------------- */

static const char *env_lookup(char *const *envp, const char *name, size_t nlen)
{
        for (size_t i = 0; envp && envp[i]; i++)
                if (strncmp(envp[i], name, nlen) == 0 && envp[i][nlen] == '=')
                        return envp[i] + nlen + 1;
        return NULL;
}

/* $(NAME) -> value when NAME is defined, kept verbatim otherwise; $$ -> $. */
char *pc_expand_vars(const char *s, char *const *envp)
{
        size_t cap = strlen(s) + 1, n = 0;
        char *out = pc_xmalloc(cap);
#define PUT(p, l)                                                                                  \
        do {                                                                                       \
                if (n + (l) + 1 > cap) {                                                           \
                        cap = (n + (l) + 1) * 2;                                                   \
                        out = pc_xrealloc(out, cap);                                               \
                }                                                                                  \
                memcpy(out + n, (p), (l));                                                         \
                n += (l);                                                                          \
        } while (0)
        for (const char *p = s; *p;) {
                if (p[0] == '$' && p[1] == '$') {
                        PUT("$", 1);
                        p += 2;
                        continue;
                }
                if (p[0] == '$' && p[1] == '(') {
                        const char *close = strchr(p + 2, ')');
                        if (close) {
                                const char *v = env_lookup(envp, p + 2, (size_t)(close - p - 2));
                                if (v) {
                                        PUT(v, strlen(v));
                                } else {
                                        PUT(p, (size_t)(close - p + 1));
                                }
                                p = close + 1;
                                continue;
                        }
                }
                PUT(p, 1);
                p++;
        }
#undef PUT
        out[n] = '\0';
        return out;
}

static void env_set(char ***envp, const char *kv)
{
        const char *eq = strchr(kv, '=');
        size_t nlen = eq ? (size_t)(eq - kv) : strlen(kv);
        for (size_t i = 0; *envp && (*envp)[i]; i++) {
                if (strncmp((*envp)[i], kv, nlen) == 0 && (*envp)[i][nlen] == '=') {
                        free((*envp)[i]);
                        (*envp)[i] = pc_xstrdup(kv);
                        return;
                }
        }
        pc_strv_push(envp, kv);
}

int pc_resolve_process(const struct pc_container *c, const struct pc_image *img,
                       char *const *manifest_env, char ***argv_out, char ***envp_out,
                       char **cwd_out, pc_error *err)
{
        _cleanup_strv_ char **argv = pc_xcalloc(1, sizeof(char *));
        _cleanup_strv_ char **envp = pc_xcalloc(1, sizeof(char *));

        /* Environment: the image's, then the manifest's on top (by name). */
        for (size_t i = 0; img && img->env && img->env[i]; i++)
                env_set(&envp, img->env[i]);
        if (!env_lookup(envp, "PATH", 4))
                env_set(&envp, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        for (size_t i = 0; manifest_env && manifest_env[i]; i++)
                env_set(&envp, manifest_env[i]);

        /* Kubernetes: command replaces ENTRYPOINT, args replace CMD; a command
         * given without args drops the image's CMD. */
        char *const *entry = c->command ? c->command : (img ? img->entrypoint : NULL);
        char *const *cmd = c->args ? c->args : (c->command ? NULL : (img ? img->cmd : NULL));
        for (size_t i = 0; entry && entry[i]; i++) {
                _cleanup_free_ char *s =
                    c->command ? pc_expand_vars(entry[i], manifest_env) : pc_xstrdup(entry[i]);
                pc_strv_push(&argv, s);
        }
        for (size_t i = 0; cmd && cmd[i]; i++) {
                _cleanup_free_ char *s =
                    c->args ? pc_expand_vars(cmd[i], manifest_env) : pc_xstrdup(cmd[i]);
                pc_strv_push(&argv, s);
        }
        if (!argv[0])
                return pc_fail(err, EINVAL,
                               "no command specified: the image has no entrypoint or cmd and "
                               "the container no command");

        const char *cwd =
            c->working_dir && *c->working_dir
                ? c->working_dir
                : (img && img->working_dir && *img->working_dir ? img->working_dir : "/");
        *cwd_out = pc_xstrdup(cwd);
        *argv_out = STEAL(argv);
        *envp_out = STEAL(envp);
        return 0;
}

/* ---- ConfigMaps and Secrets ------------------------------------------------ */

static int load_object(struct pc_monitor *m, const char *name, bool secret, struct pc_configmap *cm,
                       pc_error *err)
{
        _cleanup_free_ char *p =
            pc_object_path(m->root.objects_dir, m->pod.namespace_, name, secret);
        json_t *j = NULL;
        if (pc_json_load(p, &j, err) == 0) {
                int r = pc_configmap_from_json(j, cm, err);
                json_decref(j);
                if (r < 0)
                        return -1;
                if (cm->secret == secret)
                        return 0;
                pc_configmap_free(cm);
        }
        /* the API server's NotFound, as the kubelet shows it */
        pc_fail(err, 0, "%s \"%s\" not found", secret ? "secret" : "configmap", name);
        err->code = ENOENT;
        return -1;
}

static const char *cm_get(const struct pc_configmap *cm, const char *key, size_t *len)
{
        for (size_t i = 0; i < cm->n_data; i++)
                if (strcmp(cm->data[i].name, key) == 0) {
                        if (len)
                                *len = cm->len ? cm->len[i] : strlen(cm->data[i].value);
                        return cm->data[i].value;
                }
        return NULL;
}

static char *field_ref(struct pc_monitor *m, const char *path)
{
        struct pc_pod *p = &m->pod;
        if (!strcmp(path, "metadata.name"))
                return pc_xstrdup(p->name);
        if (!strcmp(path, "metadata.namespace"))
                return pc_xstrdup(p->namespace_);
        if (!strcmp(path, "metadata.uid"))
                return pc_xstrdup(p->uid);
        if (!strcmp(path, "spec.nodeName")) {
                char host[256] = "";
                gethostname(host, sizeof(host) - 1);
                return pc_xstrdup(host);
        }
        if (!strcmp(path, "spec.serviceAccountName")) {
                const char *sa = json_string_value(
                    json_object_get(json_object_get(p->json, "spec"), "serviceAccountName"));
                return pc_xstrdup(sa ? sa : "default");
        }
        /* The Pod's IP (a hostNetwork Pod's is the host's), as the status
         * shows it. */
        if (!strcmp(path, "status.podIP") || !strcmp(path, "status.podIPs"))
                return pc_xstrdup(m->pod_ip ? m->pod_ip : PC_HOST_IP);
        if (!strcmp(path, "status.hostIP") || !strcmp(path, "status.hostIPs"))
                return pc_xstrdup(PC_HOST_IP);
        /* whole maps: downwardAPI files only (the validator refuses them in env) */
        if (!strcmp(path, "metadata.labels"))
                return pc_format_kv_map(p->labels, p->n_labels);
        if (!strcmp(path, "metadata.annotations"))
                return pc_format_kv_map(p->annotations, p->n_annotations);
        const char *prefixes[] = {"metadata.labels['", "metadata.annotations['"};
        for (int k = 0; k < 2; k++) {
                if (!pc_str_has_prefix(path, prefixes[k]))
                        continue;
                const char *key = path + strlen(prefixes[k]);
                size_t klen = strcspn(key, "'");
                struct pc_kv *kv = k ? p->annotations : p->labels;
                size_t n = k ? p->n_annotations : p->n_labels;
                for (size_t i = 0; i < n; i++)
                        if (strlen(kv[i].name) == klen && !strncmp(kv[i].name, key, klen))
                                return pc_xstrdup(kv[i].value);
                return pc_xstrdup("");
        }
        return pc_xstrdup("");
}

/* valueFrom.fileKeyRef (KEP-3721): the key's value in an env file of an
 * emptyDir volume, as the kubelet reads it when the container starts. The
 * volume is seen from pause's mount namespace (a medium: Memory emptyDir is
 * a tmpfs there), the path resolved inside the volume (a symlink cannot lead
 * out of it), and only a regular file of at most 1 MiB is read (a FIFO would
 * block the monitor). 1 with *out, 0 when optional and absent, -1. */
#define ENVFILE_MAX (1 << 20)
static int file_key_ref(struct pc_monitor *m, const struct pc_env *e, char **out, pc_error *err)
{
        _cleanup_free_ char *dir = pc_xasprintf("/proc/%d/root%s/volumes/%s",
                                                (int)m->sandbox.pause_pid, m->pod_dir, e->ref_name);
        _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return pc_fail(err, errno, "emptyDir volume \"%s\"", e->ref_name);
        pc_error oerr;
        _cleanup_close_ int fd =
            pc_fsroot_open(dfd, e->ref_path, O_RDONLY | O_NONBLOCK | O_NOCTTY, &oerr);
        if (fd < 0) {
                if (e->optional && oerr.code == ENOENT)
                        return 0;
                return pc_fail(err, oerr.code, "env file \"%s\" of volume \"%s\"", e->ref_path,
                               e->ref_name);
        }
        struct stat st;
        if (fstat(fd, &st) < 0)
                return pc_fail(err, errno, "env file \"%s\"", e->ref_path);
        if (!S_ISREG(st.st_mode) || st.st_size > ENVFILE_MAX) {
                pc_fail(err, 0, "env file \"%s\" of volume \"%s\": %s", e->ref_path, e->ref_name,
                        S_ISREG(st.st_mode) ? "larger than 1 MiB" : "not a file");
                err->code = EINVAL;
                return -1;
        }
        _cleanup_free_ char *text = pc_xmalloc((size_t)st.st_size + 1);
        size_t len = 0;
        for (;;) {
                ssize_t r = read(fd, text + len, (size_t)st.st_size - len);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return pc_fail(err, errno, "read env file \"%s\"", e->ref_path);
                if (r == 0 || (len += (size_t)r) == (size_t)st.st_size)
                        break;
        }
        int r = pc_envfile_get(text, len, e->ref_key, out, err);
        if (r < 0)
                return pc_error_prefix(err, "env file \"%s\" of volume \"%s\"", e->ref_path,
                                       e->ref_name);
        if (r == 0 && !e->optional) {
                pc_fail(err, 0, "couldn't find key %s in env file \"%s\" of volume \"%s\"",
                        e->ref_key, e->ref_path, e->ref_name);
                err->code = ENOENT;
                return -1;
        }
        return r;
}

/* The container's manifest env, resolved and expanded in order. */
static int resolve_env(struct pc_monitor *m, const struct pc_container *c, char ***out,
                       pc_error *err)
{
        _cleanup_strv_ char **env = pc_xcalloc(1, sizeof(char *));
        _cleanup_free_ char *kh = pc_pod_kernel_hostname(&m->pod);
        _cleanup_free_ char *hn = pc_xasprintf("HOSTNAME=%s", kh);
        if (!m->pod.host_network)
                env_set(&env, hn);
        for (size_t i = 0; i < c->n_env_from; i++) {
                const struct pc_env_from *ef = &c->env_from[i];
                struct pc_configmap cm;
                if (load_object(m, ef->name, ef->secret, &cm, err) < 0) {
                        if (ef->optional)
                                continue;
                        return -1;
                }
                for (size_t k = 0; k < cm.n_data; k++) {
                        _cleanup_free_ char *kv =
                            pc_xasprintf("%s%s=%s", ef->prefix ? ef->prefix : "", cm.data[k].name,
                                         cm.data[k].value);
                        env_set(&env, kv);
                }
                pc_configmap_free(&cm);
        }
        for (size_t i = 0; i < c->n_env; i++) {
                const struct pc_env *e = &c->env[i];
                _cleanup_free_ char *val = NULL;
                switch (e->source) {
                case PC_ENV_VALUE:
                        val = pc_expand_vars(e->value ? e->value : "", env);
                        break;
                case PC_ENV_FIELD:
                        val = field_ref(m, e->ref_key);
                        break;
                case PC_ENV_RESOURCE:
                        val = pc_resource_ref_value(&m->pod, c, &e->res, &m->alloc,
                                                    m->alloc_ephemeral, err);
                        if (!val)
                                return pc_error_prefix(err, "env %s", e->name);
                        break;
                case PC_ENV_FILE: {
                        int r = file_key_ref(m, e, &val, err);
                        if (r < 0)
                                return -1;
                        if (r == 0)
                                continue;
                        break;
                }
                case PC_ENV_CONFIGMAP:
                case PC_ENV_SECRET: {
                        struct pc_configmap cm;
                        bool secret = e->source == PC_ENV_SECRET;
                        /* the kubelet's messages (makeEnvironmentVariables) */
                        if (load_object(m, e->ref_name, secret, &cm, err) < 0) {
                                if (e->optional)
                                        continue;
                                return -1;
                        }
                        const char *v = cm_get(&cm, e->ref_key, NULL);
                        if (!v) {
                                pc_configmap_free(&cm);
                                if (e->optional)
                                        continue;
                                pc_fail(err, 0, "couldn't find key %s in %s %s/%s", e->ref_key,
                                        secret ? "Secret" : "ConfigMap", m->pod.namespace_,
                                        e->ref_name);
                                err->code = ENOENT;
                                return -1;
                        }
                        val = pc_xstrdup(v);
                        pc_configmap_free(&cm);
                        break;
                }
                }
                _cleanup_free_ char *kv = pc_xasprintf("%s=%s", e->name, val);
                env_set(&env, kv);
        }
        *out = STEAL(env);
        return 0;
}

/* ---- Pod-level files ----------------------------------------------------- */

/* The Pod's runtime files (hostname, hosts, resolv.conf, termination logs)
 * are written anew at each start: atomic, not fsync'ed (an fsync each cost
 * 1-10 ms of the start, docs/PERFORMANCE.md). */
static int write_text(const char *path, const char *text, pc_error *err)
{
        return pc_replace_file(path, text, strlen(text), 0644, err);
}

int pc_monitor_write_hosts(struct pc_monitor *m, pc_error *err)
{
        struct pc_pod *p = &m->pod;
        const char *hostname = p->hostname ? p->hostname : p->name;
        _cleanup_free_ char *path = pc_xasprintf("%s/hosts", m->etc_dir);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return pc_fail(err, errno, "open_memstream");
        fputs("# Kubernetes-managed hosts file.\n"
              "127.0.0.1\tlocalhost\n"
              "::1\tlocalhost ip6-localhost ip6-loopback\n"
              "fe00::0\tip6-localnet\n"
              "fe00::0\tip6-mcastprefix\n"
              "fe00::1\tip6-allnodes\n"
              "fe00::2\tip6-allrouters\n",
              f);
        /* The Pod's IP with its hostname (before the network is attached, and
         * for a Pod without one, its name resolves to 127.0.1.1). */
        const char *ip = m->pod_ip ? m->pod_ip : "127.0.1.1";
        if (p->subdomain)
                fprintf(f, "%s\t%s.%s.%s.svc.cluster.local\t%s\n", ip, hostname, p->subdomain,
                        p->namespace_, hostname);
        else
                fprintf(f, "%s\t%s\n", ip, hostname);
        if (p->n_host_aliases > 0) {
                fputs("\n# Entries added by HostAliases.\n", f);
                /* One line per IP, its names tab-separated (the kubelet's
                 * hostsEntriesFromHostAliases). */
                for (size_t i = 0; i < p->n_host_aliases; i++) {
                        fprintf(f, "%s", p->host_aliases[i].name);
                        for (const char *h = p->host_aliases[i].value; *h;) {
                                size_t w = strcspn(h, " ");
                                fprintf(f, "\t%.*s", (int)w, h);
                                h += w + (h[w] == ' ');
                        }
                        fputc('\n', f);
                }
        }
        fclose(f);
        int r = pc_replace_file(path, buf, len, 0644, err);
        free(buf);
        return r;
}

static int make_resolv_conf(struct pc_monitor *m, pc_error *err)
{
        struct pc_pod *p = &m->pod;
        _cleanup_free_ char *path = pc_xasprintf("%s/resolv.conf", m->etc_dir);
        _cleanup_free_ char *host = NULL;
        pc_error ignore;
        bool none = p->dns_policy && strcmp(p->dns_policy, "None") == 0;
        if (!none && pc_read_file("/etc/resolv.conf", &host, NULL, &ignore) < 0)
                host = pc_xstrdup("");
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return pc_fail(err, errno, "open_memstream");
        /* Without cluster DNS, ClusterFirst falls back to the host's
         * resolv.conf, as the kubelet does; dnsConfig is merged on top. */
        if (host)
                fputs(host, f);
        if (host && len > 0 && buf[len - 1] != '\n')
                fputc('\n', f);
        for (size_t i = 0; p->dns_nameservers && p->dns_nameservers[i]; i++)
                fprintf(f, "nameserver %s\n", p->dns_nameservers[i]);
        if (p->dns_searches && p->dns_searches[0]) {
                fputs("search", f);
                for (size_t i = 0; p->dns_searches[i]; i++)
                        fprintf(f, " %s", p->dns_searches[i]);
                fputc('\n', f);
        }
        if (p->n_dns_options > 0) {
                fputs("options", f);
                for (size_t i = 0; i < p->n_dns_options; i++) {
                        if (p->dns_options[i].value)
                                fprintf(f, " %s:%s", p->dns_options[i].name,
                                        p->dns_options[i].value);
                        else
                                fprintf(f, " %s", p->dns_options[i].name);
                }
                fputc('\n', f);
        }
        fclose(f);
        int r = pc_replace_file(path, buf, len, 0644, err);
        free(buf);
        return r;
}

/* fsGroup, as the kubelet's SetVolumeOwnership: every entry gets group
 * fsGroup, files g+rw (g+r for read-only volumes), directories g+rwx and
 * setgid; symlinks are chowned, never followed. OnRootMismatch: nothing when
 * the volume's root already has that group and mode. Called on volumes the
 * monitor has just made or written (no container has run in them yet). */
static gid_t fsg_gid;
static mode_t fsg_mask;

static int fsg_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)flag;
        (void)ftw;
        if (lchown(path, (uid_t)-1, fsg_gid) < 0)
                return errno;
        if (S_ISLNK(st->st_mode))
                return 0;
        mode_t mask = S_ISDIR(st->st_mode) ? fsg_mask | S_ISGID | 0110 : fsg_mask;
        if (fchmodat(AT_FDCWD, path, (st->st_mode & 07777) | mask, 0) < 0)
                return errno;
        return 0;
}

/* force: also with OnRootMismatch (new files under a root already set). */
static int fs_group_apply(const struct pc_pod *p, const char *dir, bool read_only, bool force,
                          pc_error *err)
{
        if (!p->has_fs_group)
                return 0;
        fsg_gid = (gid_t)p->fs_group;
        fsg_mask = read_only ? 0440 : 0660;
        struct stat st;
        if (!force && p->fs_group_on_root_mismatch && stat(dir, &st) == 0 && st.st_gid == fsg_gid &&
            (st.st_mode & (fsg_mask | S_ISGID | 0110)) == (fsg_mask | S_ISGID | 0110))
                return 0;
        int r = nftw(dir, fsg_one, 16, FTW_PHYS);
        if (r != 0)
                return pc_fail(err, r > 0 ? r : errno, "fsGroup %lld on %s", (long long)fsg_gid,
                               dir);
        return 0;
}

static bool memory_backed(const struct pc_volume *v)
{
        return v->kind == PC_VOL_EMPTYDIR && v->medium && !strcmp(v->medium, "Memory");
}

/* Secret and projected volumes (which may hold Secrets) live on a tmpfs
 * that pause holds, as the kubelet backs them with memory. */
static bool secret_backed(const struct pc_volume *v)
{
        return v->kind == PC_VOL_SECRET || v->kind == PC_VOL_PROJECTED;
}

/* Volumes whose files the monitor writes (the atomic writer's layout). */
static bool payload_volume(const struct pc_volume *v)
{
        return v->kind == PC_VOL_CONFIGMAP || v->kind == PC_VOL_SECRET ||
               v->kind == PC_VOL_DOWNWARDAPI || v->kind == PC_VOL_PROJECTED;
}

int pc_monitor_prepare_pod(struct pc_monitor *m, pc_error *err)
{
        struct pc_pod *p = &m->pod;
        m->etc_dir = pc_xasprintf("%s/etc", m->pod_dir);
        m->shm_dir = pc_xasprintf("%s/shm", m->pod_dir);
        if (pc_mkdir_p(m->etc_dir, 0755, err) < 0 || pc_mkdir_p(m->shm_dir, 01777, err) < 0)
                return -1;
        chmod(m->shm_dir, 01777);
        _cleanup_free_ char *hn = pc_xasprintf("%s\n", p->hostname ? p->hostname : p->name);
        _cleanup_free_ char *hn_path = pc_xasprintf("%s/hostname", m->etc_dir);
        if (write_text(hn_path, hn, err) < 0 || pc_monitor_write_hosts(m, err) < 0 ||
            make_resolv_conf(m, err) < 0)
                return pc_error_prefix(err, "pod files");
        for (size_t i = 0; i < p->n_volumes; i++) {
                struct pc_volume *v = &p->volumes[i];
                if (secret_backed(v) || memory_backed(v)) {
                        /* the mount point of its tmpfs (pc_monitor_pod_tmpfs) */
                        _cleanup_free_ char *d = pc_xasprintf("%s/volumes/%s", m->pod_dir, v->name);
                        if (pc_mkdir_p(d, 0755, err) < 0)
                                return pc_error_prefix(err, "volume \"%s\"", v->name);
                        continue;
                }
                if (v->kind != PC_VOL_EMPTYDIR)
                        continue;
                _cleanup_free_ char *d = pc_xasprintf("%s/volumes/%s", m->pod_dir, v->name);
                mode_t mode = v->dir_mode >= 0 ? (mode_t)v->dir_mode : 0777;
                if (pc_mkdir_p(d, 0700, err) < 0)
                        return pc_error_prefix(err, "emptyDir volume \"%s\"", v->name);
                chmod(d, mode); /* emptyDir.mode, else 0777 (not the umask's) */
                if (fs_group_apply(p, d, false, false, err) < 0)
                        return pc_error_prefix(err, "emptyDir volume \"%s\"", v->name);
        }
        return 0;
}

/* ---- volumes per container ------------------------------------------------ */

static struct pc_volume *find_volume(struct pc_pod *p, const char *name)
{
        for (size_t i = 0; i < p->n_volumes; i++)
                if (strcmp(p->volumes[i].name, name) == 0)
                        return &p->volumes[i];
        return NULL;
}

/* Kubernetes' hostPath type checks; *is_file tells the runtime what to bind. */
static int check_host_path(const struct pc_volume *v, bool *is_file, pc_error *err)
{
        struct stat st;
        const char *t = v->hostpath_type ? v->hostpath_type : "";
        int r = stat(v->path, &st);
        *is_file = r == 0 && !S_ISDIR(st.st_mode);
        if (!strcmp(t, "DirectoryOrCreate")) {
                if (r < 0) {
                        if (pc_mkdir_p(v->path, 0755, err) < 0)
                                return -1;
                        return 0;
                }
                if (!S_ISDIR(st.st_mode))
                        return pc_fail(err, 0, "hostPath type check failed: %s is not a directory",
                                       v->path);
                return 0;
        }
        if (!strcmp(t, "FileOrCreate")) {
                *is_file = true;
                if (r < 0) {
                        int fd = open(v->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                        if (fd < 0)
                                return pc_fail(err, errno, "hostPath: create %s", v->path);
                        close(fd);
                        return 0;
                }
                if (!S_ISREG(st.st_mode))
                        return pc_fail(err, 0, "hostPath type check failed: %s is not a file",
                                       v->path);
                return 0;
        }
        if (r < 0) {
                if (!*t)
                        return pc_fail(err, errno, "hostPath %s", v->path);
                return pc_fail(err, 0, "hostPath type check failed: %s does not exist (type %s)",
                               v->path, t);
        }
        struct {
                const char *type;
                mode_t fmt;
                const char *what;
        } checks[] = {
            {"Directory", S_IFDIR, "a directory"},
            {"File", S_IFREG, "a file"},
            {"Socket", S_IFSOCK, "a socket"},
            {"CharDevice", S_IFCHR, "a character device"},
            {"BlockDevice", S_IFBLK, "a block device"},
        };
        for (size_t i = 0; i < PC_ARRAY_SIZE(checks); i++)
                if (!strcmp(t, checks[i].type) && (st.st_mode & S_IFMT) != checks[i].fmt)
                        return pc_fail(err, 0, "hostPath type check failed: %s is not %s", v->path,
                                       checks[i].what);
        return 0;
}

/* ---- payloads of configMap, secret, downwardAPI and projected volumes ---- */

struct payload {
        struct pc_payload_file *f;
        size_t n, cap;
};

static void payload_add(struct payload *pl, const char *path, const char *data, size_t len,
                        mode_t mode)
{
        if (pl->n == pl->cap) {
                pl->cap = pl->cap ? 2 * pl->cap : 8;
                pl->f = pc_xrealloc(pl->f, pl->cap * sizeof(*pl->f));
        }
        char *copy = pc_xmalloc(len + 1);
        memcpy(copy, data, len);
        copy[len] = '\0';
        pl->f[pl->n++] = (struct pc_payload_file){pc_xstrdup(path), copy, len, mode};
}

/* A ConfigMap's or Secret's keys (all, or items: each item's key to its
 * path, in its own mode when set; a key not in the object fails unless
 * optional, as the kubelet's MakePayload). A missing optional object adds
 * nothing. */
static int payload_object(struct pc_monitor *m, const char *name, bool secret, bool optional,
                          const struct pc_kv *items, const int32_t *item_modes, size_t n_items,
                          mode_t mode, struct payload *pl, pc_error *err)
{
        struct pc_configmap cm;
        if (load_object(m, name, secret, &cm, err) < 0)
                return optional ? 0 : -1;
        size_t n = n_items > 0 ? n_items : cm.n_data;
        int r = 0;
        for (size_t k = 0; k < n; k++) {
                size_t i = k;
                const char *target = NULL;
                mode_t fmode = mode;
                if (n_items == 0) {
                        target = cm.data[k].name;
                } else {
                        for (i = 0; i < cm.n_data; i++)
                                if (!strcmp(items[k].name, cm.data[i].name))
                                        break;
                        if (i == cm.n_data) {
                                if (optional)
                                        continue;
                                r = pc_fail(err, ENOENT, "%s references non-existent %s key: %s",
                                            secret ? "secret" : "configmap",
                                            secret ? "secret" : "config", items[k].name);
                                break;
                        }
                        target = items[k].value;
                        if (item_modes && item_modes[k] >= 0)
                                fmode = (mode_t)item_modes[k];
                }
                size_t len = cm.len ? cm.len[i] : strlen(cm.data[i].value);
                payload_add(pl, target, cm.data[i].value, len, fmode);
        }
        pc_configmap_free(&cm);
        return r;
}

static int payload_dapi(struct pc_monitor *m, const struct pc_dapi_file *files, size_t n,
                        mode_t mode, struct payload *pl, pc_error *err)
{
        for (size_t i = 0; i < n; i++) {
                const struct pc_dapi_file *f = &files[i];
                _cleanup_free_ char *val =
                    f->field_path ? field_ref(m, f->field_path)
                                  : pc_resource_ref_value(&m->pod, NULL, &f->res, &m->alloc,
                                                          m->alloc_ephemeral, err);
                if (!val)
                        return pc_error_prefix(err, "items[%zu]", i);
                payload_add(pl, f->path, val, strlen(val), f->mode >= 0 ? (mode_t)f->mode : mode);
        }
        return 0;
}

static int volume_payload(struct pc_monitor *m, const struct pc_volume *v, struct payload *pl,
                          pc_error *err)
{
        mode_t mode = v->default_mode >= 0 ? (mode_t)v->default_mode : 0644;
        switch (v->kind) {
        case PC_VOL_CONFIGMAP:
        case PC_VOL_SECRET:
                return payload_object(m, v->ref_name, v->kind == PC_VOL_SECRET, v->optional,
                                      v->items, v->item_modes, v->n_items, mode, pl, err);
        case PC_VOL_DOWNWARDAPI:
                return payload_dapi(m, v->files, v->n_files, mode, pl, err);
        case PC_VOL_PROJECTED:
                for (size_t i = 0; i < v->n_sources; i++) {
                        const struct pc_projection *s = &v->sources[i];
                        int r = s->kind == PC_PROJ_DOWNWARDAPI
                                    ? payload_dapi(m, s->files, s->n_files, mode, pl, err)
                                    : payload_object(m, s->ref_name, s->kind == PC_PROJ_SECRET,
                                                     s->optional, s->items, s->item_modes,
                                                     s->n_items, mode, pl, err);
                        if (r < 0)
                                return pc_error_prefix(err, "sources[%zu]", i);
                }
                return 0;
        default:
                return 0;
        }
}

struct volume_write {
        struct pc_monitor *m;
        const struct pc_volume *v;
        const char *dir;
        struct payload *pl;
};

static int do_write_volume(void *data, pc_error *err)
{
        struct volume_write *w = data;
        bool changed;
        if (pc_atomic_dir_write(w->dir, w->pl->f, w->pl->n, &changed, err) < 0)
                return -1;
        return changed ? fs_group_apply(&w->m->pod, w->dir, true, true, err) : 0;
}

/* A payload volume's files, written (or updated) in the atomic writer's
 * layout, then fsGroup; a Secret's or projected volume's are written in
 * pause's mount namespace, into the tmpfs it holds there. The payload is
 * computed first, so a failure leaves the volume as it was. */
static int write_volume(struct pc_monitor *m, const struct pc_volume *v, const char *dir,
                        pc_error *err)
{
        struct payload pl = {0};
        int r = volume_payload(m, v, &pl, err);
        if (r == 0) {
                struct volume_write w = {m, v, dir, &pl};
                r = secret_backed(v)
                        ? pc_sandbox_run_in_mounts(&m->sandbox, do_write_volume, &w, err)
                        : do_write_volume(&w, err);
        }
        pc_payload_free(pl.f, pl.n);
        return r;
}

void pc_monitor_sync_volumes(struct pc_monitor *m)
{
        for (size_t i = 0; m->volume_written && i < m->pod.n_volumes; i++) {
                if (!m->volume_written[i])
                        continue;
                const struct pc_volume *v = &m->pod.volumes[i];
                _cleanup_free_ char *dir = pc_xasprintf("%s/volumes/%s", m->pod_dir, v->name);
                pc_error err;
                if (write_volume(m, v, dir, &err) < 0)
                        pc_monitor_event(m, NULL, true, "FailedMount",
                                         "MountVolume.SetUp failed for volume \"%s\" : %s", v->name,
                                         err.msg);
        }
}

/* subPathExpr expanded with the container's environment, checked as the
 * kubelet checks it (relative, no '..'). */
static char *expand_sub_path(const char *expr, char *const *env, pc_error *err)
{
        char *p = pc_expand_vars(expr, env);
        bool dotdot = !strcmp(p, "..") || pc_str_has_prefix(p, "../") || strstr(p, "/../") ||
                      pc_str_has_suffix(p, "/..");
        if (p[0] == '/' || dotdot) {
                pc_fail(err, 0, "subPathExpr \"%s\" expands to \"%s\": %s", expr, p,
                        p[0] == '/' ? "must not be an absolute path" : "must not contain '..'");
                free(p);
                return NULL;
        }
        return p;
}

/* An image volume's image, NULL while it is not pulled. */
static const struct pc_image *image_volume(const struct pc_monitor *m, const struct pc_volume *v)
{
        for (size_t i = 0; i < m->n_ivols; i++)
                if (m->ivols[i].v == v)
                        return m->ivols[i].image;
        return NULL;
}

static int volume_binds(struct pc_monitor *m, struct pc_ctr *c, char *const *env,
                        struct pc_bind *binds, size_t *n, char ***owned, pc_error *err)
{
        struct pc_container *spec = c->spec;
        for (size_t i = 0; i < spec->n_mounts; i++) {
                struct pc_volume_mount *vm = &spec->mounts[i];
                struct pc_volume *v = find_volume(&m->pod, vm->name);
                if (!v)
                        return pc_fail(err, ENOENT, "volume \"%s\" not found", vm->name);
                _cleanup_free_ char *src = NULL;
                bool is_file = false;
                const struct pc_image *img = NULL;
                switch (v->kind) {
                case PC_VOL_EMPTYDIR:
                        src = pc_xasprintf("%s/volumes/%s", m->pod_dir, v->name);
                        break;
                case PC_VOL_HOSTPATH:
                        if (check_host_path(v, &is_file, err) < 0)
                                return pc_error_prefix(err, "volume \"%s\"", v->name);
                        src = pc_xstrdup(v->path);
                        break;
                case PC_VOL_CONFIGMAP:
                case PC_VOL_SECRET:
                case PC_VOL_DOWNWARDAPI:
                case PC_VOL_PROJECTED:
                        src = pc_xasprintf("%s/volumes/%s", m->pod_dir, v->name);
                        if (write_volume(m, v, src, err) < 0)
                                return pc_error_prefix(err, "volume \"%s\"", v->name);
                        if (!m->volume_written)
                                m->volume_written =
                                    pc_xcalloc(m->pod.n_volumes, sizeof(*m->volume_written));
                        m->volume_written[v - m->pod.volumes] = true;
                        break;
                case PC_VOL_IMAGE:
                        img = image_volume(m, v);
                        if (!img)
                                return pc_fail(err, ENOENT,
                                               "volume \"%s\": image \"%s\" not pulled", v->name,
                                               v->image_ref);
                        /* the overlay's mount point, one per mount (the child mounts it) */
                        src = pc_xasprintf("%s/ivol%zu", c->dir, i);
                        if (mkdir(src, 0700) < 0 && errno != EEXIST)
                                return pc_fail(err, errno, "mkdir %s", src);
                        break;
                }
                /* subPath is resolved by the runtime inside the volume (never
                 * here, on the host, where a planted symlink would lead out). */
                const char *sub = vm->sub_path && *vm->sub_path ? vm->sub_path : NULL;
                if (vm->sub_path_expr) {
                        char *x = expand_sub_path(vm->sub_path_expr, env, err);
                        if (!x)
                                return pc_error_prefix(err, "volume \"%s\"", v->name);
                        bool empty = !*x;
                        pc_strv_push(owned, x);
                        free(x);
                        sub = empty ? NULL : (*owned)[pc_strv_len(*owned) - 1];
                }
                if (sub)
                        is_file = false;
                char *what = pc_xasprintf("volume \"%s\"", v->name);
                pc_strv_push(owned, what);
                free(what);
                pc_strv_push(owned, src);
                size_t k = pc_strv_len(*owned);
                binds[*n] = (struct pc_bind){
                    .source = (*owned)[k - 1],
                    .destination = vm->mount_path,
                    /* configMap, secret, downwardAPI and projected volumes are
                     * always read-only (kubelet), so no container can plant
                     * links in them */
                    .read_only = vm->read_only || payload_volume(v) || img,
                    .create_file = is_file,
                    .what = (*owned)[k - 2],
                    .sub_path = sub,
                    .recursive_read_only = vm->read_only && vm->recursive_read_only,
                    .host_to_container = vm->host_to_container,
                    .idmap = v->kind == PC_VOL_HOSTPATH,
                    .layers = img ? img->layer_dirs : NULL,
                    .n_layers = img ? img->n_layers : 0,
                };
                (*n)++;
        }
        return 0;
}

/* ---- starting one container ------------------------------------------------ */

static int enter_cgroup(pid_t pid, void *data, pc_error *err)
{
        pc_cgroup *cg = data;
        return cg ? pc_cgroup_enter(cg, pid, err) : 0;
}

static char *user_spec(const struct pc_container *c, const struct pc_image *img)
{
        const char *iu = img && img->user && *img->user ? img->user : "0";
        const char *colon = strchr(iu, ':');
        _cleanup_free_ char *u = colon ? strndup(iu, (size_t)(colon - iu)) : pc_xstrdup(iu);
        _cleanup_free_ char *g = colon ? pc_xstrdup(colon + 1) : NULL;
        if (c->has_run_as_user) {
                free(u);
                u = pc_xasprintf("%lld", (long long)c->run_as_user);
        }
        if (c->has_run_as_group) {
                free(g);
                g = pc_xasprintf("%lld", (long long)c->run_as_group);
        }
        return g ? pc_xasprintf("%s:%s", u, g) : pc_xstrdup(u);
}

/* ---- security ------------------------------------------------------------ */

/* containerd's order: add ALL, drop ALL, then the named adds, then the named
 * drops; privileged: every capability, add/drop not looked at. */
static uint64_t container_caps(const struct pc_container *spec)
{
        if (spec->privileged)
                return pc_caps_all();
        uint64_t caps = pc_caps_default();
        for (size_t i = 0; spec->cap_add && spec->cap_add[i]; i++)
                if (!strcasecmp(spec->cap_add[i], "ALL"))
                        caps = pc_caps_all();
        for (size_t i = 0; spec->cap_drop && spec->cap_drop[i]; i++)
                if (!strcasecmp(spec->cap_drop[i], "ALL"))
                        caps = 0;
        for (size_t i = 0; spec->cap_add && spec->cap_add[i]; i++) {
                int n = pc_capability_number(spec->cap_add[i]);
                if (n >= 0 && n < 64)
                        caps |= UINT64_C(1) << n;
        }
        for (size_t i = 0; spec->cap_drop && spec->cap_drop[i]; i++) {
                int n = pc_capability_number(spec->cap_drop[i]);
                if (n >= 0 && n < 64)
                        caps &= ~(UINT64_C(1) << n);
        }
        return caps & pc_caps_all();
}

/* The seccomp profile a container runs under: its own, else the Pod's, else
 * RuntimeDefault with config.json's seccompDefault (podctl's default), else
 * Unconfined; privileged containers are never filtered (as containerd). */
static enum pc_profile_type seccomp_type(const struct pc_monitor *m,
                                         const struct pc_container *spec)
{
        if (spec->privileged)
                return PC_PROFILE_UNCONFINED;
        if (spec->seccomp.type != PC_PROFILE_UNSET)
                return spec->seccomp.type;
        return m->seccomp_default ? PC_PROFILE_RUNTIME_DEFAULT : PC_PROFILE_UNCONFINED;
}

/* The AppArmor profile a container's processes enter (admission loaded
 * podctl-default already where it is needed: pod/security.c). */
static const char *apparmor_profile(const struct pc_container *spec)
{
        switch (spec->apparmor.type) {
        case PC_PROFILE_LOCALHOST:
                return spec->apparmor.localhost;
        case PC_PROFILE_RUNTIME_DEFAULT:
                return PC_APPARMOR_DEFAULT;
        case PC_PROFILE_UNSET:
                return !spec->privileged && pc_apparmor_enabled() ? PC_APPARMOR_DEFAULT : NULL;
        default:
                return NULL;
        }
}

static int container_security(struct pc_monitor *m, struct pc_ctr *c, pc_error *err)
{
        const struct pc_container *spec = c->spec;
        pc_seccomp_free(c->seccomp);
        c->seccomp = NULL;
        free(c->groups);
        c->groups = NULL;
        c->n_groups = 0;
        c->sec = (struct pc_proc_sec){
            .caps = container_caps(spec),
            .no_new_privs = spec->no_new_privs,
            .apparmor = apparmor_profile(spec),
        };
        _cleanup_free_ char *cache = pc_xasprintf("%s/cache/seccomp", m->root.root);
        switch (seccomp_type(m, spec)) {
        case PC_PROFILE_RUNTIME_DEFAULT:
                if (pc_seccomp_compile_default(c->sec.caps, cache, &c->seccomp, err) < 0)
                        return -1;
                break;
        case PC_PROFILE_LOCALHOST: {
                _cleanup_free_ char *path =
                    pc_xasprintf("%s/seccomp/%s", m->root.root, spec->seccomp.localhost);
                _cleanup_free_ char *text = NULL;
                if (pc_read_file(path, &text, NULL, err) < 0)
                        return pc_error_prefix(err, "seccomp profile \"%s\"",
                                               spec->seccomp.localhost);
                if (pc_seccomp_compile(text, spec->seccomp.localhost, c->sec.caps, cache,
                                       &c->seccomp, err) < 0)
                        return -1;
                break;
        }
        default:
                break;
        }
        c->sec.seccomp = c->seccomp;
        /* a CRI container: the groups its own security context lists (the
         * sandbox's are pause's) */
        json_t *cg = c->cri ? json_object_get(c->cri, "supplementalGroups") : NULL;
        if (c->cri) {
                c->groups = pc_xcalloc(json_array_size(cg) + 1, sizeof(gid_t));
                size_t i;
                json_t *g;
                json_array_foreach(cg, i, g)
                {
                        json_int_t v = json_integer_value(g);
                        if (v < 0 || v > UINT32_MAX)
                                return pc_fail(err, EINVAL, "supplemental group %lld",
                                               (long long)v);
                        c->groups[c->n_groups++] = (gid_t)v;
                }
                return 0;
        }
        /* fsGroup, then supplementalGroups, as the kubelet lists them */
        const struct pc_pod *pod = &m->pod;
        c->groups = pc_xcalloc(pod->n_supplemental_groups + 1, sizeof(gid_t));
        if (pod->has_fs_group)
                c->groups[c->n_groups++] = (gid_t)pod->fs_group;
        for (size_t i = 0; i < pod->n_supplemental_groups; i++)
                c->groups[c->n_groups++] = (gid_t)pod->supplemental_groups[i];
        return 0;
}

/* The kubelet's runAsNonRoot message as it is (EPERM, no strerror after it). */
static int nonroot_refused(pc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int nonroot_refused(pc_error *err, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        err->code = EPERM;
        return -1;
}

/* runAsNonRoot, as the kubelet checks it (verifyRunAsNonRoot): on runAsUser,
 * else the image's user, which must then be numeric. */
static int check_run_as_non_root(struct pc_monitor *m, struct pc_ctr *c, pc_error *err)
{
        const struct pc_container *spec = c->spec;
        if (!spec->run_as_non_root)
                return 0;
        _cleanup_free_ char *pod =
            pc_xasprintf("%s_%s(%s)", m->pod.name, m->pod.namespace_, m->pod.uid ? m->pod.uid : "");
        if (spec->has_run_as_user) {
                if (spec->run_as_user == 0)
                        return nonroot_refused(
                            err,
                            "container's runAsUser breaks non-root policy (pod: \"%s\", "
                            "container: %s)",
                            pod, spec->name);
                return 0;
        }
        const char *iu = c->image && c->image->user ? c->image->user : "";
        size_t ulen = strcspn(iu, ":");
        if (ulen == 0)
                return nonroot_refused(
                    err,
                    "container has runAsNonRoot and image will run as root (pod: \"%s\", "
                    "container: %s)",
                    pod, spec->name);
        if (strspn(iu, "0123456789") != ulen)
                return nonroot_refused(
                    err,
                    "container has runAsNonRoot and image has non-numeric user (%.*s), "
                    "cannot verify user is non-root (pod: \"%s\", container: %s)",
                    (int)ulen, iu, pod, spec->name);
        if (strtoul(iu, NULL, 10) == 0)
                return nonroot_refused(
                    err,
                    "container has runAsNonRoot and image will run as root (pod: \"%s\", "
                    "container: %s)",
                    pod, spec->name);
        return 0;
}

static int save_exec_config(const struct pc_monitor *m, struct pc_ctr *c, char **envp,
                            const char *cwd, const char *user, pc_error *err)
{
        json_t *j = json_object();
        json_t *env = json_array();
        for (size_t i = 0; envp[i]; i++)
                json_array_append_new(env, json_string(envp[i]));
        json_object_set_new(j, "env", env);
        json_object_set_new(j, "cwd", json_string(cwd));
        json_object_set_new(j, "user", json_string(user));
        /* How exec'd processes are sealed: as the container's (src/pod/pod.c). */
        json_t *groups = json_array();
        for (size_t i = 0; i < c->n_groups; i++)
                json_array_append_new(groups, json_integer(c->groups[i]));
        const struct pc_container *spec = c->spec;
        const char *seccomp = !c->seccomp                                  ? "Unconfined"
                              : spec->seccomp.type == PC_PROFILE_LOCALHOST ? "Localhost"
                                                                           : "RuntimeDefault";
        json_object_set_new(j, "security",
                            json_pack("{s:I,s:b,s:s,s:s?,s:s?,s:o,s:b}", "caps",
                                      (json_int_t)c->sec.caps, "noNewPrivs", c->sec.no_new_privs,
                                      "seccomp", seccomp, "seccompLocalhost",
                                      c->seccomp && spec->seccomp.type == PC_PROFILE_LOCALHOST
                                          ? spec->seccomp.localhost
                                          : NULL,
                                      "apparmor", c->sec.apparmor, "groups", groups, "groupsStrict",
                                      m->pod.supplemental_groups_strict));
        _cleanup_free_ char *p = pc_xasprintf("%s/exec.json", c->dir);
        int r = pc_json_save(p, j, false, err);
        json_decref(j);
        return r;
}

/* Kubernetes' container cgroup values: memory limit, CFS quota from the cpu
 * limit (period 100ms), shares from the cpu request (2 when none). */
void pc_monitor_container_limits(const struct pc_resources *r, struct pc_cgroup_limits *l)
{
        *l = PC_CGROUP_LIMITS_NONE;
        l->memory_max = r->memory_limit > 0 ? r->memory_limit : -1;
        l->cpu_quota = r->cpu_limit > 0 ? r->cpu_limit * l->cpu_period / 1000 : -1;
        if (l->cpu_quota >= 0 && l->cpu_quota < 1000)
                l->cpu_quota = 1000; /* the kernel's minimum quota */
        int64_t shares = r->cpu_request > 0 ? r->cpu_request * 1024 / 1000 : 2;
        l->cpu_shares = shares < 2 ? 2 : shares;
}

static int make_pipe(int *r, int *w, pc_error *err)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return pc_fail(err, errno, "pipe");
        *r = p[0];
        *w = p[1];
        return 0;
}

/* Mounts, cgroup, pipes and the runtime call, once the log is open. */
static int spawn(struct pc_monitor *m, struct pc_ctr *c, char **argv, char **envp, char **menv,
                 const char *cwd, const char *user, pc_error *err)
{
        struct pc_container *spec = c->spec;
        _cleanup_strv_ char **owned = pc_xcalloc(1, sizeof(char *));
        _cleanup_free_ char *upper = pc_xasprintf("%s/upper", c->dir);
        _cleanup_free_ char *work = pc_xasprintf("%s/work", c->dir);
        _cleanup_free_ char *rootfs = pc_xasprintf("%s/rootfs", c->dir);
        _cleanup_free_ char *termlog = pc_xasprintf("%s/termination-log", c->dir);
        struct pc_bind binds[64 + 8];
        size_t n = 0;
        if (spec->n_mounts > 64)
                return pc_fail(err, E2BIG, "too many volume mounts");
        if (volume_binds(m, c, menv, binds, &n, &owned, err) < 0)
                return -1;
        _cleanup_free_ char *hosts = pc_xasprintf("%s/hosts", m->etc_dir);
        _cleanup_free_ char *hostname = pc_xasprintf("%s/hostname", m->etc_dir);
        _cleanup_free_ char *resolv = pc_xasprintf("%s/resolv.conf", m->etc_dir);
#define FILE_BIND(src, dst, what_)                                                                 \
        ((struct pc_bind){                                                                         \
            .source = (src), .destination = (dst), .create_file = true, .what = (what_)})
        /* A container mounting a volume at /etc/hosts keeps it (the kubelet's
         * makeMounts). */
        bool own_hosts = false;
        for (size_t i = 0; i < spec->n_mounts; i++)
                own_hosts = own_hosts || !strcmp(spec->mounts[i].mount_path, "/etc/hosts");
        if (!own_hosts)
                binds[n++] = FILE_BIND(m->pod.host_network ? "/etc/hosts" : hosts, "/etc/hosts",
                                       "/etc/hosts");
        binds[n++] = FILE_BIND(hostname, "/etc/hostname", "/etc/hostname");
        binds[n++] = FILE_BIND(resolv, "/etc/resolv.conf", "/etc/resolv.conf");
        if (spec->termination_message_path && *spec->termination_message_path)
                binds[n++] =
                    FILE_BIND(termlog, spec->termination_message_path, "terminationMessagePath");
#undef FILE_BIND

        /* Container cgroup, below the Pod's, with the container's limits. */
        if (m->cgroup) {
                _cleanup_free_ char *rel = pc_xasprintf("%s/%s", m->cgroup_rel, spec->name);
                struct pc_cgroup_limits lim;
                pc_monitor_container_limits(&spec->resources, &lim);
                if (!c->cgroup &&
                    pc_cgroup_create("/sys/fs/cgroup", rel, &lim, &c->cgroup, err) < 0)
                        return -1;
                if (!spec->privileged && !c->devices_restricted) {
                        if (pc_cgroup_restrict_devices(c->cgroup, NULL, 0, err) < 0)
                                return -1;
                        c->devices_restricted = true;
                }
                struct pc_cgroup_stats cs;
                pc_error ignore;
                c->oom_base = pc_cgroup_stats(c->cgroup, &cs, &ignore) == 0 ? cs.oom_kills : 0;
        }
        if (pc_resize_on_start(m, c, err) < 0)
                return -1;

        /* stdout and stderr pipes, a stdin pipe for stdin: true; or with
         * tty: true one terminal the container allocates (its master comes
         * back from pc_container_start). */
        _cleanup_close_ int out_r = -1, out_w = -1, err_r = -1, err_w = -1, in_r = -1, in_w = -1;
        _cleanup_close_ int master = -1;
        if (!spec->tty &&
            (make_pipe(&out_r, &out_w, err) < 0 || make_pipe(&err_r, &err_w, err) < 0))
                return -1;
        if (spec->stdin_open && !spec->tty && make_pipe(&in_r, &in_w, err) < 0)
                return -1;
        char **lowers = pc_xcalloc(c->image->n_layers + 1, sizeof(char *));
        for (size_t i = 0; i < c->image->n_layers; i++)
                lowers[i] = c->image->layer_dirs[i];
        struct pc_container_plan plan = {
            .name = spec->name,
            .lower_dirs = lowers,
            .n_lower = c->image->n_layers,
            .upper_dir = upper,
            .work_dir = work,
            .rootfs_dir = rootfs,
            .rootfs_read_only = spec->read_only_root_fs,
            .sandbox = &m->sandbox,
            .share_pid = m->pod.share_process_namespace,
            .host_pid = m->pod.host_pid,
            .shm_dir = m->pod.host_ipc ? "/dev/shm" : m->shm_dir,
            .binds = binds,
            .n_binds = n,
            .argv = argv,
            .envp = envp,
            .cwd = cwd,
            .user = user,
            .groups = c->groups,
            .n_groups = c->n_groups,
            .groups_strict = m->pod.supplemental_groups_strict,
            .privileged = spec->privileged,
            .proc_unmasked = spec->proc_unmasked,
            .sec = c->sec,
            .stdin_fd = in_r,
            .stdout_fd = out_w,
            .stderr_fd = err_w,
            .tty = spec->tty,
            .pty_master = &master,
        };
        /* an ephemeral container with a target: in its PID namespace */
        _cleanup_close_ int target_ns = -1;
        if (spec->target_container_name) {
                const struct pc_ctr *t = NULL;
                for (size_t i = 0; i < m->n_app && !t; i++)
                        if (!strcmp(m->app[i].spec->name, spec->target_container_name))
                                t = &m->app[i];
                for (size_t i = 0; i < m->n_init && !t; i++)
                        if (!strcmp(m->init[i].spec->name, spec->target_container_name))
                                t = &m->init[i];
                if (!t || t->state != CTR_RUNNING) {
                        free(lowers);
                        return pc_fail(err, ESRCH, "target container \"%s\" is not running",
                                       spec->target_container_name);
                }
                _cleanup_free_ char *nsp = pc_xasprintf("/proc/%d/ns/pid", (int)t->pid);
                if ((target_ns = open(nsp, O_RDONLY | O_CLOEXEC)) < 0) {
                        free(lowers);
                        return pc_fail(err, errno, "target container \"%s\": %s",
                                       spec->target_container_name, nsp);
                }
                plan.join_pidns = true;
                plan.pidns_fd = target_ns;
        }
        pid_t pid = -1;
        int r = pc_container_start(&plan, enter_cgroup, c->cgroup, &pid, err);
        free(lowers);
        if (r < 0)
                return -1;
        c->pid = pid;
        c->pid_start = pc_proc_starttime(pid);
        if (spec->tty) {
                /* the terminal's input is attach's too (the same open file) */
                if (spec->stdin_open && (c->in_fd = fcntl(master, F_DUPFD_CLOEXEC, 3)) < 0)
                        fprintf(stderr, "container %s: stdin: %s\n", spec->name, strerror(errno));
                c->out_fd = STEAL_FD(master);
                fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
                return 0;
        }
        c->in_fd = STEAL_FD(in_w);
        c->out_fd = STEAL_FD(out_r);
        c->err_fd = STEAL_FD(err_r);
        fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
        fcntl(c->err_fd, F_SETFL, O_NONBLOCK);
        /* A fast writer fills 64 KiB in a moment: with 1 MiB it blocks less
         * often and each of our reads takes more (pages are only held
         * while the pipe holds data). Best effort: pipe-max-size may be
         * lower. */
        fcntl(c->out_fd, F_SETPIPE_SZ, 1 << 20);
        fcntl(c->err_fd, F_SETPIPE_SZ, 1 << 20);
        return 0;
}

int pc_monitor_start_container(struct pc_monitor *m, struct pc_ctr *c, pc_error *err)
{
        struct pc_container *spec = c->spec;
        _cleanup_strv_ char **menv = NULL;
        _cleanup_strv_ char **argv = NULL;
        _cleanup_strv_ char **envp = NULL;
        _cleanup_free_ char *cwd = NULL;
        _cleanup_free_ char *user = user_spec(spec, c->image);

        c->config_error = true; /* until the process is being set up */
        if (check_run_as_non_root(m, c, err) < 0 || container_security(m, c, err) < 0)
                return -1;
        if (!m->cgroup && !spec->privileged)
                return pc_fail(err, ENOTSUP,
                               "no cgroup for the container: its device access cannot be "
                               "restricted");
        if (resolve_env(m, spec, &menv, err) < 0)
                return -1;
        /* subPathExpr expansions, checked while a failure is still the
         * kubelet's CreateContainerConfigError */
        for (size_t i = 0; i < spec->n_mounts; i++) {
                if (!spec->mounts[i].sub_path_expr)
                        continue;
                _cleanup_free_ char *x = expand_sub_path(spec->mounts[i].sub_path_expr, menv, err);
                if (!x)
                        return pc_error_prefix(err, "volume \"%s\"", spec->mounts[i].name);
        }
        c->config_error = false;
        if (pc_resolve_process(spec, c->image, menv, &argv, &envp, &cwd, err) < 0)
                return -1;

        /* A fresh writable layer for every run, as the kubelet gives a
         * restarted container a new container. */
        _cleanup_free_ char *upper = pc_xasprintf("%s/upper", c->dir);
        _cleanup_free_ char *work = pc_xasprintf("%s/work", c->dir);
        _cleanup_free_ char *rootfs = pc_xasprintf("%s/rootfs", c->dir);
        _cleanup_free_ char *termlog = pc_xasprintf("%s/termination-log", c->dir);
        if (pc_rm_rf(upper, err) < 0 || pc_rm_rf(work, err) < 0 ||
            pc_mkdir_p(upper, 0755, err) < 0 || pc_mkdir_p(work, 0700, err) < 0 ||
            pc_mkdir_p(rootfs, 0755, err) < 0)
                return -1;
        /* hostUsers: false: the writable layer belongs to the Pod's root */
        if (!m->pod.host_users && chown(upper, m->uid_base, m->uid_base) < 0)
                return pc_fail(err, errno, "chown %s", upper);
        if (pc_replace_file(termlog, "", 0, 0666, err) < 0)
                return -1;
        chmod(termlog, 0666);
        if (save_exec_config(m, c, envp, cwd, user, err) < 0)
                return -1;

        /* Log file: <log_dir>/<container>/<restartCount>.log */
        _cleanup_free_ char *ldir = pc_xasprintf("%s/%s", m->log_dir, spec->name);
        _cleanup_free_ char *lpath = pc_xasprintf("%s/%d.log", ldir, c->restart_count);
        if (c->log_path) {
                /* a CRI container's log_path (control.c): runs once, nothing to prune */
                free(ldir);
                free(lpath);
                lpath = pc_xstrdup(c->log_path);
                ldir = pc_xstrdup(c->log_path);
                *strrchr(ldir, '/') = '\0';
        }
        if (pc_mkdir_p(ldir, 0755, err) < 0)
                return -1;
        unlink(lpath);
        if (!c->log_path)
                pc_log_prune_runs(ldir, c->restart_count);
        struct pc_log_opts lo = {m->log_max_size, m->log_max_files, m, c,
                                 c->spec->stdin_open || c->spec->tty};
        if (pc_log_open(&c->log, lpath, &lo, err) < 0)
                return -1;

        if (spawn(m, c, argv, envp, menv, cwd, user, err) < 0) {
                pc_log_close(&c->log);
                return -1;
        }
        /* Kept for exec probes and hooks of this run. */
        pc_strv_free(c->envp);
        free(c->cwd);
        free(c->user);
        c->envp = STEAL(envp);
        c->cwd = STEAL(cwd);
        c->user = STEAL(user);
        return 0;
}

/* The Pod's memory limit as its cgroup has it: the Pod-level limit, else the
 * sum of its containers' limits (at least the largest init container's) when
 * every one has one. */
static int64_t pod_memory_limit(const struct pc_pod *p)
{
        if (p->resources.memory_limit >= 0)
                return p->resources.memory_limit; /* Pod-level */
        int64_t sum = 0, init = 0;
        for (size_t i = 0; i < p->n_containers; i++) {
                if (p->containers[i].resources.memory_limit <= 0)
                        return -1;
                sum += p->containers[i].resources.memory_limit;
        }
        for (size_t i = 0; i < p->n_init_containers; i++)
                if (p->init_containers[i].resources.memory_limit > init)
                        init = p->init_containers[i].resources.memory_limit;
        return sum > init ? sum : init;
}

struct pc_tmpfs *pc_monitor_pod_tmpfs(const struct pc_monitor *m, size_t *n)
{
        struct pc_tmpfs *t = pc_xcalloc(m->pod.n_volumes + 1, sizeof(*t));
        *n = 0;
        int64_t pod_limit = pod_memory_limit(&m->pod);
        for (size_t i = 0; i < m->pod.n_volumes; i++) {
                const struct pc_volume *v = &m->pod.volumes[i];
                char *dir = pc_xasprintf("%s/volumes/%s", m->pod_dir, v->name);
                if (secret_backed(v)) {
                        t[*n] = (struct pc_tmpfs){dir, MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                                  pc_xstrdup("mode=0755,size=16m")};
                } else if (memory_backed(v)) {
                        /* tmpfs's own root mode, 1777, as the kubelet leaves it
                         * (it only makes sure of the 0777 permission bits) */
                        int64_t size = v->size_limit > 0 ? v->size_limit : pod_limit;
                        int mode = v->dir_mode >= 0 ? v->dir_mode : 01777; /* emptyDir.mode */
                        t[*n] = (struct pc_tmpfs){
                            dir, MS_NOSUID | MS_NODEV,
                            size > 0 ? pc_xasprintf("mode=%o,size=%lld", mode, (long long)size)
                                     : pc_xasprintf("mode=%o", mode)};
                } else {
                        free(dir);
                        continue;
                }
                (*n)++;
        }
        return t;
}

void pc_tmpfs_free(struct pc_tmpfs *t, size_t n)
{
        for (size_t i = 0; t && i < n; i++) {
                free(t[i].dir);
                free(t[i].options);
        }
        free(t);
}

static int memory_fs_group(void *data, pc_error *err)
{
        struct pc_monitor *m = data;
        for (size_t i = 0; i < m->pod.n_volumes; i++) {
                const struct pc_volume *v = &m->pod.volumes[i];
                if (!memory_backed(v))
                        continue;
                _cleanup_free_ char *d = pc_xasprintf("%s/volumes/%s", m->pod_dir, v->name);
                if (fs_group_apply(&m->pod, d, false, false, err) < 0)
                        return pc_error_prefix(err, "emptyDir volume \"%s\"", v->name);
        }
        return 0;
}

int pc_monitor_memory_volumes_ready(struct pc_monitor *m, pc_error *err)
{
        bool any = false;
        for (size_t i = 0; i < m->pod.n_volumes; i++)
                any |= memory_backed(&m->pod.volumes[i]);
        if (!any || !m->pod.has_fs_group)
                return 0;
        return pc_sandbox_run_in_mounts(&m->sandbox, memory_fs_group, m, err);
}

/* An adopted run (a previous monitor started it): what its exec probes and
 * hooks need, as start_container had it: the security it was sealed with,
 * its env/cwd/user (exec.json, written at its start), its cgroup. */
int pc_monitor_adopt_ctr(struct pc_monitor *m, struct pc_ctr *c, pc_error *err)
{
        if (container_security(m, c, err) < 0)
                return -1;
        _cleanup_free_ char *p = pc_xasprintf("%s/exec.json", c->dir);
        json_t *j = NULL;
        if (pc_json_load(p, &j, err) < 0)
                return -1;
        char **envp = pc_xcalloc(1, sizeof(char *));
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(j, "env"), i, v)
        {
                if (json_is_string(v))
                        pc_strv_push(&envp, json_string_value(v));
        }
        pc_strv_free(c->envp);
        free(c->cwd);
        free(c->user);
        c->envp = envp;
        c->cwd = pc_xstrdup(json_string_value(json_object_get(j, "cwd")) ?: "/");
        const char *user = json_string_value(json_object_get(j, "user"));
        c->user = user ? pc_xstrdup(user) : NULL;
        json_decref(j);
        if (m->cgroup && !c->cgroup) {
                _cleanup_free_ char *rel = pc_xasprintf("%s/%s", m->cgroup_rel, c->spec->name);
                if (pc_cgroup_open("/sys/fs/cgroup", rel, &c->cgroup, err) < 0)
                        return -1;
                c->devices_restricted = !c->spec->privileged;
                struct pc_cgroup_stats cs;
                pc_error ignore;
                c->oom_base = pc_cgroup_stats(c->cgroup, &cs, &ignore) == 0 ? cs.oom_kills : 0;
        }
        return 0;
}
