/* icmp.c: ICMP echo (RFC 792): the reply to an echo request, built from the request. */
#include "tb_wire.h"
#include "tb_string.h"

size_t tb_icmp_echo_reply(const uint8_t *frame, size_t len, uint8_t *out, size_t cap,
                          const uint8_t our_mac[TB_ETH_ALEN], uint32_t our_ip)
{
    struct tb_ip_view ip;

    if (tb_ip_parse_frame(frame, len, &ip) != 0 || ip.proto != TB_IPPROTO_ICMP ||
        ip.dst != our_ip || ip.l4_len < TB_ICMP_HLEN)
        return 0;
    const struct tb_icmp_hdr *req = (const struct tb_icmp_hdr *)ip.l4;
    if (req->type != TB_ICMP_ECHO_REQUEST || req->code != 0 || tb_csum(ip.l4, ip.l4_len) != 0)
        return 0;
    size_t total = TB_ETH_HLEN + TB_IP_HLEN + ip.l4_len;
    if (total > cap)
        return 0;

    const struct tb_eth_hdr *eth = (const struct tb_eth_hdr *)frame;
    tb_eth_build(out, eth->src, our_mac, TB_ETHERTYPE_IPV4);
    /* A fresh header without the request's options; the id may stay 0 as DF is set (RFC 6864). */
    tb_ip_build(out + TB_ETH_HLEN, our_ip, ip.src, TB_IPPROTO_ICMP, ip.l4_len, 0);

    uint8_t *icmp = out + TB_ETH_HLEN + TB_IP_HLEN;
    memcpy(icmp, ip.l4, ip.l4_len);  /* id, sequence and data echo back unchanged */
    struct tb_icmp_hdr *rep = (struct tb_icmp_hdr *)icmp;
    rep->type = TB_ICMP_ECHO_REPLY;
    rep->csum = 0;
    rep->csum = tb_csum(icmp, ip.l4_len);
    return total;
}
