#!/usr/bin/env bats
# Issue 12 §1: a monitor's death loses nothing. The Pod's podctl-keeper holds
# the log pipes' read ends and reaps while no monitor runs; the next podctl
# command starts `podctl-monitor --adopt`, which carries on.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

# Two writers of numbered lines: "a" is the container's PID 1, "b"'s writer
# is a child of its PID 1, which records how the writer ended.
seq_pod() { # NAME SHARED
        manifest "$1" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 10
  volumes: [{name: s, hostPath: {path: $2}}]
  containers:
  - name: a
    image: busybox
    volumeMounts: [{name: s, mountPath: /s}]
    command: [sh, -c, 'trap "echo term >> /s/order; exit 0" TERM; i=0; while :; do i=\$((i+1)); echo a-\$i; sleep 0.01; done']
    lifecycle:
      preStop:
        exec: {command: [sh, -c, "echo prestop >> /s/order"]}
  - name: b
    image: busybox
    volumeMounts: [{name: s, mountPath: /s}]
    command: [sh, -c, 'trap "exit 0" TERM; sh -c "i=0; while :; do i=\\\$((i+1)); echo b-\\\$i || exit 99; sleep 0.01; done" & wait \$!; echo \$? > /s/b-writer-exit']
    readinessProbe:
      exec: {command: [test, -f, /s/ready]}
      periodSeconds: 1
EOF
}

pod_dir() { echo "$PODCTL_ROOT/pods/default_$1"; }
monitor_pid() { cut -d' ' -f1 "$(pod_dir "$1")/monitor.pid"; }
rt() { jq -r ".runtime$2" "$(pod_dir "$1")/status.json"; }
ready_is() { [ "$(jq_pod "$1" '.status.conditions[] | select(.type=="Ready") | .status')" = "$2" ]; }
restarts_of() { jq_pod "$1" ".status.containerStatuses[] | select(.name==\"$2\") | .restartCount"; }
log_of() { echo "$(rt "$1" .logDir)/$2/$3.log"; }
# The numbers of a CRI log's lines (NAME-N), one per line.
numbers() { awk '{print $4}' "$1" | sed 's/^.*-//'; }
# 1..N with nothing missing or repeated; prints N.
contiguous() {
        numbers "$1" | awk 'NR != $1 { print "line " NR " is " $1 > "/dev/stderr"; bad = 1 } END { if (bad || NR == 0) exit 1; print NR }'
}
lines_past() { [ "$(numbers "$1" | tail -1)" -gt "$2" ]; }

