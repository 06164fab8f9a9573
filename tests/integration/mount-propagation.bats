#!/usr/bin/env bats
# volumeMounts[].mountPropagation as the kubelet and containerd apply it
# (test/e2e/node/mount_propagation.go's shape): None is a private bind, so a
# mount the host makes below the volume later never reaches the container;
# HostToContainer is rslave, so it does, and needs a shared or slave source
# (a private one: StartError with containerd's message);
# Bidirectional is refused (privileged or not, each with its message). The
# host directory is made a shared mount by the test, which unmounts it (and
# what is below it) in teardown, also when a test fails.

bats_require_minimum_version 1.5.0

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

setup() {
        HOSTDIR=$(mktemp -d /tmp/podctl-prop.XXXXXX)
}

teardown() {
        delete_all_pods
        umount -R "$HOSTDIR" 2>/dev/null || true
        rm -rf "$HOSTDIR"
}

prop_pod() { # NAME
        f=$(manifest "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 0
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    command: [sleep, "3600"]
    volumeMounts:
    - {name: h, mountPath: /none}
    - {name: h, mountPath: /explicit-none, mountPropagation: None}
    - {name: h, mountPath: /slave, mountPropagation: HostToContainer}
  volumes:
  - {name: h, hostPath: {path: $HOSTDIR}}
EOF
        )
        run podctl apply -f "$f"
}

@test "HostToContainer: a mount the host makes below a shared source later appears; None: it does not" {
        mount --bind "$HOSTDIR" "$HOSTDIR"
        mount --make-shared "$HOSTDIR"
        prop_pod prop
        [ "$status" = 0 ]
        wait_for 20 container_running prop c
        # made after the container started, on the host
        mkdir "$HOSTDIR/sub"
        mount -t tmpfs -o size=1m tmpfs "$HOSTDIR/sub"
        echo from-host >"$HOSTDIR/sub/f"
        run -0 podctl exec prop -- cat /slave/sub/f
        [ "$output" = from-host ]
        run -0 podctl exec prop -- sh -c 'grep " /slave/sub " /proc/self/mountinfo'
        [[ $output == *" master:"* ]]
        # None (default or explicit): the directory only, not the mount on it
        run -1 podctl exec prop -- cat /none/sub/f
        run -1 podctl exec prop -- cat /explicit-none/sub/f
        run -1 podctl exec prop -- sh -c 'grep " /none/sub " /proc/self/mountinfo'
        # an unmount on the host reaches the rslave bind too
        umount "$HOSTDIR/sub"
        run -1 podctl exec prop -- cat /slave/sub/f
}

@test "HostToContainer on a private source: the container does not start, with containerd's message" {
        # a bind of $HOSTDIR made private: no propagation to receive
        mount --bind "$HOSTDIR" "$HOSTDIR"
        mount --make-private "$HOSTDIR"
        prop_pod priv
        [ "$status" = 1 ]
        [[ $output == *"pod/priv created"* ]]
        [[ $output == *"mountPropagation HostToContainer: path \"$HOSTDIR\" is mounted on \"$HOSTDIR\" but it is not a shared or slave mount"* ]]
        wait_for 20 phase_is priv Failed
        run -0 jq_pod priv '.status.containerStatuses[0].state.terminated.reason'
        [ "$output" = StartError ]
}

@test "Bidirectional: refused with the API server's message, or podctl's for a privileged container" {
        f=$(manifest bidi <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: bidi
spec:
  containers:
  - name: plain
    image: busybox
    volumeMounts: [{name: h, mountPath: /h, mountPropagation: Bidirectional}]
  - name: priv
    image: busybox
    securityContext: {privileged: true}
    volumeMounts: [{name: h, mountPath: /h, mountPropagation: Bidirectional, readOnly: true, recursiveReadOnly: Enabled}]
  volumes:
  - {name: h, hostPath: {path: $HOSTDIR}}
EOF
        )
        run -1 podctl apply -f "$f"
        [[ $output == *"spec.containers[0].volumeMounts[0].mountPropagation: Forbidden: Bidirectional mount propagation is available only to privileged containers"* ]]
        [[ $output == *"spec.containers[1].volumeMounts[0].mountPropagation: Forbidden: \"Bidirectional\": podctl does not propagate"* ]]
        [[ $output == *"spec.containers[1].volumeMounts[0].recursiveReadOnly: Forbidden: may only be specified when mountPropagation is None or not specified"* ]]
        run -1 podctl get pod bidi
}
