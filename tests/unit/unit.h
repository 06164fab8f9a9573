/* Minimal unit-test harness: each test binary prints one line per check
 * failure and ends with "N passed, N failed". Exit status 1 on failure. */
#ifndef PODCTL_TESTS_UNIT_H
#define PODCTL_TESTS_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                if (cond) {                                                                        \
                        unit_passed++;                                                             \
                } else {                                                                           \
                        unit_failed++;                                                             \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
                }                                                                                  \
        } while (0)

#define CHECK_STR(a, b)                                                                            \
        do {                                                                                       \
                const char *_a = (a), *_b = (b);                                                   \
                if (_a && _b && strcmp(_a, _b) == 0) {                                             \
                        unit_passed++;                                                             \
                } else {                                                                           \
                        unit_failed++;                                                             \
                        fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n", __FILE__,          \
                                __LINE__, _b ? _b : "(null)", _a ? _a : "(null)");                 \
                }                                                                                  \
        } while (0)

#define CHECK_CONTAINS(hay, needle)                                                                \
        do {                                                                                       \
                const char *_h = (hay), *_n = (needle);                                            \
                if (_h && strstr(_h, _n)) {                                                        \
                        unit_passed++;                                                             \
                } else {                                                                           \
                        unit_failed++;                                                             \
                        fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__,       \
                                __LINE__, _h ? _h : "(null)", _n);                                 \
                }                                                                                  \
        } while (0)

#define UNIT_DONE()                                                                                \
        do {                                                                                       \
                printf("%s: %d passed, %d failed\n", __FILE__, unit_passed, unit_failed);          \
                return unit_failed ? 1 : 0;                                                        \
        } while (0)

#endif
