/* forward.c (lib): IPv4 forwarding of one frame: header checks, TTL decrement, route, next-hop MAC (held while ARP resolves). */
#include "tb_arp_cache.h"
#include "tb_forward.h"
#include "tb_string.h"
#include "tb_wire.h"

/* The IPv4 header at frame + 14 if it is sane and whole: version, length fields, checksum; else NULL. */
static struct tb_ip_hdr *ip_header(uint8_t *frame, size_t len)
{
    if (len < TB_ETH_HLEN + TB_IP_HLEN)
        return NULL;
    struct tb_ip_hdr *ip = (struct tb_ip_hdr *)(frame + TB_ETH_HLEN);
    size_t hlen = (size_t)(ip->ver_ihl & 0x0f) * 4, total = tb_ntohs(ip->total_len);
    if ((ip->ver_ihl >> 4) != 4 || hlen < TB_IP_HLEN || total < hlen || total > len - TB_ETH_HLEN)
        return NULL;
    if (tb_csum(ip, hlen) != 0)
        return NULL;
    return ip;
}

static void ask(struct tb_fwd_port *p, uint32_t ip, solo5_time_t now)
{
    if (p->asked_ip == ip && now - p->asked_at < TB_FWD_ARP_RETRY)
        return;
    uint8_t req[TB_ETH_HLEN + TB_ARP_LEN];
    tb_arp_build(req, sizeof req, TB_ARP_REQUEST, p->nic.mac, p->nic.ip, tb_mac_broadcast, ip);
    tb_nic_send(&p->nic, req, sizeof req);
    p->asked_ip = ip;
    p->asked_at = now;
}

/* Rewrites the Ethernet header for the next hop and queues the frame on `out`. */
static void emit(struct tb_fwd_port *out, uint8_t *frame, size_t len, const uint8_t *mac)
{
    tb_eth_build(frame, mac, out->nic.mac, TB_ETHERTYPE_IPV4);
    tb_nic_send(&out->nic, frame, len);
}

static void hold(struct tb_forwarder *f, struct tb_fwd_port *out, const uint8_t *frame, size_t len, uint32_t hop)
{
    ask(out, hop, solo5_clock_monotonic());
    if (out->nheld == TB_FWD_HOLD) {
        f->st.arp_dropped++;
        return;
    }
    struct tb_fwd_held *h = &out->held[out->nheld++];
    h->next_hop = hop;
    h->len = (uint16_t)len;
    memcpy(h->frame, frame, len);
    f->st.arp_held++;
}

static void forward(struct tb_forwarder *f, uint8_t *frame, size_t len, struct tb_ip_hdr *ip)
{
    unsigned oi;
    uint32_t hop;
    if (tb_routes_lookup(f->routes, tb_ntohl(ip->dst), &oi, &hop) != 0) {
        f->st.no_route++;
        return;
    }
    struct tb_fwd_port *out = &f->ports[oi];
    if (ip->ttl <= 1) { /* no ICMP time-exceeded: a testbed forwarder only counts */
        f->st.ttl_expired++;
        return;
    }
    if (len > out->nic.mtu + TB_ETH_HLEN) { /* we never fragment */
        f->st.too_big++;
        return;
    }
    ip->ttl--;
    /* RFC 1624 incremental update: TTL is the high byte of its 16-bit word, so the sum drops by 0x0100. */
    uint32_t sum = (uint32_t)(uint16_t)~tb_ntohs(ip->csum) + 0xfeffu;
    sum = (sum & 0xffff) + (sum >> 16);
    ip->csum = tb_htons((uint16_t)~(sum & 0xffff));
    const uint8_t *mac = tb_arp_lookup(&out->nic.arp, hop);
    if (!mac) {
        hold(f, out, frame, len, hop);
        return;
    }
    emit(out, frame, len, mac);
    f->st.forwarded++;
}

void tb_fwd_input(struct tb_forwarder *f, unsigned in, uint8_t *frame, size_t len)
{
    struct tb_fwd_port *p = &f->ports[in];
    struct tb_udp_view udp;
    if (len < TB_ETH_HLEN)
        return;
    const struct tb_eth_hdr *eth = (const struct tb_eth_hdr *)frame;
    if (memcmp(eth->dst, p->nic.mac, TB_ETH_ALEN) != 0) {
        tb_nic_input(&p->nic, frame, len, &udp); /* broadcast: ARP requests (and learning) */
        return;
    }
    if (tb_ntohs(eth->type) != TB_ETHERTYPE_IPV4) {
        tb_nic_input(&p->nic, frame, len, &udp); /* ARP replies to our requests */
        return;
    }
    struct tb_ip_hdr *ip = ip_header(frame, len);
    if (!ip) {
        f->st.bad_ip++;
        return;
    }
    if (tb_routes_local(f->routes, tb_ntohl(ip->dst)) >= 0) {
        f->st.local++;
        tb_nic_input(&p->nic, frame, len, &udp); /* pings to this NIC's address are answered */
        return;
    }
    forward(f, frame, len, ip);
}

void tb_fwd_release_held(struct tb_forwarder *f, solo5_time_t now)
{
    for (unsigned i = 0; i < f->nports; i++) {
        struct tb_fwd_port *p = &f->ports[i];
        unsigned keep = 0;
        for (unsigned k = 0; k < p->nheld; k++) {
            struct tb_fwd_held *h = &p->held[k];
            const uint8_t *mac = tb_arp_lookup(&p->nic.arp, h->next_hop);
            if (mac) {
                emit(p, h->frame, h->len, mac);
                f->st.forwarded++;
                continue;
            }
            ask(p, h->next_hop, now);
            if (keep != k)
                memcpy(&p->held[keep], h, sizeof *h);
            keep++;
        }
        p->nheld = keep;
    }
}

void tb_fwd_ask_gateways(struct tb_forwarder *f)
{
    solo5_time_t now = solo5_clock_monotonic();
    for (unsigned k = 0; k < f->routes->nroutes; k++) {
        const struct tb_route *r = &f->routes->routes[k];
        struct tb_fwd_port *p = &f->ports[r->ifindex];
        if (!tb_arp_lookup(&p->nic.arp, r->via))
            ask(p, r->via, now);
    }
    for (unsigned i = 0; i < f->nports; i++)
        tb_nic_flush(&f->ports[i].nic);
}
