#!/usr/bin/env bats
# Issue 14 §3: in-place Pod resize (KEP-1287, Kubernetes 1.33): podctl
# resize and an apply of new cpu/memory resources change a running
# container's cgroup without a restart (resizePolicy NotRequired) or
# restart it (RestartContainer); the API server's refusals and the node's
# (PodResizePending) change nothing.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
teardown() {
        delete_all_pods
        rm -f "$PODCTL_ROOT/config.json"
}

node_cpus() { # N: pretend the host has N cpus and 4Gi, nothing reserved
        cat >"$PODCTL_ROOT/config.json" <<EOF
{"node": {"capacity": {"cpu": "$1", "memory": "4Gi"}, "reserved": {"cpu": "0", "memory": "0"}}}
EOF
}

# A Burstable Pod (requests below limits) with one container c; $2 is its
# memory resizePolicy (NotRequired or RestartContainer).
pod_yaml() { # NAME POLICY CPU_REQ CPU_LIM MEM_REQ MEM_LIM
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: c
    image: busybox
    command: [sleep, "3600"]
    resizePolicy:
    - {resourceName: cpu, restartPolicy: NotRequired}
    - {resourceName: memory, restartPolicy: $2}
    resources:
      requests: {cpu: $3, memory: $5}
      limits: {cpu: $4, memory: $6}
EOF
}

ctr_cg() { # POD CONTROLLER FILE: container c's cgroup file
        local rel
        rel=$(podctl inspect pod "$1" | jq -r .runtime.cgroup)
        if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
                echo "/sys/fs/cgroup/podctl/$rel/c/$3"
        else
                echo "/sys/fs/cgroup/$2/podctl/$rel/c/$3"
        fi
}
pod_cg() { # POD CONTROLLER FILE: the Pod's cgroup file
        local rel
        rel=$(podctl inspect pod "$1" | jq -r .runtime.cgroup)
        if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
                echo "/sys/fs/cgroup/podctl/$rel/$3"
        else
                echo "/sys/fs/cgroup/$2/podctl/$rel/$3"
        fi
}
v2() { [ -f /sys/fs/cgroup/cgroup.controllers ]; }
# The container's memory limit, quota and shares/weight as read from the host.
mem_limit() { if v2; then cat "$(ctr_cg "$1" memory memory.max)"; else cat "$(ctr_cg "$1" memory memory.limit_in_bytes)"; fi; }
cpu_quota() { if v2; then cut -d' ' -f1 "$(ctr_cg "$1" cpu cpu.max)"; else cat "$(ctr_cg "$1" cpu cpu.cfs_quota_us)"; fi; }
cpu_shares() { if v2; then cat "$(ctr_cg "$1" cpu cpu.weight)"; else cat "$(ctr_cg "$1" cpu cpu.shares)"; fi; }
pod_quota() { if v2; then cut -d' ' -f1 "$(pod_cg "$1" cpu cpu.max)"; else cat "$(pod_cg "$1" cpu cpu.cfs_quota_us)"; fi; }
# v1 shares for a request in millicores, or v2's weight for them.
shares_for() { if v2; then echo $((1 + (($1 * 1024 / 1000 - 2) * 9999) / 262142)); else echo $(($1 * 1024 / 1000)); fi; }
restart_count() { jq_pod "$1" '.status.containerStatuses[0].restartCount'; }
started_at() { jq_pod "$1" '.status.containerStatuses[0].state.running.startedAt'; }
# The condition TYPE of POD as "status reason message".
condition() { jq_pod "$1" ".status.conditions[] | select(.type == \"$2\") | \"\(.status) \(.reason) \(.message)\""; }
restarted_once() {
        [ "$(restart_count "$1")" = 1 ] && container_running "$1" c
}
no_resize_in_progress() { [ -z "$(condition "$1" PodResizeInProgress)" ]; }

