/* The C model: decode a (validated, defaulted) v1 object into structs. */
#include "spec/spec_int.h"
#include "util/util.h"

#include <errno.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- base64 (glibc's libresolv: b64_pton/b64_ntop) ------------------------
 * Not libcrypto: the per-Pod monitor decodes Secrets too, and libcrypto would
 * cost it ~2 MB of resident memory. */

int pc_b64_decode(const char *s, unsigned char **out, size_t *len)
{
        size_t n = strlen(s), pad = 0;
        static const char alpha[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

        if (n % 4 != 0 || n > (size_t)INT32_MAX)
                return -1;
        while (pad < 2 && pad < n && s[n - 1 - pad] == '=')
                pad++;
        for (size_t i = 0; i < n - pad; i++)
                if (!s[i] || !strchr(alpha, s[i]))
                        return -1;
        unsigned char *buf = pc_xmalloc(n / 4 * 3 + 1);
        int r = n ? b64_pton(s, buf, n / 4 * 3 + 1) : 0;
        if (r < 0) {
                free(buf);
                return -1;
        }
        *len = (size_t)r;
        buf[*len] = 0;
        *out = buf;
        return 0;
}

char *pc_b64_encode(const unsigned char *data, size_t len)
{
        size_t cap = (len + 2) / 3 * 4 + 1;
        char *buf = pc_xmalloc(cap);
        if (b64_ntop(data, len, buf, cap) < 0)
                buf[0] = '\0';
        return buf;
}

int pc_quantity_json(json_t *v, bool milli, int64_t *out)
{
        char buf[64];
        if (json_is_string(v))
                return pc_quantity_parse(json_string_value(v), milli, out);
        if (json_is_integer(v))
                snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else if (json_is_real(v))
                snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
        else
                return -1;
        return pc_quantity_parse(buf, milli, out);
}

/* ---- helpers ------------------------------------------------------------ */

static const char *jstr(json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

static char *jdup(json_t *o, const char *k)
{
        return pc_xstrdup(jstr(o, k));
}

static bool jbool(json_t *o, const char *k)
{
        return json_is_true(json_object_get(o, k));
}

static int64_t jint(json_t *o, const char *k, int64_t def)
{
        json_t *v = json_object_get(o, k);
        return json_is_integer(v) ? json_integer_value(v) : def;
}

static char **jstrv(json_t *a)
{
        char **v = NULL;
        size_t i;
        json_t *c;
        if (!json_is_array(a))
                return NULL;
        v = pc_xcalloc(1, sizeof(char *));
        json_array_foreach(a, i, c)
        {
                pc_strv_push(&v, json_is_string(c) ? json_string_value(c) : "");
        }
        return v;
}

static void kv_from_map(json_t *o, struct pc_kv **out, size_t *n)
{
        const char *k;
        json_t *v;
        *out = NULL;
        *n = 0;
        if (!json_is_object(o) || json_object_size(o) == 0)
                return;
        *out = pc_xcalloc(json_object_size(o), sizeof(**out));
        json_object_foreach(o, k, v)
        {
                (*out)[*n].name = pc_xstrdup(k);
                (*out)[*n].value = pc_xstrdup(json_is_string(v) ? json_string_value(v) : "");
                (*n)++;
        }
}

static void kv_free(struct pc_kv *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].name);
                free(v[i].value);
        }
        free(v);
}

/* ---- pods --------------------------------------------------------------- */

static void decode_resources(json_t *r, struct pc_resources *res)
{
        json_t *lim = json_object_get(r, "limits"), *req = json_object_get(r, "requests");
        int64_t v;
        res->cpu_request = res->cpu_limit = res->memory_request = res->memory_limit = -1;
        res->ephemeral_request = res->ephemeral_limit = -1;
        if (pc_quantity_json(json_object_get(req, "cpu"), true, &v) == 0)
                res->cpu_request = v;
        if (pc_quantity_json(json_object_get(lim, "cpu"), true, &v) == 0)
                res->cpu_limit = v;
        if (pc_quantity_json(json_object_get(req, "memory"), false, &v) == 0)
                res->memory_request = v;
        if (pc_quantity_json(json_object_get(lim, "memory"), false, &v) == 0)
                res->memory_limit = v;
        if (pc_quantity_json(json_object_get(req, "ephemeral-storage"), false, &v) == 0)
                res->ephemeral_request = v;
        if (pc_quantity_json(json_object_get(lim, "ephemeral-storage"), false, &v) == 0)
                res->ephemeral_limit = v;
}

/* resourceFieldRef; the divisor is in millicores for cpu, else in bytes. */
static void decode_resource_ref(json_t *j, struct pc_resource_ref *r)
{
        r->container =
            jstr(j, "containerName") && *jstr(j, "containerName") ? jdup(j, "containerName") : NULL;
        r->resource = jdup(j, "resource");
        bool cpu = r->resource && pc_str_has_suffix(r->resource, ".cpu");
        int64_t d;
        r->divisor = pc_quantity_json(json_object_get(j, "divisor"), cpu, &d) == 0 ? d : 0;
}

static void resource_ref_free(struct pc_resource_ref *r)
{
        free(r->container);
        free(r->resource);
}

/* A handler's port: a number, or the name of one of the container's ports. */
/* v1 ContainerPort objects (a container's ports, or a CRI sandbox's port
 * mappings in the same shape). */
static void decode_ports(json_t *ports, struct pc_port **out, size_t *n)
{
        size_t i;
        json_t *x;
        *out = NULL;
        *n = 0;
        if (!json_is_array(ports) || !json_array_size(ports))
                return;
        *out = pc_xcalloc(json_array_size(ports), sizeof(**out));
        json_array_foreach(ports, i, x)
        {
                struct pc_port *p = &(*out)[(*n)++];
                p->name = jdup(x, "name");
                p->container_port = (int32_t)jint(x, "containerPort", 0);
                p->host_port = (int32_t)jint(x, "hostPort", 0);
                p->protocol = pc_xstrdup(jstr(x, "protocol") ? jstr(x, "protocol") : "TCP");
                p->host_ip = jdup(x, "hostIP");
        }
}

