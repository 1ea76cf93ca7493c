/* nic_capture.h: per-NIC packet capture sinks (--capture:NAME=PATH): each frame the guest sends or receives, to pcapng. */
#ifndef TB_NIC_CAPTURE_H
#define TB_NIC_CAPTURE_H

#include <stdint.h>

#include "pcapng.h"

struct tb_nic_capture;

void tb_nic_capture_frame(struct tb_nic_capture *c, const void *frame, uint32_t len, enum tb_pcapng_dir dir);

/* Called with a NIC's `capture` on every path a frame takes between its TAP and the guest (hypercalls, shmstream,
 * Solo5's ring): one predictable branch when the NIC is not captured. dir is the guest's view: OUT = it sent it. */
static inline void tb_nic_capture(struct tb_nic_capture *c, const void *frame, uint64_t len, enum tb_pcapng_dir dir)
{
    if (__builtin_expect(c != 0, 0))
        tb_nic_capture_frame(c, frame, (uint32_t)len, dir);
}

#endif /* TB_NIC_CAPTURE_H */
