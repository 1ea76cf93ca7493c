/* stop.c: ends the run: tears down I/O, writes the stats and exits with the guest's or a reserved status. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "dumpcore.h"
#include "exitcodes.h"
#include "io.h"
#include "park.h"
#include "stats.h"
#include "stop.h"

#define SOLO5_EXIT_ABORT 255

void tb_stop(struct tb_vm *vm, int code, const char *reason)
{
    tb_park_vcpu(vm); /* another thread stopping the run: the vCPU thread parks first */
    /* An abort or a fault is what a core is for (solo5-hvt dumps on abort, which is how Solo5 guests report traps). */
    if (code == SOLO5_EXIT_ABORT || code == TB_EXIT_FAULT)
        tb_dumpcore_write(vm);
    if (vm->io && vm->io->teardown)
        vm->io->teardown(vm);
    tb_stats_finish(vm, code, reason);
    fflush(stdout);
    exit(code);
}

static TB_NORETURN void fault(struct tb_vm *vm, const char *fmt, va_list ap, int with_rip)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    struct kvm_regs regs;
    if (with_rip && ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs) == 0) {
        size_t used = strnlen(msg, sizeof msg);
        snprintf(msg + used, sizeof msg - used, " (rip=0x%llx)", (unsigned long long)regs.rip);
    }
    fflush(stdout); /* the guest's console output first, then why it stopped */
    tb_log_line("guest fault: %s", msg);
    char reason[600];
    snprintf(reason, sizeof reason, "fault: %s", msg);
    tb_stop(vm, TB_EXIT_FAULT, reason);
}

void tb_guest_fault(struct tb_vm *vm, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fault(vm, fmt, ap, 1);
}

void tb_guest_fault_norip(struct tb_vm *vm, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fault(vm, fmt, ap, 0);
}

void tb_host_error(struct tb_vm *vm, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fflush(stdout);
    tb_log_line("%s", msg);
    char reason[600];
    snprintf(reason, sizeof reason, "error: %s", msg);
    tb_stop(vm, TB_EXIT_SOLO5, reason);
}

void tb_translation_fault(struct tb_vm *vm, uint64_t gpa)
{
    struct kvm_regs regs;
    unsigned long long rip = ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs) == 0 ? regs.rip : 0;
    char msg[160];
    snprintf(msg, sizeof msg, "host/guest translation fault: write to read-only guest memory at 0x%llx (rip=0x%llx)",
             (unsigned long long)gpa, rip);
    fflush(stdout);
    tb_log_line("%s", msg);
    char reason[200];
    snprintf(reason, sizeof reason, "fault: %s", msg);
    tb_stop(vm, TB_EXIT_SOLO5, reason);
}
