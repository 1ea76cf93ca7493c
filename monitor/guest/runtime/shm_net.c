/* shm_net.c: guest side of shmstream: frames move through the rings in shared memory; the only exits are kicks and sleeps. */
#include "solo5.h"
#include "tb_string.h"
#include "runtime.h"
#include "shm_net.h"
#include "tb_ring.h"

__attribute__((weak)) const int tb_no_shmstream = 0;
__attribute__((weak)) const int tb_shm_csum_lazy = 0;
__attribute__((weak)) const int tb_no_hlt_sleep = 0;
uint64_t tb_shm_net_mask;
/* 1 when the frame the last solo5_net_read returned has a vouched-for L4 checksum (solo5.h). */
uint32_t tb_net_rx_csum_valid;

struct shm_gnic {
    struct tb_ring_cursor rx, tx;
    volatile uint64_t *doorbell;  /* an 8-byte store here is signalled by KVM to the IO thread, no exit to it */
    struct tb_shm_nic_desc *desc; /* attach word and our counters */
    solo5_time_t kick_owed_since; /* when we first published frames its sleeping TX consumer was not kicked for */
};

static struct shm_gnic gnics[64];
static struct tb_shm_header *hdr;
static uint32_t mode;
static uint64_t spin_ns;
static int hlt_ok;             /* the monitor offered TB_SHM_F_HLT_SLEEP and we answered */
static uint64_t plain_nics;    /* acquired NICs left on hypercalls: only POLL's ready set reports them */
static solo5_time_t timer_at;  /* the deadline our armed timer request (sleep page) wakes us at */
static uint64_t kicks_owed;    /* handles whose TX consumer sleeps on frames we have not kicked it for (flush) */

/* The longest a sleeping consumer waits for its kick once we published frames for it (see tb_shm_net_flush). */
#define KICK_DELAY_MAX_NS 200000

static inline void cpu_relax(void)
{
    __asm__ __volatile__("pause" ::: "memory");
}

static inline void compiler_barrier(void)
{
    __asm__ __volatile__("" ::: "memory");
}

static void kick(struct shm_gnic *g)
{
    *g->doorbell = 1;
    g->desc->guest_kicks++;
}

/* The monitor's region, if it offers one this runtime understands; NULL otherwise (hypercalls stay). */
static struct tb_shm_header *region(void)
{
    const struct hvt_boot_info *bi = tb_boot_info;
    /* Read through volatile: gcc would otherwise fold our weak 0 and ignore an image's override. */
    if (*(const volatile int *)&tb_no_shmstream || !tb_in_ring3 || bi->ext.magic != TB_BOOT_EXT_MAGIC ||
        !(bi->ext.features & TB_FEATURE_SHMSTREAM) || bi->ext.shm_gpa == 0)
        return 0;
    struct tb_shm_header *h = (struct tb_shm_header *)(uintptr_t)bi->ext.shm_gpa;
    uint32_t slots = h->slot_count;
    if (h->magic != TB_SHM_MAGIC || h->version != TB_SHM_VERSION || h->slot_size != TB_SHM_SLOT_SIZE ||
        slots < TB_SHM_MIN_SLOTS || slots > TB_SHM_MAX_SLOTS || (slots & (slots - 1)) ||
        h->region_size != bi->ext.shm_size)
        return 0;
    return h;
}

/* 1 when NIC h can move to its rings: the region is ours to use and its geometry is sane. */
static int rings_usable(const struct tb_shm_header *r, solo5_handle_t h)
{
    if (!r || h >= r->nics || r->nic[h].rx_off == 0 || r->nic[h].tx_off == 0)
        return 0;
    uint64_t ring = TB_RING_BYTES(r->slot_count);
    return r->nic[h].rx_off + ring <= r->region_size && r->nic[h].tx_off + ring <= r->region_size;
}

