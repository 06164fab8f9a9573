#!/usr/bin/env bats
# Issue 12 section 2: `podctl serve --manifests DIR` runs static Pods as the
# kubelet runs its staticPodPath; at start it brings back the Pods a reboot
# stopped; the systemd unit. The server runs in the foreground on this
# file's root, manifest directory and socket, started and killed by its PID.

bats_require_minimum_version 1.5.0

load helpers

NODE=testnode

setup_file() {
        common_setup_file
        export MANIFESTS="$PODCTL_ROOT/manifests"
        export SERVE_LOG="$PODCTL_ROOT/serve.log"
        export SERVE_PIDFILE="$PODCTL_ROOT/serve.pid"
        export SERVE_SOCK="$PODCTL_ROOT/run/podctl.sock"
        mkdir -p "$MANIFESTS"
        serve_start
}

teardown_file() {
        serve_stop
        # what a failed test may have left running: its processes, by PID
        local p
        for p in $(cat "$PODCTL_ROOT/extra.pids" 2>/dev/null); do
                if grep -qaF -- "$PODCTL_ROOT/" "/proc/$p/cmdline" 2>/dev/null; then kill -9 "$p"; fi
        done
        common_teardown_file
}

# serve_start: the server, once it has recovered the root's Pods and looked
# at the manifests (its "watching" line, new in the log).
serve_start() {
        local n
        n=$(cat "$SERVE_LOG" 2>/dev/null | wc -l)
        # in a subshell: not a job of the test's shell (no "Killed" notice)
        ("$PODCTL" --root "$PODCTL_ROOT" serve --listen "$SERVE_SOCK" --manifests "$MANIFESTS" \
                --node-name "$NODE" --gc-interval 0 >>"$SERVE_LOG" 2>&1 &
                echo $! >"$SERVE_PIDFILE")
        wait_for 120 bash -c "tail -n +$((n + 1)) '$SERVE_LOG' | grep -q 'watching $MANIFESTS'"
}

# serve_stop [SIGNAL]: the server this file started, by its PID.
serve_stop() {
        local pid
        pid=$(cat "$SERVE_PIDFILE" 2>/dev/null) || return 0
        kill "-${1:-TERM}" "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
        rm -f "$SERVE_PIDFILE"
}

# static_pod NAME WORD [EXTRA]: a Pod manifest whose container prints WORD.
static_pod() {
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "echo $2; exec sleep 3600"]
EOF
}

# put FILE: stdin into the manifest directory, as an editor or `cp` writes
# it in place (IN_CLOSE_WRITE).
put() { cat >"$MANIFESTS/$1"; }

# The Pod of web.yaml running (made by the first tests; again when run alone).
ensure_web() {
        [ -f "$MANIFESTS/web.yaml" ] || static_pod web v3 | put web.yaml
        wait_for 30 container_running "web-$NODE" c
}

uid_of() { podctl get pod "$1" -o json 2>/dev/null | jq -r .metadata.uid; }
exists() { podctl get pod "$1" >/dev/null 2>&1; }
log_has() { grep -qF -- "$1" "$SERVE_LOG"; }
# log_shows TEXT: the server said it (else its log goes to the test's output)
log_shows() { log_has "$1" || { echo "not in the server's log: $1" >&2; cat "$SERVE_LOG" >&2; false; }; }
logs_have() { podctl logs "$1" 2>/dev/null | grep -qx -- "$2"; }

# The server handles the directory's events in order: once a marker file
# dropped after a change has its Pod, the change has been looked at.
flush_events() {
        local m="marker-$RANDOM$RANDOM"
        static_pod "$m" "$m" | put "$m.yaml"
        wait_for 30 exists "$m-$NODE"
        rm -f "$MANIFESTS/$m.yaml"
        wait_for 30 bash -c "! '$PODCTL' get pod '$m-$NODE' >/dev/null 2>&1"
}

