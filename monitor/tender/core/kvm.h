/* kvm.h: KVM setup: the VM, its memory slot and its one vCPU. */
#ifndef TB_KVM_H
#define TB_KVM_H

#include "vm.h"

/* Opens /dev/kvm, creates the VM and one vCPU, allocates mem_size bytes of RAM; dies on failure. */
void tb_kvm_create(struct tb_vm *vm, uint64_t mem_size);
/* Gives the guest its RAM at gpa 0, the ranges in vm->ro read-only; call once the image is loaded. */
void tb_kvm_map_memory(struct tb_vm *vm);

/* Closes /dev/kvm and the VM fd once setup is over (only the vCPU fd is used after it). */
void tb_kvm_release(struct tb_vm *vm);

#endif /* TB_KVM_H */
