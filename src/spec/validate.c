/* Kind dispatch, API-server style validation, defaults, and the
 * unsupported/unknown field checks. */
#include "spec/spec_int.h"
#include "util/imageref.h"
#include "util/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- context and diagnostics -------------------------------------------- */

struct vctx {
        const char *file;
        json_t *pos;
        struct pc_diags *diags;
        bool strict;         /* unknown fields are errors */
        bool ignore_unknown; /* unknown fields are dropped without a word */
        const char *ns;      /* namespace for objects without one (-n), NULL = default */
        bool enforce_ns;     /* -n given: another metadata.namespace is an error */
        bool host_network;   /* of the pod being checked */
        json_int_t grace;    /* its terminationGracePeriodSeconds (defaulted), for sleep hooks */
        const char *os;      /* its spec.os.name, NULL when not set (lifecycle.stopSignal) */
        json_t *ctr_names;   /* names of its containers and init containers (resourceFieldRef) */
        json_t *empty_dirs;  /* names of its emptyDir volumes (fileKeyRef) */
        bool pod_level;      /* check_resources on spec.resources: cpu and memory only */
        const char *restart_policy; /* its spec.restartPolicy, NULL when not set (resizePolicy) */
};

/* Strip the last component of a field path in place; false at the root. */
static bool path_parent(char *p)
{
        size_t n = strlen(p);
        if (n == 0)
                return false;
        if (p[n - 1] == ']') {
                char *b = strrchr(p, '[');
                if (b) {
                        *b = 0;
                        return true;
                }
        }
        char *d = strrchr(p, '.');
        if (d)
                *d = 0;
        else
                *p = 0;
        return true;
}

static void find_pos(struct vctx *c, const char *path, int *line, int *col)
{
        _cleanup_free_ char *p = pc_xstrdup(path);
        json_t *e = json_object_get(c->pos, p);
        *line = *col = 0;
        if (e) {
                int kl = (int)json_integer_value(json_array_get(e, 0));
                if (kl > 0) {
                        *line = kl;
                        *col = (int)json_integer_value(json_array_get(e, 1));
                        return;
                }
        }
        /* not in the source (a missing field): the enclosing mapping */
        do {
                if ((e = json_object_get(c->pos, p))) {
                        *line = (int)json_integer_value(json_array_get(e, 2));
                        *col = (int)json_integer_value(json_array_get(e, 3));
                        return;
                }
        } while (path_parent(p));
}

/* A diagnostic on path, placed at where's position in the source (a field
 * that is not in the source, say, reported where the one that requires it
 * is). */
