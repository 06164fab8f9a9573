#!/usr/bin/env bats
# 7b, 7c, 7d: init containers (a WAR copied into a web server's volume, order,
# failure, progress), a log-tailing sidecar, native sidecars, exec status.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

# Each test deletes its Pods, even when it fails.
teardown() {
        local d k
        for d in "$PODCTL_ROOT"/pods/*; do
                [ -d "$d" ] || continue
                k=$(basename "$d")
                podctl -n "${k%%_*}" delete pod "${k#*_}" --force --grace-period=0 >/dev/null 2>&1 || true
        done
}

init_running() {
        [ "$(jq_pod "$1" ".status.initContainerStatuses[] | select(.name==\"$2\") | .state | has(\"running\")")" = true ]
}
get_status_is() { # POD STATUS: the STATUS column of get pods
        [ "$(podctl get pods | awk -v p="$1" '$1 == p { print $3 }')" = "$2" ]
}
log_dir_of() { # POD: its CRI log directory
        local uid
        uid=$(jq_pod "$1" .metadata.uid)
        echo "$PODCTL_LOG_DIR/default_$1_$uid"
}
epoch() { date -d "$1" +%s; }

# --- b. WAR + web server -------------------------------------------------

@test "b: an init container copies a WAR from its image into the web server's volume" {
        # the "app image": busybox plus /sample.war only
        d="$BATS_TEST_TMPDIR/war"
        mkdir -p "$d"
        head -c 65536 /dev/urandom >"$d/sample.war"
        cp "$PODCTL_TEST_FIXTURES/busybox-rootfs.tar" "$BATS_TEST_TMPDIR/war.tar"
        tar --numeric-owner --owner=0 --group=0 -rf "$BATS_TEST_TMPDIR/war.tar" -C "$d" ./sample.war
        podctl image import "$BATS_TEST_TMPDIR/war.tar" localhost/war:1 >/dev/null

        f=$(manifest war <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: war
spec:
  restartPolicy: Never
  volumes:
  - name: app
    emptyDir: {}
  initContainers:
  - name: war
    image: localhost/war:1
    command: ["cp", "/sample.war", "/app"]
    volumeMounts:
    - name: app
      mountPath: /app
  containers:
  - name: tomcat
    image: busybox
    command: ["sh", "-c", "if [ -f /usr/local/tomcat/webapps/sample.war ]; then echo war present; else echo war missing; fi; exec httpd -f -p 8081 -h /usr/local/tomcat/webapps"]
    volumeMounts:
    - name: app
      mountPath: /usr/local/tomcat/webapps
EOF
)
        run podctl apply -f "$f"
        [ "$status" -eq 0 ]
        [ "$output" = "pod/war created" ]
        wait_for 20 container_running war tomcat
        [ "$(jq_pod war '.status.initContainerStatuses[0].state.terminated.reason')" = Completed ]
        wait_for 10 podctl exec war -c tomcat -- wget -q -O /dev/null http://localhost:8081/sample.war
        podctl exec war -c tomcat -- wget -qO- http://localhost:8081/sample.war >"$BATS_TEST_TMPDIR/fetched"
        cmp "$d/sample.war" "$BATS_TEST_TMPDIR/fetched"
        [ "$(podctl logs war -c tomcat)" = "war present" ]
        run podctl get pods
        [[ "$output" == *"war"*"1/1"*"Running"* ]]
        podctl delete pod war --grace-period=1
}

# --- c. log sidecar ------------------------------------------------------

@test "c: a sidecar tails the app's log file to stdout; logs, --tail, --timestamps, CRI file" {
        f=$(manifest logsc <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: logsc
spec:
  restartPolicy: Never
  volumes:
  - name: varlog
    emptyDir: {}
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "i=0; while [ $i -lt 5 ]; do i=$((i+1)); echo \"line $i\" >>/var/log/app.log; sleep 0.2; done; exec sleep 3600"]
    volumeMounts:
    - name: varlog
      mountPath: /var/log
  - name: sidecar
    image: busybox
    command: ["tail", "-n", "+1", "-F", "/var/log/app.log"]
    volumeMounts:
    - name: varlog
      mountPath: /var/log
EOF
)
        podctl apply -f "$f"
        wait_for 20 container_running logsc sidecar
        has_line5() { podctl logs logsc -c sidecar | grep -qx "line 5"; }
        wait_for 15 has_line5
        run podctl logs logsc -c sidecar
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf 'line %s\n' 1 2 3 4 5)" ]
        run podctl logs logsc -c sidecar --tail=2
        [ "$output" = "$(printf 'line 4\nline 5')" ]
        run podctl logs logsc -c sidecar --tail 1
        [ "$output" = "line 5" ]
        run podctl logs logsc -c sidecar --timestamps
        [ "${#lines[@]}" -eq 5 ]
        for i in 1 2 3 4 5; do
                [[ "${lines[$((i - 1))]}" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})\ line\ $i$ ]]
        done
        # the app wrote nothing to stdout
        [ -z "$(podctl logs logsc -c app)" ]
        # the raw CRI file
        file="$(log_dir_of logsc)/sidecar/0.log"
        [ -f "$file" ]
        [ "$(wc -l <"$file")" -eq 5 ]
        i=0
        while IFS= read -r l; do
                i=$((i + 1))
                [[ "$l" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+(Z|[+-][0-9]{2}:[0-9]{2})\ stdout\ F\ line\ $i$ ]]
        done <"$file"
        # and a line appended later reaches it
        podctl exec logsc -c app -- sh -c 'echo "line 6" >>/var/log/app.log'
        has_line6() { podctl logs logsc -c sidecar --tail=1 | grep -qx "line 6"; }
        wait_for 10 has_line6
        podctl delete pod logsc --grace-period=1
}

# --- d. init ordering, failure, progress ---------------------------------

@test "d: init containers run one after another, all before the app" {
        f=$(manifest order <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: order
spec:
  restartPolicy: Never
  volumes:
  - name: work
    emptyDir: {}
  initContainers:
  - name: init-1
    image: busybox
    command: ["sh", "-c", "sleep 1; echo init-1 $(date +%s) >>/work/order"]
    volumeMounts: [{name: work, mountPath: /work}]
  - name: init-2
    image: busybox
    command: ["sh", "-c", "echo init-2 $(date +%s) >>/work/order"]
    volumeMounts: [{name: work, mountPath: /work}]
  - name: init-3
    image: busybox
    command: ["sh", "-c", "sleep 1; echo init-3 $(date +%s) >>/work/order"]
    volumeMounts: [{name: work, mountPath: /work}]
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "echo app $(date +%s) >>/work/order; cat /work/order"]
    volumeMounts: [{name: work, mountPath: /work}]
EOF
)
        podctl apply -f "$f"
        wait_for 30 phase_is order Succeeded
        run podctl logs order -c app
        [ "${#lines[@]}" -eq 4 ]
        names=$(printf '%s\n' "${lines[@]}" | awk '{ print $1 }' | tr '\n' ' ')
        [ "$names" = "init-1 init-2 init-3 app " ]
        # the times written never go back
        printf '%s\n' "${lines[@]}" | awk '{ print $2 }' | sort -c -n

        json=$(podctl get pod order -o json)
        [ "$(echo "$json" | jq '.status.initContainerStatuses | length')" -eq 3 ]
        [ "$(echo "$json" | jq -r '[.status.initContainerStatuses[].name] | join(" ")')" = "init-1 init-2 init-3" ]
        app_started=$(echo "$json" | jq -r '.status.containerStatuses[0].state.terminated.startedAt')
        prev_finished=0
        for i in 0 1 2; do
                st=$(echo "$json" | jq -c ".status.initContainerStatuses[$i].state.terminated")
                [ "$(echo "$st" | jq -r .reason)" = Completed ]
                [ "$(echo "$st" | jq -r .exitCode)" = 0 ]
                started=$(epoch "$(echo "$st" | jq -r .startedAt)")
                finished=$(epoch "$(echo "$st" | jq -r .finishedAt)")
                [ "$started" -ge "$prev_finished" ]
                [ "$finished" -le "$(epoch "$app_started")" ]
                prev_finished=$finished
        done
        [ "$(echo "$json" | jq -r '.status.conditions[] | select(.type=="Initialized") | .status')" = True ]
        run podctl get pods
        [[ "$output" == *order*"Completed"* ]]
}

@test "d: a failing init container fails the Pod; later inits and the app never start" {
        f=$(manifest badinit <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: badinit
spec:
  restartPolicy: Never
  initContainers:
  - name: init-ok
    image: busybox
    command: ["true"]
  - name: init-bad
    image: busybox
    command: ["sh", "-c", "echo failing; exit 1"]
  - name: init-later
    image: busybox
    command: ["true"]
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "echo app ran"]
  - name: app2
    image: busybox
    command: ["sh", "-c", "echo app2 ran"]
EOF
)
        podctl apply -f "$f"
        wait_for 20 phase_is badinit Failed
        # give a wrong implementation time to start something anyway
        sleep 1
        json=$(podctl get pod badinit -o json)
        [ "$(echo "$json" | jq -r .status.phase)" = Failed ]
        [ "$(echo "$json" | jq -r '.status.initContainerStatuses[0].state.terminated.reason')" = Completed ]
        [ "$(echo "$json" | jq -r '.status.initContainerStatuses[1].state.terminated.reason')" = Error ]
        [ "$(echo "$json" | jq -r '.status.initContainerStatuses[1].state.terminated.exitCode')" = 1 ]
        [ "$(echo "$json" | jq -r '.status.initContainerStatuses[2].state | keys[0]')" = waiting ]
        for c in 0 1; do
                [ "$(echo "$json" | jq -r ".status.containerStatuses[$c].state | keys[0]")" = waiting ]
                [ "$(echo "$json" | jq -r ".status.containerStatuses[$c].restartCount")" = 0 ]
        done
        [ "$(echo "$json" | jq -r '.status.conditions[] | select(.type=="Initialized") | .status')" = False ]
        dir=$(log_dir_of badinit)
        [ -f "$dir/init-bad/0.log" ]
        [ ! -e "$dir/init-later" ]
        [ ! -e "$dir/app" ]
        [ ! -e "$dir/app2" ]
        [ "$(podctl logs badinit -c init-bad)" = failing ]
        run podctl logs badinit -c app
        [ "$status" -ne 0 ]
        [[ "$output" != *"app ran"* ]]
        get_status_is badinit Init:Error
        run podctl get pods
        [[ "$output" == *badinit*"0/2"*"Init:Error"* ]]
}

@test "d: while an init container runs the Pod is Pending with STATUS Init:N/M" {
        f=$(manifest slowinit <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: slowinit
spec:
  restartPolicy: Never
  initContainers:
  - name: first
    image: busybox
    command: ["true"]
  - name: slow
    image: busybox
    command: ["sleep", "8"]
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
EOF
)
        # apply waits for the app containers (--wait-timeout); do not
        podctl apply -f "$f" --wait-timeout=0
        wait_for 20 init_running slowinit slow
        get_status_is slowinit Init:1/2
        phase_is slowinit Pending
        [ "$(jq_pod slowinit '.status.containerStatuses[0].state.waiting.reason')" = PodInitializing ]
        wait_for 30 container_running slowinit app
        get_status_is slowinit Running
        phase_is slowinit Running
        podctl delete pod slowinit --grace-period=0 --force
}

@test "d: Init:0/1 is shown to a second client while apply still waits" {
        f=$(manifest slowinit1 <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: slowinit1
spec:
  restartPolicy: Never
  initContainers:
  - name: slow
    image: busybox
    command: ["sleep", "6"]
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
EOF
)
        podctl apply -f "$f" >/dev/null &
        apply_pid=$!
        wait_for 20 init_running slowinit1 slow
        get_status_is slowinit1 Init:0/1
        phase_is slowinit1 Pending
        wait "$apply_pid"
        wait_for 20 container_running slowinit1 app
        podctl delete pod slowinit1 --grace-period=0 --force
}

# --- native sidecars -----------------------------------------------------

native_pod() { # NAME
        manifest "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  shareProcessNamespace: true
  volumes:
  - name: work
    emptyDir: {}
  initContainers:
  - name: before
    image: busybox
    command: ["true"]
  - name: sidecar
    image: busybox
    restartPolicy: Always
    command: ["sh", "-c", "echo sidecar up; exec sleep 3600"]
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "if cat /proc/[0-9]*/comm | grep -qx sleep; then echo sidecar-running; else echo sidecar-missing; fi; while [ ! -f /work/go ]; do sleep 0.1; done; echo app done"]
    volumeMounts: [{name: work, mountPath: /work}]
EOF
}

