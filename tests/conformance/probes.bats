#!/usr/bin/env bats
# Node conformance: test/e2e/common/node/container_probe.go ("Probing
# container"), one @test per Go test, named by its description string.
#
# The probes' own timings are the Go tests' (initialDelaySeconds 15, ...).
# What is scaled down is the observation: every Pod is created at once in
# setup_file and each case watches its own Pod for OBSERVE seconds from then
# (the Go tests watch 1 to 4 minutes each, one after the other); a case that
# expects restarts stops as soon as it has seen them, as RunLivenessTest does.

load helpers

OBSERVE=75 # seconds of observation for "never" cases (Go: 1 min, 4 min)

probe_pods() {
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: test-webserver-initial-delay
spec:
  containers:
  - name: test-webserver
    image: $AGNHOST
    args: [test-webserver]
    ports: [{containerPort: 80}]
    readinessProbe:
      httpGet: {path: /, port: 80}
      initialDelaySeconds: 15
---
apiVersion: v1
kind: Pod
metadata:
  name: test-webserver-failing
spec:
  containers:
  - name: test-webserver
    image: $AGNHOST
    args: [test-webserver]
    ports: [{containerPort: 80}]
    readinessProbe:
      httpGet: {path: /, port: 81}
---
apiVersion: v1
kind: Pod
metadata:
  name: busybox-exec-restart
  labels: {test: liveness}
spec:
  containers:
  - name: busybox
    image: $BUSYBOX
    command: ["/bin/sh", "-c", "echo ok >/tmp/health; sleep 10; rm -rf /tmp/health; sleep 600"]
    livenessProbe:
      exec: {command: [cat, /tmp/health]}
      initialDelaySeconds: 15
      timeoutSeconds: 5
      failureThreshold: 1
---
apiVersion: v1
kind: Pod
metadata:
  name: busybox-exec-no-restart
  labels: {test: liveness}
spec:
  containers:
  - name: busybox
    image: $BUSYBOX
    command: ["/bin/sh", "-c", "echo ok >/tmp/health; sleep 600"]
    livenessProbe:
      exec: {command: [cat, /tmp/health]}
      initialDelaySeconds: 15
      timeoutSeconds: 5
      failureThreshold: 1
---
apiVersion: v1
kind: Pod
metadata:
  name: liveness-http-restart
  labels: {test: liveness}
spec:
  containers:
  - name: agnhost-container
    image: $AGNHOST
    args: [liveness]
    livenessProbe:
      httpGet: {path: /healthz, port: 8080}
      initialDelaySeconds: 15
      failureThreshold: 1
---
apiVersion: v1
kind: Pod
metadata:
  name: liveness-tcp-no-restart
  labels: {test: liveness}
spec:
  containers:
  - name: agnhost-container
    image: $AGNHOST
    args: [liveness]
    livenessProbe:
      tcpSocket: {port: 8080}
      initialDelaySeconds: 15
      failureThreshold: 1
---
apiVersion: v1
kind: Pod
metadata:
  name: liveness-monotonic
  labels: {test: liveness}
spec:
  containers:
  - name: agnhost-container
    image: $AGNHOST
    args: [liveness]
    livenessProbe:
      httpGet: {path: /healthz, port: 8080}
      initialDelaySeconds: 5
      failureThreshold: 1
---
apiVersion: v1
kind: Pod
metadata:
  name: test-webserver-liveness
spec:
  containers:
  - name: test-webserver
    image: $AGNHOST
    args: [test-webserver]
    ports: [{containerPort: 80}]
    livenessProbe:
      httpGet: {path: /, port: 80}
      initialDelaySeconds: 15
      timeoutSeconds: 5
      failureThreshold: 5
---
apiVersion: v1
kind: Pod
metadata:
  name: busybox-exec-timeout
  labels: {test: liveness}
spec:
  containers:
  - name: busybox
    image: $BUSYBOX
    command: ["/bin/sh", "-c", "sleep 600"]
    livenessProbe:
      exec: {command: ["/bin/sh", "-c", "sleep 10"]}
      initialDelaySeconds: 15
      timeoutSeconds: 1
      failureThreshold: 1
---
apiVersion: v1
kind: Pod
metadata:
  name: busybox-readiness-timeout
  labels: {test: liveness}
spec:
  containers:
  - name: busybox
    image: $BUSYBOX
    command: ["/bin/sh", "-c", "sleep 600"]
    readinessProbe:
      exec: {command: ["/bin/sh", "-c", "sleep 10"]}
      initialDelaySeconds: 15
      timeoutSeconds: 1
      failureThreshold: 1
---
apiVersion: v1
kind: Pod
metadata:
  name: busybox-liveness-grace
  labels: {test: liveness}
spec:
  terminationGracePeriodSeconds: 500
  containers:
  - name: busybox
    image: $BUSYBOX
    command: ["/bin/sh", "-c", "sleep 1000"]
    livenessProbe:
      httpGet: {path: /healthz, port: 8080}
      initialDelaySeconds: 10
      failureThreshold: 1
      terminationGracePeriodSeconds: 5
---
apiVersion: v1
kind: Pod
metadata:
  name: busybox-startup-grace
  labels: {test: liveness}
spec:
  terminationGracePeriodSeconds: 500
  containers:
  - name: busybox
    image: $BUSYBOX
    command: ["/bin/sh", "-c", "sleep 1000"]
    livenessProbe:
      exec: {command: [/bin/true]}
      initialDelaySeconds: 15
      failureThreshold: 1
    startupProbe:
      exec: {command: [/bin/cat, /tmp/startup]}
      initialDelaySeconds: 10
      failureThreshold: 1
      terminationGracePeriodSeconds: 5
EOF
}

