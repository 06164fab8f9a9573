/* The Pod model: manifests (YAML or JSON) -> validated, defaulted pods.
 *
 * This module makes no system calls beyond reading the manifest, so it can be
 * unit-tested and fuzzed. Flow:
 *
 *   pc_manifest_parse()  YAML/JSON text -> documents, each a jansson tree plus
 *                        a table of source positions (file:line:column)
 *   pc_manifest_check()  per document: kind dispatch, API-server validation,
 *                        defaults, unsupported-field warnings; fills
 *                        pc_manifest.pods/configmaps/secrets
 *   pc_pod_from_json()   decode a stored (already defaulted) pod.json, as the
 *                        monitor does; no positions, no warnings
 *   pc_pod_to_json()     not needed: the defaulted jansson tree of each pod is
 *                        kept in pc_pod.json, and is what `get -o json` prints
 */
#ifndef PODCTL_SPEC_SPEC_H
#define PODCTL_SPEC_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

/* ---- model ------------------------------------------------------------ */

#define PC_CRI_SANDBOX_ANNOTATION "podctl.io/cri-sandbox"
/* Its kubelet's cgroup_parent, without the leading '/': the Pod's cgroup is
 * podctl/cri/<parent>/pod<uid> (docs/CRI.md, docs/DEVIATIONS.md). */
#define PC_CRI_CGROUP_ANNOTATION "podctl.io/cri-cgroup-parent"
/* A CRI sandbox's port mappings: a JSON array of v1 ContainerPort objects. */
#define PC_CRI_PORTS_ANNOTATION "podctl.io/cri-port-mappings"
/* A CRI sandbox's run_as_user/run_as_group (pause's ids): "UID:GID". */
#define PC_CRI_USER_ANNOTATION "podctl.io/cri-sandbox-user"
/* A CRI sandbox's user namespace, the kubelet's mapping: "HOSTID:LENGTH" (0 -> HOSTID) */
#define PC_CRI_USERNS_ANNOTATION "podctl.io/cri-userns"

struct pc_kv {
        char *name;
        char *value;
};

enum pc_env_source {
        PC_ENV_VALUE = 0, /* value: "..." (possibly empty) */
        PC_ENV_CONFIGMAP, /* valueFrom.configMapKeyRef */
        PC_ENV_SECRET,    /* valueFrom.secretKeyRef */
        PC_ENV_FIELD,     /* valueFrom.fieldRef.fieldPath */
        PC_ENV_RESOURCE,  /* valueFrom.resourceFieldRef */
        PC_ENV_FILE,      /* valueFrom.fileKeyRef */
};

/* resourceFieldRef (env, downwardAPI files): a container's request or limit
 * of cpu, memory or ephemeral-storage, divided by divisor (rounded up). */
struct pc_resource_ref {
        char *container; /* containerName; NULL = the container itself (env only) */
        char *resource;  /* limits.cpu, requests.cpu, limits.memory, requests.memory,
                            limits.ephemeral-storage, requests.ephemeral-storage */
        int64_t divisor; /* millicores for cpu, bytes otherwise; 0 = "1" (the default) */
};

struct pc_env {
        char *name;
        char *value; /* PC_ENV_VALUE: the value, $(VAR) references not yet expanded */
        enum pc_env_source source;
        char *ref_name; /* configmap/secret name; PC_ENV_FILE: the volume's */
        char *ref_key;  /* key, or fieldPath for PC_ENV_FIELD */
        char *ref_path; /* PC_ENV_FILE: the env file's path in the volume */
        bool optional;
        struct pc_resource_ref res; /* PC_ENV_RESOURCE */
};

/* envFrom: every key of a ConfigMap or Secret, with an optional prefix. */
struct pc_env_from {
        bool secret; /* false: configMapRef */
        char *name;
        char *prefix;
        bool optional;
};

struct pc_port {
        char *name;
        int32_t container_port;
        int32_t host_port; /* 0 = none */
        char *protocol;    /* TCP, UDP, SCTP (defaulted to TCP) */
        char *host_ip;
};

struct pc_volume_mount {
        char *name;
        char *mount_path;
        char *sub_path;      /* NULL or relative path inside the volume */
        char *sub_path_expr; /* subPathExpr: $(VAR) expanded with the container's env; NULL */
        bool read_only;
        bool recursive_read_only; /* recursiveReadOnly: Enabled or IfPossible */
        bool host_to_container;   /* mountPropagation: HostToContainer (else None) */
};

