/* shm_ring.c: monitor side of a shmstream ring: every guest-written index, length and flag is validated before use. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "shm_ring.h"

static int corrupt(struct shm_ring *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int corrupt(struct shm_ring *s, const char *fmt, ...)
{
    char what[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(s->err, sizeof s->err, "%s ring corrupted by the guest: %s", s->name, what);
    return -1;
}

void shm_ring_init(struct shm_ring *s, void *mem, uint32_t slots, uint32_t frame_max, uint32_t start,
                   const char *name)
{
    memset(s, 0, sizeof *s);
    s->r = mem;
    s->slots = slots;
    s->mask = slots - 1;
    s->frame_max = frame_max < TB_SHM_FRAME_MAX ? frame_max : TB_SHM_FRAME_MAX;
    s->own = s->published = s->peer = start;
    snprintf(s->name, sizeof s->name, "%s", name);

    memset(mem, 0, TB_RING_CTRL_SIZE);
    s->r->magic = TB_RING_MAGIC;
    s->r->slot_count = slots;
    s->r->slot_size = TB_SHM_SLOT_SIZE;
    tb_store_relaxed(&s->r->prod, start);
    tb_store_relaxed(&s->r->cons, start);
    tb_store_release(&s->r->prod_wait, 0);
    tb_store_release(&s->r->cons_wait, 0);
}

/* A flag the guest sets for us to take: anything but 0 or 1 is corruption. */
static int take_guest_flag(struct shm_ring *s, uint32_t *flag, const char *what, int *set)
{
    uint32_t v = tb_take_flag(flag);
    if (v > 1)
        return corrupt(s, "%s is %u, not 0 or 1", what, v);
    *set = (int)v;
    return 0;
}

/* ---- producer (RX) ---- */

/* The guest's consumer index may only move forward, and never past what we published. */
static int load_cons(struct shm_ring *s)
{
    uint32_t cons = tb_load_acquire(&s->r->cons); /* one load: the value checked is the value used */
    if (cons - s->peer > s->published - s->peer)
        return corrupt(s, "consumer index %u outside [%u, %u] (%u slots)", cons, s->peer, s->published, s->slots);
    s->peer = cons;
    return 0;
}

int shm_ring_space(struct shm_ring *s, uint32_t *space)
{
    if (load_cons(s) < 0)
        return -1;
    *space = s->slots - (s->own - s->peer);
    return 0;
}

uint8_t *shm_ring_prod_buf(struct shm_ring *s)
{
    return tb_ring_slot(s->r, s->mask, s->own)->data;
}

uint8_t *shm_ring_prod_buf_at(struct shm_ring *s, uint32_t k)
{
    return tb_ring_slot(s->r, s->mask, s->own + k)->data;
}

void shm_ring_prod_fill_flags(struct shm_ring *s, uint32_t len, uint16_t flags)
{
    struct tb_slot *slot = tb_ring_slot(s->r, s->mask, s->own);
    slot->len = len;
    slot->flags = flags;
    s->own++;
}

void shm_ring_prod_fill(struct shm_ring *s, uint32_t len)
{
    shm_ring_prod_fill_flags(s, len, 0);
}

int shm_ring_prod_publish(struct shm_ring *s, int *notify)
{
    *notify = 0;
    if (s->published == s->own)
        return 0;
    tb_store_release(&s->r->prod, s->own);
    s->published = s->own;
    tb_fence_full(); /* order the prod store before the cons_wait load (see tb_ring.h) */
    return take_guest_flag(s, &s->r->cons_wait, "cons_wait flag", notify);
}

void shm_ring_prod_publish_quiet(struct shm_ring *s)
{
    if (s->published == s->own)
        return;
    tb_store_release(&s->r->prod, s->own);
    s->published = s->own;
    tb_fence_full(); /* as in publish: the caller's later look at cons_wait must not pass this store */
}

int shm_ring_cons_waiting(struct shm_ring *s, int *waiting)
{
    uint32_t v = tb_load_relaxed(&s->r->cons_wait);
    if (v > 1)
        return corrupt(s, "cons_wait flag is %u, not 0 or 1", v);
    *waiting = (int)v;
    return 0;
}

