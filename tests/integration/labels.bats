#!/usr/bin/env bats
# Label selectors (-l) on get, delete and logs; label and annotate, as a
# kubectl user types them. Labels and annotations are metadata only: stored
# in the Pod, nothing that runs changes.

load helpers

pod_yaml() { # NAME LABELS-YAML
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels:
$2
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo hello from $1; sleep 3600"]
EOF
}

setup_file() {
        common_setup_file
        local d
        d=$(mktemp -d "$BATS_FILE_TMPDIR/m.XXXX")
        pod_yaml web-1 "    app: web
    tier: front" >"$d/a.yaml"
        pod_yaml web-2 "    app: web
    tier: back" >"$d/b.yaml"
        pod_yaml db-1 "    app: db" >"$d/c.yaml"
        for f in "$d"/*.yaml; do "$PODCTL" apply -f "$f" >/dev/null; done
}
teardown_file() { common_teardown_file; }

names() { podctl get pods "$@" -o name | sort | tr '\n' ' '; }

@test "get -l: =, ==, !=, in, notin, exists and !key select as kubectl's" {
        [ "$(names -l app=web)" = "pod/web-1 pod/web-2 " ]
        [ "$(names -l app==web)" = "pod/web-1 pod/web-2 " ]
        [ "$(names -l 'app!=web')" = "pod/db-1 " ]
        [ "$(names -l 'tier in (front, other)')" = "pod/web-1 " ]
        [ "$(names -l 'tier notin (front)')" = "pod/db-1 pod/web-2 " ]
        [ "$(names -l tier)" = "pod/web-1 pod/web-2 " ]
        [ "$(names -l '!tier')" = "pod/db-1 " ]
        [ "$(names -l app=web,tier=back)" = "pod/web-2 " ]
        [ "$(names --selector=app=db)" = "pod/db-1 " ]
        run -0 podctl get pods -l app=web
        [ "${lines[0]%% *}" = NAME ]
        [ "${#lines[@]}" -eq 3 ]
}

@test "get -l: nothing matching says so; a bad selector is refused" {
        run -0 podctl get pods -l app=nothing
        [ "$output" = "No resources found in default namespace." ]
        run -1 podctl get pods -l 'app in (web'
        [[ $output == "error: unable to parse requirement: "* ]]
        run -1 podctl get pod web-1 -l app=web
        [ "$output" = "error: name cannot be provided when a selector is specified" ]
}

@test "label: adds, refuses to overwrite without --overwrite, removes with key-" {
        run -0 podctl label pod web-1 env=prod
        [ "$output" = "pod/web-1 labeled" ]
        [ "$(jq_pod web-1 .metadata.labels.env)" = prod ]
        [ "$(names -l env=prod)" = "pod/web-1 " ]
        run -1 podctl label pod web-1 env=dev
        [ "$output" = "error: 'env' already has a value (prod), and --overwrite is false" ]
        [ "$(jq_pod web-1 .metadata.labels.env)" = prod ]
        # the same value again is no change
        run -0 podctl label pods web-1 env=prod
        [ "$output" = "pod/web-1 not labeled" ]
        run -0 podctl label --overwrite pod/web-1 env=dev
        [ "$output" = "pod/web-1 labeled" ]
        [ "$(jq_pod web-1 .metadata.labels.env)" = dev ]
        run -0 podctl label pod web-1 env-
        [ "$output" = "pod/web-1 unlabeled" ]
        [ "$(jq_pod web-1 '.metadata.labels | has("env")')" = false ]
        run -0 podctl label pod web-1 env-
        [ "${lines[0]}" = 'label "env" not found.' ]
        [ "${lines[1]}" = "pod/web-1 not labeled" ]
        # the rest of the Pod is untouched, and it still runs
        [ "$(jq_pod web-1 .metadata.labels.app)" = web ]
        container_running web-1 main
}

@test "label: -l selects the Pods; a bad key or value changes nothing" {
        run -0 podctl label pods -l app=web team=blue
        [[ $output == *"pod/web-1 labeled"* ]]
        [[ $output == *"pod/web-2 labeled"* ]]
        [ "$(names -l team=blue)" = "pod/web-1 pod/web-2 " ]
        [ "$(jq_pod db-1 '.metadata.labels | has("team")')" = false ]
        run -1 podctl label pod db-1 'bad key=x'
        [[ $output == *'Invalid value: "bad key"'* ]]
        run -1 podctl label pod db-1 'ok=bad value'
        [[ $output == *'metadata.labels: Invalid value: "bad value"'* ]]
        [ "$(jq_pod db-1 '.metadata.labels | keys | join(",")')" = app ]
        run -1 podctl label pod nope x=y
        [ "$output" = 'Error from server (NotFound): pods "nope" not found' ]
        run -1 podctl label pod db-1
        [ "$output" = "error: at least one label update is required" ]
}

@test "annotate: stored, --overwrite needed to change, key- removes" {
        run -0 podctl annotate pod db-1 description='my database'
        [ "$output" = "pod/db-1 annotated" ]
        [ "$(jq_pod db-1 .metadata.annotations.description)" = "my database" ]
        run -1 podctl annotate pod db-1 description=other
        [ "$output" = "error: --overwrite is false but found the following declared annotation(s): 'description' already has a value (my database)" ]
        run -0 podctl annotate pod db-1 --overwrite description=other
        [ "$(jq_pod db-1 .metadata.annotations.description)" = other ]
        run -0 podctl annotate pod db-1 description-
        [ "$output" = "pod/db-1 annotated" ]
        [ "$(jq_pod db-1 '.metadata | has("annotations")')" = false ]
}

@test "logs -l: the logs of every matching Pod" {
        wait_for 20 sh -c "'$PODCTL' logs web-2 | grep -q hello"
        wait_for 20 sh -c "'$PODCTL' logs web-1 | grep -q hello"
        run -0 podctl logs -l app=web
        [[ $output == *"hello from web-1"* ]]
        [[ $output == *"hello from web-2"* ]]
        [ "${#lines[@]}" -eq 2 ]
        run -0 podctl logs -l app=nothing
        [ "$output" = "No resources found in default namespace." ]
}

@test "delete -l: deletes the matching Pods only" {
        pod_yaml extra-1 "    app: extra" >"$BATS_TEST_TMPDIR/extra.yaml"
        run -0 podctl apply -f "$BATS_TEST_TMPDIR/extra.yaml"
        run -0 podctl delete pod -l app=extra
        [ "$output" = 'pod "extra-1" deleted' ]
        [ ! -e "$PODCTL_ROOT/pods/default_extra-1" ]
        [ "$(names)" = "pod/db-1 pod/web-1 pod/web-2 " ]
        run -0 podctl delete pods -l app=extra
        [ "$output" = "No resources found" ]
}