@test "a manifest dropped in the directory runs, named <name>-<node>, marked as a static Pod" {
        static_pod web v1 | put web.yaml
        wait_for 30 container_running "web-$NODE" c
        wait_for 10 logs_have "web-$NODE" v1
        run -0 podctl get pod "web-$NODE" -o json
        [ "$(jq -r '.metadata.annotations["kubernetes.io/config.source"]' <<<"$output")" = file ]
        [[ "$(jq -r '.metadata.annotations["kubernetes.io/config.hash"]' <<<"$output")" =~ ^[0-9a-f]{32}$ ]]
        [ "$(jq -r '.metadata.annotations["podctl.io/config.file"]' <<<"$output")" = "$MANIFESTS/web.yaml" ]
        [ "$(jq -r .spec.nodeName <<<"$output")" = "$NODE" ]
        run ! exists web
        log_has "pod default/web-$NODE created"
}

@test "an edited manifest replaces its Pod: deleted, then created with a new uid and the new command" {
        ensure_web
        local old
        old=$(uid_of "web-$NODE")
        # as sed -i and most editors save: a new file renamed over (IN_MOVED_TO)
        static_pod web v2 >"$MANIFESTS/.web.yaml.tmp"
        mv "$MANIFESTS/.web.yaml.tmp" "$MANIFESTS/web.yaml"
        wait_for 30 bash -c "[ \"\$('$PODCTL' get pod web-$NODE -o json 2>/dev/null | jq -r .metadata.uid)\" != '$old' ] && '$PODCTL' get pod web-$NODE >/dev/null 2>&1"
        wait_for 30 logs_have "web-$NODE" v2
        run ! logs_have "web-$NODE" v1
        log_has "pod default/web-$NODE deleted (its manifest file changed)"
        # written in place this time (IN_CLOSE_WRITE)
        old=$(uid_of "web-$NODE")
        static_pod web v3 | put web.yaml
        wait_for 30 logs_have "web-$NODE" v3
        [ "$(uid_of "web-$NODE")" != "$old" ]
}

@test "the same content written again, or touched, changes nothing" {
        ensure_web
        local old
        old=$(uid_of "web-$NODE")
        cp "$MANIFESTS/web.yaml" "$BATS_TEST_TMPDIR/same.yaml"
        cat "$BATS_TEST_TMPDIR/same.yaml" >"$MANIFESTS/web.yaml"
        touch "$MANIFESTS/web.yaml"
        flush_events
        [ "$(uid_of "web-$NODE")" = "$old" ]
        container_running "web-$NODE" c
}

@test "a removed manifest deletes its Pod" {
        static_pod gone x | put gone.yaml
        wait_for 30 exists "gone-$NODE"
        rm "$MANIFESTS/gone.yaml"
        wait_for 30 bash -c "! '$PODCTL' get pod gone-$NODE >/dev/null 2>&1"
        log_has "pod default/gone-$NODE deleted (its manifest file is gone)"
        [ -z "$(ls "$PODCTL_ROOT/pods" | grep "gone-$NODE")" ]
}

@test "a bad file: an error line with its position, nothing created, other Pods untouched" {
        ensure_web
        local web before
        web=$(uid_of "web-$NODE")
        before=$(ls "$PODCTL_ROOT/pods" | sort)
        put bad.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: bad
spec:
  containers:
  - name: c
    image: busybox
    bogusField: 1
EOF
        wait_for 30 log_has "$MANIFESTS/bad.yaml not applied"
        grep -q "error: $MANIFESTS/bad.yaml:9:5: spec.containers\[0\].bogusField" "$SERVE_LOG"
        run ! exists "bad-$NODE"
        [ "$(ls "$PODCTL_ROOT/pods" | sort)" = "$before" ]
        [ "$(uid_of "web-$NODE")" = "$web" ]
        # a good file turned bad: its Pod stays as it was
        cp "$MANIFESTS/web.yaml" "$BATS_TEST_TMPDIR/web.yaml"
        echo "  bogusTopLevel: [" >>"$MANIFESTS/web.yaml"
        wait_for 30 log_has "$MANIFESTS/web.yaml not applied"
        flush_events
        [ "$(uid_of "web-$NODE")" = "$web" ]
        container_running "web-$NODE" c
        # and back to what it was: still the same Pod
        cat "$BATS_TEST_TMPDIR/web.yaml" >"$MANIFESTS/web.yaml"
        flush_events
        [ "$(uid_of "web-$NODE")" = "$web" ]
        rm "$MANIFESTS/bad.yaml"
}

