#!/usr/bin/env bats
# Node conformance: test/e2e/common/node/downwardapi.go (resourceFieldRef
# env), test/e2e/common/storage/{downwardapi_volume,projected_downwardapi,
# projected_configmap,projected_secret,projected_combined}.go, one @test per
# Go test, named by its description string (the agnhost mounttest stand-in
# prints what mt.go does).

load helpers

setup_file() { conformance_setup_file; }
teardown_file() { common_teardown_file; }
teardown() { conformance_teardown; }

# ---- node/downwardapi.go ----------------------------------------------------------

# testDownwardAPI: busybox "dapi-container", sh -c env, Never; with
# downwardPodWithResources' requests 250m/32Mi, limits 1250m/64Mi or none.
dapi_env_pod() { # NAME RESOURCES-YAML
        apply "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  containers:
  - name: dapi-container
    image: $BUSYBOX
    command: ["sh", "-c", "env"]
    resources: $2
    env:
    - {name: CPU_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
    - {name: MEMORY_LIMIT, valueFrom: {resourceFieldRef: {resource: limits.memory}}}
    - {name: CPU_REQUEST, valueFrom: {resourceFieldRef: {resource: requests.cpu}}}
    - {name: MEMORY_REQUEST, valueFrom: {resourceFieldRef: {resource: requests.memory}}}
EOF
}

# Downward API: "should provide container's limits.cpu/memory and requests.cpu/memory as env vars [NodeConformance]"
@test "Downward API should provide container's limits.cpu/memory and requests.cpu/memory as env vars [NodeConformance]" {
        dapi_env_pod downward-api-env-res "{requests: {cpu: 250m, memory: 32Mi}, limits: {cpu: 1250m, memory: 64Mi}}"
        expect_output downward-api-env-res dapi-container CPU_LIMIT=2 MEMORY_LIMIT=67108864 \
                CPU_REQUEST=1 MEMORY_REQUEST=33554432
}

# Downward API: "should provide default limits.cpu/memory from node allocatable [NodeConformance]"
@test "Downward API should provide default limits.cpu/memory from node allocatable [NodeConformance]" {
        dapi_env_pod downward-api-env-default "{}"
        expect_output_regexp downward-api-env-default dapi-container "CPU_LIMIT=[1-9]" "MEMORY_LIMIT=[1-9]"
}

# ---- storage/downwardapi_volume.go --------------------------------------------------

# downwardAPIVolumeBasePod: the "podinfo" items podname, cpu_limit,
# cpu_request, memory_limit, memory_request (of "client-container"), Never;
# agnhost "client-container" running mounttest ARGS, podinfo at /etc/podinfo;
# downwardAPIVolumeBaseContainers' requests 250m/32Mi, limits 1250m/64Mi
# when RESOURCES is "base". PROJECTED=1: the same items as the one
# downwardAPI source of a projected volume (projected_downwardapi.go).
dapi_vol_pod() { # NAME ARGS-JSON RESOURCES(base|none) [DEFAULT-MODE] [ITEM-MODE]
        local res="{}" vol
        [ "$3" != base ] || res="{requests: {cpu: 250m, memory: 32Mi}, limits: {cpu: 1250m, memory: 64Mi}}"
        local items="
          - {path: podname, fieldRef: {apiVersion: v1, fieldPath: metadata.name}${5:+, mode: $5}}
          - {path: cpu_limit, resourceFieldRef: {containerName: client-container, resource: limits.cpu}}
          - {path: cpu_request, resourceFieldRef: {containerName: client-container, resource: requests.cpu}}
          - {path: memory_limit, resourceFieldRef: {containerName: client-container, resource: limits.memory}}
          - {path: memory_request, resourceFieldRef: {containerName: client-container, resource: requests.memory}}"
        if [ "${PROJECTED:-0}" = 1 ]; then
                vol="    projected:
      ${4:+defaultMode: $4}
      sources:
      - downwardAPI:
          items:$items"
        else
                vol="    downwardAPI:
      ${4:+defaultMode: $4}
      items:${items//
          /
      }"
        fi
        apply "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  containers:
  - name: client-container
    image: $AGNHOST
    args: $2
    resources: $res
    volumeMounts:
    - {name: podinfo, mountPath: /etc/podinfo}
  volumes:
  - name: podinfo
$vol
EOF
}
file_is() { printf '^content of file "%s": %s$' "$1" "$2"; }

# The cases of downwardapi_volume.go; projected_downwardapi.go runs the same.
podname_only() {
        dapi_vol_pod downwardapi-volume-podname "[mounttest, --file_content=/etc/podinfo/podname]" none
        expect_output_regexp downwardapi-volume-podname client-container "$(file_is /etc/podinfo/podname downwardapi-volume-podname)"
}
default_mode() {
        dapi_vol_pod downwardapi-volume-defmode "[mounttest, --file_mode=/etc/podinfo/podname]" none 0400
        expect_output downwardapi-volume-defmode client-container 'mode of file "/etc/podinfo/podname": -r--------'
}
item_mode() {
        dapi_vol_pod downwardapi-volume-itemmode "[mounttest, --file_mode=/etc/podinfo/podname]" none "" 0400
        expect_output downwardapi-volume-itemmode client-container 'mode of file "/etc/podinfo/podname": -r--------'
}
resource_file() { # FILE WANT-REGEX RESOURCES
        dapi_vol_pod "downwardapi-volume-${1//_/-}" "[mounttest, --file_content=/etc/podinfo/$1]" "$3"
        expect_output_regexp "downwardapi-volume-${1//_/-}" client-container "$(file_is "/etc/podinfo/$1" "$2")"
}

# Downward API volume: "should provide podname only [NodeConformance]"
@test "Downward API volume should provide podname only [NodeConformance]" {
        podname_only
}

# Downward API volume: "should set DefaultMode on files [LinuxOnly] [NodeConformance]"
@test "Downward API volume should set DefaultMode on files [LinuxOnly] [NodeConformance]" {
        default_mode
}

# Downward API volume: "should set mode on item file [LinuxOnly] [NodeConformance]"
@test "Downward API volume should set mode on item file [LinuxOnly] [NodeConformance]" {
        item_mode
}

# Downward API volume: "should provide container's cpu limit [NodeConformance]"
@test "Downward API volume should provide container's cpu limit [NodeConformance]" {
        resource_file cpu_limit 2 base
}

# Downward API volume: "should provide container's memory limit [NodeConformance]"
@test "Downward API volume should provide container's memory limit [NodeConformance]" {
        resource_file memory_limit 67108864 base
}

# Downward API volume: "should provide container's cpu request [NodeConformance]"
@test "Downward API volume should provide container's cpu request [NodeConformance]" {
        resource_file cpu_request 1 base
}

# Downward API volume: "should provide container's memory request [NodeConformance]"
@test "Downward API volume should provide container's memory request [NodeConformance]" {
        resource_file memory_request 33554432 base
}

# Downward API volume: "should provide node allocatable (cpu) as default cpu limit if the limit is not set [NodeConformance]"
@test "Downward API volume should provide node allocatable (cpu) as default cpu limit if the limit is not set [NodeConformance]" {
        resource_file cpu_limit '[1-9][0-9]*' none
}

# Downward API volume: "should provide node allocatable (memory) as default memory limit if the limit is not set [NodeConformance]"
@test "Downward API volume should provide node allocatable (memory) as default memory limit if the limit is not set [NodeConformance]" {
        resource_file memory_limit '[1-9][0-9]*' none
}

# ---- storage/projected_downwardapi.go ----------------------------------------------

# Projected downwardAPI: "should provide podname only [NodeConformance]"
@test "Projected downwardAPI should provide podname only [NodeConformance]" {
        PROJECTED=1 podname_only
}

# Projected downwardAPI: "should set DefaultMode on files [LinuxOnly] [NodeConformance]"
@test "Projected downwardAPI should set DefaultMode on files [LinuxOnly] [NodeConformance]" {
        PROJECTED=1 default_mode
}

# Projected downwardAPI: "should set mode on item file [LinuxOnly] [NodeConformance]"
@test "Projected downwardAPI should set mode on item file [LinuxOnly] [NodeConformance]" {
        PROJECTED=1 item_mode
}

# Projected downwardAPI: "should provide container's cpu limit [NodeConformance]"
@test "Projected downwardAPI should provide container's cpu limit [NodeConformance]" {
        PROJECTED=1 resource_file cpu_limit 2 base
}

# Projected downwardAPI: "should provide container's memory limit [NodeConformance]"
@test "Projected downwardAPI should provide container's memory limit [NodeConformance]" {
        PROJECTED=1 resource_file memory_limit 67108864 base
}

# Projected downwardAPI: "should provide container's cpu request [NodeConformance]"
@test "Projected downwardAPI should provide container's cpu request [NodeConformance]" {
        PROJECTED=1 resource_file cpu_request 1 base
}

# Projected downwardAPI: "should provide container's memory request [NodeConformance]"
@test "Projected downwardAPI should provide container's memory request [NodeConformance]" {
        PROJECTED=1 resource_file memory_request 33554432 base
}

# Projected downwardAPI: "should provide node allocatable (cpu) as default cpu limit if the limit is not set [NodeConformance]"
@test "Projected downwardAPI should provide node allocatable (cpu) as default cpu limit if the limit is not set [NodeConformance]" {
        PROJECTED=1 resource_file cpu_limit '[1-9][0-9]*' none
}

# Projected downwardAPI: "should provide node allocatable (memory) as default memory limit if the limit is not set [NodeConformance]"
@test "Projected downwardAPI should provide node allocatable (memory) as default memory limit if the limit is not set [NodeConformance]" {
        PROJECTED=1 resource_file memory_limit '[1-9][0-9]*' none
}

# ---- storage/projected_configmap.go ----------------------------

# doProjectedConfigMapE2E / doProjectedSecretE2E: agnhost "agnhost-container"
# (secrets: "projected-secret-volume-test") with the projected volume
# "projected-configmap-volume" / "projected-secret-volume" read-only at
# /etc/projected-configmap-volume / /etc/projected-secret-volume, Never.
# SC is the Pod's securityContext (setPodNonRootUser: runAsUser 1000).
projected_pod() { # NAME KIND(configMap|secret) OBJECT ARGS-JSON DEFAULT-MODE ITEMS-YAML [SC]
        local v=projected-configmap-volume c=agnhost-container
        [ "$2" = configMap ] || { v=projected-secret-volume; c=projected-secret-volume-test; }
        apply "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
${7:+  securityContext: $7}
  containers:
  - name: $c
    image: $AGNHOST
    args: $4
    volumeMounts:
    - {name: $v, mountPath: /etc/$v, readOnly: true}
  volumes:
  - name: $v
    projected:
      ${5:+defaultMode: $5}
      sources:
      - $2:
          name: $3
          ${6:+items: $6}
EOF
}
cm_object() {
        apply "cm-$1" <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: $1}
data: {data-1: value-1, data-2: value-2, data-3: value-3}
EOF
}
secret_object() { # NAME [NAMESPACE]: secretForTest, data-N = "value-N\n"
        apply "secret-$1${2:+-$2}" <<EOF
apiVersion: v1
kind: Secret
metadata: {name: $1, namespace: ${2:-default}}
data: {data-1: dmFsdWUtMQo=, data-2: dmFsdWUtMgo=, data-3: dmFsdWUtMwo=}
EOF
}
PC1=/etc/projected-configmap-volume/data-1
PC2=/etc/projected-configmap-volume/path/to/data-2
PS1=/etc/projected-secret-volume/data-1
PS2=/etc/projected-secret-volume/new-path-data-1