@test "resize: cpu and memory of a running container change in its cgroup, same process, restartCount 0" {
        podctl apply -f "$(pod_yaml r NotRequired 100m 200m 32Mi 64Mi | manifest r)"
        wait_for 20 container_running r c
        pid=$(pid_of r c)
        start=$(proc_start "$pid")
        since=$(started_at r)
        [ "$(cpu_quota r)" = 20000 ]
        [ "$(mem_limit r)" = 67108864 ]
        [ "$(jq_pod r '.status.containerStatuses[0].resources | tojson')" = '{"limits":{"cpu":"200m","memory":"64Mi"},"requests":{"cpu":"100m","memory":"32Mi"}}' ]
        run -0 podctl resize r -c c --requests-cpu=300m --limits-cpu=500m --limits-memory=128Mi
        [ "$output" = "pod/r resized" ]
        # the cgroup, from the host and from inside the container
        [ "$(cpu_quota r)" = 50000 ]
        [ "$(cpu_shares r)" = "$(shares_for 300)" ]
        [ "$(mem_limit r)" = 134217728 ]
        if ! v2; then
                [ "$(podctl exec r -- cat /sys/fs/cgroup/memory/memory.limit_in_bytes)" = 134217728 ]
                [ "$(podctl exec r -- cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)" = 50000 ]
        else
                [ "$(podctl exec r -- cat /sys/fs/cgroup/memory.max)" = 134217728 ]
        fi
        # the Pod's cgroup follows (its limit is the sum of the containers')
        [ "$(pod_quota r)" = 50000 ]
        # the same process, never restarted
        [ "$(pid_of r c)" = "$pid" ]
        same_process "$pid" "$start"
        [ "$(restart_count r)" = 0 ]
        [ "$(started_at r)" = "$since" ]
        # the stored spec and the status show the new values
        [ "$(jq_pod r '.spec.containers[0].resources | tojson')" = '{"requests":{"cpu":"300m","memory":"32Mi"},"limits":{"cpu":"500m","memory":"128Mi"}}' ]
        [ "$(jq_pod r '.status.containerStatuses[0].resources | tojson')" = '{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"300m","memory":"32Mi"}}' ]
        [ "$(jq_pod r .status.qosClass)" = Burstable ]
        [ -z "$(condition r PodResizePending)" ]
        # the same values again: nothing to do
        run -0 podctl resize pod/r -c c --requests-cpu=300m
        [ "$output" = "pod/r unchanged" ]
}

@test "resize: RestartContainer for memory restarts the container with the new limit (restartCount 1); a lower memory limit is then allowed" {
        # c ignores SIGTERM: its stop takes the 3 s grace period, while which
        # the resize is in progress
        pod_yaml rr RestartContainer 100m 200m 32Mi 64Mi |
                sed 's/terminationGracePeriodSeconds: 0/terminationGracePeriodSeconds: 3/; s/command: \[sleep, "3600"\]/command: [sh, -c, "trap \x27\x27 TERM; while :; do sleep 1; done"]/' >"$BATS_TEST_TMPDIR/rr.yaml"
        podctl apply -f "$BATS_TEST_TMPDIR/rr.yaml"
        wait_for 20 container_running rr c
        pid=$(pid_of rr c)
        run -0 podctl resize rr -c c --memory=48Mi
        [ "$output" = "pod/rr resized" ]
        # stopping: in progress, the old values still applied
        [ "$(condition rr PodResizeInProgress)" = "True null null" ]
        [ "$(jq_pod rr '.status.containerStatuses[0].resources.limits.memory')" = 64Mi ]
        [ "$(mem_limit rr)" = 67108864 ]
        wait_for 20 restarted_once rr
        [ "$(pid_of rr c)" != "$pid" ]
        # --memory: the request, and the limit the container has
        [ "$(mem_limit rr)" = 50331648 ]
        [ "$(jq_pod rr '.spec.containers[0].resources.limits.memory')" = 48Mi ]
        [ "$(jq_pod rr '.spec.containers[0].resources.requests.memory')" = 48Mi ]
        [ "$(jq_pod rr '.status.containerStatuses[0].resources.limits.memory')" = 48Mi ]
        [ "$(podctl events --for pod/rr | grep -c 'Container c resize requires restart')" = 1 ]
        wait_for 10 no_resize_in_progress rr
        # cpu is NotRequired: no restart
        run -0 podctl resize rr -c c --limits-cpu=300m
        [ "$(cpu_quota rr)" = 30000 ]
        [ "$(restart_count rr)" = 1 ]
}

