/* echo: boot-path test guest: prints its ring and command line; "exit=N" in the arguments sets its exit status. */
#include "solo5.h"
#include "tb_manifest.h"
#include "tb_string.h"
#include "../runtime/runtime.h"

TB_MANIFEST_NONE();

static void puts_(const char *s)
{
    solo5_console_write(s, strlen(s));
}

/* The status after the first "exit=", 0 when absent. */
static int exit_status(const char *cmdline)
{
    const char *p = cmdline;
    for (; *p; p++)
        if (!strncmp(p, "exit=", 5) && (p == cmdline || p[-1] == ' '))
            break;
    int n = 0;
    if (*p)
        for (p += 5; *p >= '0' && *p <= '9'; p++)
            n = n * 10 + (*p - '0');
    return n;
}

int solo5_app_main(const struct solo5_start_info *info)
{
    puts_(tb_in_ring3 ? "echo: ring 3\n" : "echo: ring 0\n");
    puts_("echo: args: [");
    puts_(info->cmdline);
    puts_("]\n");
    return exit_status(info->cmdline);
}
