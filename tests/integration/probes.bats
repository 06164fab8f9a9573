#!/usr/bin/env bats
# Issue 4: probes made from podctl's own process (nothing needed in the
# image: busybox has no curl), lifecycle hooks, graceful termination.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

restarts() { jq_pod "$1" ".status.containerStatuses[] | select(.name==\"$2\") | .restartCount"; }
restarts_at_least() { [ "$(restarts "$1" "$2")" -ge "$3" ]; }
is_ready() { [ "$(jq_pod "$1" ".status.containerStatuses[] | select(.name==\"$2\") | .ready")" = "$3" ]; }
pod_ready() { [ "$(jq_pod "$1" '.status.conditions[] | select(.type=="Ready") | .status')" = "$2" ]; }

@test "Kubernetes' exec liveness example: a failing probe restarts the container" {
        # kubernetes/website content/en/examples/pods/probe/exec-liveness.yaml,
        # with its 30s shortened to 3s and the image mapped to busybox
        f=$(manifest exec-liveness <<EOF
apiVersion: v1
kind: Pod
metadata:
  labels: {test: liveness}
  name: liveness-exec
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: liveness
    image: busybox
    args: [/bin/sh, -c, "touch /tmp/healthy; sleep 3; rm -f /tmp/healthy; sleep 600"]
    livenessProbe:
      exec:
        command: [cat, /tmp/healthy]
      initialDelaySeconds: 1
      periodSeconds: 1
EOF
)
        podctl apply -f "$f"
        wait_for 5 container_running liveness-exec liveness
        sleep 2
        [ "$(restarts liveness-exec liveness)" = 0 ]
        wait_for 20 restarts_at_least liveness-exec liveness 1
        run podctl describe pod liveness-exec
        [[ "$output" == *"Unhealthy"*"Liveness probe failed: cat: can't open '/tmp/healthy'"* ]]
        [[ "$output" == *"Killing"*"failed liveness probe, will be restarted"* ]]
        podctl delete pod liveness-exec --grace-period=0 --force
}

@test "httpGet liveness against busybox httpd: 404 restarts; readiness flips Ready without restart" {
        f=$(manifest http <<EOF
apiVersion: v1
kind: Pod
metadata: {name: http}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: busybox
    command: [sh, -c, "mkdir -p /www && echo ok > /www/healthz && echo ok > /www/ready && exec httpd -f -p 8080 -h /www"]
    ports: [{name: http, containerPort: 8080}]
    livenessProbe:
      httpGet: {path: /healthz, port: http, httpHeaders: [{name: X-Probe, value: "1"}]}
      periodSeconds: 1
      failureThreshold: 2
    readinessProbe:
      httpGet: {path: /ready, port: 8080}
      periodSeconds: 1
EOF
)
        podctl apply -f "$f"
        wait_for 10 is_ready http web true
        wait_for 5 pod_ready http True
        # readiness: remove /ready -> not ready, no restart; put it back -> ready
        podctl exec http -- rm /www/ready
        wait_for 10 is_ready http web false
        wait_for 5 pod_ready http False
        [ "$(restarts http web)" = 0 ]
        run podctl get pods http
        [[ "$output" == *"0/1"*"Running"* ]]
        podctl exec http -- sh -c 'echo ok > /www/ready'
        wait_for 10 is_ready http web true
        # liveness: remove /healthz -> 404 twice -> restarted
        podctl exec http -- rm /www/healthz
        wait_for 15 restarts_at_least http web 1
        run podctl describe pod http
        [[ "$output" == *"Liveness probe failed: HTTP probe failed with statuscode: 404"* ]]
        wait_for 10 is_ready http web true
        podctl delete pod http --force
}

@test "tcpSocket readiness from podctl's own process, inside the Pod's network namespace" {
        f=$(manifest tcp <<EOF
apiVersion: v1
kind: Pod
metadata: {name: tcp}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sh, -c, "sleep 5; exec httpd -f -p 7070"]
    readinessProbe:
      tcpSocket: {port: 7070}
      periodSeconds: 1
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running tcp main
        # not ready while nothing listens (5 s), and describe says why
        is_ready tcp main false
        refused() { podctl describe pod tcp | grep -q 'Readiness probe failed: dial tcp .*:7070: connect: connection refused'; }
        wait_for 10 refused
        wait_for 20 is_ready tcp main true
        # 7070 listens in the Pod's network namespace, not on the host's: the
        # check ran in the Pod
        connect() { bash -c 'exec 3<>/dev/tcp/127.0.0.1/7070' 2>/dev/null; }
        nsenter --net=/proc/"$(pause_pid tcp)"/ns/net bash -c 'exec 3<>/dev/tcp/127.0.0.1/7070'
        run ! connect
        podctl delete pod tcp --force
}

@test "a startup probe holds liveness back until it passes" {
        f=$(manifest startup <<EOF
apiVersion: v1
kind: Pod
metadata: {name: startup}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: slow
    image: busybox
    command: [sh, -c, "sleep 3; touch /tmp/started; sleep 600"]
    startupProbe:
      exec: {command: [test, -f, /tmp/started]}
      periodSeconds: 1
      failureThreshold: 10
    livenessProbe:
      exec: {command: [test, -f, /tmp/started]}
      periodSeconds: 1
      failureThreshold: 1
EOF
)
        podctl apply -f "$f"
        wait_for 5 container_running startup slow
        [ "$(jq_pod startup '.status.containerStatuses[0].started')" = false ]
        started() { [ "$(jq_pod startup '.status.containerStatuses[0].started')" = true ]; }
        wait_for 10 started
        sleep 2
        # liveness would have killed it within 1s had it run before startup passed
        [ "$(restarts startup slow)" = 0 ]
        podctl delete pod startup --force
}

@test "grpc liveness: the standard health protocol, nothing in the image" {
        /usr/bin/python3 -c 'import grpc' 2>/dev/null || skip "python3-grpcio not installed"
        f=$(manifest grpc <<EOF
apiVersion: v1
kind: Pod
metadata: {name: grpc}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sleep, "3600"]
    readinessProbe:
      grpc: {port: 9090}
      periodSeconds: 1
EOF
)
        podctl apply -f "$f"
        wait_for 5 container_running grpc main
        cat >"$BATS_TEST_TMPDIR/server.py" <<'PY'
import grpc, sys, time
from concurrent import futures
def check(req, ctx):
    return b"\x08\x01"  # HealthCheckResponse{status: SERVING}
h = grpc.method_handlers_generic_handler("grpc.health.v1.Health", {
    "Check": grpc.unary_unary_rpc_method_handler(check)})
s = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
s.add_generic_rpc_handlers((h,))
s.add_insecure_port("0.0.0.0:9090")  # the probe goes to the Pod IP
s.start()
time.sleep(60)
PY
        # a gRPC server in the Pod's network namespace (made by this test's Pod)
        nsenter --net=/proc/$(pause_pid grpc)/ns/net /usr/bin/python3 "$BATS_TEST_TMPDIR/server.py" &
        server=$!
        wait_for 20 is_ready grpc main true
        kill "$server"; wait "$server" 2>/dev/null || true
        wait_for 10 is_ready grpc main false
        podctl delete pod grpc --force
}

@test "preStop runs before SIGTERM and can delay it; then the container exits on TERM" {
        shared="$BATS_TEST_TMPDIR/shared"
        mkdir -p "$shared"
        f=$(manifest prestop <<EOF
apiVersion: v1
kind: Pod
metadata: {name: prestop}
spec:
  terminationGracePeriodSeconds: 10
  volumes: [{name: s, hostPath: {path: $shared}}]
  containers:
  - name: main
    image: busybox
    volumeMounts: [{name: s, mountPath: /s}]
    command: [sh, -c, 'trap "echo term >> /s/order; exit 0" TERM; while :; do sleep 0.1; done']
    lifecycle:
      preStop:
        exec: {command: [sh, -c, "echo prestop >> /s/order; sleep 1; echo prestop-done >> /s/order"]}
EOF
)
        podctl apply -f "$f"
        wait_for 5 container_running prestop main
        wait_for 5 traps prestop main
        podctl delete pod prestop
        # the hook ran to its end, then the stop signal came (its trap ran:
        # not the grace period's SIGKILL)
        [ "$(cat "$shared/order" | tr '\n' ' ')" = "prestop prestop-done term " ]
}

@test "a process ignoring SIGTERM is SIGKILLed at the grace period; one that exits on TERM is fast" {
        f=$(manifest stubborn <<EOF
apiVersion: v1
kind: Pod
metadata: {name: stubborn}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'trap "" TERM; while :; do sleep 0.1; done']
EOF
)
        podctl apply -f "$f"
        wait_for 5 container_running stubborn main
        pid=$(pid_of stubborn main)
        start=$(proc_start "$pid")
        [ "$(proc_state "$pid")" != Z ]
        t0=$(date +%s%N)
        podctl delete pod stubborn
        t1=$(date +%s%N)
        ms=$(( (t1 - t0) / 1000000 ))
        # it ignored TERM, so it lived the whole grace period; then it was
        # killed, and reaped: that process is not in the host's process table
        [ "$ms" -ge 1900 ]
        run ! same_process "$pid" "$start"

        f=$(manifest polite <<EOF
apiVersion: v1
kind: Pod
metadata: {name: polite}
spec:
  terminationGracePeriodSeconds: 3600
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 0.1; done']
EOF
)
        podctl apply -f "$f"
        wait_for 5 container_running polite main
        wait_for 5 traps polite main
        # delete returns once the container has exited on TERM, long before
        # the end of its 3600 s grace period (timeout's 124 if it waited)
        run -0 timeout 60 "$PODCTL" delete pod polite
        [ ! -e "$PODCTL_ROOT/pods/default_polite" ]
}

