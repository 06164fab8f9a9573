#!/usr/bin/env bats
# Issue 5: the Pod is admitted whole or not at all; cgroup limits; OOMKilled;
# QoS layout; top.
# tests/run: alone (snapshots of the whole host, or host-wide state)

load helpers

setup_file() {
        common_setup_file
        load_probe_image
}
teardown_file() { common_teardown_file; }

node_memory() { # CAPACITY: pretend the host has this much memory, nothing reserved
        cat >"$PODCTL_ROOT/config.json" <<EOF
{"node": {"capacity": {"memory": "$1", "cpu": "2"}, "reserved": {"memory": "0"}}}
EOF
}

teardown() { rm -f "$PODCTL_ROOT/config.json"; }

# Requests and Limits of the memory row of describe node's Allocated
# resources, e.g. "3Gi (100%) 0 (0%)".
allocated_memory() { podctl describe node | awk '$1 == "memory" && /%\)/ {$1 = ""; print substr($0, 2)}'; }

# Field N of the Pod's line in the root's books.cache (src/pod/node.c).
books_field() { awk -F'\t' -v k="default_$1" -v n="$2" '$1 == k {print $n}' "$PODCTL_ROOT/books.cache"; }

three_gig_pod() {
        manifest "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: a, image: busybox, command: [sleep, "3600"], resources: {requests: {memory: 1Gi}}}
  - {name: b, image: busybox, command: [sleep, "3600"], resources: {requests: {memory: 1Gi}}}
  - {name: c, image: busybox, command: [sleep, "3600"], resources: {requests: {memory: 1Gi}}}
EOF
}

@test "three 1Gi containers fit 3Gi; with 2.5Gi the Pod is rejected whole and leaves nothing" {
        node_memory 2560Mi
        before=$(trace_snapshot)
        run podctl apply -f "$(three_gig_pod gang)"
        [ "$status" -ne 0 ]
        [[ "$output" == *"Insufficient memory: requested 3Gi, available 2560Mi"* ]]
        [ "$(trace_snapshot)" = "$before" ]
        run podctl get pod gang
        [ "$status" -ne 0 ]

        node_memory 3Gi
        run podctl apply -f "$(three_gig_pod gang)"
        [ "$status" -eq 0 ]
        wait_for 10 container_running gang c
        [ "$(allocated_memory)" = "3Gi (100%) 0 (0%)" ]
        # and nothing more fits
        run podctl apply -f "$(three_gig_pod gang2)"
        [ "$status" -ne 0 ]
        [[ "$output" == *"Insufficient memory: requested 3Gi, available 0"* ]]
        podctl delete pod gang --force
        # the reservation is released with the Pod
        [ "$(allocated_memory)" = "0 (0%) 0 (0%)" ]
}

@test "admission's books.json cache: made at create; missing or stale, the spec decides" {
        node_memory 3Gi
        podctl apply -f "$(three_gig_pod gang)"
        d="$PODCTL_ROOT/pods/default_gang"
        [ -f "$d/books.json" ]
        [ "$(jq .memoryRequests "$d/books.json")" -eq $((3 * 1024 * 1024 * 1024)) ]
        wait_for 10 container_running gang c
        # the monitor's status.json has the layout whose phase is read
        # without parsing the file (src/pod/node.c, STATUS_PREFIX)
        [ "$(head -c 30 "$d/status.json" | od -An -c | tr -d ' \n')" = '{\n"status":{\n"phase":"' ]
        rm "$d/books.json"
        run podctl apply -f "$(three_gig_pod gang2)"
        [ "$status" -ne 0 ]
        [[ "$output" == *"Insufficient memory: requested 3Gi, available 0"* ]]
        [ -f "$d/books.json" ] # made again under the root lock
        # a books.json of another pod.json (the key names no file) is not believed
        jq '.podJson = "0:0:0:0.0:0.0" | .memoryRequests = 0' "$d/books.json" >"$d/books.json.new"
        mv "$d/books.json.new" "$d/books.json"
        run podctl apply -f "$(three_gig_pod gang2)"
        [ "$status" -ne 0 ]
        [[ "$output" == *"Insufficient memory: requested 3Gi, available 0"* ]]
        [ "$(allocated_memory)" = "3Gi (100%) 0 (0%)" ]
        podctl delete pod gang --force
        [ "$(allocated_memory)" = "0 (0%) 0 (0%)" ]
}