static void ports_free(struct pc_port *ports, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(ports[i].name);
                free(ports[i].protocol);
                free(ports[i].host_ip);
        }
        free(ports);
}

size_t pc_pod_ports(const struct pc_pod *pod, const struct pc_port **out, size_t max)
{
        size_t n = 0;
        for (int l = 0; l < 3; l++) {
                const struct pc_container *cs = l == 0 ? pod->init_containers : pod->containers;
                size_t nc = l == 0 ? pod->n_init_containers : l == 1 ? pod->n_containers : 0;
                for (size_t i = 0; i < nc; i++)
                        for (size_t k = 0; k < cs[i].n_ports; k++)
                                if (n < max)
                                        out[n++] = &cs[i].ports[k];
                for (size_t k = 0; l == 2 && k < pod->n_sandbox_ports; k++)
                        if (n < max)
                                out[n++] = &pod->sandbox_ports[k];
        }
        return n;
}

static int decode_port(json_t *a, const struct pc_container *c, int32_t *out, pc_error *err)
{
        json_t *v = json_object_get(a, "port");
        if (json_is_integer(v)) {
                *out = (int32_t)json_integer_value(v);
                return 0;
        }
        const char *name = json_string_value(v);
        for (size_t i = 0; name && i < c->n_ports; i++)
                if (c->ports[i].name && !strcmp(c->ports[i].name, name)) {
                        *out = c->ports[i].container_port;
                        return 0;
                }
        return pc_fail(err, ENOENT, "port %s not found", name ? name : "(none)");
}

static int decode_handler(json_t *j, const struct pc_container *c, struct pc_handler *h,
                          pc_error *err)
{
        json_t *a;
        memset(h, 0, sizeof(*h));
        if (!json_is_object(j))
                return 0;
        if ((a = json_object_get(j, "exec"))) {
                h->kind = PC_HANDLER_EXEC;
                h->command = jstrv(json_object_get(a, "command"));
                if (!h->command || !h->command[0])
                        return pc_fail(err, 0, "exec: command is required");
        } else if ((a = json_object_get(j, "httpGet"))) {
                h->kind = PC_HANDLER_HTTP;
                h->host = jstr(a, "host") && *jstr(a, "host") ? jdup(a, "host") : NULL;
                h->path = pc_xstrdup(jstr(a, "path") && *jstr(a, "path") ? jstr(a, "path") : "/");
                h->scheme = pc_xstrdup(jstr(a, "scheme") && *jstr(a, "scheme") ? jstr(a, "scheme")
                                                                               : "HTTP");
                json_t *hs = json_object_get(a, "httpHeaders"), *x;
                size_t i;
                if (json_is_array(hs) && json_array_size(hs)) {
                        h->headers = pc_xcalloc(json_array_size(hs), sizeof(*h->headers));
                        json_array_foreach(hs, i, x)
                        {
                                struct pc_kv *kv = &h->headers[h->n_headers++];
                                kv->name = pc_xstrdup(jstr(x, "name") ? jstr(x, "name") : "");
                                kv->value = pc_xstrdup(jstr(x, "value") ? jstr(x, "value") : "");
                        }
                }
                if (decode_port(a, c, &h->port, err) < 0)
                        return pc_error_prefix(err, "httpGet");
        } else if ((a = json_object_get(j, "tcpSocket"))) {
                h->kind = PC_HANDLER_TCP;
                h->host = jstr(a, "host") && *jstr(a, "host") ? jdup(a, "host") : NULL;
                if (decode_port(a, c, &h->port, err) < 0)
                        return pc_error_prefix(err, "tcpSocket");
        } else if ((a = json_object_get(j, "grpc"))) {
                h->kind = PC_HANDLER_GRPC;
                h->port = (int32_t)jint(a, "port", 0);
                h->service = jstr(a, "service") && *jstr(a, "service") ? jdup(a, "service") : NULL;
        } else if ((a = json_object_get(j, "sleep"))) {
                h->kind = PC_HANDLER_SLEEP;
                h->sleep_seconds = jint(a, "seconds", 0);
        } else {
                return pc_fail(err, 0, "no supported handler type");
        }
        return 0;
}

static void handler_free(struct pc_handler *h)
{
        pc_strv_free(h->command);
        free(h->host);
        free(h->path);
        free(h->scheme);
        kv_free(h->headers, h->n_headers);
        free(h->service);
        memset(h, 0, sizeof(*h));
}

static int decode_probe(json_t *j, const struct pc_container *c, const char *what,
                        struct pc_probe *p, pc_error *err)
{
        memset(p, 0, sizeof(*p));
        p->termination_grace_period_seconds = -1;
        if (!json_is_object(j))
                return 0;
        p->set = true;
        p->initial_delay_seconds = (int32_t)jint(j, "initialDelaySeconds", 0);
        /* zero is "unset" for the API server too */
        p->period_seconds = (int32_t)jint(j, "periodSeconds", 0);
        if (p->period_seconds <= 0)
                p->period_seconds = 10;
        p->timeout_seconds = (int32_t)jint(j, "timeoutSeconds", 0);
        if (p->timeout_seconds <= 0)
                p->timeout_seconds = 1;
        p->success_threshold = (int32_t)jint(j, "successThreshold", 0);
        if (p->success_threshold <= 0)
                p->success_threshold = 1;
        p->failure_threshold = (int32_t)jint(j, "failureThreshold", 0);
        if (p->failure_threshold <= 0)
                p->failure_threshold = 3;
        p->termination_grace_period_seconds = jint(j, "terminationGracePeriodSeconds", -1);
        if (decode_handler(j, c, &p->handler, err) < 0)
                return pc_error_prefix(err, "container %s: %s", c->name, what);
        return 0;
}

