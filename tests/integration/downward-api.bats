#!/usr/bin/env bats
# Issue 14 §1: downwardAPI volumes and resourceFieldRef in env, with the
# Kubernetes documentation's examples (dapi-volume.yaml,
# dapi-volume-resources.yaml, dapi-envars-container.yaml; the image is the
# local busybox) giving the documented outcome, and the kubelet's atomic
# writer layout (..data -> ..<timestamp>).

load helpers

setup_file() {
        common_setup_file
        # dapi-envars-container.yaml calls printenv: the test image has it
        # (scripts/mkimage-busybox); fixtures made before it did must be remade.
        tar -tf "$PODCTL_TEST_FIXTURES/busybox-rootfs.tar" | grep -qx './usr/bin/printenv' || {
                echo "$PODCTL_TEST_FIXTURES predates printenv in the busybox image: rebuild it with scripts/mkimage-busybox" >&2
                return 1
        }
}
teardown_file() { common_teardown_file; }
teardown() { delete_all_pods; }

log_line() { podctl logs "$1" | grep -qxF -- "$2"; }

@test "dapi-volume.yaml: labels and annotations files as the documentation shows them" {
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: kubernetes-downwardapi-volume-example
  labels:
    zone: us-est-coast
    cluster: test-cluster1
    rack: rack-22
  annotations:
    build: two
    builder: john-doe
spec:
  containers:
    - name: client-container
      image: busybox
      command: ["sh", "-c"]
      args:
      - while true; do
          if [[ -e /etc/podinfo/labels ]]; then
            echo -en '\n\n'; cat /etc/podinfo/labels; fi;
          if [[ -e /etc/podinfo/annotations ]]; then
            echo -en '\n\n'; cat /etc/podinfo/annotations; fi;
          sleep 5;
        done;
      volumeMounts:
        - name: podinfo
          mountPath: /etc/podinfo
  volumes:
    - name: podinfo
      downwardAPI:
        items:
          - path: "labels"
            fieldRef:
              fieldPath: metadata.labels
          - path: "annotations"
            fieldRef:
              fieldPath: metadata.annotations
EOF
)
        podctl apply -f "$f"
        p=kubernetes-downwardapi-volume-example
        wait_for 10 container_running $p client-container
        run -0 podctl exec $p -- cat /etc/podinfo/labels
        [ "$output" = "$(printf '%s\n' 'cluster="test-cluster1"' 'rack="rack-22"' 'zone="us-est-coast"')" ]
        run -0 podctl exec $p -- cat /etc/podinfo/annotations
        [ "$output" = "$(printf '%s\n' 'build="two"' 'builder="john-doe"')" ]
        # the page's loop prints them (the file has no final newline)
        wait_for 15 log_line $p 'zone="us-est-coast"'
        # the kubelet's layout: ..data -> ..<timestamp>, the files links into it
        run -0 podctl exec $p -- ls -a /etc/podinfo
        [[ $output == *..data* ]]
        run -0 podctl exec $p -- readlink /etc/podinfo/labels
        [ "$output" = ..data/labels ]
        run -0 podctl exec $p -- readlink /etc/podinfo/..data
        [[ $output == ..20[0-9][0-9]_[0-9][0-9]_[0-9][0-9]_* ]]
        # read-only, as the kubelet mounts it
        run ! podctl exec $p -- touch /etc/podinfo/x
        [[ $output == *"Read-only file system"* ]]
}

