/* The messages between a Pod's podctl-keeper and its podctl-monitor, over a
 * SOCK_SEQPACKET socketpair (one message per packet). Shared by
 * src/keeper/keeper.c (built with musl, no project headers) and
 * src/monitor/adopt.c. See docs/ARCHITECTURE.md "Keeper and re-adoption". */
#ifndef PODCTL_KEEPER_PROTO_H
#define PODCTL_KEEPER_PROTO_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

enum {
        PC_KEEP_HOLD = 'H', /* monitor -> keeper: keep this fd (SCM_RIGHTS) under tag;
                               keeper -> monitor (adopt): a held fd, tag */
        PC_KEEP_DROP = 'D', /* monitor -> keeper: close the fd held under tag */
        PC_KEEP_END = 'E',  /* keeper -> monitor: no more held fds follow */
        PC_KEEP_EXIT = 'X', /* keeper -> monitor: a child of the keeper was reaped */
};

#define PC_KEEP_TAG_MAX 80

struct pc_keep_msg {
        char op;
        char tag[PC_KEEP_TAG_MAX]; /* "<container name>/<0 stdout|1 stderr>", NUL-terminated */
        int32_t pid;
        int32_t status;  /* as waitpid() gives it */
        int64_t time_ns; /* CLOCK_REALTIME of the reap */
};

/* Send one message, with fd (>= 0) as SCM_RIGHTS: 0, or -1 with errno. */
static inline int pc_keep_send(int sock, const struct pc_keep_msg *m, int fd)
{
        struct iovec iov = {.iov_base = (void *)m, .iov_len = sizeof(*m)};
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        if (fd >= 0) {
                memset(&u, 0, sizeof(u));
                mh.msg_control = u.buf;
                mh.msg_controllen = sizeof(u.buf);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        for (;;) {
                if (sendmsg(sock, &mh, MSG_NOSIGNAL) >= 0)
                        return 0;
                if (errno != EINTR)
                        return -1;
        }
}

#endif