static void diag_at(struct vctx *c, enum pc_diag_level lvl, const char *where, const char *path,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void vdiag(struct vctx *c, enum pc_diag_level lvl, const char *where, const char *path,
                  const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void vdiag(struct vctx *c, enum pc_diag_level lvl, const char *where, const char *path,
                  const char *fmt, va_list ap)
{
        _cleanup_free_ char *msg = NULL;
        int line, col;
        if (vasprintf(&msg, fmt, ap) < 0)
                abort();
        find_pos(c, where, &line, &col);
        pc_diag_add(c->diags, lvl, c->file, line, col, path, "%s", msg);
}

static void diag_at(struct vctx *c, enum pc_diag_level lvl, const char *where, const char *path,
                    const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vdiag(c, lvl, where, path, fmt, ap);
        va_end(ap);
}

static void diag(struct vctx *c, enum pc_diag_level lvl, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void diag(struct vctx *c, enum pc_diag_level lvl, const char *path, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vdiag(c, lvl, path, path, fmt, ap);
        va_end(ap);
}

#define ERR(c, path, ...)           diag(c, PC_DIAG_ERROR, path, __VA_ARGS__)
#define ERR_AT(c, where, path, ...) diag_at(c, PC_DIAG_ERROR, where, path, __VA_ARGS__)

/* A JSON value for messages: strings quoted, containers by type. */
static char *show(json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_STRING:
                return pc_xasprintf("\"%s\"", json_string_value(v));
        case JSON_OBJECT:
                return pc_xstrdup("{object}");
        case JSON_ARRAY:
                return pc_xstrdup("[array]");
        default: {
                char *s = json_dumps(v, JSON_ENCODE_ANY);
                return s ? s : pc_xstrdup("?");
        }
        }
}

static void unsupported(struct vctx *c, const char *path, const char *val, const char *const *ok)
{
        char buf[512] = "";
        size_t n = 0;
        for (size_t i = 0; ok[i]; i++)
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\"%s\"", i ? ", " : "", ok[i]);
        ERR(c, path, "Unsupported value: \"%s\": supported values: %s", val, buf);
}

static bool one_of(const char *v, const char *const *ok)
{
        for (size_t i = 0; ok[i]; i++)
                if (!strcmp(v, ok[i]))
                        return true;
        return false;
}

/* ---- schema ------------------------------------------------------------- */

enum ftype {
        F_STR,
        F_INT,
        F_BOOL,
        F_OBJ,
        F_LIST,
        F_STRLIST,
        F_INTLIST,
        F_STRMAP,
        F_QTYMAP,
        F_QTY,
        F_INTSTR, /* IntOrString (ports) */
        F_ANY
};

struct schema;
/* A field of podctl's schema. refused: set, the field is refused (when
 * present and not an empty object) with "Forbidden: <refused>"; NULL, it is
 * applied, with `note` for what docs/FIELDS.md should say beyond that. */
struct fdef {
        const char *name;
        enum ftype t;
        const struct schema *sub;
        const char *refused;
        const char *note;
};
struct schema {
        const char *name; /* used by the unsupported table */
        const struct fdef *f;
};

#define S(var, nm, ...)                                                                            \
        static const struct fdef var##_f[] = {__VA_ARGS__, {NULL, 0, NULL, NULL, NULL}};           \
        static const struct schema var = {nm, var##_f}

/* The schema: fields given as {name, type, sub-schema} are applied; a
 * fourth member refuses one, a fifth notes a restriction (the other members
 * default to NULL, hence the pragma). docs/FIELDS.md is generated from it
 * (pc_spec_fields_markdown). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#define BIDIRECTIONAL_WHY                                                                          \
        "podctl does not propagate a container's mounts to the host (a container's mount "         \
        "namespace is a slave of its Pod's, which is a slave of the host's)"
#define SELINUX_WHY "SELinux labels are not applied by podctl (SELinux is not supported)"
#define WINDOWS_WHY "windows options cannot be set for a linux pod"
#define SA_TOKEN_WHY                                                                               \
        "podctl has no API server to issue service account tokens "                                \
        "(docs/DEVIATIONS.md); mount a Secret holding a token instead"
#define NO_NETFS                                                                                   \
        "podctl mounts no network or block storage; mount it on the host and use a hostPath "      \
        "volume"
#define NO_CLOUD                                                                                   \
        "an in-tree cloud or vendor storage plugin (removed from Kubernetes or migrated to CSI); " \
        "podctl has none; use a hostPath volume"

S(s_meta, "metadata", {"name", F_STR, NULL}, {"namespace", F_STR, NULL}, {"labels", F_STRMAP, NULL},
  {"annotations", F_STRMAP, NULL},
  {"uid", F_STR, NULL, NULL, "replaced on create, as the API server replaces it: a new UUID"},
  {"creationTimestamp", F_STR, NULL, NULL,
   "replaced on create, as the API server replaces it: the time of the create"});
S(s_keysel, "keySelector", {"name", F_STR, NULL}, {"key", F_STR, NULL}, {"optional", F_BOOL, NULL});
S(s_filekeyref, "fileKeyRef", {"volumeName", F_STR, NULL}, {"path", F_STR, NULL},
  {"key", F_STR, NULL}, {"optional", F_BOOL, NULL});
S(s_fieldref, "fieldRef", {"apiVersion", F_STR, NULL}, {"fieldPath", F_STR, NULL});
S(s_resfieldref, "resourceFieldRef", {"containerName", F_STR, NULL}, {"resource", F_STR, NULL},
  {"divisor", F_QTY, NULL});
S(s_envsrc, "envVarSource", {"fieldRef", F_OBJ, &s_fieldref}, {"configMapKeyRef", F_OBJ, &s_keysel},
  {"secretKeyRef", F_OBJ, &s_keysel}, {"resourceFieldRef", F_OBJ, &s_resfieldref},
  {"fileKeyRef", F_OBJ, &s_filekeyref, NULL,
   "a key of an env file in an emptyDir volume (KEP-3721), read when the container starts"});
S(s_env, "env", {"name", F_STR, NULL}, {"value", F_STR, NULL}, {"valueFrom", F_OBJ, &s_envsrc});
S(s_envref, "envFromRef", {"name", F_STR, NULL}, {"optional", F_BOOL, NULL});
S(s_envfrom, "envFrom", {"prefix", F_STR, NULL}, {"configMapRef", F_OBJ, &s_envref},
  {"secretRef", F_OBJ, &s_envref});
S(s_port, "port", {"name", F_STR, NULL}, {"hostPort", F_INT, NULL}, {"containerPort", F_INT, NULL},
  {"protocol", F_STR, NULL}, {"hostIP", F_STR, NULL});
S(s_res, "resources",
  {"limits", F_QTYMAP, NULL, NULL,
   "cpu, memory; a container's ephemeral-storage enforced by eviction (as the kubelet's); "
   "hugepages and extended resources refused"},
  {"requests", F_QTYMAP, NULL, NULL,
   "cpu, memory; ephemeral-storage warned (admission does not count it); hugepages and "
   "extended resources refused"},
  {"claims", F_ANY, NULL,
   "resource claims need dynamic resource allocation by a cluster's control plane; podctl has "
   "none",
   NULL});
S(s_mount, "volumeMount", {"name", F_STR, NULL}, {"readOnly", F_BOOL, NULL},
  {"mountPath", F_STR, NULL}, {"subPath", F_STR, NULL}, {"recursiveReadOnly", F_STR, NULL},
  {"subPathExpr", F_STR, NULL, NULL, "expanded with the container's environment"},
  {"mountPropagation", F_STR, NULL, NULL,
   "None (a private bind: no mount of the host below the volume reaches the container) and "
   "HostToContainer (rslave: the host's mounts below a shared or slave source appear in the "
   "container); Bidirectional refused: " BIDIRECTIONAL_WHY});
S(s_caps, "capabilities", {"add", F_STRLIST, NULL}, {"drop", F_STRLIST, NULL});
S(s_profile, "profile", {"type", F_STR, NULL}, {"localhostProfile", F_STR, NULL});
S(s_csc, "securityContext", {"privileged", F_BOOL, NULL}, {"runAsUser", F_INT, NULL},
  {"runAsGroup", F_INT, NULL}, {"readOnlyRootFilesystem", F_BOOL, NULL},
  {"runAsNonRoot", F_BOOL, NULL}, {"allowPrivilegeEscalation", F_BOOL, NULL},
  {"capabilities", F_OBJ, &s_caps}, {"seccompProfile", F_OBJ, &s_profile},
  {"appArmorProfile", F_OBJ, &s_profile}, {"procMount", F_STR, NULL},
  {"seLinuxOptions", F_ANY, NULL, SELINUX_WHY, NULL},
  {"windowsOptions", F_ANY, NULL, WINDOWS_WHY, NULL});
S(s_execact, "execAction", {"command", F_STRLIST, NULL});
S(s_header, "httpHeader", {"name", F_STR, NULL}, {"value", F_STR, NULL});
S(s_httpget, "httpGetAction", {"path", F_STR, NULL}, {"port", F_INTSTR, NULL},
  {"host", F_STR, NULL}, {"scheme", F_STR, NULL}, {"httpHeaders", F_LIST, &s_header});
S(s_tcpsocket, "tcpSocketAction", {"port", F_INTSTR, NULL}, {"host", F_STR, NULL});
S(s_grpcact, "grpcAction", {"port", F_INT, NULL}, {"service", F_STR, NULL});
S(s_sleepact, "sleepAction", {"seconds", F_INT, NULL});
S(s_probe, "probe", {"exec", F_OBJ, &s_execact}, {"httpGet", F_OBJ, &s_httpget},
  {"tcpSocket", F_OBJ, &s_tcpsocket}, {"grpc", F_OBJ, &s_grpcact},
  {"initialDelaySeconds", F_INT, NULL}, {"timeoutSeconds", F_INT, NULL},
  {"periodSeconds", F_INT, NULL}, {"successThreshold", F_INT, NULL},
  {"failureThreshold", F_INT, NULL},
  {"terminationGracePeriodSeconds", F_INT, NULL, NULL,
   "liveness and startup probes: the grace period of the kill a failure causes"});
S(s_lchandler, "lifecycleHandler", {"exec", F_OBJ, &s_execact}, {"httpGet", F_OBJ, &s_httpget},
  {"tcpSocket", F_OBJ, &s_tcpsocket}, {"sleep", F_OBJ, &s_sleepact});
S(s_lifecycle, "lifecycle", {"postStart", F_OBJ, &s_lchandler}, {"preStop", F_OBJ, &s_lchandler},
  {"stopSignal", F_STR, NULL});
S(s_exitcodes, "containerRestartRuleOnExitCodes", {"operator", F_STR, NULL},
  {"values", F_INTLIST, NULL});
S(s_restartrule, "containerRestartRule", {"action", F_STR, NULL},
  {"exitCodes", F_OBJ, &s_exitcodes});
S(s_container, "container", {"name", F_STR, NULL}, {"image", F_STR, NULL},
  {"command", F_STRLIST, NULL}, {"args", F_STRLIST, NULL}, {"workingDir", F_STR, NULL},
  {"ports", F_LIST, &s_port}, {"envFrom", F_LIST, &s_envfrom}, {"env", F_LIST, &s_env},
  {"resources", F_OBJ, &s_res},
  {"restartPolicy", F_STR, NULL, NULL,
   "an init container's Always makes it a native sidecar; otherwise Always, OnFailure or "
   "Never override the Pod's restartPolicy for this container (Kubernetes 1.35's container "
   "restart rules)"},
  {"volumeMounts", F_LIST, &s_mount}, {"terminationMessagePath", F_STR, NULL},
  {"terminationMessagePolicy", F_STR, NULL}, {"imagePullPolicy", F_STR, NULL},
  {"securityContext", F_OBJ, &s_csc}, {"stdin", F_BOOL, NULL}, {"tty", F_BOOL, NULL},
  {"stdinOnce", F_BOOL, NULL}, {"livenessProbe", F_OBJ, &s_probe},
  {"readinessProbe", F_OBJ, &s_probe}, {"startupProbe", F_OBJ, &s_probe},
  {"lifecycle", F_OBJ, &s_lifecycle},
  {"resizePolicy", F_ANY, NULL, NULL,
   "applied by an in-place resize (podctl resize, or apply of new cpu/memory resources): "
   "NotRequired changes the cgroup of the running container, RestartContainer restarts it"},
  {"volumeDevices", F_ANY, NULL,
   "raw block devices come from PersistentVolumeClaims of a cluster; podctl has none", NULL},
  {"restartPolicyRules", F_LIST, &s_restartrule, NULL,
   "evaluated in order on each exit, the first match wins; Restart runs the container again "
   "(after its backoff), RestartAllContainers runs every container of the Pod again from the "
   "first init container, in the same sandbox"});
S(s_hostpath, "hostPath", {"path", F_STR, NULL}, {"type", F_STR, NULL});
S(s_emptydir, "emptyDir", {"medium", F_STR, NULL}, {"sizeLimit", F_QTY, NULL},
  {"mode", F_INT, NULL, NULL,
   "the volume directory's permission bits, 0 to 01777 (Kubernetes 1.37's emptyDir mode, "
   "KEP-5502; default 0777, a Memory volume's tmpfs 01777); fsGroup's group bits are added"});
S(s_keytopath, "keyToPath", {"key", F_STR, NULL}, {"path", F_STR, NULL}, {"mode", F_INT, NULL});
S(s_cmvol, "configMapVolume", {"name", F_STR, NULL}, {"items", F_LIST, &s_keytopath},
  {"defaultMode", F_INT, NULL}, {"optional", F_BOOL, NULL});
S(s_secvol, "secretVolume", {"secretName", F_STR, NULL}, {"items", F_LIST, &s_keytopath},
  {"defaultMode", F_INT, NULL}, {"optional", F_BOOL, NULL});
S(s_dapifile, "downwardAPIVolumeFile", {"path", F_STR, NULL}, {"fieldRef", F_OBJ, &s_fieldref},
  {"resourceFieldRef", F_OBJ, &s_resfieldref}, {"mode", F_INT, NULL});
S(s_dapivol, "downwardAPIVolume", {"items", F_LIST, &s_dapifile}, {"defaultMode", F_INT, NULL});
S(s_dapiproj, "downwardAPIProjection", {"items", F_LIST, &s_dapifile});
S(s_cmproj, "configMapProjection", {"name", F_STR, NULL}, {"items", F_LIST, &s_keytopath},
  {"optional", F_BOOL, NULL});
S(s_secproj, "secretProjection", {"name", F_STR, NULL}, {"items", F_LIST, &s_keytopath},
  {"optional", F_BOOL, NULL});
/* serviceAccountToken, clusterTrustBundle, podCertificate: typed F_ANY and
 * refused by check_projected (they need an API server). */
S(s_projection, "volumeProjection", {"configMap", F_OBJ, &s_cmproj}, {"secret", F_OBJ, &s_secproj},
  {"downwardAPI", F_OBJ, &s_dapiproj}, {"serviceAccountToken", F_ANY, NULL, SA_TOKEN_WHY, NULL},
  {"clusterTrustBundle", F_ANY, NULL,
   "clusterTrustBundle projections need an API server (certificates.k8s.io); podctl has none",
   NULL},
  {"podCertificate", F_ANY, NULL,
   "podCertificate projections need an API server (certificates.k8s.io); podctl has none", NULL});
S(s_imagevol, "imageVolume",
  {"reference", F_STR, NULL, NULL, "checked as a container's image (an invalid one refused)"},
  {"pullPolicy", F_STR, NULL, NULL,
   "defaulted as imagePullPolicy; pulled once for the Pod, before the first start of a "
   "container that mounts it"});
S(s_projected, "projectedVolume", {"sources", F_LIST, &s_projection}, {"defaultMode", F_INT, NULL});
S(s_volume, "volume", {"name", F_STR, NULL}, {"hostPath", F_OBJ, &s_hostpath},
  {"emptyDir", F_OBJ, &s_emptydir}, {"configMap", F_OBJ, &s_cmvol}, {"secret", F_OBJ, &s_secvol},
  {"downwardAPI", F_OBJ, &s_dapivol}, {"projected", F_OBJ, &s_projected},
  /* the cluster's volume types, refused with the reason */
  {"persistentVolumeClaim", F_ANY, NULL,
   "a PersistentVolumeClaim is bound to a PersistentVolume by a cluster's control plane; "
   "podctl has no API server; use a hostPath or emptyDir volume",
   NULL},
  {"ephemeral", F_ANY, NULL,
   "a generic ephemeral volume is a PersistentVolumeClaim made by a cluster's control plane; "
   "podctl has none; use an emptyDir volume",
   NULL},
  {"csi", F_ANY, NULL,
   "CSI drivers run as cluster components that the kubelet calls; podctl calls no CSI "
   "driver; use a hostPath volume",
   NULL},
  {"nfs", F_ANY, NULL, NO_NETFS, NULL}, {"iscsi", F_ANY, NULL, NO_NETFS, NULL},
  {"glusterfs", F_ANY, NULL, NO_NETFS, NULL}, {"rbd", F_ANY, NULL, NO_NETFS, NULL},
  {"cephfs", F_ANY, NULL, NO_NETFS, NULL}, {"fc", F_ANY, NULL, NO_NETFS, NULL},
  {"gitRepo", F_ANY, NULL,
   "gitRepo is deprecated in Kubernetes (disabled by default since 1.33); clone the "
   "repository in an init container into an emptyDir volume",
   NULL},
  {"gcePersistentDisk", F_ANY, NULL, NO_CLOUD, NULL},
  {"awsElasticBlockStore", F_ANY, NULL, NO_CLOUD, NULL}, {"azureDisk", F_ANY, NULL, NO_CLOUD, NULL},
  {"azureFile", F_ANY, NULL, NO_CLOUD, NULL}, {"cinder", F_ANY, NULL, NO_CLOUD, NULL},
  {"vsphereVolume", F_ANY, NULL, NO_CLOUD, NULL},
  {"photonPersistentDisk", F_ANY, NULL, NO_CLOUD, NULL},
  {"portworxVolume", F_ANY, NULL, NO_CLOUD, NULL}, {"scaleIO", F_ANY, NULL, NO_CLOUD, NULL},
  {"storageos", F_ANY, NULL, NO_CLOUD, NULL}, {"quobyte", F_ANY, NULL, NO_CLOUD, NULL},
  {"flocker", F_ANY, NULL, NO_CLOUD, NULL},
  {"flexVolume", F_ANY, NULL,
   "FlexVolume drivers are node plugins of a cluster (deprecated); podctl calls none; use a "
   "hostPath volume",
   NULL},
  {"image", F_OBJ, &s_imagevol, NULL,
   "the image's layers from the store, mounted read-only, noexec (docs/IMAGES.md)"});
S(s_sysctl, "sysctl", {"name", F_STR, NULL}, {"value", F_STR, NULL});
S(s_podsc, "podSecurityContext", {"runAsUser", F_INT, NULL}, {"runAsGroup", F_INT, NULL},
  {"runAsNonRoot", F_BOOL, NULL}, {"supplementalGroups", F_ANY, NULL},
  {"supplementalGroupsPolicy", F_STR, NULL}, {"fsGroup", F_INT, NULL},
  {"fsGroupChangePolicy", F_STR, NULL}, {"sysctls", F_LIST, &s_sysctl},
  {"seccompProfile", F_OBJ, &s_profile}, {"appArmorProfile", F_OBJ, &s_profile},
  {"seLinuxOptions", F_ANY, NULL, SELINUX_WHY, NULL},
  {"windowsOptions", F_ANY, NULL, WINDOWS_WHY, NULL}, {"seLinuxChangePolicy", F_STR, NULL});
S(s_hostalias, "hostAlias", {"ip", F_STR, NULL}, {"hostnames", F_STRLIST, NULL});
S(s_dnsopt, "dnsOption", {"name", F_STR, NULL}, {"value", F_STR, NULL});
S(s_dnsconfig, "dnsConfig", {"nameservers", F_STRLIST, NULL}, {"searches", F_STRLIST, NULL},
  {"options", F_LIST, &s_dnsopt});
S(s_localref, "localObjectReference", {"name", F_STR, NULL});
S(s_rgate, "podReadinessGate", {"conditionType", F_STR, NULL});
S(s_podos, "podOS", {"name", F_STR, NULL});
S(s_podspec, "podSpec", {"volumes", F_LIST, &s_volume}, {"initContainers", F_LIST, &s_container},
  {"containers", F_LIST, &s_container}, {"restartPolicy", F_STR, NULL},
  {"terminationGracePeriodSeconds", F_INT, NULL}, {"activeDeadlineSeconds", F_INT, NULL},
  {"dnsPolicy", F_STR, NULL}, {"hostNetwork", F_BOOL, NULL}, {"hostPID", F_BOOL, NULL},
  {"hostIPC", F_BOOL, NULL}, {"shareProcessNamespace", F_BOOL, NULL},
  {"securityContext", F_OBJ, &s_podsc}, {"hostname", F_STR, NULL}, {"subdomain", F_STR, NULL},
  {"hostAliases", F_LIST, &s_hostalias}, {"dnsConfig", F_OBJ, &s_dnsconfig},
  {"enableServiceLinks", F_BOOL, NULL}, {"hostUsers", F_BOOL, NULL},
  {"imagePullSecrets", F_LIST, &s_localref}, {"os", F_OBJ, &s_podos},
  {"resources", F_OBJ, &s_res, NULL,
   "Pod-level resources: cpu and memory; limits.pids (128 to 16384, Kubernetes 1.37's "
   "per-Pod PID limit) is the Pod cgroup's pids.max, capped by the node's podPidsLimit"},
  {"setHostnameAsFQDN", F_BOOL, NULL, NULL,
   "true: the kernel's hostname (hostname, $HOSTNAME) is the FQDN, "
   "<hostname>.<subdomain>.<namespace>.svc.cluster.local with a subdomain; not with "
   "hostNetwork (the node's); an FQDN over 64 characters refused at apply"},
  {"ephemeralContainers", F_ANY, NULL,
   "ephemeral containers are added by the API server's ephemeralcontainers subresource; "
   "podctl has none",
   NULL},
  {"runtimeClassName", F_ANY, NULL, "RuntimeClass objects are a cluster's; podctl has one runtime",
   NULL},
  {"overhead", F_ANY, NULL,
   "overhead is set by a cluster's RuntimeClass admission; podctl has none", NULL},
  {"resourceClaims", F_ANY, NULL,
   "resource claims need dynamic resource allocation by a cluster's control plane; podctl has "
   "none",
   NULL},
  {"readinessGates", F_LIST, &s_rgate, NULL,
   "the Pod is Ready only when each gate's condition is True; no controller sets one here, so "
   "Ready stays False (ReadinessGatesNotReady), as in a cluster without that controller"},
  {"hostnameOverride", F_STR, NULL, NULL,
   "the Pod's hostname and FQDN (KEP-4762), over hostname and subdomain; an RFC 1123 "
   "subdomain of at most 64 characters, not with hostNetwork or setHostnameAsFQDN"});
S(s_pod, "pod", {"apiVersion", F_STR, NULL}, {"kind", F_STR, NULL}, {"metadata", F_OBJ, &s_meta},
  {"spec", F_OBJ, &s_podspec},
  {"status", F_ANY, NULL, NULL, "accepted and replaced: the status is the node's"});
S(s_configmap, "configMap", {"apiVersion", F_STR, NULL}, {"kind", F_STR, NULL},
  {"metadata", F_OBJ, &s_meta}, {"data", F_STRMAP, NULL}, {"binaryData", F_STRMAP, NULL},
  {"immutable", F_BOOL, NULL});
S(s_secret, "secret", {"apiVersion", F_STR, NULL}, {"kind", F_STR, NULL},
  {"metadata", F_OBJ, &s_meta}, {"data", F_STRMAP, NULL}, {"stringData", F_STRMAP, NULL},
  {"type", F_STR, NULL, NULL,
   "defaults to Opaque and never changes on update; the keys a well-known type requires are "
   "checked as the API server does (tls.crt and tls.key, ssh-privatekey, username or password, "
   ".dockerconfigjson or .dockercfg as JSON, the service account annotation); only "
   "kubernetes.io/dockerconfigjson and kubernetes.io/dockercfg Secrets give pull credentials"},
  {"immutable", F_BOOL, NULL});

#pragma GCC diagnostic pop

/* Fields of the Kubernetes v1 schema that cannot matter on one host
 * without an API server (scheduling, the API server's bookkeeping): a
 * warning ("ignored", with the reason), whatever --validate says (they are
 * valid fields, which kubectl's strict validation accepts). Anything
 * neither here nor in the schemas above is an unknown field: an error with
 * --validate=strict (the default), a warning with warn, dropped with
 * ignore. */
#define SERVER_SET "set by the API server"
#define SCHEDULING "scheduling: one node, nothing to choose"
static const struct {
        const char *schema, *field, *why;
} unsupported_fields[] = {
    {"metadata", "generateName", "the API server's name generation"},
    {"metadata", "ownerReferences", "garbage collection by a cluster's controllers"},
    {"metadata", "finalizers", "deletion by a cluster's controllers"},
    {"metadata", "managedFields", SERVER_SET},
    {"metadata", "resourceVersion", SERVER_SET},
    {"metadata", "generation", SERVER_SET},
    {"metadata", "selfLink", SERVER_SET},
    {"metadata", "deletionTimestamp", SERVER_SET},
    {"metadata", "deletionGracePeriodSeconds", SERVER_SET},
    {"podSpec", "nodeSelector", SCHEDULING},
    {"podSpec", "nodeName", SCHEDULING},
    {"podSpec", "affinity", SCHEDULING},
    {"podSpec", "tolerations", SCHEDULING},
    {"podSpec", "priorityClassName", SCHEDULING},
    {"podSpec", "priority", SCHEDULING},
    {"podSpec", "preemptionPolicy", SCHEDULING},
    {"podSpec", "topologySpreadConstraints", SCHEDULING},
    {"podSpec", "schedulingGates", SCHEDULING},
    {"podSpec", "schedulerName", SCHEDULING},
    {"podSpec", "serviceAccountName", "no service accounts: no token is mounted"},
    {"podSpec", "serviceAccount", "no service accounts: no token is mounted"},
    {"podSpec", "automountServiceAccountToken", "no service accounts: no token is mounted"},

};

static const char *unsupported_why(const char *schema, const char *field)
{
        for (size_t i = 0; i < PC_ARRAY_SIZE(unsupported_fields); i++)
                if (!strcmp(unsupported_fields[i].schema, schema) &&
                    !strcmp(unsupported_fields[i].field, field))
                        return unsupported_fields[i].why;
        return NULL;
}

static const char *type_name(enum ftype t)
{
        switch (t) {
        case F_STR:
                return "string";
        case F_INT:
                return "integer";
        case F_BOOL:
                return "boolean";
        case F_OBJ:
        case F_STRMAP:
        case F_QTYMAP:
                return "object";
        case F_LIST:
        case F_STRLIST:
        case F_INTLIST:
                return "array";
        case F_QTY:
                return "quantity (string or number)";
        case F_INTSTR:
                return "integer or string";
        default:
                return "any";
        }
}

static bool type_ok(enum ftype t, json_t *v)
{
        switch (t) {
        case F_STR:
                return json_is_string(v);
        case F_INT:
                return json_is_integer(v);
        case F_BOOL:
                return json_is_boolean(v);
        case F_OBJ:
        case F_STRMAP:
        case F_QTYMAP:
                return json_is_object(v);
        case F_LIST:
        case F_STRLIST:
        case F_INTLIST:
                return json_is_array(v);
        case F_QTY:
                return json_is_string(v) || json_is_number(v);
        case F_INTSTR:
                return json_is_string(v) || json_is_integer(v);
        default:
                return true;
        }
}

static void type_error(struct vctx *c, const char *path, json_t *v, const char *want)
{
        _cleanup_free_ char *s = show(v);
        ERR(c, path, "Invalid value: %s: expected %s", s, want);
}

static void walk(struct vctx *c, const struct schema *s, json_t *obj, const char *path);

static void walk_value(struct vctx *c, const struct fdef *f, json_t *v, const char *path)
{
        size_t i;
        json_t *x;
        const char *k;

        if (!type_ok(f->t, v)) {
                type_error(c, path, v, type_name(f->t));
                return;
        }
        switch (f->t) {
        case F_OBJ:
                walk(c, f->sub, v, path);
                break;
        case F_LIST:
                json_array_foreach(v, i, x)
                {
                        _cleanup_free_ char *p = pc_path_index(path, i);
                        if (!json_is_object(x))
                                type_error(c, p, x, "object");
                        else
                                walk(c, f->sub, x, p);
                }
                break;
        case F_STRLIST:
        case F_INTLIST:
                json_array_foreach(v, i, x)
                {
                        bool ok = f->t == F_STRLIST ? json_is_string(x) : json_is_integer(x);
                        if (!ok) {
                                _cleanup_free_ char *p = pc_path_index(path, i);
                                type_error(c, p, x, f->t == F_STRLIST ? "string" : "integer");
                        }
                }
                break;
        case F_STRMAP:
        case F_QTYMAP:
                json_object_foreach(v, k, x)
                {
                        bool ok = f->t == F_STRMAP ? json_is_string(x)
                                                   : json_is_string(x) || json_is_number(x);
                        if (!ok) {
                                _cleanup_free_ char *p = pc_path_key(path, k);
                                type_error(c, p, x, f->t == F_STRMAP ? "string" : "quantity");
                        }
                }
                break;
        default:
                break;
        }
}

/* Type-check obj against s; report unsupported and unknown fields; drop
 * nulls (absent, as in Kubernetes) and unknown fields (pruned). */
static void walk(struct vctx *c, const struct schema *s, json_t *obj, const char *path)
{
        const char *k;
        json_t *v;
        void *tmp;

        json_object_foreach_safe(obj, tmp, k, v)
        {
                _cleanup_free_ char *p = pc_path_key(path, k);
                const struct fdef *f = NULL;
                if (json_is_null(v)) {
                        json_object_del(obj, k);
                        continue;
                }
                for (size_t i = 0; s->f[i].name; i++)
                        if (!strcmp(s->f[i].name, k))
                                f = &s->f[i];
                const char *why;
                if (f && f->refused) {
                        if (!json_is_object(v) || json_object_size(v) > 0)
                                ERR(c, p, "Forbidden: %s", f->refused);
                } else if (f) {
                        walk_value(c, f, v, p);
                } else if ((why = unsupported_why(s->name, k))) {
                        /* a valid Kubernetes field (kubectl's strict accepts it) */
                        diag(c, PC_DIAG_WARNING, p, "not supported by podctl (%s); ignored", why);
                } else {
                        /* --validate: strict (kubectl's default) refuses an unknown
                         * field, warn says so, ignore drops it silently */
                        if (!c->ignore_unknown)
                                diag(c, c->strict ? PC_DIAG_ERROR : PC_DIAG_WARNING, p,
                                     "unknown field \"%s\"", k);
                        json_object_del(obj, k);
                }
        }
}

/* ---- name rules --------------------------------------------------------- */

#define LABEL_MSG                                                                                  \
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "   \
        "and must start and end with an alphanumeric character (e.g. 'my-name',  or "              \
        "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define SUBDOMAIN_MSG                                                                              \
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "  \
        "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "      \
        "regex used for validation is "                                                            \
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define QNAME_MSG                                                                                  \
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "  \
        "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "  \
        "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define LABELVAL_MSG                                                                               \
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "   \
        "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "      \
        "'my_value',  or '12345', regex used for validation is "                                   \
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
#define ENVNAME_MSG                                                                                \
        "a valid environment variable name must consist of alphabetic characters, digits, '_', "   \
        "'-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  "   \
        "or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')"
#define CONFIGKEY_MSG                                                                              \
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "       \
        "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "                \
        "'[-._a-zA-Z0-9]+')"

static void check_label(struct vctx *c, const char *path, const char *v)
{
        if (strlen(v) > 63)
                ERR(c, path, "Invalid value: \"%s\": must be no more than 63 characters", v);
        else if (!pc_is_dns1123_label(v))
                ERR(c, path, "Invalid value: \"%s\": " LABEL_MSG, v);
}

static void check_subdomain(struct vctx *c, const char *path, const char *v)
{
        if (strlen(v) > 253)
                ERR(c, path, "Invalid value: \"%s\": must be no more than 253 characters", v);
        else if (!pc_is_dns1123_subdomain(v))
                ERR(c, path, "Invalid value: \"%s\": " SUBDOMAIN_MSG, v);
}

static bool qname_part(const char *s, size_t n)
{
        if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
                        return false;
        return true;
}

static void check_qualified_name(struct vctx *c, const char *path, const char *k)
{
        const char *slash = strchr(k, '/');
        const char *name = slash ? slash + 1 : k;
        if (slash) {
                _cleanup_free_ char *prefix = strndup(k, (size_t)(slash - k));
                if (!pc_is_dns1123_subdomain(prefix))
                        ERR(c, path, "Invalid value: \"%s\": prefix part " SUBDOMAIN_MSG, k);
        }
        if (strlen(name) > 63)
                ERR(c, path, "Invalid value: \"%s\": name part must be no more than 63 characters",
                    k);
        else if (!qname_part(name, strlen(name)))
                ERR(c, path, "Invalid value: \"%s\": " QNAME_MSG, k);
}

static bool env_name_ok(const char *s)
{
        if (!*s || isdigit((unsigned char)*s))
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && !strchr("-._", *s))
                        return false;
        return true;
}

static bool config_key_ok(const char *s)
{
        if (!*s || strlen(s) > 253 || !strcmp(s, ".") || !strcmp(s, ".."))
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && !strchr("-._", *s))
                        return false;
        return true;
}

static void check_config_key(struct vctx *c, const char *path, const char *k)
{
        if (!config_key_ok(k))
                ERR(c, path, "Invalid value: \"%s\": " CONFIGKEY_MSG, k);
}

/* IANA_SVC_NAME: port names. */
static void check_port_name(struct vctx *c, const char *path, const char *v)
{
        bool letter = false;
        if (strlen(v) > 15) {
                ERR(c, path, "Invalid value: \"%s\": must be no more than 15 characters", v);
                return;
        }
        for (const char *p = v; *p; p++) {
                if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-')) {
                        ERR(c, path,
                            "Invalid value: \"%s\": must contain only alpha-numeric characters "
                            "(a-z, 0-9), and hyphens (-)",
                            v);
                        return;
                }
                letter |= islower((unsigned char)*p) != 0;
        }
        if (strstr(v, "--"))
                ERR(c, path, "Invalid value: \"%s\": must not contain consecutive hyphens", v);
        else if (!letter)
                ERR(c, path, "Invalid value: \"%s\": must contain at least one letter (a-z)", v);
        else if (v[0] == '-' || v[strlen(v) - 1] == '-')
                ERR(c, path, "Invalid value: \"%s\": must not begin or end with a hyphen", v);
}

static bool has_dotdot(const char *p)
{
        _cleanup_free_ char *s = pc_xstrdup(p);
        char *save = NULL;
        for (char *t = strtok_r(s, "/", &save); t; t = strtok_r(NULL, "/", &save))
                if (!strcmp(t, ".."))
                        return true;
        return false;
}

static void check_relative_path(struct vctx *c, const char *path, const char *v)
{
        if (v[0] == '/')
                ERR(c, path, "Invalid value: \"%s\": must be a relative path", v);
        else if (has_dotdot(v))
                ERR(c, path, "Invalid value: \"%s\": must not contain '..'", v);
}

