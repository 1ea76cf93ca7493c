/* tb_arp_resolve.h: resolving a neighbour's MAC on a NIC: ask, wait, serve other traffic meanwhile. */
#ifndef TB_ARP_RESOLVE_H
#define TB_ARP_RESOLVE_H

#include <stdint.h>

#include "solo5.h"
#include "tb_nic.h"

/*
 * Resolves ip to a MAC: from the NIC's cache, else by broadcasting requests (every
 * 200 ms) and serving other traffic's ARP/ICMP meanwhile, until timeout_ns.
 * 0 and mac filled, or -1 on timeout.
 */
int tb_arp_resolve(struct tb_nic *nic, uint32_t ip, uint8_t mac[TB_ETH_ALEN],
                   solo5_time_t timeout_ns);

#endif /* TB_ARP_RESOLVE_H */