@test "native sidecar: starts before the app, runs alongside it, stopped when the app is done" {
        podctl apply -f "$(native_pod native)"
        wait_for 20 container_running native app
        # both run together; the sidecar's process was there when the app began
        init_running native sidecar
        json=$(podctl get pod native -o json)
        [ "$(echo "$json" | jq -r '.status.initContainerStatuses[0].state.terminated.reason')" = Completed ]
        [ "$(echo "$json" | jq -r '.status.conditions[] | select(.type=="Initialized") | .status')" = True ]
        sc_started=$(echo "$json" | jq -r '.status.initContainerStatuses[1].state.running.startedAt')
        app_started=$(echo "$json" | jq -r '.status.containerStatuses[0].state.running.startedAt')
        [ "$(epoch "$sc_started")" -le "$(epoch "$app_started")" ]
        sc_pid=$(pid_of native sidecar)
        [ "$sc_pid" -gt 0 ]
        kill -0 "$sc_pid"
        has_app_line() { podctl logs native -c app | grep -q sidecar; }
        wait_for 10 has_app_line
        [ "$(podctl logs native -c app)" = sidecar-running ]
        [ "$(podctl logs native -c sidecar)" = "sidecar up" ]
        phase_is native Running

        # the app ends: the Pod succeeds and the sidecar is stopped
        podctl exec native -c app -- touch /work/go
        wait_for 20 phase_is native Succeeded
        wait_for 10 sh -c "! kill -0 $sc_pid 2>/dev/null"
        json=$(podctl get pod native -o json)
        [ "$(echo "$json" | jq -r '.status.initContainerStatuses[1].state | keys[0]')" = terminated ]
        [ "$(echo "$json" | jq -r '.status.containerStatuses[0].state.terminated.reason')" = Completed ]
        [ "$(podctl logs native -c app | tail -n 1)" = "app done" ]
}

