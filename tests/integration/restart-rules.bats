#!/usr/bin/env bats
# Container restart rules (Kubernetes 1.35, KEP-5307 and KEP-5532): a
# container's own restartPolicy over the Pod's, restartPolicyRules matched on
# the exit code (Restart, RestartAllContainers), as the kubelet applies them.
bats_require_minimum_version 1.5.0
load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
teardown() { delete_all_pods; }

# the status of container C (app or init) of POD, through jq filter F
ctr() { jq_pod "$1" "[.status.initContainerStatuses[]?, .status.containerStatuses[]] | map(select(.name == \"$2\"))[0] | $3"; }
marks() { echo "$PODCTL_ROOT/pods/default_$1/volumes/m"; }

@test "restartPolicy Never with a rule: exit 42 restarts the container in place, another exit code ends the Pod" {
        f=$(manifest rules <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: rules}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  volumes: [{name: m, emptyDir: {}}]
  containers:
  - name: c
    image: busybox
    volumeMounts: [{name: m, mountPath: /m}]
    command: [sh, -c, 'echo run >>/m/runs; [ "$(wc -l </m/runs)" -ge 3 ] && exit 7; exit 42']
    restartPolicy: Never
    restartPolicyRules:
    - action: Restart
      exitCodes: {operator: In, values: [42]}
EOF
)
        run -0 podctl apply -f "$f"
        wait_for 60 phase_is rules Failed
        # runs 1 and 2 exit 42 (restarted), run 3 exits 7: no rule, Never
        [ "$(ctr rules c .restartCount)" = 2 ]
        [ "$(ctr rules c .state.terminated.exitCode)" = 7 ]
        [ "$(ctr rules c .lastState.terminated.exitCode)" = 42 ]
}

@test "operator NotIn: every exit code but the listed ones restarts; a listed one (0) completes the Pod" {
        f=$(manifest notin <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: notin}
spec:
  restartPolicy: Never
  volumes: [{name: m, emptyDir: {}}]
  containers:
  - name: c
    image: busybox
    volumeMounts: [{name: m, mountPath: /m}]
    command: [sh, -c, 'echo run >>/m/runs; [ "$(wc -l </m/runs)" -ge 2 ] && exit 0; exit 1']
    restartPolicy: Never
    restartPolicyRules:
    - action: Restart
      exitCodes: {operator: NotIn, values: [0]}
EOF
)
        run -0 podctl apply -f "$f"
        wait_for 60 phase_is notin Succeeded
        [ "$(ctr notin c .restartCount)" = 1 ]
        [ "$(ctr notin c .lastState.terminated.exitCode)" = 1 ]
}

# pod-lifecycle.md's on-failure-pod, its sleeps shortened
@test "a container's restartPolicy overrides the Pod's: the try-once container is not restarted, its sibling is" {
        f=$(manifest on-failure-pod <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: on-failure-pod
spec:
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 0
  containers:
  - name: try-once-container    # This container will run only once because the restartPolicy is Never.
    image: docker.io/library/busybox:1.28
    command: ['sh', '-c', 'echo "Only running once" && exit 1']
    restartPolicy: Never
  - name: on-failure-container  # This container will be restarted on failure.
    image: docker.io/library/busybox:1.28
    command: ['sh', '-c', 'echo "Keep restarting" && sleep 1 && exit 1']
EOF
)
        podctl image load -i "$PODCTL_TEST_FIXTURES/busybox-oci" --name docker.io/library/busybox:1.28 >/dev/null
        run -0 podctl apply -f "$f"
        restarted_twice() { [ "$(ctr on-failure-pod on-failure-container .restartCount)" -ge 1 ]; }
        wait_for 30 restarted_twice
        [ "$(ctr on-failure-pod try-once-container .restartCount)" = 0 ]
        [ "$(ctr on-failure-pod try-once-container .state.terminated.exitCode)" = 1 ]
        [ "$(pod_phase on-failure-pod)" = Running ]
        # logs -f of the try-once container ends: it runs no more
        run -0 timeout 10 "$PODCTL" logs -f on-failure-pod -c try-once-container
        [ "$output" = "Only running once" ]
}

