#!/usr/bin/env bats
# podctl gc: what no Pod owns is found and removed (--dry-run only says so),
# and the host is back to the baseline snapshot; what a Pod owns (running,
# finished, MonitorLost, or of another root) is never touched. Orphans are
# made by hand and by SIGKILLing apply and delete at random points.
# tests/run: alone (snapshots of the whole host, or host-wide state)

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

setup() {
        BG_PIDS="$BATS_TEST_TMPDIR/bg-pids"
        : >"$BG_PIDS"
        OTHER=""
        FAKE_CG=()
}

teardown() {
        local p c
        while read -r p; do kill -9 "$p" 2>/dev/null || true; done <"$BG_PIDS"
        for p in $(pgrep -f -- "--pod-dir $PODCTL_ROOT/pods/default_orphan" || true); do kill -9 "$p" 2>/dev/null || true; done
        for c in "${FAKE_CG[@]}"; do rmdir "$c" 2>/dev/null || true; done
        while read -r c; do umount -l "$c" 2>/dev/null || true; done < <(grep -F "$PODCTL_ROOT/pods/" /proc/self/mountinfo | awk '{print $5}')
        delete_all_pods
        "$PODCTL" gc >/dev/null 2>&1 || true
        if [ -n "$OTHER" ]; then
                PODCTL_ROOT=$OTHER PODCTL_LOG_DIR=$OTHER/logs delete_all_pods
                for p in $(pgrep -f -- "--root $OTHER " || true); do kill -9 "$p" 2>/dev/null || true; done
                rm -rf "$OTHER"
        fi
}

