/* fault.c: reports a CPU exception caught by the guest's ring-0 stubs: vector name and number, rip, error code, cr2, ring. */
#include <string.h>
#include <sys/ioctl.h>

#include "fault.h"
#include "mem.h"
#include "stop.h"

static const char *const vector_names[32] = {
    [0] = "#DE divide error",         [1] = "#DB debug",
    [2] = "NMI",                      [3] = "#BP breakpoint",
    [4] = "#OF overflow",             [5] = "#BR bound range exceeded",
    [6] = "#UD invalid opcode",       [7] = "#NM device not available",
    [8] = "#DF double fault",         [9] = "coprocessor segment overrun",
    [10] = "#TS invalid TSS",         [11] = "#NP segment not present",
    [12] = "#SS stack-segment fault", [13] = "#GP general protection",
    [14] = "#PF page fault",          [16] = "#MF x87 floating-point error",
    [17] = "#AC alignment check",     [18] = "#MC machine check",
    [19] = "#XM SIMD floating-point", [20] = "#VE virtualization exception",
    [21] = "#CP control protection",  [28] = "#HV hypervisor injection",
    [29] = "#VC VMM communication",   [30] = "#SX security exception",
};

static const char *vector_name(uint64_t v)
{
    return v < 32 && vector_names[v] ? vector_names[v] : "reserved exception";
}

void tb_fault_report(struct tb_vm *vm, uint64_t frame_gpa)
{
    vm->count.fault_reports++;
    /* A ring-0 guest can `outl` here itself: the frame address is as untrusted as any hypercall's. */
    const struct tb_fault_frame *p = tb_guest_range_any(vm, frame_gpa, sizeof *p);
    if (!p)
        tb_guest_fault(vm, "fault report with a frame outside guest memory (0x%llx)", (unsigned long long)frame_gpa);
    struct tb_fault_frame f;
    memcpy(&f, p, sizeof f);
    struct kvm_sregs sregs;
    unsigned long long cr2 = ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) == 0 ? sregs.cr2 : 0;
    tb_guest_fault_norip(vm, "%s (vector %llu) at rip=0x%llx, error code 0x%llx, cr2=0x%llx, in ring %llu",
                         vector_name(f.vector), (unsigned long long)f.vector, (unsigned long long)f.rip,
                         (unsigned long long)f.error_code, cr2, (unsigned long long)(f.cs & 3));
}
