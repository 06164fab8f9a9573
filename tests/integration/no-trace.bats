#!/usr/bin/env bats
# Nothing half-made: after delete, after a failed start, after the CLI is
# SIGKILLed mid-apply and after the Pod's monitor is SIGKILLed, the next podctl
# command finds a consistent Pod or nothing, and once the Pod is deleted the
# host is as before (mounts, processes, cgroups, state and log directories).
# tests/run: alone (snapshots of the whole host, or host-wide state)

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

setup() {
        BG_PIDS="$BATS_TEST_TMPDIR/bg-pids"
        : >"$BG_PIDS"
}

teardown() {
        local p
        # background podctl processes this test started, by PID
        while read -r p; do kill -9 "$p" 2>/dev/null || true; done <"$BG_PIDS"
        delete_all_pods
}

# ---- local helpers -------------------------------------------------------------

# trace_snapshot plus pods/ in depth (hidden
# and half-made entries too) and objects/.
snap() {
        trace_snapshot
        (cd "$PODCTL_ROOT" 2>/dev/null && find pods objects -mindepth 1 2>/dev/null) || true
}

# run podctl ARGS: stdout in $out, stderr in $err, status in $rc
capture() {
        local o="$BATS_TEST_TMPDIR/stdout" e="$BATS_TEST_TMPDIR/stderr"
        rc=0
        podctl "$@" >"$o" 2>"$e" || rc=$?
        out=$(cat "$o")
        err=$(cat "$e")
}