@test "resize: a QoS class change, a request above its limit, a lowered memory limit (NotRequired), other resources: refused with the API server's message; nothing changes" {
        podctl apply -f "$(pod_yaml q NotRequired 100m 200m 32Mi 64Mi | manifest q)"
        wait_for 20 container_running q c
        pid=$(pid_of q c)
        before=$(podctl get pod q -o json | jq -c .spec)
        # Burstable -> Guaranteed
        run -1 podctl resize q -c c --requests-cpu=200m --requests-memory=64Mi
        [ "$output" = 'error: The Pod "q" is invalid: spec: Invalid value: "Burstable": Pod QOS Class may not change as a result of resizing' ]
        run -1 podctl resize q -c c --requests-cpu=300m
        [ "$output" = 'error: The Pod "q" is invalid: spec.containers[0].resources.requests: Invalid value: "300m": must be less than or equal to cpu limit of 200m' ]
        run -1 podctl resize q -c c --limits-memory=48Mi
        [ "$output" = 'error: The Pod "q" is invalid: spec.containers[0].resources.limits[memory]: Forbidden: memory limits cannot be decreased unless resizePolicy is RestartContainer' ]
        run -1 podctl resize q -c nope --cpu=1
        [ "$output" = 'error: container nope not found in pod q' ]
        [ "$(podctl get pod q -o json | jq -c .spec)" = "$before" ]
        [ "$(cpu_quota q)" = 20000 ]
        [ "$(mem_limit q)" = 67108864 ]
        [ "$(pid_of q c)" = "$pid" ]
        [ "$(restart_count q)" = 0 ]
        # an apply that changes ephemeral-storage with the cpu: refused
        pod_yaml q NotRequired 100m 300m 32Mi 64Mi | sed 's/limits: {cpu: 300m, memory: 64Mi}/limits: {cpu: 300m, memory: 64Mi, ephemeral-storage: 1Gi}/' >"$BATS_TEST_TMPDIR/e.yaml"
        run -1 podctl apply -f "$BATS_TEST_TMPDIR/e.yaml"
        [ "$output" = 'error: pod/q: The Pod "q" is invalid: spec: Forbidden: only cpu and memory resources are mutable' ]
        # new resources next to another change: the update's refusal
        pod_yaml q NotRequired 100m 300m 32Mi 64Mi | sed 's/"3600"/"3601"/' >"$BATS_TEST_TMPDIR/o.yaml"
        run -1 podctl apply -f "$BATS_TEST_TMPDIR/o.yaml"
        [[ $output == 'error: pod/q: The Pod "q" is invalid: spec: Forbidden: pod updates may not change fields other than'* ]]
        # a limit removed
        pod_yaml q NotRequired 100m 200m 32Mi 64Mi | sed 's/limits: {cpu: 200m, memory: 64Mi}/limits: {cpu: 200m}/' >"$BATS_TEST_TMPDIR/l.yaml"
        run -1 podctl apply -f "$BATS_TEST_TMPDIR/l.yaml"
        [ "$output" = 'error: pod/q: The Pod "q" is invalid: spec.containers[0].resources.limits: Forbidden: resource limits cannot be removed' ]
        [ "$(podctl get pod q -o json | jq -c .spec)" = "$before" ]
        [ "$(cpu_quota q)" = 20000 ]
        [ "$(mem_limit q)" = 67108864 ]
        [ "$(pid_of q c)" = "$pid" ]
}

@test "resize: a sidecar is resized in place; a non-sidecar init container is not" {
        f=$(manifest side <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: side
spec:
  terminationGracePeriodSeconds: 0
  initContainers:
  - {name: i, image: busybox, command: ["true"], resources: {requests: {cpu: 100m}, limits: {cpu: 200m}}}
  - {name: s, image: busybox, restartPolicy: Always, command: [sleep, "3600"], resources: {requests: {cpu: 100m}, limits: {cpu: 200m}}}
  containers:
  - {name: c, image: busybox, command: [sleep, "3600"], resources: {requests: {cpu: 100m}, limits: {cpu: 200m}}}
EOF
)
        podctl apply -f "$f"
        wait_for 20 container_running side c
        rel=$(podctl inspect pod side | jq -r .runtime.cgroup)
        if v2; then q=/sys/fs/cgroup/podctl/$rel/s/cpu.max; else q=/sys/fs/cgroup/cpu/podctl/$rel/s/cpu.cfs_quota_us; fi
        pid=$(pid_of side s)
        # (the Pod's quota is the sum of c's and s's: the resize fits under it)
        run -0 podctl resize side -c s --limits-cpu=300m
        [ "$(cut -d' ' -f1 "$q")" = 30000 ]
        [ "$(pid_of side s)" = "$pid" ]
        [ "$(jq_pod side '.status.initContainerStatuses[] | select(.name == "s") | .resources.limits.cpu')" = 300m ]
        run -1 podctl resize side -c i --limits-cpu=300m
        [ "$output" = 'error: The Pod "side" is invalid: spec.initContainers[0].resources: Forbidden: resources for non-sidecar init containers are immutable' ]
        [ "$(jq_pod side '.spec.initContainers[0].resources.limits.cpu')" = 200m ]
}

