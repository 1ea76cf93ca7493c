/* stats.c: collects the run's clocks and writes the counters of the VM and of every module as one JSON object (--stats=PATH). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "json.h"
#include "kvm_stats.h"
#include "log.h"
#include "module.h"
#include "stats.h"

static double seconds(const struct timespec *t)
{
    return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

void tb_stats_start(struct tb_vm *vm)
{
    struct tb_stats *stats = tb_xcalloc(1, sizeof *stats);
    stats->kvm.fd = -1;
    clock_gettime(CLOCK_MONOTONIC, &stats->wall_start);
    vm->stats = stats;
}

void tb_stats_register_thread(struct tb_stats *stats, const char *name)
{
    clockid_t clock;
    if (stats->thread_count == TB_STATS_MAX_THREADS || pthread_getcpuclockid(pthread_self(), &clock) != 0)
        return;
    stats->threads[stats->thread_count].name = name;
    stats->threads[stats->thread_count++].clock = clock;
}

void tb_stats_attach(struct tb_vm *vm)
{
    tb_kvm_stats_open(&vm->stats->kvm, vm->vcpu_fd);
    if (vm->stats->kvm.fd < 0)
        tb_warn("KVM_GET_STATS_FD unavailable: no KVM counters in the stats");
    tb_stats_register_thread(vm->stats, "vcpu");
}

static void write_hypercalls(FILE *f, const struct tb_vm *vm)
{
    fprintf(f, "  \"hypercalls\": {");
    for (unsigned n = 1, first = 1; n < HVT_HYPERCALL_MAX; n++) {
        if (!vm->hypercalls[n].name)
            continue;
        fprintf(f, "%s\"%s\": %llu", first ? "" : ", ", vm->hypercalls[n].name,
                (unsigned long long)vm->count.hypercalls[n]);
        first = 0;
    }
    fprintf(f, "},\n");
}

/* The cpu module's stats hook: every registered thread's CPU time, then the process's. */
static void write_cpu(const struct tb_vm *vm, FILE *f)
{
    const struct tb_stats *stats = vm->stats;
    struct timespec t;
    fprintf(f, "  \"cpu_seconds\": {");
    for (unsigned i = 0; i < stats->thread_count; i++) {
        if (clock_gettime(stats->threads[i].clock, &t) != 0)
            t = (struct timespec){ 0 };
        fprintf(f, "%s\"%s\": %.6f", i ? ", " : "", stats->threads[i].name, seconds(&t));
    }
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    fprintf(f, "%s\"process\": %.6f},\n", stats->thread_count ? ", " : "", seconds(&t));
}

const struct tb_module tb_module_cpu = {
    .name = "cpu",
    .stats = write_cpu,
};

static void write_kvm(FILE *f, const struct tb_kvm_stats *kvm_stats)
{
    fprintf(f, "  \"vm_exits\": %llu,\n  \"insn_emulation\": %llu,\n  \"halt_exits\": %llu,\n",
            (unsigned long long)tb_kvm_stat(kvm_stats, "exits"),
            (unsigned long long)tb_kvm_stat(kvm_stats, "insn_emulation"),
            (unsigned long long)tb_kvm_stat(kvm_stats, "halt_exits"));
    fprintf(f, "  \"kvm_vcpu\": {");
    tb_kvm_stats_write_json(kvm_stats, f);
    fprintf(f, "},\n");
}

static void write_json(FILE *f, const struct tb_vm *vm, int exit_code, const char *reason)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    fprintf(f, "{\n  \"guest\": ");
    tb_json_string(f, vm->cfg->guest);
    fprintf(f, ",\n  \"io\": ");
    tb_json_string(f, vm->cfg->io_mode);
    fprintf(f, ",\n  \"exit_status\": %d,\n  \"stop_reason\": ", exit_code);
    tb_json_string(f, reason);
    fprintf(f, ",\n  \"wall_seconds\": %.6f,\n", seconds(&now) - seconds(&vm->stats->wall_start));
    write_kvm(f, &vm->stats->kvm);
    fprintf(f, "  \"userspace_exits\": %llu,\n  \"fault_reports\": %llu,\n",
            (unsigned long long)vm->count.userspace_exits, (unsigned long long)vm->count.fault_reports);
    write_hypercalls(f, vm);
    for (const struct tb_module *const *m = vm->modules; m && *m; m++)
        if ((*m)->stats)
            (*m)->stats(vm, f);
    fprintf(f, "  \"mem_mib\": %u\n}\n", vm->cfg->mem_mib);
}

/* Room for the whole JSON: writing it at exit then takes one write(2) and no allocation. */
#define FILE_BUFFER (64 * 1024)

void tb_stats_open_file(struct tb_vm *vm)
{
    const char *path = vm->cfg->stats_path;
    if (!path)
        return;
    /* O_NONBLOCK, then a regular file only: a FIFO would hold the monitor in open() with its stop signals blocked. */
    int fd = open(path, O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0644);
    struct stat st;
    if ((fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) || (fd < 0 && errno == ENXIO)) /* ENXIO: a FIFO */
        tb_die("--stats=%s: not a regular file", path);
    FILE *f = fd >= 0 && ftruncate(fd, 0) == 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        tb_warn("cannot write stats to %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    if (setvbuf(f, tb_xcalloc(1, FILE_BUFFER), _IOFBF, FILE_BUFFER) != 0)
        tb_warn("--stats: cannot set the file's buffer");
    vm->stats->file = f;
}

void tb_stats_finish(const struct tb_vm *vm, int exit_code, const char *reason)
{
    FILE *f = vm->stats->file;
    if (!f)
        return;
    write_json(f, vm, exit_code, reason);
    if (fclose(f) != 0)
        tb_warn("cannot write stats to %s", vm->cfg->stats_path);
}
