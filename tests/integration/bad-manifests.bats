#!/usr/bin/env bats
# Bad manifests through the CLI: every file of the spec corpus
# (tests/data/manifests/bad) is refused by `podctl apply` with its diagnostic
# on stderr and leaves nothing behind; stdin, JSON, multi-document files and
# lists are all-or-nothing; unsupported fields warn, and fail when strict.
# tests/run: alone (snapshots of the whole host, or host-wide state)

load helpers

BAD_DIR="$REPO/tests/data/manifests/bad"

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

teardown() { delete_all_pods; }

# ---- local helpers -------------------------------------------------------------

# trace_snapshot plus this root's objects/.
snap() {
        trace_snapshot
        ls -A "$PODCTL_ROOT/objects" 2>/dev/null | sed 's|^|objects/|' || true
}

# apply_capture ARGS...: run podctl ARGS, stdout in $out, stderr in $err,
# exit status in $rc (bats' run mixes the two streams).
apply_capture() {
        local o="$BATS_TEST_TMPDIR/stdout" e="$BATS_TEST_TMPDIR/stderr"
        rc=0
        podctl "$@" >"$o" 2>"$e" || rc=$?
        out=$(cat "$o")
        err=$(cat "$e")
}

# Every stderr line is a diagnostic "[error|Warning]: FILE:LINE:COL: ...".
all_lines_are_diagnostics() { # FILE-AS-SHOWN
        local l
        while IFS= read -r l; do
                [ -n "$l" ] || continue
                [[ $l =~ ^(error|Warning):\ (.+):[0-9]+:[0-9]+:\  ]] &&
                        [ "${BASH_REMATCH[2]}" = "$1" ] || {
                        echo "not a FILE:LINE:COL diagnostic: $l" >&2
                        return 1
                }
        done <<<"$err"
}

# ---- the corpus ----------------------------------------------------------------

