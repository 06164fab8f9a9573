/* Pod sandboxes: each one a podctl Pod without containers in the CRI root
 * (<root>/cri), made, stopped and removed by the same library calls as an
 * applied Pod's, so pause, namespaces, CNI, cgroups, hostname, DNS and
 * sysctls are the same code paths. What the kubelet gave and must get back
 * (metadata, labels, annotations, log directory, namespace options, the
 * creation time) rides in the Pod's pod.json as the annotation "podctl.io/cri",
 * written atomically with the Pod: the server keeps nothing of its own.
 *
 * The sandbox ID is the Pod's sandbox id (its CNI container id: 64 hex from
 * its uid). The podctl Pod is named after the metadata and a hash of it, so
 * creating the same sandbox twice at once reserves one name, under the root
 * lock, and the second gets ALREADY_EXISTS. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cri/internal.h"
#include "cri/stream.h"
#include "util/cleanup.h"
#include "util/util.h"

#define CRI_ANNOTATION "podctl.io/cri"

/* The sandbox id of a Pod uid: its hex digits twice (as the monitor makes it). */
static void sandbox_id(const char *uid, char out[65])
{
        char hex[33];
        size_t n = 0;
        for (const char *p = uid ? uid : ""; *p && n < 32; p++)
                if (*p != '-')
                        hex[n++] = *p;
        hex[n] = '\0';
        snprintf(out, 65, "%s%s", hex, hex);
}

/* One sandbox as listed: its v1 Pod, the kubelet's config, its id. */
struct sb {
        json_t *pod, *cfg;
        json_t *rt; /* podctl's runtime facts (inspect) */
        char id[65];
        const char *ns, *name;
};

static json_t *pod_cfg(struct cri_call *c, json_t *pod)
{
        json_t *ann = json_object_get(json_object_get(pod, "metadata"), "annotations");
        const char *s = json_string_value(json_object_get(ann, CRI_ANNOTATION));
        return s ? cri_keep(c, json_loads(s, 0, NULL)) : NULL;
}

/* Every sandbox of the CRI root. */
static int list_all(struct cri_call *c, podctl *ctx, struct sb **out, size_t *n, pc_error *err)
{
        json_t *pods = NULL;
        if (podctl_pod_list(ctx, NULL, &pods, err) < 0)
                return -1;
        cri_keep(c, pods);
        *out = cri_alloc(c, (json_array_size(pods) + 1) * sizeof(**out));
        *n = 0;
        size_t i;
        json_t *p;
        json_array_foreach(pods, i, p)
        {
                json_t *cfg = pod_cfg(c, p);
                if (!cfg)
                        continue;
                struct sb *s = &(*out)[(*n)++];
                json_t *md = json_object_get(p, "metadata");
                s->pod = p;
                s->cfg = cfg;
                s->ns = json_string_value(json_object_get(md, "namespace"));
                s->name = json_string_value(json_object_get(md, "name"));
                sandbox_id(json_string_value(json_object_get(md, "uid")), s->id);
                json_t *facts = NULL;
                pc_error e2;
                if (podctl_pod_inspect(ctx, s->ns, s->name, &facts, &e2) == 0)
                        s->rt = json_object_get(cri_keep(c, facts), "runtime");
        }
        return 0;
}

/* The sandbox `id` names: the whole id or a prefix of one sandbox's. */
static int find(struct cri_call *c, podctl *ctx, const char *id, struct sb *out, pc_error *err)
{
        if (!id || !*id)
                return cri_bad(err, EINVAL, "pod_sandbox_id: Required value");
        struct sb *all;
        size_t n;
        if (list_all(c, ctx, &all, &n, err) < 0)
                return -1;
        const struct sb *found = NULL;
        for (size_t i = 0; i < n; i++) {
                if (strncmp(all[i].id, id, strlen(id)))
                        continue;
                if (found)
                        return cri_bad(err, EINVAL,
                                       "pod_sandbox_id: Invalid value: \"%s\": names more "
                                       "than one sandbox",
                                       id);
                found = &all[i];
        }
        if (!found)
                return cri_bad(err, ENOENT,
                               "an error occurred when try to find sandbox \"%s\": "
                               "not found",
                               id);
        *out = *found;
        return 0;
}

/* Ready: its monitor holds the sandbox (not stopped, not lost). */
static bool is_ready(const struct sb *s)
{
        const char *phase =
            json_string_value(json_object_get(json_object_get(s->pod, "status"), "phase"));
        return s->rt && json_is_false(json_object_get(s->rt, "finished")) &&
               json_integer_value(json_object_get(s->rt, "pausePid")) > 0 && phase &&
               strcmp(phase, "Unknown") && strcmp(phase, "Failed") && strcmp(phase, "Succeeded");
}

/* ---- RunPodSandbox -------------------------------------------------------------- */