static bool ip_ok(const char *s)
{
        unsigned char buf[16];
        return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* ---- accessors (NULL when absent or of the wrong type, already reported) */

static const char *gstr(json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

static json_t *gobj(json_t *o, const char *k)
{
        json_t *v = json_object_get(o, k);
        return json_is_object(v) ? v : NULL;
}

static json_t *garr(json_t *o, const char *k)
{
        json_t *v = json_object_get(o, k);
        return json_is_array(v) ? v : NULL;
}

/* Required string field: reports "Required value" when absent or empty. */
static const char *require_str(struct vctx *c, json_t *o, const char *k, const char *parent)
{
        json_t *v = json_object_get(o, k);
        if (!v || (json_is_string(v) && !*json_string_value(v))) {
                _cleanup_free_ char *p = pc_path_key(parent, k);
                ERR(c, p, "Required value");
                return NULL;
        }
        return json_string_value(v);
}

/* ---- metadata ----------------------------------------------------------- */

/* kubectl's rule: an object without metadata.namespace goes to -n's
 * namespace; one naming another namespace than an explicit -n is refused. */
static void apply_namespace(struct vctx *c, json_t *obj, const char *root)
{
        json_t *md = json_object_get(obj, "metadata");
        if (!json_is_object(md) || !c->ns)
                return;
        const char *ns = gstr(md, "namespace");
        if (!ns) {
                json_object_set_new(md, "namespace", json_string(c->ns));
        } else if (c->enforce_ns && strcmp(ns, c->ns)) {
                _cleanup_free_ char *mp = pc_path_key(root, "metadata");
                _cleanup_free_ char *p = pc_path_key(mp, "namespace");
                ERR(c, p,
                    "the namespace from the provided object \"%s\" does not match the namespace "
                    "\"%s\". You must pass '--namespace=%s' to perform this operation.",
                    ns, c->ns, ns);
        }
}

static void check_metadata(struct vctx *c, json_t *obj, const char *root)
{
        _cleanup_free_ char *mp = pc_path_key(root, "metadata");
        json_t *md = json_object_get(obj, "metadata");
        const char *k;
        json_t *v;
        _cleanup_free_ char *np = pc_path_key(mp, "name");

        if (!json_is_object(md)) {
                if (!md)
                        ERR(c, np, "Required value: name or generateName is required");
                return;
        }
        const char *name = gstr(md, "name");
        if (!json_object_get(md, "name") || (name && !*name))
                ERR(c, np, "Required value: name or generateName is required");
        else if (name)
                check_subdomain(c, np, name);
        const char *ns = gstr(md, "namespace");
        if (ns) {
                _cleanup_free_ char *p = pc_path_key(mp, "namespace");
                check_label(c, p, ns);
        }
        _cleanup_free_ char *lp = pc_path_key(mp, "labels");
        json_object_foreach(gobj(md, "labels"), k, v)
        {
                _cleanup_free_ char *p = pc_path_key(lp, k);
                check_qualified_name(c, p, k);
                const char *s = json_string_value(v);
                if (!s)
                        continue;
                if (strlen(s) > 63)
                        ERR(c, p, "Invalid value: \"%s\": must be no more than 63 characters", s);
                else if (*s && !qname_part(s, strlen(s)))
                        ERR(c, p, "Invalid value: \"%s\": " LABELVAL_MSG, s);
        }
        _cleanup_free_ char *ap = pc_path_key(mp, "annotations");
        size_t total = 0;
        json_object_foreach(gobj(md, "annotations"), k, v)
        {
                _cleanup_free_ char *p = pc_path_key(ap, k);
                check_qualified_name(c, p, k);
                total += strlen(k) + json_string_length(v);
        }
        if (total > 256 * 1024)
                ERR(c, ap, "Too long: must have at most 262144 bytes");
}

/* ---- defaults ----------------------------------------------------------- */

static void set_default(json_t *o, const char *k, json_t *v)
{
        if (json_is_object(o) && !json_object_get(o, k))
                json_object_set_new(o, k, v);
        else
                json_decref(v);
}

/* The API server defaults Go zero values, so an explicit 0 is "unset" too. */
static void default_nonzero(json_t *o, const char *k, json_int_t v)
{
        json_t *x = json_object_get(o, k);
        if (!json_is_object(o))
                return;
        if (!x || (json_is_integer(x) && json_integer_value(x) == 0))
                json_object_set_new(o, k, json_integer(v));
}

static void default_nonempty(json_t *o, const char *k, const char *v)
{
        json_t *x = json_object_get(o, k);
        if (!json_is_object(o))
                return;
        if (!x || (json_is_string(x) && !*json_string_value(x)))
                json_object_set_new(o, k, json_string(v));
}

/* SetDefaults_HTTPGetAction: path "/", scheme HTTP (probes and hooks). */
static void default_handler(json_t *h)
{
        json_t *hg = gobj(h, "httpGet");
        default_nonempty(hg, "path", "/");
        default_nonempty(hg, "scheme", "HTTP");
}

/* SetDefaults_Probe. initialDelaySeconds stays absent (0). */
static void default_probe(json_t *p)
{
        if (!p)
                return;
        default_handler(p);
        default_nonzero(p, "timeoutSeconds", 1);
        default_nonzero(p, "periodSeconds", 10);
        default_nonzero(p, "successThreshold", 1);
        default_nonzero(p, "failureThreshold", 3);
}

static void default_container(json_t *ct, bool host_network)
{
        size_t i;
        json_t *x;
        if (!json_is_object(ct))
                return;
        set_default(ct, "resources", json_object());
        json_t *res = gobj(ct, "resources");
        json_t *lim = gobj(res, "limits");
        if (lim && json_object_size(lim)) {
                /* requests default to limits */
                set_default(res, "requests", json_object());
                const char *k;
                json_t *v;
                json_object_foreach(lim, k, v)
                {
                        set_default(gobj(res, "requests"), k, json_deep_copy(v));
                }
        }
        set_default(ct, "terminationMessagePath", json_string("/dev/termination-log"));
        set_default(ct, "terminationMessagePolicy", json_string("File"));
        if (gstr(ct, "image"))
                set_default(ct, "imagePullPolicy",
                            json_string(pc_imgref_default_pull_policy(gstr(ct, "image"))));
        json_array_foreach(garr(ct, "ports"), i, x)
        {
                set_default(x, "protocol", json_string("TCP"));
                if (host_network && json_is_integer(json_object_get(x, "containerPort")))
                        set_default(x, "hostPort",
                                    json_deep_copy(json_object_get(x, "containerPort")));
        }
        json_array_foreach(garr(ct, "env"), i, x)
        {
                json_t *fr = gobj(gobj(x, "valueFrom"), "fieldRef");
                set_default(fr, "apiVersion", json_string("v1"));
                set_default(gobj(gobj(x, "valueFrom"), "resourceFieldRef"), "divisor",
                            json_string("0"));
        }
        default_probe(gobj(ct, "livenessProbe"));
        default_probe(gobj(ct, "readinessProbe"));
        default_probe(gobj(ct, "startupProbe"));
        default_handler(gobj(gobj(ct, "lifecycle"), "postStart"));
        default_handler(gobj(gobj(ct, "lifecycle"), "preStop"));
}

/* downwardAPI items: fieldRef.apiVersion v1, resourceFieldRef.divisor 0 (as
 * the API server stores them). */
static void default_dapi_items(json_t *items)
{
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it)
        {
                set_default(gobj(it, "fieldRef"), "apiVersion", json_string("v1"));
                set_default(gobj(it, "resourceFieldRef"), "divisor", json_string("0"));
        }
}

static void default_pod(json_t *pod)
{
        json_t *md = gobj(pod, "metadata"), *spec = gobj(pod, "spec"), *x;
        size_t i;

        set_default(md, "namespace", json_string("default"));
        if (!spec)
                return;
        json_array_foreach(garr(spec, "volumes"), i, x)
        {
                if (!json_is_object(x))
                        continue;
                const char *k;
                json_t *v;
                bool any = false;
                json_object_foreach(x, k, v)
                {
                        any |= strcmp(k, "name") != 0;
                }
                if (!any)
                        json_object_set_new(x, "emptyDir", json_object());
                set_default(gobj(x, "hostPath"), "type", json_string(""));
                set_default(gobj(x, "configMap"), "defaultMode", json_integer(0644));
                set_default(gobj(x, "secret"), "defaultMode", json_integer(0644));
                set_default(gobj(x, "downwardAPI"), "defaultMode", json_integer(0644));
                set_default(gobj(x, "projected"), "defaultMode", json_integer(0644));
                /* SetDefaults_ImageVolumeSource: a container image's rule */
                const char *iref = gstr(gobj(x, "image"), "reference");
                if (iref && *iref)
                        set_default(gobj(x, "image"), "pullPolicy",
                                    json_string(pc_imgref_default_pull_policy(iref)));
                default_dapi_items(garr(gobj(x, "downwardAPI"), "items"));
                size_t si;
                json_t *src;
                json_array_foreach(garr(gobj(x, "projected"), "sources"), si, src)
                {
                        default_dapi_items(garr(gobj(src, "downwardAPI"), "items"));
                }
        }
        /* spec.resources: requests default to limits, as a container's */
        json_t *pres = gobj(spec, "resources");
        if (gobj(pres, "limits")) {
                set_default(pres, "requests", json_object());
                const char *k;
                json_t *v;
                json_object_foreach(gobj(pres, "limits"), k, v)
                {
                        if (strcmp(k, "pids")) /* a limit only (KEP-6063) */
                                set_default(gobj(pres, "requests"), k, json_deep_copy(v));
                }
        }
        bool hostnet = json_is_true(json_object_get(spec, "hostNetwork"));
        json_array_foreach(garr(spec, "initContainers"), i, x)
        {
                default_container(x, hostnet);
        }
        json_array_foreach(garr(spec, "containers"), i, x)
        {
                default_container(x, hostnet);
        }
        set_default(spec, "restartPolicy", json_string("Always"));
        set_default(spec, "terminationGracePeriodSeconds", json_integer(30));
        set_default(spec, "dnsPolicy", json_string("ClusterFirst"));
        set_default(spec, "securityContext", json_object());
        set_default(spec, "schedulerName", json_string("default-scheduler"));
        set_default(spec, "enableServiceLinks", json_true());
        /* the API server's ServiceAccount admission, and the deprecated
         * alias it keeps equal */
        set_default(spec, "serviceAccountName", json_string("default"));
        set_default(spec, "serviceAccount", json_string(gstr(spec, "serviceAccountName")));
}

/* ---- pod spec validation ------------------------------------------------ */

static const char *const restart_policies[] = {"Always", "OnFailure", "Never", NULL};
static const char *const pull_policies[] = {"Always", "IfNotPresent", "Never", NULL};
static const char *const tm_policies[] = {"File", "FallbackToLogsOnError", NULL};
static const char *const dns_policies[] = {"ClusterFirstWithHostNet", "ClusterFirst", "Default",
                                           "None", NULL};
static const char *const protocols[] = {"TCP", "UDP", "SCTP", NULL};
static const char *const hostpath_types[] = {
    "",           "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket",
    "CharDevice", "BlockDevice",       NULL};
static const char *const media[] = {"", "Memory", NULL};
static const char *const field_paths[] = {"metadata.name",
                                          "metadata.namespace",
                                          "metadata.uid",
                                          "spec.nodeName",
                                          "spec.serviceAccountName",
                                          "status.hostIP",
                                          "status.hostIPs",
                                          "status.podIP",
                                          "status.podIPs",
                                          NULL};
static const char *const vol_types[] = {"emptyDir",    "hostPath",  "configMap", "secret",
                                        "downwardAPI", "projected", "image",     NULL};
static const char *const volume_field_paths[] = {"metadata.annotations", "metadata.labels",
                                                 "metadata.name",        "metadata.namespace",
                                                 "metadata.uid",         NULL};
static const char *const resource_fields[] = {"limits.cpu",
                                              "limits.ephemeral-storage",
                                              "limits.memory",
                                              "requests.cpu",
                                              "requests.ephemeral-storage",
                                              "requests.memory",
                                              NULL};

/* fieldRef / resourceFieldRef of env (volume false) or of a downwardAPI
 * file (volume true), the API server's rules; a containerName must name a
 * container of this Pod (the kubelet would fail the container later). */
static void check_resource_ref(struct vctx *c, json_t *r, const char *rp, bool volume)
{
        _cleanup_free_ char *cnp = pc_path_key(rp, "containerName");
        _cleanup_free_ char *resp = pc_path_key(rp, "resource");
        _cleanup_free_ char *dp = pc_path_key(rp, "divisor");
        const char *cn = gstr(r, "containerName");
        const char *res = gstr(r, "resource");
        if (volume && (!cn || !*cn)) {
                ERR(c, cnp, "Required value");
                return;
        }
        if (cn && *cn && c->ctr_names && !json_object_get(c->ctr_names, cn))
                ERR(c, cnp, "Not found: \"%s\" (no container of that name in this Pod)", cn);
        if (!res || !*res) {
                ERR(c, resp, "Required value");
                return;
        }
        if (!one_of(res, resource_fields)) {
                if (pc_str_has_prefix(res, "limits.hugepages-") ||
                    pc_str_has_prefix(res, "requests.hugepages-"))
                        ERR(c, resp,
                            "Forbidden: \"%s\": podctl has no hugepages resources to expose", res);
                else
                        unsupported(c, resp, res, resource_fields);
                return;
        }
        json_t *dv = json_object_get(r, "divisor");
        if (!dv || !type_ok(F_QTY, dv))
                return;
        bool cpu = pc_str_has_suffix(res, ".cpu");
        int64_t q;
        if (pc_quantity_json(dv, cpu, &q) < 0) {
                _cleanup_free_ char *sv = show(dv);
                ERR(c, dp, "Invalid value: %s: not a valid quantity", sv);
                return;
        }
        if (q == 0)
                return; /* unset: 1 */
        bool ok = false;
        if (cpu) {
                ok = q == 1 || q == 1000;
        } else {
                int64_t d = 1, b = 1;
                for (int i = 0; i <= 6 && !ok; i++, d *= 1000, b *= 1024)
                        ok = q == d || q == b;
        }
        if (!ok)
                ERR(c, dp,
                    cpu ? "Invalid value: \"%s\": only divisor's values 1m and 1 are supported "
                          "with the cpu resource"
                    : pc_str_has_suffix(res, ".memory")
                        ? "Invalid value: \"%s\": only divisor's values 1, 1k, 1M, 1G, 1T, "
                          "1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the "
                          "memory resource"
                        : "Invalid value: \"%s\": only divisor's values 1, 1k, 1M, 1G, 1T, "
                          "1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the "
                          "local ephemeral storage resource",
                    res);
}

/* metadata.labels['key'] / metadata.annotations['key'] */
static bool subscript_path(const char *f)
{
        return (pc_str_has_prefix(f, "metadata.labels['") ||
                pc_str_has_prefix(f, "metadata.annotations['")) &&
               pc_str_has_suffix(f, "']");
}

/* valueFrom.fileKeyRef (KEP-3721): an emptyDir volume of the Pod, a path
 * in it that stays in it, a key of at most 128 printable characters but
 * '='. */
static void check_file_key_ref(struct vctx *c, json_t *fk, const char *rp)
{
        const char *vol = require_str(c, fk, "volumeName", rp);
        if (vol && c->empty_dirs && !json_object_get(c->empty_dirs, vol)) {
                _cleanup_free_ char *p = pc_path_key(rp, "volumeName");
                ERR(c, p,
                    "Invalid value: \"%s\": must be the name of an emptyDir volume of the Pod",
                    vol);
        }
        const char *path = require_str(c, fk, "path", rp);
        if (path) {
                _cleanup_free_ char *p = pc_path_key(rp, "path");
                if (!*path)
                        ERR(c, p, "Required value");
                else
                        check_relative_path(c, p, path);
        }
        const char *key = require_str(c, fk, "key", rp);
        if (key) {
                _cleanup_free_ char *p = pc_path_key(rp, "key");
                bool ok = *key && strlen(key) <= 128;
                for (const char *k = key; ok && *k; k++)
                        ok = *k > ' ' && *k < 127 && *k != '=';
                if (!ok)
                        ERR(c, p,
                            "Invalid value: \"%s\": must be at most 128 printable ASCII "
                            "characters, not '='",
                            key);
        }
}

static void check_env(struct vctx *c, json_t *env, const char *path)
{
        size_t i;
        json_t *e;
        json_array_foreach(env, i, e)
        {
                _cleanup_free_ char *ep = pc_path_index(path, i);
                _cleanup_free_ char *np = pc_path_key(ep, "name");
                _cleanup_free_ char *vp = pc_path_key(ep, "valueFrom");
                const char *name = require_str(c, e, "name", ep);
                if (name && !env_name_ok(name))
                        ERR(c, np, "Invalid value: \"%s\": " ENVNAME_MSG, name);
                json_t *vf = gobj(e, "valueFrom");
                if (!vf)
                        continue;
                const char *val = gstr(e, "value");
                if (val && *val) {
                        ERR(c, vp,
                            "Invalid value: \"\": may not be specified when `value` is not "
                            "empty");
                        continue;
                }
                json_t *cm = gobj(vf, "configMapKeyRef"), *sec = gobj(vf, "secretKeyRef");
                json_t *fr = gobj(vf, "fieldRef");
                json_t *rr = gobj(vf, "resourceFieldRef");
                json_t *fk = gobj(vf, "fileKeyRef");
                if (rr && !cm && !sec && !fr && !fk) {
                        _cleanup_free_ char *rp = pc_path_key(vp, "resourceFieldRef");
                        check_resource_ref(c, rr, rp, false);
                }
                if (fk && !cm && !sec && !fr && !rr) {
                        _cleanup_free_ char *rp = pc_path_key(vp, "fileKeyRef");
                        check_file_key_ref(c, fk, rp);
                }
                int n = !!cm + !!sec + !!fr + !!fk;
                if (n == 0 && !json_object_get(vf, "resourceFieldRef"))
                        ERR(c, vp,
                            "Invalid value: \"\": must specify one of: `fieldRef`, "
                            "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
                else if (n + !!json_object_get(vf, "resourceFieldRef") > 1)
                        ERR(c, vp,
                            "Invalid value: \"\": may not have more than one field "
                            "specified at a time");
                json_t *ref = cm ? cm : sec;
                if (ref && n == 1) {
                        _cleanup_free_ char *rp =
                            pc_path_key(vp, cm ? "configMapKeyRef" : "secretKeyRef");
                        _cleanup_free_ char *kp = pc_path_key(rp, "key");
                        const char *rn = require_str(c, ref, "name", rp);
                        if (rn) {
                                _cleanup_free_ char *p = pc_path_key(rp, "name");
                                check_subdomain(c, p, rn);
                        }
                        const char *key = require_str(c, ref, "key", rp);
                        if (key)
                                check_config_key(c, kp, key);
                }
                if (fr && n == 1) {
                        _cleanup_free_ char *rp = pc_path_key(vp, "fieldRef");
                        _cleanup_free_ char *fp = pc_path_key(rp, "fieldPath");
                        const char *f = require_str(c, fr, "fieldPath", rp);
                        const char *av = gstr(fr, "apiVersion");
                        if (av && strcmp(av, "v1")) {
                                _cleanup_free_ char *p = pc_path_key(rp, "apiVersion");
                                ERR(c, p, "Unsupported value: \"%s\": supported values: \"v1\"",
                                    av);
                        }
                        if (f && !one_of(f, field_paths) && !subscript_path(f))
                                ERR(c, fp,
                                    "Unsupported value: \"%s\": supported values: "
                                    "\"metadata.name\", \"metadata.namespace\", \"metadata.uid\", "
                                    "\"spec.nodeName\", \"spec.serviceAccountName\", "
                                    "\"status.hostIP\", \"status.hostIPs\", \"status.podIP\", "
                                    "\"status.podIPs\"",
                                    f);
                }
        }
}

static void check_env_from(struct vctx *c, json_t *ef, const char *path)
{
        size_t i;
        json_t *e;
        json_array_foreach(ef, i, e)
        {
                _cleanup_free_ char *ep = pc_path_index(path, i);
                json_t *cm = gobj(e, "configMapRef"), *sec = gobj(e, "secretRef");
                if (!cm && !sec) {
                        ERR(c, ep,
                            "Invalid value: \"\": must specify one of: `configMapRef` or "
                            "`secretRef`");
                        continue;
                }
                if (cm && sec) {
                        ERR(c, ep,
                            "Invalid value: \"\": may not have more than one field "
                            "specified at a time");
                        continue;
                }
                _cleanup_free_ char *rp = pc_path_key(ep, cm ? "configMapRef" : "secretRef");
                const char *n = require_str(c, cm ? cm : sec, "name", rp);
                if (n) {
                        _cleanup_free_ char *p = pc_path_key(rp, "name");
                        check_subdomain(c, p, n);
                }
                const char *pre = gstr(e, "prefix");
                if (pre && *pre && !env_name_ok(pre)) {
                        _cleanup_free_ char *p = pc_path_key(ep, "prefix");
                        ERR(c, p, "Invalid value: \"%s\": " ENVNAME_MSG, pre);
                }
        }
}

static void check_ports(struct vctx *c, json_t *ports, const char *path, json_t *host_ports)
{
        size_t i;
        json_t *p;
        _cleanup_(json_decrefp) json_t *names = json_object();
        json_array_foreach(ports, i, p)
        {
                _cleanup_free_ char *pp = pc_path_index(path, i);
                _cleanup_free_ char *cpp = pc_path_key(pp, "containerPort");
                _cleanup_free_ char *hpp = pc_path_key(pp, "hostPort");
                json_t *cp = json_object_get(p, "containerPort");
                json_t *hp = json_object_get(p, "hostPort");
                if (!cp)
                        ERR(c, cpp, "Required value");
                else if (json_is_integer(cp) &&
                         (json_integer_value(cp) < 1 || json_integer_value(cp) > 65535))
                        ERR(c, cpp,
                            "Invalid value: %" JSON_INTEGER_FORMAT
                            ": must be between 1 and 65535, inclusive",
                            json_integer_value(cp));
                if (json_is_integer(hp) && json_integer_value(hp) != 0 &&
                    (json_integer_value(hp) < 1 || json_integer_value(hp) > 65535))
                        ERR(c, hpp,
                            "Invalid value: %" JSON_INTEGER_FORMAT
                            ": must be between 1 and 65535, inclusive",
                            json_integer_value(hp));
                if (c->host_network && json_is_integer(hp) && json_is_integer(cp) &&
                    json_integer_value(hp) != json_integer_value(cp))
                        ERR(c, hpp,
                            "Invalid value: %" JSON_INTEGER_FORMAT
                            ": must match `containerPort` when `hostNetwork` is true",
                            json_integer_value(hp));
                const char *proto = gstr(p, "protocol");
                if (proto && !one_of(proto, protocols)) {
                        _cleanup_free_ char *q = pc_path_key(pp, "protocol");
                        unsupported(c, q, proto, protocols);
                }
                const char *hip = gstr(p, "hostIP");
                if (hip && !ip_ok(hip)) {
                        _cleanup_free_ char *q = pc_path_key(pp, "hostIP");
                        ERR(c, q, "Invalid value: \"%s\": must be a valid IP address", hip);
                }
                const char *name = gstr(p, "name");
                if (name) {
                        _cleanup_free_ char *q = pc_path_key(pp, "name");
                        check_port_name(c, q, name);
                        if (json_object_get(names, name))
                                ERR(c, q, "Duplicate value: \"%s\"", name);
                        json_object_set_new(names, name, json_true());
                }
                if (json_is_integer(hp) && json_integer_value(hp) > 0) {
                        _cleanup_free_ char *key =
                            pc_xasprintf("%s/%" JSON_INTEGER_FORMAT "/%s", hip ? hip : "",
                                         json_integer_value(hp), proto ? proto : "TCP");
                        if (json_object_get(host_ports, key))
                                ERR(c, hpp, "Duplicate value: \"%" JSON_INTEGER_FORMAT "/%s\"",
                                    json_integer_value(hp), proto ? proto : "TCP");
                        json_object_set_new(host_ports, key, json_true());
                }
        }
}

static void check_resources(struct vctx *c, json_t *res, const char *path)
{
        static const char *const which[] = {"limits", "requests"};
        int64_t vals[2][2] = {{-1, -1}, {-1, -1}}; /* [limits|requests][cpu|memory] */
        for (int w = 0; w < 2; w++) {
                _cleanup_free_ char *wp = pc_path_key(path, which[w]);
                const char *k;
                json_t *v;
                json_object_foreach(gobj(res, which[w]), k, v)
                {
                        _cleanup_free_ char *p = pc_path_key(wp, k);
                        bool cpu = !strcmp(k, "cpu");
                        int64_t q;
                        if (!strcmp(k, "pids")) {
                                /* the Pod's PID limit (Kubernetes 1.37's per-Pod PID
                                 * limits, KEP-6063): Pod-level limits only */
                                if (!c->pod_level)
                                        ERR(c, p,
                                            "Forbidden: pids may only be set in the Pod's "
                                            "spec.resources.limits");
                                else if (w == 1)
                                        ERR(c, p, "Forbidden: pids may only be set in limits");
                                else if (pc_quantity_json(v, false, &q) < 0 || q < 128 ||
                                         q > 16384) {
                                        _cleanup_free_ char *sv = show(v);
                                        ERR(c, p,
                                            "Invalid value: %s: must be an integer between 128 "
                                            "and 16384, inclusive",
                                            sv);
                                }
                                continue;
                        }
                        if (!cpu && strcmp(k, "memory") && c->pod_level) {
                                /* the API server's supported Pod-level resources,
                                 * less hugepages (podctl exposes none) */
                                ERR(c, p,
                                    "Unsupported value: \"%s\": supported values: \"cpu\", "
                                    "\"memory\", \"pids\"",
                                    k);
                                continue;
                        }
                        if (!cpu && strcmp(k, "memory")) {
                                if (!strcmp(k, "ephemeral-storage")) {
                                        /* a limit: enforced (the monitor's storage.c); a
                                         * request defaulted from it says nothing new */
                                        if (w == 1 &&
                                            !json_equal(v, json_object_get(gobj(res, "limits"),
                                                                           "ephemeral-storage")))
                                                diag(c, PC_DIAG_WARNING, p,
                                                     "not counted by podctl's admission (the "
                                                     "limit is enforced; the downward API "
                                                     "reads both)");
                                } else if (pc_str_has_prefix(k, "hugepages-"))
                                        ERR(c, p,
                                            "Forbidden: podctl has no hugepages to allocate (the "
                                            "kubelet would not admit the Pod)");
                                else if (strchr(k, '/'))
                                        ERR(c, p,
                                            "Forbidden: no device plugin on this node provides "
                                            "\"%s\" (the kubelet would not admit the Pod)",
                                            k);
                                else
                                        ERR(c, p,
                                            "Invalid value: \"%s\": must be a standard resource "
                                            "type or fully qualified",
                                            k);
                                continue;
                        }
                        if (!json_is_string(v) && !json_is_number(v))
                                continue;
                        if (pc_quantity_json(v, cpu, &q) < 0) {
                                _cleanup_free_ char *s = show(v);
                                ERR(c, p,
                                    "Invalid value: %s: quantities must match the regular "
                                    "expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
                                    s);
                                continue;
                        }
                        if (q < 0) {
                                _cleanup_free_ char *s = show(v);
                                ERR(c, p, "Invalid value: %s: must be greater than or equal to 0",
                                    s);
                                continue;
                        }
                        vals[w][cpu ? 0 : 1] = q;
                }
        }
        for (int r = 0; r < 2; r++) {
                const char *rn = r == 0 ? "cpu" : "memory";
                if (vals[0][r] >= 0 && vals[1][r] > vals[0][r]) {
                        _cleanup_free_ char *rp = pc_path_key(path, "requests");
                        _cleanup_free_ char *p = pc_path_key(rp, rn);
                        _cleanup_free_ char *s = show(json_object_get(gobj(res, "requests"), rn));
                        json_t *lv = json_object_get(gobj(res, "limits"), rn);
                        _cleanup_free_ char *l =
                            json_is_string(lv) ? pc_xstrdup(json_string_value(lv)) : show(lv);
                        ERR(c, p, "Invalid value: %s: must be less than or equal to %s limit of %s",
                            s, rn, l);
                }
        }
}

/* An image reference, as the kubelet parses it (its InvalidImageName,
 * reported at apply); `key` is the field holding it. */
static void check_image_ref(struct vctx *c, const char *image, const char *path, const char *key)
{
        _cleanup_free_ char *p = pc_path_key(path, key);
        if (isspace((unsigned char)image[0]) || isspace((unsigned char)image[strlen(image) - 1])) {
                ERR(c, p, "Invalid value: \"%s\": must not have leading or trailing whitespace",
                    image);
                return;
        }
        struct pc_imgref ir;
        const char *why;
        if (pc_imgref_parse(image, &ir, &why) < 0)
                ERR(c, p, "Invalid value: \"%s\": %s", image, why);
        pc_imgref_clear(&ir);
}

/* privileged: the container's securityContext.privileged (Bidirectional). */
static void check_mounts(struct vctx *c, json_t *mounts, const char *path, json_t *volumes,
                         bool privileged)
{
        size_t i;
        json_t *m;
        _cleanup_(json_decrefp) json_t *seen = json_object();
        json_array_foreach(mounts, i, m)
        {
                _cleanup_free_ char *mp = pc_path_index(path, i);
                _cleanup_free_ char *np = pc_path_key(mp, "name");
                _cleanup_free_ char *pp = pc_path_key(mp, "mountPath");
                const char *name = require_str(c, m, "name", mp);
                if (name && !json_object_get(volumes, name))
                        ERR(c, np, "Not found: \"%s\" (no volume of that name in spec.volumes)",
                            name);
                const char *mpath = require_str(c, m, "mountPath", mp);
                if (mpath) {
                        /* Kubernetes accepts relative paths here (resolved by the
                         * runtime); podctl requires absolute ones. */
                        if (mpath[0] != '/')
                                ERR(c, pp, "Invalid value: \"%s\": must be an absolute path",
                                    mpath);
                        else if (json_object_get(seen, mpath))
                                ERR(c, pp, "Invalid value: \"%s\": must be unique", mpath);
                        json_object_set_new(seen, mpath, json_true());
                }
                const char *sub = gstr(m, "subPath");
                if (sub && *sub) {
                        _cleanup_free_ char *sp = pc_path_key(mp, "subPath");
                        check_relative_path(c, sp, sub);
                }
                /* subPathExpr: the API server's rules; expanded (and checked
                 * again) by the monitor with the container's environment */
                const char *spe = gstr(m, "subPathExpr");
                if (spe && *spe) {
                        _cleanup_free_ char *sp = pc_path_key(mp, "subPathExpr");
                        if (sub && *sub)
                                ERR(c, sp,
                                    "Invalid value: \"%s\": subPathExpr and subPath are mutually "
                                    "exclusive",
                                    spe);
                        else
                                check_relative_path(c, sp, spe);
                }
                /* mountPropagation: None (a private bind) and HostToContainer
                 * (an rslave one) are applied; Bidirectional is refused */
                static const char *const props[] = {"None", "HostToContainer", "Bidirectional",
                                                    NULL};
                const char *prop = gstr(m, "mountPropagation");
                if (prop) {
                        _cleanup_free_ char *pp2 = pc_path_key(mp, "mountPropagation");
                        if (!one_of(prop, props))
                                unsupported(c, pp2, prop, props);
                        else if (!strcmp(prop, "Bidirectional") && !privileged)
                                ERR(c, pp2,
                                    "Forbidden: Bidirectional mount propagation is available "
                                    "only to privileged containers");
                        else if (!strcmp(prop, "Bidirectional"))
                                ERR(c, pp2, "Forbidden: \"Bidirectional\": " BIDIRECTIONAL_WHY);
                }
                /* recursiveReadOnly (the API server's rules) */
                static const char *const rro_values[] = {"Disabled", "IfPossible", "Enabled", NULL};
                const char *rro = gstr(m, "recursiveReadOnly");
                _cleanup_free_ char *rp = pc_path_key(mp, "recursiveReadOnly");
                if (rro && !one_of(rro, rro_values))
                        unsupported(c, rp, rro, rro_values);
                else if (rro && strcmp(rro, "Disabled") &&
                         !json_is_true(json_object_get(m, "readOnly")))
                        ERR(c, rp, "Forbidden: may only be specified when readOnly is true");
                else if (rro && strcmp(rro, "Disabled") && prop && strcmp(prop, "None"))
                        ERR(c, rp,
                            "Forbidden: may only be specified when mountPropagation is None or "
                            "not specified");
        }
}

/* ---- probes and lifecycle hooks ---------------------------------------- */

static const char *const http_schemes[] = {"HTTP", "HTTPS", NULL};
static const char *const probe_kinds[] = {"exec", "httpGet", "tcpSocket", "grpc", NULL};
static const char *const hook_kinds[] = {"exec", "httpGet", "tcpSocket", "sleep", NULL};
#define NOT_FOR_INIT "Forbidden: may not be set for init containers without restartPolicy of Always"

/* The containerPort of ct named `name`, or -1. */
static json_int_t named_port(json_t *ct, const char *name)
{
        size_t i;
        json_t *p;
        json_array_foreach(garr(ct, "ports"), i, p)
        {
                const char *n = gstr(p, "name");
                json_t *cp = json_object_get(p, "containerPort");
                if (n && !strcmp(n, name) && json_is_integer(cp))
                        return json_integer_value(cp);
        }
        return -1;
}

/* ValidatePortNumOrName, plus (podctl) a name must be one of the container's
 * named ports: podctl resolves it when the Pod is created, where the kubelet
 * would fail every probe with "port NAME not found". */
static void check_handler_port(struct vctx *c, json_t *h, const char *path, json_t *ct)
{
        _cleanup_free_ char *p = pc_path_key(path, "port");
        json_t *v = json_object_get(h, "port");
        if (!v || json_is_integer(v)) {
                json_int_t n = v ? json_integer_value(v) : 0;
                if (n < 1 || n > 65535)
                        ERR(c, p,
                            "Invalid value: %" JSON_INTEGER_FORMAT
                            ": must be between 1 and 65535, inclusive",
                            n);
                return;
        }
        if (!json_is_string(v))
                return; /* reported by the schema walk */
        const char *name = json_string_value(v);
        size_t before = c->diags->n_errors;
        check_port_name(c, p, name);
        if (c->diags->n_errors == before && named_port(ct, name) < 0)
                ERR(c, p,
                    "Invalid value: \"%s\": no containerPort of this container is named \"%s\"",
                    name, name);
}

static bool http_header_name_ok(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char)*s) && *s != '-')
                        return false;
        return true;
}

