#!/usr/bin/env bats
# Image volumes (KEP-4639, spec.volumes[].image): an image of the store
# mounted read-only and noexec at each mountPath, subPath into it, the pull
# policies with the kubelet's waiting reasons, invalid references refused at
# apply, and nothing left on the host after the Pod. The volume image is an
# artifact of two layers made with umoci, as the KEP's ORAS example:
# dir/file ("layer0") in the first, file ("layer1") in the second.
# tests/run: alone (snapshots of the whole host, or host-wide state)

load helpers

setup_file() {
        common_setup_file
        local w="$BATS_FILE_TMPDIR/art"
        mkdir -p "$w/d0/dir" "$w/d1"
        echo layer0 >"$w/d0/dir/file"
        echo layer1 >"$w/d1/file"
        tar --numeric-owner --owner=0 --group=0 -C "$w/d0" -cf "$w/l0.tar" dir
        tar --numeric-owner --owner=0 --group=0 -C "$w/d1" -cf "$w/l1.tar" file
        umoci init --layout "$w/lay"
        umoci new --image "$w/lay:v2"
        umoci raw add-layer --image "$w/lay:v2" "$w/l0.tar"
        umoci raw add-layer --image "$w/lay:v2" "$w/l1.tar"
        "$PODCTL" image load -i "$w/lay" --name localhost/artifact:v2 >/dev/null
}
teardown_file() { common_teardown_file; }
teardown() { delete_all_pods; }

# iv_pod NAME VOLUME-LINES MOUNT-LINES [POD-SPEC-LINES]: a busybox container
# that sleeps, with the given volumes and volumeMounts.
iv_pod() {
        manifest "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 1
${4:-}
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts:
$3
  volumes:
$2
EOF
}

in_c() { podctl exec "$1" -c c -- sh -c "$2"; }

waiting() { # POD CONTAINER: "REASON MESSAGE" of its waiting state
        jq_pod "$1" ".status.containerStatuses[] | select(.name==\"$2\") | .state.waiting | \"\\(.reason) \\(.message)\""
}

