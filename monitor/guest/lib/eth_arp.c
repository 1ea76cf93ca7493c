/* eth_arp.c: Ethernet headers and Ethernet/IPv4 ARP frames (RFC 826), built and parsed. */
#include "tb_wire.h"
#include "tb_string.h"

size_t tb_eth_build(uint8_t *frame, const uint8_t dst[TB_ETH_ALEN],
                    const uint8_t src[TB_ETH_ALEN], uint16_t type)
{
    struct tb_eth_hdr *eth = (struct tb_eth_hdr *)frame;

    memcpy(eth->dst, dst, TB_ETH_ALEN);
    memcpy(eth->src, src, TB_ETH_ALEN);
    eth->type = tb_htons(type);
    return TB_ETH_HLEN;
}

size_t tb_arp_build(uint8_t *frame, size_t cap, uint16_t op,
                    const uint8_t sha[TB_ETH_ALEN], uint32_t spa,
                    const uint8_t tha[TB_ETH_ALEN], uint32_t tpa)
{
    if (cap < TB_ETH_HLEN + TB_ARP_LEN)
        return 0;
    /* Requests go to everyone; replies straight back to the asker. */
    tb_eth_build(frame, op == TB_ARP_REQUEST ? tb_mac_broadcast : tha, sha, TB_ETHERTYPE_ARP);

    struct tb_arp_hdr *arp = (struct tb_arp_hdr *)(frame + TB_ETH_HLEN);
    arp->htype = tb_htons(1);
    arp->ptype = tb_htons(TB_ETHERTYPE_IPV4);
    arp->hlen = TB_ETH_ALEN;
    arp->plen = 4;
    arp->op = tb_htons(op);
    memcpy(arp->sha, sha, TB_ETH_ALEN);
    arp->spa = tb_htonl(spa);
    /* A request's target hardware address is unknown: zeros, as RFC 5227 recommends. */
    if (op == TB_ARP_REQUEST)
        memset(arp->tha, 0, TB_ETH_ALEN);
    else
        memcpy(arp->tha, tha, TB_ETH_ALEN);
    arp->tpa = tb_htonl(tpa);
    return TB_ETH_HLEN + TB_ARP_LEN;
}

int tb_arp_parse(const uint8_t *frame, size_t len, struct tb_arp_view *v)
{
    const struct tb_eth_hdr *eth = (const struct tb_eth_hdr *)frame;
    const struct tb_arp_hdr *arp = (const struct tb_arp_hdr *)(frame + TB_ETH_HLEN);

    if (len < TB_ETH_HLEN + TB_ARP_LEN || tb_ntohs(eth->type) != TB_ETHERTYPE_ARP)
        return -1;
    if (tb_ntohs(arp->htype) != 1 || tb_ntohs(arp->ptype) != TB_ETHERTYPE_IPV4 ||
        arp->hlen != TB_ETH_ALEN || arp->plen != 4)
        return -1;
    v->op = tb_ntohs(arp->op);
    memcpy(v->sha, arp->sha, TB_ETH_ALEN);
    v->spa = tb_ntohl(arp->spa);
    v->tpa = tb_ntohl(arp->tpa);
    return 0;
}
