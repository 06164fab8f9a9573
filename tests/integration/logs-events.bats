#!/usr/bin/env bats
# logs --all-containers --prefix -l --since --limit-bytes, and podctl events
# [--for pod/NAME] [-w], as kubectl's.

load helpers

setup_file() {
        common_setup_file
        local d
        d=$(mktemp -d "$BATS_FILE_TMPDIR/m.XXXX")
        for n in multi multi2; do
                cat >"$d/$n.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $n
  labels:
    group: logs
spec:
  restartPolicy: Never
  initContainers:
  - name: setup
    image: busybox
    command: ["sh", "-c", "echo init of $n"]
  containers:
  - name: a
    image: busybox
    command: ["sh", "-c", "printf 'a1\\\\na2\\\\na3\\\\n'"]
  - name: b
    image: busybox
    command: ["sh", "-c", "echo b of $n"]
EOF
                "$PODCTL" apply -f "$d/$n.yaml" >/dev/null
        done
}
teardown_file() { common_teardown_file; }
setup() { BG_PIDS=$BATS_TEST_TMPDIR/bg.pids; : >"$BG_PIDS"; }
teardown() {
        local p
        while read -r p; do kill "$p" 2>/dev/null || true; done <"$BG_PIDS"
}

done_pods() { phase_is multi Succeeded && phase_is multi2 Succeeded; }

@test "logs --all-containers: init containers, then the containers, in order" {
        wait_for 60 done_pods
        run -0 podctl logs multi --all-containers
        [ "$output" = "$(printf 'init of multi\na1\na2\na3\nb of multi')" ]
}

@test "logs --prefix: each line names its Pod and container" {
        wait_for 60 done_pods
        run -0 podctl logs multi -c a --prefix
        [ "$output" = "$(printf '[pod/multi/a] a1\n[pod/multi/a] a2\n[pod/multi/a] a3')" ]
        run -0 podctl logs pod/multi --all-containers --prefix
        [ "${lines[0]}" = "[pod/multi/setup] init of multi" ]
        [ "${lines[4]}" = "[pod/multi/b] b of multi" ]
}

@test "logs --limit-bytes: at most that many bytes" {
        wait_for 60 done_pods
        run -0 podctl logs multi -c a --limit-bytes=4
        [ "$output" = "$(printf 'a1\na')" ]
        run -0 podctl logs multi -c a --limit-bytes 100
        [ "$output" = "$(printf 'a1\na2\na3')" ]
        run -1 podctl logs multi -c a --limit-bytes=0
        [ "$output" = "error: --limit-bytes must be greater than 0" ]
}

@test "logs -l: every matching Pod, with --prefix and --all-containers; -f follows them all" {
        wait_for 60 done_pods
        run -0 podctl logs -l group=logs --all-containers --prefix
        [ "${#lines[@]}" -eq 10 ]
        [[ $output == *"[pod/multi/b] b of multi"* ]]
        [[ $output == *"[pod/multi2/setup] init of multi2"* ]]
        # with a selector kubectl shows the last 10 lines of each unless --tail says
        run -0 podctl logs -l group=logs -c a --tail=1
        [ "$output" = "$(printf 'a3\na3')" ]
        # -f over several streams, side by side; it ends as the containers have
        run -0 timeout 30 "$PODCTL" logs -f -l group=logs -c b --prefix
        [[ $output == *"[pod/multi/b] b of multi"* ]]
        [[ $output == *"[pod/multi2/b] b of multi2"* ]]
        run -1 podctl logs -f -l group=logs --all-containers --max-log-requests=2
        [[ $output == "error: you are attempting to follow 6 log streams, but maximum allowed concurrency is 2"* ]]
}

@test "logs --since: only what came within that time" {
        f=$(manifest late <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: late
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo old; sleep 8; echo new; sleep 3600"]
EOF
)
        run -0 podctl apply -f "$f"
        wait_for 60 sh -c "'$PODCTL' logs late | grep -q new"
        run -0 podctl logs late --since=4s
        [ "$output" = new ]
        run -0 podctl logs late --since=1h
        [ "$output" = "$(printf 'old\nnew')" ]
        podctl delete pod late --grace-period=0 --force >/dev/null
}

@test "events: the Pods' events, --for one Pod, --types, -A" {
        wait_for 60 done_pods
        run -0 podctl events
        [[ ${lines[0]} =~ ^LAST\ SEEN\ +TYPE\ +REASON\ +OBJECT\ +MESSAGE$ ]]
        [[ $output =~ Normal\ +Scheduled\ +Pod/multi\ +Successfully\ assigned\ default/multi\ to ]]
        [[ $output == *"Pod/multi2"* ]]
        run -0 podctl events --for pod/multi2
        [[ $output == *"Started container b"* ]]
        [[ $output != *"Pod/multi "* ]]
        [ "$(grep -c 'Pod/multi2' <<<"$output")" -eq $((${#lines[@]} - 1)) ]
        run -0 podctl events --types=Warning
        [ "$output" = "No events found in default namespace." ]
        run -0 podctl events -A
        [[ ${lines[0]} =~ ^NAMESPACE\ +LAST\ SEEN ]]
        [[ ${lines[1]} =~ ^default\ + ]]
        run -0 podctl events --for pod/multi -o json
        [ "$(jq -r '.kind' <<<"$output")" = EventList ]
        [ "$(jq -r '[.items[].involvedObject.name] | unique | join(",")' <<<"$output")" = multi ]
        run -1 podctl events --for multi
        [[ $output == "error: --for must be in resource/name form"* ]]
}

@test "events -w: new events as they happen" {
        out=$BATS_TEST_TMPDIR/events.out
        "$PODCTL" events -w --for pod/watched >"$out" 2>&1 &
        echo $! >>"$BG_PIDS"
        f=$(manifest watched <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: watched
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "exit 0"]
EOF
)
        run -0 podctl apply -f "$f"
        wait_for 30 grep -q "Started container main" "$out"
        [ "$(grep -c '^LAST SEEN' "$out")" -eq 1 ]
        grep -qE 'Normal +Scheduled +Pod/watched' "$out"
}
