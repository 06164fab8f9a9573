#!/usr/bin/env bats
# get -w: the Pods now, then a row for each change, as kubectl get -w; with
# -o json --output-watch-events a stream of watch events. Woken by inotify on
# the Pods' state files: an idle watcher does not run at all.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() { BG_PIDS=$BATS_TEST_TMPDIR/bg.pids; : >"$BG_PIDS"; }
teardown() {
        local p
        while read -r p; do kill "$p" 2>/dev/null || true; done <"$BG_PIDS"
        delete_all_pods
}

sleeper() { # NAME
        manifest "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
EOF
}

# watch OUT ARGS...: podctl get ARGS in the background, output to OUT.
watch() {
        local out=$1
        shift
        "$PODCTL" get "$@" >"$out" 2>&1 &
        echo $! >>"$BG_PIDS"
        WATCHER=$!
}
has_line() { grep -qE "$2" "$1"; }
ctxt_switches() { awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$1/status"; }

@test "get pods -w: a header, then a row for each change; idle, it sleeps" {
        out=$BATS_TEST_TMPDIR/watch.out
        watch "$out" pods -w
        # it has started watching once it has said there is nothing (stderr) or
        # printed: give it the chance, then create
        wait_for 10 test -e "/proc/$WATCHER"
        run -0 podctl apply -f "$(sleeper w1)"
        wait_for 30 has_line "$out" '^w1 +1/1 +Running +0 '
        head -n 1 "$out" | grep -qE '^NAME +READY +STATUS +RESTARTS +AGE$'
        [ "$(grep -c '^NAME' "$out")" -eq 1 ]
        # Running and idle: the watcher is woken by nothing (no poll loop)
        wait_for 10 container_running w1 main
        sleep 0.5
        before=$(ctxt_switches "$WATCHER")
        sleep 2
        [ "$(ctxt_switches "$WATCHER")" -le $((before + 2)) ]
        n=$(wc -l <"$out")
        run -0 podctl delete pod w1 --grace-period=1
        wait_for 30 test "$(wc -l <"$out")" -gt "$n"
        # the watcher still runs (it watches until interrupted)
        [ -e "/proc/$WATCHER" ]
}

@test "get pods -w: the Pods there are, as one table first" {
        run -0 podctl apply -f "$(sleeper a1)"
        run -0 podctl apply -f "$(sleeper a2)"
        wait_for 30 container_running a2 main
        wait_for 30 container_running a1 main
        out=$BATS_TEST_TMPDIR/watch.out
        watch "$out" pods --watch
        wait_for 10 has_line "$out" '^a2 '
        run -0 head -n 3 "$out"
        [[ ${lines[0]} =~ ^NAME\ +READY ]]
        [[ ${lines[1]} =~ ^a1\ +1/1\ +Running ]]
        [[ ${lines[2]} =~ ^a2\ +1/1\ +Running ]]
        run -0 podctl delete pod a1 --grace-period=1
        wait_for 30 test "$(grep -c '^a1 ' "$out")" -ge 2
        [ "$(grep -c '^a2 ' "$out")" -eq 1 ]
}

@test "get -w -o json --output-watch-events: ADDED, MODIFIED, DELETED events" {
        out=$BATS_TEST_TMPDIR/events.json
        watch "$out" pods -w -o json --output-watch-events
        wait_for 10 test -e "/proc/$WATCHER"
        run -0 podctl apply -f "$(sleeper e1)"
        wait_for 30 sh -c "jq -r '.type + \" \" + .object.status.phase' '$out' | grep -qx 'MODIFIED Running'"
        run -0 podctl delete pod e1 --grace-period=1
        wait_for 30 sh -c "jq -r .type '$out' | grep -qx DELETED"
        run -0 jq -r .type "$out"
        [ "${lines[0]}" = ADDED ]
        [ "${lines[-1]}" = DELETED ]
        [ "$(jq -r .object.kind "$out" | sort -u)" = Pod ]
        [ "$(jq -r .object.metadata.name "$out" | sort -u)" = e1 ]
}

@test "get pod NAME -w -o json: that Pod's objects; a missing Pod is NotFound" {
        run -0 podctl apply -f "$(sleeper one)"
        run -0 podctl apply -f "$(sleeper other)"
        out=$BATS_TEST_TMPDIR/one.json
        watch "$out" pod one -w -o json
        wait_for 30 sh -c "jq -r .status.phase '$out' | grep -qx Running"
        [ "$(jq -r .kind "$out" | sort -u)" = Pod ]
        [ "$(jq -r .metadata.name "$out" | sort -u)" = one ]
        run -1 podctl get pod nope -w
        [ "$output" = 'Error from server (NotFound): pods "nope" not found' ]
}
