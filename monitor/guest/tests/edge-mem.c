/* edge-mem: hypercall buffers at the edges of guest RAM and misuse of the ring-3 hypercall (MMIO) window; the
 * argument names the case. Each case but "puts-last" must be stopped by the monitor. */
#include "solo5.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "tb_string.h"
#include "../runtime/runtime.h"

TB_MANIFEST_NONE();

static void store64(uint64_t addr, uint64_t value)
{
    *(volatile uint64_t *)(uintptr_t)addr = value;
}

/* The hypercall window's page is mapped for ring 3; only its first page names hypercalls. */
static int mmio_case(const char *mode)
{
    uint64_t puts_slot = TB_HYPERCALL_ADDR(HVT_HYPERCALL_PUTS);
    if (!strcmp(mode, "mmio-narrow")) {
        *(volatile uint32_t *)(uintptr_t)puts_slot = 0x200000; /* a 4-byte store */
    } else if (!strcmp(mode, "mmio-read")) {
        (void)*(volatile uint64_t *)(uintptr_t)puts_slot;
    } else if (!strcmp(mode, "mmio-misaligned")) {
        store64(puts_slot + 4, 0x200000);
    } else if (!strcmp(mode, "mmio-doorbell")) {
        store64(TB_DOORBELL_MMIO_BASE, 1); /* no shmstream in this run: nothing is bound there */
    } else if (!strcmp(mode, "mmio-far")) {
        store64(TB_HYPERCALL_MMIO_BASE + 0x100000, 1);
    } else {
        return 0;
    }
    return 1;
}

int solo5_app_main(const struct solo5_start_info *info)
{
    const char *mode = info->cmdline;
    uint64_t top = tb_boot_info->mem_size;
    if (!strcmp(mode, "puts-straddle")) {
        struct hvt_hc_puts p = { .data = top - 8, .len = 16 };
        tb_hypercall(HVT_HYPERCALL_PUTS, &p);
    } else if (!strcmp(mode, "puts-last")) {
        /* The last 16 bytes of RAM are guest memory like any other: allowed. */
        struct hvt_hc_puts p = { .data = top - 16, .len = 16 };
        tb_hypercall(HVT_HYPERCALL_PUTS, &p);
        tb_printf("\nedge-mem: last bytes printed\n");
        return 0;
    } else if (!strcmp(mode, "puts-past")) {
        struct hvt_hc_puts p = { .data = top, .len = 1 };
        tb_hypercall(HVT_HYPERCALL_PUTS, &p);
    } else if (!strcmp(mode, "arg-straddle")) {
        tb_hypercall(HVT_HYPERCALL_WALLTIME, (void *)(uintptr_t)(top - 4)); /* an 8-byte struct over the top */
    } else if (!mmio_case(mode)) {
        tb_printf("edge-mem: unknown case '%s'\n", mode);
        return 2;
    }
    tb_printf("edge-mem: the monitor let it pass\n");
    return 3;
}