void tb_shm_net_attach(solo5_handle_t h)
{
    if (h >= 64 || tb_shm_net_on(h))
        return;
    struct tb_shm_header *r = hdr ? hdr : region();
    if (!rings_usable(r, h)) {
        plain_nics |= 1ULL << h;
        return;
    }
    hdr = r;
    mode = r->mode;
    spin_ns = r->spin_ns;
    /* Through volatile, as tb_no_shmstream: an image's override must not be folded away. */
    if ((r->features & TB_SHM_F_CSUM_FLAG) && *(const volatile int *)&tb_shm_csum_lazy)
        __atomic_or_fetch(&r->guest_features, TB_SHM_F_CSUM_LAZY, __ATOMIC_RELEASE);
    if ((r->features & TB_SHM_F_HLT_SLEEP) && !*(const volatile int *)&tb_no_hlt_sleep) {
        __atomic_or_fetch(&r->guest_features, TB_SHM_F_HLT_SLEEP, __ATOMIC_RELEASE);
        hlt_ok = 1;
    }

    struct shm_gnic *g = &gnics[h];
    tb_cursor_init(&g->rx, (struct tb_ring *)((uint8_t *)r + r->nic[h].rx_off), r->slot_count, 0);
    tb_cursor_init(&g->tx, (struct tb_ring *)((uint8_t *)r + r->nic[h].tx_off), r->slot_count, 1);
    g->doorbell = (volatile uint64_t *)(uintptr_t)(r->doorbell_base + 8 * h);
    g->desc = &r->nic[h];
    /* From here the IO thread owns the TAP; the kick wakes it if it sleeps waiting for an attach. */
    __atomic_store_n(&g->desc->attach, TB_SHM_ATTACH, __ATOMIC_RELEASE);
    kick(g);
    tb_shm_net_mask |= 1ULL << h;
}

/* Kick h's TX consumer if it still sleeps: every frame we owe it a kick for is published already. */
static void pay_kick(unsigned h)
{
    kicks_owed &= ~(1ULL << h);
    if (tb_take_flag(&gnics[h].tx.r->cons_wait))
        kick(&gnics[h]);
}

static void pay_kicks(void)
{
    for (uint64_t m = kicks_owed; m; m &= m - 1)
        pay_kick((unsigned)__builtin_ctzll(m));
}

/* A guest that keeps polling its NICs without flushing or yielding still kicks within KICK_DELAY_MAX_NS. */
static void pay_late_kicks(void)
{
    solo5_time_t now = solo5_clock_monotonic();
    for (uint64_t m = kicks_owed; m; m &= m - 1) {
        unsigned h = (unsigned)__builtin_ctzll(m);
        if (now - gnics[h].kick_owed_since >= KICK_DELAY_MAX_NS)
            pay_kick(h);
    }
}

solo5_result_t tb_shm_net_read(solo5_handle_t h, uint8_t *buf, size_t size, size_t *read_size)
{
    struct shm_gnic *g = &gnics[h];
    struct tb_slot *s = tb_cons_peek(&g->rx);
    if (!s) {
        if (kicks_owed)
            pay_late_kicks();
        return SOLO5_R_AGAIN;
    }
    /* One load: on an shm link the producer is another guest, which may rewrite len while we copy. */
    uint32_t len = __atomic_load_n(&s->len, __ATOMIC_RELAXED);
    tb_net_rx_csum_valid = (s->flags & TB_SLOT_F_CSUM_VALID) != 0;
    solo5_result_t r = SOLO5_R_OK;
    if (len > TB_SHM_FRAME_MAX || len > size) {
        r = SOLO5_R_EINVAL; /* as the hypercall path does: the frame is dropped */
        g->desc->guest_rx_bad++;
    } else {
        memcpy(buf, s->data, len);
        if (read_size)
            *read_size = len;
    }
    if (tb_cons_release(&g->rx)) /* the IO thread sleeps on a full ring: there is room now */
        kick(g);
    return r;
}

/* Sleep in the POLL hypercall; the IO thread writes our wake eventfd when it takes a flag we set. */
static uint64_t poll_sleep(solo5_time_t deadline)
{
    solo5_time_t now = solo5_clock_monotonic();
    struct hvt_hc_poll p = { .timeout_nsecs = deadline > now ? deadline - now : 0 };
    tb_hypercall(HVT_HYPERCALL_POLL, &p);
    return p.ret > 0 ? p.ready_set : 0;
}

/* Halting is possible only when every NIC in use is on its rings: the IO thread then wakes us for all of them. */
static int hlt_usable(void)
{
    return hlt_ok && !plain_nics;
}

/*
 * Before the wait flags go up: say how this sleep waits, and clear `woken` so
 * that only a wake NMI from now on ends the coming hlt (the IO thread reads
 * sleep_how after it took our flag, so it sees this sleep's).
 */
static void announce_sleep(int hlt)
{
    if (!hlt_ok)
        return; /* the monitor offered nothing: sleep_how stays POLL, as for every guest before hlt sleep */
    uint32_t how = hlt ? TB_SLEEP_HOW_HLT : TB_SLEEP_HOW_POLL;
    if (hlt)
        *(volatile uint8_t *)(uintptr_t)TB_SLEEP_WOKEN_GPA = 0;
    if (__atomic_load_n(&hdr->sleep_how, __ATOMIC_RELAXED) != how)
        __atomic_store_n(&hdr->sleep_how, how, __ATOMIC_RELAXED);
    compiler_barrier(); /* both stores before the wait flag's (x86 keeps stores in order; the compiler must too) */
}

