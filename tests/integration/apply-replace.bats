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
        # a mutable field podctl does not change in place: said, with a
        # pointer to --force; nothing changes
        sed 's/terminationGracePeriodSeconds: 1/terminationGracePeriodSeconds: 2/' "$BATS_TEST_TMPDIR/a.yaml" >"$BATS_TEST_TMPDIR/g.yaml"
        run -1 podctl replace -f "$BATS_TEST_TMPDIR/g.yaml"
        [ "$output" = "error: pod/one: podctl does not update terminationGracePeriodSeconds in place (changed: spec.terminationGracePeriodSeconds): use replace --force to re-create it" ]
        [ "$(pid_of one main)" = "$pid" ]
        [ "$(jq_pod one .spec.terminationGracePeriodSeconds)" = 1 ]
        # the same refusal through apply, in the API server's words
        run -1 podctl apply -f "$BATS_TEST_TMPDIR/b.yaml"
        [[ $output == 'error: pod/one: The Pod "one" is invalid: spec: Forbidden: pod updates may not change fields other than'* ]]
        [ "$(pid_of one main)" = "$pid" ]
}

# A second image: the fixture's busybox with IMAGE_VERSION=v2 in its config,
# named localhost/busybox:v2.
load_v2_image() {
        local l="$BATS_FILE_TMPDIR/busybox-v2"
        [ -d "$l" ] && return 0
        cp -a "$PODCTL_TEST_FIXTURES/busybox-oci" "$l"
        umoci config --image "$l:latest" --config.env IMAGE_VERSION=v2 >/dev/null
        sed -i 's|"io.containerd.image.name":"[^"]*",||; s|"org.opencontainers.image.ref.name":"latest"|"io.containerd.image.name":"localhost/busybox:v2","org.opencontainers.image.ref.name":"latest"|' "$l/index.json"
        podctl image load -i "$l" >/dev/null
}
ctr_json() { podctl get pod "$1" -o json | jq -c --arg c "$2" '.status.containerStatuses[] | select(.name == $c)'; }
main_restarted() { # POD: main has restarted once and runs
        podctl get pod "$1" -o json | jq -e '.status.containerStatuses[] | select(.name == "main") | .restartCount == 1 and .state.running != null' >/dev/null
}

two_ctr_yaml() { # NAME MAIN-IMAGE
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: $2
    command: ["sh", "-c", "echo started with \${IMAGE_VERSION:-v1}; exec sleep 3600"]
  - name: side
    image: busybox
    command: ["sleep", "3600"]
EOF
}

@test "apply: a changed image restarts that container with it (restartPolicy Never too), the others untouched" {
        load_v2_image
        two_ctr_yaml up busybox >"$BATS_TEST_TMPDIR/a.yaml"
        podctl apply -f "$BATS_TEST_TMPDIR/a.yaml"
        wait_for 20 container_running up main
        wait_for 20 container_running up side
        uid=$(uid_of up)
        side=$(pid_of up side)
        old_id=$(ctr_json up main | jq -r .containerID)
        # a file in the old container's rootfs
        run -0 podctl exec up -c main -- touch /tmp/mark
        two_ctr_yaml up localhost/busybox:v2 >"$BATS_TEST_TMPDIR/b.yaml"
        run -0 podctl apply -f "$BATS_TEST_TMPDIR/b.yaml"
        [ "$output" = "pod/up configured" ]
        wait_for 20 main_restarted up
        st=$(ctr_json up main)
        [ "$(jq -r .image <<<"$st")" = localhost/busybox:v2 ]
        [ "$(jq -r .containerID <<<"$st")" != "$old_id" ]
        [ "$(jq -r .lastState.terminated.finishedAt <<<"$st")" != null ]
        # the new image's config, a fresh rootfs
        run -0 podctl exec up -c main -- printenv IMAGE_VERSION
        [ "$output" = v2 ]
        run ! podctl exec up -c main -- ls /tmp/mark
        run -0 podctl logs up -c main
        [[ $output == *"started with v2"* ]]
        # the Pod and its other container are the same
        [ "$(uid_of up)" = "$uid" ]
        [ "$(pid_of up side)" = "$side" ]
        [ "$(ctr_json up side | jq -r .restartCount)" = 0 ]
        [ "$(jq_pod up '.spec.containers[0].image')" = localhost/busybox:v2 ]
        run -0 podctl describe pod up
        [[ $output == *"Container main definition changed, will be restarted"* ]]
        # applied again: unchanged
        run -0 podctl apply -f "$BATS_TEST_TMPDIR/b.yaml"
        [ "$output" = "pod/up unchanged" ]
}

