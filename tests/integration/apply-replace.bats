#!/usr/bin/env bats
# apply with several -f, and replace (-f, --force), as a kubectl user types
# them.

load helpers

pod_yaml() { # NAME [IMAGE] [COMMAND-WORD] [GRACE]
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: ${4:-1}
  containers:
  - name: main
    image: ${2:-busybox}
    command: ["sh", "-c", "echo ${3:-hello}; exec sleep 3600"]
EOF
}

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
teardown() { delete_all_pods; }

@test "apply -f a -f b: every file applied in the order given" {
        pod_yaml one >"$BATS_TEST_TMPDIR/a.yaml"
        pod_yaml two >"$BATS_TEST_TMPDIR/b.yaml"
        run -0 podctl apply -f "$BATS_TEST_TMPDIR/a.yaml" -f "$BATS_TEST_TMPDIR/b.yaml"
        [ "${lines[0]}" = "pod/one created" ]
        [ "${lines[1]}" = "pod/two created" ]
        [ "$(podctl get pods -o name | sort | tr '\n' ' ')" = "pod/one pod/two " ]
}

@test "apply -f good -f bad -f good: the bad file is reported and skipped, the others applied, exit 1" {
        pod_yaml one >"$BATS_TEST_TMPDIR/a.yaml"
        printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n  - name: x\n    image: busybox\n    bogusField: 1\n' >"$BATS_TEST_TMPDIR/bad.yaml"
        pod_yaml three >"$BATS_TEST_TMPDIR/c.yaml"
        run -1 --separate-stderr podctl apply -f "$BATS_TEST_TMPDIR/a.yaml" -f "$BATS_TEST_TMPDIR/bad.yaml" -f "$BATS_TEST_TMPDIR/c.yaml"
        [ "${lines[0]}" = "pod/one created" ]
        [ "${lines[1]}" = "pod/three created" ]
        [[ $stderr == *bad.yaml*bogusField* ]]
        [ "$(podctl get pods -o name | sort | tr '\n' ' ')" = "pod/one pod/three " ]
}

@test "apply: -f - twice is refused before anything is applied" {
        pod_yaml one >"$BATS_TEST_TMPDIR/a.yaml"
        run -1 podctl apply -f "$BATS_TEST_TMPDIR/a.yaml" -f - -f - </dev/null
        [[ $output == *"only once"* ]]
        run -0 podctl get pods -o name
        [ -z "$output" ]
}