@test "the root's books.cache: a Pod that finishes frees its requests; a line naming other files is read again" {
        node_memory 3Gi
        short=$(manifest short <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: short
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 0
  containers:
  - {name: a, image: busybox, command: [sh, -c, "sleep 2"], resources: {requests: {memory: 3Gi}}}
EOF
)
        podctl apply -f "$short"
        wait_for 10 container_running short a
        # this walk of the books puts short in books.cache, holding 3Gi
        run podctl apply -f "$(three_gig_pod gang)"
        [ "$status" -ne 0 ]
        [[ "$output" == *"Insufficient memory: requested 3Gi, available 0"* ]]
        [ "$(head -1 "$PODCTL_ROOT/books.cache")" = "podctl-books 1" ]
        [ "$(books_field short 6)" = 1 ]
        [ "$(books_field short 8)" -eq $((3 * 1024 * 1024 * 1024)) ]
        # once short has Succeeded (a new status.json), its line is read again
        wait_for 20 phase_is short Succeeded
        run podctl apply -f "$(three_gig_pod gang)"
        [ "$status" -eq 0 ]
        [ "$(books_field short 6)" = 0 ]
        # a line naming another status.json is not believed, and is made again
        awk -F'\t' -v OFS='\t' '$1 == "default_gang" {$5 = "0:0:0:0.0:0.0"; $8 = 0} {print}' \
            "$PODCTL_ROOT/books.cache" >"$BATS_TEST_TMPDIR/books"
        cp "$BATS_TEST_TMPDIR/books" "$PODCTL_ROOT/books.cache"
        run podctl apply -f "$(three_gig_pod gang2)"
        [ "$status" -ne 0 ]
        [[ "$output" == *"Insufficient memory: requested 3Gi, available 0"* ]]
        [ "$(books_field gang 8)" -eq $((3 * 1024 * 1024 * 1024)) ]
        # a deleted Pod's line goes at the next walk
        podctl delete pod short --force
        podctl delete pod gang --force
        [ "$(allocated_memory)" = "0 (0%) 0 (0%)" ]
        run podctl apply -f "$(three_gig_pod gang2)"
        [ "$status" -eq 0 ]
        [ -z "$(books_field short 1)" ]
        [ -z "$(books_field gang 1)" ]
        podctl delete pod gang2 --force
}

@test "an init container's request counts when it is the largest" {
        f=$(manifest initbig <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: initbig
spec:
  terminationGracePeriodSeconds: 0
  initContainers:
  - {name: init, image: busybox, command: ["true"], resources: {requests: {memory: 2Gi}}}
  containers:
  - {name: a, image: busybox, command: [sleep, "3600"], resources: {requests: {memory: 512Mi}}}
  - {name: b, image: busybox, command: [sleep, "3600"], resources: {requests: {memory: 512Mi}}}
EOF
)
        node_memory 1536Mi
        run podctl apply -f "$f"
        [ "$status" -ne 0 ]
        [[ "$output" == *"Insufficient memory: requested 2Gi, available 1536Mi"* ]]
        node_memory 2Gi
        run podctl apply -f "$f"
        [ "$status" -eq 0 ]
        podctl delete pod initbig --force
}

@test "20 racing applies never admit more than allocatable; the books balance" {
        node_memory 2Gi
        for i in $(seq 1 20); do
                manifest "race$i" >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: race$i
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: a, image: busybox, command: [sleep, "3600"], resources: {requests: {memory: 200Mi}}}
EOF
        done
        pids=()
        for i in $(seq 1 20); do
                "$PODCTL" apply -f "$BATS_TEST_TMPDIR/race$i.yaml" >"$BATS_TEST_TMPDIR/out$i" 2>&1 &
                pids+=($!)
        done
        ok=0
        for i in $(seq 1 20); do
                if wait "${pids[$((i - 1))]}"; then
                        ok=$((ok + 1))
                else
                        grep -q "Insufficient memory: requested 200Mi" "$BATS_TEST_TMPDIR/out$i"
                fi
        done
        # 2Gi / 200Mi = 10.24: exactly 10 fit
        [ "$ok" -eq 10 ]
        n=$(podctl get pods -o json | jq '.items | length')
        [ "$n" -eq 10 ]
        requested=$(podctl get node -o json | jq '.podctl.requested.memory')
        [ "$requested" -eq $((10 * 200 * 1024 * 1024)) ]
        for i in $(seq 1 20); do podctl delete pod "race$i" --force --ignore-not-found >/dev/null; done
        [ "$(podctl get node -o json | jq '.podctl.requested.memory')" -eq 0 ]
}

