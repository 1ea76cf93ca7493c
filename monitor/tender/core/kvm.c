/* kvm.c: creates the VM, maps guest RAM, creates the vCPU, passes the host's CPUID through, reads the TSC rate; closes what only setup needs. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hlt_sleep.h"
#include "kvm.h"
#include "log.h"

#define CPUID_MAX_ENTRIES 256
#define HUGE_PAGE 0x200000ULL

static void open_kvm(struct tb_vm *vm)
{
    vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0)
        tb_die_errno("cannot open /dev/kvm");
    int version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION)
        tb_die("/dev/kvm: unsupported KVM API version %d (want %d)", version, KVM_API_VERSION);
    vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0)
        tb_die_errno("KVM_CREATE_VM");
}

static void map_memory(struct tb_vm *vm, uint64_t mem_size)
{
    /*
     * NORESERVE: pages are only backed once the guest touches them. Each first
     * touch of a 4 KiB host page costs a nested fault here (~25 us), so ask for
     * 2 MiB transparent huge pages (the guest maps RAM in 2 MiB pages anyway):
     * over-allocate to align the mapping, then trim.
     */
    size_t span = mem_size + HUGE_PAGE;
    uint8_t *raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED)
        tb_die_errno("cannot allocate %llu MiB of guest memory", (unsigned long long)(mem_size >> 20));
    uint8_t *mem = (uint8_t *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (mem > raw)
        munmap(raw, (size_t)(mem - raw));
    munmap(mem + mem_size, (size_t)(raw + span - (mem + mem_size)));
    madvise(mem, mem_size, MADV_HUGEPAGE); /* advisory: without THP we are only slower */
    vm->mem = mem;
    vm->mem_size = mem_size;
}

static void create_vcpu(struct tb_vm *vm)
{
    vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
    if (vm->vcpu_fd < 0)
        tb_die_errno("KVM_CREATE_VCPU");
    int size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < (int)sizeof(struct kvm_run))
        tb_die_errno("KVM_GET_VCPU_MMAP_SIZE");
    vm->run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
    if (vm->run == MAP_FAILED)
        tb_die_errno("cannot map the vCPU's kvm_run");
    vm->run_size = (size_t)size;
}

/* Solo5 guests check CPU features with CPUID: give them what KVM supports on this host. */
static void set_cpuid(struct tb_vm *vm)
{
    struct kvm_cpuid2 *cpuid = calloc(1, sizeof *cpuid + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2));
    if (!cpuid)
        tb_die("out of memory");
    cpuid->nent = CPUID_MAX_ENTRIES;
    if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0)
        tb_die_errno("KVM_GET_SUPPORTED_CPUID");
    if (ioctl(vm->vcpu_fd, KVM_SET_CPUID2, cpuid) < 0)
        tb_die_errno("KVM_SET_CPUID2");
    free(cpuid);
}

static void read_tsc_rate(struct tb_vm *vm)
{
    int khz = ioctl(vm->vcpu_fd, KVM_GET_TSC_KHZ, 0);
    if (khz <= 0)
        tb_die_errno("KVM_GET_TSC_KHZ");
    vm->tsc_hz = (uint64_t)khz * 1000;
}

static void add_slot(struct tb_vm *vm, unsigned slot, uint64_t start, uint64_t end, uint32_t flags)
{
    struct kvm_userspace_memory_region region = {
        .slot = slot,
        .flags = flags,
        .guest_phys_addr = start,
        .memory_size = end - start,
        .userspace_addr = (uint64_t)(uintptr_t)(vm->mem + start),
    };
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        tb_die_errno("KVM_SET_USER_MEMORY_REGION (0x%llx..0x%llx)", (unsigned long long)start,
                     (unsigned long long)end);
}

/*
 * Guest RAM as memory slots: read-only ones over vm->ro, so a guest store to
 * its own code or constants exits to us (KVM_EXIT_MMIO) instead of landing,
 * whatever the guest's page tables say.
 */
void tb_kvm_map_memory(struct tb_vm *vm)
{
    unsigned slot = 0;
    uint64_t at = 0;
    if (vm->ro_count && ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0) {
        tb_warn("KVM has no read-only memory: the guest's code stays writable");
        vm->ro_count = 0;
    }
    for (unsigned i = 0; i < vm->ro_count; i++) {
        if (vm->ro[i].start > at)
            add_slot(vm, slot++, at, vm->ro[i].start, 0);
        add_slot(vm, slot++, vm->ro[i].start, vm->ro[i].end, KVM_MEM_READONLY);
        at = vm->ro[i].end;
    }
    if (at < vm->mem_size)
        add_slot(vm, slot, at, vm->mem_size, 0);
}

void tb_kvm_create(struct tb_vm *vm, uint64_t mem_size)
{
    open_kvm(vm);
    map_memory(vm, mem_size);
    tb_hlt_sleep_create_vm(vm); /* the irqchip must precede the vCPU */
    create_vcpu(vm);
    set_cpuid(vm);
    read_tsc_rate(vm);
    tb_hlt_sleep_attach_vcpu(vm);
}

/*
 * /dev/kvm and the VM fd only create things (VMs, vCPUs, memory slots,
 * ioeventfds), and nothing is created once the guest runs; the vCPU fd keeps
 * the VM alive without them. No ioctl reaches the VM fd once the guest runs
 * (the seccomp filter allows the vCPU fd's only).
 */
void tb_kvm_release(struct tb_vm *vm)
{
    close(vm->kvm_fd);
    vm->kvm_fd = -1;
    /* Closing the VM fd releases its irqfds (ioeventfds stay): --sleep=hlt's wake NMI needs it open. */
    if (vm->hlt_sleep)
        return;
    close(vm->vm_fd);
    vm->vm_fd = -1;
}
