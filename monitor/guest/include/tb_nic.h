/* tb_nic.h: a NIC for guest apps: our addresses, ARP answers and cache, ping answers, transmit batching. */
#ifndef TB_NIC_H
#define TB_NIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "solo5.h"
#include "tb_arp_cache.h"
#include "tb_wire.h"

struct tb_nic {
    solo5_handle_t handle;
    uint8_t mac[TB_ETH_ALEN];
    size_t mtu;
    uint32_t ip, mask, gw; /* host order; gw 0 when none */
    bool answer_ping;      /* tb_nic_input answers ICMP echo requests */
    struct tb_arp_cache arp;
    unsigned queued;       /* frames queued since the last flush: an empty flush costs no exit */
    uint64_t arp_replies, echo_replies, tx_errors;
};

/* Acquires the Solo5 NIC `name`; -1 (after a console message) when the monitor has none. */
int tb_nic_open(struct tb_nic *nic, const char *name, uint32_t ip, unsigned prefix, uint32_t gw);

enum tb_input {
    TB_IN_IGNORED, /* not for us, or malformed */
    TB_IN_HANDLED, /* ARP or ICMP, answered or learned from */
    TB_IN_UDP,     /* a valid UDP datagram to our address: see *udp */
};
/* Classifies one received frame and queues any ARP or echo reply (call tb_nic_flush after a batch). */
enum tb_input tb_nic_input(struct tb_nic *nic, const uint8_t *frame, size_t len,
                           struct tb_udp_view *udp);

/* Queues a frame, flushing first when the batch is full; -1 if the monitor refuses it. */
int tb_nic_send(struct tb_nic *nic, const uint8_t *frame, size_t len);
void tb_nic_flush(struct tb_nic *nic);

/* The address to ARP for to reach dst: dst itself when on-link, else the gateway; 0 if none. */
uint32_t tb_nic_next_hop(const struct tb_nic *nic, uint32_t dst);

#endif /* TB_NIC_H */
