/* Removing what a Pod holds on the host, from its recorded runtime facts.
 * Used by the monitor when a Pod ends and by the CLI when the monitor is gone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "net/net.h"
#include "util/util.h"

static void kill_recorded(json_t *pid_j, json_t *start_j)
{
        pid_t pid = (pid_t)json_integer_value(pid_j);
        uint64_t start = (uint64_t)json_integer_value(start_j);
        if (pid > 0 && start > 0 && pc_proc_alive(pid, start))
                kill(pid, SIGKILL);
}

static void wait_gone(json_t *pid_j, json_t *start_j)
{
        pid_t pid = (pid_t)json_integer_value(pid_j);
        uint64_t start = (uint64_t)json_integer_value(start_j);
        for (int i = 0; i < 600 && pid > 0 && start > 0 && pc_proc_alive(pid, start); i++) {
                struct timespec ts = {0, (i < 100 ? 1 : 10) * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
}

static int teardown(const char *pod_dir, json_t *runtime, bool keep_volumes, pc_error *err)
{
        int r = 0;
        pc_error e2;
        const char *rel = json_string_value(json_object_get(runtime, "cgroup"));
        pc_cgroup *cg = NULL;

        /* 0. The network, while pause (its namespace) may still live: CNI DEL
         * with what ADD cached (releases the IP and port mappings). */
        json_t *net = json_object_get(runtime, "network");
        if (net) {
                struct pc_net_config cfg = {
                    .conf_dir = json_string_value(json_object_get(net, "confDir")),
                    .cache_dir = json_string_value(json_object_get(net, "cacheDir")),
                    .plugin_path = getenv("PODCTL_CNI_PATH")};
                pid_t pause = (pid_t)json_integer_value(json_object_get(runtime, "pausePid"));
                uint64_t pstart =
                    (uint64_t)json_integer_value(json_object_get(runtime, "pauseStart"));
                char netns[64];
                snprintf(netns, sizeof(netns), "/proc/%d/ns/net", (int)pause);
                struct pc_net_pod pod = {
                    .container_id = json_string_value(json_object_get(net, "sandboxId")),
                    .netns_path = pause > 0 && pc_proc_alive(pause, pstart) ? netns : NULL,
                    .netns_ends = true}; /* step 1 kills every process in it */
                if (pod.container_id && pc_net_del(&cfg, &pod, &e2) < 0 && r == 0)
                        r = pc_fail(err, e2.code, "%s", e2.msg);
        }

        /* 1. Every process: the Pod's cgroup holds them all; recorded PIDs
         * (checked against their start time) cover a host without cgroups. */
        if (rel && pc_cgroup_open("/sys/fs/cgroup", rel, &cg, &e2) == 0) {
                if (pc_cgroup_kill(cg, &e2) < 0) {
                        r = pc_fail(err, e2.code, "%s", e2.msg);
                }
        }
        json_t *ctrs = json_object_get(runtime, "containers");
        const char *name;
        json_t *c;
        json_object_foreach(ctrs, name, c)
        {
                kill_recorded(json_object_get(c, "pid"), json_object_get(c, "pidStart"));
        }
        kill_recorded(json_object_get(runtime, "pausePid"), json_object_get(runtime, "pauseStart"));
        json_object_foreach(ctrs, name, c)
        {
                wait_gone(json_object_get(c, "pid"), json_object_get(c, "pidStart"));
        }
        wait_gone(json_object_get(runtime, "pausePid"), json_object_get(runtime, "pauseStart"));

        /* 2. cgroups (children first). */
        if (cg) {
                if (pc_cgroup_destroy(cg, &e2) < 0 && r == 0)
                        r = pc_fail(err, e2.code, "%s", e2.msg);
                pc_cgroup_free(cg);
        }

        /* The keeper of a Pod whose monitor is gone (the monitor's own
         * keeper exits after it). */
        pid_t keeper = (pid_t)json_integer_value(json_object_get(runtime, "keeperPid"));
        if (keeper > 0 && keeper != getppid()) {
                kill_recorded(json_object_get(runtime, "keeperPid"),
                              json_object_get(runtime, "keeperStart"));
                wait_gone(json_object_get(runtime, "keeperPid"),
                          json_object_get(runtime, "keeperStart"));
        }
        /* 3. Runtime directories: container layers, emptyDirs, shm. */
        const char *sub[] = {"containers", "volumes", "shm", "etc"};
        for (size_t i = 0; i < PC_ARRAY_SIZE(sub); i++) {
                if (keep_volumes && !strcmp(sub[i], "volumes"))
                        continue;
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", pod_dir, sub[i]);
                if (pc_rm_rf(p, &e2) < 0 && r == 0)
                        r = pc_fail(err, e2.code, "%s", e2.msg);
        }
        return r;
}

int pc_pod_teardown(const char *pod_dir, json_t *runtime, pc_error *err)
{
        return teardown(pod_dir, runtime, false, err);
}

int pc_pod_teardown_sandbox(const char *pod_dir, json_t *runtime, pc_error *err)
{
        return teardown(pod_dir, runtime, true, err);
}
