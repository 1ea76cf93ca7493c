/* kvm.h: KVM setup: the VM, its memory slot and its one vCPU. */
#ifndef TB_KVM_H
#define TB_KVM_H

#include "vm.h"

/* Opens /dev/kvm, creates the VM with mem_size bytes of RAM at gpa 0 and one vCPU; dies on failure. */
void tb_kvm_create(struct tb_vm *vm, uint64_t mem_size);

#endif /* TB_KVM_H */
