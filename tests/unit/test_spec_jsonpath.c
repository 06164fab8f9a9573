/* kubectl's JSONPath: what -o jsonpath= prints for the documented forms. */
#include "unit.h"
#include "spec/jsonpath.h"

#include <jansson.h>

static const char *doc =
    "{\"kind\":\"List\",\"items\":["
    "{\"metadata\":{\"name\":\"a\",\"labels\":{\"app.kubernetes.io/name\":\"x\"}},"
    " \"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"},"
    "  {\"type\":\"Initialized\",\"status\":\"True\"}],\"n\":3}},"
    "{\"metadata\":{\"name\":\"b\"},\"status\":{\"phase\":\"Pending\",\"conditions\":["
    "  {\"type\":\"Ready\",\"status\":\"False\"}],\"n\":7}}]}";

static char *run(const char *tmpl, bool allow_missing)
{
        static char *last;
        free(last);
        last = NULL;
        json_t *d = json_loads(doc, 0, NULL);
        struct pc_jsonpath *jp = NULL;
        pc_error err;
        if (pc_jsonpath_parse(tmpl, &jp, &err) < 0) {
                last = strdup(err.msg);
        } else if (pc_jsonpath_execute(jp, d, allow_missing, &last, &err) < 0) {
                last = strdup(err.msg);
        }
        pc_jsonpath_free(jp);
        json_decref(d);
        return last;
}

static void test_paths(void)
{
        CHECK_STR(run("{.kind}", true), "List");
        CHECK_STR(run("{$.kind}", true), "List");
        CHECK_STR(run("{.items[*].metadata.name}", true), "a b");
        CHECK_STR(run("{.items[0].metadata.name}", true), "a");
        CHECK_STR(run("{.items[-1].metadata.name}", true), "b");
        CHECK_STR(run("{.items[0:1].metadata.name}", true), "a");
        CHECK_STR(run("{..phase}", true), "Running Pending");
        CHECK_STR(run("{.items[*].status.n}", true), "3 7");
        CHECK_STR(run("{.items[0].metadata.labels['app.kubernetes.io/name']}", true), "x");
        CHECK_STR(run("{.items[?(@.status.phase==\"Pending\")].metadata.name}", true), "b");
        CHECK_STR(run("{.items[?(@.status.n>5)].metadata.name}", true), "b");
        CHECK_STR(run("{.items[?(@.metadata.labels)].metadata.name}", true), "a");
        CHECK_STR(run("{.items[0].status.conditions[?(@.type==\"Ready\")].status}", true), "True");
        CHECK_STR(
            run("{range .items[*]}{.metadata.name}{\"\\t\"}{.status.phase}{\"\\n\"}{end}", true),
            "a\tRunning\nb\tPending\n");
        CHECK_STR(run("name: {.items[1].metadata}", true), "name: {\"name\":\"b\"}");
        CHECK_STR(run("{.items[0].nope}", true), "");
        CHECK_STR(run("{.items[0].nope}", false), "nope is not found");
}

static void test_errors(void)
{
        CHECK_STR(run("{.kind", true), "error parsing jsonpath {.kind, unclosed action");
        CHECK_CONTAINS(run("{range .items[*]}{.x}", true), "unclosed range");
        CHECK_CONTAINS(run("{end}", true), "not in range");
        CHECK_CONTAINS(run("{.items[}", true), "error parsing jsonpath");
        char *r = pc_jsonpath_relaxed("metadata.name");
        CHECK_STR(r, "{.metadata.name}");
        free(r);
        r = pc_jsonpath_relaxed(".metadata.name");
        CHECK_STR(r, "{.metadata.name}");
        free(r);
        r = pc_jsonpath_relaxed("{.metadata.name}");
        CHECK_STR(r, "{.metadata.name}");
        free(r);
}

int main(void)
{
        test_paths();
        test_errors();
        UNIT_DONE();
}
