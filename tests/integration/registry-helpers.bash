# Real registries on 127.0.0.1 for registry.bats: Debian's docker-registry
# (distribution) with TLS from a CA made here, htpasswd Basic auth or token
# auth (tests/token-server.py). Each one is started in the background with
# its PID recorded, and reg_stop_all kills exactly those PIDs.

REG_USER=podctl-tester
REG_PASS='s3cret-Pa55'
# the token servers' refresh token for REG_USER (the CRI's identity_token);
# '+', '/' and '=' must reach them URL-encoded
REG_REFRESH='r3fresh+T0ken/for=tester'

reg_free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# reg_ca NAME: a CA in $REG_DIR/NAME.{crt,key}
reg_ca() {
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$REG_DIR/$1.key" -out "$REG_DIR/$1.crt" \
                -days 2 -subj "/CN=podctl test CA $1" 2>/dev/null
}

# reg_cert CA OUT: a certificate for 127.0.0.1 signed by CA, in $REG_DIR/OUT.{crt,key}
reg_cert() {
        local ext="$REG_DIR/$2.ext"
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$ext"
        openssl req -newkey rsa:2048 -nodes -keyout "$REG_DIR/$2.key" -out "$REG_DIR/$2.csr" \
                -subj "/CN=127.0.0.1" 2>/dev/null
        openssl x509 -req -in "$REG_DIR/$2.csr" -CA "$REG_DIR/$1.crt" -CAkey "$REG_DIR/$1.key" \
                -CAcreateserial -out "$REG_DIR/$2.crt" -days 2 -extfile "$ext" 2>/dev/null
}

# reg_setup: the directory, the CA and the server certificate, the htpasswd
# file, the token signing certificate. Once per file.
reg_setup() {
        REG_DIR=$(mktemp -d /tmp/podctl-reg.XXXXXX)
        export REG_DIR
        reg_ca ca
        reg_cert ca server
        reg_ca wrongca
        htpasswd -Bbn "$REG_USER" "$REG_PASS" >"$REG_DIR/htpasswd" 2>/dev/null
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$REG_DIR/sign.key" -out "$REG_DIR/sign.crt" \
                -days 2 -subj "/CN=podctl test token signer" 2>/dev/null
        mkdir -p "$REG_DIR/certs.d"
        # client certificates: a CA of their own and one certificate it signed
        reg_ca clientca
        reg_cert clientca client
}

# reg_wait_port PORT [CURL-OPTIONS]: until something accepts TLS connections there.
reg_wait_port() {
        local i port=$1
        shift
        for i in $(seq 1 100); do
                curl -s -o /dev/null --cacert "$REG_DIR/ca.crt" "$@" "https://127.0.0.1:$port/" && return 0
                sleep 0.1
        done
        return 1
}

# reg_start NAME AUTH [PORT]: a registry NAME (none | htpasswd | token auth |
# mtls: TLS that requires a client certificate signed by $REG_DIR/clientca |
# plain-http: no TLS, no auth),
# its port in $REG_DIR/NAME/port, its storage in $REG_DIR/NAME/data (kept
# across restarts), its access log in $REG_DIR/NAME/log. With AUTH=token a
# token server is started too (its PID in NAME/token.pid, its log of token
# requests in NAME/token.log; it takes REG_REFRESH in an OAuth2 POST).
reg_start() {
        local name=$1 auth=$2 port=${3:-} d="$REG_DIR/$1"
        mkdir -p "$d/data"
        [ -n "$port" ] || port=$(reg_free_port)
        echo "$port" >"$d/port"
        {
                cat <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $d/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: podctl-test-secret
EOF
                if [ "$auth" != plain-http ]; then
                        printf '  tls:\n    certificate: %s\n    key: %s\n' "$REG_DIR/server.crt" \
                                "$REG_DIR/server.key"
                fi
                case $auth in
                mtls)
                        printf '    clientcas:\n      - %s\n' "$REG_DIR/clientca.crt"
                        ;;
                htpasswd)
                        printf 'auth:\n  htpasswd:\n    realm: podctl-test\n    path: %s\n' "$REG_DIR/htpasswd"
                        ;;
                token)
                        local tport
                        tport=$(cat "$d/token-port" 2>/dev/null || reg_free_port)
                        echo "$tport" >"$d/token-port"
                        printf 'auth:\n  token:\n    realm: https://127.0.0.1:%s/token\n' "$tport"
                        printf '    service: podctl-test-registry\n    issuer: podctl-test-issuer\n'
                        printf '    rootcertbundle: %s\n' "$REG_DIR/sign.crt"
                        ;;
                esac
        } >"$d/config.yml"
        if [ "$auth" = token ] && ! [ -s "$d/token.pid" ]; then
                (
                        python3 "$REPO/tests/token-server.py" "$(cat "$d/token-port")" \
                                "$REG_DIR/server.crt" "$REG_DIR/server.key" "$REG_DIR/sign.crt" \
                                "$REG_DIR/sign.key" "$REG_USER:$REG_PASS" podctl-test-registry \
                                podctl-test-issuer "$d/token.log" "$REG_REFRESH" >>"$d/token.out" 2>&1 &
                        echo $! >"$d/token.pid"
                )
                reg_wait_port "$(cat "$d/token-port")"
        fi
        # started from a subshell: not a job of the test's shell (no "Killed"
        # notices), the PID recorded all the same
        (
                docker-registry serve "$d/config.yml" >>"$d/log" 2>&1 &
                echo $! >"$d/pid"
        )
        if [ "$auth" = plain-http ]; then
                reg_wait_http "$port"
                return
        fi
        # trusted by podctl through a certs.d directory of its own (with the
        # client certificate docker's convention names client.cert/client.key)
        local cd="$REG_DIR/certs.d/127.0.0.1:$port"
        mkdir -p "$cd"
        cp "$REG_DIR/ca.crt" "$cd/ca.crt"
        if [ "$auth" = mtls ]; then
                cp "$REG_DIR/client.crt" "$cd/client.cert"
                cp "$REG_DIR/client.key" "$cd/client.key"
                reg_wait_port "$port" --cert "$REG_DIR/client.crt" --key "$REG_DIR/client.key"
                return
        fi
        reg_wait_port "$port"
}

