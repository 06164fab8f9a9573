#!/usr/bin/env python3
"""A registry front that redirects blobs to another host, for the tests.

    redirect-registry.py PORT STORAGE_PORT UPSTREAM CERT KEY CA USER:PASS LOG

https://127.0.0.1:PORT/v2/... needs Basic credentials USER:PASS; manifests
are fetched from UPSTREAM (a registry without auth, verified with CA) and
served as they are; a blob GET is answered with a 307 to
https://localhost:STORAGE_PORT/... (another host name: like S3 or a CDN),
which serves the blob from UPSTREAM. The tags "schema1" and "unknown" are
a Docker schema 1 manifest and a manifest of an unknown media type. Both log each request to LOG as
"front|storage METHOD PATH auth=yes|no" (never the header's value), so a
test can check that no Authorization header followed the redirect. The
front also logs "MONOTONIC-SECONDS PATH" of each request to LOG.times (the
host's CLOCK_MONOTONIC), so a test can measure the time between pulls.
"""
import base64
import http.server
import ssl
import sys
import threading
import time
import urllib.request

port, storage_port, upstream, cert, key, ca, userpass, log = sys.argv[1:9]
UP_CTX = ssl.create_default_context(cafile=ca)
# tags "schema1" and "unknown": manifests podctl must refuse with a clear message
SCHEMA1 = b'{"schemaVersion": 1, "name": "busybox", "tag": "schema1", "architecture": "amd64", "fsLayers": [], "history": []}'
UNKNOWN = b'{"schemaVersion": 2, "mediaType": "application/vnd.example.thing.v1+json"}'
LOCK = threading.Lock()


def record(who, handler):
    with LOCK, open(log, "a") as f:
        f.write("%s %s %s auth=%s\n" % (who, handler.command, handler.path,
                                        "yes" if handler.headers.get("Authorization") else "no"))
    if who == "front":
        with LOCK, open(log + ".times", "a") as f:
            f.write("%.3f %s\n" % (time.monotonic(), handler.path))


def fetch(path, accept=None):
    req = urllib.request.Request(upstream + path, headers={"Accept": accept} if accept else {})
    return urllib.request.urlopen(req, context=UP_CTX)


class Front(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        record("front", self)
        want = "Basic " + base64.b64encode(userpass.encode()).decode()
        if self.headers.get("Authorization") != want:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="front"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.endswith("/manifests/schema1"):
            self.reply(200, SCHEMA1, "application/vnd.docker.distribution.manifest.v1+prettyjws")
            return
        if self.path.endswith("/manifests/unknown"):
            self.reply(200, UNKNOWN, "application/vnd.example.thing.v1+json")
            return
        if "/blobs/" in self.path:
            self.send_response(307)
            self.send_header("Location", "https://localhost:%s%s" % (storage_port, self.path))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            r = fetch(self.path, self.headers.get("Accept"))
        except urllib.error.HTTPError as e:
            self.send_response(e.code)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = r.read()
        self.send_response(200)
        self.send_header("Content-Type", r.headers.get("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


    def reply(self, code, body, ctype):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Storage(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        record("storage", self)
        body = fetch(self.path).read()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(handler, p):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(p)), handler)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


threading.Thread(target=serve, args=(Storage, storage_port), daemon=True).start()
serve(Front, port)
