/* mem.c: guest memory bounds checks; every guest-supplied address goes through here. */
#include "mem.h"

void *tb_guest_range_any(const struct tb_vm *vm, uint64_t gpa, uint64_t len)
{
    /* Written so nothing can overflow: gpa <= mem_size first, then len against what remains. */
    if (gpa > vm->mem_size || len > vm->mem_size - gpa)
        return NULL;
    return vm->mem + gpa;
}

void *tb_guest_range(const struct tb_vm *vm, uint64_t gpa, uint64_t len)
{
    if (gpa < HVT_GUEST_MIN_BASE)
        return NULL;
    return tb_guest_range_any(vm, gpa, len);
}

int tb_guest_read_only(const struct tb_vm *vm, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < vm->ro_count; i++)
        if (gpa < vm->ro[i].end && (vm->ro[i].start <= gpa || vm->ro[i].start - gpa < len))
            return 1;
    return 0;
}
