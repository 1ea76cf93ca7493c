/* signals.h: SIGTERM/SIGINT/SIGHUP stop the guest cleanly (stats written); they are only taken while the guest runs or waits. */
#ifndef TB_SIGNALS_H
#define TB_SIGNALS_H

#include <signal.h>

#include "vm.h"

/* Blocks the stop signals except inside KVM_RUN and POLL waits (vm->wait_mask); ignores SIGPIPE. */
void tb_signals_init(struct tb_vm *vm);
/* Stops the run with 128 + signal when a stop signal arrived; parks the calling vCPU thread when asked to. */
void tb_signals_check(struct tb_vm *vm);
/*
 * Writes all of buf to fd from the vCPU thread, waiting for room with the stop
 * signals unblocked: a stop signal ends the run even while the reader of a pipe
 * is gone (`tb-monitor ... | less`, paused). is_file: fd is a regular file (it never waits: one write).
 * Returns 0, or -1 (errno) when fd failed.
 */
int tb_signals_write_all(struct tb_vm *vm, int fd, const void *buf, size_t len, int is_file);

#endif /* TB_SIGNALS_H */