@test "the image's files at mountPath, its layers merged; a second mount of it; writing fails with EROFS; noexec" {
        f=$(iv_pod art '  - name: v
    image: {reference: "localhost/artifact:v2", pullPolicy: IfNotPresent}
  - name: bb
    image: {reference: busybox}' '    - {name: v, mountPath: /volume}
    - {name: v, mountPath: /again}
    - {name: bb, mountPath: /bb}')
        run -0 podctl apply -f "$f"
        wait_for 20 container_running art c
        [ "$(in_c art 'cat /volume/file')" = layer1 ]
        [ "$(in_c art 'cat /volume/dir/file')" = layer0 ]
        [ "$(in_c art 'cat /again/file')" = layer1 ]
        [ "$(in_c art 'cat /bb/etc/passwd')" = "$(in_c art 'cat /etc/passwd')" ]
        run in_c art 'echo x >/volume/new'
        [ "$status" -ne 0 ]
        [[ $output == *"Read-only file system"* ]]
        run in_c art 'mkdir /volume/dir/sub'
        [ "$status" -ne 0 ]
        [[ $output == *"Read-only file system"* ]]
        run in_c art 'echo x >/bb/new'
        [ "$status" -ne 0 ]
        [[ $output == *"Read-only file system"* ]]
        run -0 in_c art 'grep " /volume " /proc/mounts'
        [[ $output == *" ro,nosuid,nodev,noexec"* ]]
        # the image's own busybox binary cannot be run from the volume
        run in_c art '/bb/bin/busybox true'
        [ "$status" -eq 126 ]
        [[ $output == *"Permission denied"* ]]
        run -0 podctl describe pod art
        [[ $output == *"Type:        Image (a container image or OCI artifact)"* ]]
        [[ $output == *"Reference:   localhost/artifact:v2"* ]]
        [[ $output == *"PullPolicy:  IfNotPresent"* ]]
}

@test "subPath and subPathExpr into an image volume; readOnly: false is mounted read-only all the same" {
        # (an image of one layer is that layer bound: the bind is what is read-only)
        f=$(iv_pod sub '  - name: v
    image: {reference: "localhost/artifact:v2"}
  - name: bb
    image: {reference: busybox}' '    - {name: v, mountPath: /sub, subPath: dir}
    - {name: v, mountPath: /spe, subPathExpr: "$(D)"}
    - {name: v, mountPath: /rw, readOnly: false}
    - {name: bb, mountPath: /bb, readOnly: false}')
        sed -i 's/^    command: \["sleep", "3600"\]$/&\n    env: [{name: D, value: dir}]/' "$f"
        run -0 podctl apply -f "$f"
        wait_for 20 container_running sub c
        [ "$(in_c sub 'cat /sub/file')" = layer0 ]
        [ "$(in_c sub 'cat /spe/file')" = layer0 ]
        run in_c sub 'ls /sub'
        [ "$output" = file ]
        run in_c sub 'echo x >/rw/file'
        [ "$status" -ne 0 ]
        [[ $output == *"Read-only file system"* ]]
        [ "$(in_c sub 'cat /rw/file')" = layer1 ]
        run in_c sub 'echo x >/bb/new'
        [ "$status" -ne 0 ]
        [[ $output == *"Read-only file system"* ]]
        run -0 find "$PODCTL_ROOT/images" -name new
        [ -z "$output" ]
}

@test "a subPath missing from the image: the container does not start, nothing is created in the image" {
        f=$(iv_pod nosub '  - name: v
    image: {reference: "localhost/artifact:v2"}' '    - {name: v, mountPath: /sub, subPath: not-existing}' '  restartPolicy: Never')
        # apply reports the start error (as for any container that fails to start)
        run -1 podctl apply -f "$f"
        [[ $output == *"pod/nosub created"* ]]
        [[ $output == *'mount volume "v" at /sub: subPath "not-existing"'* ]]
        wait_for 20 phase_is nosub Failed
        run -0 jq_pod nosub '.status.containerStatuses[0].state.terminated | "\(.reason) \(.message)"'
        [[ $output == "StartError "*'subPath "not-existing"'*"No such file or directory"* ]]
        run -0 find "$PODCTL_ROOT/images" -name not-existing
        [ -z "$output" ]
}

@test "pullPolicy Never with an image not in the store: the container that mounts it waits in ErrImageNeverPull; the others run" {
        f=$(iv_pod never '  - name: v
    image: {reference: "localhost/no-such:1", pullPolicy: Never}' '    - {name: v, mountPath: /volume}')
        cat >>"$f" <<'EOF'
  - name: unused
    image: {reference: "localhost/no-such-either:1", pullPolicy: Never}
EOF
        sed -i 's/^  containers:$/&\n  - {name: free, image: busybox, command: [sleep, "3600"]}/' "$f"
        run -0 podctl apply -f "$f"
        [[ $output == *"pod/never created"* ]]
        wait_for 20 container_running never free
        run -0 waiting never c
        [ "$output" = 'ErrImageNeverPull Container image "localhost/no-such:1" is not present with pull policy of Never' ]
        run -0 podctl get pod never
        [[ $output == *"1/2"*"ErrImageNeverPull"* ]]
        run -0 podctl events --for pod/never
        [[ $output == *'Container image "localhost/no-such:1" is not present with pull policy of Never'* ]]
        [[ $output != *no-such-either* ]]
}

volume_pull_failed() { # POD: ErrImagePull, then ImagePullBackOff, naming the image
        [[ $(waiting "$1" c) == ImagePullBackOff\ *'"localhost/invalid"'* ]]
}

@test "an image volume that cannot be pulled: ErrImagePull, then ImagePullBackOff, the Pod's events name it" {
        # as the node e2e test's localhost/invalid: pulled from https://localhost,
        # where nothing listens
        f=$(iv_pod nopull '  - name: v
    image: {reference: localhost/invalid}' '    - {name: v, mountPath: /volume}')
        run -0 podctl apply -f "$f"
        # the default pullPolicy of a reference without a tag, as the API server's
        [ "$(jq_pod nopull '.spec.volumes[0].image.pullPolicy')" = Always ]
        wait_for 20 volume_pull_failed nopull
        run -0 podctl events --for pod/nopull
        [[ $output == *'Pulling image "localhost/invalid"'* ]]
        [[ $output == *'Failed to pull image "localhost/invalid": '* ]]
        [[ $output == *'Error: ErrImagePull'* ]]
        [[ $output == *'Back-off pulling image "localhost/invalid"'* ]]
        [ "$(jq_pod nopull '.status.containerStatuses[0].restartCount')" = 0 ]
}

@test "hostUsers: false: the image's root-owned files are the Pod's root's" {
        f=$(iv_pod userns '  - name: v
    image: {reference: "localhost/artifact:v2"}' '    - {name: v, mountPath: /volume}' '  hostUsers: false')
        run -0 podctl apply -f "$f"
        wait_for 20 container_running userns c
        [ "$(in_c userns 'stat -c %u:%g /volume/file /volume/dir')" = "$(printf '0:0\n0:0')" ]
        [ "$(in_c userns 'cat /volume/dir/file')" = layer0 ]
}

@test "invalid image volumes are refused at apply with the field's path, and nothing is created" {
        local before
        before=$(trace_snapshot)
        f=$(iv_pod bad '  - name: v
    image: {reference: "Localhost/Artifact:v2"}' '    - {name: v, mountPath: /volume}')
        run podctl apply -f "$f"
        [ "$status" -eq 1 ]
        [[ $output == *'spec.volumes[0].image.reference: Invalid value: "Localhost/Artifact:v2": invalid reference format: repository name must be lowercase'* ]]
        f=$(iv_pod bad '  - name: v
    image: {pullPolicy: Never}' '    - {name: v, mountPath: /volume}')
        run podctl apply -f "$f"
        [ "$status" -eq 1 ]
        [[ $output == *'spec.volumes[0].image.reference: Required value'* ]]
        f=$(iv_pod bad '  - name: v
    image: {reference: busybox, pullPolicy: Sometimes}' '    - {name: v, mountPath: /volume}')
        run podctl apply -f "$f"
        [ "$status" -eq 1 ]
        [[ $output == *'spec.volumes[0].image.pullPolicy: Unsupported value: "Sometimes"'* ]]
        f=$(iv_pod bad '  - name: v
    image: {reference: busybox}
    emptyDir: {}' '    - {name: v, mountPath: /volume}')
        run podctl apply -f "$f"
        [ "$status" -eq 1 ]
        [[ $output == *'spec.volumes[0]: Forbidden: may not specify more than 1 volume type'* ]]
        run podctl get pod bad
        [ "$status" -ne 0 ]
        assert_no_new_trace "$before"
}

@test "after delete no mount of the volume is left; image prune keeps an image a Pod's volume uses" {
        local before
        before=$(trace_snapshot)
        f=$(iv_pod gone '  - name: v
    image: {reference: "localhost/artifact:v2"}' '    - {name: v, mountPath: /volume}
    - {name: v, mountPath: /sub, subPath: dir}')
        run -0 podctl apply -f "$f"
        wait_for 20 container_running gone c
        # the overlay is in the container's mount namespace only
        pid=$(pid_of gone c)
        run -0 grep -c ' /volume ' "/proc/$pid/mountinfo"
        [ "$output" = 1 ]
        run grep -F "$PODCTL_ROOT/images" /proc/self/mountinfo
        [ "$status" -eq 1 ]
        run -0 podctl image prune
        [[ $output != *artifact* ]]
        run -0 podctl image ls
        [[ $output == *localhost/artifact* ]]
        run -0 podctl delete pod gone --grace-period=0
        assert_no_new_trace "$before"
        run grep -E "$PODCTL_ROOT|ivol" /proc/self/mountinfo
        [ "$status" -eq 1 ]
}
