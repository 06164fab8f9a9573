#!/usr/bin/env bats
# Issue 14 §1b: Pod-level spec.resources (KEP-2837) enforced on the Pod's
# cgroup, counted by admission, deciding the QoS class and the downward
# API's default limits; the documentation's pod-level-resources.yaml
# (busybox in place of nginx and fedora).

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
teardown() {
        delete_all_pods
        rm -f "$PODCTL_ROOT/config.json"
}

container_running_ns() { # POD CONTAINER, in pod-resources-example
        [ "$(podctl -n pod-resources-example get pod "$1" -o json |
                jq -r ".status.containerStatuses[] | select(.name==\"$2\") | .state | has(\"running\")")" = true ]
}

pod_cg_ns() { # POD CONTROLLER FILE: the Pod's own cgroup file (pod-resources-example)
        local rel
        rel=$(podctl -n pod-resources-example inspect pod "$1" | jq -r .runtime.cgroup)
        if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
                echo "/sys/fs/cgroup/podctl/$rel/$3"
        else
                echo "/sys/fs/cgroup/$2/podctl/$rel/$3"
        fi
}

@test "pod-level-resources.yaml: the Pod's cgroup has its limits, admission its requests, QoS Burstable" {
        echo '{"node": {"capacity": {"cpu": "2", "memory": "1Gi"}, "reserved": {"cpu": "0", "memory": "0"}}}' >"$PODCTL_ROOT/config.json"
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: pod-resources-demo
  namespace: pod-resources-example
spec:
  resources:
    limits:
      cpu: "1"
      memory: "200Mi"
    requests:
      cpu: "1"
      memory: "100Mi"
  containers:
  - name: pod-resources-demo-ctr-1
    image: busybox
    command: ["sleep", "inf"]
    resources:
      limits:
        cpu: "0.5"
        memory: "100Mi"
      requests:
        cpu: "0.5"
        memory: "50Mi"
  - name: pod-resources-demo-ctr-2
    image: busybox
    command:
    - sleep
    - inf
EOF
)
        podctl apply -f "$f"
        n="-n pod-resources-example"
        wait_for 10 container_running_ns pod-resources-demo pod-resources-demo-ctr-2
        [ "$(podctl $n get pod pod-resources-demo -o json | jq -r .status.qosClass)" = Burstable ]
        [[ $(podctl $n inspect pod pod-resources-demo | jq -r .runtime.cgroup) == burstable/pod* ]]
        if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
                [ "$(cat "$(pod_cg_ns pod-resources-demo memory memory.max)")" = $((200 * 1024 * 1024)) ]
                [ "$(cat "$(pod_cg_ns pod-resources-demo cpu cpu.max)")" = "100000 100000" ]
        else
                [ "$(cat "$(pod_cg_ns pod-resources-demo memory memory.limit_in_bytes)")" = $((200 * 1024 * 1024)) ]
                [ "$(cat "$(pod_cg_ns pod-resources-demo cpu cpu.cfs_quota_us)")" = 100000 ]
                [ "$(cat "$(pod_cg_ns pod-resources-demo cpu cpu.shares)")" = 1024 ]
        fi
        # admission counts the Pod's requests, not its containers' (0.5, 50Mi)
        [ "$(podctl get node -o json | jq '.podctl.requested.cpu')" = 1000 ]
        [ "$(podctl get node -o json | jq '.podctl.requested.memory')" = $((100 * 1024 * 1024)) ]
        # ... and refuses what no longer fits
        g=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: big}
spec:
  resources: {requests: {cpu: 1500m}}
  containers:
  - {name: c, image: busybox, command: [sleep, inf]}
EOF
)
        run podctl apply -f "$g"
        [ "$status" -ne 0 ]
        [[ $output == *"Insufficient cpu: requested 1500m, available 1"* ]]
}

@test "pod-level limits: equal requests make the Pod Guaranteed; a container without limits reads the Pod's" {
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: plr-g}
spec:
  restartPolicy: Never
  resources:
    limits: {cpu: 500m, memory: 64Mi}
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "echo $CPU $MEM"]
    env:
    - {name: CPU, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}}
    - {name: MEM, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
EOF
)
        podctl apply -f "$f"
        wait_for 10 phase_is plr-g Succeeded
        [ "$(jq_pod plr-g .status.qosClass)" = Guaranteed ]
        # requests defaulted from limits, as the API server does
        [ "$(jq_pod plr-g .spec.resources.requests.memory)" = 64Mi ]
        run -0 podctl logs plr-g
        [ "$output" = "500 64" ]
}

