#!/usr/bin/env bats
# Node conformance: test/e2e/common/node/{containers,expansion,configmap,
# secrets,downwardapi,kubelet,kubelet_etc_hosts,init_container}.go, one
# @test per Go test, named by its description string; manifests keep the Go
# test's fields (e2e images are local stand-ins, helpers.bash).

load helpers

setup_file() { conformance_setup_file; }
teardown_file() { common_teardown_file; }
teardown() { conformance_teardown; }

# ---- containers.go ---------------------------------------------------------

# entrypointTestPod: NewAgnhostPod, terminationGracePeriodSeconds 1, Never.
entrypoint_pod() { # NAME COMMAND-YAML ARGS-YAML
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 1
  restartPolicy: Never
  containers:
  - name: agnhost-container
    image: $AGNHOST
$2
$3
EOF
}

# Containers: "should use the image defaults if command and args are blank [NodeConformance]"
@test "Containers should use the image defaults if command and args are blank [NodeConformance]" {
        entrypoint_pod client-containers-1 "" ""
        wait_for 30 container_running client-containers-1 agnhost-container
        wait_for 3 sh -c "'$PODCTL' logs client-containers-1 | grep -q Paused"
}

# Containers: "should be able to override the image's default arguments (container cmd) [NodeConformance]"
@test "Containers should be able to override the image's default arguments (container cmd) [NodeConformance]" {
        entrypoint_pod client-containers-2 "" "    args: [entrypoint-tester, override, arguments]"
        expect_output client-containers-2 agnhost-container "[/agnhost entrypoint-tester override arguments]"
}

# Containers: "should be able to override the image's default command (container entrypoint) [NodeConformance]"
@test "Containers should be able to override the image's default command (container entrypoint) [NodeConformance]" {
        entrypoint_pod client-containers-3 "    command: [/agnhost-2]" "    args: [entrypoint-tester]"
        expect_output client-containers-3 agnhost-container "[/agnhost-2 entrypoint-tester]"
}

# Containers: "should be able to override the image's default command and arguments [NodeConformance]"
@test "Containers should be able to override the image's default command and arguments [NodeConformance]" {
        entrypoint_pod client-containers-4 "    command: [/agnhost-2]" "    args: [entrypoint-tester, override, arguments]"
        expect_output client-containers-4 agnhost-container "[/agnhost-2 entrypoint-tester override arguments]"
}

# ---- expansion.go ----------------------------------------------------------

# newPod: container dapi-container (busybox), Never, label name.
expansion_pod() { # NAME CONTAINER-FIELDS-YAML
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels: {name: $1}
spec:
  restartPolicy: Never
  containers:
  - name: dapi-container
    image: $BUSYBOX
$2
EOF
}

# Variable Expansion: "should allow composing env vars into new env vars [NodeConformance]"
@test "Variable Expansion should allow composing env vars into new env vars [NodeConformance]" {
        expansion_pod var-expansion-1 '    command: ["sh", "-c", "env"]
    env:
    - {name: FOO, value: foo-value}
    - {name: BAR, value: bar-value}
    - {name: FOOBAR, value: "$(FOO);;$(BAR)"}'
        expect_output var-expansion-1 dapi-container "FOO=foo-value" "BAR=bar-value" "FOOBAR=foo-value;;bar-value"
}

# Variable Expansion: "should allow substituting values in a container's command [NodeConformance]"
@test "Variable Expansion should allow substituting values in a container's command [NodeConformance]" {
        expansion_pod var-expansion-2 '    command: ["sh", "-c", "TEST_VAR=wrong echo \"$(TEST_VAR)\""]
    env:
    - {name: TEST_VAR, value: test-value}'
        expect_output var-expansion-2 dapi-container "test-value"
}

# Variable Expansion: "should allow substituting values in a container's args [NodeConformance]"
@test "Variable Expansion should allow substituting values in a container's args [NodeConformance]" {
        expansion_pod var-expansion-3 '    command: ["sh", "-c"]
    args: ["TEST_VAR=wrong echo \"$(TEST_VAR)\""]
    env:
    - {name: TEST_VAR, value: test-value}'
        expect_output var-expansion-3 dapi-container "test-value"
}

# ---- configmap.go ----------------------------------------------------------

