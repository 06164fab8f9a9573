#!/usr/bin/env bats
# Containers with stdin and a terminal (stdin, stdinOnce, tty) and `attach
# -i [-t]`, as a kubectl user types them: input reaches the container, its
# end is the container's EOF only with stdinOnce, a terminal with the
# client's window size and Ctrl-P Ctrl-Q to detach, and the container's stdin
# survives its monitor's death. Every Pod is deleted by teardown, also when a
# test fails.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

teardown() {
        if [ -n "${bg:-}" ]; then kill "$bg" 2>/dev/null || true; fi
        delete_all_pods
}

pod_dir() { echo "$PODCTL_ROOT/pods/default_$1"; }
monitor_pid() { cut -d' ' -f1 "$(pod_dir "$1")/monitor.pid"; }
state_of() { jq_pod "$1" -c ".status.containerStatuses[] | select(.name==\"$2\") | .state"; }
exit_code_of() { jq_pod "$1" ".status.containerStatuses[] | select(.name==\"$2\") | .state.terminated.exitCode"; }
logs_have() { podctl logs "$1" -c "$2" | tr -d '\r' | grep -qx -- "$3"; }
in_pty() { script -qfec "$1" /dev/null; }
shown() { tr -d '\r' <"$1" | grep -qF -- "$2"; }
shown_line() { tr -d '\r' <"$1" | grep -qxF -- "$2"; }

# A reader of its stdin: "got LINE" for each line, exit 7 on "quit", "eof" at EOF.
reader_pod() {
        local name=$1 once=$2
        f=$(manifest "$name" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $name
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: r
    image: busybox
    stdin: true
    stdinOnce: $once
    command: [sh, -c, 'while read l; do echo "got \$l"; [ "\$l" = quit ] && exit 7; done; echo eof; sleep 3600']
  - name: plain
    image: busybox
    command: [sleep, "3600"]
EOF
        )
        podctl apply -f "$f"
        wait_for 20 container_running "$name" r
}

@test "stdin: true: attach -i writes the container's stdin, which stays open for the next attach" {
        reader_pod keep false
        # the container's stdin is a pipe, not /dev/null
        run -0 podctl exec keep -c r -- readlink /proc/1/fd/0
        [[ "$output" == pipe:* ]]
        # our input arrives; our EOF is not the container's (no stdinOnce)
        printf 'one\n' | "$PODCTL" attach -i keep -c r >"$BATS_TEST_TMPDIR/out1" &
        bg=$!
        wait_for 20 logs_have keep r 'got one'
        wait_for 20 grep -qx 'got one' "$BATS_TEST_TMPDIR/out1"
        sleep 1
        run ! logs_have keep r eof
        [[ "$(state_of keep r)" == *running* ]]
        kill "$bg"
        wait "$bg" || true
        bg=
        # a second attach: the same stdin; it returns when the container exits
        printf 'two\nquit\n' | timeout 30 "$PODCTL" attach -i keep -c r >"$BATS_TEST_TMPDIR/out2"
        grep -qx 'got two' "$BATS_TEST_TMPDIR/out2"
        wait_for 20 eval '[ "$(exit_code_of keep r)" = 7 ]'
        run ! logs_have keep r eof
}

@test "attach -i: input left over when the container exits ends the attach cleanly (no SIGPIPE)" {
        reader_pod flood false
        run -0 timeout 30 bash -c "{ echo quit; yes; } | '$PODCTL' attach -i flood -c r"
        [[ "$output" == *"got quit"* ]]
        wait_for 20 eval '[ "$(exit_code_of flood r)" = 7 ]'
}

@test "stdinOnce: the first attach's EOF is the container's; later attaches get no stdin" {
        reader_pod once true
        printf 'hello\n' | timeout 30 "$PODCTL" attach -i once -c r >"$BATS_TEST_TMPDIR/out" &
        bg=$!
        wait_for 20 logs_have once r eof
        logs_have once r 'got hello'
        [[ "$(state_of once r)" == *running* ]] # `sleep 3600` after the EOF
        kill "$bg" 2>/dev/null || true
        bg=
        run -1 podctl attach -i once -c r </dev/null
        [[ "$output" == *"its stdin was closed after the first attach (stdinOnce: true)"* ]]
}