struct pc_resources {
        /* Quantities in base units; -1 = not set. cpu in millicores, memory
         * and ephemeral-storage in bytes. */
        int64_t cpu_request, cpu_limit;
        int64_t memory_request, memory_limit;
        int64_t ephemeral_request, ephemeral_limit;
};

/* A probe or a lifecycle hook handler (exactly one kind is set). */
enum pc_handler_kind {
        PC_HANDLER_NONE = 0,
        PC_HANDLER_EXEC,
        PC_HANDLER_HTTP,
        PC_HANDLER_TCP,
        PC_HANDLER_GRPC,
        PC_HANDLER_SLEEP
};

struct pc_handler {
        enum pc_handler_kind kind;
        char **command;        /* exec */
        char *host;            /* httpGet/tcpSocket host; NULL = the Pod (localhost in its netns) */
        char *path;            /* httpGet, default "/" */
        char *scheme;          /* HTTP (default) or HTTPS */
        int32_t port;          /* resolved port number (named ports resolved by the spec module) */
        struct pc_kv *headers; /* httpGet.httpHeaders */
        size_t n_headers;
        char *service;         /* grpc.service, NULL = "" */
        int64_t sleep_seconds; /* lifecycle sleep action */
};

struct pc_probe {
        bool set;
        struct pc_handler handler;
        int32_t initial_delay_seconds;            /* default 0 */
        int32_t period_seconds;                   /* default 10 */
        int32_t timeout_seconds;                  /* default 1 */
        int32_t success_threshold;                /* default 1 (must be 1 for liveness/startup) */
        int32_t failure_threshold;                /* default 3 */
        int64_t termination_grace_period_seconds; /* probe-level override, -1 = none */
};

/* seccompProfile / appArmorProfile. */
enum pc_profile_type {
        PC_PROFILE_UNSET = 0,
        PC_PROFILE_UNCONFINED,
        PC_PROFILE_RUNTIME_DEFAULT,
        PC_PROFILE_LOCALHOST
};
struct pc_profile {
        enum pc_profile_type type;
        char *localhost; /* Localhost: the profile's name/path */
};

/* What an exit of a container leads to (restartPolicyRules' actions, and
 * what its restart policy says when no rule matches). */
enum pc_exit_action {
        PC_EXIT_STAY = 0,    /* not run again (completed, or failed for good) */
        PC_EXIT_RESTART,     /* the container runs again (after its backoff) */
        PC_EXIT_RESTART_ALL, /* every container of the Pod runs again, init first */
};

/* One entry of restartPolicyRules: action when the exit code is (or, for
 * NotIn, is not) one of codes. */
struct pc_restart_rule {
        enum pc_exit_action action; /* PC_EXIT_RESTART or PC_EXIT_RESTART_ALL */
        bool not_in;
        int *codes;
        size_t n_codes;
};

struct pc_container {
        char *name;
        char *image;
        char **command;    /* NULL-terminated, NULL when not given */
        char **args;       /* NULL-terminated, NULL when not given */
        char *working_dir; /* NULL when not given */
        struct pc_env *env;
        size_t n_env;
        struct pc_env_from *env_from;
        size_t n_env_from;
        struct pc_port *ports;
        size_t n_ports;
        struct pc_volume_mount *mounts;
        size_t n_mounts;
        struct pc_resources resources;
        /* resizePolicy: RestartContainer for cpu / memory (default NotRequired) */
        bool resize_restart_cpu, resize_restart_memory;
        char *image_pull_policy; /* Always, IfNotPresent, Never (defaulted) */
        /* restartPolicy: an init container's Always makes it a native
         * sidecar; Always, OnFailure or Never otherwise override the Pod's
         * (KEP-5307); NULL when not set */
        char *restart_policy;
        struct pc_restart_rule *restart_rules; /* restartPolicyRules, in order */
        size_t n_restart_rules;
        char *termination_message_path;   /* defaulted /dev/termination-log */
        char *termination_message_policy; /* File | FallbackToLogsOnError */
        bool stdin_open, stdin_once, tty;
        bool ephemeral;              /* of spec.ephemeralContainers: never restarted */
        char *target_container_name; /* ephemeral: whose PID namespace it joins */
        /* securityContext, with the Pod's as the fallback where Kubernetes has one */
        bool has_run_as_user, has_run_as_group;
        int64_t run_as_user, run_as_group;
        bool privileged;
        bool read_only_root_fs;
        bool run_as_non_root;
        bool no_new_privs; /* allowPrivilegeEscalation: false */
        char **cap_add;    /* capability names as given (NULL-terminated or NULL) */
        char **cap_drop;
        bool proc_unmasked;         /* procMount: Unmasked */
        struct pc_profile seccomp;  /* container's, else the Pod's */
        struct pc_profile apparmor; /* container's, else the Pod's */
        struct pc_probe liveness, readiness, startup;
        struct pc_handler post_start, pre_stop; /* kind NONE when absent */
        char *stop_signal; /* lifecycle.stopSignal ("SIGUSR1"), NULL when not set */
        bool init;         /* true for entries of spec.initContainers */
        size_t pos;        /* index inside containers or initContainers */
};

