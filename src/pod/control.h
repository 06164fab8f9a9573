/* The client of a Pod monitor's control channel (src/monitor/control.c). */
#ifndef PODCTL_POD_CONTROL_H
#define PODCTL_POD_CONTROL_H

#include <jansson.h>

#include "podctl/podctl.h"
#include "util/error.h"

/* <pod dir>/cri-containers.json: a stopped CRI sandbox's containers as
 * "list" gave them last (written when its monitor ends). */
#define PC_CONTROL_FINAL "cri-containers.json"

/* Send one request to the monitor of the Pod in dir and wait for its reply
 * (at most timeout_ms; <= 0: 30 s). A reply {"ok": false, ...} is a failure
 * with its code and error; *reply (new reference) is the whole reply on
 * success. ECONNREFUSED/ENOENT: no monitor listens. */
int pc_monitor_call(const char *dir, json_t *req, json_t **reply, int timeout_ms, pc_error *err);
/* The same for a reply that may carry an fd (SCM_RIGHTS): *fd_out is it
 * (O_CLOEXEC) or -1; fd_out NULL: one that comes is closed. */
int pc_monitor_call_fd(const char *dir, json_t *req, json_t **reply, int *fd_out, int timeout_ms,
                       pc_error *err);
/* attach -i: the stdin of the running container `container` of the Pod
 * ns/name (see the monitor's "attach"): *fd to write it (with *tty, the
 * terminal's master: also for TIOCSWINSZ). */
int podctl_pod_attach_stdin(podctl *ctx, const char *ns, const char *name, const char *container,
                            int *fd, bool *tty, pc_error *err);
/* The same for the Pod ns/name of ctx's root. */
int podctl_pod_control(podctl *ctx, const char *ns, const char *name, json_t *req, json_t **reply,
                       pc_error *err);

/* The state dir of the Pod ns/name of ctx's root (caller frees). */
char *podctl_pod_dir_path(podctl *ctx, const char *ns, const char *name);

#endif
