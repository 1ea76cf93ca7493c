/* nic.c: one Solo5 NIC with our IPv4 address: acquire, classify input, answer ARP and ping, batch transmit. */
#include "tb_arp_cache.h"
#include "tb_fmt.h"
#include "tb_nic.h"
#include "tb_string.h"
#include "tb_wire.h"

int tb_nic_open(struct tb_nic *nic, const char *name, uint32_t ip, unsigned prefix, uint32_t gw)
{
    struct solo5_net_info info;

    memset(nic, 0, sizeof(*nic));
    if (solo5_net_acquire(name, &nic->handle, &info) != SOLO5_R_OK) {
        tb_printf("error: cannot acquire NIC \"%s\" (attach it with --net:%s=TAP)\n", name, name);
        return -1;
    }
    memcpy(nic->mac, info.mac_address, TB_ETH_ALEN);
    nic->mtu = info.mtu ? info.mtu : 1500; /* a monitor that leaves it 0 means Ethernet's default */
    nic->ip = ip;
    nic->mask = tb_prefix_mask(prefix);
    nic->gw = gw;
    return 0;
}

int tb_nic_send(struct tb_nic *nic, const uint8_t *frame, size_t len)
{
    solo5_result_t r = solo5_net_queue(nic->handle, frame, len);
    if (r == SOLO5_R_AGAIN) {
        /* The batch is full: hand it over, then there is room. */
        tb_nic_flush(nic);
        r = solo5_net_queue(nic->handle, frame, len);
    }
    if (r != SOLO5_R_OK) {
        nic->tx_errors++;
        return -1;
    }
    nic->queued++;
    return 0;
}

void tb_nic_flush(struct tb_nic *nic)
{
    if (nic->queued == 0)
        return;
    /* On failure the runtime keeps what it could not send; keep counting it as queued so the next flush retries. */
    if (solo5_net_flush(nic->handle) != SOLO5_R_OK)
        nic->tx_errors++;
    else
        nic->queued = 0;
}

uint32_t tb_nic_next_hop(const struct tb_nic *nic, uint32_t dst)
{
    if (((dst ^ nic->ip) & nic->mask) == 0)
        return dst;
    return nic->gw;
}

/* Answer requests for our address; learn the sender of anything addressed to us (RFC 826's merge). */
static void arp_input(struct tb_nic *nic, const struct tb_arp_view *arp)
{
    if (arp->tpa != nic->ip || arp->spa == 0)
        return;
    tb_arp_learn(&nic->arp, arp->spa, arp->sha);
    if (arp->op != TB_ARP_REQUEST)
        return;
    uint8_t reply[TB_ETH_HLEN + TB_ARP_LEN];
    tb_arp_build(reply, sizeof(reply), TB_ARP_REPLY, nic->mac, nic->ip, arp->sha, arp->spa);
    if (tb_nic_send(nic, reply, sizeof(reply)) == 0)
        nic->arp_replies++;
}

/* Frames for us: our MAC or broadcast (ARP requests arrive broadcast). */
static bool for_us(const struct tb_nic *nic, const uint8_t *frame)
{
    return memcmp(frame, nic->mac, TB_ETH_ALEN) == 0 ||
           memcmp(frame, tb_mac_broadcast, TB_ETH_ALEN) == 0;
}

enum tb_input tb_nic_input(struct tb_nic *nic, const uint8_t *frame, size_t len,
                           struct tb_udp_view *udp)
{
    if (len < TB_ETH_HLEN || !for_us(nic, frame))
        return TB_IN_IGNORED;

    uint16_t type = tb_ntohs(((const struct tb_eth_hdr *)frame)->type);
    if (type == TB_ETHERTYPE_ARP) {
        struct tb_arp_view arp;
        if (tb_arp_parse(frame, len, &arp) != 0)
            return TB_IN_IGNORED;
        arp_input(nic, &arp);
        return TB_IN_HANDLED;
    }
    if (type != TB_ETHERTYPE_IPV4)
        return TB_IN_IGNORED;

    if (tb_udp_parse(frame, len, udp) == 0)
        return udp->dst_ip == nic->ip ? TB_IN_UDP : TB_IN_IGNORED;

    if (nic->answer_ping) {
        uint8_t reply[TB_FRAME_MAX];
        size_t n = tb_icmp_echo_reply(frame, len, reply, sizeof(reply), nic->mac, nic->ip);
        if (n > 0) {
            if (tb_nic_send(nic, reply, n) == 0)
                nic->echo_replies++;
            return TB_IN_HANDLED;
        }
    }
    return TB_IN_IGNORED;
}
