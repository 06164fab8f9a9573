#!/usr/bin/env bats
# hostUsers: false: the Pod in a user namespace of its own (65536 host ids),
# its image's files seen as root through idmapped layers.
# tests/run: alone (snapshots of the whole host, or host-wide state)
bats_require_minimum_version 1.5.0
load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
teardown() {
        delete_all_pods
        # a test that gave the podctl user subordinate ids: the host's files back
        local f
        for f in subuid subgid; do
                if [ -e "$BATS_TEST_TMPDIR/$f.orig" ]; then cp -p "$BATS_TEST_TMPDIR/$f.orig" "/etc/$f"; fi
        done
}

userns_pod() { # NAME [EXTRA-POD-SPEC-LINE]
        manifest "$1" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  hostUsers: false
  ${2:-}
  volumes: [{name: d, emptyDir: {}}]
  containers:
  - name: c
    image: busybox
    command: [sleep, "300"]
    volumeMounts: [{name: d, mountPath: /d}]
EOF
}

@test "hostUsers: false: root in the Pod is an unprivileged host uid; image files are root's; writes land as that uid" {
        f=$(userns_pod un1)
        podctl apply -f "$f"
        wait_for 10 container_running un1 c
        run podctl exec un1 -- sh -c 'id -u; tr -s " " </proc/self/uid_map'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 0 ]
        base=$(jq -r .base "$PODCTL_ROOT/pods/default_un1/userns.json")
        [ "$base" -ge 65536 ]
        [ "${lines[1]}" = " 0 $base 65536" ]
        # the status gives the ids in the Pod's terms, as the kubelet has them from the runtime
        [ "$(jq_pod un1 '.status.containerStatuses[0].user.linux | "\(.uid):\(.gid)"')" = 0:0 ]
        # the host sees the container's PID 1 as that uid
        pid=$(pid_of un1 c)
        run awk '/^Uid:/ {print $2}' "/proc/$pid/status"
        [ "$output" = "$base" ]
        # the image's files are root's inside; root may change them (copy-up)
        run podctl exec un1 -- sh -c 'stat -c "%u %g" /bin/busybox; echo x > /etc/written && cat /etc/written'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "0 0" ]
        [ "${lines[1]}" = x ]
        podctl exec un1 -- touch /d/f
        run stat -c %u "$PODCTL_ROOT/pods/default_un1/volumes/d/f"
        [ "$output" = "$base" ]
        # capabilities are the namespace's: no mount, no host device
        run podctl exec un1 -- sh -c 'mount -t tmpfs x /mnt'
        [ "$status" -ne 0 ]
}

@test "hostUsers: false: each Pod gets its own range; hostNetwork/hostPID/hostIPC and privileged are refused" {
        podctl apply -f "$(userns_pod ua)"
        podctl apply -f "$(userns_pod ub)"
        wait_for 10 container_running ua c
        wait_for 10 container_running ub c
        a=$(jq -r .base "$PODCTL_ROOT/pods/default_ua/userns.json")
        b=$(jq -r .base "$PODCTL_ROOT/pods/default_ub/userns.json")
        [ "$a" != "$b" ]
        run podctl exec ub -- sh -c 'tr -s " " </proc/self/uid_map'
        [ "$output" = " 0 $b 65536" ]
        delete_all_pods
        # the host-wide holdings are released with the Pods
        run grep -rl "$PODCTL_ROOT" /run/podctl/userns
        [ "$status" -eq 1 ]
        before=$(snap)
        run podctl apply -f "$(userns_pod uh 'hostNetwork: true')"
        [ "$status" -ne 0 ]
        [[ $output == *"spec.hostNetwork: Forbidden: when \`hostUsers\` is false"* ]]
        assert_no_new_trace "$before"
}

@test "hostUsers: false: ids from the podctl user's ranges in /etc/subuid and /etc/subgid; a full pool or differing files refuse the Pod, leaving nothing" {
        cp -p /etc/subuid "$BATS_TEST_TMPDIR/subuid.orig"
        cp -p /etc/subgid "$BATS_TEST_TMPDIR/subgid.orig"
        # two ranges of 65536 at 16 x 65536
        echo podctl:1048576:131072 >>/etc/subuid
        echo podctl:1048576:131072 >>/etc/subgid
        podctl apply -f "$(userns_pod s1)"
        podctl apply -f "$(userns_pod s2)"
        wait_for 10 container_running s1 c
        wait_for 10 container_running s2 c
        run jq -r .base "$PODCTL_ROOT/pods/default_s1/userns.json" "$PODCTL_ROOT/pods/default_s2/userns.json"
        [ "$(sort -n <<<"$output" | tr '\n' ' ')" = "1048576 1114112 " ]
        run podctl exec s2 -- sh -c 'tr -s " " </proc/self/uid_map; tr -s " " </proc/self/gid_map'
        [[ "${lines[0]}" == " 0 1"[01]* ]]
        [ "${lines[0]}" = "${lines[1]}" ]
        # the pool is full: the third Pod is refused and leaves nothing
        before=$(snap)
        run podctl apply -f "$(userns_pod s3)"
        [ "$status" -ne 0 ]
        [[ $output == *"no free user namespace range (2 Pods with hostUsers: false hold them all)"* ]]
        [ ! -e "$PODCTL_ROOT/pods/default_s3" ]
        run new_trace "$before"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        # subuid and subgid must agree, and be whole ranges
        delete_all_pods
        echo podctl:1048576:65536 >/etc/subgid
        run podctl apply -f "$(userns_pod s4)"
        [ "$status" -ne 0 ]
        [[ $output == *"ranges in /etc/subuid and /etc/subgid differ"* ]]
        echo podctl:1000:65536 >/etc/subuid
        echo podctl:1000:65536 >/etc/subgid
        run podctl apply -f "$(userns_pod s5)"
        [ "$status" -ne 0 ]
        [[ $output == *"must start at a non-zero multiple of 65536"* ]]
        [ ! -e "$PODCTL_ROOT/pods/default_s5" ]
}

@test "hostUsers: false: a hostPath volume is idmapped: the host's ids are the Pod's, a write by the Pod's root is the host's root's" {
        local h="$BATS_TEST_TMPDIR/hp"
        mkdir -p "$h"
        echo host >"$h/root-file"
        echo user >"$h/user-file"
        chown 1000:1000 "$h/user-file"
        f=$(manifest hp <<EOF
apiVersion: v1
kind: Pod
metadata: {name: hp}
spec:
  hostUsers: false
  volumes: [{name: h, hostPath: {path: $h, type: Directory}}]
  containers:
  - name: c
    image: busybox
    command: [sleep, "300"]
    volumeMounts: [{name: h, mountPath: /h}]
EOF
        )
        podctl apply -f "$f"
        wait_for 10 container_running hp c
        run podctl exec hp -- sh -c 'stat -c "%u:%g" /h/root-file /h/user-file; echo pod >/h/new && cat /h/root-file'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = 0:0 ]
        [ "${lines[1]}" = 1000:1000 ]
        [ "${lines[2]}" = host ]
        run stat -c %u:%g "$h/new"
        [ "$output" = 0:0 ]
        # the Pod's own ids are still unprivileged on the host
        base=$(jq -r .base "$PODCTL_ROOT/pods/default_hp/userns.json")
        run awk '/^Uid:/ {print $2}' "/proc/$(pid_of hp c)/status"
        [ "$output" = "$base" ]
}
