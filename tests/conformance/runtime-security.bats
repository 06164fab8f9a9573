#!/usr/bin/env bats
# Node conformance: test/e2e/common/node/{runtime,security_context,sysctl}.go,
# one @test per Go test, named by its description string.

load helpers

setup_file() { conformance_setup_file; }
teardown_file() { common_teardown_file; }
teardown() { conformance_teardown; }

# ---- runtime.go --------------------------------------------------------------

# ConformanceContainer.Create: a Pod named after the container, the
# container, its restart policy and volumes.
restart_pod() { # NAME POLICY
        apply "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: $2
  containers:
  - name: $1
    image: $BUSYBOX
    command:
    - sh
    - -c
    - |
      f=/restart-count/restartCount
      count=\$(echo 'hello' >> \$f ; wc -l \$f | awk {'print \$1'})
      if [ \$count -eq 1 ]; then
      	exit 1
      fi
      if [ \$count -eq 2 ]; then
      	exit 0
      fi
      while true; do sleep 1; done
    volumeMounts:
    - {name: restart-count, mountPath: /restart-count}
  volumes:
  - name: restart-count
    emptyDir: {medium: Memory}
EOF
}
restart_count_is() { [ "$(ctr_status "$1" "$1" .restartCount)" = "$2" ]; }
ctr_state() { ctr_status "$1" "$1" '.state | keys[0]'; }

# Container Runtime blackbox test when starting a container that exits: "should run with the expected status [NodeConformance]"
@test "Container Runtime blackbox test when starting a container that exits should run with the expected status [NodeConformance]" {
        local c
        for c in "terminate-cmd-rpa Always Running running 2 true" \
                "terminate-cmd-rpof OnFailure Succeeded terminated 1 false" \
                "terminate-cmd-rpn Never Failed terminated 0 false"; do
                set -- $c
                restart_pod "$1" "$2"
                wait_for 60 restart_count_is "$1" "$5"
                wait_for 60 phase_is "$1" "$3"
                [ "$(ctr_status "$1" "$1" .ready)" = "$6" ]
                [ "$(ctr_state "$1")" = "$4" ]
                run -0 podctl delete pod "$1"
                run -1 podctl get pod "$1"
        done
}

# matchTerminationMessage: the container "termination-message-container"
# under Never reaches PHASE, terminated, with MESSAGE.
termination_pod() { # NAME FIELDS-YAML
        apply "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  containers:
  - name: termination-message-container
    image: $BUSYBOX
$2
EOF
}
termination_is() { # NAME PHASE MESSAGE
        wait_for 60 phase_is "$1" "$2"
        [ "$(ctr_status "$1" termination-message-container '.state | keys[0]')" = terminated ]
        [ "$(ctr_status "$1" termination-message-container '.state.terminated.message // ""')" = "$3" ]
}

# Container Runtime blackbox test on terminated container: "should report termination message if TerminationMessagePath is set [NodeConformance]"
@test "Container Runtime blackbox test on terminated container should report termination message if TerminationMessagePath is set [NodeConformance]" {
        termination_pod termination-1 '    command: ["/bin/sh", "-c"]
    args: ["/bin/echo -n DONE > /dev/termination-log"]
    terminationMessagePath: /dev/termination-log
    securityContext: {runAsUser: 0}'
        termination_is termination-1 Succeeded DONE
}

# Container Runtime blackbox test on terminated container: "should report termination message if TerminationMessagePath is set as non-root user and at a non-default path [NodeConformance]"
@test "Container Runtime blackbox test on terminated container should report termination message if TerminationMessagePath is set as non-root user and at a non-default path [NodeConformance]" {
        termination_pod termination-2 '    command: ["/bin/sh", "-c"]
    args: ["/bin/echo -n DONE > /dev/termination-custom-log"]
    terminationMessagePath: /dev/termination-custom-log
    securityContext: {runAsUser: 10000}'
        termination_is termination-2 Succeeded DONE
}

# Container Runtime blackbox test on terminated container: "should report termination message from log output if TerminationMessagePolicy FallbackToLogsOnError is set [NodeConformance]"
@test "Container Runtime blackbox test on terminated container should report termination message from log output if TerminationMessagePolicy FallbackToLogsOnError is set [NodeConformance]" {
        termination_pod termination-3 '    command: ["/bin/sh", "-c"]
    args: ["/bin/echo -n DONE; /bin/false"]
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: FallbackToLogsOnError'
        termination_is termination-3 Failed DONE
}

# Container Runtime blackbox test on terminated container: "should report termination message as empty when pod succeeds and TerminationMessagePolicy FallbackToLogsOnError is set [NodeConformance]"
@test "Container Runtime blackbox test on terminated container should report termination message as empty when pod succeeds and TerminationMessagePolicy FallbackToLogsOnError is set [NodeConformance]" {
        termination_pod termination-4 '    command: ["/bin/sh", "-c"]
    args: ["/bin/echo -n DONE; /bin/true"]
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: FallbackToLogsOnError'
        termination_is termination-4 Succeeded ""
}

