/* write-code: stores into its own .text; the monitor maps code read-only, so it must stop the guest (exit 1,
 * "host/guest translation fault", as solo5-hvt) before the store lands. "ring0" stays in ring 0 as Solo5 guests do. */
#include "solo5.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "tb_string.h"
#include "../runtime/runtime.h"

TB_MANIFEST_NONE();

int solo5_app_main(const struct solo5_start_info *info)
{
    (void)info;
    volatile uint8_t *code = (volatile uint8_t *)(uintptr_t)solo5_app_main;
    tb_printf("write-code: ring %d, storing to 0x%lx\n", tb_in_ring3 ? 3 : 0, (unsigned long)(uintptr_t)code);
    *code = 0xc3; /* ret: harmless if it landed, but it must not */
    tb_printf("write-code: the store landed\n");
    return 3;
}
