/* dumpcore.h: --dumpcore=DIR: an ELF core file of the guest (registers and touched memory) when it aborts. */
#ifndef TB_DUMPCORE_H
#define TB_DUMPCORE_H

#include "vm.h"

/* Opens and checks --dumpcore's directory before the guest runs; dies when it is not a writable directory. */
void tb_dumpcore_setup(struct tb_vm *vm);
/* Writes DIR/core.solo5-hvt.PID when --dumpcore was given; failures are warnings (the run is ending anyway). */
void tb_dumpcore_write(struct tb_vm *vm);

#endif /* TB_DUMPCORE_H */
