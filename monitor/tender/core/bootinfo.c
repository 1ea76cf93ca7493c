/* bootinfo.c: fills in the boot info (Solo5 fields plus our ring-3 extension) and copies the guest's command line. */
#include <string.h>

#include "bootinfo.h"
#include "mem.h"

void tb_boot_info_write(struct tb_vm *vm, const char *cmdline)
{
    char *dst = tb_low(vm, TB_CMDLINE_GPA);
    size_t len = strnlen(cmdline, HVT_CMDLINE_SIZE - 1);
    memcpy(dst, cmdline, len);
    dst[len] = '\0';

    struct hvt_boot_info *bi = tb_low(vm, TB_BOOT_INFO_GPA);
    memset(bi, 0, sizeof *bi);
    bi->mem_size = vm->mem_size;
    bi->kernel_end = vm->kernel_end;
    bi->cpu_cycle_freq = vm->tsc_hz;
    bi->cmdline = TB_CMDLINE_GPA;
    bi->mft = TB_MFT_GPA;
    if (vm->solo5_ring_gpa) {
        bi->host_features = HVT_FEATURE_RING_IO;
        bi->net_ring = vm->solo5_ring_gpa;
    }
    bi->ext.magic = TB_BOOT_EXT_MAGIC;
    bi->ext.features = TB_FEATURE_RING3;
    bi->ext.hypercall_mmio = TB_HYPERCALL_MMIO_BASE;
    bi->ext.user_cs = TB_SEL_UCODE | 3;
    bi->ext.user_ss = TB_SEL_UDATA | 3;
}
