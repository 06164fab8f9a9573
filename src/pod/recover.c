/* Boot recovery: a Pod whose monitor and processes are gone (the host
 * rebooted) gets a new sandbox and monitor, as the kubelet gives a Pod a new
 * sandbox when the old one is gone. See podctl_pod_recover in podctl.h and
 * docs/OPERATIONS.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "pod/internal.h"
#include "util/cleanup.h"
#include "util/util.h"

#define USERNS_REG "/run/podctl/userns"

static bool recorded_alive(json_t *pid_j, json_t *start_j)
{
        pid_t pid = (pid_t)json_integer_value(pid_j);
        uint64_t start = (uint64_t)json_integer_value(start_j);
        return pid > 0 && start > 0 && pc_proc_alive(pid, start);
}

/* Does any process the runtime facts record still run (pause, a container)? */
static bool processes_alive(json_t *rt)
{
        if (recorded_alive(json_object_get(rt, "pausePid"), json_object_get(rt, "pauseStart")))
                return true;
        const char *name;
        json_t *c;
        json_object_foreach(json_object_get(rt, "containers"), name, c)
        {
                if (recorded_alive(json_object_get(c, "pid"), json_object_get(c, "pidStart")))
                        return true;
        }
        return false;
}

static bool is_cri_sandbox(json_t *pod)
{
        json_t *a = json_object_get(json_object_get(pod, "metadata"), "annotations");
        const char *v = json_string_value(json_object_get(a, PC_CRI_SANDBOX_ANNOTATION));
        return v && !strcmp(v, "true");
}

/* hostUsers: false: the Pod's host id range is recorded in its userns.json;
 * the host-wide holding (/run/podctl/userns/<base>, gone with a reboot) is
 * taken again, unless another Pod holds that range now. */
static int reclaim_userns(const char *dir, pc_error *err)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/userns.json", dir);
        json_t *j = NULL;
        pc_error e;
        if (pc_json_load(p, &j, &e) < 0)
                return 0; /* hostUsers: true */
        long long base = (long long)json_integer_value(json_object_get(j, "base"));
        json_decref(j);
        if (base <= 0)
                return 0;
        if (pc_mkdir_p(USERNS_REG, 0700, err) < 0)
                return -1;
        _cleanup_free_ char *reg = pc_xasprintf(USERNS_REG "/%lld", base);
        _cleanup_free_ char *holder = NULL;
        if (pc_read_file(reg, &holder, NULL, &e) == 0) {
                if (!strcmp(holder, dir))
                        return 0;
                _cleanup_free_ char *hp = pc_xasprintf("%s/userns.json", holder);
                json_t *hj = NULL;
                if (pc_json_load(hp, &hj, &e) == 0) {
                        long long hb = (long long)json_integer_value(json_object_get(hj, "base"));
                        json_decref(hj);
                        if (hb == base)
                                return pc_fail(err, EBUSY,
                                               "its user namespace range (host ids from %lld) is "
                                               "held by the Pod in %s now",
                                               base, holder);
                }
        }
        return pc_replace_file(reg, dir, strlen(dir), 0600, err);
}

/* A Pod whose sandbox a reboot took and that is not re-created (restartPolicy
 * Never, or OnFailure once it succeeded): its final status, as the kubelet
 * writes it. A container that had not terminated is terminated with exit
 * code 137 and reason ContainerStatusUnknown ("The container could not be
 * located when the pod was terminated"); the Pod is Failed unless every
 * container had succeeded; runtime.finished marks it ended. */
static int end_lost_pod(const char *dir, const struct pc_pod_state *ps, pc_error *err)
{
        json_t *status = ps->status ? json_deep_copy(ps->status) : json_object();
        char now[64];
        pc_format_time(pc_now_ns(), false, now, sizeof(now));
        bool all_ok = true;
        static const char *const lists[] = {"initContainerStatuses", "containerStatuses"};
        for (int l = 0; l < 2; l++) {
                size_t i;
                json_t *cs;
                json_array_foreach(json_object_get(status, lists[l]), i, cs)
                {
                        json_t *state = json_object_get(cs, "state");
                        json_t *term = json_object_get(state, "terminated");
                        if (term) {
                                if (l == 1 && json_integer_value(json_object_get(term, "exitCode")))
                                        all_ok = false;
                                continue;
                        }
                        json_t *started =
                            json_object_get(json_object_get(state, "running"), "startedAt");
                        json_t *t = json_pack(
                            "{s:i,s:s,s:s,s:s}", "exitCode", 137, "reason",
                            "ContainerStatusUnknown", "message",
                            "The container could not be located when the pod was terminated",
                            "finishedAt", now);
                        if (started)
                                json_object_set(t, "startedAt", started);
                        json_object_set_new(cs, "state", json_pack("{s:o}", "terminated", t));
                        json_object_set_new(cs, "ready", json_false());
                        json_object_set_new(cs, "started", json_false());
                        if (l == 1)
                                all_ok = false;
                }
        }
        bool failed = !all_ok;
        json_object_set_new(status, "phase", json_string(failed ? "Failed" : "Succeeded"));
        json_object_del(status, "reason");
        json_object_del(status, "message");
        size_t i;
        json_t *cond;
        json_array_foreach(json_object_get(status, "conditions"), i, cond)
        {
                const char *type = json_string_value(json_object_get(cond, "type"));
                if (type && (!strcmp(type, "Ready") || !strcmp(type, "ContainersReady"))) {
                        json_object_set_new(cond, "status", json_string("False"));
                        json_object_set_new(cond, "reason",
                                            json_string(failed ? "PodFailed" : "PodCompleted"));
                        json_object_set_new(cond, "lastTransitionTime", json_string(now));
                }
        }
        json_t *rt = ps->runtime ? json_deep_copy(ps->runtime) : json_object();
        json_object_set_new(rt, "finished", json_true());
        json_t *all = json_pack("{s:o,s:o}", "status", status, "runtime", rt);
        if (ps->events)
                json_object_set(all, "events", ps->events);
        _cleanup_free_ char *path = pc_xasprintf("%s/status.json", dir);
        int r = pc_json_save(path, all, true, err);
        json_decref(all);
        return r;
}

