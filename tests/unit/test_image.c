/* Image store tests: every format mkimage-busybox writes, import, lookups,
 * removal and GC, digest checks, whiteouts under overlayfs, path traversal. */
#include "image/image.h"
#include "unit.h"
#include "util/util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static char tmproot[] = "/tmp/podctl-test-image-XXXXXX";

static bool exists_free(char *p)
{
        struct stat st;
        bool r = lstat(p, &st) == 0;
        free(p);
        return r;
}
#define exists(...) exists_free(pc_xasprintf(__VA_ARGS__))

static size_t count_entries(const char *dir)
{
        DIR *d = opendir(dir);
        size_t n = 0;
        struct dirent *de;
        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

static int run(const char *cmd)
{
        int st = system(cmd);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- building OCI layouts by hand ---- */

struct buf {
        char *p;
        size_t n;
};

static la_ssize_t buf_write(struct archive *a, void *c, const void *data, size_t n)
{
        struct buf *b = c;
        b->p = pc_xrealloc(b->p, b->n + n);
        memcpy(b->p + b->n, data, n);
        b->n += n;
        return (la_ssize_t)n;
}

struct ent {
        const char *path;
        char type;        /* f d l h */
        const char *data; /* content, symlink or hardlink target */
};

static struct buf make_tar(const struct ent *e, size_t n)
{
        struct buf b = {0};
        struct archive *a = archive_write_new();
        archive_write_set_format_pax_restricted(a);
        archive_write_open(a, &b, NULL, buf_write, NULL);
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *ae = archive_entry_new();
                archive_entry_set_pathname(ae, e[i].path);
                archive_entry_set_uid(ae, 0);
                archive_entry_set_gid(ae, 0);
                archive_entry_set_mtime(ae, 1700000000, 0);
                switch (e[i].type) {
                case 'd':
                        archive_entry_set_filetype(ae, AE_IFDIR);
                        archive_entry_set_perm(ae, 0755);
                        break;
                case 'l':
                        archive_entry_set_filetype(ae, AE_IFLNK);
                        archive_entry_set_perm(ae, 0777);
                        archive_entry_set_symlink(ae, e[i].data);
                        break;
                case 'h':
                        archive_entry_set_filetype(ae, AE_IFREG);
                        archive_entry_set_perm(ae, 0644);
                        archive_entry_set_hardlink(ae, e[i].data);
                        break;
                default:
                        archive_entry_set_filetype(ae, AE_IFREG);
                        archive_entry_set_perm(ae, 0644);
                        archive_entry_set_size(ae, (la_int64_t)strlen(e[i].data));
                }
                archive_write_header(a, ae);
                if (e[i].type == 'f')
                        archive_write_data(a, e[i].data, strlen(e[i].data));
                archive_entry_free(ae);
        }
        archive_write_close(a);
        archive_write_free(a);
        return b;
}

static struct buf gzip_buf(struct buf in)
{
        struct buf b = {0};
        struct archive *a = archive_write_new();
        archive_write_set_format_raw(a);
        archive_write_add_filter_gzip(a);
        archive_write_open(a, &b, NULL, buf_write, NULL);
        struct archive_entry *ae = archive_entry_new();
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_pathname(ae, "data");
        archive_write_header(a, ae);
        archive_write_data(a, in.p, in.n);
        archive_entry_free(ae);
        archive_write_close(a);
        archive_write_free(a);
        return b;
}

static void sha256_hex(const void *p, size_t n, char out[72])
{
        unsigned char md[32];
        unsigned int len = 0;
        EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
        strcpy(out, "sha256:");
        for (int i = 0; i < 32; i++)
                snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

static void put_blob(const char *dir, const void *p, size_t n, char digest[72])
{
        pc_error err;
        sha256_hex(p, n, digest);
        _cleanup_free_ char *path = pc_xasprintf("%s/blobs/sha256/%s", dir, digest + 7);
        if (pc_write_file_atomic(path, p, n, 0644, &err) < 0)
                fprintf(stderr, "put_blob: %s\n", err.msg);
}

/* An OCI layout in dir with the given layer tars (gzip-compressed when
 * gz[i]); index ref name `refname`. */
static void make_layout(const char *dir, struct buf *layers, const bool *gz, size_t n,
                        const char *refname)
{
        pc_error err;
        _cleanup_free_ char *blobs = pc_xasprintf("%s/blobs/sha256", dir);
        pc_mkdir_p(blobs, 0755, &err);
        json_t *diff_ids = json_array(), *ldescs = json_array();
        for (size_t i = 0; i < n; i++) {
                char diff[72], d[72];
                sha256_hex(layers[i].p, layers[i].n, diff);
                json_array_append_new(diff_ids, json_string(diff));
                struct buf z = gz[i] ? gzip_buf(layers[i]) : layers[i];
                put_blob(dir, z.p, z.n, d);
                json_array_append_new(
                    ldescs, json_pack("{s:s,s:s,s:I}", "mediaType",
                                      gz[i] ? "application/vnd.oci.image.layer.v1.tar+gzip"
                                            : "application/vnd.oci.image.layer.v1.tar",
                                      "digest", d, "size", (json_int_t)z.n));
                if (gz[i])
                        free(z.p);
        }
        json_t *cfg = json_pack(
            "{s:s,s:s,s:s,s:{s:[s],s:s,s:s},s:{s:s,s:o}}", "created", "2024-01-02T03:04:05.5+01:00",
            "architecture", "amd64", "os", "linux", "config", "Entrypoint", "/bin/app", "User",
            "1000:1000", "StopSignal", "SIGQUIT", "rootfs", "type", "layers", "diff_ids", diff_ids);
        char *cs = json_dumps(cfg, JSON_COMPACT);
        char cd[72], md[72];
        put_blob(dir, cs, strlen(cs), cd);
        json_t *man = json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:o}", "schemaVersion", 2, "mediaType",
                                "application/vnd.oci.image.manifest.v1+json", "config", "mediaType",
                                "application/vnd.oci.image.config.v1+json", "digest", cd, "size",
                                (json_int_t)strlen(cs), "layers", ldescs);
        char *ms = json_dumps(man, JSON_COMPACT);
        put_blob(dir, ms, strlen(ms), md);
        json_t *idx = json_pack("{s:i,s:[{s:s,s:s,s:I,s:{s:s}}]}", "schemaVersion", 2, "manifests",
                                "mediaType", "application/vnd.oci.image.manifest.v1+json", "digest",
                                md, "size", (json_int_t)strlen(ms), "annotations",
                                "org.opencontainers.image.ref.name", refname);
        char *is = json_dumps(idx, JSON_COMPACT);
        _cleanup_free_ char *ip = pc_xasprintf("%s/index.json", dir);
        _cleanup_free_ char *lp = pc_xasprintf("%s/oci-layout", dir);
        pc_write_file_atomic(ip, is, strlen(is), 0644, &err);
        pc_write_file_atomic(lp, "{\"imageLayoutVersion\":\"1.0.0\"}", 30, 0644, &err);
        free(cs);
        free(ms);
        free(is);
        json_decref(cfg);
        json_decref(man);
        json_decref(idx);
}