setup_file() {
        conformance_setup_file
        f=$(mktemp "$BATS_FILE_TMPDIR/probes.XXXXXX.yaml")
        probe_pods >"$f"
        podctl apply -f "$f" >/dev/null
        T0=$(date +%s)
        export T0
}
teardown_file() { common_teardown_file; }

restarts() { ctr_status "$1" "$2" .restartCount; }
not_waiting() { [ "$(ctr_status "$1" "$2" '.state | has("waiting")')" = false ]; }

# runLivenessTest: once the container has left waiting, its restart count
# (which only grows) must reach EXPECTED before T0+WINDOW; with EXPECTED 0 it
# must stay where it was until then. The count it starts from is the one the
# container left waiting with: 0, the Pod being new at T0 (a case may only
# look after T0+WINDOW, the cases before it having taken their time).
liveness_case() { # POD CONTAINER EXPECTED WINDOW
        local pod=$1 ctr=$2 want=$3 deadline=$((T0 + $4)) initial=0 last=0 now observed=0
        wait_for 60 not_waiting "$pod" "$ctr"
        while :; do
                now=$(restarts "$pod" "$ctr")
                if [ "$now" -lt "$last" ]; then
                        echo "restart count went from $last to $now" >&2
                        return 1
                fi
                observed=$((now - initial))
                if [ "$want" -gt 0 ] && [ "$observed" -ge "$want" ]; then
                        break
                fi
                last=$now
                [ "$(date +%s)" -lt "$deadline" ] || break
                sleep 2
        done
        echo "$pod: $observed restarts observed, $want expected" >&2
        if [ "$want" = 0 ]; then
                [ "$observed" = 0 ]
        else
                [ "$observed" -ge "$want" ]
        fi
}

pod_ready() { [ "$(jq_pod "$1" '.status.conditions[] | select(.type=="Ready") | .status')" = True ]; }
# runReadinessFailTest / Consistently(not ready): never ready until T0+WINDOW.
never_ready_until() { # POD WINDOW
        while [ "$(date +%s)" -lt $((T0 + $2)) ]; do
                if pod_ready "$1"; then
                        echo "$1 became ready" >&2
                        return 1
                fi
                sleep 1
        done
}
ts() { date -d "$1" +%s; }

# ---- container_probe.go ----------------------------------------------------