/* Would an app container run again in a new sandbox? Each one's last run as
 * the kubelet sees it after a reboot (its exit code if it had ended, else
 * 137: cut short, ContainerStatusUnknown) through its restart rules and
 * policy, the Pod's included (podctl_container_runs_again). */
static bool a_container_runs_again(json_t *pod, json_t *status)
{
        size_t i, k;
        json_t *c, *cs;
        json_array_foreach(json_object_get(json_object_get(pod, "spec"), "containers"), i, c)
        {
                const char *name = json_string_value(json_object_get(c, "name"));
                int code = 137;
                json_array_foreach(json_object_get(status, "containerStatuses"), k, cs)
                {
                        json_t *t = json_object_get(json_object_get(cs, "state"), "terminated");
                        if (t && name &&
                            !strcmp(json_string_value(json_object_get(cs, "name")) ?: "", name))
                                code = (int)json_integer_value(json_object_get(t, "exitCode"));
                }
                if (name && podctl_container_runs_again(pod, name, code))
                        return true;
        }
        return false;
}

int podctl_pod_recover(podctl *ctx, const char *ns, const char *name, int wait_ms,
                       enum podctl_recover_result *res, pc_error *err)
{
        _cleanup_free_ char *key = pc_pod_key(ns, name);
        _cleanup_free_ char *dir = pc_pod_dir(&ctx->root, ns, name);
        if (pc_root_lock(&ctx->root, err) < 0)
                return -1;
        struct pc_pod_state ps;
        if (pc_pod_state_load(&ctx->root, key, &ps, err) < 0) {
                pc_root_unlock(&ctx->root);
                return -1;
        }
        int r = 0;
        if (ps.monitor_alive)
                *res = PODCTL_RECOVER_RUNNING;
        else if (!ps.status || is_cri_sandbox(ps.pod))
                *res = PODCTL_RECOVER_SKIPPED;
        else if (ps.finished)
                *res = PODCTL_RECOVER_FINISHED;
        else if (processes_alive(ps.runtime))
                *res = PODCTL_RECOVER_ADOPT;
        else if (!a_container_runs_again(ps.pod, ps.status))
                *res = PODCTL_RECOVER_POLICY;
        else
                *res = PODCTL_RECOVER_RECREATED;
        if (*res == PODCTL_RECOVER_POLICY) {
                /* Not re-created: the kubelet ends such a Pod, its containers
                 * not found (ContainerStatusUnknown) and the Pod Failed */
                json_t *rt = ps.runtime ? json_incref(ps.runtime) : json_object();
                r = pc_pod_teardown(dir, rt, err);
                json_decref(rt);
                if (r == 0)
                        r = end_lost_pod(dir, &ps, err);
        }
        if (*res != PODCTL_RECOVER_RECREATED) {
                pc_pod_state_free(&ps);
                pc_root_unlock(&ctx->root);
                return r;
        }

        /* The old sandbox's leftovers: cgroups, the CNI attachment (its IP
         * lease outlives a reboot in /var/lib/cni), runtime dirs. Nothing of
         * it runs (checked above), so nothing is killed. */
        _cleanup_free_ char *lockp = pc_xasprintf("%s/monitor.lock", dir);
        _cleanup_free_ char *recp = pc_xasprintf("%s/recovery.json", dir);
        _cleanup_close_ int lock_fd = -1;
        int pipefd[2] = {-1, -1};
        char **errors = NULL;
        json_t *rt = ps.runtime ? json_incref(ps.runtime) : json_object();
        json_t *rec = json_pack("{s:O}", "status", ps.status);
        r = pc_pod_teardown_sandbox(dir, rt, err);
        json_decref(rt);
        if (r == 0)
                r = reclaim_userns(dir, err);
        if (r == 0)
                r = pc_json_save(recp, rec, true, err);
        json_decref(rec);
        pc_pod_state_free(&ps);
        if (r < 0)
                goto out;
        lock_fd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
                r = pc_fail(err, errno, "lock %s", lockp);
                goto out;
        }
        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                r = pc_fail(err, errno, "pipe");
                goto out;
        }
        r = pc_spawn_monitor(ctx, dir, lock_fd, pipefd[1], err);
        close(pipefd[1]);
        pipefd[1] = -1;
        if (r < 0)
                goto out;
        close(STEAL_FD(lock_fd)); /* the monitor holds it now */
        pc_root_unlock(&ctx->root);
        r = pc_read_report(pipefd[0], wait_ms, &errors, err);
        close(pipefd[0]);
        pc_strv_free(errors); /* container start errors are in its status */
        return r < 0 ? -1 : 0;
out:
        if (pipefd[0] >= 0)
                close(pipefd[0]);
        unlink(recp);
        pc_root_unlock(&ctx->root);
        return pc_error_prefix(err, "pod \"%s\": recovery", name);
}