@test "hidden files and files without a manifest extension are not applied" {
        static_pod hidden x | put .hidden.yaml
        static_pod notes x | put notes.txt
        static_pod swap x | put web.yaml~
        flush_events
        run ! exists "hidden-$NODE"
        run ! exists "notes-$NODE"
        run ! exists "swap-$NODE"
        rm -f "$MANIFESTS/.hidden.yaml" "$MANIFESTS/notes.txt" "$MANIFESTS/web.yaml~"
}

@test "a ConfigMap in the same file is stored, and the Pod reads it" {
        put withcm.yaml <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: greeting
data:
  word: hello-from-cm
---
apiVersion: v1
kind: Pod
metadata:
  name: withcm
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "echo $WORD; exec sleep 3600"]
    env:
    - name: WORD
      valueFrom:
        configMapKeyRef: {name: greeting, key: word}
EOF
        wait_for 30 logs_have "withcm-$NODE" hello-from-cm
        [ -f "$PODCTL_ROOT/objects/default_greeting.json" ]
        rm "$MANIFESTS/withcm.yaml"
        wait_for 30 bash -c "! '$PODCTL' get pod withcm-$NODE >/dev/null 2>&1"
}

@test "a Pod applied by hand is never touched, not even by a static Pod of the same name" {
        static_pod "clash-$NODE" by-hand >"$BATS_TEST_TMPDIR/hand.yaml"
        podctl apply -f "$BATS_TEST_TMPDIR/hand.yaml"
        wait_for 30 container_running "clash-$NODE" c
        local uid
        uid=$(uid_of "clash-$NODE")
        static_pod clash from-file | put clash.yaml
        wait_for 30 log_has "$MANIFESTS/clash.yaml not applied: pod default/clash-$NODE exists and is not this file's static Pod"
        rm "$MANIFESTS/clash.yaml"
        flush_events
        [ "$(uid_of "clash-$NODE")" = "$uid" ]
        logs_have "clash-$NODE" by-hand
        run ! logs_have "clash-$NODE" from-file
        podctl delete pod "clash-$NODE" --grace-period=0 --force
}

@test "a second server on the same root is refused" {
        run -1 "$PODCTL" --root "$PODCTL_ROOT" serve --no-cri --no-manifests
        [[ $output == *"another podctl serve runs on the root $PODCTL_ROOT"* ]]
        # bad flags: an error before anything is done (no recovery, no gc)
        run -1 "$PODCTL" --root "$PODCTL_ROOT" serve --gc-interval=-1
        [[ $output == *"invalid --gc-interval"* ]]
        run -1 "$PODCTL" --root "$PODCTL_ROOT" serve --no-cri --manifests rel/dir
        [ "$output" = "error: serve: --manifests rel/dir: must be an absolute path" ]
}

@test "a server restarted with the files unchanged keeps their Pods" {
        ensure_web
        local uid
        uid=$(uid_of "web-$NODE")
        serve_stop
        container_running "web-$NODE" c # stopping the server stops no Pod
        serve_start
        wait_for 30 log_has "$MANIFESTS/web.yaml: unchanged"
        [ "$(uid_of "web-$NODE")" = "$uid" ]
}

gone_or_zombie() { ! same_process "$1" "$2" || [ "$(proc_state "$1")" = Z ]; }

# What a reboot takes away: every process of the Pods and of the server
# (SIGKILL, by PID), the Pods' network namespaces and veths (they die with
# their last process; removed here if one were left), their cgroups, mounts
# of the root (none by design: a Pod's mounts live in its own namespaces).
host_veth_of() { # pause PID -> the host end of its eth0 (eth0@ifN: N is the host's index)
        local idx
        idx=$(nsenter -t "$1" -n ip -o link show eth0 | sed -nE 's/^[0-9]+: eth0@if([0-9]+):.*/\1/p')
        [ -n "$idx" ] || return 0
        ip -o link | awk -F': ' -v i="$idx" '$1 == i {sub(/@.*/, "", $2); print $2}' | grep -E '^veth[0-9a-f]+$'
}

