/* libFuzzer target: the manifest loader (parse, validate, default, decode)
 * and the YAML emitter. Built by `make fuzz` (build-fuzz/fuzz/fuzz_manifest),
 * run by `make fuzz-run`; its corpus (tests/fuzz/corpus/manifest/) and past
 * crashes (tests/fuzz/crashes/manifest/) are replayed by
 * tests/unit/test_fuzz_replay.c in `make check`. By hand:
 *
 *   build-fuzz/fuzz/fuzz_manifest -max_total_time=60 /tmp/corpus \
 *     tests/fuzz/corpus/manifest tests/data/manifests/good tests/data/manifests/bad
 */
#include "spec/spec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct pc_manifest m;
        struct pc_check_opts opts = {.strict = size > 0 && (data[0] & 1)};
        pc_error err;

        pc_manifest_load("fuzz.yaml", (const char *)data, size, &opts, &m, &err);
        for (size_t i = 0; i < m.diags.n; i++)
                free(pc_diag_format(&m.diags.v[i]));
        for (size_t i = 0; i < m.n_pods; i++) {
                FILE *f = fopen("/dev/null", "w");
                if (f) {
                        pc_yaml_emit(m.pods[i].json, f, &err);
                        fclose(f);
                }
                /* decoding the stored form must work again */
                struct pc_pod again;
                if (pc_pod_from_json(m.pods[i].json, &again, &err) == 0)
                        pc_pod_free(&again);
                else
                        abort();
        }
        pc_manifest_free(&m);

        /* The decoders must also reject, not crash on, arbitrary stored JSON. */
        json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
        if (j) {
                struct pc_pod pod;
                struct pc_configmap cm;
                if (pc_pod_from_json(j, &pod, &err) == 0)
                        pc_pod_free(&pod);
                if (pc_configmap_from_json(j, &cm, &err) == 0)
                        pc_configmap_free(&cm);
                json_decref(j);
        }
        return 0;
}
