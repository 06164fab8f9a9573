/* Probe and lifecycle-hook runner: one attempt of a pc_handler in a child
 * process, so the monitor's event loop never blocks.
 *
 * Usage (from the event loop):
 *
 *   pid_t pid; int fd;
 *   if (pc_handler_start(&c->liveness.handler, &target, &pid, &fd, &err) < 0)
 *           ... the attempt failed to start: count it as a failure (err.msg);
 *   ... poll fd (read the reason until EOF), arm a timer for timeoutSeconds;
 *   ... on timeout: kill(pid, SIGKILL) and count a failure
 *       ("command timed out" / "context deadline exceeded");
 *   ... on SIGCHLD: waitpid(pid): WIFEXITED && WEXITSTATUS == 0 -> success,
 *       anything else -> failure; the reason is what was read from fd
 *       (pc_handler_reason() tidies it).
 *
 * Every kind runs in exactly one process, a direct child of the caller, that
 * does not fork again (exec: the process that execs the command itself), so
 * SIGKILL on *pid stops it completely. For exec, processes the command starts
 * itself are in the container's cgroup (t->cgroup) like the kubelet's exec
 * probes; the monitor kills them with the container.
 *
 * The child starts with an empty signal mask and default dispositions, and
 * holds no fd of the caller but the write end of *out_fd's pipe (exec: and
 * /dev/null as stdin).
 */
#ifndef PODCTL_MONITOR_PROBE_H
#define PODCTL_MONITOR_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "runtime/runtime.h"
#include "spec/spec.h"
#include "util/error.h"

struct pc_probe_target {
        pid_t container_pid; /* a running process of the container (exec: its namespaces,
                                root; exec only) */
        int netns_fd;        /* the Pod's network namespace (pause's); -1 = the caller's
                                (host network) */
        char **envp;         /* exec: the container's environment */
        const char *cwd;     /* exec: NULL = "/" */
        uid_t uid;           /* exec */
        gid_t gid;           /* exec */
        gid_t *groups;       /* exec: supplementary groups (may be NULL) */
        size_t n_groups;
        struct pc_proc_sec sec; /* exec: as the container's processes are sealed */
        pc_cgroup *cgroup;      /* exec: the container's cgroup to join, or NULL */
        int timeout_seconds;    /* http/tcp/grpc: socket timeouts and an alarm in the child, a
                                   safety net under the caller's SIGKILL; 0 = none */
        const char *pod_ip;     /* default host for http/tcp/grpc when the handler has none:
                                   NULL -> 127.0.0.1 (inside netns_fd) */
        const char *helper;     /* podctl-probe (HTTPS and gRPC), e.g. <libexec>/podctl-probe */
        bool hook;              /* a lifecycle hook, not a probe (httpGet: any response succeeds,
                                   User-Agent kube-lifecycle/...) */
};

/* Start one attempt of handler h (any kind but PC_HANDLER_NONE) in a child
 * process of the caller. The child exits 0 on success and non-zero on
 * failure; it writes a short reason to the pipe whose read end is returned in
 * *out_fd (O_CLOEXEC, O_NONBLOCK), as the kubelet words it:
 *   http:  "HTTP probe failed with statuscode: 500",
 *          "Get \"http://127.0.0.1:8080/healthz\": dial tcp 127.0.0.1:8080:
 *           connect: connection refused"
 *   tcp:   "dial tcp 127.0.0.1:8080: connect: connection refused"
 *   grpc:  "service unhealthy (responded with \"NOT_SERVING\")",
 *          "rpc error: code = Unavailable desc = ..."
 *   exec:  the command's own stdout+stderr (read at most the first 1 KB; the
 *          child may write more, keep draining or close the fd)
 *   sleep: nothing.
 * Returns -1 (err filled, nothing left running) when the attempt could not
 * be started; for exec that includes "command not found"-like errors found
 * before exec (the kubelet reports those as probe failures too).
 * Exit status 3 is a success with a warning: the reason's first word is the
 * event's reason, the rest its message ("ProbeWarning Probe terminated
 * redirects, Response body: ...", "LifecycleHTTPFallback request to HTTPS
 * lifecycle hook ... got HTTP response, retry with HTTP succeeded").
 * The caller enforces the timeout by SIGKILLing *pid, and must reap it. */
int pc_handler_start(const struct pc_handler *h, const struct pc_probe_target *t, pid_t *pid,
                     int *out_fd, pc_error *err);

/* Helper for messages: copy the reason read from the pipe (buf, len) to out
 * (size outlen), trimmed of trailing whitespace/newlines, non-printable bytes
 * replaced by '?', truncated to outlen-1. */
void pc_handler_reason(const char *buf, size_t len, char *out, size_t outlen);

/* "exec", "httpGet", "tcpSocket", "grpc", "sleep" (for events/messages). */
const char *pc_handler_kind_name(int kind);

#endif
