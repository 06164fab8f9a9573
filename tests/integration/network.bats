#!/usr/bin/env bats
# Pod networking (src/net/). port-forward works without networking; every
# other test needs the monitor to attach Pods through src/net (status.podIP).
#
# One file, two paths: run as network.bats, Pods get podctl's default network,
# set up natively (netlink, host-local's leases, portmap's rules: native.c);
# run as network-cni.bats (a symlink to this file), the root holds a user's
# conflist (the same network, so the same leases and subnet, but not the
# default file), which runs through the CNI plugins (bridge + host-local +
# portmap + firewall). Every test below must pass on both.
# tests/run: alone (snapshots of the whole host, or host-wide state)

load helpers

if [[ $(basename "$BATS_TEST_FILENAME") == network-cni.bats ]]; then
        NET_PATH=cni
else
        NET_PATH=native
fi

setup_file() {
        common_setup_file
        if [ "$NET_PATH" = cni ]; then
                mkdir -p "$PODCTL_ROOT/cni/net.d"
                cat >"$PODCTL_ROOT/cni/net.d/10-user.conflist" <<'EOF2'
{
  "cniVersion": "1.0.0",
  "name": "podctl",
  "x-podctl-test": "a user conflist: the default network, through the plugins",
  "plugins": [
    {"type": "bridge", "bridge": "podctl0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "routes": [{"dst": "0.0.0.0/0"}],
              "ranges": [[{"subnet": "10.88.0.0/16", "gateway": "10.88.0.1"}]]}},
    {"type": "portmap", "capabilities": {"portMappings": true}, "snat": true},
    {"type": "firewall"}
  ]
}
EOF2
        fi
        # hostPorts of this file: distinct from anything else on the host
        export HP=$((31000 + $$ % 1000))
        export HOST_IP=$(ip -4 -o route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
}

teardown_file() {
        common_teardown_file
        rm -rf /var/lib/cni/networks/podctl-fail # the failing network's leases
}

web_pod() { # NAME [HOSTPORT]
        local hp=""
        [ -z "${2:-}" ] || hp="
    ports:
    - containerPort: 80
      hostPort: $2"
        manifest "$1" <<EOF2
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo hello-from-$1 > /www/index.html && exec httpd -f -p 80 -h /www"]$hp
  - name: side
    image: busybox
    command: ["sleep", "3600"]
EOF2
}

pod_ip() { jq_pod "$1" '.status.podIP // empty'; }
has_ip() { [ -n "$(pod_ip "$1")" ]; }
fetch() { curl -fsS --max-time 3 "$1"; }

