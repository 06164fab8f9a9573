#!/usr/bin/env bats
# Node conformance: the subPathExpr tests of test/e2e/common/node/expansion.go
# ("VolumeSubpathEnvExpansion"), one @test per Go test, named by its
# description string. newPod: busybox "dapi-container", Never, the emptyDir
# "workdir1".

load helpers

setup_file() { conformance_setup_file; }
teardown_file() { common_teardown_file; }
teardown() { conformance_teardown; }

# ---- expansion.go ---------------------------------------------------------------

subpath_pod() { # NAME COMMAND-JSON ENV-YAML MOUNTS-YAML [ANNOTATIONS]
        apply "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels: {name: $1}
  annotations: ${5:-{\}}
spec:
  restartPolicy: Never
  containers:
  - name: dapi-container
    image: $BUSYBOX
    command: $2
    env: $3
    volumeMounts: $4
  volumes:
  - {name: workdir1, emptyDir: {}}
EOF
}

# testPodFailSubpath: the container fails with CreateContainerConfigError.
config_error() { [ "$(ctr_status "$1" dapi-container .state.waiting.reason)" = CreateContainerConfigError ]; }

# Variable Expansion: "should allow substituting values in a volume subpath"
@test "Variable Expansion should allow substituting values in a volume subpath" {
        p=var-expansion-subpath
        subpath_pod $p "[sh, -c, 'test -d /testcontainer/$p;echo \$?']" "[{name: POD_NAME, value: $p}]" \
                "[{name: workdir1, mountPath: /logscontainer, subPathExpr: \$(POD_NAME)}, {name: workdir1, mountPath: /testcontainer}]"
        expect_output $p dapi-container 0
}

# Variable Expansion: "should fail substituting values in a volume subpath with backticks [Slow]"
@test "Variable Expansion should fail substituting values in a volume subpath with backticks [Slow]" {
        # apply reports the container's failure (and exits 1); the Pod is created
        run subpath_pod var-expansion-backticks "[]" "[{name: POD_NAME, value: ..}]" \
                "[{name: workdir1, mountPath: /logscontainer, subPathExpr: \$(POD_NAME)}]"
        [[ $output == *"pod/var-expansion-backticks created"* ]]
        wait_for 30 config_error var-expansion-backticks
}

# Variable Expansion: "should fail substituting values in a volume subpath with absolute path [Slow]"
@test "Variable Expansion should fail substituting values in a volume subpath with absolute path [Slow]" {
        # apply reports the container's failure (and exits 1); the Pod is created
        run subpath_pod var-expansion-absolute "[]" "[{name: POD_NAME, value: /tmp}]" \
                "[{name: workdir1, mountPath: /logscontainer, subPathExpr: \$(POD_NAME)}]"
        [[ $output == *"pod/var-expansion-absolute created"* ]]
        wait_for 30 config_error var-expansion-absolute
}

# Variable Expansion: "should succeed in writing subpaths in container [Slow]"
# Adapted: the Go test's last step (updating the annotation, the Pod keeps
# running) is an API server update, left out (README).
@test "Variable Expansion should succeed in writing subpaths in container [Slow]" {
        p=var-expansion-writes
        subpath_pod $p "[sh, -c, tail -f /dev/null]" \
                "[{name: POD_NAME, value: foo}, {name: ANNOTATION, valueFrom: {fieldRef: {apiVersion: v1, fieldPath: \"metadata.annotations['mysubpath']\"}}}]" \
                "[{name: workdir1, mountPath: /subpath_mount, subPathExpr: \"\$(ANNOTATION)/\$(POD_NAME)\"}, {name: workdir1, mountPath: /volume_mount}]" \
                "{mysubpath: mypath}"
        wait_for 30 container_running $p dapi-container
        podctl exec $p -- sh -c "touch /volume_mount/mypath/foo/test.log"
        podctl exec $p -- sh -c "test -f /subpath_mount/test.log"
}
