#!/usr/bin/env bats
# Node conformance: test/e2e/common/storage/{empty_dir,configmap_volume,
# secrets_volume,host_path}.go, one @test per Go test, named by its
# description string (the agnhost mounttest stand-in prints what mt.go does).

load helpers

setup_file() { conformance_setup_file; }
teardown_file() { common_teardown_file; }
teardown() { conformance_teardown; }

# ---- empty_dir.go --------------------------------------------------------------

# testPodWithVolume: agnhost "test-container" with the emptyDir "test-volume"
# at /test-volume, Never, runAsUser when UID is not 0. Adapted: the Go pod's
# securityContext.seLinuxOptions {level: s0} is left out, as podctl refuses
# SELinux options (docs/DEVIATIONS.md); the kubelet on a host without
# SELinux ignores them.
emptydir_pod() { # NAME UID ARGS-JSON [SC] [MEDIUM] [SUBPATH]
        local sc=${4:-"{}"} ed="{}"
        [ -z "${5:-}" ] || ed="{medium: $5}"
        if [ "$2" != 0 ]; then
                if [ "$sc" = "{}" ]; then sc="{runAsUser: $2}"; else sc="{runAsUser: $2, ${sc#\{}"; fi
        fi
        apply "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  securityContext: $sc
  containers:
  - name: test-container
    image: $AGNHOST
    args: $3
    volumeMounts:
    - {name: test-volume, mountPath: /test-volume${6:+, subPath: $6}}
  volumes:
  - name: test-volume
    emptyDir: $ed
EOF
}

# doTestVolumeMode / doTest0644 / doTest0666 / doTest0777 on the default
# medium, or with MEDIUM=Memory on tmpfs (then also "mount type ...: tmpfs").
volume_mode_case() { # NAME UID [MEDIUM]
        emptydir_pod "$1" "$2" '[mounttest, --fs_type=/test-volume, --file_perm=/test-volume]' '' "${3:-}"
        local want=('perms of file "/test-volume": -rwxrwxrwx')
        [ -z "${3:-}" ] || want+=('mount type of "/test-volume": tmpfs')
        expect_output "$1" test-container "${want[@]}"
}
file_mode_case() { # NAME UID MODE PERMS [MEDIUM]
        emptydir_pod "$1" "$2" "[mounttest, --fs_type=/test-volume, --new_file_$3=/test-volume/test-file, --file_perm=/test-volume/test-file]" '' "${5:-}"
        local want=("perms of file \"/test-volume/test-file\": $4"
                'content of file "/test-volume/test-file": mount-tester new file')
        [ -z "${5:-}" ] || want+=('mount type of "/test-volume": tmpfs')
        expect_output "$1" test-container "${want[@]}"
}

# EmptyDir volumes: "volume on default medium should have the correct mode [LinuxOnly] [NodeConformance]"
@test "EmptyDir volumes volume on default medium should have the correct mode [LinuxOnly] [NodeConformance]" {
        volume_mode_case pod-emptydir-mode 0
}

# EmptyDir volumes: "should support (root,0644,default) [LinuxOnly] [NodeConformance]"
@test "EmptyDir volumes should support (root,0644,default) [LinuxOnly] [NodeConformance]" {
        file_mode_case pod-emptydir-1 0 0644 -rw-r--r--
}

# EmptyDir volumes: "should support (root,0666,default) [LinuxOnly] [NodeConformance]"
@test "EmptyDir volumes should support (root,0666,default) [LinuxOnly] [NodeConformance]" {
        file_mode_case pod-emptydir-2 0 0666 -rw-rw-rw-
}

# EmptyDir volumes: "should support (root,0777,default) [LinuxOnly] [NodeConformance]"
@test "EmptyDir volumes should support (root,0777,default) [LinuxOnly] [NodeConformance]" {
        file_mode_case pod-emptydir-3 0 0777 -rwxrwxrwx
}

# EmptyDir volumes: "should support (non-root,0644,default) [LinuxOnly] [NodeConformance]"
@test "EmptyDir volumes should support (non-root,0644,default) [LinuxOnly] [NodeConformance]" {
        file_mode_case pod-emptydir-4 1001 0644 -rw-r--r--
}

# EmptyDir volumes: "should support (non-root,0666,default) [LinuxOnly] [NodeConformance]"
@test "EmptyDir volumes should support (non-root,0666,default) [LinuxOnly] [NodeConformance]" {
        file_mode_case pod-emptydir-5 1001 0666 -rw-rw-rw-
}

# EmptyDir volumes: "should support (non-root,0777,default) [LinuxOnly] [NodeConformance]"
@test "EmptyDir volumes should support (non-root,0777,default) [LinuxOnly] [NodeConformance]" {
        file_mode_case pod-emptydir-6 1001 0777 -rwxrwxrwx
}

