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

uid_of() { jq_pod "$1" .metadata.uid; }

@test "replace -f: an unchanged spec is accepted and the Pod keeps running untouched; labels are replaced" {
        pod_yaml one >"$BATS_TEST_TMPDIR/a.yaml"
        podctl apply -f "$BATS_TEST_TMPDIR/a.yaml"
        wait_for 20 container_running one main
        uid=$(uid_of one)
        pid=$(pid_of one main)
        run -0 podctl replace -f "$BATS_TEST_TMPDIR/a.yaml"
        [ "$output" = "pod/one replaced" ]
        [ "$(uid_of one)" = "$uid" ]
        [ "$(pid_of one main)" = "$pid" ]
        kill -0 "$pid"
        # labels and annotations are metadata: replaced wholesale
        podctl label pod one old=1
        sed 's/^  name: one$/  name: one\n  labels:\n    app: new/' "$BATS_TEST_TMPDIR/a.yaml" >"$BATS_TEST_TMPDIR/l.yaml"
        run -0 podctl replace -f "$BATS_TEST_TMPDIR/l.yaml"
        [ "$output" = "pod/one replaced" ]
        [ "$(podctl get pod one -o json | jq -c .metadata.labels)" = '{"app":"new"}' ]
        [ "$(uid_of one)" = "$uid" ]
        [ "$(pid_of one main)" = "$pid" ]
}

@test "replace -f: a changed spec is refused with the API server's message naming the fields; nothing changes" {
        pod_yaml one >"$BATS_TEST_TMPDIR/a.yaml"
        podctl apply -f "$BATS_TEST_TMPDIR/a.yaml"
        wait_for 20 container_running one main
        uid=$(uid_of one)
        pid=$(pid_of one main)
        pod_yaml one busybox changed 5 >"$BATS_TEST_TMPDIR/b.yaml"
        run -1 --separate-stderr podctl replace -f "$BATS_TEST_TMPDIR/b.yaml"
        [ -z "$output" ]
        [[ ${stderr_lines[0]} == 'The Pod "one" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds`'* ]]
        [ "${stderr_lines[1]}" = "  changed: spec.containers[0].command[2], spec.terminationGracePeriodSeconds" ]
        [ "$(uid_of one)" = "$uid" ]
        [ "$(pid_of one main)" = "$pid" ]
        [ "$(jq_pod one '.spec.containers[0].command[2]')" = "echo hello; exec sleep 3600" ]
        # only the image (a field the API server lets change): podctl does not
        # update in place; it says so and points to --force
        pod_yaml one docker.io/library/busybox:latest >"$BATS_TEST_TMPDIR/c.yaml"
        run -1 podctl replace -f "$BATS_TEST_TMPDIR/c.yaml"
        [[ $output == *"podctl does not update a Pod in place (changed: spec.containers[0].image): use replace --force"* ]]
        [ "$(pid_of one main)" = "$pid" ]
}

@test "replace -f: a Pod that does not exist is NotFound; --grace-period needs --force" {
        pod_yaml ghost >"$BATS_TEST_TMPDIR/a.yaml"
        run -1 podctl replace -f "$BATS_TEST_TMPDIR/a.yaml"
        [ "$output" = "Error from server (NotFound): error when replacing \"$BATS_TEST_TMPDIR/a.yaml\": pods \"ghost\" not found" ]
        run -1 podctl replace -f "$BATS_TEST_TMPDIR/a.yaml" --grace-period=3
        [ "$output" = "error: --grace-period must have --force specified" ]
        run -0 podctl get pods -o name
        [ -z "$output" ]
}

term_pod() { # NAME HOSTDIR WORD
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 30
  volumes:
  - name: host
    hostPath: {path: $2}
  containers:
  - name: main
    image: busybox
    volumeMounts: [{name: host, mountPath: /host}]
    command: ["sh", "-c", "trap 'echo $3 got TERM >>/host/log; exit 0' TERM; echo $3 started >>/host/log; echo $3; sleep 3600 & wait"]
EOF
}

@test "replace --force -f: the old Pod gets SIGTERM (its grace period), is gone, then the new one starts" {
        h="$BATS_TEST_TMPDIR/host"
        mkdir -p "$h"
        term_pod one "$h" old >"$BATS_TEST_TMPDIR/a.yaml"
        podctl apply -f "$BATS_TEST_TMPDIR/a.yaml"
        wait_for 20 grep -qx 'old started' "$h/log"
        uid=$(uid_of one)
        pid=$(pid_of one main)
        start=$(proc_start "$pid")
        term_pod one "$h" new >"$BATS_TEST_TMPDIR/b.yaml"
        run -0 podctl replace --force -f "$BATS_TEST_TMPDIR/b.yaml"
        [ "${lines[0]}" = 'pod "one" deleted' ]
        [ "${lines[1]}" = "pod/one replaced" ]
        run ! same_process "$pid" "$start"
        wait_for 20 grep -qx 'new started' "$h/log"
        # in that order: the old container handled TERM before the new one ran
        [ "$(cat "$h/log")" = "old started
old got TERM
new started" ]
        [ "$(uid_of one)" != "$uid" ]
        [ "$(jq_pod one '.spec.containers[0].command[2]')" = "$(sed -n 's/^    command: \["sh", "-c", "\(.*\)"\]$/\1/p' "$BATS_TEST_TMPDIR/b.yaml")" ]
        log_has_new() { podctl logs one | grep -qx new; }
        wait_for 20 log_has_new
}

@test "replace --force --grace-period=0: killed at once; a missing Pod is just created; a bad file deletes nothing" {
        h="$BATS_TEST_TMPDIR/host"
        mkdir -p "$h"
        term_pod one "$h" old >"$BATS_TEST_TMPDIR/a.yaml"
        run -0 podctl replace --force -f "$BATS_TEST_TMPDIR/a.yaml"
        [ "$output" = "pod/one replaced" ]
        wait_for 20 grep -qx 'old started' "$h/log"
        uid=$(uid_of one)
        printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: one\nspec:\n  containers:\n  - name: main\n    image: busybox\n    bogusField: 1\n' >"$BATS_TEST_TMPDIR/bad.yaml"
        run -1 podctl replace --force -f "$BATS_TEST_TMPDIR/bad.yaml"
        [[ $output == *bogusField* ]]
        [ "$(uid_of one)" = "$uid" ]
        term_pod one "$h" new >"$BATS_TEST_TMPDIR/b.yaml"
        run -0 podctl replace --force --grace-period=0 -f "$BATS_TEST_TMPDIR/b.yaml"
        [ "${lines[0]}" = 'pod "one" deleted' ]
        wait_for 20 grep -qx 'new started' "$h/log"
        run ! grep -q 'old got TERM' "$h/log"
}
