#include "runtime/user.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/fsroot.h"
#include "util/util.h"

static bool parse_id(const char *s, unsigned long *out)
{
        if (!*s)
                return false;
        for (const char *p = s; *p; p++)
                if (*p < '0' || *p > '9')
                        return false;
        errno = 0;
        unsigned long v = strtoul(s, NULL, 10);
        if (errno || v > 0xfffffffeUL)
                return false;
        *out = v;
        return true;
}

/* Split line into at most n ':'-separated fields (in place). Returns count. */
static size_t split_fields(char *line, char **f, size_t n)
{
        size_t k = 0;
        f[k++] = line;
        for (char *p = line; *p && k < n; p++)
                if (*p == ':') {
                        *p = '\0';
                        f[k++] = p + 1;
                }
        return k;
}

#define ETC_MAX (4u << 20)

int pc_user_read_etc(const char *root, const char *name, char **out, pc_error *err)
{
        /* Resolved inside the container's root (a symlink "/etc/passwd ->
         * /etc/shadow" or "-> /dev/zero" must not reach the host's), opened
         * non-blocking (a FIFO must not hang us), regular files only, bounded. */
        *out = NULL;
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return pc_fail(err, errno, "open %s", root);
        _cleanup_free_ char *p = pc_xasprintf("/etc/%s", name);
        _cleanup_close_ int fd = pc_fsroot_open(rootfd, p, O_RDONLY | O_NONBLOCK, err);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                if (fd >= 0 || err->code == ENOENT) {
                        *out = pc_xstrdup(""); /* missing or not a file: no entries */
                        return 0;
                }
                return -1;
        }
        return pc_read_fd_max(fd, p, ETC_MAX, out, NULL, err);
}

static void add_group(struct pc_user *u, gid_t g)
{
        for (size_t i = 0; i < u->n_groups; i++)
                if (u->groups[i] == g)
                        return;
        u->groups = pc_xrealloc(u->groups, (u->n_groups + 1) * sizeof(gid_t));
        u->groups[u->n_groups++] = g;
}

int pc_user_resolve(const char *root, const char *spec, struct pc_user *out, pc_error *err)
{
        memset(out, 0, sizeof(*out));
        _cleanup_free_ char *s = pc_xstrdup(spec);
        char *grp = strchr(s, ':');
        if (grp)
                *grp++ = '\0';
        if (!*s)
                return pc_fail(err, EINVAL, "user \"%s\": empty user", spec);

        _cleanup_free_ char *passwd = NULL, *group = NULL;
        if (pc_user_read_etc(root, "passwd", &passwd, err) < 0 ||
            pc_user_read_etc(root, "group", &group, err) < 0)
                return pc_error_prefix(err, "user \"%s\"", spec);

        unsigned long id;
        bool numeric = parse_id(s, &id);
        bool found = false;
        _cleanup_free_ char *uname = NULL;
        gid_t pw_gid = 0;
        char *save = NULL;
        for (char *line = strtok_r(passwd, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f[7];
                unsigned long u, g;
                if (split_fields(line, f, 7) < 4 || !parse_id(f[2], &u) || !parse_id(f[3], &g))
                        continue;
                if (numeric ? u == id : strcmp(f[0], s) == 0) {
                        out->uid = (uid_t)u;
                        pw_gid = (gid_t)g;
                        uname = pc_xstrdup(f[0]);
                        found = true;
                        break;
                }
        }
        if (!found) {
                if (!numeric)
                        return pc_fail(err, ENOENT, "user \"%s\": no such user in /etc/passwd",
                                       spec);
                out->uid = (uid_t)id;
        }
        out->gid = pw_gid;

        bool gid_given = false;
        unsigned long gid_num = 0;
        if (grp) {
                if (parse_id(grp, &gid_num)) {
                        out->gid = (gid_t)gid_num;
                        gid_given = true;
                } else if (!*grp) {
                        return pc_fail(err, EINVAL, "user \"%s\": empty group", spec);
                }
        }

        bool group_found = gid_given || !grp;
        save = NULL;
        for (char *line = strtok_r(group, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f[4] = {NULL, NULL, NULL, NULL};
                unsigned long g;
                if (split_fields(line, f, 4) < 3 || !parse_id(f[2], &g))
                        continue;
                if (grp && !gid_given && strcmp(f[0], grp) == 0 && !group_found) {
                        out->gid = (gid_t)g;
                        group_found = true;
                }
                /* Supplementary groups only come with a user name and no
                 * explicit group (like runc). */
                if (!grp && uname && f[3] && *f[3]) {
                        char *msave = NULL;
                        for (char *m = strtok_r(f[3], ",", &msave); m;
                             m = strtok_r(NULL, ",", &msave))
                                if (strcmp(m, uname) == 0)
                                        add_group(out, (gid_t)g);
                }
        }
        if (!group_found) {
                pc_user_free(out);
                return pc_fail(err, ENOENT, "user \"%s\": no such group in /etc/group", spec);
        }
        return 0;
}

void pc_user_free(struct pc_user *u)
{
        free(u->groups);
        u->groups = NULL;
        u->n_groups = 0;
}
