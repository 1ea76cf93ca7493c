/* solo5_ring.h: Solo5 0.12's shared network ring, served on the guest's kick exit (no I/O thread). */
#ifndef TB_SOLO5_RING_H
#define TB_SOLO5_RING_H

#include <stdint.h>
#include <stdio.h>

#include "vm.h"

/* With --io=solo5-ring and at least one NIC: reserves the ring after the image (moving kernel_end past it). */
void tb_solo5_ring_setup(struct tb_vm *vm);
/* The guest kicked (PIO HVT_RING_KICK_PIO_BASE): runs every pending entry, posts the reads' commits. */
void tb_solo5_ring_kick(struct tb_vm *vm);
/* `"solo5_ring": {...},` for the stats JSON when the ring was offered. */
void tb_solo5_ring_stats_json(FILE *f);

#endif /* TB_SOLO5_RING_H */
