/* write_then_compute: sends one UDP datagram with solo5_net_write, then computes for --seconds without touching its NIC or yielding: the datagram must leave while it computes. */
#include "solo5.h"
#include "tb_args.h"
#include "tb_arp_resolve.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "tb_nic.h"
#include "tb_string.h"
#include "tb_wire.h"

TB_MANIFEST_NET1("service0");

#define APP "write_then_compute"

static uint8_t frame[TB_FRAME_MAX];

int solo5_app_main(const struct solo5_start_info *si)
{
    char err[160];
    struct tb_args a;
    struct tb_nic nic;
    struct tb_udp_flow flow;

    if (tb_args_parse(si->cmdline, TB_ARG_IP | TB_ARG_DST | TB_ARG_SECONDS, TB_ARG_IP | TB_ARG_DST | TB_ARG_SECONDS,
                      &a, err, sizeof err)) {
        tb_printf(APP ": %s\nusage: " APP " --ip=ADDR/PREFIX --dst=ADDR:PORT --seconds=S\n", err);
        return 2;
    }
    if (tb_nic_open(&nic, "service0", a.ip, a.prefix, 0) != 0)
        return SOLO5_EXIT_FAILURE;
    tb_printf("ready: " APP "\n");
    if (tb_arp_resolve(&nic, a.dst_ip, flow.dst_mac, 10000000000ULL) != 0) {
        tb_printf(APP ": no ARP answer\n");
        return SOLO5_EXIT_FAILURE;
    }
    /* Quiet for 300 ms (what arrives is dropped), so the monitor's IO thread is asleep when the frame is written. */
    solo5_time_t quiet_end = solo5_clock_monotonic() + 300000000ULL;
    while (solo5_clock_monotonic() < quiet_end) {
        size_t got;
        while (solo5_net_read(nic.handle, frame, sizeof frame, &got) == SOLO5_R_OK)
            ;
        solo5_yield(quiet_end, NULL);
    }
    memcpy(flow.src_mac, nic.mac, TB_ETH_ALEN);
    flow.src_ip = a.ip;
    flow.dst_ip = a.dst_ip;
    flow.sport = 4000;
    flow.dport = a.dst_port;
    /* The payload starts with sequence number 0 (big-endian, 8 bytes), as the tests' UDP receiver reads it. */
    static const char payload[] = "\0\0\0\0\0\0\0\0sent-before-compute";
    size_t len = tb_udp_build(frame, sizeof frame, &flow, 1, payload, sizeof payload - 1);
    if (solo5_net_write(nic.handle, frame, len) != SOLO5_R_OK) {
        tb_printf(APP ": write failed\n");
        return SOLO5_EXIT_FAILURE;
    }
    tb_printf("sent\n");
    /* Busy: no NIC call, no yield, until the deadline (the clock is read without a VM exit). */
    solo5_time_t end = solo5_clock_monotonic() + a.millis * 1000000ULL;
    while (solo5_clock_monotonic() < end)
        ;
    tb_printf("done\n");
    return SOLO5_EXIT_SUCCESS;
}