static void decode_profile(json_t *j, struct pc_profile *p)
{
        const char *t = jstr(j, "type");
        p->type = !t                             ? PC_PROFILE_UNSET
                  : !strcmp(t, "Unconfined")     ? PC_PROFILE_UNCONFINED
                  : !strcmp(t, "RuntimeDefault") ? PC_PROFILE_RUNTIME_DEFAULT
                  : !strcmp(t, "Localhost")      ? PC_PROFILE_LOCALHOST
                                                 : PC_PROFILE_UNSET;
        p->localhost = jdup(j, "localhostProfile");
}

/* restartPolicyRules (validated: each rule has an action and exitCodes). */
static void decode_restart_rules(json_t *a, struct pc_container *c)
{
        size_t i, k;
        json_t *r, *v;
        if (!json_array_size(a))
                return;
        c->restart_rules = pc_xcalloc(json_array_size(a), sizeof(*c->restart_rules));
        json_array_foreach(a, i, r)
        {
                struct pc_restart_rule *rule = &c->restart_rules[c->n_restart_rules++];
                const char *action = jstr(r, "action");
                rule->action = action && !strcmp(action, "RestartAllContainers")
                                   ? PC_EXIT_RESTART_ALL
                                   : PC_EXIT_RESTART;
                json_t *ec = json_object_get(r, "exitCodes");
                const char *op = jstr(ec, "operator");
                rule->not_in = op && !strcmp(op, "NotIn");
                json_t *vals = json_object_get(ec, "values");
                rule->codes = pc_xcalloc(json_array_size(vals) + 1, sizeof(int));
                json_array_foreach(vals, k, v)
                {
                        if (json_is_integer(v))
                                rule->codes[rule->n_codes++] = (int)json_integer_value(v);
                }
        }
}

