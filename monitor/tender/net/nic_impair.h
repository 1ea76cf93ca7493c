/* nic_impair.h: the impairment engine (monitor/impair) on a NIC's packet path (--impair:NAME=SPEC), per direction. */
#ifndef TB_NIC_IMPAIR_H
#define TB_NIC_IMPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct tb_impair;
struct tb_nic;

/* Monotonic now, in ns (the vDSO: no system call). */
uint64_t tb_nic_impair_now(void);

/* NET_WRITE on an impaired NIC: the frame (guest memory, copied first) enters the TX engine; what is due goes to
 * the TAP. Returns len (the link took the frame, whatever became of it) or -1 with errno from the TAP. */
ssize_t tb_nic_impair_write(struct tb_nic *nic, const void *data, size_t len);
/* The same in steps, for a caller that batches what leaves at once (the shmstream IO thread): _now takes a run-time
 * change and says whether frames queued earlier are due (then _flush sends them: they leave before the next frame,
 * after anything the caller holds), and returns the time for _push (0 from an engine that would not use it); _push is the frame's fate: copies to send now from *frame (the guest's frame
 * itself, or a copy of ours when the engine may corrupt it; *corrupted: it did, so no offload may recompute its
 * checksum). Only for a NIC with a TX engine. */
uint64_t tb_nic_impair_tx_now(struct tb_nic *nic, int *due);
/* Whether engine e holds nothing and would hold no frame back: it never asks what time it is (no clock read). */
bool tb_nic_impair_timeless(const struct tb_impair *e);
void tb_nic_impair_tx_flush(struct tb_nic *nic, uint64_t now);
int tb_nic_impair_tx_push(struct tb_nic *nic, const void *data, size_t len, uint64_t now, const uint8_t **frame,
                          int *corrupted);
/* NET_READ on an impaired NIC: the next frame the RX engine lets through now, reading the TAP as needed. Returns its
 * length (more than len: too big, dropped), or -1 with errno EAGAIN when none is due. */
ssize_t tb_nic_impair_read(struct tb_nic *nic, void *buf, size_t len);
/* Send every TX frame due by now; returns the earliest time any engine of the NIC needs attention (UINT64_MAX:
 * none) and sets *rx_ready when a received frame is due for the guest now. */
uint64_t tb_nic_impair_service(struct tb_nic *nic, uint64_t now, int *rx_ready);
/* A run-time change (--impair-control) taken and the counters published: for a path that feeds the NIC's engines
 * itself (a mediated shm link's IO thread) to call once per round, as tb_nic_impair_service does. */
void tb_nic_impair_control(struct tb_nic *nic);

#endif /* TB_NIC_IMPAIR_H */
