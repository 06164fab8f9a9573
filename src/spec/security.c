/* Facts about securityContext values the validator, the admission and the
 * monitor share: capability names and numbers, and which sysctls are
 * namespaced and which the kubelet calls safe. No system calls. */
#include "spec/spec.h"

#include <string.h>
#include <strings.h>

#include "util/util.h"

/* Index = the kernel's capability number (linux/capability.h). */
static const char *const cap_names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

int pc_capability_number(const char *name)
{
        if (!name)
                return -1;
        if (!strncasecmp(name, "CAP_", 4))
                name += 4;
        for (size_t i = 0; i < PC_ARRAY_SIZE(cap_names); i++)
                if (!strcasecmp(cap_names[i], name))
                        return (int)i;
        return -1;
}

const char *pc_capability_name(int n)
{
        return n >= 0 && (size_t)n < PC_ARRAY_SIZE(cap_names) ? cap_names[n] : NULL;
}

/* The kubelet's NormalizeName (component-helpers sysctl): a name whose first
 * separator is '/' ("kernel/shm_rmid_forced") has '.' and '/' swapped, so
 * the dot form is compared. False when it does not fit. */
static bool sysctl_normalize(const char *name, char *n, size_t size)
{
        size_t len = strlen(name);
        if (len >= size)
                return false;
        memcpy(n, name, len + 1);
        size_t sep = strcspn(n, "./");
        if (n[sep] == '/')
                for (char *p = n; *p; p++)
                        *p = *p == '/' ? '.' : *p == '.' ? '/' : *p;
        return true;
}

/* The kubelet's namespaced sysctls (pkg/kubelet/sysctl/namespace.go), with
 * '/' as well as '.' accepted as the separator. */
enum pc_sysctl_ns pc_sysctl_namespace(const char *name)
{
        char n[256];
        if (!sysctl_normalize(name, n, sizeof(n)))
                return PC_SYSCTL_NOT_NAMESPACED;
        static const char *const ipc_exact[] = {
            "kernel.sem",    "kernel.shmall",          "kernel.shmmax",
            "kernel.shmmni", "kernel.shm_rmid_forced", "kernel.msgmax",
            "kernel.msgmnb", "kernel.msgmni"};
        for (size_t i = 0; i < PC_ARRAY_SIZE(ipc_exact); i++)
                if (!strcmp(n, ipc_exact[i]))
                        return PC_SYSCTL_IPC;
        if (pc_str_has_prefix(n, "fs.mqueue."))
                return PC_SYSCTL_IPC;
        if (pc_str_has_prefix(n, "net."))
                return PC_SYSCTL_NET;
        return PC_SYSCTL_NOT_NAMESPACED;
}

/* The kubelet's safe set (pkg/kubelet/sysctl/safe_sysctls.go). */
bool pc_sysctl_is_safe(const char *name)
{
        static const char *const safe[] = {
            "kernel.shm_rmid_forced",
            "net.ipv4.ip_local_port_range",
            "net.ipv4.tcp_syncookies",
            "net.ipv4.ping_group_range",
            "net.ipv4.ip_unprivileged_port_start",
            "net.ipv4.ip_local_reserved_ports",
            "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl",
            "net.ipv4.tcp_keepalive_probes",
            "net.ipv4.tcp_rmem",
            "net.ipv4.tcp_wmem",
        };
        for (size_t i = 0; i < PC_ARRAY_SIZE(safe); i++)
                if (!strcmp(name, safe[i]))
                        return true;
        return false;
}

/* An allow-list entry: exact, or a prefix ending in '*' ("net.core.*"). */
bool pc_sysctl_allowed(const char *sysctl, char *const *allowed)
{
        char name[256];
        /* Only namespaced sysctls, whatever the allowlist says (the kubelet
         * refuses to start with a node-wide one allowlisted). */
        if (!sysctl_normalize(sysctl, name, sizeof(name)) ||
            pc_sysctl_namespace(name) == PC_SYSCTL_NOT_NAMESPACED)
                return false;
        if (pc_sysctl_is_safe(name))
                return true;
        for (size_t i = 0; allowed && allowed[i]; i++) {
                size_t l = strlen(allowed[i]);
                if (l && allowed[i][l - 1] == '*' ? !strncmp(name, allowed[i], l - 1)
                                                  : !strcmp(name, allowed[i]))
                        return true;
        }
        return false;
}
