#!/usr/bin/env bats
# ConfigMaps and Secrets as a kubectl user handles them: apply says created,
# configured or unchanged; get (table, -A, -o json|yaml|name); delete by
# name and with -f; a Pod keeps what its volume holds when its ConfigMap
# is deleted.

bats_require_minimum_version 1.5.0

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
teardown() {
        delete_all_pods
        rm -f "$PODCTL_ROOT"/objects/*.json
}

objects_yaml() { # B-VALUE
        cat <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {a: "1", b: "${1:-2}"}
---
apiVersion: v1
kind: Secret
metadata: {name: sec}
type: kubernetes.io/basic-auth
stringData: {username: admin, password: pw}
EOF
}

@test "apply: a ConfigMap or Secret is created, then unchanged, then configured" {
        objects_yaml >"$BATS_TEST_TMPDIR/o.yaml"
        run -0 podctl apply -f "$BATS_TEST_TMPDIR/o.yaml"
        [ "$output" = $'configmap/cfg created\nsecret/sec created' ]
        uid=$(podctl get configmap cfg -o json | jq -r .metadata.uid)
        [[ $uid =~ ^[0-9a-f-]{36}$ ]]
        run -0 podctl apply -f "$BATS_TEST_TMPDIR/o.yaml"
        [ "$output" = $'configmap/cfg unchanged\nsecret/sec unchanged' ]
        objects_yaml 3 >"$BATS_TEST_TMPDIR/o.yaml"
        run -0 podctl apply -f "$BATS_TEST_TMPDIR/o.yaml"
        [ "$output" = $'configmap/cfg configured\nsecret/sec unchanged' ]
        # the same object: its uid and creation time stay
        [ "$(podctl get configmap cfg -o json | jq -r .metadata.uid)" = "$uid" ]
        [ "$(podctl get cm cfg -o json | jq -r .data.b)" = 3 ]
}

@test "a Secret's type: the keys it requires are checked, it never changes on update; 1 MiB at most" {
        # kubernetes.io/tls with both keys is accepted
        cat >"$BATS_TEST_TMPDIR/tls.yaml" <<'EOF'
apiVersion: v1
kind: Secret
metadata: {name: cert}
type: kubernetes.io/tls
stringData: {tls.crt: CRT, tls.key: KEY}
EOF
        run -0 podctl apply -f "$BATS_TEST_TMPDIR/tls.yaml"
        [ "$output" = "secret/cert created" ]
        # the same name with another type: the API server's message, nothing changes
        sed 's/kubernetes.io\/tls/Opaque/' "$BATS_TEST_TMPDIR/tls.yaml" >"$BATS_TEST_TMPDIR/opaque.yaml"
        run -1 podctl apply -f "$BATS_TEST_TMPDIR/opaque.yaml"
        [[ $output == *'Secret "cert" is invalid: type: Invalid value: "Opaque": field is immutable'* ]]
        [ "$(podctl get secret cert -o json | jq -r .type)" = kubernetes.io/tls ]
        # a key the type requires is missing: refused, nothing stored
        sed 's/, tls.key: KEY//; s/name: cert/name: half/' "$BATS_TEST_TMPDIR/tls.yaml" >"$BATS_TEST_TMPDIR/half.yaml"
        run -1 podctl apply -f "$BATS_TEST_TMPDIR/half.yaml"
        [[ $output == *"data[tls.key]: Required value"* ]]
        run -1 podctl get secret half
        # more than 1 MiB of data: the API server's limit
        { printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: big}\nstringData:\n  a: '; head -c 1048577 /dev/zero | tr '\0' x; echo; } >"$BATS_TEST_TMPDIR/big.yaml"
        run -1 podctl apply -f "$BATS_TEST_TMPDIR/big.yaml"
        [[ $output == *"data: Too long: must have at most 1048576 bytes"* ]]
        run -1 podctl get secret big
}

@test "get configmaps/secrets: kubectl's columns, -A, -o name|json|yaml, NotFound" {
        objects_yaml >"$BATS_TEST_TMPDIR/o.yaml"
        podctl apply -f "$BATS_TEST_TMPDIR/o.yaml" >/dev/null
        run -0 podctl get configmaps
        [[ ${lines[0]} =~ ^NAME\ +DATA\ +AGE$ ]]
        [[ ${lines[1]} =~ ^cfg\ +2\ +[0-9]+s$ ]]
        run -0 podctl get secrets
        [[ ${lines[0]} =~ ^NAME\ +TYPE\ +DATA\ +AGE$ ]]
        [[ ${lines[1]} =~ ^sec\ +kubernetes.io/basic-auth\ +2\ + ]]
        run -0 podctl get cm -A
        [[ ${lines[0]} =~ ^NAMESPACE\ +NAME\ +DATA\ +AGE$ ]]
        [[ ${lines[1]} =~ ^default\ +cfg\ +2 ]]
        run -0 podctl get secret -o name
        [ "$output" = secret/sec ]
        run -0 podctl get secret sec -o json
        [ "$(jq -r .data.username <<<"$output" | base64 -d)" = admin ]
        [ "$(jq -r .kind <<<"$output")" = Secret ]
        run -0 podctl get cm -o yaml
        [[ $output == *"kind: List"* && $output == *"name: cfg"* ]]
        run -1 --separate-stderr podctl get cm nope
        [ "$stderr" = 'Error from server (NotFound): configmaps "nope" not found' ]
        run -0 --separate-stderr podctl -n other get secrets
        [ -z "$output" ]
        [ "$stderr" = "No resources found in other namespace." ]
}

@test "get configmaps/secrets -l: a label selector picks them by their labels, as kubectl's; a bad one is refused" {
        cat >"$BATS_TEST_TMPDIR/l.yaml" <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: web-cfg, labels: {app: web, tier: front}}
data: {a: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: db-cfg, labels: {app: db}}
data: {a: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: bare}
data: {a: "1"}
---
apiVersion: v1
kind: Secret
metadata: {name: web-sec, labels: {app: web}}
stringData: {k: v}
EOF
        run -0 podctl apply -f "$BATS_TEST_TMPDIR/l.yaml"
        run -0 podctl get cm -l app=web -o name
        [ "$output" = configmap/web-cfg ]
        run -0 podctl get configmaps --selector 'app in (web,db)' -o name
        [ "$output" = "$(printf 'configmap/db-cfg\nconfigmap/web-cfg')" ]
        run -0 podctl get cm -l '!app' -o name
        [ "$output" = configmap/bare ]
        run -0 --separate-stderr podctl get cm -lapp=web,tier!=front -o name
        [ -z "$output" ]
        run -0 podctl get secrets -l app=web -o name
        [ "$output" = secret/web-sec ]
        run -0 --separate-stderr podctl get secrets -l app=db
        [ "$stderr" = "No resources found in default namespace." ]
        run -1 podctl get cm -l 'app in (web'
        [[ $output == *"unable to parse requirement"* ]]
        run -1 podctl get cm web-cfg -l app=web
        [[ $output == *"name cannot be provided when a selector is specified"* ]]
}

@test "delete configmap/secret NAME and delete -f FILE (its objects and Pods); a Pod keeps its volume's content" {
        cat >"$BATS_TEST_TMPDIR/all.yaml" <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: appcfg}
data: {greeting: hello}
---
apiVersion: v1
kind: Pod
metadata: {name: user}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: c, configMap: {name: appcfg}}
  containers:
  - name: main
    image: busybox
    command: [sleep, "3600"]
    volumeMounts: [{name: c, mountPath: /etc/app}]
EOF
        podctl apply -f "$BATS_TEST_TMPDIR/all.yaml" >/dev/null
        wait_for 20 container_running user main
        run -0 podctl delete configmap appcfg
        [ "$output" = 'configmap "appcfg" deleted' ]
        run -1 podctl get cm appcfg
        # the running Pod still reads what the volume held
        run -0 podctl exec user -- cat /etc/app/greeting
        [ "$output" = hello ]
        run -1 --separate-stderr podctl delete configmap appcfg
        [ "$stderr" = 'Error from server (NotFound): configmaps "appcfg" not found' ]
        run -0 podctl delete configmap appcfg --ignore-not-found
        # delete -f: the file's ConfigMap and its Pod
        podctl apply -f "$BATS_TEST_TMPDIR/all.yaml" >/dev/null
        run -0 podctl delete -f "$BATS_TEST_TMPDIR/all.yaml"
        [ "${lines[0]}" = 'configmap "appcfg" deleted' ]
        [ "${lines[1]}" = 'pod "user" deleted' ]
        run -0 --separate-stderr podctl get cm -o name
        [ -z "$output" ]
        run -0 --separate-stderr podctl get pods -o name
        [ -z "$output" ]
}

@test "describe configmap/secret: a ConfigMap's values, a Secret's sizes only" {
        objects_yaml >"$BATS_TEST_TMPDIR/o.yaml"
        podctl apply -f "$BATS_TEST_TMPDIR/o.yaml" >/dev/null
        run -0 podctl describe configmap cfg
        [ "${lines[0]}" = "Name:         cfg" ]
        [[ $output == *$'Data\n====\na:\n----\n1\n'* ]]
        run -0 podctl describe secret sec
        [[ $output == *"Type:  kubernetes.io/basic-auth"* ]]
        [[ $output == *"password:  2 bytes"* ]]
        [[ $output == *"username:  5 bytes"* ]]
        [[ $output != *admin* ]]
        run -1 podctl describe cm nope
        [[ $output == *'configmaps "nope" not found'* ]]
}

@test "a Pod whose ConfigMap is missing waits in CreateContainerConfigError, tried again, and starts once the ConfigMap is applied" {
        cat >"$BATS_TEST_TMPDIR/late.yaml" <<EOF2
apiVersion: v1
kind: Pod
metadata: {name: late}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'echo "greeting=\$GREETING"; exec sleep 3600']
    env:
    - name: GREETING
      valueFrom: {configMapKeyRef: {name: latecfg, key: greeting}}
EOF2
        latecfg() { # DATA
                printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: latecfg}\ndata: %s\n' "$1" \
                        >"$BATS_TEST_TMPDIR/latecfg.yaml"
        }
        podctl apply -f "$BATS_TEST_TMPDIR/late.yaml" || true
        reason() { [ "$(jq_pod late '.status.containerStatuses[0].state.waiting.reason')" = "$1" ]; }
        wait_for 10 reason CreateContainerConfigError
        run -0 jq_pod late '.status.containerStatuses[0].state.waiting.message'
        [ "$output" = 'configmap "latecfg" not found' ]
        # tried again at each of the kubelet's syncs (10 s, scaled: 0.1 s)
        failures() {
                jq -r '[.events[] | select(.reason == "Failed") | .count] | add // 0' \
                        "$PODCTL_ROOT/pods/default_late/status.json"
        }
        tried() { [ "$(failures)" -ge 3 ]; }
        wait_for 10 tried
        run -0 jq_pod late '.status.containerStatuses[0].restartCount'
        [ "$output" = 0 ]
        # the ConfigMap arrives without the key, then with it: the
        # container starts with its value
        message() { [ "$(jq_pod late '.status.containerStatuses[0].state.waiting.message')" = "$1" ]; }
        latecfg '{other: x}'
        podctl apply -f "$BATS_TEST_TMPDIR/latecfg.yaml" >/dev/null
        wait_for 10 message "couldn't find key greeting in ConfigMap default/latecfg"
        latecfg '{greeting: hello}'
        podctl apply -f "$BATS_TEST_TMPDIR/latecfg.yaml" >/dev/null
        wait_for 10 container_running late main
        wait_for 10 bash -c "'$PODCTL' --root '$PODCTL_ROOT' logs late | grep -qx greeting=hello"
        run -0 jq_pod late '.status.containerStatuses[0].restartCount'
        [ "$output" = 0 ]
}
