/* AppArmor: the kernel's profile list is read right, and the built-in
 * RuntimeDefault profile (podctl-default) is a valid policy: apparmor_parser
 * compiles it (without loading: this host's kernel may have no AppArmor) and
 * rejects a broken one with its message. */
#include <string.h>
#include <unistd.h>

#include "runtime/runtime.h"
#include "unit.h"
#include "util/cleanup.h"
#include "util/run.h"

static void test_listed(void)
{
        const char *list = "podctl-default (enforce)\n"
                           "/usr/bin/man (complain)\n"
                           "podctl-default-x (enforce)\n";
        CHECK(pc_apparmor_listed(list, "podctl-default"));
        CHECK(pc_apparmor_listed(list, "/usr/bin/man"));
        CHECK(pc_apparmor_listed(list, "podctl-default-x"));
        CHECK(!pc_apparmor_listed(list, "podctl"));
        CHECK(!pc_apparmor_listed(list, "man"));
        CHECK(!pc_apparmor_listed("", "podctl-default"));
        CHECK(!pc_apparmor_listed("podctl-default", "podctl-default"));
}

static void test_default_profile_compiles(void)
{
        const char *text = pc_apparmor_default_text();
        CHECK_CONTAINS(text, "profile " PC_APPARMOR_DEFAULT " ");
        CHECK_CONTAINS(text, "deny mount,");
        CHECK_CONTAINS(text, "deny @{PROC}/sys/[^k]** w,");
        CHECK_CONTAINS(text, "deny /sys/kernel/security/** rwklx,");
        _cleanup_free_ char *exe =
            pc_find_exec("/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin", "apparmor_parser");
        if (!exe) {
                SKIP("apparmor_parser is not installed (Debian package apparmor)");
                return;
        }
        pc_error err;
        CHECK(pc_apparmor_parse(text, false, &err) == 0);
        CHECK(pc_apparmor_parse("profile broken { deny frobnicate, }\n", false, &err) < 0);
        CHECK_CONTAINS(err.msg, "apparmor_parser -Q failed");
}

int main(void)
{
        test_listed();
        test_default_profile_compiles();
        UNIT_DONE();
}
