/* module.h: what a part of the monitor registers at start-up: its hooks, its hypercalls and ports, its stats. */
#ifndef TB_MODULE_H
#define TB_MODULE_H

#include <stdint.h>
#include <stdio.h>

#include "vm.h"

struct tb_manifest;

struct tb_hypercall_def {
    unsigned nr;           /* HVT_HYPERCALL_* */
    const char *name;      /* lower case, as --stats names it */
    tb_hypercall_fn *fn;
};

struct tb_port_def {
    uint16_t port;
    tb_port_fn *fn;
};

/*
 * Hooks run in table order (core/modules.c), each one NULL when the module has
 * nothing to do then:
 *   open     before the VM exists: host resources that need no guest (files);
 *   attach   the image loaded and guest RAM mapped: devices and rings;
 *   install  the guest's manifest copy is in place: fill in this module's entries;
 *   stats    at exit: this module's members of the --stats JSON object, each line ending ",\n".
 */
struct tb_module {
    const char *name;
    void (*open)(struct tb_vm *vm, const struct tb_manifest *mft);
    void (*attach)(struct tb_vm *vm, const struct tb_manifest *mft);
    void (*install)(struct tb_vm *vm, struct mft *guest_copy);
    void (*stats)(const struct tb_vm *vm, FILE *f);
    const struct tb_hypercall_def *hypercalls;
    unsigned hypercall_count;
    const struct tb_port_def *ports;
    unsigned port_count;
};

#define TB_COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* The modules, each defined beside its part's code. */
extern const struct tb_module tb_module_core;        /* abi/hc_core.c: walltime, puts, halt */
extern const struct tb_module tb_module_net;         /* net/net_module.c: NICs, net_write, net_read, poll */
extern const struct tb_module tb_module_impair;      /* net/nic_impair.c: --impair, after the NICs exist */
extern const struct tb_module tb_module_capture;     /* net/nic_capture.c: --capture, after the NICs exist */
extern const struct tb_module tb_module_block;       /* block/hc_block.c: block devices, block_write, block_read */
extern const struct tb_module tb_module_cpu;         /* stats/stats.c: the threads' CPU time */
extern const struct tb_module tb_module_shmstream;   /* net/shm_glue.c: shmstream's counters */
extern const struct tb_module tb_module_placement;   /* cpus/placement.c: --cpu-vcpu, --cpu-io, --io-nice */
extern const struct tb_module tb_module_solo5_ring;  /* net/solo5_ring.c: Solo5's ring and its kick port */
extern const struct tb_module tb_module_hlt_sleep;   /* core/hlt_sleep.c: --sleep=hlt's counters */

#endif /* TB_MODULE_H */