# EmptyDir volumes when FSGroup is specified [LinuxOnly] [NodeConformance]: "volume on default medium should have the correct mode using FSGroup"
@test "EmptyDir volumes when FSGroup is specified [LinuxOnly] [NodeConformance] volume on default medium should have the correct mode using FSGroup" {
        # doTestVolumeModeFSGroup: fsGroup 1001.
        emptydir_pod pod-emptydir-fsg 0 '[mounttest, --fs_type=/test-volume, --file_perm=/test-volume]' '{fsGroup: 1001}'
        expect_output pod-emptydir-fsg test-container 'perms of file "/test-volume": -rwxrwxrwx'
}

# ---- empty_dir.go on tmpfs (emptyDir medium: Memory) -------------------------

# EmptyDir volumes: "volume on tmpfs should have the correct mode [LinuxOnly] [NodeConformance] [Conformance]"
@test "EmptyDir volumes volume on tmpfs should have the correct mode [LinuxOnly] [NodeConformance]" {
        volume_mode_case pod-emptydir-tmpfs-mode 0 Memory
}

# EmptyDir volumes: "should support (root,0644,tmpfs) [LinuxOnly] [NodeConformance] [Conformance]"
@test "EmptyDir volumes should support (root,0644,tmpfs) [LinuxOnly] [NodeConformance]" {
        file_mode_case pod-emptydir-t1 0 0644 -rw-r--r-- Memory
}

# EmptyDir volumes: "should support (root,0666,tmpfs) [LinuxOnly] [NodeConformance] [Conformance]"
@test "EmptyDir volumes should support (root,0666,tmpfs) [LinuxOnly] [NodeConformance]" {
        file_mode_case pod-emptydir-t2 0 0666 -rw-rw-rw- Memory
}

# EmptyDir volumes: "should support (root,0777,tmpfs) [LinuxOnly] [NodeConformance] [Conformance]"
@test "EmptyDir volumes should support (root,0777,tmpfs) [LinuxOnly] [NodeConformance]" {
        file_mode_case pod-emptydir-t3 0 0777 -rwxrwxrwx Memory
}

# EmptyDir volumes: "should support (non-root,0644,tmpfs) [LinuxOnly] [NodeConformance] [Conformance]"
@test "EmptyDir volumes should support (non-root,0644,tmpfs) [LinuxOnly] [NodeConformance]" {
        file_mode_case pod-emptydir-t4 1001 0644 -rw-r--r-- Memory
}

# EmptyDir volumes: "should support (non-root,0666,tmpfs) [LinuxOnly] [NodeConformance] [Conformance]"
@test "EmptyDir volumes should support (non-root,0666,tmpfs) [LinuxOnly] [NodeConformance]" {
        file_mode_case pod-emptydir-t5 1001 0666 -rw-rw-rw- Memory
}

# EmptyDir volumes: "should support (non-root,0777,tmpfs) [LinuxOnly] [NodeConformance] [Conformance]"
@test "EmptyDir volumes should support (non-root,0777,tmpfs) [LinuxOnly] [NodeConformance]" {
        file_mode_case pod-emptydir-t6 1001 0777 -rwxrwxrwx Memory
}

# doTestSetgidFSGroup (fsGroup 123, tmpfs): a new 0660 file is the group's.
setgid_fsgroup_case() { # NAME UID
        local f=/test-volume/test-file
        emptydir_pod "$1" "$2" "[mounttest, --fs_type=/test-volume, --new_file_0660=$f, --file_perm=$f, --file_owner=$f]" \
                '{fsGroup: 123}' Memory
        expect_output "$1" test-container "perms of file \"$f\": -rw-rw----" \
                "content of file \"$f\": mount-tester new file" "owner GID of \"$f\": 123" \
                'mount type of "/test-volume": tmpfs'
}

# EmptyDir volumes when FSGroup is specified [LinuxOnly] [NodeConformance]: "new files should be created with FSGroup ownership when container is root"
@test "EmptyDir volumes when FSGroup is specified [LinuxOnly] [NodeConformance] new files should be created with FSGroup ownership when container is root" {
        setgid_fsgroup_case pod-emptydir-fsg-root 0
}

# EmptyDir volumes when FSGroup is specified [LinuxOnly] [NodeConformance]: "new files should be created with FSGroup ownership when container is non-root"
@test "EmptyDir volumes when FSGroup is specified [LinuxOnly] [NodeConformance] new files should be created with FSGroup ownership when container is non-root" {
        setgid_fsgroup_case pod-emptydir-fsg-nonroot 1001
}