@test "native sidecar: get pods counts it in READY and shows Running, then Completed" {
        podctl apply -f "$(native_pod native-get)"
        wait_for 20 container_running native-get app
        init_running native-get sidecar
        # kubectl: a started restartable init container is not "initializing";
        # it counts in READY (2/2) and STATUS is the app's (Running)
        run podctl get pods
        echo "$output"
        [[ "$output" == *native-get*"2/2"*Running* ]]
        podctl exec native-get -c app -- touch /work/go
        wait_for 20 phase_is native-get Succeeded
        # Initialized is True, so the stopped sidecar's exit does not make it Init:Error
        run -0 podctl get pods
        echo "$output"
        get_status_is native-get Completed
}

@test "native sidecar: restarted when it exits, even with restartPolicy Never" {
        f=$(manifest screstart <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: screstart
spec:
  restartPolicy: Never
  initContainers:
  - name: side
    image: busybox
    restartPolicy: Always
    command: ["sh", "-c", "echo run; sleep 0.5; exit 3"]
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
EOF
)
        podctl apply -f "$f"
        wait_for 20 container_running screstart app
        restarted() { [ "$(jq_pod screstart '.status.initContainerStatuses[0].restartCount')" -ge 2 ]; }
        wait_for 20 restarted
        phase_is screstart Running
        container_running screstart app
        [ "$(jq_pod screstart '.status.containerStatuses[0].restartCount')" = 0 ]
        [ "$(jq_pod screstart '.status.initContainerStatuses[0].lastState.terminated.exitCode')" = 3 ]
        [ "$(podctl logs screstart -c side -p)" = run ]
        podctl delete pod screstart --grace-period=0 --force
}

