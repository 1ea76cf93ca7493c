/* kvm_stats.h: the vCPU's binary stats fd (KVM_GET_STATS_FD): every scalar counter by name. */
#ifndef TB_KVM_STATS_H
#define TB_KVM_STATS_H

#include <stdint.h>
#include <stdio.h>

/* The vCPU's binary stats fd, -1 when KVM has none. */
int tb_kvm_stats_open(int vcpu_fd);
/* Writes `"name": value` pairs (comma-separated) for every scalar vCPU stat; returns how many. */
int tb_kvm_stats_write_json(int stats_fd, FILE *file);
/* One stat's value by name, 0 when absent. */
uint64_t tb_kvm_stat(int stats_fd, const char *name);

#endif /* TB_KVM_STATS_H */
