#!/usr/bin/env bats
# Issue 16 §2, the field-effect test: for each applied field of the
# validator's schema (docs/FIELDS.md, generated from it) a Pod of pods/
# sets it and a check observes its effect (applied.tsv); for each refused
# field apply fails naming the field's path and leaves nothing behind
# (refused.tsv); a field of the schema with neither fails the first case
# (README.md).

load ../integration/helpers

FX=$BATS_TEST_DIRNAME

setup_file() {
        common_setup_file
        rm -f /run/podctl-fields-made # pods/main.yaml's hostPath FileOrCreate
        # pods/main.yaml's mountPropagation source: a shared mount
        mkdir -p /run/podctl-fields-prop
        mount --bind /run/podctl-fields-prop /run/podctl-fields-prop
        mount --make-shared /run/podctl-fields-prop
        # pods/hostns.yaml's Localhost seccomp profiles
        mkdir -p "$PODCTL_ROOT/seccomp/fields"
        echo '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}' \
                >"$PODCTL_ROOT/seccomp/fields/no-mkdir.json"
        echo '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["chmod", "fchmod", "fchmodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}' \
                >"$PODCTL_ROOT/seccomp/fields/no-chmod.json"
        # pods/groups.yaml's image: busybox whose /etc/group lists fxuser in fxgrp
        local d="$BATS_FILE_TMPDIR/groups-rootfs"
        mkdir -p "$d/etc"
        tar -xf "$PODCTL_TEST_FIXTURES/busybox-rootfs.tar" -C "$d" ./etc/passwd ./etc/group
        echo 'fxuser:x:1777:1777::/tmp:/bin/sh' >>"$d/etc/passwd"
        echo 'fxgrp:x:777:fxuser' >>"$d/etc/group"
        cp "$PODCTL_TEST_FIXTURES/busybox-rootfs.tar" "$BATS_FILE_TMPDIR/groups.tar"
        tar -rf "$BATS_FILE_TMPDIR/groups.tar" -C "$d" --owner=0 --group=0 ./etc/passwd ./etc/group
        podctl image import "$BATS_FILE_TMPDIR/groups.tar" localhost/fields-groups:1 >/dev/null
}
teardown_file() {
        common_teardown_file
        rm -f /run/podctl-fields-made
        umount -R /run/podctl-fields-prop 2>/dev/null || true
        rmdir /run/podctl-fields-prop 2>/dev/null || true
}
teardown() { delete_all_pods; }

@test "every applied field has an observation (or is on the shrinking not-yet list); every refused field a case" {
        run "$FX/coverage"
        echo "$output"
        [ "$status" -eq 0 ]
}

# observe POD NAMESPACE: run every check of applied.tsv for POD; print each
# failing one with its field; fail if one did. The exec checks of a
# container run in one exec, each in a subshell of its own (one exec per
# check would cost a process start and a setns per field).
observe() {
        local pod=$1 ns=$2 field p how check bad=0 json i=0 c
        local -a fields=() hows=() checks=()
        local -A script=()
        json=$(podctl -n "$ns" get pod "$pod" -o json)
        while IFS=$'\t' read -r field p how check; do
                [[ $field == \#* ]] && continue
                [ "$p" = "$pod" ] || continue
                fields[i]=$field hows[i]=$how checks[i]=$check
                case $how in
                exec:*)
                        c=${how#exec:}
                        script[$c]+="if ("$'\n'"$check"$'\n'") >/dev/null 2>&1; then :; else echo \"fail $i\"; fi"$'\n'
                        ;;
                json)
                        jq -e "$check" <<<"$json" >/dev/null 2>&1 || fields[i]="!$field" ;;
                log:*)
                        podctl -n "$ns" logs "$pod" -c "${how#log:}" 2>/dev/null | grep -qE -- "$check" ||
                                fields[i]="!$field" ;;
                host)
                        (eval "$check") >/dev/null 2>&1 </dev/null || fields[i]="!$field" ;;
                *)
                        fields[i]="!$field" ;;
                esac
                i=$((i + 1))
        done <"$FX/applied.tsv"
        for c in "${!script[@]}"; do
                # the host's namespaces, for the host* fields' checks; a
                # check that is not run (exec failed) is not observed either
                out=$(podctl -n "$ns" exec "$pod" -c "$c" -- env HOST_NET="$(readlink /proc/self/ns/net)" \
                        HOST_PID="$(readlink /proc/self/ns/pid)" HOST_IPC="$(readlink /proc/self/ns/ipc)" \
                        HOST_USER="$(readlink /proc/self/ns/user)" \
                        sh -c "${script[$c]}echo done" 2>&1)
                if [ "${out##*$'\n'}" != done ]; then
                        echo "exec in $pod/$c failed: $out" >&2
                        bad=1
                fi
                while read -r _ n; do
                        fields[n]="!${fields[n]}"
                done < <(grep -E '^fail [0-9]+$' <<<"$out")
        done
        for i in "${!fields[@]}"; do
                if [[ ${fields[i]} == !* ]]; then
                        echo "not observed: ${fields[i]#!} (${hows[i]}: ${checks[i]})" >&2
                        bad=1
                fi
        done
        return $bad
}

# The hostPorts of pods/ are fixed numbers: one run of this file at a time
# uses them (a concurrent run waits here); released when the test ends.
hold_host_ports() {
        exec {HOST_PORTS_FD}>>/run/podctl-tests-fields-ports.lock
        flock -w 600 "$HOST_PORTS_FD"
}