@test "init container failing with restartPolicy OnFailure is retried until it succeeds" {
        f=$(manifest retryinit <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: retryinit
spec:
  restartPolicy: OnFailure
  volumes:
  - name: w
    emptyDir: {}
  initContainers:
  - name: flaky
    image: busybox
    command: ["sh", "-c", "echo try >>/w/n; [ $(wc -l </w/n) -ge 3 ]"]
    volumeMounts: [{name: w, mountPath: /w}]
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "wc -l </w/n"]
    volumeMounts: [{name: w, mountPath: /w}]
EOF
)
        podctl apply -f "$f"
        wait_for 30 phase_is retryinit Succeeded
        [ "$(podctl logs retryinit -c app)" = 3 ]
        [ "$(jq_pod retryinit '.status.initContainerStatuses[0].restartCount')" = 2 ]
        [ "$(jq_pod retryinit '.status.initContainerStatuses[0].state.terminated.reason')" = Completed ]
}

# --- exec ----------------------------------------------------------------

@test "exec returns the command's exit status" {
        f=$(manifest execst <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: execst
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
EOF
)
        podctl apply -f "$f"
        wait_for 20 container_running execst c
        run podctl exec execst -- sh -c 'exit 7'
        [ "$status" -eq 7 ]
        run podctl exec execst -- true
        [ "$status" -eq 0 ]
        run podctl exec execst -c c -- sh -c 'echo out; echo err >&2; exit 3'
        [ "$status" -eq 3 ]
        [[ "$output" == *out* ]]
        [[ "$output" == *err* ]]
        podctl delete pod execst --grace-period=0 --force
}
