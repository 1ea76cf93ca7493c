/* sandbox.h: confines the monitor once setup is done: capabilities dropped, setup-only fds closed, the seccomp allowlist. */
#ifndef TB_SANDBOX_H
#define TB_SANDBOX_H

#include "vm.h"

/*
 * Call after the last setup step (the I/O mode's threads started) and right
 * before the first KVM_RUN: closes /dev/kvm and the VM fd, drops every
 * capability of every thread, then installs the seccomp filter (--seccomp=)
 * on every thread. Dies with one line on any failure: an unconfined monitor
 * never runs a guest by accident.
 */
void tb_sandbox_enter(struct tb_vm *vm);

#endif /* TB_SANDBOX_H */