/*
 * Halt in KVM until a wake NMI: the IO thread's, or the monitor's timer at our
 * deadline. The timer is asked (one doorbell store, no exit) only when the one
 * armed would wake us too late; an early wake is spurious and costs one loop.
 */
static void hlt_sleep(solo5_time_t deadline)
{
    volatile struct tb_sleep_timer *t = (volatile struct tb_sleep_timer *)(uintptr_t)TB_SLEEP_TIMER_GPA;
    solo5_time_t now = solo5_clock_monotonic();
    if (now >= deadline)
        return;
    if (!__atomic_load_n(&t->armed, __ATOMIC_ACQUIRE) || timer_at > deadline) {
        t->timeout_ns = deadline - now;
        __atomic_store_n(&t->armed, 1, __ATOMIC_RELEASE);
        timer_at = deadline;
        compiler_barrier(); /* the request before the doorbell that makes the monitor read it */
        *(volatile uint64_t *)(uintptr_t)TB_SLEEP_DOORBELL = 1;
    }
    /* The site is `ud2; ret`: the monitor's #UD stub steps over the ud2 and halts unless woken already. */
    __asm__ __volatile__("call *%0" : : "r"((uintptr_t)TB_SLEEP_SITE_GPA) : "memory", "cc");
}

/*
 * The ring is full: wait until the consumer frees a slot (poll mode spins; hybrid
 * spins, then sleeps; event mode sleeps at once). The consumer kicks a sleeping
 * producer once half the ring is free (tb_cons_release), so a sleep ends with room
 * for a batch, where a spin would go on at the first free slot and refill the ring
 * a frame at a time, taking the core from the consumer it waits for.
 */
static void wait_tx_room(struct shm_gnic *g)
{
    solo5_time_t start = solo5_clock_monotonic();
    uint64_t spin = mode == TB_SHM_MODE_EVENT ? 0 : spin_ns + 20000;
    while (!tb_prod_next(&g->tx)) {
        if (mode == TB_SHM_MODE_POLL || solo5_clock_monotonic() - start < spin) {
            cpu_relax();
            continue;
        }
        pay_kicks(); /* a consumer we owe a kick may be the one that frees this ring (or feeds the one that does) */
        int hlt = hlt_usable();
        announce_sleep(hlt);
        if (tb_prod_prepare_sleep(&g->tx))
            continue;
        solo5_time_t until = solo5_clock_monotonic() + 1000000; /* bounded: a lost kick costs 1 ms, not a hang */
        if (hlt)
            hlt_sleep(until);
        else
            poll_sleep(until);
        __atomic_store_n(&g->tx.r->prod_wait, 0, __ATOMIC_RELAXED);
    }
}

solo5_result_t tb_shm_net_queue(solo5_handle_t h, const uint8_t *buf, size_t size)
{
    struct shm_gnic *g = &gnics[h];
    if (size == 0 || size > TB_SHM_FRAME_MAX)
        return SOLO5_R_EINVAL;
    struct tb_slot *s = tb_prod_next(&g->tx);
    if (!s)
        return SOLO5_R_AGAIN;
    memcpy(s->data, buf, size);
    s->len = (uint32_t)size;
    tb_prod_fill(&g->tx);
    return SOLO5_R_OK;
}

/*
 * Publish what was queued. A consumer that sleeps is kicked once half the ring
 * waits for it, when we yield or wait, when we exit, or at our first flush or
 * empty read KICK_DELAY_MAX_NS after the first frame it was not kicked for,
 * whichever comes first (an app that computes without touching its NICs or
 * yielding holds the kick until it does). Kicking it at
 * once would wake it for every batch of a busy sender, and each wake-up costs
 * the sleeper a VM exit to its monitor (tens of us under nested KVM): a chain
 * of forwarders spent half its CPU sleeping and waking. Its wait flag stays set
 * until we take it, so no frame goes unseen: the kick only comes later.
 * Returns with room for a queue (as hypercall flush does).
 */
