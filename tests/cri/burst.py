#!/usr/bin/python3
"""RunPodSandbox from several clients at once (one channel each):
    burst.py SOCKET CLIENTS PER_CLIENT PREFIX
Prints "ok N failed M"; failures (the server killed mid-way) are expected."""
import os
import sys
import threading

sys.path.insert(0, os.environ["CRI_STUBS"])
import grpc  # noqa: E402
import api_pb2  # noqa: E402
import api_pb2_grpc  # noqa: E402

sock, clients, per, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
counts = {"ok": 0, "failed": 0}
lock = threading.Lock()


def client(k):
    stub = api_pb2_grpc.RuntimeServiceStub(grpc.insecure_channel("unix:" + sock))
    for i in range(per):
        name = "%s-%d-%d" % (prefix, k, i)
        md = api_pb2.PodSandboxMetadata(name=name, namespace="burst", uid="uid-" + name)
        req = api_pb2.RunPodSandboxRequest(config=api_pb2.PodSandboxConfig(metadata=md))
        try:
            stub.RunPodSandbox(req, timeout=30)
            r = "ok"
        except grpc.RpcError:
            r = "failed"
        with lock:
            counts[r] += 1


ts = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("ok %d failed %d" % (counts["ok"], counts["failed"]))