# Pod uids of other roots, as gc knows them: helpers' foreign_uids plus
# every registered root and /tmp/podctl-* (other suites' roots).
foreign_uids() {
        local r p args roots=(/var/lib/podctl /tmp/podctl-*)
        while IFS= read -r r; do roots+=("$r"); done </run/podctl/roots
        for p in $(pgrep -x podctl-monitor || true); do
                args=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
                [[ $args =~ --root\ ([^ ]+) ]] && roots+=("${BASH_REMATCH[1]}")
        done
        for r in "${roots[@]}"; do
                [ "$r" != "$PODCTL_ROOT" ] || continue
                cat "$r"/pods/*/pod.json 2>/dev/null | jq -r '.metadata.uid // empty' 2>/dev/null
        done | sort -u
}

# The trace snapshot plus pods/ in depth, this root's CNI cache, and the
# leases of podctl's network held by sandboxes of this root (ids seen in its
# CNI cache, pod dirs or log dirs, remembered across snapshots: other roots'
# Pods come and go on this host too).
snap() {
        local mine="$BATS_FILE_TMPDIR/sandboxes" f u id
        trace_snapshot
        (cd "$PODCTL_ROOT" 2>/dev/null && find pods cni/cache -mindepth 1 2>/dev/null) || true
        {
                ls "$PODCTL_ROOT/cni/cache" 2>/dev/null | sed -n 's/\.json$//p'
                for u in $(cat "$PODCTL_ROOT"/pods/*/pod.json 2>/dev/null | jq -r '.metadata.uid // empty' 2>/dev/null) \
                        $(ls "$PODCTL_LOG_DIR" 2>/dev/null | grep -oE '[0-9a-f-]{36}$'); do
                        u=${u//-/}
                        echo "$u$u"
                done
        } >>"$mine"
        for f in /var/lib/cni/networks/podctl/*; do
                case $(basename "$f") in lock | last_reserved_ip*) continue ;; esac
                [ -f "$f" ] || continue
                id=$(head -n 1 "$f" | tr -d '\r')
                grep -qxF -- "$id" "$mine" || continue
                echo "lease $(basename "$f") $id"
        done
}

sleeper() {
        manifest "$1" <<EOF2
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: ${2:-Always}
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "${3:-sleep 1000}"]
EOF2
}

uid_of() { jq_pod "$1" .metadata.uid; }
sandbox_of() { local u; u=$(uid_of "$1" | tr -d -); echo "$u$u"; }
lease_of() { grep -lx -- "$1" /var/lib/cni/networks/podctl/* 2>/dev/null || grep -l -- "$1" /var/lib/cni/networks/podctl/* 2>/dev/null; }
alive() { [ -e "/proc/$1" ] && [ "$(proc_state "$1")" != Z ]; }
dead() { ! alive "$1"; }

@test "gc removes each kind of orphan (made by hand) and only those; --dry-run removes nothing" {
        base=$(snap)
        # a running Pod next to the orphans is not touched (made first: every
        # apply removes debris pod dirs itself)
        podctl apply -f "$(sleeper keeper)"
        wait_for 20 container_running keeper c
        kpid=$(pid_of keeper c)
        # 1. a Pod whose state vanished: its monitor SIGKILLed, its pod dir removed.
        #    Left: processes in its cgroups, its IP lease and CNI cache entry, its logs.
        podctl apply -f "$(sleeper orphan)"
        wait_for 20 container_running orphan c
        uid=$(uid_of orphan)
        sb=$(sandbox_of orphan)
        pause=$(pause_pid orphan)
        ctr=$(pid_of orphan c)
        lease=$(lease_of "$sb")
        [ -n "$lease" ]
        kill -9 "$(pgrep -f -- "--pod-dir $PODCTL_ROOT/pods/default_orphan ")"
        rm -rf "$PODCTL_ROOT/pods/default_orphan"
        # 2. debris pod dirs: pod.json without status (an apply killed before its
        #    monitor), status without pod.json (a delete killed half-way), and a
        #    mount below one of them (with a file that must survive the removal).
        mkdir -p "$PODCTL_ROOT/pods/default_ghost1" "$PODCTL_ROOT/pods/default_ghost2/shm" "$BATS_TEST_TMPDIR/keep"
        echo '{"metadata": {"name": "ghost1", "namespace": "default", "uid": "00000000-0000-4000-8000-000000000001"}}' >"$PODCTL_ROOT/pods/default_ghost1/pod.json"
        echo '{"status": {"phase": "Running"}, "runtime": {}}' >"$PODCTL_ROOT/pods/default_ghost2/status.json"
        echo precious >"$BATS_TEST_TMPDIR/keep/file"
        mount --bind "$BATS_TEST_TMPDIR/keep" "$PODCTL_ROOT/pods/default_ghost2/shm"
        # 3. a log dir of no Pod, and a cgroup of no Pod (in podctl's subtree)
        mkdir -p "$PODCTL_LOG_DIR/default_gone_00000000-0000-4000-8000-000000000002/c"
        echo x >"$PODCTL_LOG_DIR/default_gone_00000000-0000-4000-8000-000000000002/c/0.log"
        for h in /sys/fs/cgroup/memory/podctl/besteffort /sys/fs/cgroup/pids/podctl/besteffort /sys/fs/cgroup/podctl/besteffort; do
                [ -d "$h" ] || continue
                FAKE_CG+=("$h/pod00000000-0000-4000-8000-000000000003")
                mkdir "$h/pod00000000-0000-4000-8000-000000000003"
        done
        [ "${#FAKE_CG[@]}" -gt 0 ]

        run podctl gc --dry-run
        [ "$status" -eq 0 ]
        echo "$output"
        [[ "$output" == *"would remove cgroup podctl/besteffort/pod$uid"* ]]
        [[ "$output" == *"would remove process $ctr (sleep) of cgroup podctl/besteffort/pod$uid"* ]]
        [[ "$output" == *"would remove network attachment of sandbox ${sb:0:12}"* ]]
        [[ "$output" == *"would remove log directory $PODCTL_LOG_DIR/default_orphan_$uid"* ]]
        [[ "$output" == *"would remove pod directory $PODCTL_ROOT/pods/default_ghost1"* ]]
        [[ "$output" == *"would remove pod directory $PODCTL_ROOT/pods/default_ghost2"* ]]
        [[ "$output" == *"would remove mount $PODCTL_ROOT/pods/default_ghost2/shm"* ]]
        [[ "$output" == *"would remove log directory $PODCTL_LOG_DIR/default_gone_00000000-0000-4000-8000-000000000002"* ]]
        [[ "$output" == *"would remove cgroup podctl/besteffort/pod00000000-0000-4000-8000-000000000003"* ]]
        [[ "$output" != *"$(uid_of keeper)"* ]]
        [[ "$output" != *"removed "* ]]
        # nothing was removed
        alive "$pause"
        alive "$ctr"
        [ -f "$lease" ]
        [ -d "$PODCTL_ROOT/pods/default_ghost1" ]
        [ -d "$PODCTL_LOG_DIR/default_orphan_$uid" ]
        [ -d "${FAKE_CG[0]}" ]

        run podctl gc
        [ "$status" -eq 0 ]
        echo "$output"
        [[ "$output" == *"removed cgroup podctl/besteffort/pod$uid"* ]]
        [[ "$output" == *"removed pod directory $PODCTL_ROOT/pods/default_ghost2"* ]]
        wait_for 10 dead "$pause"
        dead "$ctr"
        [ ! -e "$lease" ]
        [ "$(cat "$BATS_TEST_TMPDIR/keep/file")" = precious ]
        # the running Pod carries on
        container_running keeper c
        [ "$(pid_of keeper c)" = "$kpid" ]
        alive "$kpid"
        podctl delete pod keeper --grace-period=0 >/dev/null
        assert_no_new_trace "$base"
}

@test "debris pod dirs go without gc: a create's admission walk removes every one, a delete its own name's" {
        local p=$PODCTL_ROOT/pods
        # an apply killed before its monitor, a delete killed half-way
        mkdir -p "$p/default_ghost1" "$p/default_ghost2"
        echo '{"metadata": {"name": "ghost1", "namespace": "default"}}' >"$p/default_ghost1/pod.json"
        echo '{"status": {"phase": "Running"}, "runtime": {}}' >"$p/default_ghost2/status.json"
        podctl apply -f "$(sleeper live)"
        [ ! -e "$p/default_ghost1" ]
        [ ! -e "$p/default_ghost2" ]
        run -0 podctl get pods -o name
        [ "$output" = pod/live ]
        # debris of the name a delete asks for: no Pod, and gone
        mkdir -p "$p/default_ghost3"
        echo '{"metadata": {"name": "ghost3", "namespace": "default"}}' >"$p/default_ghost3/pod.json"
        run podctl delete pod ghost3
        [ "$status" -ne 0 ]
        [[ "$output" == *'pods "ghost3" not found'* ]]
        [ ! -e "$p/default_ghost3" ]
        wait_for 20 container_running live c
        podctl delete pod live --grace-period=0 >/dev/null
}

@test "gc leaves every Pod alone: finished, MonitorLost, and another root's whose monitor is dead" {
        export PODCTL_ADOPT=0 # MonitorLost Pods stay so (no command adopts them)
        podctl apply -f "$(sleeper done Never 'echo bye')"
        wait_for 20 phase_is done Succeeded
        podctl apply -f "$(sleeper lost)"
        wait_for 20 container_running lost c
        lpid=$(pid_of lost c)
        kill -9 "$(pgrep -f -- "--pod-dir $PODCTL_ROOT/pods/default_lost ")"
        wait_for 10 phase_is lost Unknown
        # another root outside /tmp/podctl-*: known only by its registration
        OTHER=$(mktemp -d /var/tmp/podctl-gc-other.XXXXXX)
        PODCTL_ROOT=$OTHER PODCTL_LOG_DIR=$OTHER/logs podctl image load -i "$PODCTL_TEST_FIXTURES/busybox-oci" >/dev/null
        PODCTL_ROOT=$OTHER PODCTL_LOG_DIR=$OTHER/logs podctl apply -f "$(sleeper far)"
        wait_for 20 eval 'PODCTL_ROOT=$OTHER PODCTL_LOG_DIR=$OTHER/logs container_running far c'
        fpid=$(PODCTL_ROOT=$OTHER PODCTL_LOG_DIR=$OTHER/logs pid_of far c)
        kill -9 "$(pgrep -f -- "--pod-dir $OTHER/pods/default_far ")"
        fuid=$(PODCTL_ROOT=$OTHER PODCTL_LOG_DIR=$OTHER/logs uid_of far)

        run podctl gc
        [ "$status" -eq 0 ]
        echo "$output"
        [[ "$output" != *"$(uid_of done)"* ]]
        [[ "$output" != *"$(uid_of lost)"* ]]
        [[ "$output" != *"$fuid"* ]]
        alive "$lpid"
        alive "$fpid"
        run podctl logs done
        [ "$status" -eq 0 ]
        [ "$output" = bye ]
        phase_is lost Unknown
        [ -d "/sys/fs/cgroup/memory/podctl/besteffort/pod$fuid" ] || [ -d "/sys/fs/cgroup/podctl/besteffort/pod$fuid" ]
}

# New trace lines that belong to no listed Pod of this root (a few retries:
# another root's Pod may be appearing or going at the same time).
unowned_trace() {
        local i left
        for i in 1 2 3 4 5 6 7 8; do
                left=$(unowned_trace_once "$1")
                [ -n "$left" ] || return 0
                sleep 0.3
        done
        echo "$left"
}
unowned_trace_once() {
        local extra keys
        extra=$(new_trace "$1")
        keys=$(podctl get pods -o json | jq -r '.items[] | .metadata.uid, ("default_" + .metadata.name)')
        while IFS= read -r l; do
                [ -n "$l" ] || continue
                owned=0
                while IFS= read -r k; do
                        [ -n "$k" ] || continue
                        if [[ $l == *"$k"* ]]; then owned=1; fi
                done <<<"$keys"
                # a lease or cache entry is named by the sandbox id (the uid's hex twice)
                while IFS= read -r k; do
                        [ -n "$k" ] || continue
                        if [[ $l == *"$(tr -d - <<<"$k")"* ]]; then owned=1; fi
                done <<<"$(grep -E '^[0-9a-f-]{36}$' <<<"$keys")"
                # a uid never used by this root: another root's Pod
                if [[ $l =~ ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}) ]]; then
                        grep -qxF -- "${BASH_REMATCH[1]}" "$BATS_FILE_TMPDIR/uids" 2>/dev/null ||
                                owned=1
                fi
                [ $owned = 1 ] || echo "$l"
        done <<<"$extra"
}

# Uids of this root's Pods, remembered (other roots' Pods come and go on this
# host; a cgroup line of a uid never seen here is theirs).
remember_uids() {
        { cat "$PODCTL_ROOT"/pods/*/pod.json 2>/dev/null | jq -r '.metadata.uid // empty'; } >>"$BATS_FILE_TMPDIR/uids" 2>/dev/null || true
        { ls "$PODCTL_LOG_DIR" 2>/dev/null | grep -oE '[0-9a-f-]{36}$'; } >>"$BATS_FILE_TMPDIR/uids" || true
}