configmap() { # NAME
        apply "cm-$1" <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: $1
data:
  data-1: value-1
  data-2: value-2
  data-3: value-3
EOF
}

# ConfigMap: "should be consumable via environment variable [NodeConformance]"
@test "ConfigMap should be consumable via environment variable [NodeConformance]" {
        configmap configmap-test-1
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod-configmaps-1
spec:
  restartPolicy: Never
  containers:
  - name: env-test
    image: $BUSYBOX
    command: ["sh", "-c", "env"]
    env:
    - name: CONFIG_DATA_1
      valueFrom:
        configMapKeyRef: {name: configmap-test-1, key: data-1}
EOF
        expect_output pod-configmaps-1 env-test "CONFIG_DATA_1=value-1"
}

# ConfigMap: "should be consumable via the environment [NodeConformance]"
# Adapted: command ["env"] for ["sh", "-c", "env"]: Debian's busybox 1.35 ash
# drops variables whose names are not shell identifiers (data-1) from the
# environment of its children; the e2e image's busybox 1.36 keeps them.
@test "ConfigMap should be consumable via the environment [NodeConformance]" {
        configmap configmap-test-2
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod-configmaps-2
spec:
  restartPolicy: Never
  containers:
  - name: env-test
    image: $BUSYBOX
    command: ["env"]
    envFrom:
    - configMapRef: {name: configmap-test-2}
    - prefix: p-
      configMapRef: {name: configmap-test-2}
EOF
        expect_output pod-configmaps-2 env-test "data-1=value-1" "data-2=value-2" "data-3=value-3" \
                "p-data-1=value-1" "p-data-2=value-2" "p-data-3=value-3"
}

# ConfigMap: "should fail to create ConfigMap with empty key"
@test "ConfigMap should fail to create ConfigMap with empty key" {
        f=$(manifest empty-key <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: configmap-test-emptykey
data:
  "": value-1
EOF
)
        run -1 podctl apply -f "$f"
        [[ "$output" == *"data"* ]]
}

# ---- secrets.go ------------------------------------------------------------

secret() { # NAME: secretForTest, data-N = "value-N\n"
        apply "secret-$1" <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: $1
data:
  data-1: dmFsdWUtMQo=
  data-2: dmFsdWUtMgo=
  data-3: dmFsdWUtMwo=
EOF
}

# Secrets: "should be consumable from pods in env vars [NodeConformance]"
@test "Secrets should be consumable from pods in env vars [NodeConformance]" {
        secret secret-test-1
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod-secrets-1
spec:
  restartPolicy: Never
  containers:
  - name: secret-env-test
    image: $BUSYBOX
    command: ["sh", "-c", "env"]
    env:
    - name: SECRET_DATA
      valueFrom:
        secretKeyRef: {name: secret-test-1, key: data-1}
EOF
        expect_output pod-secrets-1 secret-env-test "SECRET_DATA=value-1"
}

# Secrets: "should be consumable via the environment [NodeConformance]"
# Adapted: command ["env"], as for the ConfigMap case above.
@test "Secrets should be consumable via the environment [NodeConformance]" {
        secret secret-test-2
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod-configmaps-3
spec:
  restartPolicy: Never
  containers:
  - name: env-test
    image: $BUSYBOX
    command: ["env"]
    envFrom:
    - secretRef: {name: secret-test-2}
    - prefix: p-
      secretRef: {name: secret-test-2}
EOF
        expect_output pod-configmaps-3 env-test "data-1=value-1" "data-2=value-2" "data-3=value-3" \
                "p-data-1=value-1" "p-data-2=value-2" "p-data-3=value-3"
}

# Secrets: "should fail to create secret due to empty secret key"
@test "Secrets should fail to create secret due to empty secret key" {
        f=$(manifest empty-key <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: secret-emptykey-test
data:
  "": dmFsdWUtMQo=
EOF
)
        run -1 podctl apply -f "$f"
        [[ "$output" == *"data"* ]]
}

# ---- downwardapi.go --------------------------------------------------------

# testDownwardAPI: dapi-container with requests 250m/32Mi, limits 1250m/64Mi.
downward_pod() { # NAME ENV-YAML
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels: {name: $1}
spec:
  restartPolicy: Never
  containers:
  - name: dapi-container
    image: $BUSYBOX
    command: ["sh", "-c", "env"]
    resources:
      requests: {cpu: 250m, memory: 32Mi}
      limits: {cpu: 1250m, memory: 64Mi}
    env:
$2
EOF
}

