/* Layer extraction with libarchive.
 *
 * A layer blob is read through two libarchive readers: a "raw" reader that
 * undoes the compression (gzip, zstd, ...), whose output is hashed to check
 * the layer's diff_id, and a tar reader fed from it. Entries are written
 * below the layer's rootfs with the ARCHIVE_EXTRACT_SECURE_* checks, after
 * our own path clean-up (absolute paths are made relative, ".." refused).
 * OCI whiteouts become overlayfs whiteouts: ".wh.NAME" -> a 0:0 character
 * device NAME, ".wh..wh..opq" -> xattr trusted.overlay.opaque=y on the dir.
 * Each layer is unpacked into a temporary directory renamed into place, so a
 * concurrent or interrupted unpack never leaves a half layer behind.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/image_int.h"
#include "util/util.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

char *pc_layer_dir(pc_image_store *s, const char *digest)
{
        return pc_xasprintf("%s/%s", s->layers, digest + 7);
}

char *pc_layer_rootfs(pc_image_store *s, const char *digest)
{
        return pc_xasprintf("%s/%s/rootfs", s->layers, digest + 7);
}

bool pc_layer_unpacked(pc_image_store *s, const char *digest)
{
        if (!pc_digest_valid(digest))
                return false;
        _cleanup_free_ char *p = pc_xasprintf("%s/%s/.done", s->layers, digest + 7);
        return access(p, F_OK) == 0;
}

/* "a/./b//c/" -> "a/b/c"; leading "/" dropped; NULL when a ".." appears. */
static char *clean_path(const char *p)
{
        char *out = pc_xcalloc(1, strlen(p) + 1);
        size_t n = 0;
        while (*p) {
                while (*p == '/')
                        p++;
                const char *e = strchrnul(p, '/');
                size_t len = (size_t)(e - p);
                if (len == 2 && p[0] == '.' && p[1] == '.') {
                        free(out);
                        return NULL;
                }
                if (len > 0 && !(len == 1 && p[0] == '.')) {
                        if (n)
                                out[n++] = '/';
                        memcpy(out + n, p, len);
                        n += len;
                }
                p = e;
        }
        out[n] = '\0';
        return out;
}

/* Components of a cleaned path. Each costs a lookup in every check of every
 * entry, so a layer of deep paths (which compress to nothing) is bounded. */
static size_t path_depth(const char *rel)
{
        size_t n = *rel ? 1 : 0;
        for (; *rel; rel++)
                n += *rel == '/';
        return n;
}

/* Open directory `rel` below rootfd without following symlinks, creating
 * missing components (0755) when mkdirs. */
static int open_beneath(int rootfd, const char *rel, bool mkdirs, pc_error *err)
{
        int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return pc_fail(err, errno, "dup");
        _cleanup_free_ char *copy = pc_xstrdup(rel);
        char *save = NULL;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                int nfd = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (nfd < 0 && errno == ENOENT && mkdirs) {
                        if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST) {
                                int e = errno;
                                close(fd);
                                return pc_fail(err, e, "mkdir %s", rel);
                        }
                        nfd = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
                if (nfd < 0) {
                        int e = errno;
                        close(fd);
                        if (e == ELOOP || e == ENOTDIR)
                                return pc_fail(err, 0, "%s: path goes through a symlink or file",
                                               rel);
                        return pc_fail(err, e, "open %s", rel);
                }
                close(fd);
                fd = nfd;
        }
        return fd;
}

/* The decompressed stream, hashed and counted as the tar reader consumes it. */
struct feed {
        struct archive *raw;
        struct pc_sha256 *h;
        char *buf;
        size_t bufsz;
        int64_t total;
        int64_t max;
        bool failed;
        bool too_big;
};

static la_ssize_t feed_read(struct archive *a, void *client, const void **buf)
{
        struct feed *f = client;
        la_ssize_t n = archive_read_data(f->raw, f->buf, f->bufsz);
        if (n < 0) {
                f->failed = true;
                archive_set_error(a, EIO, "decompress: %s", archive_error_string(f->raw));
                return -1;
        }
        if (n > f->max - f->total) {
                f->failed = f->too_big = true;
                archive_set_error(a, EFBIG, "too large");
                return -1;
        }
        pc_sha256_update(f->h, f->buf, (size_t)n);
        f->total += n;
        *buf = f->buf;
        return n;
}