static void check_http_get(struct vctx *c, json_t *a, const char *path, json_t *ct)
{
        const char *hp = gstr(a, "path");
        if (!hp || !*hp) {
                _cleanup_free_ char *p = pc_path_key(path, "path");
                ERR(c, p, "Required value");
        }
        check_handler_port(c, a, path, ct);
        const char *scheme = gstr(a, "scheme");
        if (scheme && !one_of(scheme, http_schemes)) {
                _cleanup_free_ char *p = pc_path_key(path, "scheme");
                unsupported(c, p, scheme, http_schemes);
        }
        _cleanup_free_ char *hdp = pc_path_key(path, "httpHeaders");
        size_t i;
        json_t *x;
        json_array_foreach(garr(a, "httpHeaders"), i, x)
        {
                const char *n = gstr(x, "name");
                if (json_is_object(x) && !http_header_name_ok(n ? n : ""))
                        ERR(c, hdp,
                            "Invalid value: \"%s\": a valid HTTP header must consist of "
                            "alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for "
                            "validation is '[-A-Za-z0-9]+')",
                            n ? n : "");
        }
}

/* validateHandler: exactly one action, each checked. */
static void check_handler(struct vctx *c, json_t *h, const char *path, json_t *ct, bool hook)
{
        const char *const *kinds = hook ? hook_kinds : probe_kinds;
        int n = 0;
        for (size_t k = 0; kinds[k]; k++) {
                if (!json_object_get(h, kinds[k]))
                        continue;
                _cleanup_free_ char *kp = pc_path_key(path, kinds[k]);
                if (n++ > 0) {
                        ERR(c, kp, "Forbidden: may not specify more than 1 handler type");
                        continue;
                }
                json_t *a = gobj(h, kinds[k]);
                if (!a)
                        continue; /* wrong type, reported by the schema walk */
                if (!strcmp(kinds[k], "exec")) {
                        json_t *cmd = json_object_get(a, "command");
                        if (!cmd || (json_is_array(cmd) && json_array_size(cmd) == 0)) {
                                _cleanup_free_ char *p = pc_path_key(kp, "command");
                                ERR(c, p, "Required value");
                        }
                } else if (!strcmp(kinds[k], "httpGet")) {
                        check_http_get(c, a, kp, ct);
                } else if (!strcmp(kinds[k], "tcpSocket") || !strcmp(kinds[k], "grpc")) {
                        check_handler_port(c, a, kp, ct);
                } else { /* sleep */
                        json_t *sv = json_object_get(a, "seconds");
                        json_int_t s = json_is_integer(sv) ? json_integer_value(sv) : 0;
                        if ((!sv || json_is_integer(sv)) && c->grace >= 0 &&
                            (s <= 0 || s > c->grace))
                                ERR(c, kp,
                                    "Invalid value: %" JSON_INTEGER_FORMAT
                                    ": must be greater than 0 and less than "
                                    "terminationGracePeriodSeconds (%" JSON_INTEGER_FORMAT ")",
                                    s, c->grace);
                }
        }
        if (n == 0)
                ERR(c, path, "Required value: must specify a handler type");
}

