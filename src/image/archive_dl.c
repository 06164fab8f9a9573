/* libarchive, loaded when an image is loaded, imported or unpacked.
 *
 * Debian's libarchive brings libxml2 and with it ICU and the C++ runtime:
 * mapping and relocating them took most of the start of every podctl
 * command (docs/PERFORMANCE.md, "CLI start"), though only the image paths
 * use them. So, as curl_dl.c does for libcurl, podctl is not linked with
 * libarchive: this file defines the libarchive functions podctl calls, each
 * forwarding to the real one, looked up with dlopen("libarchive.so.13") +
 * dlsym when a reader or writer is first made. The functions keep
 * libarchive's own prototypes (<archive.h>, <archive_entry.h>). */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "image/image.h"

#define ARCHIVE_SONAME "libarchive.so.13"

/* Every function we forward; each slot has the type of libarchive's own
 * declaration (gnu11 typeof). */
#define ARCHIVE_FUNCS(X)                                                                           \
        X(archive_read_new)                                                                        \
        X(archive_read_support_filter_gzip)                                                        \
        X(archive_read_support_filter_bzip2)                                                       \
        X(archive_read_support_filter_xz)                                                          \
        X(archive_read_support_filter_zstd)                                                        \
        X(archive_read_support_format_tar)                                                         \
        X(archive_read_support_format_raw)                                                         \
        X(archive_read_support_format_empty)                                                       \
        X(archive_read_open)                                                                       \
        X(archive_read_open_filename)                                                              \
        X(archive_read_open_memory)                                                                \
        X(archive_read_next_header)                                                                \
        X(archive_read_data)                                                                       \
        X(archive_read_data_block)                                                                 \
        X(archive_read_free)                                                                       \
        X(archive_errno)                                                                           \
        X(archive_error_string)                                                                    \
        X(archive_set_error)                                                                       \
        X(archive_write_disk_new)                                                                  \
        X(archive_write_disk_set_options)                                                          \
        X(archive_write_header)                                                                    \
        X(archive_write_data_block)                                                                \
        X(archive_write_finish_entry)                                                              \
        X(archive_write_close)                                                                     \
        X(archive_write_free)                                                                      \
        X(archive_entry_pathname)                                                                  \
        X(archive_entry_hardlink)                                                                  \
        X(archive_entry_symlink)                                                                   \
        X(archive_entry_filetype)                                                                  \
        X(archive_entry_perm)                                                                      \
        X(archive_entry_size)                                                                      \
        X(archive_entry_rdev)                                                                      \
        X(archive_entry_uid)                                                                       \
        X(archive_entry_gid)                                                                       \
        X(archive_entry_mtime)                                                                     \
        X(archive_entry_mtime_nsec)                                                                \
        X(archive_entry_atime)                                                                     \
        X(archive_entry_atime_nsec)                                                                \
        X(archive_entry_atime_is_set)                                                              \
        X(archive_entry_copy_pathname)                                                             \
        X(archive_entry_copy_hardlink)                                                             \
        X(archive_entry_xattr_clear)                                                               \
        X(archive_entry_xattr_add_entry)                                                           \
        X(archive_entry_xattr_reset)                                                               \
        X(archive_entry_xattr_next)                                                                \
        X(archive_read_disk_new)                                                                   \
        X(archive_write_new)                                                                       \
        X(archive_entry_new)                                                                       \
        X(archive_entry_free)                                                                      \
        X(archive_entry_set_pathname)                                                              \
        X(archive_read_disk_descend)                                                               \
        X(archive_read_disk_open)                                                                  \
        X(archive_read_disk_set_symlink_physical)                                                  \
        X(archive_read_next_header2)                                                               \
        X(archive_read_open_fd)                                                                    \
        X(archive_write_data)                                                                      \
        X(archive_write_open)                                                                      \
        X(archive_write_open_fd)                                                                   \
        X(archive_write_set_bytes_in_last_block)                                                   \
        X(archive_write_set_format_pax_restricted)

static struct {
#define SLOT(name) __typeof__(name) *name;
        ARCHIVE_FUNCS(SLOT)
#undef SLOT
} real;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
        void *h = dlopen(ARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                snprintf(load_error, sizeof(load_error),
                         "cannot load %s (package libarchive13): %s", ARCHIVE_SONAME, dlerror());
                return;
        }