int pc_layer_too_big(pc_image_store *s, const char *what, pc_error *err)
{
        pc_fail(err, 0,
                "%s expands beyond the %" PRId64 "-byte limit for a layer or image archive "
                "(images.maxLayerBytes in config.json)",
                what, s->max_layer_bytes);
        err->code = EFBIG; /* no strerror suffix */
        return -1;
}

int pc_archive_support_filters(struct archive *a, bool archive, pc_error *err)
{
        /* Only what libarchive decodes itself: "all" would also run external
         * programs (lrzip, lzop, grzip...) on hostile input. An OCI layer is
         * plain, gzip or zstd; an archive (docker save, import) may also be xz
         * or bzip2, as docker import accepts. */
        int r = archive_read_support_filter_gzip(a);
        if (r == ARCHIVE_OK)
                r = archive_read_support_filter_zstd(a);
        if (r == ARCHIVE_OK && archive)
                r = archive_read_support_filter_xz(a);
        if (r == ARCHIVE_OK && archive)
                r = archive_read_support_filter_bzip2(a);
        if (r != ARCHIVE_OK)
                return pc_fail(err, 0, "libarchive cannot decompress in-process: %s",
                               archive_error_string(a));
        return 0;
}

static void drop_overlay_xattrs(struct archive_entry *ae)
{
        struct xattr {
                char *name;
                void *val;
                size_t size;
        } *keep = NULL;
        size_t n = 0;
        bool dropped = false;
        const char *name;
        const void *val;
        size_t size;
        if (archive_entry_xattr_reset(ae) == 0)
                return;
        while (archive_entry_xattr_next(ae, &name, &val, &size) == ARCHIVE_OK) {
                if (pc_str_has_prefix(name, "trusted.overlay.") ||
                    pc_str_has_prefix(name, "user.overlay.")) {
                        dropped = true;
                        continue;
                }
                keep = pc_xrealloc(keep, (n + 1) * sizeof(*keep));
                keep[n].name = pc_xstrdup(name);
                keep[n].val = pc_xmalloc(size);
                memcpy(keep[n].val, val, size);
                keep[n].size = size;
                n++;
        }
        if (dropped) {
                archive_entry_xattr_clear(ae);
                for (size_t i = 0; i < n; i++)
                        archive_entry_xattr_add_entry(ae, keep[i].name, keep[i].val, keep[i].size);
        }
        for (size_t i = 0; i < n; i++) {
                free(keep[i].name);
                free(keep[i].val);
        }
        free(keep);
}

static int make_whiteout(int rootfd, const char *rel_parent, const char *name, pc_error *err)
{
        int pfd = open_beneath(rootfd, rel_parent, true, err);
        if (pfd < 0)
                return -1;
        struct stat st;
        if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (unlinkat(pfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0) {
                        int e = errno;
                        close(pfd);
                        return pc_fail(err, e, "whiteout %s/%s", rel_parent, name);
                }
        }
        if (mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0)) < 0 ||
            fchownat(pfd, name, 0, 0, AT_SYMLINK_NOFOLLOW) < 0) {
                int e = errno;
                close(pfd);
                return pc_fail(err, e, "whiteout %s/%s", rel_parent, name);
        }
        close(pfd);
        return 0;
}

static int set_opaque(int rootfd, const char *rel, pc_error *err)
{
        int fd = open_beneath(rootfd, rel, true, err);
        if (fd < 0)
                return -1;
        if (fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0) {
                int e = errno;
                close(fd);
                return pc_fail(err, e, "set opaque on %s", *rel ? rel : "/");
        }
        close(fd);
        return 0;
}

static int copy_data(struct archive *in, struct archive *out, pc_error *err)
{
        for (;;) {
                const void *buf;
                size_t size;
                la_int64_t off;
                int r = archive_read_data_block(in, &buf, &size, &off);
                if (r == ARCHIVE_EOF)
                        return 0;
                if (r < ARCHIVE_WARN)
                        return pc_fail(err, 0, "read: %s", archive_error_string(in));
                if (archive_write_data_block(out, buf, size, off) < ARCHIVE_WARN)
                        return pc_fail(err, 0, "write: %s", archive_error_string(out));
        }
}

/* Check that the parent directory of an entry resolves below rootfd
 * without a symlink (creating missing directories), as openat2's
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS would: libarchive's own
 * SECURE_SYMLINKS check is a second line. */
