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

# what a case made for itself, also when it fails: the pull case's
# registries and their directory; the propagation case's shared mount (and
# the tmpfs below it)
teardown() {
        if [ -n "${REG_DIR:-}" ]; then
                reg_stop_all
                rm -rf "$REG_DIR"
        fi
        if [ -n "${PROP_DIR:-}" ]; then
                umount -R "$PROP_DIR" 2>/dev/null || true
                rm -rf "$PROP_DIR"
        fi
}

teardown_file() {
        cri_remove_all_sandboxes || true
        cri_stop
        # what the CRI calls could not remove: the CRI root's Pods, by podctl
        [ ! -d "$PODCTL_ROOT/cri" ] || PODCTL_ROOT=$PODCTL_ROOT/cri delete_all_pods
        reg_stop_all
        [ -z "${REG_DIR:-}" ] || rm -rf "$REG_DIR"
        common_teardown_file
}

# cri SERVICE METHOD [JSON]: one call; the response JSON on stdout.
cri() { /usr/bin/python3 "$REPO/tests/cri/cri.py" "$CRI_SOCK" "$@"; }
rt() { cri RuntimeService "$@"; }
im() { cri ImageService "$@"; }

cri_start() {
        # the CRI alone: no host manifest directory, no host-wide gc
        "$PODCTL" --root "$PODCTL_ROOT" serve --listen "$CRI_SOCK" --no-manifests --gc-interval 0 \
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

@test "RuntimeConfig names the cgroupfs driver" {
        run -0 rt RuntimeConfig
        [ "$(jq -r .linux.cgroup_driver <<<"$output")" = CGROUPFS ]
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

@test "PullImage: an auth whose server_address names another registry is not sent (containerd's ParseAuth); its own registry's is, in any of its spellings" {
        reg_setup
        reg_start basic htpasswd
        local w="$REG_DIR/images" port img
        "$REPO/scripts/mkimage-busybox" oci "$w/lay" >/dev/null
        reg_push "oci:$w/lay:latest" basic/cri/busybox:1
        port=$(reg_port basic)
        reg_podctl_config
        img=127.0.0.1:$port/cri/busybox:1
        local creds="\"username\": \"$REG_USER\", \"password\": \"$REG_PASS\""
        # another port of the same host, another host, Docker Hub: the pull
        # goes without the credentials, and the registry refuses it
        for other in "127.0.0.1:$((port + 1))" "https://registry.example.com" "https://index.docker.io/v1/"; do
                run -1 im PullImage "{\"image\": {\"image\": \"$img\"}, \"auth\": {$creds, \"server_address\": \"$other\"}}"
                [[ $output == UNKNOWN:*"auth not used: its server_address \"$other\" is not the image's registry 127.0.0.1:$port"*401* ||
                        $output == UNKNOWN:*"auth not used: its server_address \"$other\" is not the image's registry 127.0.0.1:$port"*nauthorized* ]]
                run -0 im ImageStatus "{\"image\": {\"image\": \"$img\"}}"
                [ "$(jq -r '.image.id // empty' <<<"$output")" = "" ]
        done
        for own in "127.0.0.1:$port" "https://127.0.0.1:$port" "http://127.0.0.1:$port/v2/"; do
                run -0 im PullImage "{\"image\": {\"image\": \"$img\"}, \"auth\": {$creds, \"server_address\": \"$own\"}}"
                [[ $(jq -r .image_ref <<<"$output") == sha256:* ]]
                im RemoveImage "{\"image\": {\"image\": \"$img\"}}" >/dev/null
        done
        reg_stop_all
}

# tok_registry: a registry that takes bearer tokens only (docker-registry's
# token auth, tests/token-server.py its token server) holding
# cri/busybox:1; TOK is its host:port, TOKLOG the token server's log of
# requests (one line each, no secrets)
tok_registry() {
        reg_setup
        reg_start tok token
        local w="$REG_DIR/images"
        "$REPO/scripts/mkimage-busybox" oci "$w/lay" >/dev/null
        reg_push "oci:$w/lay:latest" tok/cri/busybox:1
        reg_podctl_config
        TOK=127.0.0.1:$(reg_port tok)
        TOKLOG=$REG_DIR/tok/token.log
}

# tok_token [USER:PASS]: a token for pulling cri/busybox from the token
# server, as a credential provider would get one (anonymous: one that
# grants nothing)
tok_token() {
        local u=()
        [ -z "${1:-}" ] || u=(-u "$1")
        curl -sf --cacert "$REG_DIR/ca.crt" "${u[@]}" \
                "https://127.0.0.1:$(cat "$REG_DIR/tok/token-port")/token?service=podctl-test-registry&scope=repository:cri/busybox:pull" |
                jq -er .token
}

# tok_log_since N: the token server's log after its first N lines
tok_log_since() { tail -n "+$(($1 + 1))" "$TOKLOG"; }

@test "PullImage with auth.registry_token: sent as the registry's Bearer token, no token server asked; a refused one is UNKNOWN 401 without the token" {
        tok_registry
        local img="$TOK/cri/busybox:1" good anon before ref bad
        good=$(tok_token "$REG_USER:$REG_PASS")
        anon=$(tok_token)
        run -1 im PullImage "{\"image\": {\"image\": \"$img\"}}"
        [[ $output == UNKNOWN:*401* ]]
        before=$(wc -l <"$TOKLOG")
        run -0 im PullImage "{\"image\": {\"image\": \"$img\"}, \"auth\": {\"registry_token\": \"$good\"}}"
        ref=$(jq -r .image_ref <<<"$output")
        [[ $ref == sha256:* ]]
        run -0 im ImageStatus "{\"image\": {\"image\": \"$img\"}}"
        [ "$(jq -r .image.id <<<"$output")" = "$ref" ]
        # the token went to the registry as it was: no exchange at the token server
        [ "$(wc -l <"$TOKLOG")" -eq "$before" ]
        im RemoveImage "{\"image\": {\"image\": \"$ref\"}}" >/dev/null
        # a valid token that grants nothing, and no token at all: the
        # registry's 401, never a token server's
        for bad in "$anon" "not-a-token-$RANDOM$RANDOM"; do
                run -1 im PullImage "{\"image\": {\"image\": \"$img\"}, \"auth\": {\"registry_token\": \"$bad\"}}"
                [[ $output == "UNKNOWN: pull $img: manifest 1: 401 Unauthorized"*"(the registry token was refused)"* ]]
                [[ $output != *"$bad"* ]]
        done
        [ "$(wc -l <"$TOKLOG")" -eq "$before" ]
        run -0 im ImageStatus "{\"image\": {\"image\": \"$img\"}}"
        [ "$(jq -r '.image.id // "none"' <<<"$output")" = none ]
        run ! grep -qF -e "$good" -e "$anon" "$PODCTL_ROOT/serve.log"
}

@test "PullImage with auth.identity_token: the OAuth2 POST (grant_type=refresh_token, client_id=podctl) gets the access token; a bad refresh token fails without it in the message" {
        tok_registry
        local img="$TOK/cri/busybox:1" before ref bad=wrong-refresh-$RANDOM$RANDOM
        before=$(wc -l <"$TOKLOG")
        run -0 im PullImage "{\"image\": {\"image\": \"$img\"}, \"auth\": {\"identity_token\": \"$REG_REFRESH\"}}"
        ref=$(jq -r .image_ref <<<"$output")
        [[ $ref == sha256:* ]]
        run -0 im ImageStatus "{\"image\": {\"image\": \"$img\"}}"
        [ "$(jq -r .image.id <<<"$output")" = "$ref" ]
        # one POST the server took (its form checked there: grant type,
        # refresh token, service), one token for the manifest, config and
        # layer; no GET
        run -0 tok_log_since "$before"
        [ "$output" = "POST $REG_USER podctl repository:cri/busybox:pull" ]
        im RemoveImage "{\"image\": {\"image\": \"$ref\"}}" >/dev/null
        # refused: the POST's 400 invalid_grant, then containerd's GET with
        # it as Basic password, 401
        before=$(wc -l <"$TOKLOG")
        run -1 im PullImage "{\"image\": {\"image\": \"$img\"}, \"auth\": {\"identity_token\": \"$bad\"}}"
        [[ $output == "UNKNOWN: pull $img: token server: 401 Unauthorized: incorrect username or password (the GET tried after the OAuth2 POST was answered 400)" ]]
        [[ $output != *"$bad"* ]]
        run -0 tok_log_since "$before"
        [ "$output" = "$(printf 'POST denied podctl repository:cri/busybox:pull\ndenied repository:cri/busybox:pull')" ]
        run -0 im ImageStatus "{\"image\": {\"image\": \"$img\"}}"
        [ "$(jq -r '.image.id // "none"' <<<"$output")" = none ]
        run ! grep -qF -e "$REG_REFRESH" -e "$bad" "$PODCTL_ROOT/serve.log"
}

@test "PullImage with auth.identity_token, a token server without OAuth2: after the POST's 404 the GET with the refresh token as Basic password (containerd's fallback); a 405 fails with no GET" {
        tok_registry
        local img="$TOK/cri/busybox:1" before ref
        echo 404 >"$REG_DIR/tok/post-status"
        before=$(wc -l <"$TOKLOG")
        run -0 im PullImage "{\"image\": {\"image\": \"$img\"}, \"auth\": {\"identity_token\": \"$REG_REFRESH\"}}"
        ref=$(jq -r .image_ref <<<"$output")
        [[ $ref == sha256:* ]]
        run -0 tok_log_since "$before"
        [ "$output" = "$(printf 'POST 404 repository:cri/busybox:pull\n%s repository:cri/busybox:pull' "$REG_USER")" ]
        im RemoveImage "{\"image\": {\"image\": \"$ref\"}}" >/dev/null
        # 405 falls back only with a user name, which an identity token has not
        echo 405 >"$REG_DIR/tok/post-status"
        before=$(wc -l <"$TOKLOG")
        run -1 im PullImage "{\"image\": {\"image\": \"$img\"}, \"auth\": {\"identity_token\": \"$REG_REFRESH\"}}"
        [[ $output == "UNKNOWN: pull $img: token server: OAuth2 POST: 405 Method Not Allowed: unsupported" ]]
        run -0 tok_log_since "$before"
        [ "$output" = "POST 405 repository:cri/busybox:pull" ]
}

# ---- sandboxes -----------------------------------------------------------------

# sandbox_config NAME [EXTRA JSON merged into config]
sandbox_config() {
        jq -nc --arg n "$1" --argjson x "${2:-{\}}" '{config: ({
                metadata: {name: $n, namespace: "cri-test", uid: ("uid-" + $n), attempt: 1},
                hostname: ($n + "-host"),
                log_directory: ("/tmp/cri-logs/" + $n),
                labels: {app: $n, tier: "test"},
                annotations: {"example.com/a": "b"}
        } * $x)}'
}
run_sandbox() { rt RunPodSandbox "$(sandbox_config "$@")" | jq -r .pod_sandbox_id; }
sb_status() { rt PodSandboxStatus "{\"pod_sandbox_id\": \"$1\", \"verbose\": true}"; }
sb_pid() { sb_status "$1" | jq -r '.info.info | fromjson | .pid'; }
sb_state() { rt ListPodSandbox "{\"filter\": {\"id\": \"$1\"}}" | jq -r '.items[0].state // "SANDBOX_READY"'; }

