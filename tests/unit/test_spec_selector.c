/* Label selectors: kubectl's -l grammar, matching, and refusals. */
#include "unit.h"
#include "spec/selector.h"

#include <jansson.h>

static bool sel_matches(const char *sel, const char *labels_json)
{
        struct pc_selector *s = NULL;
        pc_error err;
        if (pc_selector_parse(sel, &s, &err) < 0) {
                fprintf(stderr, "parse %s: %s\n", sel, err.msg);
                return false;
        }
        json_t *l = json_loads(labels_json, 0, NULL);
        bool r = pc_selector_match(s, l);
        json_decref(l);
        pc_selector_free(s);
        return r;
}

static void test_operators(void)
{
        const char *web = "{\"app\":\"web\",\"tier\":\"front\",\"n\":\"5\"}";
        CHECK(sel_matches("", web));
        CHECK(sel_matches("app=web", web));
        CHECK(sel_matches("app==web", web));
        CHECK(!sel_matches("app=db", web));
        CHECK(sel_matches("app!=db", web));
        CHECK(!sel_matches("app!=web", web));
        CHECK(sel_matches("missing!=x", web)); /* != holds when the key is absent */
        CHECK(sel_matches("app in (db, web)", web));
        CHECK(!sel_matches("app in (db,cache)", web));
        CHECK(sel_matches("app notin (db,cache)", web));
        CHECK(!sel_matches("app notin (web)", web));
        CHECK(sel_matches("missing notin (web)", web));
        CHECK(sel_matches("app", web));
        CHECK(!sel_matches("missing", web));
        CHECK(sel_matches("!missing", web));
        CHECK(!sel_matches("!app", web));
        CHECK(sel_matches("app=web,tier=front", web));
        CHECK(!sel_matches("app=web,tier=back", web));
        CHECK(sel_matches(" app = web , !db ", web));
        CHECK(sel_matches("n>3", web));
        CHECK(!sel_matches("n<3", web));
        CHECK(sel_matches("example.com/role", "{\"example.com/role\":\"x\"}"));
        CHECK(sel_matches("app=", "{\"app\":\"\"}"));
        CHECK(!sel_matches("app=web", "{}"));
}

static void test_refusals(void)
{
        const char *bad[] = {"app in (web", "=web",    "app=(web)", "app in web", "-bad=x",
                             "app=web,",    "app=w@b", "a b",       "n>x",        NULL};
        for (int i = 0; bad[i]; i++) {
                struct pc_selector *s = NULL;
                pc_error err = {0};
                CHECK(pc_selector_parse(bad[i], &s, &err) < 0);
                CHECK_CONTAINS(err.msg, "unable to parse requirement");
        }
        CHECK(pc_label_key_valid("app.kubernetes.io/name"));
        CHECK(!pc_label_key_valid("Bad_Prefix/name"));
        CHECK(!pc_label_key_valid("-x"));
        CHECK(pc_label_value_valid(""));
        CHECK(!pc_label_value_valid("has space"));
}

int main(void)
{
        test_operators();
        test_refusals();
        UNIT_DONE();
}
