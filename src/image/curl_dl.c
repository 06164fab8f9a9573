/* libcurl, loaded when a pull first needs it.
 *
 * libcurl brings about 25 shared libraries of its own (TLS, HTTP/2, IDN,
 * Kerberos, LDAP, SSH, ...), which the dynamic loader would map and relocate
 * at every start of every podctl command, though only pulls use them: most of
 * a `podctl get` was spent there (docs/PERFORMANCE.md, "CLI start"). So
 * podctl is not linked with libcurl: this file defines the libcurl functions
 * registry.c and pull.c call, each forwarding to the real one, looked up with
 * dlopen("libcurl.so.4") + dlsym on first use (the approach systemd takes for
 * its optional libraries). The functions keep libcurl's own prototypes from
 * <curl/curl.h>, so the callers are plain libcurl code. */
#define CURL_DISABLE_TYPECHECK /* the header's checking macros would rename ours */
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "image/registry_int.h"

#define CURL_SONAME "libcurl.so.4"

/* Every function we forward; each slot has the type of libcurl's own
 * declaration (gnu11 typeof). */
#define CURL_FUNCS(X)                                                                              \
        X(curl_global_init)                                                                        \
        X(curl_easy_init)                                                                          \
        X(curl_easy_setopt)                                                                        \
        X(curl_easy_perform)                                                                       \
        X(curl_easy_cleanup)                                                                       \
        X(curl_easy_getinfo)                                                                       \
        X(curl_easy_reset)                                                                         \
        X(curl_easy_strerror)                                                                      \
        X(curl_easy_escape)                                                                        \
        X(curl_free)                                                                               \
        X(curl_slist_append)                                                                       \
        X(curl_slist_free_all)                                                                     \
        X(curl_version_info)                                                                       \
        X(curl_multi_init)                                                                         \
        X(curl_multi_add_handle)                                                                   \
        X(curl_multi_remove_handle)                                                                \
        X(curl_multi_perform)                                                                      \
        X(curl_multi_poll)                                                                         \
        X(curl_multi_info_read)                                                                    \
        X(curl_multi_cleanup)                                                                      \
        X(curl_multi_strerror)                                                                     \
        X(curl_multi_setopt)

static struct {
#define SLOT(name) __typeof__(name) *name;
        CURL_FUNCS(SLOT)
#undef SLOT
} real;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
        void *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                snprintf(load_error, sizeof(load_error), "cannot load %s (package libcurl4): %s",
                         CURL_SONAME, dlerror());
                return;
        }
#define LOOKUP(name)                                                                               \
        real.name = (__typeof__(real.name))dlsym(h, #name);                                        \
        if (!real.name) {                                                                          \
                snprintf(load_error, sizeof(load_error), "%s has no %s", CURL_SONAME, #name);      \
                return;                                                                            \
        }
        CURL_FUNCS(LOOKUP)
#undef LOOKUP
}

const char *pc_curl_load(void)
{
        pthread_once(&once, load);
        return load_error[0] ? load_error : NULL;
}

/* Once pc_curl_load succeeded (curl_global_init is the first call of every
 * pull and fails without it), the others can forward directly. */
CURLcode curl_global_init(long flags)
{
        if (pc_curl_load())
                return CURLE_FAILED_INIT;
        return real.curl_global_init(flags);
}

CURL *curl_easy_init(void)
{
        return pc_curl_load() ? NULL : real.curl_easy_init();
}

/* A variadic option's argument is a long, a pointer (object, callback or
 * blob) or a curl_off_t, as its number's range says (curl.h's CURLOPTTYPE_*,
 * the same for the multi options). */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
        va_list ap;
        va_start(ap, option);
        CURLcode r;
        if (option < CURLOPTTYPE_OBJECTPOINT)
                r = real.curl_easy_setopt(curl, option, va_arg(ap, long));
        else if (option < CURLOPTTYPE_OFF_T)
                r = real.curl_easy_setopt(curl, option, va_arg(ap, void *));
        else if (option < CURLOPTTYPE_BLOB)
                r = real.curl_easy_setopt(curl, option, va_arg(ap, curl_off_t));
        else
                r = real.curl_easy_setopt(curl, option, va_arg(ap, void *));
        va_end(ap);
        return r;
}

CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
        va_list ap;
        va_start(ap, info);
        CURLcode r = real.curl_easy_getinfo(curl, info, va_arg(ap, void *));
        va_end(ap);
        return r;
}

CURLMcode curl_multi_setopt(CURLM *multi_handle, CURLMoption option, ...)
{
        va_list ap;
        va_start(ap, option);
        CURLMcode r;
        if (option < CURLOPTTYPE_OBJECTPOINT)
                r = real.curl_multi_setopt(multi_handle, option, va_arg(ap, long));
        else if (option < CURLOPTTYPE_OFF_T)
                r = real.curl_multi_setopt(multi_handle, option, va_arg(ap, void *));
        else
                r = real.curl_multi_setopt(multi_handle, option, va_arg(ap, curl_off_t));
        va_end(ap);
        return r;
}

CURLcode curl_easy_perform(CURL *curl)
{
        return real.curl_easy_perform(curl);
}

void curl_easy_cleanup(CURL *curl)
{
        real.curl_easy_cleanup(curl);
}

void curl_easy_reset(CURL *curl)
{
        real.curl_easy_reset(curl);
}

const char *curl_easy_strerror(CURLcode code)
{
        return pc_curl_load() ? "libcurl not loaded" : real.curl_easy_strerror(code);
}

char *curl_easy_escape(CURL *handle, const char *string, int length)
{
        return real.curl_easy_escape(handle, string, length);
}

void curl_free(void *p)
{
        real.curl_free(p);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *data)
{
        return pc_curl_load() ? NULL : real.curl_slist_append(list, data);
}

void curl_slist_free_all(struct curl_slist *list)
{
        if (list)
                real.curl_slist_free_all(list);
}

curl_version_info_data *curl_version_info(CURLversion v)
{
        return pc_curl_load() ? NULL : real.curl_version_info(v);
}

CURLM *curl_multi_init(void)
{
        return pc_curl_load() ? NULL : real.curl_multi_init();
}

CURLMcode curl_multi_add_handle(CURLM *multi_handle, CURL *curl_handle)
{
        return real.curl_multi_add_handle(multi_handle, curl_handle);
}

CURLMcode curl_multi_remove_handle(CURLM *multi_handle, CURL *curl_handle)
{
        return real.curl_multi_remove_handle(multi_handle, curl_handle);
}

CURLMcode curl_multi_perform(CURLM *multi_handle, int *running_handles)
{
        return real.curl_multi_perform(multi_handle, running_handles);
}

CURLMcode curl_multi_poll(CURLM *multi_handle, struct curl_waitfd extra_fds[],
                          unsigned int extra_nfds, int timeout_ms, int *ret)
{
        return real.curl_multi_poll(multi_handle, extra_fds, extra_nfds, timeout_ms, ret);
}

CURLMsg *curl_multi_info_read(CURLM *multi_handle, int *msgs_in_queue)
{
        return real.curl_multi_info_read(multi_handle, msgs_in_queue);
}

CURLMcode curl_multi_cleanup(CURLM *multi_handle)
{
        return real.curl_multi_cleanup(multi_handle);
}

const char *curl_multi_strerror(CURLMcode code)
{
        return pc_curl_load() ? "libcurl not loaded" : real.curl_multi_strerror(code);
}
