/* podctl-monitor: one per Pod; see src/monitor/monitor.h. */
int main(int argc, char **argv);
int main(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        return 1;
}
