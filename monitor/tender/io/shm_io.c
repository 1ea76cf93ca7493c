/* shm_io.c: the shmstream IO thread: moves frames between each TAP and its rings (poll, event or hybrid) and wakes the guest. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "caps.h"
#include "gso.h"
#include "hlt_sleep.h"
#include "tx_gso.h"
#include "log.h"
#include "net.h"
#include "nic_capture.h"
#include "nic_impair.h"
#include "nic_impair_rx.h"
#include "placement.h"
#include "shm.h"
#include "stats.h"
#include "stop.h"

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* No more guest memory access from here; the thread stays alive so the stats can read its CPU clock. */
static TB_NORETURN void park(struct shm_state *s)
{
    __atomic_store_n(&s->parked, 1, __ATOMIC_RELEASE);
    for (;;)
        pause();
}

/*
 * A corrupt ring: stop the guest with the reason. Whoever sets `stop` first owns
 * the exit: if the vCPU thread is already stopping (halt, signal), we only park.
 */
static TB_NORETURN void ring_fault(struct shm_state *s, const char *why)
{
    if (__atomic_exchange_n(&s->stop, 1, __ATOMIC_ACQ_REL) == 0)
        tb_guest_fault_norip(s->vm, "shmstream: %s", why); /* tb_stop exits; our teardown returns at once here */
    tb_warn("shmstream: %s (while stopping)", why);
    park(s);
}

static void wake_guest(struct shm_state *s, struct shm_nic *n, int needed)
{
    if (!needed) {
        n->st.notify_suppressed++;
        return;
    }
    uint64_t one = 1;
    /* EAGAIN only when the counter would overflow: the guest has a wakeup pending anyway. */
    if (write(tb_hlt_sleep_wake_fd(s->vm, s->hdr, s->wake_fd), &one, sizeof one) < 0 && errno != EAGAIN)
        tb_warn("shmstream: cannot wake the guest: %s", strerror(errno));
    n->st.notify_sent++;
}

static void set_tap(struct shm_state *s, struct shm_nic *n, int armed)
{
    if (n->tap_armed == armed)
        return;
    struct epoll_event ev = { .events = armed ? EPOLLIN : 0, .data.u64 = MFT_MAX_ENTRIES + (uint64_t)(n - s->nics) };
    if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, n->nic->fd, &ev) < 0)
        tb_warn("shmstream: epoll_ctl on the net%u TAP: %s", n->handle, strerror(errno));
    n->tap_armed = armed;
}

/*
 * Wake coalescing (as a NIC's interrupt moderation): a sleeping guest is woken
 * once `wake_frames` frames wait for it, or --shm-wake-us after the first of
 * them arrived, whichever comes first. The threshold adapts: a burst that
 * overshoots it doubles it (up to --shm-wake-frames), a wake by the clock sets
 * it to what arrived in that period (1 for a lone frame, a ping, which then goes
 * at once; a steady sender's frames per period otherwise). The clock bound is
 * what keeps a slow sender from waiting for frames that never come.
 */
static uint64_t wake_limit_ns(const struct shm_state *s)
{
    return (uint64_t)s->vm->cfg->shm.wake_us * 1000;
}

static void rx_notify(struct shm_state *s, struct shm_nic *n, uint64_t now)
{
    int waiting, notify;
    uint32_t pending;
    if (shm_ring_cons_waiting(&n->rx, &waiting) < 0 || shm_ring_pending(&n->rx, &pending) < 0)
        ring_fault(s, n->rx.err);
    if (!waiting || pending == 0) { /* awake, or it took everything already: nothing to wake it for */
        if (!waiting && n->wake_since == 0)
            n->st.notify_suppressed++;
        n->wake_since = 0;
        return;
    }
    if (!n->wake_since)
        n->wake_since = now;
    int by_count = pending >= n->wake_frames;
    if (!by_count && now - n->wake_since < wake_limit_ns(s))
        return; /* deferred: the IO thread comes back by the deadline (next_deadline) */
    if (shm_ring_take_cons_wait(&n->rx, &notify) < 0)
        ring_fault(s, n->rx.err);
    n->wake_since = 0;
    unsigned most = s->vm->cfg->shm.wake_frames;
    if (by_count) {
        n->st.wakes_by_count++;
        if (pending > n->wake_frames)
            n->wake_frames = n->wake_frames * 2 < most ? n->wake_frames * 2 : most;
    } else {
        n->st.wakes_by_time++;
        /* What arrived in one period is the rate: wait for that many next time (1 for a lone frame). */
        n->wake_frames = pending < most ? (pending ? pending : 1) : most;
    }
    wake_guest(s, n, notify);
}