static const char *mode_name(int m)
{
        switch (m) {
        case RUNTIME__V1__NAMESPACE_MODE__POD:
                return "POD";
        case RUNTIME__V1__NAMESPACE_MODE__CONTAINER:
                return "CONTAINER";
        case RUNTIME__V1__NAMESPACE_MODE__NODE:
                return "NODE";
        case RUNTIME__V1__NAMESPACE_MODE__TARGET:
                return "TARGET";
        }
        return "?";
}

static int mode_value(const char *s)
{
        static const char *const names[] = {"POD", "CONTAINER", "NODE", "TARGET"};
        for (int i = 0; i < 4; i++)
                if (s && !strcmp(s, names[i]))
                        return i;
        return 0;
}

#define NSO "config.linux.security_context.namespace_options"

/* The systemd driver's parent, a slice name, as a path: "a-b-c.slice" is
 * "/a.slice/a-b.slice/a-b-c.slice" (systemd nests a slice in the slices of
 * its name's dash-separated prefixes; runc's ExpandSlice), "-.slice" the
 * root (""). NULL when it is not a valid slice name. Freed by the call. */
static const char *expand_slice(struct cri_call *c, const char *name)
{
        size_t n = strlen(name);
        if (!strcmp(name, "-.slice"))
                return "";
        if (n <= 6 || n > 512 || strcmp(name + n - 6, ".slice") || name[0] == '-' ||
            name[n - 7] == '-' || strstr(name, "--"))
                return NULL;
        for (size_t i = 0; i < n - 6; i++)
                if (!(isalnum((unsigned char)name[i]) || strchr(":_.-\\", name[i])))
                        return NULL;
        /* at most n / 2 + 1 prefixes, each "/" + at most n - 6 + ".slice" */
        char *path = cri_alloc(c, (n + 2) * (n / 2 + 2)), *p = path;
        for (size_t i = 0; i <= n - 6; i++) {
                if (i == n - 6 || name[i] == '-') {
                        p += sprintf(p, "/%.*s.slice", (int)i, name);
                }
        }
        return path;
}

/* cgroupfs style "/a/b/c": absolute, no empty, "." or ".." component. */
static bool cgroup_parent_ok(const char *p)
{
        if (p[0] != '/' || !p[1] || strlen(p) > 1024)
                return false;
        for (const char *s = p + 1; *s;) {
                const char *e = strchr(s, '/');
                size_t n = e ? (size_t)(e - s) : strlen(s);
                if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && !strncmp(s, "..", 2)))
                        return false;
                if (!e)
                        break;
                s = e + 1;
                if (!*s)
                        return false;
        }
        return true;
}

/* After a sandbox is gone: the empty directories podctl/cri/<parent>/ it had
 * (a parent another sandbox still uses is not empty, and stays). */
static void prune_cgroup_parents(const char *parent)
{
        static const char *const hier[] = {"",         "memory/", "cpu/",     "cpu,cpuacct/",
                                           "cpuacct/", "pids/",   "freezer/", "devices/",
                                           "systemd/"};
        for (size_t h = 0; h < sizeof(hier) / sizeof(hier[0]); h++) {
                _cleanup_free_ char *p =
                    pc_xasprintf("/sys/fs/cgroup/%spodctl/cri/%s", hier[h], parent);
                char *cut;
                while (strlen(p) >
                           strlen("/sys/fs/cgroup/") + strlen(hier[h]) + strlen("podctl/cri") - 1 &&
                       rmdir(p) == 0 && (cut = strrchr(p, '/')))
                        *cut = '\0';
        }
}

/* The v1 Pod (defaulted, as pod.json holds it) for a sandbox config, and the
 * kubelet's config to keep. Every field checked first: an error names it. */
