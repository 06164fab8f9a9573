/* What a Pod re-created by boot recovery carries over from the old sandbox's
 * status (src/monitor/recover.c): restart counts, last states, completed
 * OnFailure containers and ones whose own restartPolicy is Never;
 * recovery.json removed once read. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "unit.h"
#include "util/util.h"

static struct pc_container specs[4];

static void init_monitor(struct pc_monitor *m, struct pc_ctr *inits, struct pc_ctr *apps,
                         const char *dir, const char *policy)
{
        memset(m, 0, sizeof(*m));
        m->pod_dir = (char *)dir;
        m->pod.restart_policy = (char *)policy;
        m->init = inits;
        m->n_init = 1;
        m->app = apps;
        m->n_app = 3;
        const char *names[4] = {"init", "run", "done", "new"};
        for (size_t i = 0; i < 4; i++) {
                struct pc_ctr *c = i == 0 ? &inits[0] : &apps[i - 1];
                memset(c, 0, sizeof(*c));
                memset(&specs[i], 0, sizeof(specs[i]));
                specs[i].name = (char *)names[i];
                specs[i].init = i == 0;
                c->spec = &specs[i];
                c->state = CTR_WAITING;
        }
}

static const char *old_status =
    "{\"status\": {\"phase\": \"Running\","
    " \"initContainerStatuses\": [{\"name\": \"init\", \"restartCount\": 0,"
    "   \"state\": {\"terminated\": {\"exitCode\": 0, \"reason\": \"Completed\"}}}],"
    " \"containerStatuses\": ["
    "  {\"name\": \"run\", \"restartCount\": 3, \"containerID\": \"podctl://abc\","
    "   \"state\": {\"running\": {\"startedAt\": \"2026-12-01T10:00:00Z\"}}},"
    "  {\"name\": \"done\", \"restartCount\": 1, \"state\": {\"terminated\": {\"exitCode\": 0,"
    "   \"reason\": \"Completed\", \"startedAt\": \"2026-12-01T10:00:00Z\","
    "   \"finishedAt\": \"2026-12-01T10:00:01Z\", \"containerID\": \"podctl://def\"}}},"
    "  {\"name\": \"new\", \"restartCount\": 0, \"state\": {\"waiting\": {\"reason\": "
    "\"ContainerCreating\"}}}]}}";

static void write_recovery(const char *dir)
{
        char *p = pc_xasprintf("%s/recovery.json", dir);
        FILE *f = fopen(p, "w");
        fputs(old_status, f);
        fclose(f);
        free(p);
}

static const char *lastv(const struct pc_ctr *c, const char *key)
{
        return json_string_value(
            json_object_get(json_object_get(c->last_state, "terminated"), key));
}

static void free_ctrs(struct pc_monitor *m)
{
        for (size_t i = 0; i < m->n_init; i++) {
                json_decref(m->init[i].last_state);
                free(m->init[i].reason);
        }
        for (size_t i = 0; i < m->n_app; i++) {
                json_decref(m->app[i].last_state);
                free(m->app[i].reason);
        }
        pc_monitor_events_free(m);
}

static void test_always(void)
{
        char dir[] = "/tmp/podctl-unit-recover.XXXXXX";
        CHECK(mkdtemp(dir) != NULL);
        struct pc_monitor m;
        struct pc_ctr inits[1], apps[3];
        init_monitor(&m, inits, apps, dir, "Always");
        write_recovery(dir);
        pc_monitor_load_recovery(&m);
        /* counts go on: the start in the new sandbox is one more */
        CHECK(inits[0].restart_count == 1);
        CHECK(apps[0].restart_count == 4);
        CHECK(apps[1].restart_count == 2);
        CHECK(apps[2].restart_count == 0); /* never ran: a first start */
        /* none is started yet in the new sandbox: the state machine starts them */
        for (size_t i = 0; i < 3; i++) {
                CHECK(!apps[i].ever_started);
                CHECK(apps[i].state == CTR_WAITING);
        }
        CHECK(!inits[0].ever_started);
        /* the run cut short: exit 255, Unknown, its start time and id kept */
        CHECK(json_integer_value(json_object_get(json_object_get(apps[0].last_state, "terminated"),
                                                 "exitCode")) == 255);
        CHECK_STR(lastv(&apps[0], "reason"), "Unknown");
        CHECK_STR(lastv(&apps[0], "startedAt"), "2026-12-01T10:00:00Z");
        CHECK_STR(lastv(&apps[0], "containerID"), "podctl://abc");
        /* a run that had ended stays what it was */
        CHECK_STR(lastv(&apps[1], "reason"), "Completed");
        CHECK(apps[2].last_state == NULL);
        /* the event, and the file is gone */
        CHECK(m.n_events == 1);
        CHECK_STR(m.events[0].reason, "SandboxChanged");
        char *p = pc_xasprintf("%s/recovery.json", dir);
        CHECK(access(p, F_OK) != 0);
        free(p);
        free_ctrs(&m);
        rmdir(dir);
}

static void test_onfailure(void)
{
        char dir[] = "/tmp/podctl-unit-recover.XXXXXX";
        CHECK(mkdtemp(dir) != NULL);
        struct pc_monitor m;
        struct pc_ctr inits[1], apps[3];
        init_monitor(&m, inits, apps, dir, "OnFailure");
        write_recovery(dir);
        pc_monitor_load_recovery(&m);
        /* the completed app container is kept as it was, not run again */
        CHECK(apps[1].state == CTR_TERMINATED);
        CHECK(apps[1].ever_started);
        CHECK(apps[1].exit_code == 0);
        CHECK(apps[1].restart_count == 1);
        CHECK_STR(apps[1].reason, "Completed");
        CHECK_STR(apps[1].container_id, "def");
        CHECK(apps[1].finished_at - apps[1].started_at == 1000000000LL);
        /* the running one and the completed init container run again */
        CHECK(apps[0].state == CTR_WAITING);
        CHECK(apps[0].restart_count == 4);
        CHECK(inits[0].state == CTR_WAITING);
        CHECK(inits[0].restart_count == 1);
        free_ctrs(&m);
        rmdir(dir);
}

/* container restart rules: in an Always Pod, a container whose own
 * restartPolicy is Never and that had ended stays ended */
static void test_own_never(void)
{
        char dir[] = "/tmp/podctl-unit-recover.XXXXXX";
        CHECK(mkdtemp(dir) != NULL);
        struct pc_monitor m;
        struct pc_ctr inits[1], apps[3];
        init_monitor(&m, inits, apps, dir, "Always");
        specs[2].restart_policy = (char *)"Never";
        write_recovery(dir);
        pc_monitor_load_recovery(&m);
        specs[2].restart_policy = NULL;
        CHECK(apps[1].state == CTR_TERMINATED);
        CHECK(apps[1].restart_count == 1);
        CHECK(apps[0].state == CTR_WAITING); /* the Pod's Always */
        CHECK(apps[0].restart_count == 4);
        free_ctrs(&m);
        rmdir(dir);
}

static void test_no_file(void)
{
        char dir[] = "/tmp/podctl-unit-recover.XXXXXX";
        CHECK(mkdtemp(dir) != NULL);
        struct pc_monitor m;
        struct pc_ctr inits[1], apps[3];
        init_monitor(&m, inits, apps, dir, "Always");
        pc_monitor_load_recovery(&m); /* a Pod made by create */
        CHECK(apps[0].restart_count == 0);
        CHECK(m.n_events == 0);
        free_ctrs(&m);
        rmdir(dir);
}

int main(void)
{
        test_always();
        test_onfailure();
        test_own_never();
        test_no_file();
        UNIT_DONE();
}
