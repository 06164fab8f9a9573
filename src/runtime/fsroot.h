/* Paths inside a container root, resolved by the kernel as if `rootfd` were
 * "/" (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): a symlink in an
 * image ("/data -> /etc", "-> /", "-> ../../..") can never lead out of it.
 * Every function returns a new O_CLOEXEC fd, or -1 with *err filled. */
#ifndef PODCTL_RUNTIME_FSROOT_H
#define PODCTL_RUNTIME_FSROOT_H

#include <sys/types.h>

#include "util/error.h"

/* openat2(rootfd, path, flags | O_CLOEXEC) inside the root. */
int pc_fsroot_open(int rootfd, const char *path, int flags, pc_error *err);

/* mkdir -p `path` inside the root, component by component (each component is
 * resolved inside the root before the next is created); returns an O_PATH fd
 * to the directory. Fails with ENOTDIR when a component is not a directory. */
int pc_fsroot_mkdir_p(int rootfd, const char *path, mode_t mode, pc_error *err);

/* Make sure `path` exists inside the root as a non-directory (creates the
 * parent directories and an empty regular file when missing); returns an
 * O_PATH fd to it. */
int pc_fsroot_mkfile(int rootfd, const char *path, mode_t mode, pc_error *err);

#endif
