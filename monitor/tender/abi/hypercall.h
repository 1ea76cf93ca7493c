/* hypercall.h: the dispatcher of the hypercall table the modules fill, and the argument checks every handler uses. */
#ifndef TB_HYPERCALL_H
#define TB_HYPERCALL_H

#include <stdint.h>

#include "vm.h"

/* Runs hypercall n with its argument struct at gpa; stops the guest when no module registered n. */
void tb_hypercall_dispatch(struct tb_vm *vm, uint64_t n, uint64_t gpa);
/* Lower-case name of a registered hypercall, NULL otherwise. */
const char *tb_hypercall_name(const struct tb_vm *vm, uint64_t n);

/* Host pointer to the hypercall's argument struct; stops the guest unless it is 8-byte aligned inside guest RAM. */
void *tb_hc_arg(struct tb_vm *vm, uint64_t gpa, uint64_t size, uint64_t n);
/*
 * Host pointer to a buffer named by the guest; stops the guest when it is not inside guest RAM.
 * A buffer the monitor writes must lie above 1 MiB; one it only reads may be anywhere in RAM
 * (a guest may print its command line, which lives in low memory).
 */
enum tb_access { TB_READ, TB_WRITE };
void *tb_hc_buffer(struct tb_vm *vm, uint64_t gpa, uint64_t len, uint64_t n, enum tb_access access);

#define TB_HC_ARG(vm, gpa, type, n) ((type *)tb_hc_arg((vm), (gpa), sizeof(type), (n)))

#endif /* TB_HYPERCALL_H */
