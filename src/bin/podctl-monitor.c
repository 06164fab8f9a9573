/* podctl-monitor: one per Pod; see src/monitor/monitor.h. */
#include <malloc.h>

#include "monitor/monitor.h"

int main(int argc, char **argv);
int main(int argc, char **argv)
{
        /* One malloc arena: the monitor is one thread; a thread one of its
         * libraries started would leave an arena of its own mapped for the
         * Pod's life (docs/PERFORMANCE.md, "Monitor memory"). */
        mallopt(M_ARENA_MAX, 1);
        return pc_monitor_main(argc, argv);
}
