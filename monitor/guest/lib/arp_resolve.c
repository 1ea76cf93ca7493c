/* arp_resolve.c: resolves a neighbour's MAC: asks, waits, and serves other traffic meanwhile. */
#include "tb_arp_cache.h"
#include "tb_arp_resolve.h"
#include "tb_nic.h"
#include "tb_string.h"

#define ARP_RETRY_NS 200000000ULL /* re-ask every 200 ms: a lost request must not cost the whole deadline */

static void send_request(struct tb_nic *nic, uint32_t ip)
{
    uint8_t req[TB_ETH_HLEN + TB_ARP_LEN];

    tb_arp_build(req, sizeof(req), TB_ARP_REQUEST, nic->mac, nic->ip, tb_mac_broadcast, ip);
    tb_nic_send(nic, req, sizeof(req));
    tb_nic_flush(nic);
}

/* Reads every waiting frame; tb_nic_input learns the reply when it comes. */
static void drain_input(struct tb_nic *nic)
{
    static uint8_t frame[TB_FRAME_MAX];
    struct tb_udp_view udp;
    size_t len;

    while (solo5_net_read(nic->handle, frame, sizeof(frame), &len) == SOLO5_R_OK)
        tb_nic_input(nic, frame, len, &udp);
    tb_nic_flush(nic); /* our own ARP/echo replies, if any */
}

int tb_arp_resolve(struct tb_nic *nic, uint32_t ip, uint8_t mac[TB_ETH_ALEN],
                   solo5_time_t timeout_ns)
{
    solo5_time_t now = solo5_clock_monotonic();
    solo5_time_t deadline = now + timeout_ns, next_ask = now;

    for (;;) {
        const uint8_t *known = tb_arp_lookup(&nic->arp, ip);
        if (known) {
            memcpy(mac, known, TB_ETH_ALEN);
            return 0;
        }
        now = solo5_clock_monotonic();
        if (now >= deadline)
            return -1;
        if (now >= next_ask) {
            send_request(nic, ip);
            next_ask = now + ARP_RETRY_NS;
        }
        solo5_yield(next_ask < deadline ? next_ask : deadline, NULL);
        drain_input(nic);
    }
}