# Container Runtime blackbox test on terminated container: "should report termination message from file when pod succeeds and TerminationMessagePolicy FallbackToLogsOnError is set [NodeConformance]"
@test "Container Runtime blackbox test on terminated container should report termination message from file when pod succeeds and TerminationMessagePolicy FallbackToLogsOnError is set [NodeConformance]" {
        termination_pod termination-5 '    command: ["/bin/sh", "-c"]
    args: ["/bin/echo -n OK > /dev/termination-log; /bin/echo DONE; /bin/true"]
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: FallbackToLogsOnError'
        termination_is termination-5 Succeeded OK
}

# ---- security_context.go -----------------------------------------------------

# makeUserPod: one container named after the Pod, Never.
user_pod() { # NAME IMAGE COMMAND-JSON SECURITYCONTEXT-YAML
        apply "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  containers:
  - name: $1
    image: $2
    command: $3
    securityContext: $4
EOF
}

# Security Context When creating a container with runAsUser: "should run the container with uid 65534 [LinuxOnly] [NodeConformance]"
@test "Security Context When creating a container with runAsUser should run the container with uid 65534 [LinuxOnly] [NodeConformance]" {
        user_pod busybox-user-65534 "$BUSYBOX" '["sh", "-c", "test $(id -u) -eq 65534"]' '{runAsUser: 65534}'
        wait_for 60 terminal busybox-user-65534
        [ "$(pod_phase busybox-user-65534)" = Succeeded ]
}

# Security Context When creating a container with runAsUser: "should run the container with uid 0 [LinuxOnly] [NodeConformance]"
@test "Security Context When creating a container with runAsUser should run the container with uid 0 [LinuxOnly] [NodeConformance]" {
        user_pod busybox-user-0 "$BUSYBOX" '["sh", "-c", "test $(id -u) -eq 0"]' '{runAsUser: 0}'
        wait_for 60 terminal busybox-user-0
        [ "$(pod_phase busybox-user-0)" = Succeeded ]
}

# Security Context When creating a pod with readOnlyRootFilesystem: "should run the container with readonly rootfs when readOnlyRootFilesystem=true [LinuxOnly] [NodeConformance]"
@test "Security Context When creating a pod with readOnlyRootFilesystem should run the container with readonly rootfs when readOnlyRootFilesystem=true [LinuxOnly] [NodeConformance]" {
        user_pod busybox-readonly-true "$BUSYBOX" '["sh", "-c", "touch checkfile"]' '{readOnlyRootFilesystem: true}'
        wait_for 60 terminal busybox-readonly-true
        [ "$(pod_phase busybox-readonly-true)" = Failed ]
}

# Security Context When creating a pod with readOnlyRootFilesystem: "should run the container with writable rootfs when readOnlyRootFilesystem=false [NodeConformance]"
@test "Security Context When creating a pod with readOnlyRootFilesystem should run the container with writable rootfs when readOnlyRootFilesystem=false [NodeConformance]" {
        user_pod busybox-readonly-false "$BUSYBOX" '["sh", "-c", "touch checkfile"]' '{readOnlyRootFilesystem: false}'
        wait_for 60 terminal busybox-readonly-false
        [ "$(pod_phase busybox-readonly-false)" = Succeeded ]
}

# Security Context When creating a pod with privileged: "should run the container as unprivileged when false [LinuxOnly] [NodeConformance]"
@test "Security Context When creating a pod with privileged should run the container as unprivileged when false [LinuxOnly] [NodeConformance]" {
        user_pod busybox-privileged-false "$BUSYBOX" '["sh", "-c", "ip link add dummy0 type dummy || true"]' '{privileged: false}'
        wait_for 60 terminal busybox-privileged-false
        [ "$(pod_phase busybox-privileged-false)" = Succeeded ]
        run -0 podctl logs busybox-privileged-false
        [[ "$output" == *"Operation not permitted"* ]]
}

# makeAllowPrivilegeEscalationPod: the nonewprivs image, runAsUser UID.
nnp_pod() { # NAME UID [ALLOW]
        apply "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  containers:
  - name: $1
    image: $NONEWPRIVS
    securityContext:
      runAsUser: $2
${3:+      allowPrivilegeEscalation: $3}
EOF
}
nnp_output_is() { # NAME OUTPUT: WaitForSuccess, then MatchContainerOutput
        wait_for 60 terminal "$1"
        [ "$(pod_phase "$1")" = Succeeded ]
        run -0 podctl logs "$1"
        [[ "$output" == *"$2"* ]]
}

# Security Context when creating containers with AllowPrivilegeEscalation: "should allow privilege escalation when not explicitly set and uid != 0 [LinuxOnly] [NodeConformance]"
@test "Security Context when creating containers with AllowPrivilegeEscalation should allow privilege escalation when not explicitly set and uid != 0 [LinuxOnly] [NodeConformance]" {
        nnp_pod alpine-nnp-nil 1000
        nnp_output_is alpine-nnp-nil "Effective uid: 0"
}

