/* stats.h: run statistics: exit counters, per-NIC traffic, thread CPU time, KVM's own vCPU counters; JSON at exit. */
#ifndef TB_STATS_H
#define TB_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "tb_abi.h"
#include "vm.h"

struct tb_stats {
    uint64_t userspace_exits;                  /* every KVM_RUN return we handled */
    uint64_t hypercalls[HVT_HYPERCALL_MAX];    /* by number, PIO and MMIO alike */
    uint64_t fault_reports;                    /* reports from the ring-0 fault stubs */
};

extern struct tb_stats tb_stats;

/* Records the wall-clock start; call first thing in main. */
void tb_stats_start(void);
/* Opens the vCPU's binary stats fd and registers the calling thread as "vcpu". */
void tb_stats_attach(struct tb_vm *vm);
/* Adds the calling thread to the CPU-time report under `name` (e.g. an I/O thread). */
void tb_stats_register_thread(const char *name);
/* Writes the JSON file given with --stats (if any), with the exit code and stop reason. */
void tb_stats_finish(const struct tb_vm *vm, int exit_code, const char *reason);

/* kvm_stats.c: the vCPU's binary stats fd. */
int tb_kvm_stats_open(int vcpu_fd);
/* Writes `"name": value` pairs (comma-separated) for every scalar vCPU stat; returns how many. */
int tb_kvm_stats_write_json(int stats_fd, FILE *file);
/* One stat's value by name, 0 when absent. */
uint64_t tb_kvm_stat(int stats_fd, const char *name);

#endif /* TB_STATS_H */