@test "dapi-volume-resources.yaml: limits and requests with divisors 1m and 1Mi" {
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: kubernetes-downwardapi-volume-example-2
spec:
  containers:
    - name: client-container
      image: busybox
      command: ["sh", "-c"]
      args:
      - while true; do
          echo -en '\n';
          if [[ -e /etc/podinfo/cpu_limit ]]; then
            echo -en '\n'; cat /etc/podinfo/cpu_limit; fi;
          if [[ -e /etc/podinfo/cpu_request ]]; then
            echo -en '\n'; cat /etc/podinfo/cpu_request; fi;
          if [[ -e /etc/podinfo/mem_limit ]]; then
            echo -en '\n'; cat /etc/podinfo/mem_limit; fi;
          if [[ -e /etc/podinfo/mem_request ]]; then
            echo -en '\n'; cat /etc/podinfo/mem_request; fi;
          sleep 5;
        done;
      resources:
        requests:
          memory: "32Mi"
          cpu: "125m"
        limits:
          memory: "64Mi"
          cpu: "250m"
      volumeMounts:
        - name: podinfo
          mountPath: /etc/podinfo
  volumes:
    - name: podinfo
      downwardAPI:
        items:
          - path: "cpu_limit"
            resourceFieldRef:
              containerName: client-container
              resource: limits.cpu
              divisor: 1m
          - path: "cpu_request"
            resourceFieldRef:
              containerName: client-container
              resource: requests.cpu
              divisor: 1m
          - path: "mem_limit"
            resourceFieldRef:
              containerName: client-container
              resource: limits.memory
              divisor: 1Mi
          - path: "mem_request"
            resourceFieldRef:
              containerName: client-container
              resource: requests.memory
              divisor: 1Mi
EOF
)
        podctl apply -f "$f"
        p=kubernetes-downwardapi-volume-example-2
        wait_for 10 container_running $p client-container
        run -0 podctl exec $p -- sh -c 'cd /etc/podinfo && for f in cpu_limit cpu_request mem_limit mem_request; do cat $f; echo; done'
        [ "$output" = "$(printf '%s\n' 250 125 64 32)" ]
}

@test "dapi-envars-container.yaml: MY_CPU_REQUEST, MY_CPU_LIMIT, MY_MEM_REQUEST, MY_MEM_LIMIT" {
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: dapi-envars-resourcefieldref
spec:
  containers:
    - name: test-container
      image: busybox
      command: [ "sh", "-c"]
      args:
      - while true; do
          echo -en '\n';
          printenv MY_CPU_REQUEST MY_CPU_LIMIT;
          printenv MY_MEM_REQUEST MY_MEM_LIMIT;
          sleep 10;
        done;
      resources:
        requests:
          memory: "32Mi"
          cpu: "125m"
        limits:
          memory: "64Mi"
          cpu: "250m"
      env:
        - name: MY_CPU_REQUEST
          valueFrom:
            resourceFieldRef:
              containerName: test-container
              resource: requests.cpu
        - name: MY_CPU_LIMIT
          valueFrom:
            resourceFieldRef:
              containerName: test-container
              resource: limits.cpu
        - name: MY_MEM_REQUEST
          valueFrom:
            resourceFieldRef:
              containerName: test-container
              resource: requests.memory
        - name: MY_MEM_LIMIT
          valueFrom:
            resourceFieldRef:
              containerName: test-container
              resource: limits.memory
  restartPolicy: Never
EOF
)
        podctl apply -f "$f"
        p=dapi-envars-resourcefieldref
        wait_for 10 log_line $p 67108864
        # the page's output: an empty line, then the four values
        [ "$(podctl logs $p | head -n 5)" = "$(printf '\n1\n1\n33554432\n67108864')" ]
}

@test "resourceFieldRef: an unset limit is the node's allocatable, ephemeral-storage, another container" {
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: dapi-defaults
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo $CPU_LIMIT $MEM_LIMIT $CPU_REQ $EPH_REQ $SIDE_MEM"]
    resources:
      requests:
        ephemeral-storage: 2Gi
    env:
    - {name: CPU_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}}
    - {name: MEM_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    - {name: CPU_REQ, valueFrom: {resourceFieldRef: {resource: requests.cpu}}}
    - {name: EPH_REQ, valueFrom: {resourceFieldRef: {resource: requests.ephemeral-storage, divisor: 1Gi}}}
    - {name: SIDE_MEM, valueFrom: {resourceFieldRef: {containerName: side, resource: limits.memory, divisor: 1M}}}
  - name: side
    image: busybox
    command: ["true"]
    resources:
      limits:
        memory: 64000001
EOF
)
        echo '{"node": {"capacity": {"cpu": "3", "memory": "3Gi"}, "reserved": {"cpu": "500m", "memory": "512Mi"}}}' >"$PODCTL_ROOT/config.json"
        podctl apply -f "$f"
        rm -f "$PODCTL_ROOT/config.json"
        wait_for 10 phase_is dapi-defaults Succeeded
        run -0 podctl logs dapi-defaults -c main
        # allocatable: 2500m, 2560Mi; requests.cpu unset: 0; 64000001 / 1M rounds up
        [ "$output" = "2500 2560 0 2 65" ]
}

