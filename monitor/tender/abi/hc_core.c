/* hc_core.c: the core module: the WALLTIME, PUTS and HALT hypercalls, and the console's stats. */
#include <stdio.h>
#include <time.h>

#include "console.h"
#include "hypercall.h"
#include "module.h"
#include "stop.h"

static void tb_hc_walltime(struct tb_vm *vm, uint64_t gpa)
{
    struct hvt_hc_walltime *wt = TB_HC_ARG(vm, gpa, struct hvt_hc_walltime, HVT_HYPERCALL_WALLTIME);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    wt->nsecs = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

/* The guest's console is our stdout, within the console's limits (console.c). */
static void tb_hc_puts(struct tb_vm *vm, uint64_t gpa)
{
    struct hvt_hc_puts *p = TB_HC_ARG(vm, gpa, struct hvt_hc_puts, HVT_HYPERCALL_PUTS);
    uint64_t addr = p->data, len = p->len; /* loaded once: the guest may change them meanwhile */
    const char *data = tb_hc_buffer(vm, addr, len, HVT_HYPERCALL_PUTS, TB_READ);
    tb_console_write(vm, data, len);
}

static void tb_hc_halt(struct tb_vm *vm, uint64_t gpa)
{
    struct hvt_hc_halt *h = TB_HC_ARG(vm, gpa, struct hvt_hc_halt, HVT_HYPERCALL_HALT);
    int status = h->exit_status;
    char reason[64];
    snprintf(reason, sizeof reason, "halt: guest exited with status %d", status);
    tb_stop(vm, status & 0xff, reason);
}

static const struct tb_hypercall_def hypercalls[] = {
    { HVT_HYPERCALL_WALLTIME, "walltime", tb_hc_walltime },
    { HVT_HYPERCALL_PUTS, "puts", tb_hc_puts },
    { HVT_HYPERCALL_HALT, "halt", tb_hc_halt },
};

static void open_console(struct tb_vm *vm, const struct tb_manifest *mft)
{
    (void)mft;
    tb_console_open(vm);
}

const struct tb_module tb_module_core = {
    .name = "core",
    .open = open_console,
    .stats = tb_console_stats,
    .hypercalls = hypercalls,
    .hypercall_count = TB_COUNT(hypercalls),
};
