/* park.h: a thread that stops the run (the IO thread on a corrupt ring) first parks the vCPU thread. */
#ifndef TB_PARK_H
#define TB_PARK_H

#include <signal.h>

#include "vm.h"

/* Sent to the vCPU thread to end its KVM_RUN or wait with EINTR; blocked everywhere else. */
#define TB_PARK_SIGNAL SIGUSR2

/* On the vCPU thread, before any other thread starts: installs the kick's handler and records the thread. */
void tb_park_init(struct tb_vm *vm);
/*
 * From any other thread that is stopping the run: asks the vCPU thread to park, kicks it, and waits
 * (at most 100 ms) until it has, so that the stats are written from counters nobody changes any more.
 * A no-op on the vCPU thread itself and before tb_park_init.
 */
void tb_park_vcpu(struct tb_vm *vm);
/* On the vCPU thread after every KVM_RUN or wait that a signal ended: parks for good when asked to. */
void tb_park_if_asked(struct tb_vm *vm);

#endif /* TB_PARK_H */
