#!/usr/bin/env bats
# Issue 16 §2: no field parsed and dropped. Every field of the v1 Pod API is
# applied, refused with its path and a reason, or (scheduling and API
# server bookkeeping only) warned about (docs/FIELDS.md, generated from the
# validator's schema; tests/unit/test_spec_fields.c checks they agree).

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
teardown() { delete_all_pods; }

cond_is() { # POD TYPE FIELD VALUE
        [ "$(jq_pod "$1" ".status.conditions[] | select(.type==\"$2\") | .$3 // \"\"")" = "$4" ]
}
waiting_reason_is() { # POD CONTAINER REASON
        [ "$(jq_pod "$1" ".status.containerStatuses[] | select(.name==\"$2\") | .state.waiting.reason")" = "$3" ]
}

@test "subPathExpr: the documentation's \$(POD_NAME) example writes into the Pod's own directory" {
        d="$BATS_TEST_TMPDIR/pods"
        mkdir -p "$d"
        f=$(manifest <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod1
spec:
  containers:
  - name: container1
    env:
    - name: POD_NAME
      valueFrom:
        fieldRef:
          apiVersion: v1
          fieldPath: metadata.name
    image: busybox
    command: [ "sh", "-c", "while [ true ]; do echo 'Hello'; sleep 10; done | tee -a /logs/hello.txt" ]
    volumeMounts:
    - name: workdir1
      mountPath: /logs
      # The variable expansion uses round brackets (not curly brackets).
      subPathExpr: \$(POD_NAME)
  restartPolicy: Never
  volumes:
  - name: workdir1
    hostPath:
      path: $d
EOF
)
        podctl apply -f "$f"
        wait_for 10 grep -qx Hello "$d/pod1/hello.txt"
        [ "$(ls "$d")" = pod1 ]
}

@test "subPathExpr expanding to a path out of the volume: CreateContainerConfigError, the container never starts" {
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: spe-bad
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    command: ["true"]
    env:
    - {name: UP, value: ".."}
    volumeMounts:
    - {name: v, mountPath: /v, subPathExpr: "$(UP)/x"}
  volumes:
  - {name: v, emptyDir: {}}
EOF
)
        run podctl apply -f "$f"
        [[ $output == *"subPathExpr \"\$(UP)/x\" expands to \"../x\": must not contain '..'"* ]]
        # the kubelet's CreateContainerConfigError: the container never starts
        wait_for 10 waiting_reason_is spe-bad c CreateContainerConfigError
        [ "$(jq_pod spe-bad '.status.containerStatuses[0].restartCount')" = 0 ]
}

@test "mountPropagation None is accepted; fields that would change what runs are refused with their path" {
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: refused
spec:
  runtimeClassName: gvisor
  ephemeralContainers: [{name: dbg, image: busybox}]
  containers:
  - name: c
    image: busybox
    resources:
      limits: {hugepages-2Mi: 4Mi, nvidia.com/gpu: 1, memory: 64Mi}
    env:
    - {name: F, valueFrom: {fileKeyRef: {volumeName: v, path: ../f, key: k}}}
    - {name: G, valueFrom: {fileKeyRef: {volumeName: h, path: f, key: k}}}
    lifecycle:
      stopSignal: SIGUSR1
    volumeDevices: [{name: v, devicePath: /dev/xvda}]
    volumeMounts:
    - {name: v, mountPath: /a, mountPropagation: None}
    - {name: v, mountPath: /b, mountPropagation: Bidirectional}
    - {name: v, mountPath: /c, subPath: x, subPathExpr: y}
  volumes:
  - {name: v, emptyDir: {}}
  - {name: h, hostPath: {path: /tmp}}
EOF
)
        run -1 podctl apply -f "$f"
        [[ $output == *"spec.runtimeClassName: Forbidden: RuntimeClass objects are a cluster's"* ]]
        [[ $output == *"spec.ephemeralContainers: Forbidden: ephemeral containers are added by the API server"* ]]
        [[ $output == *"spec.containers[0].resources.limits.hugepages-2Mi: Forbidden: podctl has no hugepages"* ]]
        [[ $output == *"spec.containers[0].resources.limits[nvidia.com/gpu]: Forbidden: no device plugin on this node provides \"nvidia.com/gpu\""* ]]
        # fileKeyRef is applied: a path out of its volume, a volume not an emptyDir
        [[ $output == *"spec.containers[0].env[0].valueFrom.fileKeyRef.path: Invalid value: \"../f\": must not contain '..'"* ]]
        [[ $output == *"spec.containers[0].env[1].valueFrom.fileKeyRef.volumeName: Invalid value: \"h\": must be the name of an emptyDir volume of the Pod"* ]]
        # stopSignal is applied, but (as the API server says) only with spec.os.name
        [[ $output == *"spec.containers[0].lifecycle.stopSignal: Forbidden: may not be set for containers with empty \`spec.os.name\`"* ]]
        [[ $output == *"spec.containers[0].volumeDevices: Forbidden: raw block devices"* ]]
        [[ $output == *"spec.containers[0].volumeMounts[1].mountPropagation: Forbidden: Bidirectional mount propagation is available only to privileged containers"* ]]
        [[ $output == *"spec.containers[0].volumeMounts[2].subPathExpr: Invalid value: \"y\": subPathExpr and subPath are mutually exclusive"* ]]
        run -1 grep -q 'volumeMounts\[0\]\|valueFrom:' <<<"$output"
        [ -z "$(ls -A "$PODCTL_ROOT/pods")" ]
}

