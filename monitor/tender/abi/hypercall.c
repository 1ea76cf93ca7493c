/* hypercall.c: the table of hypercall handlers and the bounds checks every handler uses. */
#include "hypercall.h"
#include "mem.h"
#include "stats.h"
#include "stop.h"

static const struct {
    const char *name;
    void (*fn)(struct tb_vm *vm, uint64_t gpa);
} table[HVT_HYPERCALL_MAX] = {
    [HVT_HYPERCALL_WALLTIME] = { "walltime", tb_hc_walltime },
    [HVT_HYPERCALL_PUTS] = { "puts", tb_hc_puts },
    [HVT_HYPERCALL_POLL] = { "poll", tb_hc_poll },
    [HVT_HYPERCALL_BLOCK_WRITE] = { "block_write", tb_hc_block_write },
    [HVT_HYPERCALL_BLOCK_READ] = { "block_read", tb_hc_block_read },
    [HVT_HYPERCALL_NET_WRITE] = { "net_write", tb_hc_net_write },
    [HVT_HYPERCALL_NET_READ] = { "net_read", tb_hc_net_read },
    [HVT_HYPERCALL_HALT] = { "halt", tb_hc_halt },
};

const char *tb_hypercall_name(uint64_t n)
{
    return n < HVT_HYPERCALL_MAX ? table[n].name : NULL;
}

void tb_hypercall_dispatch(struct tb_vm *vm, uint64_t n, uint64_t gpa)
{
    if (!tb_hypercall_name(n))
        tb_guest_fault(vm, "unknown hypercall %llu", (unsigned long long)n);
    tb_stats.hypercalls[n]++;
    table[n].fn(vm, gpa);
}

static const char *why_refused(const struct tb_vm *vm, uint64_t gpa)
{
    if (gpa < HVT_GUEST_MIN_BASE && tb_guest_range_any(vm, gpa, 1))
        return "is in the monitor's low memory (below 1 MiB)";
    return "is outside guest memory";
}

void *tb_hc_arg(struct tb_vm *vm, uint64_t gpa, uint64_t size, uint64_t n)
{
    void *p = tb_guest_range(vm, gpa, size);
    if (!p)
        tb_guest_fault(vm, "%s hypercall: argument at 0x%llx %s", tb_hypercall_name(n), (unsigned long long)gpa,
                       why_refused(vm, gpa));
    return p;
}

void *tb_hc_buffer(struct tb_vm *vm, uint64_t gpa, uint64_t len, uint64_t n, enum tb_access access)
{
    void *p = access == TB_WRITE ? tb_guest_range(vm, gpa, len) : tb_guest_range_any(vm, gpa, len);
    if (!p)
        tb_guest_fault(vm, "%s hypercall: buffer 0x%llx, length 0x%llx %s", tb_hypercall_name(n),
                       (unsigned long long)gpa, (unsigned long long)len, why_refused(vm, gpa));
    /* The guest cannot store to its code or constants: neither may we on its behalf. */
    if (access == TB_WRITE && tb_guest_read_only(vm, gpa, len))
        tb_guest_fault(vm, "%s hypercall: buffer 0x%llx, length 0x%llx is in the guest's read-only memory",
                       tb_hypercall_name(n), (unsigned long long)gpa, (unsigned long long)len);
    return p;
}
