/* kvm_stats.c: reads the vCPU's binary stats fd (KVM_GET_STATS_FD): exits, insn_emulation, halt_exits, ... */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_stats.h"

/* The descriptors never change for a vCPU: read them during setup, so the exit path only reads values. */
static int load_descs(struct tb_kvm_stats *s)
{
    if (pread(s->fd, &s->head, sizeof s->head, 0) != sizeof s->head)
        return -1;
    s->stride = sizeof(struct kvm_stats_desc) + s->head.name_size;
    size_t total = s->stride * s->head.num_desc;
    s->descs = malloc(total ? total : 1);
    if (!s->descs || pread(s->fd, s->descs, total, s->head.desc_offset) != (ssize_t)total) {
        free(s->descs);
        s->descs = NULL;
        return -1;
    }
    return 0;
}

static const struct kvm_stats_desc *desc_at(const struct tb_kvm_stats *s, unsigned i)
{
    return (const struct kvm_stats_desc *)(s->descs + i * s->stride);
}

static int read_value(const struct tb_kvm_stats *s, const struct kvm_stats_desc *d, uint64_t *v)
{
    return pread(s->fd, v, sizeof *v, s->head.data_offset + d->offset) == sizeof *v ? 0 : -1;
}

void tb_kvm_stats_open(struct tb_kvm_stats *s, int vcpu_fd)
{
    memset(s, 0, sizeof *s);
    s->fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);
    if (s->fd >= 0 && load_descs(s) < 0) {
        close(s->fd);
        s->fd = -1;
    }
}

int tb_kvm_stats_write_json(const struct tb_kvm_stats *s, FILE *file)
{
    if (s->fd < 0)
        return 0;
    int n = 0;
    for (unsigned i = 0; i < s->head.num_desc; i++) {
        const struct kvm_stats_desc *d = desc_at(s, i);
        uint64_t v;
        if (d->size != 1 || read_value(s, d, &v) < 0) /* histograms are left out */
            continue;
        fprintf(file, "%s\"%s\": %llu", n++ ? ", " : "", d->name, (unsigned long long)v);
    }
    return n;
}

uint64_t tb_kvm_stat(const struct tb_kvm_stats *s, const char *name)
{
    uint64_t v = 0;
    if (s->fd < 0)
        return 0;
    for (unsigned i = 0; i < s->head.num_desc; i++)
        if (!strcmp(desc_at(s, i)->name, name) && read_value(s, desc_at(s, i), &v) == 0)
            break;
    return v;
}
