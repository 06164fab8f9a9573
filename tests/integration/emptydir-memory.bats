#!/usr/bin/env bats
# emptyDir medium: Memory is a tmpfs the Pod holds (in pause's mount
# namespace), sized by sizeLimit or the Pod's memory limit, shared by its
# containers and gone with the Pod.
bats_require_minimum_version 1.5.0
load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
teardown() { delete_all_pods; }

@test "emptyDir medium: Memory: a tmpfs of sizeLimit (else the Pod's memory limit), shared, full at its size, fsGroup applied" {
        f=$(manifest mem <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: mem}
spec:
  securityContext: {fsGroup: 2000}
  volumes:
  - {name: m, emptyDir: {medium: Memory, sizeLimit: 8Mi}}
  - {name: n, emptyDir: {medium: Memory}}
  containers:
  - name: a
    image: busybox
    command: [sleep, "300"]
    resources: {limits: {memory: 64Mi}}
    volumeMounts: [{name: m, mountPath: /m}, {name: n, mountPath: /n}]
  - name: b
    image: busybox
    command: [sleep, "300"]
    resources: {limits: {memory: 32Mi}}
    volumeMounts: [{name: m, mountPath: /data}]
EOF
        )
        podctl apply -f "$f"
        wait_for 10 container_running mem b
        run podctl exec mem -c a -- sh -c 'grep -E " /(m|n) " /proc/self/mountinfo'
        [ "$status" -eq 0 ]
        [[ ${lines[0]} == *" - tmpfs "*"size=8192k"* ]]
        # no sizeLimit: the Pod's memory limit, 64Mi + 32Mi
        [[ ${lines[1]} == *" - tmpfs "*"size=98304k"* ]]
        # tmpfs's own 1777 (the kubelet mounts it with no mode), setgid for fsGroup
        run podctl exec mem -c a -- stat -c "%a %g" /m
        [ "$output" = "3777 2000" ]
        podctl exec mem -c a -- sh -c 'echo shared > /m/x'
        run podctl exec mem -c b -- cat /data/x
        [ "$output" = shared ]
        run podctl exec mem -c a -- sh -c 'dd if=/dev/zero of=/m/big bs=1M count=20'
        [ "$status" -ne 0 ]
        [[ $output == *"No space left on device"* ]]
        # nothing of it on the host's disk
        run find "$PODCTL_ROOT/pods/default_mem/volumes/m" -mindepth 1
        [ "$status" -eq 0 ]
        [ -z "$output" ]
}
