/* The CRI services: the method table, Version, Status, and the server loop. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cri/cri.h"
#include "cri/internal.h"
#include "cri/stream.h"
#include "cri/static.h"
#include "net/net.h"
#include "util/cleanup.h"
#include "util/util.h"

/* ---- per-call allocations -------------------------------------------------- */

void *cri_alloc(struct cri_call *c, size_t size)
{
        void *p = pc_xcalloc(1, size ? size : 1);
        if (c->n_allocs == c->cap_allocs) {
                c->cap_allocs = c->cap_allocs ? 2 * c->cap_allocs : 32;
                c->allocs = pc_xrealloc(c->allocs, c->cap_allocs * sizeof(*c->allocs));
        }
        c->allocs[c->n_allocs++] = p;
        return p;
}

int cri_bad(pc_error *err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        err->code = code;
        return -1;
}

void cri_ctx_closep(podctl **p)
{
        podctl_close(*p);
}

void *cri_new(struct cri_call *c, const ProtobufCMessageDescriptor *d)
{
        void *m = cri_alloc(c, d->sizeof_message);
        protobuf_c_message_init(d, m);
        return m;
}

char *cri_strdup(struct cri_call *c, const char *s)
{
        size_t n = strlen(s ? s : "");
        char *p = cri_alloc(c, n + 1);
        memcpy(p, s ? s : "", n);
        return p;
}

char *cri_printf(struct cri_call *c, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *s = NULL;
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        va_end(ap);
        char *r = cri_strdup(c, s);
        free(s);
        return r;
}

json_t *cri_keep(struct cri_call *c, json_t *j)
{
        if (!j)
                return NULL;
        if (c->n_jsons == c->cap_jsons) {
                c->cap_jsons = c->cap_jsons ? 2 * c->cap_jsons : 8;
                c->jsons = pc_xrealloc(c->jsons, c->cap_jsons * sizeof(*c->jsons));
        }
        c->jsons[c->n_jsons++] = j;
        return j;
}

void cri_reply(struct cri_call *c, const ProtobufCMessage *msg)
{
        size_t n = protobuf_c_message_get_packed_size(msg);
        free(c->out->body);
        c->out->body = pc_xcalloc(1, n ? n : 1);
        c->out->len = protobuf_c_message_pack(msg, c->out->body);
        c->out->status = PC_GRPC_OK;
}

void cri_reply_err(struct cri_call *c, const pc_error *err)
{
        int code = PC_GRPC_UNKNOWN;
        switch (err->code) {
        case ENOENT:
                code = PC_GRPC_NOT_FOUND;
                break;
        case EINVAL:
                code = PC_GRPC_INVALID_ARGUMENT;
                break;
        case EEXIST:
                code = PC_GRPC_ALREADY_EXISTS;
                break;
        case ENOSPC:
                code = PC_GRPC_RESOURCE_EXHAUSTED;
                break;
        }
        pc_grpc_fail(c->out, code, "%s", err->msg);
}

struct kv_entry { /* the layout of every map<string,string> entry */
        ProtobufCMessage base;
        char *key;
        char *value;
};

void *cri_map(struct cri_call *c, const ProtobufCMessageDescriptor *d, json_t *obj, size_t *n)
{
        *n = json_is_object(obj) ? json_object_size(obj) : 0;
        if (!*n)
                return NULL;
        struct kv_entry **es = cri_alloc(c, *n * sizeof(*es));
        const char *k;
        json_t *v;
        size_t i = 0;
        json_object_foreach(obj, k, v)
        {
                es[i] = cri_new(c, d);
                es[i]->key = cri_strdup(c, k);
                es[i]->value = cri_strdup(c, json_is_string(v) ? json_string_value(v) : "");
                i++;
        }
        return es;
}

json_t *cri_map_json(void *entries, size_t n)
{
        struct kv_entry **es = entries;
        json_t *o = json_object();
        for (size_t i = 0; i < n; i++)
                json_object_set_new(o, es[i]->key, json_string(es[i]->value));
        return o;
}

podctl *cri_ctx(struct cri_call *c, pc_error *err)
{
        podctl *ctx = NULL;
        if (podctl_open(c->cri->cri_root, c->cri->log_dir, &ctx, err) < 0)
                return NULL;
        return ctx;
}

int64_t cri_now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- RuntimeService: Version, Status ---------------------------------------- */

