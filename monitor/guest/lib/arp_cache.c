/* arp_cache.c: a tiny ARP cache: look up, learn, evict round-robin. */
#include "tb_arp_cache.h"
#include "tb_string.h"

const uint8_t *tb_arp_lookup(const struct tb_arp_cache *cache, uint32_t ip)
{
    for (unsigned i = 0; i < TB_ARP_CACHE_SIZE; i++)
        if (ip != 0 && cache->entries[i].ip == ip)
            return cache->entries[i].mac;
    return NULL;
}

void tb_arp_learn(struct tb_arp_cache *cache, uint32_t ip, const uint8_t mac[TB_ETH_ALEN])
{
    struct tb_arp_entry *slot = NULL;

    for (unsigned i = 0; i < TB_ARP_CACHE_SIZE && !slot; i++)
        if (cache->entries[i].ip == ip)
            slot = &cache->entries[i];
    for (unsigned i = 0; i < TB_ARP_CACHE_SIZE && !slot; i++)
        if (cache->entries[i].ip == 0)
            slot = &cache->entries[i];
    if (!slot) {
        slot = &cache->entries[cache->next];
        cache->next = (cache->next + 1) % TB_ARP_CACHE_SIZE;
    }
    slot->ip = ip;
    memcpy(slot->mac, mac, TB_ETH_ALEN);
}
