#!/usr/bin/env bats
# Issue 11: the CRI streaming server (Exec/PortForward URLs), driven by a
# client that is not podctl's code: npm's spdy-transport under
# tests/cri/stream-client.js, speaking Kubernetes' HTTP upgrade and channel
# protocols as client-go does. The server is started by the test on its own
# socket and root and killed by its PID; processes the tests start in a
# sandbox's netns are ended by PID.

bats_require_minimum_version 1.5.0

load helpers
load cri-helpers

setup_file() {
        common_setup_file
        "$PODCTL" --root "$PODCTL_ROOT" --cri image load -i "$PODCTL_TEST_FIXTURES/busybox-oci" >/dev/null
        export NODE_PATH=/usr/local/lib/podctl-test/node_modules
        cri_serve_start
}

teardown_file() {
        cri_serve_stop
        common_teardown_file
}

client() { timeout 30 node "$REPO/tests/cri/stream-client.js" "$@"; }

run_sandbox() {
        rt RunPodSandbox "$(jq -nc --arg n "$1" '{config: {
                metadata: {name: $n, namespace: "cri-stream", uid: ("uid-" + $n), attempt: 1},
                hostname: $n, log_directory: ("/tmp/cri-logs/" + $n)}}')" | jq -r .pod_sandbox_id
}
sb_pid() {
        rt PodSandboxStatus "{\"pod_sandbox_id\": \"$1\", \"verbose\": true}" |
                jq -r '.info.info | fromjson | .pid'
}
port_forward_url() {
        rt PortForward "{\"pod_sandbox_id\": \"$1\", \"port\": [$2]}" | jq -r .url
}
# serve_in_netns PID PORT TEXT: busybox httpd on 127.0.0.1:PORT in the
# netns of PID, serving TEXT; its PID is kept for teardown.
serve_in_netns() {
        local dir="$PODCTL_ROOT/www-$2"
        mkdir -p "$dir"
        echo "$3" >"$dir/index.html"
        nsenter --net="/proc/$1/ns/net" /bin/busybox httpd -f -p "127.0.0.1:$2" -h "$dir" &
        echo $! >"$PODCTL_ROOT/httpd-$2.bgpid"
        wait_for 5 nsenter --net="/proc/$1/ns/net" bash -c "echo >/dev/tcp/127.0.0.1/$2" 2>/dev/null
}