static int check_parent(int rootfd, const char *src, const char *orig, const char *parent,
                        pc_error *err)
{
        if (!*parent)
                return 0;
        int fd = open_beneath(rootfd, parent, true, err);
        if (fd < 0)
                return pc_error_prefix(err, "%s: refusing entry \"%s\"", src, orig);
        close(fd);
        return 0;
}

/* A hard link's target: inside the layer, reached without a symlink, an
 * existing non-directory. */
static int check_link_target(int rootfd, const char *src, const char *orig, const char *lrel,
                             pc_error *err)
{
        const char *slash = strrchr(lrel, '/');
        _cleanup_free_ char *parent =
            slash ? pc_xasprintf("%.*s", (int)(slash - lrel), lrel) : pc_xstrdup("");
        const char *base = slash ? slash + 1 : lrel;
        int fd = open_beneath(rootfd, parent, false, err);
        if (fd < 0)
                return pc_error_prefix(err, "%s: refusing hard link \"%s\" -> \"%s\"", src, orig,
                                       lrel);
        struct stat st;
        int r = fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW);
        int e = errno;
        close(fd);
        if (r < 0)
                return pc_fail(err, e, "%s: hard link \"%s\" -> \"%s\"", src, orig, lrel);
        if (S_ISDIR(st.st_mode))
                return pc_fail(err, 0, "%s: refusing hard link \"%s\" to directory \"%s\"", src,
                               orig, lrel);
        return 0;
}

/* Extract src into the existing directory dest. layer: an OCI layer (plain,
 * gzip or zstd; owners, modes with setuid bits, xattrs, whiteouts), else an
 * image archive or a root filesystem tarball (regular files, directories
 * and symlinks only, no owners or setuid bits). digest_out receives the
 * sha256 of the uncompressed tar. Both the uncompressed stream and the
 * apparent size of the entries (sparse files at their full size, every
 * entry at least one 4 KiB block) are bounded by s->max_layer_bytes. Device nodes in a layer are
 * skipped, as containerd does in a user namespace, except a 0:0 character device, which is an
 * overlay whiteout and is kept as one. */
