#!/usr/bin/env bats
# Issue 9 §3: hostile images through the CLI. Layer escapes, archive paths
# that leave the archive, a gzip bomb, a huge config and a root-replacing
# layer are refused or contained (the exact error, nothing outside the store,
# nothing left in it), and a setuid file stays out of reach of other users.
# The unit test tests/unit/test_image_breakout.c has the full shape table.

bats_require_minimum_version 1.5.0

load helpers

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }

teardown() {
        if [ -n "${SUID_TOP:-}" ]; then rm -rf "$SUID_TOP"; fi
}

setup() {
        OUT=$BATS_TEST_TMPDIR/outside
        mkdir -p "$OUT"
        echo victim >"$OUT/victim"
}

# A root of this test's own (its config.json may set limits).
fresh_root() {
        export PODCTL_ROOT=$BATS_TEST_TMPDIR/root PODCTL_LOG_DIR=$BATS_TEST_TMPDIR/root/logs
        mkdir -p "$PODCTL_ROOT"
        chmod 0700 "$PODCTL_ROOT"
}

# mktar FILE ENTRY...: a tar of entries "f:PATH:DATA", "l:PATH:TARGET",
# "h:PATH:TARGET", "s:PATH:DATA" (a setuid 04755 file), in that order.
mktar() {
        python3 - "$@" <<'EOF'
import io, sys, tarfile
out, entries = sys.argv[1], sys.argv[2:]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    for e in entries:
        kind, path, data = e.split(":", 2)
        i = tarfile.TarInfo(path)
        if kind in "fs":
            b = data.encode()
            i.size, i.mode = len(b), 0o4755 if kind == "s" else 0o644
            t.addfile(i, io.BytesIO(b))
        else:
            i.type = tarfile.SYMTYPE if kind == "l" else tarfile.LNKTYPE
            i.linkname = data
            t.addfile(i)
EOF
}

outside_untouched() {
        [ "$(ls -A "$OUT")" = victim ]
        [ "$(cat "$OUT/victim")" = victim ]
        [ "$(stat -c %h "$OUT/victim")" = 1 ]
}

store_empty() {
        [ -z "$(ls -A "$PODCTL_ROOT/images/layers/sha256")" ]
        [ -z "$(ls -A "$PODCTL_ROOT/images/tmp")" ]
}

@test "import: a symlink then a file through it is refused; nothing outside, nothing stored" {
        fresh_root
        mktar "$BATS_TEST_TMPDIR/l.tar" "f:ok:1" "l:link:$OUT" "f:link/pwned:x"
        run podctl image import "$BATS_TEST_TMPDIR/l.tar" localhost/evil:1
        [ "$status" -eq 1 ]
        [[ "$output" == *'refusing entry "link/pwned"'*'path goes through a symlink or file'* ]]
        outside_untouched
        store_empty
}

@test "import: hard links to host files and .. are refused" {
        fresh_root
        mktar "$BATS_TEST_TMPDIR/h.tar" "h:h:../../../../../../..$OUT/victim"
        run podctl image import "$BATS_TEST_TMPDIR/h.tar" localhost/evil:1
        [ "$status" -eq 1 ]
        [[ "$output" == *'refusing hard link "h"'* ]]
        mktar "$BATS_TEST_TMPDIR/h2.tar" "l:link:$OUT" "h:h:link/victim"
        run podctl image import "$BATS_TEST_TMPDIR/h2.tar" localhost/evil:1
        [ "$status" -eq 1 ]
        [[ "$output" == *'path goes through a symlink'* ]]
        mktar "$BATS_TEST_TMPDIR/d.tar" "f:../../evil:x"
        run podctl image import "$BATS_TEST_TMPDIR/d.tar" localhost/evil:1
        [ "$status" -eq 1 ]
        [[ "$output" == *'refusing entry "../../evil": path contains ".."'* ]]
        outside_untouched
        store_empty
}

