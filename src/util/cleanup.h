/* Scope-bound cleanup. A variable declared with one of these attributes is
 * released when it leaves scope; hand it over explicitly with STEAL()/
 * STEAL_FD() when ownership moves elsewhere. */
#ifndef PODCTL_UTIL_CLEANUP_H
#define PODCTL_UTIL_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void pc_freep(void *p)
{
        free(*(void **)p);
}
static inline void pc_closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
static inline void pc_fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}
void pc_strv_free(char **v);
static inline void pc_strv_freep(char ***v)
{
        pc_strv_free(*v);
}
/* Kill (SIGKILL) and reap a child process still owned by this scope. */
void pc_pid_killp(pid_t *pid);

#define _cleanup_free_   _cleanup_(pc_freep)
#define _cleanup_close_  _cleanup_(pc_closep)
#define _cleanup_fclose_ _cleanup_(pc_fclosep)
#define _cleanup_strv_   _cleanup_(pc_strv_freep)
#define _cleanup_pid_    _cleanup_(pc_pid_killp)

/* Take ownership: return the value and reset the variable. */
#define STEAL(p)                                                                                   \
        ({                                                                                         \
                __typeof__(p) _pc_t = (p);                                                         \
                (p) = NULL;                                                                        \
                _pc_t;                                                                             \
        })
#define STEAL_FD(fd)                                                                               \
        ({                                                                                         \
                int _pc_t = (fd);                                                                  \
                (fd) = -1;                                                                         \
                _pc_t;                                                                             \
        })
#define STEAL_PID(p) STEAL_FD(p)

#endif