/* Deferred wakeups whose time has come; returns ns until the next one (UINT64_MAX: none pending). */
static uint64_t due_wakes(struct shm_state *s)
{
    uint64_t next = UINT64_MAX, now = 0;
    for (unsigned i = 0; i < s->count; i++) {
        struct shm_nic *n = &s->nics[i];
        if (!n->wake_since)
            continue;
        if (!now)
            now = now_ns();
        rx_notify(s, n, now);
        if (n->wake_since) {
            uint64_t left = n->wake_since + wake_limit_ns(s) - now;
            next = left < next ? left : next;
        }
    }
    return next;
}

/* The guest switches a NIC to its rings by writing TB_SHM_ATTACH into its descriptor (then ringing the doorbell). */
static void check_attach(struct shm_state *s, struct shm_nic *n)
{
    uint32_t word = __atomic_load_n(&s->hdr->nic[n->handle].attach, __ATOMIC_ACQUIRE);
    if (word == 0)
        return;
    if (word != TB_SHM_ATTACH) {
        char why[160];
        snprintf(why, sizeof why, "%s: attach word 0x%x is not 0x%x", n->nic->arg->name, word, TB_SHM_ATTACH);
        ring_fault(s, why);
    }
    /* Read once: a guest that changes its answer later changes nothing. */
    uint64_t answer = __atomic_load_n(&s->hdr->guest_features, __ATOMIC_RELAXED);
    n->csum_lazy = (answer & TB_SHM_F_CSUM_LAZY) != 0;
    n->wake_frames = 1;
    __atomic_store_n(&n->attached, 1, __ATOMIC_RELEASE);
    if (s->mode != TB_SHM_MODE_POLL)
        set_tap(s, n, 1);
}

/* Slots a vnet TAP read needs free: a whole GSO frame (up to 64 segments), or half the ring when that is less. */
static uint32_t vnet_room(const struct shm_state *s)
{
    return s->slots / 2 < 64 ? (s->slots / 2 ? s->slots / 2 : 1) : 64;
}

/* One read from a vnet TAP: frame 0 lands straight in the next slot, a GSO frame's rest in a bounce buffer. */
static int read_vnet(struct shm_nic *n, uint32_t space)
{
    static uint8_t bounce[65536]; /* the IO thread's own: a GSO frame is at most 64 KiB */
    static uint8_t *slots[64];
    static uint32_t lens[64];
    static uint16_t flags[64];
    struct tb_gso_in in;
    uint8_t *first = shm_ring_prod_buf(&n->rx);
    struct iovec iov[3] = { { &in.h, sizeof in.h }, { first, TB_SHM_FRAME_MAX }, { bounce, sizeof bounce } };
    ssize_t got = readv(n->nic->fd, iov, 3);
    if (got < 0)
        return errno == EINTR ? 0 : -1;
    if ((size_t)got <= sizeof in.h)
        return -1; /* EOF cannot happen on a TAP; a frame without its header is not one */
    size_t len = (size_t)got - sizeof in.h;
    n->st.rx_tap_reads++;
    in.p0 = first;
    in.n0 = len < TB_SHM_FRAME_MAX ? len : TB_SHM_FRAME_MAX;
    in.p1 = bounce;
    in.n1 = len - in.n0;
    /* A plain frame needs only its own slot: looking up 64 slot addresses per frame cost a plain sender's frames
     * as much user time as all the rest of this function. */
    unsigned max = in.h.gso_type == VIRTIO_NET_HDR_GSO_NONE ? 1 : space < 64 ? space : 64, dropped;
    slots[0] = first;
    for (unsigned k = 1; k < max; k++)
        slots[k] = shm_ring_prod_buf_at(&n->rx, k);
    struct tb_gso_out out = { .buf = slots, .max = max, .cap = TB_SHM_FRAME_MAX, .len = lens, .flags = flags };
    int frames = tb_gso_split(&in, &out, n->csum_lazy, &dropped);
    if (frames < 0) {
        n->nic->st.rx_drops++;
        n->st.rx_gso_dropped++;
        return 0;
    }
    if (in.h.gso_type != VIRTIO_NET_HDR_GSO_NONE)
        n->st.rx_gso_frames++;
    n->nic->st.rx_drops += dropped;
    n->st.rx_gso_dropped += dropped;
    for (int k = 0; k < frames; k++) {
        tb_nic_capture(n->nic->capture, slots[k], lens[k], TB_PCAPNG_IN);
        shm_ring_prod_fill_flags(&n->rx, lens[k], flags[k]);
        n->nic->st.rx_packets++;
        n->nic->st.rx_bytes += lens[k];
    }
    return frames;
}