@test "import: a layer whose root entry is a symlink to / keeps its root a directory" {
        fresh_root
        mktar "$BATS_TEST_TMPDIR/r.tar" "l:./:/"
        run podctl image import "$BATS_TEST_TMPDIR/r.tar" localhost/root:1
        [ "$status" -eq 0 ]
        local rootfs
        rootfs=$(echo "$PODCTL_ROOT"/images/layers/sha256/*/rootfs)
        [ -d "$rootfs" ]
        run ! test -L "$rootfs"
        run ! test -e "$rootfs/etc/passwd"
}

@test "load: docker-save Layers and Config paths that leave the archive are refused" {
        fresh_root
        local d=$BATS_TEST_TMPDIR/docker
        mkdir -p "$d"
        mktar "$d/l.tar" "f:hello:world"
        local diff
        diff=$(sha256sum "$d/l.tar" | cut -d' ' -f1)
        echo "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diff\"]}}" >"$d/c.json"
        ln -s /etc/passwd "$d/host.tar"
        echo '[{"Config":"c.json","RepoTags":["x:1"],"Layers":["../../../etc/passwd"]}]' >"$d/manifest.json"
        run podctl image load -i "$d"
        [ "$status" -eq 1 ]
        [[ "$output" == *'bad path "../../../etc/passwd" in image archive'* ]]
        echo '[{"Config":"c.json","RepoTags":["x:1"],"Layers":["host.tar"]}]' >"$d/manifest.json"
        run podctl image load -i "$d"
        [ "$status" -eq 1 ]
        [[ "$output" == *'host.tar points outside the image archive'* ]]
        echo '[{"Config":"/etc/passwd","RepoTags":["x:1"],"Layers":["l.tar"]}]' >"$d/manifest.json"
        run podctl image load -i "$d"
        [ "$status" -eq 1 ]
        [[ "$output" == *'bad path "/etc/passwd" in image archive'* ]]
        store_empty
        [ -z "$(ls -A "$PODCTL_ROOT/images/blobs/sha256")" ]
}

@test "load: a gzip bomb stops at images.maxLayerBytes, a 1 GiB config at images.maxJSONBytes" {
        fresh_root
        echo '{"images": {"maxLayerBytes": 1048576, "maxJSONBytes": 65536}}' >"$PODCTL_ROOT/config.json"
        local d=$BATS_TEST_TMPDIR/bomb
        mkdir -p "$d"
        head -c 64M /dev/zero >"$d/zero"
        (cd "$d" && tar cf l.tar zero && rm zero)
        local diff
        diff=$(sha256sum "$d/l.tar" | cut -d' ' -f1)
        gzip -9 "$d/l.tar"
        [ "$(stat -c %s "$d/l.tar.gz")" -lt 200000 ]
        echo "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diff\"]}}" >"$d/c.json"
        echo '[{"Config":"c.json","RepoTags":["bomb:1"],"Layers":["l.tar.gz"]}]' >"$d/manifest.json"
        run podctl image load -i "$d"
        [ "$status" -eq 1 ]
        [[ "$output" == *'expands beyond the 1048576-byte limit for a layer or image archive (images.maxLayerBytes in config.json)'* ]]
        store_empty
        run podctl image import "$d/l.tar.gz" localhost/bomb:1
        [ "$status" -eq 1 ]
        [[ "$output" == *'expands beyond the 1048576-byte limit'* ]]
        truncate -s 1G "$d/c.json"
        run podctl image load -i "$d"
        [ "$status" -eq 1 ]
        [[ "$output" == *'the image config is larger than the 65536-byte limit for image JSON (images.maxJSONBytes in config.json)'* ]]
        store_empty
        [ -z "$(ls -A "$PODCTL_ROOT/images/blobs/sha256")" ]
}

@test "a setuid file of an image is kept in the store but no other user can reach it" {
        # the root's parent is open to all: only podctl's own modes stop them
        local top
        top=$(mktemp -d /tmp/podctl-it-suid.XXXXXX)
        chmod 0755 "$top"
        export PODCTL_ROOT=$top/root PODCTL_LOG_DIR=$top/root/logs
        SUID_TOP=$top
        mktar "$BATS_TEST_TMPDIR/s.tar" "s:bin/su:#!/bin/sh"
        run podctl image import "$BATS_TEST_TMPDIR/s.tar" localhost/suid:1
        [ "$status" -eq 0 ]
        local su
        su=$(echo "$PODCTL_ROOT"/images/layers/sha256/*/rootfs/bin/su)
        [ "$(stat -c %a "$su")" = 4755 ]
        [ "$(stat -c %a "$PODCTL_ROOT/images")" = 700 ]
        [ "$(stat -c %a "$(dirname "$(dirname "$(dirname "$su")")")")" = 700 ]
        run setpriv --reuid=65534 --regid=65534 --clear-groups stat "$top"
        [ "$status" -eq 0 ]
        run setpriv --reuid=65534 --regid=65534 --clear-groups stat "$su"
        [ "$status" -ne 0 ]
        [[ "$output" == *'Permission denied'* ]]
        run setpriv --reuid=65534 --regid=65534 --clear-groups "$su"
        [ "$status" -ne 0 ]
        [[ "$output" == *'Permission denied'* ]]
}
