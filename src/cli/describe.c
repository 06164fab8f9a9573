/* podctl describe pod NAME: kubectl describe's layout. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/util.h"

static const char *jstr(json_t *o, const char *k)
{
        const char *s = json_string_value(json_object_get(o, k));
        return s ? s : "";
}

/* "Sat, 28 Nov 2026 10:00:00 +0000" from an RFC 3339 time. */
static const char *human_time(const char *rfc, char *buf, size_t len)
{
        int64_t ns;
        if (!rfc || pc_parse_time(rfc, &ns) < 0)
                return rfc ? rfc : "";
        time_t t = (time_t)(ns / 1000000000LL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, len, "%a, %d %b %Y %H:%M:%S +0000", &tm);
        return buf;
}

void pc_cli_print_map(const char *title, json_t *m, int width)
{
        printf("%-*s", width, title);
        if (json_object_size(m) == 0) {
                puts("<none>");
                return;
        }
        const char *k;
        json_t *v;
        bool first = true;
        json_object_foreach(m, k, v)
        {
                if (!first)
                        printf("%-*s", width, "");
                printf("%s=%s\n", k, json_string_value(v) ? json_string_value(v) : "");
                first = false;
        }
}

static void print_state(const char *title, json_t *state)
{
        char tb[64];
        json_t *r = json_object_get(state, "running");
        json_t *w = json_object_get(state, "waiting");
        json_t *t = json_object_get(state, "terminated");
        if (r) {
                printf("    %-16sRunning\n", title);
                printf("      Started:      %s\n",
                       human_time(jstr(r, "startedAt"), tb, sizeof(tb)));
        } else if (w) {
                printf("    %-16sWaiting\n", title);
                printf("      Reason:       %s\n", jstr(w, "reason"));
                if (*jstr(w, "message"))
                        printf("      Message:      %s\n", jstr(w, "message"));
        } else if (t) {
                printf("    %-16sTerminated\n", title);
                printf("      Reason:       %s\n", jstr(t, "reason"));
                if (*jstr(t, "message"))
                        printf("      Message:      %s\n", jstr(t, "message"));
                printf("      Exit Code:    %lld\n",
                       (long long)json_integer_value(json_object_get(t, "exitCode")));
                printf("      Started:      %s\n",
                       human_time(jstr(t, "startedAt"), tb, sizeof(tb)));
                printf("      Finished:     %s\n",
                       human_time(jstr(t, "finishedAt"), tb, sizeof(tb)));
        } else {
                printf("    %-16s<none>\n", title);
        }
}

static json_t *status_of(json_t *statuses, const char *name)
{
        size_t i;
        json_t *c;
        json_array_foreach(statuses, i, c)
        {
                if (!strcmp(jstr(c, "name"), name))
                        return c;
        }
        return NULL;
}

static void print_containers(const char *title, json_t *specs, json_t *statuses)
{
        if (json_array_size(specs) == 0)
                return;
        printf("%s:\n", title);
        size_t i;
        json_t *c;
        json_array_foreach(specs, i, c)
        {
                json_t *st = status_of(statuses, jstr(c, "name"));
                printf("  %s:\n", jstr(c, "name"));
                printf("    Container ID:   %s\n", st ? jstr(st, "containerID") : "");
                printf("    Image:          %s\n", jstr(c, "image"));
                printf("    Image ID:       %s\n", st ? jstr(st, "imageID") : "");
                json_t *ports = json_object_get(c, "ports");
                if (json_array_size(ports) == 0) {
                        printf("    Port:           <none>\n    Host Port:      <none>\n");
                } else {
                        json_t *p0 = json_array_get(ports, 0);
                        printf("    Port:           %lld/%s\n",
                               (long long)json_integer_value(json_object_get(p0, "containerPort")),
                               jstr(p0, "protocol"));
                        printf("    Host Port:      %lld/%s\n",
                               (long long)json_integer_value(json_object_get(p0, "hostPort")),
                               jstr(p0, "protocol"));
                }
                json_t *cmd = json_object_get(c, "command");
                json_t *args = json_object_get(c, "args");
                size_t k;
                json_t *a;
                if (json_array_size(cmd)) {
                        puts("    Command:");
                        json_array_foreach(cmd, k, a) printf("      %s\n", json_string_value(a));
                }
                if (json_array_size(args)) {
                        puts("    Args:");
                        json_array_foreach(args, k, a) printf("      %s\n", json_string_value(a));
                }
                if (st) {
                        print_state("State:", json_object_get(st, "state"));
                        json_t *last = json_object_get(st, "lastState");
                        if (json_object_size(last))
                                print_state("Last State:", last);
                        printf("    Ready:          %s\n",
                               json_is_true(json_object_get(st, "ready")) ? "True" : "False");
                        printf("    Restart Count:  %lld\n",
                               (long long)json_integer_value(json_object_get(st, "restartCount")));
                }
                json_t *env = json_object_get(c, "env");
                if (json_array_size(env) == 0) {
                        puts("    Environment:    <none>");
                } else {
                        puts("    Environment:");
                        json_array_foreach(env, k, a)
                        {
                                json_t *vf = json_object_get(a, "valueFrom");
                                printf("      %s:  %s\n", jstr(a, "name"),
                                       vf ? "<set from a reference>" : jstr(a, "value"));
                        }
                }
                json_t *mounts = json_object_get(c, "volumeMounts");
                if (json_array_size(mounts) == 0) {
                        puts("    Mounts:         <none>");
                } else {
                        puts("    Mounts:");
                        json_array_foreach(mounts, k, a)
                        {
                                printf("      %s from %s (%s)\n", jstr(a, "mountPath"),
                                       jstr(a, "name"),
                                       json_is_true(json_object_get(a, "readOnly")) ? "ro" : "rw");
                        }
                }
        }
}

