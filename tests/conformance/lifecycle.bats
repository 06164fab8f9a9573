#!/usr/bin/env bats
# Node conformance: test/e2e/common/node/lifecycle_hook.go ("Container
# Lifecycle Hook", "Restartable Init Container Lifecycle Hook"), one @test per
# Go test, named by its description string. As in the Go test, a separate Pod
# (agnhost netexec) logs the hooks' requests; the HTTP hooks go to a
# netexec sidecar of the hooked Pod that /dials the logging Pod.

load helpers

setup_file() { conformance_setup_file; }
teardown_file() { common_teardown_file; }

# BeforeEach: the Pod that logs the hooks' requests, and its IP.
setup() {
        f=$(mktemp "$BATS_TEST_TMPDIR/handler.XXXXXX.yaml")
        cat >"$f" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod-handle-http-request
spec:
  containers:
  - name: container-handle-http-request
    image: $AGNHOST
    args: [netexec]
EOF
        podctl apply -f "$f" >/dev/null
        wait_for 30 container_running pod-handle-http-request container-handle-http-request
        TARGET_IP=$(jq_pod pod-handle-http-request .status.podIP)
}
teardown() { conformance_teardown; }

handler_logged() { podctl logs pod-handle-http-request | grep -qE "$1"; }

# testPodWithHook: the hooked Pod gets the init container "container-redirect"
# (netexec sidecar, startupProbe /echo?msg=startup); it is created, the
# postStart request must reach the handler within 2 minutes; the Pod is
# deleted with a 15 s grace period and the preStop request must reach the
# handler within 30 s.
hooked_pod() { # NAME IMAGE LIFECYCLE-YAML [sidecar]
        local hooked="  - name: $1
    image: $2
    lifecycle:
$3"
        local inits="" ctrs=$hooked
        if [ -n "${4:-}" ]; then
                # getSidecarPodWithHook: the hooked container is a restartable
                # init container; the app container is "main" (pause).
                inits="$hooked
    restartPolicy: Always"
                ctrs="  - name: main
    image: $PAUSE"
        fi
        apply "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  initContainers:
  - name: container-redirect
    image: $AGNHOST
    args: [netexec, --udp-port, "-1"]
    restartPolicy: Always
    startupProbe:
      httpGet: {scheme: HTTP, path: "/echo?msg=startup", port: 8080}
$inits
  containers:
$ctrs
EOF
}
check_hooks() { # NAME POSTSTART PRESTOP (yes/no)
        wait_for 60 phase_is "$1" Running
        if [ "$2" = yes ]; then
                wait_for 120 handler_logged 'GET /echo\?msg=poststart'
        fi
        run -0 podctl delete pod "$1" --grace-period=15
        if [ "$3" = yes ]; then
                wait_for 30 handler_logged 'GET /echo\?msg=prestop'
        fi
}
dial() { printf '/dial?host=%s&port=8080&request=%s' "$TARGET_IP" "$1"; }

# ---- lifecycle_hook.go -----------------------------------------------------

# Container Lifecycle Hook when create a pod with lifecycle hook: "should execute poststart exec hook properly [NodeConformance]"
@test "Container Lifecycle Hook when create a pod with lifecycle hook should execute poststart exec hook properly [NodeConformance]" {
        hooked_pod pod-with-poststart-exec-hook "$AGNHOST" "      postStart:
        exec: {command: [sh, -c, \"curl http://$TARGET_IP:8080/echo?msg=poststart\"]}"
        check_hooks pod-with-poststart-exec-hook yes no
}

# Container Lifecycle Hook when create a pod with lifecycle hook: "should execute prestop exec hook properly [NodeConformance]"
@test "Container Lifecycle Hook when create a pod with lifecycle hook should execute prestop exec hook properly [NodeConformance]" {
        hooked_pod pod-with-prestop-exec-hook "$AGNHOST" "      preStop:
        exec: {command: [sh, -c, \"curl http://$TARGET_IP:8080/echo?msg=prestop\"]}"
        check_hooks pod-with-prestop-exec-hook no yes
}

# Container Lifecycle Hook when create a pod with lifecycle hook: "should execute poststart http hook properly [NodeConformance]"
@test "Container Lifecycle Hook when create a pod with lifecycle hook should execute poststart http hook properly [NodeConformance]" {
        hooked_pod pod-with-poststart-http-hook "$PAUSE" "      postStart:
        httpGet: {path: \"$(dial echo%3Fmsg%3Dpoststart)\", port: 8080}"
        check_hooks pod-with-poststart-http-hook yes no
}

# Container Lifecycle Hook when create a pod with lifecycle hook: "should execute prestop http hook properly [NodeConformance]"
@test "Container Lifecycle Hook when create a pod with lifecycle hook should execute prestop http hook properly [NodeConformance]" {
        hooked_pod pod-with-prestop-http-hook "$PAUSE" "      preStop:
        httpGet: {path: \"$(dial echo%3Fmsg%3Dprestop)\", port: 8080}"
        check_hooks pod-with-prestop-http-hook no yes
}

# Restartable Init Container Lifecycle Hook when create a pod with lifecycle hook: "should execute poststart exec hook properly"
@test "Restartable Init Container Lifecycle Hook [NodeConformance] when create a pod with lifecycle hook should execute poststart exec hook properly" {
        hooked_pod pod-with-poststart-exec-hook "$AGNHOST" "      postStart:
        exec: {command: [sh, -c, \"curl http://$TARGET_IP:8080/echo?msg=poststart\"]}" sidecar
        check_hooks pod-with-poststart-exec-hook yes no
}

# Restartable Init Container Lifecycle Hook when create a pod with lifecycle hook: "should execute prestop exec hook properly"
@test "Restartable Init Container Lifecycle Hook [NodeConformance] when create a pod with lifecycle hook should execute prestop exec hook properly" {
        hooked_pod pod-with-prestop-exec-hook "$AGNHOST" "      preStop:
        exec: {command: [sh, -c, \"curl http://$TARGET_IP:8080/echo?msg=prestop\"]}" sidecar
        check_hooks pod-with-prestop-exec-hook no yes
}

# Restartable Init Container Lifecycle Hook when create a pod with lifecycle hook: "should execute poststart http hook properly"
@test "Restartable Init Container Lifecycle Hook [NodeConformance] when create a pod with lifecycle hook should execute poststart http hook properly" {
        hooked_pod pod-with-poststart-http-hook "$PAUSE" "      postStart:
        httpGet: {path: \"$(dial echo%3Fmsg%3Dpoststart)\", port: 8080}" sidecar
        check_hooks pod-with-poststart-http-hook yes no
}

# Restartable Init Container Lifecycle Hook when create a pod with lifecycle hook: "should execute prestop http hook properly"
@test "Restartable Init Container Lifecycle Hook [NodeConformance] when create a pod with lifecycle hook should execute prestop http hook properly" {
        hooked_pod pod-with-prestop-http-hook "$PAUSE" "      preStop:
        httpGet: {path: \"$(dial echo%3Fmsg%3Dprestop)\", port: 8080}" sidecar
        check_hooks pod-with-prestop-http-hook no yes
}
