#!/usr/bin/env python3
"""Regenerate the unpack and image_json seed corpora (small files).
Run from the repository root: tests/fuzz/mkseeds.py. The manifest corpus
is a copy of tests/data/manifests/good plus a few limit shapes."""
import gzip, hashlib, io, json, os, subprocess, tarfile

def tar(entries):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            kind, name = e[0], e[1]
            i = tarfile.TarInfo(name)
            i.mtime = 1700000000
            if kind == "d":
                i.type, i.mode = tarfile.DIRTYPE, 0o755
                t.addfile(i)
            elif kind == "f":
                data = e[2].encode()
                i.size, i.mode = len(data), e[3] if len(e) > 3 else 0o644
                t.addfile(i, io.BytesIO(data))
            elif kind == "l":
                i.type, i.linkname = tarfile.SYMTYPE, e[2]
                t.addfile(i)
            elif kind == "h":
                i.type, i.linkname = tarfile.LNKTYPE, e[2]
                t.addfile(i)
            elif kind == "c":
                i.type, i.devmajor, i.devminor = tarfile.CHRTYPE, e[2], e[3]
                t.addfile(i)
            elif kind == "p":
                i.type = tarfile.FIFOTYPE
                t.addfile(i)
    return b.getvalue()

def zstd(data):
    return subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE,
                          check=True).stdout

def put(target, name, data):
    with open(os.path.join("tests/fuzz/corpus", target, name), "wb") as f:
        f.write(data)

layers = {
    "basic": tar([("d", "etc"), ("f", "etc/hosts", "127.0.0.1 localhost\n"),
                  ("f", "bin/app", "x", 0o4755), ("h", "bin/app2", "bin/app"),
                  ("l", "lib", "usr/lib"), ("p", "run/fifo")]),
    "whiteouts": tar([("d", "a"), ("f", "a/.wh.gone", ""), ("f", "o/.wh..wh..opq", ""),
                      ("f", ".wh..wh.plnk/x", ""), ("f", "o/upper", "u"),
                      ("c", "a/wh0", 0, 0), ("c", "dev/null", 1, 3)]),
    "escape": tar([("l", "link", "/tmp"), ("f", "link/pwned", "x"), ("f", "../evil", "x"),
                   ("h", "h", "link/victim"), ("f", "/abs", "a")]),
}
for name, t in layers.items():
    put("unpack", name + ".tar", b"\0" + t)
    put("unpack", name + ".tar.gz", b"\0" + gzip.compress(t, mtime=0))
put("unpack", "basic.tar.zst", b"\0" + zstd(layers["basic"]))
put("unpack", "archive-basic.tar", b"\1" + layers["basic"])
put("unpack", "archive-escape.tar.gz", b"\1" + gzip.compress(layers["escape"], mtime=0))

def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()

cfg = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
                  "config": {"Entrypoint": ["/bin/sh"], "Cmd": ["-c", "true"], "Env": ["A=b"],
                             "WorkingDir": "/", "User": "1000", "StopSignal": "SIGTERM"},
                  "rootfs": {"type": "layers", "diff_ids": []}}).encode()
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                             "digest": sha(cfg), "size": len(cfg)}, "layers": []}).encode()
idx = json.dumps({"schemaVersion": 2, "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(man),
     "size": len(man), "annotations": {"org.opencontainers.image.ref.name": "a/b:1",
                                       "io.containerd.image.name": "docker.io/a/b:1"}}]}).encode()
lst = json.dumps({"schemaVersion": 2,
                  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
                  "manifests": [{"digest": sha(man), "size": len(man),
                                 "platform": {"os": "linux", "architecture": "amd64"}}]}).encode()
docker = json.dumps([{"Config": "c.json", "RepoTags": ["busybox:latest"],
                      "Layers": ["l.tar"]}]).encode()
docker_esc = json.dumps([{"Config": "../../etc/passwd", "RepoTags": ["x:1"],
                          "Layers": ["/etc/shadow"]}]).encode()
record = json.dumps({"ref": "docker.io/library/busybox:latest", "manifestDigest": sha(man),
                     "configDigest": sha(cfg), "entrypoint": ["/bin/sh"], "cmd": None,
                     "env": ["PATH=/bin"], "workingDir": "", "user": "0", "layers": ["/x"],
                     "size": 1, "created": 0}).encode()
put("image_json", "index.json", b"\0" + idx)
put("image_json", "manifest.json", b"\1" + man)
put("image_json", "list.json", b"\1" + lst)
put("image_json", "config.json", b"\2" + cfg)
put("image_json", "docker-manifest.json", b"\3" + docker)
put("image_json", "docker-escape.json", b"\3" + docker_esc)
put("image_json", "record.json", b"\4" + record)
