/* edge-net: hostile uses of a NIC; the argument names the case. Hypercall cases (run with --io=hypercall):
 * netread-low, netread-straddle, netread-code, netwrite-straddle must be stopped. shmstream cases (--io=poll):
 * "geometry" overwrites every geometry field the monitor published and still sends 10 frames through the rings it
 * was given; "len-race" flips a published TX frame's length between valid and huge while the IO thread reads it. */
#include "solo5.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "tb_ring.h"
#include "tb_string.h"
#include "../runtime/runtime.h"

TB_MANIFEST_NET1("service0");

#define FRAME 60
#define FRAMES 10
#define RACE_FRAMES 200
#define FLIPS 20000

static int hypercall_case(const char *mode)
{
    uint64_t top = tb_boot_info->mem_size;
    struct hvt_hc_net_read r = { .handle = 0, .len = 2048 };
    struct hvt_hc_net_write w = { .handle = 0, .data = top - 30, .len = FRAME };
    if (!strcmp(mode, "netread-low")) {
        r.data = 0x1000; /* the monitor's own low memory: never written for a guest */
    } else if (!strcmp(mode, "netread-straddle")) {
        r.data = top - 1024;
    } else if (!strcmp(mode, "netread-code")) {
        r.data = (uint64_t)(uintptr_t)&hypercall_case; /* our text: read-only to us, so to the monitor too */
    } else if (!strcmp(mode, "netwrite-straddle")) {
        tb_hypercall(HVT_HYPERCALL_NET_WRITE, &w);
        return 1;
    } else {
        return 0;
    }
    tb_hypercall(HVT_HYPERCALL_NET_READ, &r);
    return 1;
}

struct rings {
    struct tb_shm_header *h;
    struct tb_ring *tx;
    uint32_t mask;
    volatile uint64_t *doorbell;
};

static void fill_frame(uint8_t *data)
{
    memset(data, 0xff, 6);                      /* broadcast */
    memset(data + 6, 0x02, 6);
    data[12] = 0x88, data[13] = 0xb5;           /* an experimental EtherType: nobody answers */
    memset(data + 14, 0x5a, FRAME - 14);
}

/* Publishes one frame into the TX ring we were given; returns its slot. */
static struct tb_slot *publish(struct rings *g)
{
    uint32_t prod = __atomic_load_n(&g->tx->prod, __ATOMIC_RELAXED);
    while (prod - __atomic_load_n(&g->tx->cons, __ATOMIC_ACQUIRE) > g->mask)
        __asm__ __volatile__("pause");
    struct tb_slot *slot = &g->tx->slot[prod & g->mask];
    fill_frame(slot->data);
    slot->len = FRAME;
    slot->flags = 0;
    __atomic_store_n(&g->tx->prod, prod + 1, __ATOMIC_RELEASE);
    *g->doorbell = 1;
    return slot;
}

static int shm_rings(struct rings *g)
{
    const struct hvt_boot_info *bi = tb_boot_info;
    if (!(bi->ext.features & TB_FEATURE_SHMSTREAM))
        return -1;
    solo5_handle_t nic;
    struct solo5_net_info info;
    if (solo5_net_acquire("service0", &nic, &info) != SOLO5_R_OK) /* attaches the NIC to its rings */
        return -1;
    g->h = (struct tb_shm_header *)(uintptr_t)bi->ext.shm_gpa;
    g->tx = (struct tb_ring *)((uint8_t *)g->h + g->h->nic[0].tx_off);
    g->mask = g->h->slot_count - 1;
    g->doorbell = (volatile uint64_t *)(uintptr_t)g->h->doorbell_base;
    return 0;
}

static void wait_drained(struct rings *g)
{
    solo5_time_t end = solo5_clock_monotonic() + 5000000000ULL;
    while (__atomic_load_n(&g->tx->cons, __ATOMIC_ACQUIRE) != __atomic_load_n(&g->tx->prod, __ATOMIC_RELAXED)
           && solo5_clock_monotonic() < end)
        __asm__ __volatile__("pause");
}

static int geometry(struct rings *g)
{
    g->h->slot_count = 0x80000000u;
    g->h->slot_size = 1;
    g->h->header_size = 0;
    g->h->nics = 64;
    g->h->region_size = ~0ULL;
    g->h->doorbell_base = 0;
    g->h->nic[0].rx_off = g->h->nic[0].tx_off = 0x7fffffff0000ULL;
    g->tx->magic = 0;
    g->tx->slot_count = 0x40000000u;
    g->tx->slot_size = 0xffffffffu;
    for (int i = 0; i < FRAMES; i++)
        publish(g);
    wait_drained(g);
    tb_printf("edge-net: geometry overwritten, %d frames published\n", FRAMES);
    return 0;
}

static int len_race(struct rings *g)
{
    for (int i = 0; i < RACE_FRAMES; i++) {
        struct tb_slot *slot = publish(g);
        volatile uint32_t *len = &slot->len;
        for (int f = 0; f < FLIPS; f++)
            *len = (f & 1) ? 60000 : FRAME;
        *len = FRAME;
    }
    wait_drained(g);
    tb_printf("edge-net: len-race survived\n");
    return 0;
}

int solo5_app_main(const struct solo5_start_info *info)
{
    const char *mode = info->cmdline;
    if (hypercall_case(mode)) {
        tb_printf("edge-net: the monitor let it pass\n");
        return 3;
    }
    struct rings g;
    if (strcmp(mode, "geometry") && strcmp(mode, "len-race")) {
        tb_printf("edge-net: unknown case '%s'\n", mode);
        return 2;
    }
    if (shm_rings(&g) < 0) {
        tb_printf("edge-net: no shmstream rings\n");
        return 4;
    }
    return !strcmp(mode, "geometry") ? geometry(&g) : len_race(&g);
}
