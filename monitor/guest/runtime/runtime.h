/* runtime.h: state and helpers shared by the guest runtime's files (not part of the app API). */
#ifndef TB_RUNTIME_H
#define TB_RUNTIME_H

#include <stdint.h>
#include "tb_abi.h"

/* Set by _start before any C runs; never written afterwards. */
extern const struct hvt_boot_info *tb_boot_info;
extern int tb_in_ring3;

/*
 * A test image defines `const int tb_force_ring0 = 1;` to stay in ring 0 and
 * use PIO hypercalls even when the monitor offers ring 3, as an unmodified
 * Solo5 guest does (the runtime's own definition is weak and 0).
 */
extern const int tb_force_ring0;

/* One hypercall: an MMIO store from ring 3, an `outl` from ring 0. `arg` is identity-mapped. */
static inline void tb_hypercall(unsigned n, void *arg)
{
    uint64_t gpa = (uint64_t)(uintptr_t)arg;
    if (tb_in_ring3)
        __asm__ __volatile__("movq %0, (%1)" : : "r"(gpa), "r"(TB_HYPERCALL_ADDR(n)) : "memory");
    else
        __asm__ __volatile__("outl %0, %1" : : "a"((uint32_t)gpa), "d"((uint16_t)(HVT_HYPERCALL_PIO_BASE + n))
                             : "memory");
}

void tb_clock_init(uint64_t cpu_cycle_freq);

/* Bytes the runtime keeps free below the top of memory for the stack. */
#define TB_STACK_SIZE (512 * 1024)

#endif /* TB_RUNTIME_H */
