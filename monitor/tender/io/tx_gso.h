/* tx_gso.h: merges a guest's consecutive UDP/IPv4 frames of one flow into one GSO frame for a vnet TAP write. */
#ifndef TB_TX_GSO_H
#define TB_TX_GSO_H

#include <linux/virtio_net.h>
#include <stddef.h>
#include <stdint.h>

#define TB_TX_GSO_MAX_SEGS 64 /* the kernel's UDP_MAX_SEGMENTS */

struct tb_tx_batch {
    uint8_t buf[14 + 65535];
    size_t len;        /* bytes in buf: the first frame's headers, then every frame's payload */
    size_t seg;        /* the first frame's payload size: every frame but the last has it */
    unsigned count;    /* frames in the batch (0: none) */
    int closed;        /* a shorter frame ended it */
};

/* Starts a batch with frame f (copied); 0 when f is not a plain UDP/IPv4 frame a batch can hold. */
int tb_tx_gso_start(struct tb_tx_batch *b, const uint8_t *f, size_t len);
/* Appends frame f when it continues the batch's flow (same headers, next IPv4 id, no longer payload); else 0. */
int tb_tx_gso_add(struct tb_tx_batch *b, const uint8_t *f, size_t len);
/* Turns a batch of two or more frames into one GSO frame and its vnet header (partial UDP checksum). */
void tb_tx_gso_finish(struct tb_tx_batch *b, struct virtio_net_hdr *h);

#endif /* TB_TX_GSO_H */
