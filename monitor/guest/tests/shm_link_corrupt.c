/* shm_link_corrupt: a hostile guest on an shm link: for SECONDS it scribbles over both shared rings (indices, lengths, flags) and kicks its peer. */
#include "solo5.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "tb_ring.h"

TB_MANIFEST_NET1("service0");

extern const struct hvt_boot_info *tb_boot_info; /* the runtime's */

static uint32_t seed = 12345;

static uint32_t next_random(void)
{
    seed = seed * 1103515245u + 12345u;
    return seed;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    const char *s = si->cmdline;
    uint64_t seconds = 0;
    while (*s >= '0' && *s <= '9')
        seconds = seconds * 10 + (uint64_t)(*s++ - '0');
    solo5_handle_t nic;
    struct solo5_net_info info;
    if (seconds == 0 || solo5_net_acquire("service0", &nic, &info) != SOLO5_R_OK)
        return 2;
    const struct hvt_boot_info *bi = tb_boot_info;
    struct tb_shm_header *h = (struct tb_shm_header *)(uintptr_t)bi->ext.shm_gpa;
    struct tb_ring *rx = (struct tb_ring *)((uint8_t *)h + h->nic[nic].rx_off);
    struct tb_ring *tx = (struct tb_ring *)((uint8_t *)h + h->nic[nic].tx_off);
    volatile uint64_t *doorbell = (volatile uint64_t *)(uintptr_t)(h->doorbell_base + 8 * nic);
    uint32_t mask = h->slot_count - 1;

    tb_printf("ready: corrupting\n");
    uint64_t rounds = 0;
    solo5_time_t end = solo5_clock_monotonic() + seconds * 1000000000ULL;
    while (solo5_clock_monotonic() < end) {
        for (uint32_t i = 0; i <= mask; i++)  /* lengths past the slot, zero, or just over the MTU */
            tx->slot[i].len = (uint32_t[]){ 60000, 0, 2041, 0xffffffffu }[next_random() & 3];
        tx->prod += 100000 + (next_random() & 0xffff); /* far more frames than slots */
        rx->cons = next_random();                       /* the peer's TX ring: a consumer index from nowhere */
        tx->cons_wait = 7;                               /* flags that are neither 0 nor 1 */
        rx->prod_wait = next_random();
        tx->slot_count = next_random();                  /* the geometry line too */
        *doorbell = 1;
        rounds++;
        solo5_yield(solo5_clock_monotonic() + 1000000ULL, NULL);
    }
    tb_printf("{\"summary\":true,\"rounds\":%lu}\n", rounds);
    return SOLO5_EXIT_SUCCESS;
}
