/* File descriptors passed over unix sockets (SCM_RIGHTS): the monitor's
 * control channel (attach's stdin), a container's terminal at its start, the
 * keeper's held pipes. */
#ifndef PODCTL_UTIL_FDPASS_H
#define PODCTL_UTIL_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* sendmsg(2) of buf with fd (>= 0: as SCM_RIGHTS; -1: none), MSG_NOSIGNAL
 * added, EINTR retried: the bytes sent, or -1 with errno. */
ssize_t pc_sendmsg_fd(int sock, const void *buf, size_t len, int fd, int flags);
/* recvmsg(2) into buf; *fd is the fd that came (O_CLOEXEC) or -1. EINTR is
 * retried; flags as recvmsg's (MSG_TRUNC, MSG_DONTWAIT...). */
ssize_t pc_recvmsg_fd(int sock, void *buf, size_t len, int *fd, int flags);

#endif
