/* kvm_stats.c: reads the vCPU's binary stats fd (KVM_GET_STATS_FD): exits, insn_emulation, halt_exits, ... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kvm_stats.h"

struct desc_table {
    struct kvm_stats_header h;
    size_t stride; /* descriptor plus its name */
    uint8_t *descs;
};

static int load_descs(int fd, struct desc_table *t)
{
    if (pread(fd, &t->h, sizeof t->h, 0) != sizeof t->h)
        return -1;
    t->stride = sizeof(struct kvm_stats_desc) + t->h.name_size;
    size_t total = t->stride * t->h.num_desc;
    t->descs = malloc(total ? total : 1);
    if (!t->descs || pread(fd, t->descs, total, t->h.desc_offset) != (ssize_t)total) {
        free(t->descs);
        return -1;
    }
    return 0;
}

static const struct kvm_stats_desc *desc_at(const struct desc_table *t, unsigned i)
{
    return (const struct kvm_stats_desc *)(t->descs + i * t->stride);
}

static int read_value(int fd, const struct desc_table *t, const struct kvm_stats_desc *d, uint64_t *v)
{
    return pread(fd, v, sizeof *v, t->h.data_offset + d->offset) == sizeof *v ? 0 : -1;
}

int tb_kvm_stats_open(int vcpu_fd)
{
    return ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);
}

int tb_kvm_stats_write_json(int fd, FILE *file)
{
    struct desc_table t;
    if (fd < 0 || load_descs(fd, &t) < 0)
        return 0;
    int n = 0;
    for (unsigned i = 0; i < t.h.num_desc; i++) {
        const struct kvm_stats_desc *d = desc_at(&t, i);
        uint64_t v;
        if (d->size != 1 || read_value(fd, &t, d, &v) < 0) /* histograms are left out */
            continue;
        fprintf(file, "%s\"%s\": %llu", n++ ? ", " : "", d->name, (unsigned long long)v);
    }
    free(t.descs);
    return n;
}

uint64_t tb_kvm_stat(int fd, const char *name)
{
    struct desc_table t;
    uint64_t v = 0;
    if (fd < 0 || load_descs(fd, &t) < 0)
        return 0;
    for (unsigned i = 0; i < t.h.num_desc; i++)
        if (!strcmp(desc_at(&t, i)->name, name) && read_value(fd, &t, desc_at(&t, i), &v) == 0)
            break;
    free(t.descs);
    return v;
}
