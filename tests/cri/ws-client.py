#!/usr/bin/python3
"""A WebSocket client of the CRI streaming server that is not podctl's code:
websocket-client (Debian's python3-websocket), speaking Kubernetes' channel
protocols as kubectl 1.30+ does (v5.channel.k8s.io: a binary message is a
channel byte and data; [255, channel] closes that channel).

    ws-client.py URL [--stdin TEXT] [--proto P,...]
        prints {"protocol": ..., "stdout": ..., "stderr": ..., "error": ...}
    ws-client.py URL --portforward [--send CH:TEXT ...] [--proto P,...]
        port forwarding (v4.channel.k8s.io: channel 2i data, 2i+1 error of
        the i-th port, each opened by the server with the port, uint16 LE):
        sends each TEXT on data channel CH, reads until the server closes,
        prints {"protocol": ..., "ports": {CH: port}, "data": {CH: text}}
    A refused upgrade prints {"http": STATUS, "body": ...}.
"""
import json
import sys

import websocket

args = sys.argv[1:]
url = args[0].replace("http://", "ws://", 1)
stdin = None
protos = ["v5.channel.k8s.io", "v4.channel.k8s.io", "channel.k8s.io"]
forward = False
sends = []
i = 1
while i < len(args):
    if args[i] == "--portforward":
        forward = True
        protos = ["v4.channel.k8s.io"]
        i += 1
    elif args[i] == "--send":
        ch, text = args[i + 1].split(":", 1)
        sends.append((int(ch), text.encode().decode("unicode_escape").encode()))
        i += 2
    elif args[i] == "--stdin":
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
if forward:
    for ch, text in sends:
        ws.send_binary(bytes([ch]) + text)
    ports, data = {}, {}
    while True:
        try:
            op, msg = ws.recv_data()
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            break
        if op == websocket.ABNF.OPCODE_CLOSE:
            break
        if op != websocket.ABNF.OPCODE_BINARY or not msg:
            continue
        ch = msg[0]
        if ch not in ports:
            ports[ch] = int.from_bytes(msg[1:3], "little")
            msg = msg[2:]
        data[ch] = data.get(ch, b"") + msg[1:]
    print(json.dumps({"protocol": proto, "ports": {str(k): v for k, v in ports.items()},
                      "data": {str(k): v.decode(errors="replace") for k, v in data.items()}}))
    sys.exit(0)
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
