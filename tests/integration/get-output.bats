#!/usr/bin/env bats
# get -o jsonpath=..., -o custom-columns=..., --sort-by, as a kubectl user
# types them, against real Pods.

load helpers

pod_yaml() { # NAME GRACE COMMAND
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels:
    app: $1
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: $2
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "$3"]
  - name: side
    image: busybox
    command: ["sh", "-c", "$3"]
EOF
}

setup_file() {
        common_setup_file
        local d
        d=$(mktemp -d "$BATS_FILE_TMPDIR/m.XXXX")
        pod_yaml p10 5 "sleep 3600" >"$d/a.yaml"
        pod_yaml p2 20 "sleep 3600" >"$d/b.yaml"
        pod_yaml p1 1 "true" >"$d/c.yaml"
        for f in "$d"/*.yaml; do "$PODCTL" apply -f "$f" >/dev/null; done
}
teardown_file() { common_teardown_file; }

@test "-o jsonpath: fields, [*], [n], a filter, range/end and {\"\\n\"}" {
        wait_for 30 phase_is p1 Succeeded
        run -0 podctl get pod p2 -o jsonpath='{.metadata.name}'
        [ "$output" = p2 ]
        run -0 podctl get pod p2 -o 'jsonpath={.spec.containers[*].name}'
        [ "$output" = "main side" ]
        run -0 podctl get pod p2 -o=jsonpath='{.spec.containers[1].name}'
        [ "$output" = side ]
        run -0 podctl get pods -o jsonpath='{.kind}'
        [ "$output" = List ]
        run -0 podctl get pods -o jsonpath='{.items[?(@.status.phase=="Succeeded")].metadata.name}'
        [ "$output" = p1 ]
        run -0 podctl get pods --sort-by=.metadata.name -o jsonpath='{range .items[*]}{.metadata.name}={.spec.terminationGracePeriodSeconds}{"\n"}{end}'
        [ "$output" = "$(printf 'p1=1\np2=20\np10=5')" ]
        run -0 podctl get pod p2 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}'
        [ "$output" = True ]
        # a field that is not there prints nothing, as kubectl
        run -0 podctl get pod p2 -o jsonpath='{.metadata.nothing}'
        [ "$output" = "" ]
}

@test "-o jsonpath: a malformed template is refused with kubectl's words" {
        run -1 podctl get pods -o jsonpath='{.metadata.name'
        [ "$output" = "error: error parsing jsonpath {.metadata.name, unclosed action" ]
        run -1 podctl get pods -o jsonpath
        [ "$output" = "error: template format specified but no template given" ]
        run -1 podctl get pods -o bogus
        [[ $output == 'error: unable to match a printer suitable for the output format "bogus"'* ]]
}

@test "-o custom-columns: headers, values, <none> and a bad spec" {
        run -0 podctl get pods --sort-by=.metadata.name -o custom-columns='NAME:.metadata.name,GRACE:.spec.terminationGracePeriodSeconds,CONTAINERS:.spec.containers[*].name,NODE:.spec.nothing'
        [ "${lines[0]}" = "NAME   GRACE   CONTAINERS   NODE" ]
        [ "${lines[1]}" = "p1     1       main,side    <none>" ]
        [ "${lines[2]}" = "p2     20      main,side    <none>" ]
        [ "${lines[3]}" = "p10    5       main,side    <none>" ]
        run -0 podctl get pod p2 -o custom-columns=APP:metadata.labels.app --no-headers
        [ "$output" = p2 ]
        run -1 podctl get pods -o custom-columns=NAME
        [ "$output" = "error: unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>" ]
}

@test "--sort-by: natural order of strings, numbers by value, on the table too" {
        run -0 podctl get pods --sort-by=.metadata.name -o name
        [ "$output" = "$(printf 'pod/p1\npod/p2\npod/p10')" ]
        run -0 podctl get pods --sort-by='{.spec.terminationGracePeriodSeconds}' -o name
        [ "$output" = "$(printf 'pod/p1\npod/p10\npod/p2')" ]
        run -0 podctl get pods --sort-by=.spec.terminationGracePeriodSeconds
        [ "${lines[1]%% *}" = p1 ]
        [ "${lines[2]%% *}" = p10 ]
        [ "${lines[3]%% *}" = p2 ]
        run -0 podctl get pods --sort-by=.spec.terminationGracePeriodSeconds -o json
        [ "$(jq -r '[.items[].metadata.name] | join(",")' <<<"$output")" = "p1,p10,p2" ]
}

@test "the listing's cache (list.json): what the Pods' files give; a label's change seen at once" {
        wait_for 30 phase_is p1 Succeeded
        rm -f "$PODCTL_ROOT"/pods/*/list.json
        run -0 podctl get pods -o json
        local files=$output
        [ -s "$PODCTL_ROOT/pods/default_p2/list.json" ]
        run -0 podctl get pods -o json
        [ "$output" = "$files" ]
        [ "$(jq -r '[.items[].metadata.name] | join(",")' <<<"$output")" = "p1,p10,p2" ]
        [ "$(jq -r '.items[2].spec.containers[1].name' <<<"$output")" = side ]
        # the table from the rows (AGE aside), cached or not
        run -0 podctl get pods -o wide --no-headers
        local table
        table=$(awk '{$5 = ""; print}' <<<"$output")
        [[ $table == *"p1 0/2 Completed 0"* ]]
        rm -f "$PODCTL_ROOT"/pods/*/list.json
        run -0 podctl get pods -o wide --no-headers
        [ "$(awk '{$5 = ""; print}' <<<"$output")" = "$table" ]
        # label rewrites pod.json: the next listing sees it, in every view
        podctl label pod p2 tier=web >/dev/null
        run -0 podctl get pods -l tier=web -o name
        [ "$output" = pod/p2 ]
        run -0 podctl get pods -l tier=web -o json
        [ "$(jq -r '.items[0].metadata.labels.tier' <<<"$output")" = web ]
        podctl label pod p2 tier- >/dev/null
        run -0 podctl get pods -l tier=web -o name
        [ "$output" = "" ]
        run -0 podctl get pods -o json
        [ "$(jq -r '.items[2].metadata.labels | keys | join(",")' <<<"$output")" = app ]
}