enum pc_volume_kind {
        PC_VOL_EMPTYDIR = 1,
        PC_VOL_HOSTPATH,
        PC_VOL_CONFIGMAP,
        PC_VOL_SECRET,
        PC_VOL_DOWNWARDAPI,
        PC_VOL_PROJECTED,
        PC_VOL_IMAGE,
};

/* One file of a downwardAPI volume or projection: fieldRef or resourceFieldRef. */
struct pc_dapi_file {
        char *path;
        int32_t mode;     /* -1 = the volume's defaultMode */
        char *field_path; /* fieldRef.fieldPath; NULL: res is set */
        struct pc_resource_ref res;
};

/* A source of a projected volume (or the one source of a configMap, secret
 * or downwardAPI volume, see pc_volume). */
enum pc_proj_kind { PC_PROJ_CONFIGMAP, PC_PROJ_SECRET, PC_PROJ_DOWNWARDAPI };
struct pc_projection {
        enum pc_proj_kind kind;
        /* configMap / secret */
        char *ref_name;
        bool optional;
        struct pc_kv *items; /* key -> path; n_items == 0 = all keys */
        int32_t *item_modes; /* items[i].mode, -1 = the volume's defaultMode */
        size_t n_items;
        /* downwardAPI */
        struct pc_dapi_file *files;
        size_t n_files;
};

struct pc_volume {
        char *name;
        enum pc_volume_kind kind;
        /* hostPath */
        char *path;
        char *hostpath_type; /* "", DirectoryOrCreate, Directory, FileOrCreate, File,
                                Socket, CharDevice, BlockDevice */
        /* emptyDir */
        char *medium;       /* "" or Memory */
        int64_t size_limit; /* bytes, -1 = none */
        int dir_mode;       /* emptyDir.mode (0 to 01777), -1 = the default */
        /* configMap / secret */
        char *ref_name;
        bool optional;
        int32_t default_mode; /* -1 = 0644 default */
        struct pc_kv *items;  /* key -> path; n_items == 0 = all keys */
        int32_t *item_modes;  /* items[i].mode, -1 = default_mode */
        size_t n_items;
        /* downwardAPI: its files; projected: its sources (default_mode applies
         * to both) */
        struct pc_dapi_file *files;
        size_t n_files;
        struct pc_projection *sources;
        size_t n_sources;
        /* image (KEP-4639): an image of the store, mounted read-only */
        char *image_ref;         /* image.reference */
        char *image_pull_policy; /* image.pullPolicy (defaulted as a container's) */
};