@test "RunPodSandbox: a ready sandbox with its own netns, the CNI IP, hostname, DNS, sysctls, labels" {
        local id pid ip
        id=$(run_sandbox web '{"dns_config": {"servers": ["10.96.0.10"], "searches": ["cri-test.svc.cluster.local"], "options": ["ndots:5"]},
                "linux": {"sysctls": {"net.ipv4.ip_unprivileged_port_start": "81"}}}')
        [[ $id =~ ^[0-9a-f]{64}$ ]]
        run -0 sb_status "$id"
        [ "$(jq -r .status.state <<<"$output")" = null ] # SANDBOX_READY is proto3's default
        [ "$(jq -r .status.metadata.name <<<"$output")" = web ]
        [ "$(jq -r .status.metadata.attempt <<<"$output")" = 1 ]
        [ "$(jq -r .status.labels.app <<<"$output")" = web ]
        [ "$(jq -r '.status.annotations["example.com/a"]' <<<"$output")" = b ]
        [ "$(jq -r .status.created_at <<<"$output")" -gt 0 ]
        ip=$(jq -r .status.network.ip <<<"$output")
        pid=$(jq -r '.info.info | fromjson | .pid' <<<"$output")
        [ -d "/proc/$pid" ]
        [ "$(ns_inode "$pid" net)" != "$(ns_inode self net)" ]
        [ "$(ns_inode "$pid" uts)" != "$(ns_inode self uts)" ]
        # the kernel's facts inside the sandbox
        nsenter --net="/proc/$pid/ns/net" ip -4 -o addr show eth0 | grep -q " $ip/"
        [ "$(nsenter --uts="/proc/$pid/ns/uts" hostname)" = web-host ]
        [ "$(nsenter --net="/proc/$pid/ns/net" cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" = 81 ]
        local dir
        dir=$(sb_status "$id" | jq -r '.info.info | fromjson | .podctlPod')
        grep -qx 'nameserver 10.96.0.10' "$PODCTL_ROOT/cri/pods/cri-test_$dir/etc/resolv.conf"
        grep -qx 'search cri-test.svc.cluster.local' "$PODCTL_ROOT/cri/pods/cri-test_$dir/etc/resolv.conf"
        grep -qx 'options ndots:5' "$PODCTL_ROOT/cri/pods/cri-test_$dir/etc/resolv.conf"
        # pause sits in the Pod's cgroup
        grep -q "pod[0-9a-f-]*/pause$" "/proc/$pid/cgroup"
}

@test "RunPodSandbox: run_as_user/run_as_group: pause runs as them, with no capabilities; a container of it runs" {
        local id pid
        id=$(run_sandbox asuser '{"linux": {"security_context": {"run_as_user": {"value": 65534}, "run_as_group": {"value": 65533}}}}')
        pid=$(sb_pid "$id")
        [ "$(awk '/^Uid:/ {print $2 $3 $4 $5}' "/proc/$pid/status")" = 65534655346553465534 ]
        [ "$(awk '/^Gid:/ {print $2 $3 $4 $5}' "/proc/$pid/status")" = 65533655336553365533 ]
        [ "$(awk '/^CapEff:/ {print $2}' "/proc/$pid/status")" = 0000000000000000 ]
        [ "$(awk '/^Groups:/ {print $2}' "/proc/$pid/status")" = "" ]
        # the sandbox works: a container starts in it, in its netns
        cid=$(rt CreateContainer "$(jq -nc --arg s "$id" '{pod_sandbox_id: $s, config: {
                metadata: {name: "c", attempt: 0}, image: {image: "busybox"},
                command: ["sleep", "3600"], log_path: "c/0.log"}}')" | jq -r .container_id)
        rt StartContainer "{\"container_id\": \"$cid\"}" >/dev/null
        cpid=$(rt ContainerStatus "{\"container_id\": \"$cid\", \"verbose\": true}" | jq -r '.info.info | fromjson | .pid')
        [ "$(ns_inode "$cpid" net)" = "$(ns_inode "$pid" net)" ]
        # run_as_user alone: group 0, as containerd's
        id=$(run_sandbox asuser2 '{"linux": {"security_context": {"run_as_user": {"value": 1000}}}}')
        pid=$(sb_pid "$id")
        [ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = 1000 ]
        [ "$(awk '/^Gid:/ {print $2}' "/proc/$pid/status")" = 0 ]
}

@test "RunPodSandbox: the sandbox's seccomp and supplementary groups are pause's; a container has its own; privileged needs a privileged sandbox" {
        local id pid plain cid cpid
        id=$(run_sandbox seccomp '{"linux": {"security_context": {"seccomp": {"profile_type": "RuntimeDefault"}, "supplemental_groups": [1234, 5678]}}}')
        pid=$(sb_pid "$id")
        [ "$(awk '/^Seccomp:/ {print $2}' "/proc/$pid/status")" = 2 ]
        [ "$(awk '/^NoNewPrivs:/ {print $2}' "/proc/$pid/status")" = 1 ]
        [ "$(awk '/^Groups:/ {print $2, $3}' "/proc/$pid/status")" = "1234 5678" ]
        # without one: unconfined, as before
        plain=$(run_sandbox noseccomp)
        [ "$(awk '/^Seccomp:/ {print $2}' "/proc/$(sb_pid "$plain")/status")" = 0 ]
        # a container's groups are its own security context's, not pause's
        cid=$(rt CreateContainer "$(jq -nc --arg s "$id" '{pod_sandbox_id: $s, config: {
                metadata: {name: "g", attempt: 0}, image: {image: "busybox"},
                command: ["sleep", "3600"], log_path: "g/0.log",
                linux: {security_context: {supplemental_groups: [777]}}}}')" | jq -r .container_id)
        rt StartContainer "{\"container_id\": \"$cid\"}" >/dev/null
        cpid=$(rt ContainerStatus "{\"container_id\": \"$cid\", \"verbose\": true}" | jq -r '.info.info | fromjson | .pid')
        grep -qw 777 <(awk '/^Groups:/' "/proc/$cpid/status")
        run ! grep -qw 1234 <(awk '/^Groups:/' "/proc/$cpid/status")
        # ContainerStatus's user: the ids it runs with
        run -0 rt ContainerStatus "{\"container_id\": \"$cid\"}"
        [ "$(jq -r '.status.user.linux.uid // 0 | tonumber' <<<"$output")" = 0 ]
        [ "$(jq -r '.status.user.linux.supplemental_groups | map(tonumber) | index(777) != null' <<<"$output")" = true ]
        # privileged: refused in this sandbox, created in a privileged one
        run -1 rt CreateContainer "$(jq -nc --arg s "$id" '{pod_sandbox_id: $s, config: {
                metadata: {name: "p", attempt: 0}, image: {image: "busybox"},
                command: ["true"], linux: {security_context: {privileged: true}}}}')"
        [[ $output == *"no privileged container allowed in sandbox"* ]]
        priv=$(run_sandbox priv '{"linux": {"security_context": {"privileged": true}}}')
        run -0 rt CreateContainer "$(jq -nc --arg s "$priv" '{pod_sandbox_id: $s, config: {
                metadata: {name: "p", attempt: 0}, image: {image: "busybox"},
                command: ["true"], linux: {security_context: {privileged: true}}}}')"
        # SELinux options and Localhost profiles: refused, naming the field
        run -1 rt RunPodSandbox "$(sandbox_config selinux '{"linux": {"security_context": {"selinux_options": {"type": "spc_t"}}}}')"
        [[ $output == *"config.linux.security_context.selinux_options"* ]]
        run -1 rt RunPodSandbox "$(sandbox_config lh '{"linux": {"security_context": {"seccomp": {"profile_type": "Localhost", "localhost_ref": "/x.json"}}}}')"
        [[ $output == *"config.linux.security_context.seccomp: Localhost"* ]]
}

