#!/usr/bin/env bats
# 4a: a web server and a writer sharing a volume; the page the writer wrote
# is served over the Pod's localhost; every container shares pause's netns.

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

two_container_pod() { # NAME VOLUME-YAML
        manifest "$1" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  volumes:
  - name: shared-data
$2
  containers:
  - name: web
    image: busybox
    command: ["httpd", "-f", "-p", "8080", "-h", "/usr/share/nginx/html"]
    volumeMounts:
    - name: shared-data
      mountPath: /usr/share/nginx/html
  - name: writer
    image: busybox
    volumeMounts:
    - name: shared-data
      mountPath: /pod-data
    command: ["/bin/sh"]
    args: ["-c", "echo Hello from the writer container > /pod-data/index.html; sleep 3600"]
EOF
}

fetch_page() { podctl exec "$1" -c writer -- wget -qO- http://localhost:8080/index.html; }

@test "hostPath: the writer's page is served to the other container over localhost" {
        host_dir="$BATS_TEST_TMPDIR/data"
        mkdir -p "$host_dir"
        f=$(two_container_pod web-hostpath "    hostPath:
      path: $host_dir
      type: Directory")
        run podctl apply -f "$f"
        [ "$status" -eq 0 ]
        [ "$output" = "pod/web-hostpath created" ]
        wait_for 10 fetch_page web-hostpath
        run fetch_page web-hostpath
        [ "$output" = "Hello from the writer container" ]
        # The file is on the host, and stays after the Pod is gone.
        [ "$(cat "$host_dir/index.html")" = "Hello from the writer container" ]
        run podctl get pods
        [[ "$output" == *"web-hostpath"*"2/2"*"Running"* ]]
        podctl delete pod web-hostpath --grace-period=1
        [ -f "$host_dir/index.html" ]
}

@test "emptyDir: shared, and removed with the Pod" {
        f=$(two_container_pod web-emptydir "    emptyDir: {}")
        podctl apply -f "$f"
        wait_for 10 fetch_page web-emptydir
        run fetch_page web-emptydir
        [ "$output" = "Hello from the writer container" ]
        dir=$(podctl inspect pod web-emptydir | jq -r .stateDir)
        [ -f "$dir/volumes/shared-data/index.html" ]
        podctl delete pod web-emptydir --grace-period=1
        [ ! -e "$dir" ]
}

@test "every container's network namespace is pause's" {
        f=$(two_container_pod web-netns "    emptyDir: {}")
        podctl apply -f "$f"
        wait_for 10 container_running web-netns writer
        pause=$(pause_pid web-netns)
        [ "$(stat -L -c %i /proc/$pause/ns/net)" != "$(stat -L -c %i /proc/self/ns/net)" ]
        for c in web writer; do
                pid=$(pid_of web-netns $c)
                [ "$pid" -gt 0 ]
                [ "$(stat -L -c %i /proc/$pid/ns/net)" = "$(stat -L -c %i /proc/$pause/ns/net)" ]
                # and from inside: the same inode
                inside=$(podctl exec web-netns -c $c -- stat -L -c %i /proc/self/ns/net)
                [ "$inside" = "$(stat -L -c %i /proc/$pause/ns/net)" ]
        done
        podctl delete pod web-netns --grace-period=1
}

@test "get -o json shows a v1 Pod with status; describe and inspect work" {
        f=$(two_container_pod web-json "    emptyDir: {}")
        podctl apply -f "$f"
        wait_for 10 container_running web-json writer
        run podctl get pod web-json -o json
        [ "$status" -eq 0 ]
        [ "$(echo "$output" | jq -r .kind)" = Pod ]
        [ "$(echo "$output" | jq -r .spec.restartPolicy)" = Never ]
        [ "$(echo "$output" | jq -r .spec.terminationGracePeriodSeconds)" = 30 ]
        [ "$(echo "$output" | jq -r .status.phase)" = Running ]
        [ "$(echo "$output" | jq -r '.status.containerStatuses | length')" = 2 ]
        run podctl describe pod web-json
        [[ "$output" == *"Status:           Running"* ]]
        [[ "$output" == *"/pod-data from shared-data (rw)"* ]]
        run podctl get pods -o wide
        [[ "$output" == *"NOMINATED NODE"* ]]
        podctl delete pod web-json --grace-period=1
        run podctl get pod web-json
        [ "$status" -ne 0 ]
        [[ "$output" == *'pods "web-json" not found'* ]]
}