static int decode_container(json_t *j, json_t *podsc, bool init, size_t pos, struct pc_container *c,
                            pc_error *err)
{
        size_t i;
        json_t *x;

        if (!json_is_object(j) || !jstr(j, "name") || !jstr(j, "image"))
                return pc_fail(err, 0, "%s[%zu]: name and image are required",
                               init ? "initContainers" : "containers", pos);
        c->name = jdup(j, "name");
        c->image = jdup(j, "image");
        c->command = jstrv(json_object_get(j, "command"));
        c->args = jstrv(json_object_get(j, "args"));
        c->working_dir = jdup(j, "workingDir");
        c->init = init;
        c->pos = pos;

        json_t *env = json_object_get(j, "env");
        if (json_is_array(env) && json_array_size(env)) {
                c->env = pc_xcalloc(json_array_size(env), sizeof(*c->env));
                json_array_foreach(env, i, x)
                {
                        struct pc_env *e = &c->env[c->n_env++];
                        json_t *vf = json_object_get(x, "valueFrom"), *ref;
                        e->name = jdup(x, "name");
                        if (!e->name)
                                e->name = pc_xstrdup("");
                        if ((ref = json_object_get(vf, "configMapKeyRef"))) {
                                e->source = PC_ENV_CONFIGMAP;
                                e->ref_name = jdup(ref, "name");
                                e->ref_key = jdup(ref, "key");
                                e->optional = jbool(ref, "optional");
                        } else if ((ref = json_object_get(vf, "secretKeyRef"))) {
                                e->source = PC_ENV_SECRET;
                                e->ref_name = jdup(ref, "name");
                                e->ref_key = jdup(ref, "key");
                                e->optional = jbool(ref, "optional");
                        } else if ((ref = json_object_get(vf, "fieldRef"))) {
                                e->source = PC_ENV_FIELD;
                                e->ref_key = jdup(ref, "fieldPath");
                        } else if ((ref = json_object_get(vf, "resourceFieldRef"))) {
                                e->source = PC_ENV_RESOURCE;
                                decode_resource_ref(ref, &e->res);
                        } else if ((ref = json_object_get(vf, "fileKeyRef"))) {
                                e->source = PC_ENV_FILE;
                                e->ref_name = jdup(ref, "volumeName");
                                e->ref_path = jdup(ref, "path");
                                e->ref_key = jdup(ref, "key");
                                e->optional = jbool(ref, "optional");
                        } else {
                                e->source = PC_ENV_VALUE;
                                e->value = pc_xstrdup(jstr(x, "value") ? jstr(x, "value") : "");
                        }
                }
        }
        json_t *ef = json_object_get(j, "envFrom");
        if (json_is_array(ef) && json_array_size(ef)) {
                c->env_from = pc_xcalloc(json_array_size(ef), sizeof(*c->env_from));
                json_array_foreach(ef, i, x)
                {
                        struct pc_env_from *e = &c->env_from[c->n_env_from++];
                        json_t *ref = json_object_get(x, "secretRef");
                        e->secret = ref != NULL;
                        if (!ref)
                                ref = json_object_get(x, "configMapRef");
                        e->name = jdup(ref, "name");
                        e->optional = jbool(ref, "optional");
                        e->prefix = jdup(x, "prefix");
                }
        }
        decode_ports(json_object_get(j, "ports"), &c->ports, &c->n_ports);
        json_t *vm = json_object_get(j, "volumeMounts");
        if (json_is_array(vm) && json_array_size(vm)) {
                c->mounts = pc_xcalloc(json_array_size(vm), sizeof(*c->mounts));
                json_array_foreach(vm, i, x)
                {
                        struct pc_volume_mount *m = &c->mounts[c->n_mounts++];
                        m->name = jdup(x, "name");
                        m->mount_path = jdup(x, "mountPath");
                        m->sub_path =
                            jstr(x, "subPath") && *jstr(x, "subPath") ? jdup(x, "subPath") : NULL;
                        m->sub_path_expr = jstr(x, "subPathExpr") && *jstr(x, "subPathExpr")
                                               ? jdup(x, "subPathExpr")
                                               : NULL;
                        m->read_only = jbool(x, "readOnly");
                        const char *rro = jstr(x, "recursiveReadOnly");
                        m->recursive_read_only = rro && strcmp(rro, "Disabled");
                        const char *prop = jstr(x, "mountPropagation");
                        m->host_to_container = prop && !strcmp(prop, "HostToContainer");
                        if (!m->name || !m->mount_path)
                                return pc_fail(err, 0,
                                               "container %s: volumeMounts[%zu]: name "
                                               "and mountPath are required",
                                               c->name, i);
                }
        }
        decode_resources(json_object_get(j, "resources"), &c->resources);
        json_t *rp;
        json_array_foreach(json_object_get(j, "resizePolicy"), i, rp)
        {
                const char *rn = jstr(rp, "resourceName"), *pol = jstr(rp, "restartPolicy");
                bool restart = pol && !strcmp(pol, "RestartContainer");
                if (rn && !strcmp(rn, "cpu"))
                        c->resize_restart_cpu = restart;
                else if (rn && !strcmp(rn, "memory"))
                        c->resize_restart_memory = restart;
        }
        c->image_pull_policy = jdup(j, "imagePullPolicy");
        c->restart_policy = jdup(j, "restartPolicy");
        decode_restart_rules(json_object_get(j, "restartPolicyRules"), c);
        c->termination_message_path = jdup(j, "terminationMessagePath");
        c->termination_message_policy = jdup(j, "terminationMessagePolicy");
        c->stdin_open = jbool(j, "stdin");
        c->stdin_once = jbool(j, "stdinOnce");
        c->tty = jbool(j, "tty");
        json_t *sc = json_object_get(j, "securityContext");
        json_t *u = json_object_get(sc, "runAsUser"), *g = json_object_get(sc, "runAsGroup");
        if (!json_is_integer(u))
                u = json_object_get(podsc, "runAsUser");
        if (!json_is_integer(g))
                g = json_object_get(podsc, "runAsGroup");
        if (json_is_integer(u)) {
                c->has_run_as_user = true;
                c->run_as_user = json_integer_value(u);
        }
        if (json_is_integer(g)) {
                c->has_run_as_group = true;
                c->run_as_group = json_integer_value(g);
        }
        c->privileged = jbool(sc, "privileged");
        c->read_only_root_fs = jbool(sc, "readOnlyRootFilesystem");
        json_t *nr = json_object_get(sc, "runAsNonRoot");
        c->run_as_non_root = json_is_boolean(nr) ? json_is_true(nr) : jbool(podsc, "runAsNonRoot");
        c->no_new_privs = json_is_false(json_object_get(sc, "allowPrivilegeEscalation"));
        json_t *caps = json_object_get(sc, "capabilities");
        c->cap_add = jstrv(json_object_get(caps, "add"));
        c->cap_drop = jstrv(json_object_get(caps, "drop"));
        c->proc_unmasked = jstr(sc, "procMount") && !strcmp(jstr(sc, "procMount"), "Unmasked");
        json_t *scp = json_object_get(sc, "seccompProfile");
        decode_profile(json_is_object(scp) ? scp : json_object_get(podsc, "seccompProfile"),
                       &c->seccomp);
        json_t *aap = json_object_get(sc, "appArmorProfile");
        decode_profile(json_is_object(aap) ? aap : json_object_get(podsc, "appArmorProfile"),
                       &c->apparmor);
        if (decode_probe(json_object_get(j, "livenessProbe"), c, "livenessProbe", &c->liveness,
                         err) < 0 ||
            decode_probe(json_object_get(j, "readinessProbe"), c, "readinessProbe", &c->readiness,
                         err) < 0 ||
            decode_probe(json_object_get(j, "startupProbe"), c, "startupProbe", &c->startup, err) <
                0)
                return -1;
        json_t *lc = json_object_get(j, "lifecycle");
        if (decode_handler(json_object_get(lc, "postStart"), c, &c->post_start, err) < 0)
                return pc_error_prefix(err, "container %s: lifecycle.postStart", c->name);
        if (decode_handler(json_object_get(lc, "preStop"), c, &c->pre_stop, err) < 0)
                return pc_error_prefix(err, "container %s: lifecycle.preStop", c->name);
        json_t *ss = json_object_get(lc, "stopSignal");
        c->stop_signal = json_is_string(ss) ? pc_xstrdup(json_string_value(ss)) : NULL;
        return 0;
}

static void container_free(struct pc_container *c)
{
        free(c->name);
        free(c->image);
        pc_strv_free(c->command);
        pc_strv_free(c->args);
        free(c->working_dir);
        free(c->target_container_name);
        for (size_t i = 0; i < c->n_env; i++) {
                free(c->env[i].name);
                free(c->env[i].value);
                free(c->env[i].ref_name);
                free(c->env[i].ref_key);
                free(c->env[i].ref_path);
                resource_ref_free(&c->env[i].res);
        }
        free(c->env);
        for (size_t i = 0; i < c->n_env_from; i++) {
                free(c->env_from[i].name);
                free(c->env_from[i].prefix);
        }
        free(c->env_from);
        ports_free(c->ports, c->n_ports);
        for (size_t i = 0; i < c->n_mounts; i++) {
                free(c->mounts[i].name);
                free(c->mounts[i].mount_path);
                free(c->mounts[i].sub_path);
                free(c->mounts[i].sub_path_expr);
        }
        free(c->mounts);
        free(c->image_pull_policy);
        free(c->restart_policy);
        for (size_t i = 0; i < c->n_restart_rules; i++)
                free(c->restart_rules[i].codes);
        free(c->restart_rules);
        free(c->termination_message_path);
        free(c->termination_message_policy);
        handler_free(&c->liveness.handler);
        handler_free(&c->readiness.handler);
        handler_free(&c->startup.handler);
        handler_free(&c->post_start);
        handler_free(&c->pre_stop);
        free(c->stop_signal);
        pc_strv_free(c->cap_add);
        pc_strv_free(c->cap_drop);
        free(c->seccomp.localhost);
        free(c->apparmor.localhost);
}