# Projected configMap: "should be consumable from pods in volume [NodeConformance]"
@test "Projected configMap should be consumable from pods in volume [NodeConformance]" {
        cm_object projected-configmap-test-volume-1
        projected_pod pod-projected-configmaps-1 configMap projected-configmap-test-volume-1 "[mounttest, --file_content=$PC1, --file_mode=$PC1]" "" ""
        expect_output_regexp pod-projected-configmaps-1 agnhost-container "content of file \"$PC1\": value-1" \
                "mode of file \"$PC1\": -rw-r--r--"
}

# Projected configMap: "should be consumable from pods in volume with defaultMode set [LinuxOnly] [NodeConformance]"
@test "Projected configMap should be consumable from pods in volume with defaultMode set [LinuxOnly] [NodeConformance]" {
        cm_object projected-configmap-test-volume-2
        projected_pod pod-projected-configmaps-2 configMap projected-configmap-test-volume-2 "[mounttest, --file_content=$PC1, --file_mode=$PC1]" 0400 ""
        expect_output_regexp pod-projected-configmaps-2 agnhost-container "content of file \"$PC1\": value-1" \
                "mode of file \"$PC1\": -r--------"
}

# Projected configMap: "should be consumable from pods in volume with mappings [NodeConformance]"
@test "Projected configMap should be consumable from pods in volume with mappings [NodeConformance]" {
        cm_object projected-configmap-test-volume-map-3
        projected_pod pod-projected-configmaps-3 configMap projected-configmap-test-volume-map-3 "[mounttest, --file_content=$PC2, --file_mode=$PC2]" "" "[{key: data-2, path: path/to/data-2}]"
        expect_output_regexp pod-projected-configmaps-3 agnhost-container "content of file \"$PC2\": value-2" \
                "mode of file \"$PC2\": -rw-r--r--"
}

