/* Image store tests: every format mkimage-busybox writes, import, lookups,
 * removal and GC, digest checks, whiteouts under overlayfs, path traversal. */
#include "image/image.h"
#include "archive_buf.h"
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

struct ent {
        const char *path;
        char type;         /* f d l h c */
        const char *data;  /* content, symlink or hardlink target */
        const char *xattr; /* "name=value" or NULL */
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
                case 'c':
                        archive_entry_set_filetype(ae, AE_IFCHR);
                        archive_entry_set_perm(ae, 0666);
                        archive_entry_set_rdev(ae, makedev(1, 3));
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
                if (e[i].xattr) {
                        const char *eq = strchr(e[i].xattr, '=');
                        _cleanup_free_ char *name = strndup(e[i].xattr, (size_t)(eq - e[i].xattr));
                        archive_entry_xattr_add_entry(ae, name, eq + 1, strlen(eq + 1));
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

static void put_blob(const char *dir, const void *p, size_t n, char digest[72])
{
        pc_error err;
        sha256_hex(p, n, digest);
        _cleanup_free_ char *path = pc_xasprintf("%s/blobs/sha256/%s", dir, digest + 7);
        if (pc_write_file_atomic(path, p, n, 0644, &err) < 0)
                fprintf(stderr, "put_blob: %s\n", err.msg);
}

static bool corrupt_diff_id; /* make_layout writes a wrong diff_id */

/* An OCI layout in dir with the given layer tars, each compressed as
 * comp[i]; index ref name `refname`. docker: Docker schema2 media types and
 * a manifest list (arm64 + amd64) in front of the manifest. */
static void make_layout(const char *dir, struct buf *layers, const int *comp, size_t n,
                        const char *refname, bool docker)
{
        pc_error err;
        _cleanup_free_ char *blobs = pc_xasprintf("%s/blobs/sha256", dir);
        pc_mkdir_p(blobs, 0755, &err);
        json_t *diff_ids = json_array(), *ldescs = json_array();
        for (size_t i = 0; i < n; i++) {
                char diff[72], d[72];
                sha256_hex(layers[i].p, layers[i].n, diff);
                if (corrupt_diff_id)
                        diff[70] = diff[70] == '0' ? '1' : '0';
                json_array_append_new(diff_ids, json_string(diff));
                struct buf z = comp[i] != NONE ? compress_buf(layers[i], comp[i]) : layers[i];
                put_blob(dir, z.p, z.n, d);
                const char *mt = comp[i] == GZIP   ? "application/vnd.oci.image.layer.v1.tar+gzip"
                                 : comp[i] == ZSTD ? "application/vnd.oci.image.layer.v1.tar+zstd"
                                                   : "application/vnd.oci.image.layer.v1.tar";
                if (docker)
                        mt = "application/vnd.docker.image.rootfs.diff.tar.gzip";
                json_array_append_new(ldescs, json_pack("{s:s,s:s,s:I}", "mediaType", mt, "digest",
                                                        d, "size", (json_int_t)z.n));
                if (comp[i] != NONE)
                        free(z.p);
        }
        json_t *cfg = json_pack(
            "{s:s,s:s,s:s,s:{s:[s],s:s,s:s},s:{s:s,s:o}}", "created", "2024-01-02T03:04:05.5+01:00",
            "architecture", "amd64", "os", "linux", "config", "Entrypoint", "/bin/app", "User",
            "1000:1000", "StopSignal", "SIGQUIT", "rootfs", "type", "layers", "diff_ids", diff_ids);
        char *cs = json_dumps(cfg, JSON_COMPACT);
        char cd[72], md[72];
        put_blob(dir, cs, strlen(cs), cd);
        const char *mmt = docker ? "application/vnd.docker.distribution.manifest.v2+json"
                                 : "application/vnd.oci.image.manifest.v1+json";
        json_t *man = json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:o}", "schemaVersion", 2, "mediaType",
                                mmt, "config", "mediaType",
                                docker ? "application/vnd.docker.container.image.v1+json"
                                       : "application/vnd.oci.image.config.v1+json",
                                "digest", cd, "size", (json_int_t)strlen(cs), "layers", ldescs);
        char *ms = json_dumps(man, JSON_COMPACT);
        put_blob(dir, ms, strlen(ms), md);
        size_t top_size = strlen(ms);
        char *ls = NULL;
        json_t *list = NULL;
        if (docker) {
                list = json_pack(
                    "{s:i,s:s,s:[{s:s,s:s,s:i,s:{s:s,s:s}},{s:s,s:s,s:I,s:{s:s,s:s}}]}",
                    "schemaVersion", 2, "mediaType",
                    "application/vnd.docker.distribution.manifest.list.v2+json", "manifests",
                    "mediaType", mmt, "digest",
                    "sha256:00000000000000000000000000000000000000000000000000000000000000ff",
                    "size", 1, "platform", "architecture", "arm64", "os", "linux", "mediaType", mmt,
                    "digest", md, "size", (json_int_t)strlen(ms), "platform", "architecture",
                    "amd64", "os", "linux");
                ls = json_dumps(list, JSON_COMPACT);
                put_blob(dir, ls, strlen(ls), md);
                mmt = "application/vnd.docker.distribution.manifest.list.v2+json";
                top_size = strlen(ls);
        }
        json_t *idx = json_pack("{s:i,s:[{s:s,s:s,s:I,s:{s:s}}]}", "schemaVersion", 2, "manifests",
                                "mediaType", mmt, "digest", md, "size", (json_int_t)top_size,
                                "annotations", "org.opencontainers.image.ref.name", refname);
        char *is = json_dumps(idx, JSON_COMPACT);
        _cleanup_free_ char *ip = pc_xasprintf("%s/index.json", dir);
        _cleanup_free_ char *lp = pc_xasprintf("%s/oci-layout", dir);
        pc_write_file_atomic(ip, is, strlen(is), 0644, &err);
        pc_write_file_atomic(lp, "{\"imageLayoutVersion\":\"1.0.0\"}", 30, 0644, &err);
        free(cs);
        free(ms);
        free(ls);
        free(is);
        json_decref(cfg);
        json_decref(man);
        json_decref(list);
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
            {"a/", 'd', NULL, NULL},     {"a/keep", 'f', "k", NULL},
            {"a/gone", 'f', "g", NULL},  {"o/", 'd', NULL, NULL},
            {"o/lower", 'f', "l", NULL}, {"bin/", 'd', NULL, NULL},
            {"bin/app", 'f', "x", NULL}, {"bin/app2", 'h', "bin/app", NULL},
        };
        const struct ent l2[] = {
            {"a/.wh.gone", 'f', "", NULL},
            {"o/.wh..wh..opq", 'f', "", NULL},
            {"o/upper", 'f', "u", NULL},
        };
        struct buf layers[2] = {make_tar(l1, PC_ARRAY_SIZE(l1)), make_tar(l2, PC_ARRAY_SIZE(l2))};
        int comp[2] = {GZIP, ZSTD};
        _cleanup_free_ char *dir = pc_xasprintf("%s/wh-layout", tmproot);
        make_layout(dir, layers, comp, 2, "latest", false);
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
                const struct ent e[] = {{"ok", 'f', "1", NULL},
                                        {"../evil", 'f', "x", NULL},
                                        {"a/../../evil", 'f', "x", NULL}};
                struct buf l = make_tar(e, PC_ARRAY_SIZE(e));
                int comp = NONE;
                _cleanup_free_ char *dir = pc_xasprintf("%s/trav1", tmproot);
                make_layout(dir, &l, &comp, 1, "localhost/t1:1", false);
                free(l.p);
                CHECK(pc_image_load(s, dir, NULL, &err) < 0);
                CHECK_CONTAINS(err.msg, "..");
        }
        /* 2. absolute paths land inside the layer */
        {
                const struct ent e[] = {{"/abs-evil", 'f', "x", NULL}, {"/etc/x", 'f', "y", NULL}};
                struct buf l = make_tar(e, PC_ARRAY_SIZE(e));
                int comp = GZIP;
                _cleanup_free_ char *dir = pc_xasprintf("%s/trav2", tmproot);
                make_layout(dir, &l, &comp, 1, "localhost/t2:1", false);
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
                const struct ent e[] = {{"link", 'l', outside, NULL},
                                        {"link/pwned", 'f', "x", NULL}};
                struct buf l = make_tar(e, PC_ARRAY_SIZE(e));
                int comp = NONE;
                _cleanup_free_ char *dir = pc_xasprintf("%s/trav3", tmproot);
                make_layout(dir, &l, &comp, 1, "localhost/t3:1", false);
                free(l.p);
                CHECK(pc_image_load(s, dir, NULL, &err) < 0);
                CHECK_CONTAINS(err.msg, "symlink");
                CHECK(!exists("%s/pwned%s", outside, ""));
        }
        /* 4. a whiteout through a symlink */
        {
                const struct ent e[] = {{"link", 'l', outside, NULL},
                                        {"link/.wh.pwned", 'f', "", NULL}};
                struct buf l = make_tar(e, PC_ARRAY_SIZE(e));
                int comp = NONE;
                _cleanup_free_ char *dir = pc_xasprintf("%s/trav4", tmproot);
                make_layout(dir, &l, &comp, 1, "localhost/t4:1", false);
                free(l.p);
                CHECK(pc_image_load(s, dir, NULL, &err) < 0);
                CHECK_CONTAINS(err.msg, "symlink");
                CHECK(!exists("%s/pwned%s", outside, ""));
        }
        /* 5. a hard link through a symlink to a file outside */
        {
                _cleanup_free_ char *victim = pc_xasprintf("%s/victim", outside);
                CHECK(pc_write_file_atomic(victim, "v", 1, 0644, &err) == 0);
                const struct ent e[] = {{"link", 'l', outside, NULL},
                                        {"h", 'h', "link/victim", NULL},
                                        {"h2", 'f', "overwritten", NULL},
                                        {"h2", 'h', "link/victim", NULL}};
                struct buf l = make_tar(e, PC_ARRAY_SIZE(e));
                int comp = NONE;
                _cleanup_free_ char *dir = pc_xasprintf("%s/trav5", tmproot);
                make_layout(dir, &l, &comp, 1, "localhost/t5:1", false);
                free(l.p);
                CHECK(pc_image_load(s, dir, NULL, &err) < 0);
                CHECK_CONTAINS(err.msg, "symlink");
                struct stat st;
                CHECK(stat(victim, &st) == 0 && st.st_nlink == 1 && st.st_size == 1);
        }
        found_evil = false;
        nftw(tmproot, find_evil, 16, FTW_PHYS);
        CHECK(!found_evil);
        _cleanup_free_ char *layers = pc_xasprintf("%s/images/layers/sha256", root);
        CHECK(count_entries(layers) == 1); /* only t2; no temp dirs left */
        pc_image_store_close(s);
}

