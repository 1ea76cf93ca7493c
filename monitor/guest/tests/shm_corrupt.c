/* shm_corrupt: a hostile guest that breaks one field of its shmstream rings (argument: prod, len, cons, flag, attach); the monitor must stop it with a reason. */
#include "solo5.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "tb_ring.h"
#include "tb_string.h"

TB_MANIFEST_NET1("service0");

extern const struct hvt_boot_info *tb_boot_info; /* the runtime's */

static void ring_doorbell(const struct tb_shm_header *h)
{
    *(volatile uint64_t *)(uintptr_t)h->doorbell_base = 1; /* handle 0 */
}

int solo5_app_main(const struct solo5_start_info *si)
{
    const char *what = si->cmdline;
    const struct hvt_boot_info *bi = tb_boot_info;
    if (!(bi->ext.features & TB_FEATURE_SHMSTREAM)) {
        tb_printf("shm_corrupt: the monitor offers no shmstream region\n");
        return 3;
    }
    struct tb_shm_header *h = (struct tb_shm_header *)(uintptr_t)bi->ext.shm_gpa;
    struct tb_ring *rx = (struct tb_ring *)((uint8_t *)h + h->nic[0].rx_off);
    struct tb_ring *tx = (struct tb_ring *)((uint8_t *)h + h->nic[0].tx_off);
    uint8_t frame[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

    tb_printf("corrupting: %s\n", what); /* first: a polling monitor may stop us right after the store */
    if (strcmp(what, "attach") == 0) {
        h->nic[0].attach = 0x12345678; /* neither 0 nor TB_SHM_ATTACH */
    } else {
        solo5_handle_t nic;
        struct solo5_net_info info;
        if (solo5_net_acquire("service0", &nic, &info) != SOLO5_R_OK)
            return 4;
        if (strcmp(what, "prod") == 0) {
            tx->prod += 100000;                    /* claims more frames than the ring has slots */
        } else if (strcmp(what, "len") == 0) {
            tx->slot[tx->prod & (h->slot_count - 1)].len = 60000; /* a frame longer than its slot */
            tx->prod += 1;
        } else if (strcmp(what, "cons") == 0) {
            rx->cons -= 7;                         /* the consumer index runs backwards */
        } else if (strcmp(what, "flag") == 0) {
            tx->prod_wait = 7;                     /* a wait flag that is neither 0 nor 1 */
            solo5_net_write(nic, frame, sizeof frame);
        } else {
            tb_printf("shm_corrupt: unknown case '%s'\n", what);
            return 2;
        }
    }
    ring_doorbell(h);
    /* The monitor should stop us now; if it does not within 5 s, say so with a distinct status. */
    solo5_time_t end = solo5_clock_monotonic() + 5000000000ULL;
    while (solo5_clock_monotonic() < end)
        solo5_yield(end, NULL);
    tb_printf("shm_corrupt: still running\n");
    return 0;
}