/* validateProbe + the liveness/readiness/startup specific rules. */
static void check_probe(struct vctx *c, json_t *pr, const char *path, json_t *ct, const char *which)
{
        static const char *const nonneg[] = {"initialDelaySeconds", "timeoutSeconds",
                                             "periodSeconds", "successThreshold",
                                             "failureThreshold"};
        check_handler(c, pr, path, ct, false);
        for (size_t i = 0; i < PC_ARRAY_SIZE(nonneg); i++) {
                json_t *v = json_object_get(pr, nonneg[i]);
                if (!json_is_integer(v))
                        continue;
                _cleanup_free_ char *p = pc_path_key(path, nonneg[i]);
                if (json_integer_value(v) < 0)
                        ERR(c, p,
                            "Invalid value: %" JSON_INTEGER_FORMAT
                            ": must be greater than or equal to 0",
                            json_integer_value(v));
                else if (json_integer_value(v) > INT32_MAX)
                        ERR(c, p,
                            "Invalid value: %" JSON_INTEGER_FORMAT
                            ": must be no more than 2147483647",
                            json_integer_value(v));
        }
        _cleanup_free_ char *tp = pc_path_key(path, "terminationGracePeriodSeconds");
        json_t *tg = json_object_get(pr, "terminationGracePeriodSeconds");
        if (json_is_integer(tg) && json_integer_value(tg) <= 0)
                ERR(c, tp, "Invalid value: %" JSON_INTEGER_FORMAT ": must be greater than 0",
                    json_integer_value(tg));
        if (!strcmp(which, "readinessProbe")) {
                if (json_is_integer(tg))
                        ERR(c, tp,
                            "Invalid value: %" JSON_INTEGER_FORMAT
                            ": must not be set for readinessProbes",
                            json_integer_value(tg));
        } else {
                json_t *st = json_object_get(pr, "successThreshold");
                if (json_is_integer(st) && json_integer_value(st) != 1) {
                        _cleanup_free_ char *p = pc_path_key(path, "successThreshold");
                        ERR(c, p, "Invalid value: %" JSON_INTEGER_FORMAT ": must be 1",
                            json_integer_value(st));
                }
        }
}

/* lifecycle.stopSignal (KEP-4960), as the API server's validateStopSignal:
 * only with spec.os.name, and then one of that OS's signals (sorted as
 * Kubernetes lists them). */
static const char *const stop_signals_linux[] = {
    "SIGABRT",     "SIGALRM",     "SIGBUS",      "SIGCHLD",     "SIGCLD",      "SIGCONT",
    "SIGFPE",      "SIGHUP",      "SIGILL",      "SIGINT",      "SIGIO",       "SIGIOT",
    "SIGKILL",     "SIGPIPE",     "SIGPOLL",     "SIGPROF",     "SIGPWR",      "SIGQUIT",
    "SIGRTMAX",    "SIGRTMAX-1",  "SIGRTMAX-10", "SIGRTMAX-11", "SIGRTMAX-12", "SIGRTMAX-13",
    "SIGRTMAX-14", "SIGRTMAX-2",  "SIGRTMAX-3",  "SIGRTMAX-4",  "SIGRTMAX-5",  "SIGRTMAX-6",
    "SIGRTMAX-7",  "SIGRTMAX-8",  "SIGRTMAX-9",  "SIGRTMIN",    "SIGRTMIN+1",  "SIGRTMIN+10",
    "SIGRTMIN+11", "SIGRTMIN+12", "SIGRTMIN+13", "SIGRTMIN+14", "SIGRTMIN+15", "SIGRTMIN+2",
    "SIGRTMIN+3",  "SIGRTMIN+4",  "SIGRTMIN+5",  "SIGRTMIN+6",  "SIGRTMIN+7",  "SIGRTMIN+8",
    "SIGRTMIN+9",  "SIGSEGV",     "SIGSTKFLT",   "SIGSTOP",     "SIGSYS",      "SIGTERM",
    "SIGTRAP",     "SIGTSTP",     "SIGTTIN",     "SIGTTOU",     "SIGURG",      "SIGUSR1",
    "SIGUSR2",     "SIGVTALRM",   "SIGWINCH",    "SIGXCPU",     "SIGXFSZ",     NULL};
static const char *const stop_signals_windows[] = {"SIGKILL", "SIGTERM", NULL};

static void check_stop_signal(struct vctx *c, json_t *lc, const char *lp)
{
        json_t *v = json_object_get(lc, "stopSignal");
        if (!json_is_string(v))
                return; /* absent, or the wrong type (reported by the schema walk) */
        _cleanup_free_ char *p = pc_path_key(lp, "stopSignal");
        if (!c->os || !*c->os) {
                ERR(c, p, "Forbidden: may not be set for containers with empty `spec.os.name`");
                return;
        }
        const char *const *ok = !strcmp(c->os, "windows") ? stop_signals_windows
                                : !strcmp(c->os, "linux") ? stop_signals_linux
                                                          : NULL;
        const char *sig = json_string_value(v);
        if (!ok || one_of(sig, ok))
                return;
        char list[1024];
        size_t n = 0;
        for (size_t i = 0; ok[i] && n < sizeof(list); i++)
                n += (size_t)snprintf(list + n, sizeof(list) - n, "%s\"%s\"", i ? ", " : "", ok[i]);
        ERR(c, p, "Unsupported value: \"%s\": supported values: %s", sig, list);
}

static void check_probes_and_hooks(struct vctx *c, json_t *ct, const char *path, bool init)
{
        static const char *const probes[] = {"livenessProbe", "readinessProbe", "startupProbe"};
        const char *rpol = gstr(ct, "restartPolicy");
        if (init && !(rpol && !strcmp(rpol, "Always"))) {
                if (json_object_get(ct, "lifecycle")) {
                        _cleanup_free_ char *p = pc_path_key(path, "lifecycle");
                        ERR(c, p, NOT_FOR_INIT);
                }
                for (size_t i = 0; i < PC_ARRAY_SIZE(probes); i++)
                        if (json_object_get(ct, probes[i])) {
                                _cleanup_free_ char *p = pc_path_key(path, probes[i]);
                                ERR(c, p, NOT_FOR_INIT);
                        }
                return;
        }
        json_t *lc = gobj(ct, "lifecycle");
        _cleanup_free_ char *lp = pc_path_key(path, "lifecycle");
        check_stop_signal(c, lc, lp);
        static const char *const hooks[] = {"postStart", "preStop"};
        for (size_t i = 0; i < PC_ARRAY_SIZE(hooks); i++) {
                json_t *h = gobj(lc, hooks[i]);
                if (h) {
                        _cleanup_free_ char *p = pc_path_key(lp, hooks[i]);
                        check_handler(c, h, p, ct, true);
                }
        }
        for (size_t i = 0; i < PC_ARRAY_SIZE(probes); i++) {
                json_t *pr = gobj(ct, probes[i]);
                if (pr) {
                        _cleanup_free_ char *p = pc_path_key(path, probes[i]);
                        check_probe(c, pr, p, ct, probes[i]);
                }
        }
}

/* securityContext.runAsUser/runAsGroup of a Pod or container (path is the
 * owner's path). */
static void check_run_as_ids(struct vctx *c, json_t *sc, const char *path)
{
        static const char *const ids[] = {"runAsUser", "runAsGroup"};
        for (int i = 0; i < 2; i++) {
                json_t *v = json_object_get(sc, ids[i]);
                if (json_is_integer(v) &&
                    (json_integer_value(v) < 0 || json_integer_value(v) > 2147483647)) {
                        _cleanup_free_ char *sp = pc_path_key(path, "securityContext");
                        _cleanup_free_ char *p = pc_path_key(sp, ids[i]);
                        ERR(c, p,
                            "Invalid value: %" JSON_INTEGER_FORMAT
                            ": must be between 0 and 2147483647, inclusive",
                            json_integer_value(v));
                }
        }
}

/* ---- securityContext ------------------------------------------------------ */

static bool is_capability_name(const char *n)
{
        return pc_capability_number(n) >= 0 || !strcmp(n, "ALL");
}

/* seccompProfile / appArmorProfile (kind "seccomp" or "AppArmor"). */
static void check_profile(struct vctx *c, json_t *o, const char *path, const char *kind)
{
        if (!o)
                return;
        static const char *const types[] = {"Localhost", "RuntimeDefault", "Unconfined", NULL};
        _cleanup_free_ char *tp = pc_path_key(path, "type");
        _cleanup_free_ char *lp = pc_path_key(path, "localhostProfile");
        const char *t = require_str(c, o, "type", path);
        const char *lhp = gstr(o, "localhostProfile");
        if (t && !one_of(t, types))
                unsupported(c, tp, t, types);
        if (t && !strcmp(t, "Localhost") && (!lhp || !*lhp))
                ERR(c, lp, "Required value: must be set when %s type is Localhost", kind);
        if (t && strcmp(t, "Localhost") && lhp)
                ERR(c, lp, "Invalid value: \"%s\": can only be set when %s type is Localhost", lhp,
                    kind);
        if (lhp && !strcmp(kind, "seccomp") &&
            (lhp[0] == '/' || !strcmp(lhp, "..") || pc_str_has_prefix(lhp, "../") ||
             strstr(lhp, "/../") || pc_str_has_suffix(lhp, "/..")))
                ERR(c, lp, "Invalid value: \"%s\": must be a relative path without '..'", lhp);
}

static void check_container_security(struct vctx *c, json_t *sc, const char *path)
{
        _cleanup_free_ char *sp = pc_path_key(path, "securityContext");
        if (!sc)
                return;
        json_t *caps = gobj(sc, "capabilities");
        _cleanup_free_ char *cp = pc_path_key(sp, "capabilities");
        static const char *const lists[] = {"add", "drop"};
        bool adds_sys_admin = false;
        for (int l = 0; l < 2; l++) {
                _cleanup_free_ char *lp = pc_path_key(cp, lists[l]);
                size_t i;
                json_t *x;
                json_array_foreach(garr(caps, lists[l]), i, x)
                {
                        const char *n = json_string_value(x);
                        _cleanup_free_ char *p = pc_path_index(lp, i);
                        if (n && !is_capability_name(n))
                                ERR(c, p, "Invalid value: \"%s\": unknown capability", n);
                        if (n && l == 0 &&
                            (!strcmp(n, "ALL") || pc_capability_number(n) == 21 /* SYS_ADMIN */))
                                adds_sys_admin = true;
                }
        }
        json_t *ape = json_object_get(sc, "allowPrivilegeEscalation");
        if (json_is_false(ape)) {
                _cleanup_free_ char *p = pc_path_key(sp, "allowPrivilegeEscalation");
                if (json_is_true(json_object_get(sc, "privileged")))
                        ERR(c, p,
                            "Invalid value: false: cannot set `allowPrivilegeEscalation` to false "
                            "and `privileged` to true");
                if (adds_sys_admin)
                        ERR(c, p,
                            "Invalid value: false: cannot set `allowPrivilegeEscalation` to false "
                            "and `capabilities.Add` CAP_SYS_ADMIN");
        }
        const char *pm = gstr(sc, "procMount");
        static const char *const proc_mounts[] = {"Default", "Unmasked", NULL};
        if (pm && !one_of(pm, proc_mounts)) {
                _cleanup_free_ char *p = pc_path_key(sp, "procMount");
                unsupported(c, p, pm, proc_mounts);
        }
        _cleanup_free_ char *scp = pc_path_key(sp, "seccompProfile");
        check_profile(c, gobj(sc, "seccompProfile"), scp, "seccomp");
        _cleanup_free_ char *aap = pc_path_key(sp, "appArmorProfile");
        check_profile(c, gobj(sc, "appArmorProfile"), aap, "AppArmor");
}

/* Kubernetes' sysctl name rule (IsValidSysctlName). */
static bool sysctl_name_ok(const char *n)
{
        size_t len = strlen(n);
        if (len == 0 || len > 253)
                return false;
        bool start = true;
        for (size_t i = 0; i < len; i++) {
                char ch = n[i];
                bool an = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
                if (ch == '.' || ch == '/') {
                        if (start || (i > 0 && (n[i - 1] == '-' || n[i - 1] == '_')))
                                return false;
                        start = true;
                        continue;
                }
                if (!an && ch != '-' && ch != '_')
                        return false;
                if (start && !an)
                        return false;
                start = false;
        }
        return !start && n[len - 1] != '-' && n[len - 1] != '_';
}

static void check_pod_security(struct vctx *c, json_t *spec, const char *sp)
{
        json_t *sc = gobj(spec, "securityContext");
        _cleanup_free_ char *scp = pc_path_key(sp, "securityContext");
        if (json_is_true(json_object_get(spec, "shareProcessNamespace")) &&
            json_is_true(json_object_get(spec, "hostPID"))) {
                _cleanup_free_ char *p = pc_path_key(sp, "shareProcessNamespace");
                ERR(c, p,
                    "Invalid value: true: ShareProcessNamespace and HostPID cannot both be "
                    "enabled");
        }
        if (json_is_false(json_object_get(spec, "hostUsers"))) {
                /* the API server's rules for a Pod in its own user namespace */
                static const char *const hostns[] = {"hostNetwork", "hostPID", "hostIPC"};
                for (size_t i = 0; i < PC_ARRAY_SIZE(hostns); i++)
                        if (json_is_true(json_object_get(spec, hostns[i]))) {
                                _cleanup_free_ char *p = pc_path_key(sp, hostns[i]);
                                ERR(c, p, "Forbidden: when `hostUsers` is false");
                        }
                static const char *const lists[] = {"initContainers", "containers"};
                for (size_t l = 0; l < 2; l++) {
                        size_t i;
                        json_t *ct;
                        _cleanup_free_ char *lp = pc_path_key(sp, lists[l]);
                        json_array_foreach(garr(spec, lists[l]), i, ct)
                        {
                                if (!json_is_true(
                                        json_object_get(gobj(ct, "securityContext"), "privileged")))
                                        continue;
                                _cleanup_free_ char *cp = pc_path_index(lp, i);
                                _cleanup_free_ char *scp2 = pc_path_key(cp, "securityContext");
                                _cleanup_free_ char *pp = pc_path_key(scp2, "privileged");
                                ERR(c, pp, "Forbidden: when `hostUsers` is false");
                        }
                }
        }
        if (!sc)
                return;
        json_t *sg = json_object_get(sc, "supplementalGroups");
        _cleanup_free_ char *sgp = pc_path_key(scp, "supplementalGroups");
        if (sg && !json_is_array(sg))
                ERR(c, sgp, "Invalid value: must be a list of integers");
        size_t i;
        json_t *x;
        json_array_foreach(garr(sc, "supplementalGroups"), i, x)
        {
                _cleanup_free_ char *p = pc_path_index(sgp, i);
                if (!json_is_integer(x) || json_integer_value(x) < 0 ||
                    json_integer_value(x) > 2147483647)
                        ERR(c, p,
                            "Invalid value: must be an integer between 0 and 2147483647, "
                            "inclusive");
        }
        json_t *fg = json_object_get(sc, "fsGroup");
        if (json_is_integer(fg) &&
            (json_integer_value(fg) < 0 || json_integer_value(fg) > 2147483647)) {
                _cleanup_free_ char *p = pc_path_key(scp, "fsGroup");
                ERR(c, p,
                    "Invalid value: %" JSON_INTEGER_FORMAT
                    ": must be between 0 and 2147483647, inclusive",
                    json_integer_value(fg));
        }
        static const char *const sgpols[] = {"Merge", "Strict", NULL};
        static const char *const fgpols[] = {"OnRootMismatch", "Always", NULL};
        static const char *const selpols[] = {"MountOption", "Recursive", NULL};
        const struct {
                const char *k;
                const char *const *ok;
        } enums[] = {{"supplementalGroupsPolicy", sgpols},
                     {"fsGroupChangePolicy", fgpols},
                     {"seLinuxChangePolicy", selpols}};
        for (size_t k = 0; k < PC_ARRAY_SIZE(enums); k++) {
                const char *v = gstr(sc, enums[k].k);
                if (v && !one_of(v, enums[k].ok)) {
                        _cleanup_free_ char *p = pc_path_key(scp, enums[k].k);
                        unsupported(c, p, v, enums[k].ok);
                }
        }
        _cleanup_free_ char *sysp = pc_path_key(scp, "sysctls");
        bool host_net = json_is_true(json_object_get(spec, "hostNetwork"));
        bool host_ipc = json_is_true(json_object_get(spec, "hostIPC"));
        json_t *seen = json_object();
        json_array_foreach(garr(sc, "sysctls"), i, x)
        {
                _cleanup_free_ char *p = pc_path_index(sysp, i);
                _cleanup_free_ char *np = pc_path_key(p, "name");
                const char *n = require_str(c, x, "name", p);
                if (!json_is_string(json_object_get(x, "value"))) {
                        _cleanup_free_ char *vp = pc_path_key(p, "value");
                        ERR(c, vp, "Required value");
                }
                if (!n)
                        continue;
                if (!sysctl_name_ok(n)) {
                        ERR(c, np,
                            "Invalid value: \"%s\": must have at most 253 characters and match "
                            "regex "
                            "^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./"
                            "])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$",
                            n);
                        continue;
                }
                if (json_object_get(seen, n))
                        ERR(c, np, "Duplicate value: \"%s\"", n);
                json_object_set_new(seen, n, json_true());
                /* A node-wide sysctl is the node's to refuse (SysctlForbidden at
                 * admission, pod/security.c), as the kubelet does. */
                enum pc_sysctl_ns ns = pc_sysctl_namespace(n);
                if (ns == PC_SYSCTL_NET && host_net)
                        ERR(c, np,
                            "Invalid value: \"%s\": may not be specified when 'hostNetwork' is "
                            "true",
                            n);
                else if (ns == PC_SYSCTL_IPC && host_ipc)
                        ERR(c, np,
                            "Invalid value: \"%s\": may not be specified when 'hostIPC' is true",
                            n);
        }
        json_decref(seen);
        _cleanup_free_ char *secp = pc_path_key(scp, "seccompProfile");
        check_profile(c, gobj(sc, "seccompProfile"), secp, "seccomp");
        _cleanup_free_ char *aap = pc_path_key(scp, "appArmorProfile");
        check_profile(c, gobj(sc, "appArmorProfile"), aap, "AppArmor");
}

/* The count limits of spec.h, with Kubernetes' TooMany message at the
 * list; true when over (the items are then not checked one by one). */
static bool too_many(struct vctx *c, json_t *arr, const char *path, size_t max)
{
        if (json_array_size(arr) <= max)
                return false;
        ERR(c, path, "Too many: %zu: must have at most %zu items", json_array_size(arr), max);
        return true;
}

/* A container's restartPolicy and restartPolicyRules, as the API server
 * validates them with the ContainerRestartRules gate (beta, on by default
 * in 1.35) and RestartAllContainersOnContainerExits on: Always, OnFailure or
 * Never; rules only beside a restartPolicy, at most 20, each with an action
 * and exitCodes (In or NotIn, at most 255 values, no duplicates). A native
 * sidecar (an init container's Always) restarts on any exit: the only rule
 * it takes is RestartAllContainers. */
