/* tb_net.h: everything networking for guest apps in one include: wire formats, a NIC with its ARP cache, ARP resolution. */
#ifndef TB_NET_H
#define TB_NET_H

/* The library's own files include only the parts they use: this is the apps' door. */
#include "tb_wire.h"
#include "tb_arp_cache.h"
#include "tb_nic.h"
#include "tb_arp_resolve.h"

#endif /* TB_NET_H */