# pod-lifecycle.md's fail-pod-if-init-fails, its sleeps shortened
@test "an init container with restartPolicy Never fails the Pod although the Pod's restartPolicy is Always" {
        f=$(manifest fail-pod-if-init-fails <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: fail-pod-if-init-fails
spec:
  restartPolicy: Always
  initContainers:
  - name: init-once      # This init container will only try once. If it fails, the pod will fail.
    image: busybox
    command: ['sh', '-c', 'echo "Failing initialization" && exit 1']
    restartPolicy: Never
  containers:
  - name: main-container # This container will always be restarted once initialization succeeds.
    image: busybox
    command: ['sh', '-c', 'sleep 1800 && exit 0']
EOF
)
        run -0 podctl apply -f "$f"
        wait_for 30 phase_is fail-pod-if-init-fails Failed
        [ "$(ctr fail-pod-if-init-fails init-once .restartCount)" = 0 ]
        [ "$(ctr fail-pod-if-init-fails main-container '.state.running // empty')" = "" ]
}

@test "RestartAllContainers: an exit code runs every container again from the first init container, in the same sandbox" {
        f=$(manifest all <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: all}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 30
  volumes: [{name: m, emptyDir: {}}]
  initContainers:
  - name: setup
    image: busybox
    volumeMounts: [{name: m, mountPath: /m}]
    command: [sh, -c, 'echo setup >>/m/runs']
  - name: watcher
    image: busybox
    restartPolicy: Always
    volumeMounts: [{name: m, mountPath: /m}]
    command: [sh, -c, 'echo watcher >>/m/runs; while ! [ -e /m/trigger ]; do sleep 0.1; done; rm /m/trigger; exit 88']
    lifecycle:
      preStop: {exec: {command: [sh, -c, 'echo prestop >>/m/runs']}}
    restartPolicyRules:
    - action: RestartAllContainers
      exitCodes: {operator: In, values: [88]}
  containers:
  - name: main
    image: busybox
    volumeMounts: [{name: m, mountPath: /m}]
    command: [sh, -c, 'echo main >>/m/runs; exec sleep 3600']
EOF
)
        run -0 podctl apply -f "$f"
        wait_for 30 container_running all main
        local pause ip
        pause=$(pause_pid all)
        ip=$(jq_pod all .status.podIP)
        touch "$(marks all)/trigger"
        main_again() { [ "$(ctr all main .restartCount)" = 1 ] && [ "$(ctr all main '.state.running != null')" = true ]; }
        wait_for 30 main_again
        # the whole startup again, in order; no preStop hook ran
        run cat "$(marks all)/runs"
        [ "$output" = $'setup\nwatcher\nmain\nsetup\nwatcher\nmain' ]
        [ "$(ctr all setup .restartCount)" = 1 ]
        [ "$(ctr all watcher .restartCount)" = 1 ]
        [ "$(ctr all watcher .lastState.terminated.exitCode)" = 88 ]
        [ "$(ctr all main .lastState.terminated.exitCode)" = 137 ]
        # the sandbox stays: same pause process, same IP
        [ "$(pause_pid all)" = "$pause" ]
        [ "$(jq_pod all .status.podIP)" = "$ip" ]
        [ "$(pod_phase all)" = Running ]
        [ "$(jq_pod all '.status.conditions[] | select(.type == "AllContainersRestarting") | .status')" = False ]
        [ "$(jq_pod all '.status.conditions[] | select(.type == "Initialized") | .status')" = True ]
        run -0 podctl describe pod all
        [[ $output == *"RestartingAllContainers"*"Container watcher exited with code 88"* ]]
}

