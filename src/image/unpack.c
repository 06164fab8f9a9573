/* Layer extraction.
 *
 * A layer blob is read through two libarchive readers: a "raw" reader that
 * undoes the compression (gzip, zstd, ...), whose output is hashed to check
 * the layer's diff_id, and a tar reader fed from it. podctl writes the
 * entries itself, after its own path clean-up (absolute paths are made
 * relative, ".." refused): every entry is made with *at() calls on the fd
 * of its parent directory, which is resolved below the layer root one
 * component at a time with O_NOFOLLOW, and kept open for the next entries
 * (struct dircache). Owners, modes (setuid bits included), times and xattrs
 * are a layer's (as containerd, ACLs arrive as system.posix_acl_* xattrs;
 * libarchive's own SCHILY.acl records are not applied).
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
#include <stdint.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* The directory cache: the chain of directories from the layer root to the
 * parent of the last entry, each an fd opened with O_NOFOLLOW | O_DIRECTORY
 * from the one before (so every one of them is a real directory below the
 * root, reached without a symlink, as openat2's RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS would). A tar lists a directory's entries together,
 * so the next entry's parent shares most of the chain and costs no lookup
 * at all; only the components that differ are opened. An entry that
 * replaces or removes a name drops that name and everything below it from
 * the chain first (dc_forget), so a directory replaced by a symlink later in
 * the same layer is never reached through its old fd. fds[0] is the root. */
struct dircache {
        int fds[PC_IMAGE_MAX_PATH_DEPTH + 1];
        size_t ends[PC_IMAGE_MAX_PATH_DEPTH + 1]; /* path length at each depth */
        size_t depth;
        char *path; /* the chain's path, "a/b/c" ("" for the root) */
        size_t cap;
        uint64_t lookups; /* directories opened so far (the work budget) */
};

static void dc_init(struct dircache *dc, int rootfd)
{
        memset(dc, 0, sizeof(*dc));
        dc->fds[0] = rootfd;
        dc->path = pc_xstrdup("");
        dc->cap = 1;
}

static void dc_truncate(struct dircache *dc, size_t depth)
{
        while (dc->depth > depth) {
                close(dc->fds[dc->depth]);
                dc->depth--;
        }
        dc->path[dc->ends[dc->depth]] = '\0';
}

static void dc_free(struct dircache *dc)
{
        dc_truncate(dc, 0);
        free(dc->path);
}

/* rel (a cleaned path, not "") is about to be replaced or removed: drop it
 * and what lies below it from the chain. (A second guard: every change of a
 * name first opens its parent with dc_open, which already cuts the chain
 * there.) */
static void dc_forget(struct dircache *dc, const char *rel)
{
        size_t n = strlen(rel);
        for (size_t d = 1; d <= dc->depth; d++) {
                if (dc->ends[d] == n && !memcmp(dc->path, rel, n)) {
                        dc_truncate(dc, d - 1);
                        return;
                }
        }
}

/* Open the directory rel (cleaned) below the root through the cache,
 * creating missing components (0755) when mkdirs. Returns a borrowed fd,
 * valid until the next dc_* call. */
