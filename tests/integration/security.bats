#!/usr/bin/env bats
# Security: a default container is held as runc holds it, every
# securityContext field is applied or the Pod refused, and attacks from inside
# a container fail with the kernel's answer.
# tests/run: alone (snapshots of the whole host, or host-wide state)
bats_require_minimum_version 1.5.0
load helpers

setup_file() {
        common_setup_file
        # busybox + probe + a setuid-root copy of probe (for allowPrivilegeEscalation)
        local d="$BATS_FILE_TMPDIR/suid-rootfs"
        mkdir -p "$d/usr/bin"
        cp "$PROBE" "$d/usr/bin/probe"
        cp "$PROBE" "$d/usr/bin/suid-probe"
        cp "$PODCTL_TEST_FIXTURES/busybox-rootfs.tar" "$BATS_FILE_TMPDIR/suid.tar"
        tar -rf "$BATS_FILE_TMPDIR/suid.tar" -C "$d" --owner=0 --group=0 ./usr/bin/probe
        tar -rf "$BATS_FILE_TMPDIR/suid.tar" -C "$d" --owner=0 --group=0 --mode=4755 \
                ./usr/bin/suid-probe
        podctl image import "$BATS_FILE_TMPDIR/suid.tar" localhost/suid:latest >/dev/null
}

teardown_file() { common_teardown_file; }

teardown() {
        delete_all_pods
        rm -f "$PODCTL_ROOT/config.json"
        rm -rf "$PODCTL_ROOT/seccomp"
}

# pod NAME [CONTAINER-SECURITY-CONTEXT-YAML] [POD-SECURITY-CONTEXT-YAML] [IMAGE]
# A one-container Pod that sleeps; the securityContexts are flow-style YAML.
pod() {
        manifest "$1" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  restartPolicy: Never
  securityContext: ${3:-{\}}
  containers:
  - name: c
    image: ${4:-busybox}
    command: [sleep, "300"]
    securityContext: ${2:-{\}}
EOF
}

run_pod() {
        local f
        f=$(pod "$@")
        podctl apply -f "$f" >/dev/null
        wait_for 10 container_running "$1" c
}

waiting_reason_is() {
        [ "$(jq_pod "$1" '.status.containerStatuses[0].state.waiting.reason')" = "$2" ]
}

in_c() {
        local p=$1
        shift
        podctl exec "$p" -- sh -c "$*"
}

@test "exec: the command has the container's groups, the image's /etc/group memberships included" {
        local d=$BATS_TEST_TMPDIR/grp f pid
        mkdir -p "$d"
        tar -xf "$PODCTL_TEST_FIXTURES/busybox-rootfs.tar" -C "$d"
        echo 'u1777:x:1777:1777::/:/bin/sh' >>"$d/etc/passwd"
        echo 'staff:x:777:u1777' >>"$d/etc/group"
        tar -cf "$BATS_TEST_TMPDIR/grp.tar" -C "$d" .
        podctl image import "$BATS_TEST_TMPDIR/grp.tar" local/grp:1 >/dev/null
        f=$(manifest grp <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: grp
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {runAsUser: 1777, supplementalGroups: [4242]}
  containers:
  - name: c
    image: local/grp:1
    command: [sleep, "3600"]
EOF
        )
        podctl apply -f "$f"
        wait_for 20 container_running grp c
        pid=$(pid_of grp c)
        # the container's process: its /etc/group membership and supplementalGroups
        grep -qw 777 <(awk '/^Groups:/' "/proc/$pid/status")
        grep -qw 4242 <(awk '/^Groups:/' "/proc/$pid/status")
        # an exec'd command: the same groups
        run -0 podctl exec grp -- id -G
        [[ " $output " == *" 777 "* && " $output " == *" 4242 "* ]]
}

