/* x86_64.h: long-mode CPU state and the low-memory structures (GDT, TSS, IDT, page tables, fault stubs). */
#ifndef TB_X86_64_H
#define TB_X86_64_H

#include "vm.h"

/* Writes the low-memory structures of tb_abi.h into guest memory. */
void tb_x86_setup_memory(struct tb_vm *vm);
/* Sets sregs and regs: long mode at ring 0, rip = entry, rsp = top - 8, rdi = boot info. */
void tb_x86_setup_vcpu(struct tb_vm *vm);

#endif /* TB_X86_64_H */