# EmptyDir volumes when FSGroup is specified [LinuxOnly] [NodeConformance]: "nonexistent volume subPath should have the correct mode and owner using FSGroup"
@test "EmptyDir volumes when FSGroup is specified [LinuxOnly] [NodeConformance] nonexistent volume subPath should have the correct mode and owner using FSGroup" {
        # doTestSubPathFSGroup: uid 1001, fsGroup 123, tmpfs, subPath test-sub.
        emptydir_pod pod-emptydir-fsg-sub 1001 '[mounttest, --fs_type=/test-volume, --file_perm=/test-volume, --file_owner=/test-volume, --file_mode=/test-volume]' \
                '{fsGroup: 123}' Memory test-sub
        expect_output pod-emptydir-fsg-sub test-container 'perms of file "/test-volume": -rwxrwxrwx' \
                'owner UID of "/test-volume": 0' 'owner GID of "/test-volume": 123' \
                'mode of file "/test-volume": dgtrwxrwxrwx' 'mount type of "/test-volume": tmpfs'
}

# EmptyDir volumes when FSGroup is specified [LinuxOnly] [NodeConformance]: "files with FSGroup ownership should support (root,0644,tmpfs)"
@test "EmptyDir volumes when FSGroup is specified [LinuxOnly] [NodeConformance] files with FSGroup ownership should support (root,0644,tmpfs)" {
        # doTest0644FSGroup: fsGroup 123.
        local f=/test-volume/test-file
        emptydir_pod pod-emptydir-fsg-0644 0 "[mounttest, --fs_type=/test-volume, --new_file_0644=$f, --file_perm=$f]" '{fsGroup: 123}' Memory
        expect_output pod-emptydir-fsg-0644 test-container "perms of file \"$f\": -rw-r--r--" \
                "content of file \"$f\": mount-tester new file" 'mount type of "/test-volume": tmpfs'
}

# EmptyDir volumes when FSGroup is specified [LinuxOnly] [NodeConformance]: "volume on tmpfs should have the correct mode using FSGroup"
@test "EmptyDir volumes when FSGroup is specified [LinuxOnly] [NodeConformance] volume on tmpfs should have the correct mode using FSGroup" {
        # doTestVolumeModeFSGroup: fsGroup 1001.
        emptydir_pod pod-emptydir-fsg-tmpfs 0 '[mounttest, --fs_type=/test-volume, --file_perm=/test-volume]' '{fsGroup: 1001}' Memory
        expect_output pod-emptydir-fsg-tmpfs test-container 'perms of file "/test-volume": -rwxrwxrwx' \
                'mount type of "/test-volume": tmpfs'
}

# EmptyDir volumes: "pod should support memory backed volumes of specified size [NodeConformance]"
@test "EmptyDir volumes pod should support memory backed volumes of specified size [NodeConformance]" {
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod-size-memory-volume
spec:
  terminationGracePeriodSeconds: 0
  restartPolicy: Never
  volumes:
  - name: shared-data
    emptyDir: {medium: Memory, sizeLimit: 10Mi}
  containers:
  - name: busybox-main-container
    image: $BUSYBOX
    command: [/bin/sh]
    args: ["-c", "trap exit TERM; while true; do sleep 1; done"]
    volumeMounts:
    - {name: shared-data, mountPath: /usr/share/volumeshare}
EOF
        wait_for 30 phase_is pod-size-memory-volume Running
        # ExecShellInContainer: /bin/sh -c CMD
        run -0 podctl exec pod-size-memory-volume -c busybox-main-container -- /bin/sh -c \
                "df | grep /usr/share/volumeshare | awk '{print \$2}'"
        [ "$output" = 10240 ]
}

# EmptyDir volumes: "pod should support shared volumes between containers"
@test "EmptyDir volumes pod should support shared volumes between containers" {
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod-sharedvolume
spec:
  terminationGracePeriodSeconds: 0
  restartPolicy: Never
  volumes:
  - name: shared-data
    emptyDir: {}
  containers:
  - name: busybox-main-container
    image: $BUSYBOX
    command: [/bin/sh]
    args: ["-c", "trap exit TERM; while true; do sleep 1; done"]
    volumeMounts:
    - {name: shared-data, mountPath: /usr/share/volumeshare}
  - name: busybox-sub-container
    image: $BUSYBOX
    command: [/bin/sh]
    args: ["-c", "echo Hello from the busy-box sub-container > /pod-data/shareddata.txt"]
    volumeMounts:
    - {name: shared-data, mountPath: /pod-data}
EOF
        wait_for 30 phase_is pod-sharedvolume Running
        wait_for 10 sh -c "[ \"\$('$PODCTL' get pod pod-sharedvolume -o json | jq -r '.status.containerStatuses[1].state.terminated.reason')\" = Completed ]"
        run -0 podctl exec pod-sharedvolume -c busybox-main-container -- /bin/sh -c "cat /usr/share/volumeshare/shareddata.txt"
        [ "$output" = "Hello from the busy-box sub-container" ]
}

