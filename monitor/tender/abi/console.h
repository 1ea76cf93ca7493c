/* console.h: the guest's console (PUTS) on our stdout, bounded per run in total bytes and in rate. */
#ifndef TB_CONSOLE_H
#define TB_CONSOLE_H

#include <stdint.h>
#include <stdio.h>

#include "vm.h"

/* The PUTS hypercall's output: what the limits let through goes to stdout, the rest is counted and marked. */
void tb_console_write(struct tb_vm *vm, const char *data, uint64_t len);
/* Sets up vm->console (the core module's open hook). */
void tb_console_open(struct tb_vm *vm);
/* The core module's --stats member: "console": {bytes, dropped_bytes, truncations, limits}. */
void tb_console_stats(const struct tb_vm *vm, FILE *f);

#endif /* TB_CONSOLE_H */
