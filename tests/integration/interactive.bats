#!/usr/bin/env bats
# Interactive use: exec -it on a real pseudo-terminal (driven through
# util-linux `script`), exec -i streaming stdin, attach, logs -f across
# restarts. One long-running Pod ("box") serves the exec tests; every other
# Pod is deleted by teardown, also when a test fails.

load helpers

setup_file() {
        common_setup_file
        f=$(BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR manifest box <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: box
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
EOF
        )
        "$PODCTL" apply -f "$f" >/dev/null
        wait_for 20 container_running box c
}
teardown_file() { common_teardown_file; }

teardown() {
        for d in "$PODCTL_ROOT"/pods/default_*; do
                [ -d "$d" ] || continue
                k=${d##*/default_}
                [ "$k" = box ] && continue
                "$PODCTL" delete pod "$k" --force --grace-period=0 >/dev/null 2>&1 || true
        done
}

# in_pty CMD: run the shell command line CMD on a new pseudo-terminal whose
# input is our stdin (script's exit status is CMD's).
in_pty() { script -qfec "$1" /dev/null; }

# A process whose command line matches the ERE runs in box (the exec'd one).
box_runs() { podctl exec box -- ps -o args | grep -qE "$1"; }

shell_gone() { ! box_runs '^sh$'; }

# The CLI of `exec -it box` (ours: its command line starts with our binary)
# relays in raw mode: its terminal has icanon off.
cli_raw() {
        local p
        p=$(pgrep -f -- "^$PODCTL exec -it box" | head -n 1)
        [ -n "$p" ] && stty -F "/proc/$p/fd/0" -a 2>/dev/null | grep -q -- '-icanon'
}

# shown OUT TEXT: TEXT is in script's output so far (typed, echoed back by
# the container's terminal; or printed); shown_line: a whole line.
shown() { tr -d '\r' <"$1" | grep -qF -- "$2"; }
shown_line() { tr -d '\r' <"$1" | grep -qxF -- "$2"; }

# The shell exec'd in box runs and the CLI relays raw: typing can start.
shell_ready() {
        wait_for 30 box_runs '^sh$'
        wait_for 30 cli_raw
}

# type_lines OUT LINE...: type each LINE into the shell exec'd in box, each
# once the one before was echoed; keep script's input open until the shell
# has exited.
type_lines() {
        local out=$1 l
        shift
        shell_ready
        for l in "$@"; do
                printf '%s\n' "$l"
                wait_for 30 shown "$out" "$l"
        done
        wait_for 30 shell_gone
}

@test "exec -it: a terminal of the container's /dev/pts, window size, TERM, exit status" {
        type_lines "$BATS_TEST_TMPDIR/out" 'tty' 'stty size' 'echo "term=$TERM"' 'exit 5' |
                TERM=xterm-podctl in_pty "stty rows 40 cols 100; $PODCTL exec -it box -- sh" \
                        >"$BATS_TEST_TMPDIR/out" && rc=0 || rc=$?
        tr -d '\r' <"$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/clean"
        cat "$BATS_TEST_TMPDIR/clean"
        [ "$rc" = 5 ]
        grep -qx '/dev/pts/[0-9]*' "$BATS_TEST_TMPDIR/clean"
        grep -qx '40 100' "$BATS_TEST_TMPDIR/clean"
        grep -qx 'term=xterm-podctl' "$BATS_TEST_TMPDIR/clean"
        # nothing of the shell is left behind
        ! box_runs '^sh$'
}

@test "exec -it: Ctrl-C interrupts the command, not the shell" {
        drive() {
                shell_ready
                printf 'sleep 100\n'
                wait_for 30 box_runs '^sleep 100$'
                printf '\003'
                wait_for 30 eval '! box_runs "^sleep 100$"'
                printf 'echo still-here\n'
                wait_for 30 shown_line "$BATS_TEST_TMPDIR/out" still-here
                printf 'exit 0\n'
                wait_for 30 shell_gone
        }
        drive | in_pty "$PODCTL exec -it box -- sh" >"$BATS_TEST_TMPDIR/out" && rc=0 || rc=$?
        tr -d '\r' <"$BATS_TEST_TMPDIR/out" | tee "$BATS_TEST_TMPDIR/clean"
        [ "$rc" = 0 ]
        grep -q '\^C' "$BATS_TEST_TMPDIR/clean" # echoed by the container's line discipline
        grep -qx 'still-here' "$BATS_TEST_TMPDIR/clean"
        ! box_runs '^sleep 100$'
}

@test "exec -it: the window size follows SIGWINCH" {
        cat >"$BATS_TEST_TMPDIR/resize.sh" <<EOF
stty rows 40 cols 100
# the terminal by its own name (/dev/pts/N), not /dev/tty: cli_raw looks at
# the CLI's stdin through /proc, where /dev/tty would be the test's own
t=\$(tty)
$PODCTL exec -it box -- sh <"\$t" & p=\$!
while [ ! -e "$BATS_TEST_TMPDIR/resize-now" ]; do sleep 0.1; done
stty rows 50 cols 120
wait \$p
EOF
        drive() {
                local end
                shell_ready
                printf 'stty size\n'
                wait_for 30 shown_line "$BATS_TEST_TMPDIR/out" '40 100'
                touch "$BATS_TEST_TMPDIR/resize-now"
                # ask until the new size has reached the container's terminal
                end=$((SECONDS + 30))
                until shown_line "$BATS_TEST_TMPDIR/out" '50 120' || [ $SECONDS -ge $end ]; do
                        printf 'stty size\n'
                        sleep 0.2
                done
                printf 'exit 3\n'
                wait_for 30 shell_gone
        }
        drive | in_pty "sh $BATS_TEST_TMPDIR/resize.sh" >"$BATS_TEST_TMPDIR/out" && rc=0 || rc=$?
        tr -d '\r' <"$BATS_TEST_TMPDIR/out" | tee "$BATS_TEST_TMPDIR/clean"
        [ "$rc" = 3 ]
        grep -qx '40 100' "$BATS_TEST_TMPDIR/clean"
        grep -qx '50 120' "$BATS_TEST_TMPDIR/clean"
}

@test "exec -it: no descriptor of podctl reaches the command" {
        sleep 2 | in_pty "$PODCTL exec -it box -- ls /proc/self/fd" >"$BATS_TEST_TMPDIR/out"
        run tr -d '\r' <"$BATS_TEST_TMPDIR/out"
        echo "$output"
        # 0 1 2 are the terminal; 3 is ls's own directory
        [ "$(echo $output)" = "0 1 2 3" ]
        run podctl exec box -- ls /proc/self/fd
        [ "$(echo $output)" = "0 1 2 3" ]
        # the terminal is the command's controlling terminal and all of its stdio
        sleep 2 | in_pty "$PODCTL exec -it box -- sh -c 'readlink /proc/self/fd/0; readlink /proc/self/fd/1; readlink /proc/self/fd/2; exec cat /proc/self/stat'" >"$BATS_TEST_TMPDIR/out"
        tr -d '\r' <"$BATS_TEST_TMPDIR/out" | tee "$BATS_TEST_TMPDIR/clean"
        [ "$(grep -c '^/dev/pts/[0-9]*$' "$BATS_TEST_TMPDIR/clean")" = 3 ]
        # stat of the exec'd command: pid (comm) state ppid pgrp session tty_nr:
        # it leads its session and has a controlling terminal
        read -r pid _ _ _ _ sess tty _ < <(tail -n 1 "$BATS_TEST_TMPDIR/clean")
        [ "$pid" = "$sess" ]
        [ "$tty" != 0 ]
}

@test "exec -it: SIGTERM to podctl restores the terminal and ends the command" {
        cat >"$BATS_TEST_TMPDIR/kill.sh" <<EOF
$PODCTL exec -it box -- sleep 101 </dev/tty & p=\$!
while ! $PODCTL exec box -- ps -o args | grep -qx 'sleep 101'; do sleep 0.1; done
sleep 0.5
stty -a | grep -o -- '-icanon' || true
kill -TERM \$p
wait \$p
echo "rc=\$?"
stty -a | grep -o -- ' icanon' || true
touch "$BATS_TEST_TMPDIR/done"
EOF
        # script's input stays open until kill.sh is done
        timeout 60 sh -c "until [ -e '$BATS_TEST_TMPDIR/done' ]; do sleep 0.1; done" |
                in_pty "sh $BATS_TEST_TMPDIR/kill.sh" >"$BATS_TEST_TMPDIR/out"
        tr -d '\r' <"$BATS_TEST_TMPDIR/out" | tee "$BATS_TEST_TMPDIR/clean"
        grep -qx -- '-icanon' "$BATS_TEST_TMPDIR/clean" # raw while relaying
        grep -qx 'rc=143' "$BATS_TEST_TMPDIR/clean"
        grep -qx ' icanon' "$BATS_TEST_TMPDIR/clean" # restored
        wait_for 10 eval '! box_runs "^sleep 101$"'
}

@test "exec -it with input that is not a terminal: kubectl's warning, no terminal" {
        run bash -c "echo | $PODCTL exec -it box -- sh -c 'cat; tty'"
        echo "$output"
        [ "$status" = 1 ] # tty(1): not a tty
        [[ "$output" == *"Unable to use a TTY - input is not a terminal or the right kind of file"* ]]
        [[ "$output" == *"not a tty"* ]]
        # -t without -i: no terminal either (kubectl)
        run podctl exec -t box -- tty
        [ "$status" = 1 ]
}

@test "exec -i streams stdin to the command, EOF included; without -i stdin is empty" {
        run bash -c "echo hello | $PODCTL exec -i box -- cat"
        [ "$status" = 0 ]
        [ "$output" = hello ]
        printf 'line1\nline2\n' | podctl exec -i box -- sh -c 'cat > /tmp/x'
        run podctl exec box -- cat /tmp/x
        [ "$output" = "$(printf 'line1\nline2')" ]
        # a large stream, and stdout/stderr kept apart
        run bash -c "seq 1 200000 | $PODCTL exec -i box -- sh -c 'wc -l; echo to-err >&2' 2>/dev/null"
        [ "$(echo $output)" = 200000 ]
        run bash -c "$PODCTL exec -i box -- sh -c 'echo to-err >&2' </dev/null 2>&1 >/dev/null"
        [ "$output" = to-err ]
        # without -i the command's stdin is empty (/dev/null), not ours
        run timeout 10 "$PODCTL" exec box -- cat </dev/zero
        [ "$status" = 0 ]
        [ -z "$output" ]
}

@test "attach shows a running container's new output until it exits" {
        f=$(manifest ticker <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: ticker
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "i=0; while [ $i -lt 40 ]; do i=$((i+1)); echo tick $i; echo oops $i >&2; sleep 0.2; done"]
EOF
        )
        podctl apply -f "$f"
        wait_for 20 container_running ticker main
        wait_for 20 sh -c "\"$PODCTL\" logs ticker | grep -qx 'tick 2'"
        # it returns by itself when the container exits (else timeout's 124
        # fails the test)
        timeout 40 "$PODCTL" attach ticker >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
        cat "$BATS_TEST_TMPDIR/out"
        # from now on: not the first lines, but the last ones
        run ! grep -qx 'tick 1' "$BATS_TEST_TMPDIR/out"
        grep -qx 'tick 40' "$BATS_TEST_TMPDIR/out"
        [ "$(grep -c '^tick' "$BATS_TEST_TMPDIR/out")" -ge 5 ]
        # stderr records to stderr, stdout records not
        grep -qx 'oops 40' "$BATS_TEST_TMPDIR/err"
        run ! grep -q tick "$BATS_TEST_TMPDIR/err"
        run ! grep -q oops "$BATS_TEST_TMPDIR/out"
        # a container that is not running cannot be attached
        run podctl attach ticker
        [ "$status" = 1 ]
        [[ "$output" == *"not running"* ]]
}