# Probing container: "with readiness probe should not be ready before initial delay and never restart [NodeConformance]"
@test "Probing container with readiness probe should not be ready before initial delay and never restart [NodeConformance]" {
        wait_for 90 pod_ready test-webserver-initial-delay
        [ "$(pod_phase test-webserver-initial-delay)" = Running ]
        ready=$(jq_pod test-webserver-initial-delay '.status.conditions[] | select(.type=="Ready") | .lastTransitionTime')
        started=$(ctr_status test-webserver-initial-delay test-webserver .state.running.startedAt)
        echo "started $started, ready $ready" >&2
        [ $(($(ts "$ready") - $(ts "$started"))) -ge 15 ]
        [ "$(restarts test-webserver-initial-delay test-webserver)" = 0 ]
}

# Probing container: "with readiness probe that fails should never be ready and never restart [NodeConformance]"
@test "Probing container with readiness probe that fails should never be ready and never restart [NodeConformance]" {
        never_ready_until test-webserver-failing "$OBSERVE"
        [ "$(restarts test-webserver-failing test-webserver)" = 0 ]
}

# Probing container: "should be restarted with a exec \"cat /tmp/health\" liveness probe [NodeConformance]"
@test "Probing container should be restarted with a exec \"cat /tmp/health\" liveness probe [NodeConformance]" {
        liveness_case busybox-exec-restart busybox 1 150
}

# Probing container: "should *not* be restarted with a exec \"cat /tmp/health\" liveness probe [NodeConformance]"
@test "Probing container should *not* be restarted with a exec \"cat /tmp/health\" liveness probe [NodeConformance]" {
        liveness_case busybox-exec-no-restart busybox 0 "$OBSERVE"
}

# Probing container: "should be restarted with a /healthz http liveness probe [NodeConformance]"
@test "Probing container should be restarted with a /healthz http liveness probe [NodeConformance]" {
        liveness_case liveness-http-restart agnhost-container 1 150
}

# Probing container: "should *not* be restarted with a tcp:8080 liveness probe [NodeConformance]"
@test "Probing container should *not* be restarted with a tcp:8080 liveness probe [NodeConformance]" {
        liveness_case liveness-tcp-no-restart agnhost-container 0 "$OBSERVE"
}

# Probing container: "should have monotonically increasing restart count [NodeConformance]"
@test "Probing container should have monotonically increasing restart count [NodeConformance]" {
        liveness_case liveness-monotonic agnhost-container 5 240
}

# Probing container: "should *not* be restarted with a /healthz http liveness probe [NodeConformance]"
@test "Probing container should *not* be restarted with a /healthz http liveness probe [NodeConformance]" {
        liveness_case test-webserver-liveness test-webserver 0 "$OBSERVE"
}

# Probing container: "should be restarted with an exec liveness probe with timeout [MinimumKubeletVersion:1.20] [NodeConformance]"
@test "Probing container should be restarted with an exec liveness probe with timeout [MinimumKubeletVersion:1.20] [NodeConformance]" {
        liveness_case busybox-exec-timeout busybox 1 150
}

# Probing container: "should not be ready with an exec readiness probe timeout [MinimumKubeletVersion:1.20] [NodeConformance]"
@test "Probing container should not be ready with an exec readiness probe timeout [MinimumKubeletVersion:1.20] [NodeConformance]" {
        wait_for 60 not_waiting busybox-readiness-timeout busybox
        never_ready_until busybox-readiness-timeout "$OBSERVE"
}

# Probing container: "should override timeoutGracePeriodSeconds when LivenessProbe field is set [NodeConformance]"
# (10 s delay + 10 s period + 5 s grace: restarted long before the Pod's 500 s grace.)
@test "Probing container should override timeoutGracePeriodSeconds when LivenessProbe field is set [NodeConformance]" {
        liveness_case busybox-liveness-grace busybox 1 100
}

# Probing container: "should override timeoutGracePeriodSeconds when StartupProbe field is set [NodeConformance]"
@test "Probing container should override timeoutGracePeriodSeconds when StartupProbe field is set [NodeConformance]" {
        liveness_case busybox-startup-grace busybox 1 100
}
