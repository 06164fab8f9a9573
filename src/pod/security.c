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

static bool apparmor_enabled(void)
{
        _cleanup_free_ char *v = NULL;
        pc_error ignore;
        return pc_read_file("/sys/module/apparmor/parameters/enabled", &v, NULL, &ignore) == 0 &&
               v[0] == 'Y';
}

static int check_container(podctl *ctx, const struct pc_container *c, pc_error *err)
{
        if (c->apparmor.type == PC_PROFILE_RUNTIME_DEFAULT ||
            c->apparmor.type == PC_PROFILE_LOCALHOST) {
                if (!apparmor_enabled())
                        return pc_fail(err, ENOTSUP,
                                       "container %s: Cannot enforce AppArmor: AppArmor is not "
                                       "enabled on the host",
                                       c->name);
                if (c->apparmor.type == PC_PROFILE_RUNTIME_DEFAULT)
                        return pc_fail(err, ENOTSUP,
                                       "container %s: appArmorProfile RuntimeDefault: podctl ships "
                                       "no AppArmor profile yet (use Localhost with a loaded "
                                       "profile, or Unconfined)",
                                       c->name);
        }
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