# Projected configMap: "should be consumable from pods in volume with mappings and Item mode set [LinuxOnly] [NodeConformance]"
@test "Projected configMap should be consumable from pods in volume with mappings and Item mode set [LinuxOnly] [NodeConformance]" {
        cm_object projected-configmap-test-volume-map-4
        projected_pod pod-projected-configmaps-4 configMap projected-configmap-test-volume-map-4 "[mounttest, --file_content=$PC2, --file_mode=$PC2]" "" "[{key: data-2, path: path/to/data-2, mode: 0400}]"
        expect_output_regexp pod-projected-configmaps-4 agnhost-container "content of file \"$PC2\": value-2" \
                "mode of file \"$PC2\": -r--------"
}

# Projected configMap: "should be consumable from pods in volume as non-root [NodeConformance]"
@test "Projected configMap should be consumable from pods in volume as non-root [NodeConformance]" {
        cm_object projected-configmap-test-volume-5
        projected_pod pod-projected-configmaps-5 configMap projected-configmap-test-volume-5 "[mounttest, --file_content=$PC1, --file_mode=$PC1]" "" "" "{runAsUser: 1000}"
        expect_output_regexp pod-projected-configmaps-5 agnhost-container "content of file \"$PC1\": value-1" \
                "mode of file \"$PC1\": -rw-r--r--"
}

