/* cgroup v2 device access: a BPF_PROG_TYPE_CGROUP_DEVICE program, assembled
 * here from the rule list (cgroup v2 has no devices.allow file; this is what
 * runc and crun do too). No libbpf: the program is a straight list of rule
 * blocks, each "if the request matches this rule, allow", then "deny".
 *
 * The context (struct bpf_cgroup_dev_ctx): access_type = (access << 16) |
 * type, major, minor. type: BPF_DEVCG_DEV_BLOCK 1 / CHAR 2; access bits:
 * MKNOD 1, READ 2, WRITE 4. */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/util.h"

#define MAX_INSNS 512

struct prog {
        struct bpf_insn insn[MAX_INSNS];
        size_t n;
        bool overflow;
};

static void emit(struct prog *p, struct bpf_insn i)
{
        if (p->n >= MAX_INSNS) {
                p->overflow = true;
                return;
        }
        p->insn[p->n++] = i;
}

#define INSN(c, d, s, o, i)                                                                        \
        ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
/* dst = *(u32 *)(src + off) */
#define LDX_W(d, s, o)      INSN(BPF_LDX | BPF_W | BPF_MEM, d, s, o, 0)
#define ALU32_IMM(op, d, i) INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define MOV32_REG(d, s)     INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i)     INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define JNE_IMM(d, i, o)    INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define JNE_REG(d, s, o)    INSN(BPF_JMP | BPF_JNE | BPF_X, d, s, o, 0)
#define EXIT()              INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int access_bits(const char *a)
{
        int bits = 0;
        for (; a && *a; a++)
                bits |= *a == 'm'   ? BPF_DEVCG_ACC_MKNOD
                        : *a == 'r' ? BPF_DEVCG_ACC_READ
                        : *a == 'w' ? BPF_DEVCG_ACC_WRITE
                                    : 0;
        return bits;
}

/* r2 = type, r3 = access, r4 = major, r5 = minor; r1 is scratch. */
static void assemble(struct prog *p, const struct pc_cgroup_dev_rule *rules, size_t n)
{
        emit(p, LDX_W(BPF_REG_2, BPF_REG_1, 0));
        emit(p, ALU32_IMM(BPF_AND, BPF_REG_2, 0xffff));
        emit(p, LDX_W(BPF_REG_3, BPF_REG_1, 0));
        emit(p, ALU32_IMM(BPF_RSH, BPF_REG_3, 16));
        emit(p, LDX_W(BPF_REG_4, BPF_REG_1, 4));
        emit(p, LDX_W(BPF_REG_5, BPF_REG_1, 8));
        for (size_t i = 0; i < n; i++) {
                const struct pc_cgroup_dev_rule *r = &rules[i];
                /* the checks of this block, then "allow"; each check jumps past
                 * the block's end when it does not match */
                struct bpf_insn chk[8];
                size_t k = 0;
                if (r->type == 'c' || r->type == 'b')
                        chk[k++] =
                            JNE_IMM(BPF_REG_2,
                                    r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, 0);
                int allowed = access_bits(r->access);
                /* every requested bit must be allowed: (access & allowed) == access */
                chk[k++] = MOV32_REG(BPF_REG_1, BPF_REG_3);
                chk[k++] = ALU32_IMM(BPF_AND, BPF_REG_1, allowed);
                chk[k++] = JNE_REG(BPF_REG_1, BPF_REG_3, 0);
                if (r->major >= 0)
                        chk[k++] = JNE_IMM(BPF_REG_4, (int32_t)r->major, 0);
                if (r->minor >= 0)
                        chk[k++] = JNE_IMM(BPF_REG_5, (int32_t)r->minor, 0);
                size_t total = k + 2; /* + mov r0,1; exit */
                for (size_t j = 0; j < k; j++) {
                        if (BPF_CLASS(chk[j].code) == BPF_JMP)
                                chk[j].off = (int16_t)(total - j - 1);
                        emit(p, chk[j]);
                }
                emit(p, MOV64_IMM(BPF_REG_0, 1));
                emit(p, EXIT());
        }
        emit(p, MOV64_IMM(BPF_REG_0, 0));
        emit(p, EXIT());
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
        return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int pc_cg_bpf_devices(const char *dir, const struct pc_cgroup_dev_rule *rules, size_t n,
                      pc_error *err)
{
        struct prog p = {.n = 0};
        assemble(&p, rules, n);
        if (p.overflow)
                return pc_fail(err, E2BIG, "device program: too many rules (%zu)", n);
        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (uint64_t)(uintptr_t)p.insn;
        attr.insn_cnt = (uint32_t)p.n;
        attr.license = (uint64_t)(uintptr_t) "GPL";
        _cleanup_close_ int prog = (int)sys_bpf(BPF_PROG_LOAD, &attr);
        if (prog < 0) {
                /* Again with the verifier's log, for the message (its last line). */
                int e = errno;
                static char log[65536];
                log[0] = '\0';
                attr.log_buf = (uint64_t)(uintptr_t)log;
                attr.log_size = sizeof(log);
                attr.log_level = 1;
                (void)sys_bpf(BPF_PROG_LOAD, &attr);
                log[sizeof(log) - 1] = '\0';
                size_t len = strlen(log);
                while (len && log[len - 1] == '\n')
                        log[--len] = '\0';
                char *last = strrchr(log, '\n');
                last = last ? last + 1 : log;
                return pc_fail(err, e, "load the BPF device program%s%s", *last ? ": " : "", last);
        }
        _cleanup_close_ int cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cg < 0)
                return pc_fail(err, errno, "open %s", dir);
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t)cg;
        attr.attach_bpf_fd = (uint32_t)prog;
        attr.attach_type = BPF_CGROUP_DEVICE;
        attr.attach_flags = BPF_F_ALLOW_MULTI;
        if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
                return pc_fail(err, errno, "attach the BPF device program to %s", dir);
        /* The attachment holds the program; our fd can go. */
        return 0;
}
