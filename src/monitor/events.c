/* Events: what the monitor did and saw, as the kubelet records them
 * (Scheduled, Pulled, Created, Started, Killing, BackOff, Unhealthy, Failed,
 * hook failures). Repeats of the same event raise its count, as in
 * Kubernetes' event aggregation; the list is bounded. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "monitor/monitor.h"
#include "util/util.h"

#define MAX_EVENTS 64

static bool same(const char *a, const char *b)
{
        return (!a && !b) || (a && b && !strcmp(a, b));
}

void pc_monitor_event(struct pc_monitor *m, const struct pc_ctr *c, bool warning,
                      const char *reason, const char *fmt, ...)
{
        va_list ap;
        char *msg = NULL;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg)
                return;
        pc_monitor_not_quiet(m);
        _cleanup_free_ char *object =
            c ? pc_xasprintf("spec.%s{%s}", c->spec->init ? "initContainers" : "containers",
                             c->spec->name)
              : NULL;
        int64_t now = pc_now_ns();
        for (size_t i = 0; i < m->n_events; i++) {
                struct pc_event *e = &m->events[i];
                if (e->warning == warning && !strcmp(e->reason, reason) &&
                    same(e->object, object) && !strcmp(e->message, msg)) {
                        e->count++;
                        e->last = now;
                        free(msg);
                        return;
                }
        }
        if (m->n_events == MAX_EVENTS) {
                struct pc_event *old = &m->events[0];
                free(old->reason);
                free(old->message);
                free(old->object);
                memmove(m->events, m->events + 1, (MAX_EVENTS - 1) * sizeof(*m->events));
                m->n_events--;
        }
        m->events = pc_xrealloc(m->events, (m->n_events + 1) * sizeof(*m->events));
        m->events[m->n_events++] = (struct pc_event){
            .warning = warning,
            .reason = pc_xstrdup(reason),
            .message = msg,
            .object = STEAL(object),
            .count = 1,
            .first = now,
            .last = now,
        };
}

json_t *pc_monitor_events_json(const struct pc_monitor *m)
{
        json_t *a = json_array();
        for (size_t i = 0; i < m->n_events; i++) {
                const struct pc_event *e = &m->events[i];
                char first[40], last[40];
                pc_format_time(e->first, false, first, sizeof(first));
                pc_format_time(e->last, false, last, sizeof(last));
                json_t *j = json_pack(
                    "{s:s,s:s,s:s,s:i,s:s,s:s,s:{s:s}}", "type", e->warning ? "Warning" : "Normal",
                    "reason", e->reason, "message", e->message, "count", e->count, "firstTimestamp",
                    first, "lastTimestamp", last, "source", "component", "kubelet");
                if (e->object)
                        json_object_set_new(j, "fieldPath", json_string(e->object));
                json_array_append_new(a, j);
        }
        return a;
}

void pc_monitor_events_free(struct pc_monitor *m)
{
        for (size_t i = 0; i < m->n_events; i++) {
                free(m->events[i].reason);
                free(m->events[i].message);
                free(m->events[i].object);
        }
        free(m->events);
        m->events = NULL;
        m->n_events = 0;
}
