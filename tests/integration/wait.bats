#!/usr/bin/env bats
# podctl wait as kubectl wait: --for=condition=..., --for=delete,
# --for=jsonpath=..., --timeout, with kubectl's messages and exit codes.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

# A Pod that turns Ready once /tmp/ready exists (its readiness probe).
ready_later_pod() { # NAME DELAY-SECONDS [LABEL]
        manifest "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels:
    app: ${3:-none}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "sleep $2; touch /tmp/ready; sleep 3600"]
    readinessProbe:
      exec:
        command: ["test", "-f", "/tmp/ready"]
      periodSeconds: 1
EOF
}

ready_status() { jq_pod "$1" '.status.conditions[] | select(.type=="Ready") | .status'; }

@test "wait --for=condition=Ready returns once the Pod is Ready" {
        run -0 podctl apply -f "$(ready_later_pod late 2)"
        run -0 podctl wait --for=condition=Ready pod/late --timeout=60s
        [ "$output" = "pod/late condition met" ]
        [ "$(ready_status late)" = True ]
        # the other conditions, names case-insensitive, as kubectl
        run -0 podctl wait --for=condition=Initialized pods late
        [ "$output" = "pod/late condition met" ]
        run -0 podctl wait --for=condition=containersready pod/late
        [ "$output" = "pod/late condition met" ]
        run -0 podctl wait --for=condition=PodScheduled pod/late
        [ "$output" = "pod/late condition met" ]
}

@test "wait --timeout: kubectl's message and exit status 1 when it is not met" {
        run -0 podctl apply -f "$(ready_later_pod never 3600)"
        wait_for 30 container_running never main
        start=$SECONDS
        # it gives up by itself (a wait past --timeout would be timeout's 124)
        run -1 timeout 300 "$PODCTL" wait --for=condition=Ready pod/never --timeout=2s
        [ "$output" = "error: timed out waiting for the condition on pods/never" ]
        [ $((SECONDS - start)) -ge 1 ]
        run -1 podctl wait --for=condition=Ready pod/never --timeout=0
        [ "$output" = "error: condition not met for pods/never" ]
        run -0 podctl wait --for=condition=Ready=false pod/never --timeout=0
        [ "$output" = "pod/never condition met" ]
}

@test "wait --for=delete returns when the Pod is gone; a missing Pod is no wait" {
        run -0 podctl apply -f "$(ready_later_pod doomed 0)"
        wait_for 30 container_running doomed main
        podctl delete pod doomed --grace-period=1 >/dev/null &
        del=$!
        run -0 podctl wait --for=delete pod/doomed --timeout=60s
        [ "$output" = "pod/doomed condition met" ]
        run -1 podctl get pod doomed
        [ "$output" = 'Error from server (NotFound): pods "doomed" not found' ]
        wait "$del"
        run -0 podctl wait --for=delete pod/doomed
        [ "$output" = "" ]
        run -1 podctl wait --for=condition=Ready pod/doomed
        [ "$output" = 'Error from server (NotFound): pods "doomed" not found' ]
}

@test "wait --for=jsonpath: a value, or any value" {
        f=$(manifest brief <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: brief
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "sleep 1"]
EOF
)
        run -0 podctl apply -f "$f"
        run -0 podctl wait --for=jsonpath='{.status.phase}'=Succeeded pod/brief --timeout=60s
        [ "$output" = "pod/brief condition met" ]
        [ "$(pod_phase brief)" = Succeeded ]
        run -0 podctl wait --for='jsonpath={.status.containerStatuses[?(@.name=="main")].state.terminated.exitCode}=0' pod/brief
        [ "$output" = "pod/brief condition met" ]
        run -0 podctl wait --for=jsonpath=.status.podIP pod/brief --timeout=0
        [ "$output" = "pod/brief condition met" ]
        run -1 podctl wait --for=jsonpath='{.status.phase}'=Running pod/brief --timeout=0
        [ "$output" = "error: condition not met for pods/brief" ]
        run -1 podctl wait --for=jsonpath='{.status.phase}'= pod/brief
        [ "$output" = "error: jsonpath wait has to have a value after equal sign, like --for=jsonpath='{.status.readyReplicas}'=3" ]
        run -1 podctl wait --for=bogus pod/brief
        [ "$output" = 'error: unrecognized condition: "bogus"' ]
}

@test "wait -l: every matching Pod; none matching is an error" {
        run -0 podctl apply -f "$(ready_later_pod sel-a 1 grp)"
        run -0 podctl apply -f "$(ready_later_pod sel-b 2 grp)"
        run -0 podctl wait --for=condition=Ready pods -l app=grp --timeout=60s
        [ "$output" = "$(printf 'pod/sel-a condition met\npod/sel-b condition met')" ]
        run -1 podctl wait --for=condition=Ready pods -l app=nothing
        [ "$output" = "error: no matching resources found" ]
}
