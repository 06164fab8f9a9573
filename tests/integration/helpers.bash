# Shared by the integration tests. Each test file gets its own podctl root, so
# files never see each other's pods; teardown removes everything it made.

# `run !` and `run -N` (bats 1.5.0 on) check the status themselves.
bats_require_minimum_version 1.5.0

B=${B:-build}
REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
PODCTL="$REPO/$B/podctl"
PROBE="$REPO/$B/tests/probe"

podctl() { "$PODCTL" "$@"; }

# Per-file root and log dir; the busybox image loaded once per file.
common_setup_file() {
        export PODCTL_ROOT=$(mktemp -d /tmp/podctl-it.XXXXXX)
        export PODCTL_LOG_DIR=$PODCTL_ROOT/logs
        export PODCTL_TIME_SCALE=${PODCTL_TIME_SCALE:-0.01}
        "$PODCTL" image load -i "$PODCTL_TEST_FIXTURES/busybox-oci" >/dev/null
}

# Delete every pod of this root, then check nothing of it is left.
common_teardown_file() {
        [ -n "${PODCTL_ROOT:-}" ] || return 0
        delete_all_pods
        # Last resort for a broken run: monitors of this root, by PID.
        for p in $(pgrep -f -- "--root $PODCTL_ROOT" || true); do kill -9 "$p" 2>/dev/null || true; done
        rm -rf "$PODCTL_ROOT"
}

# Write a manifest from stdin into the test's temp dir; print its path.
manifest() {
        local f="$BATS_TEST_TMPDIR/${1:-pod}.yaml"
        cat >"$f"
        echo "$f"
}

# wait_for TIMEOUT_S CMD...: retry CMD until it succeeds.
wait_for() {
        local t=$1
        shift
        local end=$((SECONDS + t))
        until "$@"; do
                [ $SECONDS -lt $end ] || return 1
                sleep 0.1
        done
}

