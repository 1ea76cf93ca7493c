/* vm.c: a VM before anything is open: the fds that say "none" and no part set up. */
#include <string.h>

#include "vm.h"

void tb_vm_init(struct tb_vm *vm, const struct tb_config *cfg)
{
    memset(vm, 0, sizeof *vm);
    vm->cfg = cfg;
    vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
    vm->dumpcore_dir_fd = -1;
}
