/* fault.h: turning a fault-stub report into a one-line message and a stop. */
#ifndef TB_FAULT_H
#define TB_FAULT_H

#include <stdint.h>

#include "log.h"
#include "vm.h"

/* Reads the stub's struct tb_fault_frame at frame_gpa and stops the guest with vector, rip, error code, cr2, ring. */
TB_NORETURN void tb_fault_report(struct tb_vm *vm, uint64_t frame_gpa);

#endif /* TB_FAULT_H */
