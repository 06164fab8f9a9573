/* The client of a Pod monitor's control channel: one SOCK_SEQPACKET message
 * out, one back (src/monitor/control.c). */
#include "pod/control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "pod/internal.h"
#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/util.h"

int pc_monitor_call(const char *dir, json_t *req, json_t **reply, int timeout_ms, pc_error *err)
{
        return pc_monitor_call_fd(dir, req, reply, NULL, timeout_ms, err);
}

int pc_monitor_call_fd(const char *dir, json_t *req, json_t **reply, int *fd_out, int timeout_ms,
                       pc_error *err)
{
        *reply = NULL;
        if (fd_out)
                *fd_out = -1;
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        _cleanup_free_ char *path = pc_xasprintf("%s/control.sock", dir);
        /* through the directory's fd: a Pod dir may be longer than sun_path */
        _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return pc_fail(err, errno, "%s", dir);
        snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/control.sock", dfd);
        _cleanup_free_ char *msg = json_dumps(req, JSON_COMPACT);
        if (!msg)
                return pc_fail(err, EINVAL, "control request: cannot encode");
        if (strlen(msg) > PC_CONTROL_MAX_MSG)
                return pc_fail(err, E2BIG, "control request of %zu bytes: at most %d", strlen(msg),
                               PC_CONTROL_MAX_MSG);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return pc_fail(err, errno, "socket");
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
                return pc_fail(err, errno, "the Pod's monitor (%s)", path);
        if (send(fd, msg, strlen(msg), MSG_NOSIGNAL) < 0)
                return pc_fail(err, errno, "the Pod's monitor: send");
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r;
        while ((r = poll(&p, 1, timeout_ms > 0 ? timeout_ms : 30000)) < 0 && errno == EINTR)
                ;
        if (r == 0)
                return pc_fail(err, ETIMEDOUT, "the Pod's monitor does not answer");
        if (r < 0)
                return pc_fail(err, errno, "poll");
        _cleanup_free_ char *buf = pc_xmalloc(PC_CONTROL_MAX_REPLY + 1);
        _cleanup_close_ int got = -1;
        ssize_t n = pc_recvmsg_fd(fd, buf, PC_CONTROL_MAX_REPLY + 1, &got, MSG_TRUNC);
        if (n < 0)
                return pc_fail(err, errno, "the Pod's monitor: recv");
        if (n == 0)
                return pc_fail(err, ECONNRESET, "the Pod's monitor closed the connection");
        if ((size_t)n > PC_CONTROL_MAX_REPLY)
                return pc_fail(err, E2BIG, "the Pod's monitor: reply too big");
        json_error_t je;
        json_t *j = json_loadb(buf, (size_t)n, 0, &je);
        if (!json_is_object(j)) {
                json_decref(j);
                return pc_fail(err, EPROTO, "the Pod's monitor: bad reply: %s", je.text);
        }
        if (!json_is_true(json_object_get(j, "ok"))) {
                const char *e = json_string_value(json_object_get(j, "error"));
                pc_error_clear(err);
                snprintf(err->msg, sizeof(err->msg), "%s", e ? e : "failed");
                err->code = (int)json_integer_value(json_object_get(j, "code"));
                if (!err->code)
                        err->code = EIO;
                json_decref(j);
                return -1;
        }
        *reply = j;
        if (fd_out)
                *fd_out = STEAL_FD(got);
        return 0;
}

int podctl_pod_control(podctl *ctx, const char *ns, const char *name, json_t *req, json_t **reply,
                       pc_error *err)
{
        _cleanup_free_ char *dir = pc_pod_dir(&ctx->root, ns, name);
        return pc_monitor_call(dir, req, reply, 0, err);
}

int podctl_pod_attach_stdin(podctl *ctx, const char *ns, const char *name, const char *container,
                            int *fd, bool *tty, pc_error *err)
{
        _cleanup_free_ char *dir = pc_pod_dir(&ctx->root, ns, name);
        json_t *req = json_pack("{s:s,s:s}", "op", "attach", "name", container);
        json_t *reply = NULL;
        int r = pc_monitor_call_fd(dir, req, &reply, fd, 0, err);
        json_decref(req);
        if (r == 0 && *fd < 0) {
                json_decref(reply);
                return pc_fail(err, EPROTO, "the Pod's monitor sent no stdin");
        }
        if (r == 0)
                *tty = json_is_true(json_object_get(reply, "tty"));
        json_decref(reply);
        return r;
}

char *podctl_pod_dir_path(podctl *ctx, const char *ns, const char *name)
{
        return pc_pod_dir(&ctx->root, ns, name);
}