@test "RunPodSandbox: a user namespace with the kubelet's mapping; its containers run in it; a range held twice is refused" {
        local un id pid cid cpid
        un='{"mode": "POD", "uids": [{"host_id": 3276800, "container_id": 0, "length": 65536}], "gids": [{"host_id": 3276800, "container_id": 0, "length": 65536}]}'
        id=$(run_sandbox userns "{\"linux\": {\"security_context\": {\"namespace_options\": {\"userns_options\": $un}}}}")
        pid=$(sb_pid "$id")
        [ "$(awk '{print $1, $2, $3}' "/proc/$pid/uid_map")" = "0 3276800 65536" ]
        [ "$(awk '{print $1, $2, $3}' "/proc/$pid/gid_map")" = "0 3276800 65536" ]
        [ "$(ns_inode "$pid" user)" != "$(ns_inode $$ user)" ]
        cid=$(rt CreateContainer "$(jq -nc --arg s "$id" '{pod_sandbox_id: $s, config: {
                metadata: {name: "u", attempt: 0}, image: {image: "busybox"},
                command: ["sleep", "3600"], log_path: "u/0.log"}}')" | jq -r .container_id)
        rt StartContainer "{\"container_id\": \"$cid\"}" >/dev/null
        cpid=$(rt ContainerStatus "{\"container_id\": \"$cid\", \"verbose\": true}" | jq -r '.info.info | fromjson | .pid')
        [ "$(ns_inode "$cpid" user)" = "$(ns_inode "$pid" user)" ]
        # root inside, the mapped host id outside
        [ "$(awk '/^Uid:/ {print $2}' "/proc/$cpid/status")" = 3276800 ]
        run -0 rt ExecSync "{\"container_id\": \"$cid\", \"cmd\": [\"id\", \"-u\"], \"timeout\": 10}"
        [ "$(jq -r .stdout <<<"$output" | base64 -d)" = 0 ]
        # the same range for another sandbox: refused, nothing left
        run -1 rt RunPodSandbox "$(sandbox_config userns2 "{\"linux\": {\"security_context\": {\"namespace_options\": {\"userns_options\": $un}}}}")"
        [[ $output == *"held by another Pod"* ]]
        # mappings podctl cannot take, and a user namespace with the host's network
        run -1 rt RunPodSandbox "$(sandbox_config userns3 '{"linux": {"security_context": {"namespace_options": {"userns_options": {"mode": "POD", "uids": [{"host_id": 3342336, "container_id": 0, "length": 65536}], "gids": [{"host_id": 3407872, "container_id": 0, "length": 65536}]}}}}}')"
        [[ $output == *"userns_options: the uid and gid mappings must be the same range"* ]]
        run -1 rt RunPodSandbox "$(sandbox_config userns4 '{"linux": {"security_context": {"namespace_options": {"network": "NODE", "userns_options": {"mode": "POD", "uids": [{"host_id": 3342336, "container_id": 0, "length": 65536}], "gids": [{"host_id": 3342336, "container_id": 0, "length": 65536}]}}}}}')"
        [[ $output == *"a user namespace needs the sandbox's own network"* ]]
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$id\"}" >/dev/null
        [ ! -e /run/podctl/userns/3276800 ]
}

@test "CRI sandboxes are apart from applied Pods: podctl get pods --cri shows them" {
        local id
        id=$(run_sandbox apart)
        run -0 podctl get pods --cri -n cri-test
        [[ $output == *apart-1-* ]]
        run -0 podctl get pods -A
        [[ $output != *apart-1-* ]]
}

@test "namespace options: host network, IPC and PID, and a shared PID namespace" {
        local id pid
        id=$(run_sandbox hostns '{"linux": {"security_context": {"namespace_options": {"network": "NODE", "ipc": "NODE", "pid": "NODE"}}}}')
        pid=$(sb_pid "$id")
        [ "$(ns_inode "$pid" net)" = "$(ns_inode self net)" ]
        [ "$(ns_inode "$pid" ipc)" = "$(ns_inode self ipc)" ]
        [ "$(ns_inode "$pid" pid)" = "$(ns_inode self pid)" ]
        run -0 sb_status "$id"
        [ "$(jq -r '.status.network.ip // "none"' <<<"$output")" = none ]
        [ "$(jq -r .status.linux.namespaces.options.network <<<"$output")" = NODE ]
        id=$(run_sandbox podpid '{"linux": {"security_context": {"namespace_options": {"pid": "POD"}}}}')
        pid=$(sb_pid "$id")
        [ "$(ns_inode "$pid" pid)" != "$(ns_inode self pid)" ]
        [ "$(ns_inode "$pid" ipc)" != "$(ns_inode self ipc)" ]
        # pause is PID 1 of the shared PID namespace
        [ "$(awk '/^NSpid:/ {print $NF}' "/proc/$pid/status")" = 1 ]
}

@test "bad sandbox configs fail naming the field, and leave nothing" {
        local before
        before=$(ls "$PODCTL_ROOT/cri/pods" | wc -l)
        run -1 rt RunPodSandbox '{"config": {"metadata": {"namespace": "cri-test", "uid": "u"}}}'
        [ "$output" = "INVALID_ARGUMENT: config.metadata.name: Required value" ]
        run -1 rt RunPodSandbox '{"config": {"metadata": {"name": "x", "namespace": "Bad_NS", "uid": "u"}}}'
        [[ $output == 'INVALID_ARGUMENT: config.metadata.namespace: Invalid value: "Bad_NS"'* ]]
        run -1 rt RunPodSandbox "$(sandbox_config pm '{"port_mappings": [{"container_port": 80, "host_port": 70000}]}')"
        [[ $output == "INVALID_ARGUMENT: config.port_mappings[0]: Invalid value: "* ]]
        run -1 rt RunPodSandbox '{"config": {"metadata": {"name": "x", "namespace": "cri-test", "uid": "u"}}, "runtime_handler": "kata"}'
        [[ $output == 'INVALID_ARGUMENT: runtime_handler: Unsupported value: "kata"'* ]]
        [ "$(ls "$PODCTL_ROOT/cri/pods" | wc -l)" = "$before" ]
}

@test "the same sandbox twice is ALREADY_EXISTS" {
        run_sandbox twice >/dev/null
        run -1 rt RunPodSandbox "$(sandbox_config twice)"
        [[ $output == "ALREADY_EXISTS: "* ]]
}

@test "StopPodSandbox ends pause and the network, keeps the sandbox NOTREADY; Remove deletes it; both idempotent" {
        local id pid start ip
        id=$(run_sandbox stopme)
        pid=$(sb_pid "$id")
        start=$(proc_start "$pid")
        ip=$(sb_status "$id" | jq -r .status.network.ip)
        [ -e "/var/lib/cni/networks/podctl/$ip" ]
        run -0 rt StopPodSandbox "{\"pod_sandbox_id\": \"$id\"}"
        run ! same_process "$pid" "$start"
        [ ! -e "/var/lib/cni/networks/podctl/$ip" ]
        [ "$(sb_state "$id")" = SANDBOX_NOTREADY ]
        run -0 rt StopPodSandbox "{\"pod_sandbox_id\": \"$id\"}"
        run -0 sb_status "$id"
        [ "$(jq -r .status.state <<<"$output")" = SANDBOX_NOTREADY ]
        run -0 rt RemovePodSandbox "{\"pod_sandbox_id\": \"$id\"}"
        run -0 rt ListPodSandbox "{\"filter\": {\"id\": \"$id\"}}"
        [ "$(jq -r '.items | length' <<<"$output")" = 0 ]
        run -0 rt RemovePodSandbox "{\"pod_sandbox_id\": \"$id\"}"
        run -1 rt PodSandboxStatus "{\"pod_sandbox_id\": \"$id\"}"
        [[ $output == "NOT_FOUND: "* ]]
}

