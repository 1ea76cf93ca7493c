/* bad-length: PUTS from a valid buffer with a length that runs past RAM and would wrap a 64-bit sum. */
#include "solo5.h"
#include "tb_manifest.h"
#include "../runtime/runtime.h"

TB_MANIFEST_NONE();

static const char msg[] = "never printed\n";

int solo5_app_main(const struct solo5_start_info *info)
{
    (void)info;
    struct hvt_hc_puts p = { .data = (uint64_t)(uintptr_t)msg, .len = ~0ULL - 8 };
    tb_hypercall(HVT_HYPERCALL_PUTS, &p);
    return 0;
}
