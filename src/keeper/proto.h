/* The messages between a Pod's podctl-keeper and its podctl-monitor, over a
 * SOCK_SEQPACKET socketpair (one message per packet). Shared by
 * src/keeper/keeper.c (built with musl, no project headers) and
 * src/monitor/adopt.c. See docs/ARCHITECTURE.md "Keeper and re-adoption". */
#ifndef PODCTL_KEEPER_PROTO_H
#define PODCTL_KEEPER_PROTO_H

#include <stdint.h>

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

#endif
