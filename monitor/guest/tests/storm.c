/* storm: N WALLTIME hypercalls back to back (N from the command line, default 100000), then exit 0. */
#include "solo5.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "../runtime/runtime.h"

TB_MANIFEST_NONE();

static uint64_t parse_count(const char *s)
{
    uint64_t n = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        n = n * 10 + (uint64_t)(*s - '0');
    return n ? n : 100000;
}

int solo5_app_main(const struct solo5_start_info *info)
{
    uint64_t n = parse_count(info->cmdline);
    struct hvt_hc_walltime wt;
    solo5_time_t t0 = solo5_clock_monotonic();
    for (uint64_t i = 0; i < n; i++)
        tb_hypercall(HVT_HYPERCALL_WALLTIME, &wt);
    solo5_time_t ns = solo5_clock_monotonic() - t0;
    tb_printf("storm: ring %d, %lu hypercalls in %lu ns, %lu ns each\n", tb_in_ring3 ? 3 : 0, (unsigned long)n,
              (unsigned long)ns, (unsigned long)(ns / n));
    return 0;
}