/* A frame just read into the RX ring's next slot: published (captured, counted) unless it was cut to the slot's size
 * because the TAP's MTU exceeds a slot, which is dropped and counted. Returns the frames published (0 or 1). */
static unsigned publish_rx_slot(struct shm_nic *n, size_t len)
{
    if (len > TB_SHM_FRAME_MAX) {
        n->nic->st.rx_drops++;
        return 0;
    }
    tb_nic_capture(n->nic->capture, shm_ring_prod_buf(&n->rx), (uint64_t)len, TB_PCAPNG_IN);
    shm_ring_prod_fill(&n->rx, (uint32_t)len);
    n->nic->st.rx_packets++;
    n->nic->st.rx_bytes += (uint64_t)len;
    return 1;
}

/* A mediated shm link -> RX ring: frames as the link's RX engine lets them through, then room goes back to the peer. */
static unsigned rx_link(struct shm_nic *n, unsigned space, unsigned budget)
{
    unsigned got = 0;
    while (got < space && got < budget) {
        long len = tb_peer_med_read(n->link, shm_ring_prod_buf(&n->rx), TB_SHM_FRAME_MAX);
        if (len < 0)
            break; /* nothing due and the link's ring is empty */
        got += publish_rx_slot(n, (size_t)len);
    }
    tb_peer_med_publish(n->link);
    return got;
}

/* TAP -> RX ring without impairment: on a vnet TAP GSO frames split into slots, otherwise one read per slot. */
static unsigned rx_plain(struct shm_state *s, struct shm_nic *n, uint32_t space, uint32_t room)
{
    unsigned got = 0;
    while (n->nic->vnet && space - got >= room && got < s->budget) {
        int frames = read_vnet(n, space - got);
        if (frames < 0)
            break; /* EAGAIN: the TAP is empty */
        got += (unsigned)frames;
    }
    while (!n->nic->vnet && got < space && got < s->budget) {
        /* The kernel copies the frame straight into the guest's slot. */
        ssize_t len = read(n->nic->fd, shm_ring_prod_buf(&n->rx), TB_SHM_FRAME_MAX);
        if (len < 0 && errno == EINTR)
            continue;
        if (len <= 0)
            break; /* EAGAIN: the TAP is empty */
        got += publish_rx_slot(n, (size_t)len);
    }
    return got;
}

