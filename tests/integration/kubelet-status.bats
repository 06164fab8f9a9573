#!/usr/bin/env bats
# Issue 16: status, files and CLI rules exactly as the kubelet and kubectl
# have them (init container readiness, PodInitializing, the conditions'
# reasons and messages, hostAliases in /etc/hosts, a container's own
# /etc/hosts, items[].mode, apply -n).

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
teardown() { delete_all_pods; }

cond() { jq_pod "$1" ".status.conditions[] | select(.type==\"$2\") | .$3 // \"\""; }
init_status() { jq_pod "$1" ".status.initContainerStatuses[] | select(.name==\"$2\") | $3"; }
init_running() { [ "$(init_status "$1" "$2" '.state | has("running")')" = true ]; }

@test "init containers: PodInitializing, ready once done, kubelet's condition messages" {
        f=$(manifest <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: inits
spec:
  initContainers:
  - name: init1
    image: busybox
    command: ["sh", "-c", "until [ -e /tmp/go ]; do sleep 0.1; done"]
  - name: init2
    image: busybox
    command: ["true"]
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
EOF
)
        podctl apply -f "$f"
        wait_for 10 init_running inits init1
        # Not yet started, init or not: PodInitializing.
        [ "$(init_status inits init2 .state.waiting.reason)" = PodInitializing ]
        [ "$(jq_pod inits '.status.containerStatuses[0].state.waiting.reason')" = PodInitializing ]
        [ "$(cond inits Initialized status)" = False ]
        [ "$(cond inits Initialized reason)" = ContainersNotInitialized ]
        [ "$(cond inits Initialized message)" = "containers with incomplete status: [init1 init2]" ]
        [ "$(cond inits ContainersReady reason)" = ContainersNotReady ]
        [ "$(cond inits ContainersReady message)" = "containers with unready status: [app]" ]
        [ "$(cond inits Ready reason)" = ContainersNotReady ]
        [ "$(cond inits Ready message)" = "containers with unready status: [app]" ]
        podctl exec inits -c init1 -- touch /tmp/go
        wait_for 10 container_running inits app
        # A completed init container is ready, not started.
        [ "$(init_status inits init1 .ready)" = true ]
        [ "$(init_status inits init2 .ready)" = true ]
        [ "$(init_status inits init1 .started)" = false ]
        [ "$(init_status inits init1 .state.terminated.reason)" = Completed ]
        [ "$(cond inits Initialized status)" = True ]
        [ "$(cond inits Initialized message)" = "" ]
        [ "$(cond inits Ready status)" = True ]
        [ "$(cond inits Ready reason)" = "" ]
}

@test "a Succeeded Pod: conditions with reason PodCompleted" {
        f=$(manifest <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: done
spec:
  restartPolicy: Never
  initContainers:
  - name: init1
    image: busybox
    command: ["true"]
  containers:
  - name: app
    image: busybox
    command: ["true"]
EOF
)
        podctl apply -f "$f"
        wait_for 10 phase_is done Succeeded
        # the sandbox of a finished Pod is gone
        [ "$(cond done PodReadyToStartContainers status)" = False ]
        [ "$(cond done Initialized status)" = True ]
        [ "$(cond done Initialized reason)" = PodCompleted ]
        [ "$(cond done ContainersReady status)" = False ]
        [ "$(cond done ContainersReady reason)" = PodCompleted ]
        [ "$(cond done Ready reason)" = PodCompleted ]
        [ "$(cond done Ready message)" = "" ]
        [ "$(init_status done init1 .ready)" = true ]
}

@test "a failed init container under Never: PodFailed, init1 incomplete" {
        f=$(manifest <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: initfail
spec:
  restartPolicy: Never
  initContainers:
  - name: init1
    image: busybox
    command: ["false"]
  containers:
  - name: app
    image: busybox
    command: ["true"]
EOF
)
        podctl apply -f "$f"
        wait_for 10 phase_is initfail Failed
        [ "$(init_status initfail init1 .ready)" = false ]
        [ "$(cond initfail Initialized message)" = "containers with incomplete status: [init1]" ]
        [ "$(cond initfail ContainersReady reason)" = PodFailed ]
        [ "$(jq_pod initfail '.status.containerStatuses[0].state.waiting.reason')" = PodInitializing ]
}

