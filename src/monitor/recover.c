/* A Pod re-created in a new sandbox (boot recovery, src/pod/recover.c):
 * what its containers carry over from the sandbox that is gone, as the
 * kubelet does when it makes a new sandbox for the same Pod: the restart
 * count goes on from the last one (the first start here counts as a
 * restart), the run that was cut short becomes lastState, and the previous
 * run's log file stays (the new run writes <restartCount>.log next to it).
 * A container that had ended for good (OnFailure and exit 0, its own
 * restartPolicy Never, ...) stays so. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "util/util.h"

static json_t *find_status(json_t *status, const char *name)
{
        const char *lists[2] = {"initContainerStatuses", "containerStatuses"};
        for (int l = 0; l < 2; l++) {
                size_t i;
                json_t *c;
                json_array_foreach(json_object_get(status, lists[l]), i, c)
                {
                        const char *n = json_string_value(json_object_get(c, "name"));
                        if (n && !strcmp(n, name))
                                return c;
                }
        }
        return NULL;
}

/* The run the old sandbox had: a terminated state stays as it was; one that
 * was running (or waiting after a run) ended with the host or its monitor,
 * exit code unknown: containerd reports such a container as exited 255,
 * reason Unknown, and so does podctl. */
static json_t *last_of(json_t *cs, int64_t now)
{
        json_t *state = json_object_get(cs, "state");
        json_t *t = json_object_get(state, "terminated");
        if (t)
                return json_pack("{s:O}", "terminated", t);
        json_t *r = json_object_get(state, "running");
        if (!r) /* waiting: its previous run, if any, is the last one */
                return json_object_size(json_object_get(cs, "lastState"))
                           ? json_deep_copy(json_object_get(cs, "lastState"))
                           : NULL;
        char ts[40];
        pc_format_time(now, false, ts, sizeof(ts));
        json_t *o = json_pack("{s:i,s:s,s:s,s:s}", "exitCode", 255, "reason", "Unknown", "message",
                              "the container's sandbox went away (host reboot or lost monitor)",
                              "finishedAt", ts);
        json_t *sa = json_object_get(r, "startedAt");
        if (sa)
                json_object_set(o, "startedAt", sa);
        json_t *id = json_object_get(cs, "containerID");
        if (id)
                json_object_set(o, "containerID", id);
        return json_pack("{s:o}", "terminated", o);
}

static int64_t time_of(json_t *t, const char *key)
{
        int64_t ns = 0;
        const char *s = json_string_value(json_object_get(t, key));
        if (!s || pc_parse_time(s, &ns) < 0)
                return 0;
        return ns;
}

/* An app container whose last run ended for good (restartPolicy OnFailure
 * and exit 0; a container's own Never; no restart rule matching) is not run
 * again in the new sandbox (the kubelet's computePodActions skips it): it
 * keeps its terminated state and restart count. */
static bool keep_completed(struct pc_monitor *m, struct pc_ctr *c, json_t *old)
{
        json_t *t = json_object_get(json_object_get(old, "state"), "terminated");
        if (c->spec->init || !t)
                return false;
        int code = (int)json_integer_value(json_object_get(t, "exitCode"));
        if (pc_container_on_exit(c->spec, m->pod.restart_policy, code) != PC_EXIT_STAY)
                return false;
        c->state = CTR_TERMINATED;
        c->exit_code = code;
        c->ever_started = true;
        c->restart_count = (int)json_integer_value(json_object_get(old, "restartCount"));
        free(c->reason);
        c->reason = pc_xstrdup(json_string_value(json_object_get(t, "reason")) ?: "Completed");
        c->started_at = time_of(t, "startedAt");
        c->finished_at = time_of(t, "finishedAt");
        const char *id = json_string_value(json_object_get(t, "containerID"));
        if (id && pc_str_has_prefix(id, "podctl://") && strlen(id + 9) < sizeof(c->container_id))
                snprintf(c->container_id, sizeof(c->container_id), "%s", id + 9);
        json_t *last = json_object_get(old, "lastState");
        json_decref(c->last_state);
        c->last_state = json_object_size(last) ? json_deep_copy(last) : NULL;
        return true;
}

static int carry(struct pc_monitor *m, struct pc_ctr *cs, size_t n, json_t *status, int64_t now)
{
        int k = 0;
        for (size_t i = 0; i < n; i++) {
                struct pc_ctr *c = &cs[i];
                json_t *old = find_status(status, c->spec->name);
                if (!old)
                        continue;
                if (keep_completed(m, c, old)) {
                        k++;
                        continue;
                }
                json_t *state = json_object_get(old, "state");
                bool ran = json_object_get(state, "running") ||
                           json_object_get(state, "terminated") ||
                           json_integer_value(json_object_get(old, "restartCount")) > 0;
                if (!ran)
                        continue; /* never started: its first start is a first start */
                /* Its first start here is that many restarts on (the state
                 * machine sees a container not yet started in this sandbox:
                 * init containers run again in order, then the app ones). */
                c->restart_count =
                    (int)json_integer_value(json_object_get(old, "restartCount")) + 1;
                json_decref(c->last_state);
                c->last_state = last_of(old, now);
                k++;
        }
        return k;
}

void pc_monitor_load_recovery(struct pc_monitor *m)
{
        _cleanup_free_ char *p = pc_xasprintf("%s/recovery.json", m->pod_dir);
        json_t *j = NULL;
        pc_error err;
        if (pc_json_load(p, &j, &err) < 0)
                return; /* a Pod made by create: nothing to carry over */
        unlink(p);
        json_t *status = json_object_get(j, "status");
        int64_t now = pc_now_ns();
        int k = carry(m, m->init, m->n_init, status, now) + carry(m, m->app, m->n_app, status, now);
        pc_monitor_event(m, NULL, false, "SandboxChanged",
                         "Pod sandbox changed, it will be killed and re-created.");
        fprintf(stderr,
                "recovery: new sandbox for a Pod whose sandbox is gone; %d container(s) "
                "keep their restart count\n",
                k);
        json_decref(j);
}