/* TAP -> RX ring, at most `budget` frames; a full ring stops reading (the kernel then drops at the TAP queue). */
static unsigned service_rx(struct shm_state *s, struct shm_nic *n)
{
    uint32_t space, room = n->nic->vnet ? vnet_room(s) : 1;
    if (shm_ring_space(&n->rx, &space) < 0)
        ring_fault(s, n->rx.err);
    if (space < room) {
        if (!n->rx_blocked)
            n->st.rx_ring_full++;
        n->rx_blocked = 1;
        return 0;
    }
    n->rx_blocked = 0;
    unsigned got = __builtin_expect(n->link != 0, 0)         ? rx_link(n, space, s->budget)
                   : __builtin_expect(n->nic->impair != 0, 0) ? tb_nic_impair_rx_ring(n, space, room, s->budget)
                                                              : rx_plain(s, n, space, room);
    if (got) {
        shm_ring_prod_publish_quiet(&n->rx);
        rx_notify(s, n, now_ns());
    }
    return got;
}

/* TX ring -> TAP, at most `budget` frames, each length validated first. */
static void count_tx(struct shm_nic *n, int ok, unsigned frames, size_t bytes)
{
    if (ok) {
        n->nic->st.tx_packets += frames;
        n->nic->st.tx_bytes += bytes;
    } else {
        n->nic->st.tx_drops += frames;
        n->st.tx_errors++;
    }
}

/* The batch's frames as one write: a GSO frame when it holds two or more (the kernel segments it again). Whether the
 * TAP took it. */
static int write_batch(struct shm_nic *n, struct tb_tx_batch *b)
{
    if (b->count == 1)
        return tb_tap_write(n->nic, b->buf, b->len) == (ssize_t)b->len;
    struct virtio_net_hdr h;
    tb_tx_gso_finish(b, &h);
    n->st.tx_gso_frames++;
    return tb_tap_write_vnet(n->nic, &h, b->buf, b->len) == (ssize_t)b->len;
}

static void flush_batch(struct shm_nic *n, struct tb_tx_batch *b)
{
    if (!b->count)
        return;
    unsigned frames = b->count;
    size_t frame_bytes = b->len + (size_t)(frames - 1) * 42; /* what the guest's frames added up to */
    count_tx(n, write_batch(n, b), frames, frame_bytes);
    b->count = 0;
}

/* An impaired NIC's batch: its frames were counted when the link took them; a TAP that refuses the write loses
 * them as it loses a single frame the engine let through (a drop, as on a full wire). */
static void flush_sent(struct shm_nic *n, struct tb_tx_batch *b)
{
    if (b->count && !write_batch(n, b))
        n->nic->st.tx_drops += b->count;
    b->count = 0;
}

/*
 * An impaired NIC's frame, which the link takes whatever becomes of it: frames queued earlier and due now leave
 * first (after the batch), then what the engine lets through at once joins the batch as an unimpaired frame would;
 * a corrupted frame goes alone, since the kernel recomputes a GSO frame's checksum and would hide the flipped bit.
 */
static void tx_impaired(struct shm_state *s, struct shm_nic *n, struct tb_tx_batch *b, const uint8_t *data,
                        uint32_t len)
{
    int due, corrupted;
    uint64_t now = tb_nic_impair_tx_now(n->nic, &due);
    if (due) {
        flush_sent(n, b);
        tb_nic_impair_tx_flush(n->nic, now);
    }
    const uint8_t *frame;
    int copies = tb_nic_impair_tx_push(n->nic, data, len, now, &frame, &corrupted);
    int batching = n->nic->vnet && s->vm->cfg->shm.offloads && !corrupted;
    for (int i = 0; i < copies; i++) {
        if (batching && tb_tx_gso_add(b, frame, len))
            continue;
        flush_sent(n, b);
        if (batching && tb_tx_gso_start(b, frame, len))
            continue;
        if (tb_tap_write(n->nic, frame, len) != (ssize_t)len)
            n->nic->st.tx_drops++;
    }
    count_tx(n, 1, 1, len);
}

