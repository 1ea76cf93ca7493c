/* peer_mediate.c: an impaired or captured shm link: the IO thread moves frames between the guest's private rings and the link's rings, through the NIC's engines. */
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "impair.h"
#include "log.h"
#include "net.h"
#include "nic_impair.h"
#include "peer.h"

/*
 * Mediated link, seen from this monitor: our guest's rings are private (as for a
 * TAP), and the link's two rings are mapped into the monitor only. The IO thread
 * is the producer of `out` and the consumer of `in`, with the same protocol a
 * guest uses (wait flags, kicks), so the other end may be a guest (a direct peer)
 * or the other monitor's IO thread (both ends mediated).
 *
 * Everything in the link's rings is the peer's (hostile): indices are accepted
 * only within the ring, lengths only up to the slot, flags only as 0 or 1; what
 * fails is counted in peer_corrupt and skipped, never a reason to stop our guest.
 * Slot data is copied before an engine sees it (corrupt= writes to it).
 */
struct tb_peer_buffers {
    uint32_t dup_len;            /* RX: a duplicate still owed to our guest */
    uint8_t rx[TB_SHM_FRAME_MAX], dup[TB_SHM_FRAME_MAX], tx[TB_SHM_FRAME_MAX];
};

struct tb_peer_buffers *tb_peer_buffers_new(void)
{
    return tb_xcalloc(1, sizeof(struct tb_peer_buffers));
}

int tb_peer_mediated(const struct tb_nic *nic)
{
    return nic->arg->impair[TB_IMPAIR_TX] || nic->arg->impair[TB_IMPAIR_RX] || nic->arg->capture_path;
}

static void refused(struct shm_peer *p, const struct shm_ring *r)
{
    if (__atomic_fetch_add(&p->peer_corrupt, 1, __ATOMIC_RELAXED) == 0) /* counters: read by --stats too */
        tb_warn("net %s: shm link: %s (counted in peer_corrupt from now on)", p->nic->arg->name, r->err);
}

static void kick_peer(struct shm_peer *p)
{
    uint64_t one = 1;
    /* EAGAIN only when the counter would overflow: the peer has a wakeup pending anyway. */
    if (write(p->arg->doorbell_fd, &one, sizeof one) == sizeof one)
        __atomic_fetch_add(&p->link_kicks, 1, __ATOMIC_RELAXED);
}

/* A producer index out of range: everything up to it is skipped (a ring's worth of frames nobody can trust). */
static void resync_in(struct shm_peer *p)
{
    uint32_t prod = tb_load_acquire(&p->in.r->prod);
    refused(p, &p->in);
    p->in.own = p->in.published = p->in.peer = prod;
    tb_store_release(&p->in.r->cons, prod);
}

/* A consumer index out of range: we take the ring as read and go on producing (the peer gets what it asked for). */
static void resync_out(struct shm_peer *p)
{
    refused(p, &p->out);
    p->out.peer = p->out.published;
}

static uint32_t out_space(struct shm_peer *p)
{
    uint32_t space;
    if (shm_ring_space(&p->out, &space) < 0) {
        resync_out(p);
        space = p->out.slots - (p->out.own - p->out.peer);
    }
    return space;
}

static void put_out(struct shm_peer *p, const uint8_t *frame, uint32_t len)
{
    memcpy(shm_ring_prod_buf(&p->out), frame, len);
    shm_ring_prod_fill(&p->out, len);
}

static int down(const struct shm_peer *p)
{
    return __atomic_load_n(&p->down, __ATOMIC_ACQUIRE);
}

int tb_peer_med_can_send(struct shm_peer *p)
{
    if (down(p))
        return 1;
    /* Two slots with a TX engine: a duplicated frame leaves as two. */
    int ok = out_space(p) >= (p->nic->impair_engine[TB_IMPAIR_TX] ? 2u : 1u);
    p->out_blocked = !ok;
    return ok;
}

void tb_peer_med_write(struct shm_peer *p, const uint8_t *data, uint32_t len)
{
    struct tb_impair *e = p->nic->impair_engine[TB_IMPAIR_TX];
    if (down(p)) {
        __atomic_fetch_add(&p->down_drops, 1, __ATOMIC_RELAXED);
        return;
    }
    if (!e) {
        put_out(p, data, len); /* our guest's slot straight into the peer's: the one copy of a direct link */
        return;
    }
    memcpy(p->buf->tx, data, len); /* our guest may rewrite its slot meanwhile; the engine may corrupt the copy */
    int copies = tb_impair_push(e, p->buf->tx, len, tb_nic_impair_now());
    for (int i = 0; i < copies; i++)
        put_out(p, p->buf->tx, len);
}

