/* The monitor's control channel: <pod dir>/control.sock (SOCK_SEQPACKET,
 * mode 0600), served from the monitor's epoll loop. One message is one JSON
 * object of at most PC_CONTROL_MAX_MSG bytes; each request gets one reply
 * {"ok": true, ...} or {"ok": false, "code": errno, "error": "..."}; a
 * connection has one request in flight at a time (the client waits). A
 * message that is too big or not a JSON object is refused with a reply and
 * the connection is closed; the monitor goes on.
 *
 * Requests ("op"):
 *   list                       every container added here, as in "status"
 *   status  {id}               one container
 *   create  {container, image, logPath, mounts, cri}  (CRI sandboxes only)
 *   start   {id}  stop {id, timeout}  remove {id}  reopen_log {id}
 *   set_image {name, reference, image}  a Pod update's new image for a container
 *   set_deadline {seconds}     a Pod update's (lower) activeDeadlineSeconds
 *   add_ephemeral {container, image}  podctl debug: an ephemeral container (its
 *                              v1 EphemeralContainer and images.json record),
 *                              started at once
 *   attach {name | id, stdin}  a running container's stdin (unless stdin is
 *                              false), sent with the reply (SCM_RIGHTS); reply
 *                              {tty, id, pid, logPath}
 *   resize {containers}, resize_pending {reason, message}   an in-place Pod
 *                              resize, or one the node cannot admit (resize.c)
 *
 * Containers added at runtime (CRI's CreateContainer) live in m->app, which a
 * CRI sandbox's monitor allocates once with room for PC_CONTROL_MAX_CTRS, so
 * that the epoll data pointing into a struct pc_ctr stays valid; a removed
 * container (never a running one: nothing of it is in epoll) is closed up
 * and the self-pointers of the ones moved are fixed. Kubelet mode: the
 * sandbox's restartPolicy is Never and its containers have no probes, so the
 * monitor never restarts them: CREATED -> RUNNING -> EXITED until removed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "pod/control.h"
#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/util.h"

#define MAX_CONNS 16

static struct control {
        int listen_fd;
        struct conn {
                int fd; /* -1: free slot */
        } conns[MAX_CONNS];
        char *path;
        bool open;
} ctl = {.listen_fd = -1};

static void jdecrefp(json_t **j)
{
        json_decref(*j);
}

/* A tag for the listening socket's epoll data (conns[] are the others'). */
static char listen_tag;

static void conn_close(struct pc_monitor *m, struct conn *cn)
{
        if (cn->fd < 0)
                return;
        epoll_ctl(m->epoll_fd, EPOLL_CTL_DEL, cn->fd, NULL);
        close(cn->fd);
        cn->fd = -1;
}

