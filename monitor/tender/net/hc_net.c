/* hc_net.c: the NET_WRITE and NET_READ hypercalls: one frame per call, straight to/from the NIC's TAP. */
#include <errno.h>
#include <unistd.h>

#include "hc_net.h"
#include "hypercall.h"
#include "net.h"
#include "nic_capture.h"
#include "nic_impair.h"
#include "shm.h"

void tb_hc_net_write(struct tb_vm *vm, uint64_t gpa)
{
    struct hvt_hc_net_write *w = TB_HC_ARG(vm, gpa, struct hvt_hc_net_write, HVT_HYPERCALL_NET_WRITE);
    /* Each field loaded once: the guest may change its argument struct while we use it. */
    uint64_t handle = w->handle, len = w->len;
    struct tb_nic *nic = tb_nic_for_handle(vm, handle);
    if (!nic || len > tb_nic_max_frame(nic) || tb_shm_attached(vm, handle)) { /* an attached TAP is the IO thread's */
        w->ret = SOLO5_R_EINVAL;
        return;
    }
    const void *data = tb_hc_buffer(vm, w->data, len, HVT_HYPERCALL_NET_WRITE, TB_READ);
    ssize_t n = __builtin_expect(nic->impair != 0, 0) ? tb_nic_impair_write(nic, data, len)
                                                      : tb_tap_write(nic, data, len);
    if (n == (ssize_t)len) {
        nic->st.tx_packets++;
        nic->st.tx_bytes += len;
        tb_nic_capture(nic->capture, data, len, TB_PCAPNG_OUT);
        w->ret = SOLO5_R_OK;
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        w->ret = SOLO5_R_AGAIN; /* not sent: the guest may retry */
    } else {
        nic->st.tx_drops++;
        w->ret = SOLO5_R_EUNSPEC;
    }
}

void tb_hc_net_read(struct tb_vm *vm, uint64_t gpa)
{
    struct hvt_hc_net_read *r = TB_HC_ARG(vm, gpa, struct hvt_hc_net_read, HVT_HYPERCALL_NET_READ);
    uint64_t handle = r->handle, len = r->len; /* loaded once, as in NET_WRITE */
    struct tb_nic *nic = tb_nic_for_handle(vm, handle);
    if (!nic || tb_shm_attached(vm, handle)) {
        r->ret = SOLO5_R_EINVAL;
        return;
    }
    void *data = tb_hc_buffer(vm, r->data, len, HVT_HYPERCALL_NET_READ, TB_WRITE);
    ssize_t n = __builtin_expect(nic->impair != 0, 0) ? tb_nic_impair_read(nic, data, len)
                                                      : tb_tap_read(nic, data, len);
    if (n < 0) {
        r->ret = (errno == EAGAIN || errno == EINTR) ? SOLO5_R_AGAIN : SOLO5_R_EUNSPEC;
        return;
    }
    if ((uint64_t)n > len) { /* the TAP reports a frame's full size when the buffer was too small */
        nic->st.rx_drops++;
        r->ret = SOLO5_R_EINVAL;
        return;
    }
    nic->st.rx_packets++;
    nic->st.rx_bytes += (uint64_t)n;
    tb_nic_capture(nic->capture, data, (uint64_t)n, TB_PCAPNG_IN);
    r->len = (uint64_t)n;
    r->ret = SOLO5_R_OK;
}
