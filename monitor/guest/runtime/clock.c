/* clock.c: monotonic time from rdtsc scaled by the TSC frequency; wall time = one WALLTIME hypercall + monotonic. */
#include "solo5.h"
#include "runtime.h"

static uint64_t tsc_at_boot;
static uint64_t ns_per_tick_q32; /* nanoseconds per TSC tick, 32.32 fixed point: no division per read */
static solo5_time_t wall_at_boot;
static int wall_known;

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

void tb_clock_init(uint64_t cpu_cycle_freq)
{
    tsc_at_boot = rdtsc();
    ns_per_tick_q32 = cpu_cycle_freq ? (1000000000ULL << 32) / cpu_cycle_freq : (1ULL << 32);
}

solo5_time_t solo5_clock_monotonic(void)
{
    uint64_t ticks = rdtsc() - tsc_at_boot;
    return (solo5_time_t)(((unsigned __int128)ticks * ns_per_tick_q32) >> 32);
}

/* The wall clock is asked for lazily: a hypercall exit at boot would slow every guest's start. */
solo5_time_t solo5_clock_wall(void)
{
    if (!wall_known) {
        struct hvt_hc_walltime wt = { 0 };
        solo5_time_t mono = solo5_clock_monotonic();
        tb_hypercall(HVT_HYPERCALL_WALLTIME, &wt);
        wall_at_boot = wt.nsecs - mono;
        wall_known = 1;
    }
    return wall_at_boot + solo5_clock_monotonic();
}
