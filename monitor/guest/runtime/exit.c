/* exit.c: solo5_exit and solo5_abort through the HALT hypercall. */
#include "solo5.h"
#include "runtime.h"
#include "shm_net.h"

void solo5_exit(int status)
{
    tb_shm_net_quiesce(); /* a peer asleep on our last frames gets its kick */
    struct hvt_hc_halt h = { .cookie = 0, .exit_status = status };
    tb_hypercall(HVT_HYPERCALL_HALT, &h);
    for (;;) /* the monitor never resumes a halted guest */
        ;
}

void solo5_abort(void)
{
    solo5_exit(SOLO5_EXIT_ABORT);
}