/* TX ring -> TAP, at most `budget` frames, each length validated first; on a vnet TAP a flow's run is one write. */
static unsigned service_tx(struct shm_state *s, struct shm_nic *n)
{
    static struct tb_tx_batch batch; /* the IO thread's own */
    uint32_t avail;
    int notify;
    if (shm_ring_avail(&n->tx, &avail) < 0)
        ring_fault(s, n->tx.err);
    unsigned done = 0;
    int impaired = n->nic->impair_engine[TB_IMPAIR_TX] != NULL; /* else the NIC impairs only what it receives */
    batch.count = 0;
    if (n->link)
        n->link->out_blocked = 0;
    for (; done < avail && done < s->budget; done++) {
        const uint8_t *data;
        uint32_t len;
        if (n->link && !tb_peer_med_can_send(n->link))
            break; /* the link is full: the frame stays in the guest's ring until the peer makes room */
        if (shm_ring_cons_frame(&n->tx, &data, &len) < 0)
            ring_fault(s, n->tx.err);
        tb_nic_capture(n->nic->capture, data, len, TB_PCAPNG_OUT);
        if (__builtin_expect(n->link != 0, 0)) {
            tb_peer_med_write(n->link, data, len);
            count_tx(n, 1, 1, len);
        } else if (__builtin_expect(impaired, 0)) {
            tx_impaired(s, n, &batch, data, len);
        } else if (n->nic->vnet && s->vm->cfg->shm.offloads) {
            if (!tb_tx_gso_add(&batch, data, len)) {
                flush_batch(n, &batch);
                if (!tb_tx_gso_start(&batch, data, len))
                    count_tx(n, tb_tap_write(n->nic, data, len) == (ssize_t)len, 1, len);
            }
        } else {
            count_tx(n, tb_tap_write(n->nic, data, len) == (ssize_t)len, 1, len);
        }
        shm_ring_cons_next(&n->tx);
    }
    if (impaired)
        flush_sent(n, &batch);
    else
        flush_batch(n, &batch);
    if (n->link && done)
        tb_peer_med_publish(n->link);
    if (done) {
        if (shm_ring_cons_publish_half(&n->tx, &notify) < 0)
            ring_fault(s, n->tx.err);
        if (notify) /* the guest sleeps waiting for TX room, and half the ring is free */
            wake_guest(s, n, 1);
    }
    return done;
}

/* Impaired NICs: queued TX frames now due go to the TAP; the time (ns from now) until the next queued frame falls
 * due bounds the IO thread's sleep (0: an RX frame waits for a ring that has room). */
static uint64_t impaired_wakes(struct shm_state *s, uint64_t wake_in)
{
    uint64_t now = 0;
    for (unsigned i = 0; i < s->count; i++) {
        struct shm_nic *n = &s->nics[i];
        if (!n->attached || !n->nic->impair || n->link)
            continue;
        if (!now)
            now = now_ns();
        int rx_ready;
        uint64_t due = tb_nic_impair_service(n->nic, now, &rx_ready), left;
        if (due == UINT64_MAX)
            continue;
        /* A frame due for a full ring waits for the guest's doorbell (room), checked again shortly. */
        left = due > now ? due - now : n->rx_blocked ? 100000 : 0;
        wake_in = left < wake_in ? left : wake_in;
    }
    return wake_in;
}

/* Mediated shm links: delayed frames now due go onto the link; the time until an engine needs us bounds the sleep
 * (a frame due for a full ring, ours or the link's, waits for a kick, checked again shortly). */
static uint64_t link_wakes(struct shm_state *s, uint64_t wake_in)
{
    uint64_t now = 0;
    for (unsigned i = 0; i < s->count; i++) {
        struct shm_nic *n = &s->nics[i];
        if (!n->attached || !n->link)
            continue;
        if (!now)
            now = now_ns();
        uint64_t due = tb_peer_med_service(n->link, now), left;
        if (due == UINT64_MAX)
            continue;
        left = due > now ? due - now : n->rx_blocked || n->link->out_blocked ? 100000 : 0;
        wake_in = left < wake_in ? left : wake_in;
    }
    return wake_in;
}

static void drain(int fd, uint64_t *count)
{
    uint64_t v;
    if (read(fd, &v, sizeof v) == sizeof v && count)
        *count += v;
}

