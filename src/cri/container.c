/* CRI containers: each one a container of its sandbox's podctl Pod, added
 * at runtime through the Pod monitor's control channel (src/monitor/control.c),
 * decoded, sealed and started by the same code as an applied Pod's
 * containers. The kubelet's ContainerConfig is mapped onto a v1 Container
 * (command/args, env, workingDir, resources, securityContext) plus its mounts
 * (hostPath -> containerPath) and its log file; what the kubelet must get
 * back (metadata, labels, annotations, image, log path) rides along in the
 * monitor as "cri". State lives in the monitor, never in the server. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cri/internal.h"
#include "image/image.h"
#include "pod/control.h"
#include "util/cleanup.h"
#include "util/util.h"

static void store_closep(pc_image_store **s)
{
        pc_image_store_close(*s);
}

/* One request to a sandbox's monitor; the reply is kept for the call. */
static int call(struct cri_call *c, podctl *ctx, const struct cri_sb_ref *s, json_t *req,
                json_t **reply, pc_error *err)
{
        int r = podctl_pod_control(ctx, s->ns, s->name, req, reply, err);
        json_decref(req);
        if (r == 0)
                cri_keep(c, *reply);
        return r;
}

/* A container found: its sandbox and its record from the monitor. */
struct ctr {
        struct cri_sb_ref *sb;
        json_t *j;
};

static const char *jstr(json_t *j, const char *k)
{
        const char *s = json_string_value(json_object_get(j, k));
        return s ? s : "";
}

static json_t *final_records(struct cri_call *c, podctl *ctx, const struct cri_sb_ref *s)
{
        _cleanup_free_ char *dir = podctl_pod_dir_path(ctx, s->ns, s->name);
        _cleanup_free_ char *p = pc_xasprintf("%s/" PC_CONTROL_FINAL, dir);
        json_t *j = json_load_file(p, 0, NULL);
        if (!json_is_array(j)) {
                json_decref(j);
                return NULL;
        }
        return cri_keep(c, j);
}

/* RemoveContainer of a stopped sandbox's container: out of its final records. */
static int final_remove(podctl *ctx, const struct cri_sb_ref *s, const char *id, pc_error *err)
{
        _cleanup_free_ char *dir = podctl_pod_dir_path(ctx, s->ns, s->name);
        _cleanup_free_ char *p = pc_xasprintf("%s/" PC_CONTROL_FINAL, dir);
        json_t *j = json_load_file(p, 0, NULL);
        if (!json_is_array(j)) {
                json_decref(j);
                return 0;
        }
        for (size_t i = json_array_size(j); i-- > 0;)
                if (!strcmp(jstr(json_array_get(j, i), "id"), id))
                        json_array_remove(j, i);
        char *txt = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        int r = txt ? pc_replace_file(p, txt, strlen(txt), 0600, err) : 0;
        free(txt);
        return r;
}

/* Every container of every sandbox whose monitor answers (sandbox_id:
 * only that one). */
static int list(struct cri_call *c, podctl *ctx, const char *sandbox_id, struct ctr **out,
                size_t *n, pc_error *err)
{
        struct cri_sb_ref *sbs;
        size_t ns;
        if (cri_sandbox_refs(c, ctx, sandbox_id, &sbs, &ns, err) < 0)
                return -1;
        size_t cap = 16;
        *out = cri_alloc(c, cap * sizeof(**out));
        *n = 0;
        for (size_t i = 0; i < ns; i++) {
                json_t *reply = NULL, *ctrs;
                pc_error e2;
                if (sbs[i].ready &&
                    call(c, ctx, &sbs[i], json_pack("{s:s}", "op", "list"), &reply, &e2) == 0) {
                        ctrs = json_object_get(reply, "containers");
                } else {
                        /* a stopped sandbox: its containers as its monitor left them */
                        ctrs = final_records(c, ctx, &sbs[i]);
                }
                size_t k;
                json_t *x;
                json_array_foreach(ctrs, k, x)
                {
                        if (*n == cap) {
                                struct ctr *more = cri_alloc(c, 2 * cap * sizeof(*more));
                                memcpy(more, *out, cap * sizeof(*more));
                                *out = more;
                                cap *= 2;
                        }
                        (*out)[(*n)++] = (struct ctr){&sbs[i], x};
                }
        }
        return 0;
}

