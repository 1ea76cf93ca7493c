/* nic_impair_state.h: an impaired NIC's buffers, shared by its hypercall path (nic_impair.c) and its ring path (nic_impair_rx.c). */
#ifndef TB_NIC_IMPAIR_STATE_H
#define TB_NIC_IMPAIR_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "tb_ring.h"

#define TB_IMPAIR_FRAME_CAP 65550u /* a TAP frame of the largest MTU plus its Ethernet header */
#define TB_IMPAIR_SEGS 64u         /* segments of one GSO frame read from a vnet TAP, at most */

/* The frames of one TAP read not yet offered to the RX engine, in order. Each lives in a ring slot of this round
 * (in_ring: read or split there, not yet published) or in a buffer of ours (stage, rx) until its turn. */
struct tb_impair_rx_backlog {
    uint8_t *at[TB_IMPAIR_SEGS];
    uint32_t len[TB_IMPAIR_SEGS];
    uint16_t flags[TB_IMPAIR_SEGS];
    uint8_t in_ring[TB_IMPAIR_SEGS];
    uint8_t lazy;           /* split with the checksums the kernel left partial left so (nic_impair_rx.c) */
    uint8_t gso;            /* the read was a GSO frame: its segments' checksum fields hold the whole frame's sum */
    uint16_t csum_start, csum_offset; /* the read's vnet header: where a lazy checksum is completed */
    unsigned next, count;
};

/* Per impaired NIC: the buffers a frame lives in while the engine decides (guest memory is never handed to an
 * engine that may write to it: corrupt= flips bits in the frame it is given). */
struct tb_nic_impair {
    struct tb_nic_ctl *control;  /* --impair-control: run-time specs and published counters (nic_control.h) */
    size_t dup_len;              /* RX: a duplicate still owed to the guest, in dup */
    uint16_t dup_flags;          /* its slot flags (ring path) */
    struct tb_impair_rx_backlog backlog;
    uint8_t tx[TB_IMPAIR_FRAME_CAP], rx[TB_IMPAIR_FRAME_CAP], dup[TB_IMPAIR_FRAME_CAP];
    uint8_t raw[65536];                              /* a vnet TAP read's bytes past the first slot */
    uint8_t stage[TB_IMPAIR_SEGS][TB_SHM_FRAME_MAX]; /* segments that found no slot of their own (yet) */
};

/* Before a run-time change of the RX engine: the segments waiting whose checksums were left to the guest get them,
 * so the new configuration may hold or corrupt them (nic_impair_rx.c). */
void tb_nic_impair_rx_settle(struct tb_nic_impair *im);

#endif /* TB_NIC_IMPAIR_STATE_H */
