/* Watching a root's Pods without polling: inotify on pods/ (a Pod dir made or
 * removed) and on each Pod dir (status.json and pod.json are replaced by
 * rename; monitor.lock is closed when its monitor exits, which is how a lost
 * monitor shows). A reader calls podctl_watch_wait, then reads the Pods again
 * (podctl_pod_get/list): events only say "look again", never what changed. */
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

int podctl_watch_wait(struct podctl_watch *w, int timeout_ms, pc_error *err)
{
        struct pollfd p = {.fd = w->fd, .events = POLLIN};
        int r;
        do
                r = poll(&p, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return pc_fail(err, errno, "poll inotify");
        if (r == 0)
                return 0;
        /* Drain everything queued: one look covers it all. */
        char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
        while (read(w->fd, buf, sizeof(buf)) > 0)
                ;
        watch_pod_dirs(w); /* Pods created meanwhile */
        return 1;
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
