/* cpu_flags.h: what --cpu-vcpu, --cpu-io and --io-nice ask for (placement.c applies it). */
#ifndef TB_CPU_FLAGS_H
#define TB_CPU_FLAGS_H

#include <stdio.h>

/* What the command line asked for; -1: not pinned (the thread may run on any CPU the process may). */
struct tb_cpus {
    int vcpu;       /* the vCPU thread's core */
    int io;         /* the shmstream IO thread's core */
    int io_nice;    /* the IO thread's nice value, -20..19 (0: unchanged) */
};

#define TB_CPUS_UNPINNED ((struct tb_cpus){ .vcpu = -1, .io = -1, .io_nice = 0 })

/* One --cpu-vcpu= / --cpu-io= / --io-nice= option; 0 when `arg` is none of them (dies on a bad value). */
int tb_placement_parse(struct tb_cpus *cpus, const char *arg);
/* Their lines in --help. */
void tb_placement_usage(FILE *out);

#endif /* TB_CPU_FLAGS_H */
