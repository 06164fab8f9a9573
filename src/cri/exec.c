/* Exec: the URL of an exec session in a running container of the CRI root
 * (src/cri/stream.c runs it): a CRI container (its ID, or a unique prefix),
 * or a container of a Pod applied into the CRI root (the id of its
 * `containerID` "podctl://<id>"). */
#include <errno.h>
#include <string.h>

#include "cri/internal.h"
#include "cri/stream.h"
#include "util/cleanup.h"
#include "util/util.h"

/* Find the running container `id` among the root's Pods: its Pod's
 * namespace and name, and its name. */
static int find_container(struct cri_call *c, podctl *ctx, const char *id, const char **ns,
                          const char **pod, const char **name, pc_error *err)
{
        if (!id || !*id)
                return pc_fail(err, EINVAL, "container_id: Required value");
        json_t *pods = NULL;
        if (podctl_pod_list(ctx, NULL, &pods, err) < 0)
                return -1;
        cri_keep(c, pods);
        size_t i, k, n = strlen(id), found = 0;
        json_t *p, *cs;
        bool running = false;
        json_array_foreach(pods, i, p)
        {
                static const char *const lists[] = {"containerStatuses", "initContainerStatuses"};
                for (int l = 0; l < 2; l++)
                        json_array_foreach(json_object_get(json_object_get(p, "status"), lists[l]),
                                           k, cs)
                        {
                                const char *cid =
                                    json_string_value(json_object_get(cs, "containerID"));
                                if (!cid || strncmp(cid, "podctl://", 9) || strncmp(cid + 9, id, n))
                                        continue;
                                found++;
                                json_t *md = json_object_get(p, "metadata");
                                *ns = json_string_value(json_object_get(md, "namespace"));
                                *pod = json_string_value(json_object_get(md, "name"));
                                *name = json_string_value(json_object_get(cs, "name"));
                                running = json_object_get(json_object_get(cs, "state"),
                                                          "running") != NULL;
                        }
        }
        if (found == 0)
                return pc_fail(err, ENOENT, "container \"%s\" not found", id);
        if (found > 1)
                return pc_fail(err, EINVAL, "container_id: \"%s\" names more than one container",
                               id);
        if (!running)
                return pc_fail(err, EINVAL, "container %s is not running", id);
        return 0;
}

/* Exec's and Attach's common part: the checks the kubelet's streaming
 * server makes, the container, and a URL for r (filled with the streams;
 * taken over). */
static void stream_reply(struct cri_call *c, const char *container_id, struct pc_stream_req *r,
                         bool attach)
{
        pc_error err = {0};
        char *url = NULL;
        if (!r->in && !r->out && !r->err) {
                pc_fail(&err, EINVAL, "one of stdin, stdout, or stderr must be set");
                goto fail;
        }
        if (r->tty && r->err) {
                pc_fail(&err, EINVAL, "tty and stderr cannot both be true");
                goto fail;
        }
        podctl *ctx = cri_ctx(c, &err);
        const char *ns = NULL, *pod = NULL, *name = NULL;
        bool running = false;
        int rc =
            ctx ? cri_container_ref(c, ctx, container_id, &ns, &pod, &name, &running, &err) : -1;
        if (rc == 0 && !running)
                rc = pc_fail(&err, EINVAL, "container %s is not running", container_id);
        /* not a CRI container: a container of a Pod applied into the CRI root */
        if (ctx && rc < 0 && err.code == ENOENT && container_id && *container_id)
                rc = find_container(c, ctx, container_id, &ns, &pod, &name, &err);
        if (rc == 0) {
                r->root = pc_xstrdup(c->cri->cri_root);
                r->ns = pc_xstrdup(ns);
                r->pod = pc_xstrdup(pod);
                r->container = pc_xstrdup(name);
        }
        podctl_close(ctx);
        if (rc < 0)
                goto fail;
        if (pc_stream_url(c->cri->stream, r, &url, &err) < 0)
                return cri_reply_err(c, &err);
        if (attach) {
                Runtime__V1__AttachResponse out = RUNTIME__V1__ATTACH_RESPONSE__INIT;
                out.url = cri_strdup(c, url);
                free(url);
                return cri_reply(c, &out.base);
        }
        Runtime__V1__ExecResponse out = RUNTIME__V1__EXEC_RESPONSE__INIT;
        out.url = cri_strdup(c, url);
        free(url);
        return cri_reply(c, &out.base);
fail:
        pc_stream_req_free(r);
        cri_reply_err(c, &err);
}

void cri_exec(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__ExecRequest *q = (const void *)req;
        if (q->n_cmd == 0 || !q->cmd[0][0]) {
                pc_error err = {0};
                pc_fail(&err, EINVAL, "cmd: Required value");
                return cri_reply_err(c, &err);
        }
        struct pc_stream_req *r = pc_xcalloc(1, sizeof(*r));
        r->kind = PC_STREAM_EXEC;
        r->argv = pc_xcalloc(q->n_cmd + 1, sizeof(char *));
        for (size_t i = 0; i < q->n_cmd; i++)
                r->argv[i] = pc_xstrdup(q->cmd[i]);
        r->tty = q->tty;
        r->in = q->stdin;
        r->out = q->stdout;
        r->err = q->stderr;
        stream_reply(c, q->container_id, r, false);
}

/* Attach: the container's own stdin (stdin: true), terminal (tty: true) and
 * output from now on; the streaming session's worker asks the Pod's
 * monitor for them (stream.c). */
void cri_attach(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__AttachRequest *q = (const void *)req;
        struct pc_stream_req *r = pc_xcalloc(1, sizeof(*r));
        r->kind = PC_STREAM_ATTACH;
        r->tty = q->tty;
        r->in = q->stdin;
        r->out = q->stdout;
        r->err = q->stderr;
        stream_reply(c, q->container_id, r, true);
}
