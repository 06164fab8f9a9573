#!/usr/bin/env bats
# The Kubernetes documentation's example Pods (kubernetes/website,
# content/en/examples/), each applied as its page says and checked for the
# outcome the page describes. README.md lists them, and the ones left out.
bats_require_minimum_version 1.5.0
load helpers

# Examples whose outcome takes tens of seconds (probes, a sleep) run from the
# start of the file, side by side; their cases come last.
SLOW="liveness-exec liveness-http goproxy termination-demo"

setup_file() {
        examples_setup_file
        example exec-liveness.yaml http-liveness.yaml tcp-liveness-readiness.yaml termination.yaml >/dev/null
}
teardown_file() { common_teardown_file; }

# Every case deletes its own Pods (the slow ones stay until their case).
teardown() {
        local d k
        for d in "$PODCTL_ROOT"/pods/*; do
                [ -d "$d" ] || continue
                k=$(basename "$d")
                [[ " $SLOW " == *" ${k#default_} "* ]] && continue
                "$PODCTL" -n "${k%%_*}" delete pod "${k#*_}" --force --grace-period=0 >/dev/null 2>&1 || true
        done
}

ns_pod() { podctl -n "$1" get pod "$2" -o json | jq -r "$3"; }
ns_running() { [ "$(ns_pod "$1" "$2" '[.status.containerStatuses[].state | has("running")] | all')" = true ]; }

# tasks/inject-data-application/define-interdependent-environment-variables
@test "dependent-envars.yaml: \$(VAR) references expand in order; \$\$ escapes; a later variable is not expanded" {
        example dependent-envars.yaml
        wait_for 20 running dependent-envars-demo
        wait_for 10 has_logs dependent-envars-demo
        run podctl logs dependent-envars-demo
        [ "$status" -eq 0 ]
        [[ "$output" == *$'SERVICE_ADDRESS\nhttps://172.17.0.1:80\n'* ]]
        [[ "$output" == *$'UNCHANGE_REFERENCE\nESCAPED_REFERENCE\n$(PROTOCOL)://172.17.0.1:80'* ]]
        run in_pod dependent-envars-demo -- printenv UNCHANGED_REFERENCE
        [ "$output" = '$(PROTOCOL)://172.17.0.1:80' ]
}
has_logs() { [ -n "$(podctl logs "$1" 2>/dev/null)" ]; }

# tasks/inject-data-application/define-environment-variable-container
@test "envars.yaml: the container's environment has DEMO_GREETING and DEMO_FAREWELL" {
        example envars.yaml
        wait_for 20 running envar-demo
        run in_pod envar-demo -- printenv
        [ "$status" -eq 0 ]
        [[ "$output" == *"DEMO_GREETING=Hello from the environment"* ]]
        [[ "$output" == *"DEMO_FAREWELL=Such a sweet sorrow"* ]]
}

# tasks/inject-data-application/environment-variable-expose-pod-information
@test "dapi-envars-pod.yaml: fieldRef gives the node name, Pod name, namespace, IP and service account" {
        example dapi-envars-pod.yaml
        wait_for 20 running dapi-envars-fieldref
        wait_for 10 has_logs dapi-envars-fieldref
        ip=$(jq_pod dapi-envars-fieldref .status.podIP)
        # the node is this host
        node=$(hostname)
        run podctl logs dapi-envars-fieldref
        [[ "$output" == *"$node"$'\ndapi-envars-fieldref\ndefault\n'"$ip"$'\ndefault'* ]]
}

# tasks/configure-pod-container/configure-pod-configmap: envFrom
@test "pod-configmap-envFrom.yaml: every key of special-config is an environment variable" {
        example configmap-multikeys.yaml pod-configmap-envFrom.yaml
        wait_for 20 phase_is dapi-test-pod Succeeded
        run podctl logs dapi-test-pod
        [[ "$output" == *$'\nSPECIAL_LEVEL=very\n'* ]]
        [[ "$output" == *$'\nSPECIAL_TYPE=charm'* ]]
}

@test "pod-configmap-env-var-valueFrom.yaml: \$(VAR) in the command expands configMapKeyRef variables: 'very charm'" {
        example configmap-multikeys.yaml pod-configmap-env-var-valueFrom.yaml
        wait_for 20 phase_is dapi-test-pod Succeeded
        run podctl logs dapi-test-pod
        [ "$output" = "very charm" ]
}

@test "pod-configmap-volume.yaml: the volume has one file per key" {
        example configmap-multikeys.yaml pod-configmap-volume.yaml
        wait_for 20 phase_is dapi-test-pod Succeeded
        run podctl logs dapi-test-pod
        [ "$output" = $'SPECIAL_LEVEL\nSPECIAL_TYPE' ]
}

@test "pod-configmap-volume-specific-key.yaml: items put SPECIAL_LEVEL at /etc/config/keys" {
        example configmap-multikeys.yaml pod-configmap-volume-specific-key.yaml
        wait_for 20 phase_is dapi-test-pod Succeeded
        run podctl logs dapi-test-pod
        [ "$output" = very ]
}

# tasks/inject-data-application/distribute-credentials-secure
@test "secret-envars-pod.yaml: secretKeyRef variables hold the decoded Secret" {
        example secret.yaml secret-envars-pod.yaml
        wait_for 20 running secret-envars-test-pod
        run in_pod secret-envars-test-pod -- /bin/sh -c 'echo $SECRET_USERNAME; echo $SECRET_PASSWORD'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = my-app ]
        [ "${lines[1]}" = '39528$vdg7Jb' ]
}

@test "secret-pod.yaml: the Secret volume has a file per key, read-only" {
        example secret.yaml secret-pod.yaml
        wait_for 20 running secret-test-pod
        run in_pod secret-test-pod -- sh -c 'ls /etc/secret-volume; cat /etc/secret-volume/username; echo; cat /etc/secret-volume/password'
        [ "$status" -eq 0 ]
        [ "$output" = $'password\nusername\nmy-app\n39528$vdg7Jb' ]
        run in_pod secret-test-pod -- touch /etc/secret-volume/x
        [ "$status" -ne 0 ]
}

# tasks/configure-pod-container/attach-handler-lifecycle-event
@test "lifecycle-events.yaml: the postStart handler wrote /usr/share/message; delete runs preStop (nginx -s quit)" {
        example lifecycle-events.yaml
        wait_for 20 running lifecycle-demo
        run in_pod lifecycle-demo -- cat /usr/share/message
        [ "$output" = "Hello from the postStart handler" ]
        # the page's nginx serves; preStop's "nginx -s quit" ends it before
        # the stop signal (SIGTERM) is sent: the stand-in's termination
        # message names the signal that stopped it, seen by a watch
        run in_pod lifecycle-demo -- wget -q -O - http://127.0.0.1/
        [[ "$output" == *"Welcome to nginx!"* ]]
        # the binary itself (not the podctl function: its pid is what $! is),
        # without bats' fd 3 (bats waits for every holder of it)
        "$PODCTL" get pod lifecycle-demo -w -o json >"$BATS_TEST_TMPDIR/watch" 2>&1 3>&- &
        watcher=$!
        wait_for 10 grep -q running "$BATS_TEST_TMPDIR/watch"
        run podctl delete pod lifecycle-demo
        kill "$watcher"
        wait "$watcher" || true
        [ "$status" -eq 0 ]
        run jq -rs '[.[].status.containerStatuses[0].state.terminated | select(.)] | last
                | "\(.exitCode) \(.reason) \(.message | rtrimstr("\n"))"' "$BATS_TEST_TMPDIR/watch"
        [ "$status" -eq 0 ]
        [ "$output" = "0 Completed SIGQUIT" ]
}

# tasks/configure-pod-container/quality-service-pod
@test "qos-pod*.yaml: Guaranteed, Burstable, BestEffort, Burstable (two containers) in status.qosClass" {
        example qos-pod.yaml qos-pod-2.yaml qos-pod-3.yaml qos-pod-4.yaml
        [ "$(ns_pod qos-example qos-demo .status.qosClass)" = Guaranteed ]
        [ "$(ns_pod qos-example qos-demo-2 .status.qosClass)" = Burstable ]
        [ "$(ns_pod qos-example qos-demo-3 .status.qosClass)" = BestEffort ]
        [ "$(ns_pod qos-example qos-demo-4 .status.qosClass)" = Burstable ]
        wait_for 20 ns_running qos-example qos-demo
        run podctl -n qos-example describe pod qos-demo
        [[ "$output" == *"QoS Class:"*"Guaranteed"* ]]
}

# tasks/configure-pod-container/assign-memory-resource
@test "memory-request-limit.yaml: 150M under a 200Mi limit runs; -2: 250M under 100Mi is OOMKilled and restarted (Always)" {
        example memory-request-limit.yaml memory-request-limit-2.yaml
        wait_for 30 ns_running mem-example memory-demo
        wait_for 60 oomkilled
        wait_for 30 restarted_ns mem-example memory-demo-2
        # the first one holds its 150M and keeps running
        [ "$(ns_pod mem-example memory-demo '.status.containerStatuses[0].restartCount')" = 0 ]
        pid=$(podctl -n mem-example inspect pod memory-demo | jq -r '.runtime.containers["memory-demo-ctr"].pid')
        rss=0
        for p in $(pidns_members "$pid"); do
                rss=$((rss + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
        done
        [ "$rss" -gt $((140 * 1024)) ]
}
restarted_ns() { [ "$(ns_pod "$1" "$2" '.status.containerStatuses[0].restartCount')" -ge 1 ]; }
oomkilled() {
        [ "$(ns_pod mem-example memory-demo-2 '.status.containerStatuses[0].lastState.terminated.reason // .status.containerStatuses[0].state.terminated.reason // empty')" = OOMKilled ]
}

# tasks/configure-pod-container/security-context
@test "security-context.yaml: uid 1000, group 2000 added (fsGroup) and owning the volume; no_new_privs" {
        example security-context.yaml
        wait_for 20 running security-context-demo
        run in_pod security-context-demo -- id
        [[ "$output" == "uid=1000 gid=0(root) groups=0(root),2000"* ]]
        run in_pod security-context-demo -- sh -c 'stat -c %g /data/demo; echo hello >/data/demo/testfile && stat -c "%u %g" /data/demo/testfile; grep NoNewPrivs /proc/1/status'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 2000 ]
        [ "${lines[1]}" = "1000 2000" ]
        [[ "${lines[2]}" == "NoNewPrivs:"*1 ]]
}

@test "security-context-2.yaml: the container's runAsUser 2000 wins over the Pod's 1000" {
        example security-context-2.yaml
        wait_for 20 running security-context-demo-2
        run in_pod security-context-demo-2 -- id -u
        [ "$output" = 2000 ]
}

@test "security-context-4.yaml: NET_ADMIN and SYS_TIME are added to the default capabilities" {
        example security-context-4.yaml
        wait_for 20 running security-context-demo-4
        run in_pod security-context-demo-4 -- sh -c 'grep CapPrm /proc/1/status'
        [ "$status" -eq 0 ]
        # the 14 defaults (0x00000000a80425fb) + NET_ADMIN (12) + SYS_TIME (25)
        [[ "$output" == *00000000aa0435fb ]]
}

# concepts/workloads/pods/sidecar-containers (multi-container: shared volume)
@test "shared-volume.yaml: nginx serves the page the init container wrote" {
        example shared-volume.yaml
        wait_for 20 running shared-volume-example
        run in_pod shared-volume-example -c web -- wget -q -O - http://localhost/
        [ "$status" -eq 0 ]
        [ "$output" = "Hello from the init container" ]
}

# tasks/configure-pod-container/configure-liveness-readiness-startup-probes
@test "exec-liveness.yaml: after 30 s the probe fails ('cat: can't open') and the container is restarted" {
        wait_for 90 restarted liveness-exec
        run podctl describe pod liveness-exec
        [[ "$output" == *"Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory"* ]]
        [[ "$output" == *"Container liveness failed liveness probe, will be restarted"* ]]
}

@test "http-liveness.yaml: /healthz turns 500 after 10 s; the httpGet probe restarts the container" {
        wait_for 60 restarted liveness-http
        run podctl describe pod liveness-http
        [[ "$output" == *"Liveness probe failed: HTTP probe failed with statuscode: 500"* ]]
}

@test "tcp-liveness-readiness.yaml: ready once the tcpSocket probe connects after 15 s; never restarted" {
        wait_for 60 ready goproxy
        [ "$(jq_pod goproxy '.status.containerStatuses[0].restartCount')" = 0 ]
}

# tasks/debug/debug-application/determine-reason-pod-failure
@test "termination.yaml: the message written to /dev/termination-log is in lastState.terminated.message" {
        wait_for 60 term_message
}
term_message() { [ "$(jq_pod termination-demo '.status.containerStatuses[0].lastState.terminated.message // empty')" = "Sleep expired" ]; }

# tasks/configure-pod-container/configure-emptydir-volume-mode (Kubernetes 1.37)
@test "emptydir-volume-mode.yaml: the volume directory has mode 01777 (drwxrwxrwt)" {
        example emptydir-volume-mode.yaml
        wait_for 20 running emptydir-mode-demo
        run -0 in_pod emptydir-mode-demo -- ls -ld /tmp
        [[ $output == drwxrwxrwt* ]]
}