# ---- configmap_volume.go ---------------------------------------------------------

configmap() { # NAME
        apply "cm-$1" <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: $1
data:
  data-1: value-1
  data-2: value-2
  data-3: value-3
EOF
}

# createConfigMapVolumeMounttestPod: NewAgnhostPod with the configMap volume
# "configmap-volume" read-only at /etc/configmap-volume, Never,
# terminationGracePeriodSeconds 1; VOLUME-EXTRA goes under configMap,
# SC is the Pod's securityContext (setPodNonRootUser: runAsUser 1000).
configmap_pod() { # NAME CONFIGMAP ARGS-JSON VOLUME-EXTRA-YAML SC
        local sc=${5:-"{}"}
        apply "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  securityContext: $sc
  containers:
  - name: agnhost-container
    image: $AGNHOST
    args: $3
    volumeMounts:
    - {name: configmap-volume, mountPath: /etc/configmap-volume, readOnly: true}
  volumes:
  - name: configmap-volume
    configMap:
      name: $2
$4
EOF
}
mode_re() { printf '(mode of file "%s": %s|mode of Windows file "%s": %s)' "$1" "$2" "$1" "$3"; }
CM1=/etc/configmap-volume/data-1
CM2=/etc/configmap-volume/path/to/data-2

# ConfigMap: "should be consumable from pods in volume [NodeConformance]"
@test "ConfigMap should be consumable from pods in volume [NodeConformance]" {
        configmap configmap-test-volume-1
        configmap_pod pod-configmaps-v1 configmap-test-volume-1 "[mounttest, --file_content=$CM1, --file_mode=$CM1]" ""
        expect_output_regexp pod-configmaps-v1 agnhost-container "content of file \"$CM1\": value-1" \
                "$(mode_re $CM1 -rw-r--r-- -rwxrwxr-x)"
}

# ConfigMap: "should be consumable from pods in volume with defaultMode set [LinuxOnly] [NodeConformance]"
@test "ConfigMap should be consumable from pods in volume with defaultMode set [LinuxOnly] [NodeConformance]" {
        configmap configmap-test-volume-2
        configmap_pod pod-configmaps-v2 configmap-test-volume-2 "[mounttest, --file_content=$CM1, --file_mode=$CM1]" "      defaultMode: 0400"
        expect_output_regexp pod-configmaps-v2 agnhost-container "content of file \"$CM1\": value-1" \
                "$(mode_re $CM1 -r-------- -r--------)"
}

# ConfigMap: "should be consumable from pods in volume as non-root [NodeConformance]"
@test "ConfigMap should be consumable from pods in volume as non-root [NodeConformance]" {
        configmap configmap-test-volume-3
        configmap_pod pod-configmaps-v3 configmap-test-volume-3 "[mounttest, --file_content=$CM1, --file_mode=$CM1]" "" "{runAsUser: 1000}"
        expect_output_regexp pod-configmaps-v3 agnhost-container "content of file \"$CM1\": value-1" \
                "$(mode_re $CM1 -rw-r--r-- -rwxrwxr-x)"
}

# ConfigMap: "should be consumable from pods in volume with mappings [NodeConformance]"
@test "ConfigMap should be consumable from pods in volume with mappings [NodeConformance]" {
        configmap configmap-test-volume-map-1
        configmap_pod pod-configmaps-m1 configmap-test-volume-map-1 "[mounttest, --file_content=$CM2, --file_mode=$CM2]" \
                "      items: [{key: data-2, path: path/to/data-2}]"
        expect_output_regexp pod-configmaps-m1 agnhost-container "content of file \"$CM2\": value-2" \
                "$(mode_re $CM2 -rw-r--r-- -rwxrwxr-x)"
}

# ConfigMap: "should be consumable from pods in volume with mappings and Item mode set [LinuxOnly] [NodeConformance]"
@test "ConfigMap should be consumable from pods in volume with mappings and Item mode set [LinuxOnly] [NodeConformance]" {
        configmap configmap-test-volume-map-2
        configmap_pod pod-configmaps-m2 configmap-test-volume-map-2 "[mounttest, --file_content=$CM2, --file_mode=$CM2]" \
                "      items: [{key: data-2, path: path/to/data-2, mode: 0400}]"
        expect_output_regexp pod-configmaps-m2 agnhost-container "content of file \"$CM2\": value-2" \
                "$(mode_re $CM2 -r-------- -r--------)"
}

