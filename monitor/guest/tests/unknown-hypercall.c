/* unknown-hypercall: stores to hypercall slot 42 of the MMIO window, which has no handler. */
#include "solo5.h"
#include "tb_manifest.h"
#include "../runtime/runtime.h"

TB_MANIFEST_NONE();

int solo5_app_main(const struct solo5_start_info *info)
{
    (void)info;
    uint64_t dummy = 0;
    tb_hypercall(42, &dummy);
    return 0;
}