@test "default: /proc/sys and /proc/sysrq-trigger are read-only, the host's sysctls unchanged" {
        run_pod def
        before=$(cat /proc/sys/vm/overcommit_ratio)
        run in_c def 'echo 77 > /proc/sys/vm/overcommit_ratio'
        [ "$status" -ne 0 ]
        [[ $output == *"Read-only file system"* ]]
        [ "$(cat /proc/sys/vm/overcommit_ratio)" = "$before" ]
        if [ -e /proc/sysrq-trigger ]; then
                run in_c def 'echo h > /proc/sysrq-trigger'
                [ "$status" -ne 0 ]
                [[ $output == *"Read-only file system"* ]]
        fi
        run in_c def 'grep -E " /proc/(sys|bus|fs|irq) " /proc/self/mountinfo | grep -c " ro,"'
        [ "$status" -eq 0 ]
        [ "$output" -ge 2 ]
}

@test "default: /proc/keys, /proc/timer_list and /proc/kcore are masked, /sys is read-only" {
        run_pod masks
        run in_c masks 'wc -c < /proc/keys; wc -c < /proc/timer_list'
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf '0\n0')" ]
        # masked files are the host's /dev/null (1:3)
        run in_c masks 'stat -c %t:%T /proc/keys /proc/timer_list'
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf '1:3\n1:3')" ]
        if [ -e /proc/kcore ]; then
                run in_c masks 'stat -c %t:%T /proc/kcore'
                [ "$output" = "1:3" ]
        fi
        run in_c masks 'ls -A /proc/acpi /sys/firmware | grep -v : | grep -c .'
        [ "$output" = 0 ]
        run in_c masks 'touch /sys/kernel/x'
        [ "$status" -ne 0 ]
        [[ $output == *"Read-only file system"* ]]
}

@test "default: a block device made with mknod cannot be read (device cgroup); /dev holds only the default devices" {
        run_pod dev
        run in_c dev 'mknod /tmp/loop0 b 7 0 && dd if=/tmp/loop0 bs=512 count=1 of=/dev/null'
        [ "$status" -ne 0 ]
        [[ $output == *"Operation not permitted"* ]]
        run in_c dev 'mknod /tmp/mem c 1 1 && head -c1 /tmp/mem'
        [ "$status" -ne 0 ]
        [[ $output == *"Operation not permitted"* ]]
        run in_c dev 'echo ok > /dev/null && head -c 4 /dev/urandom | wc -c'
        [ "$status" -eq 0 ]
        [ "$output" = 4 ]
        run in_c dev 'cd /dev && for f in *; do [ ! -L "$f" ] && [ -c "$f" -o -b "$f" ] && echo "$f"; done | sort | tr "\n" " "'
        [ "$output" = "full null random tty urandom zero " ]
        run in_c dev 'test -e /dev/console || test -e /dev/loop-control || test -e /dev/fuse'
        [ "$status" -ne 0 ]
}

@test "default: /dev/shm is the Pod's own 64 MiB tmpfs (nosuid,nodev,noexec), shared by its containers, not on the host" {
        f=$(manifest shm <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: shm}
spec:
  containers:
  - {name: a, image: busybox, command: [sleep, "300"]}
  - {name: b, image: busybox, command: [sleep, "300"]}
EOF
        )
        podctl apply -f "$f"
        wait_for 10 container_running shm b
        run podctl exec shm -c a -- sh -c 'grep " /dev/shm " /proc/self/mountinfo'
        [ "$status" -eq 0 ]
        [[ $output == *" - tmpfs "* ]]
        [[ $output == *"nosuid"* ]]
        [[ $output == *"nodev"* ]]
        [[ $output == *"noexec"* ]]
        [[ $output == *"size=65536k"* ]]
        podctl exec shm -c a -- sh -c 'echo hello > /dev/shm/x'
        run podctl exec shm -c b -- cat /dev/shm/x
        [ "$output" = hello ]
        # nothing on the host's disk, no host mount
        run find "$PODCTL_ROOT/pods/default_shm/shm" -mindepth 1
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        run grep -c "$PODCTL_ROOT.*shm" /proc/self/mountinfo
        [ "$output" = 0 ]
}