static int extract(pc_image_store *s, const char *src, const char *dest, bool layer,
                   char digest_out[72], pc_error *err)
{
        enum { BUFSZ = 1 << 16 };
        char real[PATH_MAX];
        if (!realpath(dest, real))
                return pc_fail(err, errno, "resolve %s", dest);
        _cleanup_close_ int rootfd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return pc_fail(err, errno, "open %s", real);

        struct feed f = {.bufsz = BUFSZ, .max = s->max_layer_bytes};
        struct archive *tar = NULL, *w = NULL;
        struct archive_entry *ae;
        char **opaque = NULL;
        int64_t apparent = 0;
        int r = -1;

        f.raw = archive_read_new();
        if (pc_archive_support_filters(f.raw, !layer, err) < 0)
                goto out;
        archive_read_support_format_raw(f.raw);
        if (archive_read_open_filename(f.raw, src, BUFSZ) != ARCHIVE_OK) {
                pc_fail(err, archive_errno(f.raw) > 0 ? archive_errno(f.raw) : 0, "open %s: %s",
                        src, archive_error_string(f.raw));
                goto out;
        }
        int hr = archive_read_next_header(f.raw, &ae);
        f.h = pc_sha256_new();
        f.buf = pc_xmalloc(BUFSZ);
        tar = archive_read_new();
        archive_read_support_format_tar(tar);
        archive_read_support_format_empty(tar);
        if (hr == ARCHIVE_EOF) {
                /* empty input: an empty layer */
                archive_read_open_memory(tar, "", 0);
        } else if (hr != ARCHIVE_OK) {
                pc_fail(err, 0, "read %s: %s", src, archive_error_string(f.raw));
                goto out;
        } else if (archive_read_open(tar, &f, NULL, feed_read, NULL) != ARCHIVE_OK) {
                if (f.too_big)
                        pc_layer_too_big(s, src, err);
                else
                        pc_fail(err, 0, "read %s: %s", src, archive_error_string(tar));
                goto out;
        }

        w = archive_write_disk_new();
        int flags = ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT;
        if (layer)
                flags |= ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                         ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL;
        archive_write_disk_set_options(w, flags);

        for (;;) {
                int rr = archive_read_next_header(tar, &ae);
                if (rr == ARCHIVE_EOF)
                        break;
                if (rr < ARCHIVE_WARN) {
                        if (f.too_big)
                                pc_layer_too_big(s, src, err);
                        else
                                pc_fail(err, 0, "read %s: %s", src, archive_error_string(tar));
                        goto out;
                }
                /* a copy: the entry's own string changes below */
                _cleanup_free_ char *orig = pc_xstrdup(archive_entry_pathname(ae) ?: "");
                _cleanup_free_ char *rel = clean_path(orig);
                if (!rel) {
                        pc_fail(err, 0, "%s: refusing entry \"%s\": path contains \"..\"", src,
                                orig);
                        goto out;
                }
                if (path_depth(rel) > PC_IMAGE_MAX_PATH_DEPTH) {
                        pc_fail(err, 0,
                                "%s: refusing entry \"%.200s...\": path of more than %d components",
                                src, orig, PC_IMAGE_MAX_PATH_DEPTH);
                        goto out;
                }
                const char *slash = strrchr(rel, '/');
                const char *base = slash ? slash + 1 : rel;
                _cleanup_free_ char *parent =
                    slash ? pc_xasprintf("%.*s", (int)(slash - rel), rel) : pc_xstrdup("");
                mode_t type = archive_entry_filetype(ae);
                const char *link = archive_entry_hardlink(ae);
                /* what the entry takes on disk at least: its size in 4 KiB
                 * blocks, and one block for any entry (an inode, a
                 * directory entry), so millions of empty files count too */
                int64_t size = link ? 0 : archive_entry_size(ae);
                if (size < 0 || size > s->max_layer_bytes) {
                        pc_layer_too_big(s, src, err);
                        goto out;
                }
                apparent += size > 4096 ? (size + 4095) / 4096 * 4096 : 4096;
                if (apparent > s->max_layer_bytes) {
                        pc_layer_too_big(s, src, err);
                        goto out;
                }
                if (layer && pc_str_has_prefix(base, WH_PREFIX)) {
                        if (!strcmp(base, WH_OPAQUE)) {
                                pc_strv_push(&opaque, parent);
                        } else if (pc_str_has_prefix(base, WH_PREFIX WH_PREFIX)) {
                                /* other AUFS metadata (.wh..wh.plnk...): not content */
                        } else {
                                const char *name = base + strlen(WH_PREFIX);
                                if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) {
                                        pc_fail(err, 0, "%s: bad whiteout \"%s\"", src, orig);
                                        goto out;
                                }
                                if (make_whiteout(rootfd, parent, name, err) < 0)
                                        goto out;
                        }
                        continue;
                }
                if (!link && (type == AE_IFCHR || type == AE_IFBLK)) {
                        /* a 0:0 character device is an overlay whiteout:
                         * keep it (as one, owned by root); no other device */
                        if (layer && type == AE_IFCHR && archive_entry_rdev(ae) == 0 && *base &&
                            make_whiteout(rootfd, parent, base, err) < 0)
                                goto out;
                        continue;
                }
                if (!*rel && (link || type != AE_IFDIR))
                        continue; /* the root stays our directory (as containerd) */
                if (!layer && !link && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
                        continue; /* no fifos or sockets from an image archive */
                if (check_parent(rootfd, src, orig, parent, err) < 0)
                        goto out;
                if (link) {
                        _cleanup_free_ char *lrel = clean_path(link);
                        if (!lrel || !*lrel || path_depth(lrel) > PC_IMAGE_MAX_PATH_DEPTH) {
                                pc_fail(err, 0, "%s: refusing hard link \"%s\" -> \"%s\"", src,
                                        orig, link);
                                goto out;
                        }
                        if (check_link_target(rootfd, src, orig, lrel, err) < 0)
                                goto out;
                        _cleanup_free_ char *lpath = pc_xasprintf("%s/%s", real, lrel);
                        archive_entry_copy_hardlink(ae, lpath);
                }
                _cleanup_free_ char *path =
                    *rel ? pc_xasprintf("%s/%s", real, rel) : pc_xstrdup(real);
                archive_entry_copy_pathname(ae, path);
                if (layer)
                        drop_overlay_xattrs(ae);
                else
                        archive_entry_xattr_clear(ae);
                int wr = archive_write_header(w, ae);
                if (wr < ARCHIVE_WARN) {
                        pc_fail(err, archive_errno(w) > 0 ? archive_errno(w) : 0,
                                "%s: extract \"%s\": %s", src, orig, archive_error_string(w));
                        goto out;
                }
                if (archive_entry_size(ae) > 0 && copy_data(tar, w, err) < 0) {
                        if (f.too_big)
                                pc_layer_too_big(s, src, err);
                        else
                                pc_error_prefix(err, "%s: \"%s\"", src, orig);
                        goto out;
                }
                if (archive_write_finish_entry(w) < ARCHIVE_WARN) {
                        pc_fail(err, 0, "%s: extract \"%s\": %s", src, orig,
                                archive_error_string(w));
                        goto out;
                }
        }
        if (archive_write_close(w) < ARCHIVE_WARN) {
                pc_fail(err, 0, "%s: %s", src, archive_error_string(w));
                goto out;
        }
        for (size_t i = 0; opaque && opaque[i]; i++)
                if (set_opaque(rootfd, opaque[i], err) < 0)
                        goto out;
        /* the rest of the stream (tar padding) is part of the diff_id */
        if (hr == ARCHIVE_OK) {
                const void *dummy;
                while (!f.failed) {
                        la_ssize_t n = feed_read(tar, &f, &dummy);
                        if (n <= 0)
                                break;
                }
                if (f.too_big) {
                        pc_layer_too_big(s, src, err);
                        goto out;
                }
                if (f.failed) {
                        pc_fail(err, 0, "read %s: %s", src, archive_error_string(f.raw));
                        goto out;
                }
        }
        pc_sha256_final(f.h, digest_out);
        f.h = NULL;
        r = 0;
out:
        pc_strv_free(opaque);
        if (w)
                archive_write_free(w);
        if (tar)
                archive_read_free(tar);
        archive_read_free(f.raw);
        pc_sha256_free(f.h);
        free(f.buf);
        return r;
}

