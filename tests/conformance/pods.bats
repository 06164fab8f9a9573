#!/usr/bin/env bats
# Node conformance: test/e2e/common/node/pods.go ("Pods"), the cases one host
# shows without the API server's watch, update or Service objects (the rest:
# tests/conformance/README.md), one @test per Go test, named by its
# description string.

load helpers

setup_file() { conformance_setup_file; }
teardown_file() { common_teardown_file; }
teardown() { conformance_teardown; }

# ---- pods.go ---------------------------------------------------------------

# Pods: "should get a host IP [NodeConformance]"
@test "Pods should get a host IP [NodeConformance]" {
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod-hostip
spec:
  containers:
  - name: test
    image: $PAUSE
EOF
        wait_for 30 phase_is pod-hostip Running
        ip=$(jq_pod pod-hostip .status.hostIP)
        [[ $ip =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]
        [ "$(jq_pod pod-hostip '.status.hostIPs[0].ip')" = "$ip" ]
}

# Pods labelled time=VALUE (ListOptions{LabelSelector: "time=VALUE"}).
pods_with_time() { podctl get pods -o json | jq "[.items[] | select(.metadata.labels.time == \"$1\")] | length"; }

# Pods: "should be submitted and removed [NodeConformance]"
# Adapted: the list by label is `get pods -o json` filtered on the label (no
# -l); the watch is polling; the Deleted event's deletionTimestamp has no
# equivalent without an API server.
@test "Pods should be submitted and removed [NodeConformance]" {
        value=$(date +%N)
        [ "$(pods_with_time "$value")" = 0 ]
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod-submit-remove
  labels: {name: foo, time: "$value"}
spec:
  containers:
  - name: nginx
    image: $NGINX
EOF
        [ "$(pods_with_time "$value")" = 1 ]
        wait_for 30 phase_is pod-submit-remove Running
        [ "$(jq_pod pod-submit-remove .spec.terminationGracePeriodSeconds)" != 0 ]
        run -0 podctl delete pod pod-submit-remove --grace-period=30
        [ "$(pods_with_time "$value")" = 0 ]
}

# Pods: "should support remote command execution over websockets [NodeConformance]"
# Adapted: `podctl exec` for the API server's exec websocket.
@test "Pods should support remote command execution over websockets [NodeConformance]" {
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod-exec-websocket
spec:
  containers:
  - name: main
    image: $BUSYBOX
    command: ["/bin/sh", "-c", "echo container is alive; sleep 600"]
EOF
        wait_for 30 container_running pod-exec-websocket main
        run -0 podctl exec pod-exec-websocket -c main -- echo "remote execution test"
        [[ "$output" == *"remote execution test"* ]]
}

# Pods: "should support retrieving logs from the container over websockets [NodeConformance]"
# Adapted: `podctl logs` for the API server's log websocket.
@test "Pods should support retrieving logs from the container over websockets [NodeConformance]" {
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod-logs-websocket
spec:
  containers:
  - name: main
    image: $BUSYBOX
    command: ["/bin/sh", "-c", "echo container is alive; sleep 10000"]
EOF
        wait_for 30 container_running pod-logs-websocket main
        wait_for 10 sh -c "[ \"\$('$PODCTL' logs pod-logs-websocket -c main)\" = 'container is alive' ]"
        run -0 podctl logs pod-logs-websocket -c main
        [ "$output" = "container is alive" ]
}

# ---- pod_admission.go ----------------------------------------------------------

# PodOSRejection [NodeConformance] Kubelet: "should reject pod when the node OS doesn't match pod's OS"
@test "PodOSRejection [NodeConformance] Kubelet should reject pod when the node OS doesn't match pod's OS" {
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: wrong-pod-os
spec:
  os: {name: windows}
  nodeName: $(hostname)
  containers:
  - name: wrong-pod-os
    image: $PAUSE
EOF
        # WaitForPodFailedReason: phase Failed with reason PodOSNotSupported.
        wait_for 30 phase_is wrong-pod-os Failed
        [ "$(jq_pod wrong-pod-os .status.reason)" = PodOSNotSupported ]
}