/*
 * Sleep until a doorbell, a TAP or the stop eventfd fires. First tell the guest
 * we sleep (TX cons_wait, and RX prod_wait when its ring is full) and re-check
 * both rings: if anything arrived meanwhile, cancel and go on polling.
 */
static void io_sleep(struct shm_state *s, uint64_t wake_in_ns)
{
    int stay = 0;
    for (unsigned i = 0; i < s->count && !stay; i++) {
        struct shm_nic *n = &s->nics[i];
        if (!n->attached)
            continue;
        if (n->link) {
            tb_peer_med_prepare_sleep(n->link, n->rx_blocked, &stay);
            if (stay)
                break;
        }
        /* A link that is full holds the guest's frames back: their arrival is no reason to wake. */
        if (!(n->link && n->link->out_blocked) && shm_ring_cons_prepare_sleep(&n->tx, &stay) < 0)
            ring_fault(s, n->tx.err);
        if (stay)
            break;
        if (n->rx_blocked) {
            if (shm_ring_prod_prepare_sleep_room(&n->rx, n->nic->vnet ? vnet_room(s) : 1, &stay) < 0)
                ring_fault(s, n->rx.err);
            set_tap(s, n, stay);
        } else {
            set_tap(s, n, 1);
        }
        if (n->link) /* the peer's kicks (frames, room) must always reach us */
            set_tap(s, n, 1);
    }
    if (!stay) {
        struct epoll_event ev[2 * MFT_MAX_ENTRIES + 1];
        s->io_sleeps++;
        /* Nanoseconds: a deferred guest wakeup is due in tens of µs, below epoll_wait's millisecond. */
        struct timespec t = { .tv_sec = (time_t)(wake_in_ns / 1000000000ULL), .tv_nsec = (long)(wake_in_ns % 1000000000ULL) };
        int got = epoll_pwait2(s->epfd, ev, (int)(sizeof ev / sizeof ev[0]), wake_in_ns == UINT64_MAX ? NULL : &t, NULL);
        s->io_wakeups++;
        for (int i = 0; i < got; i++) {
            uint64_t t = ev[i].data.u64;
            if (t < MFT_MAX_ENTRIES) /* UINT64_MAX is the stop eventfd: the loop sees `stop` */
                drain(s->nics[t].doorbell_fd, &s->nics[t].st.doorbells);
            else if (t < 2 * MFT_MAX_ENTRIES && s->nics[t - MFT_MAX_ENTRIES].link) /* the peer's kick, an eventfd */
                drain(s->nics[t - MFT_MAX_ENTRIES].nic->fd, NULL);
        }
    }
    for (unsigned i = 0; i < s->count; i++) {
        if (!s->nics[i].attached)
            continue;
        shm_ring_cons_end_sleep(&s->nics[i].tx);
        shm_ring_prod_end_sleep(&s->nics[i].rx);
        if (s->nics[i].link)
            tb_peer_med_end_sleep(s->nics[i].link);
    }
}

/*
 * A mediated link at the end: on a direct link, what the guest published before it stopped stays in the link's ring
 * for the peer; here it may still be in the guest's private ring (the link was full) or in the TX engine (delayed),
 * so it is moved on as the peer makes room and as it falls due, for at most LINK_DRAIN_NS.
 */
#define LINK_DRAIN_NS 2000000000ULL

static void final_drain_link(struct shm_state *s, struct shm_nic *n)
{
    uint64_t until = now_ns() + LINK_DRAIN_NS;
    for (;;) {
        unsigned moved = service_tx(s, n);
        uint64_t now = now_ns();
        tb_peer_med_service(n->link, now);
        if (moved)
            continue;
        if (!tb_peer_med_tx_waiting(n->link) || now >= until)
            return;
        usleep(50);
    }
}

static inline void cpu_relax(void)
{
    __builtin_ia32_pause();
}

