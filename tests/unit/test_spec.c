#include "unit.h"
#include "spec/spec.h"
#include "util/util.h"

#include <stdlib.h>
#include <string.h>

static const char *example = "apiVersion: v1\n"
                             "kind: Pod\n"
                             "metadata:\n"
                             "  name: two-containers\n"
                             "spec:\n"
                             "  restartPolicy: Never\n"
                             "  volumes:\n"
                             "  - name: shared-data\n"
                             "    hostPath:\n"
                             "      path: /data\n"
                             "  containers:\n"
                             "  - name: nginx-container\n"
                             "    image: nginx\n"
                             "    volumeMounts:\n"
                             "    - name: shared-data\n"
                             "      mountPath: /usr/share/nginx/html\n"
                             "  - name: debian-container\n"
                             "    image: debian\n"
                             "    volumeMounts:\n"
                             "    - name: shared-data\n"
                             "      mountPath: /pod-data\n"
                             "    command: [\"/bin/sh\"]\n"
                             "    args: [\"-c\", \"echo Hello from the debian container > "
                             "/pod-data/index.html\"]\n";

static int load(const char *text, bool strict, struct pc_manifest *m)
{
        struct pc_check_opts o = {.strict = strict};
        pc_error err;
        return pc_manifest_load("pod.yaml", text, strlen(text), &o, m, &err);
}

/* All formatted diagnostics, one per line. */
static char *diags_text(const struct pc_manifest *m)
{
        char *all = pc_xstrdup("");
        for (size_t i = 0; i < m->diags.n; i++) {
                _cleanup_free_ char *d = pc_diag_format(&m->diags.v[i]);
                char *n = pc_xasprintf("%s%s\n", all, d);
                free(all);
                all = n;
        }
        return all;
}

static void dump_if_failed(const struct pc_manifest *m, int r)
{
        if (r < 0 || m->diags.n) {
                _cleanup_free_ char *t = diags_text(m);
                fprintf(stderr, "diagnostics:\n%s", t);
        }
}

static void test_example(void)
{
        struct pc_manifest m;
        int r = load(example, false, &m);
        dump_if_failed(&m, r);
        CHECK(r == 0);
        CHECK(m.diags.n == 0);
        CHECK(m.n_pods == 1);
        if (m.n_pods != 1)
                goto out;
        struct pc_pod *p = &m.pods[0];
        CHECK_STR(p->name, "two-containers");
        CHECK_STR(p->namespace_, "default");
        CHECK_STR(p->restart_policy, "Never");
        CHECK(p->termination_grace_period_seconds == 30);
        CHECK(p->active_deadline_seconds == -1);
        CHECK_STR(p->dns_policy, "ClusterFirst");
        CHECK(p->n_volumes == 1);
        CHECK(p->volumes[0].kind == PC_VOL_HOSTPATH);
        CHECK_STR(p->volumes[0].path, "/data");
        CHECK_STR(p->volumes[0].hostpath_type, "");
        CHECK(p->n_containers == 2 && p->n_init_containers == 0);
        struct pc_container *c = &p->containers[1];
        CHECK_STR(c->name, "debian-container");
        CHECK_STR(c->image, "debian");
        CHECK(pc_strv_len(c->command) == 1);
        CHECK_STR(c->command[0], "/bin/sh");
        CHECK(pc_strv_len(c->args) == 2);
        CHECK_STR(c->args[1], "echo Hello from the debian container > /pod-data/index.html");
        CHECK(c->n_mounts == 1);
        CHECK_STR(c->mounts[0].mount_path, "/pod-data");
        CHECK(c->mounts[0].sub_path == NULL && !c->mounts[0].read_only);
        CHECK_STR(c->image_pull_policy, "Always");
        CHECK_STR(c->termination_message_path, "/dev/termination-log");
        CHECK_STR(c->termination_message_policy, "File");
        CHECK(c->resources.cpu_limit == -1 && c->resources.memory_request == -1);
        CHECK(c->pos == 1 && !c->init);
        CHECK(p->containers[0].command == NULL);
        CHECK(pc_pod_find_container(p, "nginx-container") == &p->containers[0]);
        CHECK(pc_pod_find_container(p, "nope") == NULL);

        /* defaults written into the JSON */
        json_t *spec = json_object_get(p->json, "spec");
        CHECK_STR(
            json_string_value(json_object_get(json_object_get(p->json, "metadata"), "namespace")),
            "default");
        CHECK(json_integer_value(json_object_get(spec, "terminationGracePeriodSeconds")) == 30);
        CHECK_STR(json_string_value(json_object_get(spec, "dnsPolicy")), "ClusterFirst");
        CHECK_STR(json_string_value(json_object_get(spec, "schedulerName")), "default-scheduler");
        CHECK(json_is_object(json_object_get(spec, "securityContext")));
        CHECK(json_is_true(json_object_get(spec, "enableServiceLinks")));
        json_t *c0 = json_array_get(json_object_get(spec, "containers"), 0);
        CHECK_STR(json_string_value(json_object_get(c0, "imagePullPolicy")), "Always");
        CHECK(json_is_object(json_object_get(c0, "resources")));
        CHECK_STR(json_string_value(json_object_get(c0, "terminationMessagePolicy")), "File");
        json_t *v0 = json_array_get(json_object_get(spec, "volumes"), 0);
        CHECK_STR(json_string_value(json_object_get(json_object_get(v0, "hostPath"), "type")), "");
out:
        pc_manifest_free(&m);
}

