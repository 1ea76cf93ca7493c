/* nic_impair_rx.c: an impaired NIC's TAP read straight into its RX ring slots, the engine asked frame by frame. */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "args.h"
#include "gso.h"
#include "impair.h"
#include "net.h"
#include "nic_capture.h"
#include "nic_control.h"
#include "nic_impair.h"
#include "nic_impair_rx.h"
#include "nic_impair_state.h"
#include "shm.h"

/* One call's view: the ring's free slots, `filled` of them taken so far (the next frame goes to slot `filled`). */
struct rx_run {
    struct shm_nic *n;
    struct tb_nic_impair *im;
    struct tb_impair *e;     /* NULL: this NIC impairs only its TX */
    uint32_t space, filled;
    int passes;              /* the engine can neither hold a frame nor write to one (see passes_through) */
};

/*
 * Whether every frame offered in this call leaves at once or not at all, untouched: then the time of its arrival
 * is never used, and the checksums the kernel left partial may stay so (flagged, as on an unimpaired NIC), since
 * no flipped bit hides behind them and no copy waits in a queue without its flag. The configuration holds for the
 * call; a run-time change between calls first completes the checksums of the segments read so and not yet offered
 * (tb_nic_impair_rx_settle), so it holds for them too.
 */
static int passes_through(const struct tb_impair *e)
{
    return !e || (tb_nic_impair_timeless(e) && !tb_impair_get(e)->corrupt_ppm);
}

/* Segments still in this round's ring slots move to our buffers: their slots are needed for frames ahead of them
 * (a duplicate, a queued frame now due), or the round ends before their turn. Rare: a copy each. */
static void evacuate(struct tb_nic_impair *im)
{
    struct tb_impair_rx_backlog *b = &im->backlog;
    for (unsigned k = b->next; k < b->count; k++) {
        if (!b->in_ring[k])
            continue;
        memcpy(im->stage[k], b->at[k], b->len[k]);
        b->at[k] = im->stage[k];
        b->in_ring[k] = 0;
    }
}

/* Frame `data` into the next slot (no copy when it is there already): captured, counted, flagged. A frame longer
 * than a slot (a TAP whose MTU exceeds one) is dropped and counted, its slot stays free. */
static void put(struct rx_run *run, const uint8_t *data, size_t len, uint16_t flags)
{
    struct tb_nic *nic = run->n->nic;
    if (len > TB_SHM_FRAME_MAX) {
        nic->st.rx_drops++;
        return;
    }
    uint8_t *slot = shm_ring_prod_buf(&run->n->rx);
    if (data != slot) {
        const struct tb_impair_rx_backlog *b = &run->im->backlog;
        if (b->next < b->count && b->in_ring[b->next] && b->at[b->next] == slot)
            evacuate(run->im);
        memcpy(slot, data, len);
    }
    tb_nic_capture(nic->capture, slot, (uint64_t)len, TB_PCAPNG_IN);
    shm_ring_prod_fill_flags(&run->n->rx, (uint32_t)len, flags);
    nic->st.rx_packets++;
    nic->st.rx_bytes += (uint64_t)len;
    run->filled++;
}

static void backlog_one(struct tb_impair_rx_backlog *b, uint8_t *at, size_t len, int in_ring)
{
    b->at[0] = at;
    b->len[0] = (uint32_t)len;
    b->flags[0] = 0;
    b->in_ring[0] = (uint8_t)in_ring;
    b->lazy = 0;
    b->next = 0;
    b->count = 1;
}

/* A plain TAP: one frame into the next slot; what a slot cannot hold goes on into rx, where the whole frame is
 * put together for the engine (which decides on its true length). 1: a frame, 0: try again, -1: the TAP is empty. */
static int read_plain(struct rx_run *run)
{
    struct tb_nic_impair *im = run->im;
    uint8_t *slot = shm_ring_prod_buf(&run->n->rx);
    struct iovec iov[2] = { { slot, TB_SHM_FRAME_MAX },
                            { im->rx + TB_SHM_FRAME_MAX, TB_IMPAIR_FRAME_CAP - TB_SHM_FRAME_MAX } };
    ssize_t got = readv(run->n->nic->fd, iov, 2);
    if (got < 0 && errno == EINTR)
        return 0;
    if (got <= 0)
        return -1;
    if ((size_t)got <= TB_SHM_FRAME_MAX) {
        backlog_one(&im->backlog, slot, (size_t)got, 1);
    } else {
        memcpy(im->rx, slot, TB_SHM_FRAME_MAX);
        backlog_one(&im->backlog, im->rx, (size_t)got, 0);
    }
    return 1;
}

/* A vnet TAP: one read, its first bytes in the next slot; a GSO frame split into the slots after it (the ones past
 * the free space into stage), as the unimpaired path does. Returns as read_plain. */