/* configMap / secret items: key -> path, mode. */
static void decode_items(json_t *items, struct pc_kv **kv, int32_t **modes, size_t *n)
{
        json_t *it;
        size_t i;
        *kv = NULL;
        *modes = NULL;
        *n = 0;
        if (!json_is_array(items) || json_array_size(items) == 0)
                return;
        *kv = pc_xcalloc(json_array_size(items), sizeof(**kv));
        *modes = pc_xcalloc(json_array_size(items), sizeof(**modes));
        json_array_foreach(items, i, it)
        {
                (*modes)[*n] = (int32_t)jint(it, "mode", -1);
                (*kv)[*n].name = jdup(it, "key");
                (*kv)[*n].value = jdup(it, "path");
                (*n)++;
        }
}

/* downwardAPI items: path, mode, fieldRef or resourceFieldRef. */
static int decode_dapi_files(json_t *items, struct pc_dapi_file **out, size_t *n, pc_error *err)
{
        json_t *it;
        size_t i;
        *out = NULL;
        *n = 0;
        if (!json_is_array(items) || json_array_size(items) == 0)
                return 0;
        *out = pc_xcalloc(json_array_size(items), sizeof(**out));
        json_array_foreach(items, i, it)
        {
                struct pc_dapi_file *f = &(*out)[(*n)++];
                f->path = jdup(it, "path");
                f->mode = (int32_t)jint(it, "mode", -1);
                json_t *fr = json_object_get(it, "fieldRef");
                json_t *rr = json_object_get(it, "resourceFieldRef");
                if (fr)
                        f->field_path = jdup(fr, "fieldPath");
                else if (rr)
                        decode_resource_ref(rr, &f->res);
                if (!f->path || (!f->field_path && !f->res.resource))
                        return pc_fail(err, 0,
                                       "downwardAPI items[%zu]: path and fieldRef or "
                                       "resourceFieldRef are required",
                                       i);
        }
        return 0;
}

static void dapi_files_free(struct pc_dapi_file *f, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(f[i].path);
                free(f[i].field_path);
                resource_ref_free(&f[i].res);
        }
        free(f);
}

static int decode_projection(json_t *j, size_t idx, struct pc_projection *pr, pc_error *err)
{
        json_t *s;
        if ((s = json_object_get(j, "configMap")) || (s = json_object_get(j, "secret"))) {
                bool secret = json_object_get(j, "secret") == s;
                pr->kind = secret ? PC_PROJ_SECRET : PC_PROJ_CONFIGMAP;
                pr->ref_name = jdup(s, "name");
                pr->optional = jbool(s, "optional");
                decode_items(json_object_get(s, "items"), &pr->items, &pr->item_modes,
                             &pr->n_items);
                return 0;
        }
        if ((s = json_object_get(j, "downwardAPI"))) {
                pr->kind = PC_PROJ_DOWNWARDAPI;
                return decode_dapi_files(json_object_get(s, "items"), &pr->files, &pr->n_files,
                                         err);
        }
        return pc_fail(err, 0, "sources[%zu]: no supported projection", idx);
}

static void projection_free(struct pc_projection *pr)
{
        free(pr->ref_name);
        kv_free(pr->items, pr->n_items);
        free(pr->item_modes);
        dapi_files_free(pr->files, pr->n_files);
}

static int decode_volume(json_t *j, size_t idx, struct pc_volume *v, pc_error *err)
{
        json_t *s;
        v->name = jdup(j, "name");
        v->size_limit = -1;
        v->dir_mode = -1;
        v->default_mode = -1;
        if (!v->name)
                return pc_fail(err, 0, "volumes[%zu]: name is required", idx);
        if ((s = json_object_get(j, "emptyDir"))) {
                v->kind = PC_VOL_EMPTYDIR;
                v->medium = pc_xstrdup(jstr(s, "medium") ? jstr(s, "medium") : "");
                v->dir_mode = (int)jint(s, "mode", -1);
                int64_t q;
                if (pc_quantity_json(json_object_get(s, "sizeLimit"), false, &q) == 0)
                        v->size_limit = q;
        } else if ((s = json_object_get(j, "hostPath"))) {
                v->kind = PC_VOL_HOSTPATH;
                v->path = jdup(s, "path");
                v->hostpath_type = pc_xstrdup(jstr(s, "type") ? jstr(s, "type") : "");
                if (!v->path)
                        return pc_fail(err, 0, "volume %s: hostPath.path is required", v->name);
        } else if ((s = json_object_get(j, "configMap")) || (s = json_object_get(j, "secret"))) {
                bool secret = json_object_get(j, "secret") == s;
                v->kind = secret ? PC_VOL_SECRET : PC_VOL_CONFIGMAP;
                v->ref_name = jdup(s, secret ? "secretName" : "name");
                v->optional = jbool(s, "optional");
                v->default_mode = (int32_t)jint(s, "defaultMode", -1);
                decode_items(json_object_get(s, "items"), &v->items, &v->item_modes, &v->n_items);
        } else if ((s = json_object_get(j, "downwardAPI"))) {
                v->kind = PC_VOL_DOWNWARDAPI;
                v->default_mode = (int32_t)jint(s, "defaultMode", -1);
                if (decode_dapi_files(json_object_get(s, "items"), &v->files, &v->n_files, err) < 0)
                        return pc_error_prefix(err, "volume %s", v->name);
        } else if ((s = json_object_get(j, "projected"))) {
                v->kind = PC_VOL_PROJECTED;
                v->default_mode = (int32_t)jint(s, "defaultMode", -1);
                json_t *srcs = json_object_get(s, "sources"), *x;
                size_t i;
                if (json_is_array(srcs) && json_array_size(srcs)) {
                        v->sources = pc_xcalloc(json_array_size(srcs), sizeof(*v->sources));
                        json_array_foreach(srcs, i, x)
                        {
                                v->n_sources++;
                                if (decode_projection(x, i, &v->sources[i], err) < 0)
                                        return pc_error_prefix(err, "volume %s", v->name);
                        }
                }
        } else if ((s = json_object_get(j, "image"))) {
                v->kind = PC_VOL_IMAGE;
                v->image_ref = jdup(s, "reference");
                v->image_pull_policy = jdup(s, "pullPolicy");
                if (!v->image_ref)
                        return pc_fail(err, 0, "volume %s: image.reference is required", v->name);
        } else {
                return pc_fail(err, 0, "volume %s: no supported volume type", v->name);
        }
        return 0;
}

