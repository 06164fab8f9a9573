/* The kubelet's atomic writer (pkg/volume/util/atomic_writer.go) for
 * configMap, secret, downwardAPI and projected volumes: a volume directory
 * holds its files in a timestamped directory `..<time>.<random>`, a symlink
 * `..data` to it, and a symlink `<name> -> ..data/<name>` per top-level
 * entry. An update writes a new timestamped directory and renames a new
 * `..data` over the old one, so a reader sees the old set of files or the
 * new one, never a mix; subPath mounts (bound to one file) keep the old. */
#ifndef PODCTL_UTIL_ATOMICDIR_H
#define PODCTL_UTIL_ATOMICDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

struct pc_payload_file {
        char *path; /* relative, no ".." component */
        char *data;
        size_t len;
        mode_t mode;
};

/* Make dir hold exactly files[0..n) (a later entry of the same path wins).
 * Nothing is written when the current ..data already holds the same files
 * with the same modes (*changed false). */
int pc_atomic_dir_write(const char *dir, const struct pc_payload_file *files, size_t n,
                        bool *changed, pc_error *err);
void pc_payload_free(struct pc_payload_file *files, size_t n);

#endif