@test "attach -i/-t errors: no stdin, no terminal, not running" {
        reader_pod errs false
        run -1 podctl attach -i errs -c plain </dev/null
        [[ "$output" == *"container plain does not have stdin enabled"* ]]
        # -t on a container without a terminal: kubectl's message, then stdin only
        printf 'quit\n' | timeout 30 "$PODCTL" attach -it errs -c r >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
        grep -qx 'error: Unable to use a TTY - container r did not allocate one' "$BATS_TEST_TMPDIR/err"
        wait_for 20 eval '[ "$(exit_code_of errs r)" = 7 ]'
        run -1 podctl attach -i errs -c r </dev/null
        [[ "$output" == *"not running"* ]]
        run -1 podctl attach -i nosuchpod </dev/null
        [[ "$output" == *"not found"* ]]
}

@test "tty: attach -it: the container's own terminal, window size, Ctrl-P Ctrl-Q detaches, exit ends it" {
        f=$(manifest term <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: term
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: sh
    image: busybox
    stdin: true
    tty: true
EOF
        )
        podctl apply -f "$f"
        wait_for 20 container_running term sh
        # the container's stdin, stdout and stderr are its /dev/pts/0
        run -0 podctl exec term -- sh -c 'for f in 0 1 2; do readlink /proc/1/fd/$f; done'
        [ "$output" = $'/dev/pts/0\n/dev/pts/0\n/dev/pts/0' ]
        out=$BATS_TEST_TMPDIR/out
        drive() {
                wait_for 30 shown "$out" "try pressing enter"
                printf 'tty; stty size; echo $((6*7))\n'
                wait_for 30 shown_line "$out" 42
                printf '\020\021' # Ctrl-P Ctrl-Q
                wait_for 30 shown "$out" "Session ended"
        }
        drive | in_pty "stty rows 33 cols 101; $PODCTL attach -it term" >"$out" && rc=0 || rc=$?
        tr -d '\r' <"$out" | tee "$BATS_TEST_TMPDIR/clean"
        [ "$rc" = 0 ]
        grep -qx '/dev/pts/0' "$BATS_TEST_TMPDIR/clean"
        grep -qx '33 101' "$BATS_TEST_TMPDIR/clean"
        # detached: the shell runs on
        sleep 1
        [[ "$(state_of term sh)" == *running* ]]
        # a second attach (no -t: the container's terminal decides) ends with the shell
        drive2() {
                wait_for 30 shown "$out2" "try pressing enter"
                printf 'exit 4\n'
                wait_for 30 eval '[ "$(exit_code_of term sh)" = 4 ]'
        }
        out2=$BATS_TEST_TMPDIR/out2
        drive2 | in_pty "timeout --foreground 30 $PODCTL attach -i term" >"$out2" && rc=0 || rc=$?
        # what the second attach showed, for a failure's message
        tr -d '\r' <"$out2"
        echo "attach -i: exit status $rc"
        [ "$rc" = 0 ]
        wait_for 20 eval '[ "$(exit_code_of term sh)" = 4 ]'
        # the terminal's output is the container's log, as stdout
        podctl logs term | tr -d '\r' | grep -qx 42
}

@test "a SIGKILLed monitor keeps the container's stdin open; the next monitor hands it out" {
        reader_pod survive false
        mon=$(monitor_pid survive)
        kill -9 "$mon"
        run -0 podctl get pods survive # re-adopts
        [ "$(monitor_pid survive)" != "$mon" ]
        printf 'after\nquit\n' | timeout 30 "$PODCTL" attach -i survive -c r >"$BATS_TEST_TMPDIR/out"
        grep -qx 'got after' "$BATS_TEST_TMPDIR/out"
        wait_for 20 eval '[ "$(exit_code_of survive r)" = 7 ]'
        # no EOF while no monitor ran
        run ! logs_have survive r eof
}