static void volume_free(struct pc_volume *v)
{
        free(v->name);
        free(v->path);
        free(v->hostpath_type);
        free(v->medium);
        free(v->image_ref);
        free(v->image_pull_policy);
        free(v->ref_name);
        kv_free(v->items, v->n_items);
        free(v->item_modes);
        dapi_files_free(v->files, v->n_files);
        for (size_t i = 0; i < v->n_sources; i++)
                projection_free(&v->sources[i]);
        free(v->sources);
}

void pc_pod_free(struct pc_pod *pod)
{
        if (!pod)
                return;
        free(pod->name);
        free(pod->namespace_);
        free(pod->uid);
        kv_free(pod->labels, pod->n_labels);
        kv_free(pod->annotations, pod->n_annotations);
        for (size_t i = 0; i < pod->n_init_containers; i++)
                container_free(&pod->init_containers[i]);
        free(pod->init_containers);
        for (size_t i = 0; i < pod->n_containers; i++)
                container_free(&pod->containers[i]);
        free(pod->containers);
        for (size_t i = 0; i < pod->n_ephemeral_containers; i++)
                container_free(&pod->ephemeral_containers[i]);
        free(pod->ephemeral_containers);
        for (size_t i = 0; i < pod->n_volumes; i++)
                volume_free(&pod->volumes[i]);
        free(pod->volumes);
        ports_free(pod->sandbox_ports, pod->n_sandbox_ports);
        free(pod->restart_policy);
        free(pod->hostname);
        free(pod->subdomain);
        free(pod->os_name);
        kv_free(pod->host_aliases, pod->n_host_aliases);
        free(pod->dns_policy);
        pc_strv_free(pod->dns_nameservers);
        pc_strv_free(pod->dns_searches);
        kv_free(pod->dns_options, pod->n_dns_options);
        free(pod->supplemental_groups);
        free(pod->sandbox_seccomp.localhost);
        free(pod->sandbox_apparmor.localhost);
        kv_free(pod->sysctls, pod->n_sysctls);
        pc_strv_free(pod->readiness_gates);
        json_decref(pod->json);
        memset(pod, 0, sizeof(*pod));
}

static int decode_containers(json_t *arr, json_t *podsc, bool init, struct pc_container **out,
                             size_t *n, pc_error *err)
{
        size_t i;
        json_t *x;
        *out = NULL;
        *n = 0;
        if (!arr)
                return 0;
        if (!json_is_array(arr))
                return pc_fail(err, 0, "spec.%s: not an array",
                               init ? "initContainers" : "containers");
        if (json_array_size(arr) == 0)
                return 0;
        *out = pc_xcalloc(json_array_size(arr), sizeof(**out));
        json_array_foreach(arr, i, x)
        {
                (*n)++;
                if (decode_container(x, podsc, init, i, &(*out)[i], err) < 0)
                        return -1;
        }
        return 0;
}

