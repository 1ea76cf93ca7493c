/* kvm_stats.h: the vCPU's binary stats fd (KVM_GET_STATS_FD): every scalar counter by name. */
#ifndef TB_KVM_STATS_H
#define TB_KVM_STATS_H

#include <stdint.h>
#include <stdio.h>

#include <linux/kvm.h>

/* The fd and its descriptor table, read once at setup: at exit only the values are read (pread). */
struct tb_kvm_stats {
    int fd;                       /* -1 when KVM has none */
    struct kvm_stats_header head;
    size_t stride;                /* a descriptor plus its name */
    uint8_t *descs;
};

/* Opens the vCPU's stats fd and reads its descriptors; s->fd is -1 when KVM has none. */
void tb_kvm_stats_open(struct tb_kvm_stats *s, int vcpu_fd);
/* Writes `"name": value` pairs (comma-separated) for every scalar vCPU stat; returns how many. */
int tb_kvm_stats_write_json(const struct tb_kvm_stats *s, FILE *file);
/* One stat's value by name, 0 when absent. */
uint64_t tb_kvm_stat(const struct tb_kvm_stats *s, const char *name);

#endif /* TB_KVM_STATS_H */
