/* Hostile image layers and archives: containerd's archive TestBreakouts
 * shapes (containerd/containerd archive/tar_test.go) and podctl's own, as a
 * table. Every layer is built here with libarchive's writer and unpacked
 * with pc_layer_unpack (plain, gzip and zstd in turn); each case asserts the
 * outcome (refused with a given error, or unpacked with the given facts
 * inside the layer) and, for every case, that nothing outside the layer
 * changed: the "outside" directory every symlink aims at, and the host's
 * /etc/passwd that hard links aim at. Then the archive formats (docker save
 * manifest.json, OCI layout, import), the size limits (gzip bomb, huge
 * sparse entry, 1 GiB JSON) and the store's permissions (setuid files kept
 * but out of reach of non-root users).
 *
 * podctl is stricter than containerd on paths: an entry whose path goes
 * through a symlink, or contains "..", is refused (containerd resolves it
 * inside the root); both keep everything inside the layer. */
#include "image/image_int.h"
#include "archive_buf.h"
#include "unit.h"
#include "util/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

/* the table below leaves trailing fields out */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

static char tmproot[] = "/tmp/podctl-test-breakout-XXXXXX";
static char *outside; /* where symlinks aim: must never change */

/* ---- building tars ---- */

/* type: d dir, f file, l symlink, h hardlink, c/b device (rdev), p fifo.
 * In path and data, "@OUT" is the outside directory (absolute, no leading
 * "/") and "@UP" climbs far above the layer ("../" x 24). */
struct ent {
        char type;
        const char *path;
        const char *data; /* content, or link target */
        mode_t mode;      /* 0: 0644 files, 0755 dirs */
        dev_t rdev;
};

static char *expand(const char *s)
{
        if (!s)
                return NULL;
        _cleanup_free_ char *up = pc_xstrdup("");
        for (int i = 0; i < 24; i++) {
                char *n = pc_xasprintf("%s../", up);
                free(up);
                up = n;
        }
        char *r = pc_xstrdup(s);
        for (;;) {
                char *at = strstr(r, "@OUT");
                const char *with = outside + 1, *tok = "@OUT";
                char *u = strstr(r, "@UP");
                if (!at || (u && u < at)) {
                        at = u;
                        with = up;
                        tok = "@UP";
                }
                if (!at)
                        return r;
                char *n = pc_xasprintf("%.*s%s%s", (int)(at - r), r, with, at + strlen(tok));
                free(r);
                r = n;
        }
}

static struct buf make_tar(const struct ent *e, size_t n)
{
        struct buf b = {0};
        struct archive *a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        archive_write_open(a, &b, NULL, buf_write, NULL);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = expand(e[i].path);
                _cleanup_free_ char *data = expand(e[i].data);
                struct archive_entry *ae = archive_entry_new();
                archive_entry_set_pathname(ae, path);
                archive_entry_set_uid(ae, 0);
                archive_entry_set_gid(ae, 0);
                archive_entry_set_mtime(ae, 1700000000, 0);
                mode_t mode = e[i].mode;
                switch (e[i].type) {
                case 'd':
                        archive_entry_set_filetype(ae, AE_IFDIR);
                        archive_entry_set_perm(ae, mode ? mode : 0755);
                        break;
                case 'l':
                        archive_entry_set_filetype(ae, AE_IFLNK);
                        archive_entry_set_perm(ae, 0777);
                        archive_entry_set_symlink(ae, data);
                        break;
                case 'h':
                        archive_entry_set_filetype(ae, AE_IFREG);
                        archive_entry_set_perm(ae, mode ? mode : 0644);
                        archive_entry_set_hardlink(ae, data);
                        break;
                case 'c':
                case 'b':
                        archive_entry_set_filetype(ae, e[i].type == 'c' ? AE_IFCHR : AE_IFBLK);
                        archive_entry_set_perm(ae, 0666);
                        archive_entry_set_rdev(ae, e[i].rdev);
                        break;
                case 'p':
                        archive_entry_set_filetype(ae, AE_IFIFO);
                        archive_entry_set_perm(ae, 0644);
                        break;
                default:
                        archive_entry_set_filetype(ae, AE_IFREG);
                        archive_entry_set_perm(ae, mode ? mode : 0644);
                        archive_entry_set_size(ae, (la_int64_t)strlen(data ? data : ""));
                }
                archive_write_header(a, ae);
                if (e[i].type == 'f' && data)
                        archive_write_data(a, data, strlen(data));
                archive_entry_free(ae);
        }
        archive_write_close(a);
        archive_write_free(a);
        return b;
}

static void buf_add(struct buf *b, const char *s)
{
        buf_write(NULL, b, s, strlen(s));
}

/* ---- facts about the world outside ---- */

struct outside_state {
        char *listing; /* names, sorted-ish by readdir, with mode and size */
        struct stat passwd;
};

static char *listing_of(const char *dir)
{
        char *s = pc_xstrdup("");
        DIR *d = opendir(dir);
        struct dirent *de;
        if (!d)
                return s;
        while ((de = readdir(d))) {
                struct stat st;
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                char *n = pc_xasprintf("%s%s:%o:%lld:%lu;", s, de->d_name, st.st_mode,
                                       (long long)st.st_size, (unsigned long)st.st_nlink);
                free(s);
                s = n;
        }
        closedir(d);
        return s;
}

static void outside_snap(struct outside_state *o)
{
        o->listing = listing_of(outside);
        stat("/etc/passwd", &o->passwd);
}

static bool outside_same(const struct outside_state *o)
{
        _cleanup_free_ char *now = listing_of(outside);
        struct stat st;
        stat("/etc/passwd", &st);
        return !strcmp(now, o->listing) && st.st_nlink == o->passwd.st_nlink &&
               st.st_size == o->passwd.st_size && st.st_mode == o->passwd.st_mode &&
               st.st_mtim.tv_sec == o->passwd.st_mtim.tv_sec && access("/unbroken", F_OK) < 0 &&
               access("/abs-evil", F_OK) < 0 && access("/dne-podctl", F_OK) < 0;
}

/* ---- facts about the layer ---- */

enum fact {
        END,
        CONTENT,     /* a: file with content b */
        SAME_FILE,   /* a and b: one inode */
        SYMLINK,     /* a: a symlink to b */
        NOT_EXIST,   /* a */
        WHITEOUT,    /* a: a 0:0 character device owned by root */
        IS_DIR,      /* a */
        OPAQUE,      /* a: trusted.overlay.opaque=y */
        SETUID,      /* a: mode has S_ISUID */
        IS_FIFO,     /* a */
        ROOT_IS_DIR, /* the layer root is still a real directory */
};

struct check {
        enum fact f;
        const char *a, *b;
};