@test "seccomp: RuntimeDefault by default (unshare and mount refused); Unconfined and seccompDefault: false lift it" {
        run_pod sc1
        run in_c sc1 'grep Seccomp: /proc/self/status'
        [ "$output" = "Seccomp:	2" ]
        run in_c sc1 'unshare -U true'
        [ "$status" -ne 0 ]
        [[ $output == *"Operation not permitted"* ]]
        run_pod sc2 '{seccompProfile: {type: Unconfined}}'
        run in_c sc2 'grep Seccomp: /proc/self/status; unshare -U true && echo unshared'
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf 'Seccomp:\t0\nunshared')" ]
        echo '{"seccompDefault": false}' >"$PODCTL_ROOT/config.json"
        run_pod sc3
        run in_c sc3 'grep Seccomp: /proc/self/status'
        [ "$output" = "Seccomp:	0" ]
        run_pod sc4 '' '{seccompProfile: {type: RuntimeDefault}}'
        run in_c sc4 'grep Seccomp: /proc/self/status'
        [ "$output" = "Seccomp:	2" ]
}

@test "seccomp: a Localhost profile from <root>/seccomp is applied (to exec too); a missing one refuses the Pod and leaves nothing" {
        mkdir -p "$PODCTL_ROOT/seccomp/team"
        cat >"$PODCTL_ROOT/seccomp/team/no-mkdir.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
EOF
        run_pod lh '{seccompProfile: {type: Localhost, localhostProfile: team/no-mkdir.json}}'
        run in_c lh 'mkdir /tmp/d'
        [ "$status" -ne 0 ]
        [[ $output == *"Permission denied"* ]]
        delete_all_pods
        before=$(snap)
        f=$(pod lh2 '{seccompProfile: {type: Localhost, localhostProfile: team/none.json}}')
        run podctl apply -f "$f"
        [ "$status" -ne 0 ]
        [[ $output == *"seccomp profile"*"team/none.json"*"No such file"* ]]
        assert_no_new_trace "$before"
}

@test "allowPrivilegeEscalation: false sets no_new_privs: a setuid binary gains nothing" {
        run_pod nnp0 '{runAsUser: 1000}' '' localhost/suid
        run in_c nnp0 '/usr/bin/suid-probe ids; grep NoNewPrivs /proc/self/status'
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf '1000 0\nNoNewPrivs:\t0')" ]
        run_pod nnp1 '{runAsUser: 1000, allowPrivilegeEscalation: false}' '' localhost/suid
        run in_c nnp1 '/usr/bin/suid-probe ids; grep NoNewPrivs /proc/self/status'
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf '1000 1000\nNoNewPrivs:\t1')" ]
}

@test "capabilities: the default 14, drop ALL, add NET_ADMIN; privileged gets all, the host's devices and a writable /sys" {
        run_pod cap0
        run in_c cap0 'grep -E "^Cap(Eff|Bnd|Inh)" /proc/self/status'
        [ "$output" = "$(printf 'CapInh:\t0000000000000000\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb')" ]
        run_pod cap1 '{capabilities: {drop: [ALL]}}'
        run in_c cap1 'grep -E "^Cap(Eff|Bnd)" /proc/self/status; chown 1 /tmp'
        [ "$status" -ne 0 ]
        [ "${lines[0]}" = "CapEff:	0000000000000000" ]
        [ "${lines[1]}" = "CapBnd:	0000000000000000" ]
        [[ $output == *"Operation not permitted"* ]]
        run_pod cap2 '{capabilities: {add: [NET_ADMIN], drop: [KILL]}}'
        run in_c cap2 'grep CapEff /proc/self/status'
        # a80425fb + NET_ADMIN (1<<12) - KILL (1<<5)
        [ "$output" = "CapEff:	00000000a80435db" ]
        run_pod priv '{privileged: true}'
        run in_c priv 'grep CapBnd /proc/self/status; grep " /sys " /proc/self/mountinfo; grep Seccomp: /proc/self/status'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "CapBnd:	$(awk '/CapBnd/ {print $2}' /proc/self/status)" ]
        [[ ${lines[1]} == *" rw,"* ]]
        [ "${lines[2]}" = "Seccomp:	0" ]
        run in_c priv 'ls /dev | grep -c .'
        [ "$output" -gt 20 ]
}