/* ---- tests ---- */

static void test_normalize(void)
{
        static const char *cases[][2] = {
            {"busybox", "docker.io/library/busybox:latest"},
            {"busybox:1.36", "docker.io/library/busybox:1.36"},
            {"library/busybox", "docker.io/library/busybox:latest"},
            {"docker.io/busybox", "docker.io/library/busybox:latest"},
            {"index.docker.io/library/busybox:1", "docker.io/library/busybox:1"},
            {"user/app:v1", "docker.io/user/app:v1"},
            {"localhost/x:1", "localhost/x:1"},
            {"localhost/x", "localhost/x:latest"},
            {"reg:5000/a/b:t", "reg:5000/a/b:t"},
            {"quay.io/a/b-c_d.e", "quay.io/a/b-c_d.e:latest"},
            {"busybox@sha256:"
             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
             "docker.io/library/busybox@sha256:"
             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
        };
        for (size_t i = 0; i < PC_ARRAY_SIZE(cases); i++) {
                char *n = pc_image_normalize(cases[i][0]);
                CHECK_STR(n, cases[i][1]);
                free(n);
        }
        static const char *bad[] = {"",   "Busybox", "a:",      ":t",   "a//b", "a@sha256:12",
                                    "-a", "a/../b",  "reg:x/a", "a:b c"};
        for (size_t i = 0; i < PC_ARRAY_SIZE(bad); i++) {
                char *n = pc_image_normalize(bad[i]);
                if (n)
                        fprintf(stderr, "normalize(\"%s\") = \"%s\"\n", bad[i], n);
                CHECK(n == NULL);
                free(n);
        }
}

static void check_busybox(pc_image_store *s, const char *ref)
{
        pc_error err;
        struct pc_image *img = NULL;
        int r = pc_image_get(s, ref, &img, &err);
        if (r < 0)
                fprintf(stderr, "get %s: %s\n", ref, err.msg);
        CHECK(r == 0);
        if (!img)
                return;
        CHECK_STR(img->ref, "docker.io/library/busybox:latest");
        CHECK(img->n_layers == 1);
        CHECK(img->layer_dirs && img->layer_dirs[0] && !img->layer_dirs[1]);
        if (img->n_layers >= 1) {
                CHECK(exists("%s/bin/busybox%s", img->layer_dirs[0], ""));
                CHECK(exists("%s/bin/sh%s", img->layer_dirs[0], ""));
                CHECK(exists("%s/etc/passwd%s", img->layer_dirs[0], ""));
                struct stat st;
                _cleanup_free_ char *t = pc_xasprintf("%s/tmp", img->layer_dirs[0]);
                CHECK(stat(t, &st) == 0 && (st.st_mode & 07777) == 01777);
        }
        CHECK(img->cmd && img->cmd[0] && !strcmp(img->cmd[0], "sh") && !img->cmd[1]);
        CHECK(img->entrypoint == NULL || img->entrypoint[0] == NULL);
        CHECK(img->env && img->env[0] &&
              !strcmp(img->env[0], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                                   "/sbin:/bin"));
        CHECK(img->size > 100000);
        CHECK(img->created > 0);
        CHECK(img->config_digest && strlen(img->config_digest) == 71);
        pc_image_free(img);
}

static void test_formats(const char *data)
{
        pc_error err;
        _cleanup_free_ char *oci = pc_xasprintf("%s/bb-oci", data);
        _cleanup_free_ char *ociar = pc_xasprintf("%s/bb-oci.tar", data);
        _cleanup_free_ char *dock = pc_xasprintf("%s/bb-docker.tar", data);
        _cleanup_free_ char *rootfs = pc_xasprintf("%s/bb-rootfs.tar", data);
        const char *kinds[] = {"oci", "oci-archive", "docker-archive", "rootfs"};
        const char *outs[] = {oci, ociar, dock, rootfs};
        for (int i = 0; i < 4; i++) {
                _cleanup_free_ char *cmd =
                    pc_xasprintf("scripts/mkimage-busybox %s %s >/dev/null", kinds[i], outs[i]);
                int rc = run(cmd);
                if (rc != 0)
                        fprintf(stderr, "%s: exit %d\n", cmd, rc);
                CHECK(rc == 0);
        }
        const char *inputs[] = {oci, ociar, dock};
        for (int i = 0; i < 3; i++) {
                _cleanup_free_ char *root = pc_xasprintf("%s/store-%s", tmproot, kinds[i]);
                pc_image_store *s = NULL;
                CHECK(pc_image_store_open(root, &s, &err) == 0);
                if (!s)
                        continue;
                char **names = NULL;
                int r = pc_image_load(s, inputs[i], &names, &err);
                if (r < 0)
                        fprintf(stderr, "load %s: %s\n", inputs[i], err.msg);
                CHECK(r == 0);
                CHECK(names && names[0] && !names[1]);
                if (names && names[0])
                        CHECK_STR(names[0], "docker.io/library/busybox:latest");
                pc_strv_free(names);
                check_busybox(s, "busybox");
                /* loading again is harmless */
                CHECK(pc_image_load(s, inputs[i], NULL, &err) == 0);
                CHECK(pc_image_load_named(s, inputs[i], "localhost/mine", &names, &err) == 0);
                if (names && names[0])
                        CHECK_STR(names[0], "localhost/mine:latest");
                pc_strv_free(names);
                names = NULL;
                struct pc_image **list = NULL;
                size_t n = 0;
                CHECK(pc_image_list(s, &list, &n, &err) == 0);
                CHECK(n == 2);
                if (n == 2) {
                        CHECK_STR(list[0]->ref, "docker.io/library/busybox:latest");
                        CHECK_STR(list[1]->ref, "localhost/mine:latest");
                        CHECK_STR(list[0]->config_digest, list[1]->config_digest);
                }
                for (size_t k = 0; k < n; k++)
                        pc_image_free(list[k]);
                free(list);
                CHECK(pc_image_remove(s, "localhost/mine", &err) == 0);
                check_busybox(s, "docker.io/library/busybox:latest");
                /* the tar extraction scratch space is gone */
                _cleanup_free_ char *tmpd = pc_xasprintf("%s/images/tmp", root);
                CHECK(count_entries(tmpd) == 0);
                pc_image_store_close(s);
        }

        /* import + lookups + remove/GC, in the OCI store */
        _cleanup_free_ char *root = pc_xasprintf("%s/store-oci", tmproot);
        pc_image_store *s = NULL;
        CHECK(pc_image_store_open(root, &s, &err) == 0);
        if (!s)
                return;
        int r = pc_image_import(s, rootfs, "localhost/bb:1", &err);
        if (r < 0)
                fprintf(stderr, "import: %s\n", err.msg);
        CHECK(r == 0);
        struct pc_image *img = NULL;
        CHECK(pc_image_get(s, "localhost/bb:1", &img, &err) == 0);
        if (img) {
                CHECK(img->n_layers == 1);
                CHECK(exists("%s/bin/busybox%s", img->layer_dirs[0], ""));
                CHECK(img->created > 0);
                CHECK(img->cmd == NULL || img->cmd[0] == NULL);
                /* by ID prefix, by full ID, by name@manifest digest */
                char prefix[13];
                snprintf(prefix, sizeof(prefix), "%s", img->config_digest + 7);
                struct pc_image *b = NULL;
                CHECK(pc_image_get(s, prefix, &b, &err) == 0);
                if (b)
                        CHECK_STR(b->ref, "localhost/bb:1");
                pc_image_free(b);
                b = NULL;
                CHECK(pc_image_get(s, img->config_digest, &b, &err) == 0);
                pc_image_free(b);
                b = NULL;
                _cleanup_free_ char *bydig = pc_xasprintf("localhost/bb@%s", img->manifest_digest);
                CHECK(pc_image_get(s, bydig, &b, &err) == 0);
                if (b)
                        CHECK_STR(b->ref, "localhost/bb:1");
                pc_image_free(b);
                b = NULL;
                prefix[8] = '\0';
                CHECK(pc_image_get(s, prefix, &b, &err) < 0); /* too short to be an ID */
        }
        struct pc_image *none = NULL;
        CHECK(pc_image_get(s, "nosuch:1", &none, &err) < 0);
        CHECK_STR(
            err.msg,
            "image \"nosuch:1\" not found in the local store (load it with podctl image load)");
        CHECK(pc_image_remove(s, "nosuch:1", &err) < 0);

        struct pc_image *bb = NULL;
        CHECK(pc_image_get(s, "busybox", &bb, &err) == 0);
        if (img && bb) {
                _cleanup_free_ char *blobs = pc_xasprintf("%s/images/blobs/sha256", root);
                _cleanup_free_ char *layers = pc_xasprintf("%s/images/layers/sha256", root);
                CHECK(exists("%s/%s", blobs, img->config_digest + 7));
                CHECK(pc_image_remove(s, "localhost/bb:1", &err) == 0);
                CHECK(!exists("%s/%s", blobs, img->config_digest + 7));
                CHECK(!exists("%s/%s", blobs, img->manifest_digest + 7));
                CHECK(!exists("%s%s", img->layer_dirs[0], ""));
                CHECK(exists("%s%s", bb->layer_dirs[0], "/bin/busybox"));
                CHECK(exists("%s/%s", blobs, bb->config_digest + 7));
                CHECK(count_entries(layers) == 1);
                CHECK(count_entries(blobs) == 3);
                /* remove by ID */
                char id[20];
                snprintf(id, sizeof(id), "%.12s", bb->config_digest + 7);
                CHECK(pc_image_remove(s, id, &err) == 0);
                CHECK(count_entries(blobs) == 0);
                CHECK(count_entries(layers) == 0);
                struct pc_image **list = NULL;
                size_t n = 9;
                CHECK(pc_image_list(s, &list, &n, &err) == 0 && n == 0);
                free(list);
        }
        pc_image_free(bb);
        pc_image_free(img);
        pc_image_store_close(s);

        /* corrupted blob: flip a byte of the layer */
        _cleanup_free_ char *bad = pc_xasprintf("%s/bb-bad", data);
        _cleanup_free_ char *cmd =
            pc_xasprintf("cp -a %s %s && f=$(ls -S %s/blobs/sha256/* | head -1) && "
                         "printf '\\x00' | dd of=$f bs=1 seek=1000 conv=notrunc status=none",
                         oci, bad, bad);
        CHECK(run(cmd) == 0);
        _cleanup_free_ char *root2 = pc_xasprintf("%s/store-bad", tmproot);
        CHECK(pc_image_store_open(root2, &s, &err) == 0);
        if (s) {
                CHECK(pc_image_load(s, bad, NULL, &err) < 0);
                CHECK_CONTAINS(err.msg, "digest mismatch");
                _cleanup_free_ char *blobs = pc_xasprintf("%s/images/blobs/sha256", root2);
                _cleanup_free_ char *layers = pc_xasprintf("%s/images/layers/sha256", root2);
                CHECK(count_entries(blobs) == 0);
                CHECK(count_entries(layers) == 0);
                CHECK(pc_image_get(s, "busybox", &img, &err) < 0);
                pc_image_store_close(s);
        }
}

static int overlay_child(const char *l1, const char *l2, const char *mnt)
{
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return 100;
        _cleanup_free_ char *opts = pc_xasprintf("lowerdir=%s:%s", l2, l1);
        if (mount("overlay", mnt, "overlay", MS_RDONLY, opts) < 0)
                return 101;
        int bad = 0;
        struct stat st;
        _cleanup_free_ char *keep = pc_xasprintf("%s/a/keep", mnt);
        _cleanup_free_ char *gone = pc_xasprintf("%s/a/gone", mnt);
        _cleanup_free_ char *lower = pc_xasprintf("%s/o/lower", mnt);
        _cleanup_free_ char *upper = pc_xasprintf("%s/o/upper", mnt);
        if (stat(keep, &st) != 0)
                bad |= 1;
        if (lstat(gone, &st) == 0 || errno != ENOENT)
                bad |= 2;
        if (lstat(lower, &st) == 0 || errno != ENOENT)
                bad |= 4;
        if (stat(upper, &st) != 0)
                bad |= 8;
        umount2(mnt, MNT_DETACH);
        return bad;
}

static void test_whiteouts(void)
{
        pc_error err;
        const struct ent l1[] = {
            {"a/", 'd', NULL},     {"a/keep", 'f', "k"},         {"a/gone", 'f', "g"},
            {"o/", 'd', NULL},     {"o/lower", 'f', "l"},        {"bin/", 'd', NULL},
            {"bin/app", 'f', "x"}, {"bin/app2", 'h', "bin/app"},
        };
        const struct ent l2[] = {
            {"a/.wh.gone", 'f', ""},
            {"o/.wh..wh..opq", 'f', ""},
            {"o/upper", 'f', "u"},
        };
        struct buf layers[2] = {make_tar(l1, PC_ARRAY_SIZE(l1)), make_tar(l2, PC_ARRAY_SIZE(l2))};
        bool gz[2] = {true, false};
        _cleanup_free_ char *dir = pc_xasprintf("%s/wh-layout", tmproot);
        make_layout(dir, layers, gz, 2, "latest");
        free(layers[0].p);
        free(layers[1].p);

        _cleanup_free_ char *root = pc_xasprintf("%s/store-wh", tmproot);
        pc_image_store *s = NULL;
        CHECK(pc_image_store_open(root, &s, &err) == 0);
        if (!s)
                return;
        /* a bare tag needs a name */
        CHECK(pc_image_load(s, dir, NULL, &err) < 0);
        CHECK_CONTAINS(err.msg, "--name");
        char **names = NULL;
        int r = pc_image_load_named(s, dir, "localhost/wh", &names, &err);
        if (r < 0)
                fprintf(stderr, "load wh: %s\n", err.msg);
        CHECK(r == 0);
        if (names)
                CHECK_STR(names[0], "localhost/wh:latest");
        pc_strv_free(names);
        struct pc_image *img = NULL;
        CHECK(pc_image_get(s, "localhost/wh", &img, &err) == 0);
        if (img && img->n_layers == 2) {
                CHECK(img->entrypoint && !strcmp(img->entrypoint[0], "/bin/app"));
                CHECK_STR(img->user, "1000:1000");
                CHECK_STR(img->stop_signal, "SIGQUIT");
                CHECK(img->created == 1704161045500000000LL); /* 02:04:05.5Z */
                struct stat st, st2;
                _cleanup_free_ char *wh = pc_xasprintf("%s/a/gone", img->layer_dirs[1]);
                CHECK(lstat(wh, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
                _cleanup_free_ char *o = pc_xasprintf("%s/o", img->layer_dirs[1]);
                char v[8] = {0};
                CHECK(lgetxattr(o, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y');
                CHECK(!exists("%s/o/.wh..wh..opq%s", img->layer_dirs[1], ""));
                CHECK(!exists("%s/a/.wh.gone%s", img->layer_dirs[1], ""));
                _cleanup_free_ char *h1 = pc_xasprintf("%s/bin/app", img->layer_dirs[0]);
                _cleanup_free_ char *h2 = pc_xasprintf("%s/bin/app2", img->layer_dirs[0]);
                CHECK(stat(h1, &st) == 0 && stat(h2, &st2) == 0 && st.st_ino == st2.st_ino);
                CHECK(st.st_mtime == 1700000000);

                _cleanup_free_ char *mnt = pc_xasprintf("%s/mnt", tmproot);
                mkdir(mnt, 0755);
                pid_t pid = fork();
                if (pid == 0)
                        _exit(overlay_child(img->layer_dirs[0], img->layer_dirs[1], mnt));
                int status = 0;
                waitpid(pid, &status, 0);
                int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                if (code != 0)
                        fprintf(stderr, "overlay check: code %d\n", code);
                CHECK(code == 0);
        } else {
                CHECK(!"two-layer image");
        }
        pc_image_free(img);
        pc_image_store_close(s);
}

static bool found_evil;
static int find_evil(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
        const char *b = p + ftw->base;
        if (!strcmp(b, "evil") || !strcmp(b, "pwned"))
                found_evil = true;
        return 0;
}

static void test_traversal(void)
{
        pc_error err;
        _cleanup_free_ char *outside = pc_xasprintf("%s/outside", tmproot);
        mkdir(outside, 0755);
        _cleanup_free_ char *root = pc_xasprintf("%s/store-trav", tmproot);
        pc_image_store *s = NULL;
        CHECK(pc_image_store_open(root, &s, &err) == 0);
        if (!s)
                return;
        /* 1. ".." is refused */
        {
                const struct ent e[] = {
                    {"ok", 'f', "1"}, {"../evil", 'f', "x"}, {"a/../../evil", 'f', "x"}};
                struct buf l = make_tar(e, PC_ARRAY_SIZE(e));
                bool gz = false;
                _cleanup_free_ char *dir = pc_xasprintf("%s/trav1", tmproot);
                make_layout(dir, &l, &gz, 1, "localhost/t1:1");
                free(l.p);
                CHECK(pc_image_load(s, dir, NULL, &err) < 0);
                CHECK_CONTAINS(err.msg, "..");
        }
        /* 2. absolute paths land inside the layer */
        {
                const struct ent e[] = {{"/abs-evil", 'f', "x"}, {"/etc/x", 'f', "y"}};
                struct buf l = make_tar(e, PC_ARRAY_SIZE(e));
                bool gz = true;
                _cleanup_free_ char *dir = pc_xasprintf("%s/trav2", tmproot);
                make_layout(dir, &l, &gz, 1, "localhost/t2:1");
                free(l.p);
                CHECK(pc_image_load(s, dir, NULL, &err) == 0);
                struct pc_image *img = NULL;
                CHECK(pc_image_get(s, "localhost/t2:1", &img, &err) == 0);
                if (img) {
                        CHECK(exists("%s/abs-evil%s", img->layer_dirs[0], ""));
                        CHECK(exists("%s/etc/x%s", img->layer_dirs[0], ""));
                }
                pc_image_free(img);
                CHECK(access("/abs-evil", F_OK) != 0);
        }
        /* 3. no writing through a symlink */
        {
                const struct ent e[] = {{"link", 'l', outside}, {"link/pwned", 'f', "x"}};
                struct buf l = make_tar(e, PC_ARRAY_SIZE(e));
                bool gz = false;
                _cleanup_free_ char *dir = pc_xasprintf("%s/trav3", tmproot);
                make_layout(dir, &l, &gz, 1, "localhost/t3:1");
                free(l.p);
                CHECK(pc_image_load(s, dir, NULL, &err) < 0);
                CHECK_CONTAINS(err.msg, "symlink");
                CHECK(!exists("%s/pwned%s", outside, ""));
        }
        /* 4. a whiteout through a symlink */
        {
                const struct ent e[] = {{"link", 'l', outside}, {"link/.wh.pwned", 'f', ""}};
                struct buf l = make_tar(e, PC_ARRAY_SIZE(e));
                bool gz = false;
                _cleanup_free_ char *dir = pc_xasprintf("%s/trav4", tmproot);
                make_layout(dir, &l, &gz, 1, "localhost/t4:1");
                free(l.p);
                CHECK(pc_image_load(s, dir, NULL, &err) < 0);
                CHECK_CONTAINS(err.msg, "symlink");
                CHECK(!exists("%s/pwned%s", outside, ""));
        }
        found_evil = false;
        nftw(tmproot, find_evil, 16, FTW_PHYS);
        CHECK(!found_evil);
        _cleanup_free_ char *layers = pc_xasprintf("%s/images/layers/sha256", root);
        CHECK(count_entries(layers) == 1); /* only t2; no temp dirs left */
        pc_image_store_close(s);
}

int main(void)
{
        pc_error err;
        if (!mkdtemp(tmproot)) {
                perror("mkdtemp");
                return 1;
        }
        _cleanup_free_ char *data = pc_xasprintf("%s/data", tmproot);
        mkdir(data, 0755);

        test_normalize();
        if (getuid() == 0) {
                test_formats(data);
                test_whiteouts();
                test_traversal();
        } else {
                fprintf(stderr, "not root: store tests skipped\n");
        }

        if (pc_rm_rf(tmproot, &err) < 0)
                fprintf(stderr, "cleanup: %s\n", err.msg);
        CHECK(access(tmproot, F_OK) != 0);
        UNIT_DONE();
}