static void print_volumes(json_t *vols)
{
        if (json_array_size(vols) == 0) {
                puts("Volumes:                    <none>");
                return;
        }
        puts("Volumes:");
        size_t i;
        json_t *v;
        json_array_foreach(vols, i, v)
        {
                printf("  %s:\n", jstr(v, "name"));
                json_t *hp = json_object_get(v, "hostPath");
                json_t *ed = json_object_get(v, "emptyDir");
                json_t *cm = json_object_get(v, "configMap");
                json_t *se = json_object_get(v, "secret");
                json_t *im = json_object_get(v, "image");
                if (hp) {
                        puts("    Type:          HostPath (bare host directory volume)");
                        printf("    Path:          %s\n", jstr(hp, "path"));
                        printf("    HostPathType:  %s\n", jstr(hp, "type"));
                } else if (ed) {
                        puts("    Type:       EmptyDir (a temporary directory that shares a pod's "
                             "lifetime)");
                        printf("    Medium:     %s\n", jstr(ed, "medium"));
                } else if (cm) {
                        puts("    Type:      ConfigMap (a volume populated by a ConfigMap)");
                        printf("    Name:      %s\n", jstr(cm, "name"));
                } else if (se) {
                        puts("    Type:        Secret (a volume populated by a Secret)");
                        printf("    SecretName:  %s\n", jstr(se, "secretName"));
                } else if (im) {
                        puts("    Type:        Image (a container image or OCI artifact)");
                        printf("    Reference:   %s\n", jstr(im, "reference"));
                        printf("    PullPolicy:  %s\n", jstr(im, "pullPolicy"));
                }
        }
}

static void pct(char *buf, size_t len, int64_t v, int64_t of, bool cpu)
{
        _cleanup_free_ char *q = pc_quantity_format(v, cpu);
        snprintf(buf, len, "%s (%lld%%)", q, (long long)(of > 0 ? v * 100 / of : 0));
}