reg_wait_http() {
        local i
        for i in $(seq 1 100); do
                curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
                sleep 0.1
        done
        return 1
}

reg_port() { cat "$REG_DIR/$1/port"; }

# reg_start_redirect NAME UPSTREAM-NAME: tests/redirect-registry.py in front
# of registry UPSTREAM-NAME: Basic auth, blobs redirected to another host.
reg_start_redirect() {
        local d="$REG_DIR/$1" port sport
        mkdir -p "$d"
        port=$(reg_free_port)
        sport=$(reg_free_port)
        echo "$port" >"$d/port"
        (
                python3 "$REPO/tests/redirect-registry.py" "$port" "$sport" \
                        "https://127.0.0.1:$(reg_port "$2")" "$REG_DIR/server.crt" "$REG_DIR/server.key" \
                        "$REG_DIR/ca.crt" "$REG_USER:$REG_PASS" "$d/requests.log" >>"$d/log" 2>&1 &
                echo $! >"$d/pid"
        )
        reg_wait_port "$port"
        mkdir -p "$REG_DIR/certs.d/127.0.0.1:$port"
        cp "$REG_DIR/ca.crt" "$REG_DIR/certs.d/127.0.0.1:$port/ca.crt"
}

# reg_stop NAME: kill the registry (by its PID) and wait until it is gone.
reg_stop() {
        local d="$REG_DIR/$1" pid
        pid=$(cat "$d/pid" 2>/dev/null) || return 0
        kill -9 "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
        rm -f "$d/pid"
}

# reg_stop_all: every registry and token server of this file, by PID.
reg_stop_all() {
        local f pid
        [ -n "${REG_DIR:-}" ] || return 0
        for f in "$REG_DIR"/*/pid "$REG_DIR"/*/token.pid; do
                [ -s "$f" ] || continue
                pid=$(cat "$f")
                kill -9 "$pid" 2>/dev/null || true
                while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
                rm -f "$f"
        done
}

# reg_push SRC DEST [skopeo options]: skopeo copy into registry-relative DEST
# ("NAME/repo:tag" -> docker://127.0.0.1:PORT/repo:tag of registry NAME),
# with the registry's CA and the test credentials.
reg_push() {
        local src=$1 name=${2%%/*} rest=${2#*/}
        shift 2
        local port
        port=$(reg_port "$name")
        skopeo copy -q --dest-cert-dir "$REG_DIR/certs.d/127.0.0.1:$port" \
                --dest-creds "$REG_USER:$REG_PASS" "$@" "$src" "docker://127.0.0.1:$port/$rest" >/dev/null
}

# reg_manifest_digest NAME REPO REF: the digest of a pushed manifest.
reg_manifest_digest() {
        local port
        port=$(reg_port "$1")
        skopeo inspect --raw --cert-dir "$REG_DIR/certs.d/127.0.0.1:$port" \
                --creds "$REG_USER:$REG_PASS" "docker://127.0.0.1:$port/$2:$3" | sha256sum | sed 's/ .*//; s/^/sha256:/'
}

# reg_put_manifest NAME REPO TAG MEDIATYPE FILE: PUT a manifest (an index or
# a manifest list built by a test) with curl.
reg_put_manifest() {
        local port
        port=$(reg_port "$1")
        curl -sf --cacert "$REG_DIR/ca.crt" -u "$REG_USER:$REG_PASS" -X PUT \
                -H "Content-Type: $4" --data-binary "@$5" \
                "https://127.0.0.1:$port/v2/$2/manifests/$3" >/dev/null
}

# reg_blob_gets NAME DIGEST: how many GETs of that blob the registry served.
reg_blob_gets() {
        grep -c "\"GET /v2/[^ ]*/blobs/$2 HTTP/[0-9.]*\" 20[06] .*podctl/" "$REG_DIR/$1/log" || true
}

# podctl's config for this file's root: the test certs.d only.
reg_podctl_config() {
        local extra=${1:-}
        printf '{"registries": {"certsDirs": ["%s"]%s}}\n' "$REG_DIR/certs.d" "$extra" \
                >"$PODCTL_ROOT/config.json"
}