int cri_image_user(struct cri_call *c, podctl *ctx, const char *image_id, const char **who,
                   pc_error *err)
{
        struct ctr *all;
        size_t n;
        *who = NULL;
        if (list(c, ctx, NULL, &all, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n && !*who; i++) {
                const char *ref = jstr(json_object_get(all[i].j, "cri"), "image_ref");
                if (ref && !strcmp(ref, image_id))
                        *who = jstr(all[i].j, "id");
        }
        return 0;
}

static int find(struct cri_call *c, podctl *ctx, const char *id, struct ctr *out, pc_error *err)
{
        if (!id || !*id)
                return cri_bad(err, EINVAL, "container_id: Required value");
        struct ctr *all;
        size_t n;
        if (list(c, ctx, NULL, &all, &n, err) < 0)
                return -1;
        const struct ctr *found = NULL;
        for (size_t i = 0; i < n; i++) {
                if (strncmp(jstr(all[i].j, "id"), id, strlen(id)))
                        continue;
                if (found)
                        return cri_bad(err, EINVAL,
                                       "container_id \"%s\" names more than one container", id);
                found = &all[i];
        }
        if (!found)
                return cri_bad(err, ENOENT, "container \"%s\" not found", id);
        *out = *found;
        return 0;
}

/* For Exec (exec.c): a CRI container's Pod and name in it (its ID). */
int cri_container_ref(struct cri_call *c, podctl *ctx, const char *id, const char **ns,
                      const char **pod, const char **name, bool *running, pc_error *err)
{
        struct ctr x;
        if (find(c, ctx, id, &x, err) < 0)
                return -1;
        *ns = x.sb->ns;
        *pod = x.sb->name;
        *name = jstr(x.j, "id");
        *running = !strcmp(jstr(x.j, "state"), "RUNNING");
        return 0;
}

/* ---- CreateContainer --------------------------------------------------------------- */

static const char *cap_name(const char *s)
{
        return pc_str_has_prefix(s, "CAP_") ? s + 4 : s;
}

static int security(const Runtime__V1__LinuxContainerSecurityContext *sc, json_t *ctr,
                    const struct cri_sb_ref *sb, pc_error *err)
{
        /* containerd's rule: a privileged container needs a privileged sandbox */
        if (sc && sc->privileged && !json_is_true(json_object_get(sb->cfg, "privileged")))
                return cri_bad(err, EINVAL,
                               "linux.security_context.privileged: no privileged container "
                               "allowed in sandbox %.12s (its security_context is not "
                               "privileged)",
                               sb->id);
        json_t *j = json_object();
        json_object_set_new(ctr, "securityContext", j);
        if (!sc) {
                json_object_set_new(j, "seccompProfile", json_pack("{s:s}", "type", "Unconfined"));
                return 0;
        }
        if (sc->run_as_username && *sc->run_as_username)
                return cri_bad(err, EINVAL,
                               "linux.security_context.run_as_username: not supported by podctl "
                               "(give run_as_user)");
        if (sc->apparmor &&
            sc->apparmor->profile_type == RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__Localhost)
                return cri_bad(err, EINVAL,
                               "linux.security_context.apparmor: Localhost is not supported by "
                               "podctl's CRI");
        if (sc->run_as_user)
                json_object_set_new(j, "runAsUser", json_integer(sc->run_as_user->value));
        if (sc->run_as_group)
                json_object_set_new(j, "runAsGroup", json_integer(sc->run_as_group->value));
        if (sc->privileged)
                json_object_set_new(j, "privileged", json_true());
        if (sc->readonly_rootfs)
                json_object_set_new(j, "readOnlyRootFilesystem", json_true());
        if (sc->no_new_privs)
                json_object_set_new(j, "allowPrivilegeEscalation", json_false());
        if (sc->capabilities) {
                json_t *add = json_array(), *drop = json_array();
                for (size_t i = 0; i < sc->capabilities->n_add_capabilities; i++)
                        json_array_append_new(
                            add, json_string(cap_name(sc->capabilities->add_capabilities[i])));
                for (size_t i = 0; i < sc->capabilities->n_drop_capabilities; i++)
                        json_array_append_new(
                            drop, json_string(cap_name(sc->capabilities->drop_capabilities[i])));
                if (sc->capabilities->n_add_ambient_capabilities) {
                        json_decref(add);
                        json_decref(drop);
                        return cri_bad(
                            err, EINVAL,
                            "linux.security_context.capabilities.add_ambient_capabilities:"
                            " not supported by podctl");
                }
                json_object_set_new(j, "capabilities",
                                    json_pack("{s:o,s:o}", "add", add, "drop", drop));
        }
        const char *type = "Unconfined"; /* the kubelet sends RuntimeDefault when it means it */
        if (sc->seccomp) {
                switch (sc->seccomp->profile_type) {
                case RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__RuntimeDefault:
                        type = "RuntimeDefault";
                        break;
                case RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__Unconfined:
                        break;
                default:
                        return cri_bad(
                            err, EINVAL,
                            "linux.security_context.seccomp: Localhost profiles are not "
                            "supported by podctl's CRI (only RuntimeDefault, Unconfined)");
                }
        }
        json_object_set_new(j, "seccompProfile", json_pack("{s:s}", "type", type));
        return 0;
}

static void resources(const Runtime__V1__LinuxContainerResources *r, json_t *ctr)
{
        json_t *lim = json_object(), *req = json_object();
        char buf[64];
        if (r && r->memory_limit_in_bytes > 0) {
                snprintf(buf, sizeof(buf), "%lld", (long long)r->memory_limit_in_bytes);
                json_object_set_new(lim, "memory", json_string(buf));
        }
        if (r && r->cpu_quota > 0 && r->cpu_period > 0) {
                long long m = (long long)(r->cpu_quota * 1000 / r->cpu_period);
                snprintf(buf, sizeof(buf), "%lldm", m > 0 ? m : 1);
                json_object_set_new(lim, "cpu", json_string(buf));
        }
        if (r && r->cpu_shares > 2) {
                snprintf(buf, sizeof(buf), "%lldm", (long long)(r->cpu_shares * 1000 / 1024));
                json_object_set_new(req, "cpu", json_string(buf));
        }
        json_object_set_new(ctr, "resources",
                            json_pack("{s:o,s:o}", "limits", lim, "requests", req));
}

static json_t *strv_json(char **v, size_t n)
{
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

/* The create request for the monitor. */
static int make_request(struct cri_call *c, const Runtime__V1__ContainerConfig *cf,
                        const struct cri_sb_ref *sb, const struct pc_image *img, pc_image_store *st,
                        json_t **out, pc_error *err)
{
        if (!cf->metadata || !cf->metadata->name || !*cf->metadata->name)
                return cri_bad(err, EINVAL, "config.metadata.name: Required value");
        if (cf->n_devices || cf->n_cdi_devices)
                return cri_bad(err, EINVAL, "config.devices: not supported by podctl's CRI");
        json_t *ctr = json_pack("{s:s}", "image", img->ref);
        if (cf->n_command)
                json_object_set_new(ctr, "command", strv_json(cf->command, cf->n_command));
        if (cf->n_args)
                json_object_set_new(ctr, "args", strv_json(cf->args, cf->n_args));
        if (cf->working_dir && *cf->working_dir)
                json_object_set_new(ctr, "workingDir", json_string(cf->working_dir));
        json_t *env = json_array();
        for (size_t i = 0; i < cf->n_envs; i++) {
                /* the kubelet expanded $(VAR) already: escape what is left */
                const char *v = cf->envs[i]->value ? cf->envs[i]->value : "";
                size_t len = strlen(v), k = 0;
                char *esc = cri_alloc(c, 2 * len + 1);
                for (size_t p = 0; p < len; p++) {
                        if (v[p] == '$' && v[p + 1] == '(')
                                esc[k++] = '$';
                        esc[k++] = v[p];
                }
                json_array_append_new(
                    env, json_pack("{s:s,s:s}", "name", cf->envs[i]->key, "value", esc));
        }
        json_object_set_new(ctr, "env", env);
        json_object_set_new(ctr, "terminationMessagePolicy", json_string("File"));
        /* the container's own stdin and terminal, for Attach */
        if (cf->stdin)
                json_object_set_new(ctr, "stdin", json_true());
        if (cf->stdin_once)
                json_object_set_new(ctr, "stdinOnce", json_true());
        if (cf->tty)
                json_object_set_new(ctr, "tty", json_true());
        const Runtime__V1__LinuxContainerConfig *lx = cf->linux;
        resources(lx ? lx->resources : NULL, ctr);
        if (security(lx ? lx->security_context : NULL, ctr, sb, err) < 0) {
                json_decref(ctr);
                return -1;
        }
        json_t *mounts = json_array(), *cmounts = json_array();
        for (size_t i = 0; i < cf->n_mounts; i++) {
                const Runtime__V1__Mount *mt = cf->mounts[i];
                const char *why = NULL;
                bool h2c = mt->propagation ==
                           RUNTIME__V1__MOUNT_PROPAGATION__PROPAGATION_HOST_TO_CONTAINER;
                if (mt->propagation != RUNTIME__V1__MOUNT_PROPAGATION__PROPAGATION_PRIVATE && !h2c)
                        why = "mount propagation PROPAGATION_BIDIRECTIONAL (a container's mounts "
                              "never reach the host)";
                else if (mt->n_uidmappings || mt->n_gidmappings)
                        why = "uid/gid mappings";
                else if (mt->image && mt->image->image && *mt->image->image) {
                        /* an image volume: the image (pulled by the kubelet
                         * first) read-only at container_path */
                        struct pc_image *vi = NULL;
                        if (!mt->container_path || mt->container_path[0] != '/') {
                                why = "a relative container_path";
                        } else if (pc_image_get(st, mt->image->image, &vi, err) < 0) {
                                json_decref(ctr);
                                json_decref(mounts);
                                json_decref(cmounts);
                                return pc_error_prefix(err, "config.mounts[%zu].image", i);
                        } else {
                                json_array_append_new(
                                    mounts, json_pack("{s:o,s:s,s:s}", "image",
                                                      pc_image_to_json(vi), "reference", vi->ref,
                                                      "containerPath", mt->container_path));
                                json_array_append_new(cmounts,
                                                      json_pack("{s:s,s:s,s:b}", "host_path", "",
                                                                "container_path",
                                                                mt->container_path, "readonly", 1));
                                pc_image_free(vi);
                                continue;
                        }
                } else if (!mt->host_path || mt->host_path[0] != '/' || !mt->container_path ||
                           mt->container_path[0] != '/')
                        why = "a relative host_path or container_path";
                if (why) {
                        json_decref(ctr);
                        json_decref(mounts);
                        json_decref(cmounts);
                        return cri_bad(err, EINVAL,
                                       "config.mounts[%zu]: %s: not supported by podctl", i, why);
                }
                json_array_append_new(mounts,
                                      json_pack("{s:s,s:s,s:b,s:b}", "hostPath", mt->host_path,
                                                "containerPath", mt->container_path, "readonly",
                                                mt->readonly, "hostToContainer", h2c));
                json_array_append_new(cmounts,
                                      json_pack("{s:s,s:s,s:b}", "host_path", mt->host_path,
                                                "container_path", mt->container_path, "readonly",
                                                mt->readonly));
        }
        const char *ldir = json_string_value(json_object_get(sb->cfg, "log_directory"));
        const char *lp = cf->log_path && *cf->log_path ? cf->log_path : NULL;
        if (lp && (lp[0] == '/' || strstr(lp, ".."))) {
                json_decref(ctr);
                json_decref(mounts);
                json_decref(cmounts);
                return cri_bad(err, EINVAL,
                               "config.log_path \"%s\": must be relative, without \"..\"", lp);
        }
        if (lp && (!ldir || ldir[0] != '/')) {
                json_decref(ctr);
                json_decref(mounts);
                json_decref(cmounts);
                return cri_bad(err, EINVAL,
                               "config.log_path needs the sandbox's absolute log_directory");
        }
        json_t *cri =
            json_pack("{s:{s:s,s:I},s:s,s:s,s:o,s:o,s:o,s:s}", "metadata", "name",
                      cf->metadata->name, "attempt", (json_int_t)cf->metadata->attempt, "image",
                      cf->image && cf->image->image ? cf->image->image : img->ref, "image_ref",
                      img->config_digest, "labels", cri_map_json(cf->labels, cf->n_labels),
                      "annotations", cri_map_json(cf->annotations, cf->n_annotations), "mounts",
                      cmounts, "log_path", lp ? lp : "");
        /* the container's own supplementary groups (the kubelet lists the
         * Pod's, fsGroup's and the image user's there), for its processes */
        const Runtime__V1__LinuxContainerSecurityContext *csc =
            cf->linux ? cf->linux->security_context : NULL;
        if (cri && csc && csc->n_supplemental_groups) {
                json_t *g = json_array();
                for (size_t i = 0; i < csc->n_supplemental_groups; i++)
                        json_array_append_new(g, json_integer(csc->supplemental_groups[i]));
                json_object_set_new(cri, "supplementalGroups", g);
        }
        *out = json_pack("{s:s,s:o,s:o,s:o,s:o}", "op", "create", "container", ctr, "image",
                         pc_image_to_json(img), "mounts", mounts, "cri", cri);
        if (lp)
                json_object_set_new(*out, "logPath", json_string(cri_printf(c, "%s/%s", ldir, lp)));
        return *out ? 0 : cri_bad(err, EINVAL, "config: cannot be represented");
}

void cri_create_container(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__CreateContainerRequest *q = (const void *)req;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct cri_sb_ref *sb;
        size_t n;
        if (!ctx || cri_sandbox_refs(c, ctx, q->pod_sandbox_id, &sb, &n, &err) < 0)
                return cri_reply_err(c, &err);
        if (!q->config)
                return cri_reply_err(c, (cri_bad(&err, EINVAL, "config: Required value"), &err));
        if (!sb->ready) {
                pc_grpc_fail(c->out, PC_GRPC_FAILED_PRECONDITION, "sandbox %s is not ready",
                             sb->id);
                return;
        }
        const char *iname = q->config->image ? q->config->image->image : NULL;
        if (!iname || !*iname)
                return cri_reply_err(c,
                                     (cri_bad(&err, EINVAL, "config.image: Required value"), &err));
        /* one name+attempt per sandbox, as the kubelet expects */
        struct ctr *all;
        size_t na;
        if (list(c, ctx, sb->id, &all, &na, &err) < 0)
                return cri_reply_err(c, &err);
        for (size_t i = 0; q->config->metadata && i < na; i++) {
                json_t *md = json_object_get(json_object_get(all[i].j, "cri"), "metadata");
                if (!strcmp(jstr(md, "name"), q->config->metadata->name ?: "") &&
                    json_integer_value(json_object_get(md, "attempt")) ==
                        q->config->metadata->attempt) {
                        pc_grpc_fail(c->out, PC_GRPC_ALREADY_EXISTS,
                                     "container \"%s\" attempt %u exists already in sandbox %s "
                                     "(%s)",
                                     q->config->metadata->name, q->config->metadata->attempt,
                                     sb->id, jstr(all[i].j, "id"));
                        return;
                }
        }
        _cleanup_(store_closep) pc_image_store *st = NULL;
        struct pc_image *img = NULL;
        /* the image store is the server's root's (the CRI root's parent) */
        if (pc_image_store_open(c->cri->root, &st, &err) < 0)
                return cri_reply_err(c, &err);
        if (pc_image_get(st, iname, &img, &err) < 0) {
                if (err.code == ENOENT || err.code == 0)
                        err.code = ENOENT;
                return cri_reply_err(c, &err);
        }
        json_t *rq = NULL;
        int r = make_request(c, q->config, sb, img, st, &rq, &err);
        pc_image_free(img);
        if (r < 0)
                return cri_reply_err(c, &err);
        json_t *reply;
        if (call(c, ctx, sb, rq, &reply, &err) < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__CreateContainerResponse out = RUNTIME__V1__CREATE_CONTAINER_RESPONSE__INIT;
        out.container_id = cri_strdup(c, jstr(json_object_get(reply, "container"), "id"));
        cri_reply(c, &out.base);
}

/* ---- Start, Stop, Remove ------------------------------------------------------------- */

static int op(struct cri_call *c, podctl *ctx, const struct ctr *x, const char *name,
              json_t **reply, pc_error *err)
{
        return call(c, ctx, x->sb, json_pack("{s:s,s:s}", "op", name, "id", jstr(x->j, "id")),
                    reply, err);
}

void cri_start_container(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__StartContainerRequest *q = (const void *)req;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct ctr x;
        json_t *reply;
        if (!ctx || find(c, ctx, q->container_id, &x, &err) < 0 ||
            op(c, ctx, &x, "start", &reply, &err) < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__StartContainerResponse out = RUNTIME__V1__START_CONTAINER_RESPONSE__INIT;
        cri_reply(c, &out.base);
}

void cri_stop_container(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__StopContainerRequest *q = (const void *)req;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct ctr x;
        json_t *reply;
        if (!ctx || find(c, ctx, q->container_id, &x, &err) < 0)
                return cri_reply_err(c, &err);
        int64_t t = q->timeout > 0 ? q->timeout : 0;
        if (!strcmp(jstr(x.j, "state"), "EXITED")) {
                /* stopped already (also every container of a stopped sandbox) */
                Runtime__V1__StopContainerResponse done =
                    RUNTIME__V1__STOP_CONTAINER_RESPONSE__INIT;
                cri_reply(c, &done.base);
                return;
        }
        if (call(c, ctx, x.sb,
                 json_pack("{s:s,s:s,s:I}", "op", "stop", "id", jstr(x.j, "id"), "timeout",
                           (json_int_t)t),
                 &reply, &err) < 0)
                return cri_reply_err(c, &err);
        /* The kubelet expects it stopped on return: the monitor kills it at
         * the timeout; wait for that (and a margin for the reaping). */
        int64_t deadline = pc_monotonic_ns() + (t + 10) * 1000000000LL;
        while (strcmp(jstr(json_object_get(reply, "container"), "state"), "EXITED")) {
                if (pc_monotonic_ns() > deadline) {
                        pc_grpc_fail(c->out, PC_GRPC_DEADLINE_EXCEEDED, "container %s did not stop",
                                     jstr(x.j, "id"));
                        return;
                }
                struct timespec ts = {0, 20 * 1000000};
                nanosleep(&ts, NULL);
                if (op(c, ctx, &x, "status", &reply, &err) < 0)
                        return cri_reply_err(c, &err);
        }
        Runtime__V1__StopContainerResponse out = RUNTIME__V1__STOP_CONTAINER_RESPONSE__INIT;
        cri_reply(c, &out.base);
}

void cri_remove_container(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__RemoveContainerRequest *q = (const void *)req;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct ctr x;
        json_t *reply;
        int r = ctx ? find(c, ctx, q->container_id, &x, &err) : -1;
        if (r == 0 && !strcmp(jstr(x.j, "state"), "RUNNING")) {
                /* RemoveContainer of a running container: stopped first (containerd) */
                r = call(
                    c, ctx, x.sb,
                    json_pack("{s:s,s:s,s:i}", "op", "stop", "id", jstr(x.j, "id"), "timeout", 0),
                    &reply, &err);
                while (r == 0 &&
                       strcmp(jstr(json_object_get(reply, "container"), "state"), "EXITED")) {
                        struct timespec ts = {0, 20 * 1000000};
                        nanosleep(&ts, NULL);
                        r = op(c, ctx, &x, "status", &reply, &err);
                }
        }
        if (r == 0 && !x.sb->ready)
                r = final_remove(ctx, x.sb, jstr(x.j, "id"), &err);
        else if (r == 0)
                r = op(c, ctx, &x, "remove", &reply, &err);
        if (r < 0 && err.code != ENOENT) /* gone already: removed */
                return cri_reply_err(c, &err);
        Runtime__V1__RemoveContainerResponse out = RUNTIME__V1__REMOVE_CONTAINER_RESPONSE__INIT;
        cri_reply(c, &out.base);
}

/* ---- List, Status ------------------------------------------------------------------ */

static Runtime__V1__ContainerState state_of(json_t *j)
{
        const char *s = jstr(j, "state");
        if (!strcmp(s, "CREATED"))
                return RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED;
        if (!strcmp(s, "RUNNING"))
                return RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING;
        if (!strcmp(s, "EXITED"))
                return RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED;
        return RUNTIME__V1__CONTAINER_STATE__CONTAINER_UNKNOWN;
}

static Runtime__V1__ContainerMetadata *metadata(struct cri_call *c, json_t *cri)
{
        json_t *md = json_object_get(cri, "metadata");
        Runtime__V1__ContainerMetadata *m =
            CRI_NEW(c, Runtime__V1__ContainerMetadata, container_metadata);
        m->name = cri_strdup(c, jstr(md, "name"));
        m->attempt = (uint32_t)json_integer_value(json_object_get(md, "attempt"));
        return m;
}

static Runtime__V1__ImageSpec *image_spec(struct cri_call *c, json_t *cri)
{
        Runtime__V1__ImageSpec *i = CRI_NEW(c, Runtime__V1__ImageSpec, image_spec);
        i->image = cri_strdup(c, jstr(cri, "image"));
        return i;
}

static bool labels_match(json_t *labels, Runtime__V1__ContainerFilter__LabelSelectorEntry **sel,
                         size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const char *v = json_string_value(json_object_get(labels, sel[i]->key));
                if (!v || strcmp(v, sel[i]->value ?: ""))
                        return false;
        }
        return true;
}

/* The containers a List call's filter names by sandbox (NULL or "": all);
 * a sandbox that does not exist has none (not an error, as containerd). */
static int list_filtered(struct cri_call *c, podctl *ctx, const char *sandbox_id, struct ctr **all,
                         size_t *n, pc_error *err)
{
        const char *sbid = sandbox_id && *sandbox_id ? sandbox_id : NULL;
        if (list(c, ctx, sbid, all, n, err) == 0)
                return 0;
        if (!(sbid && err->code == ENOENT))
                return -1;
        *n = 0;
        return 0;
}

void cri_list_containers(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__ListContainersRequest *q = (const void *)req;
        const Runtime__V1__ContainerFilter *f = q->filter;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct ctr *all = NULL;
        size_t n = 0;
        if (!ctx || list_filtered(c, ctx, f ? f->pod_sandbox_id : NULL, &all, &n, &err) < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__Container **out = cri_alloc(c, (n + 1) * sizeof(*out));
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                json_t *j = all[i].j, *cri = json_object_get(j, "cri");
                if (f && f->id && *f->id && strncmp(jstr(j, "id"), f->id, strlen(f->id)))
                        continue;
                if (f && f->state && state_of(j) != f->state->state)
                        continue;
                if (f && !labels_match(json_object_get(cri, "labels"), f->label_selector,
                                       f->n_label_selector))
                        continue;
                Runtime__V1__Container *o = CRI_NEW(c, Runtime__V1__Container, container);
                o->id = cri_strdup(c, jstr(j, "id"));
                o->pod_sandbox_id = cri_strdup(c, all[i].sb->id);
                o->metadata = metadata(c, cri);
                o->image = image_spec(c, cri);
                o->image_ref = cri_strdup(c, jstr(cri, "image_ref"));
                o->image_id = o->image_ref;
                o->state = state_of(j);
                o->created_at = json_integer_value(json_object_get(cri, "createdAt"));
                o->labels = cri_map(c, &runtime__v1__container__labels_entry__descriptor,
                                    json_object_get(cri, "labels"), &o->n_labels);
                o->annotations = cri_map(c, &runtime__v1__container__annotations_entry__descriptor,
                                         json_object_get(cri, "annotations"), &o->n_annotations);
                out[k++] = o;
        }
        Runtime__V1__ListContainersResponse r = RUNTIME__V1__LIST_CONTAINERS_RESPONSE__INIT;
        r.containers = out;
        r.n_containers = k;
        cri_reply(c, &r.base);
}

/* A container's CRI status (ContainerStatus, GetContainerEvents). */
static Runtime__V1__ContainerStatus *status_msg(struct cri_call *c, const struct ctr *x)
{
        json_t *j = x->j, *cri = json_object_get(j, "cri");
        Runtime__V1__ContainerStatus *st =
            CRI_NEW(c, Runtime__V1__ContainerStatus, container_status);
        st->id = cri_strdup(c, jstr(j, "id"));
        st->metadata = metadata(c, cri);
        st->state = state_of(j);
        st->created_at = json_integer_value(json_object_get(cri, "createdAt"));
        st->started_at = json_integer_value(json_object_get(j, "startedAt"));
        st->finished_at = json_integer_value(json_object_get(j, "finishedAt"));
        st->exit_code = (int32_t)json_integer_value(json_object_get(j, "exitCode"));
        st->image = image_spec(c, cri);
        st->image_ref = cri_strdup(c, jstr(cri, "image_ref"));
        st->image_id = st->image_ref;
        if (st->state == RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED)
                st->reason = cri_strdup(c, jstr(j, "reason"));
        st->message = cri_strdup(c, jstr(j, "message"));
        st->labels = cri_map(c, &runtime__v1__container_status__labels_entry__descriptor,
                             json_object_get(cri, "labels"), &st->n_labels);
        st->annotations = cri_map(c, &runtime__v1__container_status__annotations_entry__descriptor,
                                  json_object_get(cri, "annotations"), &st->n_annotations);
        json_t *ms = json_object_get(cri, "mounts");
        st->n_mounts = json_array_size(ms);
        st->mounts = cri_alloc(c, (st->n_mounts + 1) * sizeof(*st->mounts));
        for (size_t i = 0; i < st->n_mounts; i++) {
                json_t *m = json_array_get(ms, i);
                st->mounts[i] = CRI_NEW(c, Runtime__V1__Mount, mount);
                st->mounts[i]->host_path = cri_strdup(c, jstr(m, "host_path"));
                st->mounts[i]->container_path = cri_strdup(c, jstr(m, "container_path"));
                st->mounts[i]->readonly = json_is_true(json_object_get(m, "readonly"));
        }
        st->log_path = cri_strdup(c, jstr(j, "logPath"));
        /* the limits its cgroup holds now (the kubelet's status resources,
         * which it checks after an UpdateContainerResources) */
        const char *rel = jstr(j, "cgroup");
        pc_cgroup *cg = NULL;
        pc_error e2;
        struct pc_cgroup_limits lim;
        if (rel && st->state == RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING &&
            pc_cgroup_open("/sys/fs/cgroup", rel, &cg, &e2) == 0 &&
            pc_cgroup_get_limits(cg, &lim, &e2) == 0) {
                Runtime__V1__LinuxContainerResources *lr =
                    CRI_NEW(c, Runtime__V1__LinuxContainerResources, linux_container_resources);
                lr->cpu_period = lim.cpu_period > 0 ? lim.cpu_period : 0;
                lr->cpu_quota = lim.cpu_quota > 0 ? lim.cpu_quota : 0;
                lr->cpu_shares = lim.cpu_shares > 0 ? lim.cpu_shares : 0;
                lr->memory_limit_in_bytes = lim.memory_max > 0 ? lim.memory_max : 0;
                st->resources = CRI_NEW(c, Runtime__V1__ContainerResources, container_resources);
                st->resources->linux = lr;
        }
        pc_cgroup_free(cg);
        /* the ids the process runs with (the kubelet's status.containerStatuses[].user) */
        json_t *lu = json_object_get(json_object_get(j, "user"), "linux");
        if (json_is_object(lu)) {
                Runtime__V1__LinuxContainerUser *u =
                    CRI_NEW(c, Runtime__V1__LinuxContainerUser, linux_container_user);
                u->uid = json_integer_value(json_object_get(lu, "uid"));
                u->gid = json_integer_value(json_object_get(lu, "gid"));
                json_t *g = json_object_get(lu, "supplementalGroups");
                u->n_supplemental_groups = json_array_size(g);
                u->supplemental_groups =
                    cri_alloc(c, (u->n_supplemental_groups + 1) * sizeof(int64_t));
                for (size_t i = 0; i < u->n_supplemental_groups; i++)
                        u->supplemental_groups[i] = json_integer_value(json_array_get(g, i));
                st->user = CRI_NEW(c, Runtime__V1__ContainerUser, container_user);
                st->user->linux = u;
        }
        return st;
}

void cri_container_status(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__ContainerStatusRequest *q = (const void *)req;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct ctr x;
        if (!ctx || find(c, ctx, q->container_id, &x, &err) < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__ContainerStatus *st = status_msg(c, &x);
        json_t *j = x.j;
        Runtime__V1__ContainerStatusResponse r = RUNTIME__V1__CONTAINER_STATUS_RESPONSE__INIT;
        r.status = st;
        if (q->verbose) {
                /* crictl inspect shows info["info"] (JSON), pid among it */
                json_t *info =
                    json_pack("{s:I,s:s,s:s}", "pid", json_integer_value(json_object_get(j, "pid")),
                              "sandboxID", x.sb->id, "runtimeType", "podctl");
                char *s = json_dumps(info, JSON_COMPACT);
                json_decref(info);
                Runtime__V1__ContainerStatusResponse__InfoEntry *e =
                    CRI_NEW(c, Runtime__V1__ContainerStatusResponse__InfoEntry,
                            container_status_response__info_entry);
                e->key = "info";
                e->value = cri_strdup(c, s);
                free(s);
                r.info = cri_alloc(c, sizeof(*r.info));
                r.info[0] = e;
                r.n_info = 1;
        }
        cri_reply(c, &r.base);
}

/* ---- ExecSync ------------------------------------------------------------------------ */

static void read_into(int *fd, char **buf, size_t *len, size_t cap)
{
        char tmp[16384];
        ssize_t n = read(*fd, tmp, sizeof(tmp));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n <= 0) {
                close(*fd);
                *fd = -1;
                return;
        }
        size_t keep = *len + (size_t)n > cap ? cap - *len : (size_t)n;
        *buf = pc_xrealloc(*buf, *len + keep + 1);
        memcpy(*buf + *len, tmp, keep);
        *len += keep;
}

#define EXEC_OUTPUT_MAX (8u << 20) /* per stream; the rest is dropped */

/* The command runs as `podctl exec` runs it (podctl_pod_exec: sealed like
 * the container's processes, in its namespaces and cgroup), from a child of
 * the server whose stdout and stderr are pipes; a third pipe carries the
 * outcome. timeout: the child's process group is killed. */
void cri_exec_sync(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__ExecSyncRequest *q = (const void *)req;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct ctr x;
        if (!ctx || find(c, ctx, q->container_id, &x, &err) < 0)
                return cri_reply_err(c, &err);
        if (!q->n_cmd)
                return cri_reply_err(c, (cri_bad(&err, EINVAL, "cmd: Required value"), &err));
        if (strcmp(jstr(x.j, "state"), "RUNNING")) {
                pc_grpc_fail(c->out, PC_GRPC_FAILED_PRECONDITION, "container %s is not running",
                             jstr(x.j, "id"));
                return;
        }
        char **argv = cri_alloc(c, (q->n_cmd + 1) * sizeof(char *));
        for (size_t i = 0; i < q->n_cmd; i++)
                argv[i] = q->cmd[i];
        int po[2] = {-1, -1}, pe[2] = {-1, -1}, ps[2] = {-1, -1};
        if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0 || pipe2(ps, O_CLOEXEC) < 0) {
                pc_fail(&err, errno, "pipe");
                for (int i = 0; i < 2; i++) {
                        if (po[i] >= 0)
                                close(po[i]);
                        if (pe[i] >= 0)
                                close(pe[i]);
                }
                return cri_reply_err(c, &err);
        }
        pid_t pid = fork();
        if (pid == 0) {
                setpgid(0, 0);
                int devnull = open("/dev/null", O_RDONLY);
                dup2(devnull, 0);
                dup2(po[1], 1);
                dup2(pe[1], 2);
                struct podctl_exec_opts o = {.container = jstr(x.j, "id"), .argv = argv};
                int st = 0;
                pc_error e2 = {0};
                char msg[sizeof(e2.msg) + 32];
                if (podctl_pod_exec(ctx, x.sb->ns, x.sb->name, &o, &st, &e2) < 0)
                        snprintf(msg, sizeof(msg), "E%d:%s", e2.code, e2.msg);
                else
                        snprintf(msg, sizeof(msg), "S%d", st);
                if (write(ps[1], msg, strlen(msg)) < 0)
                        _exit(127);
                _exit(0);
        }
        close(po[1]);
        close(pe[1]);
        close(ps[1]);
        if (pid < 0) {
                close(po[0]);
                close(pe[0]);
                close(ps[0]);
                return cri_reply_err(c, (pc_fail(&err, errno, "fork"), &err));
        }
        int fds[3] = {po[0], pe[0], ps[0]};
        char *bufs[3] = {NULL, NULL, NULL};
        size_t lens[3] = {0, 0, 0};
        int64_t deadline = q->timeout > 0 ? pc_monotonic_ns() + q->timeout * 1000000000LL : 0;
        bool timed_out = false;
        while (fds[0] >= 0 || fds[1] >= 0 || fds[2] >= 0) {
                struct pollfd p[3];
                for (int i = 0; i < 3; i++)
                        p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
                int ms = -1;
                if (deadline) {
                        int64_t left = deadline - pc_monotonic_ns();
                        if (left <= 0) {
                                timed_out = true;
                                break;
                        }
                        ms = (int)(left / 1000000) + 1;
                }
                if (poll(p, 3, ms) < 0 && errno != EINTR)
                        break;
                for (int i = 0; i < 3; i++)
                        if (fds[i] >= 0 && p[i].revents)
                                read_into(&fds[i], &bufs[i], &lens[i],
                                          i == 2 ? 4096 : EXEC_OUTPUT_MAX);
        }
        for (int i = 0; i < 3; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        if (timed_out) {
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
        }
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        char *outcome = bufs[2] ? cri_printf(c, "%.*s", (int)lens[2], bufs[2]) : NULL;
        Runtime__V1__ExecSyncResponse r = RUNTIME__V1__EXEC_SYNC_RESPONSE__INIT;
        if (bufs[0]) {
                uint8_t *d = cri_alloc(c, lens[0] + 1);
                memcpy(d, bufs[0], lens[0]);
                r.stdout.data = d;
                r.stdout.len = lens[0];
        }
        if (bufs[1]) {
                uint8_t *d = cri_alloc(c, lens[1] + 1);
                memcpy(d, bufs[1], lens[1]);
                r.stderr.data = d;
                r.stderr.len = lens[1];
        }
        for (int i = 0; i < 3; i++)
                free(bufs[i]);
        if (timed_out) {
                pc_grpc_fail(c->out, PC_GRPC_DEADLINE_EXCEEDED, "command timed out after %llds",
                             (long long)q->timeout);
                return;
        }
        if (!outcome || (outcome[0] != 'S' && outcome[0] != 'E')) {
                pc_grpc_fail(c->out, PC_GRPC_INTERNAL, "exec: the helper died");
                return;
        }
        if (outcome[0] == 'E') {
                char *colon = strchr(outcome, ':');
                err.code = atoi(outcome + 1);
                snprintf(err.msg, sizeof(err.msg), "%s", colon ? colon + 1 : outcome + 1);
                return cri_reply_err(c, &err);
        }
        r.exit_code = atoi(outcome + 1);
        cri_reply(c, &r.base);
}

/* ---- Stats, UpdateContainerResources ------------------------------------------------ */

/* nftw has no user pointer: one walk at a time (calls run on threads). */
static pthread_mutex_t du_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t du_bytes;
static int du_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
        (void)path;
        (void)f;
        if (flag == FTW_F)
                du_bytes += (uint64_t)st->st_blocks * 512;
        return 0;
}

static Runtime__V1__UInt64Value *u64(struct cri_call *c, uint64_t v)
{
        Runtime__V1__UInt64Value *u = CRI_NEW(c, Runtime__V1__UInt64Value, uint64_value);
        u->value = v;
        return u;
}

/* usage_nano_cores: the CPU rate since the previous stats call for the same
 * container or sandbox id, as containerd and CRI-O compute it (the kubelet
 * asks every few seconds; the first call answers 0). Samples not renewed
 * for 10 minutes are dropped (removed containers). */
#define RATE_NS_PER_S 1000000000LL
#define RATE_KEEP_NS  (600 * RATE_NS_PER_S)

static pthread_mutex_t rate_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cpu_sample {
        char *id;
        int64_t at;
        uint64_t usage;
} * samples;
static size_t n_samples;

static uint64_t nano_cores(const char *id, int64_t now, uint64_t usage)
{
        uint64_t rate = 0;
        pthread_mutex_lock(&rate_lock);
        struct cpu_sample *hit = NULL;
        for (size_t i = 0; i < n_samples;) {
                if (!strcmp(samples[i].id, id)) {
                        hit = &samples[i++];
                        continue;
                }
                if (now - samples[i].at > RATE_KEEP_NS) {
                        free(samples[i].id);
                        samples[i] = samples[--n_samples]; /* never hit: it is below i */
                        continue;
                }
                i++;
        }
        if (!hit) {
                samples = pc_xrealloc(samples, (n_samples + 1) * sizeof(*samples));
                hit = &samples[n_samples++];
                *hit = (struct cpu_sample){.id = pc_xstrdup(id)};
        } else if (now > hit->at && usage >= hit->usage) {
                rate = (uint64_t)((double)(usage - hit->usage) / (double)(now - hit->at) *
                                  (double)RATE_NS_PER_S);
        }
        if (now > hit->at) {
                hit->at = now;
                hit->usage = usage;
        }
        pthread_mutex_unlock(&rate_lock);
        return rate;
}

static Runtime__V1__ContainerStats *stats_of(struct cri_call *c, const struct ctr *x)
{
        json_t *j = x->j, *cri = json_object_get(j, "cri");
        Runtime__V1__ContainerStats *s = CRI_NEW(c, Runtime__V1__ContainerStats, container_stats);
        s->attributes = CRI_NEW(c, Runtime__V1__ContainerAttributes, container_attributes);
        s->attributes->id = cri_strdup(c, jstr(j, "id"));
        s->attributes->metadata = metadata(c, cri);
        s->attributes->labels =
            cri_map(c, &runtime__v1__container_attributes__labels_entry__descriptor,
                    json_object_get(cri, "labels"), &s->attributes->n_labels);
        s->attributes->annotations =
            cri_map(c, &runtime__v1__container_attributes__annotations_entry__descriptor,
                    json_object_get(cri, "annotations"), &s->attributes->n_annotations);
        int64_t now = cri_now_ns();
        const char *rel = json_string_value(json_object_get(j, "cgroup"));
        pc_cgroup *cg = NULL;
        pc_error ignore;
        struct pc_cgroup_stats cs;
        if (rel && pc_cgroup_open("/sys/fs/cgroup", rel, &cg, &ignore) == 0 &&
            pc_cgroup_stats(cg, &cs, &ignore) == 0) {
                s->cpu = CRI_NEW(c, Runtime__V1__CpuUsage, cpu_usage);
                s->cpu->timestamp = now;
                s->cpu->usage_core_nano_seconds = u64(c, cs.cpu_usage_ns);
                s->cpu->usage_nano_cores =
                    u64(c, nano_cores(s->attributes->id, now, cs.cpu_usage_ns));
                s->memory = CRI_NEW(c, Runtime__V1__MemoryUsage, memory_usage);
                s->memory->timestamp = now;
                s->memory->working_set_bytes = u64(c, cs.memory_working_set);
                s->memory->usage_bytes = u64(c, cs.memory_usage);
        }
        pc_cgroup_free(cg);
        const char *dir = json_string_value(json_object_get(j, "dir"));
        if (dir) {
                char *upper = cri_printf(c, "%s/upper", dir);
                pthread_mutex_lock(&du_lock);
                du_bytes = 0;
                nftw(upper, du_one, 16, FTW_PHYS);
                uint64_t used = du_bytes;
                pthread_mutex_unlock(&du_lock);
                s->writable_layer = CRI_NEW(c, Runtime__V1__FilesystemUsage, filesystem_usage);
                s->writable_layer->timestamp = now;
                s->writable_layer->fs_id =
                    CRI_NEW(c, Runtime__V1__FilesystemIdentifier, filesystem_identifier);
                s->writable_layer->fs_id->mountpoint = upper;
                s->writable_layer->used_bytes = u64(c, used);
        }
        return s;
}

void cri_container_stats(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__ContainerStatsRequest *q = (const void *)req;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct ctr x;
        if (!ctx || find(c, ctx, q->container_id, &x, &err) < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__ContainerStatsResponse r = RUNTIME__V1__CONTAINER_STATS_RESPONSE__INIT;
        r.stats = stats_of(c, &x);
        cri_reply(c, &r.base);
}

void cri_list_container_stats(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__ListContainerStatsRequest *q = (const void *)req;
        const Runtime__V1__ContainerStatsFilter *f = q->filter;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct ctr *all = NULL;
        size_t n = 0;
        if (!ctx || list_filtered(c, ctx, f ? f->pod_sandbox_id : NULL, &all, &n, &err) < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__ContainerStats **out = cri_alloc(c, (n + 1) * sizeof(*out));
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                json_t *j = all[i].j;
                if (f && f->id && *f->id && strncmp(jstr(j, "id"), f->id, strlen(f->id)))
                        continue;
                if (f && !labels_match(
                             json_object_get(json_object_get(j, "cri"), "labels"),
                             (Runtime__V1__ContainerFilter__LabelSelectorEntry **)f->label_selector,
                             f->n_label_selector))
                        continue;
                out[k++] = stats_of(c, &all[i]);
        }
        Runtime__V1__ListContainerStatsResponse r =
            RUNTIME__V1__LIST_CONTAINER_STATS_RESPONSE__INIT;
        r.stats = out;
        r.n_stats = k;
        cri_reply(c, &r.base);
}

/* The container's cgroup gets the new limits (podctl's cgroup interface,
 * v1 or v2). What the monitor recorded of the spec is not changed. */
void cri_update_container_resources(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__UpdateContainerResourcesRequest *q = (const void *)req;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct ctr x;
        if (!ctx || find(c, ctx, q->container_id, &x, &err) < 0)
                return cri_reply_err(c, &err);
        const Runtime__V1__LinuxContainerResources *r = q->linux;
        if (!r)
                return cri_reply_err(c, (cri_bad(&err, EINVAL, "linux: Required value"), &err));
        const char *rel = json_string_value(json_object_get(x.j, "cgroup"));
        if (!rel) {
                pc_grpc_fail(c->out, PC_GRPC_FAILED_PRECONDITION,
                             "container %s has no cgroup (not started, or no cgroups)",
                             jstr(x.j, "id"));
                return;
        }
        struct pc_cgroup_limits lim = PC_CGROUP_LIMITS_NONE;
        if (r->memory_limit_in_bytes > 0)
                lim.memory_max = r->memory_limit_in_bytes;
        if (r->cpu_period > 0)
                lim.cpu_period = r->cpu_period;
        if (r->cpu_quota > 0)
                lim.cpu_quota = r->cpu_quota;
        if (r->cpu_shares > 0)
                lim.cpu_shares = r->cpu_shares;
        pc_cgroup *cg = NULL;
        int rr = pc_cgroup_open("/sys/fs/cgroup", rel, &cg, &err);
        if (rr == 0)
                rr = pc_cgroup_set_limits(cg, &lim, &err);
        pc_cgroup_free(cg);
        if (rr < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__UpdateContainerResourcesResponse out =
            RUNTIME__V1__UPDATE_CONTAINER_RESOURCES_RESPONSE__INIT;
        cri_reply(c, &out.base);
}

/* ---- ReopenContainerLog ---------------------------------------------------------------- */

void cri_reopen_container_log(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__ReopenContainerLogRequest *q = (const void *)req;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct ctr x;
        json_t *reply;
        if (!ctx || find(c, ctx, q->container_id, &x, &err) < 0)
                return cri_reply_err(c, &err);
        if (op(c, ctx, &x, "reopen_log", &reply, &err) < 0) {
                pc_grpc_fail(c->out,
                             err.code == EINVAL ? PC_GRPC_FAILED_PRECONDITION : PC_GRPC_UNKNOWN,
                             "%s", err.msg);
                return;
        }
        Runtime__V1__ReopenContainerLogResponse out =
            RUNTIME__V1__REOPEN_CONTAINER_LOG_RESPONSE__INIT;
        cri_reply(c, &out.base);
}

/* ---- GetContainerEvents -------------------------------------------------------------- */

struct seen {
        char id[80];
        char sandbox[65];
        Runtime__V1__ContainerState state;
};

static void send_event(struct cri_call *c, podctl *ctx, const struct ctr *x, const char *id,
                       const char *sandbox, Runtime__V1__ContainerEventType type)
{
        Runtime__V1__ContainerEventResponse ev = RUNTIME__V1__CONTAINER_EVENT_RESPONSE__INIT;
        ev.container_id = (char *)id;
        ev.container_event_type = type;
        ev.created_at = cri_now_ns();
        ev.pod_sandbox_status = cri_sandbox_status_msg(c, ctx, sandbox);
        Runtime__V1__ContainerStatus *st = x ? status_msg(c, x) : NULL;
        ev.n_containers_statuses = st ? 1 : 0;
        ev.containers_statuses = st ? &st : NULL;
        size_t n = protobuf_c_message_get_packed_size(&ev.base);
        uint8_t *buf = cri_alloc(c, n);
        protobuf_c_message_pack(&ev.base, buf);
        pc_grpc_send(c->out, buf, n);
}

/* The evented PLEG's stream: every change of a CRI container's state, as
 * CREATED, STARTED, STOPPED and DELETED events, from the sandboxes'
 * monitors (their status.json changes wake the inotify watch; a relist a
 * second at the latest). Runs until the client goes. */
void cri_container_events(struct cri_call *c, const ProtobufCMessage *req)
{
        (void)req;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct podctl_watch *w = NULL;
        if (!ctx || podctl_watch_open(ctx, &w, &err) < 0)
                return cri_reply_err(c, &err);
        struct seen *prev = NULL;
        size_t n_prev = 0;
        bool first = true;
        /* the first listing is the baseline, but what was made since the call
         * began is news */
        int64_t since = cri_now_ns();
        while (!pc_grpc_cancelled(c->out)) {
                struct cri_call it = {.cri = c->cri, .out = c->out};
                struct ctr *all;
                size_t n;
                pc_error e2;
                if (list(&it, ctx, NULL, &all, &n, &e2) == 0) {
                        struct seen *cur = pc_xcalloc(n + 1, sizeof(*cur));
                        for (size_t i = 0; i < n; i++) {
                                snprintf(cur[i].id, sizeof(cur[i].id), "%s", jstr(all[i].j, "id"));
                                memcpy(cur[i].sandbox, all[i].sb->id, sizeof(cur[i].sandbox));
                                cur[i].state = state_of(all[i].j);
                                const struct seen *p = NULL;
                                for (size_t k = 0; k < n_prev && !p; k++)
                                        if (!strcmp(prev[k].id, cur[i].id))
                                                p = &prev[k];
                                if (first &&
                                    json_integer_value(json_object_get(
                                        json_object_get(all[i].j, "cri"), "createdAt")) < since)
                                        continue;
                                Runtime__V1__ContainerState was =
                                    p ? p->state : RUNTIME__V1__CONTAINER_STATE__CONTAINER_UNKNOWN;
                                Runtime__V1__ContainerState now = cur[i].state;
                                bool ran = now == RUNTIME__V1__CONTAINER_STATE__CONTAINER_RUNNING ||
                                           now == RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED;
                                if (!p)
                                        send_event(
                                            &it, ctx, &all[i], cur[i].id, cur[i].sandbox,
                                            RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_CREATED_EVENT);
                                if (ran &&
                                    (!p || was == RUNTIME__V1__CONTAINER_STATE__CONTAINER_CREATED))
                                        send_event(
                                            &it, ctx, &all[i], cur[i].id, cur[i].sandbox,
                                            RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_STARTED_EVENT);
                                if (now == RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED &&
                                    was != RUNTIME__V1__CONTAINER_STATE__CONTAINER_EXITED)
                                        send_event(
                                            &it, ctx, &all[i], cur[i].id, cur[i].sandbox,
                                            RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_STOPPED_EVENT);
                        }
                        for (size_t k = 0; !first && k < n_prev; k++) {
                                bool still = false;
                                for (size_t i = 0; i < n && !still; i++)
                                        still = !strcmp(prev[k].id, cur[i].id);
                                if (!still)
                                        send_event(
                                            &it, ctx, NULL, prev[k].id, prev[k].sandbox,
                                            RUNTIME__V1__CONTAINER_EVENT_TYPE__CONTAINER_DELETED_EVENT);
                        }
                        free(prev);
                        prev = cur;
                        n_prev = n;
                        first = false;
                }
                cri_call_release(&it);
                if (podctl_watch_wait(w, 1000, &e2) < 0)
                        break;
        }
        free(prev);
        podctl_watch_close(w);
        c->out->status = PC_GRPC_OK; /* the call ends with its status only */
}

/* ---- PodSandboxStats, ListPodSandboxStats ------------------------------------------ */

/* eth0 of the sandbox's netns, from /proc/<pause>/net/dev (the counters of
 * the namespace that pid is in). */
static Runtime__V1__NetworkUsage *net_usage(struct cri_call *c, pid_t pause, int64_t now)
{
        _cleanup_free_ char *path = pc_xasprintf("/proc/%d/net/dev", (int)pause);
        _cleanup_free_ char *text = NULL;
        pc_error ignore;
        if (pause <= 0 || pc_read_file(path, &text, NULL, &ignore) < 0)
                return NULL;
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                while (*line == ' ')
                        line++;
                if (strncmp(line, "eth0:", 5))
                        continue;
                unsigned long long v[16] = {0};
                if (sscanf(line + 5, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
                           &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9],
                           &v[10]) < 11)
                        return NULL;
                Runtime__V1__NetworkUsage *n = CRI_NEW(c, Runtime__V1__NetworkUsage, network_usage);
                n->timestamp = now;
                Runtime__V1__NetworkInterfaceUsage *i =
                    CRI_NEW(c, Runtime__V1__NetworkInterfaceUsage, network_interface_usage);
                i->name = "eth0";
                i->rx_bytes = u64(c, v[0]);
                i->rx_errors = u64(c, v[2]);
                i->tx_bytes = u64(c, v[8]);
                i->tx_errors = u64(c, v[10]);
                n->default_interface = i;
                n->n_interfaces = 1;
                n->interfaces = cri_alloc(c, sizeof(*n->interfaces));
                n->interfaces[0] = i;
                return n;
        }
        return NULL;
}

Runtime__V1__PodSandboxStats *cri_sandbox_stats_of(struct cri_call *c, podctl *ctx,
                                                   const struct cri_sb_ref *sb)
{
        Runtime__V1__PodSandboxStats *s =
            CRI_NEW(c, Runtime__V1__PodSandboxStats, pod_sandbox_stats);
        s->attributes = CRI_NEW(c, Runtime__V1__PodSandboxAttributes, pod_sandbox_attributes);
        s->attributes->id = cri_strdup(c, sb->id);
        json_t *md = json_object_get(sb->cfg, "metadata");
        Runtime__V1__PodSandboxMetadata *m =
            CRI_NEW(c, Runtime__V1__PodSandboxMetadata, pod_sandbox_metadata);
        m->name = cri_strdup(c, jstr(md, "name"));
        m->uid = cri_strdup(c, jstr(md, "uid"));
        m->namespace_ = cri_strdup(c, jstr(md, "namespace"));
        m->attempt = (uint32_t)json_integer_value(json_object_get(md, "attempt"));
        s->attributes->metadata = m;
        s->attributes->labels =
            cri_map(c, &runtime__v1__pod_sandbox_attributes__labels_entry__descriptor,
                    json_object_get(sb->cfg, "labels"), &s->attributes->n_labels);
        s->attributes->annotations =
            cri_map(c, &runtime__v1__pod_sandbox_attributes__annotations_entry__descriptor,
                    json_object_get(sb->cfg, "annotations"), &s->attributes->n_annotations);
        Runtime__V1__LinuxPodSandboxStats *lx =
            CRI_NEW(c, Runtime__V1__LinuxPodSandboxStats, linux_pod_sandbox_stats);
        s->linux = lx;
        int64_t now = cri_now_ns();
        json_t *facts = NULL;
        pc_error ignore;
        if (podctl_pod_inspect(ctx, sb->ns, sb->name, &facts, &ignore) == 0) {
                cri_keep(c, facts);
                json_t *rt = json_object_get(facts, "runtime");
                const char *rel = json_string_value(json_object_get(rt, "cgroup"));
                pc_cgroup *cg = NULL;
                struct pc_cgroup_stats cs;
                if (sb->ready && rel && pc_cgroup_open("/sys/fs/cgroup", rel, &cg, &ignore) == 0 &&
                    pc_cgroup_stats(cg, &cs, &ignore) == 0) {
                        lx->cpu = CRI_NEW(c, Runtime__V1__CpuUsage, cpu_usage);
                        lx->cpu->timestamp = now;
                        lx->cpu->usage_core_nano_seconds = u64(c, cs.cpu_usage_ns);
                        lx->cpu->usage_nano_cores =
                            u64(c, nano_cores(sb->id, now, cs.cpu_usage_ns));
                        lx->memory = CRI_NEW(c, Runtime__V1__MemoryUsage, memory_usage);
                        lx->memory->timestamp = now;
                        lx->memory->working_set_bytes = u64(c, cs.memory_working_set);
                        lx->memory->usage_bytes = u64(c, cs.memory_usage);
                        lx->process = CRI_NEW(c, Runtime__V1__ProcessUsage, process_usage);
                        lx->process->timestamp = now;
                        lx->process->process_count = u64(c, cs.pids_current);
                }
                pc_cgroup_free(cg);
                if (sb->ready)
                        lx->network = net_usage(
                            c, (pid_t)json_integer_value(json_object_get(rt, "pausePid")), now);
        }
        struct ctr *all;
        size_t n = 0;
        pc_error e2;
        if (sb->ready && list(c, ctx, sb->id, &all, &n, &e2) == 0 && n) {
                lx->containers = cri_alloc(c, n * sizeof(*lx->containers));
                for (size_t i = 0; i < n; i++)
                        lx->containers[i] = stats_of(c, &all[i]);
                lx->n_containers = n;
        }
        return s;
}

void cri_sandbox_stats(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__PodSandboxStatsRequest *q = (const void *)req;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct cri_sb_ref *sbs;
        size_t n;
        if (!ctx || cri_sandbox_refs(
                        c, ctx, q->pod_sandbox_id && *q->pod_sandbox_id ? q->pod_sandbox_id : "",
                        &sbs, &n, &err) < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__PodSandboxStatsResponse r = RUNTIME__V1__POD_SANDBOX_STATS_RESPONSE__INIT;
        r.stats = cri_sandbox_stats_of(c, ctx, &sbs[0]);
        cri_reply(c, &r.base);
}

void cri_list_sandbox_stats(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__ListPodSandboxStatsRequest *q = (const void *)req;
        const Runtime__V1__PodSandboxStatsFilter *f = q->filter;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct cri_sb_ref *sbs;
        size_t n;
        if (!ctx || cri_sandbox_refs(c, ctx, NULL, &sbs, &n, &err) < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__ListPodSandboxStatsResponse r =
            RUNTIME__V1__LIST_POD_SANDBOX_STATS_RESPONSE__INIT;
        r.stats = cri_alloc(c, (n + 1) * sizeof(*r.stats));
        for (size_t i = 0; i < n; i++) {
                if (!sbs[i].ready)
                        continue; /* as containerd: the stats of running sandboxes */
                if (f && f->id && *f->id && strncmp(sbs[i].id, f->id, strlen(f->id)))
                        continue;
                bool match = true;
                for (size_t k = 0; f && k < f->n_label_selector && match; k++) {
                        const char *v = json_string_value(json_object_get(
                            json_object_get(sbs[i].cfg, "labels"), f->label_selector[k]->key));
                        match = v && !strcmp(v, f->label_selector[k]->value ?: "");
                }
                if (match)
                        r.stats[r.n_stats++] = cri_sandbox_stats_of(c, ctx, &sbs[i]);
        }
        cri_reply(c, &r.base);
}