@test "runAsNonRoot: a root image is refused with CreateContainerConfigError; a non-root runAsUser runs" {
        f=$(pod nr '' '{runAsNonRoot: true}')
        run podctl apply -f "$f"
        [[ $output == *"container has runAsNonRoot and image will run as root"* ]]
        wait_for 10 waiting_reason_is nr CreateContainerConfigError
        [ "$(pod_phase nr)" = Pending ]
        # the kubelet's message, as it is (nothing after the container's name)
        [[ $(jq_pod nr '.status.containerStatuses[0].state.waiting.message') =~ ^container\ has\ runAsNonRoot\ and\ image\ will\ run\ as\ root\ \(pod:\ \"nr_default\(.*\)\",\ container:\ [a-z0-9-]+\)$ ]]
        run podctl describe pod nr
        [[ $output == *"container has runAsNonRoot and image will run as root"* ]]
        f=$(pod nr0 '{runAsUser: 0}' '{runAsNonRoot: true}')
        run podctl apply -f "$f"
        [[ $output == *"container's runAsUser breaks non-root policy"* ]]
        run_pod nr1 '{runAsUser: 1000}' '{runAsNonRoot: true}'
        run in_c nr1 'id -u'
        [ "$output" = 1000 ]
}

@test "supplementalGroups and fsGroup: in every container's groups; emptyDir owned by fsGroup with setgid" {
        f=$(manifest fsg <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: fsg}
spec:
  securityContext: {runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], fsGroup: 2000}
  volumes: [{name: data, emptyDir: {}}]
  containers:
  - name: c
    image: busybox
    command: [sleep, "300"]
    volumeMounts: [{name: data, mountPath: /data}]
EOF
        )
        podctl apply -f "$f"
        wait_for 10 container_running fsg c
        run podctl exec fsg -- sh -c 'id -u; id -g; id -G; stat -c "%g %A" /data; touch /data/f && stat -c %g /data/f'
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf '1000\n3000\n3000 2000 4000\n2000 drwxrwsrwx\n2000')" ]
}

@test "sysctls: a safe one is set in the Pod only; an unsafe one is refused unless allowlisted; a node-wide one never" {
        host=$(cat /proc/sys/net/ipv4/ip_local_port_range)
        run_pod sy1 '' '{sysctls: [{name: net.ipv4.ip_local_port_range, value: "20000 21000"}]}'
        run in_c sy1 'cat /proc/sys/net/ipv4/ip_local_port_range'
        [ "$output" = "$(printf '20000\t21000')" ]
        [ "$(cat /proc/sys/net/ipv4/ip_local_port_range)" = "$host" ]
        delete_all_pods
        before=$(snap)
        f=$(pod sy2 '' '{sysctls: [{name: kernel.msgmax, value: "65536"}]}')
        run podctl apply -f "$f"
        [ "$status" -ne 0 ]
        [[ $output == *'SysctlForbidden: forbidden sysctl: "kernel.msgmax" not allowlisted'* ]]
        assert_no_new_trace "$before"
        echo '{"allowedUnsafeSysctls": ["kernel.msg*"]}' >"$PODCTL_ROOT/config.json"
        run_pod sy2 '' '{sysctls: [{name: kernel.msgmax, value: "65536"}]}'
        run in_c sy2 'cat /proc/sys/kernel/msgmax'
        [ "$output" = 65536 ]
        f=$(pod sy3 '' '{sysctls: [{name: vm.swappiness, value: "1"}]}')
        run podctl apply -f "$f"
        [ "$status" -ne 0 ]
        [[ $output == *'SysctlForbidden: forbidden sysctl: "vm.swappiness" not allowlisted'* ]]
        # Even allowlisted (the kubelet would not start with that list).
        echo '{"allowedUnsafeSysctls": ["kernel.msg*", "vm.*"]}' >"$PODCTL_ROOT/config.json"
        run podctl apply -f "$f"
        [ "$status" -ne 0 ]
        [[ $output == *'SysctlForbidden: forbidden sysctl: "vm.swappiness" not allowlisted'* ]]
}