# Projected configMap: "should be consumable from pods in volume with mappings as non-root [NodeConformance]"
@test "Projected configMap should be consumable from pods in volume with mappings as non-root [NodeConformance]" {
        cm_object projected-configmap-test-volume-map-6
        projected_pod pod-projected-configmaps-6 configMap projected-configmap-test-volume-map-6 "[mounttest, --file_content=$PC2, --file_mode=$PC2]" "" "[{key: data-2, path: path/to/data-2}]" "{runAsUser: 1000}"
        expect_output_regexp pod-projected-configmaps-6 agnhost-container "content of file \"$PC2\": value-2" \
                "mode of file \"$PC2\": -rw-r--r--"
}

# Projected configMap: "should be consumable in multiple volumes in the same pod [NodeConformance]"
@test "Projected configMap should be consumable in multiple volumes in the same pod [NodeConformance]" {
        cm_object projected-configmap-test-volume-multi
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod-projected-configmaps-multi
spec:
  restartPolicy: Never
  volumes:
  - name: projected-configmap-volume
    projected:
      sources:
      - configMap: {name: projected-configmap-test-volume-multi}
  - name: projected-configmap-volume-2
    projected:
      sources:
      - configMap: {name: projected-configmap-test-volume-multi}
  containers:
  - name: projected-configmap-volume-test
    image: $AGNHOST
    args: [mounttest, --file_content=$PC1]
    volumeMounts:
    - {name: projected-configmap-volume, mountPath: /etc/projected-configmap-volume, readOnly: true}
    - {name: projected-configmap-volume-2, mountPath: /etc/projected-configmap-volume-2, readOnly: true}
EOF
        expect_output pod-projected-configmaps-multi projected-configmap-volume-test "content of file \"$PC1\": value-1"
}

