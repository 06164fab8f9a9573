#!/usr/bin/env bats
# Issue 11: the CRI server (`podctl serve`), driven by a gRPC client that is
# not podctl's code: Debian's python3-grpcio with stubs that grpc_tools
# generates from proto/api.proto at test time (tests/cri/cri.py). Each file
# run has its own root and its own socket; the server is started by the test
# and killed by its PID.

bats_require_minimum_version 1.5.0

load helpers
load registry-helpers

setup_file() {
        common_setup_file
        export CRI_STUBS="$PODCTL_ROOT/stubs"
        /usr/bin/python3 "$REPO/tests/cri/cri.py" gen "$CRI_STUBS"
        export CRI_SOCK="$PODCTL_ROOT/run/podctl.sock"
        export CRI_PIDFILE="$PODCTL_ROOT/serve.pid"
        cri_start
}

teardown_file() {
        cri_remove_all_sandboxes || true
        cri_stop
        reg_stop_all
        [ -z "${REG_DIR:-}" ] || rm -rf "$REG_DIR"
        common_teardown_file
}

# cri SERVICE METHOD [JSON]: one call; the response JSON on stdout.
cri() { /usr/bin/python3 "$REPO/tests/cri/cri.py" "$CRI_SOCK" "$@"; }
rt() { cri RuntimeService "$@"; }
im() { cri ImageService "$@"; }

cri_start() {
        "$PODCTL" --root "$PODCTL_ROOT" serve --listen "$CRI_SOCK" \
                >>"$PODCTL_ROOT/serve.log" 2>&1 &
        echo $! >"$CRI_PIDFILE"
        wait_for 10 rt Version >/dev/null 2>&1
}

# cri_stop [SIGNAL]: the server this file started, by its PID.
cri_stop() {
        local pid
        pid=$(cat "$CRI_PIDFILE" 2>/dev/null) || return 0
        kill "-${1:-TERM}" "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
        rm -f "$CRI_PIDFILE"
}

cri_remove_all_sandboxes() {
        local id
        [ -S "$CRI_SOCK" ] || return 0
        for id in $(rt ListPodSandbox | jq -r '.items[]?.id'); do
                rt StopPodSandbox "{\"pod_sandbox_id\": \"$id\"}" >/dev/null || true
                rt RemovePodSandbox "{\"pod_sandbox_id\": \"$id\"}" >/dev/null || true
        done
}

@test "Version names podctl and the runtime.v1 API" {
        run -0 rt Version '{"version": "v1"}'
        [ "$(jq -r .runtime_name <<<"$output")" = podctl ]
        [ "$(jq -r .runtime_api_version <<<"$output")" = v1 ]
        [ "$(jq -r .runtime_version <<<"$output")" = "$("$PODCTL" version | cut -d' ' -f2)" ]
}

@test "the socket is mode 0660, owned by root" {
        [ "$(stat -c '%a %U %F' "$CRI_SOCK")" = "660 root socket" ]
}

@test "a second server on the same socket is refused while the first answers" {
        run -1 "$PODCTL" --root "$PODCTL_ROOT" serve --listen "$CRI_SOCK"
        [[ $output == *"a server answers there"* ]]
        rt Version >/dev/null
}

@test "Status: RuntimeReady and NetworkReady are true with the CNI plugins present" {
        run -0 rt Status
        [ "$(jq -r '.status.conditions[] | select(.type=="RuntimeReady") | .status' <<<"$output")" = true ]
        [ "$(jq -r '.status.conditions[] | select(.type=="NetworkReady") | .status' <<<"$output")" = true ]
}

@test "Status: NetworkReady is false, with the reason, when a CNI plugin is missing" {
        cri_stop
        PODCTL_CNI_PATH=/nonexistent cri_start
        run -0 rt Status
        cri_stop
        cri_start
        [ "$(jq -r '.status.conditions[] | select(.type=="NetworkReady") | .status' <<<"$output")" = null ]
        [ "$(jq -r '.status.conditions[] | select(.type=="NetworkReady") | .reason' <<<"$output")" = NetworkPluginNotReady ]
        [[ $(jq -r '.status.conditions[] | select(.type=="NetworkReady") | .message' <<<"$output") == *'plugin "bridge" not found'* ]]
        [ "$(jq -r '.status.conditions[] | select(.type=="RuntimeReady") | .status' <<<"$output")" = true ]
}

@test "an RPC podctl does not implement answers UNIMPLEMENTED with a message" {
        run -1 rt CheckpointContainer '{"container_id": "x"}'
        [[ $output == "UNIMPLEMENTED: /runtime.v1.RuntimeService/CheckpointContainer is not implemented"* ]]
}

