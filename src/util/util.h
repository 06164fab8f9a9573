/* Small helpers shared by every module: memory, strings, files, time. */
#ifndef PODCTL_UTIL_UTIL_H
#define PODCTL_UTIL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/cleanup.h"
#include "util/error.h"

#define PC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation that cannot fail: aborts on out-of-memory (like crun's xmalloc). */
void *pc_xmalloc(size_t n);
void *pc_xcalloc(size_t n, size_t sz);
void *pc_xrealloc(void *p, size_t n);
char *pc_xstrdup(const char *s); /* NULL stays NULL */
char *pc_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* NULL-terminated string vectors. */
size_t pc_strv_len(char *const *v);
char **pc_strv_dup(char *const *v);
void pc_strv_push(char ***v, const char *s); /* copies s */
bool pc_str_has_prefix(const char *s, const char *prefix);
bool pc_str_has_suffix(const char *s, const char *suffix);

/* Files. All paths here are host paths; for paths inside a container root
 * use runtime/fsroot.h. */
int pc_mkdir_p(const char *path, mode_t mode, pc_error *err);
int pc_rm_rf(const char *path, pc_error *err); /* ENOENT is success */
int pc_read_file(const char *path, char **out, size_t *len, pc_error *err);
/* The same, failing with EFBIG ("larger than the limit of N bytes") after
 * reading at most max + 1 bytes: for files an attacker may have made huge. */
int pc_read_file_max(const char *path, size_t max, char **out, size_t *len, pc_error *err);
int pc_read_fd_max(int fd, const char *what, size_t max, char **out, size_t *len, pc_error *err);
/* Write via a temporary file in the same directory, fsync, rename. */
int pc_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         pc_error *err);
/* The same without fsync: for runtime state that means nothing after a reboot
 * (status files rewritten on every event). Readers still never see a torn file. */
int pc_replace_file(const char *path, const void *data, size_t len, mode_t mode, pc_error *err);
int pc_write_file(const char *path, const char *data, pc_error *err); /* for /proc, /sys */
/* write() until done (retrying EINTR and short writes); -1 with errno set. */
int pc_write_all(int fd, const void *data, size_t len);

/* Time. */
int64_t pc_now_ns(void);       /* CLOCK_REALTIME */
int64_t pc_monotonic_ns(void); /* CLOCK_MONOTONIC */
/* RFC 3339 in UTC: "2026-11-28T10:00:00Z" (nano=false) or with 9 fraction
 * digits (nano=true). buf must hold 40 bytes. */
void pc_format_time(int64_t ns, bool nano, char *buf, size_t len);
int pc_parse_time(const char *s, int64_t *ns); /* inverse; -1 on error */

/* Process helpers. */
/* Start time of pid (field 22 of /proc/pid/stat), to tell a process from a
 * later one reusing its PID. 0 when the process does not exist. */
uint64_t pc_proc_starttime(pid_t pid);
/* True when pid exists and its start time is `starttime`. */
bool pc_proc_alive(pid_t pid, uint64_t starttime);
/* Close every fd >= lowfd except `keep` (-1 for none). */
void pc_close_fds_from(int lowfd, int keep);

/* A random RFC 4122 version-4 UUID, 37 bytes with the NUL. */
void pc_uuid4(char out[37]);

/* Directory of the running executable (for finding pause and the monitor). */
char *pc_self_dir(void);

#endif
