#!/usr/bin/env bats
# Issue 14 section 5: every probe and hook scheme, from podctl's own
# processes: httpGet over HTTPS (no verification, as the kubelet), redirects
# as the kubelet follows them, custom headers and Host, gRPC health checks
# (nghttp2 + protobuf-c against grpcio), sleep hooks (KEP-3960) and
# lifecycle.stopSignal (KEP-4960). The servers are Python's (http.server +
# ssl, grpcio) run inside the Pod's network namespace, or on the host's
# loopback for a hostNetwork Pod.

load helpers

PY=/usr/bin/python3

setup_file() {
        common_setup_file
        export CERTS=$(mktemp -d /tmp/podctl-it-certs.XXXXXX)
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$CERTS/key.pem" -out "$CERTS/cert.pem" \
                -days 1 -subj /CN=podctl-probe-test >/dev/null 2>&1
}
teardown_file() {
        common_teardown_file
        rm -rf "$CERTS"
}

# Servers started by a test, killed by PID when it ends (also on failure).
teardown() {
        for p in ${SERVERS:-}; do
                kill "$p" 2>/dev/null || true
                wait "$p" 2>/dev/null || true
        done
        delete_all_pods
}

# start_in_pod POD CMD...: CMD in POD's network namespace, until "ready".
start_in_pod() {
        local pod=$1 out="$BATS_TEST_TMPDIR/server.$RANDOM"
        shift
        # every address of the Pod's netns: probes connect to the Pod IP
        PROBE_BIND=${IN_POD_BIND:-0.0.0.0} nsenter --net=/proc/"$(pause_pid "$pod")"/ns/net "$@" >"$out" 2>&1 3>&- &
        SERVERS="${SERVERS:-} $!"
        wait_for 30 grep -q ready "$out"
}

start_on_host() {
        local out="$BATS_TEST_TMPDIR/server.$RANDOM"
        "$@" >"$out" 2>&1 3>&- &
        SERVERS="${SERVERS:-} $!"
        wait_for 30 grep -q ready "$out"
}