# ConfigMap: "should be consumable from pods in volume with mappings as non-root [NodeConformance]"
@test "ConfigMap should be consumable from pods in volume with mappings as non-root [NodeConformance]" {
        configmap configmap-test-volume-map-3
        configmap_pod pod-configmaps-m3 configmap-test-volume-map-3 "[mounttest, --file_content=$CM2, --file_mode=$CM2]" \
                "      items: [{key: data-2, path: path/to/data-2}]" "{runAsUser: 1000}"
        expect_output_regexp pod-configmaps-m3 agnhost-container "content of file \"$CM2\": value-2" \
                "$(mode_re $CM2 -rw-r--r-- -rwxrwxr-x)"
}

# ConfigMap: "binary data should be reflected in volume [NodeConformance]"
@test "ConfigMap binary data should be reflected in volume [NodeConformance]" {
        apply cm <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: configmap-test-upd-bin
data:
  data-1: value-1
binaryData:
  dump.bin: 3sr+utD+/w==
EOF
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod-configmaps-bin
spec:
  restartPolicy: Never
  containers:
  - name: agnhost-container
    image: $AGNHOST
    args: [mounttest, --break_on_expected_content=false, --retry_time=120, --file_content_in_loop=/etc/configmap-volume/data-1]
    volumeMounts:
    - {name: configmap-volume, mountPath: /etc/configmap-volume, readOnly: true}
  - name: configmap-volume-binary-test
    image: $BUSYBOX
    command: [hexdump, -C, /etc/configmap-volume/dump.bin]
    volumeMounts:
    - {name: configmap-volume, mountPath: /etc/configmap-volume, readOnly: true}
  volumes:
  - name: configmap-volume
    configMap: {name: configmap-test-upd-bin}
EOF
        wait_for 30 phase_is pod-configmaps-bin Running
        wait_for 30 sh -c "'$PODCTL' logs pod-configmaps-bin -c agnhost-container | grep -q value-1"
        wait_for 30 sh -c "'$PODCTL' logs pod-configmaps-bin -c configmap-volume-binary-test | grep -q 'de ca fe ba d0 fe ff'"
}

# ConfigMap: "should be consumable in multiple volumes in the same pod [NodeConformance]"
@test "ConfigMap should be consumable in multiple volumes in the same pod [NodeConformance]" {
        configmap configmap-test-volume-multi
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod-configmaps-multi
spec:
  restartPolicy: Never
  volumes:
  - name: configmap-volume
    configMap: {name: configmap-test-volume-multi}
  - name: configmap-volume-2
    configMap: {name: configmap-test-volume-multi}
  containers:
  - name: configmap-volume-test
    image: $AGNHOST
    args: [mounttest, --file_content=/etc/configmap-volume/data-1]
    volumeMounts:
    - {name: configmap-volume, mountPath: /etc/configmap-volume, readOnly: true}
    - {name: configmap-volume-2, mountPath: /etc/configmap-volume-2, readOnly: true}
EOF
        expect_output pod-configmaps-multi configmap-volume-test 'content of file "/etc/configmap-volume/data-1": value-1'
}

# Polling a container's log (gomega.Eventually on GetPodLogs), within
# podLogTimeout (GetPodSecretUpdateTimeout: the kubelet's sync period and
# cache TTL, 2 minutes and more); podctl rewrites the files when an object
# is applied or deleted, so 60 s is plenty.
log_has() { [[ $(podctl logs "$1" -c "$2") == *"$3"* ]]; }
UPD_WAIT=60

# ConfigMap: "updates should be reflected in volume [NodeConformance]"
# The Update is a re-apply (podctl has no API server).
@test "ConfigMap updates should be reflected in volume [NodeConformance]" {
        cm_upd() {
                apply "cm-upd-$1" <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: configmap-test-upd}
data: {data-1: $1}
EOF
        }
        cm_upd value-1
        configmap_pod pod-configmaps-upd configmap-test-upd \
                "[mounttest, --break_on_expected_content=false, --retry_time=120, --file_content_in_loop=$CM1]" ""
        wait_for 30 phase_is pod-configmaps-upd Running
        wait_for $UPD_WAIT log_has pod-configmaps-upd agnhost-container value-1
        cm_upd value-2
        wait_for $UPD_WAIT log_has pod-configmaps-upd agnhost-container value-2
}

