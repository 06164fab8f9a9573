/* podctl annotate pod NAME... | -l SELECTOR | --all  KEY=VALUE... KEY-... [--overwrite]
 * The annotations' side of label.c. */
#include "cli/cli.h"

int cmd_annotate(struct pc_cli *cli, int argc, char **argv)
{
        return pc_cli_meta_verb(cli, argc, argv, false);
}
