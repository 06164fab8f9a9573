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
int pc_node_admit(podctl *ctx, const struct pc_node *node, const struct pc_pod *pod, pc_error *err);
/* Would `pod` (an existing Pod with new requests: an in-place resize) fit
 * the node, beside the other Pods? As the kubelet's canResizePod: reason
 * "Infeasible" (more than the node's allocatable) or "Deferred" (not beside
 * the others), with the kubelet's message and ENOSPC. Root lock held. */
int pc_node_admit_resize(podctl *ctx, const struct pc_node *node, const struct pc_pod *pod,
                         const char **reason, pc_error *err);
/* resize.c: is p (a path of spec_diff) in a container's resources, or the
 * Pod-level spec.resources? */
bool pc_resize_path(const char *p);
/* Resize the Pod of ps (root lock held) to want, a copy of its pod.json in
 * which only containers' resources differ: checked as the API server's
 * ValidatePodResize, admitted against the node, carried out by the monitor
 * (control "resize"), then pod.json written. PODCTL_UPDATED, or -1 with
 * the API server's refusal (EINVAL), or the node's (ENOSPC: the Pod then
 * shows PodResizePending). */
int pc_pod_resize_locked(podctl *ctx, struct pc_pod_state *ps, json_t *want, pc_error *err);
/* Make the Pod's books.json (its requests, limits and hostPorts, decoded
 * once from its pod.json) after pod.json is written: admission then reads
 * that instead of decoding every Pod's spec. A cache: when it is missing or
 * names another pod.json, admission decodes pod.json (node.c). */
void pc_node_books_cache(const char *pod_dir);
/* Does the status.json text buf say the Pod still holds its reservation
 * (its phase is neither Succeeded nor Failed)? Reads the phase without
 * parsing the whole file when it has the monitor's layout. */
bool pc_node_status_holds(const char *buf, size_t len);
/* The Pod's security settings against this node (security.c): sysctls
 * allowed, AppArmor available, Localhost seccomp profiles present and valid. */
int pc_security_admit(podctl *ctx, const struct pc_node *node, const struct pc_pod *pod,
                      pc_error *err);

/* gc.c. Every root opened is recorded here, so `gc` of any root knows
 * which Pods of other roots own cgroups, leases and logs. */
#define PC_ROOTS_REGISTRY "/run/podctl/roots"
void pc_gc_register_root(const char *root);
/* The cheap part of gc run by every create and delete (root lock held): the
 * pod dir pods/KEY if it is debris (no live monitor, and no status.json or
 * no pod.json that parses: what an apply or a delete killed half-way left),
 * and mounts below pod dirs that are gone. The debris of other Pods goes at
 * the next walk of the books (pc_node_admit: every create), which calls
 * pc_gc_debris_dir for each Pod dir whose two files it cannot stat. */
void pc_gc_debris(podctl *ctx, const char *key);
void pc_gc_debris_dir(podctl *ctx, const char *key);

/* pod.c: start a Pod's monitor detached, with the pod's monitor.lock
 * (flocked by the caller) and the write end of a report pipe; read its
 * report ("error" lines into *errors, -1 on "fatal") for at most wait_ms. */
/* Start a new monitor for a loaded Pod whose monitor is dead (pc_pod_adopt)
 * and reload ps; nothing when a monitor runs, the Pod is finished, or
 * PODCTL_ADOPT=0. Never call it with the root lock held. */
void pc_pod_adopt_if_lost(podctl *ctx, struct pc_pod_state *ps);
/* The same for the Pod of key (ns_name), when it exists (before the root
 * lock: the adopting monitor's start must not wait on it). */
void pc_pod_adopt_key_if_lost(podctl *ctx, const char *key);
/* change.c: a change of the Pod ns/name's spec (update, resize, ephemeral
 * containers) begins: its monitor re-adopted if it was lost, the root lock
 * taken, its state loaded (ENOENT: "pods \"NAME\" not found", nothing held).
 * pc_pod_change_end frees the state and lets the lock go. */
int pc_pod_change_begin(podctl *ctx, const char *ns, const char *name, struct pc_pod_state *ps,
                        pc_error *err);
void pc_pod_change_end(podctl *ctx, struct pc_pod_state *ps);
/* The API server's refusal: "The Pod \"NAME\" is invalid: WHAT" (EINVAL). */
int pc_pod_invalid(pc_error *err, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* list.c: a Pod as the listing needs it (pod, status, finished,
 * monitor_alive; no runtime nor events) from its list.json when that names
 * the pod.json and status.json there are, else read in full
 * (pc_pod_state_load) and list.json made again. PC_LIST_ROWS: pod and
 * status are only their rows (below); PC_LIST_PRINTED: also, when the Pod
 * is not lost (its monitor runs or it is finished) and the cache had it,
 * *printed is the Pod object's json_dumps with PC_LIST_PRINTED_FLAGS (to
 * free; NULL otherwise). */
#define PC_LIST_FILE          "list.json"
#define PC_LIST_PRINTED_FLAGS (JSON_INDENT(4) | JSON_PRESERVE_ORDER)
enum pc_list_view { PC_LIST_FULL, PC_LIST_ROWS, PC_LIST_PRINTED };
int pc_pod_list_load(const struct pc_root *r, const char *key, enum pc_list_view view,
                     struct pc_pod_state *ps, char **printed, pc_error *err);
/* Its two halves: -1 when list.json is missing, stale or broken; a save
 * of a Pod read in full (nothing for one without status.json, or while the
 * root lock is held exclusively). */
int pc_pod_list_cache_load(const struct pc_root *r, const char *key, enum pc_list_view view,
                           struct pc_pod_state *ps, char **printed);
void pc_pod_list_cache_save(const struct pc_root *r, const struct pc_pod_state *ps);
/* A Pod's row: of pod.json what kubectl's printPod and -l read (kind,
 * metadata's name, namespace, uid, labels, creation and deletion
 * timestamps; spec's containers' names, init containers' names and
 * restartPolicy), of the status phase, reason, message, podIP, conditions'
 * type and status, container statuses' name, state, ready, started and
 * restartCount. What src/cli's table printers read must be in it. */
json_t *pc_pod_row_pod(json_t *pod);
json_t *pc_pod_row_status(json_t *status);
/* ps's pod and status made their rows (again: a row's row is itself). */
void pc_pod_state_rows(struct pc_pod_state *ps);
/* The images.json records of a Pod's containers (by name): each its
 * image from the store, or {"pull": ...} for the monitor to pull. */
int pc_pod_check_images(podctl *ctx, const struct pc_pod *pod, json_t **records, pc_error *err);
int pc_spawn_monitor(podctl *ctx, const char *dir, int lock_fd, int report_w, pc_error *err);
int pc_read_report(int fd, int wait_ms, char ***errors, pc_error *err);

#endif
