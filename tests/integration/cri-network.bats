#!/usr/bin/env bats
# Issue 11: UpdateRuntimeConfig's pod CIDR. The kubelet gives the node's
# pod range; sandboxes made after it get their IP from it, on podctl's own
# bridge for that range (podctl-cri0), through the CNI plugins. The server
# is started by the test on its own root and socket and killed by its PID;
# the bridge the plugins make for the range is removed at the end.
# tests/run: alone (snapshots of the whole host, or host-wide state)

bats_require_minimum_version 1.5.0

load helpers
load cri-helpers

setup_file() {
        common_setup_file
        # this test makes the bridge: only when it is not there already
        if ip link show podctl-cri0 >/dev/null 2>&1; then skip "podctl-cri0 exists on this host"; fi
        export CRI_NET_OWN_BRIDGE=1
        cri_serve_start
}

teardown_file() {
        cri_serve_stop
        if [ -n "${CRI_NET_OWN_BRIDGE:-}" ]; then
                ip link del podctl-cri0 2>/dev/null || true
                rm -rf /var/lib/cni/networks/podctl-cri
        fi
        common_teardown_file
}

run_sandbox() {
        rt RunPodSandbox "$(jq -nc --arg n "$1" '{config: {
                metadata: {name: $n, namespace: "cri-net", uid: ("uid-" + $n), attempt: 1},
                hostname: $n, log_directory: ("/tmp/cri-logs/" + $n)}}')" | jq -r .pod_sandbox_id
}
sb_ip() {
        rt PodSandboxStatus "{\"pod_sandbox_id\": \"$1\"}" | jq -r .status.network.ip
}
sb_pid() {
        rt PodSandboxStatus "{\"pod_sandbox_id\": \"$1\", \"verbose\": true}" |
                jq -r '.info.info | fromjson | .pid'
}
set_cidr() {
        rt UpdateRuntimeConfig "{\"runtime_config\": {\"network_config\": {\"pod_cidr\": \"$1\"}}}"
}

@test "UpdateRuntimeConfig: sandboxes made afterwards get an IP of the pod CIDR; earlier ones keep theirs" {
        before=$(run_sandbox before)
        ip0=$(sb_ip "$before")
        [[ $ip0 == 10.88.* ]]
        run -0 set_cidr 10.213.7.0/24
        after=$(run_sandbox after)
        ip1=$(sb_ip "$after")
        [[ $ip1 == 10.213.7.* ]]
        [ "$ip1" != 10.213.7.1 ] # the gateway is the bridge's
        # the kernel agrees: eth0 in the sandbox's netns, the range's gateway on the bridge
        pid=$(sb_pid "$after")
        nsenter --net="/proc/$pid/ns/net" ip -4 -o addr show eth0 | grep -q " $ip1/24 "
        ip -4 -o addr show podctl-cri0 | grep -q " 10.213.7.1/24 "
        [ "$(sb_ip "$before")" = "$ip0" ]
        # the first sandbox still leaves cleanly (its own network config)
        rt StopPodSandbox "{\"pod_sandbox_id\": \"$before\"}" >/dev/null
        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$before\"}" >/dev/null
        rt StopPodSandbox "{\"pod_sandbox_id\": \"$after\"}" >/dev/null
        run ! nsenter --net="/proc/$pid/ns/net" true
}

@test "UpdateRuntimeConfig: bad ranges are refused and change nothing; an empty one is a no-op" {
        conf="$PODCTL_ROOT/cri/cni/net.d/10-podctl.conflist"
        run -0 set_cidr ""
        before=$(cat "$conf" 2>/dev/null || true)
        run -1 set_cidr 10.213.8.5/24
        [[ $output == *"not the network's first address"* ]]
        run -1 set_cidr fd00:1::/64
        [[ $output == *"IPv4 only"* ]]
        run -1 set_cidr 10.0.0.0/4
        [[ $output == *"an IPv4 CIDR from /8 to /30"* ]]
        [ "$(cat "$conf" 2>/dev/null || true)" = "$before" ]
}

