/* ipv4.c: IPv4 headers (RFC 791): build with checksum, parse and validate. */
#include "tb_wire.h"

#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFSET_MASK 0x1fff

void tb_ip_build(uint8_t *iphdr, uint32_t src, uint32_t dst, uint8_t proto,
                 size_t l4_len, uint16_t id)
{
    struct tb_ip_hdr *ip = (struct tb_ip_hdr *)iphdr;

    ip->ver_ihl = 0x45;
    ip->tos = 0;
    ip->total_len = tb_htons((uint16_t)(TB_IP_HLEN + l4_len));
    ip->id = tb_htons(id);
    ip->frag = tb_htons(IP_DF);
    ip->ttl = 64;
    ip->proto = proto;
    ip->csum = 0;
    ip->src = tb_htonl(src);
    ip->dst = tb_htonl(dst);
    ip->csum = tb_csum(ip, TB_IP_HLEN);
}

int tb_ip_parse_frame(const uint8_t *frame, size_t len, struct tb_ip_view *v)
{
    const struct tb_eth_hdr *eth = (const struct tb_eth_hdr *)frame;
    const struct tb_ip_hdr *ip = (const struct tb_ip_hdr *)(frame + TB_ETH_HLEN);

    if (len < TB_ETH_HLEN + TB_IP_HLEN || tb_ntohs(eth->type) != TB_ETHERTYPE_IPV4)
        return -1;
    size_t hlen = (size_t)(ip->ver_ihl & 0x0f) * 4;
    size_t total = tb_ntohs(ip->total_len);
    /* Ethernet pads short frames, so the IP total length, not the frame, bounds the packet. */
    if ((ip->ver_ihl >> 4) != 4 || hlen < TB_IP_HLEN || total < hlen ||
        total > len - TB_ETH_HLEN)
        return -1;
    if (tb_csum(ip, hlen) != 0)
        return -1;
    /* We never reassemble: a fragment's payload is not a whole datagram. */
    if (tb_ntohs(ip->frag) & (IP_MF | IP_OFFSET_MASK))
        return -1;
    v->src = tb_ntohl(ip->src);
    v->dst = tb_ntohl(ip->dst);
    v->proto = ip->proto;
    v->l4 = (const uint8_t *)ip + hlen;
    v->l4_len = total - hlen;
    return 0;
}