/*
 * Hybrid's idle spin adapts, as NAPI's busy polling. An idle spell that work ended
 * within the longest window (--shm-io-idle-us) doubles the next window, whether
 * the spin caught that work or a sleep a full window would have spared; a longer
 * spell halves it (to nothing: then hybrid costs what event does at a light load).
 * The spell is judged as a whole, not the spin alone: a window at nothing never
 * spins, so had only a spin's catch grown it, it would have stayed at nothing for good.
 */
static uint64_t adapt_spin(uint64_t spin_ns, uint64_t max_ns, uint64_t idle_for_ns)
{
    if (idle_for_ns >= max_ns)
        return spin_ns / 2;
    return spin_ns ? (spin_ns * 2 < max_ns ? spin_ns * 2 : max_ns) : max_ns / 8;
}

void *tb_shm_io_main(void *arg)
{
    struct shm_state *s = arg;
    tb_placement_io_thread(); /* a negative --io-nice needs CAP_SYS_NICE: placed first, then unprivileged */
    tb_caps_drop_this_thread();
    /* Spinning on the vCPU's own core only holds the guest off: with a shared core, hybrid sleeps at once. */
    uint64_t idle_ns = tb_placement_io_shares_vcpu() ? 0 : s->io_idle_ns;
    tb_stats_register_thread(s->vm->stats, "io");
    /* Before the guest runs: what every RX slot may carry. */
    s->hdr->features = TB_SHM_F_CSUM_FLAG | tb_hlt_sleep_offer(s->vm);
    __atomic_store_n(&s->started, 1, __ATOMIC_RELEASE);

    /* Hybrid: when this spin began and when the idle spell began (0: busy); a spell may hold many spins, one
     * after each sleep that ended without work (a deferred guest wakeup fell due). */
    uint64_t idle_since = 0, spell_since = 0, spin_ns = idle_ns;
    while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
        unsigned work = 0, attached = 0, blocked = 0;
        for (unsigned i = 0; i < s->count; i++) {
            struct shm_nic *n = &s->nics[i];
            if (!n->attached)
                check_attach(s, n);
            if (!n->attached)
                continue;
            attached++;
            work += service_tx(s, n);
            work += service_rx(s, n);
            blocked += n->rx_blocked;
        }
        uint64_t wake_in = due_wakes(s);
        if (__builtin_expect(s->vm->net->impaired, 0))
            wake_in = impaired_wakes(s, wake_in);
        if (__builtin_expect(s->mediated != 0, 0))
            wake_in = link_wakes(s, wake_in);
        if (work) {
            if (spell_since) {
                s->io_spin_wins += idle_since != 0; /* spinning, not woken from a sleep */
                spin_ns = adapt_spin(spin_ns, idle_ns, now_ns() - spell_since);
            }
            idle_since = spell_since = 0;
            continue;
        }
        /* Nothing attached yet (or a guest that never will: it uses hypercalls): wait for a doorbell. */
        if (attached && s->mode == TB_SHM_MODE_POLL) {
            /* Busy polling. Yield the core only while a full RX ring waits for the guest (nothing to do
             * until its vCPU runs, maybe on this core); yielding whenever idle pushed the IO thread behind
             * every runnable task until the TAP queue overflowed at 1.5k frames/s under load. */
            if (blocked)
                sched_yield();
            else
                cpu_relax();
            continue;
        }
        if (attached && s->mode == TB_SHM_MODE_HYBRID) {
            uint64_t now = now_ns();
            if (!idle_since)
                idle_since = now;
            if (!spell_since)
                spell_since = now;
            if (now - idle_since < spin_ns) {
                cpu_relax();
                continue;
            }
        }
        io_sleep(s, wake_in);
        idle_since = 0;
    }
    s->io_spin_ns = spin_ns;
    /* The guest has stopped: what it published before halting still goes out (a bounded, final drain). */
    for (unsigned i = 0; i < s->count; i++) {
        for (unsigned round = 0; s->nics[i].attached && round < s->slots && service_tx(s, &s->nics[i]); round++)
            ;
        if (s->nics[i].attached && s->nics[i].link)
            final_drain_link(s, &s->nics[i]);
    }
    park(s);
}
