#!/usr/bin/env bats
# hostUsers: false: the Pod in a user namespace of its own (65536 host ids),
# its image's files seen as root through idmapped layers.
bats_require_minimum_version 1.5.0
load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
teardown() { delete_all_pods; }

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
