/* shm_link_stall: answers ARP on "service0" until the first UDP datagram, then stops reading for STALL_MS, then counts COUNT datagrams ("received N"). */
#include "solo5.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "tb_net.h"

TB_MANIFEST_NET1("service0");

static uint8_t frame[TB_FRAME_MAX];

static uint64_t number(const char **s)
{
    uint64_t v = 0;
    while (**s == ' ')
        (*s)++;
    while (**s >= '0' && **s <= '9')
        v = v * 10 + (uint64_t)(*(*s)++ - '0');
    return v;
}

/* Reads what is waiting; the number of UDP datagrams for us among it. */
static uint64_t drain(struct tb_nic *nic)
{
    struct tb_udp_view udp;
    size_t len;
    uint64_t n = 0;
    while (solo5_net_read(nic->handle, frame, sizeof frame, &len) == SOLO5_R_OK)
        n += tb_nic_input(nic, frame, len, &udp) == TB_IN_UDP;
    tb_nic_flush(nic);
    return n;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    const char *args = si->cmdline;
    uint64_t stall_ms = number(&args), count = number(&args);
    struct tb_nic nic;
    uint32_t ip = 0x0a1e0002; /* 10.30.0.2: the tests' sink address */

    if (stall_ms == 0 || count == 0) {
        tb_printf("usage: shm_link_stall STALL_MS COUNT\n");
        return 2;
    }
    if (tb_nic_open(&nic, "service0", ip, 24, 0) != 0)
        return 3;
    tb_printf("ready: stall\n");
    uint64_t got = 0;
    while (got == 0) {
        got = drain(&nic);
        solo5_yield(solo5_clock_monotonic() + 100000000ULL, NULL);
    }
    tb_printf("stalling\n");
    solo5_time_t t = solo5_clock_monotonic() + stall_ms * 1000000ULL;
    while (solo5_clock_monotonic() < t) /* busy, not reading: the shared ring fills and the sender waits */
        ;
    tb_printf("reading\n");
    while (got < count) {
        got += drain(&nic);
        if (got < count)
            solo5_yield(solo5_clock_monotonic() + 100000000ULL, NULL);
    }
    tb_printf("received %lu\n", got);
    return SOLO5_EXIT_SUCCESS;
}
