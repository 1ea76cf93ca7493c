/* nic_impair.c: a NIC's impairment engines (--impair:NAME=SPEC), made at setup, fed by hypercalls and the IO thread. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "impair.h"
#include "impair_text.h"
#include "log.h"
#include "module.h"
#include "net.h"
#include "nic_control.h"
#include "nic_impair.h"
#include "nic_impair_state.h"
#include "vm.h"

#define FRAME_CAP TB_IMPAIR_FRAME_CAP

uint64_t tb_nic_impair_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void send_to_tap(struct tb_nic *nic, const uint8_t *frame, size_t len)
{
    if (tb_tap_write(nic, frame, len) != (ssize_t)len)
        nic->st.tx_drops++; /* a frame the link let through but the TAP refused: lost, as on a full wire */
}

static void flush_tx(struct tb_nic *nic, struct tb_impair *e, uint64_t now)
{
    size_t n;
    while ((n = tb_impair_pop(e, now, nic->impair->tx, FRAME_CAP)) != 0)
        send_to_tap(nic, nic->impair->tx, n);
}

bool tb_nic_impair_timeless(const struct tb_impair *e)
{
    const struct tb_impair_config *c = tb_impair_get(e);
    return !c->delay_ns && !c->jitter_ns && !c->rate_bps && !c->reorder_ppm && tb_impair_queued(e) == 0;
}

uint64_t tb_nic_impair_tx_now(struct tb_nic *nic, int *due)
{
    struct tb_impair *e = nic->impair_engine[TB_IMPAIR_TX];
    if (nic->impair->control) /* a change written meanwhile holds from this frame on */
        tb_nic_control_check(nic->impair->control);
    *due = 0;
    if (tb_nic_impair_timeless(e))
        return 0;
    uint64_t now = tb_nic_impair_now();
    *due = tb_impair_next_due(e) <= now;
    return now;
}

void tb_nic_impair_tx_flush(struct tb_nic *nic, uint64_t now)
{
    flush_tx(nic, nic->impair_engine[TB_IMPAIR_TX], now);
}

int tb_nic_impair_tx_push(struct tb_nic *nic, const void *data, size_t len, uint64_t now, const uint8_t **frame,
                          int *corrupted)
{
    struct tb_impair *e = nic->impair_engine[TB_IMPAIR_TX];
    /* Only corrupt= writes to the frame it is given: without it the engine reads the guest's frame where it lies
     * (and copies it only into its queue), so a frame that leaves at once leaves from there, uncopied. */
    uint8_t *at = (uint8_t *)data;
    if (tb_impair_get(e)->corrupt_ppm) {
        memcpy(nic->impair->tx, data, len);
        at = nic->impair->tx;
    }
    uint64_t before = tb_impair_counters(e)->corrupted;
    int copies = tb_impair_push(e, at, len, now);
    *frame = at;
    *corrupted = tb_impair_counters(e)->corrupted != before;
    return copies < 0 ? 0 : copies;
}

ssize_t tb_nic_impair_write(struct tb_nic *nic, const void *data, size_t len)
{
    if (!nic->impair_engine[TB_IMPAIR_TX])
        return tb_tap_write(nic, data, len);
    int due, corrupted;
    uint64_t now = tb_nic_impair_tx_now(nic, &due);
    if (due)
        tb_nic_impair_tx_flush(nic, now); /* frames due earlier leave first */
    const uint8_t *frame;
    int copies = tb_nic_impair_tx_push(nic, data, len, now, &frame, &corrupted);
    for (int i = 0; i < copies; i++)
        send_to_tap(nic, frame, len);
    return (ssize_t)len;
}

static ssize_t deliver(void *buf, size_t cap, const uint8_t *frame, size_t len)
{
    if (len <= cap)
        memcpy(buf, frame, len);
    return (ssize_t)len;
}

ssize_t tb_nic_impair_read(struct tb_nic *nic, void *buf, size_t cap)
{
    struct tb_nic_impair *im = nic->impair;
    struct tb_impair *e = nic->impair_engine[TB_IMPAIR_RX];
    if (!e)
        return tb_tap_read(nic, buf, cap);
    if (im->control)
        tb_nic_control_check(im->control);
    for (;;) {
        if (im->dup_len) {
            size_t len = im->dup_len;
            im->dup_len = 0;
            return deliver(buf, cap, im->dup, len);
        }
        uint64_t now = tb_nic_impair_now();
        size_t due = tb_impair_pop(e, now, im->rx, FRAME_CAP);
        if (due)
            return deliver(buf, cap, im->rx, due);
        ssize_t got = tb_tap_read(nic, im->rx, FRAME_CAP);
        if (got < 0)
            return -1;
        /* Stamped after the read: a frame that reached the TAP while this thread was descheduled after the clock
         * read above would otherwise count that wait as part of its delay and leave early. */
        int copies = tb_impair_push(e, im->rx, (size_t)got, tb_nic_impair_now());
        if (copies == 2) {
            memcpy(im->dup, im->rx, (size_t)got);
            im->dup_len = (size_t)got;
        }
        if (copies >= 1)
            return deliver(buf, cap, im->rx, (size_t)got);
        /* dropped or queued: try the TAP's next frame, so one lost frame does not cost the guest a POLL */
    }
}

