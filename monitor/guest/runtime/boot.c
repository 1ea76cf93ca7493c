/* boot.c: the runtime's C entry: records the boot info, then runs solo5_app_main and exits with its result. */
#include "solo5.h"
#include "runtime.h"

const struct hvt_boot_info *tb_boot_info;
int tb_in_ring3;
__attribute__((weak)) const int tb_force_ring0 = 0;

static uintptr_t page_up(uintptr_t x)
{
    return (x + 0xfff) & ~(uintptr_t)0xfff;
}

void tb_boot(const struct hvt_boot_info *bi, int ring3);

void tb_boot(const struct hvt_boot_info *bi, int ring3)
{
    tb_boot_info = bi;
    tb_in_ring3 = ring3;
    tb_clock_init(bi->cpu_cycle_freq);

    uintptr_t heap_start = page_up(bi->kernel_end);
    uintptr_t heap_end = bi->mem_size > TB_STACK_SIZE ? bi->mem_size - TB_STACK_SIZE : 0;
    struct solo5_start_info info = {
        .cmdline = (const char *)(uintptr_t)bi->cmdline,
        .heap_start = heap_start,
        .heap_size = heap_end > heap_start ? heap_end - heap_start : 0,
    };
    solo5_exit(solo5_app_main(&info));
}
