/* pace.c: how tb-wire waits: a real-time priority once busy, no timer slack, a short pause after a busy batch so frames are
 * taken in batches, and a bounded stretch of polling without sleeping just before a frame falls due. */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "wire.h"

/* A timer wake-up on this kind of virtual machine comes 20-50 us late (p50-p90, whatever the priority), so the relay
 * stops sleeping this long before a frame is due and polls the ends without sleeping for the rest. */
#define EARLY_WAKE_NS 100000ull
/* Polling without sleeping, at a real-time priority, keeps other work off a core: at most this share of every
 * window is spent so (dense delayed traffic would otherwise poll all the time); beyond it, the relay sleeps to the due
 * time and its frames carry the timer's lateness. */
#define SPIN_WINDOW_NS 10000000ull
#define SPIN_BUDGET_NS 2000000ull
/* After relaying a batch that emptied the ends, the relay sleeps this long before it watches them again, as a NIC
 * moderates its interrupts: a real-time task woken by every frame would preempt the sender (often on the same core)
 * to carry one frame at a time. Frames arriving in the pause wait at most this long (plus the timer's lateness). */
#define COALESCE_NS 50000ull
/* A flood the relay cannot keep up with never empties the ends: after this many batches in a row it pauses anyway, so
 * a real-time relay leaves a few percent of its core to others at short intervals. */
#define BUSY_BATCHES_MAX 16
/* The first sign of work: a turn that found this many frames waiting, or a frame held for a due time. */
#define BUSY_BATCH 2

void wire_pace_init(struct wire_pace *p, bool realtime)
{
    *p = (struct wire_pace){ .realtime_allowed = realtime };
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); /* the default 50 us of timer slack would show in every delay */
}

/* The lowest real-time priority, round-robin among equals (the relays of one lab share a core): above every normal
 * task, so a busy host neither takes the relay's share of a core (throughput) nor keeps it from running when a frame
 * falls due (delay). Taken at the first sign of work, and kept: a link that only ever carries a lone frame now and
 * then stays a normal task, since a real-time relay runs at once on its sender's core and the receiver then wakes
 * on the other, often idle, core (a lone frame one way: p50 +20-50 us on this machine). Going back to a normal task
 * once idle was tried: about 1% of delayed probes then came 50-200 ms late. */
static void become_realtime(struct wire_pace *p)
{
    p->realtime_allowed = false; /* asked once */
    struct sched_param param = { .sched_priority = WIRE_RT_PRIORITY };
    if (sched_setscheduler(0, SCHED_RR, &param) == 0)
        p->realtime = true;
    else
        fprintf(stderr, "tb-wire: stays a normal task (SCHED_RR: %s): its timing follows the host's load\n",
                strerror(errno));
}

static uint64_t monotonic_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* The stretch of non-sleeping polls that ended now is charged to the current window. */
static void charge_spin(struct wire_pace *p, uint64_t now)
{
    if (now - p->window_start >= SPIN_WINDOW_NS) {
        p->window_start = now;
        p->spun_ns = 0;
    }
    if (p->spinning_since) {
        p->spun_ns += now - p->spinning_since;
        p->spinning_since = 0;
    }
}

const struct timespec *wire_pace_timeout(struct wire_pace *p, uint64_t due, uint64_t now, struct timespec *ts)
{
    charge_spin(p, now);
    if (due == UINT64_MAX)
        return NULL;
    uint64_t wait = due > now ? due - now : 0;
    if (wait > EARLY_WAKE_NS) {
        wait -= EARLY_WAKE_NS;
    } else if (wait > 0 && p->spun_ns < SPIN_BUDGET_NS) {
        p->spinning_since = now; /* charged at the next call, whatever the poll found */
        wait = 0;
    }
    ts->tv_sec = (time_t)(wait / 1000000000ull);
    ts->tv_nsec = (long)(wait % 1000000000ull);
    return ts;
}

void wire_pace_after_batch(struct wire_pace *p, struct pollfd ends[2], unsigned relayed, uint64_t due)
{
    if (p->realtime_allowed && (relayed >= BUSY_BATCH || due != UINT64_MAX))
        become_realtime(p);
    if (!p->realtime || relayed == 0) {
        p->busy_batches = 0;
        return;
    }
    struct timespec zero = { 0 };
    if (ppoll(ends, 2, &zero, NULL) > 0 && ++p->busy_batches < BUSY_BATCHES_MAX)
        return; /* more is waiting: no pause would gather more */
    p->busy_batches = 0;
    uint64_t now = monotonic_ns(), pause = COALESCE_NS;
    if (due != UINT64_MAX) /* never into the stretch before a frame falls due */
        pause = due <= now + EARLY_WAKE_NS ? 0 : due - now - EARLY_WAKE_NS < pause ? due - now - EARLY_WAKE_NS : pause;
    if (pause == 0)
        return;
    struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)pause };
    clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
    p->pauses++;
}