static void test_defaults(void)
{
        struct pc_manifest m;
        const char *y = "apiVersion: v1\nkind: Pod\nmetadata: {name: d, namespace: prod}\n"
                        "spec:\n"
                        "  volumes:\n"
                        "  - name: a\n"
                        "  - name: b\n"
                        "    configMap: {name: cm}\n"
                        "  - name: c\n"
                        "    secret: {secretName: s}\n"
                        "  containers:\n"
                        "  - name: x\n"
                        "    image: busybox:1.36\n"
                        "    ports: [{containerPort: 80}, {containerPort: 53, protocol: UDP}]\n"
                        "    resources: {limits: {cpu: 500m, memory: 1Gi}}\n"
                        "  - name: y\n"
                        "    image: 'reg:5000/busybox@sha256:"
                        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'\n"
                        "  - name: z\n"
                        "    image: reg:5000/busybox\n"
                        "  - name: w\n"
                        "    image: busybox:latest\n";
        int r = load(y, false, &m);
        dump_if_failed(&m, r);
        CHECK(r == 0 && m.n_pods == 1);
        if (m.n_pods != 1)
                goto out;
        struct pc_pod *p = &m.pods[0];
        CHECK_STR(p->namespace_, "prod");
        CHECK_STR(p->restart_policy, "Always");
        CHECK(p->volumes[0].kind == PC_VOL_EMPTYDIR);
        CHECK_STR(p->volumes[0].medium, "");
        CHECK(p->volumes[0].size_limit == -1);
        CHECK(p->volumes[1].kind == PC_VOL_CONFIGMAP && p->volumes[1].default_mode == 0644);
        CHECK_STR(p->volumes[1].ref_name, "cm");
        CHECK(p->volumes[2].kind == PC_VOL_SECRET && p->volumes[2].default_mode == 0644);
        CHECK_STR(p->volumes[2].ref_name, "s");
        CHECK_STR(p->containers[0].image_pull_policy, "IfNotPresent");
        CHECK_STR(p->containers[1].image_pull_policy, "IfNotPresent");
        CHECK_STR(p->containers[2].image_pull_policy, "Always");
        CHECK_STR(p->containers[3].image_pull_policy, "Always");
        CHECK(p->containers[0].n_ports == 2);
        CHECK_STR(p->containers[0].ports[0].protocol, "TCP");
        CHECK_STR(p->containers[0].ports[1].protocol, "UDP");
        CHECK(p->containers[0].ports[0].container_port == 80);
        CHECK(p->containers[0].resources.cpu_limit == 500);
        CHECK(p->containers[0].resources.cpu_request == 500); /* requests default to limits */
        CHECK(p->containers[0].resources.memory_limit == 1073741824LL);
        CHECK(p->containers[0].resources.memory_request == 1073741824LL);
        json_t *v0 =
            json_array_get(json_object_get(json_object_get(p->json, "spec"), "volumes"), 0);
        CHECK(json_is_object(json_object_get(v0, "emptyDir")));
        json_t *v1 =
            json_array_get(json_object_get(json_object_get(p->json, "spec"), "volumes"), 1);
        CHECK(json_integer_value(
                  json_object_get(json_object_get(v1, "configMap"), "defaultMode")) == 420);
out:
        pc_manifest_free(&m);
}

static void test_host_network_defaults(void)
{
        struct pc_manifest m;
        const char *y = "apiVersion: v1\nkind: Pod\nmetadata: {name: h}\nspec:\n"
                        "  hostNetwork: true\n"
                        "  containers: [{name: c, image: i, ports: [{containerPort: 8080}]}]\n";
        int r = load(y, false, &m);
        dump_if_failed(&m, r);
        CHECK(r == 0 && m.n_pods == 1);
        if (m.n_pods == 1) {
                CHECK(m.pods[0].host_network);
                CHECK(m.pods[0].containers[0].ports[0].host_port == 8080);
        }
        pc_manifest_free(&m);
}

static void test_positions_and_all_errors(void)
{
        struct pc_manifest m;
        const char *y = "apiVersion: v1\n"                   /* 1 */
                        "kind: Pod\n"                        /* 2 */
                        "metadata:\n"                        /* 3 */
                        "  name: Bad_Name\n"                 /* 4 */
                        "spec:\n"                            /* 5 */
                        "  restartPolicy: Sometimes\n"       /* 6 */
                        "  volumes:\n"                       /* 7 */
                        "  - name: shared-data\n"            /* 8 */
                        "    emptyDir: {}\n"                 /* 9 */
                        "  containers:\n"                    /* 10 */
                        "  - name: web\n"                    /* 11 */
                        "    image: nginx\n"                 /* 12 */
                        "  - name: web\n"                    /* 13 */
                        "    volumeMounts:\n"                /* 14 */
                        "      - name: shared-dat\n"         /* 15 */
                        "        mountPath: /data\n"         /* 16 */
                        "    ports:\n"                       /* 17 */
                        "    - containerPort: \"eighty\"\n"; /* 18 */
        int r = load(y, false, &m);
        CHECK(r < 0);
        _cleanup_free_ char *t = diags_text(&m);
        CHECK_CONTAINS(t, "pod.yaml:4:3: metadata.name: Invalid value: \"Bad_Name\": a lowercase "
                          "RFC 1123 subdomain must consist of");
        CHECK_CONTAINS(t, "pod.yaml:6:3: spec.restartPolicy: Unsupported value: \"Sometimes\": "
                          "supported values: \"Always\", \"OnFailure\", \"Never\"");
        CHECK_CONTAINS(t, "pod.yaml:13:5: spec.containers[1].name: Duplicate value: \"web\"");
        /* missing field: position of the enclosing mapping */
        CHECK_CONTAINS(t, "pod.yaml:13:5: spec.containers[1].image: Required value");
        CHECK_CONTAINS(t, "pod.yaml:15:9: spec.containers[1].volumeMounts[0].name: Not found: "
                          "\"shared-dat\"");
        CHECK_CONTAINS(t, "pod.yaml:18:7: spec.containers[1].ports[0].containerPort: Invalid "
                          "value: \"eighty\": expected integer");
        CHECK(m.diags.n_errors == 6);
        CHECK(m.n_pods == 0);
        pc_manifest_free(&m);
}

static void test_strict(void)
{
        const char *y = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n"
                        "  nodeSelector: {disk: ssd}\n"
                        "  containers:\n"
                        "  - name: a\n"
                        "    image: busybox\n"
                        "    imagee: typo\n"
                        "  tolerations: [{key: k, operator: Exists}]\n";
        struct pc_manifest m;
        int r = load(y, false, &m);
        CHECK(r == 0);
        CHECK(m.diags.n == 3 && m.diags.n_errors == 0);
        _cleanup_free_ char *t = diags_text(&m);
        CHECK_CONTAINS(t, "pod.yaml:6:3: spec.nodeSelector: not supported by podctl "
                          "(scheduling: one node, nothing to choose); ignored");
        CHECK_CONTAINS(t, "pod.yaml:10:5: spec.containers[0].imagee: unknown field "
                          "\"imagee\"");
        CHECK_CONTAINS(t, "spec.tolerations: not supported by podctl (scheduling");
        /* unknown fields are pruned, unsupported ones kept */
        if (m.n_pods == 1) {
                json_t *c0 = json_array_get(
                    json_object_get(json_object_get(m.pods[0].json, "spec"), "containers"), 0);
                CHECK(json_object_get(c0, "imagee") == NULL);
                CHECK(json_object_get(json_object_get(m.pods[0].json, "spec"), "tolerations") !=
                      NULL);
        }
        pc_manifest_free(&m);

        /* strict (kubectl's default): the unknown field is an error; the
         * unsupported ones are valid Kubernetes fields, still warnings */
        r = load(y, true, &m);
        CHECK(r < 0);
        CHECK(m.diags.n_errors == 1);
        CHECK(m.diags.n == 3);
        CHECK(m.n_pods == 0);
        pc_manifest_free(&m);
}