@test "port-forward reaches a Pod's port without hostPort" {
        podctl apply -f "$(web_pod pf)"
        wait_for 20 container_running pf web
        out="$BATS_TEST_TMPDIR/pf.out"
        podctl port-forward pf 0:80 >"$out" 2>&1 &
        pid=$!
        wait_for 10 grep -q '^Forwarding from 127.0.0.1:' "$out"
        port=$(sed -n 's/^Forwarding from 127.0.0.1:\([0-9]*\) -> 80$/\1/p' "$out")
        [ -n "$port" ]
        wait_for 10 fetch "http://127.0.0.1:$port/"
        [ "$(fetch "http://127.0.0.1:$port/")" = hello-from-pf ]
        podctl delete pod pf
        # the forwarder ends when the Pod goes away
        wait_for 10 bash -c "! kill -0 $pid 2>/dev/null"
        grep -q 'lost connection to pod' "$out"
}

@test "a Pod gets an IP; the host reaches it; containers share it; get -o wide shows it" {
        podctl apply -f "$(web_pod a)"
        wait_for 20 container_running a web
        ip=$(pod_ip a)
        [[ "$ip" =~ ^10\.88\. ]]
        [ "$(jq_pod a '.status.podIPs[0].ip')" = "$ip" ]
        wait_for 10 fetch "http://$ip/"
        [ "$(fetch "http://$ip/")" = hello-from-a ]
        # the sidecar sees the same address and reaches httpd on localhost
        run podctl exec a -c side -- ip -4 -o addr show eth0
        [[ "$output" == *"inet $ip/"* ]]
        [ "$(podctl exec a -c side -- wget -qO- http://127.0.0.1/)" = hello-from-a ]
        run podctl get pods -o wide
        [[ "$output" == *IP* ]]
        [[ "$output" == *"$ip"* ]]
        # /etc/hosts maps the Pod IP to its hostname
        run podctl exec a -c web -- cat /etc/hosts
        [[ "$output" =~ $ip[[:space:]]+a ]]
        podctl delete pod a
}

@test "the Pod's eth0, route and lease are the default network's (bridge, host-local)" {
        podctl apply -f "$(web_pod lf)"
        wait_for 20 container_running lf web
        ip=$(pod_ip lf)
        [[ "$ip" =~ ^10\.88\. ]]
        # eth0 holds the address on the /16, the default route goes through the bridge's gateway
        run -0 podctl exec lf -c side -- ip -4 -o addr show eth0
        [[ "$output" == *"inet $ip/16 "* ]]
        run -0 podctl exec lf -c side -- ip -4 route show default
        [[ "$output" == "default via 10.88.0.1 dev eth0"* ]]
        # the host end is a port of podctl0, which holds the gateway address
        c=$(ls "$PODCTL_ROOT"/cni/cache/*.json)
        veth=$(jq -r '.result.interfaces[] | select(.sandbox == null and .name != "podctl0") | .name' "$c")
        [ -n "$veth" ]
        [ "$(basename "$(readlink "/sys/class/net/$veth/master")")" = podctl0 ]
        [ "$(cat "/sys/class/net/$veth/brport/hairpin_mode")" = 1 ]
        run -0 ip -4 -o addr show podctl0
        [[ "$output" == *"inet 10.88.0.1/16 "* ]]
        # host-local's lease: a file named by the IP, holding the sandbox id and the interface
        id=$(basename "$c" .json)
        [ "$(cat "/var/lib/cni/networks/podctl/$ip")" = "$id"$'\r'"
eth0" ]
        # which path set it up: the plugins leave the bridge plugin's per-Pod
        # masquerade chain (its comment names the id); the native path has one
        # shared rule for the subnet
        run -0 iptables-save -t nat
        if [ "$NET_PATH" = cni ]; then
                [[ "$output" == *"$id"* ]]
                [ "$(jq -r '.native // false' "$c")" = false ]
        else
                [[ "$output" != *"$id"* ]]
                [[ "$output" == *"-A POSTROUTING -s 10.88.0.0/16 -m comment --comment \"podctl default network: masquerade\" -j PODCTL-MASQ"* ]]
                [ "$(jq -r '.native' "$c")" = true ]
        fi
        podctl delete pod lf
        [ ! -e "/var/lib/cni/networks/podctl/$ip" ]
        # the veth pair: deleted by the bridge plugin's DEL, or gone with the
        # Pod's namespace (native: the kernel frees it just after the last
        # process in it ends)
        wait_for 5 test ! -e "/sys/class/net/$veth"
}

@test "two Pods reach each other by Pod IP" {
        podctl apply -f "$(web_pod p1)"
        podctl apply -f "$(web_pod p2)"
        wait_for 20 container_running p1 web
        wait_for 20 container_running p2 web
        ip1=$(pod_ip p1)
        ip2=$(pod_ip p2)
        [ "$ip1" != "$ip2" ]
        [ "$(podctl exec p1 -c side -- wget -qO- "http://$ip2/")" = hello-from-p2 ]
        [ "$(podctl exec p2 -c side -- wget -qO- "http://$ip1/")" = hello-from-p1 ]
        podctl delete pod p1
        podctl delete pod p2
}

@test "hostPort: reachable from 127.0.0.1 and the host's address while the Pod runs, not after" {
        podctl apply -f "$(web_pod hp "$HP")"
        wait_for 20 container_running hp web
        wait_for 10 fetch "http://127.0.0.1:$HP/"
        [ "$(fetch "http://127.0.0.1:$HP/")" = hello-from-hp ]
        if [ -n "$HOST_IP" ]; then
                [ "$(fetch "http://$HOST_IP:$HP/")" = hello-from-hp ]
        fi
        podctl delete pod hp
        run fetch "http://127.0.0.1:$HP/"
        [ "$status" -ne 0 ]
}

@test "a second Pod asking for the same hostPort is rejected at apply" {
        podctl apply -f "$(web_pod hp1 "$HP")"
        wait_for 20 container_running hp1 web
        run podctl apply -f "$(web_pod hp2 "$HP")"
        [ "$status" -ne 0 ]
        [[ "$output" == *"$HP"* ]]
        [[ "$output" == *hp1* || "$output" == *"port"* ]]
        run podctl get pod hp2
        [ "$status" -ne 0 ]
        podctl delete pod hp1
}

@test "hostNetwork Pod sees the host's interfaces and gets no CNI attachment" {
        manifest hn <<'EOF2' >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: hn}
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 0
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
EOF2
        cni_cache() { ls "$PODCTL_ROOT/cni/cache" 2>/dev/null || true; }
        cache_before=$(cni_cache)
        podctl apply -f "$BATS_TEST_TMPDIR/hn.yaml"
        wait_for 20 container_running hn c
        # the host's network namespace itself (pause's and the container's)
        [ "$(ns_inode "$(pause_pid hn)" net)" = "$(ns_inode $$ net)" ]
        [ "$(ns_inode "$(pid_of hn c)" net)" = "$(ns_inode $$ net)" ]
        host_links=$(ls /sys/class/net | sort | tr '\n' ' ')
        pod_links=$(podctl exec hn -- ls /sys/class/net | sort | tr '\n' ' ')
        [ "$pod_links" = "$host_links" ]
        # no CNI ADD was made for it (snapshot taken before apply)
        [ "$(cni_cache)" = "$cache_before" ]
        podctl delete pod hn
}

@test "create/delete cycles (50; PODCTL_CYCLES) leave no veth, lease, iptables rule or namespace" {
        # PODCTL_CYCLES: how many (make check: 50; its sanitizer pass, several
        # times slower a cycle, 10: a leak of a cycle shows in one). Through
        # the CNI plugins (network-cni.bats) a fifth of them: podctl's own
        # part of a cycle is the same, and the plugins' execs make each one
        # about ten times slower
        local n=${PODCTL_CYCLES:-50}
        [ "$NET_PATH" != cni ] || n=$(((n + 4) / 5))
        # Other test files may use the shared network at the same time: look
        # only for what belongs to this test's Pods (container ids and host
        # veths recorded from the CNI cache while each Pod runs).
        leases=/var/lib/cni/networks/podctl # host-local: a file per IP, holding the container id
        f=$(web_pod cyc "$HP")
        : >"$BATS_TEST_TMPDIR/ids"
        : >"$BATS_TEST_TMPDIR/veths"
        : >"$BATS_TEST_TMPDIR/netns"
        for i in $(seq "$n"); do
                podctl apply -f "$f" >/dev/null
                wait_for 20 has_ip cyc
                for c in "$PODCTL_ROOT"/cni/cache/*.json; do
                        id=$(basename "$c" .json)
                        echo "$id" >>"$BATS_TEST_TMPDIR/ids"
                        jq -r '.result.interfaces[] | select(.sandbox == null) | .name' "$c" \
                                >>"$BATS_TEST_TMPDIR/veths"
                        # while the Pod runs, its lease is there
                        grep -rqsF -- "$id" "$leases"
                done
                # the Pod's network namespace, the pause that holds it
                pause=$(pause_pid cyc)
                ns="$(ns_inode "$pause" net) $pause $(proc_start "$pause")"
                podctl delete pod cyc --grace-period=0 >/dev/null
                echo "$ns $(uptime_ticks)" >>"$BATS_TEST_TMPDIR/netns" # and when it was deleted
        done
        [ "$(sort -u "$BATS_TEST_TMPDIR/ids" | wc -l)" -ge "$n" ]
        [ -z "$(ls "$PODCTL_ROOT/cni/cache" 2>/dev/null)" ]
        # no lease file names any of the Pods (1: no match, and no error)
        run grep -rlsF -f "$BATS_TEST_TMPDIR/ids" "$leases"
        [ "$status" -eq 1 ]
        rules=$(iptables-save)
        while read -r id; do
                [[ "$rules" != *"$id"* ]]
        done <"$BATS_TEST_TMPDIR/ids"
        while read -r v; do
                [ "$v" = podctl0 ] || [ ! -e "/sys/class/net/$v" ]
        done <"$BATS_TEST_TMPDIR/veths"
        # no network namespace of the Pods is left: its pause is gone and no
        # process of the host is in it (one that started after the Pod was
        # deleted is in a new namespace that reuses the inode number)
        stat -L -c '%i %n' /proc/[0-9]*/ns/net 2>/dev/null >"$BATS_TEST_TMPDIR/host-netns" || true
        [ -s "$BATS_TEST_TMPDIR/host-netns" ]
        while read -r ino pause pstart deleted; do
                run ! same_process "$pause" "$pstart"
                while read -r hino path; do
                        [ "$hino" = "$ino" ] || continue
                        p=${path#/proc/}
                        p=${p%%/*}
                        started=$(proc_start "$p") || continue
                        [ -n "$started" ] || continue
                        [ "$started" -gt "$deleted" ]
                done <"$BATS_TEST_TMPDIR/host-netns"
        done <"$BATS_TEST_TMPDIR/netns"
        run curl -fsS --max-time 2 "http://127.0.0.1:$HP/"
        [ "$status" -ne 0 ]
}

@test "a failing CNI plugin makes apply fail clearly, with nothing left" {
        # a conflist of this root whose second plugin fails (tests/data/cni)
        mkdir -p "$PODCTL_ROOT/cni/net.d"
        saved=$(ls "$PODCTL_ROOT/cni/net.d")
        for f in $saved; do mv "$PODCTL_ROOT/cni/net.d/$f" "$BATS_TEST_TMPDIR/"; done
        cat >"$PODCTL_ROOT/cni/net.d/00-fail.conflist" <<EOF2
{"cniVersion": "1.0.0", "name": "podctl-fail", "plugins": [
  {"type": "bridge", "bridge": "podctl0", "isGateway": true, "ipMasq": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.0.0/16"}]]}},
  {"type": "podctl-test-fail"}]}
EOF2
        before=$(trace_snapshot)
        run env PODCTL_CNI_PATH="/usr/lib/cni:/opt/cni/bin:$REPO/tests/data/cni" \
                "$PODCTL" apply -f "$(web_pod bad)"
        rm -f "$PODCTL_ROOT/cni/net.d/00-fail.conflist"
        for f in $saved; do mv "$BATS_TEST_TMPDIR/$f" "$PODCTL_ROOT/cni/net.d/"; done
        [ "$status" -ne 0 ]
        [[ "$output" == *'plugin "podctl-test-fail"'* ]]
        [[ "$output" == *"fake failure"* ]]
        # nothing of it is left (nothing deleted it): no Pod, no process,
        # mount or cgroup, no cache entry, no lease on the failing network
        run podctl get pod bad
        [ "$status" -ne 0 ]
        assert_no_new_trace "$before"
        [ -z "$(ls "$PODCTL_ROOT/cni/cache" 2>/dev/null)" ]
        [ -z "$(ls /var/lib/cni/networks/podctl-fail 2>/dev/null | grep -v -e '^lock$' -e '^last_reserved')" ]
}
