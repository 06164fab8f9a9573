# The CRI test files' server and client (cri-stream.bats, cri-network.bats):
# `podctl serve` on the file's own root and socket, started by the test and
# ended by its PID; the gRPC client is tests/cri/cri.py (grpcio).

# cri_serve_start: the server, once the stubs exist; returns when it answers.
cri_serve_start() {
        export CRI_STUBS="$PODCTL_ROOT/stubs"
        /usr/bin/python3 "$REPO/tests/cri/cri.py" gen "$CRI_STUBS"
        export CRI_SOCK="$PODCTL_ROOT/run/podctl.sock"
        export CRI_PIDFILE="$PODCTL_ROOT/serve.pid"
        "$PODCTL" --root "$PODCTL_ROOT" serve --listen "$CRI_SOCK" --no-manifests --gc-interval 0 \
                >>"$PODCTL_ROOT/serve.log" 2>&1 &
        echo $! >"$CRI_PIDFILE"
        wait_for 10 rt Version >/dev/null 2>&1
}

# cri_serve_stop: what the tests started in the background (*.bgpid), every
# sandbox, the server, and the CRI root's Pods.
cri_serve_stop() {
        local id pid
        for pid in $(cat "$PODCTL_ROOT"/*.bgpid 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
        if [ -S "${CRI_SOCK:-}" ]; then
                for id in $(rt ListPodSandbox | jq -r '.items[]?.id'); do
                        rt StopPodSandbox "{\"pod_sandbox_id\": \"$id\"}" >/dev/null || true
                        rt RemovePodSandbox "{\"pod_sandbox_id\": \"$id\"}" >/dev/null || true
                done
        fi
        pid=$(cat "${CRI_PIDFILE:-/nonexistent}" 2>/dev/null) && kill "$pid" 2>/dev/null || true
        while [ -n "${pid:-}" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
        [ ! -d "$PODCTL_ROOT/cri" ] || PODCTL_ROOT=$PODCTL_ROOT/cri delete_all_pods
}

rt() { /usr/bin/python3 "$REPO/tests/cri/cri.py" "$CRI_SOCK" RuntimeService "$@"; }