static void test_multidoc_json_list(void)
{
        const char *y = "---\n"
                        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n"
                        "data: {a: \"1\", b: hello}\n"
                        "---\n"
                        "# only a comment\n"
                        "---\n"
                        "apiVersion: v1\nkind: Secret\nmetadata: {name: sec}\n"
                        "data: {pw: aHVudGVyMg==}\n"
                        "stringData: {user: admin}\n"
                        "---\n"
                        "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": "
                        "\"j\"}, \"spec\": {\"containers\": [{\"name\": \"c\", \"image\": "
                        "\"alpine:3\", \"env\": [{\"name\": \"X\", \"value\": \"1\"}, "
                        "{\"name\": \"P\", \"valueFrom\": {\"secretKeyRef\": {\"name\": "
                        "\"sec\", \"key\": \"pw\"}}}]}]}}\n"
                        "---\n"
                        "apiVersion: v1\nkind: List\nitems:\n"
                        "- apiVersion: v1\n  kind: Pod\n  metadata: {name: l1}\n"
                        "  spec: {containers: [{name: c, image: x}]}\n"
                        "- apiVersion: v1\n  kind: Pod\n  metadata: {name: l2}\n"
                        "  spec: {containers: [{name: c, image: x}]}\n";
        struct pc_manifest m;
        int r = load(y, false, &m);
        dump_if_failed(&m, r);
        CHECK(r == 0);
        CHECK(m.n_pods == 3 && m.n_configmaps == 2);
        if (m.n_pods == 3 && m.n_configmaps == 2) {
                CHECK_STR(m.pods[0].name, "j");
                CHECK_STR(m.pods[1].name, "l1");
                CHECK_STR(m.pods[2].name, "l2");
                struct pc_container *c = &m.pods[0].containers[0];
                CHECK(c->n_env == 2);
                CHECK(c->env[0].source == PC_ENV_VALUE);
                CHECK_STR(c->env[0].value, "1");
                CHECK(c->env[1].source == PC_ENV_SECRET);
                CHECK_STR(c->env[1].ref_name, "sec");
                CHECK_STR(c->env[1].ref_key, "pw");
                struct pc_configmap *cm = &m.configmaps[0];
                CHECK(!cm->secret && cm->n_data == 2);
                CHECK_STR(cm->data[0].name, "a");
                CHECK_STR(cm->data[0].value, "1");
                struct pc_configmap *s = &m.configmaps[1];
                CHECK(s->secret && s->n_data == 2);
                CHECK_STR(s->data[0].value, "hunter2");
                CHECK(s->len[0] == 7);
                CHECK_STR(s->data[1].name, "user");
                CHECK_STR(s->data[1].value, "admin");
                CHECK_STR(json_string_value(json_object_get(s->json, "type")), "Opaque");
                CHECK(json_object_get(s->json, "stringData") == NULL);
        }
        pc_manifest_free(&m);
}

static void test_scalars(void)
{
        const char *y = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\n"
                        "  annotations:\n    q: \"true\"\n    n: '123'\n"
                        "data:\n  a: yes\n";
        struct pc_manifest m;
        CHECK(load(y, false, &m) == 0);
        pc_manifest_free(&m);
        /* unquoted true/123 in a string map is a type error, like kubectl */
        y = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\ndata:\n  a: true\n  b: 12\n"
            "  c: 1.5\n  d: ~\n";
        CHECK(load(y, false, &m) < 0);
        _cleanup_free_ char *t = diags_text(&m);
        CHECK_CONTAINS(t, "pod.yaml:5:3: data.a: Invalid value: true: expected string");
        CHECK_CONTAINS(t, "pod.yaml:6:3: data.b: Invalid value: 12: expected string");
        CHECK_CONTAINS(t, "pod.yaml:7:3: data.c: Invalid value: 1.5: expected string");
        CHECK_CONTAINS(t, "data.d: Invalid value: null: expected string");
        pc_manifest_free(&m);
}

static void test_int_forms(void)
{
        struct pc_manifest m;
        const char *y = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                        "  terminationGracePeriodSeconds: 0x1e\n"
                        "  volumes:\n"
                        "  - {name: a, configMap: {name: c, defaultMode: 0644}}\n"
                        "  - {name: b, secret: {secretName: s, defaultMode: 0o400}}\n"
                        "  - {name: d, secret: {secretName: s, defaultMode: 256}}\n"
                        "  containers: [{name: c, image: i, stdin: false,\n"
                        "    securityContext: {readOnlyRootFilesystem: true}}]\n";
        int r = load(y, false, &m);
        dump_if_failed(&m, r);
        CHECK(r == 0 && m.n_pods == 1);
        if (m.n_pods == 1) {
                CHECK(m.pods[0].volumes[0].default_mode == 420);
                CHECK(m.pods[0].volumes[1].default_mode == 256);
                CHECK(m.pods[0].volumes[2].default_mode == 256);
                CHECK(m.pods[0].termination_grace_period_seconds == 30);
                CHECK(m.pods[0].containers[0].read_only_root_fs &&
                      !m.pods[0].containers[0].stdin_open);
        }
        pc_manifest_free(&m);
        /* a quoted number is a string: wrong type for an integer field */
        y = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
            "  terminationGracePeriodSeconds: '30'\n"
            "  containers: [{name: c, image: i}]\n";
        CHECK(load(y, false, &m) < 0);
        _cleanup_free_ char *t = diags_text(&m);
        CHECK_CONTAINS(t, "pod.yaml:5:3: spec.terminationGracePeriodSeconds: Invalid value: "
                          "\"30\": expected integer");
        pc_manifest_free(&m);
}

