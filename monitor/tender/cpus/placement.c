/* placement.c: pins the vCPU thread and the IO thread to the cores --cpu-vcpu/--cpu-io name, sets the IO thread's priority, reports both. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "args.h"
#include "log.h"
#include "module.h"
#include "placement.h"

/*
 * Why: on a loaded host every time the vCPU thread is descheduled it costs tens
 * of µs each way, and an unpinned IO thread preempts it on its own core. The
 * vCPU alone on a core and the IO thread next to the traffic source (with a
 * higher priority than the source, so the TAP queue never overflows) is the
 * placement the datapath is measured with.
 *
 * All pinning happens during start-up, before the guest runs: the steady state
 * makes no scheduler system calls.
 */
static struct {
    cpu_set_t allowed;   /* the process's CPUs before we pinned anything */
    int have_allowed;
    const struct tb_cpus *want;
    int io_nice_done;    /* the IO thread applied its priority */
    char vcpu_now[64], io_now[64]; /* the masks read back after pinning, for --stats */
} placement;

/* "0-1,3": a CPU mask as the kernel's cpulist format writes it. */
static void mask_text(const cpu_set_t *set, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int c = 0; c < CPU_SETSIZE && used + 16 < size; c++) {
        if (!CPU_ISSET(c, set))
            continue;
        int last = c;
        while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, set))
            last++;
        used += (size_t)snprintf(buf + used, size - used, "%s%d", used ? "," : "", c);
        if (last > c)
            used += (size_t)snprintf(buf + used, size - used, "-%d", last);
        c = last;
    }
}

static void read_back(char *buf, size_t size)
{
    cpu_set_t now;
    if (sched_getaffinity(0, sizeof now, &now) == 0)
        mask_text(&now, buf, size);
}

static void check_available(int cpu, const char *flag)
{
    if (cpu >= 0 && !CPU_ISSET(cpu, &placement.allowed)) {
        char list[64];
        mask_text(&placement.allowed, list, sizeof list);
        tb_die("%s%d: CPU %d is not available to this process (allowed: %s)", flag, cpu, cpu, list);
    }
}

/* The open hook: check the cores before anything else is set up, so a bad one creates nothing. */
static void open_hook(struct tb_vm *vm, const struct tb_manifest *mft)
{
    (void)mft;
    placement.want = &vm->cfg->cpus;
    if (sched_getaffinity(0, sizeof placement.allowed, &placement.allowed) < 0)
        tb_die_errno("sched_getaffinity");
    placement.have_allowed = 1;
    check_available(placement.want->vcpu, "--cpu-vcpu=");
    check_available(placement.want->io, "--cpu-io=");
}

/* The attach hook runs on the thread that becomes the vCPU thread: pin it (the IO thread sets its own mask). */
static void attach_hook(struct tb_vm *vm, const struct tb_manifest *mft)
{
    (void)vm;
    (void)mft;
    int cpu = placement.want->vcpu;
    if (cpu >= 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        if (sched_setaffinity(0, sizeof one, &one) < 0)
            tb_die_errno("--cpu-vcpu=%d: sched_setaffinity", cpu);
    }
    read_back(placement.vcpu_now, sizeof placement.vcpu_now);
}

void tb_placement_io_thread(void)
{
    if (!placement.have_allowed) /* no placement module ran (cannot happen in the monitor; harmless) */
        return;
    const struct tb_cpus *want = placement.want;
    cpu_set_t set = placement.allowed; /* unpinned: every CPU the process had, not the vCPU's core it inherits */
    if (want->io >= 0) {
        CPU_ZERO(&set);
        CPU_SET(want->io, &set);
    }
    if (sched_setaffinity(0, sizeof set, &set) < 0)
        tb_die_errno("--cpu-io: sched_setaffinity");
    if (want->io_nice && setpriority(PRIO_PROCESS, (id_t)gettid(), want->io_nice) < 0)
        tb_die_errno("--io-nice=%d: setpriority", want->io_nice);
    placement.io_nice_done = want->io_nice != 0;
    read_back(placement.io_now, sizeof placement.io_now);
}

int tb_placement_io_shares_vcpu(void)
{
    const struct tb_cpus *want = placement.want;
    return want && want->vcpu >= 0 && want->vcpu == want->io;
}

static void stats(const struct tb_vm *vm, FILE *f)
{
    const struct tb_cpus *c = &vm->cfg->cpus;
    fprintf(f, "  \"cpus\": {\"vcpu\": %d, \"io\": %d, \"io_nice\": %d, \"vcpu_mask\": \"%s\", \"io_mask\": \"%s\"},\n",
            c->vcpu, c->io, placement.io_nice_done ? c->io_nice : 0, placement.vcpu_now, placement.io_now);
}

const struct tb_module tb_module_placement = {
    .name = "placement",
    .open = open_hook,
    .attach = attach_hook,
    .stats = stats,
};