static void version(struct cri_call *c, const ProtobufCMessage *req)
{
        Runtime__V1__VersionResponse r = RUNTIME__V1__VERSION_RESPONSE__INIT;
        r.version = "0.1.0"; /* the kubelet runtime API version, as containerd answers */
        r.runtime_name = "podctl";
        r.runtime_version = PODCTL_VERSION;
        r.runtime_api_version = "v1";
        cri_reply(c, &r.base);
}

/* NetworkReady: a CNI config is there and every plugin it names is found. */
static bool network_ready(struct cri_call *c, char **why)
{
        _cleanup_free_ char *conf = pc_xasprintf("%s/cni/net.d", c->cri->cri_root);
        struct pc_net_config cfg = {.conf_dir = conf};
        pc_error err;
        if (pc_net_ensure_default(&cfg, &err) < 0) {
                *why = cri_strdup(c, err.msg);
                return false;
        }
        _cleanup_free_ char *list = pc_xasprintf("%s/10-podctl.conflist", conf);
        json_t *j = json_load_file(list, 0, NULL);
        if (!j) /* another config: the plugins are checked when a sandbox runs */
                return true;
        cri_keep(c, j);
        const char *path = getenv("PODCTL_CNI_PATH");
        if (!path || !*path)
                path = "/usr/lib/cni:/opt/cni/bin";
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(j, "plugins"), i, p)
        {
                const char *type = json_string_value(json_object_get(p, "type"));
                if (!type)
                        continue;
                bool found = false;
                _cleanup_free_ char *dirs = pc_xstrdup(path);
                char *save = NULL;
                for (char *d = strtok_r(dirs, ":", &save); d && !found;
                     d = strtok_r(NULL, ":", &save)) {
                        _cleanup_free_ char *bin = pc_xasprintf("%s/%s", d, type);
                        found = access(bin, X_OK) == 0;
                }
                if (!found) {
                        *why = cri_printf(
                            c, "cni plugin not initialized: plugin \"%s\" not found in %s", type,
                            path);
                        return false;
                }
        }
        return true;
}

static void status(struct cri_call *c, const ProtobufCMessage *req)
{
        Runtime__V1__RuntimeCondition *conds[2];
        conds[0] = CRI_NEW(c, Runtime__V1__RuntimeCondition, runtime_condition);
        conds[0]->type = "RuntimeReady";
        conds[0]->status = 1;
        conds[1] = CRI_NEW(c, Runtime__V1__RuntimeCondition, runtime_condition);
        conds[1]->type = "NetworkReady";
        char *why = NULL;
        conds[1]->status = network_ready(c, &why);
        if (!conds[1]->status) {
                conds[1]->reason = "NetworkPluginNotReady";
                conds[1]->message = why;
        }
        Runtime__V1__RuntimeStatus st = RUNTIME__V1__RUNTIME_STATUS__INIT;
        st.n_conditions = 2;
        st.conditions = conds;
        Runtime__V1__RuntimeHandler *h = CRI_NEW(c, Runtime__V1__RuntimeHandler, runtime_handler);
        h->features = CRI_NEW(c, Runtime__V1__RuntimeHandlerFeatures, runtime_handler_features);
        Runtime__V1__StatusResponse r = RUNTIME__V1__STATUS_RESPONSE__INIT;
        r.status = &st;
        r.n_runtime_handlers = 1;
        r.runtime_handlers = &h;
        cri_reply(c, &r.base);
}

/* The kubelet asks which cgroup driver to use (it follows the runtime's
 * since 1.28): cgroupfs paths, or systemd slice names with --cgroup-driver
 * systemd (src/cri/sandbox.c). */
static void runtime_config(struct cri_call *c, const ProtobufCMessage *req)
{
        Runtime__V1__LinuxRuntimeConfiguration lx = RUNTIME__V1__LINUX_RUNTIME_CONFIGURATION__INIT;
        lx.cgroup_driver = c->cri->systemd_cgroups ? RUNTIME__V1__CGROUP_DRIVER__SYSTEMD
                                                   : RUNTIME__V1__CGROUP_DRIVER__CGROUPFS;
        Runtime__V1__RuntimeConfigResponse r = RUNTIME__V1__RUNTIME_CONFIG_RESPONSE__INIT;
        r.linux = &lx;
        cri_reply(c, &r.base);
}

/* ---- the method table ----------------------------------------------------------- */

#define RT "/runtime.v1.RuntimeService/"
#define IM "/runtime.v1.ImageService/"

