/* tb_arp_cache.h: a tiny ARP cache (IPv4 -> MAC), one per NIC. */
#ifndef TB_ARP_CACHE_H
#define TB_ARP_CACHE_H

#include <stdint.h>

#include "tb_wire.h"

#define TB_ARP_CACHE_SIZE 8

struct tb_arp_entry {
    uint32_t ip;           /* 0: unused slot */
    uint8_t mac[TB_ETH_ALEN];
};

struct tb_arp_cache {
    struct tb_arp_entry entries[TB_ARP_CACHE_SIZE];
    unsigned next;         /* round-robin victim when the cache is full */
};

/* The MAC learned for ip, or NULL. */
const uint8_t *tb_arp_lookup(const struct tb_arp_cache *cache, uint32_t ip);
/* Remembers ip -> mac, replacing ip's old entry, else a free one, else the next victim. */
void tb_arp_learn(struct tb_arp_cache *cache, uint32_t ip, const uint8_t mac[TB_ETH_ALEN]);

#endif /* TB_ARP_CACHE_H */
