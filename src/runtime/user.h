/* User specs ("1000", "nobody", "1000:1000", "nobody:nogroup") resolved
 * against a container's own /etc/passwd and /etc/group, parsed by hand (no
 * NSS: it would read the host's files and load host libraries). */
#ifndef PODCTL_RUNTIME_USER_H
#define PODCTL_RUNTIME_USER_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

struct pc_user {
        uid_t uid;
        gid_t gid;
        gid_t *groups; /* malloc'd supplementary groups from /etc/group, or NULL */
        size_t n_groups;
};

/* `root` is the directory holding etc/ ("/" inside the container). A
 * numeric user missing from passwd is fine (gid 0 unless given); a name
 * that is missing is an error, as is an unknown group name. */
int pc_user_resolve(const char *root, const char *spec, struct pc_user *out, pc_error *err);
void pc_user_free(struct pc_user *u);

/* The text of <root>/etc/<name> (passwd, group), resolved inside root, only
 * a regular file, at most 4 MiB; missing or not a file: "". */
int pc_user_read_etc(const char *root, const char *name, char **out, pc_error *err);

#endif