@test "RemovePodSandbox of a ready sandbox stops it first" {
        local id pid start
        id=$(run_sandbox removeready)
        pid=$(sb_pid "$id")
        start=$(proc_start "$pid")
        run -0 rt RemovePodSandbox "{\"pod_sandbox_id\": \"$id\"}"
        run ! same_process "$pid" "$start"
        run -0 podctl get pods --cri -n cri-test
        [[ $output != *removeready* ]]
}

@test "ListPodSandbox filters by id prefix, state and labels" {
        local a b
        a=$(run_sandbox lista)
        b=$(run_sandbox listb '{"labels": {"app": "listb", "tier": "other"}}')
        rt StopPodSandbox "{\"pod_sandbox_id\": \"$b\"}" >/dev/null
        run -0 rt ListPodSandbox "{\"filter\": {\"id\": \"${a:0:12}\"}}"
        [ "$(jq -r '[.items[].id] | join(",")' <<<"$output")" = "$a" ]
        run -0 rt ListPodSandbox '{"filter": {"label_selector": {"tier": "other"}}}'
        [ "$(jq -r '[.items[].id] | join(",")' <<<"$output")" = "$b" ]
        run -0 rt ListPodSandbox '{"filter": {"state": {"state": "SANDBOX_NOTREADY"}, "label_selector": {"app": "listb"}}}'
        [ "$(jq -r '[.items[].id] | join(",")' <<<"$output")" = "$b" ]
        run -0 rt ListPodSandbox '{"filter": {"state": {"state": "SANDBOX_READY"}, "label_selector": {"app": "listb"}}}'
        [ "$(jq -r '.items | length' <<<"$output")" = 0 ]
}

@test "the server keeps no state: SIGKILL and a restart list the same sandboxes, pause untouched" {
        local id pid start before
        id=$(run_sandbox survivor)
        pid=$(sb_pid "$id")
        start=$(proc_start "$pid")
        before=$(rt ListPodSandbox | jq -cS '[.items[] | {id, state, metadata, labels}] | sort_by(.id)')
        cri_stop KILL
        same_process "$pid" "$start"
        cri_start
        local after
        after=$(rt ListPodSandbox | jq -cS '[.items[] | {id, state, metadata, labels}] | sort_by(.id)')
        echo "before: $before"
        echo "after: $after"
        [ "$after" = "$before" ]
        [ "$(sb_pid "$id")" = "$pid" ]
        same_process "$pid" "$start"
}

# The sandboxes of the CRI root that the kernel has: a live monitor each.
kernel_sandboxes() {
        local p d
        # the monitors (not their keepers, whose command lines hold the
        # monitor's)
        for p in $(pgrep -x podctl-monitor || true); do
                tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "--root $PODCTL_ROOT/cri " || continue
                d=$(tr '\0' '\n' <"/proc/$p/cmdline" | grep -A1 -x -- --pod-dir | tail -n1)
                basename "$d"
        done | sort
}
# ... and what the CRI lists (the podctl Pod of each, from the verbose info)
listed_sandboxes() {
        local id
        for id in $(rt ListPodSandbox '{"filter": {"state": {"state": "SANDBOX_READY"}}}' | jq -r '.items[]?.id'); do
                sb_status "$id" | jq -r '.status.metadata.namespace + "_" + (.info.info | fromjson | .podctlPod)'
        done | sort
}
pods_at_least() { [ "$(ls "$PODCTL_ROOT/cri/pods" | grep -c '^burst_')" -ge "$1" ]; }

@test "SIGKILL of the server during a burst of RunPodSandbox from 3 clients: each sandbox is whole or gone" {
        /usr/bin/python3 "$REPO/tests/cri/burst.py" "$CRI_SOCK" 3 4 kill >"$BATS_TEST_TMPDIR/burst.out" 2>&1 &
        local bp=$!
        wait_for 60 pods_at_least 2
        cri_stop KILL
        wait "$bp"
        cat "$BATS_TEST_TMPDIR/burst.out"
        cri_start
        # a sandbox whose monitor had started finishes its setup on its own:
        # then the kernel's and the CRI's lists agree
        agree() { [ "$(kernel_sandboxes)" = "$(listed_sandboxes)" ]; }
        wait_for 30 agree
        local n
        n=$(listed_sandboxes | grep -c '^burst_')
        [ "$n" -ge 2 ]
        # every listed one is ready in the kernel: pause alive, its own netns with an IP
        local id pid ip
        for id in $(rt ListPodSandbox '{"filter": {"label_selector": {}}}' | jq -r '.items[]?.id'); do
                run -0 sb_status "$id"
                [ "$(jq -r '.status.metadata.namespace' <<<"$output")" = burst ] || continue
                [ "$(jq -r .status.state <<<"$output")" = null ]
                pid=$(jq -r '.info.info | fromjson | .pid' <<<"$output")
                ip=$(jq -r .status.network.ip <<<"$output")
                nsenter --net="/proc/$pid/ns/net" ip -4 -o addr show eth0 | grep -q " $ip/"
        done
        # what was not made whole is not listed, and a new sandbox clears its debris
        run_sandbox after-burst >/dev/null
        [ "$(ls "$PODCTL_ROOT/cri/pods" | grep -c '^burst_')" = "$n" ]
}

@test "the server's memory does not grow with requests" {
        # ASan keeps freed memory in quarantine (up to 256 MB): RSS says nothing there
        [[ $B != *san* ]] || skip "RSS under AddressSanitizer grows by its quarantine"
        local pid rss0 rss1
        pid=$(cat "$CRI_PIDFILE")
        # a warm-up long enough for glibc's per-thread arenas to reach their
        # size (each call runs on a thread of its own): RSS then stays
        /usr/bin/python3 - "$CRI_SOCK" 1500 <<'PY'
import os, sys
sys.path.insert(0, os.environ["CRI_STUBS"])
import grpc, api_pb2, api_pb2_grpc
st = api_pb2_grpc.RuntimeServiceStub(grpc.insecure_channel("unix:" + sys.argv[1]))
for i in range(int(sys.argv[2])):
    st.ListPodSandbox(api_pb2.ListPodSandboxRequest())
    st.Status(api_pb2.StatusRequest())
PY
        rss0=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
        /usr/bin/python3 - "$CRI_SOCK" 1500 <<'PY'
import os, sys
sys.path.insert(0, os.environ["CRI_STUBS"])
import grpc, api_pb2, api_pb2_grpc
st = api_pb2_grpc.RuntimeServiceStub(grpc.insecure_channel("unix:" + sys.argv[1]))
for i in range(int(sys.argv[2])):
    st.ListPodSandbox(api_pb2.ListPodSandboxRequest())
    st.Status(api_pb2.StatusRequest())
PY
        rss1=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
        echo "RSS after 3000 calls: $rss0 kB, after 6000: $rss1 kB"
        # a leak of a few hundred bytes a call would be > 1 MB here
        [ $((rss1 - rss0)) -lt 1024 ]
}

