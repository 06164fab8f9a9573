/* AppArmor on hosts that enable it: whether the LSM is on, whether a profile
 * is loaded, and loading podctl's own RuntimeDefault profile
 * (src/runtime/profiles/apparmor-default, built in as a string) with
 * apparmor_parser. Applying a profile to a process is pc_proc_sec.apparmor
 * (common.c: the profile is entered at execve). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "runtime/runtime.h"
#include "util/cleanup.h"
#include "util/run.h"
#include "util/util.h"

extern const char pc_apparmor_default_profile[];

#define AA_SBIN_PATH "/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin"

const char *pc_apparmor_default_text(void)
{
        return pc_apparmor_default_profile;
}

bool pc_apparmor_enabled(void)
{
        _cleanup_free_ char *v = NULL;
        pc_error ignore;
        return pc_read_file("/sys/module/apparmor/parameters/enabled", &v, NULL, &ignore) == 0 &&
               v[0] == 'Y';
}

/* The kernel's list is one "NAME (MODE)" line per profile. */
bool pc_apparmor_listed(const char *profiles, const char *name)
{
        size_t n = strlen(name);
        for (const char *p = profiles; p && *p;) {
                const char *eol = strchr(p, '\n');
                size_t len = eol ? (size_t)(eol - p) : strlen(p);
                if (len > n + 1 && memcmp(p, name, n) == 0 && p[n] == ' ' && p[n + 1] == '(')
                        return true;
                p = eol ? eol + 1 : NULL;
        }
        return false;
}

int pc_apparmor_loaded(const char *name, bool *loaded, pc_error *err)
{
        _cleanup_free_ char *list = NULL;
        if (pc_read_file("/sys/kernel/security/apparmor/profiles", &list, NULL, err) < 0)
                return pc_error_prefix(err, "AppArmor: list the loaded profiles");
        *loaded = pc_apparmor_listed(list, name);
        return 0;
}

int pc_apparmor_parse(const char *text, bool load, pc_error *err)
{
        _cleanup_free_ char *exe = pc_find_exec(AA_SBIN_PATH, "apparmor_parser");
        if (!exe)
                return pc_fail(err, ENOENT,
                               "AppArmor: apparmor_parser not found (Debian package apparmor)");
        /* -K: no cache; -r: replace (load or reload); -Q -S: compile only,
         * the binary policy on stdout (discarded). */
        char *load_argv[] = {exe, "-K", "-r", NULL};
        char *check_argv[] = {exe, "-K", "-Q", "-S", NULL};
        char *envp[] = {"PATH=" AA_SBIN_PATH, NULL};
        _cleanup_free_ char *out = NULL;
        _cleanup_free_ char *errout = NULL;
        int status = 0;
        if (pc_run(load ? load_argv : check_argv, envp, text, strlen(text), 30000, &out, &errout,
                   &status, err) < 0)
                return pc_error_prefix(err, "AppArmor: apparmor_parser");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                size_t l = errout ? strlen(errout) : 0;
                while (l > 0 && (errout[l - 1] == '\n' || errout[l - 1] == ' '))
                        errout[--l] = '\0';
                return pc_fail(err, EINVAL, "AppArmor: apparmor_parser %s failed: %s",
                               load ? "-r" : "-Q", l ? errout : "no message");
        }
        return 0;
}

int pc_apparmor_ensure_default(pc_error *err)
{
        bool loaded = false;
        if (pc_apparmor_loaded(PC_APPARMOR_DEFAULT, &loaded, err) < 0)
                return -1;
        if (loaded)
                return 0;
        if (pc_apparmor_parse(pc_apparmor_default_profile, true, err) < 0)
                return pc_error_prefix(err, "load profile %s", PC_APPARMOR_DEFAULT);
        return 0;
}