@test "UpdateRuntimeConfig: a user's own network configuration is left alone" {
        dir="$PODCTL_ROOT/cri/cni/net.d"
        mkdir -p "$dir"
        saved=$(mktemp -d)
        cp -a "$dir"/. "$saved"/
        rm -f "$dir"/*
        cat >"$dir/50-mine.conflist" <<'EOF'
{"cniVersion": "1.0.0", "name": "mine", "plugins": [{"type": "loopback"}]}
EOF
        run -0 set_cidr 10.213.9.0/24
        [ "$(ls "$dir")" = 50-mine.conflist ]
        rm -f "$dir"/*
        cp -a "$saved"/. "$dir"/
        rm -rf "$saved"
}

@test "port_mappings: a host port reaches the sandbox's port while it runs, and is refused to a second sandbox" {
        id=$(rt RunPodSandbox "$(jq -nc '{config: {
                metadata: {name: "hp", namespace: "cri-net", uid: "uid-hp", attempt: 1},
                hostname: "hp", log_directory: "/tmp/cri-logs/hp",
                port_mappings: [{container_port: 8080, host_port: 18095}]}}')" | jq -r .pod_sandbox_id)
        pid=$(sb_pid "$id")
        dir="$PODCTL_ROOT/www-hp"
        mkdir -p "$dir"
        echo "hello through the host port" >"$dir/index.html"
        nsenter --net="/proc/$pid/ns/net" /bin/busybox httpd -f -p 8080 -h "$dir" &
        echo $! >"$PODCTL_ROOT/httpd-hp.bgpid"
        wait_for 5 nsenter --net="/proc/$pid/ns/net" bash -c "echo >/dev/tcp/127.0.0.1/8080" 2>/dev/null
        run -0 curl -s --max-time 3 "http://127.0.0.1:18095/"
        [ "$output" = "hello through the host port" ]
        # the scheduler's NodePorts rule, as for applied Pods
        run -1 rt RunPodSandbox "$(jq -nc '{config: {
                metadata: {name: "hp2", namespace: "cri-net", uid: "uid-hp2", attempt: 1},
                port_mappings: [{container_port: 80, host_port: 18095}]}}')"
        [[ $output == *"hostPort 18095/TCP is already used by pod"* ]]
        kill "$(cat "$PODCTL_ROOT/httpd-hp.bgpid")"
        rt StopPodSandbox "{\"pod_sandbox_id\": \"$id\"}" >/dev/null
        run ! curl -s --max-time 2 "http://127.0.0.1:18095/"
}

# started_container SANDBOX NAME SCRIPT: a busybox container running sh -c
# SCRIPT, created and started; prints its id
started_container() {
        local cid
        cid=$(rt CreateContainer "$(jq -nc --arg s "$1" --arg n "$2" --arg c "$3" '{pod_sandbox_id: $s, config: {
                metadata: {name: $n, attempt: 0}, image: {image: "busybox"},
                command: ["sh", "-c", $c], log_path: ($n + "/0.log")}}')" | jq -r .container_id)
        rt StartContainer "{\"container_id\": \"$cid\"}" >/dev/null
        echo "$cid"
}
# ping_gateway PID: traffic on eth0, a ping to the gateway from inside the netns of PID
ping_gateway() {
        local gw
        gw=$(nsenter --net="/proc/$1/ns/net" ip -4 route show default | awk '{print $3}')
        nsenter --net="/proc/$1/ns/net" ping -c 2 -W 1 "$gw" >/dev/null || true
}

@test "PodSandboxStats: the pod cgroup's cpu, memory and processes, eth0's counters, its containers; List filters" {
        sb=$(run_sandbox stats)
        cid=$(started_container "$sb" busy 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 3600')
        pid=$(sb_pid "$sb")
        ping_gateway "$pid"
        run -0 rt PodSandboxStats "{\"pod_sandbox_id\": \"$sb\"}"
        st=$output
        [ "$(jq -r .stats.attributes.id <<<"$st")" = "$sb" ]
        [ "$(jq -r .stats.attributes.metadata.name <<<"$st")" = stats ]
        [ "$(jq -r '.stats.linux.cpu.usage_core_nano_seconds.value' <<<"$st")" -gt 0 ]
        [ "$(jq -r '.stats.linux.memory.working_set_bytes.value' <<<"$st")" -gt 0 ]
        [ "$(jq -r '.stats.linux.process.process_count.value' <<<"$st")" -ge 2 ]
        [ "$(jq -r '.stats.linux.network.default_interface.name' <<<"$st")" = eth0 ]
        # the kernel's counters for eth0 in that netns, at least what was read
        rx=$(nsenter --net="/proc/$pid/ns/net" cat /sys/class/net/eth0/statistics/rx_bytes)
        [ "$(jq -r '.stats.linux.network.default_interface.rx_bytes.value' <<<"$st")" -gt 0 ]
        [ "$(jq -r '.stats.linux.network.default_interface.rx_bytes.value' <<<"$st")" -le "$rx" ]
        [ "$(jq -r '.stats.linux.containers[0].attributes.id' <<<"$st")" = "$cid" ]
        # the list: every ready sandbox, or those the filter names
        run -0 rt ListPodSandboxStats "{\"filter\": {\"id\": \"${sb:0:12}\"}}"
        [ "$(jq -r '.stats | length' <<<"$output")" = 1 ]
        run -0 rt ListPodSandboxStats '{"filter": {"label_selector": {"no": "such"}}}'
        [ "$(jq -r '.stats // [] | length' <<<"$output")" = 0 ]
        run -1 rt PodSandboxStats '{"pod_sandbox_id": "ffffffffffff"}'
        [[ $output == *"NOT_FOUND"* ]]
}

@test "ListMetricDescriptors and ListPodSandboxMetrics: cadvisor's names, labels as the descriptors say, the sandbox's and its containers' values" {
        sb=$(run_sandbox metrics)
        cid=$(started_container "$sb" app 'head -c 3000000 /dev/zero > /tmp/fill; sleep 3600')
        pid=$(sb_pid "$sb")
        ping_gateway "$pid"
        run -0 rt ListMetricDescriptors '{}'
        descs=$output
        [ "$(jq -c '[.descriptors[] | select(.name == "container_cpu_usage_seconds_total") | .label_keys]' <<<"$descs")" = '[["id","image","namespace","pod","container","cpu"]]' ]
        [ "$(jq -c '[.descriptors[] | select(.name == "container_memory_working_set_bytes") | .label_keys]' <<<"$descs")" = '[["id","image","namespace","pod","container"]]' ]
        wait_for 20 bash -c "/usr/bin/python3 '$REPO/tests/cri/cri.py' '$CRI_SOCK' RuntimeService ListPodSandboxMetrics '{}' |
                jq -e --arg c '$cid' '[.pod_metrics[].container_metrics[]? | select(.container_id == \$c) | .metrics[] | select(.name == \"container_fs_usage_bytes\") | .value.value | tonumber] | .[0] >= 3000000' >/dev/null"
        run -0 rt ListPodSandboxMetrics '{}'
        m=$(jq -c --arg s "$sb" '.pod_metrics[] | select(.pod_sandbox_id == $s)' <<<"$output")
        # the sandbox's own: labels id, "", namespace, pod, POD
        [ "$(jq -c '[.metrics[] | select(.name == "container_memory_usage_bytes") | .label_values]' <<<"$m")" = "[[\"$sb\",\"\",\"cri-net\",\"metrics\",\"POD\"]]" ]
        [ "$(jq -r '.metrics[] | select(.name == "container_memory_working_set_bytes") | .value.value' <<<"$m")" -gt 0 ]
        [ "$(jq -r '.metrics[] | select(.name == "container_processes") | .value.value' <<<"$m")" -ge 2 ]
        [ "$(jq -r '.metrics[] | select(.name == "container_network_receive_bytes_total") | .label_values[5]' <<<"$m")" = eth0 ]
        [ "$(jq -r '.metrics[] | select(.name == "container_network_receive_bytes_total") | .value.value' <<<"$m")" -gt 0 ]
        # every metric has as many label values as its descriptor has keys
        for name in $(jq -r '[.metrics[], .container_metrics[].metrics[]] | .[].name' <<<"$m" | sort -u); do
                want=$(jq -r --arg n "$name" '.descriptors[] | select(.name == $n) | .label_keys | length' <<<"$descs")
                [ -n "$want" ]
                [ "$(jq -r --arg n "$name" --argjson w "$want" '[.metrics[], .container_metrics[].metrics[] | select(.name == $n) | select((.label_values | length) != $w)] | length' <<<"$m")" = 0 ]
        done
        # the container's: its id and name
        [ "$(jq -r --arg c "$cid" '.container_metrics[] | select(.container_id == $c) | .metrics[] | select(.name == "container_memory_usage_bytes") | .label_values[4]' <<<"$m")" = app ]
        # the stream answers the same sandboxes
        run -0 rt StreamPodSandboxMetrics '{}'
        [[ $(jq -r '[.pod_sandbox_metrics[].pod_sandbox_id] | join(" ")' <<<"$output") == *"$sb"* ]]
}
