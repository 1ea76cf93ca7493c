/* signals.h: SIGTERM/SIGINT/SIGHUP stop the guest cleanly (stats written); they are only taken while the guest runs or waits. */
#ifndef TB_SIGNALS_H
#define TB_SIGNALS_H

#include <signal.h>

#include "vm.h"

/* Blocks the stop signals except inside KVM_RUN and POLL waits (vm->wait_mask); ignores SIGPIPE. */
void tb_signals_init(struct tb_vm *vm);
/* Stops the run with 128 + signal when a stop signal arrived. */
void tb_signals_check(struct tb_vm *vm);

#endif /* TB_SIGNALS_H */