int pc_pod_from_json(json_t *json, struct pc_pod *pod, pc_error *err)
{
        json_t *md = json_object_get(json, "metadata"), *spec = json_object_get(json, "spec");
        json_t *x;
        size_t i;

        memset(pod, 0, sizeof(*pod));
        if (!json_is_object(json) || !json_is_object(md) || !json_is_object(spec) ||
            !jstr(md, "name"))
                return pc_fail(err, 0, "invalid pod object: metadata.name and spec are required");
        pod->json = json_incref(json);
        pod->name = jdup(md, "name");
        pod->namespace_ = pc_xstrdup(jstr(md, "namespace") ? jstr(md, "namespace") : "default");
        pod->uid = jdup(md, "uid");
        kv_from_map(json_object_get(md, "labels"), &pod->labels, &pod->n_labels);
        kv_from_map(json_object_get(md, "annotations"), &pod->annotations, &pod->n_annotations);

        json_t *podsc = json_object_get(spec, "securityContext");
        decode_profile(json_object_get(podsc, "seccompProfile"), &pod->sandbox_seccomp);
        decode_profile(json_object_get(podsc, "appArmorProfile"), &pod->sandbox_apparmor);
        if (decode_containers(json_object_get(spec, "initContainers"), podsc, true,
                              &pod->init_containers, &pod->n_init_containers, err) < 0 ||
            decode_containers(json_object_get(spec, "containers"), podsc, false, &pod->containers,
                              &pod->n_containers, err) < 0 ||
            decode_containers(json_object_get(spec, "ephemeralContainers"), podsc, false,
                              &pod->ephemeral_containers, &pod->n_ephemeral_containers, err) < 0)
                goto fail;
        json_array_foreach(json_object_get(spec, "ephemeralContainers"), i, x)
        {
                pod->ephemeral_containers[i].ephemeral = true;
                pod->ephemeral_containers[i].target_container_name = jdup(x, "targetContainerName");
        }
        /* A CRI sandbox (src/cri) is made without containers: they come later. */
        const char *cri = jstr(json_object_get(md, "annotations"), PC_CRI_SANDBOX_ANNOTATION);
        pod->cri_sandbox = cri && !strcmp(cri, "true");
        pod->sandbox_uid = pod->sandbox_gid = -1;
        if (pod->cri_sandbox) {
                const char *u = jstr(json_object_get(md, "annotations"), PC_CRI_USER_ANNOTATION);
                long long uid, gid;
                if (u && sscanf(u, "%lld:%lld", &uid, &gid) == 2 && uid >= 0 && gid >= 0 &&
                    uid <= UINT32_MAX && gid <= UINT32_MAX) {
                        pod->sandbox_uid = uid;
                        pod->sandbox_gid = gid;
                }
                /* the kubelet's port_mappings (src/cri), as v1 ContainerPorts */
                const char *pm = jstr(json_object_get(md, "annotations"), PC_CRI_PORTS_ANNOTATION);
                json_t *pj = pm ? json_loads(pm, 0, NULL) : NULL;
                decode_ports(pj, &pod->sandbox_ports, &pod->n_sandbox_ports);
                json_decref(pj);
        }
        if (pod->n_containers == 0 && !pod->cri_sandbox) {
                pc_fail(err, 0, "spec.containers: at least one container is required");
                goto fail;
        }
        json_t *vols = json_object_get(spec, "volumes");
        if (json_is_array(vols) && json_array_size(vols)) {
                pod->volumes = pc_xcalloc(json_array_size(vols), sizeof(*pod->volumes));
                json_array_foreach(vols, i, x)
                {
                        pod->n_volumes++;
                        if (decode_volume(x, i, &pod->volumes[i], err) < 0)
                                goto fail;
                }
        }
        decode_resources(json_object_get(spec, "resources"), &pod->resources);
        int64_t pids;
        pod->pids_limit = -1;
        if (pc_quantity_json(
                json_object_get(json_object_get(json_object_get(spec, "resources"), "limits"),
                                "pids"),
                false, &pids) == 0)
                pod->pids_limit = pids;
        json_array_foreach(json_object_get(spec, "readinessGates"), i, x)
        {
                if (jstr(x, "conditionType"))
                        pc_strv_push(&pod->readiness_gates, jstr(x, "conditionType"));
        }
        pod->restart_policy =
            pc_xstrdup(jstr(spec, "restartPolicy") ? jstr(spec, "restartPolicy") : "Always");
        pod->termination_grace_period_seconds = jint(spec, "terminationGracePeriodSeconds", 30);
        pod->active_deadline_seconds = jint(spec, "activeDeadlineSeconds", -1);
        pod->share_process_namespace = jbool(spec, "shareProcessNamespace");
        pod->host_network = jbool(spec, "hostNetwork");
        pod->host_pid = jbool(spec, "hostPID");
        pod->host_ipc = jbool(spec, "hostIPC");
        pod->host_users = !json_is_false(json_object_get(spec, "hostUsers"));
        /* hostnameOverride is the hostname and the FQDN: no subdomain in
         * /etc/hosts (the kubelet's GeneratePodHostNameAndDomain) */
        pod->hostname = jdup(spec, "hostnameOverride");
        if (!pod->hostname) {
                pod->hostname = jdup(spec, "hostname");
                pod->subdomain = jdup(spec, "subdomain");
        }
        pod->hostname_fqdn = jbool(spec, "setHostnameAsFQDN");
        pod->os_name = jdup(json_object_get(spec, "os"), "name");
        json_t *ha = json_object_get(spec, "hostAliases");
        if (json_is_array(ha) && json_array_size(ha)) {
                pod->host_aliases = pc_xcalloc(json_array_size(ha), sizeof(*pod->host_aliases));
                json_array_foreach(ha, i, x)
                {
                        struct pc_kv *kv = &pod->host_aliases[pod->n_host_aliases++];
                        kv->name = pc_xstrdup(jstr(x, "ip") ? jstr(x, "ip") : "");
                        kv->value = pc_xstrdup("");
                        size_t j;
                        json_t *h;
                        json_array_foreach(json_object_get(x, "hostnames"), j, h)
                        {
                                char *nv =
                                    pc_xasprintf("%s%s%s", kv->value, *kv->value ? " " : "",
                                                 json_string_value(h) ? json_string_value(h) : "");
                                free(kv->value);
                                kv->value = nv;
                        }
                }
        }
        pod->dns_policy =
            pc_xstrdup(jstr(spec, "dnsPolicy") ? jstr(spec, "dnsPolicy") : "ClusterFirst");
        json_t *dc = json_object_get(spec, "dnsConfig");
        pod->dns_nameservers = jstrv(json_object_get(dc, "nameservers"));
        pod->dns_searches = jstrv(json_object_get(dc, "searches"));
        json_t *opts = json_object_get(dc, "options");
        if (json_is_array(opts) && json_array_size(opts)) {
                pod->dns_options = pc_xcalloc(json_array_size(opts), sizeof(*pod->dns_options));
                json_array_foreach(opts, i, x)
                {
                        struct pc_kv *kv = &pod->dns_options[pod->n_dns_options++];
                        kv->name = pc_xstrdup(jstr(x, "name") ? jstr(x, "name") : "");
                        kv->value = jdup(x, "value");
                }
        }
        json_t *sg = json_object_get(podsc, "supplementalGroups");
        if (json_is_array(sg) && json_array_size(sg)) {
                pod->supplemental_groups = pc_xcalloc(json_array_size(sg), sizeof(int64_t));
                json_array_foreach(sg, i, x) if (json_is_integer(x))
                    pod->supplemental_groups[pod->n_supplemental_groups++] = json_integer_value(x);
        }
        pod->supplemental_groups_strict =
            jstr(podsc, "supplementalGroupsPolicy") &&
            !strcmp(jstr(podsc, "supplementalGroupsPolicy"), "Strict");
        json_t *fg = json_object_get(podsc, "fsGroup");
        pod->has_fs_group = json_is_integer(fg);
        pod->fs_group = json_integer_value(fg);
        pod->fs_group_on_root_mismatch =
            jstr(podsc, "fsGroupChangePolicy") &&
            !strcmp(jstr(podsc, "fsGroupChangePolicy"), "OnRootMismatch");
        json_t *sysctls = json_object_get(podsc, "sysctls");
        if (json_is_array(sysctls) && json_array_size(sysctls)) {
                pod->sysctls = pc_xcalloc(json_array_size(sysctls), sizeof(*pod->sysctls));
                json_array_foreach(sysctls, i, x)
                {
                        struct pc_kv *kv = &pod->sysctls[pod->n_sysctls++];
                        kv->name = pc_xstrdup(jstr(x, "name") ? jstr(x, "name") : "");
                        kv->value = pc_xstrdup(jstr(x, "value") ? jstr(x, "value") : "");
                }
        }
        return 0;
fail:
        pc_error_prefix(err, "pod %s", pod->name);
        pc_pod_free(pod);
        return -1;
}

