/* Static Pods (`podctl serve --manifests DIR`): the kubelet's staticPodPath.
 * Every Pod manifest file in DIR (*.yaml, *.yml, *.json; hidden files
 * ignored) is applied as `podctl apply -f` would (its ConfigMaps and Secrets
 * too); a changed file replaces its Pods (delete, then create), a removed
 * file deletes them; a file that does not load changes nothing. A static Pod
 * is named <name>-<node name> and annotated kubernetes.io/config.source:
 * file, kubernetes.io/config.hash (of the file) and podctl.io/config.file
 * (its path): only Pods so marked are ever touched. inotify, not polling:
 * the caller polls pc_static_fd() and calls pc_static_sync() when readable.
 * Lines about what was done go to stderr (the journal under systemd). */
#ifndef PODCTL_CRI_STATIC_H
#define PODCTL_CRI_STATIC_H

#include "util/error.h"

#define PC_STATIC_DEFAULT_DIR "/etc/podctl/manifests"

struct pc_static;

/* Watch dir (which need not exist yet: then it is looked for again at each
 * pc_static_tick) and apply what is there now. node: the node name (NULL:
 * the host name in lower case, as the kubelet's). */
int pc_static_open(const char *root, const char *log_dir, const char *dir, const char *node,
                   struct pc_static **out, pc_error *err);
int pc_static_fd(const struct pc_static *s); /* -1 while dir is not watched */
/* Read the pending inotify events and bring the Pods in line with the files. */
void pc_static_sync(struct pc_static *s);
/* Periodic: watch dir again if it was missing or removed (and sync then). */
void pc_static_tick(struct pc_static *s);
void pc_static_close(struct pc_static *s);

/* For tests: the Pod name of a static Pod (<name>-<node>), NULL when too
 * long or not a DNS subdomain. */
char *pc_static_pod_name(const char *name, const char *node);

#endif
