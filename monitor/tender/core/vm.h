/* vm.h: the one guest this monitor process runs: KVM handles, memory, boot facts, and every part's state. */
#ifndef TB_VM_H
#define TB_VM_H

#include <pthread.h>
#include <signal.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "tb_abi.h"

/*
 * This header includes none of the monitor's own: every part may include it,
 * and the parts' states are reached through pointers to types their own
 * headers define, so no part's header has to know another's.
 */
struct tb_config;
struct tb_io_mode;
struct tb_module;
struct tb_net;
struct tb_blocks;
struct shm_state;
struct tb_solo5_ring;
struct tb_stats;
struct tb_console;
struct tb_hlt_sleep;
struct tb_vm;

#define TB_MAX_RO_RANGES 64
#define TB_MAX_PORTS 4

typedef void tb_hypercall_fn(struct tb_vm *vm, uint64_t gpa);
typedef void tb_port_fn(struct tb_vm *vm, uint32_t value);

/* Guest-physical [start, end), page-aligned: a non-writable ELF segment, mapped read-only for the guest. */
struct tb_range {
    uint64_t start, end;
};

/* Counted by the vCPU thread, reported by --stats. */
struct tb_vm_counters {
    uint64_t userspace_exits;                  /* every KVM_RUN return we handled */
    uint64_t hypercalls[HVT_HYPERCALL_MAX];    /* by number, PIO and MMIO alike */
    uint64_t fault_reports;                    /* reports from the ring-0 fault stubs */
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
    uint64_t solo5_ring_gpa;  /* Solo5's network ring when offered (net/solo5_ring.c), else 0 */
    uint64_t tsc_hz;
    const struct tb_io_mode *io;
    int dumpcore_dir_fd;      /* --dumpcore's directory, -1 without it */
    sigset_t wait_mask;       /* the stop signals unblocked: KVM_RUN and POLL wait with it (core/signals.c) */
    pthread_t vcpu_thread;    /* the thread that runs KVM_RUN, once vcpu_thread_set (core/park.c) */
    int vcpu_thread_set;
    pid_t vcpu_tid;           /* the same thread for tgkill */
    uint32_t vcpu_park;       /* atomic: another thread is stopping the run; the vCPU thread must park */
    uint32_t vcpu_parked;     /* atomic: the vCPU thread has parked and touches nothing any more */

    /* What the modules registered at start-up (core/modules.c): the dispatcher knows only these tables. */
    const struct tb_module *const *modules;  /* NULL-terminated, in start-up order */
    struct {
        const char *name;   /* NULL: no such hypercall */
        tb_hypercall_fn *fn;
    } hypercalls[HVT_HYPERCALL_MAX];
    struct {
        uint16_t port;
        tb_port_fn *fn;
    } ports[TB_MAX_PORTS];    /* ring-0 `outl` ports other than the hypercalls' */
    unsigned port_count;
    struct tb_vm_counters count;

    /* Each part's state, set up by its module; NULL until then (or for good when the part is unused). */
    struct tb_net *net;                 /* NICs */
    struct tb_blocks *blocks;           /* block devices */
    struct shm_state *shm;              /* shmstream's region, rings and IO thread (--io=poll|event|hybrid) */
    struct tb_solo5_ring *solo5_ring;   /* Solo5's ring (--io=solo5-ring) */
    struct tb_stats *stats;             /* wall clock, thread CPU clocks, KVM's counters */
    struct tb_console *console;         /* the guest's console: its limits and counts (abi/console.c) */
    struct tb_hlt_sleep *hlt_sleep;     /* --sleep=hlt: irqfd, timer, counters (core/hlt_sleep.c); NULL otherwise */
};

/* A VM with nothing open yet: every fd -1, no part set up. */
void tb_vm_init(struct tb_vm *vm, const struct tb_config *cfg);

#endif /* TB_VM_H */