cg_file() { # POD CONTAINER CONTROLLER FILE
        local rel
        rel=$(podctl inspect pod "$1" | jq -r .runtime.cgroup)
        if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
                echo "/sys/fs/cgroup/podctl/$rel/$2/$4"
        else
                echo "/sys/fs/cgroup/$3/podctl/$rel/$2/$4"
        fi
}

@test "a memory hog is OOMKilled (137) and restarted; its neighbour keeps running" {
        f=$(manifest hog <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: hog
spec:
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 0
  containers:
  - name: hog
    image: localhost/probe
    command: [probe, alloc, "200"]
    resources: {limits: {memory: 32Mi}}
  - name: calm
    image: busybox
    command: [sleep, "3600"]
EOF
)
        podctl apply -f "$f"
        restarted() { [ "$(jq_pod hog '.status.containerStatuses[0].restartCount')" -ge 1 ]; }
        wait_for 20 restarted
        [ "$(jq_pod hog '.status.containerStatuses[0].lastState.terminated.reason')" = OOMKilled ]
        [ "$(jq_pod hog '.status.containerStatuses[0].lastState.terminated.exitCode')" = 137 ]
        [ "$(jq_pod hog '.status.containerStatuses[1].restartCount')" = 0 ]
        container_running hog calm
        [ "$(cat "$(cg_file hog hog memory memory.limit_in_bytes)" 2>/dev/null ||
             cat "$(cg_file hog hog memory memory.max)")" = $((32 * 1024 * 1024)) ]
        podctl delete pod hog --force
}

@test "a fork bomb stops at the Pod's pids limit" {
        f=$(manifest bomb <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: bomb
  annotations:
    podctl.io/pids-limit: "24"
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: bomb
    image: busybox
    command: [sh, -c, 'for i in \$(seq 1 100); do sleep 300 & done; echo forked; sleep 3600']
EOF
)
        podctl apply -f "$f"
        # busybox sh gives up when fork fails: the limit, not memory, stopped it
        cant_fork() { "$PODCTL" logs bomb 2>/dev/null | grep -q "can't fork"; }
        wait_for 10 cant_fork
        rel=$(podctl inspect pod bomb | jq -r .runtime.cgroup)
        if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
                pids_cg=/sys/fs/cgroup/podctl/$rel
        else
                pids_cg=/sys/fs/cgroup/pids/podctl/$rel
        fi
        [ "$(cat "$pids_cg/pids.max")" = 24 ]
        [ "$(cat "$pids_cg/pids.current")" -le 24 ]
        # the Pod itself stays manageable
        run podctl get pod bomb
        [ "$status" -eq 0 ]
        podctl delete pod bomb --force
}