@test "hostAliases: the kubelet's header, one tab-separated line per IP" {
        f=$(manifest <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: aliases
spec:
  hostAliases:
  - ip: "123.45.67.89"
    hostnames: ["foo", "bar"]
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running aliases main
        run -0 podctl exec aliases -- cat /etc/hosts
        [ "${lines[-2]}" = "# Entries added by HostAliases." ]
        [ "${lines[-1]}" = "$(printf '123.45.67.89\tfoo\tbar')" ]
}

@test "a container mounting a volume at /etc/hosts keeps it; the others get the managed file" {
        f=$(manifest <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: ownhosts
spec:
  containers:
  - name: managed
    image: busybox
    command: ["sleep", "3600"]
  - name: own
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts:
    - name: host-etc-hosts
      mountPath: /etc/hosts
  volumes:
  - name: host-etc-hosts
    hostPath:
      path: /etc/hosts
      type: FileOrCreate
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running ownhosts own
        run -0 podctl exec ownhosts -c own -- cat /etc/hosts
        [ "$output" = "$(cat /etc/hosts)" ]
        run -0 podctl exec ownhosts -c managed -- cat /etc/hosts
        [ "${lines[0]}" = "# Kubernetes-managed hosts file." ]
}

@test "configMap and secret volumes: items[].mode over defaultMode" {
        f=$(manifest <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
data:
  data-1: value-1
  data-2: value-2
---
apiVersion: v1
kind: Secret
metadata:
  name: sec
stringData:
  data-1: value-1
---
apiVersion: v1
kind: Pod
metadata:
  name: modes
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "stat -L -c '%n %a' /cm/path/to/data-2 /cm/data-1 /cm/data-1-again /sec/new-path-data-1"]
    volumeMounts:
    - {name: cm, mountPath: /cm}
    - {name: sec, mountPath: /sec}
  volumes:
  - name: cm
    configMap:
      name: cm
      defaultMode: 0440
      items:
      - {key: data-2, path: path/to/data-2, mode: 0400}
      - {key: data-1, path: data-1}
      - {key: data-1, path: data-1-again, mode: 0777}
  - name: sec
    secret:
      secretName: sec
      items:
      - {key: data-1, path: new-path-data-1, mode: 0400}
EOF
)
        podctl apply -f "$f"
        wait_for 10 phase_is modes Succeeded
        run -0 podctl logs modes
        [ "$output" = "$(printf '%s\n' '/cm/path/to/data-2 400' '/cm/data-1 440' '/cm/data-1-again 777' '/sec/new-path-data-1 400')" ]
}

@test "an items key the ConfigMap lacks fails the container (kubelet: non-existent config key)" {
        f=$(manifest <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-lack
data:
  data-1: value-1
---
apiVersion: v1
kind: Pod
metadata:
  name: lackkey
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: ["true"]
    volumeMounts:
    - {name: cm, mountPath: /cm}
  volumes:
  - name: cm
    configMap:
      name: cm-lack
      items:
      - {key: nope, path: nope}
EOF
)
        run podctl apply -f "$f"
        [[ "$output" == *"configmap references non-existent config key: nope"* ]]
        wait_for 10 phase_is lackkey Failed
}

@test "apply -n: a manifest without a namespace goes to -n's; another one is refused" {
        f=$(manifest <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: nsless
spec:
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
EOF
)
        run -0 podctl -n team apply -f "$f"
        [ "$output" = "pod/nsless created" ]
        run -0 podctl -n team get pod nsless -o json
        [ "$(jq -r .metadata.namespace <<<"$output")" = team ]
        run -1 podctl get pod nsless
        [[ "$output" == *'pods "nsless" not found'* ]]
        # -n after the verb is the same flag.
        sed -i 's/name: nsless/name: nsless2/' "$f"
        run -0 podctl apply -n team -f "$f"
        run -0 podctl get pod nsless2 -n team -o json
        [ "$(jq -r .metadata.namespace <<<"$output")" = team ]
        # metadata.namespace other than -n: kubectl's error, nothing created.
        g=$(manifest other <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: elsewhere
  namespace: other
spec:
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
EOF
)
        run -1 podctl -n team apply -f "$g"
        [[ "$output" == *"the namespace from the provided object \"other\" does not match the namespace \"team\". You must pass '--namespace=other' to perform this operation."* ]]
        run -1 podctl -n other get pod elsewhere
        [[ "$output" == *'not found'* ]]
        # Without -n, the manifest's namespace counts.
        run -0 podctl apply -f "$g"
        run -0 podctl -n other get pod elsewhere
        # delete -f with -n finds the Pod where apply put it.
        run -0 podctl -n team delete -f "$f" --grace-period=0 --force
        run -1 podctl -n team get pod nsless2
        [[ "$output" == *'not found'* ]]
}

@test "status.podIP in the environment is the Pod's IP; a hostNetwork Pod's is the host's" {
        f=$(manifest <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: ips
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo \$POD_IP \$HOST_IP"]
    env:
    - name: POD_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    - name: HOST_IP
      valueFrom: {fieldRef: {fieldPath: status.hostIP}}
---
apiVersion: v1
kind: Pod
metadata:
  name: hostips
spec:
  hostNetwork: true
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo \$POD_IP \$HOST_IP"]
    env:
    - name: POD_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    - name: HOST_IP
      valueFrom: {fieldRef: {fieldPath: status.hostIP}}
EOF
)
        podctl apply -f "$f"
        wait_for 10 phase_is ips Succeeded
        wait_for 10 phase_is hostips Succeeded
        ip=$(jq_pod ips .status.podIP)
        host=$(jq_pod ips .status.hostIP)
        [ "$ip" != "$host" ]
        [ "$(jq_pod ips '.status.hostIPs[0].ip')" = "$host" ]
        run -0 podctl logs ips
        [ "$output" = "$ip $host" ]
        # hostNetwork: podIP(s) = hostIP (kubelet_pods.go), in the status and the env.
        [ "$(jq_pod hostips .status.podIP)" = "$host" ]
        [ "$(jq_pod hostips '.status.podIPs[0].ip')" = "$host" ]
        run -0 podctl logs hostips
        [ "$output" = "$host $host" ]
}

@test "spec.os: another OS fails the Pod at once (PodOSNotSupported, nothing runs); an unknown one is refused" {
        f=$(manifest <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: winpod
spec:
  os: {name: windows}
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
EOF
)
        run -0 podctl apply -f "$f"
        [[ "$output" != *"not supported"* ]]
        wait_for 10 phase_is winpod Failed
        [ "$(jq_pod winpod .status.reason)" = PodOSNotSupported ]
        [ "$(jq_pod winpod .status.message)" = "Pod was rejected: Failed to admit pod as the OS field doesn't match node OS" ]
        # No container statuses (the kubelet's rejectPod); kubectl's STATUS is the reason.
        [ "$(jq_pod winpod '.status | has("containerStatuses")')" = false ]
        run -0 podctl get pod winpod
        [[ "${lines[1]}" == *PodOSNotSupported* ]]
        run -0 podctl describe pod winpod
        [[ "$output" == *PodOSNotSupported* ]]
        sed -i 's/name: windows/name: plan9/; s/name: winpod/name: plan9pod/' "$f"
        run -1 podctl apply -f "$f"
        [[ "$output" == *'spec.os.name: Unsupported value: "plan9": supported values: "linux", "windows"'* ]]
}

@test "conditions in the kubelet's order, as kubectl shows them; PodReadyToStartContainers True with the sandbox; PodCompleted without init containers too" {
        f=$(manifest <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: order
spec:
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running order app
        run jq_pod order '[.status.conditions[] | .type + "=" + .status] | join(" ")'
        [ "$output" = "PodReadyToStartContainers=True Initialized=True Ready=True ContainersReady=True PodScheduled=True" ]
        run podctl describe pod order
        [[ "$output" == *$'Conditions:\n  Type                        Status\n  PodReadyToStartContainers   True \n  Initialized                 True \n'* ]]
        f=$(manifest done2 <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: done2
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: busybox
    command: ["true"]
EOF
)
        podctl apply -f "$f"
        wait_for 10 phase_is done2 Succeeded
        [ "$(cond done2 Initialized status)" = True ]
        [ "$(cond done2 Initialized reason)" = PodCompleted ]
        [ "$(cond done2 PodReadyToStartContainers status)" = False ]
}

@test "containerStatuses[].user: the ids the process runs with; volumeMounts with readOnly and recursiveReadOnly" {
        f=$(manifest ids <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: ids
spec:
  securityContext: {runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000]}
  volumes: [{name: a, emptyDir: {}}, {name: b, emptyDir: {}}, {name: c, emptyDir: {}}]
  containers:
  - name: app
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts:
    - {name: a, mountPath: /a}
    - {name: b, mountPath: /b, readOnly: true}
    - {name: c, mountPath: /c, readOnly: true, recursiveReadOnly: Enabled}
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running ids app
        run jq_pod ids '.status.containerStatuses[0].user | tojson'
        [ "$output" = '{"linux":{"uid":1000,"gid":3000,"supplementalGroups":[3000,4000]}}' ]
        run jq_pod ids '.status.containerStatuses[0].volumeMounts | tojson'
        [ "$output" = '[{"name":"a","mountPath":"/a"},{"name":"b","mountPath":"/b","readOnly":true,"recursiveReadOnly":"Disabled"},{"name":"c","mountPath":"/c","readOnly":true,"recursiveReadOnly":"Enabled"}]' ]
}
