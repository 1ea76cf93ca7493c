/* yield.c: solo5_yield: sleep in the POLL hypercall until the deadline or until a NIC has input. */
#include "solo5.h"
#include "runtime.h"
#include "shm_net.h"

void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set)
{
    if (tb_shm_net_mask) {
        tb_shm_yield(deadline, ready_set);
        return;
    }
    solo5_time_t now = solo5_clock_monotonic();
    struct hvt_hc_poll p = { .timeout_nsecs = deadline > now ? deadline - now : 0 };
    tb_hypercall(HVT_HYPERCALL_POLL, &p);
    if (ready_set)
        *ready_set = p.ret > 0 ? p.ready_set : 0;
}