static void check_restart(struct vctx *c, json_t *ct, const char *path, bool init)
{
        static const char *const policies[] = {"Always", "OnFailure", "Never", NULL};
        static const char *const actions[] = {"Restart", "RestartAllContainers", NULL};
        static const char *const operators[] = {"In", "NotIn", NULL};
        _cleanup_free_ char *rp = pc_path_key(path, "restartPolicy");
        _cleanup_free_ char *lp = pc_path_key(path, "restartPolicyRules");
        const char *rpol = gstr(ct, "restartPolicy");
        json_t *rules = garr(ct, "restartPolicyRules");
        if (rpol && !one_of(rpol, policies))
                unsupported(c, rp, rpol, policies);
        bool sidecar = init && rpol && !strcmp(rpol, "Always");
        if (!json_array_size(rules))
                return;
        if (!rpol)
                ERR(c, lp,
                    "Required value: must specify restartPolicy when restart rules are used");
        if (too_many(c, rules, lp, 20))
                return;
        size_t i;
        json_t *r;
        json_array_foreach(rules, i, r)
        {
                _cleanup_free_ char *ip = pc_path_index(lp, i);
                _cleanup_free_ char *ap = pc_path_key(ip, "action");
                _cleanup_free_ char *ep = pc_path_key(ip, "exitCodes");
                _cleanup_free_ char *op = pc_path_key(ep, "operator");
                _cleanup_free_ char *vp = pc_path_key(ep, "values");
                const char *action = gstr(r, "action");
                if (!action)
                        ERR(c, ap, "Required value");
                else if (!one_of(action, actions))
                        unsupported(c, ap, action, actions);
                else if (sidecar && strcmp(action, "RestartAllContainers"))
                        ERR(c, ap,
                            "Forbidden: a sidecar container (restartPolicy Always) restarts on "
                            "every exit; its only rule action is RestartAllContainers");
                json_t *ec = json_object_get(r, "exitCodes");
                if (!json_is_object(ec)) {
                        ERR(c, ep, "Required value");
                        continue;
                }
                const char *o = gstr(ec, "operator");
                if (!o)
                        ERR(c, op, "Required value");
                else if (!one_of(o, operators))
                        unsupported(c, op, o, operators);
                json_t *vals = garr(ec, "values");
                if (too_many(c, vals, vp, 255))
                        continue;
                size_t k, l;
                json_t *v, *w;
                json_array_foreach(vals, k, v)
                {
                        json_array_foreach(vals, l, w)
                        {
                                if (l >= k)
                                        break;
                                if (json_is_integer(v) && json_equal(v, w)) {
                                        _cleanup_free_ char *kp = pc_path_index(vp, k);
                                        ERR(c, kp, "Duplicate value: %" JSON_INTEGER_FORMAT,
                                            json_integer_value(v));
                                        break;
                                }
                        }
                }
        }
}

/* resizePolicy as the API server's validateResizePolicy: cpu or memory
 * once each, NotRequired or RestartContainer, only NotRequired in a Pod
 * whose restartPolicy is Never. */
static void check_resize_policy(struct vctx *c, json_t *rp, const char *path)
{
        static const char *const names[] = {"cpu", "memory", NULL};
        static const char *const policies[] = {"NotRequired", "RestartContainer", NULL};
        _cleanup_free_ char *lp = pc_path_key(path, "resizePolicy");
        if (!rp || json_is_null(rp))
                return;
        if (!json_is_array(rp)) {
                _cleanup_free_ char *s = show(rp);
                ERR(c, lp, "Invalid value: %s: must be a list", s);
                return;
        }
        bool seen[2] = {false, false};
        size_t i;
        json_t *x;
        json_array_foreach(rp, i, x)
        {
                _cleanup_free_ char *ip = pc_path_index(lp, i);
                _cleanup_free_ char *np = pc_path_key(ip, "resourceName");
                _cleanup_free_ char *pp = pc_path_key(ip, "restartPolicy");
                if (!json_is_object(x)) {
                        _cleanup_free_ char *s = show(x);
                        ERR(c, ip, "Invalid value: %s: must be an object", s);
                        continue;
                }
                const char *n = gstr(x, "resourceName");
                const char *p = gstr(x, "restartPolicy");
                if (!n)
                        ERR(c, np, "Required value");
                else if (!one_of(n, names))
                        unsupported(c, np, n, names);
                else if (seen[strcmp(n, "cpu") != 0])
                        ERR(c, np, "Duplicate value: \"%s\"", n);
                else
                        seen[strcmp(n, "cpu") != 0] = true;
                if (!p)
                        ERR(c, pp, "Required value");
                else if (!one_of(p, policies))
                        unsupported(c, pp, p, policies);
                else if (!strcmp(p, "RestartContainer") && c->restart_policy &&
                         !strcmp(c->restart_policy, "Never"))
                        ERR(c, pp,
                            "Invalid value: \"%s\": must be 'NotRequired' when `restartPolicy` "
                            "is 'Never'",
                            p);
        }
}

static void check_container(struct vctx *c, json_t *ct, const char *path, bool init, json_t *names,
                            json_t *volumes, json_t *host_ports)
{
        _cleanup_free_ char *np = pc_path_key(path, "name");
        const char *name = require_str(c, ct, "name", path);
        if (name) {
                check_label(c, np, name);
                if (json_object_get(names, name))
                        ERR(c, np, "Duplicate value: \"%s\"", name);
                json_object_set_new(names, name, json_true());
        }
        const char *image = require_str(c, ct, "image", path);
        if (image && *image)
                check_image_ref(c, image, path, "image");
        check_restart(c, ct, path, init);
        const char *ipp = gstr(ct, "imagePullPolicy");
        if (ipp && !one_of(ipp, pull_policies)) {
                _cleanup_free_ char *p = pc_path_key(path, "imagePullPolicy");
                unsupported(c, p, ipp, pull_policies);
        }
        const char *tmp = gstr(ct, "terminationMessagePolicy");
        if (tmp && !one_of(tmp, tm_policies)) {
                _cleanup_free_ char *p = pc_path_key(path, "terminationMessagePolicy");
                unsupported(c, p, tmp, tm_policies);
        }
        const char *tmpath = gstr(ct, "terminationMessagePath");
        if (tmpath && tmpath[0] != '/') {
                _cleanup_free_ char *p = pc_path_key(path, "terminationMessagePath");
                ERR(c, p, "Invalid value: \"%s\": must be an absolute path", tmpath);
        }
        const char *wd = gstr(ct, "workingDir");
        if (wd && *wd && wd[0] != '/') {
                _cleanup_free_ char *p = pc_path_key(path, "workingDir");
                ERR(c, p, "Invalid value: \"%s\": must be an absolute path", wd);
        }
        _cleanup_free_ char *ep = pc_path_key(path, "env");
        if (!too_many(c, garr(ct, "env"), ep, PC_MANIFEST_MAX_ENV))
                check_env(c, garr(ct, "env"), ep);
        _cleanup_free_ char *efp = pc_path_key(path, "envFrom");
        if (!too_many(c, garr(ct, "envFrom"), efp, PC_MANIFEST_MAX_ENV_FROM))
                check_env_from(c, garr(ct, "envFrom"), efp);
        _cleanup_free_ char *pp = pc_path_key(path, "ports");
        if (!too_many(c, garr(ct, "ports"), pp, PC_MANIFEST_MAX_PORTS))
                check_ports(c, garr(ct, "ports"), pp, host_ports);
        _cleanup_free_ char *resp = pc_path_key(path, "resources");
        check_resources(c, gobj(ct, "resources"), resp);
        check_resize_policy(c, json_object_get(ct, "resizePolicy"), path);
        _cleanup_free_ char *mp = pc_path_key(path, "volumeMounts");
        if (!too_many(c, garr(ct, "volumeMounts"), mp, PC_MANIFEST_MAX_MOUNTS))
                check_mounts(
                    c, garr(ct, "volumeMounts"), mp, volumes,
                    json_is_true(json_object_get(gobj(ct, "securityContext"), "privileged")));
        check_probes_and_hooks(c, ct, path, init);
        check_run_as_ids(c, gobj(ct, "securityContext"), path);
        check_container_security(c, gobj(ct, "securityContext"), path);
}

/* A file mode at o.k: 0 to max (0777 for files, 01777 for an emptyDir). */
static void check_mode_max(struct vctx *c, json_t *o, const char *k, const char *path, int max)
{
        json_t *v = json_object_get(o, k);
        if (json_is_integer(v) && (json_integer_value(v) < 0 || json_integer_value(v) > max)) {
                _cleanup_free_ char *p = pc_path_key(path, k);
                ERR(c, p,
                    "Invalid value: %" JSON_INTEGER_FORMAT
                    ": must be a number between 0 and %#o (octal), both inclusive",
                    json_integer_value(v), (unsigned)max);
        }
}

static void check_mode(struct vctx *c, json_t *o, const char *k, const char *path)
{
        check_mode_max(c, o, k, path, 0777);
}

/* An item path of a configMap, secret or downwardAPI file: relative, no
 * '..' component, not starting with '..' (the API server's
 * validateLocalNonReservedPath); unique within a projected volume (seen). */
static void check_item_path(struct vctx *c, const char *p, const char *ipath, json_t *seen)
{
        check_relative_path(c, p, ipath);
        if (pc_str_has_prefix(ipath, ".."))
                ERR(c, p, "Invalid value: \"%s\": must not start with '..'", ipath);
        if (!seen)
                return;
        if (json_object_get(seen, ipath))
                ERR(c, p, "Invalid value: \"%s\": conflicting duplicate paths", ipath);
        json_object_set_new(seen, ipath, json_true());
}

static void check_key_items(struct vctx *c, json_t *s, const char *tp, json_t *seen)
{
        _cleanup_free_ char *ip = pc_path_key(tp, "items");
        size_t i;
        json_t *it;
        json_array_foreach(garr(s, "items"), i, it)
        {
                _cleanup_free_ char *p = pc_path_index(ip, i);
                _cleanup_free_ char *kp = pc_path_key(p, "key");
                _cleanup_free_ char *pp = pc_path_key(p, "path");
                const char *k = require_str(c, it, "key", p);
                if (k)
                        check_config_key(c, kp, k);
                const char *ipath = require_str(c, it, "path", p);
                if (ipath)
                        check_item_path(c, pp, ipath, seen);
                check_mode(c, it, "mode", p);
        }
}

static void check_dapi_items(struct vctx *c, json_t *s, const char *tp, json_t *seen)
{
        _cleanup_free_ char *ip = pc_path_key(tp, "items");
        size_t i;
        json_t *it;
        json_array_foreach(garr(s, "items"), i, it)
        {
                _cleanup_free_ char *p = pc_path_index(ip, i);
                _cleanup_free_ char *pp = pc_path_key(p, "path");
                const char *ipath = require_str(c, it, "path", p);
                if (ipath)
                        check_item_path(c, pp, ipath, seen);
                check_mode(c, it, "mode", p);
                json_t *fr = gobj(it, "fieldRef"), *rr = gobj(it, "resourceFieldRef");
                if (fr && rr) {
                        ERR(c, p,
                            "Invalid value: \"resource\": fieldRef and resourceFieldRef can not "
                            "be specified simultaneously");
                } else if (fr) {
                        _cleanup_free_ char *rp = pc_path_key(p, "fieldRef");
                        _cleanup_free_ char *fp = pc_path_key(rp, "fieldPath");
                        const char *av = gstr(fr, "apiVersion");
                        if (av && strcmp(av, "v1")) {
                                _cleanup_free_ char *ap = pc_path_key(rp, "apiVersion");
                                ERR(c, ap, "Unsupported value: \"%s\": supported values: \"v1\"",
                                    av);
                        }
                        const char *f = require_str(c, fr, "fieldPath", rp);
                        if (f && !one_of(f, volume_field_paths) && !subscript_path(f))
                                unsupported(c, fp, f, volume_field_paths);
                } else if (rr) {
                        _cleanup_free_ char *rp = pc_path_key(p, "resourceFieldRef");
                        check_resource_ref(c, rr, rp, true);
                } else {
                        ERR(c, p,
                            "Required value: one of fieldRef and resourceFieldRef is required");
                }
        }
}

static void check_projected(struct vctx *c, json_t *s, const char *tp)
{
        check_mode(c, s, "defaultMode", tp);
        _cleanup_free_ char *sp = pc_path_key(tp, "sources");
        _cleanup_(json_decrefp) json_t *seen = json_object();
        size_t i;
        json_t *src;
        json_array_foreach(garr(s, "sources"), i, src)
        {
                _cleanup_free_ char *p = pc_path_index(sp, i);
                static const char *const kinds[] = {
                    "configMap",          "secret",         "downwardAPI", "serviceAccountToken",
                    "clusterTrustBundle", "podCertificate", NULL};
                int n = 0;
                const char *kind = NULL;
                for (size_t k = 0; kinds[k]; k++)
                        if (json_object_get(src, kinds[k])) {
                                n++;
                                kind = kinds[k];
                        }
                if (n == 0) {
                        ERR(c, p,
                            "Required value: must specify one of: `configMap`, `secret`, "
                            "`downwardAPI`");
                        continue;
                }
                if (n > 1) {
                        ERR(c, p, "Forbidden: may not specify more than 1 volume type per source");
                        continue;
                }
                _cleanup_free_ char *kp = pc_path_key(p, kind);
                json_t *o = gobj(src, kind);
                if (!strcmp(kind, "serviceAccountToken") || !strcmp(kind, "clusterTrustBundle") ||
                    !strcmp(kind, "podCertificate")) {
                        continue; /* refused by the schema walk */
                } else if (!o) {
                        continue; /* not an object: reported by the schema walk */
                } else if (!strcmp(kind, "downwardAPI")) {
                        check_dapi_items(c, o, kp, seen);
                } else {
                        const char *rn = require_str(c, o, "name", kp);
                        if (rn) {
                                _cleanup_free_ char *np = pc_path_key(kp, "name");
                                check_subdomain(c, np, rn);
                        }
                        check_key_items(c, o, kp, seen);
                }
        }
}

/* image (KEP-4639): validateImageVolumeSource (reference required, a pull
 * policy of the three), and the reference parsed as a container's image. */
static void check_image_volume(struct vctx *c, json_t *s, const char *tp)
{
        const char *ref = require_str(c, s, "reference", tp);
        if (ref && *ref)
                check_image_ref(c, ref, tp, "reference");
        const char *pp = gstr(s, "pullPolicy");
        if (pp && !one_of(pp, pull_policies)) {
                _cleanup_free_ char *p = pc_path_key(tp, "pullPolicy");
                unsupported(c, p, pp, pull_policies);
        }
}

static void check_volume(struct vctx *c, json_t *v, const char *path, json_t *names)
{
        _cleanup_free_ char *np = pc_path_key(path, "name");
        const char *name = require_str(c, v, "name", path);
        if (name) {
                check_label(c, np, name);
                if (json_object_get(names, name))
                        ERR(c, np, "Duplicate value: \"%s\"", name);
                json_object_set_new(names, name, json_true());
        }
        int n = 0;
        const char *type = NULL;
        for (size_t i = 0; vol_types[i]; i++)
                if (json_object_get(v, vol_types[i])) {
                        n++;
                        type = vol_types[i];
                }
        /* a cluster's volume type is refused by the schema walk */
        for (size_t i = 0; n == 0 && s_volume_f[i].name; i++)
                if (s_volume_f[i].refused && json_object_get(v, s_volume_f[i].name))
                        return;
        if (n == 0) {
                ERR(c, path,
                    "Required value: must specify a volume type (podctl supports emptyDir, "
                    "hostPath, configMap, secret, downwardAPI, projected and image)");
                return;
        }
        if (n > 1) {
                ERR(c, path, "Forbidden: may not specify more than 1 volume type");
                return;
        }
        _cleanup_free_ char *tp = pc_path_key(path, type);
        json_t *s = gobj(v, type);
        if (!s)
                return;
        if (!strcmp(type, "hostPath")) {
                const char *p = require_str(c, s, "path", tp);
                _cleanup_free_ char *pp = pc_path_key(tp, "path");
                if (p && has_dotdot(p))
                        ERR(c, pp, "Invalid value: \"%s\": must not contain '..'", p);
                else if (p && p[0] != '/')
                        ERR(c, pp, "Invalid value: \"%s\": must be an absolute path", p);
                const char *t = gstr(s, "type");
                if (t && !one_of(t, hostpath_types)) {
                        _cleanup_free_ char *q = pc_path_key(tp, "type");
                        unsupported(c, q, t, hostpath_types);
                }
        } else if (!strcmp(type, "emptyDir")) {
                check_mode_max(c, s, "mode", tp, 01777);
                const char *m = gstr(s, "medium");
                if (m && !one_of(m, media)) {
                        _cleanup_free_ char *q = pc_path_key(tp, "medium");
                        unsupported(c, q, m, media);
                }
                json_t *sl = json_object_get(s, "sizeLimit");
                int64_t q;
                if (sl && type_ok(F_QTY, sl) && (pc_quantity_json(sl, false, &q) < 0 || q < 0)) {
                        _cleanup_free_ char *p = pc_path_key(tp, "sizeLimit");
                        _cleanup_free_ char *sv = show(sl);
                        ERR(c, p, "Invalid value: %s: must be a non-negative quantity", sv);
                }
        } else if (!strcmp(type, "downwardAPI")) {
                check_mode(c, s, "defaultMode", tp);
                check_dapi_items(c, s, tp, NULL);
        } else if (!strcmp(type, "projected")) {
                check_projected(c, s, tp);
        } else if (!strcmp(type, "image")) {
                check_image_volume(c, s, tp);
        } else {
                bool secret = !strcmp(type, "secret");
                const char *rn = require_str(c, s, secret ? "secretName" : "name", tp);
                if (rn) {
                        _cleanup_free_ char *p = pc_path_key(tp, secret ? "secretName" : "name");
                        check_subdomain(c, p, rn);
                }
                check_mode(c, s, "defaultMode", tp);
                check_key_items(c, s, tp, NULL);
        }
}

/* A container's quantity resources.<which>.<res> (cpu in millicores), -1
 * when unset or invalid (reported elsewhere). */
static int64_t ctr_qty(json_t *ct, const char *which, const char *res)
{
        int64_t q;
        json_t *v = json_object_get(gobj(gobj(ct, "resources"), which), res);
        return v && pc_quantity_json(v, !strcmp(res, "cpu"), &q) == 0 ? q : -1;
}

static int64_t or0(int64_t v)
{
        return v < 0 ? 0 : v;
}

/* spec.resources (Pod-level resources, KEP-2837): cpu and memory; the
 * requests at least the containers' aggregate request (the scheduler's
 * formula, with sidecars), no container's limit above the Pod's. */