static int read_vnet(struct rx_run *run)
{
    struct shm_nic *n = run->n;
    struct tb_nic_impair *im = run->im;
    struct tb_impair_rx_backlog *b = &im->backlog;
    struct tb_gso_in in;
    uint8_t *first = shm_ring_prod_buf(&n->rx);
    struct iovec iov[3] = { { &in.h, sizeof in.h }, { first, TB_SHM_FRAME_MAX }, { im->raw, sizeof im->raw } };
    ssize_t got = readv(n->nic->fd, iov, 3);
    if (got < 0)
        return errno == EINTR ? 0 : -1;
    if ((size_t)got <= sizeof in.h)
        return 0; /* not a frame: skip it */
    size_t len = (size_t)got - sizeof in.h;
    n->st.rx_tap_reads++;
    in.p0 = first;
    in.n0 = len < TB_SHM_FRAME_MAX ? len : TB_SHM_FRAME_MAX;
    in.p1 = im->raw;
    in.n1 = len - in.n0;
    unsigned max = in.h.gso_type == VIRTIO_NET_HDR_GSO_NONE ? 1 : TB_IMPAIR_SEGS, free_slots = run->space - run->filled;
    for (unsigned k = 0; k < max; k++) {
        b->in_ring[k] = k < free_slots;
        b->at[k] = k == 0 ? first : k < free_slots ? shm_ring_prod_buf_at(&n->rx, k) : im->stage[k];
    }
    struct tb_gso_out out = { .buf = b->at, .max = max, .cap = TB_SHM_FRAME_MAX, .len = b->len, .flags = b->flags };
    unsigned dropped;
    b->lazy = (uint8_t)(n->csum_lazy && run->passes && (in.h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM));
    b->gso = in.h.gso_type != VIRTIO_NET_HDR_GSO_NONE;
    b->csum_start = in.h.csum_start;
    b->csum_offset = in.h.csum_offset;
    int frames = tb_gso_split(&in, &out, b->lazy, &dropped);
    n->nic->st.rx_drops += frames < 0 ? 1 : dropped;
    n->st.rx_gso_dropped += frames < 0 ? 1 : dropped;
    if (frames < 0)
        return 0;
    n->st.rx_gso_frames += in.h.gso_type != VIRTIO_NET_HDR_GSO_NONE;
    b->next = 0;
    b->count = (unsigned)frames;
    return 1;
}

/* The next frame of the backlog to the engine: published at once (twice: the second copy owed in dup), or not. */
static void offer(struct rx_run *run)
{
    struct tb_nic_impair *im = run->im;
    struct tb_impair_rx_backlog *b = &im->backlog;
    unsigned k = b->next++;
    uint8_t *frame = b->at[k];
    size_t len = b->len[k];
    uint16_t flags = b->flags[k];
    int copies = 1;
    if (run->e) {
        uint64_t corrupted = tb_impair_counters(run->e)->corrupted;
        /* Stamped after the read: a frame that reached the TAP while this thread was descheduled must not count
         * that wait as part of its delay. */
        copies = tb_impair_push(run->e, frame, len, run->passes ? 0 : tb_nic_impair_now());
        if (tb_impair_counters(run->e)->corrupted != corrupted)
            flags &= (uint16_t)~TB_SLOT_F_CSUM_VALID; /* the guest's own check is what finds the flipped bit */
    }
    if (copies == 2) {
        memcpy(im->dup, frame, len);
        im->dup_len = len;
        im->dup_flags = flags;
    }
    if (copies >= 1)
        put(run, frame, len, flags);
}

/* The next frame the guest gets: a duplicate owed, a queued frame now due, or the backlog's next. 0: none. */
static int step(struct rx_run *run, uint32_t room)
{
    struct tb_nic_impair *im = run->im;
    struct tb_impair_rx_backlog *b = &im->backlog;
    if (im->dup_len) {
        size_t len = im->dup_len;
        im->dup_len = 0;
        put(run, im->dup, len, im->dup_flags);
        return 1;
    }
    if (run->e && tb_impair_queued(run->e)) {
        size_t due = tb_impair_pop(run->e, tb_nic_impair_now(), im->rx, TB_IMPAIR_FRAME_CAP);
        if (due) {
            put(run, im->rx, due, 0);
            return 1;
        }
    }
    while (b->next == b->count) {
        if (run->space - run->filled < room)
            return 0;
        int got = run->n->nic->vnet ? read_vnet(run) : read_plain(run);
        if (got < 0)
            return 0;
    }
    offer(run);
    return 1;
}

/*
 * Before a change of the RX engine: the segments still waiting whose checksums were left to the guest get them
 * completed, and are from then on frames like any other, which the new configuration may hold or corrupt. Waiting
 * for them to be offered first is no choice: a guest that stops reading while its ring is full keeps them here for
 * as long as it likes, and the change (the link going down, say) with them; dropping them would lose frames the
 * configuration in force let through. The cost, a checksum over at most TB_IMPAIR_SEGS segments, is paid once per
 * change, and only when one finds such segments waiting.
 */
void tb_nic_impair_rx_settle(struct tb_nic_impair *im)
{
    struct tb_impair_rx_backlog *b = &im->backlog;
    if (!b->lazy)
        return;
    for (unsigned k = b->next; k < b->count; k++)
        tb_gso_complete_lazy(b->at[k], b->len[k], b->csum_start, b->csum_offset, b->gso);
    b->lazy = 0;
}

static int ring_backlog(const struct tb_impair_rx_backlog *b)
{
    return b->next < b->count && b->in_ring[b->next];
}

unsigned tb_nic_impair_rx_ring(struct shm_nic *n, uint32_t space, uint32_t room, unsigned budget)
{
    struct tb_nic_impair *im = n->nic->impair;
    struct rx_run run = { .n = n, .im = im, .e = n->nic->impair_engine[TB_IMPAIR_RX], .space = space };
    if (im->control) /* a change written meanwhile holds from the next frame on */
        tb_nic_control_check(im->control);
    run.passes = passes_through(run.e);
    /* A TAP read's segments already in slots are finished past the budget, as the unimpaired path finishes one. */
    while (run.filled < space && (run.filled < budget || ring_backlog(&im->backlog)))
        if (!step(&run, room))
            break;
    evacuate(im);
    return run.filled;
}