int shm_ring_take_cons_wait(struct shm_ring *s, int *notify)
{
    return take_guest_flag(s, &s->r->cons_wait, "cons_wait flag", notify);
}

int shm_ring_prod_prepare_sleep(struct shm_ring *s, int *stay_awake)
{
    return shm_ring_prod_prepare_sleep_room(s, 1, stay_awake);
}

int shm_ring_prod_prepare_sleep_room(struct shm_ring *s, uint32_t room, int *stay_awake)
{
    uint32_t space;
    tb_store_relaxed(&s->r->prod_wait, 1);
    tb_fence_full();
    if (shm_ring_space(s, &space) < 0)
        return -1;
    *stay_awake = space >= room;
    if (*stay_awake)
        tb_store_relaxed(&s->r->prod_wait, 0);
    return 0;
}

int shm_ring_pending(struct shm_ring *s, uint32_t *pending)
{
    if (load_cons(s) < 0)
        return -1;
    *pending = s->published - s->peer;
    return 0;
}

/* ---- consumer (TX) ---- */

/* The guest's producer index may only move forward, and never more than a ring's worth ahead of us. */
static int load_prod(struct shm_ring *s)
{
    uint32_t prod = tb_load_acquire(&s->r->prod);
    uint32_t room = s->slots - (s->peer - s->published);
    if (prod - s->peer > room)
        return corrupt(s, "producer index %u outside [%u, %u] (%u slots)", prod, s->peer, s->published + s->slots, s->slots);
    s->peer = prod;
    return 0;
}

int shm_ring_avail(struct shm_ring *s, uint32_t *avail)
{
    if (load_prod(s) < 0)
        return -1;
    *avail = s->peer - s->own;
    return 0;
}

int shm_ring_cons_frame(struct shm_ring *s, const uint8_t **data, uint32_t *len)
{
    struct tb_slot *slot = tb_ring_slot(s->r, s->mask, s->own);
    uint32_t n = __atomic_load_n(&slot->len, __ATOMIC_RELAXED);
    if (n == 0 || n > s->frame_max)
        return corrupt(s, "frame length %u in slot %u (allowed 1..%u)", n, s->own & s->mask, s->frame_max);
    *data = slot->data;
    *len = n;
    return 0;
}

void shm_ring_cons_next(struct shm_ring *s)
{
    s->own++;
}

int shm_ring_cons_publish(struct shm_ring *s, int *notify)
{
    *notify = 0;
    if (s->published == s->own)
        return 0;
    tb_store_release(&s->r->cons, s->own);
    s->published = s->own;
    tb_fence_full();
    return take_guest_flag(s, &s->r->prod_wait, "prod_wait flag", notify);
}

int shm_ring_cons_publish_half(struct shm_ring *s, int *notify)
{
    *notify = 0;
    if (s->published == s->own)
        return 0;
    tb_store_release(&s->r->cons, s->own);
    s->published = s->own;
    tb_fence_full();
    uint32_t used = s->peer - s->own; /* frames the guest published that we have not taken yet */
    if (used > s->slots / 2 && used != 0)
        return 0; /* we keep consuming (the IO thread does not sleep while frames wait), and come back */
    return take_guest_flag(s, &s->r->prod_wait, "prod_wait flag", notify);
}

int shm_ring_cons_prepare_sleep(struct shm_ring *s, int *stay_awake)
{
    uint32_t avail;
    tb_store_relaxed(&s->r->cons_wait, 1);
    tb_fence_full();
    if (shm_ring_avail(s, &avail) < 0)
        return -1;
    *stay_awake = avail > 0;
    if (*stay_awake)
        tb_store_relaxed(&s->r->cons_wait, 0);
    return 0;
}

void shm_ring_prod_end_sleep(struct shm_ring *s)
{
    tb_store_relaxed(&s->r->prod_wait, 0); /* only our own flag: cons_wait is the guest's request */
}

void shm_ring_cons_end_sleep(struct shm_ring *s)
{
    tb_store_relaxed(&s->r->cons_wait, 0); /* only our own flag: prod_wait is the guest's request */
}