static const struct method {
        const char *path;
        const ProtobufCMessageDescriptor *in;
        void (*fn)(struct cri_call *c, const ProtobufCMessage *req);
} methods[] = {
    {RT "Version", &runtime__v1__version_request__descriptor, version},
    {RT "Status", &runtime__v1__status_request__descriptor, status},
    {RT "RuntimeConfig", &runtime__v1__runtime_config_request__descriptor, runtime_config},
    {RT "UpdateRuntimeConfig", &runtime__v1__update_runtime_config_request__descriptor,
     cri_update_runtime_config},
    {RT "RunPodSandbox", &runtime__v1__run_pod_sandbox_request__descriptor, cri_run_sandbox},
    {RT "StopPodSandbox", &runtime__v1__stop_pod_sandbox_request__descriptor, cri_stop_sandbox},
    {RT "RemovePodSandbox", &runtime__v1__remove_pod_sandbox_request__descriptor,
     cri_remove_sandbox},
    {RT "PodSandboxStatus", &runtime__v1__pod_sandbox_status_request__descriptor,
     cri_sandbox_status},
    {RT "ListPodSandbox", &runtime__v1__list_pod_sandbox_request__descriptor, cri_list_sandboxes},
    {RT "PortForward", &runtime__v1__port_forward_request__descriptor, cri_port_forward},
    {RT "Exec", &runtime__v1__exec_request__descriptor, cri_exec},
    {RT "Attach", &runtime__v1__attach_request__descriptor, cri_attach},
    {RT "CreateContainer", &runtime__v1__create_container_request__descriptor,
     cri_create_container},
    {RT "StartContainer", &runtime__v1__start_container_request__descriptor, cri_start_container},
    {RT "StopContainer", &runtime__v1__stop_container_request__descriptor, cri_stop_container},
    {RT "RemoveContainer", &runtime__v1__remove_container_request__descriptor,
     cri_remove_container},
    {RT "ListContainers", &runtime__v1__list_containers_request__descriptor, cri_list_containers},
    {RT "ContainerStatus", &runtime__v1__container_status_request__descriptor,
     cri_container_status},
    {RT "ExecSync", &runtime__v1__exec_sync_request__descriptor, cri_exec_sync},
    {RT "PodSandboxStats", &runtime__v1__pod_sandbox_stats_request__descriptor, cri_sandbox_stats},
    {RT "ListPodSandboxStats", &runtime__v1__list_pod_sandbox_stats_request__descriptor,
     cri_list_sandbox_stats},
    {RT "GetContainerEvents", &runtime__v1__get_events_request__descriptor, cri_container_events},
    {RT "ContainerStats", &runtime__v1__container_stats_request__descriptor, cri_container_stats},
    {RT "ListContainerStats", &runtime__v1__list_container_stats_request__descriptor,
     cri_list_container_stats},
    {RT "UpdateContainerResources", &runtime__v1__update_container_resources_request__descriptor,
     cri_update_container_resources},
    {RT "ReopenContainerLog", &runtime__v1__reopen_container_log_request__descriptor,
     cri_reopen_container_log},
    {RT "UpdatePodSandboxResources", &runtime__v1__update_pod_sandbox_resources_request__descriptor,
     cri_update_sandbox_resources},
    {RT "ListMetricDescriptors", &runtime__v1__list_metric_descriptors_request__descriptor,
     cri_list_metric_descriptors},
    {RT "ListPodSandboxMetrics", &runtime__v1__list_pod_sandbox_metrics_request__descriptor,
     cri_list_sandbox_metrics},
    {IM "ListImages", &runtime__v1__list_images_request__descriptor, cri_list_images},
    {IM "ImageStatus", &runtime__v1__image_status_request__descriptor, cri_image_status},
    {IM "PullImage", &runtime__v1__pull_image_request__descriptor, cri_pull_image},
    {IM "RemoveImage", &runtime__v1__remove_image_request__descriptor, cri_remove_image},
    {IM "ImageFsInfo", &runtime__v1__image_fs_info_request__descriptor, cri_image_fs_info},
};

/* The Stream* list RPCs: their request is their List RPC's on the wire (a
 * filter, field 1) and so is each message of their response (the repeated
 * items, field 1): the List answer goes out as one message of the stream. */
