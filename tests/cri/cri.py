#!/usr/bin/python3
"""A CRI client that is not podctl's code: grpcio (Debian's python3-grpcio)
with stubs generated from proto/api.proto by grpc_tools at test time.

    cri.py gen OUTDIR                      generate the stubs into OUTDIR
    cri.py SOCKET SERVICE METHOD [JSON]    one call; the response as JSON
                                           (proto field names) on stdout (a
                                           streaming one: a line a message);
                                           an error as "CODE: details" on
                                           stderr, exit status 1
SERVICE is RuntimeService or ImageService. CRI_STUBS names the stub dir.
"""
import json
import os
import sys


def gen(out):
    from grpc_tools import protoc
    proto = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto")
    os.makedirs(out, exist_ok=True)
    r = protoc.main(["protoc", "-I" + proto, "--python_out=" + out,
                     "--grpc_python_out=" + out, os.path.join(proto, "api.proto")])
    sys.exit(r)


def call(sock, service, method, body):
    sys.path.insert(0, os.environ["CRI_STUBS"])
    import grpc
    from google.protobuf import json_format
    import api_pb2
    import api_pb2_grpc
    ch = grpc.insecure_channel("unix:" + sock)
    stub = getattr(api_pb2_grpc, service + "Stub")(ch)
    fn = getattr(stub, method)
    req_type = api_pb2.DESCRIPTOR.services_by_name[service].methods_by_name[method].input_type
    req = getattr(api_pb2, req_type.name)()
    json_format.Parse(body or "{}", req)
    streaming = api_pb2.DESCRIPTOR.services_by_name[service].methods_by_name[method].server_streaming
    if streaming and os.environ.get("CRI_READY_FILE"):
        # for tests: say when the connection is up, just before the call
        grpc.channel_ready_future(ch).result(timeout=30)
        open(os.environ["CRI_READY_FILE"], "w").close()
    try:
        resp = fn(req, timeout=float(os.environ.get("CRI_TIMEOUT", "60")))
        if streaming:
            # a server-streaming call: one compact JSON line a message, as it comes
            for m in resp:
                print(json_format.MessageToJson(m, preserving_proto_field_name=True,
                                                including_default_value_fields=False,
                                                indent=None), flush=True)
            return
    except grpc.RpcError as e:
        sys.stderr.write("%s: %s\n" % (e.code().name, e.details()))
        sys.exit(1)
    print(json_format.MessageToJson(resp, preserving_proto_field_name=True,
                                    including_default_value_fields=False))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    call(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