@test "fields podctl cannot apply refuse the Pod with the field path; nothing is started" {
        before=$(snap)
        f=$(pod no1 '{seLinuxOptions: {level: "s0:c1"}}')
        run podctl apply -f "$f"
        [ "$status" -ne 0 ]
        [[ $output == *"spec.containers[0].securityContext.seLinuxOptions: Forbidden"* ]]
        f=$(pod no2 '{windowsOptions: {runAsUserName: x}}')
        run podctl apply -f "$f"
        [ "$status" -ne 0 ]
        [[ $output == *"windowsOptions: Forbidden: windows options cannot be set for a linux pod"* ]]
        f=$(pod no3 '{appArmorProfile: {type: RuntimeDefault}}')
        run podctl apply -f "$f"
        [ "$status" -ne 0 ]
        [[ $output == *"Cannot enforce AppArmor: AppArmor is not enabled on the host"* ]]
        f=$(pod no4 '{allowPrivilegeEscalation: false, privileged: true}')
        run podctl apply -f "$f"
        [ "$status" -ne 0 ]
        [[ $output == *"cannot set \`allowPrivilegeEscalation\` to false and \`privileged\` to true"* ]]
        f=$(pod no5 '{capabilities: {add: [NOT_A_CAP]}}')
        run podctl apply -f "$f"
        [ "$status" -ne 0 ]
        [[ $output == *'capabilities.add[0]: Invalid value: "NOT_A_CAP": unknown capability'* ]]
        assert_no_new_trace "$before"
}

@test "subPath: a symlink planted in the volume by another container cannot lead the mount out of it" {
        f=$(manifest sp <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: sp}
spec:
  restartPolicy: Never
  volumes: [{name: data, emptyDir: {}}]
  initContainers:
  - name: plant
    image: busybox
    command: [sh, -c, 'mkdir /data/d && ln -s / /data/root && ln -s ../../../../.. /data/up && ln -s /etc /data/etc']
    volumeMounts: [{name: data, mountPath: /data}]
  containers:
  - name: c
    image: busybox
    command: [sleep, "300"]
    volumeMounts:
    - {name: data, mountPath: /r, subPath: root}
    - {name: data, mountPath: /u, subPath: up}
    - {name: data, mountPath: /n, subPath: root/new}
  - name: e
    image: busybox
    command: [sleep, "300"]
    volumeMounts: [{name: data, mountPath: /e, subPath: etc}]
EOF
        )
        podctl apply -f "$f"
        wait_for 15 container_running sp c
        # "/" and "../../.." resolve to the volume itself, never the host's /
        run podctl exec sp -c c -- sh -c 'ls /r | tr "\n" " "; echo; ls /u | tr "\n" " "'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "d etc new root up " ]
        [ "${lines[1]}" = "d etc new root up " ]
        # a subPath through a link is created inside the volume, not on the host
        [ ! -e /new ]
        run podctl exec sp -c c -- sh -c 'touch /n/x && ls /r/new'
        [ "$output" = x ]
        # "/etc" inside the volume is the link itself: a loop, refused plainly
        run jq_pod sp '.status.containerStatuses[] | select(.name=="e") | .state.terminated.message'
        [[ $output == *'subPath "etc"'*"Too many levels of symbolic links"* ]]
}