static const struct {
        const char *stream, *list;
} streamed_lists[] = {
    {RT "StreamPodSandboxes", RT "ListPodSandbox"},
    {RT "StreamContainers", RT "ListContainers"},
    {RT "StreamContainerStats", RT "ListContainerStats"},
    {RT "StreamPodSandboxStats", RT "ListPodSandboxStats"},
    {RT "StreamPodSandboxMetrics", RT "ListPodSandboxMetrics"},
    {IM "StreamImages", IM "ListImages"},
};

static void handle(void *data, const char *path, const uint8_t *req, size_t len,
                   struct pc_grpc_reply *out);

static bool handle_streamed_list(void *data, const char *path, const uint8_t *req, size_t len,
                                 struct pc_grpc_reply *out)
{
        for (size_t i = 0; i < PC_ARRAY_SIZE(streamed_lists); i++) {
                if (strcmp(path, streamed_lists[i].stream))
                        continue;
                struct pc_grpc_reply list = {.status = PC_GRPC_OK};
                handle(data, streamed_lists[i].list, req, len, &list);
                if (list.status != PC_GRPC_OK) {
                        pc_grpc_fail(out, list.status, "%s", list.message);
                } else if (pc_grpc_send(out, list.body, list.len) < 0) {
                        pc_grpc_fail(out, PC_GRPC_RESOURCE_EXHAUSTED,
                                     "%s: the list does not fit a message, or the client "
                                     "went away",
                                     path);
                } else {
                        out->status = PC_GRPC_OK;
                }
                free(list.body);
                return true;
        }
        return false;
}

static void handle(void *data, const char *path, const uint8_t *req, size_t len,
                   struct pc_grpc_reply *out)
{
        if (handle_streamed_list(data, path, req, len, out))
                return;
        const struct method *m = NULL;
        for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
                if (!strcmp(methods[i].path, path))
                        m = &methods[i];
        if (!m) {
                bool known = !strncmp(path, RT, strlen(RT)) || !strncmp(path, IM, strlen(IM));
                pc_grpc_fail(out, PC_GRPC_UNIMPLEMENTED,
                             known ? "%s is not implemented by podctl yet (docs/CRI.md)"
                                   : "unknown method %s",
                             path);
                return;
        }
        ProtobufCMessage *in = protobuf_c_message_unpack(m->in, NULL, len, req);
        if (!in) {
                pc_grpc_fail(out, PC_GRPC_INVALID_ARGUMENT, "%s: cannot decode the request (%s)",
                             path, m->in->name);
                return;
        }
        struct cri_call c = {.cri = data, .out = out};
        m->fn(&c, in);
        protobuf_c_message_free_unpacked(in, NULL);
        cri_call_release(&c);
}

void cri_call_release(struct cri_call *c)
{
        for (size_t i = 0; i < c->n_jsons; i++)
                json_decref(c->jsons[i]);
        for (size_t i = 0; i < c->n_allocs; i++)
                free(c->allocs[i]);
        free(c->jsons);
        free(c->allocs);
        c->jsons = NULL;
        c->allocs = NULL;
        c->n_jsons = c->cap_jsons = c->n_allocs = c->cap_allocs = 0;
}

/* ---- the server ----------------------------------------------------------------------- */

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
        stopping = 1;
}

static int listen_unix(const char *path, pc_error *err)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(a.sun_path))
                return pc_fail(err, ENAMETOOLONG, "--listen %s", path);
        strcpy(a.sun_path, path);
        _cleanup_free_ char *dir = pc_xstrdup(path);
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                if (pc_mkdir_p(dir, 0755, err) < 0)
                        return pc_error_prefix(err, "--listen %s", path);
        }
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return pc_fail(err, errno, "socket");
        struct stat st;
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode)) {
                        close(fd);
                        return pc_fail(err, EEXIST, "--listen %s: exists and is not a socket",
                                       path);
                }
                int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                int r = probe >= 0 ? connect(probe, (struct sockaddr *)&a, sizeof(a)) : -1;
                if (probe >= 0)
                        close(probe);
                if (r == 0) {
                        close(fd);
                        return pc_fail(err, EADDRINUSE, "--listen %s: a server answers there",
                                       path);
                }
                unlink(path); /* left by a server that is gone */
        }
        mode_t old = umask(0117);
        int r = bind(fd, (struct sockaddr *)&a, sizeof(a));
        umask(old);
        if (r < 0 || chmod(path, 0660) < 0 || listen(fd, 128) < 0) {
                int e = errno;
                close(fd);
                return pc_fail(err, e, "--listen %s", path);
        }
        return fd;
}

