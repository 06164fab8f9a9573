#!/usr/bin/env bats
# podctl debug: kubectl debug's ephemeral containers, as a user types them.
# The container runs in the Pod's namespaces (its target's PID namespace
# with --target), is never restarted, is listed under ephemeralContainers,
# survives its monitor's death, and goes with the Pod. Every Pod is deleted
# by teardown, also when a test fails.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
teardown() { delete_all_pods; }

pod_dir() { echo "$PODCTL_ROOT/pods/default_$1"; }
monitor_pid() { cut -d' ' -f1 "$(pod_dir "$1")/monitor.pid"; }
eph() { podctl get pod "$1" -o json | jq -c ".status.ephemeralContainerStatuses[] | select(.name==\"$2\") | $3"; }
eph_exit_is() { [ "$(eph "$1" "$2" .state.terminated.exitCode)" = "$3" ]; }
eph_running() { [ "$(eph "$1" "$2" '.state.running != null')" = true ]; }
in_pty() { script -qfec "$1" /dev/null; }
shown() { tr -d '\r' <"$1" | grep -qF -- "$2"; }
shown_line() { tr -d '\r' <"$1" | grep -qxF -- "$2"; }

target_pod() {
        f=$(manifest tgt <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: tgt
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox
    command: [sleep, "3600"]
EOF
        )
        podctl apply -f "$f"
        wait_for 20 container_running tgt app
}

@test "debug --target: the Pod's network, the target's PID namespace, never restarted, listed, unchanged by a re-apply" {
        target_pod
        app_net=$(podctl exec tgt -c app -- readlink /proc/self/ns/net)
        run -0 podctl debug tgt --image=busybox --target=app -c dbg -- \
                sh -c 'ps -o pid,args; readlink /proc/self/ns/net; exit 3'
        [ -z "$output" ] # no attach without -i
        wait_for 20 eph_exit_is tgt dbg 3
        # the target's processes: its sleep is PID 1 of the namespace joined
        run -0 podctl logs tgt -c dbg
        echo "$output"
        [[ "$output" =~ (^|$'\n')\ *1\ +sleep\ 3600 ]]
        grep -qxF "$app_net" <<<"$output"
        # never restarted, whatever the Pod's restartPolicy (Always)
        sleep 2
        [ "$(eph tgt dbg .restartCount)" = 0 ]
        [ "$(eph tgt dbg .ready)" = false ]
        # what the API shows
        [ "$(jq_pod tgt '.spec.ephemeralContainers[0] | .name + " " + .targetContainerName')" = "dbg app" ]
        [ "$(jq_pod tgt '.status.conditions[] | select(.type=="Ready") | .status')" = True ]
        run -0 podctl describe pod tgt
        [[ "$output" == *$'Ephemeral Containers:\n  dbg:'* ]]
        # a re-apply of the Pod's manifest neither sees nor drops it
        run -0 podctl apply -f "$f"
        [ "$output" = "pod/tgt unchanged" ]
        [ "$(jq_pod tgt '.spec.ephemeralContainers | length')" = 1 ]
}

@test "debug refuses what the API server refuses, and changes nothing" {
        target_pod
        run -1 podctl debug tgt --image=busybox -c app -- true
        [[ "$output" == *'spec.ephemeralContainers[0].name: Duplicate value: "app"'* ]]
        run -1 podctl debug tgt --image=busybox --target=nosuch -- true
        [[ "$output" == *'spec.ephemeralContainers[0].targetContainerName: Not found: "nosuch"'* ]]
        run -1 podctl debug tgt --image=example.invalid/none:1 --image-pull-policy=Never -- true
        [[ "$output" == *"is not present with pull policy of Never"* ]]
        run -1 podctl debug nosuchpod --image=busybox
        [[ "$output" == *'"nosuchpod" not found'* ]]
        [ "$(jq_pod tgt '.spec.ephemeralContainers // [] | length')" = 0 ]
        [ "$(jq_pod tgt '.status.ephemeralContainerStatuses // [] | length')" = 0 ]
}

@test "debug -it: a shell in the Pod through a terminal; its exit ends debug" {
        target_pod
        out=$BATS_TEST_TMPDIR/out
        drive() {
                wait_for 60 shown "$out" "try pressing enter"
                printf 'echo $((6*7)); hostname\n'
                wait_for 30 shown_line "$out" 42
                printf 'exit 5\n'
                wait_for 30 eph_exit_is tgt shell 5
        }
        drive | in_pty "$PODCTL debug tgt -it --image=busybox -c shell" >"$out" && rc=0 || rc=$?
        tr -d '\r' <"$out" | tee "$BATS_TEST_TMPDIR/clean"
        [ "$rc" = 0 ]
        grep -qx 42 "$BATS_TEST_TMPDIR/clean"
        grep -qx tgt "$BATS_TEST_TMPDIR/clean" # the Pod's hostname: its UTS namespace
        [ "$(eph tgt shell .restartCount)" = 0 ]
}

@test "an ephemeral container survives its monitor's death and goes with the Pod" {
        target_pod
        run -0 podctl debug tgt --image=busybox -c long -- sleep 3600
        wait_for 20 eph_running tgt long
        pid=$(podctl inspect pod tgt | jq -r '.runtime.containers.long.pid')
        mon=$(monitor_pid tgt)
        kill -9 "$mon"
        run -0 podctl get pods tgt # re-adopts
        [ "$(monitor_pid tgt)" != "$mon" ]
        eph_running tgt long
        [ "$(podctl inspect pod tgt | jq -r '.runtime.containers.long.pid')" = "$pid" ]
        run -0 podctl exec tgt -c long -- echo in-long
        [ "$output" = in-long ]
        run -0 podctl delete pod tgt
        run ! kill -0 "$pid"
}