# Polling a container's log (gomega.Eventually on GetPodLogs).
log_has() { [[ $(podctl logs "$1" -c "$2") == *"$3"* ]]; }
# podLogTimeout (GetPodSecretUpdateTimeout): the kubelet's sync period and
# its ConfigMap/Secret cache TTL, 2 minutes and more; podctl rewrites the
# files when an object is applied or deleted, so 60 s is plenty.
UPD_WAIT=60

# Projected configMap: "updates should be reflected in volume [NodeConformance]"
# The ConfigMap update is a re-apply (podctl has no API server).
@test "Projected configMap updates should be reflected in volume [NodeConformance]" {
        cm_upd() {
                apply "cm-upd-$1" <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: projected-configmap-test-upd}
data: {data-1: $1}
EOF
        }
        cm_upd value-1
        projected_pod pod-projected-configmaps-upd configMap projected-configmap-test-upd \
                "[mounttest, --break_on_expected_content=false, --retry_time=120, --file_content_in_loop=$PC1]" "" ""
        wait_for 30 phase_is pod-projected-configmaps-upd Running
        wait_for $UPD_WAIT log_has pod-projected-configmaps-upd agnhost-container value-1
        cm_upd value-2
        wait_for $UPD_WAIT log_has pod-projected-configmaps-upd agnhost-container value-2
}

# optional-updates Pod of projected_configmap.go / projected_secret.go: three
# containers (delete, update, create) each reading its own optional source in
# a loop, under /etc/projected-KIND-volumes/{delete,update,create}.
optional_pod() { # NAME KIND(configMap|secret) DIR DEL-NAME UPD-NAME CREATE-NAME CTR-DEL CTR-UPD CTR-CREATE VOL-DEL VOL-UPD VOL-CREATE
        local args="mounttest, --break_on_expected_content=false, --retry_time=120, --file_content_in_loop=$3"
        apply "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  volumes:
  - name: ${10}
    projected:
      sources:
      - $2: {name: $4, optional: true}
  - name: ${11}
    projected:
      sources:
      - $2: {name: $5, optional: true}
  - name: ${12}
    projected:
      sources:
      - $2: {name: $6, optional: true}
  containers:
  - name: $7
    image: $AGNHOST
    args: [$args/delete/data-1]
    volumeMounts:
    - {name: ${10}, mountPath: $3/delete, readOnly: true}
  - name: $8
    image: $AGNHOST
    args: [$args/update/data-3]
    volumeMounts:
    - {name: ${11}, mountPath: $3/update, readOnly: true}
  - name: $9
    image: $AGNHOST
    args: [$args/create/data-1]
    volumeMounts:
    - {name: ${12}, mountPath: $3/create, readOnly: true}
EOF
        wait_for 30 phase_is "$1" Running
}
# The Go test's checks before and after: create and update fail to read,
# delete reads value-1; then delete reads nothing, update value-3, create
# value-1.
optional_checks() { # POD DIR CTR-DEL CTR-UPD CTR-CREATE STEP(before|after)
        if [ "$6" = before ]; then
                wait_for $UPD_WAIT log_has "$1" "$5" "Error reading file $2/create/data-1"
                wait_for $UPD_WAIT log_has "$1" "$4" "Error reading file $2/update/data-3"
                wait_for $UPD_WAIT log_has "$1" "$3" value-1
        else
                wait_for $UPD_WAIT log_has "$1" "$5" value-1
                wait_for $UPD_WAIT log_has "$1" "$4" value-3
                wait_for $UPD_WAIT log_has "$1" "$3" "Error reading file $2/delete/data-1"
        fi
}

# Projected configMap: "optional updates should be reflected in volume [NodeConformance]"
# The update is a re-apply, the delete `podctl delete configmap`.
@test "Projected configMap optional updates should be reflected in volume [NodeConformance]" {
        local d=/etc/projected-configmap-volumes
        apply cms <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: cm-test-opt-del}
data: {data-1: value-1}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm-test-opt-upd}
data: {data-1: value-1}
EOF
        optional_pod pod-projected-configmaps-opt configMap $d cm-test-opt-del cm-test-opt-upd cm-test-opt-create \
                delcm-volume-test updcm-volume-test createcm-volume-test deletecm-volume updatecm-volume createcm-volume
        optional_checks pod-projected-configmaps-opt $d delcm-volume-test updcm-volume-test createcm-volume-test before
        run -0 podctl delete configmap cm-test-opt-del
        apply cms2 <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: cm-test-opt-upd}
