/* net.h: the guest's NICs: open TAPs bound to manifest handles, with per-NIC counters. */
#ifndef TB_NET_H
#define TB_NET_H

#include <stdint.h>

#include "args.h"

struct tb_manifest;

struct tb_nic_stats {
    uint64_t rx_packets, rx_bytes, rx_drops;
    uint64_t tx_packets, tx_bytes, tx_drops;
};

struct tb_nic {
    const struct tb_net_arg *arg; /* name, ifname, netns */
    unsigned handle;              /* index in the manifest */
    int fd;                       /* the TAP, non-blocking */
    uint8_t mac[6];
    uint16_t mtu;
    struct tb_nic_stats st;
};

extern struct tb_nic tb_nics[MFT_MAX_ENTRIES];
extern unsigned tb_nic_count;

enum tb_net_phase {
    TB_NET_FOREIGN, /* the TAPs given as TAPIF@NETNS: opened before joining --netns */
    TB_NET_LOCAL,   /* the others: opened in the monitor's final namespace */
};

/* Opens the phase's TAPs and binds them to their manifest handles; dies with a one-line reason. */
void tb_net_open(const struct tb_config *cfg, const struct tb_manifest *mft, enum tb_net_phase phase);
/* The NIC behind a guest handle, or NULL when the handle is not an attached NET device. */
struct tb_nic *tb_nic_for_handle(uint64_t handle);
/* Largest frame the guest may send on this NIC: MTU plus the Ethernet header. */
static inline uint64_t tb_nic_max_frame(const struct tb_nic *nic)
{
    return (uint64_t)nic->mtu + 14;
}

/* Opens the existing TAP `ifname` in the current namespace; returns the fd and its MTU; dies on error. */
int tb_tap_open(const char *ifname, const char *where, uint16_t *mtu);

#endif /* TB_NET_H */