# Security Context when creating containers with AllowPrivilegeEscalation: "should not allow privilege escalation when false [LinuxOnly] [NodeConformance]"
@test "Security Context when creating containers with AllowPrivilegeEscalation should not allow privilege escalation when false [LinuxOnly] [NodeConformance]" {
        nnp_pod alpine-nnp-false 1000 false
        nnp_output_is alpine-nnp-false "Effective uid: 1000"
}

# Security Context when creating containers with AllowPrivilegeEscalation: "should allow privilege escalation when true [LinuxOnly] [NodeConformance]"
@test "Security Context when creating containers with AllowPrivilegeEscalation should allow privilege escalation when true [LinuxOnly] [NodeConformance]" {
        nnp_pod alpine-nnp-true 1000 true
        nnp_output_is alpine-nnp-true "Effective uid: 0"
}

# ---- sysctl.go ---------------------------------------------------------------

sysctl_pod() { # NAME SYSCTLS-YAML COMMAND-JSON
        apply "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  annotations: {}
spec:
  restartPolicy: Never
  securityContext:
    sysctls: $2
  containers:
  - name: test-container
    image: $BUSYBOX
    command: $3
EOF
}

# Sysctls [LinuxOnly] [NodeConformance]: "should support sysctls [MinimumKubeletVersion:1.21]"
@test "Sysctls [LinuxOnly] [NodeConformance] should support sysctls [MinimumKubeletVersion:1.21]" {
        sysctl_pod sysctl-1 '[{name: kernel.shm_rmid_forced, value: "1"}]' '["/bin/sysctl", "kernel.shm_rmid_forced"]'
        wait_for 60 terminal sysctl-1
        [ "$(pod_phase sysctl-1)" = Succeeded ]
        run -0 podctl logs sysctl-1
        [[ "$output" == *"kernel.shm_rmid_forced = 1"* ]]
}

# Sysctls [LinuxOnly] [NodeConformance]: "should support sysctls with slashes as separator [MinimumKubeletVersion:1.23]"
@test "Sysctls [LinuxOnly] [NodeConformance] should support sysctls with slashes as separator [MinimumKubeletVersion:1.23]" {
        sysctl_pod sysctl-2 '[{name: kernel/shm_rmid_forced, value: "1"}]' '["/bin/sysctl", "kernel/shm_rmid_forced"]'
        wait_for 60 terminal sysctl-2
        [ "$(pod_phase sysctl-2)" = Succeeded ]
        run -0 podctl logs sysctl-2
        [[ "$output" == *"kernel.shm_rmid_forced = 1"* ]]
}

# Sysctls [LinuxOnly] [NodeConformance]: "should reject invalid sysctls [MinimumKubeletVersion:1.21]"
@test "Sysctls [LinuxOnly] [NodeConformance] should reject invalid sysctls [MinimumKubeletVersion:1.21]" {
        f=$(manifest sysctl-3 <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: sysctl-3
  annotations: {}
spec:
  restartPolicy: Never
  securityContext:
    sysctls:
    - {name: foo-, value: bar}
    - {name: kernel.shmmax, value: "100000000"}
    - {name: safe-and-unsafe, value: "100000000"}
    - {name: bar.., value: "42"}
  containers:
  - name: test-container
    image: $BUSYBOX
EOF
)
        run -1 podctl apply -f "$f"
        [[ "$output" == *'Invalid value: "foo-"'* ]]
        [[ "$output" == *'Invalid value: "bar.."'* ]]
        [[ "$output" != *"safe-and-unsafe"* ]]
        [[ "$output" != *"kernel.shmmax"* ]]
}

# ---- privileged.go -------------------------------------------------------------

# PrivilegedPod [NodeConformance]: "should enable privileged commands [LinuxOnly]"
# Needs the kernel's dummy link type (CONFIG_DUMMY): skipped, visibly, on a
# host without it (tests/conformance/README.md).
@test "PrivilegedPod [NodeConformance] should enable privileged commands [LinuxOnly]" {
        if ! unshare -n ip link add probe0 type dummy 2>/dev/null; then
                skip "this kernel has no dummy link type (CONFIG_DUMMY): ip link add ... type dummy fails even privileged"
        fi
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: privileged-pod
spec:
  containers:
  - name: privileged-container
    image: $BUSYBOX
    imagePullPolicy: IfNotPresent
    securityContext: {privileged: true}
    command: [/bin/sleep, "10000"]
  - name: not-privileged-container
    image: $BUSYBOX
    imagePullPolicy: IfNotPresent
    securityContext: {privileged: false}
    command: [/bin/sleep, "10000"]
EOF
        wait_for 30 container_running privileged-pod not-privileged-container
        wait_for 30 container_running privileged-pod privileged-container
        run -0 podctl exec privileged-pod -c privileged-container -- ip link add dummy1 type dummy
        run -0 podctl exec privileged-pod -c privileged-container -- ip link del dummy1
        run ! podctl exec privileged-pod -c not-privileged-container -- ip link add dummy1 type dummy
        [[ "$output" == *"Operation not permitted"* ]]
}
