#!/usr/bin/env bats
# Container log rotation as the kubelet does it (containerLogMaxSize,
# containerLogMaxFiles in <root>/config.json): rotated files named
# <run>.log.<YYYYmmdd-HHMMSS>, all but the newest gzip-compressed, at most
# containerLogMaxFiles per run; `podctl logs` (--tail, --timestamps,
# --since-time, --previous, -f) reads rotated and current files as one
# stream, losing and repeating nothing.

load helpers

setup_file() {
        common_setup_file
        # 4Ki files, 3 per run: a writer of ~3 KB/s rotates every second or two.
        echo '{"containerLogMaxSize": "4Ki", "containerLogMaxFiles": 3}' >"$PODCTL_ROOT/config.json"
}
teardown_file() { common_teardown_file; }

setup() {
        BG_PIDS="$BATS_TEST_TMPDIR/bg-pids"
        : >"$BG_PIDS"
}

teardown() {
        local p
        while read -r p; do kill -9 "$p" 2>/dev/null || true; done <"$BG_PIDS"
        delete_all_pods
}

# writer NAME POLICY LINES: a Pod whose container prints LINES numbered lines
# (~90 bytes each, 25 a second) and exits 1 (then sleeps with Always).
writer() {
        manifest "$1" <<EOF2
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: $2
  containers:
  - name: w
    image: busybox
    command: ["sh", "-c", "i=1; while [ \$i -le $3 ]; do printf 'seq %05d %s\\\\n' \$i 'pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp'; i=\$((i+1)); sleep 0.04; done; exit 1"]
EOF2
}

log_dir_of() { # POD CONTAINER
        echo "$PODCTL_LOG_DIR/default_$1_$(jq_pod "$1" .metadata.uid)/$2"
}

# The sequence numbers in stdin are consecutive (none lost, none repeated).
consecutive() {
        awk '$1 == "seq" { n = $2 + 0; if (seen && n != prev + 1) { print "after " prev ": " n; bad = 1 } prev = n; seen = 1 } END { exit bad || !seen }'
}

last_seq_is() { [ "$(podctl logs "$1" | tail -n 1 | awk '{print $2 + 0}')" = "$2" ]; }
restarted() { [ "$(jq_pod "$1" '.status.containerStatuses[0].restartCount')" -ge 1 ]; }

