/* solo5_ring.h: the runtime's use of Solo5 0.12's network ring (see solo5_ring.c). */
#ifndef TB_RUNTIME_SOLO5_RING_H
#define TB_RUNTIME_SOLO5_RING_H

#include "solo5.h"

/* 1 when the monitor offers the ring and we run in ring 0 (the kick is port I/O). */
int tb_solo5_ring_on(void);
/* One frame of at most HVT_RING_BUF_SIZE bytes, copied: the caller may reuse buf at once. */
solo5_result_t tb_solo5_ring_write(solo5_handle_t handle, const uint8_t *buf, size_t size);
solo5_result_t tb_solo5_ring_read(solo5_handle_t handle, uint8_t *buf, size_t size, size_t *read_size);

#endif /* TB_RUNTIME_SOLO5_RING_H */
