/* shm_stall: stops reading its NIC for a while (arguments: STALL_MS READ_MS), then counts UDP datagrams; exercises a full RX ring and recovery. */
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

/* UDP/IPv4 frames: Ethernet type 0x0800, IP protocol 17. */
static int is_udp(const uint8_t *f, size_t len)
{
    return len >= 42 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 17;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    const char *args = si->cmdline;
    uint64_t stall_ms = number(&args), read_ms = number(&args);
    solo5_handle_t nic;
    struct solo5_net_info info;
    size_t len;
    uint64_t udp = 0, other = 0;

    if (stall_ms == 0 || read_ms == 0) {
        tb_printf("usage: shm_stall STALL_MS READ_MS\n");
        return 2;
    }
    if (solo5_net_acquire("service0", &nic, &info) != SOLO5_R_OK)
        return 3;
    tb_printf("stalling\n");
    solo5_time_t t = solo5_clock_monotonic() + stall_ms * 1000000ULL;
    while (solo5_clock_monotonic() < t) /* busy, not reading: the RX ring fills up */
        ;
    tb_printf("reading\n");
    t = solo5_clock_monotonic() + read_ms * 1000000ULL;
    while (solo5_clock_monotonic() < t) {
        while (solo5_net_read(nic, frame, sizeof(frame), &len) == SOLO5_R_OK) {
            if (is_udp(frame, len))
                udp++;
            else
                other++;
        }
        solo5_yield(t, NULL);
    }
    tb_printf("{\"summary\":true,\"udp\":%lu,\"other\":%lu}\n", udp, other);
    return SOLO5_EXIT_SUCCESS;
}