struct pc_pod {
        /* metadata */
        char *name;
        char *namespace_; /* defaulted "default" */
        char *uid;        /* set when the pod is created; NULL before */
        struct pc_kv *labels;
        size_t n_labels;
        struct pc_kv *annotations;
        size_t n_annotations;
        /* spec */
        struct pc_container *init_containers;
        size_t n_init_containers;
        struct pc_container *containers;
        size_t n_containers;
        /* spec.ephemeralContainers: added to a running Pod (podctl debug),
         * never by an applied manifest */
        struct pc_container *ephemeral_containers;
        size_t n_ephemeral_containers;
        struct pc_volume *volumes;
        size_t n_volumes;
        char *restart_policy;                     /* Always (default), OnFailure, Never */
        int64_t termination_grace_period_seconds; /* default 30 */
        int64_t active_deadline_seconds;          /* -1 = none */
        int64_t pids_limit;                       /* spec.resources.limits.pids, -1 = none */
        bool share_process_namespace;
        /* A CRI pod sandbox (metadata.annotations[PC_CRI_SANDBOX_ANNOTATION] =
         * "true", set by src/cri only): no containers of its own; its monitor
         * keeps the sandbox until it is stopped, and restarts nothing. */
        bool cri_sandbox;
        /* A CRI sandbox's port mappings (PC_CRI_PORTS_ANNOTATION) */
        struct pc_port *sandbox_ports;
        size_t n_sandbox_ports;
        /* A CRI sandbox's user (PC_CRI_USER_ANNOTATION): pause runs as it; -1 = root */
        int64_t sandbox_uid, sandbox_gid;
        /* spec.securityContext's seccompProfile and appArmorProfile: a CRI
         * sandbox's pause runs under them (its containers have their own) */
        struct pc_profile sandbox_seccomp, sandbox_apparmor;
        bool host_network, host_pid, host_ipc;
        bool host_users;            /* spec.hostUsers (default true); false: a user namespace */
        char *hostname;             /* spec.hostnameOverride, else spec.hostname;
                                       NULL = metadata.name */
        char *subdomain;            /* NULL when absent or under hostnameOverride */
        bool hostname_fqdn;         /* spec.setHostnameAsFQDN: the kernel's hostname is the FQDN */
        char *os_name;              /* spec.os.name, NULL when absent */
        struct pc_kv *host_aliases; /* name = IP, value = space-separated hostnames */
        size_t n_host_aliases;
        char *dns_policy; /* ClusterFirst (default), Default, None, ClusterFirstWithHostNet */
        char **dns_nameservers;
        char **dns_searches;
        struct pc_kv *dns_options; /* value may be NULL */
        size_t n_dns_options;
        /* Pod securityContext */
        int64_t *supplemental_groups;
        size_t n_supplemental_groups;
        bool supplemental_groups_strict; /* supplementalGroupsPolicy: Strict */
        bool has_fs_group;
        int64_t fs_group;
        bool fs_group_on_root_mismatch; /* fsGroupChangePolicy: OnRootMismatch */
        struct pc_kv *sysctls;
        size_t n_sysctls;
        char **readiness_gates; /* spec.readinessGates[].conditionType, NULL-terminated or NULL */
        /* spec.resources (Pod-level resources): all -1 when absent */
        struct pc_resources resources;

        /* The defaulted v1 Pod object (metadata, spec), as stored in pod.json and
         * printed by `get -o json|yaml` (with status added). Owned. */
        json_t *json;
};

/* securityContext facts (spec/security.c). */
int pc_capability_number(const char *name); /* "NET_ADMIN" or "CAP_NET_ADMIN"; -1 unknown */
const char *pc_capability_name(int n);      /* "NET_ADMIN" */
enum pc_sysctl_ns { PC_SYSCTL_NOT_NAMESPACED = 0, PC_SYSCTL_NET, PC_SYSCTL_IPC };
enum pc_sysctl_ns pc_sysctl_namespace(const char *name);
bool pc_sysctl_is_safe(const char *name);
/* Safe, or matched by an entry of `allowed` (exact, or "prefix*"). */
bool pc_sysctl_allowed(const char *name, char *const *allowed);

/* A ConfigMap or Secret (Secret data already base64-decoded; stringData merged). */
struct pc_configmap {
        char *name;
        char *namespace_;
        bool secret;
        struct pc_kv *data; /* value bytes may contain NULs for secrets: see len */
        size_t *len;
        size_t n_data;
        json_t *json; /* the defaulted object, as stored */
};

/* ---- diagnostics -------------------------------------------------------- */

enum pc_diag_level { PC_DIAG_WARNING, PC_DIAG_ERROR };

struct pc_diag {
        enum pc_diag_level level;
        char *file;       /* as given by the user; "-" shown as "<stdin>" */
        int line, column; /* 1-based; 0 when unknown */
        char *path;       /* field path, e.g. spec.containers[1].volumeMounts[0].name */
        char *msg;        /* e.g. volume "shared-dat" not found */
};

struct pc_diags {
        struct pc_diag *v;
        size_t n;
        size_t n_errors;
};

/* "file:line:col: path: msg" (without the position when unknown, without
 * "path: " when there is no path; "-" as file is shown as "<stdin>").
 * The level is not part of the text (see ->level). Caller frees. */
char *pc_diag_format(const struct pc_diag *d);
void pc_diags_free(struct pc_diags *d);

/* ---- manifests ---------------------------------------------------------- */

struct pc_manifest {
        struct pc_pod *pods;
        size_t n_pods;
        struct pc_configmap *configmaps; /* ConfigMaps and Secrets */
        size_t n_configmaps;
        struct pc_diags diags;
};