@test "a CPU hog is throttled to its limit (from the cgroup's statistics)" {
        f=$(manifest spin <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: spin
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: spin
    image: localhost/probe
    command: [probe, spin]
    resources: {limits: {cpu: 100m, memory: 64Mi}}
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running spin spin
        if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
                [ "$(cat "$(cg_file spin spin cpu cpu.max)")" = "10000 100000" ]
                usage() { awk '/usage_usec/ {print $2 * 1000}' "$(cg_file spin spin cpu cpu.stat)"; }
        else
                [ "$(cat "$(cg_file spin spin cpu cpu.cfs_quota_us)")" = 10000 ]
                usage() { cat "$(cg_file spin spin cpuacct cpuacct.usage)"; }
        fi
        u0=$(usage)
        sleep 2
        u1=$(usage)
        # 2 s at 100m is 0.2 s of CPU; allow scheduling slack but far below 2 s
        used_ms=$(( (u1 - u0) / 1000000 ))
        [ "$used_ms" -le 400 ]
        [ "$used_ms" -ge 50 ]
        # throttled once it gets a period's worth of CPU (on a busy host
        # that can take more than the 2 s above; without the quota, never)
        throttled() { [ "$(awk '/nr_throttled/ {print $2}' "$(cg_file spin spin cpu cpu.stat)")" -gt 0 ]; }
        wait_for 20 throttled
        # top samples the cgroup's usage: about the 100m limit, far from a core
        run -0 podctl top pod spin
        echo "$output"
        cpu=$(awk '$1 == "spin" {sub("m$", "", $2); print $2}' <<<"$output")
        [ "$cpu" -ge 30 ]
        [ "$cpu" -le 300 ]
        podctl delete pod spin --force
}

@test "the cgroup tree follows the kubelet's QoS layout" {
        if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
                skip "v1 layout test (v2 covered by unit tests)"
        fi
        f=$(manifest qos <<EOF
apiVersion: v1
kind: Pod
metadata: {name: guaranteed}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: busybox, command: [sleep, "3600"], resources: {limits: {cpu: 200m, memory: 64Mi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: burstable}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: busybox, command: [sleep, "3600"], resources: {requests: {cpu: 100m, memory: 32Mi}}}
---
apiVersion: v1
kind: Pod
metadata: {name: besteffort}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: busybox, command: [sleep, "3600"]}
EOF
)
        podctl apply -f "$f"
        for p in guaranteed burstable besteffort; do wait_for 10 container_running $p c; done
        uid() { podctl get pod "$1" -o json | jq -r .metadata.uid; }
        g=/sys/fs/cgroup/memory/podctl/pod$(uid guaranteed)
        b=/sys/fs/cgroup/memory/podctl/burstable/pod$(uid burstable)
        e=/sys/fs/cgroup/memory/podctl/besteffort/pod$(uid besteffort)
        # each Pod's pause and container in their own cgroups of the Pod's, in
        # every v1 hierarchy podctl uses: the directory and its cgroup.procs
        for p in guaranteed burstable besteffort; do
                rel=$(podctl inspect pod $p | jq -r .runtime.cgroup)
                for ctl in memory cpu pids; do
                        d=/sys/fs/cgroup/$ctl/podctl/$rel
                        [ -d "$d/pause" ]
                        [ -d "$d/c" ]
                        grep -qx "$(pause_pid $p)" "$d/pause/cgroup.procs"
                        grep -qx "$(pid_of $p c)" "$d/c/cgroup.procs"
                done
        done
        [ "$(podctl inspect pod guaranteed | jq -r .runtime.cgroup)" = "pod$(uid guaranteed)" ]
        [ -d "$g/c" ]
        [ -d "$b/c" ]
        [ -d "$e/c" ]
        [ "$(jq_pod guaranteed .status.qosClass)" = Guaranteed ]
        [ "$(jq_pod burstable .status.qosClass)" = Burstable ]
        [ "$(jq_pod besteffort .status.qosClass)" = BestEffort ]
        [ "$(cat "$g/c/memory.limit_in_bytes")" = $((64 * 1024 * 1024)) ]
        [ "$(cat "$g/memory.limit_in_bytes")" = $((64 * 1024 * 1024)) ]
        gc=/sys/fs/cgroup/cpu/podctl/pod$(uid guaranteed)
        [ "$(cat "$gc/c/cpu.cfs_quota_us")" = 20000 ]
        [ "$(cat "$gc/c/cpu.shares")" = 204 ]
        bc=/sys/fs/cgroup/cpu/podctl/burstable/pod$(uid burstable)
        [ "$(cat "$bc/c/cpu.shares")" = 102 ]
        [ "$(cat "$bc/c/cpu.cfs_quota_us")" = -1 ]
        ec=/sys/fs/cgroup/cpu/podctl/besteffort/pod$(uid besteffort)
        [ "$(cat "$ec/c/cpu.shares")" = 2 ]
        [ "$(cat "$ec/cpu.shares")" = 2 ]
        podctl delete pod guaranteed burstable besteffort --force
        [ ! -d "$g" ]
        [ ! -d "$b" ]
        [ ! -d "$e" ]
}

@test "top reports memory that moves when a container allocates" {
        f=$(manifest topper <<EOF
apiVersion: v1
kind: Pod
metadata: {name: topper}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: main, image: localhost/probe, command: [sleep, "3600"]}
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running topper main
        mem() { podctl top pod topper --containers | awk '$2 == "main" {sub("Mi","",$4); print $4}'; }
        m0=$(mem)
        "$PODCTL" exec topper -- probe alloc 64 >/dev/null &
        execpid=$!
        grew() { [ "$(mem)" -ge $((m0 + 50)) ]; }
        wait_for 15 grew
        kill "$execpid" 2>/dev/null || true
        podctl delete pod topper --force
}