static void test_bad_utf8(void)
{
        struct pc_manifest m;
        const char *y = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\xff\n";
        CHECK(load(y, false, &m) < 0);
        CHECK(m.diags.n == 1);
        _cleanup_free_ char *t = diags_text(&m);
        CHECK_CONTAINS(t, "pod.yaml:4:10: invalid leading UTF-8 octet");
        pc_manifest_free(&m);
}

static void test_syntax(void)
{
        struct pc_manifest m;
        pc_error err;
        const char *y = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  bad: [1, 2\n";
        CHECK(pc_manifest_load("-", y, strlen(y), NULL, &m, &err) < 0);
        CHECK(m.diags.n == 1);
        _cleanup_free_ char *t = diags_text(&m);
        CHECK_CONTAINS(t, "<stdin>:");
        CHECK_CONTAINS(err.msg, "<stdin>:");
        pc_manifest_free(&m);

        y = "a: &x 1\nb: *x\n";
        CHECK(load(y, false, &m) < 0);
        _cleanup_free_ char *t2 = diags_text(&m);
        CHECK_CONTAINS(t2, "pod.yaml:2:4: b: YAML aliases (*x) are not supported");
        pc_manifest_free(&m);

        y = "apiVersion: v1\nkind: Pod\nkind: Pod\n";
        CHECK(load(y, false, &m) < 0);
        _cleanup_free_ char *t3 = diags_text(&m);
        CHECK_CONTAINS(t3, "pod.yaml:3:1: kind: duplicate key \"kind\"");
        pc_manifest_free(&m);

        CHECK(load("", false, &m) < 0);
        CHECK(m.diags.n == 1);
        pc_manifest_free(&m);
}

static void test_emit_roundtrip(void)
{
        struct pc_manifest m;
        CHECK(load(example, false, &m) == 0);
        if (m.n_pods != 1) {
                pc_manifest_free(&m);
                return;
        }
        json_t *extra = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:f, s:f, s:b, s:n, s:[], s:{}, "
            "s:s, s:s, s:s, s:s}",
            "t", "true", "n", "123", "e", "", "nl", "null", "colon", "a: b", "ml", "line1\nline2\n",
            "dash", "- x", "hash", "#x", "int", 42, "real", 2.0, "real2", 1.25, "bool", 1, "null",
            "arr", "obj", "f", "1e3", "sp", " lead", "oct", "0o17", "yes", "on");
        json_object_set_new(m.pods[0].json, "status", extra);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        pc_error err;
        CHECK(pc_yaml_emit(m.pods[0].json, f, &err) == 0);
        fclose(f);
        CHECK_CONTAINS(buf, "t: \"true\"\n");
        CHECK_CONTAINS(buf, "\"n\": \"123\"\n");
        CHECK_CONTAINS(buf, "\"yes\": \"on\"\n");
        CHECK_CONTAINS(buf, "ml: |\n");
        CHECK_CONTAINS(buf, "containers:\n  - name: nginx-container\n");
        CHECK_CONTAINS(buf, "  name: two-containers\n");
        /* parse it back */
        struct pc_manifest m2;
        struct pc_check_opts o = {0};
        int r = pc_manifest_load("emit.yaml", buf, len, &o, &m2, &err);
        dump_if_failed(&m2, r);
        CHECK(r == 0 && m2.n_pods == 1);
        if (m2.n_pods == 1) {
                /* status is dropped on load; compare the rest */
                json_t *copy = json_deep_copy(m.pods[0].json);
                json_object_del(copy, "status");
                CHECK(json_equal(copy, m2.pods[0].json));
                json_decref(copy);
        }
        pc_manifest_free(&m2);
        free(buf);
        pc_manifest_free(&m);
}

/* emit -> parse for an arbitrary tree, through the parser directly via a
 * ConfigMap wrapper is not possible for non-strings; use a Pod annotation-free
 * check of the raw document instead. */
static void test_emit_any(void)
{
        json_t *v = json_pack("{s:s,s:s,s:s,s:[s,s,{s:s}],s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "k",
                              "v: x", "q", "'", "u", "héllo", "a", "-", "?", "z", "[]", "e1", "e1",
                              "tilde", "~", "yes", "yes", "on", "off", "octal", "0644", "multi",
                              "a\nb\n  c\n", "trail", "x\n\n");
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        pc_error err;
        CHECK(pc_yaml_emit(v, f, &err) == 0);
        fclose(f);
        /* Wrap as ConfigMap data: every value above must come back as a string. */
        json_t *cm = json_pack("{s:s,s:s,s:{s:s},s:o}", "apiVersion", "v1", "kind", "ConfigMap",
                               "metadata", "name", "x", "data", json_object());
        json_t *data = json_object_get(cm, "data");
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) if (json_is_string(x)) json_object_set(data, k, x);
        json_object_del(data, "a");
        char *buf2 = NULL;
        size_t len2 = 0;
        f = open_memstream(&buf2, &len2);
        CHECK(pc_yaml_emit(cm, f, &err) == 0);
        fclose(f);
        struct pc_manifest m;
        struct pc_check_opts o = {0};
        int r = pc_manifest_load("cm.yaml", buf2, len2, &o, &m, &err);
        dump_if_failed(&m, r);
        CHECK(r == 0 && m.n_configmaps == 1);
        if (m.n_configmaps == 1) {
                json_t *got = json_object_get(m.configmaps[0].json, "data");
                CHECK(json_equal(got, data));
        }
        pc_manifest_free(&m);
        json_decref(cm);
        json_decref(v);
        free(buf);
        free(buf2);
}