#define LOOKUP(name)                                                                               \
        real.name = (__typeof__(real.name))dlsym(h, #name);                                        \
        if (!real.name) {                                                                          \
                snprintf(load_error, sizeof(load_error), "%s has no %s", ARCHIVE_SONAME, #name);   \
                return;                                                                            \
        }
        ARCHIVE_FUNCS(LOOKUP)
#undef LOOKUP
}

const char *pc_archive_load(void)
{
        pthread_once(&once, load);
        return load_error[0] ? load_error : NULL;
}

/* Every archive object comes from one of these, which load the library
 * first (and fail, as libarchive does without memory, when it cannot be). */
struct archive *archive_read_new(void)
{
        return pc_archive_load() ? NULL : real.archive_read_new();
}

struct archive *archive_write_disk_new(void)
{
        return pc_archive_load() ? NULL : real.archive_write_disk_new();
}

struct archive *archive_read_disk_new(void)
{
        return pc_archive_load() ? NULL : real.archive_read_disk_new();
}

struct archive *archive_write_new(void)
{
        return pc_archive_load() ? NULL : real.archive_write_new();
}

struct archive_entry *archive_entry_new(void)
{
        return pc_archive_load() ? NULL : real.archive_entry_new();
}

void archive_set_error(struct archive *a, int err, const char *fmt, ...)
{
        pc_archive_load();
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        real.archive_set_error(a, err, "%s", msg);
}

/* The rest forward as they are, loading first: a program that also links
 * libarchive (the unit tests write archives with it) may hand them objects
 * made by the real library before anything here was called. */
#define FWD1(ret, name, T1)                                                                        \
        ret name(T1 a1)                                                                            \
        {                                                                                          \
                pc_archive_load();                                                                 \
                return real.name(a1);                                                              \
        }
#define FWD2(ret, name, T1, T2)                                                                    \
        ret name(T1 a1, T2 a2)                                                                     \
        {                                                                                          \
                pc_archive_load();                                                                 \
                return real.name(a1, a2);                                                          \
        }
#define FWD3(ret, name, T1, T2, T3)                                                                \
        ret name(T1 a1, T2 a2, T3 a3)                                                              \
        {                                                                                          \
                pc_archive_load();                                                                 \
                return real.name(a1, a2, a3);                                                      \
        }
#define FWD4(ret, name, T1, T2, T3, T4)                                                            \
        ret name(T1 a1, T2 a2, T3 a3, T4 a4)                                                       \
        {                                                                                          \
                pc_archive_load();                                                                 \
                return real.name(a1, a2, a3, a4);                                                  \
        }
#define FWD5(ret, name, T1, T2, T3, T4, T5)                                                        \
        ret name(T1 a1, T2 a2, T3 a3, T4 a4, T5 a5)                                                \
        {                                                                                          \
                pc_archive_load();                                                                 \
                return real.name(a1, a2, a3, a4, a5);                                              \
        }

typedef struct archive A;
typedef struct archive_entry E;

FWD1(int, archive_read_support_filter_gzip, A *)
FWD1(int, archive_read_support_filter_bzip2, A *)
FWD1(int, archive_read_support_filter_xz, A *)
FWD1(int, archive_read_support_filter_zstd, A *)
FWD1(int, archive_read_support_format_tar, A *)
FWD1(int, archive_read_support_format_raw, A *)
FWD1(int, archive_read_support_format_empty, A *)
FWD5(int, archive_read_open, A *, void *, archive_open_callback *, archive_read_callback *,
     archive_close_callback *)
FWD3(int, archive_read_open_filename, A *, const char *, size_t)
FWD3(int, archive_read_open_memory, A *, const void *, size_t)
FWD2(int, archive_read_next_header, A *, E **)
FWD3(la_ssize_t, archive_read_data, A *, void *, size_t)
FWD4(int, archive_read_data_block, A *, const void **, size_t *, la_int64_t *)
FWD1(int, archive_read_free, A *)
FWD1(int, archive_errno, A *)
FWD1(const char *, archive_error_string, A *)
FWD2(int, archive_write_disk_set_options, A *, int)
FWD2(int, archive_write_header, A *, E *)
FWD4(la_ssize_t, archive_write_data_block, A *, const void *, size_t, la_int64_t)
FWD1(int, archive_write_finish_entry, A *)
FWD1(int, archive_write_close, A *)
FWD1(int, archive_write_free, A *)
FWD1(const char *, archive_entry_pathname, E *)
FWD1(const char *, archive_entry_hardlink, E *)
FWD1(const char *, archive_entry_symlink, E *)
FWD1(__LA_MODE_T, archive_entry_filetype, E *)
FWD1(__LA_MODE_T, archive_entry_perm, E *)
FWD1(la_int64_t, archive_entry_size, E *)
FWD1(dev_t, archive_entry_rdev, E *)
FWD1(la_int64_t, archive_entry_uid, E *)
FWD1(la_int64_t, archive_entry_gid, E *)
FWD1(time_t, archive_entry_mtime, E *)
FWD1(long, archive_entry_mtime_nsec, E *)
FWD1(time_t, archive_entry_atime, E *)
FWD1(long, archive_entry_atime_nsec, E *)
FWD1(int, archive_entry_atime_is_set, E *)
FWD2(void, archive_entry_copy_pathname, E *, const char *)
FWD2(void, archive_entry_copy_hardlink, E *, const char *)
FWD1(void, archive_entry_xattr_clear, E *)
FWD4(void, archive_entry_xattr_add_entry, E *, const char *, const void *, size_t)
FWD1(int, archive_entry_xattr_reset, E *)
FWD4(int, archive_entry_xattr_next, E *, const char **, const void **, size_t *)
FWD1(void, archive_entry_free, E *)
FWD2(void, archive_entry_set_pathname, E *, const char *)
FWD1(int, archive_read_disk_descend, A *)
FWD2(int, archive_read_disk_open, A *, const char *)
FWD1(int, archive_read_disk_set_symlink_physical, A *)
FWD2(int, archive_read_next_header2, A *, E *)
FWD3(int, archive_read_open_fd, A *, int, size_t)
FWD3(la_ssize_t, archive_write_data, A *, const void *, size_t)
FWD5(int, archive_write_open, A *, void *, archive_open_callback *, archive_write_callback *,
     archive_close_callback *)
FWD2(int, archive_write_open_fd, A *, int)
FWD2(int, archive_write_set_bytes_in_last_block, A *, int)
FWD1(int, archive_write_set_format_pax_restricted, A *)
