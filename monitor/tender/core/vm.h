/* vm.h: the one guest this monitor process runs: KVM handles, guest memory and boot facts. */
#ifndef TB_VM_H
#define TB_VM_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "args.h"
#include "io.h"

#define TB_MAX_RO_RANGES 64

/* Guest-physical [start, end), page-aligned: a non-writable ELF segment, mapped read-only for the guest. */
struct tb_range {
    uint64_t start, end;
};

struct tb_vm {
    const struct tb_config *cfg;
    int kvm_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    uint8_t *mem;           /* host mapping of guest-physical 0 .. mem_size */
    uint64_t mem_size;
    uint64_t entry;         /* ELF entry point */
    uint64_t kernel_end;    /* page-aligned end of the loaded image */
    struct tb_range ro[TB_MAX_RO_RANGES]; /* sorted, disjoint */
    unsigned ro_count;
    uint64_t solo5_ring_gpa;  /* Solo5's network ring when offered (solo5_ring.c), else 0 */
    uint64_t tsc_hz;
    const struct tb_io_mode *io;
};

#endif /* TB_VM_H */