static void check_pod_resources(struct vctx *c, json_t *spec, const char *sp)
{
        json_t *res = gobj(spec, "resources");
        if (!res)
                return;
        _cleanup_free_ char *rp = pc_path_key(sp, "resources");
        c->pod_level = true;
        check_resources(c, res, rp);
        c->pod_level = false;
        static const char *const names[] = {"cpu", "memory"};
        for (int r = 0; r < 2; r++) {
                const char *rn = names[r];
                int64_t preq = -1, plim = -1;
                json_t *rv = json_object_get(gobj(res, "requests"), rn);
                json_t *lv = json_object_get(gobj(res, "limits"), rn);
                if (rv && pc_quantity_json(rv, r == 0, &preq) < 0)
                        preq = -1;
                if (lv && pc_quantity_json(lv, r == 0, &plim) < 0)
                        plim = -1;
                /* aggregate container requests: max(apps + sidecars, each init
                 * container + the sidecars started before it) */
                int64_t apps = 0, side = 0, init_max = 0;
                size_t i;
                json_t *x;
                json_array_foreach(garr(spec, "initContainers"), i, x)
                {
                        const char *rpol = gstr(x, "restartPolicy");
                        int64_t q = or0(ctr_qty(x, "requests", rn));
                        if (rpol && !strcmp(rpol, "Always"))
                                side += q;
                        else if (side + q > init_max)
                                init_max = side + q;
                }
                json_array_foreach(garr(spec, "containers"), i, x)
                {
                        apps += or0(ctr_qty(x, "requests", rn));
                }
                int64_t agg = apps + side > init_max ? apps + side : init_max;
                if (preq >= 0 && agg > preq) {
                        _cleanup_free_ char *qp = pc_path_key(rp, "requests");
                        _cleanup_free_ char *p = pc_path_key(qp, rn);
                        _cleanup_free_ char *have = show(rv);
                        _cleanup_free_ char *want = pc_quantity_format(agg, r == 0);
                        ERR(c, p,
                            "Invalid value: %s: must be greater than or equal to aggregate "
                            "container requests of %s",
                            have, want);
                }
                if (plim < 0)
                        continue;
                static const char *const lists[] = {"initContainers", "containers"};
                for (int l = 0; l < 2; l++)
                        json_array_foreach(garr(spec, lists[l]), i, x)
                        {
                                int64_t cl = ctr_qty(x, "limits", rn);
                                if (cl <= plim)
                                        continue;
                                _cleanup_free_ char *qp = pc_path_key(rp, "limits");
                                _cleanup_free_ char *p = pc_path_key(qp, rn);
                                _cleanup_free_ char *have = show(lv);
                                _cleanup_free_ char *want = pc_quantity_format(cl, r == 0);
                                ERR(c, p,
                                    "Invalid value: %s: must be greater than or equal to the "
                                    "limit of container \"%s\" (%s)",
                                    have, gstr(x, "name") ? gstr(x, "name") : "", want);
                        }
        }
}

/* setHostnameAsFQDN: the FQDN becomes the kernel's hostname, at most 64
 * characters (the kubelet fails the sandbox over it, with this message; a
 * hostNetwork Pod keeps the node's). */
static void check_fqdn_length(struct vctx *c, json_t *pod, const char *sp)
{
        json_t *spec = json_object_get(pod, "spec");
        json_t *meta = json_object_get(pod, "metadata");
        if (c->host_network || gstr(spec, "hostnameOverride"))
                return;
        const char *h = gstr(spec, "hostname") ? gstr(spec, "hostname") : gstr(meta, "name");
        const char *sub = gstr(spec, "subdomain");
        const char *ns = gstr(meta, "namespace") ? gstr(meta, "namespace") : "default";
        if (!h || !*h)
                return;
        _cleanup_free_ char *fqdn =
            sub && *sub ? pc_xasprintf("%s.%s.%s.svc.cluster.local", h, sub, ns) : pc_xstrdup(h);
        if (strlen(fqdn) <= 64)
                return;
        _cleanup_free_ char *p = pc_path_key(sp, "setHostnameAsFQDN");
        ERR(c, p,
            "Invalid value: true: failed to construct FQDN from pod hostname and cluster domain, "
            "FQDN %s is too long (64 characters is the max, %zu characters requested)",
            fqdn, strlen(fqdn));
}

static void check_pod_spec(struct vctx *c, json_t *pod, const char *root)
{
        _cleanup_free_ char *sp = pc_path_key(root, "spec");
        json_t *spec = json_object_get(pod, "spec");
        size_t i;
        json_t *x;

        if (!json_is_object(spec)) {
                if (!spec)
                        ERR(c, sp, "Required value");
                return;
        }
        c->host_network = json_is_true(json_object_get(spec, "hostNetwork"));
        _cleanup_free_ char *rgp = pc_path_key(sp, "readinessGates");
        json_array_foreach(garr(spec, "readinessGates"), i, x)
        {
                _cleanup_free_ char *p = pc_path_index(rgp, i);
                _cleanup_free_ char *ctp = pc_path_key(p, "conditionType");
                const char *ct = require_str(c, x, "conditionType", p);
                if (ct)
                        check_qualified_name(c, ctp, ct);
        }
        if (json_is_true(json_object_get(spec, "setHostnameAsFQDN")))
                check_fqdn_length(c, pod, sp);
        /* spec.os.name: the API server's values; the node (the monitor)
         * rejects a Pod whose OS is not linux, as the kubelet does. */
        json_t *os = json_object_get(spec, "os");
        if (json_is_object(os)) {
                _cleanup_free_ char *op = pc_path_key(sp, "os");
                _cleanup_free_ char *onp = pc_path_key(op, "name");
                const char *osn = gstr(os, "name");
                if (!osn || !*osn)
                        ERR(c, onp, "Required value");
                else if (strcmp(osn, "linux") && strcmp(osn, "windows"))
                        ERR(c, onp,
                            "Unsupported value: \"%s\": supported values: \"linux\", \"windows\"",
                            osn);
        }
        json_t *grace = json_object_get(spec, "terminationGracePeriodSeconds");
        c->grace = json_is_integer(grace) ? json_integer_value(grace) : 30;
        c->os = json_is_object(os) ? gstr(os, "name") : NULL;
        _cleanup_(json_decrefp) json_t *vnames = json_object();
        _cleanup_(json_decrefp) json_t *cnames = json_object();
        _cleanup_(json_decrefp) json_t *host_ports = json_object();
        _cleanup_free_ char *vp = pc_path_key(sp, "volumes");
        _cleanup_free_ char *ip = pc_path_key(sp, "initContainers");
        _cleanup_free_ char *cp = pc_path_key(sp, "containers");
        bool over = too_many(c, garr(spec, "volumes"), vp, PC_MANIFEST_MAX_VOLUMES);
        over |= too_many(c, garr(spec, "initContainers"), ip, PC_MANIFEST_MAX_CONTAINERS);
        over |= too_many(c, garr(spec, "containers"), cp, PC_MANIFEST_MAX_CONTAINERS);
        if (over)
                return;
        _cleanup_(json_decrefp) json_t *all_ctrs = json_object();
        static const char *const lists[] = {"initContainers", "containers"};
        for (int l = 0; l < 2; l++)
                json_array_foreach(garr(spec, lists[l]), i, x)
                {
                        if (gstr(x, "name"))
                                json_object_set_new(all_ctrs, gstr(x, "name"), json_true());
                }
        c->ctr_names = all_ctrs;
        _cleanup_(json_decrefp) json_t *empty_dirs = json_object();
        json_array_foreach(garr(spec, "volumes"), i, x)
        {
                if (gstr(x, "name") && json_object_get(x, "emptyDir"))
                        json_object_set_new(empty_dirs, gstr(x, "name"), json_true());
        }
        c->empty_dirs = empty_dirs;
        c->restart_policy = gstr(spec, "restartPolicy");
        json_array_foreach(garr(spec, "volumes"), i, x)
        {
                _cleanup_free_ char *p = pc_path_index(vp, i);
                check_volume(c, x, p, vnames);
        }
        json_array_foreach(garr(spec, "initContainers"), i, x)
        {
                _cleanup_free_ char *p = pc_path_index(ip, i);
                check_container(c, x, p, true, cnames, vnames, host_ports);
        }
        json_t *cts = json_object_get(spec, "containers");
        if (!cts || (json_is_array(cts) && json_array_size(cts) == 0))
                ERR(c, cp, "Required value");
        json_array_foreach(garr(spec, "containers"), i, x)
        {
                _cleanup_free_ char *p = pc_path_index(cp, i);
                check_container(c, x, p, false, cnames, vnames, host_ports);
        }
        const char *rp = gstr(spec, "restartPolicy");
        if (rp && !one_of(rp, restart_policies)) {
                _cleanup_free_ char *p = pc_path_key(sp, "restartPolicy");
                unsupported(c, p, rp, restart_policies);
        }
        const char *dp = gstr(spec, "dnsPolicy");
        if (dp && !one_of(dp, dns_policies)) {
                _cleanup_free_ char *p = pc_path_key(sp, "dnsPolicy");
                unsupported(c, p, dp, dns_policies);
        } else if (dp && !strcmp(dp, "None") && !gobj(spec, "dnsConfig")) {
                _cleanup_free_ char *p = pc_path_key(sp, "dnsConfig");
                ERR(c, p, "Required value: must provide `dnsConfig` when `dnsPolicy` is None");
        }
        json_t *tg = json_object_get(spec, "terminationGracePeriodSeconds");
        if (json_is_integer(tg) && json_integer_value(tg) < 0) {
                _cleanup_free_ char *p = pc_path_key(sp, "terminationGracePeriodSeconds");
                ERR(c, p,
                    "Invalid value: %" JSON_INTEGER_FORMAT ": must be greater than or equal to 0",
                    json_integer_value(tg));
        }
        json_t *ad = json_object_get(spec, "activeDeadlineSeconds");
        if (json_is_integer(ad) &&
            (json_integer_value(ad) < 1 || json_integer_value(ad) > 2147483647)) {
                _cleanup_free_ char *p = pc_path_key(sp, "activeDeadlineSeconds");
                ERR(c, p,
                    "Invalid value: %" JSON_INTEGER_FORMAT
                    ": must be between 1 and 2147483647, inclusive",
                    json_integer_value(ad));
        }
        /* hostnameOverride (KEP-4762): the kernel's hostname holds 64 bytes */
        const char *ho = gstr(spec, "hostnameOverride");
        if (ho) {
                _cleanup_free_ char *p = pc_path_key(sp, "hostnameOverride");
                if (strlen(ho) > 64)
                        ERR(c, p, "Invalid value: \"%s\": must be no more than 64 characters", ho);
                else
                        check_subdomain(c, p, ho);
                if (json_is_true(json_object_get(spec, "hostNetwork")))
                        ERR(c, p, "Forbidden: may not be set when hostNetwork is true");
                if (json_is_true(json_object_get(spec, "setHostnameAsFQDN")))
                        ERR(c, p, "Forbidden: may not be set when setHostnameAsFQDN is true");
        }
        static const char *const hn[] = {"hostname", "subdomain"};
        for (int k = 0; k < 2; k++) {
                const char *h = gstr(spec, hn[k]);
                if (h) {
                        _cleanup_free_ char *p = pc_path_key(sp, hn[k]);
                        check_label(c, p, h);
                }
        }
        _cleanup_free_ char *hp = pc_path_key(sp, "hostAliases");
        json_array_foreach(garr(spec, "hostAliases"), i, x)
        {
                _cleanup_free_ char *p = pc_path_index(hp, i);
                _cleanup_free_ char *ipp = pc_path_key(p, "ip");
                const char *ipv = require_str(c, x, "ip", p);
                if (ipv && !ip_ok(ipv))
                        ERR(c, ipp, "Invalid value: \"%s\": must be a valid IP address", ipv);
                _cleanup_free_ char *hnp = pc_path_key(p, "hostnames");
                size_t j;
                json_t *h;
                json_array_foreach(garr(x, "hostnames"), j, h)
                {
                        _cleanup_free_ char *q = pc_path_index(hnp, j);
                        if (json_is_string(h))
                                check_subdomain(c, q, json_string_value(h));
                }
        }
        json_t *dc = gobj(spec, "dnsConfig");
        _cleanup_free_ char *dcp = pc_path_key(sp, "dnsConfig");
        _cleanup_free_ char *nsp = pc_path_key(dcp, "nameservers");
        json_array_foreach(garr(dc, "nameservers"), i, x)
        {
                _cleanup_free_ char *p = pc_path_index(nsp, i);
                if (json_is_string(x) && !ip_ok(json_string_value(x)))
                        ERR(c, p, "Invalid value: \"%s\": must be valid IP address",
                            json_string_value(x));
        }
        _cleanup_free_ char *op = pc_path_key(dcp, "options");
        json_array_foreach(garr(dc, "options"), i, x)
        {
                _cleanup_free_ char *p = pc_path_index(op, i);
                require_str(c, x, "name", p);
        }
        check_run_as_ids(c, gobj(spec, "securityContext"), sp);
        check_pod_security(c, spec, sp);
        check_pod_resources(c, spec, sp);
        c->ctr_names = NULL; /* all_ctrs ends with this scope */
        c->empty_dirs = NULL;
}

/* ---- ConfigMap and Secret ----------------------------------------------- */

static void check_data_keys(struct vctx *c, json_t *obj, const char *field, const char *root,
                            json_t *seen)
{
        _cleanup_free_ char *fp = pc_path_key(root, field);
        const char *k;
        json_t *v;
        json_object_foreach(gobj(obj, field), k, v)
        {
                _cleanup_free_ char *p = pc_path_key(fp, k);
                check_config_key(c, p, k);
                if (seen) {
                        if (json_object_get(seen, k))
                                ERR(c, p,
                                    "Invalid value: \"%s\": duplicate of key present in "
                                    "data",
                                    k);
                        json_object_set_new(seen, k, json_true());
                }
        }
}

/* Validate base64, merge stringData into data (base64), default type; the
 * API server's 1 MiB limit of the decoded data, counted on the way. */
static void normalize_secret(struct vctx *c, json_t *obj, const char *root)
{
        _cleanup_free_ char *dp = pc_path_key(root, "data");
        json_t *data = gobj(obj, "data"), *sd = gobj(obj, "stringData"), *v;
        const char *k;
        size_t total = 0;

        json_object_foreach(data, k, v)
        {
                unsigned char *d;
                size_t len;
                if (!json_is_string(v))
                        continue;
                if (pc_b64_decode(json_string_value(v), &d, &len) < 0) {
                        _cleanup_free_ char *p = pc_path_key(dp, k);
                        ERR(c, p, "Invalid value: <redacted>: illegal base64 data");
                        continue;
                }
                free(d);
                if (!json_object_get(sd, k)) /* else stringData's value replaces it */
                        total += len;
        }
        if (sd) {
                if (!data) {
                        json_object_set_new(obj, "data", json_object());
                        data = gobj(obj, "data");
                }
                json_object_foreach(sd, k, v)
                {
                        if (!json_is_string(v))
                                continue;
                        total += json_string_length(v);
                        _cleanup_free_ char *enc = pc_b64_encode(
                            (const unsigned char *)json_string_value(v), json_string_length(v));
                        json_object_set_new(data, k, json_string(enc));
                }
                json_object_del(obj, "stringData");
        }
        if (total > 1048576)
                ERR(c, dp, "Too long: must have at most 1048576 bytes");
        set_default(obj, "type", json_string("Opaque"));
}

/* The API server's checks of a Secret's type (ValidateSecret), on data with
 * stringData merged in: the keys each well-known type requires, and its JSON
 * well-formed for the docker config types. Any other type is taken as it
 * is. */
static void check_secret_type(struct vctx *c, json_t *obj, const char *root)
{
        _cleanup_free_ char *dp = pc_path_key(root, "data");
        _cleanup_free_ char *sdp = pc_path_key(root, "stringData");
        _cleanup_free_ char *tp = pc_path_key(root, "type");
        json_t *data = gobj(obj, "data");
        const char *type = gstr(obj, "type");
        if (!type)
                return;
        static const struct {
                const char *type, *keys[2];
                bool any;       /* basic-auth: one of the keys is enough */
                bool non_empty; /* ssh-auth: present and not empty */
                bool json;      /* the docker configs: a JSON object */
        } rules[] = {
            {"kubernetes.io/dockercfg", {".dockercfg"}, false, false, true},
            {"kubernetes.io/dockerconfigjson", {".dockerconfigjson"}, false, false, true},
            {"kubernetes.io/basic-auth", {"username", "password"}, true, false, false},
            {"kubernetes.io/ssh-auth", {"ssh-privatekey"}, false, true, false},
            {"kubernetes.io/tls", {"tls.crt", "tls.key"}, false, false, false},
        };
        if (!strcmp(type, "kubernetes.io/service-account-token")) {
                json_t *ann = gobj(gobj(obj, "metadata"), "annotations");
                const char *sa = gstr(ann, "kubernetes.io/service-account.name");
                if (!sa || !*sa) {
                        _cleanup_free_ char *mp = pc_path_key(root, "metadata");
                        _cleanup_free_ char *ap = pc_path_key(mp, "annotations");
                        _cleanup_free_ char *p =
                            pc_path_key(ap, "kubernetes.io/service-account.name");
                        ERR(c, p, "Required value");
                }
                return;
        }
        for (size_t i = 0; i < PC_ARRAY_SIZE(rules); i++) {
                if (strcmp(type, rules[i].type) != 0)
                        continue;
                size_t n = rules[i].keys[1] ? 2 : 1;
                bool have[2] = {false, false};
                for (size_t j = 0; j < n; j++) {
                        json_t *val = json_object_get(data, rules[i].keys[j]);
                        have[j] = val && !(rules[i].non_empty && json_is_string(val) &&
                                           !*json_string_value(val));
                }
                for (size_t j = 0; j < n; j++) {
                        if (have[j] || (rules[i].any && (have[0] || have[1])))
                                continue;
                        _cleanup_free_ char *p = pc_path_key(dp, rules[i].keys[j]);
                        ERR_AT(c, tp, p, "Required value"); /* at the type that asks for it */
                }
                json_t *cfg = json_object_get(data, rules[i].keys[0]);
                unsigned char *d;
                size_t len;
                if (rules[i].json && json_is_string(cfg) &&
                    pc_b64_decode(json_string_value(cfg), &d, &len) == 0) {
                        json_error_t je;
                        json_t *j = json_loadb((const char *)d, len, 0, &je);
                        if (!json_is_object(j)) {
                                _cleanup_free_ char *p = pc_path_key(dp, rules[i].keys[0]);
                                _cleanup_free_ char *sp = pc_path_key(sdp, rules[i].keys[0]);
                                /* where the user wrote it: stringData, or data */
                                ERR_AT(c, json_object_get(c->pos, sp) ? sp : p, p,
                                       "Invalid value: \"<secret contents redacted>\": %s",
                                       j ? "not a JSON object" : je.text);
                        }
                        json_decref(j);
                        free(d);
                }
        }
}

/* ---- documents ---------------------------------------------------------- */

static void add_pod(struct vctx *c, struct pc_manifest *m, json_t *obj, const char *root)
{
        size_t before = c->diags->n_errors;
        walk(c, &s_pod, obj, root);
        apply_namespace(c, obj, root);
        default_pod(obj);
        check_metadata(c, obj, root);
        check_pod_spec(c, obj, root);
        if (c->diags->n_errors != before)
                return;
        json_object_del(obj, "status");
        struct pc_pod pod;
        pc_error err;
        if (pc_pod_from_json(obj, &pod, &err) < 0) {
                ERR(c, root, "%s", err.msg);
                return;
        }
        m->pods = pc_xrealloc(m->pods, (m->n_pods + 1) * sizeof(*m->pods));
        m->pods[m->n_pods++] = pod;
}

