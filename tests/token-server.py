#!/usr/bin/env python3
"""A token issuer for distribution's `token` auth, for the registry tests.

    token-server.py PORT CERT KEY SIGNCERT SIGNKEY USER:PASS SERVICE ISSUER LOG

Serves https://127.0.0.1:PORT/token?service=..&scope=repository:NAME:ACTIONS
(TLS with CERT/KEY). With Basic credentials matching USER:PASS the token
grants the requested actions; anonymous (or wrong) callers get a token that
grants nothing, so the registry answers 401 as Docker Hub does for a private
repository. Tokens are RS256 JWTs whose x5c header carries SIGNCERT, which the
registry trusts through its auth.token.rootcertbundle. Every request is
logged to LOG as "user scope" (no secrets), so tests can count token fetches.
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


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
