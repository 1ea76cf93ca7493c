/* tb_ring.h: shmstream's shared-memory layout (per-NIC RX/TX single-producer rings) and its memory-ordering rules. */
#ifndef TB_RING_H
#define TB_RING_H

#include <stdint.h>

/*
 * The region
 * ----------
 * The monitor reserves one page-aligned region of guest RAM and announces it in
 * the boot info ext (shm_gpa, shm_size, TB_FEATURE_SHMSTREAM). It starts with a
 * struct tb_shm_header (one page); then, for every NET manifest entry (indexed
 * by its solo5 handle), an RX ring (monitor produces, guest consumes) and a TX
 * ring (guest produces, monitor consumes) at the offsets the header gives.
 *
 * Trust: the monitor writes the geometry once and keeps its own private copy; it
 * never re-reads geometry from guest memory, and it treats every field the guest
 * can write (indices, lengths, flags, attach words) as hostile: each load is a
 * single atomic load into a local (no double fetch), then validated. The guest
 * trusts the monitor, but still bounds lengths against its own buffers.
 *
 * Indices are free-running uint32_t counters: slot = index & (slot_count - 1),
 * entries = prod - cons (mod 2^32), always <= slot_count in a sane ring.
 *
 * Memory ordering (C11 acquire/release via GCC __atomic builtins)
 * ---------------------------------------------------------------
 * - Producer: write the slot (len, data), then store-release prod.
 *   Consumer: load-acquire prod, read slots below it, then store-release cons.
 *   Producer: load-acquire cons before reusing a slot.
 *   On x86-64 (TSO) acquire loads and release stores are plain MOVs: the builtins
 *   only stop the compiler from reordering, which is all that is needed.
 * - Sleeping (notification suppression, as NAPI / virtio's event index): the side
 *   that wants to sleep stores its *_wait flag = 1, then a full fence, then
 *   re-reads the other side's index and sleeps only if there is still nothing to
 *   do. The other side stores its index, a full fence, then reads the flag and
 *   notifies only if it is set (clearing it with an exchange so that a burst of
 *   publishes costs one notification). x86 TSO lets a store pass a later load
 *   (store buffer), exactly the Dekker pattern, so both fences are real MFENCE /
 *   locked instructions; with them at least one side sees the other's store and
 *   no wakeup is lost. A spurious wakeup is harmless: the sleeper re-checks.
 */

#define TB_SHM_MAGIC        0x314d485342540a54ULL /* "T\nTBSHM1" */
#define TB_SHM_VERSION      1
#define TB_SHM_HEADER_SIZE  4096u
#define TB_SHM_MAX_NICS     64u          /* one per manifest entry: handles fit a u64 set */
#define TB_SHM_SLOT_SIZE    2048u        /* fixed: a 1500-byte MTU frame plus headers fits */
#define TB_SHM_SLOT_HDR     8u
#define TB_SHM_FRAME_MAX    (TB_SHM_SLOT_SIZE - TB_SHM_SLOT_HDR)
#define TB_SHM_DEFAULT_SLOTS 512u  /* 1 MiB per direction: absorbs a scheduling hiccup of ~1 ms at 500k frames/s */
#define TB_SHM_MIN_SLOTS    2u
#define TB_SHM_MAX_SLOTS    4096u
#define TB_RING_MAGIC       0x474e4952u  /* "RING" */
#define TB_RING_CTRL_SIZE   256u         /* control lines before the first slot */
#define TB_SHM_ATTACH       0x48435441u  /* "ATCH": the guest serves this NIC through its rings */
#define TB_CACHELINE        64

/*
 * Features (header `features`: offered by the monitor; `guest_features`: the guest's
 * answer, written before it attaches a NIC and read once by the monitor at attach).
 * A guest that writes nothing keeps today's contract: every frame complete and to be verified.
 */
#define TB_SHM_F_CSUM_FLAG   (1ULL << 0) /* RX slots may carry TB_SLOT_F_CSUM_VALID: their L4 checksum was checked
                                             or computed on the host, the guest need not verify it */
