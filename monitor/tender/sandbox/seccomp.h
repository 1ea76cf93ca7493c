/* seccomp.h: the monitor's system call allowlist (seccomp.c holds the table). */
#ifndef TB_SECCOMP_H
#define TB_SECCOMP_H

#include "vm.h"

/* Installs the filter --seccomp= asks for on every thread (nothing for off), with NO_NEW_PRIVS; dies on failure. */
void tb_seccomp_install(const struct tb_vm *vm);
/* --seccomp-selftest=CALL: makes a call the filter forbids; returns only when no filter stopped it (--seccomp=off). */
void tb_seccomp_selftest(const struct tb_vm *vm, const char *call);

#endif /* TB_SECCOMP_H */
