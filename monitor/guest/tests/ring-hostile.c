/* ring-hostile: hands the monitor a corrupt Solo5 ring (a read into unmapped memory, 5000 entries at once, an
 * unknown operation) and kicks: the monitor must stop it, never touch memory outside the guest. */
#include "solo5.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "tb_string.h"
#include "../runtime/runtime.h"

TB_MANIFEST_NET1("service0");

const int tb_force_ring0 = 1;

int solo5_app_main(const struct solo5_start_info *info)
{
    if (!(tb_boot_info->host_features & HVT_FEATURE_RING_IO) || !tb_boot_info->net_ring) {
        tb_printf("ring-hostile: no ring offered\n");
        return 4;
    }
    struct hvt_ring *r = (struct hvt_ring *)(uintptr_t)tb_boot_info->net_ring;
    struct hvt_ring_entry *e = &r->entries[0];
    e->operation = HVT_RING_NET_READ;
    e->handle = 0;
    e->data = 0x7fff00000000ULL;
    e->len = 2048;
    if (!strcmp(info->cmdline, "ring-overrun"))
        r->ent_tail = 5000;
    else
        r->ent_tail = 1;
    if (!strcmp(info->cmdline, "ring-bad-op"))
        e->operation = 7;
    __asm__ __volatile__("outl %0, %1" : : "a"(0u), "d"((uint16_t)HVT_RING_KICK_PIO_BASE) : "memory");
    tb_printf("ring-hostile: the monitor let it pass\n");
    return 3;
}