@test "SIGKILLed monitor: nothing lost, exits recorded, a command re-adopts, probes and delete with preStop work" {
        shared="$BATS_TEST_TMPDIR/shared"
        mkdir -p "$shared"
        touch "$shared/ready"
        podctl apply -f "$(seq_pod seq "$shared")"
        wait_for 10 ready_is seq True
        dir=$(pod_dir seq)
        keeper=$(rt seq .keeperPid)
        [ "$(cat /proc/"$keeper"/comm)" = podctl-keeper ]
        mon=$(monitor_pid seq)
        # the monitor is the keeper's child
        [ "$(awk '{print $4}' /proc/"$mon"/stat)" = "$keeper" ]
        a_pid=$(rt seq .containers.a.pid)
        b_pid=$(rt seq .containers.b.pid)
        b_log=$(log_of seq b 0)
        a_log=$(log_of seq a 0)
        wait_for 5 lines_past "$b_log" 20

        kill -9 "$mon"
        wait_for 5 bash -c "! kill -0 $mon 2>/dev/null"
        # Nobody watches: MonitorLost, never Ready (PODCTL_ADOPT=0: look, don't adopt)
        export PODCTL_ADOPT=0
        run podctl get pods seq
        [ "$status" -eq 0 ]
        [[ "$output" == *"0/2"*"MonitorLost"* ]]
        ready_is seq False
        [ "$(jq_pod seq '.status.conditions[] | select(.type=="Ready") | .reason')" = MonitorLost ]
        [ "$(jq_pod seq '[.status.containerStatuses[].ready] | any')" = false ]
        # One container dies meanwhile (its PID 1, SIGKILL); the other keeps writing.
        last_a=$(numbers "$a_log" | tail -1)
        kill -9 "$a_pid"
        wait_for 5 grep -q "^$a_pid 9 " "$dir/exits.log"
        before=$(stat -c %s "$b_log")
        sleep 1
        # the writer is blocked on nothing: its output waits in the pipe
        [ "$(stat -c %s "$b_log")" = "$before" ]
        kill -0 "$b_pid"
        rm "$shared/ready"
        run podctl get pods seq
        [[ "$output" == *MonitorLost* ]]
        unset PODCTL_ADOPT

        # Any command adopts: a new monitor, the keeper's child again.
        run podctl get pods seq
        [ "$status" -eq 0 ]
        [[ "$output" != *MonitorLost* ]]
        mon2=$(monitor_pid seq)
        [ "$mon2" != "$mon" ]
        [ "$(awk '{print $4}' /proc/"$mon2"/stat)" = "$keeper" ]
        # The exited container restarted per policy, its real exit in lastState.
        wait_for 10 container_running seq a
        [ "$(restarts_of seq a)" = 1 ]
        [ "$(jq_pod seq '.status.containerStatuses[] | select(.name=="a") | .lastState.terminated.exitCode')" = 137 ]
        [ "$(restarts_of seq b)" = 0 ]
        # Logs: every line once, in order, the waiting ones included.
        n=$(contiguous "$a_log")
        [ "$n" -ge "$last_a" ]
        wait_for 5 lines_past "$(log_of seq a 1)" 5
        contiguous "$(log_of seq a 1)"
        wait_for 5 lines_past "$b_log" $((before / 20 + 50))
        contiguous "$b_log"
        # No SIGPIPE: b's writer still runs, the same process.
        kill -0 "$b_pid"
        [ ! -e "$shared/b-writer-exit" ]
        # Probes run again: readiness fails (file gone), then passes.
        ready_is seq False
        touch "$shared/ready"
        wait_for 10 ready_is seq True
        # No fd of the monitor or keeper in a container (restarted or adopted).
        for p in "$b_pid" "$(rt seq .containers.a.pid)"; do
                run bash -c "ls -l /proc/$p/fd | grep -c socket"
                [ "$output" = 0 ]
        done

        # Killed again: exec adopts first, then runs in the container.
        kill -9 "$mon2"
        wait_for 5 bash -c "! kill -0 $mon2 2>/dev/null"
        run podctl exec seq -c b -- cat /s/ready
        [ "$status" -eq 0 ]
        mon2=$(monitor_pid seq)
        [ "$(awk '{print $4}' /proc/"$mon2"/stat)" = "$keeper" ]
        # Killed again: delete restarts the monitor first, then preStop, TERM.
        kill -9 "$mon2"
        wait_for 5 bash -c "! kill -0 $mon2 2>/dev/null"
        podctl delete pod seq
        [ "$(tr '\n' ' ' <"$shared/order")" = "prestop term " ]
        [ ! -e "$dir" ]
        run ! kill -0 "$b_pid"
        # the keeper exits after its monitor (and is reaped by init)
        wait_for 5 bash -c "! kill -0 $keeper 2>/dev/null"
}