@test "a failing postStart hook kills the container (FailedPostStartHook)" {
        f=$(manifest poststart <<EOF
apiVersion: v1
kind: Pod
metadata: {name: poststart}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sleep, "600"]
    lifecycle:
      postStart:
        exec: {command: [sh, -c, "exit 7"]}
EOF
)
        podctl apply -f "$f"
        wait_for 10 phase_is poststart Failed
        run podctl describe pod poststart
        [[ "$output" == *"FailedPostStartHook"* ]]
        podctl delete pod poststart
}

@test "app containers start in order, each after the previous one's postStart hook returned (a failed one too)" {
        f=$(manifest holdpost <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: holdpost}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  volumes: [{name: shared, emptyDir: {}}]
  containers:
  - name: a
    image: busybox
    command: [sleep, "600"]
    volumeMounts: [{name: shared, mountPath: /shared}]
    lifecycle:
      postStart:
        exec: {command: [sh, -c, "sleep 2; echo a-hook-done >> /shared/order"]}
  - name: b
    image: busybox
    command: [sh, -c, "echo b-start >> /shared/order; exec sleep 600"]
    volumeMounts: [{name: shared, mountPath: /shared}]
    lifecycle:
      postStart:
        exec: {command: [sh, -c, "sleep 1; echo b-hook-failed >> /shared/order; exit 3"]}
  - name: c
    image: busybox
    command: [sh, -c, "echo c-start >> /shared/order; exec sleep 600"]
    volumeMounts: [{name: shared, mountPath: /shared}]
EOF
)
        podctl apply -f "$f"
        order="$PODCTL_ROOT/pods/default_holdpost/volumes/shared/order"
        # while a's hook runs (2 s), b and c are still being created
        states() { [ "$(jq_pod holdpost '[.status.containerStatuses[].state | keys[0]] | join(" ")')" = "$1" ]; }
        wait_for 2 states "running waiting waiting"
        wait_for 20 container_running holdpost c
        wait_for 10 grep -q c-start "$order"
        run -0 cat "$order"
        [ "$output" = "$(printf '%s\n' a-hook-done b-start b-hook-failed c-start)" ]
        run -0 podctl describe pod holdpost
        [[ "$output" == *FailedPostStartHook* ]]
        podctl delete pod holdpost --grace-period=0 --force >/dev/null
}