void pc_container_free(struct pc_container *c)
{
        container_free(c);
        memset(c, 0, sizeof(*c));
}

static bool rule_matches(const struct pc_restart_rule *r, int exit_code)
{
        bool in = false;
        for (size_t i = 0; i < r->n_codes; i++)
                in = in || r->codes[i] == exit_code;
        return r->not_in ? !in : in;
}

enum pc_exit_action pc_container_on_exit(const struct pc_container *c, const char *pod_policy,
                                         int exit_code)
{
        bool sidecar = c->init && c->restart_policy && !strcmp(c->restart_policy, "Always");
        if (c->ephemeral)
                return PC_EXIT_STAY;
        if (c->init && !sidecar && exit_code == 0)
                return PC_EXIT_STAY; /* completed: the next one starts */
        for (size_t i = 0; i < c->n_restart_rules; i++)
                if (rule_matches(&c->restart_rules[i], exit_code))
                        return c->restart_rules[i].action;
        if (sidecar)
                return PC_EXIT_RESTART;
        const char *p = c->restart_policy ? c->restart_policy : pod_policy ? pod_policy : "Always";
        if (!strcmp(p, "Never"))
                return PC_EXIT_STAY;
        if (!strcmp(p, "OnFailure") || c->init)
                return exit_code != 0 ? PC_EXIT_RESTART : PC_EXIT_STAY;
        return PC_EXIT_RESTART; /* Always */
}

bool pc_pod_restarts_all(const struct pc_pod *p)
{
        const struct pc_container *lists[] = {p->init_containers, p->containers};
        size_t counts[] = {p->n_init_containers, p->n_containers};
        for (size_t l = 0; l < 2; l++)
                for (size_t i = 0; i < counts[l]; i++)
                        for (size_t r = 0; r < lists[l][i].n_restart_rules; r++)
                                if (lists[l][i].restart_rules[r].action == PC_EXIT_RESTART_ALL)
                                        return true;
        return false;
}

char *pc_pod_kernel_hostname(const struct pc_pod *p)
{
        const char *h = p->hostname ? p->hostname : p->name;
        if (p->hostname_fqdn && p->subdomain)
                return pc_xasprintf("%s.%s.%s.svc.cluster.local", h, p->subdomain, p->namespace_);
        return pc_xstrdup(h);
}

struct pc_container *pc_pod_find_container(struct pc_pod *pod, const char *name)
{
        for (size_t i = 0; i < pod->n_init_containers; i++)
                if (!strcmp(pod->init_containers[i].name, name))
                        return &pod->init_containers[i];
        for (size_t i = 0; i < pod->n_containers; i++)
                if (!strcmp(pod->containers[i].name, name))
                        return &pod->containers[i];
        for (size_t i = 0; i < pod->n_ephemeral_containers; i++)
                if (!strcmp(pod->ephemeral_containers[i].name, name))
                        return &pod->ephemeral_containers[i];
        return NULL;
}

/* ---- configmaps and secrets --------------------------------------------- */

void pc_configmap_free(struct pc_configmap *cm)
{
        if (!cm)
                return;
        free(cm->name);
        free(cm->namespace_);
        kv_free(cm->data, cm->n_data);
        free(cm->len);
        json_decref(cm->json);
        memset(cm, 0, sizeof(*cm));
}

static void cm_add(struct pc_configmap *cm, const char *k, char *value, size_t len)
{
        size_t n = cm->n_data;
        cm->data = pc_xrealloc(cm->data, (n + 1) * sizeof(*cm->data));
        cm->len = pc_xrealloc(cm->len, (n + 1) * sizeof(*cm->len));
        cm->data[n].name = pc_xstrdup(k);
        cm->data[n].value = value;
        cm->len[n] = len;
        cm->n_data++;
}

int pc_configmap_from_json(json_t *json, struct pc_configmap *cm, pc_error *err)
{
        json_t *md = json_object_get(json, "metadata"), *v;
        const char *kind = jstr(json, "kind"), *k;

        memset(cm, 0, sizeof(*cm));
        if (!kind || (strcmp(kind, "ConfigMap") && strcmp(kind, "Secret")) || !jstr(md, "name"))
                return pc_fail(err, 0, "invalid ConfigMap/Secret object");
        cm->secret = !strcmp(kind, "Secret");
        cm->name = jdup(md, "name");
        cm->namespace_ = pc_xstrdup(jstr(md, "namespace") ? jstr(md, "namespace") : "default");
        cm->json = json_incref(json);
        json_object_foreach(json_object_get(json, "data"), k, v)
        {
                if (!json_is_string(v))
                        goto bad;
                if (cm->secret) {
                        unsigned char *d;
                        size_t len;
                        if (pc_b64_decode(json_string_value(v), &d, &len) < 0)
                                goto bad;
                        cm_add(cm, k, (char *)d, len);
                } else {
                        cm_add(cm, k, pc_xstrdup(json_string_value(v)), json_string_length(v));
                }
        }
        json_object_foreach(json_object_get(json, "binaryData"), k, v)
        {
                unsigned char *d;
                size_t len;
                if (!json_is_string(v) || pc_b64_decode(json_string_value(v), &d, &len) < 0)
                        goto bad;
                cm_add(cm, k, (char *)d, len);
        }
        return 0;
bad:
        pc_fail(err, 0, "%s %s: invalid data", kind, cm->name);
        pc_configmap_free(cm);
        return -1;
}