solo5_result_t tb_shm_net_flush(solo5_handle_t h)
{
    struct shm_gnic *g = &gnics[h];
    if (g->tx.local != tb_load_relaxed(&g->tx.r->prod)) {
        tb_store_release(&g->tx.r->prod, g->tx.local);
        tb_fence_full(); /* the store of prod before the load of cons_wait (tb_ring.h: sleeping) */
        if (tb_load_relaxed(&g->tx.r->cons_wait)) {
            solo5_time_t now = solo5_clock_monotonic();
            if (!(kicks_owed & (1ULL << h))) {
                kicks_owed |= 1ULL << h;
                g->kick_owed_since = now;
            }
            uint32_t waiting = g->tx.local - tb_load_acquire(&g->tx.r->cons);
            if (waiting > g->tx.mask / 2 || now - g->kick_owed_since >= KICK_DELAY_MAX_NS)
                pay_kick(h);
        } else {
            g->desc->guest_kicks_suppressed++;
        }
    }
    if (!tb_prod_next(&g->tx))
        wait_tx_room(g);
    return SOLO5_R_OK;
}

static uint64_t ready_now(void)
{
    uint64_t set = 0;
    for (uint64_t m = tb_shm_net_mask; m; m &= m - 1) {
        unsigned h = (unsigned)__builtin_ctzll(m);
        if (tb_cons_peek(&gnics[h].rx))
            set |= 1ULL << h;
    }
    return set;
}

/* Announce sleep on every ring; 1 (and flags withdrawn) when a frame arrived meanwhile. */
static int prepare_sleep(void)
{
    for (uint64_t m = tb_shm_net_mask; m; m &= m - 1) {
        unsigned h = (unsigned)__builtin_ctzll(m);
        if (tb_cons_prepare_sleep(&gnics[h].rx)) {
            for (uint64_t k = tb_shm_net_mask; k; k &= k - 1)
                __atomic_store_n(&gnics[__builtin_ctzll(k)].rx.r->cons_wait, 0, __ATOMIC_RELAXED);
            return 1;
        }
    }
    return 0;
}

static void end_sleep(void)
{
    for (uint64_t m = tb_shm_net_mask; m; m &= m - 1)
        __atomic_store_n(&gnics[__builtin_ctzll(m)].rx.r->cons_wait, 0, __ATOMIC_RELAXED);
}

/*
 * Hybrid's spin adapts (as the IO thread's): a yield that a frame ended within
 * the monitor's spin_ns doubles the next window (up to spin_ns), whether the spin
 * saw it or a sleep a full window would have spared; a yield that outlasted spin_ns
 * halves it. At a light load the guest then sleeps at once, costing what event mode
 * does. The whole yield is judged, not the spin alone: a window at nothing never
 * spins, so had only a spin's catch grown it, it would have stayed at nothing for good.
 */
static uint64_t spin_now = UINT64_MAX;

static void adapt_spin(uint64_t idle_ns, int frame)
{
    if (idle_ns >= spin_ns)
        spin_now /= 2;
    else if (frame)
        spin_now = spin_now ? (spin_now * 2 < spin_ns ? spin_now * 2 : spin_ns) : spin_ns / 8;
}

void tb_shm_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set)
{
    pay_kicks(); /* the app has nothing more to do for now: what it sent must not wait for it */
    solo5_time_t start = solo5_clock_monotonic();
    uint64_t set;
    if (spin_now > spin_ns)
        spin_now = spin_ns;
    for (;;) {
        set = ready_now();
        solo5_time_t now = solo5_clock_monotonic();
        if (set || now >= deadline) {
            if (mode == TB_SHM_MODE_HYBRID)
                adapt_spin(now - start, set != 0);
            break;
        }
        if (mode == TB_SHM_MODE_POLL || (mode == TB_SHM_MODE_HYBRID && now - start < spin_now)) {
            cpu_relax();
            continue;
        }
        int hlt = hlt_usable();
        announce_sleep(hlt);
        if (prepare_sleep())
            continue;
        /* Hypercall NICs (not on rings) report through POLL's ready set; a halt has none to report. */
        if (hlt) {
            hlt_sleep(deadline);
            set = 0;
        } else {
            set = poll_sleep(deadline) & ~tb_shm_net_mask;
        }
        end_sleep();
        if (set)
            break;
    }
    if (ready_set)
        *ready_set = set | ready_now();
}

solo5_result_t tb_shm_net_write(solo5_handle_t h, const uint8_t *buf, size_t size)
{
    solo5_result_t r = tb_shm_net_queue(h, buf, size);
    if (r == SOLO5_R_AGAIN) { /* flush returns with room */
        tb_shm_net_flush(h);
        r = tb_shm_net_queue(h, buf, size);
    }
    if (r == SOLO5_R_OK) {
        tb_shm_net_flush(h);
        /* Solo5's one-frame write has sent the frame when it returns: an app may compute next without touching
         * its NICs, so the deferred kick of the batch API (flush) would strand the frame until it does. */
        if (kicks_owed & (1ULL << h))
            pay_kick(h);
    }
    return r;
}

void tb_shm_net_quiesce(void)
{
    pay_kicks();
}
