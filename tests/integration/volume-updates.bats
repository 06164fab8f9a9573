#!/usr/bin/env bats
# Issue 14 §1: re-applying a ConfigMap or Secret updates the volumes of
# running Pods atomically, with the kubelet's ..data swap; subPath mounts
# keep the file they were bound to (as in Kubernetes). The e2e tests
# "ConfigMap updates should be reflected in volume", "optional updates
# should be reflected in volume" (configmap_volume.go, projected_*.go).

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
teardown() { delete_all_pods; }

in_pod() { podctl exec "$1" -- cat "$2" 2>/dev/null | grep -qxF -- "$3"; }

cm() {
        manifest <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: $1
data:
  data-1: $2
EOF
}

@test "a re-applied ConfigMap reaches the running Pod's volume; its subPath mount keeps the old file" {
        podctl apply -f "$(cm upd value-1)"
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: cm-upd
spec:
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts:
    - {name: cm, mountPath: /etc/cm}
    - {name: cm, mountPath: /etc/one, subPath: data-1}
    - {name: p, mountPath: /etc/p}
  volumes:
  - name: cm
    configMap: {name: upd}
  - name: p
    projected:
      sources:
      - configMap: {name: upd, items: [{key: data-1, path: d/one}]}
      - configMap: {name: later, optional: true}
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running cm-upd main
        run -0 podctl exec cm-upd -- cat /etc/cm/data-1 /etc/one /etc/p/d/one
        [ "$output" = value-1value-1value-1 ]
        run -0 podctl exec cm-upd -- readlink /etc/cm/..data
        old=$output
        run -0 podctl apply -f "$(cm upd value-2)"
        wait_for 10 in_pod cm-upd /etc/cm/data-1 value-2
        wait_for 10 in_pod cm-upd /etc/p/d/one value-2
        run -0 podctl exec cm-upd -- readlink /etc/cm/..data
        [ "$output" != "$old" ]
        # the old timestamped directory is gone
        run podctl exec cm-upd -- ls "/etc/cm/$old"
        [ "$status" -ne 0 ]
        # subPath: bound to the file of the first write, not updated
        run -0 podctl exec cm-upd -- cat /etc/one
        [ "$output" = value-1 ]
        # an optional ConfigMap created later appears in the projected volume
        podctl apply -f "$(cm later value-3)"
        wait_for 10 in_pod cm-upd /etc/p/data-1 value-3
}

@test "a re-applied Secret reaches a running Pod's secret volume on its tmpfs; a removed key goes" {
        s=$(manifest <<'EOF'
apiVersion: v1
kind: Secret
metadata: {name: sec-upd}
stringData: {a: one, b: two}
EOF
)
        podctl apply -f "$s"
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: sec-upd
spec:
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts:
    - {name: s, mountPath: /s}
  volumes:
  - name: s
    secret: {secretName: sec-upd, defaultMode: 0400}
EOF
)
        podctl apply -f "$f"
        wait_for 10 container_running sec-upd main
        run -0 podctl exec sec-upd -- ls /s
        [ "$output" = "$(printf '%s\n' a b)" ]
        s2=$(manifest <<'EOF'
apiVersion: v1
kind: Secret
metadata: {name: sec-upd}
stringData: {a: uno}
EOF
)
        podctl apply -f "$s2"
        wait_for 10 in_pod sec-upd /s/a uno
        run -0 podctl exec sec-upd -- ls /s
        [ "$output" = a ]
        run -0 podctl exec sec-upd -- stat -L -c %a /s/a
        [ "$output" = 400 ]
        # never on the host's disk
        run grep -rl uno "$PODCTL_ROOT/pods/default_sec-upd"
        [ "$status" -eq 1 ]
}