static int make_pod(struct cri_call *c, const Runtime__V1__RunPodSandboxRequest *q, json_t **podj,
                    pc_error *err)
{
        const Runtime__V1__PodSandboxConfig *cf = q->config;
        if (!cf)
                return cri_bad(err, EINVAL, "config: Required value");
        const Runtime__V1__PodSandboxMetadata *md = cf->metadata;
        if (!md)
                return cri_bad(err, EINVAL, "config.metadata: Required value");
        if (!*md->name)
                return cri_bad(err, EINVAL, "config.metadata.name: Required value");
        if (!*md->namespace_)
                return cri_bad(err, EINVAL, "config.metadata.namespace: Required value");
        if (!*md->uid)
                return cri_bad(err, EINVAL, "config.metadata.uid: Required value");
        if (!pc_is_dns1123_subdomain(md->name))
                return cri_bad(err, EINVAL,
                               "config.metadata.name: Invalid value: \"%s\": must be a lowercase "
                               "RFC 1123 subdomain",
                               md->name);
        if (!pc_is_dns1123_label(md->namespace_))
                return cri_bad(err, EINVAL,
                               "config.metadata.namespace: Invalid value: \"%s\": must be a "
                               "lowercase RFC 1123 label",
                               md->namespace_);
        if (*q->runtime_handler && strcmp(q->runtime_handler, "podctl"))
                return cri_bad(err, EINVAL,
                               "runtime_handler: Unsupported value: \"%s\": supported values: "
                               "\"\", \"podctl\"",
                               q->runtime_handler);
        /* port mappings, as v1 ContainerPorts (hostPort DNAT like an
         * applied Pod's, and the same conflict check at admission) */
        json_t *ports = json_array();
        for (size_t i = 0; i < cf->n_port_mappings; i++) {
                const Runtime__V1__PortMapping *pm = cf->port_mappings[i];
                static const char *const protos[] = {"TCP", "UDP", "SCTP"};
                if (pm->container_port <= 0 || pm->container_port > 65535 || pm->host_port < 0 ||
                    pm->host_port > 65535 || (unsigned)pm->protocol > 2) {
                        json_decref(ports);
                        return cri_bad(err, EINVAL,
                                       "config.port_mappings[%zu]: Invalid value: container_port "
                                       "%d, host_port %d: ports from 1 to 65535",
                                       i, pm->container_port, pm->host_port);
                }
                json_t *p = json_pack("{s:i,s:s}", "containerPort", pm->container_port, "protocol",
                                      protos[pm->protocol]);
                if (pm->host_port > 0)
                        json_object_set_new(p, "hostPort", json_integer(pm->host_port));
                if (pm->host_ip && *pm->host_ip)
                        json_object_set_new(p, "hostIP", json_string(pm->host_ip));
                json_array_append_new(ports, p);
        }
        _cleanup_free_ char *ports_s = json_dumps(ports, JSON_COMPACT);
        bool has_ports = json_array_size(ports) > 0;
        json_decref(ports);
        const Runtime__V1__LinuxPodSandboxConfig *lx = cf->linux;
        const Runtime__V1__LinuxSandboxSecurityContext *sc = lx ? lx->security_context : NULL;
        const Runtime__V1__NamespaceOption *no = sc ? sc->namespace_options : NULL;
        int net = no ? no->network : 0, pid = no ? no->pid : 0, ipc = no ? no->ipc : 0;
        if (net == RUNTIME__V1__NAMESPACE_MODE__CONTAINER ||
            net == RUNTIME__V1__NAMESPACE_MODE__TARGET)
                return cri_bad(err, EINVAL,
                               NSO ".network: Unsupported value: %s: supported "
                                   "values: POD, NODE",
                               mode_name(net));
        if (ipc == RUNTIME__V1__NAMESPACE_MODE__CONTAINER ||
            ipc == RUNTIME__V1__NAMESPACE_MODE__TARGET)
                return cri_bad(err, EINVAL,
                               NSO ".ipc: Unsupported value: %s: supported "
                                   "values: POD, NODE",
                               mode_name(ipc));
        if (pid == RUNTIME__V1__NAMESPACE_MODE__TARGET)
                return cri_bad(err, EINVAL,
                               NSO ".pid: Unsupported value: TARGET: supported "
                                   "values for a sandbox: POD, CONTAINER, NODE");
        /* a user namespace of the sandbox's own, with the kubelet's mapping
         * (one range for uids, the same for gids, container id 0) */
        _cleanup_free_ char *userns = NULL;
        const Runtime__V1__UserNamespace *un = no ? no->userns_options : NULL;
        if (un && un->mode != RUNTIME__V1__NAMESPACE_MODE__NODE) {
                if (un->mode != RUNTIME__V1__NAMESPACE_MODE__POD)
                        return cri_bad(err, EINVAL,
                                       NSO ".userns_options.mode: Unsupported value: %s: "
                                           "supported values: POD, NODE",
                                       mode_name(un->mode));
                if (un->n_uids != 1 || un->n_gids != 1)
                        return cri_bad(err, EINVAL,
                                       NSO ".userns_options: exactly one uid and one gid "
                                           "mapping are supported (got %zu and %zu)",
                                       un->n_uids, un->n_gids);
                const Runtime__V1__IDMapping *u = un->uids[0], *g = un->gids[0];
                if (u->container_id != 0 || g->container_id != 0 || u->host_id != g->host_id ||
                    u->length != g->length || u->length == 0 || u->host_id == 0 ||
                    (uint64_t)u->host_id + u->length > (1ull << 32))
                        return cri_bad(err, EINVAL,
                                       NSO ".userns_options: the uid and gid mappings must be "
                                           "the same range from container id 0 to a host id "
                                           "above 0 (got uid %u->%u+%u, gid %u->%u+%u)",
                                       u->container_id, u->host_id, u->length, g->container_id,
                                       g->host_id, g->length);
                if (net == RUNTIME__V1__NAMESPACE_MODE__NODE ||
                    ipc == RUNTIME__V1__NAMESPACE_MODE__NODE ||
                    pid == RUNTIME__V1__NAMESPACE_MODE__NODE)
                        return cri_bad(err, EINVAL,
                                       NSO ".userns_options: a user namespace needs the "
                                           "sandbox's own network, IPC and PID namespaces");
                userns = pc_xasprintf("%u:%u", u->host_id, u->length);
        }
        /* pause's ids, as containerd's: run_as_user, run_as_group (else 0) */
        _cleanup_free_ char *user = NULL;
        if (sc && sc->run_as_user) {
                if (sc->run_as_user->value < 0 || sc->run_as_user->value > UINT32_MAX)
                        return cri_bad(err, EINVAL,
                                       "config.linux.security_context.run_as_user: Invalid "
                                       "value: %lld",
                                       (long long)sc->run_as_user->value);
                long long gid = sc->run_as_group ? sc->run_as_group->value : 0;
                if (gid < 0 || gid > UINT32_MAX)
                        return cri_bad(err, EINVAL,
                                       "config.linux.security_context.run_as_group: Invalid "
                                       "value: %lld",
                                       gid);
                user = pc_xasprintf("%lld:%lld", (long long)sc->run_as_user->value, gid);
        }
        /* pause's own security, as containerd gives the sandbox container:
         * seccomp, AppArmor, supplementary groups; `privileged` allows
         * privileged containers in it (container.c); readonly_rootfs holds
         * for a pause that has no root filesystem of its own to write */
        const char *seccomp = NULL, *apparmor = NULL;
        if (sc && sc->selinux_options &&
            (*sc->selinux_options->user || *sc->selinux_options->role ||
             *sc->selinux_options->type || *sc->selinux_options->level))
                return cri_bad(err, EINVAL,
                               "config.linux.security_context.selinux_options: SELinux is not "
                               "supported by podctl");
        if (sc && sc->seccomp) {
                if (sc->seccomp->profile_type ==
                    RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__Localhost)
                        return cri_bad(err, EINVAL,
                                       "config.linux.security_context.seccomp: Localhost profiles "
                                       "are not supported by podctl's CRI (only RuntimeDefault, "
                                       "Unconfined)");
                seccomp = sc->seccomp->profile_type ==
                                  RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__RuntimeDefault
                              ? "RuntimeDefault"
                              : "Unconfined";
        }
        if (sc && sc->apparmor) {
                if (sc->apparmor->profile_type ==
                    RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__Localhost)
                        return cri_bad(err, EINVAL,
                                       "config.linux.security_context.apparmor: Localhost is not "
                                       "supported by podctl's CRI");
                apparmor = sc->apparmor->profile_type ==
                                   RUNTIME__V1__SECURITY_PROFILE__PROFILE_TYPE__RuntimeDefault
                               ? "RuntimeDefault"
                               : "Unconfined";
        }
        for (size_t i = 0; sc && i < sc->n_supplemental_groups; i++)
                if (sc->supplemental_groups[i] < 0 || sc->supplemental_groups[i] > UINT32_MAX)
                        return cri_bad(err, EINVAL,
                                       "config.linux.security_context.supplemental_groups[%zu]: "
                                       "Invalid value: %lld",
                                       i, (long long)sc->supplemental_groups[i]);
        const char *parent = lx && *lx->cgroup_parent ? lx->cgroup_parent : NULL;
        if (parent && c->cri->systemd_cgroups) {
                const char *path = expand_slice(c, parent);
                if (!path)
                        return cri_bad(err, EINVAL,
                                       "config.linux.cgroup_parent: Invalid value: \"%s\": the "
                                       "systemd cgroup driver takes a slice name "
                                       "(\"kubepods-burstable-pod<uid>.slice\")",
                                       parent);
                parent = *path ? path : NULL;
        }
        if (parent && !cgroup_parent_ok(parent))
                return cri_bad(err, EINVAL,
                               "config.linux.cgroup_parent: Invalid value: \"%s\": an absolute "
                               "cgroupfs path (\"/kubepods/burstable/pod<uid>\") is supported",
                               parent);

        /* the kubelet's config, returned as it was given */
        json_t *cfg = json_pack(
            "{s:{s:s,s:s,s:s,s:I},s:o,s:o,s:s,s:s,s:I,s:s,s:{s:s,s:s,s:s},s:b}", "metadata", "name",
            md->name, "uid", md->uid, "namespace", md->namespace_, "attempt",
            (json_int_t)md->attempt, "labels", cri_map_json(cf->labels, cf->n_labels),
            "annotations", cri_map_json(cf->annotations, cf->n_annotations), "log_directory",
            cf->log_directory, "runtime_handler", q->runtime_handler, "created_at",
            (json_int_t)cri_now_ns(), "hostname", cf->hostname, "namespace_options", "network",
            mode_name(net), "pid", mode_name(pid), "ipc", mode_name(ipc), "privileged",
            sc && sc->privileged);
        _cleanup_free_ char *cfg_s = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(cfg);

        /* podctl's name for it: readable, and one per (ns, name, uid, attempt) */
        _cleanup_free_ char *key =
            pc_xasprintf("%s/%s/%s/%u", md->namespace_, md->name, md->uid, md->attempt);
        unsigned char h[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)key, strlen(key), h);
        char *name = cri_printf(c, "%.200s-%u-%02x%02x%02x%02x%02x", md->name, md->attempt, h[0],
                                h[1], h[2], h[3], h[4]);

        json_t *sysctls = json_array();
        for (size_t i = 0; lx && i < lx->n_sysctls; i++)
                json_array_append_new(sysctls, json_pack("{s:s,s:s}", "name", lx->sysctls[i]->key,
                                                         "value", lx->sysctls[i]->value));
        json_t *spec = json_pack("{s:[],s:s,s:i,s:b,s:b,s:b,s:b,s:{s:o}}", "containers",
                                 "restartPolicy", "Never", "terminationGracePeriodSeconds", 2,
                                 "hostNetwork", net == RUNTIME__V1__NAMESPACE_MODE__NODE, "hostPID",
                                 pid == RUNTIME__V1__NAMESPACE_MODE__NODE, "hostIPC",
                                 ipc == RUNTIME__V1__NAMESPACE_MODE__NODE, "shareProcessNamespace",
                                 pid == RUNTIME__V1__NAMESPACE_MODE__POD, "securityContext",
                                 "sysctls", sysctls);
        json_t *psc = json_object_get(spec, "securityContext");
        if (seccomp)
                json_object_set_new(psc, "seccompProfile", json_pack("{s:s}", "type", seccomp));
        if (apparmor)
                json_object_set_new(psc, "appArmorProfile", json_pack("{s:s}", "type", apparmor));
        if (sc && sc->n_supplemental_groups) {
                json_t *g = json_array();
                for (size_t i = 0; i < sc->n_supplemental_groups; i++)
                        json_array_append_new(g, json_integer(sc->supplemental_groups[i]));
                json_object_set_new(psc, "supplementalGroups", g);
        }
        if (*cf->hostname)
                json_object_set_new(spec, "hostname", json_string(cf->hostname));
        else
                json_object_set_new(spec, "hostname", json_string(md->name));
        if (cf->dns_config) {
                json_t *dc = json_object();
                json_t *ns = json_array(), *se = json_array(), *op = json_array();
                for (size_t i = 0; i < cf->dns_config->n_servers; i++)
                        json_array_append_new(ns, json_string(cf->dns_config->servers[i]));
                for (size_t i = 0; i < cf->dns_config->n_searches; i++)
                        json_array_append_new(se, json_string(cf->dns_config->searches[i]));
                for (size_t i = 0; i < cf->dns_config->n_options; i++) {
                        /* "ndots:5" -> {"name": "ndots", "value": "5"} */
                        const char *o = cf->dns_config->options[i];
                        const char *colon = strchr(o, ':');
                        json_t *e = colon ? json_pack("{s:s%,s:s}", "name", o, (size_t)(colon - o),
                                                      "value", colon + 1)
                                          : json_pack("{s:s}", "name", o);
                        json_array_append_new(op, e);
                }
                json_object_set_new(dc, "nameservers", ns);
                json_object_set_new(dc, "searches", se);
                json_object_set_new(dc, "options", op);
                json_object_set_new(spec, "dnsPolicy", json_string("None"));
                json_object_set_new(spec, "dnsConfig", dc);
        } else {
                json_object_set_new(spec, "dnsPolicy", json_string("Default"));
        }
        json_t *pod_ann =
            json_pack("{s:s,s:s}", PC_CRI_SANDBOX_ANNOTATION, "true", CRI_ANNOTATION, cfg_s);
        if (parent)
                json_object_set_new(pod_ann, PC_CRI_CGROUP_ANNOTATION, json_string(parent + 1));
        if (has_ports)
                json_object_set_new(pod_ann, PC_CRI_PORTS_ANNOTATION, json_string(ports_s));
        if (user)
                json_object_set_new(pod_ann, PC_CRI_USER_ANNOTATION, json_string(user));
        if (userns) {
                json_object_set_new(pod_ann, PC_CRI_USERNS_ANNOTATION, json_string(userns));
                json_object_set_new(spec, "hostUsers", json_false());
        }
        *podj =
            json_pack("{s:s,s:s,s:{s:s,s:s,s:o,s:o},s:o}", "apiVersion", "v1", "kind", "Pod",
                      "metadata", "name", name, "namespace", md->namespace_, "labels",
                      cri_map_json(cf->labels, cf->n_labels), "annotations", pod_ann, "spec", spec);
        if (!*podj)
                return cri_bad(err, EINVAL, "config: cannot be represented");
        return 0;
}