@test "PortForward: the URL reaches a port on the sandbox's loopback, not the host's" {
        id=$(run_sandbox pf)
        pid=$(sb_pid "$id")
        serve_in_netns "$pid" 18080 "hello from the sandbox netns"
        # nothing listens on the host's 127.0.0.1:18080
        run ! bash -c 'echo >/dev/tcp/127.0.0.1/18080' 
        url=$(port_forward_url "$id" 18080)
        [[ $url == http://127.0.0.1:*/portforward/* ]]
        run -0 client portforward "$url" 18080 $'GET / HTTP/1.0\r\n\r\n'
        [ "$(jq -r .protocol <<<"$output")" = portforward.k8s.io ]
        [[ $(jq -r .data <<<"$output") == "HTTP/1.1 200 OK"*"hello from the sandbox netns"* ]]
        [ "$(jq -r .error <<<"$output")" = "" ]
}

@test "PortForward: a closed port answers on the error stream; a token works once" {
        id=$(run_sandbox pfclosed)
        url=$(port_forward_url "$id" 18081)
        run -0 client portforward "$url" 18081 x
        [[ $(jq -r .error <<<"$output") == "error forwarding port 18081 to pod $id"*"Connection refused"* ]]
        [ "$(jq -r .data <<<"$output")" = "" ]
        run -0 client portforward "$url" 18081 x
        [ "$(jq -r .http <<<"$output")" = 404 ]
        [[ $(jq -r .body <<<"$output") == *"unknown or expired streaming token"* ]]
}

@test "PortForward over WebSocket (v4.channel.k8s.io): the request's ports on channel pairs, data both ways, errors" {
        id=$(run_sandbox pfws)
        pid=$(sb_pid "$id")
        serve_in_netns "$pid" 18082 "hello over websocket"
        # 18082 served, 18083 closed: channels 0/1 and 2/3
        url=$(rt PortForward "{\"pod_sandbox_id\": \"$id\", \"port\": [18082, 18083]}" | jq -r .url)
        run -0 /usr/bin/python3 "$REPO/tests/cri/ws-client.py" "$url" --portforward --send '0:GET / HTTP/1.0\r\n\r\n'
        echo "client: $output" # shown when the test fails
        [ "$(jq -r .protocol <<<"$output")" = v4.channel.k8s.io ]
        [ "$(jq -c .ports <<<"$output")" = '{"0":18082,"1":18082,"2":18083,"3":18083}' ]
        [[ $(jq -r '.data["0"]' <<<"$output") == "HTTP/1.1 200 OK"*"hello over websocket"* ]]
        [ "$(jq -r '.data["1"] // ""' <<<"$output")" = "" ]
        [[ $(jq -r '.data["3"]' <<<"$output") == "error forwarding port 18083 to pod $id"*"Connection refused"* ]]
        # the URL's ?port= query in place of the request's ports; a token works once
        url=$(port_forward_url "$id" 18083)
        run -0 /usr/bin/python3 "$REPO/tests/cri/ws-client.py" "$url?port=18082" --portforward --send '0:GET / HTTP/1.0\r\n\r\n'
        [ "$(jq -c .ports <<<"$output")" = '{"0":18082,"1":18082}' ]
        [[ $(jq -r '.data["0"]' <<<"$output") == *"hello over websocket"* ]]
        run -0 /usr/bin/python3 "$REPO/tests/cri/ws-client.py" "$url" --portforward
        [ "$(jq -r .http <<<"$output")" = 404 ]
        # a protocol it does not speak
        url=$(port_forward_url "$id" 18082)
        run -0 /usr/bin/python3 "$REPO/tests/cri/ws-client.py" "$url" --portforward --proto base64.channel.k8s.io
        [ "$(jq -r .http <<<"$output")" = 403 ]
}

@test "PortForward: bad requests are refused before any URL is made" {
        run -1 rt PortForward '{"pod_sandbox_id": "0000000000000000", "port": [80]}'
        [[ $output == *"NOT_FOUND"* || $output == *"not found"* ]]
        id=$(run_sandbox pfbad)
        run -1 rt PortForward "{\"pod_sandbox_id\": \"$id\", \"port\": [70000]}"
        [[ $output == *"port: Invalid value: 70000"* ]]
        rt StopPodSandbox "{\"pod_sandbox_id\": \"$id\"}" >/dev/null
        run -1 rt PortForward "{\"pod_sandbox_id\": \"$id\", \"port\": [80]}"
        [[ $output == *"is not running"* ]]
}

@test "the streaming server listens on 127.0.0.1 only and refuses other upgrades" {
        id=$(run_sandbox pfup)
        url=$(port_forward_url "$id" 80)
        port=${url#http://127.0.0.1:}
        port=${port%%/*}
        # bound to loopback: the port is not open on the host's other addresses
        ss -Hltn "sport = :$port" | grep -q '127.0.0.1:'
        run ! bash -c "ss -Hltn 'sport = :$port' | grep -v '127.0.0.1:'"
        run -0 client portforward "$url" 80 x --proto v4.channel.k8s.io
        [ "$(jq -r .http <<<"$output")" = 403 ]
        [[ $(jq -r .body <<<"$output") == *"unable to negotiate protocol"* ]]
        # a plain GET (no upgrade) with a fresh token
        url=$(port_forward_url "$id" 80)
        run -0 curl -s -o /dev/null -w '%{http_code}' "$url"
        [ "$output" = 400 ]
}

# ---- exec ---------------------------------------------------------------------
# The container: a Pod applied into the CRI root (podctl --cri), found by
# Exec through the containerID of its status, as a CRI container is.

cri_pod() {
        local f="$PODCTL_ROOT/$1.yaml"
        cat >"$f" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  containers:
  - name: main
    image: busybox
    command: [sleep, "3600"]
EOF
        "$PODCTL" --root "$PODCTL_ROOT" --cri apply -f "$f" >/dev/null
        wait_for 20 bash -c "'$PODCTL' --root '$PODCTL_ROOT' --cri get pod $1 -o json |
                jq -e '.status.containerStatuses[0].state.running' >/dev/null"
        "$PODCTL" --root "$PODCTL_ROOT" --cri get pod "$1" -o json |
                jq -r '.status.containerStatuses[0].containerID | sub("^podctl://"; "")'
}
exec_url() { rt Exec "$1" | jq -r .url; }

@test "Exec: stdout, stderr and the exit status (v4 Status), inside the container" {
        cid=$(cri_pod ex1)
        url=$(exec_url "{\"container_id\": \"$cid\", \"cmd\": [\"sh\", \"-c\",
                \"echo out; echo err >&2; hostname; readlink /proc/self/ns/mnt; exit 3\"],
                \"stdout\": true, \"stderr\": true}")
        [[ $url == http://127.0.0.1:*/exec/* ]]
        run -0 client exec "$url"
        echo "client: $output" # shown when the test fails
        [ "$(jq -r .protocol <<<"$output")" = v4.channel.k8s.io ]
        out=$(jq -r .stdout <<<"$output")
        [ "$(sed -n 1p <<<"$out")" = out ]
        [ "$(sed -n 2p <<<"$out")" = ex1 ]
        [ "$(sed -n 3p <<<"$out")" != "$(readlink /proc/self/ns/mnt)" ]
        [ "$(jq -r .stderr <<<"$output")" = err ]
        st=$(jq -r .error <<<"$output")
        [ "$(jq -r .status <<<"$st")" = Failure ]
        [ "$(jq -r .reason <<<"$st")" = NonZeroExitCode ]
        [ "$(jq -r '.details.causes[0].reason + "=" + .details.causes[0].message' <<<"$st")" = ExitCode=3 ]
        [[ $(jq -r .message <<<"$st") == "command terminated with non-zero exit code: "*"exit code 3" ]]
        # success is a Success status
        url=$(exec_url "{\"container_id\": \"$cid\", \"cmd\": [\"true\"], \"stdout\": true}")
        run -0 client exec "$url"
        [ "$(jq -r '.error | fromjson | .status' <<<"$output")" = Success ]
}

@test "Exec: stdin reaches the command and its end is EOF" {
        cid=$(cri_pod ex2)
        url=$(exec_url "{\"container_id\": \"$cid\", \"cmd\": [\"sh\", \"-c\", \"tr a-z A-Z; echo done\"],
                \"stdin\": true, \"stdout\": true, \"stderr\": true}")
        run -0 client exec "$url" --stdin "hello stdin"
        [ "$(jq -r .stdout <<<"$output")" = $'HELLO STDINdone' ]
}

@test "Exec: a tty with the client's window size" {
        cid=$(cri_pod ex3)
        url=$(exec_url "{\"container_id\": \"$cid\", \"cmd\": [\"sh\", \"-c\",
                \"read x; stty size; tty; echo got \$x\"], \"stdin\": true, \"stdout\": true, \"tty\": true}")
        run -0 client exec "$url" --tty --resize 33x101 --stdin $'line\n'
        out=$(jq -r .stdout <<<"$output" | tr -d '\r')
        [[ $out == *$'33 101\n/dev/pts/'*$'\ngot line'* ]]
        [ "$(jq -r '.error | fromjson | .status' <<<"$output")" = Success ]
}

# stdin_container SANDBOX NAME SCRIPT FLAGS: a CRI container running sh -c
# SCRIPT with FLAGS (a JSON object: stdin, stdin_once, tty), started; its id
stdin_container() {
        local cid
        cid=$(rt CreateContainer "$(jq -nc --arg s "$1" --arg n "$2" --arg c "$3" --argjson f "$4" '{pod_sandbox_id: $s, config: ({
                metadata: {name: $n, attempt: 0}, image: {image: "busybox"},
                command: ["sh", "-c", $c], log_path: ($n + "/0.log")} + $f)}')" | jq -r .container_id)
        rt StartContainer "{\"container_id\": \"$cid\"}" >/dev/null
        echo "$cid"
}
attach_url() { rt Attach "$1" | jq -r .url; }

@test "Attach: the container's own stdin (stdinOnce: the client's end is its EOF) and its output from now on" {
        sb=$(run_sandbox at1)
        cid=$(stdin_container "$sb" reader 'while read l; do echo "got $l"; echo "err $l" >&2; done; echo eof; exit 3' \
                '{"stdin": true, "stdin_once": true}')
        url=$(attach_url "{\"container_id\": \"$cid\", \"stdin\": true, \"stdout\": true, \"stderr\": true}")
        [[ $url == http://127.0.0.1:*/attach/* ]]
        run -0 client exec "$url" --stdin $'a\nb\n'
        echo "client: $output"
        [ "$(jq -r .stdout <<<"$output")" = $'got a\ngot b\neof' ]
        [ "$(jq -r .stderr <<<"$output")" = $'err a\nerr b' ]
        [ "$(jq -r '.error | fromjson | .status' <<<"$output")" = Success ]
        run -0 rt ContainerStatus "{\"container_id\": \"$cid\"}"
        [ "$(jq -r .status.exit_code <<<"$output")" = 3 ]
        # a container without stdin: no stdin for Attach
        cid2=$(stdin_container "$sb" plain 'sleep 3600' '{}')
        url=$(attach_url "{\"container_id\": \"$cid2\", \"stdin\": true, \"stdout\": true}")
        run -0 client exec "$url" --stdin x
        [[ $(jq -r '.error | fromjson | .message' <<<"$output") == *"does not have stdin enabled"* ]]
        run -1 rt Attach "{\"container_id\": \"$cid2\"}"
        [[ $output == *"one of stdin, stdout, or stderr must be set"* ]]
}

@test "Attach: a tty container's terminal with the client's window size" {
        sb=$(run_sandbox at2)
        cid=$(stdin_container "$sb" term 'read x; stty size; tty; echo "got $x"' '{"stdin": true, "tty": true}')
        url=$(attach_url "{\"container_id\": \"$cid\", \"stdin\": true, \"stdout\": true, \"tty\": true}")
        run -0 client exec "$url" --tty --resize 33x101 --stdin $'line\n'
        echo "client: $output"
        out=$(jq -r .stdout <<<"$output" | tr -d '\r')
        [[ $out == *$'33 101\n/dev/pts/0\ngot line'* ]]
        [ "$(jq -r '.error | fromjson | .status' <<<"$output")" = Success ]
}

@test "Exec: older protocols (v2) get the failure as text on the error stream" {
        cid=$(cri_pod ex4)
        url=$(exec_url "{\"container_id\": \"$cid\", \"cmd\": [\"sh\", \"-c\", \"exit 7\"], \"stdout\": true}")
        run -0 client exec "$url" --proto v2.channel.k8s.io
        [ "$(jq -r .protocol <<<"$output")" = v2.channel.k8s.io ]
        [[ $(jq -r .error <<<"$output") == "command terminated with non-zero exit code: "*"exit code 7" ]]
}

@test "Exec: bad requests are refused before any URL is made" {
        cid=$(cri_pod ex5)
        run -1 rt Exec '{"container_id": "ffffffffffff", "cmd": ["true"], "stdout": true}'
        [[ $output == *"NOT_FOUND"* && $output == *"not found"* ]]
        run -1 rt Exec "{\"container_id\": \"$cid\", \"cmd\": [\"true\"], \"tty\": true, \"stderr\": true}"
        [[ $output == *"tty and stderr cannot both be true"* ]]
        run -1 rt Exec "{\"container_id\": \"$cid\", \"cmd\": [\"true\"]}"
        [[ $output == *"one of stdin, stdout, or stderr must be set"* ]]
        run -1 rt Exec "{\"container_id\": \"$cid\", \"cmd\": [], \"stdout\": true}"
        [[ $output == *"cmd: Required value"* ]]
}

@test "Exec: a command that writes much before it reads its stdin does not stall the session" {
        cid=$(cri_pod ex6)
        # 2 MiB of output before reading 4 MiB of input: far more than pipes hold
        url=$(exec_url "{\"container_id\": \"$cid\", \"cmd\": [\"sh\", \"-c\",
                \"head -c 2097152 /dev/zero | tr '\\\\0' x; cat | wc -c\"],
                \"stdin\": true, \"stdout\": true, \"stderr\": true}")
        head -c 3145728 /dev/urandom | base64 -w0 >"$BATS_TEST_TMPDIR/big"
        client exec "$url" --stdin-file "$BATS_TEST_TMPDIR/big" >"$BATS_TEST_TMPDIR/out"
        out=$(jq -j .stdout "$BATS_TEST_TMPDIR/out")
        [ "${#out}" -gt 2097152 ]
        [ "$(tail -c 20 <<<"$out" | tr -d x | tr -d ' ')" = "$(wc -c <"$BATS_TEST_TMPDIR/big")" ]
        [ "$(jq -r '.error | fromjson | .status' "$BATS_TEST_TMPDIR/out")" = Success ]
}

@test "Exec into a CRI container (CreateContainer + StartContainer): output, namespaces, exit status" {
        sb=$(run_sandbox exsb)
        cid=$(rt CreateContainer "$(jq -nc --arg s "$sb" '{pod_sandbox_id: $s, config: {
                metadata: {name: "sleeper", attempt: 0}, image: {image: "busybox"},
                command: ["sleep", "3600"], log_path: "sleeper/0.log"}}')" | jq -r .container_id)
        rt StartContainer "{\"container_id\": \"$cid\"}" >/dev/null
        pid=$(sb_pid "$sb")
        url=$(exec_url "{\"container_id\": \"$cid\", \"cmd\": [\"sh\", \"-c\",
                \"readlink /proc/self/ns/net; readlink /proc/self/ns/mnt; exit 4\"], \"stdout\": true}")
        run -0 client exec "$url"
        out=$(jq -r .stdout <<<"$output")
        [ "$(sed -n 1p <<<"$out")" = "$(readlink "/proc/$pid/ns/net")" ]
        [ "$(sed -n 2p <<<"$out")" != "$(readlink "/proc/$pid/ns/mnt")" ]
        [ "$(jq -r '.error | fromjson | .details.causes[0].message' <<<"$output")" = 4 ]
        # a stopped container is refused
        rt StopContainer "{\"container_id\": \"$cid\", \"timeout\": 1}" >/dev/null
        run -1 rt Exec "{\"container_id\": \"$cid\", \"cmd\": [\"true\"], \"stdout\": true}"
        [[ $output == *"is not running"* ]]
}

@test "GetContainerEvents streams CREATED, STARTED, STOPPED, DELETED with the container's status" {
        sb=$(run_sandbox evsb)
        CRI_TIMEOUT=60 CRI_READY_FILE="$PODCTL_ROOT/events.ready" /usr/bin/python3 "$REPO/tests/cri/cri.py" "$CRI_SOCK" RuntimeService \
                GetContainerEvents '{}' >"$PODCTL_ROOT/events.out" 2>"$PODCTL_ROOT/events.err" &
        echo $! >"$PODCTL_ROOT/events.bgpid"
        # the call is on its way once the client is connected
        wait_for 15 test -e "$PODCTL_ROOT/events.ready"
        cid=$(rt CreateContainer "$(jq -nc --arg s "$sb" '{pod_sandbox_id: $s, config: {
                metadata: {name: "ev", attempt: 0}, image: {image: "busybox"},
                command: ["sleep", "3600"], log_path: "ev/0.log"}}')" | jq -r .container_id)
        rt StartContainer "{\"container_id\": \"$cid\"}" >/dev/null
        rt StopContainer "{\"container_id\": \"$cid\", \"timeout\": 1}" >/dev/null
        rt RemoveContainer "{\"container_id\": \"$cid\"}" >/dev/null
        types() { jq -r --arg c "$cid" 'select(.container_id == $c) | .container_event_type // "CONTAINER_CREATED_EVENT"' \
                "$PODCTL_ROOT/events.out" | tr '\n' ' '; }
        wait_for 15 bash -c "[[ \"\$(jq -r --arg c $cid 'select(.container_id == \$c) | .container_event_type // \"CONTAINER_CREATED_EVENT\"' '$PODCTL_ROOT/events.out' | tr '\n' ' ')\" == *DELETED* ]]"
        [ "$(types)" = "CONTAINER_CREATED_EVENT CONTAINER_STARTED_EVENT CONTAINER_STOPPED_EVENT CONTAINER_DELETED_EVENT " ]
        # each event carries the sandbox's status; the STOPPED one the container's exit
        [ "$(jq -r --arg c "$cid" 'select(.container_id == $c) | .pod_sandbox_status.id' "$PODCTL_ROOT/events.out" | sort -u)" = "$sb" ]
        [ "$(jq -r --arg c "$cid" 'select(.container_id == $c and .container_event_type == "CONTAINER_STOPPED_EVENT") | .containers_statuses[0].state' "$PODCTL_ROOT/events.out")" = CONTAINER_EXITED ]
        # the client going away ends the call; the server goes on
        kill "$(cat "$PODCTL_ROOT/events.bgpid")"
        rm -f "$PODCTL_ROOT/events.bgpid"
        rt Version >/dev/null
}

@test "the Stream* list RPCs answer what their List RPCs answer" {
        run_sandbox lists >/dev/null
        want=$(rt ListPodSandbox | jq -c '[.items[].id] | sort')
        run -0 rt StreamPodSandboxes '{}'
        [ "$(jq -sc '[.[].pod_sandboxes[]?.id] | sort' <<<"$output")" = "$want" ]
        [ "$want" != "[]" ]
        # a filter rides along as in the List RPC
        run -0 rt StreamPodSandboxes '{"filter": {"label_selector": {"no": "such"}}}'
        [ "$(jq -sc '[.[].pod_sandboxes[]?] | length' <<<"$output")" = 0 ]
        want=$(/usr/bin/python3 "$REPO/tests/cri/cri.py" "$CRI_SOCK" ImageService ListImages | jq -c '[.images[].id] | sort')
        run -0 /usr/bin/python3 "$REPO/tests/cri/cri.py" "$CRI_SOCK" ImageService StreamImages '{}'
        [ "$(jq -sc '[.[].images[]?.id] | sort' <<<"$output")" = "$want" ]
        [ "$want" != "[]" ]
        run -0 rt StreamPodSandboxStats '{}'
        [ "$(jq -sc '[.[].pod_sandbox_stats[]?] | length' <<<"$output")" -ge 1 ]
}

@test "Exec over WebSocket (v5.channel.k8s.io): output, exit status, stdin closed by the v5 close message" {
        cid=$(cri_pod exws)
        url=$(exec_url "{\"container_id\": \"$cid\", \"cmd\": [\"sh\", \"-c\", \"echo out; echo err >&2; exit 5\"],
                \"stdout\": true, \"stderr\": true}")
        run -0 /usr/bin/python3 "$REPO/tests/cri/ws-client.py" "$url"
        [ "$(jq -r .protocol <<<"$output")" = v5.channel.k8s.io ]
        [ "$(jq -r .stdout <<<"$output")" = out ]
        [ "$(jq -r .stderr <<<"$output")" = err ]
        [ "$(jq -r '.error | fromjson | .details.causes[0].message' <<<"$output")" = 5 ]
        # stdin, ended by [255, 0]: the command sees EOF
        url=$(exec_url "{\"container_id\": \"$cid\", \"cmd\": [\"sh\", \"-c\", \"tr a-z A-Z; echo done\"],
                \"stdin\": true, \"stdout\": true, \"stderr\": true}")
        run -0 /usr/bin/python3 "$REPO/tests/cri/ws-client.py" "$url" --stdin "over websocket"
        [ "$(jq -r .stdout <<<"$output")" = "OVER WEBSOCKETdone" ]
        [ "$(jq -r '.error | fromjson | .status' <<<"$output")" = Success ]
        # v4 over WebSocket, and a protocol the server does not speak
        url=$(exec_url "{\"container_id\": \"$cid\", \"cmd\": [\"true\"], \"stdout\": true}")
        run -0 /usr/bin/python3 "$REPO/tests/cri/ws-client.py" "$url" --proto v4.channel.k8s.io
        [ "$(jq -r .protocol <<<"$output")" = v4.channel.k8s.io ]
        [ "$(jq -r '.error | fromjson | .status' <<<"$output")" = Success ]
        url=$(exec_url "{\"container_id\": \"$cid\", \"cmd\": [\"true\"], \"stdout\": true}")
        run -0 /usr/bin/python3 "$REPO/tests/cri/ws-client.py" "$url" --proto base64.channel.k8s.io
        [ "$(jq -r .http <<<"$output")" = 403 ]
}