@test "monitor SIGKILLed at random points of restarts: every exit recorded with its real code, one run at a time" {
        f=$(manifest flap <<EOF
apiVersion: v1
kind: Pod
metadata: {name: flap}
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: [sh, -c, 'echo run; sleep 0.2; exit 3']
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running flap c
        for i in 1 2 3 4 5 6; do
                sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
                kill -9 "$(monitor_pid flap)"
                sleep 0.3
                run podctl get pod flap -o json
                [ "$status" -eq 0 ]
                code=$(echo "$output" | jq '.status.containerStatuses[0].lastState.terminated.exitCode')
                [ "$code" = 3 ] || [ "$code" = null ]
                [[ "$output" != *MonitorLost* ]]
                # never two runs of the container (sh and its sleep at most)
                cg=$(rt flap .containers.c.cgroupPath)
                if [ -n "$cg" ] && [ "$cg" != null ] && [ -e "$cg/cgroup.procs" ]; then
                        [ "$(wc -l <"$cg/cgroup.procs")" -le 2 ]
                fi
        done
        n=$(restarts_of flap c)
        wait_for 10 bash -c "[ \$('$PODCTL' get pod flap -o json | jq '.status.containerStatuses[0].restartCount') -gt $n ]"
        [ "$(jq_pod flap '.status.containerStatuses[0].lastState.terminated.exitCode')" = 3 ]
        run ! grep -q '137' <(jq -r '.events[].message' "$(pod_dir flap)/status.json")
        podctl delete pod flap
}

@test "monitor SIGKILLed at random points of a graceful delete: the delete still runs TERM and removes everything" {
        for i in 1 2 3; do
                shared="$BATS_TEST_TMPDIR/shared$i"
                mkdir -p "$shared"
                f=$(manifest graceful$i <<EOF
apiVersion: v1
kind: Pod
metadata: {name: graceful$i}
spec:
  terminationGracePeriodSeconds: 10
  volumes: [{name: s, hostPath: {path: $shared}}]
  containers:
  - name: a
    image: busybox
    volumeMounts: [{name: s, mountPath: /s}]
    command: [sh, -c, 'trap "echo term >> /s/order; exit 0" TERM; while :; do sleep 0.05; done']
    lifecycle:
      preStop:
        exec: {command: [sh, -c, "echo prestop >> /s/order; sleep 0.3"]}
EOF
)
                podctl apply -f "$f"
                wait_for 10 container_running graceful$i a
                wait_for 5 traps graceful$i a
                keeper=$(rt graceful$i .keeperPid)
                cpid=$(rt graceful$i .containers.a.pid)
                mon=$(monitor_pid graceful$i)
                podctl delete pod graceful$i &
                del=$!
                if [ "$i" = 1 ]; then
                        # during preStop, before the TERM: without a new
                        # monitor the container would only get SIGKILL
                        wait_for 10 grep -qx prestop "$shared/order"
                else
                        sleep "0.$((RANDOM % 6))$((RANDOM % 10))"
                fi
                kill -9 "$mon" 2>/dev/null || true
                wait "$del"
                [ ! -e "$(pod_dir graceful$i)" ]
                grep -qx term "$shared/order"
                grep -qx prestop "$shared/order"
                run ! kill -0 "$cpid"
                wait_for 5 bash -c "! kill -0 $keeper 2>/dev/null"
        done
}

@test "monitor SIGKILLed while a postStart hook holds the next container: the new monitor starts it" {
        f=$(manifest held <<'EOF2'
apiVersion: v1
kind: Pod
metadata: {name: held}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: a
    image: busybox
    command: [sleep, "600"]
    lifecycle:
      postStart:
        exec: {command: [sleep, "600"]}
  - name: b
    image: busybox
    command: [sleep, "600"]
EOF2
)
        podctl apply -f "$f"
        states() { [ "$(jq_pod held '[.status.containerStatuses[].state | keys[0]] | join(" ")')" = "$1" ]; }
        wait_for 10 states "running waiting"
        kill -9 "$(monitor_pid held)"
        # the next command adopts the Pod; its monitor does not run the hook
        # again, and b, held by it, starts
        wait_for 10 container_running held b
        run -0 jq_pod held '.status.containerStatuses[0].restartCount'
        [ "$output" = 0 ]
        podctl delete pod held --grace-period=0 --force >/dev/null
}