struct pc_check_opts {
        bool strict;         /* --validate=strict: unknown fields are errors */
        bool ignore_unknown; /* --validate=ignore: unknown fields dropped silently */
        /* Namespace of objects without metadata.namespace (NULL: "default");
         * with enforce_namespace another metadata.namespace is an error
         * (kubectl's -n rule). */
        const char *namespace_;
        bool enforce_namespace;
};

/* Parse and check `len` bytes of `text` read from `filename` (used only in
 * messages). Returns 0 when there is no error-level diagnostic; -1 otherwise,
 * with every problem in m->diags (and err set to a summary: the first error,
 * formatted, plus a count of the others). Warnings are in m->diags either way.
 * Always call pc_manifest_free(m) afterwards, also on failure. opts may be
 * NULL. On failure m->pods/configmaps hold only objects of documents without
 * errors; callers should not apply any of them.
 *
 * Notes on the accepted language: YAML 1.2 core scalars (true/false, null/~,
 * ints incl. 0x/0o, floats), plus YAML 1.1 octal ints with a leading 0 (as
 * kubectl reads `defaultMode: 0644`); yes/no/on/off stay strings. Anchors are
 * ignored and aliases rejected. Unknown fields are dropped from ->json (as
 * the API server prunes them); known-but-unsupported fields are kept.
 * Differences from the API server: volumeMounts[].mountPath and hostPath.path
 * must be absolute.
 *
 * Limits (docs/SECURITY.md "Limits"), so that a crafted file fails fast
 * with file:line:col instead of exhausting podctl: the PC_MANIFEST_MAX_*
 * values below. */
#define PC_MANIFEST_MAX_BYTES      (8 << 20)  /* the whole text */
#define PC_MANIFEST_MAX_DOCUMENTS  1000       /* YAML documents in a file */
#define PC_MANIFEST_MAX_NODES      200000     /* scalars, maps and lists, all documents */
#define PC_MANIFEST_MAX_DEPTH      64         /* nesting of maps and lists */
#define PC_MANIFEST_MAX_KEY        1024       /* bytes in a mapping key */
#define PC_MANIFEST_MAX_PATH_BYTES (64 << 20) /* sum of the field paths kept for positions */
#define PC_MANIFEST_MAX_OBJECTS    1000       /* items of a List */
#define PC_MANIFEST_MAX_CONTAINERS 100        /* containers, initContainers (each) */
#define PC_MANIFEST_MAX_ENV        1000       /* env entries of a container */
#define PC_MANIFEST_MAX_ENV_FROM   100        /* envFrom entries of a container */
#define PC_MANIFEST_MAX_PORTS      256        /* ports of a container */
#define PC_MANIFEST_MAX_MOUNTS     256        /* volumeMounts of a container */
#define PC_MANIFEST_MAX_VOLUMES    256        /* volumes of a Pod */
int pc_manifest_load(const char *filename, const char *text, size_t len,
                     const struct pc_check_opts *opts, struct pc_manifest *m, pc_error *err);
void pc_manifest_free(struct pc_manifest *m);

/* Decode a pod previously produced by pc_manifest_load (its ->json, as stored
 * with metadata.uid set). pod->json takes a new reference to json (so later
 * changes to json show in pod->json). Not a validator: it only rejects input
 * that cannot be decoded (no name, no containers, volume without a supported
 * type, ...). Same for pc_configmap_from_json (kind ConfigMap or Secret;
 * Secret data and ConfigMap binaryData are base64-decoded). */
int pc_pod_from_json(json_t *json, struct pc_pod *pod, pc_error *err);
int pc_configmap_from_json(json_t *json, struct pc_configmap *cm, pc_error *err);
void pc_pod_free(struct pc_pod *pod);
/* One container's fields (it stays zeroed). */
void pc_container_free(struct pc_container *c);
/* Every port of the Pod (init containers', containers', a CRI sandbox's
 * port mappings), at most max, into out; returns how many. */
size_t pc_pod_ports(const struct pc_pod *pod, const struct pc_port **out, size_t max);
void pc_configmap_free(struct pc_configmap *cm);

/* What the kubelet does when container c of a Pod whose restartPolicy is
 * pod_policy exits with exit_code (Kubernetes' container restart rules):
 * the action of the first of c's restartPolicyRules that matches, else c's
 * own restartPolicy, else the Pod's. An init container that exits 0 has
 * completed (PC_EXIT_STAY, whatever its rules say); a native sidecar
 * restarts. */
