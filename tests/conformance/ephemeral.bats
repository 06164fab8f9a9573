#!/usr/bin/env bats
# Node conformance: test/e2e/common/node/ephemeral_containers.go ("Ephemeral
# Containers", WithNodeConformance), one @test per Go test, named by its
# description string. The ephemeralcontainers subresource is `podctl debug`
# (podctl_pod_add_ephemeral), with the Go test's container fields.

load helpers

setup_file() { conformance_setup_file; }
teardown_file() { common_teardown_file; }
teardown() { conformance_teardown; }

# ---- ephemeral_containers.go -------------------------------------------------

# The target Pod of both tests (podClient.CreateSync: until Running).
target_pod() {
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: ephemeral-containers-target-pod
spec:
  containers:
  - name: test-container-1
    image: $BUSYBOX
    command: ["/bin/sleep"]
    args: ["10000"]
EOF
        wait_for 30 phase_is ephemeral-containers-target-pod Running
}

eph_running() {
        [ "$(jq_pod "$1" ".status.ephemeralContainerStatuses[]? | select(.name==\"$2\") | .state.running != null")" = true ]
}

log_has() { [[ $(podctl logs "$1" -c "$2") == *"$3"* ]]; }

# AddEphemeralContainerSync with the "debugger" container: busybox,
# GenerateScriptCmd ("/bin/sh -c SCRIPT"), stdin and tty, until it runs;
# then ExecCommandInContainer ("/bin/echo marco") and its log ("polo").
debugger_runs() {
        local pod=ephemeral-containers-target-pod
        # -it sets stdin and tty as the Go test does; --attach=false: the
        # subresource call attaches nothing
        run -0 podctl debug "$pod" -it --attach=false --image="$BUSYBOX" -c debugger -- \
                /bin/sh -c 'while true; do echo polo; sleep 2; done'
        wait_for 60 eph_running "$pod" debugger
        [ "$(jq_pod "$pod" '.spec.ephemeralContainers[0] | [.name, .stdin, .tty] | join(" ")')" = "debugger true true" ]
        run -0 podctl exec "$pod" -c debugger -- /bin/echo marco
        [[ $output == *marco* ]]
        wait_for 10 log_has "$pod" debugger polo
        # (not in the Go test) the Pod's network namespace
        [ "$(podctl exec "$pod" -c debugger -- readlink /proc/self/ns/net)" = \
                "$(podctl exec "$pod" -c test-container-1 -- readlink /proc/self/ns/net)" ]
}

# Ephemeral Containers [NodeConformance]: "will start an ephemeral container in an existing pod [Conformance]"
# Adapted: the Go test's `pod.Generation` 1 then 2 is left out: podctl keeps
# no metadata.generation (an API server field).
@test "Ephemeral Containers [NodeConformance] will start an ephemeral container in an existing pod" {
        target_pod
        debugger_runs
}

# Ephemeral Containers [NodeConformance]: "should update the ephemeral containers in an existing pod [Conformance]"
# Adapted: as above (no generation); the GET of the ephemeralcontainers
# subresource is `get pod -o json`'s spec.ephemeralContainers, the update
# that appends "debugger2" (agnhost, IfNotPresent, terminationMessagePolicy
# File, no command) another `podctl debug`.
@test "Ephemeral Containers [NodeConformance] should update the ephemeral containers in an existing pod" {
        local pod=ephemeral-containers-target-pod
        target_pod
        debugger_runs
        [ "$(jq_pod "$pod" '.spec.ephemeralContainers | length')" = 1 ]
        run -0 podctl debug "$pod" --image="$AGNHOST" --image-pull-policy=IfNotPresent -c debugger2
        [ "$(jq_pod "$pod" '.spec.ephemeralContainers[1] | [.name, .imagePullPolicy, .terminationMessagePolicy] | join(" ")')" = "debugger2 IfNotPresent File" ]
        [ "$(jq_pod "$pod" '.spec.ephemeralContainers | length')" = 2 ]
}
