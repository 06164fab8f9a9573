# Shared by the documentation-example cases (tests/k8s-examples/README.md):
# the integration and conformance helpers, and local stand-ins loaded under
# the image names the examples use, so each manifest keeps its image field.

# shellcheck source=../conformance/helpers.bash
source "$BATS_TEST_DIRNAME/../conformance/helpers.bash"

EXAMPLES="$BATS_TEST_DIRNAME/manifests"

# Stand-ins made from the busybox root filesystem, once per run:
#   web: busybox's httpd in the foreground serving /srv/www on $PORT (the
#     servers the examples run: nginx on 80 with /usr/share/nginx/html and an
#     `nginx -s quit` that stops it, hello-app / node-hello / goproxy on 8080,
#     redis on 6379);
#   stress: `stress --vm 1 --vm-bytes N[M] --vm-hang 1`: a worker holding N
#     bytes of anonymous memory (tests/probe.c run as "stress").
build_example_standins() {
        local d="$PODCTL_TEST_FIXTURES/k8s-examples" l
        # the examples call printenv: the busybox test image has it
        # (scripts/mkimage-busybox); fixtures made before it did must be remade
        tar -tf "$PODCTL_TEST_FIXTURES/busybox-rootfs.tar" | grep -qx './usr/bin/printenv' || {
                echo "$PODCTL_TEST_FIXTURES predates printenv in the busybox image: rebuild it with scripts/mkimage-busybox" >&2
                return 1
        }
        [ -e "$d/done" ] && return 0
        rm -rf "$d"
        mkdir -p "$d/add/nginx/usr/sbin" "$d/add/nginx/usr/share/nginx/html" \
                "$d/add/web/usr/local/bin" "$d/add/stress/usr/bin"
        cat >"$d/add/nginx/usr/sbin/nginx" <<'EOF'
#!/bin/sh
# nginx stand-in: `nginx -g 'daemon off;'` serves /usr/share/nginx/html on
# port 80; `nginx -s quit` (SIGQUIT to the master) and SIGTERM stop it. The
# signal that stopped it is its termination message (/dev/termination-log),
# so a test sees which one came first.
if [ "$1" = -s ]; then
        kill -QUIT "$(cat /run/nginx.pid)"
        exit 0
fi
mkdir -p /run
echo $$ >/run/nginx.pid
httpd -f -p 80 -h /usr/share/nginx/html &
trap 'kill $!; echo SIGQUIT >/dev/termination-log; exit 0' QUIT
trap 'kill $!; echo SIGTERM >/dev/termination-log; exit 0' TERM
wait
EOF
        echo '<h1>Welcome to nginx!</h1>' >"$d/add/nginx/usr/share/nginx/html/index.html"
        cat >"$d/add/web/usr/local/bin/serve" <<'EOF'
#!/bin/sh
# serve PORT: a web server in the foreground (hello-app, node-hello, goproxy, redis stand-ins)
exec httpd -f -p "$1" -h /srv/www
EOF
        mkdir -p "$d/add/web/srv/www"
        echo "Hello, world!" >"$d/add/web/srv/www/index.html"
        # tests/probe.c run as "stress": a worker holding --vm-bytes
        install -m 0755 "$PROBE" "$d/add/stress/usr/bin/stress"
        chmod 0755 "$d/add/nginx/usr/sbin/nginx" \
                "$d/add/web/usr/local/bin/serve"
        for l in bb nginx web stress; do
                cp "$PODCTL_TEST_FIXTURES/busybox-rootfs.tar" "$d/$l.tar"
                if [ "$l" != bb ]; then
                        tar --numeric-owner --owner=0 --group=0 -rf "$d/$l.tar" -C "$d/add/$l" .
                fi
        done
        oci_image "$d/busybox" "$d/bb.tar" 'null' '["sh"]'
        oci_image "$d/nginx" "$d/nginx.tar" 'null' '["nginx", "-g", "daemon off;"]'
        oci_image "$d/web8080" "$d/web.tar" 'null' '["serve", "8080"]'
        oci_image "$d/redis" "$d/web.tar" 'null' '["serve", "6379"]'
        oci_image "$d/stress" "$d/stress.tar" 'null' '["stress"]'
        touch "$d/done"
}

examples_setup_file() {
        conformance_setup_file
        build_example_standins
        local c="$PODCTL_TEST_FIXTURES/conformance" d="$PODCTL_TEST_FIXTURES/k8s-examples" n
        for n in busybox busybox:1.28 registry.k8s.io/busybox registry.k8s.io/busybox:1.27.2 debian; do
                podctl image load -i "$d/busybox" --name "$n" >/dev/null
        done
        podctl image load -i "$c/agnhost" --name registry.k8s.io/e2e-test-images/agnhost:2.40 >/dev/null
        for n in nginx nginx:1.29; do
                podctl image load -i "$d/nginx" --name "$n" >/dev/null
        done
        for n in gcr.io/google-samples/hello-app:2.0 gcr.io/google-samples/node-hello:1.0 \
                registry.k8s.io/goproxy:0.1; do
                podctl image load -i "$d/web8080" --name "$n" >/dev/null
        done
        podctl image load -i "$d/redis" --name redis >/dev/null
        podctl image load -i "$d/stress" --name polinux/stress >/dev/null
}

# example FILE...: apply documentation examples from manifests/ (as the page
# says: `kubectl apply -f https://k8s.io/examples/...`).
example() {
        local f
        for f in "$@"; do
                podctl apply -f "$EXAMPLES/$f"
        done
}

# in_pod [-n NS] POD CMD...: `kubectl exec POD -- CMD...`
in_pod() { podctl exec "$@"; }

running() { [ "$(jq_pod "$1" '[.status.containerStatuses[].state | has("running")] | all')" = true ]; }
ready() { [ "$(jq_pod "$1" '.status.conditions[] | select(.type=="Ready") | .status')" = True ]; }
restarted() { [ "$(jq_pod "$1" "[.status.containerStatuses[].restartCount] | max")" -ge "${2:-1}" ]; }