static void test_quantities(void)
{
        int64_t v;
        CHECK(pc_quantity_parse("100m", true, &v) == 0 && v == 100);
        CHECK(pc_quantity_parse("1", true, &v) == 0 && v == 1000);
        CHECK(pc_quantity_parse("0.5", true, &v) == 0 && v == 500);
        CHECK(pc_quantity_parse("0.1", true, &v) == 0 && v == 100);
        CHECK(pc_quantity_parse("1Gi", false, &v) == 0 && v == 1073741824LL);
        CHECK(pc_quantity_parse("512M", false, &v) == 0 && v == 512000000LL);
        CHECK(pc_quantity_parse("1e3", false, &v) == 0 && v == 1000);
        CHECK(pc_quantity_parse("1E3", false, &v) == 0 && v == 1000);
        CHECK(pc_quantity_parse("1E", false, &v) == 0 && v == 1000000000000000000LL);
        CHECK(pc_quantity_parse("1.5Ki", false, &v) == 0 && v == 1536);
        CHECK(pc_quantity_parse("128974848", false, &v) == 0 && v == 128974848);
        CHECK(pc_quantity_parse("129e6", false, &v) == 0 && v == 129000000);
        CHECK(pc_quantity_parse("123Mi", false, &v) == 0 && v == 128974848);
        CHECK(pc_quantity_parse("100m", false, &v) == 0 && v == 1); /* rounds up */
        CHECK(pc_quantity_parse("-1", false, &v) == 0 && v == -1);
        CHECK(pc_quantity_parse("1.", false, &v) == 0 && v == 1);
        CHECK(pc_quantity_parse("", false, &v) < 0);
        CHECK(pc_quantity_parse("Gi", false, &v) < 0);
        CHECK(pc_quantity_parse("1GB", false, &v) < 0);
        CHECK(pc_quantity_parse("1 Gi", false, &v) < 0);
        CHECK(pc_quantity_parse("abc", false, &v) < 0);
        CHECK(pc_quantity_parse("100Ei", false, &v) < 0); /* overflow */
}

static void test_names(void)
{
        CHECK(pc_is_dns1123_label("web"));
        CHECK(pc_is_dns1123_label("a-1"));
        CHECK(pc_is_dns1123_label("1a"));
        CHECK(!pc_is_dns1123_label(""));
        CHECK(!pc_is_dns1123_label("Web"));
        CHECK(!pc_is_dns1123_label("-a"));
        CHECK(!pc_is_dns1123_label("a-"));
        CHECK(!pc_is_dns1123_label("a.b"));
        CHECK(!pc_is_dns1123_label("a_b"));
        char l63[64], l64[65];
        memset(l63, 'a', 63);
        l63[63] = 0;
        memset(l64, 'a', 64);
        l64[64] = 0;
        CHECK(pc_is_dns1123_label(l63));
        CHECK(!pc_is_dns1123_label(l64));
        CHECK(pc_is_dns1123_subdomain("a.b.c"));
        CHECK(pc_is_dns1123_subdomain("example.com"));
        CHECK(!pc_is_dns1123_subdomain("a..b"));
        CHECK(!pc_is_dns1123_subdomain(".a"));
        CHECK(!pc_is_dns1123_subdomain("a."));
        CHECK(!pc_is_dns1123_subdomain("Foo_"));
        char s254[255];
        memset(s254, 'a', 254);
        s254[254] = 0;
        CHECK(!pc_is_dns1123_subdomain(s254));
}

static void test_diag_format(void)
{
        struct pc_diag d = {PC_DIAG_ERROR, "-", 3, 5, "spec", "Required value"};
        _cleanup_free_ char *a = pc_diag_format(&d);
        CHECK_STR(a, "<stdin>:3:5: spec: Required value");
        struct pc_diag e = {PC_DIAG_ERROR, "f.yaml", 0, 0, "", "no objects"};
        _cleanup_free_ char *b = pc_diag_format(&e);
        CHECK_STR(b, "f.yaml: no objects");
}

static void test_from_json(void)
{
        struct pc_pod pod;
        pc_error err;
        json_t *j = json_loads(
            "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"uid\":"
            "\"1234\",\"namespace\":\"ns\",\"labels\":{\"app\":\"web\"}},\"spec\":{"
            "\"securityContext\":{\"runAsUser\":1000},"
            "\"initContainers\":[{\"name\":\"side\",\"image\":\"i\",\"restartPolicy\":"
            "\"Always\"}],\"containers\":[{\"name\":\"c\",\"image\":\"i\","
            "\"securityContext\":{\"runAsGroup\":5,\"privileged\":true}}],"
            "\"hostAliases\":[{\"ip\":\"10.0.0.1\",\"hostnames\":[\"a\",\"b\"]}]}}",
            0, NULL);
        CHECK(pc_pod_from_json(j, &pod, &err) == 0);
        CHECK_STR(pod.uid, "1234");
        CHECK_STR(pod.namespace_, "ns");
        CHECK(pod.n_labels == 1);
        CHECK_STR(pod.labels[0].value, "web");
        CHECK(pod.n_init_containers == 1 && pod.init_containers[0].init);
        CHECK_STR(pod.init_containers[0].restart_policy, "Always");
        CHECK(pod.containers[0].has_run_as_user && pod.containers[0].run_as_user == 1000);
        CHECK(pod.containers[0].has_run_as_group && pod.containers[0].run_as_group == 5);
        CHECK(pod.containers[0].privileged);
        CHECK(pc_pod_find_container(&pod, "side") == &pod.init_containers[0]);
        CHECK(pod.n_host_aliases == 1);
        CHECK_STR(pod.host_aliases[0].value, "a b");
        pc_pod_free(&pod);
        json_decref(j);

        j = json_loads("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[]}}", 0, NULL);
        CHECK(pc_pod_from_json(j, &pod, &err) < 0);
        CHECK_CONTAINS(err.msg, "at least one container");
        json_decref(j);
        j = json_loads("[1]", 0, NULL);
        CHECK(pc_pod_from_json(j, &pod, &err) < 0);
        json_decref(j);
}