phase_in() { [ "$(podctl -n "$1" get pod "$2" -o json | jq -r .status.phase)" = "$3" ]; }
running_in() { [ "$(podctl -n "$1" get pod "$2" -o json | jq -r '[.status.containerStatuses[].state | has("running")] | all')" = true ]; }
main_ready() {
        [ "$(podctl -n fx get pod main -o json | jq -r '[.status.containerStatuses[] | .ready or (.name == "u" and .state.running != null)] | all')" = true ]
}

@test "pod main: the fields it sets are seen by its containers, in its status" {
        run -0 podctl apply -f "$FX/pods/main.yaml"
        wait_for 30 main_ready
        observe main fx
}

@test "pod once: init container fields in its log; restartPolicy and termination messages in the status" {
        run -0 podctl apply -f "$FX/pods/once.yaml"
        wait_for 60 phase_in fx once Failed
        wait_for 60 phase_in fx initfail Failed
        observe once fx
        observe initfail fx
}

@test "pod rules: a container's own restartPolicy and its restartPolicyRules restart it where the Pod's Never would not; pod fqdn: setHostnameAsFQDN" {
        run -0 podctl apply -f "$FX/pods/rules.yaml"
        wait_for 30 observed rules fx || observe rules fx
        wait_for 30 running_in fx fqdn
        observe fqdn fx
}

# observed POD NAMESPACE: observe without printing (a wait's condition: the
# probes and hooks of pods/probes.yaml leave their marks over some seconds)
observed() { observe "$@" 2>/dev/null; }

@test "pod probes: probes and lifecycle hooks of containers and sidecars, in the status and as the requests they make; pod periods: their timings and thresholds" {
        hold_host_ports
        run -0 podctl apply -f "$FX/pods/probes.yaml"
        # on a timeout, observe again to name the fields not observed
        wait_for 90 observed probes fx || observe probes fx
        wait_for 60 observed periods fx || observe periods fx
}

@test "pods/schemes.yaml: scheme HTTPS of probes and hooks, as the TLS handshake they begin; gRPC probes, as the request they send; tcpSocket hooks fail" {
        run -0 podctl apply -f "$FX/pods/schemes.yaml"
        local p
        for p in tls tls-start tls-hook grpc-start tcp-hook; do
                wait_for 30 observed "$p" fx || observe "$p" fx
        done
}

nonroot_seen() {
        [ "$(podctl -n fx get pod nonroot -o json | jq -r '[.status.containerStatuses[] |
                (.name == "a" and .state.waiting.reason == "CreateContainerConfigError") or (.name != "a" and .state.running != null)] | all')" = true ]
}
# the first container or init container of POD waits with REASON
waiting_in() {
        [ "$(podctl -n fx get pod "$1" -o json | jq -r '[.status.initContainerStatuses[]?, .status.containerStatuses[]] | map(.state.waiting.reason) | first')" = "$2" ]
}

@test "pod nonroot: runAsNonRoot of the Pod refuses a root container; a container's own setting overrides it; imagePullPolicy Never, an image volume's pullPolicy Never" {
        run podctl apply -f "$FX/pods/nonroot.yaml"
        [[ $output == *'pod/nonroot created'* ]]
        [[ $output == *'pod/neverpull2 created'* ]]
        wait_for 30 nonroot_seen
        wait_for 30 waiting_in nonroot-init CreateContainerConfigError
        wait_for 30 waiting_in neverpull ErrImageNeverPull
        wait_for 30 waiting_in neverpull2 ErrImageNeverPull
        wait_for 30 waiting_in neverpull3 ErrImageNeverPull
        local p
        for p in nonroot nonroot-init neverpull neverpull2 neverpull3; do
                observe "$p" fx
        done
}

@test "pod hostns: the host's network, PID and IPC namespaces, probes and hooks to a host there; pod userns: a user namespace of its own, Localhost seccomp profiles, procMount Unmasked" {
        hold_host_ports
        run -0 podctl apply -f "$FX/pods/hostns.yaml"
        wait_for 30 observed hostns fx || observe hostns fx
        wait_for 30 running_in fx userns
        observe userns fx
}

@test "pods strict, merge: supplementalGroupsPolicy Strict leaves out the groups the image's /etc/group gives the user" {
        run -0 podctl apply -f "$FX/pods/groups.yaml"
        wait_for 30 running_in fx strict
        wait_for 30 running_in fx merge
        observe strict fx
        observe merge fx
}

@test "pod deadline: activeDeadlineSeconds fails the Pod; pod oswin: another OS's Pod is rejected" {
        run -0 podctl apply -f "$FX/pods/deadline.yaml"
        wait_for 60 phase_in fx deadline Failed
        wait_for 30 phase_in fx oswin Failed
        observe deadline fx
        observe oswin fx
}

@test "refused fields: apply fails naming the field's path, and nothing is made" {
        local field jqx path out bad=0 base
        base='{"apiVersion":"v1","kind":"Pod","metadata":{"name":"refused"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}'
        while IFS=$'\t' read -r field jqx path; do
                [[ $field == \#* ]] && continue
                jq "$jqx" <<<"$base" >"$BATS_TEST_TMPDIR/r.json"
                if out=$(podctl apply -f "$BATS_TEST_TMPDIR/r.json" 2>&1); then
                        echo "$field: apply succeeded" >&2
                        bad=1
                elif [[ $out != *": $path: "* ]]; then
                        echo "$field: the error does not name $path: $out" >&2
                        bad=1
                fi
                if [ -n "$(ls -A "$PODCTL_ROOT/pods")" ]; then
                        echo "$field: left $(ls -A "$PODCTL_ROOT/pods") behind" >&2
                        bad=1
                        delete_all_pods
                fi
        done <"$FX/refused.tsv"
        [ "$bad" = 0 ]
}
