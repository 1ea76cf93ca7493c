/* net.h: the guest's NICs: open TAPs bound to manifest handles, with per-NIC counters. */
#ifndef TB_NET_H
#define TB_NET_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "tb_abi.h"
#include "vm.h"

struct tb_manifest;
struct tb_net_arg;
struct tb_nic_capture;
struct tb_nic_impair;
struct tb_impair;

struct tb_nic_stats {
    uint64_t rx_packets, rx_bytes, rx_drops;
    uint64_t tx_packets, tx_bytes, tx_drops;
};

struct tb_nic {
    const struct tb_net_arg *arg; /* name, ifname, netns */
    unsigned handle;              /* index in the manifest */
    int fd;                       /* the TAP, non-blocking */
    int vnet;                     /* opened with IFF_VNET_HDR and offloads on: frames read may be GSO frames with partial
                                     checksums, each read or written with a virtio_net_hdr first */
    struct tb_tap_backlog *backlog; /* vnet: a GSO frame's segments not yet read by a hypercall guest (net_tap.c) */
    uint8_t mac[6];
    uint16_t mtu;
    struct tb_nic_stats st;
    struct tb_nic_capture *capture; /* NULL unless --capture:NAME= (nic_capture.h) */
    struct tb_nic_impair *impair;   /* NULL unless --impair:NAME= (nic_impair.h) */
    struct tb_impair *impair_engine[2]; /* by TB_IMPAIR_TX / TB_IMPAIR_RX; NULL: that direction is a plain wire */
};

/* vm->net: every NIC, and the POLL hypercall's epoll set over their TAPs. */
struct tb_net {
    struct tb_nic nics[MFT_MAX_ENTRIES];
    unsigned count;
    struct tb_nic *by_handle[MFT_MAX_ENTRIES];
    int poll_epfd;                /* the POLL hypercall's epoll set, made at setup (hc_poll.c) */
    int vnet;                     /* the TAPs are opened with a vnet header (shmstream with --shm-offloads=1) */
    int impaired;                 /* some NIC has an impairment engine: POLL services them (nic_impair.h) */
};

/* The net module's attach hook: opens every --net TAP (those named with @NETNS before joining --netns). */
void tb_net_attach(struct tb_vm *vm, const struct tb_manifest *mft);
/* The install hook: each NIC's entry in the guest's manifest gets its MAC and MTU and is marked attached. */
void tb_net_install(struct tb_vm *vm, struct mft *guest_copy);
/* The stats hook: `"nics": {...},`. */
void tb_net_stats(const struct tb_vm *vm, FILE *f);

/* The NIC behind a guest handle, or NULL when the handle is not an attached NET device. */
static inline struct tb_nic *tb_nic_for_handle(const struct tb_vm *vm, uint64_t handle)
{
    return handle < MFT_MAX_ENTRIES ? vm->net->by_handle[handle] : NULL;
}
/* Largest frame the guest may send on this NIC: MTU plus the Ethernet header. */
static inline uint64_t tb_nic_max_frame(const struct tb_nic *nic)
{
    return (uint64_t)nic->mtu + 14;
}

/*
 * Opens the existing TAP `ifname` in the current namespace; returns the fd and its MTU; dies on error.
 * With `vnet`, frames carry a struct virtio_net_hdr and the TAP's checksum, TSO and USO offloads are on;
 * without, they are off. Offloads belong to the device and outlive a monitor killed with them on (the
 * sandbox forbids the ioctl at exit): every opener sets them, so a leftover never spoils the next reader.
 */
int tb_tap_open(const char *ifname, const char *where, uint16_t *mtu, int vnet);
/* A vnet NIC's hypercall backlog (before tb_tap_read can be used on it). */
void tb_tap_backlog_init(struct tb_nic *nic);
/* One frame without the vnet header, GSO frames split and checksums completed (the hypercall paths). */
ssize_t tb_tap_read(const struct tb_nic *nic, void *buf, size_t len);
ssize_t tb_tap_write(const struct tb_nic *nic, const void *buf, size_t len);
/* A vnet NIC: one frame with the given struct virtio_net_hdr (a GSO frame the kernel segments); frame bytes written. */
ssize_t tb_tap_write_vnet(const struct tb_nic *nic, const void *vnet_hdr, const void *buf, size_t len);

#endif /* TB_NET_H */
