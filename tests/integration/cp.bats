#!/usr/bin/env bats
# podctl cp as kubectl cp, both ways, through the container's mount
# namespace as its user; symlinks in the container never lead out of it.

load helpers

setup_file() {
        common_setup_file
        local d
        d=$(mktemp -d "$BATS_FILE_TMPDIR/m.XXXX")
        cat >"$d/box.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: box
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
  - name: other
    image: busybox
    command: ["sleep", "3600"]
EOF
        cat >"$d/user.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: user
spec:
  terminationGracePeriodSeconds: 1
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
EOF
        "$PODCTL" apply -f "$d/box.yaml" >/dev/null
        "$PODCTL" apply -f "$d/user.yaml" >/dev/null
}
teardown_file() { common_teardown_file; }
setup() {
        wait_for 30 container_running box main
        wait_for 30 container_running box other
        wait_for 30 container_running user main
}

in_box() { podctl exec box -- sh -c "$1"; }

@test "cp POD:FILE LOCAL and POD:DIR LOCAL: the file, the directory's contents" {
        in_box 'mkdir -p /data/sub && echo one >/data/a && echo two >/data/sub/b'
        run -0 podctl cp box:/data/a "$BATS_TEST_TMPDIR/a.txt"
        [ "$(cat "$BATS_TEST_TMPDIR/a.txt")" = one ]
        run -0 podctl cp box:/data "$BATS_TEST_TMPDIR/copy"
        [ "$(cat "$BATS_TEST_TMPDIR/copy/a")" = one ]
        [ "$(cat "$BATS_TEST_TMPDIR/copy/sub/b")" = two ]
        [ ! -e "$BATS_TEST_TMPDIR/copy/data" ]
        # namespace/pod:path, and -c for another container (its own filesystem)
        run -0 podctl cp default/box:/data/a "$BATS_TEST_TMPDIR/a2.txt"
        [ "$(cat "$BATS_TEST_TMPDIR/a2.txt")" = one ]
        run -1 podctl cp -c other box:/data/a "$BATS_TEST_TMPDIR/a3.txt"
        [ "$output" = "error: /data/a: No such file or directory" ]
        [ ! -e "$BATS_TEST_TMPDIR/a3.txt" ]
}

@test "cp LOCAL POD:PATH: into an existing directory under its name, or as the new name" {
        printf 'run me\n' >"$BATS_TEST_TMPDIR/tool.sh"
        chmod 0750 "$BATS_TEST_TMPDIR/tool.sh"
        run -0 podctl cp "$BATS_TEST_TMPDIR/tool.sh" box:/tmp
        [ "$(in_box 'cat /tmp/tool.sh')" = "run me" ]
        [ "$(in_box 'stat -c %a /tmp/tool.sh')" = 750 ]
        run -0 podctl cp "$BATS_TEST_TMPDIR/tool.sh" box:/tmp/renamed.sh
        [ "$(in_box 'cat /tmp/renamed.sh')" = "run me" ]
        mkdir -p "$BATS_TEST_TMPDIR/tree/deeper"
        echo leaf >"$BATS_TEST_TMPDIR/tree/deeper/leaf"
        run -0 podctl cp "$BATS_TEST_TMPDIR/tree" box:/tmp/tree
        [ "$(in_box 'cat /tmp/tree/deeper/leaf')" = leaf ]
        run -0 podctl cp -c other "$BATS_TEST_TMPDIR/tool.sh" box:/tmp/only-other
        [ "$(podctl exec box -c other -- cat /tmp/only-other)" = "run me" ]
        run -1 in_box 'test -e /tmp/only-other'
}