static void test_full_pod_file(void)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        pc_error err;
        struct pc_manifest m;
        struct pc_check_opts o = {0};
        const char *path = "tests/data/manifests/good/web-with-config.yaml";

        CHECK(pc_read_file(path, &text, &len, &err) == 0);
        if (!text)
                return;
        int r = pc_manifest_load(path, text, len, &o, &m, &err);
        dump_if_failed(&m, r);
        CHECK(r == 0 && m.diags.n == 0);
        CHECK(m.n_pods == 1 && m.n_configmaps == 2);
        if (m.n_pods != 1 || m.n_configmaps != 2)
                goto out;
        struct pc_configmap *cm = &m.configmaps[0];
        CHECK_STR(cm->name, "web-config");
        CHECK_STR(cm->data[0].value, "server {\n  listen 8080;\n}\n");
        struct pc_configmap *sec = &m.configmaps[1];
        CHECK(sec->secret && sec->n_data == 2);
        CHECK_STR(sec->data[0].value, "secret");
        CHECK_STR(sec->data[1].value, "admin");

        struct pc_pod *p = &m.pods[0];
        CHECK_STR(p->namespace_, "staging");
        CHECK(p->n_labels == 2 && p->n_annotations == 1);
        CHECK_STR(p->annotations[0].name, "example.com/owner");
        CHECK_STR(p->restart_policy, "OnFailure");
        CHECK(p->termination_grace_period_seconds == 10);
        CHECK(p->active_deadline_seconds == 3600);
        CHECK_STR(p->hostname, "web-0");
        CHECK(p->n_host_aliases == 2);
        CHECK_STR(p->host_aliases[0].value, "foo.local bar.local");
        CHECK_STR(p->host_aliases[1].name, "::1");
        CHECK_STR(p->dns_policy, "None");
        CHECK(pc_strv_len(p->dns_nameservers) == 1 && pc_strv_len(p->dns_searches) == 1);
        CHECK(p->n_dns_options == 1);
        CHECK_STR(p->dns_options[0].value, "2");
        CHECK(p->n_volumes == 4);
        CHECK(p->volumes[0].kind == PC_VOL_CONFIGMAP && p->volumes[0].n_items == 1);
        CHECK_STR(p->volumes[0].items[0].name, "nginx.conf");
        CHECK_STR(p->volumes[0].items[0].value, "conf.d/default.conf");
        CHECK(p->volumes[1].kind == PC_VOL_SECRET && p->volumes[1].default_mode == 0400);
        CHECK(p->volumes[2].kind == PC_VOL_EMPTYDIR && p->volumes[2].size_limit == 64 << 20);
        CHECK_STR(p->volumes[2].medium, "Memory");
        CHECK_STR(p->volumes[3].hostpath_type, "DirectoryOrCreate");

        CHECK(p->n_init_containers == 1);
        struct pc_container *side = &p->init_containers[0];
        CHECK(side->init && side->pos == 0);
        CHECK_STR(side->restart_policy, "Always");
        CHECK(side->has_run_as_user && side->run_as_user == 1000); /* from the pod */
        CHECK(side->mounts[0].read_only);

        struct pc_container *c = pc_pod_find_container(p, "nginx");
        CHECK(c != NULL);
        if (!c)
                goto out;
        CHECK_STR(c->working_dir, "/usr/share/nginx");
        CHECK(c->n_ports == 2);
        CHECK_STR(c->ports[0].name, "http");
        CHECK(c->ports[0].host_port == 8080 && c->ports[1].container_port == 9113);
        CHECK(c->n_env == 4);
        CHECK(c->env[0].source == PC_ENV_CONFIGMAP);
        CHECK_STR(c->env[0].ref_name, "web-config");
        CHECK(c->env[1].source == PC_ENV_SECRET && !c->env[1].optional);
        CHECK(c->env[2].source == PC_ENV_FIELD);
        CHECK_STR(c->env[2].ref_key, "metadata.name");
        CHECK_STR(c->env[3].value, "hello $(POD_NAME)");
        CHECK(c->n_env_from == 1 && !c->env_from[0].secret);
        CHECK_STR(c->env_from[0].prefix, "CFG_");
        CHECK(c->resources.cpu_request == 100 && c->resources.cpu_limit == 1000);
        CHECK(c->resources.memory_request == 64 << 20 && c->resources.memory_limit == 128 << 20);
        CHECK(c->read_only_root_fs && !c->privileged);
        CHECK(c->has_run_as_user && c->run_as_user == 101);
        CHECK(c->has_run_as_group && c->run_as_group == 1000);
        CHECK_STR(c->image_pull_policy, "IfNotPresent");
        CHECK(c->n_mounts == 4);
        CHECK_STR(c->mounts[3].sub_path, "nginx");
        /* fieldRef.apiVersion defaulted */
        json_t *env2 = json_array_get(
            json_object_get(
                json_array_get(json_object_get(json_object_get(p->json, "spec"), "containers"), 0),
                "env"),
            2);
        CHECK_STR(
            json_string_value(json_object_get(
                json_object_get(json_object_get(env2, "valueFrom"), "fieldRef"), "apiVersion")),
            "v1");
out:
        pc_manifest_free(&m);
}

