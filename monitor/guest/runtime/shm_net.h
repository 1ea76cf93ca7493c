/* shm_net.h: the runtime's shmstream NIC path, used by net.c and yield.c when the monitor offers rings. */
#ifndef TB_SHM_NET_H
#define TB_SHM_NET_H

#include "solo5.h"

/*
 * A test image defines `const int tb_no_shmstream = 1;` to keep hypercalls even
 * when the monitor offers rings, as a guest built before shmstream would (the
 * runtime's own definition is weak and 0).
 */
extern const int tb_no_shmstream;

/*
 * An app that only consumes what it receives (never forwards a frame) defines
 * `const int tb_shm_csum_lazy = 1;`: the monitor may then leave the L4 checksum of
 * frames it flags valid incomplete, as the kernel left it (the runtime's is weak and 0).
 * A forwarder must not: the frame would leave with a wrong checksum.
 */
extern const int tb_shm_csum_lazy;

/*
 * A test image defines `const int tb_no_hlt_sleep = 1;` to keep sleeping in the
 * POLL hypercall when the monitor offers hlt sleep, as a guest built before it
 * would (the runtime's own definition is weak and 0).
 */
extern const int tb_no_hlt_sleep;

/* 1 when the frame the last solo5_net_read returned came with a checksum the host vouched for. */
extern uint32_t tb_net_rx_csum_valid;

/* Bit h set: handle h is served by its rings. */
extern uint64_t tb_shm_net_mask;

static inline int tb_shm_net_on(solo5_handle_t h)
{
    return h < 64 && ((tb_shm_net_mask >> h) & 1);
}

/* After a successful acquire: switch the NIC to its rings when the monitor offers them (no-op otherwise). */
void tb_shm_net_attach(solo5_handle_t h);
solo5_result_t tb_shm_net_read(solo5_handle_t h, uint8_t *buf, size_t size, size_t *read_size);
solo5_result_t tb_shm_net_queue(solo5_handle_t h, const uint8_t *buf, size_t size);
solo5_result_t tb_shm_net_flush(solo5_handle_t h);
solo5_result_t tb_shm_net_write(solo5_handle_t h, const uint8_t *buf, size_t size);
/* Before the guest halts: the kicks it still owes its NICs' consumers go (shm_net.c: tb_shm_net_flush). */
void tb_shm_net_quiesce(void);
/* solo5_yield when some NIC uses rings: spin, sleep or both, per the monitor's mode. */
void tb_shm_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set);

#endif /* TB_SHM_NET_H */