proc_start() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}'; }
proc_state() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $1}'; }
# gone PID START: that process no longer exists (a zombie is dead too)
gone() {
        [ -e "/proc/$1" ] || return 0
        [ "$(proc_start "$1")" != "$2" ] && return 0
        [ "$(proc_state "$1")" = Z ]
}
# Live (non-zombie) processes whose cgroup is the pod's.
procs_in_pod_cgroup() { # UID
        local f p
        for f in /proc/[0-9]*/cgroup; do
                grep -q "pod$1" "$f" 2>/dev/null || continue
                p=${f#/proc/}
                p=${p%/cgroup}
                [ "$(proc_state "$p")" = Z ] || echo "$p"
        done
}
no_procs_in_pod_cgroup() { [ -z "$(procs_in_pod_cgroup "$1")" ]; }
pod_cgroups() { find /sys/fs/cgroup -type d -name "pod$1" 2>/dev/null || true; }
no_pod_cgroups() { [ -z "$(pod_cgroups "$1")" ]; }

# Every pid recorded by inspect (monitor, pause, containers) as "PID START".
recorded_pids() { # POD
        podctl inspect pod "$1" | jq -r '.runtime |
                ([.monitorPid, .monitorStart], [.pausePid, .pauseStart],
                 (.containers[] | [.pid, .pidStart]))
                | select(.[0] > 0) | "\(.[0]) \(.[1])"'
}
all_recorded_gone() { # FILE-OF-"PID START"
        local p s
        while read -r p s; do gone "$p" "$s" || return 1; done <"$1"
}

trio_pod() {
        manifest trio <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: trio
spec:
  volumes:
  - name: scratch
    emptyDir: {}
  initContainers:
  - name: init
    image: busybox
    command: ["sh", "-c", "echo from-init > /scratch/init.txt"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  containers:
  - name: a
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  - name: b
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
  - name: c
    image: busybox
    command: ["sh", "-c", "cat /scratch/init.txt; exec sleep 3600"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
EOF
}

all_running() { # POD C...
        local p=$1 c
        shift
        for c in "$@"; do container_running "$p" "$c" || return 1; done
}

# ---- after delete --------------------------------------------------------------

@test "delete: a 3-container Pod with an init container and an emptyDir leaves no trace" {
        f=$(trio_pod)
        before=$(snap)
        run podctl apply -f "$f"
        [ "$status" -eq 0 ]
        [ "$output" = "pod/trio created" ]
        wait_for 20 all_running trio a b c
        wait_for 5 traps trio b
        run podctl exec trio -c c -- cat /scratch/init.txt
        [ "$output" = from-init ]
        run podctl logs trio -c c
        [ "$output" = from-init ]

        J=$(podctl inspect pod trio)
        uid=$(jq -r .uid <<<"$J")
        dir=$(jq -r .stateDir <<<"$J")
        logdir=$(jq -r .runtime.logDir <<<"$J")
        [[ $uid =~ ^[0-9a-f-]{36}$ ]]
        [ -d "$dir/volumes/scratch" ]
        [ -d "$logdir" ]
        recorded_pids trio >"$BATS_TEST_TMPDIR/pids"
        # monitor, pause and three containers, all alive now
        [ "$(wc -l <"$BATS_TEST_TMPDIR/pids")" -eq 5 ]
        while read -r p s; do run ! gone "$p" "$s"; done <"$BATS_TEST_TMPDIR/pids"
        [ -n "$(pod_cgroups "$uid")" ]
        [ -n "$(procs_in_pod_cgroup "$uid")" ]
        # the snapshot does see a running Pod
        [ -n "$(new_trace "$before")" ]

        run podctl delete pod trio --grace-period=1
        [ "$status" -eq 0 ]
        [ "$output" = 'pod "trio" deleted' ]

        wait_for 5 all_recorded_gone "$BATS_TEST_TMPDIR/pids"
        wait_for 5 no_procs_in_pod_cgroup "$uid"
        no_pod_cgroups "$uid"
        [ ! -e "$dir" ]
        [ ! -e "$logdir" ]
        run ! grep -qF -e "$uid" -e "$dir" /proc/self/mountinfo
        assert_no_new_trace "$before"
        run podctl get pod trio
        [ "$status" -ne 0 ]
        [[ $output == *'pods "trio" not found'* ]]
}

@test "a finished Pod keeps its status and logs, and nothing of its run: no process, mount, cgroup or runtime directory" {
        f=$(manifest finished <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: finished
spec:
  restartPolicy: Never
  volumes: [{name: scratch, emptyDir: {}}]
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo bye > /scratch/x; echo bye"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
EOF
)
        podctl apply -f "$f"
        wait_for 20 phase_is finished Succeeded
        J=$(podctl inspect pod finished)
        uid=$(jq -r .uid <<<"$J")
        dir=$(jq -r .stateDir <<<"$J")
        [[ $uid =~ ^[0-9a-f-]{36}$ ]]
        [ -d "$dir" ] # the Pod's record
        [ "$(podctl logs finished)" = bye ]
        # its run is gone: the container's layer, the emptyDir, /dev/shm, /etc files
        for sub in containers volumes shm etc; do
                wait_for 10 eval "[ ! -e '$dir/$sub' ]"
        done
        run ! grep -qF -e "$uid" -e "$dir" /proc/self/mountinfo
        wait_for 5 no_procs_in_pod_cgroup "$uid"
        wait_for 5 no_pod_cgroups "$uid"
        podctl delete pod finished
}

# ---- failed starts -------------------------------------------------------------

@test "an image that is not in the store: the Pod waits in ErrImagePull naming it; delete leaves nothing" {
        f=$(manifest noimage <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: noimage
spec:
  containers:
  - name: good
    image: busybox
    command: ["sleep", "3600"]
  - name: missing
    image: localhost/does-not-exist:1.0
EOF
)
        before=$(snap)
        # as the kubelet: admitted; the image is pulled before the container
        # starts (from https://localhost, where nothing listens): ErrImagePull
        capture apply -f "$f"
        [ "$rc" -eq 0 ]
        [[ $out == *"pod/noimage created"* ]]
        wait_for 20 missing_pull_failed
        run jq_pod noimage '.status.containerStatuses[] | select(.name=="missing") | .state.waiting.message'
        [ "$status" -eq 0 ]
        [[ $output == *"localhost/does-not-exist:1.0"* ]]
        run podctl delete pod noimage --grace-period=0
        [ "$status" -eq 0 ]
        assert_no_new_trace "$before"
}

missing_pull_failed() { # the reason, with a message naming the image
        local w
        w=$(jq_pod noimage '.status.containerStatuses[] | select(.name=="missing") | .state.waiting | "\(.reason) \(.message)"')
        [[ $w == ErrImagePull\ *localhost/does-not-exist:1.0* ]] || [[ $w == ImagePullBackOff\ *localhost/does-not-exist:1.0* ]]
}

# A libexec dir with the real monitor and the given pause.
libexec_with_pause() { # KIND: noexec|exits
        local d="$BATS_TEST_TMPDIR/libexec"
        mkdir -p "$d"
        cp "$REPO/$B/podctl-monitor" "$d/podctl-monitor"
        cp "$REPO/$B/podctl-keeper" "$d/podctl-keeper"
        case $1 in
        noexec) cp "$REPO/$B/pause" "$d/pause" && chmod 0644 "$d/pause" ;;
        # a static binary that exits at once: busybox has no "pause" applet
        exits) cp /bin/busybox "$d/pause" && chmod 0755 "$d/pause" ;;
        esac
        echo "$d"
}

simple_pod() { # NAME
        manifest "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
EOF
}

@test "failed start: a pause that cannot be executed fails apply clearly, nothing is left" {
        lx=$(libexec_with_pause noexec)
        f=$(simple_pod nopause)
        before=$(snap)
        rc=0
        PODCTL_LIBEXEC=$lx podctl apply -f "$f" >"$BATS_TEST_TMPDIR/o" 2>"$BATS_TEST_TMPDIR/e" || rc=$?
        err=$(cat "$BATS_TEST_TMPDIR/e")
        [ "$rc" -ne 0 ]
        [[ $err == *"error: pod/nopause: "*"$lx/pause"*"Permission denied"* ]]
        [[ $(cat "$BATS_TEST_TMPDIR/o") != *created* ]]
        assert_no_new_trace "$before"
        run podctl get pod nopause
        [ "$status" -ne 0 ]
        [[ $output == *'pods "nopause" not found'* ]]
}

@test "failed start: a pause that exits at once fails apply clearly, nothing is left" {
        lx=$(libexec_with_pause exits)
        f=$(simple_pod deadpause)
        before=$(snap)
        rc=0
        PODCTL_LIBEXEC=$lx podctl apply -f "$f" >"$BATS_TEST_TMPDIR/o" 2>"$BATS_TEST_TMPDIR/e" || rc=$?
        out=$(cat "$BATS_TEST_TMPDIR/o")
        err=$(cat "$BATS_TEST_TMPDIR/e")
        echo "apply: rc=$rc stdout=$out stderr=$err"
        [ "$rc" -ne 0 ]
        [[ $err == *"error: pod/deadpause: "*"sandbox"* ]] || [[ $err == *"error: pod/deadpause: "*"pause"* ]]
        [[ $out != *created* ]]
        assert_no_new_trace "$before"
        run podctl get pod deadpause
        [ "$status" -ne 0 ]
}

nope_pod() {
        manifest nope <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: nope
spec:
  restartPolicy: Never
  containers:
  - name: fine
    image: busybox
    command: ["sleep", "3600"]
  - name: broken
    image: busybox
    command: ["/nope"]
EOF
}

@test "failed start: a container whose command does not exist: StartError 128, Pod consistent and deletable" {
        f=$(nope_pod)
        before=$(snap)
        capture apply -f "$f"
        [ "$rc" -ne 0 ]
        [[ $err == *"error: pod/nope: "*'"broken"'*'/nope'*"No such file or directory"* ]]

        run podctl get pod nope -o json
        [ "$status" -eq 0 ]
        t=$(jq -c '.status.containerStatuses[] | select(.name=="broken") | .state.terminated' <<<"$output")
        [ "$(jq -r .reason <<<"$t")" = StartError ]
        [ "$(jq -r .exitCode <<<"$t")" = 128 ]
        [[ $(jq -r .message <<<"$t") == *"/nope"*"No such file or directory"* ]]
        [ "$(jq -r '.status.containerStatuses[] | select(.name=="broken") | .ready' <<<"$output")" = false ]
        # the other container runs, the Pod is readable everywhere
        wait_for 10 container_running nope fine
        run podctl exec nope -c fine -- echo ok
        [ "$output" = ok ]
        run podctl get pods
        [[ $output == *nope*"1/2"* ]]
        run podctl describe pod nope
        [ "$status" -eq 0 ]
        [[ $output == *"StartError"* ]]

        uid=$(podctl inspect pod nope | jq -r .uid)
        recorded_pids nope >"$BATS_TEST_TMPDIR/pids"
        run podctl delete pod nope --grace-period=1
        [ "$status" -eq 0 ]
        wait_for 5 all_recorded_gone "$BATS_TEST_TMPDIR/pids"
        wait_for 5 no_procs_in_pod_cgroup "$uid"
        no_pod_cgroups "$uid"
        assert_no_new_trace "$before"
}

@test "failed start: the start error names the container once" {
        f=$(nope_pod)
        capture apply -f "$f"
        [ "$rc" -ne 0 ]
        echo "stderr: $err"
        [[ $err != *'container "broken": container "broken"'* ]]
        podctl delete pod nope --force --grace-period=0
}

# ---- SIGKILL -------------------------------------------------------------------

# The Pod of a killed apply, if any, must be consistent: it reaches Running, is
# exec-able and deletable.
check_consistent_or_absent() { # POD ITERATION-LABEL
        local n
        run podctl get pods -o json
        [ "$status" -eq 0 ] || { echo "$2: get pods failed: $output" >&2; return 1; }
        n=$(jq '.items | length' <<<"$output")
        case $n in
        0)
                run podctl get pod "$1"
                [ "$status" -ne 0 ] || { echo "$2: get pods listed nothing, but get pod $1 found it: $output" >&2; return 1; }
                echo absent
                ;;
        1)
                [ "$(jq -r '.items[0].metadata.name' <<<"$output")" = "$1" ] || return 1
                wait_for 15 container_running "$1" app ||
                        { echo "$2: never Running: $(podctl get pod "$1" -o json)" >&2; return 1; }
                [ "$(pod_phase "$1")" = Running ] || return 1
                [ "$(podctl exec "$1" -- echo alive)" = alive ] ||
                        { echo "$2: exec failed" >&2; return 1; }
                echo present
                ;;
        *)
                echo "$2: $n pods" >&2
                return 1
                ;;
        esac
}