static void test_probes(void)
{
        const char *y =
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n"
            "  terminationGracePeriodSeconds: 20\n"
            "  initContainers:\n"
            "  - name: side\n"
            "    image: busybox\n"
            "    restartPolicy: Always\n"
            "    readinessProbe: {exec: {command: [cat, /ready]}, successThreshold: 2}\n"
            "  containers:\n"
            "  - name: a\n"
            "    image: busybox\n"
            "    ports: [{name: web, containerPort: 8080}]\n"
            "    livenessProbe:\n"
            "      httpGet: {port: web, httpHeaders: [{name: X-A, value: b}]}\n"
            "      periodSeconds: 0\n"
            "      terminationGracePeriodSeconds: 5\n"
            "    readinessProbe: {tcpSocket: {port: 8081, host: 10.1.2.3}, "
            "initialDelaySeconds: 4}\n"
            "    startupProbe: {grpc: {port: 9000, service: svc}, failureThreshold: 30}\n"
            "    lifecycle:\n"
            "      postStart: {httpGet: {port: 80, path: /start, scheme: HTTPS}}\n"
            "      preStop: {sleep: {seconds: 20}}\n";
        struct pc_manifest m;
        int r = load(y, true, &m);
        CHECK(r == 0);
        if (r != 0 || m.n_pods != 1) {
                _cleanup_free_ char *t = diags_text(&m);
                fprintf(stderr, "%s", t);
                pc_manifest_free(&m);
                return;
        }
        struct pc_pod *pod = &m.pods[0];
        /* defaults in the stored object, as the API server writes them */
        json_t *c0 =
            json_array_get(json_object_get(json_object_get(pod->json, "spec"), "containers"), 0);
        json_t *lp = json_object_get(c0, "livenessProbe");
        json_t *hg = json_object_get(lp, "httpGet");
        CHECK_STR(json_string_value(json_object_get(hg, "path")), "/");
        CHECK_STR(json_string_value(json_object_get(hg, "scheme")), "HTTP");
        CHECK_STR(json_string_value(json_object_get(hg, "port")), "web"); /* kept as given */
        CHECK(json_integer_value(json_object_get(lp, "periodSeconds")) == 10);
        CHECK(json_integer_value(json_object_get(lp, "timeoutSeconds")) == 1);
        CHECK(json_integer_value(json_object_get(lp, "successThreshold")) == 1);
        CHECK(json_integer_value(json_object_get(lp, "failureThreshold")) == 3);
        CHECK(json_object_get(lp, "initialDelaySeconds") == NULL);
        json_t *ps = json_object_get(json_object_get(c0, "lifecycle"), "postStart");
        CHECK_STR(json_string_value(json_object_get(json_object_get(ps, "httpGet"), "scheme")),
                  "HTTPS");
        CHECK(json_object_get(json_object_get(c0, "lifecycle"), "preStop") != NULL);
        CHECK(json_object_get(json_object_get(json_object_get(c0, "lifecycle"), "preStop"),
                              "httpGet") == NULL);

        /* the C model: from the manifest, and again from the stored JSON */
        for (int pass = 0; pass < 2; pass++) {
                struct pc_pod from;
                pc_error err;
                struct pc_pod *pp = pod;
                if (pass == 1) {
                        _cleanup_free_ char *txt = json_dumps(pod->json, 0);
                        json_t *j = json_loads(txt, 0, NULL);
                        CHECK(pc_pod_from_json(j, &from, &err) == 0);
                        json_decref(j);
                        pp = &from;
                }
                struct pc_container *a = &pp->containers[0];
                CHECK(a->liveness.set && a->readiness.set && a->startup.set);
                CHECK(a->liveness.handler.kind == PC_HANDLER_HTTP);
                CHECK(a->liveness.handler.port == 8080);
                CHECK_STR(a->liveness.handler.path, "/");
                CHECK_STR(a->liveness.handler.scheme, "HTTP");
                CHECK(a->liveness.handler.host == NULL);
                CHECK(a->liveness.handler.n_headers == 1);
                if (a->liveness.handler.n_headers == 1) {
                        CHECK_STR(a->liveness.handler.headers[0].name, "X-A");
                        CHECK_STR(a->liveness.handler.headers[0].value, "b");
                }
                CHECK(a->liveness.period_seconds == 10 && a->liveness.timeout_seconds == 1 &&
                      a->liveness.success_threshold == 1 && a->liveness.failure_threshold == 3 &&
                      a->liveness.initial_delay_seconds == 0);
                CHECK(a->liveness.termination_grace_period_seconds == 5);
                CHECK(a->readiness.handler.kind == PC_HANDLER_TCP);
                CHECK(a->readiness.handler.port == 8081);
                CHECK_STR(a->readiness.handler.host, "10.1.2.3");
                CHECK(a->readiness.initial_delay_seconds == 4);
                CHECK(a->readiness.termination_grace_period_seconds == -1);
                CHECK(a->startup.handler.kind == PC_HANDLER_GRPC);
                CHECK(a->startup.handler.port == 9000);
                CHECK_STR(a->startup.handler.service, "svc");
                CHECK(a->startup.failure_threshold == 30);
                CHECK(a->post_start.kind == PC_HANDLER_HTTP && a->post_start.port == 80);
                CHECK_STR(a->post_start.path, "/start");
                CHECK_STR(a->post_start.scheme, "HTTPS");
                CHECK(a->pre_stop.kind == PC_HANDLER_SLEEP && a->pre_stop.sleep_seconds == 20);
                struct pc_container *sd = &pp->init_containers[0];
                CHECK(!sd->liveness.set && !sd->startup.set && sd->readiness.set);
                CHECK(sd->readiness.handler.kind == PC_HANDLER_EXEC);
                CHECK(sd->readiness.success_threshold == 2);
                CHECK(pc_strv_len(sd->readiness.handler.command) == 2);
                CHECK(sd->post_start.kind == PC_HANDLER_NONE &&
                      sd->pre_stop.kind == PC_HANDLER_NONE);
                if (pass == 1)
                        pc_pod_free(&from);
        }
        pc_manifest_free(&m);

        /* every rule reported at once, with the API server's words */
        const char *bad = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n"
                          "  initContainers:\n"
                          "  - name: i\n"
                          "    image: busybox\n"
                          "    livenessProbe: {exec: {command: [\"true\"]}}\n"
                          "  containers:\n"
                          "  - name: a\n"
                          "    image: busybox\n"
                          "    livenessProbe: {exec: {command: [\"true\"]}, grpc: {port: 1}, "
                          "successThreshold: 2}\n"
                          "    readinessProbe: {}\n"
                          "    startupProbe: {httpGet: {port: nope}}\n"
                          "    lifecycle: {preStop: {sleep: {seconds: 31}}}\n";
        r = load(bad, false, &m);
        CHECK(r < 0);
        _cleanup_free_ char *t = diags_text(&m);
        CHECK_CONTAINS(t, "spec.initContainers[0].livenessProbe: Forbidden: may not be set for "
                          "init containers without restartPolicy of Always");
        CHECK_CONTAINS(t, "spec.containers[0].livenessProbe.grpc: Forbidden: may not specify more "
                          "than 1 handler type");
        CHECK_CONTAINS(t, "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: "
                          "must be 1");
        CHECK_CONTAINS(t, "spec.containers[0].readinessProbe: Required value: must specify a "
                          "handler type");
        CHECK_CONTAINS(t, "spec.containers[0].startupProbe.httpGet.port: Invalid value: \"nope\": "
                          "no containerPort of this container is named \"nope\"");
        CHECK_CONTAINS(t, "spec.containers[0].lifecycle.preStop.sleep: Invalid value: 31: must be "
                          "greater than 0 and less than terminationGracePeriodSeconds (30)");
        CHECK(m.diags.n_errors == 6);
        pc_manifest_free(&m);
}

/* Image references are checked with docker's rules at apply (the kubelet's
 * InvalidImageName), with the field path; imagePullSecrets is accepted. */