@test "every corpus manifest is refused by apply with its diagnostic and leaves no trace" {
        cd "$BAD_DIR"
        local f expect args n=0 failures=() before
        before=$(snap)
        for f in *.yaml *.json; do
                [ -f "$f" ] || continue
                n=$((n + 1))
                expect=$(sed -n '1s/^# expect: //p' "$f")
                if [ -z "$expect" ]; then
                        failures+=("$f: no '# expect: ' first line")
                        continue
                fi
                args=(apply -f "$f")
                if sed -n 2p "$f" | grep -q '^# strict'; then args+=(--validate=strict); fi
                apply_capture "${args[@]}"
                [ "$rc" -ne 0 ] || failures+=("$f: podctl ${args[*]} exited 0")
                [[ $err == *"$expect"* ]] ||
                        failures+=("$f: stderr lacks \"$expect\"; got: $err")
                [[ $err == *"error: $f:"* ]] ||
                        failures+=("$f: no \"error: $f:\" line; got: $err")
                all_lines_are_diagnostics "$f" 2>/dev/null ||
                        failures+=("$f: stderr has a line that is not FILE:LINE:COL: ...: $err")
                [ -z "$out" ] || failures+=("$f: stdout not empty: $out")
                assert_no_new_trace "$before" 2>"$BATS_TEST_TMPDIR/trace" ||
                        failures+=("$f: $(cat "$BATS_TEST_TMPDIR/trace")")
                delete_all_pods
        done
        echo "$n corpus files checked"
        if [ ${#failures[@]} -gt 0 ]; then
                printf '%s\n' "${failures[@]}" >&2
                return 1
        fi
        [ "$n" -ge 30 ]
}

# ---- stdin, JSON, several errors -----------------------------------------------

# A Pod that would run (the image is loaded) but for one bad port.
@test "stdin (-f -): diagnostics name <stdin>, nothing is created" {
        before=$(snap)
        apply_capture apply -f - <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: from-stdin
spec:
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    ports:
    - containerPort: 0
EOF
        [ "$rc" -ne 0 ]
        [[ $err == *"<stdin>:11:7: spec.containers[0].ports[0].containerPort: Invalid value: 0"* ]]
        all_lines_are_diagnostics "<stdin>"
        [ -z "$out" ]
        assert_no_new_trace "$before"
        run podctl get pod from-stdin
        [ "$status" -ne 0 ]
        [[ $output == *'pods "from-stdin" not found'* ]]
}

@test "JSON manifest: every error with its JSON line:col, nothing is created" {
        f="$BATS_TEST_TMPDIR/bad-pod.json"
        cat >"$f" <<'EOF'
{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "json-bad"},
  "spec": {
    "containers": [
      {"name": "app", "image": "busybox", "command": ["sleep", "3600"],
       "env": [{"name": "1BAD", "value": "x"}],
       "ports": [{"containerPort": 70000}]}
    ]
  }
}
EOF
        before=$(snap)
        apply_capture apply -f "$f"
        [ "$rc" -ne 0 ]
        [[ $err == *"$f:8:17: spec.containers[0].env[0].name: Invalid value: \"1BAD\""* ]]
        [[ $err == *"$f:9:19: spec.containers[0].ports[0].containerPort: Invalid value: 70000"* ]]
        all_lines_are_diagnostics "$f"
        [ -z "$out" ]
        assert_no_new_trace "$before"
        run podctl get pod json-bad
        [ "$status" -ne 0 ]
}

@test "JSON syntax error: file:line:col, nothing is created" {
        f="$BATS_TEST_TMPDIR/broken.json"
        printf '{"apiVersion": "v1", "kind": "Pod",\n "metadata": {"name": "broken"},\n "spec": {"containers": [}\n}\n' >"$f"
        before=$(snap)
        apply_capture apply -f "$f"
        [ "$rc" -ne 0 ]
        [[ $err == *"error: $f:3:"* ]]
        all_lines_are_diagnostics "$f"
        [ -z "$out" ]
        assert_no_new_trace "$before"
}

@test "every error of a manifest is printed, not only the first" {
        f=$(manifest many-errors <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: many-errors
  labels:
    tier: "-front"
spec:
  restartPolicy: Sometimes
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts:
    - name: missing
      mountPath: /data
  - name: app
    image: busybox
EOF
)
        before=$(snap)
        apply_capture apply -f "$f"
        [ "$rc" -ne 0 ]
        [[ $err == *"$f:6:5: metadata.labels.tier: Invalid value: \"-front\""* ]]
        [[ $err == *"$f:8:3: spec.restartPolicy: Unsupported value: \"Sometimes\""* ]]
        [[ $err == *"spec.containers[0].volumeMounts[0].name: Not found: \"missing\""* ]]
        [[ $err == *"spec.containers[1].name: Duplicate value: \"app\""* ]]
        [ "$(grep -c '^error: ' <<<"$err")" -ge 4 ]
        all_lines_are_diagnostics "$f"
        assert_no_new_trace "$before"
}

# ---- all or nothing ------------------------------------------------------------

@test "multi-document file, second document bad: the first (valid) Pod is not created either" {
        f=$(manifest multidoc <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: first-ok
spec:
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-ok
data:
  k: v
---
apiVersion: v1
kind: Pod
metadata:
  name: second-bad
spec:
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts:
    - name: nowhere
      mountPath: relative/path
EOF
)
        before=$(snap)
        apply_capture apply -f "$f"
        [ "$rc" -ne 0 ]
        [[ $err == *"$f:29:7: spec.containers[0].volumeMounts[0].mountPath: Invalid value: \"relative/path\""* ]]
        [[ $err == *"$f:28:7: spec.containers[0].volumeMounts[0].name: Not found: \"nowhere\""* ]]
        [ -z "$out" ]
        assert_no_new_trace "$before"
        run podctl get pod first-ok
        [ "$status" -ne 0 ]
        [[ $output == *'pods "first-ok" not found'* ]]
        run podctl get pods -o name
        [ "$output" = "" ]
        # the valid document alone does apply: the failure was the second one
        head -n 9 "$f" >"$BATS_TEST_TMPDIR/first.yaml"
        run podctl apply -f "$BATS_TEST_TMPDIR/first.yaml"
        [ "$status" -eq 0 ]
        [ "$output" = "pod/first-ok created" ]
        podctl delete pod first-ok --force --grace-period=0
        assert_no_new_trace "$before"
}

@test "List with a ConfigMap, a good Pod and a bad Pod: nothing is created" {
        f=$(manifest list <<'EOF'
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: list-cm}
  data: {k: v}
- apiVersion: v1
  kind: Pod
  metadata: {name: list-good}
  spec:
    containers:
    - {name: app, image: busybox, command: ["sleep", "3600"]}
- apiVersion: v1
  kind: Pod
  metadata: {name: list-bad}
  spec:
    containers:
    - {name: app, image: busybox, command: ["sleep", "3600"], ports: [{containerPort: 99999}]}
EOF
)
        before=$(snap)
        apply_capture apply -f "$f"
        [ "$rc" -ne 0 ]
        [[ $err == *"$f:19:"*"items[2].spec.containers[0].ports[0].containerPort: Invalid value: 99999"* ]]
        [ -z "$out" ]
        assert_no_new_trace "$before"
        [ -z "$(ls -A "$PODCTL_ROOT/objects" 2>/dev/null)" ]
        run podctl get pod list-good
        [ "$status" -ne 0 ]
}