# simulate_reboot POD...: what a reboot does to these Pods: every process of
# theirs killed by PID (keeper, monitor, pause, containers), mounts, veths
# and cgroups gone.
simulate_reboot() {
        local pods=("$@") p pids=() veths=() uids=() d m v u
        for p in "${pods[@]}"; do
                d="$PODCTL_ROOT/pods/default_$p"
                m=$(cut -d' ' -f1 "$d/monitor.pid")
                pids+=("$m" $(jq -r '.runtime | [.keeperPid, .pausePid, (.containers[]?.pid)] | map(select(. > 0)) | .[]' "$d/status.json"))
                v=$(host_veth_of "$(jq -r .runtime.pausePid "$d/status.json")" 2>/dev/null || true)
                [ -z "$v" ] || veths+=("$v")
                uids+=("$(jq -r .metadata.uid "$d/pod.json")")
        done
        serve_stop KILL
        for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
        for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.05; done; done
        grep -F "$PODCTL_ROOT" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do
                umount -l "$m"
        done
        for v in "${veths[@]}"; do
                [[ $v == veth* ]] || return 1
                ip link del "$v" 2>/dev/null || true
                run ! ip link show "$v"
        done
        for u in "${uids[@]}"; do
                find /sys/fs/cgroup/*/podctl /sys/fs/cgroup/podctl -depth -type d -path "*pod$u*" \
                        -exec rmdir {} \; 2>/dev/null || true
        done
        [ "${#veths[@]}" -gt 0 ]
}

@test "reboot: Always and OnFailure Pods run again with restartCount kept and a new IP; a finished Never Pod stays" {
        cat >"$BATS_TEST_TMPDIR/pods.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: always}
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: init
    image: busybox
    command: ["sh", "-c", "echo init-$(date +%s%N)"]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "echo run-$(date +%s%N); exec sleep 3600"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  volumes: [{name: scratch, emptyDir: {}}]
---
apiVersion: v1
kind: Pod
metadata: {name: onfailure}
spec:
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "echo run-$(date +%s%N); exec sleep 3600"]
  - name: done
    image: busybox
    command: ["sh", "-c", "echo done-$(date +%s%N)"]
---
apiVersion: v1
kind: Pod
metadata: {name: never}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "echo finished"]
EOF
        ensure_web
        podctl apply -f "$BATS_TEST_TMPDIR/pods.yaml"
        wait_for 30 container_running always c
        wait_for 30 container_running onfailure c
        wait_for 30 bash -c "'$PODCTL' get pod onfailure -o json | jq -e '.status.containerStatuses[1].state.terminated.exitCode == 0' >/dev/null"
        local done_before
        done_before=$(podctl logs onfailure -c done)
        wait_for 30 phase_is never Succeeded
        wait_for 30 container_running "web-$NODE" c
        # one restart before the reboot, so "kept" is seen apart from "new"
        kill -9 "$(pid_of always c)"
        wait_for 60 bash -c "[ \"\$('$PODCTL' get pod always -o json | jq '.status.containerStatuses[0].restartCount')\" = 1 ] && '$PODCTL' get pod always -o json | jq -e '.status.containerStatuses[0].state.running' >/dev/null"
        local p
        declare -A ip uid rc first
        for p in always onfailure "web-$NODE"; do
                ip[$p]=$(jq_pod "$p" .status.podIP)
                uid[$p]=$(jq_pod "$p" .metadata.uid)
                rc[$p]=$(jq_pod "$p" '.status.containerStatuses[0].restartCount')
                first[$p]=$(podctl logs "$p")
        done
        local never_before
        never_before=$(jq -S '{phase: .status.phase, cs: .status.containerStatuses}' <(podctl get pod never -o json))

        # an emptyDir on disk outlives the sandbox, as the kubelet keeps it
        podctl exec always -c c -- sh -c 'echo kept > /scratch/f'
        simulate_reboot always onfailure "web-$NODE"
        [ "$(jq_pod always .status.reason)" = MonitorLost ]

        serve_start
        for p in always onfailure "web-$NODE"; do
                log_shows "recovery: pod default/$p: its sandbox was gone: re-created"
                wait_for 30 container_running "$p" c
                [ "$p" != always ] || [ "$(podctl exec always -c c -- cat /scratch/f)" = kept ]
                [ "$(jq_pod "$p" .metadata.uid)" = "${uid[$p]}" ]
                [ "$(jq_pod "$p" '.status.containerStatuses[0].restartCount')" = $((rc[$p] + 1)) ]
                [ "$(jq_pod "$p" '.status.containerStatuses[0].lastState.terminated.reason')" = Unknown ]
                [ "$(jq_pod "$p" .status.podIP)" != "${ip[$p]}" ]
                [ "$(jq_pod "$p" .status.podIP)" != null ]
                # the run before the reboot is --previous, the new one is new
                [ "$(podctl logs "$p" --previous)" = "${first[$p]}" ]
                wait_for 10 bash -c "[ -n \"\$('$PODCTL' logs $p)\" ]"
                # (the static Pod prints the same word in every run)
                [ "$p" = "web-$NODE" ] || [ "$(podctl logs "$p")" != "${first[$p]}" ]
                [ "$(jq_pod "$p" .status.phase)" = Running ]
        done
        # OnFailure: the container that had completed is not run again
        [ "$(jq_pod onfailure '.status.containerStatuses[1].restartCount')" = 0 ]
        [ "$(jq_pod onfailure '.status.containerStatuses[1].state.terminated.exitCode')" = 0 ]
        [ "$(podctl logs onfailure -c done)" = "$done_before" ]
        # the init container ran again, first, in the new sandbox
        [ "$(jq_pod always '.status.initContainerStatuses[0].restartCount')" = 1 ]
        [ "$(jq_pod always '.status.initContainerStatuses[0].state.terminated.exitCode')" = 0 ]
        [ "$(podctl logs always -c init --previous)" != "$(podctl logs always -c init)" ]
        # the static Pod was not replaced by the watcher either (same file)
        log_has "$MANIFESTS/web.yaml: unchanged"
        [ "$(jq -S '{phase: .status.phase, cs: .status.containerStatuses}' <(podctl get pod never -o json))" = "$never_before" ]
        [ "$(podctl inspect pod never | jq .monitorAlive)" = false ]
        run ! grep -q "recovery: pod default/never" "$SERVE_LOG"
        [ "$(podctl describe pod always | grep -c SandboxChanged)" = 1 ]
        podctl delete pod always onfailure never --grace-period=0 --force
}

@test "reboot: a Never Pod cut short is not re-created but Failed (ContainerStatusUnknown), unless its container's own restartPolicy is Always; a Pod whose containers outlived their monitor is re-adopted" {
        cat >"$BATS_TEST_TMPDIR/pods.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: nevercut}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
---
apiVersion: v1
kind: Pod
metadata: {name: orphaned}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
---
apiVersion: v1
kind: Pod
metadata: {name: neverown}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    restartPolicy: Always
EOF
        podctl apply -f "$BATS_TEST_TMPDIR/pods.yaml"
        wait_for 30 container_running nevercut c
        wait_for 30 container_running orphaned c
        wait_for 30 container_running neverown c
        local cpid cstart
        cpid=$(pid_of orphaned c)
        cstart=$(proc_start "$cpid")
        simulate_reboot nevercut neverown
        # only the monitor of this one dies; its container runs on
        kill -9 "$(cut -d' ' -f1 "$PODCTL_ROOT/pods/default_orphaned/monitor.pid")"
        wait_for 10 bash -c "[ \"\$(PODCTL_ADOPT=0 '$PODCTL' get pod orphaned -o json | jq -r .status.reason)\" = MonitorLost ]"
        serve_start
        log_shows "recovery: pod default/nevercut: its sandbox is gone; not re-created (restartPolicy Never)"
        # serve re-adopted it (its listing adopts a Pod whose monitor is dead;
        # no command of the test did: PODCTL_ADOPT=0)
        [ "$(PODCTL_ADOPT=0 "$PODCTL" get pod orphaned -o json | jq -r '.status.reason // "none"')" = none ]
        # the kubelet's end of it: Failed, its container not found
        [ "$(jq_pod nevercut .status.phase)" = Failed ]
        [ "$(jq_pod nevercut '.status.containerStatuses[0].state.terminated.reason')" = ContainerStatusUnknown ]
        [ "$(jq_pod nevercut '.status.containerStatuses[0].state.terminated.exitCode')" = 137 ]
        [ "$(jq_pod nevercut '.status.conditions[] | select(.type == "Ready") | .status')" = False ]
        same_process "$cpid" "$cstart"
        # a Never Pod whose container's own restartPolicy is Always runs again
        wait_for 30 container_running neverown c
        [ "$(jq_pod neverown '.status.containerStatuses[0].restartCount')" = 1 ]
        podctl delete pod nevercut orphaned neverown --grace-period=0 --force
        # killed by delete (a zombie until whoever inherited it reaps it)
        wait_for 10 gone_or_zombie "$cpid" "$cstart"
}

@test "systemd: the unit is valid, installed by make install; serve says READY=1 over NOTIFY_SOCKET" {
        local unit="$REPO/dist/podctl.service.in"
        grep -qx 'Type=notify' "$unit"
        grep -qx 'KillMode=process' "$unit"
        grep -qx 'Restart=always' "$unit"
        grep -qx 'Delegate=yes' "$unit"
        grep -q '^ExecStart=@BINDIR@/podctl .*serve .*--manifests /etc/podctl/manifests' "$unit"
        local dest="$BATS_TEST_TMPDIR/dest"
        make -C "$REPO" -s B="$B" install DESTDIR="$dest" >/dev/null
        local inst="$dest/usr/local/lib/systemd/system/podctl.service"
        grep -qx 'ExecStart=/usr/local/bin/podctl --root /var/lib/podctl serve --listen /run/podctl/podctl.sock --manifests /etc/podctl/manifests' "$inst"
        if command -v systemd-analyze >/dev/null; then
                sed "s|/usr/local/bin/podctl|$PODCTL|" "$inst" >"$BATS_TEST_TMPDIR/podctl.service"
                MANPATH="$dest/usr/local/share/man" run -0 systemd-analyze verify "$BATS_TEST_TMPDIR/podctl.service"
        fi
        # sd_notify by hand: a datagram socket stands in for systemd's
        local root2="$PODCTL_ROOT/root2" sock="$PODCTL_ROOT/notify.sock"
        /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(60)
open(sys.argv[2], "w").write(s.recv(4096).decode() + "\n")' "$sock" "$BATS_TEST_TMPDIR/notified" &
        local npid=$!
        echo "$npid" >>"$PODCTL_ROOT/extra.pids"
        wait_for 10 test -S "$sock"
        NOTIFY_SOCKET="$sock" "$PODCTL" --root "$root2" serve --no-cri --no-manifests --gc-interval 0 \
                >"$BATS_TEST_TMPDIR/serve2.log" 2>&1 &
        local spid=$!
        echo "$spid" >>"$PODCTL_ROOT/extra.pids"
        wait_for 20 test -s "$BATS_TEST_TMPDIR/notified"
        [ "$(cat "$BATS_TEST_TMPDIR/notified")" = READY=1 ]
        kill "$spid"
        wait "$spid" || true
        wait "$npid" || true
        rm -f "$PODCTL_ROOT/extra.pids" "$sock"
        rm -rf "$root2"
}

@test "removing every manifest deletes every static Pod and nothing else" {
        static_pod "keep" by-hand >"$BATS_TEST_TMPDIR/keep.yaml"
        podctl apply -f "$BATS_TEST_TMPDIR/keep.yaml"
        static_pod last x | put last.yaml
        wait_for 30 exists "last-$NODE"
        rm -f "$MANIFESTS"/*.yaml
        wait_for 30 bash -c "! '$PODCTL' get pod last-$NODE >/dev/null 2>&1"
        wait_for 30 bash -c "! '$PODCTL' get pod web-$NODE >/dev/null 2>&1"
        exists keep
        podctl delete pod keep --grace-period=0 --force
}
