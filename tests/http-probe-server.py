#!/usr/bin/python3
"""HTTP and HTTPS server for the httpGet probe and hook tests (Python's
http.server and ssl; the certificate is the test's own, self-signed).

    http-probe-server.py LOG STATUS_FILE HTTP_PORT [HTTPS_PORT CERT KEY]

Paths: /ok 200; /status the code in STATUS_FILE (200 when it is missing);
/same 302 -> /ok (same host); /away 302 -> http://elsewhere.invalid/ with the
body "moved away"; anything else 404. Every request is appended to LOG as
"PORT PATH" then its headers, then an empty line. Prints "ready"."""
import http.server
import os
import ssl
import sys
import threading

log, status_file, http_port = sys.argv[1], sys.argv[2], int(sys.argv[3])
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # a status line also for what is no HTTP request (a TLS ClientHello):
    # "HTTP/1.0 400", as most servers answer it
    default_request_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def do_GET(self):
        with lock, open(log, "a") as f:
            f.write("%d %s\n%s\n" % (self.server.server_port, self.path,
                                      str(self.headers)))
        code, body, loc = 404, b"", None
        if self.path == "/ok":
            code = 200
        elif self.path == "/status":
            code = 200
            if os.path.exists(status_file):
                with open(status_file) as f:
                    code = int(f.read().strip() or 200)
        elif self.path == "/same":
            code, loc = 302, "/ok"
        elif self.path == "/away":
            code, loc, body = 302, "http://elsewhere.invalid/", b"moved away"
        self.send_response(code)
        if loc:
            self.send_header("Location", loc)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


def serve(srv):
    srv.serve_forever()


# where to listen: 127.0.0.1, or (PROBE_BIND) every address of a Pod's netns,
# which a probe reaches at the Pod IP as the kubelet's
BIND = os.environ.get("PROBE_BIND", "127.0.0.1")
servers = [http.server.ThreadingHTTPServer((BIND, http_port), Handler)]
if len(sys.argv) > 6:
    s = http.server.ThreadingHTTPServer((BIND, int(sys.argv[4])), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[5], sys.argv[6])
    s.socket = ctx.wrap_socket(s.socket, server_side=True)
    servers.append(s)
for s in servers:
    threading.Thread(target=serve, args=(s,), daemon=True).start()
try:
    print("ready", flush=True)
except BrokenPipeError:
    pass  # the caller read "ready" and closed its end already
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
threading.Event().wait()
