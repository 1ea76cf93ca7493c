/* placement.h: CPU placement of the monitor's threads: pinning and reporting (the flags themselves: cpu_flags.h). */
#ifndef TB_PLACEMENT_H
#define TB_PLACEMENT_H

#include "cpu_flags.h"

/* Called by the IO thread itself as it starts: its core (or the process's CPUs) and its priority. */
void tb_placement_io_thread(void);
/* 1 when the IO thread and the vCPU share a core: then the IO thread never spins (it would hold off the guest). */
int tb_placement_io_shares_vcpu(void);

#endif /* TB_PLACEMENT_H */
