/* args_exit.c: tb_args_or_exit: the apps' one way to reject a bad command line (message, usage, exit status 2). */
#include "tb_args.h"
#include "tb_fmt.h"
#include "solo5.h"

void tb_args_or_exit(const char *app, const char *cmdline, uint32_t allowed,
                     uint32_t required, struct tb_args *out)
{
    char err[160];

    if (tb_args_parse(cmdline, allowed, required, out, err, sizeof(err)) == 0)
        return;
    tb_printf("%s: %s\n", app, err);
    tb_args_usage(app, allowed, required);
    solo5_exit(TB_EXIT_USAGE);
}