static bool fact_holds(const char *rootfs, const struct check *c)
{
        _cleanup_free_ char *pa = c->a ? pc_xasprintf("%s/%s", rootfs, c->a) : NULL;
        _cleanup_free_ char *pb = c->b ? pc_xasprintf("%s/%s", rootfs, c->b) : NULL;
        struct stat st, st2;
        switch (c->f) {
        case CONTENT: {
                _cleanup_free_ char *data = NULL;
                pc_error e;
                return lstat(pa, &st) == 0 && S_ISREG(st.st_mode) &&
                       pc_read_file(pa, &data, NULL, &e) == 0 && !strcmp(data, c->b);
        }
        case SAME_FILE:
                return lstat(pa, &st) == 0 && lstat(pb, &st2) == 0 && st.st_ino == st2.st_ino &&
                       st.st_dev == st2.st_dev;
        case SYMLINK: {
                char t[4096];
                ssize_t n = readlink(pa, t, sizeof(t) - 1);
                if (n < 0)
                        return false;
                t[n] = 0;
                _cleanup_free_ char *want = expand(c->b);
                return !strcmp(t, want);
        }
        case NOT_EXIST:
                return lstat(pa, &st) < 0 && errno == ENOENT;
        case WHITEOUT:
                return lstat(pa, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0 &&
                       st.st_uid == 0;
        case IS_DIR:
                return lstat(pa, &st) == 0 && S_ISDIR(st.st_mode);
        case OPAQUE: {
                char v[4] = {0};
                return lgetxattr(pa, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
        }
        case SETUID:
                return lstat(pa, &st) == 0 && (st.st_mode & S_ISUID);
        case IS_FIFO:
                return lstat(pa, &st) == 0 && S_ISFIFO(st.st_mode);
        case ROOT_IS_DIR:
                return lstat(rootfs, &st) == 0 && S_ISDIR(st.st_mode);
        case END:
                break;
        }
        return true;
}

/* ---- the table ---- */

#define OK     NULL
#define EITHER "\x01" /* refused or unpacked, as long as it is contained */

struct breakout {
        const char *name;
        struct ent e[8];
        const char *error; /* OK, EITHER, or a substring of the error */
        struct check checks[4];
};

static const struct breakout breakouts[] = {
    /* containerd's TestBreakouts, with /etc outside the root replaced by the
     * "outside" directory (absolute @OUT, relative @UP@OUT) */
    {"SymlinkAbsolute",
     {{'d', "etc"}, {'l', "localetc", "/@OUT"}, {'f', "/localetc/unbroken", "unbroken"}},
     "symlink",
     {{NOT_EXIST, "localetc/unbroken"}}},
    {"SymlinkUpAndOut",
     {{'d', "etc"},
      {'d', "dummy"},
      {'l', "localetc", "/dummy/@UP@OUT"},
      {'f', "/localetc/unbroken", "unbroken"}},
     "symlink"},
    {"SymlinkMultipleAbsolute",
     {{'d', "etc"},
      {'d', "dummy"},
      {'l', "/dummy/etc", "/@OUT"},
      {'l', "localetc", "/dummy/etc"},
      {'f', "/dummy/etc/unbroken", "unbroken"}},
     "symlink"},
    {"SymlinkMultipleRelative",
     {{'d', "etc"},
      {'d', "dummy"},
      {'l', "/dummy/etc", "/@OUT"},
      {'l', "localetc", "./dummy/etc"},
      {'f', "/dummy/etc/unbroken", "unbroken"}},
     "symlink"},
    {"SymlinkEmptyFile",
     {{'d', "etc"},
      {'f', "etc/emptied", "notempty"},
      {'l', "localetc", "/@OUT"},
      {'f', "/localetc/emptied", ""}},
     "symlink"},
    {"HardlinkRelative",
     {{'d', "etc", NULL, 0770},
      {'f', "/etc/passwd", "inside"},
      {'d', "breakouts"},
      {'l', "breakouts/d1", "@UP@OUT"},
      {'h', "breakouts/mypasswd", "/breakouts/d1/passwd"}},
     "symlink"},
    {"HardlinkDownAndOut",
     {{'d', "etc", NULL, 0770},
      {'f', "/etc/passwd", "inside"},
      {'d', "breakouts"},
      {'d', "downandout"},
      {'l', "breakouts/d1", "../downandout/@UP@OUT"},
      {'h', "breakouts/mypasswd", "/breakouts/d1/passwd"}},
     "symlink"},
    {"HardlinkAbsolute",
     {{'d', "etc", NULL, 0770},
      {'f', "/etc/passwd", "inside"},
      {'l', "localetc", "/@OUT"},
      {'h', "localpasswd", "/localetc/passwd"}},
     "symlink"},
    {"HardlinkRelativeLong",
     {{'d', "etc", NULL, 0770},
      {'f', "/etc/passwd", "inside"},
      {'l', "localetc", "@UP@UP@OUT"},
      {'h', "localpasswd", "/localetc/passwd"}},
     "symlink"},
    {"HardlinkRelativeUpAndOut",
     {{'d', "etc", NULL, 0770},
      {'f', "/etc/passwd", "inside"},
      {'l', "localetc", "upandout/@UP@OUT"},
      {'h', "localpasswd", "/localetc/passwd"}},
     "symlink"},
    {"HardlinkDirectRelative",
     {{'d', "etc", NULL, 0770},
      {'f', "/etc/passwd", "inside"},
      {'h', "localpasswd", "@UP@OUT/passwd"}},
     "refusing hard link"},
    {"HardlinkDirectAbsolute", /* /etc/passwd of the layer, not the host's */
     {{'d', "etc", NULL, 0770},
      {'f', "/etc/passwd", "inside"},
      {'h', "localpasswd", "/etc/passwd"}},
     OK,
     {{SAME_FILE, "localpasswd", "etc/passwd"}, {CONTENT, "localpasswd", "inside"}}},
    {"SymlinkParentDirectory",
     {{'d', "etc", NULL, 0770},
      {'f', "/etc/passwd", "inside"},
      {'l', "..", "/etc/"},
      {'h', "localpasswd", "/etc/passwd"}},
     "\"..\""},
    {"SymlinkEmptyFilename", /* a symlink for the root itself is ignored */
     {{'d', "etc", NULL, 0770},
      {'f', "/etc/passwd", "inside"},
      {'l', "", "/etc/"},
      {'h', "localpasswd", "/etc/passwd"}},
     OK,
     {{ROOT_IS_DIR}, {SAME_FILE, "localpasswd", "etc/passwd"}}},
    {"SymlinkParentRelative",
     {{'d', "etc", NULL, 0770},
      {'f', "/etc/passwd", "inside"},
      {'l', "localetc/sub/..", "/etc/"},
      {'h', "/localetc/localpasswd", "/etc/passwd"}},
     "\"..\""},
    {"SymlinkSlashEnded",
     {{'d', "etc", NULL, 0770},
      {'f', "/etc/passwd", "inside"},
      {'d', "localetc/", NULL, 0770},
      {'h', "/localetc/localpasswd", "/etc/passwd"}},
     OK,
     {{SAME_FILE, "localetc/localpasswd", "etc/passwd"}}},
    {"SymlinkOverrideDirectory",
     {{'d', "/etc/"},
      {'f', "/etc/passwd", "inside"},
      {'d', "/localetc/"},
      {'l', "localetc", "/@OUT"},
      {'h', "/localetc/localpasswd", "/etc/passwd"}},
     "symlink"},
    {"SymlinkOverrideDirectoryRelative",
     {{'d', "/etc/"},
      {'f', "/etc/passwd", "inside"},
      {'d', "/localetc/"},
      {'l', "localetc", "@UP@OUT"},
      {'h', "/localetc/localpasswd", "/etc/passwd"}},
     "symlink"},
    {"DirectoryOverrideSymlink",
     {{'d', "/etc/"},
      {'f', "/etc/passwd", "inside"},
      {'l', "localetc", "/@OUT"},
      {'d', "/localetc/"},
      {'h', "/localetc/localpasswd", "/etc/passwd"}},
     OK,
     {{IS_DIR, "localetc"}, {SAME_FILE, "localetc/localpasswd", "etc/passwd"}}},
    {"DirectoryOverrideSymlinkAndHardlink",
     {{'d', "/etc/"},
      {'f', "/etc/passwd", "inside"},
      {'l', "localetc", "etc"},
      {'d', "/localetc/"},
      {'f', "/localetc/localpasswd", "different"}},
     OK,
     {{CONTENT, "etc/passwd", "inside"}, {CONTENT, "localetc/localpasswd", "different"}}},
    {"WhiteoutRootParent",
     {{'d', "/etc/"}, {'f', "/etc/passwd", "inside"}, {'f', ".wh...", ""}},
     "bad whiteout"},
    {"WhiteoutParent",
     {{'d', "/etc/"}, {'f', "/etc/passwd", "inside"}, {'f', "etc/.wh...", ""}},
     "bad whiteout"},
    {"WhiteoutRoot",
     {{'d', "/etc/"}, {'f', "/etc/passwd", "inside"}, {'f', ".wh..", ""}},
     "bad whiteout"},
    {"WhiteoutCurrentDirectory",
     {{'d', "/etc/"}, {'f', "/etc/passwd", "inside"}, {'f', "etc/.wh..", ""}},
     "bad whiteout"},
    {"WhiteoutSymlink",
     {{'d', "/etc/"},
      {'f', "/etc/passwd", "all users"},
      {'l', "localetc", "/@OUT"},
      {'f', ".wh.localetc", ""}},
     OK,
     {{CONTENT, "etc/passwd", "all users"}, {WHITEOUT, "localetc"}}},
    {"WhiteoutSymlinkPath",
     {{'d', "/etc/"},
      {'f', "/etc/passwd", "all users"},
      {'l', "localetc", "/@OUT"},
      {'f', "localetc/.wh.victim", ""}},
     "symlink"},
    {"WhiteoutDirectoryName",
     {{'d', "/etc/"}, {'f', "/etc/passwd", "all users"}, {'f', ".wh.etc/somefile", "non-empty"}},
     OK,
     {{CONTENT, "etc/passwd", "all users"}, {CONTENT, ".wh.etc/somefile", "non-empty"}}},
    {"WhiteoutDeadSymlinkParent",
     {{'d', "/etc/"},
      {'f', "/etc/passwd", "all users"},
      {'l', "localetc", "/dne-podctl"},
      {'f', "localetc/.wh.etc", ""}},
     "symlink"},
    {"WhiteoutRelativePath",
     {{'d', "/etc/"}, {'f', "/etc/passwd", "all users"}, {'f', "dne/../.wh.etc", ""}},
     "\"..\""},
    {"HardlinkSymlinkBeforeCreateTarget", /* the link is to the symlink itself */
     {{'d', "etc", NULL, 0770},
      {'l', "localpasswd", "/etc/passwd"},
      {'h', "localpasswd-dup", "localpasswd"},
      {'f', "/etc/passwd", "after"}},
     OK,
     {{SYMLINK, "localpasswd-dup", "/etc/passwd"}, {CONTENT, "etc/passwd", "after"}}},
    {"HardlinkSymlinkRelative",
     {{'d', "etc", NULL, 0770},
      {'f', "/etc/passwd", "inside"},
      {'l', "passwdlink", "@UP/etc/passwd"},
      {'h', "localpasswd", "/passwdlink"}},
     OK,
     {{SAME_FILE, "localpasswd", "passwdlink"}, {SYMLINK, "localpasswd", "@UP/etc/passwd"}}},
    {"HardlinkSymlinkAbsolute",
     {{'d', "etc", NULL, 0770},
      {'f', "/etc/passwd", "inside"},
      {'l', "passwdlink", "/etc/passwd"},
      {'h', "localpasswd", "/passwdlink"}},
     OK,
     {{SAME_FILE, "localpasswd", "passwdlink"}, {SYMLINK, "localpasswd", "/etc/passwd"}}},
    {"HardlinkSymlinkChmod", /* the mode of the hard link must not reach perm400 */
     {{'l', "/@OUT/also-exists-outside-root", "/@OUT/perm400"},
      {'h', "sketchylink", "/@OUT/also-exists-outside-root", 0777}},
     EITHER},

    /* podctl's own shapes */
    {"DotDot", {{'f', "ok", "1"}, {'f', "../evil", "x"}}, "path contains \"..\""},
    {"DotDotInside", {{'f', "a/../../evil", "x"}}, "path contains \"..\""},
    {"PathTooDeep", /* 130 components: refused before any lookup */
     {{'f',
       "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
       "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
       "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
       "f",
       "x"}},
     "path of more than 128 components"},
    {"PathDeepOK", /* 128 components are fine */
     {{'f',
       "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
       "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
       "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/f",
       "x"}},
     OK},
    {"AbsolutePath",
     {{'f', "/abs-evil", "x"}, {'f', "//etc///x", "y"}},
     OK,
     {{CONTENT, "abs-evil", "x"}, {CONTENT, "etc/x", "y"}}},
    {"SymlinkThenFile", {{'l', "link", "/@OUT"}, {'f', "link/pwned", "x"}}, "symlink"},
    {"SymlinkThenDir", {{'l', "link", "@UP@OUT"}, {'d', "link/sub"}}, "symlink"},
    {"FileThenFileThrough", {{'f', "a", "x"}, {'f', "a/b", "y"}}, "symlink or file"},
    {"RootAsSymlink", /* "./" as a symlink: ignored, the root stays a directory */
     {{'l', "./", "/@OUT"}, {'f', "x", "1"}},
     OK,
     {{ROOT_IS_DIR}, {CONTENT, "x", "1"}}},
    {"RootAsOnlySymlink", /* alone, it used to replace the empty root */
     {{'l', "./", "/"}},
     OK,
     {{ROOT_IS_DIR}, {NOT_EXIST, "etc/passwd"}}},
    {"RootAsFile", {{'f', ".", "data"}, {'f', "x", "1"}}, OK, {{ROOT_IS_DIR}, {CONTENT, "x", "1"}}},
    {"HardlinkOutsideAbsolute", /* cleaned into the layer, where it does not exist */
     {{'h', "h", "/@OUT/victim"}},
     "No such file"},
    {"HardlinkThroughSymlink", {{'l', "link", "/@OUT"}, {'h', "h", "link/victim"}}, "symlink"},
    {"HardlinkReplaceThroughSymlink",
     {{'l', "link", "/@OUT"}, {'f', "h2", "overwritten"}, {'h', "h2", "link/victim"}},
     "symlink"},
    {"HardlinkToDirectory", {{'d', "a"}, {'h', "b", "a"}}, "directory"},
    {"HardlinkToRoot", {{'h', "b", "/"}}, "refusing hard link"},
    {"Devices", /* only the 0:0 whiteout stays; a fifo is no device */
     {{'c', "dev/null", NULL, 0, 0x103},
      {'b', "dev/loop0", NULL, 0, 0x700},
      {'b', "sda", NULL, 0, 0x800},
      {'c', "gone", NULL, 0, 0},
      {'p', "fifo"}},
     OK,
     {{NOT_EXIST, "dev/null"}, {NOT_EXIST, "sda"}, {WHITEOUT, "gone"}, {IS_FIFO, "fifo"}}},
    {"DeviceThroughSymlink", {{'l', "dev", "/@OUT"}, {'c', "dev/gone", NULL, 0, 0}}, "symlink"},
    {"Setuid", {{'f', "bin/su", "x", 04755}}, OK, {{SETUID, "bin/su"}}},
    {"Whiteouts", /* in every position */
     {{'f', ".wh..wh..opq", ""},
      {'f', "n/.wh..wh..opq", ""},
      {'d', "n"},
      {'f', "x/y/.wh.z", ""},
      {'f', "n/.wh.old", ""},
      {'f', ".wh..wh.plnk", ""},
      {'f', "n/keep", "k"}},
     OK,
     {{OPAQUE, "."}, {OPAQUE, "n"}, {WHITEOUT, "x/y/z"}, {CONTENT, "n/keep", "k"}}},
    {"WhiteoutThenRecreate",
     {{'f', "a/.wh.b", ""}, {'f', "a/b", "back"}},
     OK,
     {{CONTENT, "a/b", "back"}}},
    {"WhiteoutEmptyName", {{'f', "a/.wh.", ""}}, "bad whiteout"},
    {"OpaqueThroughSymlink", /* the opaque marker is applied at the end */
     {{'f', "q/.wh..wh..opq", ""}, {'l', "q", "/@OUT"}},
     EITHER},
    {"OpaqueUnderSymlink", {{'l', "q", "/@OUT"}, {'f', "q/.wh..wh..opq", ""}}, "symlink"},
    {"DirReplacedBySymlink", /* the directory's deferred mode must not follow it */
     {{'d', "fix", NULL, 0700}, {'l', "fix", "/@OUT"}},
     EITHER},
    {"DirModeThroughSymlink",
     {{'l', "fix", "/@OUT"}, {'d', "fix", NULL, 0700}},
     EITHER,
     {{NOT_EXIST, "fix/victim"}}},

    /* The unpacker keeps the directories of the last entry's path open and
     * reuses them for the next entries: a name replaced later in the same
     * layer must never be reached through the directory it was. */
    {"CachedDirReplacedBySymlink", /* "a/b" is open when it becomes a symlink */
     {{'d', "a"}, {'d', "a/b"}, {'l', "a/b", "/@OUT"}, {'f', "a/b/pwned", "x"}},
     "symlink"},
    {"CachedTopDirReplacedBySymlink",
     {{'d', "d"}, {'l', "d", "@UP@OUT"}, {'d', "d/sub"}},
     "symlink"},
    {"CachedDeepDirReplacedBySymlink",
     {{'d', "a/b/c"}, {'f', "a/x", "1"}, {'l', "a/b/c", "/@OUT"}, {'f', "a/b/c/pwned", "x"}},
     "symlink"},
    {"CachedDirReplacedByFile",
     {{'d', "a/b"}, {'f', "a/b", "data"}, {'f', "a/b/c", "x"}},
     "symlink or file"},
    {"CachedDirReplacedByHardlink",
     {{'f', "t", "x"}, {'d', "h"}, {'h', "h", "t"}, {'f', "h/f", "y"}},
     "symlink or file"},
    {"CachedDirWhiteedOut", /* the whiteout device takes the directory's place */
     {{'d', "w"}, {'f', ".wh.w", ""}, {'f', "w/f", "x"}},
     "symlink or file"},
    {"CachedLinkTargetDirReplacedBySymlink",
     {{'d', "s"}, {'d', "s/t"}, {'l', "s/t", "/@OUT"}, {'h', "l2", "s/t/victim"}},
     "symlink"},
    {"CachedDirReplacedBySymlinkThenDir", /* a directory again: a new, empty one */
     {{'d', "a"},
      {'f', "a/old", "1"},
      {'d', "a/b"},
      {'l', "a/b", "/@OUT"},
      {'d', "a/b"},
      {'f', "a/b/new", "2"}},
     OK,
     {{IS_DIR, "a/b"}, {CONTENT, "a/b/new", "2"}, {CONTENT, "a/old", "1"}}},
    {"CachedPrefixNotAComponent", /* "a" open does not stand for "ab", nor "abc" for "ab" */
     {{'f', "a/1", "1"}, {'f', "ab/2", "2"}, {'f', "abc/x", "3"}, {'f', "ab/y", "4"}},
     OK,
     {{CONTENT, "ab/2", "2"}, {CONTENT, "abc/x", "3"}, {CONTENT, "ab/y", "4"}, {NOT_EXIST, "a/b"}}},
    {"CachedPrefixThenSymlink",
     {{'f', "ab/y", "2"}, {'l', "a", "/@OUT"}, {'f', "a/b", "3"}},
     "symlink"},
    {"CacheInterleaved", /* back and forth between trees */
     {{'f', "a/b/1", "1"},
      {'f', "c/2", "2"},
      {'f', "a/b/3", "3"},
      {'f', "a/4", "4"},
      {'f', "c/d/e/5", "5"},
      {'f', "a/b/6", "6"}},
     OK,
     {{CONTENT, "a/b/1", "1"},
      {CONTENT, "a/b/3", "3"},
      {CONTENT, "a/4", "4"},
      {CONTENT, "c/d/e/5", "5"}}},
};

static int count_dir(const char *dir)
{
        DIR *d = opendir(dir);
        int n = 0;
        struct dirent *de;
        if (!d)
                return -1;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

static void run_breakout(pc_image_store *s, const struct breakout *b, int comp)
{
        pc_error err;
        size_t n = 0;
        while (n < PC_ARRAY_SIZE(b->e) && b->e[n].type)
                n++;
        struct buf tar = make_tar(b->e, n);
        char diff[72], digest[72];
        sha256_hex(tar.p, tar.n, diff);
        struct buf blob = comp == NONE ? tar : compress_buf(tar, comp);
        CHECK(pc_blob_put_mem(s, blob.p, blob.n, NULL, digest, &err) == 0);
        struct outside_state before;
        outside_snap(&before);
        int r = pc_layer_unpack(s, digest, diff, &err);
        bool ok = true;
        if (b->error == OK) {
                if (r < 0) {
                        fprintf(stderr, "%s: unpack failed: %s\n", b->name, err.msg);
                        ok = false;
                }
        } else if (b->error != (const char *)EITHER) {
                if (r == 0) {
                        fprintf(stderr, "%s: unpacked, expected an error with \"%s\"\n", b->name,
                                b->error);
                        ok = false;
                } else if (!strstr(err.msg, b->error)) {
                        fprintf(stderr, "%s: error \"%s\" does not contain \"%s\"\n", b->name,
                                err.msg, b->error);
                        ok = false;
                }
        }
        _cleanup_free_ char *rootfs = pc_layer_rootfs(s, digest);
        for (size_t i = 0; r == 0 && i < PC_ARRAY_SIZE(b->checks) && b->checks[i].f; i++) {
                if (!fact_holds(rootfs, &b->checks[i])) {
                        fprintf(stderr, "%s: check %zu (%d %s %s) does not hold\n", b->name, i,
                                b->checks[i].f, b->checks[i].a ? b->checks[i].a : "",
                                b->checks[i].b ? b->checks[i].b : "");
                        ok = false;
                }
        }
        if (r == 0 && !fact_holds(rootfs, &(struct check){ROOT_IS_DIR})) {
                fprintf(stderr, "%s: the layer root is no longer a directory\n", b->name);
                ok = false;
        }
        if (!outside_same(&before)) {
                _cleanup_free_ char *now = listing_of(outside);
                fprintf(stderr, "%s: something changed outside the layer: %s -> %s\n", b->name,
                        before.listing, now);
                ok = false;
        }
        /* a refused layer leaves nothing behind in the store */
        _cleanup_free_ char *ldir = pc_layer_dir(s, digest);
        if (r < 0 && (count_dir(s->layers) != 0 || access(ldir, F_OK) == 0)) {
                fprintf(stderr, "%s: a refused layer left entries in %s\n", b->name, s->layers);
                ok = false;
        }
        if (ok)
                unit_passed++;
        else
                unit_failed++;
        free(before.listing);
        if (r == 0)
                pc_rm_rf(ldir, &err);
        _cleanup_free_ char *bp = pc_blob_path(s, digest);
        unlink(bp);
        if (blob.p != tar.p)
                free(blob.p);
        free(tar.p);
}

static void test_breakouts(void)
{
        pc_error err;
        _cleanup_free_ char *root = pc_xasprintf("%s/store", tmproot);
        pc_image_store *s = NULL;
        CHECK(pc_image_store_open(root, &s, &err) == 0);
        if (!s)
                return;
        for (size_t i = 0; i < PC_ARRAY_SIZE(breakouts); i++)
                run_breakout(s, &breakouts[i], (int)(i % 3));
        pc_image_store_close(s);
}

/* ---- archives and formats ---- */

static void write_file(const char *path, const void *data, size_t n)
{
        pc_error err;
        if (pc_write_file_atomic(path, data, n, 0644, &err) < 0)
                fprintf(stderr, "write %s: %s\n", path, err.msg);
}

/* A tar file at path with the given entries. */
static void write_tar(const char *path, const struct ent *e, size_t n)
{
        struct buf b = make_tar(e, n);
        write_file(path, b.p, b.n);
        free(b.p);
}

/* A docker-save directory in dir: config c.json, one layer l.tar, and
 * manifest.json with Config and Layers as given. */
static void make_docker_dir(const char *dir, const char *config, const char *layer)
{
        pc_error err;
        pc_mkdir_p(dir, 0755, &err);
        const struct ent l[] = {{'f', "hello", "world"}};
        struct buf t = make_tar(l, 1);
        char diff[72];
        sha256_hex(t.p, t.n, diff);
        _cleanup_free_ char *lp = pc_xasprintf("%s/l.tar", dir);
        write_file(lp, t.p, t.n);
        free(t.p);
        _cleanup_free_ char *cfg = pc_xasprintf(
            "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
            "\"diff_ids\":[\"%s\"]}}",
            diff);
        _cleanup_free_ char *cp = pc_xasprintf("%s/c.json", dir);
        write_file(cp, cfg, strlen(cfg));
        _cleanup_free_ char *man = pc_xasprintf(
            "[{\"Config\":\"%s\",\"RepoTags\":[\"localhost/bo:1\"],\"Layers\":[\"%s\"]}]", config,
            layer);
        _cleanup_free_ char *mp = pc_xasprintf("%s/manifest.json", dir);
        write_file(mp, man, strlen(man));
}

static void test_archives(void)
{
        pc_error err;
        _cleanup_free_ char *root = pc_xasprintf("%s/store-archives", tmproot);
        pc_image_store *s = NULL;
        CHECK(pc_image_store_open(root, &s, &err) == 0);
        if (!s)
                return;
        struct outside_state before;
        outside_snap(&before);

        /* docker save: a good one loads */
        _cleanup_free_ char *good = pc_xasprintf("%s/docker-good", tmproot);
        make_docker_dir(good, "c.json", "l.tar");
        CHECK(pc_image_load(s, good, NULL, &err) == 0);

        /* layer and config paths that leave the archive */
        static const char *const bad[][3] = {
            {"c.json", "../../../../../../../etc/passwd", "bad path"},
            {"c.json", "/etc/passwd", "bad path"},
            {"/etc/passwd", "l.tar", "bad path"},
            {"c.json", "escape.tar", "points outside the image archive"},
            {"cfg-link", "l.tar", "points outside the image archive"},
            {"c.json", "", "bad path"},
        };
        for (size_t i = 0; i < PC_ARRAY_SIZE(bad); i++) {
                _cleanup_free_ char *dir = pc_xasprintf("%s/docker-bad%zu", tmproot, i);
                make_docker_dir(dir, bad[i][0], bad[i][1]);
                _cleanup_free_ char *l1 = pc_xasprintf("%s/escape.tar", dir);
                _cleanup_free_ char *l2 = pc_xasprintf("%s/cfg-link", dir);
                _cleanup_free_ char *victim = pc_xasprintf("%s/victim", outside);
                CHECK(symlink(victim, l1) == 0);
                CHECK(symlink("/etc/passwd", l2) == 0);
                CHECK(pc_image_load(s, dir, NULL, &err) < 0);
                CHECK_CONTAINS(err.msg, bad[i][2]);
        }

        /* the same, as a tar file: a symlink entry in the archive to a host
         * file, named as the layer */
        {
                _cleanup_free_ char *dir = pc_xasprintf("%s/docker-tar", tmproot);
                make_docker_dir(dir, "c.json", "evil.tar");
                _cleanup_free_ char *cfg = NULL, *man = NULL;
                _cleanup_free_ char *cp = pc_xasprintf("%s/c.json", dir);
                _cleanup_free_ char *mp = pc_xasprintf("%s/manifest.json", dir);
                CHECK(pc_read_file(cp, &cfg, NULL, &err) == 0);
                CHECK(pc_read_file(mp, &man, NULL, &err) == 0);
                const struct ent e[] = {{'f', "manifest.json", man},
                                        {'f', "c.json", cfg},
                                        {'l', "evil.tar", "/@OUT/victim"},
                                        {'f', "../../../evil", "x"}};
                _cleanup_free_ char *tp = pc_xasprintf("%s/docker.tar", tmproot);
                write_tar(tp, e, 3);
                CHECK(pc_image_load(s, tp, NULL, &err) < 0);
                CHECK_CONTAINS(err.msg, "points outside the image archive");
                write_tar(tp, e, 4);
                CHECK(pc_image_load(s, tp, NULL, &err) < 0);
                CHECK_CONTAINS(err.msg, "path contains \"..\"");
        }

        /* too many layers, too many names */
        {
                _cleanup_free_ char *dir = pc_xasprintf("%s/docker-layers", tmproot);
                make_docker_dir(dir, "c.json", "l.tar");
                struct buf b = {0};
                buf_add(&b, "[{\"Config\":\"c.json\",\"Layers\":[\"l.tar\"");
                for (int i = 0; i < 128; i++)
                        buf_add(&b, ",\"l.tar\"");
                buf_add(&b, "]}]");
                _cleanup_free_ char *mp = pc_xasprintf("%s/manifest.json", dir);
                write_file(mp, b.p, b.n);
                CHECK(pc_image_load(s, dir, NULL, &err) < 0);
                CHECK_CONTAINS(err.msg, "manifest.json: image 0 has 129 layers: the limit is 128");
                free(b.p);
                b = (struct buf){0};
                buf_add(&b, "[{\"Config\":\"c.json\",\"Layers\":[],\"RepoTags\":[");
                char tag[32];
                for (int i = 0; i < 1001; i++) {
                        int n = snprintf(tag, sizeof(tag), "%s\"t:%d\"", i ? "," : "", i);
                        buf_write(NULL, &b, tag, (size_t)n);
                }
                buf_add(&b, "]}]");
                write_file(mp, b.p, b.n);
                CHECK(pc_image_load(s, dir, NULL, &err) < 0);
                CHECK_CONTAINS(err.msg, "manifest.json names more than 1000 images");
                free(b.p);
        }

        /* OCI layout: a blob that is a symlink to a host file */
        {
                _cleanup_free_ char *dir = pc_xasprintf("%s/oci-link", tmproot);
                _cleanup_free_ char *blobs = pc_xasprintf("%s/blobs/sha256", dir);
                pc_mkdir_p(blobs, 0755, &err);
                _cleanup_free_ char *data = NULL;
                size_t n = 0;
                CHECK(pc_read_file("/etc/passwd", &data, &n, &err) == 0);
                char d[72];
                sha256_hex(data, n, d);
                _cleanup_free_ char *bp = pc_xasprintf("%s/%s", blobs, d + 7);
                CHECK(symlink("/etc/passwd", bp) == 0);
                _cleanup_free_ char *idx = pc_xasprintf(
                    "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/"
                    "vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu,"
                    "\"annotations\":{\"org.opencontainers.image.ref.name\":\"localhost/l:1\"}}]}",
                    d, n);
                _cleanup_free_ char *ip = pc_xasprintf("%s/index.json", dir);
                write_file(ip, idx, strlen(idx));
                CHECK(pc_image_load(s, dir, NULL, &err) < 0);
                CHECK_CONTAINS(err.msg, "points outside the image archive");
        }

        /* import (rootfs tarball): escapes refused, devices and setuid bits
         * not kept */
        {
                _cleanup_free_ char *tp = pc_xasprintf("%s/rootfs.tar", tmproot);
                const struct ent e1[] = {
                    {'f', "ok", "1"}, {'l', "link", "/@OUT"}, {'f', "link/pwned", "x"}};
                write_tar(tp, e1, 3);
                CHECK(pc_image_import(s, tp, "localhost/imp:1", &err) < 0);
                CHECK_CONTAINS(err.msg, "symlink");
                const struct ent e2[] = {{'h', "h", "@UP@OUT/victim"}};
                write_tar(tp, e2, 1);
                CHECK(pc_image_import(s, tp, "localhost/imp:1", &err) < 0);
                CHECK_CONTAINS(err.msg, "refusing hard link");
                const struct ent e3[] = {{'f', "bin/su", "x", 04755},
                                         {'c', "dev/null", NULL, 0, 0x103},
                                         {'c', "wh", NULL, 0, 0}};
                write_tar(tp, e3, 3);
                CHECK(pc_image_import(s, tp, "localhost/imp:2", &err) == 0);
                struct pc_image *img = NULL;
                CHECK(pc_image_get(s, "localhost/imp:2", &img, &err) == 0);
                if (img && img->n_layers == 1) {
                        struct check c1 = {SETUID, "bin/su"}, c2 = {NOT_EXIST, "dev/null"},
                                     c3 = {WHITEOUT, "wh"};
                        /* an imported layer is a layer: setuid kept in the
                         * store (0700), devices but whiteouts dropped */
                        CHECK(fact_holds(img->layer_dirs[0], &c1));
                        CHECK(fact_holds(img->layer_dirs[0], &c2));
                        CHECK(fact_holds(img->layer_dirs[0], &c3));
                }
                pc_image_free(img);
        }
        if (!outside_same(&before)) {
                _cleanup_free_ char *now = listing_of(outside);
                fprintf(stderr, "archives: outside changed: %s -> %s\n", before.listing, now);
                CHECK(!"nothing changes outside");
        }
        free(before.listing);
        /* the load scratch space is empty again */
        _cleanup_free_ char *tmp = pc_xasprintf("%s/images/tmp", root);
        CHECK(count_dir(tmp) == 0);
        pc_image_store_close(s);
}

/* ---- limits ---- */

/* A ustar header for one regular file claiming `size` bytes (base-256 size
 * field), followed by no data at all. */
static struct buf huge_entry(int64_t size)
{
        struct buf b = {pc_xcalloc(1, 512 * 3), 512 * 3};
        char *h = b.p;
        strcpy(h, "huge-sparse");
        strcpy(h + 100, "0000644");
        strcpy(h + 108, "0000000");
        strcpy(h + 116, "0000000");
        h[124] = (char)0x80;
        for (int i = 0; i < 8; i++)
                h[135 - i] = (char)((size >> (8 * i)) & 0xff);
        strcpy(h + 136, "14540000000");
        h[156] = '0';
        memcpy(h + 257, "ustar", 6);
        memcpy(h + 263, "00", 2);
        memset(h + 148, ' ', 8);
        unsigned sum = 0;
        for (int i = 0; i < 512; i++)
                sum += (unsigned char)h[i];
        snprintf(h + 148, 8, "%06o", sum);
        return b;
}

static void test_limits(void)
{
        pc_error err;
        _cleanup_free_ char *root = pc_xasprintf("%s/store-limits", tmproot);
        pc_mkdir_p(root, 0700, &err);
        _cleanup_free_ char *cj = pc_xasprintf("%s/config.json", root);
        const char *limits = "{\"images\": {\"maxLayerBytes\": 1048576, \"maxJSONBytes\": 4096}}";
        write_file(cj, limits, strlen(limits));
        pc_image_store *s = NULL;
        int r = pc_image_store_open(root, &s, &err);
        if (r < 0)
                fprintf(stderr, "open store with limits: %s\n", err.msg);
        CHECK(r == 0);
        if (!s)
                return;
        CHECK(s->max_layer_bytes == 1048576 && s->max_json_bytes == 4096);

        /* a gzip bomb: 8 MiB of zeros in one file, a few KiB compressed */
        {
                size_t big = 8 << 20;
                _cleanup_free_ char *zeros = pc_xcalloc(1, big + 1);
                memset(zeros, 'z', big);
                const struct ent e[] = {{'f', "bomb", zeros}};
                struct buf t = make_tar(e, 1);
                char diff[72], d[72];
                sha256_hex(t.p, t.n, diff);
                for (int comp = GZIP; comp <= ZSTD; comp++) {
                        struct buf z = compress_buf(t, comp);
                        CHECK(z.n < 64 << 10);
                        CHECK(pc_blob_put_mem(s, z.p, z.n, NULL, d, &err) == 0);
                        CHECK(pc_layer_unpack(s, d, diff, &err) < 0);
                        CHECK_CONTAINS(err.msg, "expands beyond the 1048576-byte limit");
                        CHECK_CONTAINS(err.msg, "images.maxLayerBytes");
                        CHECK(err.code == EFBIG);
                        CHECK(count_dir(s->layers) == 0);
                        /* import decompresses it on the way in: bounded too */
                        _cleanup_free_ char *zp = pc_xasprintf("%s/bomb.tar.z", tmproot);
                        write_file(zp, z.p, z.n);
                        CHECK(pc_image_import(s, zp, "localhost/bomb:1", &err) < 0);
                        CHECK_CONTAINS(err.msg, "expands beyond the 1048576-byte limit");
                        free(z.p);
                }
                free(t.p);
        }
        /* many empty files: each counts one 4 KiB block (256 fit in 1 MiB) */
        for (int n = 200; n <= 300; n += 100) {
                struct ent *e = pc_xcalloc((size_t)n, sizeof(*e));
                for (int i = 0; i < n; i++)
                        e[i] = (struct ent){'f', pc_xasprintf("empty%d", i), ""};
                struct buf t = make_tar(e, (size_t)n);
                for (int i = 0; i < n; i++)
                        free((char *)e[i].path);
                free(e);
                char d[72], diff[72];
                sha256_hex(t.p, t.n, diff);
                CHECK(pc_blob_put_mem(s, t.p, t.n, NULL, d, &err) == 0);
                int ur = pc_layer_unpack(s, d, diff, &err);
                if (n == 200) {
                        CHECK(ur == 0);
                        _cleanup_free_ char *ld = pc_layer_dir(s, d);
                        pc_rm_rf(ld, &err);
                } else {
                        CHECK(ur < 0);
                        CHECK_CONTAINS(err.msg, "expands beyond the 1048576-byte limit");
                }
                free(t.p);
        }
        /* a huge (sparse) entry: refused from its header, before any data */
        {
                struct buf t = huge_entry(1LL << 40);
                char d[72];
                CHECK(pc_blob_put_mem(s, t.p, t.n, NULL, d, &err) == 0);
                int64_t t0 = 0;
                CHECK(pc_layer_unpack(s, d, d, &err) < 0);
                CHECK_CONTAINS(err.msg, "expands beyond the 1048576-byte limit");
                (void)t0;
                free(t.p);
                /* and with the default limit (64 GiB) too */
                pc_image_store *s2 = NULL;
                _cleanup_free_ char *r2 = pc_xasprintf("%s/store-default", tmproot);
                CHECK(pc_image_store_open(r2, &s2, &err) == 0);
                if (s2) {
                        CHECK(s2->max_layer_bytes == 64LL << 30);
                        CHECK(pc_blob_put_mem(s2, t.p ? t.p : "", 0, NULL, d, &err) == 0);
                        struct buf t2 = huge_entry(1LL << 40);
                        CHECK(pc_blob_put_mem(s2, t2.p, t2.n, NULL, d, &err) == 0);
                        CHECK(pc_layer_unpack(s2, d, d, &err) < 0);
                        CHECK_CONTAINS(err.msg, "expands beyond the 68719476736-byte limit");
                        free(t2.p);
                        pc_image_store_close(s2);
                }
        }
        /* a 1 GiB config (sparse on disk): refused from its size, unread */
        {
                _cleanup_free_ char *dir = pc_xasprintf("%s/docker-bigcfg", tmproot);
                make_docker_dir(dir, "c.json", "l.tar");
                _cleanup_free_ char *cp = pc_xasprintf("%s/c.json", dir);
                CHECK(truncate(cp, 1LL << 30) == 0);
                CHECK(pc_image_load(s, dir, NULL, &err) < 0);
                CHECK_CONTAINS(err.msg, "larger than the 4096-byte limit for image JSON");
                CHECK_CONTAINS(err.msg, "images.maxJSONBytes");
                /* manifest.json itself */
                _cleanup_free_ char *mp = pc_xasprintf("%s/manifest.json", dir);
                CHECK(truncate(mp, 1LL << 30) == 0);
                CHECK(pc_image_load(s, dir, NULL, &err) < 0);
                CHECK_CONTAINS(err.msg, "manifest.json is larger than the 4096-byte limit");
        }
        /* an OCI layout whose config blob is 1 GiB, and an index.json */
        {
                _cleanup_free_ char *dir = pc_xasprintf("%s/oci-bigcfg", tmproot);
                _cleanup_free_ char *blobs = pc_xasprintf("%s/blobs/sha256", dir);
                pc_mkdir_p(blobs, 0755, &err);
                const char *cd =
                    "sha256:1111111111111111111111111111111111111111111111111111111111111111";
                _cleanup_free_ char *cp = pc_xasprintf("%s/%s", blobs, cd + 7);
                write_file(cp, "", 0);
                CHECK(truncate(cp, 1LL << 30) == 0);
                _cleanup_free_ char *man = pc_xasprintf(
                    "{\"schemaVersion\":2,\"config\":{\"digest\":\"%s\",\"size\":1073741824},"
                    "\"layers\":[]}",
                    cd);
                char md[72];
                sha256_hex(man, strlen(man), md);
                _cleanup_free_ char *mp = pc_xasprintf("%s/%s", blobs, md + 7);
                write_file(mp, man, strlen(man));
                _cleanup_free_ char *idx =
                    pc_xasprintf("{\"manifests\":[{\"digest\":\"%s\",\"annotations\":{"
                                 "\"org.opencontainers.image.ref.name\":\"localhost/big:1\"}}]}",
                                 md);
                _cleanup_free_ char *ip = pc_xasprintf("%s/index.json", dir);
                write_file(ip, idx, strlen(idx));
                CHECK(pc_image_load(s, dir, NULL, &err) < 0);
                CHECK_CONTAINS(err.msg, "larger than the 4096-byte limit for image JSON");
                CHECK(truncate(ip, 1LL << 30) == 0);
                CHECK(pc_image_load(s, dir, NULL, &err) < 0);
                CHECK_CONTAINS(err.msg, "index.json is larger than the 4096-byte limit");
        }
        /* nothing of it stayed in the store */
        _cleanup_free_ char *blobs = pc_xasprintf("%s/images/blobs/sha256", root);
        CHECK(count_dir(s->layers) == 0);
        pc_image_store_close(s);

        /* a bad limit is a clear error */
        limits = "{\"images\": {\"maxLayerBytes\": \"64Gi\"}}";
        write_file(cj, limits, strlen(limits));
        CHECK(pc_image_store_open(root, &s, &err) < 0);
        CHECK_CONTAINS(err.msg, "images.maxLayerBytes: not a positive integer");
}

/* ---- setuid files: kept, but out of reach of every non-root user ---- */

/* A layer whose entries hop between two deep directories costs ~120
 * directory lookups an entry: past the work budget (16 an entry + 1M) it is
 * refused and leaves no layer. The same entries grouped by directory, as
 * every tool writes them, unpack. */
static struct buf deep_layer(int n, bool hop)
{
        _cleanup_free_ char *d1 = pc_xstrdup("a");
        _cleanup_free_ char *d2 = pc_xstrdup("b");
        for (int i = 1; i < 120; i++) {
                char *x = pc_xasprintf("%s/a", d1), *y = pc_xasprintf("%s/b", d2);
                free(d1);
                free(d2);
                d1 = x;
                d2 = y;
        }
        struct ent *e = pc_xcalloc((size_t)n, sizeof(*e));
        for (int i = 0; i < n; i++) {
                bool first = hop ? i % 2 == 0 : i < n / 2;
                e[i] = (struct ent){'f', pc_xasprintf("%s/f%d", first ? d1 : d2, i), ""};
        }
        struct buf t = make_tar(e, (size_t)n);
        for (int i = 0; i < n; i++)
                free((char *)e[i].path);
        free(e);
        return t;
}

static void test_lookup_budget(void)
{
        pc_error err;
        _cleanup_free_ char *root = pc_xasprintf("%s/store-budget", tmproot);
        pc_image_store *s = NULL;
        CHECK(pc_image_store_open(root, &s, &err) == 0);
        if (!s)
                return;
        for (int hop = 1; hop >= 0; hop--) {
                struct buf t = deep_layer(hop ? 12000 : 4000, hop);
                char d[72], diff[72];
                sha256_hex(t.p, t.n, diff);
                CHECK(pc_blob_put_mem(s, t.p, t.n, NULL, d, &err) == 0);
                int r = pc_layer_unpack(s, d, diff, &err);
                if (hop) {
                        CHECK(r < 0);
                        CHECK_CONTAINS(err.msg, "refused: its entries hop between directories");
                        CHECK(count_dir(s->layers) == 0);
                } else {
                        CHECK(r == 0);
                        _cleanup_free_ char *ld = pc_layer_dir(s, d);
                        pc_rm_rf(ld, &err);
                }
                free(t.p);
        }
        pc_image_store_close(s);
}

static void test_setuid_unreachable(void)
{
        pc_error err;
        _cleanup_free_ char *root = pc_xasprintf("%s/store-suid", tmproot);
        pc_image_store *s = NULL;
        CHECK(pc_image_store_open(root, &s, &err) == 0);
        if (!s)
                return;
        const struct ent e[] = {{'f', "bin/su", "#!/bin/sh\nid\n", 04755}};
        struct buf t = make_tar(e, 1);
        char d[72];
        CHECK(pc_blob_put_mem(s, t.p, t.n, NULL, d, &err) == 0);
        CHECK(pc_layer_unpack(s, d, d, &err) == 0);
        free(t.p);
        _cleanup_free_ char *rootfs = pc_layer_rootfs(s, d);
        _cleanup_free_ char *su = pc_xasprintf("%s/bin/su", rootfs);
        struct stat st;
        CHECK(stat(su, &st) == 0 && (st.st_mode & 07777) == 04755);
        /* every directory from the state root down to the layer: 0700 */
        _cleanup_free_ char *ldir = pc_layer_dir(s, d);
        const char *dirs[] = {root, s->dir, s->layers, ldir};
        for (size_t i = 0; i < PC_ARRAY_SIZE(dirs); i++)
                CHECK(stat(dirs[i], &st) == 0 && (st.st_mode & 077) == 0 && st.st_uid == 0);
        /* a store made with looser modes is tightened when opened */
        _cleanup_free_ char *imgdir = pc_xstrdup(s->dir);
        pc_image_store_close(s);
        s = NULL;
        CHECK(chmod(imgdir, 0755) == 0);
        CHECK(pc_image_store_open(root, &s, &err) == 0);
        CHECK(stat(imgdir, &st) == 0 && (st.st_mode & 0777) == 0700);
        /* a non-root user can neither see nor run it */
        pid_t pid = fork();
        if (pid == 0) {
                if (setgid(65534) < 0 || setuid(65534) < 0)
                        _exit(2);
                if (stat(su, &st) == 0 || errno != EACCES)
                        _exit(3);
                execl(su, su, (char *)NULL);
                _exit(errno == EACCES ? 0 : 4);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        pc_image_store_close(s);
}

int main(void)
{
        pc_error err;
        if (getuid() != 0) {
                fprintf(stderr, "not root: breakout tests skipped\n");
                UNIT_DONE();
        }
        if (!mkdtemp(tmproot)) {
                perror("mkdtemp");
                return 1;
        }
        /* 0755: the non-root check needs to reach the store's own 0700 */
        chmod(tmproot, 0755);
        outside = pc_xasprintf("%s/outside", tmproot);
        mkdir(outside, 0755);
        _cleanup_free_ char *victim = pc_xasprintf("%s/victim", outside);
        _cleanup_free_ char *perm400 = pc_xasprintf("%s/perm400", outside);
        _cleanup_free_ char *emptied = pc_xasprintf("%s/emptied", outside);
        _cleanup_free_ char *passwd = pc_xasprintf("%s/passwd", outside);
        write_file(victim, "v", 1);
        write_file(emptied, "notempty", 8);
        write_file(passwd, "outside", 7);
        write_file(perm400, "...", 3);
        chmod(perm400, 0400);

        test_breakouts();
        test_archives();
        test_limits();
        test_lookup_budget();
        test_setuid_unreachable();

        if (pc_rm_rf(tmproot, &err) < 0)
                fprintf(stderr, "cleanup: %s\n", err.msg);
        free(outside);
        UNIT_DONE();
}
