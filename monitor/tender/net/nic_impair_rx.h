/* nic_impair_rx.h: an impaired NIC's TAP -> shmstream RX ring, read straight into the slots, the engine asked per frame. */
#ifndef TB_NIC_IMPAIR_RX_H
#define TB_NIC_IMPAIR_RX_H

#include <stdint.h>

struct shm_nic;

/* Fills (does not publish) up to `space` free slots of n's RX ring with what its RX engine lets through now: frames
 * due from the engine's queue first, then frames read from the TAP (each read only with `room` slots free), at least
 * `budget` unless the TAP runs dry. Frames published at once stay where the TAP read put them. Captures and counts
 * them; returns the slots filled. */
unsigned tb_nic_impair_rx_ring(struct shm_nic *n, uint32_t space, uint32_t room, unsigned budget);

#endif /* TB_NIC_IMPAIR_RX_H */
