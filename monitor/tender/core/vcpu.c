/* vcpu.c: the KVM_RUN loop: PIO and MMIO hypercalls, registered ports, fault-stub reports, every other exit a guest fault. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "fault.h"
#include "hypercall.h"
#include "signals.h"
#include "stop.h"
#include "vcpu.h"

/* Hypercall slots up to the doorbells: any store here names a hypercall, known or not. */
#define HYPERCALL_WINDOW (TB_DOORBELL_MMIO_BASE - TB_HYPERCALL_MMIO_BASE)

/* A port a module registered (Solo5's ring kick); 0 when none did. */
static int run_port(struct tb_vm *vm, uint16_t port, uint32_t value)
{
    for (unsigned i = 0; i < vm->port_count; i++)
        if (vm->ports[i].port == port) {
            vm->ports[i].fn(vm, value);
            return 1;
        }
    return 0;
}

/* `outl` from ring 0: Solo5 guests (port 0x500 + n), our fault stubs, the modules' ports. */
static void handle_pio(struct tb_vm *vm)
{
    struct kvm_run *run = vm->run;
    uint16_t port = run->io.port;
    if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 || run->io.count != 1)
        tb_guest_fault(vm, "unexpected port I/O (port 0x%x, %s, size %u)", port,
                       run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", run->io.size);
    uint32_t value;
    memcpy(&value, (uint8_t *)run + run->io.data_offset, sizeof value);
    if (port == TB_FAULT_PIO_PORT)
        tb_fault_report(vm, value);
    if (run_port(vm, port, value))
        return;
    if (port < HVT_HYPERCALL_PIO_BASE || port >= HVT_HYPERCALL_PIO_BASE + HVT_HYPERCALL_MAX)
        tb_guest_fault(vm, "port I/O to unknown port 0x%x", port);
    tb_hypercall_dispatch(vm, port - HVT_HYPERCALL_PIO_BASE, value);
}

/* Stores from ring 3 into the unbacked hypercall window; anything else unbacked is a stray access. */
static void handle_mmio(struct tb_vm *vm)
{
    struct kvm_run *run = vm->run;
    uint64_t addr = run->mmio.phys_addr;
    uint64_t offset = addr - TB_HYPERCALL_MMIO_BASE;
    if (addr < vm->mem_size && run->mmio.is_write) /* a read-only slot: KVM hands us the store */
        tb_translation_fault(vm, addr);
    if (addr < TB_HYPERCALL_MMIO_BASE || offset >= HYPERCALL_WINDOW || offset % 8)
        tb_guest_fault(vm, "%s of unbacked address 0x%llx (outside guest RAM)", run->mmio.is_write ? "write" : "read",
                       (unsigned long long)addr);
    if (!run->mmio.is_write || run->mmio.len != 8)
        tb_guest_fault(vm, "hypercall %llu: not an 8-byte store", (unsigned long long)(offset >> 3));
    uint64_t gpa;
    memcpy(&gpa, run->mmio.data, sizeof gpa);
    tb_hypercall_dispatch(vm, offset >> 3, gpa);
}

static void handle_exit(struct tb_vm *vm)
{
    struct kvm_run *run = vm->run;
    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        handle_pio(vm);
        break;
    case KVM_EXIT_MMIO:
        handle_mmio(vm);
        break;
    case KVM_EXIT_HLT:
        tb_guest_fault(vm, "hlt without a HALT hypercall");
    case KVM_EXIT_SHUTDOWN:
        tb_guest_fault(vm, "triple fault (KVM_EXIT_SHUTDOWN)");
    case KVM_EXIT_FAIL_ENTRY:
        tb_guest_fault(vm, "VM entry failed (hardware reason 0x%llx)",
                       (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
    case KVM_EXIT_INTERNAL_ERROR:
        tb_guest_fault(vm, "KVM internal error (suberror %u)", run->internal.suberror);
    case KVM_EXIT_INTR:
        tb_signals_check(vm);
        break;
    default:
        tb_guest_fault(vm, "unexpected VM exit %u", run->exit_reason);
    }
}

void tb_vcpu_run(struct tb_vm *vm)
{
    for (;;) {
        if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) {
            if (errno != EINTR && errno != EAGAIN)
                tb_guest_fault(vm, "KVM_RUN failed: %s", strerror(errno));
            tb_signals_check(vm);
            continue;
        }
        vm->count.userspace_exits++;
        handle_exit(vm);
    }
}