# Each of containers c1..cN has printed its line or has ended (a start that
# lost the race to the swapper may fail: that is allowed, escaping is not).
all_settled() {
        local i
        for i in $(seq 1 "$2"); do
                [ -n "$(podctl logs "$1" -c "c$i" 2>/dev/null)" ] ||
                        [ "$(jq_pod "$1" ".status.containerStatuses[] | select(.name==\"c$i\") | .state | has(\"terminated\")")" = true ] ||
                        return 1
        done
}

@test "subPath race: a symlink to a host directory swapped in while containers mount the subPath never leads a mount out of the volume" {
        # the host directory an escaping mount would show (and write into)
        local host="$BATS_TEST_TMPDIR/host-only"
        mkdir -p "$host"
        echo HOST-ONLY >"$host/marker"
        {
                cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: race}
spec:
  restartPolicy: Never
  volumes: [{name: data, emptyDir: {}}]
  initContainers:
  - name: swap
    image: busybox
    restartPolicy: Always
    # s flips between a directory of the volume and a link to the host's
    # directory, as fast as it can (CVE-2017-1002101, CVE-2021-25741)
    command: [sh, -c, 'while :; do mkdir -p /data/d; echo vol >/data/d/marker; ln -sfn d /data/s.new; mv -T /data/s.new /data/s; ln -sfn $host /data/s.new; mv -T /data/s.new /data/s; done']
    volumeMounts: [{name: data, mountPath: /data}]
  containers:
EOF
                for i in $(seq 1 12); do
                        cat <<EOF
  - name: c$i
    image: busybox
    command: [sh, -c, 'echo "seen: \$(cat /s/marker 2>/dev/null)"; touch /s/written-by-c$i 2>/dev/null; sleep 300']
    volumeMounts: [{name: data, mountPath: /s, subPath: s}]
EOF
                done
        } >"$BATS_TEST_TMPDIR/race.yaml"
        local round
        for round in 1 2 3; do
                run podctl apply -f "$BATS_TEST_TMPDIR/race.yaml"
                [ "$status" -eq 0 ]
                wait_for 60 all_settled race 12
                for i in $(seq 1 12); do
                        podctl logs race -c "c$i" >>"$BATS_TEST_TMPDIR/race-logs" 2>&1 || true
                done
                run podctl delete pod race --force --grace-period=0
                [ "$status" -eq 0 ]
                # the host's directory: untouched, never mounted
                [ "$(ls -A "$host")" = marker ]
                run ! grep -q HOST-ONLY "$BATS_TEST_TMPDIR/race-logs"
        done
        # the race was run: some mounts saw the volume's directory
        grep -q '^seen: vol$' "$BATS_TEST_TMPDIR/race-logs"
}

@test "cgroupfs: read-only, in the container's own cgroup namespace, showing its own limits" {
        f=$(manifest cg <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: cg}
spec:
  containers:
  - name: c
    image: busybox
    command: [sleep, "300"]
    resources: {limits: {memory: 64Mi}}
EOF
        )
        podctl apply -f "$f"
        wait_for 10 container_running cg c
        if [ -d /sys/fs/cgroup/memory ]; then
                run podctl exec cg -- cat /sys/fs/cgroup/memory/memory.limit_in_bytes
                [ "$output" = 67108864 ]
                run podctl exec cg -- sh -c 'grep memory /proc/self/cgroup'
                [[ $output == *":memory:/" ]]
        else
                run podctl exec cg -- cat /sys/fs/cgroup/memory.max
                [ "$output" = 67108864 ]
        fi
        run podctl exec cg -- sh -c 'mkdir /sys/fs/cgroup/x'
        [ "$status" -ne 0 ]
        [[ $output == *"Read-only file system"* ]]
}

