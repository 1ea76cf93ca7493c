/* tb_forward.h: forwarding one IPv4 frame between a forwarder's NICs: checks, TTL, next-hop MAC, frames held while ARP resolves. */
#ifndef TB_FORWARD_H
#define TB_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "solo5.h"
#include "tb_nic.h"
#include "tb_route.h"

#define TB_FWD_HOLD      32           /* frames held per NIC while its next hop's MAC is unknown */
#define TB_FWD_ARP_RETRY 100000000ULL /* re-ask a missing neighbour every 100 ms */

struct tb_fwd_held {
    uint32_t next_hop;
    uint16_t len;
    uint8_t frame[TB_FRAME_MAX];
};

/* One NIC of the forwarder, with its frames waiting for ARP. */
struct tb_fwd_port {
    struct tb_nic nic;
    struct tb_fwd_held held[TB_FWD_HOLD];
    unsigned nheld;
    uint32_t asked_ip;       /* last ARP request sent, and when */
    solo5_time_t asked_at;
};

struct tb_fwd_stats {
    uint64_t forwarded, local, ttl_expired, no_route, bad_ip, too_big, arp_held, arp_dropped;
};

struct tb_forwarder {
    const struct tb_routes *routes;
    struct tb_fwd_port ports[TB_ROUTE_MAX_IFS];  /* index = the --if index */
    unsigned nports;
    struct tb_fwd_stats st;
};

/* One received frame on port `in`: ARP and pings for us are answered, IPv4 for others forwarded (queued; flush after a batch). */
void tb_fwd_input(struct tb_forwarder *f, unsigned in, uint8_t *frame, size_t len);

/* Asks every static route's gateway for its MAC at start-up, so the first packets are not held. */
void tb_fwd_ask_gateways(struct tb_forwarder *f);

/* Sends frames whose next hop's MAC became known; re-asks neighbours still missing. */
void tb_fwd_release_held(struct tb_forwarder *f, solo5_time_t now);

#endif /* TB_FORWARD_H */
