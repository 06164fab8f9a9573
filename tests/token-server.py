#!/usr/bin/env python3
"""A token issuer for distribution's `token` auth, for the registry tests.

    token-server.py PORT CERT KEY SIGNCERT SIGNKEY USER:PASS SERVICE ISSUER LOG [REFRESH]

Serves https://127.0.0.1:PORT/token?service=..&scope=repository:NAME:ACTIONS
(TLS with CERT/KEY). With Basic credentials matching USER:PASS the token
grants the requested actions; anonymous (or wrong) callers get a token that
grants nothing, so the registry answers 401 as Docker Hub does for a private
repository. Tokens are RS256 JWTs whose x5c header carries SIGNCERT, which the
registry trusts through its auth.token.rootcertbundle. Every request is
logged to LOG as "user scope" (no secrets), so tests can count token fetches.

With REFRESH, a refresh token (the CRI's identity_token) that stands for
USER: the OAuth2 POST of distribution's oauth.md to /token
(application/x-www-form-urlencoded grant_type=refresh_token, refresh_token,
service, scope, client_id) answers {"access_token", "expires_in", "scope"}
for it, and 400 invalid_grant for any other; logged as "POST user client_id
scope" (or "POST denied ..."). The GET also takes it as Basic password with
an empty user name (what containerd sends when it falls back to the GET).
A file post-status next to LOG holding a status (404, 405) makes the POST
answer that instead, as token servers without OAuth2 do.
"""
import base64
import http.server
import json
import os
import ssl
import sys
import time
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

port, cert, key, sign_cert, sign_key, userpass, service, issuer, log = sys.argv[1:10]
refresh = sys.argv[10] if len(sys.argv) > 10 else None
post_status_file = os.path.join(os.path.dirname(log), "post-status")

with open(sign_key, "rb") as f:
    KEY = serialization.load_pem_private_key(f.read(), password=None)
with open(sign_cert, "rb") as f:
    CERT_DER = x509.load_pem_x509_certificate(f.read()).public_bytes(serialization.Encoding.DER)


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def token(sub, access):
    now = int(time.time())
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(CERT_DER).decode()]}
    claims = {"iss": issuer, "sub": sub, "aud": service, "exp": now + 300, "nbf": now - 10,
              "iat": now, "jti": os.urandom(8).hex(), "access": access}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = KEY.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(sig)


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path != "/token":
            self.send_error(404)
            return
        q = urllib.parse.parse_qs(url.query)
        user = ""
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                given = base64.b64decode(auth[6:]).decode()
            except Exception:
                given = ""
            if refresh and given == ":" + refresh:
                given = userpass
            if given != userpass:
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"details":"incorrect username or password"}')
                with open(log, "a") as f:
                    f.write("denied %s\n" % " ".join(q.get("scope", [])))
                return
            user = given.split(":", 1)[0]
        access = []
        for scope in q.get("scope", []):
            parts = scope.split(":")
            if len(parts) >= 3 and parts[0] == "repository" and user:
                access.append({"type": "repository", "name": ":".join(parts[1:-1]),
                               "actions": parts[-1].split(",")})
        with open(log, "a") as f:
            f.write("%s %s\n" % (user or "anonymous", " ".join(q.get("scope", []))))
        body = json.dumps({"token": token(user, access), "expires_in": 300}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def answer(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        if urllib.parse.urlparse(self.path).path != "/token":
            self.answer(404, {"error": "not_found"})
            return
        one = lambda k: form.get(k, [""])[0]
        scope = one("scope")
        try:
            with open(post_status_file) as f:
                forced = int(f.read().strip())
        except FileNotFoundError:
            forced = 0
        if forced:
            with open(log, "a") as f:
                f.write("POST %d %s\n" % (forced, scope))
            self.answer(forced, {"error": "unsupported"})
            return
        ok = (self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")
              and one("grant_type") == "refresh_token" and refresh
              and one("refresh_token") == refresh and one("service") == service)
        with open(log, "a") as f:
            f.write("POST %s %s %s\n" % (userpass.split(":", 1)[0] if ok else "denied",
                                          one("client_id"), scope))
        if not ok:
            self.answer(400, {"error": "invalid_grant",
                              "error_description": "refresh token not valid"})
            return
        user = userpass.split(":", 1)[0]
        access = []
        for sc in scope.split(" "):
            parts = sc.split(":")
            if len(parts) >= 3 and parts[0] == "repository":
                access.append({"type": "repository", "name": ":".join(parts[1:-1]),
                               "actions": parts[-1].split(",")})
        self.answer(200, {"access_token": token(user, access), "expires_in": 300,
                          "scope": scope})


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
