#!/usr/bin/env bats
# 7j and 3: images made by the usual tools load, list and run in a Pod; the
# image config is applied with Kubernetes' rules; image rm; layer whiteouts.
# tests/run: alone (snapshots of the whole host, or host-wide state)

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

# Each test deletes the Pods it made, even when it fails; a test that switched
# to a root of its own (use_fresh_root) has that root removed.
teardown() {
        delete_all_pods
        if [ -n "${FRESH_ROOT:-}" ]; then
                common_teardown_file
                export PODCTL_ROOT=$SAVED_ROOT PODCTL_LOG_DIR=$SAVED_LOG_DIR
        fi
}

delete_all_pods() {
        local d k
        for d in "$PODCTL_ROOT"/pods/*; do
                [ -d "$d" ] || continue
                k=$(basename "$d")
                podctl -n "${k%%_*}" delete pod "${k#*_}" --force --grace-period=0 >/dev/null 2>&1 || true
        done
}

# An empty podctl root for this test only, so an image run really is the one
# just loaded (every fixture is named docker.io/library/busybox:latest).
use_fresh_root() {
        SAVED_ROOT=$PODCTL_ROOT
        SAVED_LOG_DIR=$PODCTL_LOG_DIR
        FRESH_ROOT=$(mktemp -d /tmp/podctl-it-img.XXXXXX)
        export PODCTL_ROOT=$FRESH_ROOT PODCTL_LOG_DIR=$FRESH_ROOT/logs
}

pull_failed() { # the reason, with a message naming the image
        local w
        w=$(jq_pod "$1" '.status.containerStatuses[0] | .state.waiting | "\(.reason) \(.message)"')
        [[ $w == ErrImagePull\ *localhost/rmme:1* ]] || [[ $w == ImagePullBackOff\ *localhost/rmme:1* ]]
}

done_phase() {
        local p
        p=$(pod_phase "$1")
        [ "$p" = Succeeded ] || [ "$p" = Failed ]
}

# run_pod NAME IMAGE CONTAINER-YAML: a one-container Pod (restartPolicy
# Never), waits until it ended; CONTAINER-YAML is indented 4 spaces.
run_pod() {
        local f
        f=$(manifest "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: $2
$3
EOF
)
        podctl apply -f "$f"
        wait_for 20 done_phase "$1"
}

# The single image of the root is docker.io/library/busybox:latest, and a Pod
# of it echoes; its imageID is the digest image ls reports.
loaded_busybox_runs() { # LABEL
        run podctl image ls
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -eq 2 ]
        [[ "${lines[1]}" =~ ^docker.io/library/busybox\ +latest\  ]]
        run podctl image ls -q
        [ "${#lines[@]}" -eq 1 ]
        digest=$(podctl image ls -o json | jq -r '.images[0].repoDigests[0]')
        digest=${digest#*@}
        [[ "$digest" == sha256:* ]]

        run_pod "run-$1" busybox '    command: ["sh", "-c", "echo hello from '"$1"'"]'
        phase_is "run-$1" Succeeded
        run podctl logs "run-$1"
        [ "$status" -eq 0 ]
        [ "$output" = "hello from $1" ]
        imageid=$(jq_pod "run-$1" '.status.containerStatuses[0].imageID')
        [[ "$imageid" == *"$digest" ]]
        podctl delete pod "run-$1" --grace-period=0 >/dev/null
}

@test "OCI layout made by umoci loads, lists and runs" {
        # the fixture: scripts/mkimage-busybox oci, which builds with umoci
        grep -q '^umoci init' "$REPO/scripts/mkimage-busybox"
        [ -f "$PODCTL_TEST_FIXTURES/busybox-oci/oci-layout" ]
        use_fresh_root
        run podctl image load -i "$PODCTL_TEST_FIXTURES/busybox-oci"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: docker.io/library/busybox:latest" ]
        loaded_busybox_runs umoci-layout
}

@test "OCI archive made by skopeo loads, lists and runs" {
        a="$BATS_TEST_TMPDIR/busybox-oci.tar"
        "$REPO/scripts/mkimage-busybox" oci-archive "$a" >/dev/null
        use_fresh_root
        run podctl image load -i "$a"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: docker.io/library/busybox:latest" ]
        loaded_busybox_runs skopeo-oci-archive
}

@test "OCI layout directory written by skopeo loads and runs" {
        d="$BATS_TEST_TMPDIR/skopeo-oci"
        skopeo --insecure-policy copy -q "oci:$PODCTL_TEST_FIXTURES/busybox-oci:latest" \
                "oci:$d:docker.io/library/busybox:latest"
        use_fresh_root
        run podctl image load -i "$d"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: docker.io/library/busybox:latest" ]
        loaded_busybox_runs skopeo-oci-dir
}

@test "docker save-style archive loads, lists and runs" {
        a="$BATS_TEST_TMPDIR/busybox-docker.tar"
        "$REPO/scripts/mkimage-busybox" docker-archive "$a" >/dev/null
        tar -tf "$a" | grep -qx manifest.json
        use_fresh_root
        run podctl image load -i "$a"
        [ "$status" -eq 0 ]
        [ "$output" = "Loaded image: docker.io/library/busybox:latest" ]
        loaded_busybox_runs docker-archive
}

@test "image import of a rootfs tar makes an image that runs" {
        use_fresh_root
        run podctl image import "$PODCTL_TEST_FIXTURES/busybox-rootfs.tar" localhost/rootfs:1
        [ "$status" -eq 0 ]
        [[ "$output" == *"localhost/rootfs:1"* ]]
        run podctl image ls
        [[ "$output" == *"localhost/rootfs"*"1"* ]]
        run_pod imported localhost/rootfs:1 '    command: ["sh", "-c", "echo imported; cat /etc/passwd | head -n 1"]'
        phase_is imported Succeeded
        run podctl logs imported
        [ "${lines[0]}" = imported ]
        [ "${lines[1]}" = "root:x:0:0:root:/root:/bin/sh" ]
}

# An image with a full config: busybox plus Entrypoint, Cmd, Env, WorkingDir
# and User, loaded as localhost/cfg:1.
load_cfg_image() {
        local l="$BATS_TEST_TMPDIR/cfg"
        cp -a "$PODCTL_TEST_FIXTURES/busybox-oci" "$l"
        umoci config --image "$l:latest" \
                --config.entrypoint /bin/echo --config.entrypoint ep \
                --config.cmd c1 --config.cmd c2 \
                --config.env FOO=img --config.env BAR=imgbar \
                --config.workingdir /var/www \
                --config.user 1234:1234
        podctl image load -i "$l" --name localhost/cfg:1 >/dev/null
}

@test "image config: no command/args runs Entrypoint+Cmd; args replace Cmd; command drops both" {
        load_cfg_image
        run_pod cfg-default localhost/cfg:1 ''
        phase_is cfg-default Succeeded
        [ "$(podctl logs cfg-default)" = "ep c1 c2" ]

        run_pod cfg-args localhost/cfg:1 '    args: ["a1", "a2"]'
        [ "$(podctl logs cfg-args)" = "ep a1 a2" ]

        run_pod cfg-cmd localhost/cfg:1 '    command: ["/bin/echo", "only"]'
        [ "$(podctl logs cfg-cmd)" = "only" ]

        run_pod cfg-both localhost/cfg:1 '    command: ["/bin/echo", "x"]
    args: ["y"]'
        [ "$(podctl logs cfg-both)" = "x y" ]
}

@test "image config: image Env visible, manifest env overrides it by name" {
        load_cfg_image
        run_pod cfg-env localhost/cfg:1 '    command: ["sh", "-c", "echo FOO=$FOO BAR=$BAR NEW=$NEW; echo PATH=$PATH"]
    env:
    - name: FOO
      value: pod
    - name: NEW
      value: fresh'
        phase_is cfg-env Succeeded
        run podctl logs cfg-env
        [ "${lines[0]}" = "FOO=pod BAR=imgbar NEW=fresh" ]
        [ "${lines[1]}" = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ]
        # FOO once in the environment, with the manifest's value
        run_pod cfg-env2 localhost/cfg:1 '    command: ["sh", "-c", "env | grep ^FOO="]
    env:
    - name: FOO
      value: pod'
        [ "$(podctl logs cfg-env2)" = "FOO=pod" ]
}

@test "image config: \$(VAR) expansion in command and args" {
        load_cfg_image
        # Kubernetes expands $(VAR) from the container's env (not the image's),
        # $$ escapes, an unknown reference stays as written.
        run_pod cfg-expand localhost/cfg:1 '    args: ["$(NAME)", "$$(NAME)", "$(UNDEFINED)", "$(GREETING)"]
    env:
    - name: NAME
      value: world
    - name: GREETING
      value: hello-$(NAME)'
        phase_is cfg-expand Succeeded
        [ "$(podctl logs cfg-expand)" = 'ep world $(NAME) $(UNDEFINED) hello-world' ]

        run_pod cfg-expand-cmd localhost/cfg:1 '    command: ["/bin/echo", "$(NAME)!"]
    env:
    - name: NAME
      value: world'
        [ "$(podctl logs cfg-expand-cmd)" = 'world!' ]

        # FOO is only in the image's Env: not expanded
        run_pod cfg-expand-img localhost/cfg:1 '    args: ["$(FOO)"]'
        [ "$(podctl logs cfg-expand-img)" = 'ep $(FOO)' ]
}

@test "image config: WorkingDir from the image unless workingDir is set" {
        load_cfg_image
        run_pod cfg-wd localhost/cfg:1 '    command: ["pwd"]'
        phase_is cfg-wd Succeeded
        [ "$(podctl logs cfg-wd)" = /var/www ]

        run_pod cfg-wd2 localhost/cfg:1 '    command: ["pwd"]
    workingDir: /home'
        [ "$(podctl logs cfg-wd2)" = /home ]

        # a workingDir missing from the image is made (as runc does)
        run_pod cfg-wd3 localhost/cfg:1 '    command: ["pwd"]
    workingDir: /made/by/runtime'
        phase_is cfg-wd3 Succeeded
        [ "$(podctl logs cfg-wd3)" = /made/by/runtime ]
}

@test "image config: User from the image, overridden by runAsUser" {
        load_cfg_image
        run_pod cfg-user localhost/cfg:1 '    command: ["sh", "-c", "id -u; id -g"]'
        phase_is cfg-user Succeeded
        run podctl logs cfg-user
        [ "${lines[0]}" = 1234 ]
        [ "${lines[1]}" = 1234 ]

        run_pod cfg-user2 localhost/cfg:1 '    command: ["id", "-u"]
    securityContext:
      runAsUser: 4321'
        phase_is cfg-user2 Succeeded
        [ "$(podctl logs cfg-user2)" = 4321 ]

        # 0 is a value too
        run_pod cfg-user0 localhost/cfg:1 '    command: ["id", "-u"]
    securityContext:
      runAsUser: 0'
        [ "$(podctl logs cfg-user0)" = 0 ]

        # pod-level runAsUser applies too; the container's wins
        f=$(manifest cfg-user3 <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: cfg-user3
spec:
  restartPolicy: Never
  securityContext:
    runAsUser: 2000
  containers:
  - name: a
    image: localhost/cfg:1
    command: ["id", "-u"]
  - name: b
    image: localhost/cfg:1
    command: ["id", "-u"]
    securityContext:
      runAsUser: 3000
EOF
)
        podctl apply -f "$f"
        wait_for 20 phase_is cfg-user3 Succeeded
        [ "$(podctl logs cfg-user3 -c a)" = 2000 ]
        [ "$(podctl logs cfg-user3 -c b)" = 3000 ]
}

@test "image rm: gone from image ls; a Pod using it is admitted and waits in ErrImagePull, naming it" {
        podctl image import "$PODCTL_TEST_FIXTURES/busybox-rootfs.tar" localhost/rmme:1 >/dev/null
        run_pod rm-before localhost/rmme:1 '    command: ["echo", "ok"]'
        phase_is rm-before Succeeded
        podctl delete pod rm-before --grace-period=0 >/dev/null
        id=$(podctl image ls -o json | jq -r '.images[] | select(.repoTags[0]=="localhost/rmme:1") | .id')
        [[ "$id" == sha256:* ]]

        run podctl image rm localhost/rmme:1
        [ "$status" -eq 0 ]
        run -0 podctl image ls
        [[ "$output" != *rmme* ]]
        run -0 podctl image ls -q
        [[ "$output" != *"$id"* ]]
        # busybox is still there
        run podctl image ls
        [[ "$output" == *docker.io/library/busybox* ]]

        f=$(manifest rm-after <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: rm-after
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: localhost/rmme:1
    command: ["echo", "ok"]
EOF
)
        before=$(trace_snapshot)
        # as the kubelet: admitted, the image pulled before the start (from
        # https://localhost, where nothing listens): ErrImagePull, then
        # ImagePullBackOff, both naming the image
        run podctl apply -f "$f"
        [ "$status" -eq 0 ]
        [[ "$output" == *"pod/rm-after created"* ]]
        wait_for 20 pull_failed rm-after
        run jq_pod rm-after '.status.containerStatuses[0].state.waiting.message'
        [ "$status" -eq 0 ]
        [[ "$output" == *"localhost/rmme:1"* ]]
        run podctl delete pod rm-after --grace-period=0
        [ "$status" -eq 0 ]
        assert_no_new_trace "$before"

        # removing it again: an error
        run podctl image rm localhost/rmme:1
        [ "$status" -ne 0 ]
        [[ "$output" == *"not found"* ]]
}

@test "image rm: an image a live Pod uses is refused, naming the Pod; once the Pod is done it goes" {
        podctl image import "$PODCTL_TEST_FIXTURES/busybox-rootfs.tar" localhost/busy:1 >/dev/null
        f=$(manifest inuse <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: inuse
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: localhost/busy:1
    command: ["sleep", "3600"]
EOF
)
        podctl apply -f "$f"
        wait_for 20 container_running inuse c
        id=$(podctl image ls -o json | jq -r '.images[] | select(.repoTags[0]=="localhost/busy:1") | .id')
        run -1 podctl image rm localhost/busy:1
        [[ "$output" == *'image "localhost/busy:1" is in use by pod/inuse: delete the Pod first'* ]]
        # by ID too, and nothing was removed: the container's root is whole
        run -1 podctl image rm "$id"
        [[ "$output" == *"in use by pod/inuse"* ]]
        run -0 podctl image ls
        [[ "$output" == *localhost/busy* ]]
        run -0 podctl exec inuse -- ls /bin/busybox
        podctl delete pod inuse --grace-period=0 >/dev/null
        run -0 podctl image rm localhost/busy:1
        [ "$output" = "Deleted: localhost/busy:1" ]
}

@test "layer whiteouts: files and directories deleted by an upper layer are absent" {
        l="$BATS_TEST_TMPDIR/wh"
        b="$BATS_TEST_TMPDIR/bundle"
        cp -a "$PODCTL_TEST_FIXTURES/busybox-oci" "$l"
        umoci unpack --image "$l:latest" "$b" >/dev/null
        r=$b/rootfs
        # layer 2: add files
        echo gone >"$r/etc/gone.txt"
        echo keep >"$r/etc/kept.txt"
        mkdir -p "$r/data/dir/sub" "$r/data/redo"
        echo a >"$r/data/dir/sub/a"
        echo old >"$r/data/redo/old"
        umoci repack --refresh-bundle --image "$l:latest" "$b"
        # layer 3: delete a file of layer 2, a file of layer 1, a directory
        rm -f "$r/etc/gone.txt" "$r/etc/group"
        rm -rf "$r/data/dir"
        rm -f "$r/data/redo/old"
        echo new >"$r/data/redo/new"
        umoci repack --image "$l:latest" "$b"
        # layer 4, made by hand: an opaque directory
        mkdir -p "$BATS_TEST_TMPDIR/l4/data/redo"
        : >"$BATS_TEST_TMPDIR/l4/data/redo/.wh..wh..opq"
        echo fresh >"$BATS_TEST_TMPDIR/l4/data/redo/fresh"
        tar --numeric-owner --owner=0 --group=0 -C "$BATS_TEST_TMPDIR/l4" -cf "$BATS_TEST_TMPDIR/l4.tar" data
        umoci raw add-layer --image "$l:latest" "$BATS_TEST_TMPDIR/l4.tar"
        m=$(jq -r '.manifests[0].digest' "$l/index.json")
        [ "$(jq '.layers | length' "$l/blobs/sha256/${m#sha256:}")" -eq 4 ]

        podctl image load -i "$l" --name localhost/whiteout:1 >/dev/null
        run_pod wh localhost/whiteout:1 '    command: ["sh", "-c", "for p in /etc/gone.txt /etc/group /data/dir /data/dir/sub/a /data/redo/old /data/redo/new; do [ -e $p ] && echo present $p; done; cat /etc/kept.txt; ls -A /data; ls -A /data/redo; find / -xdev -name \".wh.*\""]'
        phase_is wh Succeeded
        run podctl logs wh
        [ "${lines[0]}" = keep ]
        [ "${lines[1]}" = redo ]
        [ "${lines[2]}" = fresh ]
        [ "${#lines[@]}" -eq 3 ]
}

@test "image load of a missing or broken input fails cleanly" {
        before=$(podctl image ls -q)
        run podctl image load -i "$BATS_TEST_TMPDIR/nope.tar"
        [ "$status" -ne 0 ]
        [[ "$output" == *error* ]]
        echo "not a tar" >"$BATS_TEST_TMPDIR/junk.tar"
        run podctl image load -i "$BATS_TEST_TMPDIR/junk.tar"
        [ "$status" -ne 0 ]
        [[ "$output" == *error* ]]
        [ "$(podctl image ls -q)" = "$before" ]
}