IPV4='((25[0-5]|(2[0-4]|1[0-9]|[1-9]|)[0-9])\.){3}(25[0-5]|(2[0-4]|1[0-9]|[1-9]|)[0-9])'

# Downward API: "should provide pod name, namespace and IP address as env vars [NodeConformance]"
@test "Downward API should provide pod name, namespace and IP address as env vars [NodeConformance]" {
        downward_pod downward-api-1 '    - name: POD_NAME
      valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.name}}
    - name: POD_NAMESPACE
      valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.namespace}}
    - name: POD_IP
      valueFrom: {fieldRef: {apiVersion: v1, fieldPath: status.podIP}}'
        expect_output_regexp downward-api-1 dapi-container "POD_NAME=downward-api-1" \
                "POD_NAMESPACE=default" "POD_IP=$IPV4"
}

# Downward API: "should provide host IP as an env var [NodeConformance]"
@test "Downward API should provide host IP as an env var [NodeConformance]" {
        downward_pod downward-api-2 '    - name: HOST_IP
      valueFrom: {fieldRef: {apiVersion: v1, fieldPath: status.hostIP}}'
        expect_output_regexp downward-api-2 dapi-container "HOST_IP=$IPV4"
}

# Downward API: "should provide pod UID as env vars [NodeConformance]"
@test "Downward API should provide pod UID as env vars [NodeConformance]" {
        downward_pod downward-api-3 '    - name: POD_UID
      valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.uid}}'
        expect_output_regexp downward-api-3 dapi-container \
                "POD_UID=[a-z0-9]{8}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{12}"
}

# ---- kubelet.go --------------------------------------------------------------

logs_are() { [ "$(podctl logs "$1" "${@:3}")" = "$2" ]; } # POD EXPECTED [ARGS]

# Kubelet when scheduling a busybox command in a pod: "should print the output to logs [NodeConformance]"
# (The Go test reads the logs with sinceTime an hour ago; podctl logs has no
# --since-time, and the whole log is the same here.)
@test "Kubelet when scheduling a busybox command in a pod should print the output to logs [NodeConformance]" {
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: busybox-scheduling-1
spec:
  restartPolicy: Never
  containers:
  - name: busybox-scheduling-1
    image: $BUSYBOX
    command: ["sh", "-c", "echo 'Hello World' ; sleep 240"]
EOF
        wait_for 30 container_running busybox-scheduling-1 busybox-scheduling-1
        wait_for 10 logs_are busybox-scheduling-1 "Hello World"
}

binfalse_pod() {
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: bin-false
spec:
  restartPolicy: Never
  containers:
  - name: bin-false
    image: $BUSYBOX
    command: ["/bin/false"]
EOF
}

# Kubelet when scheduling a busybox command that always fails in a pod: "should have an terminated reason [NodeConformance]"
@test "Kubelet when scheduling a busybox command that always fails in a pod should have an terminated reason [NodeConformance]" {
        binfalse_pod
        wait_for 30 terminal bin-false
        [ "$(jq_pod bin-false '.status.containerStatuses | length')" = 1 ]
        [ "$(ctr_status bin-false bin-false '.state.terminated.exitCode')" != 0 ]
        [ -n "$(ctr_status bin-false bin-false '.state.terminated.reason // empty')" ]
}

# Kubelet when scheduling a busybox command that always fails in a pod: "should be possible to delete [NodeConformance]"
@test "Kubelet when scheduling a busybox command that always fails in a pod should be possible to delete [NodeConformance]" {
        binfalse_pod
        run -0 podctl delete pod bin-false
        run -1 podctl get pod bin-false
        [[ "$output" == *'not found'* ]]
}

# Kubelet when scheduling an agnhost Pod with hostAliases: "should write entries to /etc/hosts [NodeConformance]"
@test "Kubelet when scheduling an agnhost Pod with hostAliases should write entries to /etc/hosts [NodeConformance]" {
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: agnhost-host-aliases
spec:
  restartPolicy: Never
  hostAliases:
  - ip: 123.45.67.89
    hostnames: [foo, bar]
  containers:
  - name: agnhost-container
    image: $AGNHOST
    args: [etc-hosts]
EOF
        wait_for 30 terminal agnhost-host-aliases
        run -0 podctl logs agnhost-host-aliases
        [[ "$output" == *"$(printf '123.45.67.89\tfoo\tbar')"* ]]
}

