/* stats.h: --stats: the run's wall clock, the threads' CPU clocks, KVM's own vCPU counters; the JSON at exit. */
#ifndef TB_STATS_H
#define TB_STATS_H

#include <stdio.h>
#include <time.h>

#include "kvm_stats.h"
#include "vm.h"

#define TB_STATS_MAX_THREADS 8

/* vm->stats */
struct tb_stats {
    struct timespec wall_start;
    struct tb_kvm_stats kvm;   /* the vCPU's binary stats, kvm.fd -1 without */
    FILE *file;                /* --stats, opened (and its buffer allocated) before the guest runs; NULL without */
    struct {
        const char *name;
        clockid_t clock;
    } threads[TB_STATS_MAX_THREADS];
    unsigned thread_count;     /* written by a thread only before the next one starts (shm_setup.c waits) */
};

/* Sets up vm->stats and records the wall-clock start; call first thing in main. */
void tb_stats_start(struct tb_vm *vm);
/* Opens the vCPU's binary stats fd and registers the calling thread as "vcpu". */
void tb_stats_attach(struct tb_vm *vm);
/* Opens the --stats file, the last step of setup: the confined monitor cannot open files (an empty file meanwhile). */
void tb_stats_open_file(struct tb_vm *vm);
/* Adds the calling thread to the CPU-time report under `name` (e.g. an I/O thread). */
void tb_stats_register_thread(struct tb_stats *stats, const char *name);
/* Writes the JSON file given with --stats (if any), with the exit code and stop reason. */
void tb_stats_finish(const struct tb_vm *vm, int exit_code, const char *reason);

#endif /* TB_STATS_H */
