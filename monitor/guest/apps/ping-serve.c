/* ping-serve: answers ARP and ICMP echo for --ip on NIC "service0", until killed, --seconds or --count echo replies. */
#include "solo5.h"
#include "tb_args.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "tb_net.h"

TB_MANIFEST_NET1("service0");

#define APP "ping-serve"
#define IDLE_WAKE_NS 1000000000ULL /* without a deadline we still wake once a second */

static uint8_t frame[TB_FRAME_MAX];

/* Reads every frame waiting, answering as it goes, and sends the answers in one batch. */
static void serve_pending(struct tb_nic *nic)
{
    struct tb_udp_view udp;
    size_t len;

    while (solo5_net_read(nic->handle, frame, sizeof(frame), &len) == SOLO5_R_OK)
        tb_nic_input(nic, frame, len, &udp);
    tb_nic_flush(nic);
}

int solo5_app_main(const struct solo5_start_info *si)
{
    struct tb_args a;
    struct tb_nic nic;
    char ip[16], mac[18];

    /* --gw is accepted (so every NIC app takes the same addressing) but unused: replies go to the asker's MAC. */
    tb_args_or_exit(APP, si->cmdline, TB_ARG_IP | TB_ARG_GW | TB_ARG_SECONDS | TB_ARG_COUNT, TB_ARG_IP, &a);
    if (tb_nic_open(&nic, "service0", a.ip, a.prefix, a.gw) != 0)
        return SOLO5_EXIT_FAILURE;
    nic.answer_ping = true;

    tb_ip_format(ip, sizeof(ip), a.ip);
    tb_mac_format(mac, sizeof(mac), nic.mac);
    tb_printf("ready: " APP " ip=%s/%u mac=%s\n", ip, a.prefix, mac);

    solo5_time_t end = (a.seen & TB_ARG_SECONDS) ? solo5_clock_monotonic() + a.millis * 1000000ULL : 0;
    for (;;) {
        serve_pending(&nic);
        if (a.count && nic.echo_replies >= a.count)
            break;
        solo5_time_t now = solo5_clock_monotonic();
        if (end && now >= end)
            break;
        solo5_time_t wake = now + IDLE_WAKE_NS;
        solo5_yield(end && end < wake ? end : wake, NULL);
    }
    tb_printf("{\"summary\":true,\"echo_replies\":%lu,\"arp_replies\":%lu,\"tx_errors\":%lu}\n",
              nic.echo_replies, nic.arp_replies, nic.tx_errors);
    return SOLO5_EXIT_SUCCESS;
}
