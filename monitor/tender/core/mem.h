/* mem.h: overflow-safe translation of guest-physical ranges to host pointers. */
#ifndef TB_MEM_H
#define TB_MEM_H

#include <stdint.h>

#include "vm.h"

/*
 * Host pointer for the guest range [gpa, gpa + len), or NULL unless it lies
 * entirely inside guest RAM at or above the 1 MiB guest minimum: hypercall
 * buffers never point into the monitor's low-memory structures.
 */
void *tb_guest_range(const struct tb_vm *vm, uint64_t gpa, uint64_t len);

/* Like tb_guest_range, but low memory allowed (the fault stubs' frames live there). */
void *tb_guest_range_any(const struct tb_vm *vm, uint64_t gpa, uint64_t len);

/* True when [gpa, gpa + len), already known to lie in RAM, touches memory the guest sees read-only. */
int tb_guest_read_only(const struct tb_vm *vm, uint64_t gpa, uint64_t len);

/* Host pointer to a monitor-owned low-memory structure (offsets are compile-time constants). */
static inline void *tb_low(const struct tb_vm *vm, uint64_t gpa)
{
    return vm->mem + gpa;
}

#endif /* TB_MEM_H */