jq_pod() { podctl get pod "$1" -o json | jq -r "$2"; }
pod_phase() { jq_pod "$1" .status.phase; }
phase_is() { [ "$(pod_phase "$1")" = "$2" ]; }
container_running() {
        [ "$(jq_pod "$1" ".status.containerStatuses[] | select(.name==\"$2\") | .state | has(\"running\")")" = true ]
}
# The kernel's view of a process, from the host.
proc_state() { sed -E 's/^.*\) (.).*$/\1/' "/proc/$1/stat"; } # R, S, Z...
ns_inode() { stat -L -c %i "/proc/$1/ns/$2"; }                # PID NS
# Start time (clock ticks since boot) of PID $1; with it a PID names one process.
proc_start() { sed -E 's/^.*\) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
uptime_ticks() { awk -v hz="$(getconf CLK_TCK)" '{printf "%d\n", $1 * hz}' /proc/uptime; }
same_process() { [ "$(proc_start "$1" 2>/dev/null)" = "$2" ]; } # PID START
# Host PIDs of the processes in the PID namespace of host PID $1.
pidns_members() {
        local ns p
        ns=$(readlink "/proc/$1/ns/pid")
        for p in /proc/[0-9]*; do
                if [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ]; then echo "${p#/proc/}"; fi
        done
}

pid_of() { podctl inspect pod "$1" | jq -r ".runtime.containers[\"$2\"].pid"; }
# Whether process PID $1 handles signal $2 (15, TERM, by default): a handler
# or SIG_IGN, from /proc/PID/status. A container's first process is the init
# of its PID namespace, and the kernel drops a signal that such an init has no
# handler for; a test that stops a shell with a trap waits for it first, or a
# TERM sent before the trap is set is lost and the grace period runs out.
sig_handled() {
        local bit=$((1 << (${2:-15} - 1))) cgt ign
        cgt=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
        ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
        [ -n "$cgt" ] && [ -n "$ign" ] && (((0x$cgt | 0x$ign) & bit))
}
traps() { sig_handled "$(pid_of "$1" "$2")" "${3:-15}"; } # POD CTR [SIGNUM]
pause_pid() { podctl inspect pod "$1" | jq -r .runtime.pausePid; }

# Delete every Pod of this root (force, no grace).
delete_all_pods() {
        local d k
        for d in "$PODCTL_ROOT"/pods/*; do
                [ -d "$d" ] || continue
                k=$(basename "$d")
                "$PODCTL" -n "${k%%_*}" delete pod "${k#*_}" --force --grace-period=0 \
                        >/dev/null 2>&1 || true
        done
}

# Pod uids of other podctl roots (other test runs or the bench on this host at
# the same time): their cgroups come and go and are not ours.
foreign_uids() {
        local p args roots=(/var/lib/podctl /tmp/podctl-it.*) r
        for p in $(pgrep -x podctl-monitor || true); do
                args=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) || continue
                [[ $args == *"--root $PODCTL_ROOT "* ]] && continue
                [[ $args =~ --root\ ([^ ]+) ]] && roots+=("${BASH_REMATCH[1]}")
        done
        for r in "${roots[@]}"; do
                [ "$r" != "$PODCTL_ROOT" ] || continue
                cat "$r"/pods/*/pod.json 2>/dev/null | jq -r '.metadata.uid // empty' 2>/dev/null
        done | sort -u
}

# Everything of this root on the host: mounts, processes, cgroups (other
# roots' Pods left out), state. Other roots' Pods are listed before and after
# the look: a Pod of theirs that is being created (its pod.json comes before
# its cgroup) or deleted (its cgroup goes before its pod.json) while we look
# is in one of the two lists.
trace_snapshot() {
        local fu l seen
        fu=$(foreign_uids)
        seen=$({
                grep -F "$PODCTL_ROOT" /proc/self/mountinfo || true
                pgrep -a -f -- "--root $PODCTL_ROOT" || true
                ls "$PODCTL_ROOT/pods" "$PODCTL_LOG_DIR" 2>/dev/null || true
                find /sys/fs/cgroup/*/podctl /sys/fs/cgroup/podctl -mindepth 1 -type d \
                        -name 'pod*' 2>/dev/null || true
        })
        fu=$(printf '%s\n%s\n' "$fu" "$(foreign_uids)" | sort -u)
        printf '%s\n' "$seen" | while IFS= read -r l; do
                [ -n "$l" ] || continue
                if [[ $l =~ /pod([0-9a-f-]{36}) ]] && grep -qxF -- "${BASH_REMATCH[1]}" <<<"$fu"; then
                        continue
                fi
                printf '%s\n' "$l"
        done | sort
}

# The snapshot no-trace checks compare; a file may redefine snap to add its
# own state (it is looked up when called).
snap() { trace_snapshot; }

# Lines of the current snapshot that are not in $1 (empty: nothing new).
new_trace() { comm -13 <(printf '%s\n' "$1" | sort) <(snap | sort); }

# assert_no_new_trace BEFORE: nothing of this root appeared since BEFORE (a
# few retries: a teardown may still be finishing), pods/ is empty and no
# monitor of this root runs.
assert_no_new_trace() {
        local i extra
        for i in $(seq 1 20); do
                extra=$(new_trace "$1")
                [ -n "$extra" ] || break
                sleep 0.25
        done
        if [ -n "$extra" ]; then
                echo "left behind:" >&2
                echo "$extra" >&2
                return 1
        fi
        [ -z "$(ls -A "$PODCTL_ROOT/pods" 2>/dev/null)" ] || {
                echo "pods/ not empty: $(ls -A "$PODCTL_ROOT/pods")" >&2
                return 1
        }
        ! pgrep -f -- "--root $PODCTL_ROOT " >/dev/null || {
                echo "a podctl-monitor of this root runs: $(pgrep -a -f -- "--root $PODCTL_ROOT ")" >&2
                return 1
        }
}

# A probe image: busybox plus the static probe binary, imported as a rootfs.
load_probe_image() {
        local d="$BATS_FILE_TMPDIR/probe-rootfs"
        mkdir -p "$d/usr/bin"
        cp "$PROBE" "$d/usr/bin/probe"
        cp "$PODCTL_TEST_FIXTURES/busybox-rootfs.tar" "$BATS_FILE_TMPDIR/probe.tar"
        tar -rf "$BATS_FILE_TMPDIR/probe.tar" -C "$d" ./usr/bin/probe
        podctl image import "$BATS_FILE_TMPDIR/probe.tar" localhost/probe:latest >/dev/null
}
