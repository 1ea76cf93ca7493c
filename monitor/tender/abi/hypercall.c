/* hypercall.c: dispatches into the hypercall table the modules registered; the bounds checks every handler uses. */
#include "hypercall.h"
#include "mem.h"
#include "stop.h"

const char *tb_hypercall_name(const struct tb_vm *vm, uint64_t n)
{
    return n < HVT_HYPERCALL_MAX ? vm->hypercalls[n].name : NULL;
}

void tb_hypercall_dispatch(struct tb_vm *vm, uint64_t n, uint64_t gpa)
{
    if (!tb_hypercall_name(vm, n))
        tb_guest_fault(vm, "unknown hypercall %llu", (unsigned long long)n);
    vm->count.hypercalls[n]++;
    vm->hypercalls[n].fn(vm, gpa);
}

static const char *why_refused(const struct tb_vm *vm, uint64_t gpa)
{
    if (gpa < HVT_GUEST_MIN_BASE && tb_guest_range_any(vm, gpa, 1))
        return "is in the monitor's low memory (below 1 MiB)";
    return "is outside guest memory";
}

/* Every hvt_hc_* struct starts with a uint64_t; a compiler never places one at a lesser alignment. */
#define TB_HC_ARG_ALIGN 8

void *tb_hc_arg(struct tb_vm *vm, uint64_t gpa, uint64_t size, uint64_t n)
{
    void *p = tb_guest_range(vm, gpa, size);
    if (!p)
        tb_guest_fault(vm, "%s hypercall: argument at 0x%llx %s", tb_hypercall_name(vm, n), (unsigned long long)gpa,
                       why_refused(vm, gpa));
    /* The handlers use the struct in place: at a misaligned address that is undefined behaviour (UBSan, fuzz-guest). */
    if (gpa % TB_HC_ARG_ALIGN)
        tb_guest_fault(vm, "%s hypercall: argument at 0x%llx is not %d-byte aligned", tb_hypercall_name(vm, n),
                       (unsigned long long)gpa, TB_HC_ARG_ALIGN);
    return p;
}

void *tb_hc_buffer(struct tb_vm *vm, uint64_t gpa, uint64_t len, uint64_t n, enum tb_access access)
{
    void *p = access == TB_WRITE ? tb_guest_range(vm, gpa, len) : tb_guest_range_any(vm, gpa, len);
    if (!p)
        tb_guest_fault(vm, "%s hypercall: buffer 0x%llx, length 0x%llx %s", tb_hypercall_name(vm, n),
                       (unsigned long long)gpa, (unsigned long long)len, why_refused(vm, gpa));
    /* The guest cannot store to its code or constants: neither may we on its behalf. */
    if (access == TB_WRITE && tb_guest_read_only(vm, gpa, len))
        tb_guest_fault(vm, "%s hypercall: buffer 0x%llx, length 0x%llx is in the guest's read-only memory",
                       tb_hypercall_name(vm, n), (unsigned long long)gpa, (unsigned long long)len);
    return p;
}
