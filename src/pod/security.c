/* Admission of a Pod's security settings against this node, as the kubelet
 * admits them before anything runs: sysctls (safe set or allowlisted),
 * AppArmor (enabled on the host), Localhost seccomp profiles (present and
 * valid under <root>/seccomp/). A refused Pod is not created at all. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pod/internal.h"
#include "runtime/runtime.h"
#include "spec/spec.h"
#include "util/util.h"

/* AppArmor as the kubelet admits it: a Pod that asks for a profile on a host
 * without AppArmor is refused, a Localhost profile must be loaded already;
 * RuntimeDefault (asked for, or implied for an unprivileged container on a
 * host with AppArmor, as containerd applies its default) is podctl-default,
 * loaded here when it is not yet. */
static int check_apparmor(const struct pc_container *c, pc_error *err)
{
        enum pc_profile_type t = c->apparmor.type;
        bool asked = t == PC_PROFILE_RUNTIME_DEFAULT || t == PC_PROFILE_LOCALHOST;
        if (!pc_apparmor_enabled()) {
                if (asked)
                        return pc_fail(err, ENOTSUP,
                                       "container %s: Cannot enforce AppArmor: AppArmor is not "
                                       "enabled on the host",
                                       c->name);
                return 0;
        }
        if (t == PC_PROFILE_LOCALHOST) {
                bool loaded = false;
                if (pc_apparmor_loaded(c->apparmor.localhost, &loaded, err) < 0)
                        return pc_error_prefix(err, "container %s", c->name);
                if (!loaded)
                        return pc_fail(err, ENOENT,
                                       "container %s: Cannot enforce AppArmor: profile \"%s\" is "
                                       "not loaded",
                                       c->name, c->apparmor.localhost);
                return 0;
        }
        if (t == PC_PROFILE_RUNTIME_DEFAULT || (t == PC_PROFILE_UNSET && !c->privileged))
                if (pc_apparmor_ensure_default(err) < 0)
                        return pc_error_prefix(err, "container %s: Cannot enforce AppArmor",
                                               c->name);
        return 0;
}

static int check_container(podctl *ctx, const struct pc_container *c, pc_error *err)
{
        if (check_apparmor(c, err) < 0)
                return -1;
        if (c->seccomp.type == PC_PROFILE_LOCALHOST && !c->privileged) {
                _cleanup_free_ char *path =
                    pc_xasprintf("%s/seccomp/%s", ctx->root.root, c->seccomp.localhost);
                _cleanup_free_ char *text = NULL;
                _cleanup_free_ char *cache = pc_xasprintf("%s/cache/seccomp", ctx->root.root);
                struct pc_seccomp *f = NULL;
                if (pc_read_file(path, &text, NULL, err) < 0 ||
                    pc_seccomp_compile(text, path, pc_caps_default(), cache, &f, err) < 0)
                        return pc_error_prefix(err, "container %s: seccomp profile", c->name);
                pc_seccomp_free(f);
        }
        return 0;
}

int pc_security_admit(podctl *ctx, const struct pc_node *node, const struct pc_pod *pod,
                      pc_error *err)
{
        int r = 0;
        for (size_t i = 0; i < pod->n_sysctls && r == 0; i++)
                if (!pc_sysctl_allowed(pod->sysctls[i].name, node->allowed_unsafe_sysctls))
                        r = pc_fail(err, EPERM,
                                    "SysctlForbidden: forbidden sysctl: \"%s\" not allowlisted "
                                    "(config.json allowedUnsafeSysctls)",
                                    pod->sysctls[i].name);
        for (size_t i = 0; i < pod->n_init_containers && r == 0; i++)
                r = check_container(ctx, &pod->init_containers[i], err);
        for (size_t i = 0; i < pod->n_containers && r == 0; i++)
                r = check_container(ctx, &pod->containers[i], err);
        return r;
}