static void add_configmap(struct vctx *c, struct pc_manifest *m, json_t *obj, const char *root,
                          bool secret)
{
        size_t before = c->diags->n_errors;
        walk(c, secret ? &s_secret : &s_configmap, obj, root);
        apply_namespace(c, obj, root);
        set_default(gobj(obj, "metadata"), "namespace", json_string("default"));
        check_metadata(c, obj, root);
        _cleanup_(json_decrefp) json_t *seen = json_object();
        check_data_keys(c, obj, "data", root, seen);
        if (secret) {
                check_data_keys(c, obj, "stringData", root, NULL);
                normalize_secret(c, obj, root);
                check_secret_type(c, obj, root);
        } else {
                check_data_keys(c, obj, "binaryData", root, seen);
                const char *k;
                json_t *v;
                _cleanup_free_ char *bp = pc_path_key(root, "binaryData");
                json_object_foreach(gobj(obj, "binaryData"), k, v)
                {
                        unsigned char *d;
                        size_t len;
                        if (!json_is_string(v))
                                continue;
                        if (pc_b64_decode(json_string_value(v), &d, &len) < 0) {
                                _cleanup_free_ char *p = pc_path_key(bp, k);
                                ERR(c, p, "Invalid value: <binary>: illegal base64 data");
                        } else {
                                free(d);
                        }
                }
        }
        if (c->diags->n_errors != before)
                return;
        struct pc_configmap cm;
        pc_error err;
        if (pc_configmap_from_json(obj, &cm, &err) < 0) {
                ERR(c, root, "%s", err.msg);
                return;
        }
        m->configmaps = pc_xrealloc(m->configmaps, (m->n_configmaps + 1) * sizeof(*m->configmaps));
        m->configmaps[m->n_configmaps++] = cm;
}

static const char *const kinds[] = {"Pod", "ConfigMap", "Secret", "List", NULL};

static void check_object(struct vctx *c, struct pc_manifest *m, json_t *obj, const char *root,
                         bool in_list)
{
        if (!json_is_object(obj)) {
                _cleanup_free_ char *s = show(obj);
                ERR(c, root, "Invalid value: %s: expected an object (a Kubernetes resource)", s);
                return;
        }
        _cleanup_free_ char *ap = pc_path_key(root, "apiVersion");
        _cleanup_free_ char *kp = pc_path_key(root, "kind");
        json_t *av = json_object_get(obj, "apiVersion"), *kd = json_object_get(obj, "kind");
        bool ok = true;
        if (!av) {
                ERR(c, ap, "Required value: apiVersion not set");
                ok = false;
        } else if (!json_is_string(av)) {
                type_error(c, ap, av, "string");
                ok = false;
        }
        if (!kd) {
                ERR(c, kp, "Required value: kind not set");
                ok = false;
        } else if (!json_is_string(kd)) {
                type_error(c, kp, kd, "string");
                ok = false;
        }
        if (!ok)
                return;
        const char *apiv = json_string_value(av), *kind = json_string_value(kd);
        if (strcmp(apiv, "v1") != 0) {
                ERR(c, ap,
                    "Unsupported value: \"%s\": podctl supports only apiVersion \"v1\" "
                    "(kind %s)",
                    apiv, kind);
                return;
        }
        if (!one_of(kind, kinds) || (in_list && !strcmp(kind, "List"))) {
                unsupported(c, kp, kind,
                            in_list ? (const char *const[]){"Pod", "ConfigMap", "Secret", NULL}
                                    : kinds);
                return;
        }
        if (!strcmp(kind, "Pod")) {
                add_pod(c, m, obj, root);
        } else if (!strcmp(kind, "ConfigMap") || !strcmp(kind, "Secret")) {
                add_configmap(c, m, obj, root, !strcmp(kind, "Secret"));
        } else {
                _cleanup_free_ char *ip = pc_path_key(root, "items");
                json_t *items = json_object_get(obj, "items"), *x;
                size_t i;
                if (items && !json_is_array(items)) {
                        type_error(c, ip, items, "array");
                        return;
                }
                if (too_many(c, items, ip, PC_MANIFEST_MAX_OBJECTS))
                        return;
                json_array_foreach(items, i, x)
                {
                        _cleanup_free_ char *p = pc_path_index(ip, i);
                        check_object(c, m, x, p, true);
                }
        }
}

int pc_manifest_load(const char *filename, const char *text, size_t len,
                     const struct pc_check_opts *opts, struct pc_manifest *m, pc_error *err)
{
        struct pc_docs docs;
        const char *shown = !filename || !strcmp(filename, "-") ? "<stdin>" : filename;

        memset(m, 0, sizeof(*m));
        if (pc_yaml_parse(filename, text, len, &docs, &m->diags) == 0) {
                for (size_t i = 0; i < docs.n; i++) {
                        struct vctx c = {
                            .file = filename,
                            .pos = docs.v[i].pos,
                            .diags = &m->diags,
                            .strict = opts && opts->strict,
                            .ignore_unknown = opts && opts->ignore_unknown,
                            .ns = opts ? opts->namespace_ : NULL,
                            .enforce_ns = opts && opts->enforce_namespace,
                        };
                        check_object(&c, m, docs.v[i].root, "", false);
                }
                if (docs.n == 0 && m->diags.n_errors == 0)
                        pc_diag_add(&m->diags, PC_DIAG_ERROR, filename, 0, 0, "",
                                    "no objects found in the manifest");
                pc_docs_free(&docs);
        }
        if (m->diags.n_errors == 0)
                return 0;
        for (size_t i = 0; i < m->diags.n; i++) {
                if (m->diags.v[i].level != PC_DIAG_ERROR)
                        continue;
                _cleanup_free_ char *first = pc_diag_format(&m->diags.v[i]);
                if (m->diags.n_errors > 1)
                        return pc_fail(err, 0, "%s (and %zu more error%s in %s)", first,
                                       m->diags.n_errors - 1, m->diags.n_errors > 2 ? "s" : "",
                                       shown);
                return pc_fail(err, 0, "%s", first);
        }
        return pc_fail(err, 0, "%s: invalid manifest", shown);
}

void pc_manifest_free(struct pc_manifest *m)
{
        for (size_t i = 0; i < m->n_pods; i++)
                pc_pod_free(&m->pods[i]);
        free(m->pods);
        for (size_t i = 0; i < m->n_configmaps; i++)
                pc_configmap_free(&m->configmaps[i]);
        free(m->configmaps);
        pc_diags_free(&m->diags);
        memset(m, 0, sizeof(*m));
}

/* ---- docs/FIELDS.md ---------------------------------------------------------- */

/* Fields of a schema shared by several paths that the API server refuses at
 * one of them whatever their value (check_container, check_probe): refused
 * there, applied elsewhere. */
static const struct {
        const char *path, *why;
} refused_at[] = {
    {"spec.containers[].readinessProbe.terminationGracePeriodSeconds",
     "must not be set for readinessProbes (the API server's error)"},
    {"spec.initContainers[].readinessProbe.terminationGracePeriodSeconds",
     "must not be set for readinessProbes (the API server's error)"},
};

static const char *refused_here(const struct fdef *d, const char *path)
{
        for (size_t i = 0; i < PC_ARRAY_SIZE(refused_at); i++)
                if (!strcmp(refused_at[i].path, path))
                        return refused_at[i].why;
        return d->refused;
}

static void fields_rows(FILE *f, const struct schema *s, const char *path)
{
        for (size_t i = 0; s->f[i].name; i++) {
                const struct fdef *d = &s->f[i];
                _cleanup_free_ char *p =
                    *path ? pc_xasprintf("%s.%s", path, d->name) : pc_xstrdup(d->name);
                const char *refused = refused_here(d, p);
                if (refused)
                        fprintf(f, "| `%s` | refused | %s |\n", p, refused);
                else
                        fprintf(f, "| `%s` | applied | %s |\n", p, d->note ? d->note : "");
                if (refused || !d->sub)
                        continue;
                _cleanup_free_ char *sub = d->t == F_LIST ? pc_xasprintf("%s[]", p) : pc_xstrdup(p);
                fields_rows(f, d->sub, sub);
        }
        for (size_t i = 0; i < PC_ARRAY_SIZE(unsupported_fields); i++)
                if (!strcmp(unsupported_fields[i].schema, s->name))
                        fprintf(f, "| `%s%s%s` | warned | %s |\n", path, *path ? "." : "",
                                unsupported_fields[i].field, unsupported_fields[i].why);
}

void pc_spec_fields_markdown(FILE *f)
{
        fputs("# Field dispositions\n\n"
              "Generated from the validator's schema (`src/spec/validate.c`) by\n"
              "`make fields`; `tests/unit/test_spec_fields.c` fails when this file and\n"
              "the schema disagree, and checks that every field of Kubernetes' v1 Pod,\n"
              "ConfigMap and Secret it lists has a row here.\n\n"
              "- **applied**: podctl does what Kubernetes does with it (the note says\n"
              "  which values, where only some are);\n"
              "- **refused**: `apply` fails with the field's path and the reason;\n"
              "- **warned**: only a cluster's scheduler or API server acts on it; `apply`\n"
              "  warns and ignores it (an error with `--validate=strict`).\n\n"
              "Any other field is unknown: warned and dropped, as the API server\n"
              "prunes it (an error with `--validate=strict`).\n",
              f);
        static const struct {
                const char *title;
                const struct schema *s;
        } docs[] = {{"Pod", &s_pod}, {"ConfigMap", &s_configmap}, {"Secret", &s_secret}};
        for (size_t k = 0; k < PC_ARRAY_SIZE(docs); k++) {
                fprintf(f, "\n## %s\n\n| field | disposition | note |\n|---|---|---|\n",
                        docs[k].title);
                fields_rows(f, docs[k].s, "");
        }
}

/* ---- kubectl explain ----------------------------------------------------------- */

/* Kubernetes' type name of a schema (most are the schema's name capitalised). */
static const char *explain_type_name(const struct schema *s, char *buf, size_t len)
{
        static const struct {
                const char *schema, *k8s;
        } names[] = {{"metadata", "ObjectMeta"},
                     {"keySelector", "KeySelector"},
                     {"env", "EnvVar"},
                     {"envFromRef", "LocalObjectReference"},
                     {"envFrom", "EnvFromSource"},
                     {"port", "ContainerPort"},
                     {"resources", "ResourceRequirements"},
                     {"profile", "Profile"},
                     {"httpGetAction", "HTTPGetAction"},
                     {"grpcAction", "GRPCAction"},
                     {"tcpSocketAction", "TCPSocketAction"},
                     {"lifecycleHandler", "LifecycleHandler"},
                     {"hostPath", "HostPathVolumeSource"},
                     {"emptyDir", "EmptyDirVolumeSource"},
                     {"configMapVolume", "ConfigMapVolumeSource"},
                     {"secretVolume", "SecretVolumeSource"},
                     {"downwardAPIVolume", "DownwardAPIVolumeSource"},
                     {"projectedVolume", "ProjectedVolumeSource"},
                     {"imageVolume", "ImageVolumeSource"},
                     {"podOS", "PodOS"},
                     {"dnsConfig", "PodDNSConfig"},
                     {"dnsOption", "PodDNSConfigOption"},
                     {"sysctl", "Sysctl"}};
        for (size_t i = 0; i < PC_ARRAY_SIZE(names); i++)
                if (!strcmp(names[i].schema, s->name))
                        return names[i].k8s;
        snprintf(buf, len, "%s", s->name);
        if (buf[0] >= 'a' && buf[0] <= 'z')
                buf[0] = (char)(buf[0] - 'a' + 'A');
        return buf;
}

static const char *ftype_name(const struct fdef *d, char *buf, size_t len)
{
        char sub[64];
        switch (d->t) {
        case F_STR:
                return "string";
        case F_INT:
                return "integer";
        case F_BOOL:
                return "boolean";
        case F_STRLIST:
                return "[]string";
        case F_INTLIST:
                return "[]integer";
        case F_STRMAP:
                return "map[string]string";
        case F_QTYMAP:
                return "map[string]Quantity";
        case F_QTY:
                return "Quantity";
        case F_INTSTR:
                return "IntOrString";
        case F_OBJ:
                if (d->sub)
                        return explain_type_name(d->sub, buf, len);
                return "Object";
        case F_LIST:
                if (d->sub) {
                        snprintf(buf, len, "[]%s", explain_type_name(d->sub, sub, sizeof(sub)));
                        return buf;
                }
                return "[]Object";
        case F_ANY:
                break;
        }
        return "Object";
}

/* podctl's disposition of a field at path (FIELDS.md's form), as a
 * description. */
static char *disposition(const struct fdef *d, const char *path)
{
        const char *refused = refused_here(d, path);
        if (refused)
                return pc_xasprintf("podctl: refused: %s", refused);
        if (d->note)
                return pc_xasprintf("podctl: applied: %s", d->note);
        return pc_xstrdup("podctl: applied");
}

struct explain_row {
        const char *name;
        const struct fdef *d; /* NULL: a warned field */
        const char *why;      /* a warned field's reason */
};

static int explain_row_cmp(const void *a, const void *b)
{
        return strcmp(((const struct explain_row *)a)->name, ((const struct explain_row *)b)->name);
}

/* The fields of s (at path) sorted by name, as kubectl explain lists them. */
static void explain_fields(FILE *f, const struct schema *s, const char *path, bool recursive,
                           int depth)
{
        char buf[96];
        size_t n = 0;
        for (size_t i = 0; s->f[i].name; i++)
                n++;
        for (size_t i = 0; i < PC_ARRAY_SIZE(unsupported_fields); i++)
                n += !strcmp(unsupported_fields[i].schema, s->name);
        struct explain_row *rows = pc_xcalloc(n ? n : 1, sizeof(*rows));
        n = 0;
        for (size_t i = 0; s->f[i].name; i++)
                rows[n++] = (struct explain_row){s->f[i].name, &s->f[i], NULL};
        for (size_t i = 0; i < PC_ARRAY_SIZE(unsupported_fields); i++)
                if (!strcmp(unsupported_fields[i].schema, s->name))
                        rows[n++] = (struct explain_row){unsupported_fields[i].field, NULL,
                                                         unsupported_fields[i].why};
        qsort(rows, n, sizeof(*rows), explain_row_cmp);
        for (size_t i = 0; i < n; i++) {
                const struct fdef *d = rows[i].d;
                if (!d) {
                        fprintf(f, "%*s%s\n", 2 + 2 * depth, "", rows[i].name);
                        if (!recursive)
                                fprintf(f, "    podctl: warned and ignored: %s\n\n", rows[i].why);
                        continue;
                }
                fprintf(f, "%*s%s\t<%s>\n", 2 + 2 * depth, "", d->name,
                        ftype_name(d, buf, sizeof(buf)));
                _cleanup_free_ char *fp =
                    *path ? pc_xasprintf("%s.%s", path, d->name) : pc_xstrdup(d->name);
                if (recursive) {
                        if (d->sub && !refused_here(d, fp) && (d->t == F_OBJ || d->t == F_LIST)) {
                                _cleanup_free_ char *sub =
                                    d->t == F_LIST ? pc_xasprintf("%s[]", fp) : pc_xstrdup(fp);
                                explain_fields(f, d->sub, sub, true, depth + 1);
                        }
                        continue;
                }
                _cleanup_free_ char *why = disposition(d, fp);
                fprintf(f, "    %s\n\n", why);
        }
        free(rows);
}

/* ENOENT without strerror's text: the message is kubectl's. */
static int explain_enoent(pc_error *err, bool field, const char *what)
{
        if (field)
                pc_fail(err, 0, "field \"%s\" does not exist", what);
        else
                pc_fail(err, 0, "the server doesn't have a resource type \"%s\"", what);
        err->code = ENOENT;
        return -1;
}

int pc_spec_explain(FILE *f, const char *path, bool recursive, pc_error *err)
{
        static const struct {
                const char *names[4], *kind, *description;
                const struct schema *s;
        } ekinds[] = {{{"pod", "pods", "po", NULL},
                       "Pod",
                       "Pod is a collection of containers that can run on a host.",
                       &s_pod},
                      {{"configmap", "configmaps", "cm", NULL},
                       "ConfigMap",
                       "ConfigMap holds configuration data for pods to consume.",
                       &s_configmap},
                      {{"secret", "secrets", NULL, NULL},
                       "Secret",
                       "Secret holds secret data of a certain type.",
                       &s_secret}};
        _cleanup_free_ char *p = pc_xstrdup(path);
        char *save = NULL, *tok = strtok_r(p, ".", &save);
        size_t k = PC_ARRAY_SIZE(ekinds);
        for (size_t i = 0; tok && i < PC_ARRAY_SIZE(ekinds) && k == PC_ARRAY_SIZE(ekinds); i++)
                for (size_t n = 0; ekinds[i].names[n]; n++)
                        if (!strcasecmp(tok, ekinds[i].names[n]))
                                k = i;
        if (k == PC_ARRAY_SIZE(ekinds))
                return explain_enoent(err, false, tok ? tok : "");
        const struct schema *s = ekinds[k].s;
        const struct fdef *field = NULL;
        const char *warned = NULL;
        _cleanup_free_ char *shown = NULL;           /* the last field's name */
        _cleanup_free_ char *fpath = pc_xstrdup(""); /* FIELDS.md's path of it */
        _cleanup_free_ char *spath = pc_xstrdup(""); /* and of its fields */
        while ((tok = strtok_r(NULL, ".", &save))) {
                size_t l = strlen(tok);
                if (l > 2 && !strcmp(tok + l - 2, "[]"))
                        tok[l - 2] = '\0'; /* containers[] */
                if (!s || warned)
                        return explain_enoent(err, true, tok);
                field = NULL;
                for (size_t i = 0; s->f[i].name; i++)
                        if (!strcmp(s->f[i].name, tok))
                                field = &s->f[i];
                if (!field) {
                        for (size_t i = 0; i < PC_ARRAY_SIZE(unsupported_fields); i++)
                                if (!strcmp(unsupported_fields[i].schema, s->name) &&
                                    !strcmp(unsupported_fields[i].field, tok))
                                        warned = unsupported_fields[i].why;
                        if (!warned)
                                return explain_enoent(err, true, tok);
                }
                free(shown);
                shown = pc_xstrdup(tok);
                char *np = *spath ? pc_xasprintf("%s.%s", spath, tok) : pc_xstrdup(tok);
                free(fpath);
                fpath = np;
                free(spath);
                spath =
                    field && field->t == F_LIST ? pc_xasprintf("%s[]", fpath) : pc_xstrdup(fpath);
                s = field && !refused_here(field, fpath) &&
                            (field->t == F_OBJ || field->t == F_LIST)
                        ? field->sub
                        : NULL;
        }
        char buf[96];
        fprintf(f, "KIND:       %s\nVERSION:    v1\n\n", ekinds[k].kind);
        if (warned) {
                fprintf(f, "FIELD: %s\n\nDESCRIPTION:\n    podctl: warned and ignored: %s\n", shown,
                        warned);
                return 0;
        }
        if (field) {
                _cleanup_free_ char *why = disposition(field, fpath);
                fprintf(f, "FIELD: %s <%s>\n\nDESCRIPTION:\n    %s\n", shown,
                        ftype_name(field, buf, sizeof(buf)), why);
        } else {
                fprintf(f, "DESCRIPTION:\n    %s\n", ekinds[k].description);
        }
        if (s) {
                fputs("\nFIELDS:\n", f);
                explain_fields(f, s, spath, recursive, 0);
        }
        return 0;
}