# random_points N SYSCALL:MAX...: N kill points SYSCALL:K, K from 1 to MAX,
# the syscalls taken in turn.
random_points() {
        local n=$1 i
        shift
        local specs=("$@")
        for ((i = 0; i < n; i++)); do
                local sp=${specs[$((i % ${#specs[@]}))]}
                echo "${sp%:*}:$((1 + RANDOM % ${sp#*:}))"
        done
}

# kill_at SYSCALL N CMD...: run CMD, SIGKILLed as it enters its Nth SYSCALL
# (strace's fault injection: a kill point that is exact and repeatable).
# LeakSanitizer cannot run under ptrace: off for the traced command (and the
# monitor it starts) in the sanitizer build.
kill_at() {
        local sc=$1 n=$2
        shift 2
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
                strace -o /dev/null -e inject="$sc:signal=SIGKILL:when=$n" "$@" >/dev/null 2>&1 || true
}

# after_kill WHAT: gc, then nothing new but what listed Pods own; counts
# the rounds in which gc had something to collect.
after_kill() {
        local left
        remember_uids
        run podctl gc
        [ "$status" -eq 0 ]
        if [[ $output != "nothing to collect" ]]; then
                collected=$((collected + 1))
                echo "$1: $output" >>"$BATS_FILE_TMPDIR/collected"
        fi
        left=$(unowned_trace "$base")
        if [ -n "$left" ]; then
                podctl get pods -o wide >&2 || true
                ls -la "$PODCTL_ROOT"/pods/* >&2 || true
                echo "gc said: $output" >&2
                echo "$1, after gc:" >&2
                echo "$left" >&2
                return 1
        fi
}

@test "apply and delete SIGKILLed at their state-changing syscalls: gc leaves only what listed Pods own, then the baseline" {
        base=$(snap)
        f=$(sleeper victim)
        collected=0
        rounds=0
        # apply: its mkdirs (root layout, pod dir), flocks (root, monitor.lock),
        # renames (pod.json, images.json), and a few random later points.
        # PODCTL_KILL_POINTS=N: N points in all (half in apply, half in
        # delete), drawn at random from those syscalls; unset or 0: the fixed
        # 17 (make check runs the issue's 100, about 3 minutes, and its
        # sanitizer pass the 17)
        local apply_points delete_points n=${PODCTL_KILL_POINTS:-0}
        apply_points="mkdir:5 mkdir:6 flock:2 flock:3 rename:1 rename:2 rename:3 openat:$((20 + RANDOM % 40))"
        delete_points="flock:2 rt_sigqueueinfo:1 kill:1 rmdir:1 unlinkat:1 unlinkat:3 unlinkat:5 unlinkat:8 unlinkat:$((9 + RANDOM % 30))"
        if [ "$n" -gt 0 ]; then
                apply_points=$(random_points $((n / 2)) mkdir:8 flock:3 rename:4 openat:80 write:40)
                delete_points=$(random_points $((n - n / 2)) flock:2 rt_sigqueueinfo:1 kill:2 rmdir:3 unlinkat:40 openat:40)
        fi
        for k in $apply_points; do
                kill_at "${k%:*}" "${k#*:}" "$PODCTL" apply -f "$f"
                rounds=$((rounds + 1))
                after_kill "apply killed at ${k%:*} #${k#*:}"
                delete_all_pods
        done
        # delete: its flocks, the signal to the monitor, the kills and unlinks of
        # the safety-net teardown and of the removal of the pod and log dirs
        for k in $delete_points; do
                podctl get pod victim >/dev/null 2>&1 || podctl apply -f "$f" >/dev/null
                wait_for 20 container_running victim c
                remember_uids
                kill_at "${k%:*}" "${k#*:}" "$PODCTL" delete pod victim --grace-period=1
                rounds=$((rounds + 1))
                after_kill "delete killed at ${k%:*} #${k#*:}"
                delete_all_pods
        done
        echo "# $collected of $rounds kill points left something for gc:" >&3
        sed 's/^/#   /' "$BATS_FILE_TMPDIR/collected" >&3 2>/dev/null || true
        [ "$collected" -ge 1 ]
        run podctl gc
        [ "$status" -eq 0 ]
        assert_no_new_trace "$base"
}