# The optional-updates Pod of configmap_volume.go / secrets_volume.go: three
# containers (delete, update, create) each reading its own optional volume
# in a loop, under DIR/{delete,update,create}. REF is the source's name
# field (name or secretName).
optional_pod() { # NAME KIND(configMap|secret) REF DIR DEL UPD CREATE CTR-DEL CTR-UPD CTR-CREATE VOL-DEL VOL-UPD VOL-CREATE
        local args="mounttest, --break_on_expected_content=false, --retry_time=120, --file_content_in_loop=$4"
        apply "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  volumes:
  - name: ${11}
    $2: {$3: $5, optional: true}
  - name: ${12}
    $2: {$3: $6, optional: true}
  - name: ${13}
    $2: {$3: $7, optional: true}
  containers:
  - name: $8
    image: $AGNHOST
    args: [$args/delete/data-1]
    volumeMounts:
    - {name: ${11}, mountPath: $4/delete, readOnly: true}
  - name: $9
    image: $AGNHOST
    args: [$args/update/data-3]
    volumeMounts:
    - {name: ${12}, mountPath: $4/update, readOnly: true}
  - name: ${10}
    image: $AGNHOST
    args: [$args/create/data-1]
    volumeMounts:
    - {name: ${13}, mountPath: $4/create, readOnly: true}
EOF
        wait_for 30 phase_is "$1" Running
}
# The Go test's checks before and after the changes: create and update fail
# to read, delete reads value-1; then create reads value-1, update value-3,
# delete nothing.
optional_checks() { # POD DIR CTR-DEL CTR-UPD CTR-CREATE before|after
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

# ConfigMap: "optional updates should be reflected in volume [NodeConformance]"
# The Update is a re-apply, the Delete `podctl delete configmap`.
@test "ConfigMap optional updates should be reflected in volume [NodeConformance]" {
        local d=/etc/configmap-volumes
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
        optional_pod pod-configmaps-opt configMap name $d cm-test-opt-del cm-test-opt-upd cm-test-opt-create \
                delcm-volume-test updcm-volume-test createcm-volume-test deletecm-volume updatecm-volume createcm-volume
        optional_checks pod-configmaps-opt $d delcm-volume-test updcm-volume-test createcm-volume-test before
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
        optional_checks pod-configmaps-opt $d delcm-volume-test updcm-volume-test createcm-volume-test after
}

# ConfigMap "should be immutable if `immutable` field is set" and its Secret
# twin: each Update is a re-apply of the whole object, made by MANIFEST-FN
# EXTRA-DATA IMMUTABLE-LINE LABELS (data-1..4, EXTRA-DATA the Go test's
# data-5); the API server's IsInvalid is podctl's refusal, and the Get after
# it shows the object unchanged.
immutable_case() { # KIND(configmap|secret) MANIFEST-FN
        local k=$1 mk=$2
        run -0 podctl apply -f "$($mk '' '' '{}')"
        run -0 podctl apply -f "$($mk '' 'immutable: true' '{}')"
        run -1 podctl apply -f "$($mk data-5 'immutable: true' '{}')"
        [[ $output == *'is invalid: data: Forbidden: field is immutable when `immutable` is set'* ]]
        [ "$(podctl get "$k" immutable -o json | jq -r '[.immutable, (.data | has("data-5"))] | join(" ")')" = "true false" ]
        run -1 podctl apply -f "$($mk '' 'immutable: false' '{}')"
        [[ $output == *'is invalid: immutable: Forbidden'* ]]
        [ "$(podctl get "$k" immutable -o json | jq -r .immutable)" = true ]
        run -0 podctl apply -f "$($mk '' 'immutable: true' '{label1: value1}')"
        [ "$(podctl get "$k" immutable -o json | jq -r .metadata.labels.label1)" = value1 ]
        run -0 podctl delete "$k" immutable
        run -1 podctl get "$k" immutable
}

# ConfigMap: "should be immutable if `immutable` field is set [Conformance]"
@test "ConfigMap should be immutable if \`immutable\` field is set" {
        immutable_cm() { # EXTRA-DATA IMMUTABLE-LINE LABELS
                manifest "cm-$RANDOM" <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: immutable, labels: $3}
data: {data-1: value-1, data-2: value-2, data-3: value-3, data-4: value-4${1:+, $1: value-5}}
$2
EOF
        }
        immutable_case configmap immutable_cm
}

# ---- secrets_volume.go -----------------------------------------------------------

secret() { # NAME [NAMESPACE]: secretForTest, data-N = "value-N\n"
        apply "secret-$1${2:+-$2}" <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: $1
  namespace: ${2:-default}
data:
  data-1: dmFsdWUtMQo=
  data-2: dmFsdWUtMgo=
  data-3: dmFsdWUtMwo=
EOF
}

