/* Internal to the CRI module. */
#ifndef PODCTL_CRI_INTERNAL_H
#define PODCTL_CRI_INTERNAL_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.pb-c.h"
#include "cri/grpc.h"
#include "podctl/podctl.h"

struct pc_cri {
        char *root;     /* the podctl root: its image store is the CRI's */
        char *cri_root; /* <root>/cri: the podctl root of the CRI sandboxes */
        char *log_dir;
        struct pc_stream_server *stream; /* Exec/Attach/PortForward URLs (stream.c) */
        bool systemd_cgroups;            /* --cgroup-driver systemd (cri.h) */
};

/* One call: its allocations (freed together when it is answered) and reply. */
struct cri_call {
        const struct pc_cri *cri;
        struct pc_grpc_reply *out;
        void **allocs;
        size_t n_allocs, cap_allocs;
        json_t **jsons;
        size_t n_jsons, cap_jsons;
};

void *cri_alloc(struct cri_call *c, size_t size); /* zeroed */
/* An error of the request (no errno text appended), with its code: -1. */
int cri_bad(pc_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(...) */
void cri_ctx_closep(podctl **p);
/* Free what the call allocated so far (a long call frees as it goes). */
void cri_call_release(struct cri_call *c);
char *cri_strdup(struct cri_call *c, const char *s);
/* A message of descriptor d, initialised to its defaults. */
void *cri_new(struct cri_call *c, const ProtobufCMessageDescriptor *d);
#define CRI_NEW(c, type, name) ((type *)cri_new((c), &runtime__v1__##name##__descriptor))
char *cri_printf(struct cri_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Keep a JSON value alive until the call ends (its strings may be used). */
json_t *cri_keep(struct cri_call *c, json_t *j);
/* Answer OK with msg. */
void cri_reply(struct cri_call *c, const ProtobufCMessage *msg);
/* Answer an error: code from err->code (ENOENT: NOT_FOUND, EINVAL:
 * INVALID_ARGUMENT, EEXIST: ALREADY_EXISTS, else UNKNOWN). */
void cri_reply_err(struct cri_call *c, const pc_error *err);
/* A map<string,string> field from a JSON object of strings (or NULL). The
 * entry descriptor is the field's (e.g. runtime__v1__pod_sandbox__labels_entry__descriptor). */
void *cri_map(struct cri_call *c, const ProtobufCMessageDescriptor *d, json_t *obj, size_t *n);
/* A JSON object from a map field's entries (new reference). */
json_t *cri_map_json(void *entries, size_t n);
/* The library on the CRI root, opened for this call. */
podctl *cri_ctx(struct cri_call *c, pc_error *err);
int64_t cri_now_ns(void);

/* image.c */
void cri_list_images(struct cri_call *c, const ProtobufCMessage *req);
void cri_image_status(struct cri_call *c, const ProtobufCMessage *req);
void cri_pull_image(struct cri_call *c, const ProtobufCMessage *req);
void cri_remove_image(struct cri_call *c, const ProtobufCMessage *req);
void cri_image_fs_info(struct cri_call *c, const ProtobufCMessage *req);

/* sandbox.c */
void cri_run_sandbox(struct cri_call *c, const ProtobufCMessage *req);
void cri_stop_sandbox(struct cri_call *c, const ProtobufCMessage *req);
void cri_remove_sandbox(struct cri_call *c, const ProtobufCMessage *req);
void cri_sandbox_status(struct cri_call *c, const ProtobufCMessage *req);
void cri_list_sandboxes(struct cri_call *c, const ProtobufCMessage *req);
void cri_port_forward(struct cri_call *c, const ProtobufCMessage *req);

/* runtime_config.c */
void cri_update_runtime_config(struct cri_call *c, const ProtobufCMessage *req);

/* container.c, for exec.c: the Pod and name of CRI container `id` */
int cri_container_ref(struct cri_call *c, podctl *ctx, const char *id, const char **ns,
                      const char **pod, const char **name, bool *running, pc_error *err);

/* UpdatePodSandboxResources (sandbox.c): the Pod cgroup takes them */
void cri_update_sandbox_resources(struct cri_call *c, const ProtobufCMessage *req);

/* PodSandboxStats, ListPodSandboxStats (container.c) */
void cri_sandbox_stats(struct cri_call *c, const ProtobufCMessage *req);
void cri_list_sandbox_stats(struct cri_call *c, const ProtobufCMessage *req);
/* metrics.c: ListMetricDescriptors, ListPodSandboxMetrics (cadvisor's
 * names, as CRI-O's stats server) */
void cri_list_metric_descriptors(struct cri_call *c, const ProtobufCMessage *req);
void cri_list_sandbox_metrics(struct cri_call *c, const ProtobufCMessage *req);
/* GetContainerEvents (container.c): server streaming, until the client goes */
void cri_container_events(struct cri_call *c, const ProtobufCMessage *req);
/* sandbox.c: the PodSandboxStatus of sandbox id, NULL when it is gone */
Runtime__V1__PodSandboxStatus *cri_sandbox_status_msg(struct cri_call *c, podctl *ctx,
                                                      const char *id);

/* exec.c */
void cri_exec(struct cri_call *c, const ProtobufCMessage *req);
void cri_attach(struct cri_call *c, const ProtobufCMessage *req);

/* sandbox.c: the sandbox `id` names (whole or prefix; NOT_FOUND if none), or
 * every sandbox (id NULL). Alive until the call ends. */
struct cri_sb_ref {
        const char *ns, *name; /* the podctl Pod in the CRI root */
        char id[65];
        json_t *cfg; /* the kubelet's sandbox config as RunPodSandbox kept it */
        bool ready;
};
int cri_sandbox_refs(struct cri_call *c, podctl *ctx, const char *id, struct cri_sb_ref **out,
                     size_t *n, pc_error *err);
/* One sandbox's stats (its pod cgroup, eth0, its containers), in c's arena. */
Runtime__V1__PodSandboxStats *cri_sandbox_stats_of(struct cri_call *c, podctl *ctx,
                                                   const struct cri_sb_ref *sb);

/* container.c */
/* A container (created, running or exited, not removed) of a sandbox whose
 * image is image_id: *who is its id (in c's arena), or NULL. */
int cri_image_user(struct cri_call *c, podctl *ctx, const char *image_id, const char **who,
                   pc_error *err);
void cri_create_container(struct cri_call *c, const ProtobufCMessage *req);
void cri_start_container(struct cri_call *c, const ProtobufCMessage *req);
void cri_stop_container(struct cri_call *c, const ProtobufCMessage *req);
void cri_remove_container(struct cri_call *c, const ProtobufCMessage *req);
void cri_list_containers(struct cri_call *c, const ProtobufCMessage *req);
void cri_container_status(struct cri_call *c, const ProtobufCMessage *req);
void cri_exec_sync(struct cri_call *c, const ProtobufCMessage *req);
void cri_container_stats(struct cri_call *c, const ProtobufCMessage *req);
void cri_list_container_stats(struct cri_call *c, const ProtobufCMessage *req);
void cri_update_container_resources(struct cri_call *c, const ProtobufCMessage *req);
void cri_reopen_container_log(struct cri_call *c, const ProtobufCMessage *req);

#endif