@test "cp: a hostile symlink in the container never reaches the host" {
        host=$BATS_TEST_TMPDIR/host
        mkdir -p "$host"
        echo "host secret" >"$host/secret"
        depth=$(printf '../%.0s' $(seq 1 20))
        in_box "ln -sf '$host' /tmp/abs && ln -sf '$depth${host#/}' /tmp/rel && ln -sf / /tmp/root"
        # reading through them: the host's file is not found, not copied
        run -1 podctl cp box:/tmp/abs/secret "$BATS_TEST_TMPDIR/got1"
        [ "$output" = "error: /tmp/abs/secret: No such file or directory" ]
        run -1 podctl cp box:/tmp/rel/secret "$BATS_TEST_TMPDIR/got2"
        [ "$output" = "error: /tmp/rel/secret: No such file or directory" ]
        [ ! -e "$BATS_TEST_TMPDIR/got1" ]
        [ ! -e "$BATS_TEST_TMPDIR/got2" ]
        # writing through them: nothing appears on the host
        echo planted >"$BATS_TEST_TMPDIR/plant"
        run -1 podctl cp "$BATS_TEST_TMPDIR/plant" box:/tmp/abs/planted
        run -1 podctl cp "$BATS_TEST_TMPDIR/plant" box:/tmp/rel/planted
        [ ! -e "$host/planted" ]
        # "/" through a symlink is the container's root
        run -0 podctl cp "$BATS_TEST_TMPDIR/plant" box:/tmp/root/planted-at-root
        [ "$(in_box 'cat /planted-at-root')" = planted ]
        [ ! -e /planted-at-root ]
        # a symlink copied out is skipped, as kubectl does, never recreated here
        run -0 podctl cp box:/tmp/abs "$BATS_TEST_TMPDIR/link-out"
        [[ $output == *"warning: skipping symlink: \"$BATS_TEST_TMPDIR/link-out\" -> \"$host\""* ]]
        [ ! -L "$BATS_TEST_TMPDIR/link-out" ]
        [ ! -e "$BATS_TEST_TMPDIR/link-out" ]
        # a symlink inside a copied tree is skipped too
        in_box "mkdir -p /tree2 && echo ok >/tree2/f && ln -sf '$host/secret' /tree2/s"
        run -0 podctl cp box:/tree2 "$BATS_TEST_TMPDIR/tree2"
        [ "$(cat "$BATS_TEST_TMPDIR/tree2/f")" = ok ]
        [ ! -e "$BATS_TEST_TMPDIR/tree2/s" ]
        [ ! -L "$BATS_TEST_TMPDIR/tree2/s" ]
}

@test "cp runs as the container's user: its files are its own, its limits apply" {
        echo data >"$BATS_TEST_TMPDIR/mine"
        run -0 podctl cp "$BATS_TEST_TMPDIR/mine" user:/tmp/mine
        [ "$(podctl exec user -- stat -c %u:%g /tmp/mine)" = 1000:3000 ]
        run -1 podctl cp "$BATS_TEST_TMPDIR/mine" user:/etc/mine
        [ "$output" = "error: /etc/mine: Permission denied" ]
        run -1 podctl exec user -- test -e /etc/mine
}

@test "cp: kubectl's errors for bad arguments, missing Pods and files" {
        run -1 podctl cp "$BATS_TEST_TMPDIR/x" "$BATS_TEST_TMPDIR/y"
        [ "$output" = "error: one of src or dest must be a remote file specification" ]
        run -1 podctl cp box:/a box:/b
        [ "$output" = "error: one of src or dest must be a local file specification" ]
        run -1 podctl cp "$BATS_TEST_TMPDIR/absent" box:/tmp
        [ "$output" = "error: $BATS_TEST_TMPDIR/absent doesn't exist in local filesystem" ]
        run -1 podctl cp nope:/etc/hostname "$BATS_TEST_TMPDIR/h"
        [ "$output" = 'Error from server (NotFound): pods "nope" not found' ]
        run -1 podctl cp -c ghost box:/etc/hostname "$BATS_TEST_TMPDIR/h"
        [ "$output" = "error: container ghost is not valid for pod box" ]
        run -1 podctl cp a/b/c:/x "$BATS_TEST_TMPDIR/h"
        [ "$output" = "error: filespec must match the canonical format: [[namespace/]pod:]file/path" ]
}
