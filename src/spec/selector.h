/* Label selectors as kubectl's -l takes them (apimachinery's labels.Parse):
 *   key=value  key==value  key!=value  key in (a,b)  key notin (a,b)
 *   key  !key  key>N  key<N
 * joined by commas (all must hold). No syscalls: unit-tested and fuzzable. */
#ifndef PODCTL_SPEC_SELECTOR_H
#define PODCTL_SPEC_SELECTOR_H

#include <jansson.h>
#include <stdbool.h>

#include "util/error.h"

struct pc_selector;

/* Parse; EINVAL with kubectl's "unable to parse requirement: ..." wording. An
 * empty string selects everything. */
int pc_selector_parse(const char *text, struct pc_selector **out, pc_error *err);
/* Does a labels object (metadata.labels; NULL: none) satisfy every requirement? */
bool pc_selector_match(const struct pc_selector *sel, json_t *labels);
void pc_selector_free(struct pc_selector *sel);

/* A label key (an optional DNS-subdomain prefix and '/', then a name of at
 * most 63 of [A-Za-z0-9-_.] starting and ending alphanumeric) and a label
 * value (empty, or such a name). */
bool pc_label_key_valid(const char *key);
bool pc_label_value_valid(const char *value);

#endif