is_ready() { [ "$(jq_pod "$1" ".status.containerStatuses[] | select(.name==\"$2\") | .ready")" = "$3" ]; }
restarts() { jq_pod "$1" ".status.containerStatuses[] | select(.name==\"$2\") | .restartCount"; }
restarts_at_least() { [ "$(restarts "$1" "$2")" -ge "$3" ]; }
described() { podctl describe pod "$1" | grep -qF -- "$2"; }
# a free port on the host's loopback
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

@test "HTTPS readiness: TLS without verification, the user's headers and Host as the kubelet sends them" {
        f=$(manifest https <<EOF
apiVersion: v1
kind: Pod
metadata: {name: https}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sleep, "3600"]
    readinessProbe:
      httpGet:
        scheme: HTTPS
        port: 8443
        path: /status
        httpHeaders: [{name: x-probe, value: "yes"}, {name: Host, value: example.com}]
      periodSeconds: 1
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running https main
        log="$BATS_TEST_TMPDIR/requests"
        st="$BATS_TEST_TMPDIR/status"
        is_ready https main false
        start_in_pod https $PY "$REPO/tests/http-probe-server.py" "$log" "$st" 8080 8443 \
                "$CERTS/cert.pem" "$CERTS/key.pem"
        wait_for 20 is_ready https main true
        # what arrived over TLS: the Host given, the header in Go's canonical
        # form, the kubelet's User-Agent and Accept
        grep -q '^8443 /status$' "$log"
        grep -q '^Host: example.com$' "$log"
        grep -q '^X-Probe: yes$' "$log"
        grep -q '^User-Agent: kube-probe/1.31$' "$log"
        grep -q '^Accept: \*/\*$' "$log"
        echo 503 >"$st"
        wait_for 10 is_ready https main false
        wait_for 5 described https 'Readiness probe failed: HTTP probe failed with statuscode: 503'
        [ "$(restarts https main)" = 0 ]
}

@test "a probe without host goes to the Pod IP, as the kubelet's: a server on the Pod's 127.0.0.1 only is not reached" {
        f=$(manifest podip <<EOF
apiVersion: v1
kind: Pod
metadata: {name: podip}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sleep, "3600"]
    readinessProbe:
      httpGet: {port: 8080, path: /ok}
      periodSeconds: 1
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running podip main
        ip=$(jq_pod podip .status.podIP)
        IN_POD_BIND=127.0.0.1 start_in_pod podip $PY "$REPO/tests/http-probe-server.py" "$BATS_TEST_TMPDIR/requests" /nonexistent 8080
        wait_for 10 described podip "Readiness probe failed: Get \"http://$ip:8080/ok\""
        is_ready podip main false
}

@test "redirects: the same host is followed; another host is a success with a ProbeWarning event" {
        f=$(manifest redirects <<EOF
apiVersion: v1
kind: Pod
metadata: {name: redirects}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sleep, "3600"]
    readinessProbe:
      httpGet: {port: 8080, path: /same}
      periodSeconds: 1
    livenessProbe:
      httpGet: {port: 8443, path: /away, scheme: HTTPS}
      initialDelaySeconds: 3
      periodSeconds: 1
      failureThreshold: 1
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running redirects main
        log="$BATS_TEST_TMPDIR/requests"
        start_in_pod redirects $PY "$REPO/tests/http-probe-server.py" "$log" /nonexistent 8080 8443 \
                "$CERTS/cert.pem" "$CERTS/key.pem"
        wait_for 20 is_ready redirects main true
        # the readiness probe went on to /ok (302 -> /ok on the same host)
        grep -q '^8080 /same$' "$log"
        grep -q '^8080 /ok$' "$log"
        # liveness: 302 to elsewhere.invalid is not followed, and no failure
        wait_for 20 described redirects 'Liveness probe warning: Probe terminated redirects, Response body: moved away'
        run -0 podctl describe pod redirects
        [[ "$output" == *"ProbeWarning"* ]]
        [[ "$output" != *"Liveness probe failed"* ]]
        [ "$(restarts redirects main)" = 0 ]
        run ! grep -q elsewhere "$log"
}

@test "gRPC probes against grpcio's health service: SERVING, NOT_SERVING and an unknown service, as Kubernetes reports them" {
        $PY -c 'import grpc, grpc_tools' 2>/dev/null || skip "python3-grpcio / python3-grpc-tools not installed"
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
  - name: other
    image: busybox
    command: [sleep, "3600"]
    readinessProbe:
      grpc: {port: 9090, service: no-such-service}
      periodSeconds: 1
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running grpc main
        st="$BATS_TEST_TMPDIR/health"
        printf -- '- SERVING\n' >"$st"
        start_in_pod grpc $PY "$REPO/tests/grpc-health-server.py" 9090 "$st" 0.0.0.0
        wait_for 30 is_ready grpc main true
        wait_for 10 described grpc 'Readiness probe failed: error: health rpc probe failed: rpc error: code = NotFound desc = unknown service'
        is_ready grpc other false
        printf -- '- NOT_SERVING\n' >"$st"
        wait_for 10 is_ready grpc main false
        wait_for 5 described grpc 'Readiness probe failed: service unhealthy (responded with "NOT_SERVING")'
        printf -- '- SERVING\nno-such-service SERVING\n' >"$st"
        wait_for 10 is_ready grpc main true
        wait_for 10 is_ready grpc other true
}

@test "lifecycle hooks over HTTPS: any response succeeds; an HTTPS hook answered in plain HTTP falls back with LifecycleHTTPFallback" {
        http=$(free_port)
        https=$(free_port)
        log="$BATS_TEST_TMPDIR/requests"
        st="$BATS_TEST_TMPDIR/status"
        echo 500 >"$st"
        start_on_host $PY "$REPO/tests/http-probe-server.py" "$log" "$st" "$http" "$https" \
                "$CERTS/cert.pem" "$CERTS/key.pem"
        f=$(manifest hooks <<EOF
apiVersion: v1
kind: Pod
metadata: {name: hooks}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 5
  containers:
  - name: tls500
    image: busybox
    command: [sleep, "3600"]
    lifecycle:
      postStart:
        httpGet: {scheme: HTTPS, host: 127.0.0.1, port: $https, path: /status}
  - name: fallback
    image: busybox
    command: [sleep, "3600"]
    lifecycle:
      postStart:
        httpGet: {scheme: HTTPS, host: 127.0.0.1, port: $http, path: /ok,
                  httpHeaders: [{name: Authorization, value: secret}]}
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running hooks tls500
        wait_for 10 container_running hooks fallback
        wait_for 10 described hooks "request to HTTPS lifecycle hook 127.0.0.1:$http got HTTP response, retry with HTTP succeeded"
        run -0 podctl describe pod hooks
        [[ "$output" == *LifecycleHTTPFallback* ]]
        [[ "$output" != *FailedPostStartHook* ]]
        [ "$(restarts hooks tls500)" = 0 ]
        # the 500 came over TLS with the lifecycle User-Agent; the fallback's
        # plain request went without Authorization
        grep -q "^$https /status\$" "$log"
        grep -q '^User-Agent: kube-lifecycle/1.31$' "$log"
        grep -q "^$http /ok\$" "$log"
        run ! grep -q '^Authorization' "$log"
}

@test "sleep hooks (KEP-3960): postStart sleep holds the container's start; preStop sleep delays the stop signal" {
        shared="$BATS_TEST_TMPDIR/shared"
        mkdir -p "$shared"
        f=$(manifest sleeps <<EOF
apiVersion: v1
kind: Pod
metadata: {name: sleeps}
spec:
  terminationGracePeriodSeconds: 10
  volumes: [{name: s, hostPath: {path: $shared}}]
  containers:
  - name: main
    image: busybox
    volumeMounts: [{name: s, mountPath: /s}]
    command: [sh, -c, 'trap "date +%s > /s/term; exit 0" TERM; while :; do sleep 0.1; done']
    lifecycle:
      postStart: {sleep: {seconds: 2}}
      preStop: {sleep: {seconds: 2}}
EOF
)
        t0=$(date +%s)
        podctl apply -f "$f"
        wait_for 5 container_running sleeps main
        started() { [ "$(jq_pod sleeps '.status.containerStatuses[0].started')" = true ]; }
        # running, but not started until the 2 s postStart sleep is over
        [ "$(jq_pod sleeps '.status.containerStatuses[0].started')" = false ]
        wait_for 10 started
        [ $(( $(date +%s) - t0 )) -ge 2 ]
        t1=$(date +%s)
        podctl delete pod sleeps
        # TERM came after the preStop sleep (the trap wrote its time, so the
        # container did not end by the grace period's SIGKILL)
        term=$(cat "$shared/term")
        [ $((term - t1)) -ge 2 ]
}

@test "lifecycle.stopSignal (KEP-4960): the container is stopped with its own signal, shown in the status" {
        shared="$BATS_TEST_TMPDIR/shared"
        mkdir -p "$shared"
        f=$(manifest stopsig <<EOF
apiVersion: v1
kind: Pod
metadata: {name: stopsig}
spec:
  os: {name: linux}
  terminationGracePeriodSeconds: 20
  volumes: [{name: s, hostPath: {path: $shared}}]
  containers:
  - name: main
    image: busybox
    volumeMounts: [{name: s, mountPath: /s}]
    command: [sh, -c, 'trap "echo usr1 > /s/sig; exit 0" USR1; trap "echo term > /s/sig; exit 0" TERM; while :; do sleep 0.1; done']
    lifecycle: {stopSignal: SIGUSR1}
EOF
)
        podctl apply -f "$f"
        wait_for 5 container_running stopsig main
        wait_for 5 traps stopsig main 10
        [ "$(jq_pod stopsig '.status.containerStatuses[0].stopSignal')" = SIGUSR1 ]
        podctl delete pod stopsig
        # it exited on its own signal (its trap ran), not on TERM nor on the
        # grace period's SIGKILL
        [ "$(cat "$shared/sig")" = usr1 ]
}

@test "lifecycle.stopSignal is refused without spec.os.name, as the API server refuses it" {
        f=$(manifest nosig <<EOF
apiVersion: v1
kind: Pod
metadata: {name: nosig}
spec:
  containers:
  - name: main
    image: busybox
    lifecycle: {stopSignal: SIGUSR1}
EOF
)
        run -1 podctl apply -f "$f"
        [[ "$output" == *"spec.containers[0].lifecycle.stopSignal: Forbidden: may not be set for containers with empty \`spec.os.name\`"* ]]
        run -1 podctl get pod nosig
}
