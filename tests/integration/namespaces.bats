#!/usr/bin/env bats
# 4e/4f: shared PID namespace (pause is PID 1 and reaps), shared UTS and IPC.

load helpers

setup_file() {
        common_setup_file
        load_probe_image
}
teardown_file() { common_teardown_file; }

@test "shareProcessNamespace: ps sees the other containers, PID 1 is pause" {
        f=$(manifest shared-pid <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: shared-pid
spec:
  shareProcessNamespace: true
  containers:
  - name: one
    image: busybox
    command: ["sleep", "3601"]
  - name: two
    image: busybox
    command: ["sleep", "3602"]
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running shared-pid two
        run podctl exec shared-pid -c one -- ps -o pid,args
        [ "$status" -eq 0 ]
        [[ "$output" == *"sleep 3601"* ]]
        [[ "$output" == *"sleep 3602"* ]]
        # PID 1 of the Pod is pause
        run -0 podctl exec shared-pid -c two -- cat /proc/1/cmdline
        [[ "$output" == pause* ]]
        podctl delete pod shared-pid --grace-period=1
}

@test "shareProcessNamespace: an orphaned zombie is reaped by pause" {
        f=$(manifest reaper <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: reaper
spec:
  shareProcessNamespace: true
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running reaper main
        pause=$(pause_pid reaper)
        # The subshell exits at once: its child "sleep 2" is orphaned and
        # reparented to PID 1 of the Pod, pause.
        podctl exec reaper -c main -- sh -c '(sleep 2 &) ; true'
        run -0 podctl exec reaper -c main -- ps -o pid,ppid,stat,args
        [[ "$output" == *" 1 "*"sleep 2"* ]]
        # on the host: the orphan is pause's child, in the Pod's PID namespace
        orphan=$(pgrep -P "$pause" -f '^sleep 2$')
        [ -n "$orphan" ]
        [ "$(ns_inode "$orphan" pid)" = "$(ns_inode "$pause" pid)" ]
        # once it exits pause reaps it: no zombie is left in the Pod's
        # process table (it would stay there as state Z, "[sleep]")
        wait_for 20 eval '[ ! -e "/proc/$orphan" ]'
        for p in $(pidns_members "$pause"); do
                st=$(proc_state "$p" 2>/dev/null) || continue # exited meanwhile
                [ "$st" != Z ]
        done
        run -0 podctl exec reaper -c main -- ps -o stat,args
        [[ "$output" != *"sleep 2"* ]]
        [ -z "$(awk '$1 ~ /^Z/' <<<"$output")" ]
        podctl delete pod reaper --grace-period=1
}

@test "without shareProcessNamespace each container is PID 1 of its own namespace" {
        f=$(manifest own-pid <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: own-pid
spec:
  containers:
  - name: one
    image: busybox
    command: ["sleep", "3601"]
  - name: two
    image: busybox
    command: ["sleep", "3602"]
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running own-pid two
        run -0 podctl exec own-pid -c one -- cat /proc/1/cmdline
        [[ "$output" == sleep*3601* ]]
        run -0 podctl exec own-pid -c one -- ps -o args
        [[ "$output" == *"sleep 3601"* ]]
        [[ "$output" != *"sleep 3602"* ]]
        # two PID namespaces, neither the host's
        one=$(ns_inode "$(pid_of own-pid one)" pid)
        two=$(ns_inode "$(pid_of own-pid two)" pid)
        [ "$one" != "$two" ]
        [ "$one" != "$(ns_inode $$ pid)" ]
        podctl delete pod own-pid --grace-period=1
}

@test "three containers share the hostname (the Pod's name) and IPC" {
        f=$(manifest trio <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: trio
spec:
  containers:
  - name: a
    image: localhost/probe
    command: ["sleep", "3600"]
  - name: b
    image: localhost/probe
    command: ["sleep", "3600"]
  - name: c
    image: localhost/probe
    command: ["sleep", "3600"]
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running trio c
        # one UTS namespace, pause's, not the host's
        pause=$(pause_pid trio)
        [ "$(ns_inode "$pause" uts)" != "$(ns_inode $$ uts)" ]
        for c in a b c; do
                [ "$(podctl exec trio -c $c -- hostname)" = trio ]
                [ "$(podctl exec trio -c $c -- cat /etc/hostname)" = trio ]
                [ "$(podctl exec trio -c $c -- stat -L -c %i /proc/self/ns/uts)" = "$(ns_inode "$pause" uts)" ]
                [ "$(ns_inode "$(pid_of trio $c)" uts)" = "$(ns_inode "$pause" uts)" ]
        done
        [ "$(hostname)" != trio ]
        # one IPC namespace, pause's, not the host's (checked before anything
        # is made in it: it would be made on the host otherwise)
        [ "$(ns_inode "$pause" ipc)" != "$(ns_inode $$ ipc)" ]
        for c in a b c; do
                [ "$(ns_inode "$(pid_of trio $c)" ipc)" = "$(ns_inode "$pause" ipc)" ]
        done
        # SysV shared memory made in a is visible in b and c, not on the host.
        run podctl exec trio -c a -- probe shm-create 0x5eed
        [ "$status" -eq 0 ]
        run podctl exec trio -c b -- probe shm-check 0x5eed
        [ "$status" -eq 0 ]
        run podctl exec trio -c c -- probe shm-check 0x5eed
        [ "$status" -eq 0 ]
        run "$PROBE" shm-check 0x5eed
        [ "$status" -ne 0 ]
        # /dev/shm is the Pod's, shared too
        podctl exec trio -c a -- sh -c 'echo x > /dev/shm/marker'
        [ "$(podctl exec trio -c c -- cat /dev/shm/marker)" = x ]
        # the IPC namespace inode is pause's
        [ "$(podctl exec trio -c b -- stat -L -c %i /proc/self/ns/ipc)" = "$(stat -L -c %i /proc/$pause/ns/ipc)" ]
        podctl delete pod trio --grace-period=1
}

@test "no file descriptors leak into containers; /etc files are podctl's" {
        f=$(manifest fds <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: fds
spec:
  hostAliases:
  - ip: "10.1.2.3"
    hostnames: ["foo.local", "bar.local"]
  containers:
  - name: main
    image: localhost/probe
    command: ["sh", "-c", "probe fds; sleep 3600"]
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running fds main
        wait_for 5 sh -c "\"$PODCTL\" logs fds | grep -q 2"
        run podctl logs fds
        [ "$output" = "$(printf '0\n1\n2')" ]
        run podctl exec fds -- cat /etc/hosts
        [[ "$output" == "# Kubernetes-managed hosts file."* ]]
        [[ "$output" == *"10.1.2.3	foo.local	bar.local"* ]]
        [[ "$output" == *"fds"* ]]
        podctl delete pod fds --grace-period=1
}