# Kubelet when scheduling a read only busybox container: "should not write to root filesystem [LinuxOnly] [NodeConformance]"
@test "Kubelet when scheduling a read only busybox container should not write to root filesystem [LinuxOnly] [NodeConformance]" {
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: busybox-readonly-fs
spec:
  restartPolicy: Never
  containers:
  - name: busybox-readonly-fs
    image: $BUSYBOX
    command: ["/bin/sh", "-c", "echo test > /file; sleep 240"]
    securityContext:
      readOnlyRootFilesystem: true
EOF
        wait_for 30 container_running busybox-readonly-fs busybox-readonly-fs
        wait_for 10 logs_are busybox-readonly-fs "/bin/sh: can't create /file: Read-only file system"
}

# ---- kubelet_etc_hosts.go ----------------------------------------------------

# Is /etc/hosts of POD's CONTAINER kubelet-managed (assertManagedStatus)?
# 0 yes, 1 no, 2 a file is empty.
etc_hosts_managed() {
        local hosts orig
        hosts=$(podctl exec "$1" -c "$2" -- cat /etc/hosts)
        orig=$(podctl exec "$1" -c "$2" -- cat /etc/hosts-original)
        [ -n "$hosts" ] || return 2
        [ -n "$orig" ] || return 2
        [[ $hosts == "# Kubernetes-managed hosts file."* ]] || return 1
        [ "$hosts" != "$orig" ]
}

# KubeletManagedEtcHosts: "should test kubelet managed /etc/hosts file [NodeConformance]"
@test "KubeletManagedEtcHosts should test kubelet managed /etc/hosts file [NodeConformance]" {
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: test-pod
spec:
  containers:
  - name: busybox-1
    image: $AGNHOST
    volumeMounts: [{name: host-etc-hosts, mountPath: /etc/hosts-original}]
  - name: busybox-2
    image: $AGNHOST
    volumeMounts: [{name: host-etc-hosts, mountPath: /etc/hosts-original}]
  - name: busybox-3
    image: $AGNHOST
    volumeMounts:
    - {name: host-etc-hosts, mountPath: /etc/hosts-original}
    - {name: host-etc-hosts, mountPath: /etc/hosts}
  volumes:
  - name: host-etc-hosts
    hostPath: {path: /etc/hosts, type: FileOrCreate}
---
apiVersion: v1
kind: Pod
metadata:
  name: test-host-network-pod
spec:
  hostNetwork: true
  securityContext: {}
  containers:
  - name: busybox-1
    image: $AGNHOST
    volumeMounts: [{name: host-etc-hosts, mountPath: /etc/hosts-original}]
  - name: busybox-2
    image: $AGNHOST
    volumeMounts: [{name: host-etc-hosts, mountPath: /etc/hosts-original}]
  volumes:
  - name: host-etc-hosts
    hostPath: {path: /etc/hosts, type: FileOrCreate}
EOF
        wait_for 30 container_running test-pod busybox-3
        wait_for 30 container_running test-host-network-pod busybox-2
        run -0 etc_hosts_managed test-pod busybox-1
        run -0 etc_hosts_managed test-pod busybox-2
        run -1 etc_hosts_managed test-pod busybox-3
        run -1 etc_hosts_managed test-host-network-pod busybox-1
        run -1 etc_hosts_managed test-host-network-pod busybox-2
}

# ---- init_container.go -------------------------------------------------------

init_pod() { # NAME RESTARTPOLICY INIT1-CMD INIT2-CMD RUN1-YAML
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels: {name: foo, time: "$(date +%N)"}
spec:
  restartPolicy: $2
  initContainers:
  - name: init1
    image: $BUSYBOX
    command: ["$3"]
  - name: init2
    image: $BUSYBOX
    command: ["$4"]
  containers:
  - name: run1
$5
EOF
}
init_st() { jq_pod "$1" ".status.initContainerStatuses[$2] | $3"; }
init_cond() { jq_pod "$1" ".status.conditions[] | select(.type==\"Initialized\") | .$2"; }
# Both init containers exited 0 and are ready.
inits_done_ready() {
        [ "$(jq_pod "$1" '[.status.initContainerStatuses[] | select(.ready and .state.terminated.exitCode == 0)] | length')" = 2 ]
}
# Every app container waits with reason PodInitializing.
app_waiting_initializing() {
        [ "$(jq_pod "$1" '[.status.containerStatuses[] | select(.state.waiting.reason != "PodInitializing")] | length')" = 0 ]
}

