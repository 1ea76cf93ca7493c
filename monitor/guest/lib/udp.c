/* udp.c: UDP datagrams (RFC 768) in Ethernet/IPv4 frames: build with checksums, parse and validate. */
#include "tb_wire.h"
#include "tb_string.h"

/* The runtime's word on the frame read last: the host checked or computed its checksum (weak: 0 without a runtime). */
extern uint32_t tb_net_rx_csum_valid __attribute__((weak));

static int checksum_vouched(void)
{
    return &tb_net_rx_csum_valid && tb_net_rx_csum_valid;
}

/* The pseudo-header sum: addresses, protocol and UDP length, as stored in network order. */
static uint64_t pseudo_sum(uint32_t src, uint32_t dst, size_t udp_len)
{
    uint32_t s = tb_htonl(src), d = tb_htonl(dst);
    uint64_t sum = tb_csum_add(0, &s, 4);
    sum = tb_csum_add(sum, &d, 4);
    return sum + tb_htons(TB_IPPROTO_UDP) + tb_htons((uint16_t)udp_len);
}

size_t tb_udp_finish(uint8_t *frame, size_t cap, const struct tb_udp_flow *f,
                     uint16_t ip_id, size_t payload_len)
{
    size_t udp_len = TB_UDP_HLEN + payload_len;
    if (TB_UDP_PAYLOAD_OFF + payload_len > cap || TB_IP_HLEN + udp_len > 0xffff)
        return 0;

    tb_eth_build(frame, f->dst_mac, f->src_mac, TB_ETHERTYPE_IPV4);
    tb_ip_build(frame + TB_ETH_HLEN, f->src_ip, f->dst_ip, TB_IPPROTO_UDP, udp_len, ip_id);

    struct tb_udp_hdr *udp = (struct tb_udp_hdr *)(frame + TB_ETH_HLEN + TB_IP_HLEN);
    udp->sport = tb_htons(f->sport);
    udp->dport = tb_htons(f->dport);
    udp->len = tb_htons((uint16_t)udp_len);
    udp->csum = 0;
    uint16_t c = tb_csum_fold(tb_csum_add(pseudo_sum(f->src_ip, f->dst_ip, udp_len), udp, udp_len));
    /* 0 on the wire means "no checksum", so a computed 0 is sent as its other form, 0xffff. */
    udp->csum = c ? c : 0xffff;
    return TB_UDP_PAYLOAD_OFF + payload_len;
}

size_t tb_udp_build(uint8_t *frame, size_t cap, const struct tb_udp_flow *f,
                    uint16_t ip_id, const void *payload, size_t payload_len)
{
    if (TB_UDP_PAYLOAD_OFF + payload_len > cap)
        return 0;
    memmove(frame + TB_UDP_PAYLOAD_OFF, payload, payload_len);
    return tb_udp_finish(frame, cap, f, ip_id, payload_len);
}

int tb_udp_parse(const uint8_t *frame, size_t len, struct tb_udp_view *v)
{
    struct tb_ip_view ip;

    if (tb_ip_parse_frame(frame, len, &ip) != 0 || ip.proto != TB_IPPROTO_UDP ||
        ip.l4_len < TB_UDP_HLEN)
        return -1;
    const struct tb_udp_hdr *udp = (const struct tb_udp_hdr *)ip.l4;
    size_t udp_len = tb_ntohs(udp->len);
    if (udp_len < TB_UDP_HLEN || udp_len > ip.l4_len)
        return -1;
    if (udp->csum != 0 && !checksum_vouched() &&
        tb_csum_fold(tb_csum_add(pseudo_sum(ip.src, ip.dst, udp_len), udp, udp_len)) != 0)
        return -1;

    const struct tb_eth_hdr *eth = (const struct tb_eth_hdr *)frame;
    memcpy(v->src_mac, eth->src, TB_ETH_ALEN);
    v->src_ip = ip.src;
    v->dst_ip = ip.dst;
    v->sport = tb_ntohs(udp->sport);
    v->dport = tb_ntohs(udp->dport);
    v->payload = ip.l4 + TB_UDP_HLEN;
    v->len = udp_len - TB_UDP_HLEN;
    return 0;
}