@test "ListImages and ImageStatus show the store's images (tags, digests, size)" {
        run -0 im ListImages
        local id
        id=$(jq -r '.images[] | select(.repo_tags | index("docker.io/library/busybox:latest")) | .id' <<<"$output")
        [[ $id == sha256:* ]]
        [ "$(jq -r '.images[0].size' <<<"$output")" -gt 100000 ]
        run -0 im ImageStatus '{"image": {"image": "busybox"}}'
        [ "$(jq -r .image.id <<<"$output")" = "$id" ]
        run -0 im ImageStatus "{\"image\": {\"image\": \"$id\"}}"
        [ "$(jq -r '.image.repo_tags[0]' <<<"$output")" = docker.io/library/busybox:latest ]
        run -0 im ImageStatus "{\"image\": {\"image\": \"${id:7:12}\"}}"
        [ "$(jq -r .image.id <<<"$output")" = "$id" ]
}

@test "ImageStatus of a missing image is an empty answer, not an error" {
        run -0 im ImageStatus '{"image": {"image": "docker.io/library/nothere:1"}}'
        [ "$(jq -r '.image // "none"' <<<"$output")" = none ]
}

@test "ImageStatus without an image names the field" {
        run -1 im ImageStatus '{}'
        [[ $output == "INVALID_ARGUMENT: image.image: Required value"* ]]
}

@test "RemoveImage removes every tag of the image, and again is no error" {
        "$PODCTL" image import "$PODCTL_TEST_FIXTURES/busybox-rootfs.tar" local/rm-me:1 >/dev/null
        local id
        id=$(im ImageStatus '{"image": {"image": "local/rm-me:1"}}' | jq -r .image.id)
        [[ $id == sha256:* ]]
        "$PODCTL" image ls | grep -q rm-me
        run -0 im RemoveImage '{"image": {"image": "local/rm-me:1"}}'
        run -0 "$PODCTL" image ls
        [[ $output != *rm-me* ]]
        run -0 im ImageStatus "{\"image\": {\"image\": \"$id\"}}"
        [ "$(jq -r '.image // "none"' <<<"$output")" = none ]
        run -0 im RemoveImage '{"image": {"image": "local/rm-me:1"}}'
}

@test "ImageFsInfo reports the bytes and inodes under the image store" {
        run -0 im ImageFsInfo
        [ "$(jq -r '.image_filesystems[0].fs_id.mountpoint' <<<"$output")" = "$PODCTL_ROOT/images" ]
        local used du
        used=$(jq -r '.image_filesystems[0].used_bytes.value' <<<"$output")
        du=$(du -s -B1 "$PODCTL_ROOT/images" | cut -f1)
        [ "$used" -gt 1000000 ]
        # the same count as du's, give or take what changed in between
        [ $((used - du)) -lt 65536 ]
        [ $((du - used)) -lt 65536 ]
}

@test "PullImage from a registry with credentials, by tag and by digest; ImageStatus agrees" {
        reg_setup
        reg_start basic htpasswd
        local w="$REG_DIR/images" port
        "$REPO/scripts/mkimage-busybox" oci "$w/lay" >/dev/null
        reg_push "oci:$w/lay:latest" basic/cri/busybox:1
        port=$(reg_port basic)
        reg_podctl_config
        run -1 im PullImage "{\"image\": {\"image\": \"127.0.0.1:$port/cri/busybox:1\"}}"
        [[ $output == UNKNOWN:*401* || $output == UNKNOWN:*nauthorized* ]]
        run -0 im PullImage "{\"image\": {\"image\": \"127.0.0.1:$port/cri/busybox:1\"},
                \"auth\": {\"username\": \"$REG_USER\", \"password\": \"$REG_PASS\"}}"
        local ref
        ref=$(jq -r .image_ref <<<"$output")
        [[ $ref == sha256:* ]]
        run -0 im ImageStatus "{\"image\": {\"image\": \"127.0.0.1:$port/cri/busybox:1\"}}"
        [ "$(jq -r .image.id <<<"$output")" = "$ref" ]
        local digest
        digest=$(reg_manifest_digest basic cri/busybox 1)
        [ "$(jq -r '.image.repo_digests[0]' <<<"$output")" = "127.0.0.1:$port/cri/busybox@$digest" ]
        # by digest, with docker's base64 "auth"
        im RemoveImage "{\"image\": {\"image\": \"$ref\"}}" >/dev/null
        local auth
        auth=$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64 -w0)
        run -0 im PullImage "{\"image\": {\"image\": \"127.0.0.1:$port/cri/busybox@$digest\"},
                \"auth\": {\"auth\": \"$auth\"}}"
        [ "$(jq -r .image_ref <<<"$output")" = "$ref" ]
        run -0 im ImageStatus "{\"image\": {\"image\": \"127.0.0.1:$port/cri/busybox@$digest\"}}"
        [ "$(jq -r .image.id <<<"$output")" = "$ref" ]
        im RemoveImage "{\"image\": {\"image\": \"$ref\"}}" >/dev/null
        reg_stop_all
}