data: {data-3: value-3}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm-test-opt-create}
data: {data-1: value-1}
EOF
        optional_checks pod-projected-configmaps-opt $d delcm-volume-test updcm-volume-test createcm-volume-test after
}

# ---- storage/projected_secret.go ------------------------------------------------

# Projected secret: "should be consumable from pods in volume [NodeConformance]"
@test "Projected secret should be consumable from pods in volume [NodeConformance]" {
        secret_object projected-secret-test-1
        projected_pod pod-projected-secrets-1 secret projected-secret-test-1 "[mounttest, --file_content=$PS1, --file_mode=$PS1]" "" ""
        expect_output_regexp pod-projected-secrets-1 projected-secret-volume-test "content of file \"$PS1\": value-1" \
                "mode of file \"$PS1\": -rw-r--r--"
}

# Projected secret: "should be consumable from pods in volume with defaultMode set [LinuxOnly] [NodeConformance]"
@test "Projected secret should be consumable from pods in volume with defaultMode set [LinuxOnly] [NodeConformance]" {
        secret_object projected-secret-test-2
        projected_pod pod-projected-secrets-2 secret projected-secret-test-2 "[mounttest, --file_content=$PS1, --file_mode=$PS1]" 0400 ""
        expect_output_regexp pod-projected-secrets-2 projected-secret-volume-test "content of file \"$PS1\": value-1" \
                "mode of file \"$PS1\": -r--------"
}

# Projected secret: "should be consumable from pods in volume with mappings and Item Mode set [LinuxOnly] [NodeConformance]"
@test "Projected secret should be consumable from pods in volume with mappings and Item Mode set [LinuxOnly] [NodeConformance]" {
        secret_object projected-secret-test-map-3
        projected_pod pod-projected-secrets-3 secret projected-secret-test-map-3 "[mounttest, --file_content=$PS2, --file_mode=$PS2]" "" "[{key: data-1, path: new-path-data-1, mode: 0400}]"
        expect_output_regexp pod-projected-secrets-3 projected-secret-volume-test "content of file \"$PS2\": value-1" \
                "mode of file \"$PS2\": -r--------"
}

# Projected secret: "should be consumable from pods in volume as non-root with defaultMode and fsGroup set [LinuxOnly] [NodeConformance]"
@test "Projected secret should be consumable from pods in volume as non-root with defaultMode and fsGroup set [LinuxOnly] [NodeConformance]" {
        secret_object projected-secret-test-4
        projected_pod pod-projected-secrets-4 secret projected-secret-test-4 "[mounttest, --file_content=$PS1, --file_mode=$PS1]" 0440 "" \
                "{fsGroup: 1001, runAsUser: 1000}"
        expect_output_regexp pod-projected-secrets-4 projected-secret-volume-test "content of file \"$PS1\": value-1" \
                "mode of file \"$PS1\": -r--r-----"
}

# Projected secret: "should be consumable from pods in volume with mappings [NodeConformance]"
@test "Projected secret should be consumable from pods in volume with mappings [NodeConformance]" {
        secret_object projected-secret-test-map-5
        projected_pod pod-projected-secrets-5 secret projected-secret-test-map-5 "[mounttest, --file_content=$PS2, --file_mode=$PS2]" "" "[{key: data-1, path: new-path-data-1}]"
        expect_output_regexp pod-projected-secrets-5 projected-secret-volume-test "content of file \"$PS2\": value-1" \
                "mode of file \"$PS2\": -rw-r--r--"
}

# Projected secret: "should be able to mount in a volume regardless of a different secret existing with same name in different namespace [NodeConformance]"
@test "Projected secret should be able to mount in a volume regardless of a different secret existing with same name in different namespace [NodeConformance]" {
        apply other <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: projected-secret-test-ns
  namespace: secret-namespace-2
data:
  this_should_not_match_content_of_other_secret: c2ltaWxhcmx5X3RoaXNfc2hvdWxkX25vdF9tYXRjaF9jb250ZW50X29mX290aGVyX3NlY3JldAo=
EOF
        secret_object projected-secret-test-ns
        projected_pod pod-projected-secrets-ns secret projected-secret-test-ns "[mounttest, --file_content=$PS1, --file_mode=$PS1]" "" ""
        expect_output_regexp pod-projected-secrets-ns projected-secret-volume-test "content of file \"$PS1\": value-1" \
                "mode of file \"$PS1\": -rw-r--r--"
}

