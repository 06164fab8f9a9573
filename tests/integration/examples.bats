#!/usr/bin/env bats
# Kubernetes documentation examples (images mapped to the local busybox) and
# DNS configuration of Pods.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

@test "the logging docs' streaming sidecars (adapter pattern): each sidecar turns a file into a stream" {
        # kubernetes/website content/en/examples/admin/logging/
        # two-files-counter-pod-streaming-sidecar.yaml, with busybox:1.28 -> busybox
        f=$(manifest counter <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: counter
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: count
    image: busybox
    args:
    - /bin/sh
    - -c
    - >
      i=0;
      while true;
      do
        echo "$i: $(date)" >> /var/log/1.log;
        echo "$(date) INFO $i" >> /var/log/2.log;
        i=$((i+1));
        sleep 1;
      done
    volumeMounts:
    - name: varlog
      mountPath: /var/log
  - name: count-log-1
    image: busybox
    args: [/bin/sh, -c, 'tail -n+1 -F /var/log/1.log']
    volumeMounts:
    - name: varlog
      mountPath: /var/log
  - name: count-log-2
    image: busybox
    args: [/bin/sh, -c, 'tail -n+1 -F /var/log/2.log']
    volumeMounts:
    - name: varlog
      mountPath: /var/log
  volumes:
  - name: varlog
    emptyDir: {}
EOF
)
        podctl apply -f "$f"
        two_lines() { [ "$(podctl logs counter -c "$1" | wc -l)" -ge 2 ]; }
        wait_for 10 two_lines count-log-1
        wait_for 10 two_lines count-log-2
        run podctl logs counter -c count-log-1
        [[ "${lines[0]}" == "0: "* ]]
        [[ "${lines[1]}" == "1: "* ]]
        run podctl logs counter -c count-log-2
        [[ "${lines[0]}" == *" INFO 0" ]]
        podctl delete pod counter
}

@test "dnsPolicy None with dnsConfig shapes resolv.conf; the default copies the host's" {
        f=$(manifest dns <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  namespace: default
  name: dns-example
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - name: test
      image: busybox
      command: [sleep, "3600"]
  dnsPolicy: "None"
  dnsConfig:
    nameservers:
      - 192.0.2.1 # this is an example
    searches:
      - ns1.svc.cluster-domain.example
      - my.dns.search.suffix
    options:
      - name: ndots
        value: "2"
      - name: edns0
EOF
)
        # kubernetes/website content/en/examples/service/networking/custom-dns.yaml
        podctl apply -f "$f"
        wait_for 10 container_running dns-example test
        run podctl exec dns-example -- cat /etc/resolv.conf
        [ "$output" = "$(printf 'nameserver 192.0.2.1\nsearch ns1.svc.cluster-domain.example my.dns.search.suffix\noptions ndots:2 edns0')" ]
        podctl delete pod dns-example

        f=$(manifest default-dns <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: default-dns}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: test, image: busybox, command: [sleep, "3600"]}
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running default-dns test
        [ "$(podctl exec default-dns -- cat /etc/resolv.conf)" = "$(cat /etc/resolv.conf)" ]
        podctl delete pod default-dns
}

@test "hostAliases and the Pod IP in the Kubernetes-managed /etc/hosts" {
        # kubernetes/website content/en/examples/service/networking/hostaliases-pod.yaml
        f=$(manifest hostaliases <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: hostaliases-pod
spec:
  terminationGracePeriodSeconds: 0
  restartPolicy: Never
  hostAliases:
  - ip: "127.0.0.1"
    hostnames:
    - "foo.local"
    - "bar.local"
  - ip: "10.1.2.3"
    hostnames:
    - "foo.remote"
    - "bar.remote"
  containers:
  - name: cat-hosts
    image: busybox
    command:
    - cat
    args:
    - "/etc/hosts"
EOF
)
        podctl apply -f "$f"
        wait_for 10 phase_is hostaliases-pod Succeeded
        ip=$(jq_pod hostaliases-pod .status.podIP)
        run podctl logs hostaliases-pod
        [ "${lines[0]}" = "# Kubernetes-managed hosts file." ]
        [[ "$output" == *"127.0.0.1	localhost"* ]]
        [[ "$output" == *"$ip	hostaliases-pod"* ]]
        [[ "$output" == *"# Entries added by HostAliases."*"127.0.0.1	foo.local	bar.local"*"10.1.2.3	foo.remote	bar.remote"* ]]
        podctl delete pod hostaliases-pod
}