int pc_control_open(struct pc_monitor *m, pc_error *err)
{
        for (size_t i = 0; i < MAX_CONNS; i++)
                ctl.conns[i].fd = -1;
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        ctl.path = pc_xasprintf("%s/control.sock", m->pod_dir);
        /* bound through the directory's fd: a Pod dir may be longer than sun_path */
        _cleanup_close_ int dfd = open(m->pod_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return pc_fail(err, errno, "%s", m->pod_dir);
        snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/control.sock", dfd);
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return pc_fail(err, errno, "control socket");
        unlink(ctl.path);
        mode_t old = umask(0177);
        int r = bind(fd, (struct sockaddr *)&a, sizeof(a));
        umask(old);
        if (r < 0 || chmod(ctl.path, 0600) < 0 || listen(fd, 16) < 0) {
                int e = errno;
                close(fd);
                return pc_fail(err, e, "control socket %s", ctl.path);
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &listen_tag};
        if (epoll_ctl(m->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                int e = errno;
                close(fd);
                return pc_fail(err, e, "control socket: epoll");
        }
        ctl.listen_fd = fd;
        ctl.open = true;
        return 0;
}

static json_t *ctr_json(const struct pc_monitor *m, const struct pc_ctr *c);
static json_t *op_remove(struct pc_monitor *m, struct pc_ctr *c);

/* Free what control.c added to a runtime container (its spec is owned here). */
static void ctr_release(struct pc_ctr *c)
{
        json_decref(c->cri);
        c->cri = NULL;
        free(c->log_path);
        c->log_path = NULL;
        if (c->spec) {
                /* hand the spec to a throwaway Pod to free it */
                struct pc_pod tmp = {0};
                tmp.containers = c->spec;
                tmp.n_containers = 1;
                pc_pod_free(&tmp);
                c->spec = NULL;
        }
}

void pc_control_close(struct pc_monitor *m)
{
        if (!ctl.open)
                return;
        for (size_t i = 0; i < MAX_CONNS; i++)
                conn_close(m, &ctl.conns[i]);
        if (ctl.listen_fd >= 0) {
                epoll_ctl(m->epoll_fd, EPOLL_CTL_DEL, ctl.listen_fd, NULL);
                close(ctl.listen_fd);
                ctl.listen_fd = -1;
        }
        unlink(ctl.path);
        free(ctl.path);
        ctl.path = NULL;
        ctl.open = false;
        /* A stopped sandbox's containers stay listed (EXITED) until it is
         * removed: their last records, for the CRI server to read. */
        if (m->pod.cri_sandbox && m->state == POD_DONE) {
                json_t *a = json_array();
                for (size_t i = 0; i < m->n_app; i++)
                        json_array_append_new(a, ctr_json(m, &m->app[i]));
                _cleanup_free_ char *p = pc_xasprintf("%s/" PC_CONTROL_FINAL, m->pod_dir);
                char *s = json_dumps(a, JSON_COMPACT);
                pc_error err;
                if (s && pc_replace_file(p, s, strlen(s), 0600, &err) < 0)
                        fprintf(stderr, "podctl-monitor: %s\n", err.msg);
                free(s);
                json_decref(a);
        }
        for (size_t i = 0; m->pod.cri_sandbox && i < m->n_app; i++)
                ctr_release(&m->app[i]);
}

/* ---- requests ---------------------------------------------------------------- */

static json_t *fail_reply(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static json_t *fail_reply(int code, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return json_pack("{s:b,s:i,s:s}", "ok", 0, "code", code, "error", msg);
}

static const char *state_name(const struct pc_ctr *c)
{
        if (c->state == CTR_RUNNING)
                return "RUNNING";
        if (c->state == CTR_TERMINATED)
                return "EXITED";
        return c->ever_started ? "EXITED" : "CREATED";
}

static json_t *ctr_json(const struct pc_monitor *m, const struct pc_ctr *c)
{
        json_t *j = json_pack("{s:s,s:s,s:s,s:I,s:I,s:i,s:I,s:I}", "id", c->container_id, "name",
                              c->spec->name, "state", state_name(c), "startedAt",
                              (json_int_t)(c->ever_started ? c->started_at : 0), "finishedAt",
                              (json_int_t)(c->state == CTR_TERMINATED ? c->finished_at : 0),
                              "exitCode", c->state == CTR_TERMINATED ? c->exit_code : 0, "pid",
                              (json_int_t)(c->state == CTR_RUNNING ? c->pid : 0), "pidStart",
                              (json_int_t)(c->state == CTR_RUNNING ? c->pid_start : 0));
        if (c->reason && c->state == CTR_TERMINATED)
                json_object_set_new(j, "reason", json_string(c->reason));
        if (c->message)
                json_object_set_new(j, "message", json_string(c->message));
        if (c->cri)
                json_object_set(j, "cri", c->cri);
        if (c->log_path)
                json_object_set_new(j, "logPath", json_string(c->log_path));
        if (c->cgroup && m->cgroup_rel) {
                char *rel = pc_xasprintf("%s/%s", m->cgroup_rel, c->spec->name);
                json_object_set_new(j, "cgroup", json_string(rel));
                free(rel);
        }
        json_object_set_new(j, "dir", json_string(c->dir));
        /* the ids its process runs with, read when it started (status.c) */
        if (c->user_status)
                json_object_set(j, "user", c->user_status);
        return j;
}

static struct pc_ctr *find_ctr(struct pc_monitor *m, const char *id)
{
        for (size_t i = 0; id && *id && i < m->n_app; i++)
                if (!strcmp(m->app[i].container_id, id))
                        return &m->app[i];
        return NULL;
}

static json_t *op_list(struct pc_monitor *m)
{
        json_t *a = json_array();
        for (size_t i = 0; i < m->n_app; i++)
                json_array_append_new(a, ctr_json(m, &m->app[i]));
        return json_pack("{s:b,s:o}", "ok", 1, "containers", a);
}

static void new_id(char out[65])
{
        char a[37], b[37];
        pc_uuid4(a);
        pc_uuid4(b);
        size_t n = 0;
        for (const char *p = a; *p && n < 32; p++)
                if (*p != '-')
                        out[n++] = *p;
        for (const char *p = b; *p && n < 64; p++)
                if (*p != '-')
                        out[n++] = *p;
        out[n] = '\0';
}

/* pod.volumes moved (a realloc, a removal): each image volume's pointer to
 * its volume again, by name. */
static void relink_ivols(struct pc_monitor *m)
{
        for (size_t i = 0; i < m->n_ivols; i++) {
                m->ivols[i].v = NULL;
                for (size_t k = 0; k < m->pod.n_volumes && !m->ivols[i].v; k++)
                        if (!strcmp(m->pod.volumes[k].name, m->ivols[i].name))
                                m->ivols[i].v = &m->pod.volumes[k];
        }
}

/* A CRI container's record, <pod dir>/cri/<id>.json: its create request
 * (with the kubelet's blob and createdAt), written before the container
 * exists and removed with it, so that a monitor adopting the sandbox after
 * this one's death has every container back (pc_control_restore). */
static char *record_path(const struct pc_monitor *m, const char *id)
{
        return pc_xasprintf("%s/cri/%s.json", m->pod_dir, id);
}

/* The container of a create request, decoded by the same code as an
 * applied Pod's (a one-container Pod with the mounts as hostPath volumes);
 * its hostPath volumes join the sandbox Pod's (named after the container
 * id). Appended to m->app as CREATED; NULL and *reply on failure. */
static struct pc_ctr *cri_add(struct pc_monitor *m, json_t *req, const char *id, json_t **reply)
{
        pc_error err;
        *reply = NULL;
        if (m->n_app >= PC_CONTROL_MAX_CTRS) {
                *reply = fail_reply(ENOSPC, "the sandbox has %d containers already",
                                    PC_CONTROL_MAX_CTRS);
                return NULL;
        }
        json_t *ctr = json_object_get(req, "container");
        json_t *img = json_object_get(req, "image");
        json_t *mounts = json_object_get(req, "mounts");
        const char *log_path = json_string_value(json_object_get(req, "logPath"));
        if (!json_is_object(ctr) || !json_is_object(img) || (mounts && !json_is_array(mounts))) {
                *reply = fail_reply(EINVAL, "create: container and image objects are required");
                return NULL;
        }
        if (log_path && log_path[0] != '/') {
                *reply = fail_reply(EINVAL, "create: logPath must be absolute");
                return NULL;
        }
        _cleanup_(jdecrefp) json_t *c2 = json_deep_copy(ctr);
        json_object_set_new(c2, "name", json_string(id));
        json_t *vols = json_array(), *vms = json_array();
        size_t i;
        json_t *mt;
        json_array_foreach(mounts, i, mt)
        {
                const char *hp = json_string_value(json_object_get(mt, "hostPath"));
                const char *cp = json_string_value(json_object_get(mt, "containerPath"));
                json_t *irec = json_object_get(mt, "image");
                const char *iref = json_string_value(json_object_get(mt, "reference"));
                if (json_is_object(irec) && iref && cp && cp[0] == '/') {
                        /* an image volume: read-only, its layers mounted by the runtime */
                        char vname[64];
                        snprintf(vname, sizeof(vname), "%.12s-m%zu", id, i);
                        json_array_append_new(vols,
                                              json_pack("{s:s,s:{s:s,s:s}}", "name", vname, "image",
                                                        "reference", iref, "pullPolicy", "Never"));
                        json_array_append_new(vms, json_pack("{s:s,s:s,s:b}", "name", vname,
                                                             "mountPath", cp, "readOnly", 1));
                        continue;
                }
                if (!hp || !cp || hp[0] != '/' || cp[0] != '/') {
                        json_decref(vols);
                        json_decref(vms);
                        *reply = fail_reply(EINVAL,
                                            "mounts[%zu]: absolute hostPath and "
                                            "containerPath are required",
                                            i);
                        return NULL;
                }
                char vname[64];
                snprintf(vname, sizeof(vname), "%.12s-m%zu", id, i);
                json_array_append_new(
                    vols, json_pack("{s:s,s:{s:s}}", "name", vname, "hostPath", "path", hp));
                json_array_append_new(
                    vms,
                    json_pack("{s:s,s:s,s:b,s:s}", "name", vname, "mountPath", cp, "readOnly",
                              json_is_true(json_object_get(mt, "readonly")), "mountPropagation",
                              json_is_true(json_object_get(mt, "hostToContainer"))
                                  ? "HostToContainer"
                                  : "None"));
        }
        json_object_set_new(c2, "volumeMounts", vms);
        _cleanup_(jdecrefp) json_t *pj = json_pack(
            "{s:s,s:s,s:{s:s,s:s,s:s},s:{s:[O],s:o,s:s}}", "apiVersion", "v1", "kind", "Pod",
            "metadata", "name", m->pod.name, "namespace", m->pod.namespace_, "uid", m->pod.uid,
            "spec", "containers", c2, "volumes", vols, "restartPolicy", "Never");
        struct pc_pod tmp = {0};
        if (!pj || pc_pod_from_json(pj, &tmp, &err) < 0) {
                pc_pod_free(&tmp);
                *reply = fail_reply(EINVAL, "container: %s", pj ? err.msg : "bad request");
                return NULL;
        }
        struct pc_image *image = NULL;
        if (pc_image_from_json(img, &image, &err) < 0) {
                pc_pod_free(&tmp);
                *reply = fail_reply(EINVAL, "image: %s", err.msg);
                return NULL;
        }
        _cleanup_free_ char *dir = pc_xasprintf("%s/containers/%s", m->pod_dir, id);
        if (pc_mkdir_p(dir, 0700, &err) < 0) {
                pc_image_free(image);
                pc_pod_free(&tmp);
                *reply = fail_reply(err.code ? err.code : EIO, "%s", err.msg);
                return NULL;
        }
        /* Steal the container and the volumes from the throwaway Pod. */
        struct pc_container *spec = pc_xcalloc(1, sizeof(*spec));
        *spec = tmp.containers[0];
        memset(&tmp.containers[0], 0, sizeof(tmp.containers[0]));
        if (tmp.n_volumes) {
                m->pod.volumes = pc_xrealloc(m->pod.volumes, (m->pod.n_volumes + tmp.n_volumes) *
                                                                 sizeof(*m->pod.volumes));
                for (size_t k = 0; k < tmp.n_volumes; k++) {
                        m->pod.volumes[m->pod.n_volumes++] = tmp.volumes[k];
                        memset(&tmp.volumes[k], 0, sizeof(tmp.volumes[k]));
                        struct pc_volume *v = &m->pod.volumes[m->pod.n_volumes - 1];
                        if (v->kind != PC_VOL_IMAGE)
                                continue;
                        /* its image, as the CRI server found it in the store */
                        json_t *rec = NULL;
                        json_array_foreach(
                            mounts, i,
                            mt) if (!strcmp(json_string_value(json_object_get(mt, "reference"))
                                                ?: "",
                                            v->image_ref ? v->image_ref : "")) rec =
                            json_object_get(mt, "image");
                        m->ivols = pc_xrealloc(m->ivols, (m->n_ivols + 1) * sizeof(*m->ivols));
                        struct pc_ivol *iv = &m->ivols[m->n_ivols];
                        memset(iv, 0, sizeof(*iv));
                        iv->name = pc_xstrdup(v->name);
                        if (rec && pc_image_from_json(rec, &iv->image, &err) == 0)
                                m->n_ivols++;
                        else
                                free(iv->name);
                }
                relink_ivols(m);
                /* (re)sized lazily by setup.c for payload volumes, which these are not) */
                free(m->volume_written);
                m->volume_written = NULL;
        }
        pc_pod_free(&tmp);

        struct pc_ctr *c = &m->app[m->n_app];
        pc_monitor_ctr_blank(c, spec);
        c->image = image;
        c->reason = pc_xstrdup("ContainerCreated");
        c->dir = STEAL(dir);
        snprintf(c->container_id, sizeof(c->container_id), "%s", id);
        c->log_path = log_path ? pc_xstrdup(log_path) : NULL;
        json_t *cri = json_object_get(req, "cri");
        c->cri = json_is_object(cri) ? json_deep_copy(cri) : json_object();
        m->n_app++;
        return c;
}

/* create (CRI sandboxes only): a new id, its record, the container. */
static json_t *op_create(struct pc_monitor *m, json_t *req)
{
        if (!m->pod.cri_sandbox)
                return fail_reply(EPERM, "containers can be added to CRI sandboxes only");
        if (m->state != POD_RUNNING)
                return fail_reply(EINVAL, "the sandbox is not running");
        char id[65];
        new_id(id);
        _cleanup_(jdecrefp) json_t *rec = json_deep_copy(req);
        json_object_del(rec, "op");
        json_t *cri = json_object_get(rec, "cri");
        if (!json_is_object(cri)) {
                cri = json_object();
                json_object_set_new(rec, "cri", cri);
        }
        json_object_set_new(cri, "createdAt", json_integer(pc_now_ns()));
        json_t *reply = NULL;
        struct pc_ctr *c = cri_add(m, rec, id, &reply);
        if (!c)
                return reply;
        _cleanup_free_ char *rdir = pc_xasprintf("%s/cri", m->pod_dir);
        _cleanup_free_ char *rp = record_path(m, id);
        json_object_set_new(rec, "id", json_string(id));
        _cleanup_free_ char *text = json_dumps(rec, JSON_COMPACT);
        pc_error err;
        if (pc_mkdir_p(rdir, 0700, &err) < 0 ||
            pc_replace_file(rp, text, strlen(text), 0600, &err) < 0) {
                /* not adoptable: not created */
                op_remove(m, c);
                return fail_reply(err.code ? err.code : EIO, "create: %s", err.msg);
        }
        pc_monitor_event(m, c, false, "Created", "Created container %s", id);
        return json_pack("{s:b,s:o}", "ok", 1, "container", ctr_json(m, c));
}

int pc_control_restore(struct pc_monitor *m, pc_error *err)
{
        if (!m->pod.cri_sandbox)
                return 0;
        _cleanup_free_ char *rdir = pc_xasprintf("%s/cri", m->pod_dir);
        DIR *d = opendir(rdir);
        if (!d)
                return errno == ENOENT ? 0 : pc_fail(err, errno, "%s", rdir);
        /* in the order they were created (ListContainers' order) */
        json_t *recs = json_array();
        struct dirent *de;
        while ((de = readdir(d))) {
                if (!pc_str_has_suffix(de->d_name, ".json"))
                        continue;
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", rdir, de->d_name);
                json_t *r = NULL;
                if (pc_json_load(p, &r, err) < 0) {
                        closedir(d);
                        json_decref(recs);
                        return pc_error_prefix(err, "CRI container record");
                }
                size_t at = 0;
                int64_t t =
                    json_integer_value(json_object_get(json_object_get(r, "cri"), "createdAt"));
                while (at < json_array_size(recs) &&
                       json_integer_value(json_object_get(
                           json_object_get(json_array_get(recs, at), "cri"), "createdAt")) <= t)
                        at++;
                json_array_insert_new(recs, at, r);
        }
        closedir(d);
        size_t i;
        json_t *r;
        int rc = 0;
        json_array_foreach(recs, i, r)
        {
                const char *id = json_string_value(json_object_get(r, "id"));
                json_t *reply = NULL;
                if (!id || !cri_add(m, r, id, &reply)) {
                        const char *e = json_string_value(json_object_get(reply, "error"));
                        rc = pc_fail(err, EINVAL, "CRI container %s: %s", id ? id : "?",
                                     e ? e : "no id");
                        json_decref(reply);
                        break;
                }
        }
        json_decref(recs);
        return rc;
}

static json_t *op_start(struct pc_monitor *m, struct pc_ctr *c)
{
        if (!m->pod.cri_sandbox)
                return fail_reply(EPERM, "containers of CRI sandboxes only");
        if (c->ever_started || c->state != CTR_WAITING)
                return fail_reply(EINVAL, "container %s is %s, not CREATED", c->container_id,
                                  state_name(c));
        if (m->state != POD_RUNNING)
                return fail_reply(EINVAL, "the sandbox is not running");
        pc_monitor_start_ctr(m, c);
        if (c->state != CTR_RUNNING && c->config_error) {
                /* nothing ran: the container stays CREATED, the kubelet may retry */
                json_t *r = fail_reply(EINVAL, "%s", c->message ? c->message : "config error");
                c->ever_started = false;
                return r;
        }
        if (c->state != CTR_RUNNING)
                return fail_reply(EIO, "%s", c->message ? c->message : "start failed");
        return json_pack("{s:b,s:o}", "ok", 1, "container", ctr_json(m, c));
}

static json_t *op_stop(struct pc_monitor *m, struct pc_ctr *c, json_t *req)
{
        json_int_t t = json_integer_value(json_object_get(req, "timeout"));
        if (t < 0)
                t = 0;
        if (c->state == CTR_RUNNING) {
                pc_monitor_event(m, c, false, "Killing", "Stopping container %s", c->container_id);
                pc_monitor_stop_ctr(m, c, t);
        } else if (!c->ever_started) {
                /* a created container that never ran: exited, nothing to stop */
                c->ever_started = true;
                c->state = CTR_TERMINATED;
                c->finished_at = pc_now_ns();
        }
        return json_pack("{s:b,s:o}", "ok", 1, "container", ctr_json(m, c));
}

static json_t *op_remove(struct pc_monitor *m, struct pc_ctr *c)
{
        if (c->state == CTR_RUNNING)
                return fail_reply(EBUSY, "container %s is running: stop it first", c->container_id);
        pc_error ignore;
        if (c->cgroup) {
                pc_cgroup_kill(c->cgroup, &ignore);
                pc_cgroup_destroy(c->cgroup, &ignore);
        }
        pc_rm_rf(c->dir, &ignore);
        _cleanup_free_ char *rp = record_path(m, c->container_id);
        unlink(rp);
        /* its volumes leave the Pod */
        char prefix[16];
        snprintf(prefix, sizeof(prefix), "%.12s-m", c->container_id);
        size_t w = 0;
        for (size_t k = 0; k < m->pod.n_volumes; k++) {
                if (pc_str_has_prefix(m->pod.volumes[k].name, prefix)) {
                        struct pc_pod tmp = {0};
                        tmp.volumes = pc_xcalloc(1, sizeof(*tmp.volumes));
                        tmp.volumes[0] = m->pod.volumes[k];
                        tmp.n_volumes = 1;
                        pc_pod_free(&tmp);
                        continue;
                }
                m->pod.volumes[w++] = m->pod.volumes[k];
        }
        m->pod.n_volumes = w;
        /* and its image volumes */
        size_t wi = 0;
        for (size_t k = 0; k < m->n_ivols; k++) {
                if (pc_str_has_prefix(m->ivols[k].name, prefix)) {
                        pc_image_free(m->ivols[k].image);
                        free(m->ivols[k].name);
                        free(m->ivols[k].reason);
                        free(m->ivols[k].message);
                        continue;
                }
                m->ivols[wi++] = m->ivols[k];
        }
        m->n_ivols = wi;
        relink_ivols(m);
        free(m->volume_written);
        m->volume_written = NULL;
        ctr_release(c);
        /* free the rest the monitor holds of it */
        pc_monitor_ctr_free(c);
        size_t idx = (size_t)(c - m->app);
        memmove(&m->app[idx], &m->app[idx + 1], (m->n_app - idx - 1) * sizeof(*m->app));
        m->n_app--;
        memset(&m->app[m->n_app], 0, sizeof(*m->app));
        /* the moved ones' pointers to themselves */
        for (size_t k = idx; k < m->n_app; k++) {
                struct pc_ctr *x = &m->app[k];
                x->watch[0].c = x->watch[1].c = x;
                x->log.o.ctr = x;
                x->sec.seccomp = x->seccomp;
        }
        return json_pack("{s:b}", "ok", 1);
}

/* A Pod update changed the image of container `name` (the one container
 * field the API server lets an update change): image is its images.json
 * record (the image, or {"pull": ...}). As the kubelet's "definition
 * changed": a running app container or sidecar is stopped (its grace
 * period) and started again with the new image whatever the restart
 * policy, with no backoff; one waiting for a restart starts with it at
 * once; one ended for good, and an init container (which runs once), only
 * take the new image for a start still to come. */
static json_t *op_set_image(struct pc_monitor *m, json_t *req)
{
        const char *name = json_string_value(json_object_get(req, "name"));
        json_t *rec = json_object_get(req, "image");
        const char *ref = json_string_value(json_object_get(req, "reference"));
        if (!name || !ref || !json_is_object(rec))
                return fail_reply(EINVAL, "set_image: name, reference and image are required");
        if (m->pod.cri_sandbox)
                return fail_reply(EPERM, "set_image: not for CRI sandboxes");
        if (m->state == POD_TERMINATING || m->state == POD_DONE)
                return fail_reply(EINVAL, "the Pod is terminating");
        struct pc_ctr *c = NULL;
        for (size_t i = 0; i < m->n_app && !c; i++)
                if (!strcmp(m->app[i].spec->name, name))
                        c = &m->app[i];
        for (size_t i = 0; i < m->n_init && !c; i++)
                if (!strcmp(m->init[i].spec->name, name))
                        c = &m->init[i];
        if (!c)
                return fail_reply(ENOENT, "container \"%s\" not found", name);
        struct pc_image *image = NULL;
        json_t *pull = json_object_get(rec, "pull");
        pc_error err;
        if (!pull && pc_image_from_json(rec, &image, &err) < 0)
                return fail_reply(EINVAL, "image: %s", err.msg);
        free(c->spec->image);
        c->spec->image = pc_xstrdup(ref);
        pc_image_free(c->image);
        c->image = image;
        c->pull = (struct pc_pull){.pid = c->pull.pid}; /* a pull in flight is still reaped */
        if (pull)
                pc_pull_init(m, c, pull);
        fprintf(stderr, "podctl-monitor: container %s: image changed to %s\n", name, ref);
        if (c->spec->init && !c->sidecar) {
                /* an init container runs to its end; a later run takes it */
        } else if (c->state == CTR_RUNNING) {
                c->spec_changed = true;
                pc_monitor_event(m, c, false, "Killing",
                                 "Container %s definition changed, will be restarted", name);
                pc_monitor_stop_ctr(m, c, m->pod.termination_grace_period_seconds);
        } else if (c->restart_due) {
                c->restart_due = 1; /* due now */
                c->backoff_ns = 0;
        }
        return json_pack("{s:b}", "ok", 1);
}

/* A Pod update set or lowered activeDeadlineSeconds (the API server allows
 * no raise and no removal; update.c checked): the deadline counts from the
 * Pod's start, as the kubelet's. */
static json_t *op_set_deadline(struct pc_monitor *m, json_t *req)
{
        json_int_t secs = json_integer_value(json_object_get(req, "seconds"));
        if (secs <= 0)
                return fail_reply(EINVAL, "set_deadline: seconds must be positive");
        m->pod.active_deadline_seconds = secs;
        int64_t left = m->start_time + secs * NS_PER_SEC - pc_now_ns();
        m->active_deadline = pc_monotonic_ns() + (left > 0 ? left : 0);
        return json_pack("{s:b}", "ok", 1);
}

/* attach -i: the container's stdin for the client, sent with the reply:
 * the write end of its stdin pipe, or with tty its terminal's master (the
 * client sets the window size on it). Any number of clients may hold it at
 * once. stdinOnce: the first attach takes the monitor's (and the keeper's)
 * copy, so the container reads EOF once that client closes it; later
 * attaches get no stdin. With a terminal that only ends the input: the
 * terminal stays, as under containerd and CRI-O. */
/* podctl debug (src/pod/ephemeral.c validated it and stores it in pod.json):
 * decoded as an applied Pod's container is (the Pod's securityContext as its
 * fallback), then started in the Pod's namespaces (its target's PID
 * namespace with targetContainerName); never restarted. */
static json_t *op_add_ephemeral(struct pc_monitor *m, json_t *req)
{
        pc_error err;
        json_t *ctr = json_object_get(req, "container");
        json_t *img = json_object_get(req, "image");
        if (!json_is_object(ctr) || !json_is_object(img))
                return fail_reply(EINVAL, "add_ephemeral: container and image are required");
        if (m->pod.cri_sandbox)
                return fail_reply(EPERM, "add_ephemeral: not for CRI sandboxes");
        if (m->state != POD_INIT && m->state != POD_RUNNING)
                return fail_reply(EINVAL, "the Pod is not running");
        if (m->n_eph >= PC_MAX_EPHEMERAL)
                return fail_reply(ENOSPC, "the Pod has %d ephemeral containers already",
                                  PC_MAX_EPHEMERAL);
        const char *name = json_string_value(json_object_get(ctr, "name"));
        if (!name || pc_pod_find_container(&m->pod, name))
                return fail_reply(EEXIST, "a container named \"%s\" exists", name ? name : "");
        json_t *spec_j = json_object_get(m->pod.json, "spec");
        _cleanup_(jdecrefp) json_t *pj = json_pack(
            "{s:s,s:s,s:{s:s,s:s},s:{s:[O],s:O?}}", "apiVersion", "v1", "kind", "Pod", "metadata",
            "name", m->pod.name, "namespace", m->pod.namespace_, "spec", "containers", ctr,
            "securityContext", json_object_get(spec_j, "securityContext"));
        struct pc_pod tmp = {0};
        if (!pj || pc_pod_from_json(pj, &tmp, &err) < 0) {
                pc_pod_free(&tmp);
                return fail_reply(EINVAL, "container: %s", pj ? err.msg : "bad request");
        }
        struct pc_container *spec = &m->pod.ephemeral_containers[m->n_eph];
        *spec = tmp.containers[0];
        memset(&tmp.containers[0], 0, sizeof(tmp.containers[0]));
        pc_pod_free(&tmp);
        spec->ephemeral = true;
        const char *target = json_string_value(json_object_get(ctr, "targetContainerName"));
        spec->target_container_name = target ? pc_xstrdup(target) : NULL;
        struct pc_ctr *c = &m->eph[m->n_eph];
        if (pc_monitor_ctr_init(m, c, spec, img, &err) < 0) {
                pc_monitor_ctr_free(c);
                memset(c, 0, sizeof(*c));
                pc_container_free(spec);
                return fail_reply(err.code ? err.code : EINVAL, "%s", err.msg);
        }
        m->n_eph++;
        m->pod.n_ephemeral_containers = m->n_eph;
        pc_monitor_start_ctr(m, c);
        return json_pack("{s:b}", "ok", 1);
}

static json_t *attach_reply(const struct pc_ctr *c)
{
        return json_pack("{s:b,s:b,s:s,s:i,s:s?}", "ok", 1, "tty", c->spec->tty, "id",
                         c->container_id, "pid", (int)c->pid, "logPath", c->log.path);
}

static json_t *op_attach(struct pc_monitor *m, json_t *req, int *fd_out)
{
        const char *name = json_string_value(json_object_get(req, "name"));
        const char *id = json_string_value(json_object_get(req, "id"));
        struct pc_ctr *c = id ? find_ctr(m, id) : NULL;
        for (size_t i = 0; name && i < m->n_app && !c; i++)
                if (!strcmp(m->app[i].spec->name, name))
                        c = &m->app[i];
        for (size_t i = 0; name && i < m->n_init && !c; i++)
                if (!strcmp(m->init[i].spec->name, name))
                        c = &m->init[i];
        for (size_t i = 0; name && i < m->n_eph && !c; i++)
                if (!strcmp(m->eph[i].spec->name, name))
                        c = &m->eph[i];
        const char *what = name ? name : id ? id : "";
        if (!c)
                return fail_reply(ENOENT, "container \"%s\" not found", what);
        json_t *want = json_object_get(req, "stdin");
        if (json_is_false(want)) {
                if (c->state != CTR_RUNNING)
                        return fail_reply(EINVAL, "container %s is not running", c->spec->name);
                return attach_reply(c);
        }
        if (!c->spec->stdin_open)
                return fail_reply(EINVAL,
                                  "container %s does not have stdin enabled (stdin: true is not "
                                  "set)",
                                  c->spec->name);
        if (c->state != CTR_RUNNING)
                return fail_reply(EINVAL, "container %s is not running", c->spec->name);
        if (c->in_fd < 0)
                return fail_reply(EPIPE,
                                  "container %s: its stdin was closed after the first attach "
                                  "(stdinOnce: true)",
                                  c->spec->name);
        if (c->spec->stdin_once) {
                *fd_out = c->in_fd;
                c->in_fd = -1;
                pc_adopt_release(m, c, PC_STREAM_IN);
        } else if ((*fd_out = fcntl(c->in_fd, F_DUPFD_CLOEXEC, 3)) < 0) {
                return fail_reply(errno, "container %s: stdin: %s", c->spec->name, strerror(errno));
        }
        return attach_reply(c);
}

static json_t *dispatch(struct pc_monitor *m, json_t *req, int *fd_out)
{
        const char *op = json_string_value(json_object_get(req, "op"));
        if (!op)
                return fail_reply(EINVAL, "request without \"op\"");
        if (!strcmp(op, "list"))
                return op_list(m);
        if (!strcmp(op, "create"))
                return op_create(m, req);
        if (!strcmp(op, "set_image"))
                return op_set_image(m, req);
        if (!strcmp(op, "set_deadline"))
                return op_set_deadline(m, req);
        if (!strcmp(op, "attach"))
                return op_attach(m, req, fd_out);
        if (!strcmp(op, "add_ephemeral"))
                return op_add_ephemeral(m, req);
        if (!strcmp(op, "resize"))
                return pc_resize_op(m, req);
        if (!strcmp(op, "resize_pending"))
                return pc_resize_pending_op(m, req);
        const char *id = json_string_value(json_object_get(req, "id"));
        bool known = !strcmp(op, "status") || !strcmp(op, "start") || !strcmp(op, "stop") ||
                     !strcmp(op, "remove") || !strcmp(op, "reopen_log");
        if (!known)
                return fail_reply(EINVAL, "unknown op \"%s\"", op);
        struct pc_ctr *c = find_ctr(m, id);
        if (!c)
                return fail_reply(ENOENT, "container \"%s\" not found", id ? id : "");
        if (!strcmp(op, "status"))
                return json_pack("{s:b,s:o}", "ok", 1, "container", ctr_json(m, c));
        if (!strcmp(op, "start"))
                return op_start(m, c);
        if (!strcmp(op, "stop"))
                return op_stop(m, c, req);
        if (!strcmp(op, "reopen_log")) {
                if (c->state != CTR_RUNNING)
                        return fail_reply(EINVAL, "container %s is not running", c->container_id);
                pc_log_reopen(&c->log);
                if (c->log.fd < 0)
                        return fail_reply(EIO, "cannot reopen %s", c->log.path);
                return json_pack("{s:b}", "ok", 1);
        }
        return op_remove(m, c);
}

/* The reply, with fd (>= 0) as SCM_RIGHTS; fd is closed either way. */
static void send_reply_fd(struct pc_monitor *m, struct conn *cn, json_t *reply, int fd)
{
        char *s = json_dumps(reply, JSON_COMPACT);
        json_decref(reply);
        if (!s || pc_sendmsg_fd(cn->fd, s, strlen(s), fd, MSG_DONTWAIT) < 0)
                conn_close(m, cn);
        free(s);
        close(fd);
}

static void send_reply(struct pc_monitor *m, struct conn *cn, json_t *reply)
{
        char *s = json_dumps(reply, JSON_COMPACT);
        json_decref(reply);
        if (!s || strlen(s) > PC_CONTROL_MAX_REPLY) {
                free(s);
                s = pc_xasprintf("{\"ok\":false,\"code\":%d,\"error\":\"reply too big\"}", E2BIG);
        }
        /* The client waits for it; a full buffer means a client that does
         * not read: it loses its connection, the monitor never blocks. */
        if (send(cn->fd, s, strlen(s), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                conn_close(m, cn);
        free(s);
}

static void on_conn(struct pc_monitor *m, struct conn *cn)
{
        static char buf[PC_CONTROL_MAX_MSG + 1];
        ssize_t n = recv(cn->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                conn_close(m, cn);
                return;
        }
        if ((size_t)n > PC_CONTROL_MAX_MSG) {
                send_reply(
                    m, cn,
                    fail_reply(E2BIG, "message of %zd bytes: at most %d", n, PC_CONTROL_MAX_MSG));
                conn_close(m, cn);
                return;
        }
        json_error_t je;
        json_t *req = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(req)) {
                json_decref(req);
                send_reply(m, cn, fail_reply(EINVAL, "not a JSON object: %s", je.text));
                conn_close(m, cn);
                return;
        }
        int fd = -1;
        json_t *reply = dispatch(m, req, &fd);
        json_decref(req);
        if (fd >= 0)
                send_reply_fd(m, cn, reply, fd);
        else
                send_reply(m, cn, reply);
        pc_monitor_write_status(m, false);
}

bool pc_control_event(struct pc_monitor *m, void *ptr)
{
        if (!ctl.open)
                return false;
        if (ptr == &listen_tag) {
                int fd;
                while ((fd = accept4(ctl.listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >=
                       0) {
                        struct conn *cn = NULL;
                        for (size_t i = 0; i < MAX_CONNS && !cn; i++)
                                if (ctl.conns[i].fd < 0)
                                        cn = &ctl.conns[i];
                        if (!cn) {
                                close(fd); /* too many clients at once */
                                continue;
                        }
                        cn->fd = fd;
                        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = cn};
                        if (epoll_ctl(m->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
                                conn_close(m, cn);
                }
                return true;
        }
        for (size_t i = 0; i < MAX_CONNS; i++) {
                if (ptr == &ctl.conns[i]) {
                        on_conn(m, &ctl.conns[i]);
                        return true;
                }
        }
        return false;
}