@test "scheduling fields are warned about with the reason, and the Pod runs" {
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: sched
spec:
  nodeSelector: {disktype: ssd}
  tolerations: [{key: k, operator: Exists}]
  containers:
  - {name: c, image: busybox, command: [sleep, "3600"], resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]}
EOF
)
        run -0 podctl apply -f "$f"
        [[ $output == *"spec.nodeSelector: not supported by podctl (scheduling: one node, nothing to choose); ignored"* ]]
        [[ $output == *"spec.tolerations: not supported by podctl (scheduling: one node, nothing to choose); ignored"* ]]
        [[ $output != *resizePolicy* ]]
        wait_for 10 container_running sched c
}

@test "readinessGates: the containers are ready, the Pod is not (ReadinessGatesNotReady, the kubelet's message)" {
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: gated
spec:
  readinessGates:
  - conditionType: "www.example.com/feature-1"
  - conditionType: example.com/ready
  containers:
  - {name: c, image: busybox, command: [sleep, "3600"]}
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running gated c
        wait_for 10 cond_is gated ContainersReady status True
        cond_is gated Ready status False
        cond_is gated Ready reason ReadinessGatesNotReady
        cond_is gated Ready message 'corresponding condition of pod readiness gate "www.example.com/feature-1" does not exist., corresponding condition of pod readiness gate "example.com/ready" does not exist.'
        [ "$(jq_pod gated '.spec.readinessGates[1].conditionType')" = example.com/ready ]
}

@test "readinessGates: a conditionType that is not a qualified name is refused" {
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: gated-bad
spec:
  readinessGates: [{conditionType: "not valid!"}, {}]
  containers:
  - {name: c, image: busybox}
EOF
)
        run -1 podctl apply -f "$f"
        [[ $output == *'spec.readinessGates[0].conditionType: Invalid value: "not valid!"'* ]]
        [[ $output == *'spec.readinessGates[1].conditionType: Required value'* ]]
}

@test "immutable ConfigMap and Secret (of one name: two objects): the same copy applies, a changed one is refused, a mutable one changes" {
        for kind in ConfigMap Secret; do
                key=data
                val=$([ $kind = Secret ] && echo djE= || echo v1)
                val2=$([ $kind = Secret ] && echo djI= || echo v2)
                f=$(manifest imm-$kind <<EOF
apiVersion: v1
kind: $kind
metadata: {name: imm}
immutable: true
$key: {k: "$val"}
EOF
)
                run -0 podctl apply -f "$f"
                run -0 podctl apply -f "$f"
                sed -i "s/\"$val\"/\"$val2\"/" "$f"
                run ! podctl apply -f "$f"
                [[ $output == *"$kind \"imm\" is invalid: data: Forbidden: field is immutable when \`immutable\` is set"* ]]
                # nor may it become mutable
                sed -i "s/\"$val2\"/\"$val\"/; s/^immutable: true/immutable: false/" "$f"
                run ! podctl apply -f "$f"
                [[ $output == *"immutable: Forbidden: field is immutable"* ]]
                [ -f "$PODCTL_ROOT/objects/default_imm$([ $kind = Secret ] && echo .secret).json" ]
                # a mutable one is updated as before
                g=$(manifest mut-$kind <<EOF
apiVersion: v1
kind: $kind
metadata: {name: mut}
$key: {k: "$val"}
EOF
)
                run -0 podctl apply -f "$g"
                sed -i "s/\"$val\"/\"$val2\"/" "$g"
                run -0 podctl apply -f "$g"
        done
}
