/* Watching a root's Pods without polling: inotify on pods/ (a Pod dir made or
 * removed) and on each Pod dir (status.json and pod.json are replaced by
 * rename; monitor.lock is closed when its monitor exits, which is how a lost
 * monitor shows). A reader calls podctl_watch_wait, then reads the Pods again
 * (podctl_pod_get/list): events only say "look again", never what changed.
 * A write of list.json (the listing's cache, list.c) says nothing new. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "pod/internal.h"
#include "podctl/podctl.h"
#include "util/util.h"

struct podctl_watch {
        int fd;
        char *pods_dir;
};

#define POD_DIR_EVENTS (IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_CREATE)

/* A watch on every Pod dir there is now (inotify_add_watch is idempotent). */
static void watch_pod_dirs(struct podctl_watch *w)
{
        DIR *d = opendir(w->pods_dir);
        if (!d)
                return;
        struct dirent *e;
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *p = pc_xasprintf("%s/%s", w->pods_dir, e->d_name);
                inotify_add_watch(w->fd, p, POD_DIR_EVENTS | IN_ONLYDIR);
        }
        closedir(d);
}

int podctl_watch_open(podctl *ctx, struct podctl_watch **out, pc_error *err)
{
        struct podctl_watch *w = pc_xcalloc(1, sizeof(*w));
        w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (w->fd < 0) {
                free(w);
                return pc_fail(err, errno, "inotify_init1");
        }
        w->pods_dir = pc_xstrdup(ctx->root.pods_dir);
        if (inotify_add_watch(w->fd, w->pods_dir,
                              IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ONLYDIR) <
            0) {
                pc_fail(err, errno, "inotify_add_watch %s", w->pods_dir);
                podctl_watch_close(w);
                return -1;
        }
        watch_pod_dirs(w);
        *out = w;
        return 0;
}

int podctl_watch_fd(const struct podctl_watch *w)
{
        return w->fd;
}

/* Drain everything queued (one look covers it all): does any of it say
 * more than that a list.json was written (a reader's cache, list.c: no
 * Pod changed)? */
static bool drain(struct podctl_watch *w)
{
        char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool news = false;
        ssize_t n;
        while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *e = (const struct inotify_event *)p;
                        if (!e->len || strcmp(e->name, PC_LIST_FILE))
                                news = true;
                        p += sizeof(*e) + e->len;
                }
        }
        return news;
}

int podctl_watch_wait(struct podctl_watch *w, int timeout_ms, pc_error *err)
{
        int64_t deadline = timeout_ms < 0 ? -1 : pc_monotonic_ns() + timeout_ms * 1000000LL;
        for (;;) {
                int left = -1;
                if (deadline >= 0) {
                        int64_t ns = deadline - pc_monotonic_ns();
                        left = ns > 0 ? (int)((ns + 999999) / 1000000) : 0;
                }
                struct pollfd p = {.fd = w->fd, .events = POLLIN};
                int r = poll(&p, 1, left);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return pc_fail(err, errno, "poll inotify");
                if (r == 0)
                        return 0;
                bool news = drain(w);
                watch_pod_dirs(w); /* Pods created meanwhile */
                if (news)
                        return 1;
        }
}

void podctl_watch_close(struct podctl_watch *w)
{
        if (!w)
                return;
        if (w->fd >= 0)
                close(w->fd);
        free(w->pods_dir);
        free(w);
}