static void test_image_refs(void)
{
        struct pc_manifest m;
        const char *y = "apiVersion: v1\nkind: Pod\nmetadata: {name: i}\n"
                        "spec:\n"
                        "  imagePullSecrets: [{name: regcred}]\n"
                        "  containers:\n"
                        "  - {name: a, image: Busybox}\n"
                        "  - {name: b, image: 'busybox:'}\n"
                        "  - {name: c, image: 'busybox@sha256:12'}\n"
                        "  - {name: d, image: 'localhost:5000/x/y:1'}\n"
                        "  - {name: e, image: 'busybox:latest@sha256:"
                        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'}\n";
        int r = load(y, true, &m);
        CHECK(r < 0);
        _cleanup_free_ char *t = diags_text(&m);
        CHECK_CONTAINS(t, "spec.containers[0].image: Invalid value: \"Busybox\": invalid "
                          "reference format: repository name must be lowercase");
        CHECK_CONTAINS(t, "spec.containers[1].image: Invalid value: \"busybox:\": invalid "
                          "reference format");
        CHECK_CONTAINS(t, "spec.containers[2].image: Invalid value");
        CHECK(!strstr(t, "containers[3]"));
        CHECK(!strstr(t, "containers[4]"));
        CHECK(!strstr(t, "imagePullSecrets"));
        CHECK(m.diags.n_errors == 3);
        pc_manifest_free(&m);
        y = "apiVersion: v1\nkind: Pod\nmetadata: {name: i}\n"
            "spec:\n"
            "  imagePullSecrets: [{name: regcred}]\n"
            "  containers:\n"
            "  - {name: e, image: 'busybox:latest@sha256:"
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'}\n";
        r = load(y, true, &m);
        dump_if_failed(&m, r);
        CHECK(r == 0 && m.n_pods == 1);
        if (m.n_pods == 1)
                CHECK_STR(m.pods[0].containers[0].image_pull_policy, "Always");
        pc_manifest_free(&m);
}

/* Sysctl names as the kubelet compares them (NormalizeName): '/' as the
 * first separator means the slash form; node-wide ones never pass. */
static void test_sysctl_names(void)
{
        char *none[] = {NULL};
        char *vm[] = {"vm.*", "kernel.msg*", NULL};
        CHECK(pc_sysctl_allowed("kernel.shm_rmid_forced", none));
        CHECK(pc_sysctl_allowed("kernel/shm_rmid_forced", none));
        CHECK(pc_sysctl_namespace("kernel/shm_rmid_forced") == PC_SYSCTL_IPC);
        CHECK(pc_sysctl_namespace("net/ipv4/conf/eno2.100/rp_filter") == PC_SYSCTL_NET);
        CHECK(!pc_sysctl_allowed("kernel.msgmax", none));
        CHECK(pc_sysctl_allowed("kernel/msgmax", vm));
        CHECK(!pc_sysctl_allowed("vm.swappiness", vm));
        CHECK(!pc_sysctl_allowed("safe-and-unsafe", none));
}

/* Container restart rules: the first matching rule, else the container's
 * own restartPolicy, else the Pod's; an init container's exit 0 completes
 * it; a sidecar restarts unless a RestartAllContainers rule matches. */
static void test_restart_rules(void)
{
        const char *text =
            "apiVersion: v1\n"
            "kind: Pod\n"
            "metadata: {name: r}\n"
            "spec:\n"
            "  restartPolicy: Never\n"
            "  initContainers:\n"
            "  - {name: i, image: b}\n"
            "  - name: ir\n"
            "    image: b\n"
            "    restartPolicy: Never\n"
            "    restartPolicyRules:\n"
            "    - {action: Restart, exitCodes: {operator: NotIn, values: [0, 9]}}\n"
            "  - name: side\n"
            "    image: b\n"
            "    restartPolicy: Always\n"
            "    restartPolicyRules:\n"
            "    - {action: RestartAllContainers, exitCodes: {operator: In, values: [88]}}\n"
            "  containers:\n"
            "  - {name: plain, image: b}\n"
            "  - {name: always, image: b, restartPolicy: Always}\n"
            "  - {name: onfail, image: b, restartPolicy: OnFailure}\n"
            "  - name: rules\n"
            "    image: b\n"
            "    restartPolicy: OnFailure\n"
            "    restartPolicyRules:\n"
            "    - {action: Restart, exitCodes: {operator: In, values: [0]}}\n"
            "    - {action: RestartAllContainers, exitCodes: {operator: In, values: [5, 6]}}\n"
            "    - {action: Restart, exitCodes: {operator: In, values: [6]}}\n";
        struct pc_manifest m;
        CHECK(load(text, true, &m) == 0);
        CHECK(m.diags.n == 0 && m.n_pods == 1);
        if (m.n_pods != 1) {
                pc_manifest_free(&m);
                return;
        }
        struct pc_pod *p = &m.pods[0];
        const char *pol = p->restart_policy;
#define ON_EXIT(name, code) pc_container_on_exit(pc_pod_find_container(p, name), pol, code)
        CHECK(ON_EXIT("i", 0) == PC_EXIT_STAY);
        CHECK(ON_EXIT("i", 1) == PC_EXIT_STAY); /* the Pod's Never */
        CHECK(ON_EXIT("ir", 1) == PC_EXIT_RESTART);
        CHECK(ON_EXIT("ir", 9) == PC_EXIT_STAY);
        CHECK(ON_EXIT("ir", 0) == PC_EXIT_STAY); /* completed */
        CHECK(ON_EXIT("side", 0) == PC_EXIT_RESTART);
        CHECK(ON_EXIT("side", 88) == PC_EXIT_RESTART_ALL);
        CHECK(ON_EXIT("plain", 1) == PC_EXIT_STAY);
        CHECK(ON_EXIT("always", 0) == PC_EXIT_RESTART);
        CHECK(ON_EXIT("onfail", 0) == PC_EXIT_STAY);
        CHECK(ON_EXIT("onfail", 2) == PC_EXIT_RESTART);
        CHECK(ON_EXIT("rules", 0) == PC_EXIT_RESTART);     /* first rule */
        CHECK(ON_EXIT("rules", 6) == PC_EXIT_RESTART_ALL); /* the first match wins */
        CHECK(ON_EXIT("rules", 3) == PC_EXIT_RESTART);     /* no rule: OnFailure */
        CHECK(pc_container_on_exit(pc_pod_find_container(p, "always"), "OnFailure", 0) ==
              PC_EXIT_RESTART);
#undef ON_EXIT
        pc_manifest_free(&m);
}

int main(void)
{
        test_sysctl_names();
        test_full_pod_file();
        test_example();
        test_defaults();
        test_image_refs();
        test_host_network_defaults();
        test_positions_and_all_errors();
        test_strict();
        test_multidoc_json_list();
        test_scalars();
        test_syntax();
        test_int_forms();
        test_bad_utf8();
        test_emit_roundtrip();
        test_emit_any();
        test_quantities();
        test_names();
        test_diag_format();
        test_from_json();
        test_probes();
        test_restart_rules();
        UNIT_DONE();
}