# doSecretE2EWithoutMapping / WithMapping: agnhost "secret-volume-test" with
# the secret volume "secret-volume" at /etc/secret-volume, Never.
secret_pod() { # NAME SECRET ARGS-JSON VOLUME-EXTRA-YAML SC
        apply "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
${5:+  securityContext: $5}
  containers:
  - name: secret-volume-test
    image: $AGNHOST
    args: $3
    volumeMounts:
    - {name: secret-volume, mountPath: /etc/secret-volume}
  volumes:
  - name: secret-volume
    secret:
      secretName: $2
$4
EOF
}
S1=/etc/secret-volume/data-1
SN=/etc/secret-volume/new-path-data-1

# Secrets: "should be consumable from pods in volume [NodeConformance]"
@test "Secrets should be consumable from pods in volume [NodeConformance]" {
        secret secret-test-v1
        secret_pod pod-secrets-v1 secret-test-v1 "[mounttest, --file_content=$S1, --file_mode=$S1]" ""
        expect_output_regexp pod-secrets-v1 secret-volume-test "content of file \"$S1\": value-1" \
                "$(mode_re $S1 -rw-r--r-- -rw-r--r--)"
}

# Secrets: "should be consumable from pods in volume with defaultMode set [LinuxOnly] [NodeConformance]"
@test "Secrets should be consumable from pods in volume with defaultMode set [LinuxOnly] [NodeConformance]" {
        secret secret-test-v2
        secret_pod pod-secrets-v2 secret-test-v2 "[mounttest, --file_content=$S1, --file_mode=$S1]" "      defaultMode: 0400"
        expect_output_regexp pod-secrets-v2 secret-volume-test "content of file \"$S1\": value-1" \
                "$(mode_re $S1 -r-------- -r--------)"
}

# Secrets: "should be consumable from pods in volume as non-root with defaultMode and fsGroup set [LinuxOnly] [NodeConformance]"
@test "Secrets should be consumable from pods in volume as non-root with defaultMode and fsGroup set [LinuxOnly] [NodeConformance]" {
        secret secret-test-v3
        secret_pod pod-secrets-v3 secret-test-v3 "[mounttest, --file_content=$S1, --file_mode=$S1]" "      defaultMode: 0440" \
                "{fsGroup: 1001, runAsUser: 1000}"
        expect_output_regexp pod-secrets-v3 secret-volume-test "content of file \"$S1\": value-1" \
                "$(mode_re $S1 -r--r----- -r--r-----)"
}

# Secrets: "should be consumable from pods in volume with mappings [NodeConformance]"
@test "Secrets should be consumable from pods in volume with mappings [NodeConformance]" {
        secret secret-test-map-1
        secret_pod pod-secrets-m1 secret-test-map-1 "[mounttest, --file_content=$SN, --file_mode=$SN]" \
                "      items: [{key: data-1, path: new-path-data-1}]"
        expect_output_regexp pod-secrets-m1 secret-volume-test "content of file \"$SN\": value-1" \
                "$(mode_re $SN -rw-r--r-- -rw-r--r--)"
}

# Secrets: "should be consumable from pods in volume with mappings and Item Mode set [LinuxOnly] [NodeConformance]"
@test "Secrets should be consumable from pods in volume with mappings and Item Mode set [LinuxOnly] [NodeConformance]" {
        secret secret-test-map-2
        secret_pod pod-secrets-m2 secret-test-map-2 "[mounttest, --file_content=$SN, --file_mode=$SN]" \
                "      items: [{key: data-1, path: new-path-data-1, mode: 0400}]"
        expect_output_regexp pod-secrets-m2 secret-volume-test "content of file \"$SN\": value-1" \
                "$(mode_re $SN -r-------- -r--------)"
}

# Secrets: "should be able to mount in a volume regardless of a different secret existing with same name in different namespace [NodeConformance]"
@test "Secrets should be able to mount in a volume regardless of a different secret existing with same name in different namespace [NodeConformance]" {
        secret secret-test-ns
        apply other <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: secret-test-ns
  namespace: secret-namespace-2
data:
  this_should_not_match_content_of_other_secret: c2ltaWxhcmx5X3RoaXNfc2hvdWxkX25vdF9tYXRjaF9jb250ZW50X29mX290aGVyX3NlY3JldAo=
EOF
        secret_pod pod-secrets-ns secret-test-ns "[mounttest, --file_content=$S1, --file_mode=$S1]" ""
        expect_output_regexp pod-secrets-ns secret-volume-test "content of file \"$S1\": value-1" \
                "$(mode_re $S1 -rw-r--r-- -rw-r--r--)"
}