@test "attacks from a default container fail: mount, remount / rw, ptrace of a sibling, raw kernel memory" {
        run_pod att
        run in_c att 'mount -t tmpfs none /mnt'
        [ "$status" -ne 0 ]
        [[ $output == *"permission denied"* ]]
        run in_c att 'grep -c " /mnt " /proc/self/mountinfo'
        [ "$output" = 0 ]
        run in_c att 'mount -o remount,rw /proc/sys'
        [ "$status" -ne 0 ]
        run in_c att 'echo 1 > /proc/sys/kernel/core_pattern'
        [ "$status" -ne 0 ]
        [ "$(cat /proc/sys/kernel/core_pattern)" != 1 ]
        # pause and the other containers are invisible without shareProcessNamespace:
        # PID 1 is the container's own process, and no pause runs in its namespace
        run in_c att 'tr "\0" " " </proc/1/cmdline; echo; for p in /proc/[0-9]*; do cat $p/comm; done | grep -c pause'
        [ "${lines[0]}" = "sleep 300 " ]
        [ "${lines[1]}" = 0 ]
}

@test "pause runs from a sealed memfd copy: PID 1 of a shared PID namespace leads to no host binary" {
        f=$(manifest shp <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: shp}
spec:
  shareProcessNamespace: true
  containers:
  - {name: c, image: busybox, command: [sleep, "300"]}
EOF
        )
        podctl apply -f "$f"
        wait_for 10 container_running shp c
        pp=$(pause_pid shp)
        run readlink "/proc/$pp/exe"
        [ "$output" = "/memfd:pause (deleted)" ]
        run podctl exec shp -- cat /proc/1/comm
        [ "$output" = "memfd:pause" ]
        # and the container cannot even follow /proc/1/exe
        run podctl exec shp -- sh -c 'cat /proc/1/exe >/dev/null'
        [ "$status" -ne 0 ]
        [[ $output == *"Permission denied"* ]]
}

@test "Secret volumes live on a tmpfs of the Pod's: the container reads them, the host's disk never holds them" {
        f=$(manifest secvol <<'EOF'
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: s3cr3t}
---
apiVersion: v1
kind: Pod
metadata: {name: secvol}
spec:
  securityContext: {fsGroup: 2000}
  volumes: [{name: s, secret: {secretName: creds, defaultMode: 0400}}]
  containers:
  - name: c
    image: busybox
    command: [sleep, "300"]
    volumeMounts: [{name: s, mountPath: /s}]
EOF
        )
        podctl apply -f "$f"
        wait_for 10 container_running secvol c
        run podctl exec secvol -- sh -c 'cat /s/password; echo; stat -L -c "%a %g" /s/password; grep " /s " /proc/self/mountinfo'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = s3cr3t ]
        # defaultMode 0400 plus fsGroup's g+r, as the kubelet (the file behind
        # the atomic writer's link /s/password -> ..data/password)
        [ "${lines[1]}" = "440 2000" ]
        [[ ${lines[2]} == *" ro,"*" - tmpfs "* ]]
        run find "$PODCTL_ROOT/pods/default_secvol/volumes/s" -mindepth 1
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        run grep -rl s3cr3t "$PODCTL_ROOT/pods/default_secvol"
        [ "$status" -eq 1 ]
}

@test "host state: the root and its state dirs are 0700, logs 0640, the seccomp cache 0600, port-forward on 127.0.0.1 only" {
        run_pod st
        run stat -c %a "$PODCTL_ROOT" "$PODCTL_ROOT/pods" "$PODCTL_ROOT/pods/default_st" \
                "$PODCTL_ROOT/images" "$PODCTL_ROOT/cache/seccomp"
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf '700\n700\n700\n700\n700')" ]
        run sh -c "stat -c %a '$PODCTL_ROOT'/cache/seccomp/*.bpf | sort -u"
        [ "$output" = 600 ]
        run sh -c "stat -c %a '$PODCTL_LOG_DIR'/default_st_*/c/0.log"
        [ "$output" = 640 ]
        podctl port-forward st 0:80 >"$BATS_TEST_TMPDIR/pf" 2>&1 &
        pf=$!
        wait_for 5 grep -q Forwarding "$BATS_TEST_TMPDIR/pf"
        run cat "$BATS_TEST_TMPDIR/pf"
        kill "$pf"
        wait "$pf" || :
        [[ $output == "Forwarding from 127.0.0.1:"* ]]
        [[ $output != *"0.0.0.0"* ]]
}