@test "resize: more cpu than the node has is Infeasible (PodResizePending, the kubelet's message), more than is free Deferred; nothing changes" {
        node_cpus 2
        podctl apply -f "$(pod_yaml inf NotRequired 100m 200m 32Mi 64Mi | manifest inf)"
        wait_for 20 container_running inf c
        pid=$(pid_of inf c)
        run -1 podctl resize inf -c c --cpu=3
        [ "$output" = "error: resize not applied (PodResizePending, reason Infeasible): Node didn't have enough capacity: cpu, requested: 3000, capacity: 2000" ]
        [ "$(condition inf PodResizePending)" = "True Infeasible Node didn't have enough capacity: cpu, requested: 3000, capacity: 2000" ]
        [ "$(jq_pod inf '.spec.containers[0].resources.limits.cpu')" = 200m ]
        [ "$(jq_pod inf '.status.containerStatuses[0].resources.limits.cpu')" = 200m ]
        [ "$(cpu_quota inf)" = 20000 ]
        [ "$(pid_of inf c)" = "$pid" ]
        # another Pod holds 1500m: 1 cpu fits the node, not beside it
        podctl apply -f "$(pod_yaml big NotRequired 1500m 1500m 32Mi 64Mi | manifest big)"
        run -1 podctl resize inf -c c --cpu=1
        [ "$output" = "error: resize not applied (PodResizePending, reason Deferred): Node didn't have enough resource: cpu, requested: 1000, used: 1500, capacity: 2000" ]
        [ "$(condition inf PodResizePending)" = "True Deferred Node didn't have enough resource: cpu, requested: 1000, used: 1500, capacity: 2000" ]
        [ "$(cpu_quota inf)" = 20000 ]
        # one that fits is applied and clears the condition
        run -0 podctl resize inf -c c --cpu=400m
        [ "$(cpu_quota inf)" = 40000 ]
        [ -z "$(condition inf PodResizePending)" ]
        [ "$(pid_of inf c)" = "$pid" ]
}

@test "apply: a file whose only change is cpu/memory resources resizes the running container in place" {
        podctl apply -f "$(pod_yaml ap NotRequired 100m 200m 32Mi 64Mi | manifest ap)"
        wait_for 20 container_running ap c
        pid=$(pid_of ap c)
        run -0 podctl apply -f "$(pod_yaml ap NotRequired 150m 400m 32Mi 96Mi | manifest ap2)"
        [ "$output" = "pod/ap configured" ]
        [ "$(cpu_quota ap)" = 40000 ]
        [ "$(cpu_shares ap)" = "$(shares_for 150)" ]
        [ "$(mem_limit ap)" = 100663296 ]
        [ "$(pid_of ap c)" = "$pid" ]
        [ "$(restart_count ap)" = 0 ]
        # applied again: unchanged
        run -0 podctl apply -f "$BATS_TEST_TMPDIR/ap2.yaml"
        [ "$output" = "pod/ap unchanged" ]
}

@test "resize: Pod-level spec.resources are not resized in place (1.34 alpha): refused with the reason" {
        plr() { # POD-LEVEL CPU LIMIT
                cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: plr
spec:
  terminationGracePeriodSeconds: 0
  resources: {limits: {cpu: $1, memory: 64Mi}}
  containers:
  - {name: c, image: busybox, command: [sleep, "3600"]}
EOF
        }
        podctl apply -f "$(plr 500m | manifest plr)"
        wait_for 20 container_running plr c
        run -1 podctl apply -f "$(plr 1 | manifest plr2)"
        [ "$output" = 'error: pod/plr: The Pod "plr" is invalid: spec.resources: Forbidden: podctl does not resize Pod-level resources in place (Kubernetes 1.34 alpha, InPlacePodLevelResourcesVerticalScaling): use replace --force' ]
        [ "$(jq_pod plr .spec.resources.limits.cpu)" = 500m ]
        [ "$(pod_quota plr)" = 50000 ]
}

@test "resizePolicy: bad values are refused at apply with the API server's messages" {
        f=$(manifest bad <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: bad
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    resizePolicy:
    - {resourceName: cpu, restartPolicy: RestartContainer}
    - {resourceName: cpu, restartPolicy: NotRequired}
    - {resourceName: gpu, restartPolicy: Sometimes}
EOF
)
        run -1 podctl apply -f "$f"
        [[ $output == *"spec.containers[0].resizePolicy[0].restartPolicy: Invalid value: \"RestartContainer\": must be 'NotRequired' when \`restartPolicy\` is 'Never'"* ]]
        [[ $output == *'spec.containers[0].resizePolicy[1].resourceName: Duplicate value: "cpu"'* ]]
        [[ $output == *'spec.containers[0].resizePolicy[2].resourceName: Unsupported value: "gpu": supported values: "cpu", "memory"'* ]]
        [[ $output == *'spec.containers[0].resizePolicy[2].restartPolicy: Unsupported value: "Sometimes": supported values: "NotRequired", "RestartContainer"'* ]]
        run podctl get pod bad
        [ "$status" -ne 0 ]
}