@test "RestartAllContainers from an app container under restartPolicy Never: a Pod that would have failed runs again, init container first" {
        f=$(manifest again <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: again}
spec:
  restartPolicy: Never
  volumes: [{name: m, emptyDir: {}}]
  initContainers:
  - name: i
    image: busybox
    volumeMounts: [{name: m, mountPath: /m}]
    command: [sh, -c, 'echo i >>/m/runs']
  containers:
  - name: a
    image: busybox
    volumeMounts: [{name: m, mountPath: /m}]
    command: [sh, -c, 'echo a >>/m/runs; [ "$(grep -c a /m/runs)" -ge 2 ] && exec sleep 3600; exit 5']
    restartPolicy: Never
    restartPolicyRules:
    - action: RestartAllContainers
      exitCodes: {operator: In, values: [5]}
EOF
)
        run -0 podctl apply -f "$f"
        a_again() { [ "$(ctr again a '.restartCount == 1 and .state.running != null')" = true ]; }
        wait_for 30 a_again
        [ "$(pod_phase again)" = Running ]
        run cat "$(marks again)/runs"
        [ "$output" = $'i\na\ni\na' ]
        [ "$(ctr again a .restartCount)" = 1 ]
        [ "$(ctr again a .lastState.terminated.exitCode)" = 5 ]
        [ "$(ctr again i .restartCount)" = 1 ]
}

@test "restart rules are validated as the API server validates them" {
        bad() {
                f=$(manifest bad <<EOF
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  $1:
  - name: c
    image: busybox
$2
EOF
)
                run ! podctl apply -f "$f"
                echo "$output"
                [[ $output == *"$3"* ]]
                run ! podctl get pod bad
        }
        bad containers "    restartPolicyRules: [{action: Restart, exitCodes: {operator: In, values: [1]}}]" \
                "spec.containers[0].restartPolicyRules: Required value: must specify restartPolicy when restart rules are used"
        bad containers "    restartPolicy: Sometimes" \
                'spec.containers[0].restartPolicy: Unsupported value: "Sometimes"'
        bad containers "    restartPolicy: Never
    restartPolicyRules: [{action: Restart, exitCodes: {operator: Is, values: [1]}}]" \
                'spec.containers[0].restartPolicyRules[0].exitCodes.operator: Unsupported value: "Is"'
        bad containers "    restartPolicy: Never
    restartPolicyRules: [{action: Restart}]" \
                "spec.containers[0].restartPolicyRules[0].exitCodes: Required value"
        bad containers "    restartPolicy: Never
    restartPolicyRules: [{action: Reboot, exitCodes: {operator: In, values: [1]}}]" \
                'spec.containers[0].restartPolicyRules[0].action: Unsupported value: "Reboot"'
        bad containers "    restartPolicy: Never
    restartPolicyRules: [{action: Restart, exitCodes: {operator: In, values: [1, 2, 1]}}]" \
                "spec.containers[0].restartPolicyRules[0].exitCodes.values[2]: Duplicate value: 1"
        bad containers "    restartPolicy: Never
    restartPolicyRules: [{action: Restart, exitCodes: {operator: In, values: [\"1\"]}}]" \
                "spec.containers[0].restartPolicyRules[0].exitCodes.values[0]: Invalid value"
        bad initContainers "    restartPolicy: Always
    restartPolicyRules: [{action: Restart, exitCodes: {operator: In, values: [1]}}]" \
                "spec.initContainers[0].restartPolicyRules[0].action: Forbidden: a sidecar container"
        local many
        many=$(printf '{action: Restart, exitCodes: {operator: In, values: [%d]}}, ' $(seq 21))
        bad containers "    restartPolicy: Never
    restartPolicyRules: [${many%, }]" \
                "spec.containers[0].restartPolicyRules: Too many: 21: must have at most 20 items"
        many=$(seq -s, 256)
        bad containers "    restartPolicy: Never
    restartPolicyRules: [{action: Restart, exitCodes: {operator: In, values: [$many]}}]" \
                "spec.containers[0].restartPolicyRules[0].exitCodes.values: Too many: 256: must have at most 255 items"
}
