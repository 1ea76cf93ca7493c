/* modules.h: the table of the monitor's modules and the start-up steps that run their hooks. */
#ifndef TB_MODULES_H
#define TB_MODULES_H

#include "vm.h"

struct tb_manifest;

/* Points vm->modules at the table and fills the hypercall and port tables from it; dies on a clash. */
void tb_modules_register(struct tb_vm *vm);
/* Runs every module's open hook, in table order. */
void tb_modules_open(struct tb_vm *vm, const struct tb_manifest *mft);
/* Runs every module's attach hook, in table order. */
void tb_modules_attach(struct tb_vm *vm, const struct tb_manifest *mft);

#endif /* TB_MODULES_H */
