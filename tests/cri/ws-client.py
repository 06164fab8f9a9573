#!/usr/bin/python3
"""A WebSocket client of the CRI streaming server that is not podctl's code:
websocket-client (Debian's python3-websocket), speaking Kubernetes' channel
protocols as kubectl 1.30+ does (v5.channel.k8s.io: a binary message is a
channel byte and data; [255, channel] closes that channel).

    ws-client.py URL [--stdin TEXT] [--proto P,...]
        prints {"protocol": ..., "stdout": ..., "stderr": ..., "error": ...}
    A refused upgrade prints {"http": STATUS, "body": ...}.
"""
import json
import sys

import websocket

args = sys.argv[1:]
url = args[0].replace("http://", "ws://", 1)
stdin = None
protos = ["v5.channel.k8s.io", "v4.channel.k8s.io", "channel.k8s.io"]
i = 1
while i < len(args):
    if args[i] == "--stdin":
        stdin = args[i + 1].encode()
        i += 2
    elif args[i] == "--proto":
        protos = args[i + 1].split(",")
        i += 2
    else:
        sys.exit("ws-client.py: unknown argument " + args[i])

try:
    ws = websocket.create_connection(url, subprotocols=protos, timeout=20)
except websocket.WebSocketBadStatusException as e:
    body = getattr(e, "resp_body", None) or b""
    body = (body if isinstance(body, bytes) else str(body).encode()).decode(errors="replace").strip()
    print(json.dumps({"http": e.status_code, "body": body}))
    sys.exit(0)
proto = ws.getsubprotocol() or ""
if stdin is not None:
    ws.send_binary(b"\x00" + stdin)
    if proto == "v5.channel.k8s.io":
        ws.send_binary(bytes([255, 0]))
chans = {1: b"", 2: b"", 3: b""}
while True:
    try:
        op, data = ws.recv_data()
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        break
    if op == websocket.ABNF.OPCODE_CLOSE:
        break
    if op == websocket.ABNF.OPCODE_BINARY and data and data[0] in chans:
        chans[data[0]] += data[1:]
print(json.dumps({"protocol": proto, "stdout": chans[1].decode(errors="replace"),
                  "stderr": chans[2].decode(errors="replace"),
                  "error": chans[3].decode(errors="replace")}))
