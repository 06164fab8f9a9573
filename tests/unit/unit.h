/* Minimal unit-test harness. Every CHECK is counted as passed or failed, and
 * a SKIP (a check that means nothing on this host, e.g. one about the other
 * cgroup version) as skipped, with its reason. Checks are grouped into cases:
 * the test function that makes them (__func__), or the name given by
 * UNIT_CASE (for data-driven tests: one case per corpus file). A case fails
 * if any of its checks failed, passes if at least one passed, and is skipped
 * if all it did was skip. Each binary prints one line per failure and per
 * skip and ends with
 *   FILE: cases A passed, B failed, C skipped; checks X passed, Y failed, Z skipped
 * (tests/run adds these up). Exit status 1 on failure. */
#ifndef PODCTL_TESTS_UNIT_H
#define PODCTL_TESTS_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_passed, unit_failed, unit_skipped;

enum { UNIT_PASS_, UNIT_FAIL_, UNIT_SKIP_ };
#define UNIT_MAX_CASES 1024
static struct unit_case {
        char *name;
        int passed, failed, skipped;
} unit_cases[UNIT_MAX_CASES];
static int unit_n_cases;
static char *unit_case_name; /* set by UNIT_CASE, else the caller's __func__ */

static inline void unit_record(const char *func, int result)
{
        const char *name = unit_case_name ? unit_case_name : func;
        struct unit_case *c = NULL;
        for (int i = unit_n_cases - 1; i >= 0 && !c; i--)
                if (strcmp(unit_cases[i].name, name) == 0)
                        c = &unit_cases[i];
        if (!c && unit_n_cases < UNIT_MAX_CASES) {
                c = &unit_cases[unit_n_cases++];
                c->name = strdup(name);
        }
        if (result == UNIT_PASS_)
                unit_passed++;
        else if (result == UNIT_FAIL_)
                unit_failed++;
        else
                unit_skipped++;
        if (!c)
                return;
        if (result == UNIT_PASS_)
                c->passed++;
        else if (result == UNIT_FAIL_)
                c->failed++;
        else
                c->skipped++;
}

/* UNIT_CASE(name): the checks that follow belong to the case NAME (NULL: back
 * to the calling function's name). */
static inline void unit_case(const char *name)
{
        free(unit_case_name);
        unit_case_name = name ? strdup(name) : NULL;
}
#define UNIT_CASE(name) unit_case(name)

#define UNIT_PASS() unit_record(__func__, UNIT_PASS_)
#define UNIT_FAIL() unit_record(__func__, UNIT_FAIL_)

/* SKIP("reason", ...): a check that cannot mean anything here, counted as
 * skipped and listed with its reason (printf-style; never as passed). */
#define SKIP(...)                                                                                  \
        do {                                                                                       \
                unit_record(__func__, UNIT_SKIP_);                                                 \
                printf("%s:%d: skipped: ", __FILE__, __LINE__);                                    \
                printf(__VA_ARGS__);                                                               \
                putchar('\n');                                                                     \
        } while (0)

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                if (cond) {                                                                        \
                        UNIT_PASS();                                                               \
                } else {                                                                           \
                        UNIT_FAIL();                                                               \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
                }                                                                                  \
        } while (0)

#define CHECK_STR(a, b)                                                                            \
        do {                                                                                       \
                const char *_a = (a), *_b = (b);                                                   \
                if (_a && _b && strcmp(_a, _b) == 0) {                                             \
                        UNIT_PASS();                                                               \
                } else {                                                                           \
                        UNIT_FAIL();                                                               \
                        fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n", __FILE__,          \
                                __LINE__, _b ? _b : "(null)", _a ? _a : "(null)");                 \
                }                                                                                  \
        } while (0)

#define CHECK_CONTAINS(hay, needle)                                                                \
        do {                                                                                       \
                const char *_h = (hay), *_n = (needle);                                            \
                if (_h && strstr(_h, _n)) {                                                        \
                        UNIT_PASS();                                                               \
                } else {                                                                           \
                        UNIT_FAIL();                                                               \
                        fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__,       \
                                __LINE__, _h ? _h : "(null)", _n);                                 \
                }                                                                                  \
        } while (0)

#define UNIT_DONE()                                                                                \
        do {                                                                                       \
                int _cp = 0, _cf = 0, _cs = 0;                                                     \
                for (int _i = 0; _i < unit_n_cases; _i++) {                                        \
                        if (unit_cases[_i].failed)                                                 \
                                _cf++;                                                             \
                        else if (unit_cases[_i].passed)                                            \
                                _cp++;                                                             \
                        else                                                                       \
                                _cs++;                                                             \
                        free(unit_cases[_i].name);                                                 \
                }                                                                                  \
                unit_case(NULL);                                                                   \
                printf("%s: cases %d passed, %d failed, %d skipped; checks %d passed, %d failed, " \
                       "%d skipped\n",                                                             \
                       __FILE__, _cp, _cf, _cs, unit_passed, unit_failed, unit_skipped);           \
                return unit_failed ? 1 : 0;                                                        \
        } while (0)

#endif