/* The next frame on `in`, validated; 0 when there is none. A bad length is counted and the slot skipped. */
static int next_in(struct shm_peer *p, const uint8_t **data, uint32_t *len)
{
    uint32_t avail;
    for (;;) {
        if (shm_ring_avail(&p->in, &avail) < 0) {
            resync_in(p);
            return 0;
        }
        if (!avail)
            return 0;
        if (shm_ring_cons_frame(&p->in, data, len) == 0)
            return 1;
        refused(p, &p->in);
        shm_ring_cons_next(&p->in);
    }
}

static long deliver(uint8_t *buf, uint32_t cap, const uint8_t *frame, uint32_t len)
{
    if (len <= cap)
        memcpy(buf, frame, len);
    return len;
}

long tb_peer_med_read(struct shm_peer *p, uint8_t *buf, uint32_t cap)
{
    struct tb_impair *e = p->nic->impair_engine[TB_IMPAIR_RX];
    struct tb_peer_buffers *b = p->buf;
    const uint8_t *data;
    uint32_t len;
    for (;;) {
        if (b->dup_len) {
            len = b->dup_len;
            b->dup_len = 0;
            return deliver(buf, cap, b->dup, len);
        }
        size_t due = e ? tb_impair_pop(e, tb_nic_impair_now(), b->rx, sizeof b->rx) : 0;
        if (due)
            return deliver(buf, cap, b->rx, (uint32_t)due);
        if (!next_in(p, &data, &len))
            return -1;
        if (!e) {
            long got = deliver(buf, cap, data, len);
            shm_ring_cons_next(&p->in);
            return got;
        }
        memcpy(b->rx, data, len);
        shm_ring_cons_next(&p->in);
        /* Stamped after the read: a frame the peer published after an earlier clock read must not leave early. */
        int copies = tb_impair_push(e, b->rx, len, tb_nic_impair_now());
        if (copies == 2) {
            memcpy(b->dup, b->rx, len);
            b->dup_len = len;
        }
        if (copies >= 1)
            return deliver(buf, cap, b->rx, len);
        /* dropped or queued: the next frame on the link, so one lost frame does not end the round */
    }
}

void tb_peer_med_publish(struct shm_peer *p)
{
    int notify;
    if (down(p))
        return;
    if (shm_ring_prod_publish(&p->out, &notify) < 0) {
        refused(p, &p->out);
        notify = 1; /* a flag that was not 0 or 1 has been taken: waking the peer is harmless */
    }
    if (notify)
        kick_peer(p);
    if (shm_ring_cons_publish(&p->in, &notify) < 0) {
        refused(p, &p->in);
        notify = 1;
    }
    if (notify)
        kick_peer(p);
}

uint64_t tb_peer_med_service(struct shm_peer *p, uint64_t now)
{
    struct tb_impair *tx = p->nic->impair_engine[TB_IMPAIR_TX], *rx = p->nic->impair_engine[TB_IMPAIR_RX];
    uint64_t next = UINT64_MAX;
    tb_nic_impair_control(p->nic); /* run-time changes (--impair-control) taken, counters published: once a round */
    if (tx && !down(p)) {
        uint32_t space = out_space(p), sent = 0;
        size_t len;
        while (sent < space && tb_impair_next_due(tx) <= now &&
               (len = tb_impair_pop(tx, now, p->buf->tx, sizeof p->buf->tx)) != 0) {
            put_out(p, p->buf->tx, (uint32_t)len);
            sent++;
        }
        if (sent)
            tb_peer_med_publish(p);
        next = tb_impair_next_due(tx);
        if (next <= now) /* due, but the link is full: the peer's kick (room) wakes us */
            p->out_blocked = 1;
    }
    if (rx) {
        uint64_t due = p->buf->dup_len ? now : tb_impair_next_due(rx);
        next = due < next ? due : next;
    }
    return next;
}

int tb_peer_med_tx_waiting(const struct shm_peer *p)
{
    const struct tb_impair *tx = p->nic->impair_engine[TB_IMPAIR_TX];
    return !down(p) && (p->out_blocked || (tx && tb_impair_queued(tx) > 0));
}

void tb_peer_med_prepare_sleep(struct shm_peer *p, int rx_blocked, int *stay)
{
    *stay = 0;
    if (down(p))
        return;
    /* With our guest's RX ring full, frames on `in` could not move: its doorbell (room) wakes us instead. */
    if (!rx_blocked && shm_ring_cons_prepare_sleep(&p->in, stay) < 0) {
        resync_in(p);
        *stay = 0; /* nothing we can trust arrived: sleep (a kick still wakes us) */
    }
    if (*stay || !p->out_blocked)
        return;
    uint32_t room = p->nic->impair_engine[TB_IMPAIR_TX] ? 2 : 1;
    if (shm_ring_prod_prepare_sleep_room(&p->out, room, stay) < 0) {
        resync_out(p);
        *stay = 1; /* the resync made room */
    }
}

void tb_peer_med_end_sleep(struct shm_peer *p)
{
    if (down(p))
        return;
    shm_ring_cons_end_sleep(&p->in);
    shm_ring_prod_end_sleep(&p->out);
}