static int dc_open(struct dircache *dc, const char *rel, bool mkdirs, pc_error *err)
{
        /* keep the longest cached prefix that ends at a component of rel */
        size_t keep = 0;
        for (size_t d = dc->depth; d > 0; d--) {
                size_t e = dc->ends[d];
                if (!strncmp(dc->path, rel, e) && (rel[e] == '/' || rel[e] == '\0')) {
                        keep = d;
                        break;
                }
        }
        dc_truncate(dc, keep);
        size_t len = strlen(rel);
        if (len + 1 > dc->cap) {
                dc->cap = len + 1;
                dc->path = pc_xrealloc(dc->path, dc->cap);
        }
        size_t pos = dc->ends[keep];
        while (rel[pos]) {
                if (rel[pos] == '/')
                        pos++;
                const char *c = rel + pos;
                size_t clen = strchrnul(c, '/') - c;
                if (dc->depth >= PC_IMAGE_MAX_PATH_DEPTH)
                        return pc_fail(err, 0, "%s: path too deep", rel);
                char name[NAME_MAX + 1];
                if (clen > NAME_MAX)
                        return pc_fail(err, ENAMETOOLONG, "open %s", rel);
                memcpy(name, c, clen);
                name[clen] = '\0';
                int pfd = dc->fds[dc->depth];
                dc->lookups++;
                int nfd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (nfd < 0 && errno == ENOENT && mkdirs) {
                        if (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST)
                                return pc_fail(err, errno, "mkdir %s", rel);
                        nfd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
                if (nfd < 0) {
                        if (errno == ELOOP || errno == ENOTDIR)
                                return pc_fail(err, 0, "%s: path goes through a symlink or file",
                                               rel);
                        return pc_fail(err, errno, "open %s", rel);
                }
                if (dc->depth)
                        dc->path[dc->ends[dc->depth]] = '/';
                size_t at = dc->depth ? dc->ends[dc->depth] + 1 : 0;
                memcpy(dc->path + at, name, clen);
                dc->depth++;
                dc->fds[dc->depth] = nfd;
                dc->ends[dc->depth] = at + clen;
                dc->path[at + clen] = '\0';
                pos += clen;
        }
        return dc->fds[dc->depth];
}

/* Split a cleaned path into its parent and base name. */
static char *parent_of(const char *rel, const char **base)
{
        const char *slash = strrchr(rel, '/');
        *base = slash ? slash + 1 : rel;
        return slash ? pc_xasprintf("%.*s", (int)(slash - rel), rel) : pc_xstrdup("");
}

/* Remove whatever is at pfd/base (rel: its cleaned path), an empty
 * directory included. ENOENT is success. */
static int remove_at(struct dircache *dc, int pfd, const char *base, const char *rel, pc_error *err)
{
        struct stat st;
        if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : pc_fail(err, errno, "stat %s", rel);
        dc_forget(dc, rel);
        if (unlinkat(pfd, base, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0 && errno != ENOENT)
                return pc_fail(err, errno, "remove existing %s", rel);
        return 0;
}

/* The decompressed stream, hashed and counted as the tar reader consumes it.
 * The blocks come from the raw reader's own buffer (no copy) and are hashed
 * by a second thread while the tar reader writes them out: a block stays
 * valid until the next read, and each read first waits for the hash of the
 * block before, so the hash costs no time of its own on a machine with a
 * second core. Without the thread, blocks are hashed inline. */
struct feed {
        struct archive *raw;
        struct pc_sha256 *h;
        int64_t total;
        int64_t max;
        bool failed;
        bool too_big;
        /* the hashing thread */
        bool started;
        bool threaded;
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        const void *block;
        size_t len;
        bool busy; /* block posted, not hashed yet */
        bool stop;
};

static void *feed_hasher(void *arg)
{
        struct feed *f = arg;
        pthread_mutex_lock(&f->lock);
        for (;;) {
                while (!f->busy && !f->stop)
                        pthread_cond_wait(&f->cond, &f->lock);
                if (!f->busy)
                        break;
                pthread_mutex_unlock(&f->lock);
                pc_sha256_update(f->h, f->block, f->len);
                pthread_mutex_lock(&f->lock);
                f->busy = false;
                pthread_cond_broadcast(&f->cond);
        }
        pthread_mutex_unlock(&f->lock);
        return NULL;
}

static void feed_start(struct feed *f)
{
        pthread_mutex_init(&f->lock, NULL);
        pthread_cond_init(&f->cond, NULL);
        f->started = true;
        f->threaded = pthread_create(&f->thread, NULL, feed_hasher, f) == 0;
}

/* Wait until the last block is hashed. */
static void feed_drain(struct feed *f)
{
        if (!f->threaded)
                return;
        pthread_mutex_lock(&f->lock);
        while (f->busy)
                pthread_cond_wait(&f->cond, &f->lock);
        pthread_mutex_unlock(&f->lock);
}

static void feed_stop(struct feed *f)
{
        if (!f->started)
                return;
        f->started = false;
        if (f->threaded) {
                pthread_mutex_lock(&f->lock);
                f->stop = true;
                pthread_cond_broadcast(&f->cond);
                pthread_mutex_unlock(&f->lock);
                pthread_join(f->thread, NULL);
                f->threaded = false;
        }
        pthread_cond_destroy(&f->cond);
        pthread_mutex_destroy(&f->lock);
}

static la_ssize_t feed_read(struct archive *a, void *client, const void **buf)
{
        struct feed *f = client;
        const void *block;
        size_t n;
        la_int64_t off;
        feed_drain(f); /* the block before is hashed: the raw reader may reuse it */
        int r = archive_read_data_block(f->raw, &block, &n, &off);
        if (r == ARCHIVE_EOF)
                return 0;
        if (r < ARCHIVE_WARN) {
                f->failed = true;
                archive_set_error(a, EIO, "decompress: %s", archive_error_string(f->raw));
                return -1;
        }
        if ((int64_t)n > f->max - f->total) {
                f->failed = f->too_big = true;
                archive_set_error(a, EFBIG, "too large");
                return -1;
        }
        f->total += (int64_t)n;
        if (!f->h) {
                /* the digest is known: nothing to hash */
        } else if (f->threaded) {
                pthread_mutex_lock(&f->lock);
                f->block = block;
                f->len = n;
                f->busy = true;
                pthread_cond_broadcast(&f->cond);
                pthread_mutex_unlock(&f->lock);
        } else {
                pc_sha256_update(f->h, block, n);
        }
        *buf = block;
        return (la_ssize_t)n;
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

/* The writer: entries are created with *at() calls relative to the cached
 * directory fds, never by path. Directories get their mode and times at the
 * end (deepest first), as tar and libarchive do, since their entries change
 * their mtime and a read-only mode would keep a non-root writer out. */
struct dir_fixup {
        char *rel;
        mode_t mode;
        bool times;
        struct timespec ts[2];
        size_t seq;
};

struct writer {
        struct dircache dc;
        int rootfd;
        bool layer; /* owners, setuid bits, times, xattrs; else only rwx under umask */
        mode_t umask;
        struct dir_fixup *fix;
        size_t nfix, capfix;
};

static void entry_times(struct archive_entry *ae, struct timespec ts[2])
{
        ts[1].tv_sec = archive_entry_mtime(ae);
        ts[1].tv_nsec = archive_entry_mtime_nsec(ae);
        if (archive_entry_atime_is_set(ae)) {
                ts[0].tv_sec = archive_entry_atime(ae);
                ts[0].tv_nsec = archive_entry_atime_nsec(ae);
        } else {
                ts[0] = ts[1];
        }
}

static mode_t entry_mode(struct writer *w, struct archive_entry *ae)
{
        mode_t m = archive_entry_perm(ae);
        return w->layer ? (m & 07777) : (m & 0777 & ~w->umask);
}

/* A layer entry's extended attributes, but overlayfs' own (which would turn
 * the layer's files into whiteouts or redirects). Like libarchive's writer,
 * an attribute the filesystem refuses is skipped. fd is an open fd of the
 * object, or -1 with pfd/base for a symlink. */
static void set_xattrs(int fd, int pfd, const char *base, struct archive_entry *ae)
{
        const char *name;
        const void *val;
        size_t size;
        if (archive_entry_xattr_reset(ae) == 0)
                return;
        while (archive_entry_xattr_next(ae, &name, &val, &size) == ARCHIVE_OK) {
                if (pc_str_has_prefix(name, "trusted.overlay.") ||
                    pc_str_has_prefix(name, "user.overlay."))
                        continue;
                if (fd >= 0) {
                        (void)!fsetxattr(fd, name, val, size, 0);
                } else {
                        char p[PATH_MAX];
                        if (snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", pfd, base) <
                            (int)sizeof(p))
                                (void)!lsetxattr(p, name, val, size, 0);
                }
        }
}

static int make_whiteout(struct writer *w, const char *rel_parent, const char *name, pc_error *err)
{
        int pfd = dc_open(&w->dc, rel_parent, true, err);
        if (pfd < 0)
                return -1;
        _cleanup_free_ char *rel =
            *rel_parent ? pc_xasprintf("%s/%s", rel_parent, name) : pc_xstrdup(name);
        if (remove_at(&w->dc, pfd, name, rel, err) < 0)
                return pc_error_prefix(err, "whiteout %s", rel);
        if (mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0)) < 0 ||
            fchownat(pfd, name, 0, 0, AT_SYMLINK_NOFOLLOW) < 0)
                return pc_fail(err, errno, "whiteout %s", rel);
        return 0;
}

static int set_opaque(struct writer *w, const char *rel, pc_error *err)
{
        int fd = dc_open(&w->dc, rel, true, err);
        if (fd < 0)
                return -1;
        if (fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
                return pc_fail(err, errno, "set opaque on %s", *rel ? rel : "/");
        return 0;
}

/* A directory entry: created (or kept, when one is there), owned now; mode
 * and times deferred. */
static int write_dir(struct writer *w, const char *rel, struct archive_entry *ae, pc_error *err)
{
        int fd = w->rootfd;
        if (*rel) {
                const char *base;
                _cleanup_free_ char *parent = parent_of(rel, &base);
                int pfd = dc_open(&w->dc, parent, true, err);
                if (pfd < 0)
                        return -1;
                if (mkdirat(pfd, base, 0700) < 0) {
                        struct stat st;
                        if (errno != EEXIST)
                                return pc_fail(err, errno, "mkdir %s", rel);
                        if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                return pc_fail(err, errno, "stat %s", rel);
                        if (!S_ISDIR(st.st_mode)) {
                                if (remove_at(&w->dc, pfd, base, rel, err) < 0)
                                        return -1;
                                if (mkdirat(pfd, base, 0700) < 0)
                                        return pc_fail(err, errno, "mkdir %s", rel);
                        }
                }
                fd = dc_open(&w->dc, rel, false, err);
                if (fd < 0)
                        return -1;
        }
        if (w->layer) {
                if (fchown(fd, archive_entry_uid(ae), archive_entry_gid(ae)) < 0)
                        return pc_fail(err, errno, "chown %s", *rel ? rel : "/");
                set_xattrs(fd, -1, NULL, ae);
        }
        if (w->nfix == w->capfix) {
                w->capfix = w->capfix ? 2 * w->capfix : 64;
                w->fix = pc_xrealloc(w->fix, w->capfix * sizeof(*w->fix));
        }
        struct dir_fixup *f = &w->fix[w->nfix];
        f->rel = pc_xstrdup(rel);
        f->mode = entry_mode(w, ae);
        f->times = w->layer;
        entry_times(ae, f->ts);
        f->seq = w->nfix++;
        return 0;
}

/* Create base in pfd by create(); when something is already there, it is
 * replaced (an empty directory too), as tar does. */
static int create_replacing(struct writer *w, int pfd, const char *base, const char *rel,
                            int (*create)(int pfd, const char *base, void *arg), void *arg,
                            pc_error *err)
{
        int r = create(pfd, base, arg);
        if (r >= 0 || errno != EEXIST)
                return r;
        if (remove_at(&w->dc, pfd, base, rel, err) < 0)
                return -2;
        return create(pfd, base, arg);
}

static int create_file(int pfd, const char *base, void *arg)
{
        return openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

static int create_symlink(int pfd, const char *base, void *arg)
{
        return symlinkat(arg, pfd, base);
}

static int create_fifo(int pfd, const char *base, void *arg)
{
        return mknodat(pfd, base, S_IFIFO | 0600, 0);
}

struct link_src {
        int fd;
        const char *base;
};

static int create_link(int pfd, const char *base, void *arg)
{
        struct link_src *l = arg;
        return linkat(l->fd, l->base, pfd, base, 0);
}

/* The entry's data into fd, at the offsets libarchive gives (holes stay
 * holes), then the file cut to its full size. -1 with *read_failed set
 * when reading the layer failed. */
static int write_data(struct archive *tar, int fd, int64_t size, const char *rel, bool *read_failed,
                      pc_error *err)
{
        int64_t pos = 0;
        for (;;) {
                const void *buf;
                size_t n;
                la_int64_t off;
                int r = archive_read_data_block(tar, &buf, &n, &off);
                if (r == ARCHIVE_EOF)
                        break;
                if (r < ARCHIVE_WARN) {
                        *read_failed = true;
                        return pc_fail(err, 0, "read: %s", archive_error_string(tar));
                }
                if (off != pos && lseek(fd, off, SEEK_SET) < 0)
                        return pc_fail(err, errno, "write %s", rel);
                if (pc_write_all(fd, buf, n) < 0)
                        return pc_fail(err, errno, "write %s", rel);
                pos = off + (int64_t)n;
        }
        if (size > pos && ftruncate(fd, size) < 0)
                return pc_fail(err, errno, "write %s", rel);
        return 0;
}

/* A regular file, symlink, fifo or hard link (lsrc) at rel in pfd. */
static int write_entry(struct writer *w, struct archive *tar, struct archive_entry *ae, int pfd,
                       const char *base, const char *rel, struct link_src *lsrc, bool *read_failed,
                       pc_error *err)
{
        struct timespec ts[2];
        entry_times(ae, ts);
        uid_t uid = archive_entry_uid(ae);
        gid_t gid = archive_entry_gid(ae);
        if (lsrc) {
                struct stat a, b;
                if (fstatat(lsrc->fd, lsrc->base, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
                    fstatat(pfd, base, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_ino == b.st_ino &&
                    a.st_dev == b.st_dev)
                        return 0; /* a link to itself */
                int r = create_replacing(w, pfd, base, rel, create_link, lsrc, err);
                if (r == -1)
                        pc_fail(err, errno, "link %s", rel);
                return r < 0 ? -1 : 0;
        }
        switch (archive_entry_filetype(ae)) {
        case AE_IFREG: {
                int fd = create_replacing(w, pfd, base, rel, create_file, NULL, err);
                if (fd < 0)
                        return fd == -1 ? pc_fail(err, errno, "create %s", rel) : -1;
                int r = write_data(tar, fd, archive_entry_size(ae), rel, read_failed, err);
                /* owner before mode (chown drops setuid bits), xattrs after
                 * both (chown and write drop security.capability) */
                if (r == 0 && w->layer && fchown(fd, uid, gid) < 0)
                        r = pc_fail(err, errno, "chown %s", rel);
                if (r == 0 && fchmod(fd, entry_mode(w, ae)) < 0)
                        r = pc_fail(err, errno, "chmod %s", rel);
                if (r == 0 && w->layer) {
                        set_xattrs(fd, -1, NULL, ae);
                        if (futimens(fd, ts) < 0)
                                r = pc_fail(err, errno, "set times of %s", rel);
                }
                close(fd);
                return r;
        }
        case AE_IFLNK: {
                const char *target = archive_entry_symlink(ae);
                int r = create_replacing(w, pfd, base, rel, create_symlink,
                                         (void *)(target ? target : ""), err);
                if (r < 0)
                        return r == -1 ? pc_fail(err, errno, "symlink %s", rel) : -1;
                break;
        }
        case AE_IFIFO: {
                int r = create_replacing(w, pfd, base, rel, create_fifo, NULL, err);
                if (r < 0)
                        return r == -1 ? pc_fail(err, errno, "mkfifo %s", rel) : -1;
                break;
        }
        default:
                return 0; /* sockets and the like: nothing to create */
        }
        if (w->layer) {
                if (fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                        return pc_fail(err, errno, "chown %s", rel);
                set_xattrs(-1, pfd, base, ae);
                /* a fifo just made in the private temp dir: no symlink can
                 * have taken its place, and fchmodat cannot refuse to follow */
                if (archive_entry_filetype(ae) == AE_IFIFO &&
                    fchmodat(pfd, base, entry_mode(w, ae), 0) < 0)
                        return pc_fail(err, errno, "chmod %s", rel);
                if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
                        return pc_fail(err, errno, "set times of %s", rel);
        }
        return 0;
}

static int fixup_cmp(const void *a, const void *b)
{
        const struct dir_fixup *x = a, *y = b;
        int c = strcmp(y->rel, x->rel); /* deepest (longest) first */
        if (c)
                return c;
        return x->seq < y->seq ? -1 : x->seq > y->seq; /* the last entry wins */
}

/* Directory modes and times, deepest first. A directory replaced later in
 * the layer (by a symlink, say) is not followed: it is skipped. */
static int apply_fixups(struct writer *w, pc_error *err)
{
        if (w->nfix > 1)
                qsort(w->fix, w->nfix, sizeof(*w->fix), fixup_cmp);
        for (size_t i = 0; i < w->nfix; i++) {
                struct dir_fixup *f = &w->fix[i];
                int fd = w->rootfd;
                _cleanup_close_ int own = -1;
                if (*f->rel) {
                        const char *base;
                        _cleanup_free_ char *parent = parent_of(f->rel, &base);
                        pc_error ignored;
                        int pfd = dc_open(&w->dc, parent, false, &ignored);
                        if (pfd < 0)
                                continue;
                        own = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (own < 0)
                                continue;
                        fd = own;
                }
                if (fchmod(fd, f->mode) < 0)
                        return pc_fail(err, errno, "chmod %s", *f->rel ? f->rel : "/");
                if (f->times && futimens(fd, f->ts) < 0)
                        return pc_fail(err, errno, "set times of %s", *f->rel ? f->rel : "/");
        }
        return 0;
}

static void writer_free(struct writer *w)
{
        dc_free(&w->dc);
        for (size_t i = 0; i < w->nfix; i++)
                free(w->fix[i].rel);
        free(w->fix);
}

/* Extract src into the existing directory dest. layer: an OCI layer (plain,
 * gzip or zstd; owners, modes with setuid bits, times, xattrs, whiteouts),
 * else an image archive or a root filesystem tarball (regular files,
 * directories and symlinks only, no owners or setuid bits). digest_out
 * receives the sha256 of the uncompressed tar. Both the uncompressed stream
 * and the apparent size of the entries (sparse files at their full size,
 * every entry at least one 4 KiB block) are bounded by s->max_layer_bytes.
 * Device nodes in a layer are skipped, as containerd does in a user
 * namespace, except a 0:0 character device, which is an overlay whiteout and
 * is kept as one. known: the uncompressed tar's digest when it is known
 * already (then nothing is hashed, and digest_out gets it). */
static int extract(pc_image_store *s, const char *src, const char *dest, bool layer,
                   const char *known, char digest_out[72], pc_error *err)
{
        enum { BUFSZ = 1 << 20 };
        char real[PATH_MAX];
        if (!realpath(dest, real))
                return pc_fail(err, errno, "resolve %s", dest);
        _cleanup_close_ int rootfd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return pc_fail(err, errno, "open %s", real);

        struct feed f = {.max = s->max_layer_bytes};
        struct archive *tar = NULL;
        struct archive_entry *ae;
        char **opaque = NULL;
        int64_t apparent = 0;
        int r = -1;
        struct writer w = {.rootfd = rootfd, .layer = layer};
        void *map = NULL;
        size_t maplen = 0;
        dc_init(&w.dc, rootfd);
        w.umask = umask(022);
        umask(w.umask);

        f.raw = archive_read_new();
        if (pc_archive_support_filters(f.raw, !layer, err) < 0)
                goto out;
        archive_read_support_format_raw(f.raw);
        /* A layer blob is the store's own, immutable file: read it mapped,
         * without copying it into a buffer first. A file given by the user
         * (an archive) is read, since one truncated under a mapping would
         * be a SIGBUS rather than an error. */
        int ro = ARCHIVE_FATAL;
        if (layer) {
                _cleanup_close_ int fd = open(src, O_RDONLY | O_CLOEXEC);
                struct stat st;
                if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
                    (uint64_t)st.st_size <= SIZE_MAX) {
                        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
                        if (p != MAP_FAILED) {
                                map = p;
                                maplen = (size_t)st.st_size;
                                madvise(map, maplen, MADV_SEQUENTIAL);
                                ro = archive_read_open_memory(f.raw, map, maplen);
                        }
                }
        }
        if (!map) /* (after a failed open, the archive takes no second one) */
                ro = archive_read_open_filename(f.raw, src, BUFSZ);
        if (ro != ARCHIVE_OK) {
                pc_fail(err, archive_errno(f.raw) > 0 ? archive_errno(f.raw) : 0, "open %s: %s",
                        src, archive_error_string(f.raw));
                goto out;
        }
        int hr = archive_read_next_header(f.raw, &ae);
        if (!known) {
                f.h = pc_sha256_new();
                feed_start(&f);
        }
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

        for (uint64_t entries = 0;; entries++) {
                /* A tar lists a directory's entries together, so an entry costs
                 * about one directory lookup (docs/SECURITY.md). A layer that
                 * hops between deep directories makes every entry cost up to
                 * PC_IMAGE_MAX_PATH_DEPTH of them: 100,000 such entries (1.7
                 * MB of gzip) took 19 s. Past the budget it is refused, so the
                 * time of an unpack stays proportional to its entries, as
                 * tar -x's is. */
                if (w.dc.lookups > PC_IMAGE_LOOKUPS_PER_ENTRY * entries + PC_IMAGE_LOOKUPS_FREE) {
                        pc_fail(err, 0,
                                "%s: refused: its entries hop between directories (%" PRIu64
                                " directory lookups for %" PRIu64
                                " entries; a layer written by a tool needs about one an "
                                "entry)",
                                src, w.dc.lookups, entries);
                        goto out;
                }
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
                const char *orig = archive_entry_pathname(ae) ?: "";
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
                const char *base;
                _cleanup_free_ char *parent = parent_of(rel, &base);
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
                                if (make_whiteout(&w, parent, name, err) < 0) {
                                        pc_error_prefix(err, "%s: refusing entry \"%s\"", src,
                                                        orig);
                                        goto out;
                                }
                        }
                        continue;
                }
                if (!link && (type == AE_IFCHR || type == AE_IFBLK)) {
                        /* a 0:0 character device is an overlay whiteout:
                         * keep it (as one, owned by root); no other device */
                        if (layer && type == AE_IFCHR && archive_entry_rdev(ae) == 0 && *base &&
                            make_whiteout(&w, parent, base, err) < 0) {
                                pc_error_prefix(err, "%s: refusing entry \"%s\"", src, orig);
                                goto out;
                        }
                        continue;
                }
                if (!*rel && (link || type != AE_IFDIR))
                        continue; /* the root stays our directory (as containerd) */
                if (!layer && !link && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
                        continue; /* no fifos or sockets from an image archive */
                if (!link && type == AE_IFDIR) {
                        if (write_dir(&w, rel, ae, err) < 0) {
                                pc_error_prefix(err, "%s: refusing entry \"%s\"", src, orig);
                                goto out;
                        }
                        continue;
                }
                /* the parent: below the root, no symlink on the way,
                 * missing directories created */
                if (dc_open(&w.dc, parent, true, err) < 0) {
                        pc_error_prefix(err, "%s: refusing entry \"%s\"", src, orig);
                        goto out;
                }
                struct link_src lsrc = {.fd = -1};
                if (link) {
                        /* a hard link's target: inside the layer, reached
                         * without a symlink, an existing non-directory */
                        _cleanup_free_ char *lrel = clean_path(link);
                        if (!lrel || !*lrel || path_depth(lrel) > PC_IMAGE_MAX_PATH_DEPTH) {
                                pc_fail(err, 0, "%s: refusing hard link \"%s\" -> \"%s\"", src,
                                        orig, link);
                                goto out;
                        }
                        _cleanup_free_ char *lparent = parent_of(lrel, &lsrc.base);
                        int lfd = dc_open(&w.dc, lparent, false, err);
                        if (lfd < 0) {
                                pc_error_prefix(err, "%s: refusing hard link \"%s\" -> \"%s\"", src,
                                                orig, lrel);
                                goto out;
                        }
                        struct stat st;
                        if (fstatat(lfd, lsrc.base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                                pc_fail(err, errno, "%s: hard link \"%s\" -> \"%s\"", src, orig,
                                        lrel);
                                goto out;
                        }
                        if (S_ISDIR(st.st_mode)) {
                                pc_fail(err, 0, "%s: refusing hard link \"%s\" to directory \"%s\"",
                                        src, orig, lrel);
                                goto out;
                        }
                        lsrc.fd = fcntl(lfd, F_DUPFD_CLOEXEC, 3);
                        if (lsrc.fd < 0) {
                                pc_fail(err, errno, "dup");
                                goto out;
                        }
                        _cleanup_free_ char *lbase = pc_xstrdup(lsrc.base);
                        lsrc.base = lbase;
                        int pfd = dc_open(&w.dc, parent, true, err);
                        int wr = pfd < 0
                                     ? -1
                                     : write_entry(&w, tar, ae, pfd, base, rel, &lsrc, NULL, err);
                        close(lsrc.fd);
                        if (wr < 0) {
                                pc_error_prefix(err, "%s: extract \"%s\"", src, orig);
                                goto out;
                        }
                        continue;
                }
                bool read_failed = false;
                int pfd = w.dc.fds[w.dc.depth];
                if (write_entry(&w, tar, ae, pfd, base, rel, NULL, &read_failed, err) < 0) {
                        if (f.too_big)
                                pc_layer_too_big(s, src, err);
                        else if (read_failed)
                                pc_error_prefix(err, "%s: \"%s\"", src, orig);
                        else
                                pc_error_prefix(err, "%s: extract \"%s\"", src, orig);
                        goto out;
                }
        }
        for (size_t i = 0; opaque && opaque[i]; i++)
                if (set_opaque(&w, opaque[i], err) < 0)
                        goto out;
        if (apply_fixups(&w, err) < 0) {
                pc_error_prefix(err, "%s", src);
                goto out;
        }
        /* the rest of the stream (tar padding) is part of the diff_id */
        if (hr == ARCHIVE_OK && !known) {
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
        feed_stop(&f);
        if (known) {
                snprintf(digest_out, 72, "%s", known);
        } else {
                pc_sha256_final(f.h, digest_out);
                f.h = NULL;
        }
        r = 0;
out:
        feed_stop(&f);
        writer_free(&w);
        pc_strv_free(opaque);
        if (tar)
                archive_read_free(tar);
        archive_read_free(f.raw);
        if (map)
                munmap(map, maplen);
        pc_sha256_free(f.h);
        return r;
}

int pc_extract_archive(pc_image_store *s, const char *tarball, const char *dest, pc_error *err)
{
        char d[72];
        return extract(s, tarball, dest, false, NULL, d, err);
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
        /* A blob whose digest is its diff_id is the uncompressed tar itself
         * (an imported rootfs, an uncompressed layer): the store named it by
         * the sha256 of its content when it took it in (pc_blob_put_*, a
         * pull's check), so hashing it again would only repeat that check. */
        const char *known = !strcmp(digest, diff_id) ? diff_id : NULL;
        if (extract(s, blob, rootfs, true, known, got, err) < 0)
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