void cri_run_sandbox(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__RunPodSandboxRequest *q = (const void *)req;
        pc_error err = {0};
        json_t *podj = NULL;
        if (make_pod(c, q, &podj, &err) < 0) {
                if (err.code == ENOTSUP) {
                        pc_grpc_fail(c->out, PC_GRPC_UNIMPLEMENTED, "%s", err.msg);
                        return;
                }
                return cri_reply_err(c, &err);
        }
        cri_keep(c, podj);
        struct pc_pod pod;
        if (pc_pod_from_json(podj, &pod, &err) < 0)
                return cri_reply_err(c, &err);
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        char **errs = NULL;
        int r = ctx ? podctl_pod_create(ctx, &pod, 60000, &errs, &err) : -1;
        char id[65];
        if (r == 0)
                sandbox_id(pod.uid, id);
        pc_strv_free(errs);
        pc_pod_free(&pod);
        if (r == PODCTL_UNCHANGED || (r < 0 && err.code == EEXIST)) {
                pc_grpc_fail(c->out, PC_GRPC_ALREADY_EXISTS,
                             "sandbox %s/%s (uid %s, attempt %u) exists already",
                             q->config->metadata->namespace_, q->config->metadata->name,
                             q->config->metadata->uid, q->config->metadata->attempt);
                return;
        }
        if (r < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__RunPodSandboxResponse out = RUNTIME__V1__RUN_POD_SANDBOX_RESPONSE__INIT;
        out.pod_sandbox_id = id;
        cri_reply(c, &out.base);
}

/* ---- Stop, Remove ---------------------------------------------------------------- */

void cri_stop_sandbox(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__StopPodSandboxRequest *q = (const void *)req;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct sb s;
        /* the CRI: "any running containers in the sandbox must be forcibly
         * terminated" (the kubelet stopped them with their grace first) */
        if (!ctx || find(c, ctx, q->pod_sandbox_id, &s, &err) < 0 ||
            podctl_pod_stop(ctx, s.ns, s.name, 0, &err) < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__StopPodSandboxResponse out = RUNTIME__V1__STOP_POD_SANDBOX_RESPONSE__INIT;
        cri_reply(c, &out.base);
}

/* UpdatePodSandboxResources: the kubelet gives the Pod's resources after
 * an in-place resize of them (it treats the call as best effort). The
 * sandbox's Pod cgroup (podctl/cri/<cgroup_parent>/pod<uid>, which podctl
 * made) takes them, with the sandbox's overhead added: memory limit, cpu
 * quota/period and shares; what the request leaves unset keeps its value. */
void cri_update_sandbox_resources(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__UpdatePodSandboxResourcesRequest *q = (const void *)req;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct sb s;
        if (!ctx || find(c, ctx, q->pod_sandbox_id, &s, &err) < 0)
                return cri_reply_err(c, &err);
        const Runtime__V1__LinuxContainerResources *r = q->resources, *o = q->overhead;
        if (!r)
                return cri_reply_err(c, (cri_bad(&err, EINVAL, "resources: Required value"), &err));
        const char *rel = json_string_value(json_object_get(s.rt, "cgroup"));
        if (!is_ready(&s) || !rel) {
                pc_grpc_fail(c->out, PC_GRPC_FAILED_PRECONDITION,
                             "sandbox %s is not ready (or has no cgroup)", s.id);
                return;
        }
        pc_cgroup *cg = NULL;
        struct pc_cgroup_limits lim;
        if (pc_cgroup_open("/sys/fs/cgroup", rel, &cg, &err) < 0 ||
            pc_cgroup_get_limits(cg, &lim, &err) < 0) {
                pc_cgroup_free(cg);
                return cri_reply_err(c, &err);
        }
        if (r->memory_limit_in_bytes > 0)
                lim.memory_max = r->memory_limit_in_bytes + (o ? o->memory_limit_in_bytes : 0);
        if (r->cpu_period > 0)
                lim.cpu_period = r->cpu_period;
        if (r->cpu_quota > 0)
                lim.cpu_quota = r->cpu_quota + (o && o->cpu_quota > 0 ? o->cpu_quota : 0);
        if (r->cpu_shares > 0)
                lim.cpu_shares = r->cpu_shares + (o && o->cpu_shares > 0 ? o->cpu_shares : 0);
        int rr = pc_cgroup_set_limits(cg, &lim, &err);
        pc_cgroup_free(cg);
        if (rr < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__UpdatePodSandboxResourcesResponse out =
            RUNTIME__V1__UPDATE_POD_SANDBOX_RESOURCES_RESPONSE__INIT;
        cri_reply(c, &out.base);
}

void cri_remove_sandbox(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__RemovePodSandboxRequest *q = (const void *)req;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct sb s;
        int r = ctx ? find(c, ctx, q->pod_sandbox_id, &s, &err) : -1;
        const char *parent = NULL;
        if (r == 0) {
                json_t *ann = json_object_get(json_object_get(s.pod, "metadata"), "annotations");
                parent = json_string_value(json_object_get(ann, PC_CRI_CGROUP_ANNOTATION));
                r = podctl_pod_delete(ctx, s.ns, s.name, 0, &err);
        }
        if (r == 0 && parent)
                prune_cgroup_parents(parent);
        if (r < 0 && err.code != ENOENT) /* gone already: removed */
                return cri_reply_err(c, &err);
        Runtime__V1__RemovePodSandboxResponse out = RUNTIME__V1__REMOVE_POD_SANDBOX_RESPONSE__INIT;
        cri_reply(c, &out.base);
}

/* ---- Status, List ------------------------------------------------------------------ */

static Runtime__V1__PodSandboxMetadata *metadata(struct cri_call *c, const struct sb *s)
{
        json_t *md = json_object_get(s->cfg, "metadata");
        Runtime__V1__PodSandboxMetadata *m =
            CRI_NEW(c, Runtime__V1__PodSandboxMetadata, pod_sandbox_metadata);
        m->name = cri_strdup(c, json_string_value(json_object_get(md, "name")));
        m->uid = cri_strdup(c, json_string_value(json_object_get(md, "uid")));
        m->namespace_ = cri_strdup(c, json_string_value(json_object_get(md, "namespace")));
        m->attempt = (uint32_t)json_integer_value(json_object_get(md, "attempt"));
        return m;
}

static const char *cfg_str(const struct sb *s, const char *k)
{
        const char *v = json_string_value(json_object_get(s->cfg, k));
        return v ? v : "";
}

static Runtime__V1__PodSandboxStatus *status_of(struct cri_call *c, const struct sb *s)
{
        Runtime__V1__PodSandboxStatus *st =
            CRI_NEW(c, Runtime__V1__PodSandboxStatus, pod_sandbox_status);
        st->id = cri_strdup(c, s->id);
        st->metadata = metadata(c, s);
        st->state = is_ready(s) ? RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY
                                : RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_NOTREADY;
        st->created_at = json_integer_value(json_object_get(s->cfg, "created_at"));
        json_t *nso = json_object_get(s->cfg, "namespace_options");
        const char *ip =
            json_string_value(json_object_get(json_object_get(s->pod, "status"), "podIP"));
        st->network = CRI_NEW(c, Runtime__V1__PodSandboxNetworkStatus, pod_sandbox_network_status);
        if (ip && mode_value(json_string_value(json_object_get(nso, "network"))) !=
                      RUNTIME__V1__NAMESPACE_MODE__NODE)
                st->network->ip = cri_strdup(c, ip);
        st->linux = CRI_NEW(c, Runtime__V1__LinuxPodSandboxStatus, linux_pod_sandbox_status);
        st->linux->namespaces = CRI_NEW(c, Runtime__V1__Namespace, namespace);
        Runtime__V1__NamespaceOption *o =
            CRI_NEW(c, Runtime__V1__NamespaceOption, namespace_option);
        o->network = mode_value(json_string_value(json_object_get(nso, "network")));
        o->pid = mode_value(json_string_value(json_object_get(nso, "pid")));
        o->ipc = mode_value(json_string_value(json_object_get(nso, "ipc")));
        st->linux->namespaces->options = o;
        st->labels = cri_map(c, &runtime__v1__pod_sandbox_status__labels_entry__descriptor,
                             json_object_get(s->cfg, "labels"), &st->n_labels);
        st->annotations =
            cri_map(c, &runtime__v1__pod_sandbox_status__annotations_entry__descriptor,
                    json_object_get(s->cfg, "annotations"), &st->n_annotations);
        st->runtime_handler = cri_strdup(c, cfg_str(s, "runtime_handler"));
        return st;
}

void cri_sandbox_status(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__PodSandboxStatusRequest *q = (const void *)req;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct sb s;
        if (!ctx || find(c, ctx, q->pod_sandbox_id, &s, &err) < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__PodSandboxStatusResponse out = RUNTIME__V1__POD_SANDBOX_STATUS_RESPONSE__INIT;
        out.status = status_of(c, &s);
        out.timestamp = cri_now_ns();
        Runtime__V1__PodSandboxStatusResponse__InfoEntry *e = NULL;
        if (q->verbose) {
                json_t *rt = s.rt;
                json_int_t pid = json_integer_value(json_object_get(rt, "pausePid"));
                json_t *info = json_pack("{s:I,s:O,s:s,s:s,s:O}", "pid", pid, "config", s.cfg,
                                         "podctlRoot", c->cri->cri_root, "podctlPod", s.name,
                                         "runtime", rt ? rt : json_null());
                if (pid > 0 && is_ready(&s))
                        json_object_set_new(info, "netns",
                                            json_sprintf("/proc/%lld/ns/net", (long long)pid));
                e = CRI_NEW(c, Runtime__V1__PodSandboxStatusResponse__InfoEntry,
                            pod_sandbox_status_response__info_entry);
                e->key = "info";
                char *d = json_dumps(info, JSON_COMPACT);
                e->value = cri_strdup(c, d);
                free(d);
                json_decref(info);
                out.n_info = 1;
                out.info = &e;
        }
        cri_reply(c, &out.base);
}

static bool labels_match(json_t *labels, void *sel, size_t n)
{
        struct {
                ProtobufCMessage base;
                char *key, *value;
        } **es = sel;
        for (size_t i = 0; i < n; i++) {
                const char *v = json_string_value(json_object_get(labels, es[i]->key));
                if (!v || strcmp(v, es[i]->value))
                        return false;
        }
        return true;
}

void cri_list_sandboxes(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__ListPodSandboxRequest *q = (const void *)req;
        const Runtime__V1__PodSandboxFilter *f = q->filter;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct sb *all;
        size_t n;
        if (!ctx || list_all(c, ctx, &all, &n, &err) < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__ListPodSandboxResponse out = RUNTIME__V1__LIST_POD_SANDBOX_RESPONSE__INIT;
        out.items = cri_alloc(c, (n + 1) * sizeof(*out.items));
        for (size_t i = 0; i < n; i++) {
                const struct sb *s = &all[i];
                Runtime__V1__PodSandboxState st =
                    is_ready(s) ? RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_READY
                                : RUNTIME__V1__POD_SANDBOX_STATE__SANDBOX_NOTREADY;
                if (f && *f->id && strncmp(s->id, f->id, strlen(f->id)))
                        continue;
                if (f && f->state && f->state->state != st)
                        continue;
                if (f && !labels_match(json_object_get(s->cfg, "labels"), f->label_selector,
                                       f->n_label_selector))
                        continue;
                Runtime__V1__PodSandbox *p = CRI_NEW(c, Runtime__V1__PodSandbox, pod_sandbox);
                p->id = cri_strdup(c, s->id);
                p->metadata = metadata(c, s);
                p->state = st;
                p->created_at = json_integer_value(json_object_get(s->cfg, "created_at"));
                p->labels = cri_map(c, &runtime__v1__pod_sandbox__labels_entry__descriptor,
                                    json_object_get(s->cfg, "labels"), &p->n_labels);
                p->annotations =
                    cri_map(c, &runtime__v1__pod_sandbox__annotations_entry__descriptor,
                            json_object_get(s->cfg, "annotations"), &p->n_annotations);
                p->runtime_handler = cri_strdup(c, cfg_str(s, "runtime_handler"));
                out.items[out.n_items++] = p;
        }
        cri_reply(c, &out.base);
}

/* ---- PortForward ------------------------------------------------------------------ */

/* A URL of the streaming server that forwards to ports of the sandbox's
 * network namespace (the ports of the request are what the client asks for
 * on the connection, as the kubelet's). */
void cri_port_forward(struct cri_call *c, const ProtobufCMessage *req)
{
        const Runtime__V1__PortForwardRequest *q = (const void *)req;
        pc_error err = {0};
        _cleanup_(cri_ctx_closep) podctl *ctx = cri_ctx(c, &err);
        struct sb s;
        if (!ctx || find(c, ctx, q->pod_sandbox_id, &s, &err) < 0)
                return cri_reply_err(c, &err);
        if (q->n_port > PC_STREAM_MAX_PORTS) {
                cri_bad(&err, EINVAL, "port: Too many: %zu: must have at most %d items", q->n_port,
                        PC_STREAM_MAX_PORTS);
                return cri_reply_err(c, &err);
        }
        for (size_t i = 0; i < q->n_port; i++)
                if (q->port[i] <= 0 || q->port[i] > 65535) {
                        cri_bad(&err, EINVAL, "port: Invalid value: %d", q->port[i]);
                        return cri_reply_err(c, &err);
                }
        if (!is_ready(&s)) {
                pc_fail(&err, EINVAL, "sandbox %s is not running", s.id);
                return cri_reply_err(c, &err);
        }
        struct pc_stream_req *r = pc_xcalloc(1, sizeof(*r));
        r->kind = PC_STREAM_PORTFORWARD;
        r->pause_pid = (pid_t)json_integer_value(json_object_get(s.rt, "pausePid"));
        r->pause_start = (uint64_t)json_integer_value(json_object_get(s.rt, "pauseStart"));
        r->sandbox_id = pc_xstrdup(s.id);
        for (size_t i = 0; i < q->n_port; i++)
                r->ports[r->n_ports++] = q->port[i];
        char *url = NULL;
        if (pc_stream_url(c->cri->stream, r, &url, &err) < 0)
                return cri_reply_err(c, &err);
        Runtime__V1__PortForwardResponse out = RUNTIME__V1__PORT_FORWARD_RESPONSE__INIT;
        out.url = cri_strdup(c, url);
        free(url);
        cri_reply(c, &out.base);
}

/* ---- for container.c ------------------------------------------------------------ */

Runtime__V1__PodSandboxStatus *cri_sandbox_status_msg(struct cri_call *c, podctl *ctx,
                                                      const char *id)
{
        struct sb s;
        pc_error e = {0};
        return find(c, ctx, id, &s, &e) < 0 ? NULL : status_of(c, &s);
}

int cri_sandbox_refs(struct cri_call *c, podctl *ctx, const char *id, struct cri_sb_ref **out,
                     size_t *n, pc_error *err)
{
        struct sb *all = NULL, one;
        size_t na = 0;
        if (id) {
                if (find(c, ctx, id, &one, err) < 0)
                        return -1;
                all = &one;
                na = 1;
        } else if (list_all(c, ctx, &all, &na, err) < 0) {
                return -1;
        }
        *out = cri_alloc(c, (na + 1) * sizeof(**out));
        for (size_t i = 0; i < na; i++) {
                struct cri_sb_ref *r = &(*out)[i];
                r->ns = all[i].ns;
                r->name = all[i].name;
                memcpy(r->id, all[i].id, sizeof(r->id));
                r->cfg = all[i].cfg;
                r->ready = is_ready(&all[i]);
        }
        *n = na;
        return 0;
}
