#!/usr/bin/env bats
# A full disk: the monitor keeps running, drops log lines with a counted
# Warning event (describe), never leaves a torn record, and writes again once
# there is space. The log dir is a small tmpfs this file mounts (and
# unmounts in teardown, whatever happened); for the state files, a second test
# puts the whole root on a small tmpfs.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

setup() {
        MNT="$BATS_TEST_TMPDIR/logfs"
        mkdir -p "$MNT"
        mount -t tmpfs -o size=256k,mode=0755 podctl-test-logfs "$MNT"
        export PODCTL_LOG_DIR="$MNT"
        ROOT2=""
}

teardown() {
        delete_all_pods
        if [ -n "$ROOT2" ]; then
                PODCTL_ROOT=$ROOT2 PODCTL_LOG_DIR=$ROOT2/logs delete_all_pods
                for p in $(pgrep -f -- "--root $ROOT2 " || true); do kill -9 "$p" 2>/dev/null || true; done
                umount "$ROOT2" 2>/dev/null || umount -l "$ROOT2" 2>/dev/null || true
                rmdir "$ROOT2" 2>/dev/null || true
        fi
        umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
}

chatter() {
        manifest chatter <<'EOF2'
apiVersion: v1
kind: Pod
metadata:
  name: chatter
spec:
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "i=1; while true; do echo \"seq $i $(printf '%0100d' 0)\"; i=$((i+1)); sleep 0.01; done"]
EOF2
}

# the monitor's pid (its pid file: pgrep -f would find its keeper too)
monitor_pid() { cut -d' ' -f1 "$PODCTL_ROOT/pods/default_$1/monitor.pid"; }
last_seq() { podctl logs chatter | tail -n 1 | awk '{print $2}'; }
events_json() { podctl get pod chatter -o json >/dev/null && jq -c '.' "$PODCTL_ROOT/pods/default_chatter/status.json" | jq -c '.events'; }
dropped_count() {
        jq -r '[.events[] | select(.reason == "LogLinesDropped") | .count] | add // 0' \
                "$PODCTL_ROOT/pods/default_chatter/status.json"
}
dropped_at_least() { [ "$(dropped_count)" -ge "$1" ]; }
resumed() { podctl describe pod chatter | grep -q LogResumed; }
grew_past() { [ "$(last_seq)" -gt "$1" ]; }

@test "log dir full: lines dropped and counted, the monitor and the Pod carry on, writing resumes with space" {
        podctl apply -f "$(chatter)"
        wait_for 20 container_running chatter c
        mon=$(monitor_pid chatter)
        [ -n "$mon" ]
        wait_for 20 grew_past 10
        # fill the disk
        run dd if=/dev/zero of="$MNT/fill" bs=4k
        [ "$status" -ne 0 ]
        [[ "$output" == *"No space left on device"* ]]
        wait_for 20 dropped_at_least 20
        # the Pod and its monitor are fine
        kill -0 "$mon"
        phase_is chatter Running
        container_running chatter c
        run podctl describe pod chatter
        [ "$status" -eq 0 ]
        [[ "$output" == *"Warning"*"LogLinesDropped"* ]]
        [[ "$output" == *"No space left on device"* ]]
        [[ "$output" =~ \(x[0-9]+\ over ]]
        # no torn record: every line of the file is a whole CRI record
        f=$(ls "$MNT"/default_chatter_*/c/0.log)
        [ "$(grep -c -v -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z stdout F seq [0-9]+ 0{100}$' "$f")" = 0 ]
        before=$(last_seq)
        n1=$(dropped_count)
        # space again: writing resumes (with a gap: dropped lines are gone)
        rm "$MNT/fill"
        wait_for 20 grew_past $((before + 20))
        wait_for 10 resumed
        run podctl describe pod chatter
        [ "$status" -eq 0 ]
        [[ "$output" == *"LogResumed"*"after "*" dropped log lines"* ]]
        podctl logs chatter | awk -v b="$before" '$2 > b { print $2; exit }' >"$BATS_TEST_TMPDIR/next"
        [ "$(cat "$BATS_TEST_TMPDIR/next")" -gt $((before + 1)) ]
        [ "$(dropped_count)" -ge "$n1" ]
        [ "$(monitor_pid chatter)" = "$mon" ]
        [ "$(grep -c -v -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z stdout F seq [0-9]+ 0{100}$' "$f")" = 0 ]
}

status_parses() { jq -e .status "$ROOT2/pods/default_$1/status.json" >/dev/null; }
restarts_of() { jq -r '.status.containerStatuses[0].restartCount' "$ROOT2/pods/default_$1/status.json"; }

@test "root full: status.json is never torn, no temporary file is left, the Pod recovers" {
        ROOT2=$(mktemp -d /tmp/podctl-it.full.XXXXXX)
        mount -t tmpfs -o size=24m,mode=0700 podctl-test-rootfs "$ROOT2"
        export PODCTL_ROOT=$ROOT2 PODCTL_LOG_DIR=$ROOT2/logs
        podctl image load -i "$PODCTL_TEST_FIXTURES/busybox-oci" >/dev/null
        f=$(manifest flapper <<'EOF2'
apiVersion: v1
kind: Pod
metadata:
  name: flapper
spec:
  restartPolicy: Always
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "echo run; sleep 0.2; exit 3"]
EOF2
        )
        podctl apply -f "$f"
        wait_for 20 eval '[ "$(restarts_of flapper)" -ge 2 ]'
        mon=$(monitor_pid flapper)
        [ -n "$mon" ]
        run dd if=/dev/zero of="$ROOT2/fill" bs=4k
        [ "$status" -ne 0 ]
        [[ "$output" == *"No space left on device"* ]]
        # for a few seconds of restarts on a full disk: the file always parses
        for i in $(seq 1 30); do
                status_parses flapper
                sleep 0.1
        done
        kill -0 "$mon"
        run find "$ROOT2/pods" -name '*.tmp.*'
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        r=$(restarts_of flapper)
        rm "$ROOT2/fill"
        wait_for 20 eval '[ "$(restarts_of flapper)" -gt '"$r"' ]'
        status_parses flapper
        [ "$(monitor_pid flapper)" = "$mon" ]
}