@test "rotation: kubelet's names, at most containerLogMaxFiles, older ones gzip; logs reads them as one stream" {
        podctl apply -f "$(writer rot Never 200)"
        wait_for 30 phase_is rot Failed
        d=$(log_dir_of rot w)
        ls -l "$d"
        # exactly the current file and two rotated ones, named as the kubelet names them
        [ "$(ls "$d" | wc -l)" = 3 ]
        [ -f "$d/0.log" ]
        [ "$(ls "$d" | grep -c -E '^0\.log\.[0-9]{8}-[0-9]{6}$')" = 1 ]
        [ "$(ls "$d" | grep -c -E '^0\.log\.[0-9]{8}-[0-9]{6}\.gz$')" = 1 ]
        # the compressed one is the older, and a valid gzip of CRI records
        gz=$(ls "$d"/*.gz)
        plain=$(ls "$d"/0.log.* | grep -v '\.gz$')
        [[ "${gz%.gz}" < "$plain" ]]
        gzip -t "$gz"
        [ "$(gzip -dc "$gz" | grep -c -v -E '^[0-9T:.-]+Z std(out|err) [FP] ')" = 0 ]
        # no file far past 4Ki (one second of output at most: ~2.3 KB here)
        for f in "$d"/0.log "$plain"; do [ "$(stat -c %s "$f")" -le 8192 ]; done
        [ "$(gzip -dc "$gz" | wc -c)" -le 8192 ]
        # logs: the kept lines, in order, none lost or repeated, up to the last
        run podctl logs rot
        [ "$status" -eq 0 ]
        consecutive <<<"$output"
        [ "$(tail -n 1 <<<"$output" | awk '{print $2 + 0}')" = 200 ]
        first=$(head -n 1 <<<"$output" | awk '{print $2 + 0}')
        [ "$first" -gt 1 ] # the oldest files were removed
        n=$(wc -l <<<"$output")
        [ "$n" = $((200 - first + 1)) ]
        # --tail across files
        run podctl logs rot --tail=70
        [ "$status" -eq 0 ]
        [ "$(wc -l <<<"$output")" = 70 ]
        consecutive <<<"$output"
        [ "$(head -n 1 <<<"$output" | awk '{print $2 + 0}')" = 131 ]
        # --timestamps, and --since-time from the timestamp of a line in the gz file
        run podctl logs rot --timestamps
        [ "$status" -eq 0 ]
        [ "$(grep -c -v -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z seq ' <<<"$output")" = 0 ]
        ts=$(sed -n 5p <<<"$output" | cut -d' ' -f1)
        want=$(sed -n 5p <<<"$output" | awk '{print $3 + 0}')
        run podctl logs rot --since-time="$ts"
        [ "$status" -eq 0 ]
        [ "$(head -n 1 <<<"$output" | awk '{print $2 + 0}')" = "$want" ]
        consecutive <<<"$output"
        run podctl logs rot --since=1h
        [ "$status" -eq 0 ]
        [ "$(wc -l <<<"$output")" = "$n" ]
        run podctl logs rot --since=bogus
        [ "$status" -ne 0 ]
        [[ "$output" == *"invalid argument"* ]]
}

@test "logs -f across rotations loses and repeats no line" {
        podctl apply -f "$(writer follow Never 250)"
        timeout 60 "$PODCTL" logs -f follow >"$BATS_TEST_TMPDIR/out" 2>&1 &
        echo $! >>"$BG_PIDS"
        f=$!
        wait_for 40 phase_is follow Failed
        # -f ends by itself: the container ended for good
        wait "$f"
        cat "$BATS_TEST_TMPDIR/out" | tail -n 3
        consecutive <"$BATS_TEST_TMPDIR/out"
        [ "$(head -n 1 "$BATS_TEST_TMPDIR/out" | awk '{print $2 + 0}')" = 1 ]
        [ "$(wc -l <"$BATS_TEST_TMPDIR/out")" = 250 ]
        # while the files on disk kept only the last ones
        [ "$(podctl logs follow | head -n 1 | awk '{print $2 + 0}')" -gt 1 ]
}

@test "--previous reads the previous run's rotated files; runs before it are removed" {
        podctl apply -f "$(writer prev Always 120)"
        wait_for 40 restarted prev
        run podctl logs prev --previous
        [ "$status" -eq 0 ]
        consecutive <<<"$output"
        [ "$(tail -n 1 <<<"$output" | awk '{print $2 + 0}')" = 120 ]
        d=$(log_dir_of prev w)
        ls "$d"
        [ "$(ls "$d" | grep -c -E '^0\.log\.[0-9]{8}-[0-9]{6}(\.gz)?$')" -ge 1 ]
        # after a third run has started, run 0's files are gone, run 1's kept
        wait_for 60 eval '[ "$(jq_pod prev .status.containerStatuses[0].restartCount)" -ge 2 ]'
        run ls "$d"
        [ "$status" -eq 0 ]
        [ "$(grep -c -E '^0\.log' <<<"$output")" = 0 ]
        [ "$(grep -c -E '^1\.log' <<<"$output")" -ge 1 ]
}

@test "a bad containerLogMaxFiles or containerLogMaxSize is refused, nothing is created" {
        cp "$PODCTL_ROOT/config.json" "$BATS_TEST_TMPDIR/config.json"
        echo '{"containerLogMaxFiles": 1}' >"$PODCTL_ROOT/config.json"
        run podctl apply -f "$(writer bad1 Never 1)"
        cp "$BATS_TEST_TMPDIR/config.json" "$PODCTL_ROOT/config.json"
        [ "$status" -ne 0 ]
        [[ "$output" == *"containerLogMaxFiles"* ]]
        echo '{"containerLogMaxSize": "ten"}' >"$PODCTL_ROOT/config.json"
        run podctl apply -f "$(writer bad2 Never 1)"
        cp "$BATS_TEST_TMPDIR/config.json" "$PODCTL_ROOT/config.json"
        [ "$status" -ne 0 ]
        [[ "$output" == *"containerLogMaxSize"* ]]
        run podctl get pods -o name
        [ "$status" -eq 0 ]
        [ -z "$output" ]
}
