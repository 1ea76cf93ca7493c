/* vcpu.h: the vCPU run loop. */
#ifndef TB_VCPU_H
#define TB_VCPU_H

#include "log.h"
#include "vm.h"

/* Runs the guest until it halts, faults or a stop signal arrives; never returns. */
TB_NORETURN void tb_vcpu_run(struct tb_vm *vm);

#endif /* TB_VCPU_H */
