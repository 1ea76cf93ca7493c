/* stop.h: the only ways out once the guest exists: it halted, it misbehaved, or we were signalled. */
#ifndef TB_STOP_H
#define TB_STOP_H

#include "log.h"
#include "vm.h"

/* Tears down the I/O mode, writes --stats with `reason`, exits with `code`. */
TB_NORETURN void tb_stop(struct tb_vm *vm, int code, const char *reason);

/* "tb-monitor: <message>" on stderr; stop with TB_EXIT_SOLO5 (a host-side failure while serving the guest). */
TB_NORETURN TB_PRINTF(2, 3) void tb_host_error(struct tb_vm *vm, const char *fmt, ...);
/* "tb-monitor: host/guest translation fault: ..." on stderr: the guest stored to read-only memory at gpa;
 * stop with TB_EXIT_SOLO5, solo5-hvt's status and words for it. */
TB_NORETURN void tb_translation_fault(struct tb_vm *vm, uint64_t gpa);
/* "tb-monitor: guest fault: <message> (rip=0x...)" on stderr; stop with TB_EXIT_FAULT. */
TB_NORETURN TB_PRINTF(2, 3) void tb_guest_fault(struct tb_vm *vm, const char *fmt, ...);
/* The same without the rip suffix, for messages that carry their own. */
TB_NORETURN TB_PRINTF(2, 3) void tb_guest_fault_norip(struct tb_vm *vm, const char *fmt, ...);

#endif /* TB_STOP_H */
