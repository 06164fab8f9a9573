#!/usr/bin/env bats
# Issue 14 §1: projected volumes (configMap, secret and downwardAPI
# sources; defaultMode, items, mode) with the Kubernetes documentation's
# examples (projected.yaml, projected-secret-downwardapi-configmap.yaml,
# projected-secrets-nondefault-permission-mode.yaml; local busybox image),
# on a tmpfs as the kubelet backs them; serviceAccountToken refused.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
teardown() { delete_all_pods; }

@test "projected.yaml: two Secrets in one directory, on a tmpfs" {
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Secret
metadata:
  name: user
stringData:
  username.txt: admin
---
apiVersion: v1
kind: Secret
metadata:
  name: pass
stringData:
  password.txt: 1f2d1e2e67df
---
apiVersion: v1
kind: Pod
metadata:
  name: test-projected-volume
spec:
  containers:
  - name: test-projected-volume
    image: busybox
    args:
    - sleep
    - "86400"
    volumeMounts:
    - name: all-in-one
      mountPath: "/projected-volume"
      readOnly: true
  volumes:
  - name: all-in-one
    projected:
      sources:
      - secret:
          name: user
      - secret:
          name: pass
EOF
)
        podctl apply -f "$f"
        p=test-projected-volume
        wait_for 10 container_running $p $p
        run -0 podctl exec $p -- ls /projected-volume/
        [ "$output" = "$(printf '%s\n' password.txt username.txt)" ]
        run -0 podctl exec $p -- cat /projected-volume/username.txt /projected-volume/password.txt
        [ "$output" = admin1f2d1e2e67df ]
        run -0 podctl exec $p -- awk '$2 == "/projected-volume" {print $3, $4}' /proc/mounts
        [[ $output == "tmpfs ro,"* ]]
        # on pause's tmpfs, not on the host's disk
        [ -z "$(ls -A "$PODCTL_ROOT/pods/default_$p/volumes/all-in-one")" ]
}

@test "projected-secret-downwardapi-configmap.yaml: a Secret, labels, cpu_limit and a ConfigMap" {
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Secret
metadata:
  name: mysecret
stringData:
  username: my-app
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: myconfigmap
data:
  config: "debug=1"
---
apiVersion: v1
kind: Pod
metadata:
  name: volume-test
  labels: {app: volume-test}
spec:
  containers:
  - name: container-test
    image: busybox
    command: ["sleep", "3600"]
    volumeMounts:
    - name: all-in-one
      mountPath: "/projected-volume"
      readOnly: true
  volumes:
  - name: all-in-one
    projected:
      sources:
      - secret:
          name: mysecret
          items:
            - key: username
              path: my-group/my-username
      - downwardAPI:
          items:
            - path: "labels"
              fieldRef:
                fieldPath: metadata.labels
            - path: "cpu_limit"
              resourceFieldRef:
                containerName: container-test
                resource: limits.cpu
      - configMap:
          name: myconfigmap
          items:
            - key: config
              path: my-group/my-config
EOF
)
        echo '{"node": {"capacity": {"cpu": "3"}, "reserved": {"cpu": "1500m"}}}' >"$PODCTL_ROOT/config.json"
        podctl apply -f "$f"
        rm -f "$PODCTL_ROOT/config.json"
        wait_for 10 container_running volume-test container-test
        run -0 podctl exec volume-test -- sh -c 'cd /projected-volume && cat my-group/my-username; echo; cat my-group/my-config; echo; cat labels; echo; cat cpu_limit'
        # no cpu limit: the node's allocatable (1500m), in cores, rounded up
        [ "$output" = "$(printf '%s\n' my-app debug=1 'app="volume-test"' 2)" ]
        run -0 podctl exec volume-test -- ls -a /projected-volume
        [ "$output" = "$(printf '%s\n' . .. "$(podctl exec volume-test -- readlink /projected-volume/..data)" ..data cpu_limit labels my-group)" ]
}

@test "projected-secrets-nondefault-permission-mode.yaml: defaultMode and items mode" {
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Secret
metadata:
  name: mysecret
stringData:
  username: my-app
---
apiVersion: v1
kind: Secret
metadata:
  name: mysecret2
stringData:
  password: pw
---
apiVersion: v1
kind: Pod
metadata:
  name: volume-test-modes
spec:
  restartPolicy: Never
  containers:
  - name: container-test
    image: busybox
    command: ["sh", "-c", "stat -L -c '%n %a' /projected-volume/my-group/my-username /projected-volume/my-group/my-password"]
    volumeMounts:
    - name: all-in-one
      mountPath: "/projected-volume"
      readOnly: true
  volumes:
  - name: all-in-one
    projected:
      defaultMode: 0400
      sources:
      - secret:
          name: mysecret
          items:
            - key: username
              path: my-group/my-username
      - secret:
          name: mysecret2
          items:
            - key: password
              path: my-group/my-password
              mode: 511
EOF
)
        podctl apply -f "$f"
        wait_for 10 phase_is volume-test-modes Succeeded
        run -0 podctl logs volume-test-modes
        [ "$output" = "$(printf '%s\n' '/projected-volume/my-group/my-username 400' '/projected-volume/my-group/my-password 777')" ]
}

@test "projected: a missing optional source adds nothing; a missing required one fails the Pod" {
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: proj-optional
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: ["ls", "/p"]
    volumeMounts:
    - {name: p, mountPath: /p}
  volumes:
  - name: p
    projected:
      sources:
      - configMap: {name: absent, optional: true}
      - downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: proj-required
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: ["true"]
    volumeMounts:
    - {name: p, mountPath: /p}
  volumes:
  - name: p
    projected:
      sources:
      - secret: {name: absent}
EOF
)
        run podctl apply -f "$f"
        [[ $output == *'volume "p": sources[0]: secret "absent" not found'* ]]
        wait_for 10 phase_is proj-optional Succeeded
        run -0 podctl logs proj-optional
        [ "$output" = name ]
        wait_for 10 phase_is proj-required Failed
}

@test "projected: serviceAccountToken and a second type in one source are refused, nothing created" {
        f=$(manifest <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: proj-bad
spec:
  containers:
  - name: main
    image: busybox
    volumeMounts:
    - {name: p, mountPath: /p}
  volumes:
  - name: p
    projected:
      sources:
      - serviceAccountToken: {path: token, audience: api, expirationSeconds: 3600}
      - configMap: {name: a}
        secret: {name: b}
      - downwardAPI: {items: [{path: ..x, fieldRef: {fieldPath: metadata.name}}]}
EOF
)
        run -1 podctl apply -f "$f"
        [[ $output == *"spec.volumes[0].projected.sources[0].serviceAccountToken: Forbidden: podctl has no API server to issue service account tokens"* ]]
        [[ $output == *"spec.volumes[0].projected.sources[1]: Forbidden: may not specify more than 1 volume type per source"* ]]
        [[ $output == *"spec.volumes[0].projected.sources[2].downwardAPI.items[0].path: Invalid value: \"..x\": must not start with '..'"* ]]
        [ -z "$(ls -A "$PODCTL_ROOT/pods")" ]
}