@test "a container's /etc/passwd turned into a FIFO or a link to the host's files hangs nothing and reads nothing of the host" {
        run_pod pw
        podctl exec pw -- sh -c 'rm /etc/passwd /etc/group && mkfifo /etc/passwd && ln -s /etc/shadow /etc/group'
        # exec resolves the user in the container's files: no hang on the FIFO
        # (busybox id would block on it itself: echo reads no passwd)
        run timeout 10 "$PODCTL" exec pw -- echo ok
        [ "$status" -eq 0 ]
        [ "$output" = ok ]
        # the monitor still answers (its exec probes read the same files)
        run timeout 10 "$PODCTL" get pod pw -o json
        [ "$status" -eq 0 ]
}

@test "fileKeyRef: an env file turned into a FIFO or a link out of its volume hangs nothing and reads nothing of the host" {
        f=$(manifest envfiles <<'EOF2'
apiVersion: v1
kind: Pod
metadata: {name: envfiles}
spec:
  terminationGracePeriodSeconds: 0
  volumes:
  - {name: s, emptyDir: {medium: Memory}}
  initContainers:
  - name: w
    image: busybox
    volumeMounts: [{name: s, mountPath: /s}]
    command: [sh, -c, "mkfifo /s/fifo.env; ln -s /etc/shadow /s/link.env; ln -s ../../../../../../etc/hostname /s/up.env; echo \"K='in-memory'\" >/s/ok.env"]
  containers:
  - name: fifo
    image: busybox
    command: [sleep, "600"]
    env: [{name: K, valueFrom: {fileKeyRef: {volumeName: s, path: fifo.env, key: K}}}]
  - name: link
    image: busybox
    command: [sleep, "600"]
    env: [{name: K, valueFrom: {fileKeyRef: {volumeName: s, path: link.env, key: root}}}]
  - name: up
    image: busybox
    command: [sleep, "600"]
    env: [{name: K, valueFrom: {fileKeyRef: {volumeName: s, path: up.env, key: K}}}]
  - name: ok
    image: busybox
    command: [sh, -c, 'echo "K=$K"; exec sleep 600']
    env: [{name: K, valueFrom: {fileKeyRef: {volumeName: s, path: ok.env, key: K}}}]
EOF2
)
        podctl apply -f "$f" >/dev/null 2>&1 || :
        # the medium: Memory volume's file (a tmpfs of pause's) is read
        wait_for 20 container_running envfiles ok
        wait_for 10 bash -c "'$PODCTL' --root '$PODCTL_ROOT' logs envfiles -c ok | grep -qx K=in-memory"
        message_of() { jq_pod envfiles ".status.containerStatuses[] | select(.name==\"$1\") | .state.waiting.message"; }
        waiting() { [ "$(jq_pod envfiles ".status.containerStatuses[] | select(.name==\"$1\") | .state.waiting.reason")" = CreateContainerConfigError ]; }
        wait_for 10 waiting fifo
        wait_for 10 waiting link
        wait_for 10 waiting up
        run -0 message_of fifo
        [ "$output" = 'env file "fifo.env" of volume "s": not a file' ]
        # the links resolve inside the volume: no /etc/shadow, no /etc/hostname there
        run -0 message_of link
        [ "$output" = 'env file "link.env" of volume "s": No such file or directory' ]
        run -0 message_of up
        [ "$output" = 'env file "up.env" of volume "s": No such file or directory' ]
        # the monitor still answers and deletes at once
        run timeout 10 "$PODCTL" delete pod envfiles --grace-period=0 --force
        [ "$status" -eq 0 ]
}