@test "pod-level resources: requests below the containers' aggregate, a container limit above the Pod's, other resources refused" {
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: plr-bad}
spec:
  resources:
    requests: {cpu: 100m, memory: 10Mi, ephemeral-storage: 1Gi}
    limits: {cpu: 200m}
  initContainers:
  - {name: i, image: busybox, resources: {requests: {memory: 30Mi}}}
  containers:
  - {name: a, image: busybox, resources: {requests: {cpu: 100m, memory: 5Mi}, limits: {cpu: 300m}}}
  - {name: b, image: busybox, resources: {requests: {cpu: 50m, memory: 5Mi}}}
EOF
)
        run -1 podctl apply -f "$f"
        [[ $output == *'spec.resources.requests.cpu: Invalid value: "100m": must be greater than or equal to aggregate container requests of 150m'* ]]
        [[ $output == *'spec.resources.requests.memory: Invalid value: "10Mi": must be greater than or equal to aggregate container requests of 30Mi'* ]]
        [[ $output == *'spec.resources.limits.cpu: Invalid value: "200m": must be greater than or equal to the limit of container "a" (300m)'* ]]
        [[ $output == *'spec.resources.requests.ephemeral-storage: Unsupported value: "ephemeral-storage": supported values: "cpu", "memory"'* ]]
        [ -z "$(ls -A "$PODCTL_ROOT/pods")" ]
}

# tasks/configure-pod-container/assign-pod-level-pid-limits (Kubernetes 1.37,
# KEP-6063): pods/resource/pod-level-pid-limit.yaml's Pod, busybox in place
# of its image
@test "pod-level pids limit: the Pod cgroup's pids.max, capped by the node's podPidsLimit with a PIDLimitCapped event; limits only, 128 to 16384" {
        pid_demo() {
                manifest pid-demo <<EOF2
apiVersion: v1
kind: Pod
metadata:
  name: pid-demo
  namespace: pod-resources-example
spec:
  resources:
    limits:
      pids: "$1"
  containers:
  - name: pid-demo-ctr
    image: busybox
    command: ["sleep", "3600"]
EOF2
        }
        run -0 podctl apply -f "$(pid_demo 2048)"
        wait_for 30 container_running_ns pid-demo pid-demo-ctr
        [ "$(cat "$(pod_cg_ns pid-demo pids pids.max)")" = 2048 ]
        # a fork bomb stops at the limit: 2100 sleeps cannot all start
        run podctl -n pod-resources-example exec pid-demo -- sh -c 'i=0; while [ $i -lt 2100 ]; do sleep 60 & i=$((i+1)); done 2>&1 | grep -m1 -o "fork: Resource temporarily unavailable\|can.t fork"'
        [ "$status" -eq 0 ]
        [ "$(cat "$(pod_cg_ns pid-demo pids pids.current)")" -le 2048 ]
        run -0 podctl -n pod-resources-example get pod pid-demo -o json
        [ "$(jq -r .spec.resources.limits.pids <<<"$output")" = 2048 ]
        [ "$(jq -r '.spec.resources.requests.pids // "none"' <<<"$output")" = none ]
        podctl -n pod-resources-example delete pod pid-demo --grace-period=0 --force >/dev/null
        # the node's podPidsLimit is lower: it wins, with a warning event
        echo '{"node": {"podPidsLimit": 1024}}' >"$PODCTL_ROOT/config.json"
        run -0 podctl apply -f "$(pid_demo 2048)"
        wait_for 30 container_running_ns pid-demo pid-demo-ctr
        [ "$(cat "$(pod_cg_ns pid-demo pids pids.max)")" = 1024 ]
        run -0 podctl -n pod-resources-example describe pod pid-demo
        [[ $output == *"PIDLimitCapped"*"Pod PID limit 2048 capped to the node's podPidsLimit 1024"* ]]
        podctl -n pod-resources-example delete pod pid-demo --grace-period=0 --force >/dev/null
        # refused: out of range, in requests, on a container
        run -1 podctl apply -f "$(pid_demo 100)"
        [[ $output == *'spec.resources.limits.pids: Invalid value: "100": must be an integer between 128 and 16384, inclusive'* ]]
        f=$(manifest bad <<'EOF2'
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  resources:
    requests: {pids: "200"}
  containers:
  - name: c
    image: busybox
    resources:
      limits: {pids: "200"}
EOF2
)
        run -1 podctl apply -f "$f"
        [[ $output == *"spec.resources.requests.pids: Forbidden: pids may only be set in limits"* ]]
        [[ $output == *"spec.containers[0].resources.limits.pids: Forbidden: pids may only be set in the Pod's spec.resources.limits"* ]]
        run ! podctl get pod bad
}