# ---- warnings and --validate=strict --------------------------------------------

unsupported_pod() {
        manifest unsupported <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: unsupported
spec:
  restartPolicy: Never
  nodeSelector:
    disktype: ssd
  tolerations:
  - {key: k, operator: Exists}
  schedulerName: my-scheduler
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    # valid: it acts on an in-place resize only (resize.bats)
    resizePolicy:
    - resourceName: cpu
      restartPolicy: NotRequired
EOF
}

@test "unsupported fields: a Warning naming each field path, and the Pod runs" {
        f=$(unsupported_pod)
        before=$(snap)
        apply_capture apply -f "$f"
        [ "$rc" -eq 0 ]
        [ "$out" = "pod/unsupported created" ]
        [[ $err == *"Warning: $f:7:3: spec.nodeSelector: "* ]]
        [[ $err == *"Warning: $f:9:3: spec.tolerations: "* ]]
        [[ $err == *"Warning: $f:11:3: spec.schedulerName: not supported by podctl (scheduling: one node, nothing to choose); ignored"* ]]
        [[ $err != *"error"* ]]
        [[ $err != *resizePolicy* ]]
        all_lines_are_diagnostics "$f"
        wait_for 10 phase_is unsupported Running
        run podctl exec unsupported -- echo inside
        [ "$output" = inside ]
        run podctl delete pod unsupported --force --grace-period=0
        [ "$status" -eq 0 ]
        assert_no_new_trace "$before"
}

@test "unsupported fields with --validate=strict: still Warnings (valid Kubernetes fields, as kubectl's strict accepts them)" {
        f=$(unsupported_pod)
        before=$(snap)
        apply_capture apply -f "$f" --validate=strict
        [ "$rc" -eq 0 ]
        [ "$out" = "pod/unsupported created" ]
        [[ $err == *"Warning: $f:7:3: spec.nodeSelector: "* ]]
        [[ $err == *"Warning: $f:9:3: spec.tolerations: "* ]]
        all_lines_are_diagnostics "$f"
        run podctl delete pod unsupported --force --grace-period=0
        [ "$status" -eq 0 ]
        assert_no_new_trace "$before"
}

@test "unknown field: an error by default (kubectl's strict), a Warning with warn, dropped with ignore" {
        f=$(manifest typo <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: typo
spec:
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    imagePullPolcy: Never
EOF
)
        before=$(snap)
        for v in --validate=strict --validate=true --validate ""; do
                apply_capture apply -f "$f" $v
                [ "$rc" -eq 1 ]
                [ "$err" = "error: $f:10:5: spec.containers[0].imagePullPolcy: unknown field \"imagePullPolcy\"" ]
                [ -z "$out" ]
                assert_no_new_trace "$before"
        done

        apply_capture apply -f "$f" --validate=warn
        [ "$rc" -eq 0 ]
        [ "$out" = "pod/typo created" ]
        [ "$err" = "Warning: $f:10:5: spec.containers[0].imagePullPolcy: unknown field \"imagePullPolcy\"" ]
        podctl delete pod typo --force --grace-period=0
        assert_no_new_trace "$before"

        apply_capture apply -f "$f" --validate=ignore
        [ "$rc" -eq 0 ]
        [ "$out" = "pod/typo created" ]
        [ -z "$err" ]
        [ "$(jq_pod typo '.spec.containers[0] | has("imagePullPolcy")')" = false ]
        podctl delete pod typo --force --grace-period=0
        assert_no_new_trace "$before"
}

@test "an invalid --validate value is refused before anything is read or created" {
        before=$(snap)
        apply_capture apply -f "$BAD_DIR/10-bad-pod-name.yaml" --validate=sometimes
        [ "$rc" -ne 0 ]
        [[ $err == *'invalid --validate value "sometimes"'* ]]
        assert_no_new_trace "$before"
}
