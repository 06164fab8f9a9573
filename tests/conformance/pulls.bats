#!/usr/bin/env bats
# Node conformance: the tests that pull images from registries, one @test per
# Go test, named by its description string: test/e2e/common/node/runtime.go's
# "when running a container with a new image" and image_volume.go. Local
# registries stand in for the internet ones
# (tests/integration/registry-helpers.bash: Debian's docker-registry on
# 127.0.0.1, TLS with a CA of the run): "open" (no auth) holds the agnhost
# stand-in as e2e-test-images/agnhost:2.52 and the kitten stand-in as
# e2e-test-images/kitten:1.7, "private" (htpasswd Basic auth) the busybox
# stand-in as authenticated-image-pulling/alpine:3.7 (the e2e
# AuthenticatedAlpine, gcr.io's private image).

bats_require_minimum_version 1.5.0

load helpers
load ../integration/registry-helpers

setup_file() {
        conformance_setup_file
        # never the host's docker credentials
        export DOCKER_CONFIG=$PODCTL_ROOT/docker
        reg_setup
        reg_start open none
        reg_start private htpasswd
        local d="$PODCTL_TEST_FIXTURES/conformance"
        reg_push "oci:$d/agnhost:latest" open/e2e-test-images/agnhost:2.52
        reg_push "oci:$d/busybox:latest" private/authenticated-image-pulling/alpine:3.7
        # kitten:1.7 as image_volume.go reads it: /data.json names kitten.jpg,
        # /etc/os-release is Alpine's
        local k=$PODCTL_ROOT/kitten
        mkdir -p "$k/root/etc"
        printf '{"image": "kitten.jpg"}\n' >"$k/root/data.json"
        printf 'NAME="Alpine Linux"\nID=alpine\n' >"$k/root/etc/os-release"
        tar --numeric-owner --owner=0 --group=0 -C "$k/root" -cf "$k/layer.tar" .
        oci_image "$k/oci" "$k/layer.tar" 'null' 'null'
        reg_push "oci:$k/oci:latest" open/e2e-test-images/kitten:1.7
        reg_podctl_config
}

teardown_file() {
        reg_stop_all
        [ -z "${REG_DIR:-}" ] || rm -rf "$REG_DIR"
        common_teardown_file
}

teardown() { conformance_teardown; }

# ---- runtime.go --------------------------------------------------------------

# imagePullTest(image, hasSecret, expectedPhase, expectedPullStatus): the
# container "image-pull-test" (sh -c 'while true; do sleep 1; done', Always)
# of a Never Pod, with the dockerconfigjson Secret "image-pull-secret-UUID"
# as its imagePullSecret when hasSecret; its state is waiting with reason
# ErrImagePull or ImagePullBackOff (expectedPullStatus) or running, the Pod's
# phase expectedPhase (ContainerStatusRetryTimeout: 5 minutes; here 60 s).
# Adapted: the Go test's three attempts against a flaky registry are one.
pull_pod() { # IMAGE SECRET-NAME-OR-EMPTY
        local secrets=
        [ -z "$2" ] || secrets="  imagePullSecrets: [{name: $2}]"
        apply image-pull-test <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: image-pull-test
spec:
  restartPolicy: Never
$secrets
  containers:
  - name: image-pull-test
    image: $1
    command: ["/bin/sh", "-c", "while true; do sleep 1; done"]
    imagePullPolicy: Always
EOF
}
pull_failed() { # expectedPullStatus true, phase Pending
        local r
        r=$(ctr_status image-pull-test image-pull-test '.state.waiting.reason // empty')
        [ "$r" = ErrImagePull ] || [ "$r" = ImagePullBackOff ] || return 1
        phase_is image-pull-test Pending
}
pulled() { # expectedPullStatus false, phase Running
        [ "$(ctr_status image-pull-test image-pull-test '.state.running != null')" = true ] &&
                phase_is image-pull-test Running
}
check_status() { # pull_failed|pulled
        wait_for 60 "$1" || {
                podctl get pod image-pull-test -o json | jq -c .status >&2
                return 1
        }
        # ConformanceContainer.Delete: NewDeleteOptions(0)
        run -0 podctl delete pod image-pull-test --grace-period=0
}

# Container Runtime blackbox test when running a container with a new image: "should not be able to pull image from invalid registry [NodeConformance]"
# The e2e InvalidRegistryImage itself: its host name resolves nowhere.
@test "Container Runtime blackbox test when running a container with a new image should not be able to pull image from invalid registry [NodeConformance]" {
        pull_pod invalid.registry.k8s.io/invalid/alpine:3.1 ""
        check_status pull_failed
}

# Container Runtime blackbox test when running a container with a new image: "should be able to pull image [NodeConformance]"
@test "Container Runtime blackbox test when running a container with a new image should be able to pull image [NodeConformance]" {
        pull_pod "127.0.0.1:$(reg_port open)/e2e-test-images/agnhost:2.52" ""
        check_status pulled
}

# Container Runtime blackbox test when running a container with a new image: "should not be able to pull from private registry without secret [NodeConformance]"
@test "Container Runtime blackbox test when running a container with a new image should not be able to pull from private registry without secret [NodeConformance]" {
        pull_pod "127.0.0.1:$(reg_port private)/authenticated-image-pulling/alpine:3.7" ""
        check_status pull_failed
}

# Container Runtime blackbox test when running a container with a new image: "should be able to pull from private registry with secret [NodeConformance]"
# The Secret's auths name the private registry (the Go test's, gcr.io's
# service account, pulls from gcr.io).
@test "Container Runtime blackbox test when running a container with a new image should be able to pull from private registry with secret [NodeConformance]" {
        local reg name auth
        reg=127.0.0.1:$(reg_port private)
        name=image-pull-secret-$(cat /proc/sys/kernel/random/uuid)
        auth=$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64 -w0)
        apply secret <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: $name
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: $(printf '{"auths": {"https://%s": {"auth": "%s"}}}' "$reg" "$auth" | base64 -w0)
EOF
        pull_pod "$reg/authenticated-image-pulling/alpine:3.7" "$name"
        check_status pulled
}

# ---- image_volume.go -----------------------------------------------------------

# ImageVolume [Conformance]: "should succeed with pod and pull policy of Always"
# The Go Pod's SELinux options are set only on an SELinux host (not this one).
@test "ImageVolume should succeed with pod and pull policy of Always" {
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: test-pod
spec:
  restartPolicy: Always
  containers:
  - name: test-container
    image: $BUSYBOX
    command: ["/bin/sh", "-c", "while true; do echo test; sleep 1; done"]
    volumeMounts:
    - {name: volume, mountPath: /volume}
  volumes:
  - name: volume
    image:
      reference: 127.0.0.1:$(reg_port open)/e2e-test-images/kitten:1.7
      pullPolicy: Always
EOF
        wait_for 60 phase_is test-pod Running
        # verifyFileContents: ExecCommandInContainer /bin/cat
        run -0 podctl exec test-pod -c test-container -- /bin/cat /volume/data.json
        [[ $output == *kitten.jpg* ]]
        run -0 podctl exec test-pod -c test-container -- /bin/cat /volume/etc/os-release
        [[ $output == *"Alpine Linux"* ]]
}