# InitContainer: "should invoke init containers on a RestartNever pod"
@test "InitContainer [NodeConformance] should invoke init containers on a RestartNever pod" {
        init_pod pod-init-1 Never /bin/true /bin/true "    image: $BUSYBOX
    command: [/bin/true]"
        wait_for 30 terminal pod-init-1
        [ "$(pod_phase pod-init-1)" = Succeeded ]
        [ "$(init_cond pod-init-1 status)" = True ]
        [ "$(jq_pod pod-init-1 '.status.initContainerStatuses | length')" = 2 ]
        inits_done_ready pod-init-1
}

# InitContainer: "should invoke init containers on a RestartAlways pod"
@test "InitContainer [NodeConformance] should invoke init containers on a RestartAlways pod" {
        init_pod pod-init-2 Always /bin/true /bin/true "    image: $PAUSE
    resources:
      limits: {cpu: 100m}"
        wait_for 30 phase_is pod-init-2 Running
        [ "$(init_cond pod-init-2 status)" = True ]
        [ "$(jq_pod pod-init-2 '.status.initContainerStatuses | length')" = 2 ]
        inits_done_ready pod-init-2
}

# The watch conditions of the Go test: 2 while an invariant is broken (an app
# container or init2 not waiting with PodInitializing, init1 exited 0), 1
# until init1 has restarted 3 times, then 0.
init1_restarted() {
        app_waiting_initializing "$1" || return 2
        [ "$(init_st "$1" 1 .state.waiting.reason)" = PodInitializing ] || return 2
        [ "$(init_st "$1" 0 .state.terminated.exitCode)" != 0 ] || return 2
        [ "$(init_st "$1" 0 .restartCount)" -ge 3 ]
}

# InitContainer: "should not start app containers if init containers fail on a RestartAlways pod"
@test "InitContainer [NodeConformance] should not start app containers if init containers fail on a RestartAlways pod" {
        init_pod pod-init-3 Always /bin/false /bin/true "    image: $PAUSE
    resources:
      limits: {cpu: 100m}"
        local end=$((SECONDS + 60)) r=1
        while [ $SECONDS -lt $end ]; do
                r=0
                init1_restarted pod-init-3 || r=$?
                [ "$r" = 1 ] || break
                sleep 0.1
        done
        [ "$r" = 0 ]
        [ "$(pod_phase pod-init-3)" = Pending ]
        [ "$(init_cond pod-init-3 status)" = False ]
        [ "$(init_cond pod-init-3 reason)" = ContainersNotInitialized ]
        [ "$(init_cond pod-init-3 message)" = "containers with incomplete status: [init1 init2]" ]
        [ "$(jq_pod pod-init-3 '.status.initContainerStatuses | length')" = 2 ]
}

# InitContainer: "should not start app containers and fail the pod if init containers fail on a RestartNever pod"
@test "InitContainer [NodeConformance] should not start app containers and fail the pod if init containers fail on a RestartNever pod" {
        init_pod pod-init-4 Never /bin/true /bin/false "    image: $BUSYBOX
    command: [/bin/true]
    resources:
      limits: {cpu: 100m}"
        wait_for 30 terminal pod-init-4
        app_waiting_initializing pod-init-4
        [ "$(init_st pod-init-4 0 .state.terminated.exitCode)" = 0 ]
        [ "$(init_st pod-init-4 1 .state.terminated.exitCode)" != 0 ]
        [ "$(pod_phase pod-init-4)" = Failed ]
        [ "$(init_cond pod-init-4 status)" = False ]
        [ "$(init_cond pod-init-4 reason)" = ContainersNotInitialized ]
        [ "$(init_cond pod-init-4 message)" = "containers with incomplete status: [init2]" ]
        [ "$(jq_pod pod-init-4 '.status.initContainerStatuses | length')" = 2 ]
        [ "$(jq_pod pod-init-4 '.status.containerStatuses[0].state | has("waiting")')" = true ]
}
