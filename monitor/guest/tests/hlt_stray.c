/* hlt_stray: a ring-3 guest misusing --sleep=hlt's stubs: "ud2" (an invalid opcode away from the sleep site, must be reported), "site" (calls the sleep site with nothing to wake it: sleeps until stopped). */
#include "solo5.h"
#include "tb_abi.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "tb_string.h"

TB_MANIFEST_NONE();

int solo5_app_main(const struct solo5_start_info *info)
{
    const char *mode = info->cmdline;
    if (!strcmp(mode, "ud2")) {
        __asm__ __volatile__("ud2");
    } else if (!strcmp(mode, "site")) {
        tb_printf("ready: calling the sleep site\n");
        __asm__ __volatile__("call *%0" : : "r"((uintptr_t)TB_SLEEP_SITE_GPA) : "memory", "cc");
        tb_printf("woke\n");
    }
    return 0;
}