static void serve_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void serve_log(const char *fmt, ...)
{
        char ts[40];
        pc_format_time(pc_now_ns(), false, ts, sizeof(ts));
        fprintf(stderr, "%s ", ts);
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        fflush(stderr);
}

/* systemd's Type=notify, by hand (sd_notify(3)'s protocol: one datagram on
 * the unix socket $NOTIFY_SOCKET, '@' for the abstract namespace). */
static void sd_notify_msg(const char *msg)
{
        const char *path = getenv("NOTIFY_SOCKET");
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        if (!path || !*path || strlen(path) >= sizeof(a.sun_path))
                return;
        memcpy(a.sun_path, path, strlen(path));
        socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
        if (a.sun_path[0] == '@')
                a.sun_path[0] = '\0';
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&a, len) < 0)
                serve_log("sd_notify %s: %s", path, strerror(errno));
}

/* Boot recovery: every Pod of the root whose monitor and processes are
 * gone is brought back when its restartPolicy says so (podctl.h). The CRI
 * sub-root's sandboxes are left to the kubelet, which makes a new sandbox
 * for a Pod whose sandbox is not ready. */
static void recover_all(const char *root, const char *log_dir)
{
        podctl *ctx = NULL;
        json_t *pods = NULL;
        pc_error err;
        if (podctl_open(root, log_dir, &ctx, &err) < 0 ||
            podctl_pod_list(ctx, NULL, &pods, &err) < 0) {
                serve_log("recovery: %s", err.msg);
                podctl_close(ctx);
                return;
        }
        size_t i;
        json_t *p;
        json_array_foreach(pods, i, p)
        {
                json_t *meta = json_object_get(p, "metadata");
                const char *ns = json_string_value(json_object_get(meta, "namespace"));
                const char *name = json_string_value(json_object_get(meta, "name"));
                const char *policy =
                    json_string_value(json_object_get(json_object_get(p, "spec"), "restartPolicy"));
                if (!ns || !name)
                        continue;
                enum podctl_recover_result res;
                if (podctl_pod_recover(ctx, ns, name, 60000, &res, &err) < 0) {
                        serve_log("recovery: pod %s/%s: %s", ns, name, err.msg);
                        continue;
                }
                switch (res) {
                case PODCTL_RECOVER_RECREATED:
                        serve_log("recovery: pod %s/%s: its sandbox was gone: re-created "
                                  "(restartPolicy %s)",
                                  ns, name, policy ? policy : "Always");
                        break;
                case PODCTL_RECOVER_POLICY:
                        serve_log("recovery: pod %s/%s: its sandbox is gone; not re-created "
                                  "(restartPolicy %s)",
                                  ns, name, policy ? policy : "Always");
                        break;
                case PODCTL_RECOVER_ADOPT: {
                        /* Its monitor is dead and its containers run: a new
                         * monitor takes the Pod over (its keeper starts it); the
                         * containers are never killed here. */
                        _cleanup_free_ char *dir =
                            pc_xasprintf("%s/pods/%s_%s", podctl_root_dir(ctx), ns, name);
                        pc_error ae;
                        if (pc_pod_adopt(ctx, dir, &ae) == 0)
                                serve_log("recovery: pod %s/%s: monitor dead, containers "
                                          "alive: re-adopted",
                                          ns, name);
                        else
                                serve_log("recovery: pod %s/%s: monitor dead, containers "
                                          "alive, not re-adopted: %s",
                                          ns, name, ae.msg);
                        break;
                }
                case PODCTL_RECOVER_RUNNING:
                case PODCTL_RECOVER_FINISHED:
                case PODCTL_RECOVER_SKIPPED:
                        break;
                }
        }
        json_decref(pods);
        podctl_close(ctx);
}

static void run_gc(const char *root, const char *log_dir)
{
        podctl *ctx = NULL;
        char **removed = NULL;
        pc_error err;
        if (podctl_open(root, log_dir, &ctx, &err) < 0 || podctl_gc(ctx, false, &removed, &err) < 0)
                serve_log("gc: %s", err.msg);
        for (size_t i = 0; removed && removed[i]; i++)
                serve_log("gc: %s", removed[i]);
        pc_strv_free(removed);
        podctl_close(ctx);
}

