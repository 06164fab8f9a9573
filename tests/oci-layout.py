#!/usr/bin/env python3
"""Small edits of an OCI image layout, for the registry tests.

    oci-layout.py uncompressed LAYOUT SRC_TAG DST_TAG
        tag DST_TAG: the image SRC_TAG with every layer stored uncompressed
        (media type application/vnd.oci.image.layer.v1.tar), which neither
        skopeo nor umoci make.
    oci-layout.py push LAYOUT TAG https://HOST:PORT/REPO:TAG CAFILE
        push the image as it is (skopeo would compress the layers again) to
        a registry without authentication: each blob in one PUT of its
        upload, then the manifest.
"""
import gzip
import hashlib
import json
import os
import ssl
import sys
import urllib.request


def blob_path(layout, digest):
    return os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1])


def put_blob(layout, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(blob_path(layout, digest), "wb") as f:
        f.write(data)
    return digest


def uncompressed(layout, src, dst):
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    desc = next(m for m in index["manifests"]
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == src)
    with open(blob_path(layout, desc["digest"])) as f:
        manifest = json.load(f)
    for layer in manifest["layers"]:
        with open(blob_path(layout, layer["digest"]), "rb") as f:
            data = f.read()
        if layer["mediaType"].endswith("+gzip"):
            data = gzip.decompress(data)
        layer["mediaType"] = "application/vnd.oci.image.layer.v1.tar"
        layer["digest"] = put_blob(layout, data)
        layer["size"] = len(data)
    raw = json.dumps(manifest).encode()
    new = {"mediaType": desc["mediaType"], "digest": put_blob(layout, raw), "size": len(raw),
           "annotations": {"org.opencontainers.image.ref.name": dst}}
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != dst]
    index["manifests"].append(new)
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f)


def push(layout, tag, dest, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    base, ref = dest.rsplit(":", 1)
    host, repo = base.split("://", 1)[1].split("/", 1)
    url = "https://%s/v2/%s" % (host, repo)
    with open(os.path.join(layout, "index.json")) as f:
        index = json.load(f)
    desc = next(m for m in index["manifests"]
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)
    with open(blob_path(layout, desc["digest"]), "rb") as f:
        raw = f.read()
    manifest = json.loads(raw)
    for d in [manifest["config"]] + manifest["layers"]:
        with open(blob_path(layout, d["digest"]), "rb") as f:
            data = f.read()
        resp = urllib.request.urlopen(urllib.request.Request(
            "%s/blobs/uploads/" % url, data=b"", method="POST"), context=ctx)
        loc = resp.headers["Location"]
        if loc.startswith("/"):
            loc = "https://%s%s" % (host, loc)
        req = urllib.request.Request("%s%sdigest=%s" % (loc, "&" if "?" in loc else "?",
                                                        d["digest"]),
                                     data=data, method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
        urllib.request.urlopen(req, context=ctx).read()
    req = urllib.request.Request("%s/manifests/%s" % (url, ref), data=raw, method="PUT",
                                 headers={"Content-Type": desc["mediaType"]})
    urllib.request.urlopen(req, context=ctx).read()


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "uncompressed":
        uncompressed(*sys.argv[2:])
    elif len(sys.argv) == 6 and sys.argv[1] == "push":
        push(*sys.argv[2:])
    else:
        sys.exit(__doc__)
