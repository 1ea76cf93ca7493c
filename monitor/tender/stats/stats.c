/* stats.c: collects the run's counters and writes them as one JSON object at exit (--stats=PATH). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "block.h"
#include "hypercall.h"
#include "log.h"
#include "net.h"
#include "shm.h"
#include "solo5_ring.h"
#include "stats.h"

#define MAX_THREADS 8

struct tb_stats tb_stats;

static struct timespec wall_start;
static int kvm_stats_fd = -1;
static struct {
    const char *name;
    clockid_t clock;
} threads[MAX_THREADS];
static unsigned thread_count;

static double seconds(const struct timespec *t)
{
    return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

void tb_stats_start(void)
{
    clock_gettime(CLOCK_MONOTONIC, &wall_start);
}

void tb_stats_register_thread(const char *name)
{
    clockid_t clock;
    if (thread_count == MAX_THREADS || pthread_getcpuclockid(pthread_self(), &clock) != 0)
        return;
    threads[thread_count].name = name;
    threads[thread_count++].clock = clock;
}

void tb_stats_attach(struct tb_vm *vm)
{
    kvm_stats_fd = tb_kvm_stats_open(vm->vcpu_fd);
    if (kvm_stats_fd < 0)
        tb_warn("KVM_GET_STATS_FD unavailable: no KVM counters in the stats");
    tb_stats_register_thread("vcpu");
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void write_hypercalls(FILE *f)
{
    fprintf(f, "  \"hypercalls\": {");
    for (unsigned n = 1, first = 1; n < HVT_HYPERCALL_MAX; n++) {
        if (!tb_hypercall_name(n))
            continue;
        fprintf(f, "%s\"%s\": %llu", first ? "" : ", ", tb_hypercall_name(n),
                (unsigned long long)tb_stats.hypercalls[n]);
        first = 0;
    }
    fprintf(f, "},\n");
}

static void write_nics(FILE *f)
{
    fprintf(f, "  \"nics\": {");
    for (unsigned i = 0; i < tb_nic_count; i++) {
        const struct tb_nic *n = &tb_nics[i];
        fprintf(f, "%s\n    ", i ? "," : "");
        json_string(f, n->arg->name);
        fprintf(f, ": {\"tap\": ");
        json_string(f, n->arg->ifname);
        fprintf(f,
                ", \"rx_packets\": %llu, \"rx_bytes\": %llu, \"rx_drops\": %llu, "
                "\"tx_packets\": %llu, \"tx_bytes\": %llu, \"tx_drops\": %llu}",
                (unsigned long long)n->st.rx_packets, (unsigned long long)n->st.rx_bytes,
                (unsigned long long)n->st.rx_drops, (unsigned long long)n->st.tx_packets,
                (unsigned long long)n->st.tx_bytes, (unsigned long long)n->st.tx_drops);
    }
    fprintf(f, "%s},\n", tb_nic_count ? "\n  " : "");
}

static void write_blocks(FILE *f)
{
    fprintf(f, "  \"blocks\": {");
    for (unsigned i = 0; i < tb_block_count; i++) {
        const struct tb_block *b = &tb_blocks[i];
        fprintf(f, "%s\n    ", i ? "," : "");
        json_string(f, b->arg->name);
        fprintf(f, ": {\"path\": ");
        json_string(f, b->arg->path);
        fprintf(f,
                ", \"capacity\": %llu, \"sector_size\": %u, \"reads\": %llu, \"read_bytes\": %llu, "
                "\"writes\": %llu, \"write_bytes\": %llu, \"refused\": %llu}",
                (unsigned long long)b->capacity, b->sector_size, (unsigned long long)b->st.reads,
                (unsigned long long)b->st.read_bytes, (unsigned long long)b->st.writes,
                (unsigned long long)b->st.write_bytes, (unsigned long long)b->st.refused);
    }
    fprintf(f, "%s},\n", tb_block_count ? "\n  " : "");
}

static void write_cpu(FILE *f)
{
    struct timespec t;
    fprintf(f, "  \"cpu_seconds\": {");
    for (unsigned i = 0; i < thread_count; i++) {
        if (clock_gettime(threads[i].clock, &t) != 0)
            t = (struct timespec){ 0 };
        fprintf(f, "%s\"%s\": %.6f", i ? ", " : "", threads[i].name, seconds(&t));
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    fprintf(f, "%s\"process\": %.6f},\n", thread_count ? ", " : "", seconds(&t));
}

static void write_kvm(FILE *f)
{
    fprintf(f, "  \"vm_exits\": %llu,\n  \"insn_emulation\": %llu,\n  \"halt_exits\": %llu,\n",
            (unsigned long long)tb_kvm_stat(kvm_stats_fd, "exits"),
            (unsigned long long)tb_kvm_stat(kvm_stats_fd, "insn_emulation"),
            (unsigned long long)tb_kvm_stat(kvm_stats_fd, "halt_exits"));
    fprintf(f, "  \"kvm_vcpu\": {");
    tb_kvm_stats_write_json(kvm_stats_fd, f);
    fprintf(f, "},\n");
}

static void write_json(FILE *f, const struct tb_vm *vm, int exit_code, const char *reason)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    fprintf(f, "{\n  \"guest\": ");
    json_string(f, vm->cfg->guest);
    fprintf(f, ",\n  \"io\": ");
    json_string(f, vm->cfg->io_mode);
    fprintf(f, ",\n  \"exit_status\": %d,\n  \"stop_reason\": ", exit_code);
    json_string(f, reason);
    fprintf(f, ",\n  \"wall_seconds\": %.6f,\n", seconds(&now) - seconds(&wall_start));
    write_kvm(f);
    fprintf(f, "  \"userspace_exits\": %llu,\n  \"fault_reports\": %llu,\n",
            (unsigned long long)tb_stats.userspace_exits, (unsigned long long)tb_stats.fault_reports);
    write_hypercalls(f);
    write_nics(f);
    write_blocks(f);
    write_cpu(f);
    tb_shm_stats_json(f);
    tb_solo5_ring_stats_json(f);
    fprintf(f, "  \"mem_mib\": %u\n}\n", vm->cfg->mem_mib);
}

void tb_stats_finish(const struct tb_vm *vm, int exit_code, const char *reason)
{
    const char *path = vm->cfg->stats_path;
    if (!path)
        return;
    FILE *f = fopen(path, "w");
    if (!f) {
        tb_warn("cannot write stats to %s: %s", path, strerror(errno));
        return;
    }
    write_json(f, vm, exit_code, reason);
    if (fclose(f) != 0)
        tb_warn("cannot write stats to %s", path);
}