@test "downwardAPI volume: name, namespace, uid, an annotation, Go quoting, items mode and defaultMode" {
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: dapi-meta
  annotations: {note: 'say "hi"'}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "cd /info && cat name ns uid note; echo; cat all; echo; stat -L -c '%n %a' name ns sub/uid"]
    volumeMounts:
    - {name: info, mountPath: /info}
  volumes:
  - name: info
    downwardAPI:
      defaultMode: 0440
      items:
      - {path: name, fieldRef: {fieldPath: metadata.name}}
      - {path: ns, fieldRef: {fieldPath: metadata.namespace}, mode: 0400}
      - {path: sub/uid, fieldRef: {fieldPath: metadata.uid}}
      - {path: uid, fieldRef: {fieldPath: metadata.uid}}
      - {path: note, fieldRef: {fieldPath: "metadata.annotations['note']"}}
      - {path: all, fieldRef: {fieldPath: metadata.annotations}}
EOF
)
        podctl apply -f "$f"
        wait_for 10 phase_is dapi-meta Succeeded
        uid=$(jq_pod dapi-meta .metadata.uid)
        run -0 podctl logs dapi-meta
        [ "${lines[0]}" = "dapi-metadefault${uid}say \"hi\"" ]
        [ "${lines[1]}" = 'note="say \"hi\""' ]
        [ "${lines[2]}" = "name 440" ]
        [ "${lines[3]}" = "ns 400" ]
        [ "${lines[4]}" = "sub/uid 440" ]
}

@test "downwardAPI and resourceFieldRef: bad fields refused with their path, nothing created" {
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: dapi-bad
spec:
  containers:
  - name: main
    image: busybox
    env:
    - {name: A, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1Mi}}}
    - {name: B, valueFrom: {resourceFieldRef: {resource: limits.gpu}}}
    - {name: C, valueFrom: {resourceFieldRef: {containerName: nope, resource: limits.cpu}}}
    - {name: D, valueFrom: {fieldRef: {fieldPath: metadata.labels}}}
  volumes:
  - name: v
    downwardAPI:
      items:
      - {path: a, resourceFieldRef: {resource: limits.memory}}
      - {path: ../b, fieldRef: {fieldPath: metadata.name}}
      - {path: c, fieldRef: {fieldPath: spec.nodeName}}
      - {path: d}
      - {path: e, fieldRef: {fieldPath: metadata.name}, mode: 01000}
EOF
)
        run -1 podctl apply -f "$f"
        [[ $output == *"spec.containers[0].env[0].valueFrom.resourceFieldRef.divisor: Invalid value: \"limits.cpu\": only divisor's values 1m and 1 are supported with the cpu resource"* ]]
        [[ $output == *"spec.containers[0].env[1].valueFrom.resourceFieldRef.resource: Unsupported value: \"limits.gpu\""* ]]
        [[ $output == *"spec.containers[0].env[2].valueFrom.resourceFieldRef.containerName: Not found: \"nope\""* ]]
        [[ $output == *"spec.containers[0].env[3].valueFrom.fieldRef.fieldPath: Unsupported value: \"metadata.labels\""* ]]
        [[ $output == *"spec.volumes[0].downwardAPI.items[0].resourceFieldRef.containerName: Required value"* ]]
        [[ $output == *"spec.volumes[0].downwardAPI.items[1].path: Invalid value: \"../b\""* ]]
        [[ $output == *"spec.volumes[0].downwardAPI.items[2].fieldRef.fieldPath: Unsupported value: \"spec.nodeName\""* ]]
        [[ $output == *"spec.volumes[0].downwardAPI.items[3]: Required value: one of fieldRef and resourceFieldRef is required"* ]]
        [[ $output == *"spec.volumes[0].downwardAPI.items[4].mode: Invalid value: 512"* ]]
        [ -z "$(ls -A "$PODCTL_ROOT/pods")" ]
}