# Secrets: "should be consumable in multiple volumes in a pod [NodeConformance]"
@test "Secrets should be consumable in multiple volumes in a pod [NodeConformance]" {
        secret secret-test-multi
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod-secrets-multi
spec:
  restartPolicy: Never
  volumes:
  - name: secret-volume
    secret: {secretName: secret-test-multi}
  - name: secret-volume-2
    secret: {secretName: secret-test-multi}
  containers:
  - name: secret-volume-test
    image: $AGNHOST
    args: [mounttest, --file_content=$S1, --file_mode=$S1]
    volumeMounts:
    - {name: secret-volume, mountPath: /etc/secret-volume, readOnly: true}
    - {name: secret-volume-2, mountPath: /etc/secret-volume-2, readOnly: true}
EOF
        expect_output_regexp pod-secrets-multi secret-volume-test "content of file \"$S1\": value-1" \
                "$(mode_re $S1 -rw-r--r-- -rw-r--r--)"
}

# Secrets: "optional updates should be reflected in volume [NodeConformance]"
# The Update is a re-apply, the Delete `podctl delete secret`.
@test "Secrets optional updates should be reflected in volume [NodeConformance]" {
        local d=/etc/secret-volumes
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
        optional_pod pod-secrets-opt secret secretName $d s-test-opt-del s-test-opt-upd s-test-opt-create \
                dels-volume-test upds-volume-test creates-volume-test deletes-volume updates-volume creates-volume
        optional_checks pod-secrets-opt $d dels-volume-test upds-volume-test creates-volume-test before
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
        optional_checks pod-secrets-opt $d dels-volume-test upds-volume-test creates-volume-test after
}

# Secrets: "should be immutable if `immutable` field is set [Conformance]"
# (secretForTest's data, data-4 "value-4\n", data-5 "value-5\n").
@test "Secrets should be immutable if \`immutable\` field is set" {
        immutable_secret() { # EXTRA-DATA IMMUTABLE-LINE LABELS
                manifest "secret-$RANDOM" <<EOF
apiVersion: v1
kind: Secret
metadata: {name: immutable, labels: $3}
data: {data-1: dmFsdWUtMQo=, data-2: dmFsdWUtMgo=, data-3: dmFsdWUtMwo=, data-4: dmFsdWUtNAo=${1:+, $1: dmFsdWUtNQo=}}
$2
EOF
        }
        immutable_case secret immutable_secret
}

# ---- host_path.go ----------------------------------------------------------------

# testPodWithHostVol: "pod-host-path-test", agnhost test-container-1 and -2
# with the hostPath "test-volume" at /test-volume, privileged as given.
# Adapted: path /tmp is a directory of this run with /tmp's mode 1777, so
# runs on a shared host do not meet in /tmp/test-file.
hostpath_pod() { # PRIVILEGED ARGS1-JSON ARGS2-JSON SUBPATH
        local h="$BATS_TEST_TMPDIR/tmp"
        mkdir -p "$h"
        chmod 1777 "$h"
        apply <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pod-host-path-test
spec:
  restartPolicy: Never
  containers:
  - name: test-container-1
    image: $AGNHOST
    args: $2
    volumeMounts:
    - {name: test-volume, mountPath: /test-volume${4:+, subPath: $4}}
    securityContext: {privileged: $1}
  - name: test-container-2
    image: $AGNHOST
    args: $3
    volumeMounts:
    - {name: test-volume, mountPath: /test-volume}
    securityContext: {privileged: $1}
  volumes:
  - name: test-volume
    hostPath: {path: $h}
EOF
}

# HostPath: "should give a volume the correct mode [LinuxOnly] [NodeConformance]"
@test "HostPath should give a volume the correct mode [LinuxOnly] [NodeConformance]" {
        hostpath_pod false "[mounttest, --fs_type=/test-volume, --file_mode=/test-volume]" "[mounttest]"
        expect_output_regexp pod-host-path-test test-container-1 'mode of file "/test-volume": dg?trwxrwx'
}

# HostPath: "should support r/w [NodeConformance]"
@test "HostPath should support r/w [NodeConformance]" {
        hostpath_pod true "[mounttest, --new_file_0644=/test-volume/test-file, --file_mode=/test-volume/test-file]" \
                "[mounttest, --file_content_in_loop=/test-volume/test-file, --retry_time=180]"
        expect_output pod-host-path-test test-container-2 'content of file "/test-volume/test-file": mount-tester new file'
}

# HostPath: "should support subPath [NodeConformance]"
@test "HostPath should support subPath [NodeConformance]" {
        hostpath_pod true "[mounttest, --new_file_0644=/test-volume/test-file, --file_mode=/test-volume/test-file]" \
                "[mounttest, --file_content_in_loop=/test-volume/sub-path/test-file, --retry_time=180]" sub-path
        expect_output pod-host-path-test test-container-2 'content of file "/test-volume/sub-path/test-file": mount-tester new file'
}
