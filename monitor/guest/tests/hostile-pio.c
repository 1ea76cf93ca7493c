/* hostile-pio: a ring-0 guest misusing port I/O: "fault-port" (a fake fault report), "in" (a read), "port" (an unknown port); "ud2" faults in ring 0. */
#include "solo5.h"
#include "tb_manifest.h"
#include "tb_string.h"
#include "../runtime/runtime.h"

TB_MANIFEST_NONE();

const int tb_force_ring0 = 1; /* port I/O needs ring 0 */

int solo5_app_main(const struct solo5_start_info *info)
{
    const char *mode = info->cmdline;
    if (!strcmp(mode, "fault-port")) {
        __asm__ __volatile__("outl %0, %1" : : "a"(0xfffffff0u), "d"((uint16_t)TB_FAULT_PIO_PORT));
    } else if (!strcmp(mode, "in")) {
        uint32_t v;
        __asm__ __volatile__("inl %1, %0" : "=a"(v) : "d"((uint16_t)(HVT_HYPERCALL_PIO_BASE + HVT_HYPERCALL_PUTS)));
    } else if (!strcmp(mode, "port")) {
        __asm__ __volatile__("outl %0, %1" : : "a"(0u), "d"((uint16_t)0x1234));
    } else if (!strcmp(mode, "ud2")) {
        __asm__ __volatile__("ud2");
    }
    return 0;
}