@test "SIGKILL of the CLI at any moment of apply: a consistent Pod or nothing, and no trace after delete" {
        f=$(simple_pod killed)
        before=$(snap)
        local i d pid seen failures=() present=0 absent=0
        # 0 to 10 ms in 0.5 ms steps (before the Pod directory exists, while
        # pod.json is written, while the monitor is spawned), then to 86 ms in
        # 4 ms steps (while the monitor sets up, after it reported)
        for i in $(seq 0 39); do
                if [ "$i" -lt 20 ]; then
                        d=$(printf '0.%04d' $((i * 5)))
                else
                        d=$(printf '0.%03d' $(((i - 20) * 4 + 10)))
                fi
                # the binary itself, not the podctl() wrapper: $! must be
                # the CLI's PID, not a subshell's
                "$PODCTL" apply -f "$f" >/dev/null 2>&1 &
                pid=$!
                echo "$pid" >>"$BG_PIDS"
                [ "$i" -eq 0 ] || sleep "$d"
                kill -9 "$pid" 2>/dev/null || true
                wait "$pid" 2>/dev/null || true
                if ! seen=$(check_consistent_or_absent killed "after ${d}s" 2>"$BATS_TEST_TMPDIR/why"); then
                        failures+=("after ${d}s: inconsistent: $(cat "$BATS_TEST_TMPDIR/why")")
                fi
                [ "$seen" = present ] && present=$((present + 1))
                [ "$seen" = absent ] && absent=$((absent + 1))
                podctl delete pod killed --force --grace-period=0 --ignore-not-found >/dev/null 2>&1 ||
                        failures+=("after ${d}s: delete failed")
                if ! assert_no_new_trace "$before" 2>"$BATS_TEST_TMPDIR/why"; then
                        failures+=("after ${d}s ($seen): $(cat "$BATS_TEST_TMPDIR/why")")
                        # clean up for the next round: a later apply collects debris
                        rm -rf "$PODCTL_ROOT/pods/default_killed"
                fi
        done
        echo "# killed apply: Pod present $present times, absent $absent times" >&3
        if [ ${#failures[@]} -gt 0 ]; then
                printf '%s\n' "${failures[@]}" >&2
                return 1
        fi
}

@test "SIGKILL of the monitor and its keeper: get says Unknown, not Running; delete still removes everything" {
        f=$(trio_pod)
        before=$(snap)
        podctl apply -f "$f"
        wait_for 20 all_running trio a b c
        wait_for 5 traps trio b
        J=$(podctl inspect pod trio)
        uid=$(jq -r .uid <<<"$J")
        dir=$(jq -r .stateDir <<<"$J")
        logdir=$(jq -r .runtime.logDir <<<"$J")
        mpid=$(jq -r .runtime.monitorPid <<<"$J")
        mstart=$(jq -r .runtime.monitorStart <<<"$J")
        kpid=$(jq -r .runtime.keeperPid <<<"$J")
        kstart=$(jq -r .runtime.keeperStart <<<"$J")
        recorded_pids trio >"$BATS_TEST_TMPDIR/pids"
        [ "$mpid" -gt 1 ]
        [ "$(proc_start "$mpid")" = "$mstart" ]
        [[ $(tr '\0' ' ' <"/proc/$mpid/cmdline") == *"--root $PODCTL_ROOT "* ]]

        # the keeper first, then the monitor: nobody is left to re-adopt the
        # Pod (a monitor's death alone is re-adopted: adopt.bats)
        [ "$(proc_start "$kpid")" = "$kstart" ]
        kill -9 "$kpid"
        wait_for 5 gone "$kpid" "$kstart"
        kill -9 "$mpid"
        wait_for 5 gone "$mpid" "$mstart"

        run podctl get pod trio -o json
        [ "$status" -eq 0 ]
        [ "$(jq -r .status.phase <<<"$output")" = Unknown ]
        [[ $(jq -r .status.message <<<"$output") == *"monitor"*"not running"* ]]
        run podctl get pods
        [[ $output == *trio* ]]
        [[ $output != *Running* ]]
        run podctl describe pod trio
        [[ $output == *"Status:"*"Unknown"* ]]
        run podctl inspect pod trio
        [ "$(jq -r .monitorAlive <<<"$output")" = false ]

        run podctl delete pod trio --grace-period=1
        [ "$status" -eq 0 ]
        [ "$output" = 'pod "trio" deleted' ]
        wait_for 5 all_recorded_gone "$BATS_TEST_TMPDIR/pids" || {
                echo "still alive:" >&2
                while read -r p s; do gone "$p" "$s" || ps -o pid,stat,args -p "$p" >&2; done \
                        <"$BATS_TEST_TMPDIR/pids"
                false
        }
        wait_for 5 no_procs_in_pod_cgroup "$uid"
        no_pod_cgroups "$uid"
        [ ! -e "$dir" ]
        [ ! -e "$logdir" ]
        assert_no_new_trace "$before"
}