@test "attach: a Pod that does not exist" {
        run podctl attach nosuchpod
        [ "$status" = 1 ]
        [[ "$output" == *"not found"* ]]
}

runs_at_least() { [ "$(grep -cx run "$1")" -ge "$2" ]; }
# follow_runs OUT ARGS...: logs -f ARGS shows two runs and still follows.
follow_runs() {
        local out=$1 pid
        shift
        "$PODCTL" logs -f "$@" >"$out" 2>&1 &
        pid=$!
        wait_for 30 runs_at_least "$out" 2
        cat "$out"
        kill -0 "$pid"
        kill "$pid"
        wait "$pid" || true
}

@test "logs -f follows a container across restarts" {
        f=$(manifest crashy <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: crashy
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo run; sleep 0.3; exit 1"]
EOF
        )
        podctl apply -f "$f"
        # it shows the runs one after the other and, more runs coming, is
        # still following once two have come (polled, not a fixed wait)
        follow_runs "$BATS_TEST_TMPDIR/f1" crashy
        # started in the middle of a run it goes on as well; --tail applies to the first file
        follow_runs "$BATS_TEST_TMPDIR/f2" --tail=1 crashy
}

@test "logs -f returns by itself when no run can come (Never, OnFailure after success)" {
        for policy in Never OnFailure; do
                p=$(echo "once-$policy" | tr A-Z a-z)
                f=$(manifest "$p" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $p
spec:
  restartPolicy: $policy
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo first; sleep 1; echo second; exit 0"]
EOF
                )
                podctl apply -f "$f"
                # -f ends by itself when the container exits (status 0, not
                # timeout's 124)
                run timeout 20 "$PODCTL" logs -f "$p"
                echo "$output"
                [ "$status" = 0 ]
                [ "$output" = "$(printf 'first\nsecond')" ]
        done
}

@test "logs -f stops when the Pod is deleted" {
        f=$(manifest forever <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: forever
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "while true; do echo alive; sleep 0.2; done"]
EOF
        )
        podctl apply -f "$f"
        timeout 30 "$PODCTL" logs -f forever >"$BATS_TEST_TMPDIR/out" 2>&1 &
        pid=$!
        wait_for 20 grep -qx alive "$BATS_TEST_TMPDIR/out"
        podctl delete pod forever
        wait $pid && rc=0 || rc=$?
        [ "$rc" = 0 ]
        grep -qx alive "$BATS_TEST_TMPDIR/out"
}