void tb_nic_impair_control(struct tb_nic *nic)
{
    if (nic->impair && nic->impair->control)
        tb_nic_control_service(nic->impair->control);
}

uint64_t tb_nic_impair_service(struct tb_nic *nic, uint64_t now, int *rx_ready)
{
    struct tb_nic_impair *im = nic->impair;
    uint64_t next = UINT64_MAX;
    *rx_ready = 0;
    if (im->control) /* always: a guest whose ring stays full still has its counters shown and changes taken */
        tb_nic_control_service(im->control);
    if (nic->impair_engine[TB_IMPAIR_TX]) {
        flush_tx(nic, nic->impair_engine[TB_IMPAIR_TX], now);
        next = tb_impair_next_due(nic->impair_engine[TB_IMPAIR_TX]);
    }
    if (nic->impair_engine[TB_IMPAIR_RX]) {
        uint64_t rx_due = tb_impair_next_due(nic->impair_engine[TB_IMPAIR_RX]);
        *rx_ready = im->dup_len != 0 || rx_due <= now;
        if (rx_due < next)
            next = rx_due;
    }
    /* A guest idle in POLL (or an idle IO thread) would take a change only with the next frame: wake to take it,
     * so a refusal is reported and the counters are current within a period. */
    if (im->control && now + TB_CTL_PERIOD_NS < next)
        next = now + TB_CTL_PERIOD_NS;
    return next;
}

/* The attach hook, after the net module's: every engine exists before the guest runs (and before confinement). */
static bool is_impaired(const struct tb_nic *nic)
{
    return nic->arg->impair[TB_IMPAIR_TX] || nic->arg->impair[TB_IMPAIR_RX];
}

/* A direction with no --impair gets no engine, unless a control file may impair it later: then a plain one. */
static void make_engine(struct tb_nic *nic, unsigned d, bool controlled)
{
    if (!nic->arg->impair[d] && !controlled)
        return;
    struct tb_impair_config config = { 0 };
    char why[200];
    if (nic->arg->impair[d] && tb_impair_parse(nic->arg->impair[d], &config, why, sizeof why) < 0)
        tb_die("--impair:%s: %s", nic->arg->name, why); /* args.c checked it already */
    nic->impair_engine[d] = tb_impair_new(&config, nic->arg->impair_link, d);
    if (!nic->impair_engine[d])
        tb_die("--impair:%s: out of memory", nic->arg->name);
}

/* A run-time change of the RX engine holds for the segments already read too (nic_impair_rx.c); TX holds none. */
static void prepare_change(void *arg, unsigned dir)
{
    if (dir == TB_IMPAIR_RX)
        tb_nic_impair_rx_settle(arg);
}

static void make_engines(struct tb_vm *vm, const struct tb_manifest *mft)
{
    (void)mft;
    unsigned impaired = 0;
    for (unsigned i = 0; vm->net && i < vm->net->count; i++)
        impaired += is_impaired(&vm->net->nics[i]);
    bool controlled = vm->cfg->impair_control != NULL;
    if (controlled)
        tb_nic_control_open(vm->cfg, impaired);
    for (unsigned i = 0; vm->net && i < vm->net->count; i++) {
        struct tb_nic *nic = &vm->net->nics[i];
        if (!is_impaired(nic))
            continue;
        nic->impair = tb_xcalloc(1, sizeof *nic->impair);
        for (unsigned d = 0; d < 2; d++)
            make_engine(nic, d, controlled);
        nic->impair->control =
            tb_nic_control_attach(nic->arg->name, nic->arg->impair, nic->impair_engine, prepare_change, nic->impair);
        vm->net->impaired = 1;
    }
    /* Queued frames live in the IO thread's malloc arena; glibc shrinking such an arena opens
     * /proc/sys/vm/overcommit_memory the first time, which the sandbox forbids: never shrink one. */
    if (vm->net && vm->net->impaired)
        mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

const struct tb_module tb_module_impair = {
    .name = "impair",
    .attach = make_engines,
};
