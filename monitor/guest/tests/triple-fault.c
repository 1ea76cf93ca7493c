/* triple-fault: in ring 0, loads an empty IDT and executes ud2: no handler for #UD nor #DF, so the CPU shuts down. */
#include "solo5.h"
#include "tb_manifest.h"

TB_MANIFEST_NONE();

const int tb_force_ring0 = 1; /* lidt needs ring 0 */

int solo5_app_main(const struct solo5_start_info *info)
{
    (void)info;
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } empty = { 0, 0 };
    __asm__ __volatile__("lidt %0; ud2" : : "m"(empty));
    return 0;
}
