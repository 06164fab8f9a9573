/* podctl-monitor: one per Pod; see src/monitor/monitor.h. */
#include "monitor/monitor.h"

int main(int argc, char **argv);
int main(int argc, char **argv)
{
        return pc_monitor_main(argc, argv);
}
