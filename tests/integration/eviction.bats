#!/usr/bin/env bats
# Local ephemeral storage limits, as the kubelet's eviction manager enforces
# them: a disk emptyDir over its sizeLimit, a container over its
# limits.ephemeral-storage. PODCTL_TIME_SCALE=0.01 (the helpers') makes the
# 10 s check interval 0.1 s.

bats_require_minimum_version 1.5.0

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
teardown() { delete_all_pods; }

# POD VOLUME-SIZE-LIMIT KiB-WRITTEN: a Pod writing that much into its
# emptyDir "cache", then sleeping
emptydir_pod() {
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 30
  volumes:
  - name: cache
    emptyDir: {sizeLimit: $2}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "dd if=/dev/zero of=/cache/fill bs=1024 count=$3 && sync && touch /cache/done && exec sleep 3600"]
    volumeMounts:
    - {name: cache, mountPath: /cache}
EOF
}

reason_is() { [ "$(jq_pod "$1" .status.reason)" = "$2" ]; }

@test "an emptyDir over its sizeLimit: the Pod is Evicted (Failed, message, DisruptionTarget, event), its container killed at once" {
        emptydir_pod big 1Mi 2048 >"$BATS_TEST_TMPDIR/p.yaml"
        podctl apply -f "$BATS_TEST_TMPDIR/p.yaml"
        wait_for 30 reason_is big Evicted
        wait_for 30 phase_is big Failed
        [ "$(jq_pod big .status.message)" = 'Usage of EmptyDir volume "cache" exceeds the limit "1Mi". ' ]
        [ "$(jq_pod big '.status.conditions[] | select(.type == "DisruptionTarget") | .status + " " + .reason')" = "True TerminationByKubelet" ]
        # grace period 0, though the Pod's is 30 s: SIGKILL
        wait_for 30 bash -c "[ \"\$('$PODCTL' --root '$PODCTL_ROOT' get pod big -o json | jq -r '.status.containerStatuses[0].state.terminated.exitCode')\" = 137 ]"
        run -0 podctl describe pod big
        [[ $output == *Evicted*'Usage of EmptyDir volume "cache" exceeds the limit "1Mi".'* ]]
        run -0 podctl get pod big
        [[ ${lines[1]} == *" Evicted "* || ${lines[1]} == *" Error "* ]]
}

@test "an emptyDir under its sizeLimit, and one without any: the Pod runs on" {
        emptydir_pod small 4Mi 1024 >"$BATS_TEST_TMPDIR/p.yaml"
        podctl apply -f "$BATS_TEST_TMPDIR/p.yaml"
        wait_for 30 podctl exec small -- test -e /cache/done
        # many check intervals (0.1 s each here) later
        sleep 2
        phase_is small Running
        [ "$(jq_pod small '.status.reason // "none"')" = none ]
        [ "$(jq_pod small '[.status.conditions[] | select(.type == "DisruptionTarget")] | length')" = 0 ]
}

@test "a container over its limits.ephemeral-storage (its writable layer and logs): Evicted, naming the container" {
        cat >"$BATS_TEST_TMPDIR/p.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: eph
spec:
  restartPolicy: Always
  containers:
  - name: quiet
    image: busybox
    command: ["sleep", "3600"]
  - name: writer
    image: busybox
    command: ["sh", "-c", "dd if=/dev/zero of=/tmp/fill bs=1024 count=3072 && sync && exec sleep 3600"]
    resources:
      limits: {ephemeral-storage: 2Mi}
EOF
        run -0 --separate-stderr podctl apply -f "$BATS_TEST_TMPDIR/p.yaml"
        # a limit is applied, not warned about
        [ -z "$stderr" ]
        wait_for 30 reason_is eph Evicted
        [ "$(jq_pod eph .status.message)" = 'Container writer exceeded its local ephemeral storage limit "2Mi". ' ]
        wait_for 30 phase_is eph Failed
        # an evicted Pod is not restarted (restartPolicy Always)
        sleep 1
        [ "$(jq_pod eph '[.status.containerStatuses[].state | keys[0]] | unique | join(",")')" = terminated ]
}