static void test_misc(void)
{
        pc_error err;
        const struct ent l1[] = {
            {"dev/", 'd', NULL, NULL},
            {"dev/null", 'c', NULL, NULL},
            {"etc/", 'd', NULL, NULL},
            {"etc/conf", 'f', "c", "user.test=hello"},
            {"etc/sneaky", 'f', "s", "trusted.overlay.redirect=/etc"},
        };
        struct buf l = make_tar(l1, PC_ARRAY_SIZE(l1));
        int comp = GZIP;
        _cleanup_free_ char *dir = pc_xasprintf("%s/docker-layout", tmproot);
        make_layout(dir, &l, &comp, 1, "localhost/dk:3", true);
        _cleanup_free_ char *root = pc_xasprintf("%s/store-misc", tmproot);
        pc_image_store *s = NULL;
        CHECK(pc_image_store_open(root, &s, &err) == 0);
        if (!s) {
                free(l.p);
                return;
        }
        char **names = NULL;
        int r = pc_image_load(s, dir, &names, &err);
        if (r < 0)
                fprintf(stderr, "load docker-style layout: %s\n", err.msg);
        CHECK(r == 0);
        if (names)
                CHECK_STR(names[0], "localhost/dk:3");
        pc_strv_free(names);
        struct pc_image *img = NULL;
        CHECK(pc_image_get(s, "localhost/dk:3", &img, &err) == 0);
        if (img) {
                struct stat st;
                _cleanup_free_ char *dn = pc_xasprintf("%s/dev/null", img->layer_dirs[0]);
                /* device nodes are skipped (only 0:0 whiteouts are kept) */
                CHECK(lstat(dn, &st) < 0 && errno == ENOENT);
                _cleanup_free_ char *cf = pc_xasprintf("%s/etc/conf", img->layer_dirs[0]);
                char v[16] = {0};
                CHECK(lgetxattr(cf, "user.test", v, sizeof(v)) == 5 && !strcmp(v, "hello"));
                _cleanup_free_ char *sn = pc_xasprintf("%s/etc/sneaky", img->layer_dirs[0]);
                CHECK(exists("%s", sn));
                CHECK(lgetxattr(sn, "trusted.overlay.redirect", v, sizeof(v)) < 0);

                /* stale temp entries (an unpack or load killed midway) */
                _cleanup_free_ char *stale1 =
                    pc_xasprintf("%s/images/layers/sha256/.tmp-0123-XXXXXX", root);
                _cleanup_free_ char *stale2 =
                    pc_xasprintf("%s/images/blobs/sha256/.tmp-XXXXXX", root);
                CHECK(mkdtemp(stale1) != NULL);
                int fd = mkstemp(stale2);
                CHECK(fd >= 0);
                if (fd >= 0)
                        close(fd);

                /* concurrent unpacks of the same layer */
                _cleanup_free_ char *ldir = pc_xasprintf("%s/..", img->layer_dirs[0]);
                CHECK(pc_rm_rf(ldir, &err) == 0);
                pid_t kids[4];
                for (int i = 0; i < 4; i++) {
                        kids[i] = fork();
                        if (kids[i] == 0) {
                                pc_image_store *cs = NULL;
                                struct pc_image *ci = NULL;
                                pc_error cerr;
                                if (pc_image_store_open(root, &cs, &cerr) < 0 ||
                                    pc_image_get(cs, "localhost/dk:3", &ci, &cerr) < 0)
                                        _exit(1);
                                pc_image_free(ci);
                                pc_image_store_close(cs);
                                _exit(0);
                        }
                }
                int ok = 0;
                for (int i = 0; i < 4; i++) {
                        int st2 = 0;
                        if (kids[i] > 0 && waitpid(kids[i], &st2, 0) == kids[i] && WIFEXITED(st2) &&
                            WEXITSTATUS(st2) == 0)
                                ok++;
                }
                CHECK(ok == 4);
                CHECK(exists("%s", cf));
                CHECK(exists("%s", stale1)); /* readers leave temp entries alone */
                /* a writer cleans them up */
                CHECK(pc_image_load(s, dir, NULL, &err) == 0);
                CHECK(!exists("%s", stale1));
                CHECK(!exists("%s", stale2));
                CHECK(exists("%s", cf));
        }
        pc_image_free(img);

        /* wrong diff_id in the config */
        corrupt_diff_id = true;
        _cleanup_free_ char *bad = pc_xasprintf("%s/baddiff-layout", tmproot);
        comp = ZSTD;
        make_layout(bad, &l, &comp, 1, "localhost/baddiff:1", false);
        corrupt_diff_id = false;
        CHECK(pc_image_load(s, bad, NULL, &err) < 0);
        CHECK_CONTAINS(err.msg, "diff_id mismatch");
        struct pc_image **list = NULL;
        size_t n = 0;
        CHECK(pc_image_list(s, &list, &n, &err) == 0 && n == 1);
        for (size_t i = 0; i < n; i++)
                pc_image_free(list[i]);
        free(list);
        _cleanup_free_ char *layers = pc_xasprintf("%s/images/layers/sha256", root);
        CHECK(count_entries(layers) == 1);
        free(l.p);
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
                test_misc();
        } else {
                SKIP("store tests: not root");
        }

        if (pc_rm_rf(tmproot, &err) < 0)
                fprintf(stderr, "cleanup: %s\n", err.msg);
        CHECK(access(tmproot, F_OK) != 0);
        UNIT_DONE();
}