enum pc_exit_action pc_container_on_exit(const struct pc_container *c, const char *pod_policy,
                                         int exit_code);

/* The Pod's kernel hostname (its UTS namespace's, and $HOSTNAME): the
 * hostname (hostnameOverride, hostname, else the Pod's name), or with
 * setHostnameAsFQDN its FQDN (<hostname>.<subdomain>.<namespace>.svc.
 * cluster.local when it has a subdomain), as the kubelet's
 * GeneratePodHostNameAndDomain; not for a hostNetwork Pod (the node's). */
char *pc_pod_kernel_hostname(const struct pc_pod *p);

/* Whether a container of the Pod has a RestartAllContainers rule (any
 * container may then run again, whatever its own policy). */
bool pc_pod_restarts_all(const struct pc_pod *p);

/* Find a container by name among init and app containers; NULL if none. */
struct pc_container *pc_pod_find_container(struct pc_pod *pod, const char *name);

/* Emit a jansson value as YAML (kubectl's -o yaml style: block style, keys in
 * the object's order, strings quoted only when needed). */
int pc_yaml_emit(json_t *value, FILE *out, pc_error *err);

/* Kubernetes quantities: "100m" -> 100 (millis), "1Gi" -> 1073741824.
 * pc_quantity_parse returns value * 1000 when milli is true (cpu). Accepts
 * decimal (n u m k M G T P E), binary (Ki..Ei) suffixes and exponents (1e3);
 * fractions round up (as Quantity.Value() does); -1 when invalid or when the
 * result does not fit in int64. */
int pc_quantity_parse(const char *s, bool milli, int64_t *out);

/* Resources (resources.c). Quantities as in struct pc_resources: cpu in
 * millicores, memory in bytes. */
struct pc_pod_resources {
        int64_t cpu_m;
        int64_t memory;
};
/* The scheduler's effective request: per resource, the Pod-level request
 * when set, else the larger of the sum over app containers and native
 * sidecars, and the largest init container (plus the sidecars started
 * before it). */
void pc_pod_effective_request(const struct pc_pod *p, struct pc_pod_resources *out);
/* Are Pod-level resources (spec.resources cpu/memory) set? Then the Pod's
 * effective request, QoS class, cgroup limits and the downward API's
 * default limits come from them (KEP-2837). */
bool pc_pod_level_resources(const struct pc_pod *p);
/* Guaranteed, Burstable or BestEffort, as Kubernetes computes it. */
const char *pc_pod_qos_class(const struct pc_pod *p);
/* 3221225472 -> "3Gi", 2684354560 -> "2560Mi"; cpu 1500 -> "1500m", 2000 -> "2". */
char *pc_quantity_format(int64_t v, bool cpu);

/* Downward API (downward.c). What a resourceFieldRef reads, as the kubelet
 * computes it: the named container's (ref->container, else `self`) request
 * or limit, an unset limit being the node's allocatable (`alloc`: cpu_m,
 * memory, and ephemeral-storage in alloc_ephemeral), divided by the divisor
 * and rounded up. Returns a decimal string, or NULL (err set) for an unknown
 * container or resource. */
char *pc_resource_ref_value(const struct pc_pod *p, const struct pc_container *self,
                            const struct pc_resource_ref *ref, const struct pc_pod_resources *alloc,
                            int64_t alloc_ephemeral, pc_error *err);
/* metadata.labels / metadata.annotations as a downwardAPI file: sorted
 * key="value" lines (values quoted as Go's %q), no final newline. */
char *pc_format_kv_map(const struct pc_kv *kv, size_t n);

/* docs/FIELDS.md: every field of the schema with its disposition (applied,
 * refused with the reason, warned), generated from the validator's tables. */
void pc_spec_fields_markdown(FILE *f);
/* kubectl explain from the same schema: path is RESOURCE[.field[.field...]]
 * (pod, configmap, secret; "containers[]" as kubectl takes it). Prints
 * kubectl's KIND/VERSION/FIELD/DESCRIPTION/FIELDS layout, each field with
 * its type and podctl's disposition; recursive: the field tree, names and
 * types only. ENOENT for an unknown resource or field. */
int pc_spec_explain(FILE *f, const char *path, bool recursive, pc_error *err);

/* Validation helpers exposed for other modules and tests. */
bool pc_is_dns1123_label(const char *s);     /* container, port names: <= 63 */
bool pc_is_dns1123_subdomain(const char *s); /* pod, configmap names: <= 253 */

#endif
