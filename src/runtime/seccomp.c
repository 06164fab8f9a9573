/* seccomp profiles in docker/containerd's JSON format, compiled with
 * libseccomp. RuntimeDefault is profiles/seccomp-default.json, built into
 * the binary as a string (build/gen/seccomp-default.c) and read by the same
 * code as a Localhost profile.
 *
 * A filter is compiled in the parent (the monitor, or the CLI for exec), where
 * errors can be reported with the profile's name, and loaded by the child just
 * before execve. Rules are chosen for the process's capability set, as the
 * profile's includes/excludes "caps" ask. */
#include "runtime/runtime.h"

#include <errno.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "util/util.h"

extern const char pc_seccomp_default_json[];

/* The filter as the kernel takes it: libseccomp's code generation is slow
 * (tens of ms for the default profile on three x86 ABIs), so it runs once per
 * (profile, capability set, architecture) and its output is cached. */
struct pc_seccomp {
        struct sock_filter *insns;
        unsigned short len;
};

static const struct {
        const char *name;
        uint32_t arch;
} arches[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

static bool arch_of(const char *name, uint32_t *out)
{
        for (size_t i = 0; i < PC_ARRAY_SIZE(arches); i++)
                if (!strcmp(arches[i].name, name)) {
                        *out = arches[i].arch;
                        return true;
                }
        return false;
}

/* The short names the profile's includes/excludes "arches" use (Go's GOARCH). */
static const char *native_goarch(void)
{
        switch (seccomp_arch_native()) {
        case SCMP_ARCH_X86_64:
                return "amd64";
        case SCMP_ARCH_X86:
                return "x86";
        case SCMP_ARCH_AARCH64:
                return "arm64";
        case SCMP_ARCH_ARM:
                return "arm";
        case SCMP_ARCH_PPC64LE:
                return "ppc64le";
        case SCMP_ARCH_S390X:
                return "s390x";
        case SCMP_ARCH_RISCV64:
                return "riscv64";
        default:
                return "";
        }
}

static int parse_action(json_t *rule, const char *what, json_t *profile, uint32_t *out,
                        pc_error *err)
{
        const char *a = json_string_value(json_object_get(rule, "action"));
        json_t *ret = json_object_get(rule, "errnoRet");
        if (!json_is_integer(ret))
                ret = json_object_get(profile, "defaultErrnoRet");
        int e = json_is_integer(ret) ? (int)json_integer_value(ret) : EPERM;
        if (!a)
                return pc_fail(err, EINVAL, "%s: no action", what);
        if (!strcmp(a, "SCMP_ACT_ALLOW"))
                *out = SCMP_ACT_ALLOW;
        else if (!strcmp(a, "SCMP_ACT_ERRNO"))
                *out = SCMP_ACT_ERRNO((uint32_t)e);
        else if (!strcmp(a, "SCMP_ACT_KILL") || !strcmp(a, "SCMP_ACT_KILL_THREAD"))
                *out = SCMP_ACT_KILL;
        else if (!strcmp(a, "SCMP_ACT_KILL_PROCESS"))
                *out = SCMP_ACT_KILL_PROCESS;
        else if (!strcmp(a, "SCMP_ACT_TRAP"))
                *out = SCMP_ACT_TRAP;
        else if (!strcmp(a, "SCMP_ACT_LOG"))
                *out = SCMP_ACT_LOG;
        else if (!strcmp(a, "SCMP_ACT_TRACE"))
                *out = SCMP_ACT_TRACE((uint32_t)e);
        else
                return pc_fail(err, EINVAL, "%s: unsupported action \"%s\"", what, a);
        return 0;
}

static bool has_cap(uint64_t caps, const char *name)
{
        cap_value_t c;
        if (cap_from_name(name, &c) < 0)
                return false;
        return c < 64 && (caps >> c) & 1;
}

static bool list_has(json_t *list, const char *s)
{
        size_t i;
        json_t *v;
        json_array_foreach(list, i, v) if (json_is_string(v) &&
                                           !strcmp(json_string_value(v), s)) return true;
        return false;
}

static bool kernel_at_least(const char *want)
{
        struct utsname u;
        int wa = 0, wb = 0, ha = 0, hb = 0;
        if (!want || sscanf(want, "%d.%d", &wa, &wb) < 1 || uname(&u) < 0 ||
            sscanf(u.release, "%d.%d", &ha, &hb) < 1)
                return true;
        return ha > wa || (ha == wa && hb >= wb);
}

/* Does the rule apply to this process (includes all met, no exclude met)? */
static bool rule_applies(json_t *rule, uint64_t caps)
{
        json_t *inc = json_object_get(rule, "includes"), *exc = json_object_get(rule, "excludes");
        const char *arch = native_goarch();
        size_t i;
        json_t *v;
        json_t *ia = json_object_get(inc, "arches"), *ic = json_object_get(inc, "caps");
        if (json_array_size(ia) && !list_has(ia, arch))
                return false;
        if (json_array_size(ic)) {
                bool any = false;
                json_array_foreach(ic, i, v) any |= has_cap(caps, json_string_value(v));
                if (!any)
                        return false;
        }
        if (!kernel_at_least(json_string_value(json_object_get(inc, "minKernel"))))
                return false;
        json_t *ea = json_object_get(exc, "arches"), *ec = json_object_get(exc, "caps");
        if (list_has(ea, arch))
                return false;
        json_array_foreach(ec, i, v) if (has_cap(caps, json_string_value(v))) return false;
        return true;
}

static int parse_op(const char *op, enum scmp_compare *out)
{
        static const struct {
                const char *name;
                enum scmp_compare op;
        } ops[] = {{"SCMP_CMP_NE", SCMP_CMP_NE},
                   {"SCMP_CMP_LT", SCMP_CMP_LT},
                   {"SCMP_CMP_LE", SCMP_CMP_LE},
                   {"SCMP_CMP_EQ", SCMP_CMP_EQ},
                   {"SCMP_CMP_GE", SCMP_CMP_GE},
                   {"SCMP_CMP_GT", SCMP_CMP_GT},
                   {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
        for (size_t i = 0; op && i < PC_ARRAY_SIZE(ops); i++)
                if (!strcmp(ops[i].name, op)) {
                        *out = ops[i].op;
                        return 0;
                }
        return -1;
}

static int add_rule(scmp_filter_ctx ctx, json_t *profile, json_t *rule, size_t idx, pc_error *err)
{
        _cleanup_free_ char *what = pc_xasprintf("syscalls[%zu]", idx);
        uint32_t action;
        if (parse_action(rule, what, profile, &action, err) < 0)
                return -1;
        json_t *args = json_object_get(rule, "args");
        struct scmp_arg_cmp cmp[6];
        unsigned ncmp = 0;
        size_t i;
        json_t *a;
        if (json_array_size(args) > 6)
                return pc_fail(err, EINVAL, "%s: more than 6 args", what);
        json_array_foreach(args, i, a)
        {
                enum scmp_compare op;
                json_t *ix = json_object_get(a, "index"), *val = json_object_get(a, "value");
                if (!json_is_integer(ix) || json_integer_value(ix) < 0 ||
                    json_integer_value(ix) > 5 || !json_is_integer(val) ||
                    parse_op(json_string_value(json_object_get(a, "op")), &op) < 0)
                        return pc_fail(err, EINVAL, "%s: args[%zu]: bad index, value or op", what,
                                       i);
                json_t *two = json_object_get(a, "valueTwo");
                cmp[ncmp++] = (struct scmp_arg_cmp){
                    .arg = (unsigned)json_integer_value(ix),
                    .op = op,
                    .datum_a = (scmp_datum_t)json_integer_value(val),
                    .datum_b = json_is_integer(two) ? (scmp_datum_t)json_integer_value(two) : 0};
        }
        /* Go's profile semantics: several conditions on one argument mean
         * "any of them" (one rule each); on different arguments "all". */
        bool same_arg = ncmp > 1;
        for (unsigned k = 1; k < ncmp; k++)
                same_arg &= cmp[k].arg == cmp[0].arg;
        json_t *names = json_object_get(rule, "names");
        json_t *n1 = json_object_get(rule, "name");
        json_t *nm;
        size_t count = json_is_string(n1) ? 1 : json_array_size(names);
        for (size_t k = 0; k < count; k++) {
                nm = json_is_string(n1) ? n1 : json_array_get(names, k);
                const char *name = json_string_value(nm);
                if (!name)
                        return pc_fail(err, EINVAL, "%s: names[%zu] is not a string", what, k);
                int nr = seccomp_syscall_resolve_name(name);
                if (nr == __NR_SCMP_ERROR)
                        continue; /* not a syscall of this architecture */
                int r;
                if (same_arg) {
                        r = 0;
                        for (unsigned c = 0; c < ncmp && r == 0; c++)
                                r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[c]);
                } else {
                        r = seccomp_rule_add_array(ctx, action, nr, ncmp, cmp);
                }
                /* -EACCES: the rule's action is the default action already */
                if (r < 0 && r != -EACCES && r != -EEXIST)
                        return pc_fail(err, -r, "%s: add rule for %s", what, name);
        }
        return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct pc_seccomp **out, pc_error *err)
{
        _cleanup_close_ int fd = memfd_create("seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return pc_fail(err, errno, "memfd_create");
        int r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return pc_fail(err, -r, "generate the filter");
        off_t len = lseek(fd, 0, SEEK_END);
        if (len <= 0 || len % (off_t)sizeof(struct sock_filter) ||
            len / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
                return pc_fail(err, E2BIG, "filter of %lld bytes", (long long)len);
        struct pc_seccomp *f = pc_xcalloc(1, sizeof(*f));
        f->insns = pc_xmalloc((size_t)len);
        f->len = (unsigned short)(len / (off_t)sizeof(struct sock_filter));
        if (pread(fd, f->insns, (size_t)len, 0) != (ssize_t)len) {
                pc_seccomp_free(f);
                return pc_fail(err, errno ? errno : EIO, "read the filter back");
        }
        *out = f;
        return 0;
}

static int build(const char *text, const char *what, uint64_t caps, struct pc_seccomp **out,
                 pc_error *err)
{
        *out = NULL;
        json_error_t je;
        json_t *p = json_loads(text, 0, &je);
        if (!p)
                return pc_fail(err, EINVAL, "seccomp profile %s: line %d: %s", what, je.line,
                               je.text);
        int r = -1;
        scmp_filter_ctx ctx = NULL;
        uint32_t def;
        json_t *rules = json_object_get(p, "syscalls");
        const char *da = json_string_value(json_object_get(p, "defaultAction"));
        if (!json_is_object(p) || !da) {
                pc_fail(err, EINVAL, "seccomp profile %s: no defaultAction", what);
                goto out;
        }
        json_t *defrule = json_pack("{s:s}", "action", da);
        int pr = parse_action(defrule, "defaultAction", p, &def, err);
        json_decref(defrule);
        if (pr < 0)
                goto prefix;
        ctx = seccomp_init(def);
        if (!ctx) {
                pc_fail(err, ENOMEM, "seccomp profile %s: seccomp_init", what);
                goto out;
        }
        /* A binary tree of syscall numbers instead of a linear chain: the
         * same decisions, but each is a dozen comparisons, not hundreds.
         * What it buys is mostly at load time: the kernel runs the filter
         * for every syscall number to build its allow cache, and a probe
         * attempt or `exec` loads it each time (2.7x faster here,
         * docs/PERFORMANCE.md "Probes"). libseccomp >= 2.5. */
        int or = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        if (or < 0) {
                pc_fail(err, - or, "seccomp profile %s: binary tree optimization", what);
                goto out;
        }
        /* The native architecture and its companions from archMap. */
        uint32_t native = seccomp_arch_native();
        size_t i, j;
        json_t *m, *sub;
        json_array_foreach(json_object_get(p, "archMap"), i, m)
        {
                uint32_t a;
                const char *an = json_string_value(json_object_get(m, "architecture"));
                if (!an || !arch_of(an, &a) || a != native)
                        continue;
                json_array_foreach(json_object_get(m, "subArchitectures"), j, sub)
                {
                        uint32_t s;
                        if (json_is_string(sub) && arch_of(json_string_value(sub), &s)) {
                                int ar = seccomp_arch_add(ctx, s);
                                if (ar < 0 && ar != -EEXIST) {
                                        pc_fail(err, -ar, "seccomp profile %s: add arch %s", what,
                                                json_string_value(sub));
                                        goto out;
                                }
                        }
                }
        }
        json_t *rule;
        json_array_foreach(rules, i, rule)
        {
                if (!rule_applies(rule, caps))
                        continue;
                if (add_rule(ctx, p, rule, i, err) < 0)
                        goto prefix;
        }
        if (export_bpf(ctx, out, err) < 0)
                goto prefix;
        r = 0;
        goto out;
prefix:
        pc_error_prefix(err, "seccomp profile %s", what);
out:
        if (ctx)
                seccomp_release(ctx);
        json_decref(p);
        return r;
}

/* The cache key: everything the generated filter depends on. */
static char *cache_key(const char *text, uint64_t caps)
{
        const struct scmp_version *v = seccomp_version();
        struct utsname u;
        if (uname(&u) < 0)
                memset(&u, 0, sizeof(u));
        return pc_xasprintf("podctl-seccomp 2 arch=%u caps=%016llx lib=%u.%u.%u kernel=%s\n%s",
                            seccomp_arch_native(), (unsigned long long)caps, v ? v->major : 0,
                            v ? v->minor : 0, v ? v->micro : 0, u.release, text);
}

static uint64_t fnv1a(const char *s)
{
        uint64_t h = 14695981039346656037ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

/* A cache file is the key, then the filter's instructions; a hit must match
 * the whole key byte for byte (the hash only names the file). */
static bool cache_read(const char *path, const char *key, struct pc_seccomp **out)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        pc_error ignore;
        size_t klen = strlen(key) + 1;
        if (pc_read_file(path, &data, &len, &ignore) < 0 || len <= klen ||
            memcmp(data, key, klen) != 0 || (len - klen) % sizeof(struct sock_filter) ||
            (len - klen) / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return false;
        struct pc_seccomp *f = pc_xcalloc(1, sizeof(*f));
        f->len = (unsigned short)((len - klen) / sizeof(struct sock_filter));
        f->insns = pc_xmalloc(len - klen);
        memcpy(f->insns, data + klen, len - klen);
        *out = f;
        return true;
}

static void cache_write(const char *dir, const char *path, const char *key,
                        const struct pc_seccomp *f)
{
        pc_error ignore;
        size_t klen = strlen(key) + 1, blen = f->len * sizeof(struct sock_filter);
        _cleanup_free_ char *buf = pc_xmalloc(klen + blen);
        memcpy(buf, key, klen);
        memcpy(buf + klen, f->insns, blen);
        if (pc_mkdir_p(dir, 0700, &ignore) == 0)
                (void)pc_write_file_atomic(path, buf, klen + blen, 0600, &ignore);
}

int pc_seccomp_compile(const char *text, const char *what, uint64_t caps, const char *cache_dir,
                       struct pc_seccomp **out, pc_error *err)
{
        *out = NULL;
        _cleanup_free_ char *key = cache_key(text, caps);
        _cleanup_free_ char *path =
            cache_dir ? pc_xasprintf("%s/%016llx.bpf", cache_dir, (unsigned long long)fnv1a(key))
                      : NULL;
        if (path && cache_read(path, key, out))
                return 0;
        if (build(text, what, caps, out, err) < 0)
                return -1;
        if (path)
                cache_write(cache_dir, path, key, *out);
        return 0;
}

int pc_seccomp_compile_default(uint64_t caps, const char *cache_dir, struct pc_seccomp **out,
                               pc_error *err)
{
        return pc_seccomp_compile(pc_seccomp_default_json, "RuntimeDefault", caps, cache_dir, out,
                                  err);
}

int pc_seccomp_load(const struct pc_seccomp *f, pc_error *err)
{
        struct sock_fprog prog = {.len = f->len, .filter = f->insns};
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
                return pc_fail(err, errno, "load the seccomp filter");
        return 0;
}

void pc_seccomp_free(struct pc_seccomp *f)
{
        if (!f)
                return;
        free(f->insns);
        free(f);
}
