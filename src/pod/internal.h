/* Internal to the pod module. */
#ifndef PODCTL_POD_INTERNAL_H
#define PODCTL_POD_INTERNAL_H

#include "podctl/podctl.h"
#include "state/state.h"

struct podctl {
        struct pc_root root;
};

/* Sum of the effective requests of the Pods that hold resources; with rows,
 * one object per such Pod (requests and limits). */
int pc_node_books(podctl *ctx, struct pc_pod_resources *requested, json_t *rows, pc_error *err);
/* Would `pod` fit what is left? ENOSPC with Kubernetes' wording if not.
 * Call under the root lock. */
int pc_node_admit(podctl *ctx, const struct pc_pod *pod, pc_error *err);
/* The Pod's security settings against this node (security.c): sysctls
 * allowed, AppArmor available, Localhost seccomp profiles present and valid. */
int pc_security_admit(podctl *ctx, const struct pc_pod *pod, pc_error *err);

#endif
