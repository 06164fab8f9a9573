#!/usr/bin/env bats
# 4g: exit codes x restartPolicy give Kubernetes' restartCount, phase, reason.
# PODCTL_TIME_SCALE=0.01 (set by the helpers) scales the 10s backoff to 0.1s.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

pod_with() { # NAME POLICY EXIT
        manifest "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: $2
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo run; sleep 0.2; exit $3"]
EOF
}

restarts() { jq_pod "$1" '.status.containerStatuses[0].restartCount'; }
restarts_at_least() { [ "$(restarts "$1")" -ge "$2" ]; }

@test "Never + exit 0: Succeeded, Completed, no restart" {
        podctl apply -f "$(pod_with never-ok Never 0)"
        wait_for 10 phase_is never-ok Succeeded
        sleep 0.5
        [ "$(restarts never-ok)" = 0 ]
        [ "$(jq_pod never-ok '.status.containerStatuses[0].state.terminated.reason')" = Completed ]
        [ "$(jq_pod never-ok '.status.containerStatuses[0].state.terminated.exitCode')" = 0 ]
        run podctl get pods never-ok
        [[ "$output" == *"Completed"* ]]
        podctl delete pod never-ok
}

@test "Never + exit 3: Failed, Error, exit code kept" {
        podctl apply -f "$(pod_with never-fail Never 3)"
        wait_for 10 phase_is never-fail Failed
        [ "$(restarts never-fail)" = 0 ]
        [ "$(jq_pod never-fail '.status.containerStatuses[0].state.terminated.reason')" = Error ]
        [ "$(jq_pod never-fail '.status.containerStatuses[0].state.terminated.exitCode')" = 3 ]
        run podctl get pods never-fail
        [[ "$output" == *"Error"* ]]
        podctl delete pod never-fail
}

@test "OnFailure + exit 0: Succeeded without restart" {
        podctl apply -f "$(pod_with onf-ok OnFailure 0)"
        wait_for 10 phase_is onf-ok Succeeded
        [ "$(restarts onf-ok)" = 0 ]
        podctl delete pod onf-ok
}

@test "OnFailure + exit 1: restarted, lastState keeps the previous exit" {
        podctl apply -f "$(pod_with onf-fail OnFailure 1)"
        wait_for 15 restarts_at_least onf-fail 2
        [ "$(pod_phase onf-fail)" = Running ]
        [ "$(jq_pod onf-fail '.status.containerStatuses[0].lastState.terminated.exitCode')" = 1 ]
        [ "$(jq_pod onf-fail '.status.containerStatuses[0].lastState.terminated.reason')" = Error ]
        # each run has its own log file; --previous reads the last one
        run podctl logs onf-fail --previous
        [ "$output" = run ]
        podctl delete pod onf-fail
}

@test "Always + exit 0: restarted too" {
        podctl apply -f "$(pod_with always-ok Always 0)"
        wait_for 15 restarts_at_least always-ok 2
        [ "$(pod_phase always-ok)" = Running ]
        [ "$(jq_pod always-ok '.status.containerStatuses[0].lastState.terminated.reason')" = Completed ]
        podctl delete pod always-ok
}

@test "Always + exit 1: restarted; CrashLoopBackOff while waiting" {
        f=$(manifest crash <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: crash
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "exit 1"]
EOF
)
        # Slower backoff so the waiting state is observable: 10s x 0.1 = 1s, 2s, ...
        PODCTL_TIME_SCALE=0.1 podctl apply -f "$f"
        wait_for 15 restarts_at_least crash 1
        seen=""
        for i in $(seq 1 40); do
                r=$(jq_pod crash '.status.containerStatuses[0].state.waiting.reason // empty')
                if [ "$r" = CrashLoopBackOff ]; then seen=yes; break; fi
                sleep 0.1
        done
        [ "$seen" = yes ]
        run podctl get pods crash
        [[ "$output" == *"CrashLoopBackOff"* ]]
        podctl delete pod crash
}

@test "a container whose start always fails (StartError) restarts with the backoff, not in a hot loop" {
        f=$(manifest starterr <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: starterr
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: f
    hostPath: {path: /etc/os-release, type: Directory}
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts: [{name: f, mountPath: /f}]
EOF
)
        # backoff 10s x 0.01 = 0.1s, doubling: 0, 0.1, 0.2, 0.4, 0.8, 1.6 s...
        podctl apply -f "$f" 2>/dev/null || true
        wait_for 15 restarts_at_least starterr 1
        [ "$(jq_pod starterr '.status.containerStatuses[0].lastState.terminated.reason // .status.containerStatuses[0].state.terminated.reason')" = StartError ]
        sleep 2
        # in 2 s a backoff allows about 6 starts; a hot loop made thousands.
        # (Load can only make fewer.)
        [ "$(restarts starterr)" -le 12 ]
        run -0 podctl describe pod starterr
        [[ $output == *"Back-off restarting failed container main"* ]]
        podctl delete pod starterr --grace-period=0 --force >/dev/null
}
