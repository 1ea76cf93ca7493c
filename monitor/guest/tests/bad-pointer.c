/* bad-pointer: PUTS with a buffer outside guest RAM ("arg": the argument outside RAM; "low": WALLTIME writing to the page tables). */
#include "solo5.h"
#include "tb_manifest.h"
#include "tb_string.h"
#include "../runtime/runtime.h"

TB_MANIFEST_NONE();

#define OUTSIDE_RAM 0x7f0000000000ULL

int solo5_app_main(const struct solo5_start_info *info)
{
    if (!strcmp(info->cmdline, "arg")) {
        tb_hypercall(HVT_HYPERCALL_PUTS, (void *)OUTSIDE_RAM);
    } else if (!strcmp(info->cmdline, "low")) {
        tb_hypercall(HVT_HYPERCALL_WALLTIME, (void *)TB_PML4_GPA); /* in RAM, but the monitor's: never written for a guest */
    } else {
        struct hvt_hc_puts p = { .data = OUTSIDE_RAM, .len = 16 };
        tb_hypercall(HVT_HYPERCALL_PUTS, &p);
    }
    return 0; /* not reached: the monitor stops us */
}
