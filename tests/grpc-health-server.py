#!/usr/bin/python3
"""A gRPC health server (grpc.health.v1.Health/Check) for the probe tests.

Its messages come from podctl's src/monitor/health.proto through grpc_tools'
protoc (python3-grpc-tools), its server from grpcio (python3-grpcio): the real
gRPC stack on the other side of podctl's nghttp2/protobuf-c client.

    grpc-health-server.py PORT STATUS_FILE [ADDRESS]

STATUS_FILE holds lines "SERVICE STATUS" ("-" for the empty service name),
read at every call, so a test changes the answer by rewriting it. A service
not in the file gets NOT_FOUND "unknown service", as grpc's own health
servicer answers. Prints "ready" once it serves."""
import os
import shutil
import sys
import tempfile
from concurrent import futures

import grpc
from grpc_tools import protoc

here = os.path.dirname(os.path.abspath(__file__))
proto_dir = os.path.join(here, "..", "src", "monitor")
out = tempfile.mkdtemp(prefix="podctl-health-pb2.")
if protoc.main(["protoc", "-I" + proto_dir, "--python_out=" + out,
                os.path.join(proto_dir, "health.proto")]) != 0:
    sys.exit("protoc failed")
sys.path.insert(0, out)
import health_pb2  # noqa: E402

port, status_file = sys.argv[1], sys.argv[2]
address = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"


def statuses():
    m = {}
    with open(status_file) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                m["" if parts[0] == "-" else parts[0]] = parts[1]
    return m


def check(req, ctx):
    st = statuses().get(req.service)
    if st is None:
        ctx.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
    return health_pb2.HealthCheckResponse(
        status=health_pb2.HealthCheckResponse.ServingStatus.Value(st))


handler = grpc.method_handlers_generic_handler("grpc.health.v1.Health", {
    "Check": grpc.unary_unary_rpc_method_handler(
        check,
        request_deserializer=health_pb2.HealthCheckRequest.FromString,
        response_serializer=health_pb2.HealthCheckResponse.SerializeToString),
})
server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
server.add_generic_rpc_handlers((handler,))
server.add_insecure_port("%s:%s" % (address, port))
server.start()
# the generated module is loaded: its directory (and __pycache__) goes
shutil.rmtree(out, ignore_errors=True)
try:
    print("ready", flush=True)
except BrokenPipeError:
    pass  # the caller read "ready" and closed its end already
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
server.wait_for_termination()