# Projected secret: "should be consumable in multiple volumes in a pod [NodeConformance]"
@test "Projected secret should be consumable in multiple volumes in a pod [NodeConformance]" {
        secret_object projected-secret-test-multi
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod-projected-secrets-multi
spec:
  restartPolicy: Never
  volumes:
  - name: projected-secret-volume
    projected:
      sources:
      - secret: {name: projected-secret-test-multi}
  - name: projected-secret-volume-2
    projected:
      sources:
      - secret: {name: projected-secret-test-multi}
  containers:
  - name: secret-volume-test
    image: $AGNHOST
    args: [mounttest, --file_content=$PS1, --file_mode=$PS1]
    volumeMounts:
    - {name: projected-secret-volume, mountPath: /etc/projected-secret-volume, readOnly: true}
    - {name: projected-secret-volume-2, mountPath: /etc/projected-secret-volume-2, readOnly: true}
EOF
        expect_output_regexp pod-projected-secrets-multi secret-volume-test "content of file \"$PS1\": value-1" \
                "mode of file \"$PS1\": -rw-r--r--"
}

# Projected secret: "optional updates should be reflected in volume [NodeConformance]"
# The update is a re-apply, the delete `podctl delete secret`.
@test "Projected secret optional updates should be reflected in volume [NodeConformance]" {
        local d=/etc/projected-secret-volumes
        apply secrets <<EOF
apiVersion: v1
kind: Secret
metadata: {name: s-test-opt-del}
data: {data-1: dmFsdWUtMQ==}
---
apiVersion: v1
kind: Secret
metadata: {name: s-test-opt-upd}
data: {data-1: dmFsdWUtMQ==}
EOF
        optional_pod pod-projected-secrets-opt secret $d s-test-opt-del s-test-opt-upd s-test-opt-create \
                dels-volume-test upds-volume-test creates-volume-test deletes-volume updates-volume creates-volume
        optional_checks pod-projected-secrets-opt $d dels-volume-test upds-volume-test creates-volume-test before
        run -0 podctl delete secret s-test-opt-del
        apply secrets2 <<EOF
apiVersion: v1
kind: Secret
metadata: {name: s-test-opt-upd}
data: {data-3: dmFsdWUtMw==}
---
apiVersion: v1
kind: Secret
metadata: {name: s-test-opt-create}
data: {data-1: dmFsdWUtMQ==}
EOF
        optional_checks pod-projected-secrets-opt $d dels-volume-test upds-volume-test creates-volume-test after
}

# ---- storage/projected_combined.go ---------------------------------------------

# Projected combined: "should project all components that make up the projection API [Projection][NodeConformance]"
@test "Projected combined should project all components that make up the projection API [Projection][NodeConformance]" {
        apply objects <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: configmap-projected-all-test-volume}
data: {configmap-data: configmap-value-1}
---
apiVersion: v1
kind: Secret
metadata: {name: secret-projected-all-test-volume}
data: {secret-data: c2VjcmV0LXZhbHVlLTE=}
EOF
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: projected-volume-all
spec:
  restartPolicy: Never
  volumes:
  - name: podinfo
    projected:
      sources:
      - downwardAPI:
          items:
          - path: podname
            fieldRef: {apiVersion: v1, fieldPath: metadata.name}
      - secret: {name: secret-projected-all-test-volume}
      - configMap: {name: configmap-projected-all-test-volume}
  containers:
  - name: projected-all-volume-test
    image: $BUSYBOX
    command: [sh, -c, "cat /all/podname && cat /all/secret-data && cat /all/configmap-data"]
    volumeMounts:
    - {name: podinfo, mountPath: /all, readOnly: false}
EOF
        expect_output projected-volume-all projected-all-volume-test projected-volume-all secret-value-1 configmap-value-1
}
