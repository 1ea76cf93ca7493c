/* ring0-echo: stands in for an unmodified Solo5 guest: stays in ring 0 and uses PIO hypercalls even when ring 3 is offered. */
#include "solo5.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "../runtime/runtime.h"

TB_MANIFEST_NONE();

const int tb_force_ring0 = 1;

int solo5_app_main(const struct solo5_start_info *info)
{
    solo5_time_t t0 = solo5_clock_monotonic();
    solo5_time_t wall = solo5_clock_wall();
    tb_printf("ring0-echo: ring %d, args: [%s], wall %lu s\n", tb_in_ring3 ? 3 : 0, info->cmdline,
              (unsigned long)(wall / 1000000000ULL));
    tb_printf("ring0-echo: monotonic advanced %s\n", solo5_clock_monotonic() > t0 ? "yes" : "no");
    return 3;
}