int pc_extract_archive(pc_image_store *s, const char *tarball, const char *dest, pc_error *err)
{
        char d[72];
        return extract(s, tarball, dest, false, d, err);
}

int pc_layer_unpack(pc_image_store *s, const char *digest, const char *diff_id, pc_error *err)
{
        if (!pc_digest_valid(digest))
                return pc_fail(err, 0, "unsupported layer digest \"%s\"", digest);
        if (!pc_digest_valid(diff_id))
                return pc_fail(err, 0, "unsupported diff_id \"%s\"", diff_id);
        if (pc_layer_unpacked(s, digest))
                return 0;
        _cleanup_free_ char *blob = pc_blob_path(s, digest);
        if (access(blob, F_OK) < 0)
                return pc_fail(err, errno, "layer blob %s", digest);
        _cleanup_free_ char *tmp = pc_xasprintf("%s/.tmp-%.12s-XXXXXX", s->layers, digest + 7);
        if (!mkdtemp(tmp))
                return pc_fail(err, errno, "create %s", tmp);
        _cleanup_free_ char *rootfs = pc_xasprintf("%s/rootfs", tmp);
        _cleanup_free_ char *done = pc_xasprintf("%s/.done", tmp);
        _cleanup_free_ char *final = pc_layer_dir(s, digest);
        char got[72];
        pc_error e2;
        if (chmod(tmp, 0700) < 0 || mkdir(rootfs, 0755) < 0) {
                pc_fail(err, errno, "create %s", rootfs);
                goto fail;
        }
        if (extract(s, blob, rootfs, true, got, err) < 0)
                goto fail;
        if (strcmp(got, diff_id) != 0) {
                pc_fail(err, 0, "diff_id mismatch: expected %s, got %s", diff_id, got);
                goto fail;
        }
        if (pc_write_file_atomic(done, diff_id, strlen(diff_id), 0600, err) < 0)
                goto fail;
        if (rename(tmp, final) < 0) {
                int e = errno;
                if ((e == EEXIST || e == ENOTEMPTY) && pc_layer_unpacked(s, digest)) {
                        pc_rm_rf(tmp, &e2); /* someone else finished first */
                        return 0;
                }
                pc_fail(err, e, "rename %s", final);
                goto fail;
        }
        return 0;
fail:
        pc_rm_rf(tmp, &e2);
        return -1;
}
