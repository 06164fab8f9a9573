#!/usr/bin/env bats
# Issue 16: status, files and CLI rules exactly as the kubelet and kubectl
# have them (init container readiness, PodInitializing, the conditions'
# reasons and messages, hostAliases in /etc/hosts, a container's own
# /etc/hosts, items[].mode, apply -n).

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
teardown() { delete_all_pods; }

cond() { jq_pod "$1" ".status.conditions[] | select(.type==\"$2\") | .$3 // \"\""; }
init_status() { jq_pod "$1" ".status.initContainerStatuses[] | select(.name==\"$2\") | $3"; }
init_running() { [ "$(init_status "$1" "$2" '.state | has("running")')" = true ]; }

@test "init containers: PodInitializing, ready once done, kubelet's condition messages" {
        f=$(manifest <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: inits
spec:
  initContainers:
  - name: init1
    image: busybox
    command: ["sh", "-c", "until [ -e /tmp/go ]; do sleep 0.1; done"]
  - name: init2
    image: busybox
    command: ["true"]
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
EOF
)
        podctl apply -f "$f"
        wait_for 10 init_running inits init1
        # Not yet started, init or not: PodInitializing.
        [ "$(init_status inits init2 .state.waiting.reason)" = PodInitializing ]
        [ "$(jq_pod inits '.status.containerStatuses[0].state.waiting.reason')" = PodInitializing ]
        [ "$(cond inits Initialized status)" = False ]
        [ "$(cond inits Initialized reason)" = ContainersNotInitialized ]
        [ "$(cond inits Initialized message)" = "containers with incomplete status: [init1 init2]" ]
        [ "$(cond inits ContainersReady reason)" = ContainersNotReady ]
        [ "$(cond inits ContainersReady message)" = "containers with unready status: [app]" ]
        [ "$(cond inits Ready reason)" = ContainersNotReady ]
        [ "$(cond inits Ready message)" = "containers with unready status: [app]" ]
        podctl exec inits -c init1 -- touch /tmp/go
        wait_for 10 container_running inits app
        # A completed init container is ready, not started.
        [ "$(init_status inits init1 .ready)" = true ]
        [ "$(init_status inits init2 .ready)" = true ]
        [ "$(init_status inits init1 .started)" = false ]
        [ "$(init_status inits init1 .state.terminated.reason)" = Completed ]
        [ "$(cond inits Initialized status)" = True ]
        [ "$(cond inits Initialized message)" = "" ]
        [ "$(cond inits Ready status)" = True ]
        [ "$(cond inits Ready reason)" = "" ]
}

@test "a Succeeded Pod: conditions with reason PodCompleted" {
        f=$(manifest <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: done
spec:
  restartPolicy: Never
  initContainers:
  - name: init1
    image: busybox
    command: ["true"]
  containers:
  - name: app
    image: busybox
    command: ["true"]
EOF
)
        podctl apply -f "$f"
        wait_for 10 phase_is done Succeeded
        [ "$(cond done Initialized status)" = True ]
        [ "$(cond done Initialized reason)" = PodCompleted ]
        [ "$(cond done ContainersReady status)" = False ]
        [ "$(cond done ContainersReady reason)" = PodCompleted ]
        [ "$(cond done Ready reason)" = PodCompleted ]
        [ "$(cond done Ready message)" = "" ]
        [ "$(init_status done init1 .ready)" = true ]
}

@test "a failed init container under Never: PodFailed, init1 incomplete" {
        f=$(manifest <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: initfail
spec:
  restartPolicy: Never
  initContainers:
  - name: init1
    image: busybox
    command: ["false"]
  containers:
  - name: app
    image: busybox
    command: ["true"]
EOF
)
        podctl apply -f "$f"
        wait_for 10 phase_is initfail Failed
        [ "$(init_status initfail init1 .ready)" = false ]
        [ "$(cond initfail Initialized message)" = "containers with incomplete status: [init1]" ]
        [ "$(cond initfail ContainersReady reason)" = PodFailed ]
        [ "$(jq_pod initfail '.status.containerStatuses[0].state.waiting.reason')" = PodInitializing ]
}

