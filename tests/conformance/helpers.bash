# Shared by the conformance cases (tests/conformance/README.md): the
# integration helpers, the e2e images' local stand-ins under their e2e names,
# and TestContainerOutput's rule.

# shellcheck source=../integration/helpers.bash
source "$BATS_TEST_DIRNAME/../integration/helpers.bash"

# The e2e images (k8s.io/kubernetes/test/utils/image) as the manifests name them.
BUSYBOX=registry.k8s.io/e2e-test-images/busybox:1.36.1-1
AGNHOST=registry.k8s.io/e2e-test-images/agnhost:2.52
PAUSE=registry.k8s.io/pause:3.10
NONEWPRIVS=registry.k8s.io/e2e-test-images/nonewprivs:1.3
NGINX=registry.k8s.io/e2e-test-images/nginx:1.14-4

# blob FILE DIR: store FILE as a blob of OCI layout DIR; print its digest.
blob() {
        local h
        h=$(sha256sum "$1" | cut -d' ' -f1)
        cp "$1" "$2/blobs/sha256/$h"
        echo "sha256:$h"
}

# oci_image DIR ROOTFS.tar ENTRYPOINT-JSON CMD-JSON: a one-layer OCI layout
# (ref "latest"), the layer an uncompressed tar made by GNU tar.
oci_image() {
        local d=$1 layer cfg man diff
        mkdir -p "$d/blobs/sha256"
        echo '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
        diff=$(blob "$2" "$d")
        jq -n --arg diff "$diff" --argjson ep "$3" --argjson cmd "$4" '{
                architecture: "amd64", os: "linux",
                config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                         Entrypoint: $ep, Cmd: $cmd, WorkingDir: "/"},
                rootfs: {type: "layers", diff_ids: [$diff]}}' >"$d/config.json"
        cfg=$(blob "$d/config.json" "$d")
        jq -n --arg cfg "$cfg" --arg layer "$diff" \
                --argjson cs "$(stat -c %s "$d/config.json")" --argjson ls "$(stat -c %s "$2")" '{
                schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
                config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cfg, size: $cs},
                layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $layer, size: $ls}]}' \
                >"$d/manifest.json"
        man=$(blob "$d/manifest.json" "$d")
        jq -n --arg man "$man" --argjson ms "$(stat -c %s "$d/manifest.json")" '{
                schemaVersion: 2,
                manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $man,
                             size: $ms, annotations: {"org.opencontainers.image.ref.name": "latest"}}]}' \
                >"$d/index.json"
        rm -f "$d/config.json" "$d/manifest.json"
}

# Stand-ins made from the busybox root filesystem, once per run (in the run's
# fixtures dir): busybox with /bin/sysctl; agnhost = busybox + tests/probe as /agnhost and /agnhost-2
# (entrypoint /agnhost, cmd pause) and a curl shim; pause = /pause;
# nonewprivs = a setuid-root /usr/local/bin/nnp as cmd; nginx = the agnhost
# one serving HTTP on port 80 (test-webserver).
build_standins() {
        local d="$PODCTL_TEST_FIXTURES/conformance" l
        [ -e "$d/done" ] && return 0
        rm -rf "$d"
        mkdir -p "$d/add/agnhost/usr/bin" "$d/add/pause" "$d/add/nonewprivs/usr/local/bin" \
                "$d/add/busybox/bin"
        # The e2e busybox has every applet in /bin (sysctl.go runs /bin/sysctl).
        ln -s busybox "$d/add/busybox/bin/sysctl"
        install -m 0755 "$PROBE" "$d/add/agnhost/agnhost"
        install -m 0755 "$PROBE" "$d/add/agnhost/agnhost-2"
        printf '#!/bin/sh\n# curl URL: a stand-in with wget\nexec timeout 5 wget -q -O - "$@"\n' \
                >"$d/add/agnhost/usr/bin/curl"
        chmod 0755 "$d/add/agnhost/usr/bin/curl"
        install -m 0755 "$PROBE" "$d/add/pause/pause"
        install -m 4755 "$PROBE" "$d/add/nonewprivs/usr/local/bin/nnp"
        for l in busybox agnhost pause nonewprivs; do
                cp "$PODCTL_TEST_FIXTURES/busybox-rootfs.tar" "$d/$l.tar"
                tar --numeric-owner --owner=0 --group=0 -rf "$d/$l.tar" -C "$d/add/$l" .
        done
        oci_image "$d/busybox" "$d/busybox.tar" 'null' '["sh"]'
        oci_image "$d/agnhost" "$d/agnhost.tar" '["/agnhost"]' '["pause"]'
        oci_image "$d/pause" "$d/pause.tar" '["/pause"]' 'null'
        oci_image "$d/nginx" "$d/agnhost.tar" '["/agnhost"]' '["test-webserver"]'
        oci_image "$d/nonewprivs" "$d/nonewprivs.tar" 'null' '["/usr/local/bin/nnp"]'
        touch "$d/done"
}

conformance_setup_file() {
        common_setup_file
        build_standins
        local d="$PODCTL_TEST_FIXTURES/conformance"
        podctl image load -i "$d/busybox" --name "$BUSYBOX" >/dev/null
        podctl image load -i "$d/agnhost" --name "$AGNHOST" >/dev/null
        podctl image load -i "$d/pause" --name "$PAUSE" >/dev/null
        podctl image load -i "$d/nonewprivs" --name "$NONEWPRIVS" >/dev/null
        podctl image load -i "$d/nginx" --name "$NGINX" >/dev/null
}

# Every case deletes what it made, pass or fail.
conformance_teardown() {
        delete_all_pods
}

terminal() { phase_is "$1" Succeeded || phase_is "$1" Failed; }

# e2epodoutput.TestContainerOutput(pod, containerIndex, expected): the Pod
# reaches Succeeded, and the container's log contains every expected string.
# Usage: expect_output POD CONTAINER STRING...
expect_output() {
        local pod=$1 ctr=$2 s phase
        shift 2
        wait_for 60 terminal "$pod" || {
                echo "pod $pod did not finish: $(podctl get pod "$pod" -o json | jq -c .status)" >&2
                return 1
        }
        phase=$(pod_phase "$pod")
        [ "$phase" = Succeeded ] || {
                echo "pod $pod: phase $phase, logs: $(podctl logs "$pod" -c "$ctr")" >&2
                return 1
        }
        out=$(podctl logs "$pod" -c "$ctr")
        for s in "$@"; do
                [[ $out == *"$s"* ]] || {
                        printf 'expected %q in the output of %s:\n%s\n' "$s" "$ctr" "$out" >&2
                        return 1
                }
        done
}

# TestContainerOutputRegexp: each expected value is an extended regex that a
# line of the output matches.
expect_output_regexp() {
        local pod=$1 ctr=$2 s
        shift 2
        wait_for 60 terminal "$pod" || return 1
        [ "$(pod_phase "$pod")" = Succeeded ] || {
                echo "pod $pod: phase $(pod_phase "$pod")" >&2
                return 1
        }
        out=$(podctl logs "$pod" -c "$ctr")
        for s in "$@"; do
                grep -qE -- "$s" <<<"$out" || {
                        printf 'no line of %s matches %q:\n%s\n' "$ctr" "$s" "$out" >&2
                        return 1
                }
        done
}

# Apply a manifest from stdin.
apply() {
        local f
        f=$(manifest "${1:-obj}")
        podctl apply -f "$f"
}

ctr_status() { jq_pod "$1" ".status.containerStatuses[] | select(.name==\"$2\") | $3"; }
