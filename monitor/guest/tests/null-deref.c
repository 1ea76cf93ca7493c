/* null-deref: reads address 0 from ring 3; the monitor must report a #PF with cr2=0 and stop it. */
#include "solo5.h"
#include "tb_manifest.h"

TB_MANIFEST_NONE();

int solo5_app_main(const struct solo5_start_info *info)
{
    (void)info;
    volatile int *p;
    __asm__("" : "=r"(p) : "0"(0)); /* hide the NULL from the optimiser, which would emit a trap instead */
    return *p;
}