static int describe_node(struct pc_cli *cli)
{
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        pc_error err;
        json_t *node = NULL;
        if (podctl_node_get(ctx, &node, &err) < 0)
                return pc_cli_die(&err);
        json_t *st = json_object_get(node, "status");
        json_t *pc = json_object_get(node, "podctl");
        printf("Name:               %s\n", jstr(json_object_get(node, "metadata"), "name"));
        printf("Roles:              <none>\n");
        const char *sections[] = {"capacity", "allocatable"};
        const char *titles[] = {"Capacity:", "Allocatable:"};
        for (int s = 0; s < 2; s++) {
                json_t *a = json_object_get(st, sections[s]);
                printf("%s\n  cpu:     %s\n  memory:  %s\n  pids:    %s\n", titles[s],
                       jstr(a, "cpu"), jstr(a, "memory"), jstr(a, "pids"));
        }
        json_t *pods = json_object_get(pc, "pods");
        printf("Non-terminated Pods:          (%zu in total)\n", json_array_size(pods));
        struct pc_table t = {0};
        pc_table_row(&t, "  Namespace", "Name", "CPU Requests", "CPU Limits", "Memory Requests",
                     "Memory Limits", "Age");
        pc_table_row(&t, "  ---------", "----", "------------", "----------", "---------------",
                     "-------------", "---");
        /* allocatable, to show percentages */
        int64_t acpu = 0, amem = 0;
        json_t *alloc = json_object_get(st, "allocatable");
        pc_quantity_parse(jstr(alloc, "cpu"), true, &acpu);
        pc_quantity_parse(jstr(alloc, "memory"), false, &amem);
        size_t i;
        json_t *p;
        json_array_foreach(pods, i, p)
        {
                char cr[64], cl[64], mr[64], ml[64], age[32];
                pct(cr, sizeof(cr), json_integer_value(json_object_get(p, "cpuRequests")), acpu,
                    true);
                pct(cl, sizeof(cl), json_integer_value(json_object_get(p, "cpuLimits")), acpu,
                    true);
                pct(mr, sizeof(mr), json_integer_value(json_object_get(p, "memoryRequests")), amem,
                    false);
                pct(ml, sizeof(ml), json_integer_value(json_object_get(p, "memoryLimits")), amem,
                    false);
                int64_t created = pc_now_ns();
                pc_parse_time(jstr(p, "creationTimestamp"), &created);
                pc_cli_age(created, age, sizeof(age));
                _cleanup_free_ char *ns = pc_xasprintf("  %s", jstr(p, "namespace"));
                pc_table_row(&t, ns, jstr(p, "name"), cr, cl, mr, ml, age);
        }
        pc_table_print(&t);
        json_t *req = json_object_get(pc, "requested"), *lim = json_object_get(pc, "limits");
        char rc[64], lc[64], rm[64], lm[64];
        pct(rc, sizeof(rc), json_integer_value(json_object_get(req, "cpu")), acpu, true);
        pct(lc, sizeof(lc), json_integer_value(json_object_get(lim, "cpu")), acpu, true);
        pct(rm, sizeof(rm), json_integer_value(json_object_get(req, "memory")), amem, false);
        pct(lm, sizeof(lm), json_integer_value(json_object_get(lim, "memory")), amem, false);
        puts(
            "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)");
        pc_table_row(&t, "  Resource", "Requests", "Limits");
        pc_table_row(&t, "  --------", "--------", "------");
        pc_table_row(&t, "  cpu", rc, lc);
        pc_table_row(&t, "  memory", rm, lm);
        pc_table_print(&t);
        puts("Events:              <none>");
        json_decref(node);
        return 0;
}

/* kubectl's Events table: Type, Reason, Age ("3s (x4 over 10s)"), From, Message. */
static void print_events(podctl *ctx, const char *ns, const char *name)
{
        pc_error err;
        json_t *events = NULL;
        if (podctl_pod_events(ctx, ns, name, &events, &err) < 0 || json_array_size(events) == 0) {
                puts("Events:                     <none>");
                json_decref(events);
                return;
        }
        puts("Events:");
        struct pc_table t = {0};
        pc_table_row(&t, "  Type", "Reason", "Age", "From", "Message");
        pc_table_row(&t, "  ----", "------", "----", "----", "-------");
        size_t i;
        json_t *e;
        json_array_foreach(events, i, e)
        {
                int64_t first = pc_now_ns(), last = pc_now_ns();
                pc_parse_time(jstr(e, "firstTimestamp"), &first);
                pc_parse_time(jstr(e, "lastTimestamp"), &last);
                char a1[32], a2[32], age[96];
                pc_cli_age(last, a1, sizeof(a1));
                long long count = json_integer_value(json_object_get(e, "count"));
                if (count > 1) {
                        pc_cli_age(first, a2, sizeof(a2));
                        snprintf(age, sizeof(age), "%s (x%lld over %s)", a1, count, a2);
                } else {
                        snprintf(age, sizeof(age), "%s", a1);
                }
                _cleanup_free_ char *type = pc_xasprintf("  %s", jstr(e, "type"));
                pc_table_row(&t, type, jstr(e, "reason"), age, "kubelet", jstr(e, "message"));
        }
        pc_table_print(&t);
        json_decref(events);
}