int pc_cri_serve(const struct pc_cri_opts *o, pc_error *err)
{
        const char *root = o->root && *o->root ? o->root : "/var/lib/podctl";
        const char *sock = o->listen ? o->listen : PC_CRI_DEFAULT_SOCKET;
        if (o->manifests && o->manifests[0] != '/') /* before anything is done */
                return pc_fail(err, 0, "--manifests %s: must be an absolute path", o->manifests);
        bool cri_on = *sock != '\0';
        struct pc_cri cri = {
            .root = pc_xstrdup(root),
            .cri_root = pc_xasprintf("%s/cri", root),
            .log_dir = o->log_dir ? pc_xstrdup(o->log_dir) : NULL,
            .systemd_cgroups = o->systemd_cgroups,
        };
        /* The roots exist before the first call (podctl_open makes their layout). */
        podctl *ctx = NULL;
        int r = podctl_open(cri.root, cri.log_dir, &ctx, err);
        podctl_close(ctx);
        ctx = NULL;
        if (r == 0)
                r = podctl_open(cri.cri_root, cri.log_dir, &ctx, err);
        podctl_close(ctx);
        int fd = -1, lock_fd = -1, tfd = -1;
        struct pc_static *st = NULL;
        if (r == 0 && cri_on)
                r = pc_stream_start(o->stream_address, &cri.stream, err);
        if (r == 0 && cri_on)
                fd = r = listen_unix(sock, err);
        if (r >= 0) {
                /* One server per root: two would both apply the manifests. */
                _cleanup_free_ char *lp = pc_xasprintf("%s/serve.lock", root);
                lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
                if (lock_fd < 0)
                        r = pc_fail(err, errno, "%s", lp);
                else if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0)
                        r = pc_fail(err, errno == EWOULDBLOCK ? EBUSY : errno,
                                    "another podctl serve runs on the root %s (%s is locked)", root,
                                    lp);
        }
        if (r >= 0) {
                struct sigaction sa = {.sa_handler = on_stop};
                sigaction(SIGTERM, &sa, NULL);
                sigaction(SIGINT, &sa, NULL);
                signal(SIGPIPE, SIG_IGN);
                serve_log("podctl serve: root %s, CRI socket %s, manifests %s, gc every %d s", root,
                          cri_on ? sock : "(none)", o->manifests ? o->manifests : "(none)",
                          o->gc_interval_s);
                if (!o->no_recover)
                        recover_all(cri.root, cri.log_dir);
                if (o->gc_interval_s > 0)
                        run_gc(cri.root, cri.log_dir);
                if (o->manifests &&
                    pc_static_open(cri.root, cri.log_dir, o->manifests, o->node_name, &st, err) < 0)
                        r = -1;
        }
        if (r >= 0) {
                tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
                int period = o->gc_interval_s > 0 ? o->gc_interval_s : 60;
                struct itimerspec its = {{period, 0}, {period, 0}};
                if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0)
                        r = pc_fail(err, errno, "timerfd");
        }
        if (r >= 0) {
                sd_notify_msg("READY=1");
                while (!stopping) {
                        struct pollfd p[3] = {{fd, POLLIN, 0},
                                              {st ? pc_static_fd(st) : -1, POLLIN, 0},
                                              {tfd, POLLIN, 0}};
                        int n = poll(p, 3, 200); /* 200 ms: how soon a signal is seen */
                        if (n < 0 && errno != EINTR) {
                                r = pc_fail(err, errno, "poll");
                                break;
                        }
                        if (n <= 0)
                                continue;
                        if ((p[0].revents & POLLIN) && pc_grpc_accept(fd, handle, &cri, err) < 0) {
                                r = -1;
                                break;
                        }
                        if (p[1].revents & POLLIN)
                                pc_static_sync(st);
                        if (p[2].revents & POLLIN) {
                                uint64_t ticks;
                                if (read(tfd, &ticks, sizeof(ticks)) < 0) {
                                        /* EAGAIN: nothing */
                                }
                                if (o->gc_interval_s > 0)
                                        run_gc(cri.root, cri.log_dir);
                                if (st)
                                        pc_static_tick(st);
                        }
                }
                sd_notify_msg("STOPPING=1");
        }
        if (fd >= 0) {
                close(fd);
                unlink(sock);
        }
        if (tfd >= 0)
                close(tfd);
        if (lock_fd >= 0)
                close(lock_fd);
        pc_static_close(st);
        pc_stream_stop(cri.stream);
        free(cri.root);
        free(cri.cri_root);
        free(cri.log_dir);
        return r < 0 ? -1 : 0;
}