@test "native sidecar with a startup probe: the next init container waits for it; sidecars stop last, in reverse order" {
        shared="$BATS_TEST_TMPDIR/order"
        mkdir -p "$shared"
        f=$(manifest sidecars <<EOF
apiVersion: v1
kind: Pod
metadata: {name: sidecars}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 5
  volumes: [{name: s, hostPath: {path: $shared}}]
  initContainers:
  - name: side1
    image: busybox
    restartPolicy: Always
    volumeMounts: [{name: s, mountPath: /s}]
    command: [sh, -c, 'echo side1-start >> /s/log; sleep 1.5; touch /tmp/up; trap "echo side1-stop >> /s/log; exit 0" TERM; while :; do sleep 0.1; done']
    startupProbe:
      exec: {command: [test, -f, /tmp/up]}
      periodSeconds: 1
      failureThreshold: 10
  - name: side2
    image: busybox
    restartPolicy: Always
    volumeMounts: [{name: s, mountPath: /s}]
    command: [sh, -c, 'echo side2-start >> /s/log; trap "echo side2-stop >> /s/log; exit 0" TERM; while :; do sleep 0.1; done']
  - name: init
    image: busybox
    volumeMounts: [{name: s, mountPath: /s}]
    command: [sh, -c, 'echo init >> /s/log']
  containers:
  - name: job
    image: busybox
    volumeMounts: [{name: s, mountPath: /s}]
    command: [sh, -c, 'echo job >> /s/log; sleep 0.5']
EOF
)
        podctl apply -f "$f"
        wait_for 20 phase_is sidecars Succeeded
        # the phase ignores sidecars; they are stopped right after the app
        wait_for 10 grep -q side1-stop "$shared/log"
        order=$(tr '\n' ' ' < "$shared/log")
        echo "order: $order"
        [ "$order" = "side1-start side2-start init job side2-stop side1-stop " ]
        podctl delete pod sidecars
}