@test "replace -f: a changed image is an update in place" {
        load_v2_image
        two_ctr_yaml rp busybox >"$BATS_TEST_TMPDIR/a.yaml"
        podctl apply -f "$BATS_TEST_TMPDIR/a.yaml"
        wait_for 20 container_running rp main
        uid=$(uid_of rp)
        two_ctr_yaml rp localhost/busybox:v2 >"$BATS_TEST_TMPDIR/b.yaml"
        run -0 podctl replace -f "$BATS_TEST_TMPDIR/b.yaml"
        [ "$output" = "pod/rp replaced" ]
        wait_for 20 main_restarted rp
        run -0 podctl exec rp -c main -- printenv IMAGE_VERSION
        [ "$output" = v2 ]
        [ "$(uid_of rp)" = "$uid" ]
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

@test "apply: activeDeadlineSeconds may be set or lowered (the Pod then ends DeadlineExceeded), never raised; tolerations only added" {
        cat >"$BATS_TEST_TMPDIR/a.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: dl
spec:
  terminationGracePeriodSeconds: 1
  activeDeadlineSeconds: 3600
  tolerations:
  - {key: a, operator: Exists}
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
EOF
        podctl apply -f "$BATS_TEST_TMPDIR/a.yaml" 2>/dev/null
        wait_for 20 container_running dl main
        # a toleration added: stored; one taken away: refused
        sed 's/^  - {key: a, operator: Exists}$/  - {key: a, operator: Exists}\n  - {key: b, operator: Exists}/' "$BATS_TEST_TMPDIR/a.yaml" >"$BATS_TEST_TMPDIR/t.yaml"
        run -0 --separate-stderr podctl apply -f "$BATS_TEST_TMPDIR/t.yaml"
        [ "$output" = "pod/dl configured" ]
        [ "$(jq_pod dl '[.spec.tolerations[].key] | join(",")')" = a,b ]
        run -1 podctl apply -f "$BATS_TEST_TMPDIR/a.yaml"
        [[ $output == *'The Pod "dl" is invalid: spec.tolerations: Forbidden: existing toleration can not be modified'* ]]
        # raised: refused, as the API server refuses it
        sed 's/activeDeadlineSeconds: 3600/activeDeadlineSeconds: 7200/' "$BATS_TEST_TMPDIR/t.yaml" >"$BATS_TEST_TMPDIR/up.yaml"
        run -1 podctl apply -f "$BATS_TEST_TMPDIR/up.yaml"
        [[ $output == *'The Pod "dl" is invalid: spec.activeDeadlineSeconds: Invalid value: 7200: must be less than or equal to previous value'* ]]
        [ "$(jq_pod dl .status.phase)" = Running ]
        # lowered below the Pod's age: the Pod ends at once
        sleep 2
        sed 's/activeDeadlineSeconds: 3600/activeDeadlineSeconds: 1/' "$BATS_TEST_TMPDIR/t.yaml" >"$BATS_TEST_TMPDIR/down.yaml"
        run -0 --separate-stderr podctl apply -f "$BATS_TEST_TMPDIR/down.yaml"
        [ "$output" = "pod/dl configured" ]
        wait_for 20 bash -c "[ \"\$('$PODCTL' --root '$PODCTL_ROOT' get pod dl -o json | jq -r .status.reason)\" = DeadlineExceeded ]"
        [ "$(jq_pod dl .status.phase)" = Failed ]
        [ "$(jq_pod dl .spec.activeDeadlineSeconds)" = 1 ]
}