#define TB_SHM_F_CSUM_LAZY   (1ULL << 1) /* guest answer: in slots flagged CSUM_VALID the L4 checksum field may be
                                             left incomplete (as virtio's DATA_VALID); the monitor skips computing it */
#define TB_SHM_F_HLT_SLEEP   (1ULL << 2) /* offered with --sleep=hlt: the guest may sleep in KVM by `hlt` through the
                                             sleep page (tb_abi.h); answered by a guest that will; it then says before
                                             each sleep how it sleeps (sleep_how), and a guest that never answers keeps
                                             sleeping in the POLL hypercall */

/* sleep_how: how the guest's next sleep waits for the monitor's wakeup. */
#define TB_SLEEP_HOW_POLL 0u /* in the POLL hypercall: the wake eventfd ends its wait (every guest before hlt sleep) */
#define TB_SLEEP_HOW_HLT  1u /* halted in KVM: the wake goes to the irqfd, an NMI */

/* Per-slot flags (struct tb_slot's flags). */
#define TB_SLOT_F_CSUM_VALID (1u << 0)   /* RX: the L4 checksum is vouched for (see TB_SHM_F_CSUM_*) */

/* How the guest waits for RX frames (chosen by the monitor's --io, announced here). */
enum tb_shm_mode {
    TB_SHM_MODE_POLL = 1,   /* spin (pause) until the deadline */
    TB_SHM_MODE_EVENT = 2,  /* set cons_wait and sleep in the POLL hypercall */
    TB_SHM_MODE_HYBRID = 3, /* spin for spin_ns, then sleep as in EVENT */
};

/* Byte size of one ring with `slots` slots. */
#define TB_RING_BYTES(slots) ((uint64_t)TB_RING_CTRL_SIZE + (uint64_t)(slots) * TB_SHM_SLOT_SIZE)

struct tb_shm_nic_desc {
    uint64_t rx_off;   /* from the region start; 0: no rings for this handle */
    uint64_t tx_off;
    uint32_t attach;   /* guest writes TB_SHM_ATTACH (then rings the doorbell) to switch from hypercalls */
    uint32_t guest_rx_bad;   /* RX frames the guest's runtime refused (length past the slot or its buffer): guest-reported */
    /* Written by the guest for the stats only (the monitor reports them as guest-reported, never trusts them). */
    uint64_t guest_kicks;            /* doorbell stores */
    uint64_t guest_kicks_suppressed; /* flushes that found the IO thread awake */
};

struct tb_shm_header {
    uint64_t magic;         /* TB_SHM_MAGIC */
    uint32_t version;       /* TB_SHM_VERSION */
    uint32_t header_size;   /* TB_SHM_HEADER_SIZE */
    uint32_t slot_count;    /* per ring, power of two */
    uint32_t slot_size;     /* TB_SHM_SLOT_SIZE */
    uint32_t mode;          /* enum tb_shm_mode */
    uint32_t nics;          /* highest handle with rings + 1 */
    uint64_t region_size;
    uint64_t spin_ns;       /* hybrid: how long the guest spins before it sleeps */
    uint64_t doorbell_base; /* TB_DOORBELL_MMIO_BASE: the doorbell of handle h is at + 8 * h */
    uint64_t features;      /* TB_SHM_F_* the monitor offers */
    uint64_t guest_features; /* TB_SHM_F_* answers from the guest (hostile: read once per attach, masked) */
    uint32_t sleep_how;     /* TB_SLEEP_HOW_*: guest-written before it announces a sleep; any other value = POLL */
    uint32_t reserved32;
    uint64_t reserved[5];
    struct tb_shm_nic_desc nic[TB_SHM_MAX_NICS];
};

struct tb_slot {
    uint32_t len;           /* frame bytes in data[] */
    uint16_t flags;         /* TB_SLOT_F_*; 0 from guests and monitors that know none */
    uint16_t reserved;
    uint8_t data[TB_SHM_FRAME_MAX];
};

/* Producer and consumer state on separate cache lines: each side writes only its own line in steady state. */
struct tb_ring {
    /* line 0: geometry, written once by the monitor */
    uint32_t magic;
    uint32_t slot_count;
    uint32_t slot_size;
    uint32_t reserved0;
    uint8_t pad0[TB_CACHELINE - 16];
    /* line 1: producer */
    uint32_t prod;          /* slots below this are full; written by the producer */
    uint32_t prod_wait;     /* 1: producer sleeps until a slot is freed; set by the producer, cleared by the notifier */
    uint8_t pad1[TB_CACHELINE - 8];
    /* line 2: consumer */
    uint32_t cons;          /* slots below this are consumed; written by the consumer */
    uint32_t cons_wait;     /* 1: consumer sleeps until a frame is published; set by the consumer, cleared by the notifier */
    uint8_t pad2[TB_CACHELINE - 8];
    uint8_t pad3[TB_RING_CTRL_SIZE - 3 * TB_CACHELINE];
    struct tb_slot slot[];
};

_Static_assert(sizeof(struct tb_slot) == TB_SHM_SLOT_SIZE, "slot size");
_Static_assert(sizeof(struct tb_ring) == TB_RING_CTRL_SIZE, "ring control size");
_Static_assert(sizeof(struct tb_shm_header) <= TB_SHM_HEADER_SIZE, "shm header fits its page");

/* ---- ordering primitives, shared by both sides ---- */

static inline uint32_t tb_load_acquire(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline uint32_t tb_load_relaxed(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void tb_store_release(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline void tb_store_relaxed(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
/* The store-then-load fence of the sleep/notify handshake (an MFENCE-class instruction on x86). */
static inline void tb_fence_full(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
/* Notifier side: 1 when the peer asked to be woken (and the request is now consumed). */
static inline uint32_t tb_take_flag(uint32_t *flag)
{
    if (__atomic_load_n(flag, __ATOMIC_RELAXED) == 0)
        return 0; /* the common case costs one load, no locked instruction */
    return __atomic_exchange_n(flag, 0, __ATOMIC_ACQ_REL);
}

static inline struct tb_slot *tb_ring_slot(struct tb_ring *r, uint32_t mask, uint32_t idx)
{
    return &r->slot[idx & mask];
}

/*
 * ---- the guest's (trusting) side: a cursor with its own copy of the indices ----
 * Used by the guest runtime (guest/runtime/shm_net.c) and by the host unit test
 * that plays the guest. The producer fills slots at `local` and publishes them
 * in batches; the consumer pops at `local` and releases each slot after use.
 */
struct tb_ring_cursor {
    struct tb_ring *r;
    uint32_t mask;
    uint32_t local;   /* producer: next slot to fill; consumer: next slot to read */
    uint32_t peer;    /* last seen index of the other side */
};

static inline void tb_cursor_init(struct tb_ring_cursor *c, struct tb_ring *r, uint32_t slots, int producer)
{
    c->r = r;
    c->mask = slots - 1;
    c->local = producer ? tb_load_relaxed(&r->prod) : tb_load_relaxed(&r->cons);
    c->peer = producer ? tb_load_acquire(&r->cons) : tb_load_acquire(&r->prod);
}

/* Producer: a free slot to fill, or 0 when the ring is full. */
static inline struct tb_slot *tb_prod_next(struct tb_ring_cursor *c)
{
    if (c->local - c->peer > c->mask) {
        c->peer = tb_load_acquire(&c->r->cons);
        if (c->local - c->peer > c->mask)
            return 0;
    }
    return tb_ring_slot(c->r, c->mask, c->local);
}

/* Producer: the slot from tb_prod_next is filled (len written); not yet visible. */
static inline void tb_prod_fill(struct tb_ring_cursor *c) { c->local++; }

/* Producer: make every filled slot visible; 1 when the consumer sleeps and must be kicked. */
static inline int tb_prod_publish(struct tb_ring_cursor *c)
{
    tb_store_release(&c->r->prod, c->local);
    tb_fence_full();
    return tb_take_flag(&c->r->cons_wait) != 0;
}

/* Consumer: the next full slot, or 0 when the ring is empty. */
static inline struct tb_slot *tb_cons_peek(struct tb_ring_cursor *c)
{
    if (c->local == c->peer) {
        c->peer = tb_load_acquire(&c->r->prod);
        if (c->local == c->peer)
            return 0;
    }
    return tb_ring_slot(c->r, c->mask, c->local);
}

/*
 * Consumer: done with the slot from tb_cons_peek; 1 when the producer sleeps on
 * a full ring and must be kicked. The kick waits until half the ring is free
 * (hysteresis): kicking at the first free slot would wake the producer to refill
 * one slot at a time, a wakeup per frame. A consumer that stops short of half
 * keeps frames in its ring, so it is not waiting for the producer either.
 */
static inline int tb_cons_release(struct tb_ring_cursor *c)
{
    c->local++;
    tb_store_release(&c->r->cons, c->local);
    /* No shortcut around the fence: without it our load of prod_wait could pass
     * the store of cons, and a producer going to sleep right then would be lost. */
    tb_fence_full();
    if (tb_load_relaxed(&c->r->prod_wait) == 0 || c->peer - c->local > (c->mask + 1) / 2)
        return 0;
    return tb_take_flag(&c->r->prod_wait) != 0;
}

/* Consumer about to sleep: announce it, then re-check; 1 when a frame arrived meanwhile (do not sleep). */
static inline int tb_cons_prepare_sleep(struct tb_ring_cursor *c)
{
    tb_store_relaxed(&c->r->cons_wait, 1);
    tb_fence_full();
    c->peer = tb_load_acquire(&c->r->prod);
    if (c->peer != c->local) {
        tb_store_relaxed(&c->r->cons_wait, 0);
        return 1;
    }
    return 0;
}

/* Producer about to sleep on a full ring: announce it, then re-check; 1 when a slot was freed meanwhile. */
static inline int tb_prod_prepare_sleep(struct tb_ring_cursor *c)
{
    tb_store_relaxed(&c->r->prod_wait, 1);
    tb_fence_full();
    c->peer = tb_load_acquire(&c->r->cons);
    if (c->local - c->peer <= c->mask) {
        tb_store_relaxed(&c->r->prod_wait, 0);
        return 1;
    }
    return 0;
}

#endif /* TB_RING_H */