@test "cgroup_parent: the sandbox's cgroup is podctl/cri/<parent>/pod<uid>, gone with the sandbox" {
        local parent="/kubepods-test-$$/besteffort/pod-$RANDOM" id pid
        id=$(run_sandbox cgp "{\"linux\": {\"cgroup_parent\": \"$parent\"}}")
        pid=$(sb_pid "$id")
        grep -q ":/podctl/cri$parent/pod[0-9a-f-]*/pause$" "/proc/$pid/cgroup"
        local dir
        dir=$(grep -m1 -o ":/podctl/cri$parent/pod[0-9a-f-]*/pause$" "/proc/$pid/cgroup" | sed 's/^://')
        local any
        any=$(ls -d /sys/fs/cgroup/*/podctl/cri 2>/dev/null | head -n1)
        [ -n "$any" ] || any=/sys/fs/cgroup/podctl/cri
        grep -qx "$pid" "${any%/podctl/cri}$dir/cgroup.procs"
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$id\"}" >/dev/null
        [ ! -e "${any}${parent}" ]
        [ ! -e "${any}/${parent#/}" ]
        [ ! -e "${any}/kubepods-test-$$" ]
        run -1 rt RunPodSandbox "$(sandbox_config cgbad '{"linux": {"cgroup_parent": "/a/../b"}}')"
        [[ $output == 'INVALID_ARGUMENT: config.linux.cgroup_parent: Invalid value: "/a/../b"'* ]]
}

@test "--cgroup-driver systemd: RuntimeConfig says SYSTEMD; a slice name as cgroup_parent nests as systemd nests slices, below podctl/cri" {
        cri_stop
        "$PODCTL" --root "$PODCTL_ROOT" serve --listen "$CRI_SOCK" --no-manifests --gc-interval 0 \
                --cgroup-driver systemd >>"$PODCTL_ROOT/serve.log" 2>&1 &
        echo $! >"$CRI_PIDFILE"
        wait_for 10 rt Version >/dev/null 2>&1
        run -0 rt RuntimeConfig
        # SYSTEMD is the enum's 0: proto3 leaves it out of the message
        [ "$(jq -r '.linux.cgroup_driver // "SYSTEMD"' <<<"$output")" = SYSTEMD ]
        local id pid slices="/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod$$.slice"
        id=$(run_sandbox sdp "{\"linux\": {\"cgroup_parent\": \"kubepods-besteffort-pod$$.slice\"}}")
        pid=$(sb_pid "$id")
        grep -q ":/podctl/cri$slices/pod[0-9a-f-]*/pause$" "/proc/$pid/cgroup"
        run -1 rt RunPodSandbox "$(sandbox_config sdbad '{"linux": {"cgroup_parent": "/kubepods/besteffort"}}')"
        [[ $output == 'INVALID_ARGUMENT: config.linux.cgroup_parent: Invalid value: "/kubepods/besteffort": the systemd cgroup driver takes a slice name'* ]]
        run -1 rt RunPodSandbox "$(sandbox_config sdbad2 '{"linux": {"cgroup_parent": "a--b.slice"}}')"
        [[ $output == 'INVALID_ARGUMENT: config.linux.cgroup_parent: Invalid value: "a--b.slice"'* ]]
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$id\"}" >/dev/null
        local any
        any=$(ls -d /sys/fs/cgroup/*/podctl/cri 2>/dev/null | head -n1)
        [ -n "$any" ] || any=/sys/fs/cgroup/podctl/cri
        [ ! -e "$any/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod$$.slice" ]
        # back to the file's server (cgroupfs)
        cri_stop
        cri_start
        run -0 rt RuntimeConfig
        [ "$(jq -r .linux.cgroup_driver <<<"$output")" = CGROUPFS ]
}

@test "UpdatePodSandboxResources: the sandbox's Pod cgroup takes the resources plus the overhead; unset ones are kept" {
        local id pid dir v1=1
        id=$(run_sandbox upd)
        pid=$(sb_pid "$id")
        [ -f /sys/fs/cgroup/cgroup.controllers ] && v1=
        if [ -n "$v1" ]; then
                dir=$(grep -m1 -E '^[0-9]+:memory:' "/proc/$pid/cgroup" | cut -d: -f3)
                dir=${dir%/pause}
        else
                dir=$(grep -m1 '^0::' "/proc/$pid/cgroup" | cut -d: -f3)
                dir=${dir%/pause}
        fi
        mem() { if [ -n "$v1" ]; then cat "/sys/fs/cgroup/memory$dir/memory.limit_in_bytes"; else cat "/sys/fs/cgroup$dir/memory.max"; fi; }
        quota() { if [ -n "$v1" ]; then cat "/sys/fs/cgroup/cpu$dir/cpu.cfs_quota_us"; else cut -d' ' -f1 "/sys/fs/cgroup$dir/cpu.max"; fi; }
        rt UpdatePodSandboxResources "{\"pod_sandbox_id\": \"$id\",
                \"resources\": {\"memory_limit_in_bytes\": 134217728, \"cpu_period\": 100000, \"cpu_quota\": 50000},
                \"overhead\": {\"memory_limit_in_bytes\": 16777216, \"cpu_quota\": 10000}}" >/dev/null
        [ "$(mem)" = 150994944 ]
        [ "$(quota)" = 60000 ]
        # memory only: the quota stays
        rt UpdatePodSandboxResources "{\"pod_sandbox_id\": \"$id\", \"resources\": {\"memory_limit_in_bytes\": 268435456}}" >/dev/null
        [ "$(mem)" = 268435456 ]
        [ "$(quota)" = 60000 ]
        run -1 rt UpdatePodSandboxResources '{"pod_sandbox_id": "0000000000000000"}'
        [[ $output == NOT_FOUND:* ]]
        run -1 rt UpdatePodSandboxResources "{\"pod_sandbox_id\": \"$id\"}"
        [[ $output == "INVALID_ARGUMENT: resources: Required value"* ]]
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$id\"}" >/dev/null
}

# ---- containers ----------------------------------------------------------------

# ctr_sandbox NAME: a sandbox whose log_directory is under the test's root
ctr_sandbox() { run_sandbox "$1" "{\"log_directory\": \"$PODCTL_ROOT/logs/$1\"}"; }
# ctr_config SANDBOX_ID NAME [EXTRA JSON merged into config]
ctr_config() {
        jq -nc --arg s "$1" --arg n "$2" --argjson x "${3:-{\}}" '{pod_sandbox_id: $s, config: ({
                metadata: {name: $n, attempt: 0},
                image: {image: "busybox"},
                log_path: ($n + "/0.log"),
                labels: {ctr: $n},
                annotations: {"example.com/c": "d"}
        } * $x)}'
}
create_ctr() { rt CreateContainer "$(ctr_config "$@")" | jq -r .container_id; }
ctr_status() { rt ContainerStatus "{\"container_id\": \"$1\", \"verbose\": true}"; }
ctr_state() { ctr_status "$1" | jq -r '.status.state // "CONTAINER_CREATED"'; }
ctr_pid() { ctr_status "$1" | jq -r '.info.info | fromjson | .pid'; }
ctr_exited() { [ "$(ctr_state "$1")" = CONTAINER_EXITED ]; }

@test "containers: create, start, list, status (pid's namespaces), CRI log, stop without restart, remove" {
        local sb cid pid ppid started
        sb=$(ctr_sandbox flow)
        mkdir -p "$PODCTL_ROOT/data-flow"
        echo from-host >"$PODCTL_ROOT/data-flow/f"
        cid=$(create_ctr "$sb" app "{\"command\": [\"sh\", \"-c\"],
                \"args\": [\"echo hello-cri; trap 'exit 3' TERM; while :; do sleep 0.1; done\"],
                \"envs\": [{\"key\": \"FOO\", \"value\": \"bar\"}],
                \"mounts\": [{\"host_path\": \"$PODCTL_ROOT/data-flow\", \"container_path\": \"/data\", \"readonly\": true}]}")
        [[ $cid =~ ^[0-9a-f]{64}$ ]]
        [ "$(ctr_state "$cid")" = CONTAINER_CREATED ]
        run -0 rt StartContainer "{\"container_id\": \"$cid\"}"
        [ "$(ctr_state "$cid")" = CONTAINER_RUNNING ]
        run -0 rt ListContainers "{\"filter\": {\"pod_sandbox_id\": \"$sb\"}}"
        [ "$(jq -r '.containers | length' <<<"$output")" = 1 ]
        [ "$(jq -r '.containers[0].id' <<<"$output")" = "$cid" ]
        [ "$(jq -r '.containers[0].metadata.name' <<<"$output")" = app ]
        [ "$(jq -r '.containers[0].labels.ctr' <<<"$output")" = app ]
        [ "$(jq -r '.containers[0].pod_sandbox_id' <<<"$output")" = "$sb" ]
        [[ $(jq -r '.containers[0].image_ref' <<<"$output") == sha256:* ]]
        # the filters: id prefix, state, labels
        [ "$(rt ListContainers "{\"filter\": {\"id\": \"${cid:0:12}\"}}" | jq -r '.containers | length')" = 1 ]
        [ "$(rt ListContainers '{"filter": {"state": {"state": "CONTAINER_EXITED"}}}' | jq -r '.containers | length')" = 0 ]
        [ "$(rt ListContainers '{"filter": {"label_selector": {"ctr": "other"}}}' | jq -r '.containers | length')" = 0 ]
        [ "$(rt ListContainers '{"filter": {"label_selector": {"ctr": "app"}}}' | jq -r '.containers | length')" = 1 ]
        run -0 ctr_status "$cid"
        [ "$(jq -r '.status.annotations["example.com/c"]' <<<"$output")" = d ]
        [ "$(jq -r '.status.log_path' <<<"$output")" = "$PODCTL_ROOT/logs/flow/app/0.log" ]
        [ "$(jq -r '.status.mounts[0].container_path' <<<"$output")" = /data ]
        [ "$(jq -r '.status.started_at' <<<"$output")" -gt 0 ]
        started=$(jq -r '.status.started_at' <<<"$output")
        pid=$(jq -r '.info.info | fromjson | .pid' <<<"$output")
        ppid=$(sb_pid "$sb")
        [ -d "/proc/$pid" ]
        [ "$(ns_inode "$pid" mnt)" != "$(ns_inode "$ppid" mnt)" ]
        [ "$(ns_inode "$pid" net)" = "$(ns_inode "$ppid" net)" ]
        tr '\0' '\n' <"/proc/$pid/environ" | grep -qx FOO=bar
        [ "$(cat "/proc/$pid/root/data/f")" = from-host ]
        run ! touch "/proc/$pid/root/data/g" # read-only bind (seen from the host through it)
        wait_for 10 grep -qE '^[0-9]{4}-[0-9-]+T[0-9:.]+(Z|[+-][0-9:]+) stdout F hello-cri$' \
                "$PODCTL_ROOT/logs/flow/app/0.log"
        wait_for 5 sig_handled "$pid" # its TERM trap is set
        run -0 rt StopContainer "{\"container_id\": \"$cid\", \"timeout\": 10}"
        run -0 ctr_status "$cid"
        [ "$(jq -r '.status.state' <<<"$output")" = CONTAINER_EXITED ]
        [ "$(jq -r '.status.exit_code' <<<"$output")" = 3 ]
        [ "$(jq -r '.status.finished_at' <<<"$output")" -gt "$started" ]
        [ ! -d "/proc/$pid" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != sh ]
        # not restarted: still exited, the same run, a while later
        sleep 1
        run -0 ctr_status "$cid"
        [ "$(jq -r '.status.state' <<<"$output")" = CONTAINER_EXITED ]
        [ "$(jq -r '.status.started_at' <<<"$output")" = "$started" ]
        run -0 rt RemoveContainer "{\"container_id\": \"$cid\"}"
        run -1 rt ContainerStatus "{\"container_id\": \"$cid\"}"
        [[ $output == NOT_FOUND:* ]]
        [ "$(rt ListContainers "{\"filter\": {\"pod_sandbox_id\": \"$sb\"}}" | jq -r '.containers | length')" = 0 ]
        run -0 rt RemoveContainer "{\"container_id\": \"$cid\"}" # again: no error
        rt StopPodSandbox "{\"pod_sandbox_id\": \"$sb\"}" >/dev/null
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$sb\"}" >/dev/null
        rm -rf "$PODCTL_ROOT/data-flow"
}

@test "containers: one exiting non-zero by itself stays EXITED with its exit code, never restarted" {
        local sb cid started
        sb=$(ctr_sandbox crash)
        cid=$(create_ctr "$sb" crash '{"command": ["sh", "-c", "echo bye; exit 7"]}')
        rt StartContainer "{\"container_id\": \"$cid\"}" >/dev/null
        wait_for 10 ctr_exited "$cid"
        run -0 ctr_status "$cid"
        [ "$(jq -r '.status.exit_code' <<<"$output")" = 7 ]
        [ "$(jq -r '.status.reason' <<<"$output")" = Error ]
        started=$(jq -r '.status.started_at' <<<"$output")
        sleep 1.5
        run -0 ctr_status "$cid"
        [ "$(jq -r '.status.state' <<<"$output")" = CONTAINER_EXITED ]
        [ "$(jq -r '.status.started_at' <<<"$output")" = "$started" ]
        [ "$(grep -c ' stdout F bye$' "$PODCTL_ROOT/logs/crash/crash/0.log")" = 1 ]
        # the sandbox is still ready: its containers ending do not end it
        [ "$(sb_state "$sb")" = SANDBOX_READY ]
        # a second start of an exited container is refused
        run -1 rt StartContainer "{\"container_id\": \"$cid\"}"
        [[ $output == INVALID_ARGUMENT:*"not CREATED"* ]]
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$sb\"}" >/dev/null
}

@test "containers: bad requests are NOT_FOUND / INVALID_ARGUMENT / ALREADY_EXISTS and leave nothing" {
        local sb
        sb=$(ctr_sandbox badreq)
        run -1 rt CreateContainer "$(ctr_config 0123456789abcdef nope)"
        [[ $output == NOT_FOUND:*"sandbox"* ]]
        run -1 rt CreateContainer "$(ctr_config "$sb" noimg '{"image": {"image": "no-such-image:1"}}')"
        [[ $output == NOT_FOUND:* ]]
        run -1 rt CreateContainer "$(ctr_config "$sb" '')"
        [[ $output == INVALID_ARGUMENT:*"metadata.name"* ]]
        run -1 rt CreateContainer "$(ctr_config "$sb" prop "{\"mounts\": [{\"host_path\": \"$PODCTL_ROOT\", \"container_path\": \"/x\", \"propagation\": \"PROPAGATION_BIDIRECTIONAL\"}]}")"
        [[ $output == INVALID_ARGUMENT:*"propagation"* ]]
        run -1 rt CreateContainer "$(ctr_config "$sb" lp '{"log_path": "../escape.log"}')"
        [[ $output == INVALID_ARGUMENT:*"log_path"* ]]
        run -1 rt StartContainer '{"container_id": "ffffffffffff"}'
        [[ $output == NOT_FOUND:* ]]
        [ "$(rt ListContainers "{\"filter\": {\"pod_sandbox_id\": \"$sb\"}}" | jq -r '.containers | length')" = 0 ]
        create_ctr "$sb" twice >/dev/null
        run -1 rt CreateContainer "$(ctr_config "$sb" twice)"
        [[ $output == ALREADY_EXISTS:* ]]
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$sb\"}" >/dev/null
}

@test "containers: PROPAGATION_HOST_TO_CONTAINER: the host's later mount below a shared source appears; PRIVATE: not" {
        local sb cid
        PROP_DIR=$(mktemp -d /tmp/podctl-cri-prop.XXXXXX)
        mount --bind "$PROP_DIR" "$PROP_DIR"
        mount --make-shared "$PROP_DIR"
        sb=$(ctr_sandbox prop)
        cid=$(create_ctr "$sb" app "{\"command\": [\"sleep\", \"3600\"],
                \"mounts\": [{\"host_path\": \"$PROP_DIR\", \"container_path\": \"/s\", \"propagation\": \"PROPAGATION_HOST_TO_CONTAINER\"},
                             {\"host_path\": \"$PROP_DIR\", \"container_path\": \"/p\"}]}")
        rt StartContainer "{\"container_id\": \"$cid\"}" >/dev/null
        mkdir "$PROP_DIR/sub"
        mount -t tmpfs -o size=1m tmpfs "$PROP_DIR/sub"
        echo late >"$PROP_DIR/sub/f"
        run -0 rt ExecSync "{\"container_id\": \"$cid\", \"cmd\": [\"sh\", \"-c\", \"cat /s/sub/f; cat /p/sub/f 2>/dev/null || echo private\"], \"timeout\": 10}"
        [ "$(b64d "$(jq -r .stdout <<<"$output")")" = $'late\nprivate' ]
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$sb\"}" >/dev/null
}

@test "containers: SIGKILL of the server and a restart list the same containers, still running" {
        local sb cid pid start before after
        sb=$(ctr_sandbox keep)
        cid=$(create_ctr "$sb" keep '{"command": ["sleep", "1000"]}')
        rt StartContainer "{\"container_id\": \"$cid\"}" >/dev/null
        pid=$(ctr_pid "$cid")
        start=$(proc_start "$pid")
        before=$(rt ListContainers | jq -cS '[.containers[] | {id, state, metadata, labels}] | sort_by(.id)')
        cri_stop KILL
        cri_start
        after=$(rt ListContainers | jq -cS '[.containers[] | {id, state, metadata, labels}] | sort_by(.id)')
        [ "$after" = "$before" ]
        [[ $after == *"$cid"* ]]
        [ "$(ctr_pid "$cid")" = "$pid" ]
        same_process "$pid" "$start"
        # RemovePodSandbox of a sandbox with a running container ends it
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$sb\"}" >/dev/null
        run ! same_process "$pid" "$start"
}

@test "containers: SIGKILL of the sandbox's monitor: the next one has every container back, and they work" {
        local sb run created done pid start before after mon log
        sb=$(ctr_sandbox mon)
        run=$(create_ctr "$sb" run '{"command": ["sh", "-c", "i=0; while :; do i=$((i+1)); echo line-$i; sleep 0.1; done"]}')
        rt StartContainer "{\"container_id\": \"$run\"}" >/dev/null
        created=$(create_ctr "$sb" created '{"command": ["sh", "-c", "echo late-start"]}')
        done=$(create_ctr "$sb" done '{"command": ["sh", "-c", "exit 4"]}')
        rt StartContainer "{\"container_id\": \"$done\"}" >/dev/null
        wait_for 20 ctr_exited "$done"
        pid=$(ctr_pid "$run")
        start=$(proc_start "$pid")
        before=$(rt ListContainers | jq -cS '[.containers[] | {id, state, metadata, labels, created_at}] | sort_by(.id)')
        mon=$(awk '{print $4}' "/proc/$(sb_pid "$sb")/stat")
        [ "$(cat "/proc/$mon/comm")" = podctl-monitor ]
        kill -9 "$mon"
        wait_for 10 eval '! kill -0 '"$mon"' 2>/dev/null'
        # any RPC finds the monitor dead and has a new one adopt the sandbox
        after=$(rt ListContainers | jq -cS '[.containers[] | {id, state, metadata, labels, created_at}] | sort_by(.id)')
        [ "$after" = "$before" ]
        [ "$(ctr_pid "$run")" = "$pid" ]
        same_process "$pid" "$start"
        [ "$(ctr_status "$done" | jq -r .status.exit_code)" = 4 ]
        # they still work: the log goes on, exec, a start, a stop, a remove
        log="$PODCTL_ROOT/logs/mon/run/0.log"
        n=$(wc -l <"$log")
        wait_for 10 eval '[ "$(wc -l <"'"$log"'")" -gt '"$n"' ]'
        run -0 rt ExecSync "{\"container_id\": \"$run\", \"cmd\": [\"echo\", \"in-run\"], \"timeout\": 10}"
        [ "$(jq -r .stdout <<<"$output" | base64 -d)" = in-run ]
        rt StartContainer "{\"container_id\": \"$created\"}" >/dev/null
        wait_for 20 ctr_exited "$created"
        grep -q late-start "$PODCTL_ROOT/logs/mon/created/0.log"
        rt StopContainer "{\"container_id\": \"$run\", \"timeout\": 1}" >/dev/null
        run ! same_process "$pid" "$start"
        rt RemoveContainer "{\"container_id\": \"$done\"}" >/dev/null
        [ "$(rt ListContainers | jq -r "[.containers[] | select(.id == \"$done\")] | length")" = 0 ]
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$sb\"}" >/dev/null
}

@test "RemoveImage of an image a container is made of: FAILED_PRECONDITION until the container is removed" {
        local sb cid
        "$PODCTL" image import "$PODCTL_TEST_FIXTURES/busybox-rootfs.tar" local/in-use:1 >/dev/null
        sb=$(ctr_sandbox inuse)
        cid=$(create_ctr "$sb" inuse '{"image": {"image": "local/in-use:1"}, "command": ["sleep", "1000"]}')
        rt StartContainer "{\"container_id\": \"$cid\"}" >/dev/null
        run -1 im RemoveImage '{"image": {"image": "local/in-use:1"}}'
        [[ $output == *FAILED_PRECONDITION* && $output == *"is in use by container $cid"* ]]
        "$PODCTL" image ls | grep -q in-use
        run -0 rt ExecSync "{\"container_id\": \"$cid\", \"cmd\": [\"ls\", \"/bin/busybox\"], \"timeout\": 10}"
        rt StopContainer "{\"container_id\": \"$cid\", \"timeout\": 0}" >/dev/null
        # exited, not removed: still its image
        run -1 im RemoveImage '{"image": {"image": "local/in-use:1"}}'
        rt RemoveContainer "{\"container_id\": \"$cid\"}" >/dev/null
        run -0 im RemoveImage '{"image": {"image": "local/in-use:1"}}'
        run -0 "$PODCTL" image ls
        [[ $output != *in-use* ]]
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$sb\"}" >/dev/null
}

@test "containers: an image mount (the kubelet's image volume): the image read-only at container_path" {
        local sb cid
        "$PODCTL" image import "$PODCTL_TEST_FIXTURES/busybox-rootfs.tar" local/artifact:1 >/dev/null
        sb=$(ctr_sandbox imgmount)
        cid=$(create_ctr "$sb" reader '{"command": ["sleep", "1000"], "mounts": [{"container_path": "/vol", "image": {"image": "local/artifact:1"}}]}')
        rt StartContainer "{\"container_id\": \"$cid\"}" >/dev/null
        run -0 rt ExecSync "{\"container_id\": \"$cid\", \"cmd\": [\"sh\", \"-c\", \"test -f /vol/bin/busybox && echo there; touch /vol/x 2>&1 || echo refused\"], \"timeout\": 10}"
        out=$(jq -r .stdout <<<"$output" | base64 -d)
        echo "$out"
        [[ $out == there*"Read-only file system"*refused ]]
        # a missing image: the field named, nothing created
        run -1 rt CreateContainer "$(ctr_config "$sb" bad '{"mounts": [{"container_path": "/vol", "image": {"image": "local/none:1"}}]}')"
        [[ $output == *"config.mounts[0].image"* ]]
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$sb\"}" >/dev/null
}

@test "containers: CreateContainer right after RunPodSandbox's answer always finds the sandbox's monitor listening" {
        local i sb cid
        for i in $(seq 1 15); do
                sb=$(ctr_sandbox "race$i")
                cid=$(create_ctr "$sb" c '{"command": ["true"]}')
                [[ $cid =~ ^[0-9a-f]{64}$ ]]
                rt RemovePodSandbox "{\"pod_sandbox_id\": \"$sb\"}" >/dev/null
        done
}

# control_send DIR PAYLOAD-PYTHON-EXPR: one SOCK_SEQPACKET message to the
# monitor's control socket; prints the reply.
control_send() {
        /usr/bin/python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(10)
s.connect(sys.argv[1] + "/control.sock")
s.send(eval(sys.argv[2]))
print(s.recv(1 << 20).decode())
PY
}

@test "the monitor's control channel: 0600, refuses oversized and bad messages, and goes on" {
        local sb dir
        sb=$(ctr_sandbox ctl)
        dir=$PODCTL_ROOT/cri/pods/cri-test_$(sb_status "$sb" | jq -r '.info.info | fromjson | .podctlPod')
        [ "$(stat -c '%a %F' "$dir/control.sock")" = "600 socket" ]
        run -0 control_send "$dir" 'b"x" * 70000'
        [[ $output == *'"ok":false'*"at most 65536"* ]]
        run -0 control_send "$dir" 'b"{not json"'
        [[ $output == *'"ok":false'*"not a JSON object"* ]]
        run -0 control_send "$dir" 'b"{\"op\": \"explode\"}"'
        [[ $output == *'"ok":false'*'unknown op'* ]]
        run -0 control_send "$dir" 'b"{\"op\": \"status\", \"id\": \"nope\"}"'
        [[ $output == *'"code":2'* ]]
        # still serving
        run -0 control_send "$dir" 'b"{\"op\": \"list\"}"'
        [[ $output == '{"ok":true,"containers":[]}' ]]
        [ "$(sb_state "$sb")" = SANDBOX_READY ]
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$sb\"}" >/dev/null
}

b64d() { base64 -d <<<"$1"; }

@test "containers: ExecSync output and exit code, timeout; stats from the cgroup; UpdateContainerResources" {
        local sb cid pid
        sb=$(ctr_sandbox execs)
        cid=$(create_ctr "$sb" work '{"command": ["sh", "-c", "head -c 3000000 /dev/zero > /tmp/blob; while :; do sleep 0.1; done"],
                "linux": {"resources": {"memory_limit_in_bytes": 268435456}}}')
        rt StartContainer "{\"container_id\": \"$cid\"}" >/dev/null
        pid=$(ctr_pid "$cid")
        run -0 rt ExecSync "{\"container_id\": \"$cid\", \"cmd\": [\"sh\", \"-c\", \"echo out-\$HOSTNAME; echo err >&2; exit 4\"], \"timeout\": 10}"
        [ "$(b64d "$(jq -r .stdout <<<"$output")")" = out-execs-host ]
        [ "$(b64d "$(jq -r .stderr <<<"$output")")" = err ]
        [ "$(jq -r .exit_code <<<"$output")" = 4 ]
        # it ran in the container: its mount namespace, not the host's
        run -0 rt ExecSync "{\"container_id\": \"$cid\", \"cmd\": [\"readlink\", \"/proc/self/ns/mnt\"]}"
        [ "$(b64d "$(jq -r .stdout <<<"$output")")" = "$(readlink "/proc/$pid/ns/mnt")" ]
        run -0 rt ExecSync "{\"container_id\": \"$cid\", \"cmd\": [\"true\"]}"
        [ "$(jq -r '.exit_code // 0' <<<"$output")" = 0 ]
        run -1 rt ExecSync "{\"container_id\": \"$cid\", \"cmd\": [\"sleep\", \"30\"], \"timeout\": 1}"
        [[ $output == DEADLINE_EXCEEDED:* ]]
        run -1 rt ExecSync "{\"container_id\": \"$cid\", \"cmd\": [\"/no/such/binary\"]}"
        [[ $output != OK* ]] || [ "$(jq -r .exit_code <<<"$output")" -ne 0 ]
        wait_for 10 test -s "/proc/$pid/root/tmp/blob"
        run -0 rt ContainerStats "{\"container_id\": \"$cid\"}"
        [ "$(jq -r .stats.attributes.id <<<"$output")" = "$cid" ]
        [ "$(jq -r .stats.cpu.usage_core_nano_seconds.value <<<"$output")" -gt 0 ]
        [ "$(jq -r .stats.memory.working_set_bytes.value <<<"$output")" -gt 0 ]
        [ "$(jq -r .stats.writable_layer.used_bytes.value <<<"$output")" -ge 3000000 ]
        run -0 rt ListContainerStats "{\"filter\": {\"pod_sandbox_id\": \"$sb\"}}"
        [ "$(jq -r '.stats | length' <<<"$output")" = 1 ]
        # the memory limit is on the container's cgroup; an update changes it
        local cg
        cg=$(awk -F: '$2 ~ /memory/ {print $3}' "/proc/$pid/cgroup")
        [ "$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")" = 268435456 ]
        run -0 rt ContainerStatus "{\"container_id\": \"$cid\"}"
        [ "$(jq -r .status.resources.linux.memory_limit_in_bytes <<<"$output")" = 268435456 ]
        run -0 rt UpdateContainerResources "{\"container_id\": \"$cid\", \"linux\": {\"memory_limit_in_bytes\": 134217728, \"cpu_period\": 100000, \"cpu_quota\": 50000, \"cpu_shares\": 512}}"
        [ "$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")" = 134217728 ]
        # ContainerStatus reports what the cgroup holds now, as the kubelet reads it back
        run -0 rt ContainerStatus "{\"container_id\": \"$cid\"}"
        [ "$(jq -r '.status.resources.linux | [.memory_limit_in_bytes, .cpu_period, .cpu_quota, .cpu_shares] | join(" ")' <<<"$output")" = "134217728 100000 50000 512" ]
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$sb\"}" >/dev/null
        run ! test -d "/proc/$pid"
}

# cpu's "timestamp usage_core_nano_seconds usage_nano_cores" of a
# ContainerStats or PodSandboxStats answer (RPC, request, path to the stats)
cpu_of() {
        rt "$1" "$2" | jq -r "$3.cpu | [.timestamp, .usage_core_nano_seconds.value, .usage_nano_cores.value // 0] | map(tostring) | join(\" \")"
}
# whether usage_nano_cores of answer B is the rate between answers A and B
# (within 1%), above MIN and at most MAX
rate_between() {
        python3 -c '
import sys
t1, u1, _ = map(int, sys.argv[1].split()); t2, u2, nc = map(int, sys.argv[2].split())
want = (u2 - u1) / (t2 - t1) * 1e9
print("rate", nc, "want", int(want))
sys.exit(0 if abs(nc - want) <= want * 0.01 + 1 and int(sys.argv[3]) < nc <= int(sys.argv[4]) else 1)' "$@"
}

@test "stats: usage_nano_cores is the CPU rate since the previous call (0 at the first); a spinner held to half a core by its quota, an idle container near 0" {
        local sb spin idle a b
        sb=$(ctr_sandbox rates)
        spin=$(create_ctr "$sb" spin '{"command": ["sh", "-c", "while :; do :; done"],
                "linux": {"resources": {"cpu_period": 100000, "cpu_quota": 50000}}}')
        idle=$(create_ctr "$sb" idle '{"command": ["sleep", "3600"]}')
        rt StartContainer "{\"container_id\": \"$spin\"}" >/dev/null
        rt StartContainer "{\"container_id\": \"$idle\"}" >/dev/null
        # the spinner: the first answer has no rate; 2 s later the next one
        # is the rate in between, at most the quota's half core (+10%)
        a=$(cpu_of ContainerStats "{\"container_id\": \"$spin\"}" .stats)
        [ "${a##* }" = 0 ]
        local sa ia
        sa=$(cpu_of PodSandboxStats "{\"pod_sandbox_id\": \"$sb\"}" .stats.linux)
        ia=$(cpu_of ContainerStats "{\"container_id\": \"$idle\"}" .stats)
        a=$(cpu_of ContainerStats "{\"container_id\": \"$spin\"}" .stats)
        sleep 2
        b=$(cpu_of ContainerStats "{\"container_id\": \"$spin\"}" .stats)
        rate_between "$a" "$b" 0 550000000
        # idle: near 0
        b=$(cpu_of ContainerStats "{\"container_id\": \"$idle\"}" .stats)
        rate_between "$ia" "$b" -1 20000000
        # the sandbox: its Pod cgroup holds the spinner
        b=$(cpu_of PodSandboxStats "{\"pod_sandbox_id\": \"$sb\"}" .stats.linux)
        rate_between "$sa" "$b" 0 600000000
        # the list answers rates too
        run -0 rt ListContainerStats "{\"filter\": {\"id\": \"$spin\"}}"
        [ "$(jq -r '.stats[0].cpu.usage_nano_cores.value' <<<"$output")" -gt 0 ]
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$sb\"}" >/dev/null
}

@test "containers: ReopenContainerLog starts a new file at log_path after the old one was moved" {
        local sb cid log
        sb=$(ctr_sandbox reopen)
        log=$PODCTL_ROOT/logs/reopen/tick/0.log
        cid=$(create_ctr "$sb" tick '{"command": ["sh", "-c", "i=0; while :; do echo tick-$i; i=$((i+1)); sleep 0.1; done"]}')
        rt StartContainer "{\"container_id\": \"$cid\"}" >/dev/null
        wait_for 10 grep -q ' stdout F tick-1$' "$log"
        mv "$log" "$log.old"
        run -0 rt ReopenContainerLog "{\"container_id\": \"$cid\"}"
        wait_for 10 grep -q ' stdout F tick-' "$log"
        # the moved file got nothing after the reopen, the new one goes on from there
        local last first
        last=$(tail -n1 "$log.old" | sed 's/.*tick-//')
        first=$(head -n1 "$log" | sed 's/.*tick-//')
        [ "$first" -gt "$last" ]
        rt StopContainer "{\"container_id\": \"$cid\", \"timeout\": 0}" >/dev/null
        run -1 rt ReopenContainerLog "{\"container_id\": \"$cid\"}"
        [[ $output == FAILED_PRECONDITION:*"not running"* ]]
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$sb\"}" >/dev/null
}

@test "containers: a sandbox whose Pod directory is longer than a socket path still takes containers" {
        local sb cid name
        name=long-$(printf 'x%.0s' $(seq 1 110))
        sb=$(run_sandbox "$name" "{\"log_directory\": \"$PODCTL_ROOT/logs/long\", \"hostname\": \"long\"}")
        [ "$(ls -d "$PODCTL_ROOT"/cri/pods/cri-test_"$name"-* | wc -c)" -gt 108 ]
        cid=$(create_ctr "$sb" app '{"command": ["sleep", "1000"]}')
        rt StartContainer "{\"container_id\": \"$cid\"}" >/dev/null
        [ "$(ctr_state "$cid")" = CONTAINER_RUNNING ]
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$sb\"}" >/dev/null
}

@test "containers: StopPodSandbox stops them; they stay listed EXITED until removed" {
        local sb cid pid start
        sb=$(ctr_sandbox stopsb)
        cid=$(create_ctr "$sb" app '{"command": ["sleep", "1000"]}')
        rt StartContainer "{\"container_id\": \"$cid\"}" >/dev/null
        # one that would answer a SIGTERM: the CRI's StopPodSandbox
        # terminates forcibly (no TERM, no grace), as containerd's
        trap_dir="$PODCTL_ROOT/trapped"
        mkdir -p "$trap_dir"
        tcid=$(create_ctr "$sb" trapper "$(jq -nc --arg d "$trap_dir" '{command: ["sh", "-c", "trap \"touch /t/termed; exit 0\" TERM; while :; do sleep 0.1; done"], mounts: [{host_path: $d, container_path: "/t"}]}')")
        rt StartContainer "{\"container_id\": \"$tcid\"}" >/dev/null
        # the trap is set: the TERM, had one been sent, would not be lost
        wait_for 5 sig_handled "$(ctr_pid "$tcid")"
        pid=$(ctr_pid "$cid")
        start=$(proc_start "$pid")
        rt StopPodSandbox "{\"pod_sandbox_id\": \"$sb\"}" >/dev/null
        run ! same_process "$pid" "$start"
        [ ! -e "$trap_dir/termed" ]
        [ "$(ctr_status "$tcid" | jq -r .status.exit_code)" = 137 ]
        rt RemoveContainer "{\"container_id\": \"$tcid\"}" >/dev/null
        run -0 rt ListContainers "{\"filter\": {\"pod_sandbox_id\": \"$sb\"}}"
        [ "$(jq -r '.containers | length' <<<"$output")" = 1 ]
        [ "$(jq -r '.containers[0].state' <<<"$output")" = CONTAINER_EXITED ]
        run -0 ctr_status "$cid"
        [ "$(jq -r '.status.exit_code' <<<"$output")" -ne 0 ]
        run -0 rt StopContainer "{\"container_id\": \"$cid\", \"timeout\": 1}"
        run -0 rt RemoveContainer "{\"container_id\": \"$cid\"}"
        [ "$(rt ListContainers "{\"filter\": {\"pod_sandbox_id\": \"$sb\"}}" | jq -r '.containers | length')" = 0 ]
        run -1 rt ContainerStatus "{\"container_id\": \"$cid\"}"
        [[ $output == NOT_FOUND:* ]]
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$sb\"}" >/dev/null
}