int cmd_describe(struct pc_cli *cli, int argc, char **argv)
{
        int i = 1;
        if (i < argc &&
            (!strcmp(argv[i], "node") || !strcmp(argv[i], "nodes") || !strcmp(argv[i], "no")))
                return describe_node(cli);
        if (i < argc && pc_cli_object_kind(argv[i]) >= 0)
                return pc_cli_describe_objects(cli, pc_cli_object_kind(argv[i]), argc - i - 1,
                                               argv + i + 1);
        if (i < argc && pc_cli_is_pod_resource(argv[i]))
                i++;
        if (i >= argc)
                return pc_cli_fail("usage: podctl describe pod NAME");
        podctl *ctx = pc_cli_ctx(cli);
        if (!ctx)
                return 1;
        int rc = 0;
        for (; i < argc; i++) {
                const char *name = argv[i];
                if (!strncmp(name, "pod/", 4))
                        name += 4;
                pc_error err;
                json_t *pod = NULL;
                if (podctl_pod_get(ctx, cli->namespace_, name, &pod, &err) < 0) {
                        if (err.code == ENOENT)
                                fprintf(stderr,
                                        "Error from server (NotFound): pods \"%s\" not found\n",
                                        name);
                        else
                                pc_cli_die(&err);
                        rc = 1;
                        continue;
                }
                json_t *meta = json_object_get(pod, "metadata");
                json_t *spec = json_object_get(pod, "spec");
                json_t *st = json_object_get(pod, "status");
                char host[256] = "", tb[64];
                gethostname(host, sizeof(host) - 1);
                printf("Name:             %s\n", jstr(meta, "name"));
                printf("Namespace:        %s\n", jstr(meta, "namespace"));
                printf("Priority:         0\n");
                printf("Node:             %s/%s\n", host, jstr(st, "hostIP"));
                printf("Start Time:       %s\n", human_time(jstr(st, "startTime"), tb, sizeof(tb)));
                pc_cli_print_map("Labels:           ", json_object_get(meta, "labels"), 18);
                pc_cli_print_map("Annotations:      ", json_object_get(meta, "annotations"), 18);
                printf("Status:           %s\n", jstr(st, "phase"));
                if (*jstr(st, "reason"))
                        printf("Reason:           %s\n", jstr(st, "reason"));
                if (*jstr(st, "message"))
                        printf("Message:          %s\n", jstr(st, "message"));
                printf("IP:               %s\n", jstr(st, "podIP"));
                printf("IPs:              <none>\n");
                /* not in kubectl's output: the host namespaces the Pod shares */
                static const char *const hostns[][2] = {
                    {"hostNetwork", "network"}, {"hostPID", "pid"}, {"hostIPC", "ipc"}};
                char shared[64] = "";
                for (size_t h = 0; h < PC_ARRAY_SIZE(hostns); h++)
                        if (json_is_true(json_object_get(spec, hostns[h][0])))
                                snprintf(shared + strlen(shared), sizeof(shared) - strlen(shared),
                                         "%s%s", shared[0] ? ", " : "", hostns[h][1]);
                if (shared[0])
                        printf("Host Namespaces:  %s\n", shared);
                print_containers("Init Containers", json_object_get(spec, "initContainers"),
                                 json_object_get(st, "initContainerStatuses"));
                print_containers("Containers", json_object_get(spec, "containers"),
                                 json_object_get(st, "containerStatuses"));
                print_containers("Ephemeral Containers",
                                 json_object_get(spec, "ephemeralContainers"),
                                 json_object_get(st, "ephemeralContainerStatuses"));
                puts("Conditions:\n  Type                        Status");
                size_t k;
                json_t *c;
                json_array_foreach(json_object_get(st, "conditions"), k, c)
                {
                        printf("  %-27s %s \n", jstr(c, "type"), jstr(c, "status"));
                }
                print_volumes(json_object_get(spec, "volumes"));
                printf("QoS Class:                  %s\n", jstr(st, "qosClass"));
                puts("Node-Selectors:             <none>");
                puts("Tolerations:                <none>");
                print_events(ctx, cli->namespace_, name);
                json_decref(pod);
                if (argv[i + 1])
                        putchar('\n');
        }
        return rc;
}
