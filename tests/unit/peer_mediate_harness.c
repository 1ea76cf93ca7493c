/* peer_mediate_harness.c: host test of a mediated shm link (tender/net/peer_mediate.c): two monitor sides on one ring pair, and a hostile peer. */
/*
 * Usage:
 *   peer_mediate_harness flow FRAMES SLOTS
 *       Side A writes FRAMES frames of varying length onto the link, side B reads them, both through
 *       peer_mediate.c on one pair of rings (SLOTS slots each), interleaved in one thread with the
 *       rings often full; every frame's length, sequence number and tail byte are checked.
 *   peer_mediate_harness hostile ROUNDS SEED
 *       The peer scribbles random values over every index, length, flag and geometry word of both
 *       rings between our operations; we keep writing and reading. Exits 0 when nothing crashed, every
 *       frame handed to us had a length within the slot, and refusals were counted.
 *   Both print one JSON line. Built with ASan+UBSan by the driver: any access outside the rings aborts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "args.h"
#include "net.h"
#include "peer.h"

/* What peer_mediate.c needs from the rest of the monitor. */
void tb_warn(const char *fmt, ...)
{
    (void)fmt;
}

void *tb_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count, size);
    if (!p)
        abort();
    return p;
}

uint64_t tb_nic_impair_now(void)
{
    return 0;
}

void tb_nic_impair_control(struct tb_nic *nic)
{
    (void)nic;
}

/* No engine on these NICs: the engine's own entry points are never reached. */
int tb_impair_push(struct tb_impair *e, uint8_t *frame, size_t len, uint64_t now) { (void)e; (void)frame; (void)len; (void)now; abort(); }
size_t tb_impair_pop(struct tb_impair *e, uint64_t now, uint8_t *buf, size_t cap) { (void)e; (void)now; (void)buf; (void)cap; abort(); }
uint64_t tb_impair_next_due(const struct tb_impair *e) { (void)e; abort(); }
size_t tb_impair_queued(const struct tb_impair *e) { (void)e; abort(); }

struct side {
    struct tb_net_arg arg;
    struct tb_nic nic;
    struct tb_peer_arg peer_arg;
    struct shm_peer p;
};

static void view(struct shm_ring *v, struct tb_ring *r, uint32_t slots, const char *name)
{
    memset(v, 0, sizeof *v);
    v->r = r;
    v->slots = slots;
    v->mask = slots - 1;
    v->frame_max = TB_SHM_FRAME_MAX;
    snprintf(v->name, sizeof v->name, "%s", name);
}

/* side 0 writes ring 0 and reads ring 1; side 1 the reverse (as TB_PEER ring placement). */
static void make_side(struct side *s, const char *name, struct tb_ring *out, struct tb_ring *in, uint32_t slots)
{
    memset(s, 0, sizeof *s);
    snprintf(s->arg.name, sizeof s->arg.name, "%s", name);
    s->nic.arg = &s->arg;
    s->peer_arg.doorbell_fd = eventfd(0, EFD_NONBLOCK);
    s->peer_arg.wake_fd = -1;
    s->p.nic = &s->nic;
    s->p.arg = &s->peer_arg;
    view(&s->p.out, out, slots, "out");
    view(&s->p.in, in, slots, "in");
    s->p.slots = slots;
    s->p.buf = tb_peer_buffers_new();
}

static struct tb_ring *new_ring(uint32_t slots)
{
    /* Exactly the ring's bytes, so ASan sees any access past them. */
    struct tb_ring *r = calloc(1, TB_RING_BYTES(slots));
    if (!r)
        abort();
    r->magic = TB_RING_MAGIC;
    r->slot_count = slots;
    r->slot_size = TB_SHM_SLOT_SIZE;
    return r;
}

static uint32_t frame_len(uint64_t seq)
{
    return 60 + (uint32_t)(seq * 7919 % (TB_SHM_FRAME_MAX - 60 + 1));
}

static int flow(uint64_t frames, uint32_t slots)
{
    struct tb_ring *r0 = new_ring(slots), *r1 = new_ring(slots);
    static struct side a, b;
    static uint8_t frame[TB_SHM_FRAME_MAX], got[TB_SHM_FRAME_MAX];
    make_side(&a, "a", r0, r1, slots);
    make_side(&b, "b", r1, r0, slots);
    uint64_t sent = 0, received = 0, rounds = 0, full = 0;
    while (received < frames) {
        rounds++;
        /* A writes up to a budget while the link has room; B then reads a different budget. */
        for (unsigned k = 0; k < 37 && sent < frames; k++) {
            if (!tb_peer_med_can_send(&a.p)) {
                full++;
                break;
            }
            uint32_t len = frame_len(sent);
            memset(frame, 0, len);
            memcpy(frame, &sent, sizeof sent);
            frame[len - 1] = (uint8_t)(sent * 31);
            tb_peer_med_write(&a.p, frame, len);
            sent++;
        }
        tb_peer_med_publish(&a.p);
        for (unsigned k = 0; k < 23; k++) {
            long len = tb_peer_med_read(&b.p, got, sizeof got);
            if (len < 0)
                break;
            uint64_t seq;
            memcpy(&seq, got, sizeof seq);
            if (seq != received || (uint32_t)len != frame_len(seq) || got[len - 1] != (uint8_t)(seq * 31)) {
                fprintf(stderr, "frame %llu: got seq %llu len %ld\n", (unsigned long long)received,
                        (unsigned long long)seq, len);
                return 1;
            }
            received++;
        }
        tb_peer_med_publish(&b.p);
        if (rounds > frames * 4 + 1000) {
            fprintf(stderr, "no progress: sent %llu received %llu\n", (unsigned long long)sent,
                    (unsigned long long)received);
            return 1;
        }
    }
    printf("{\"frames\": %llu, \"link_full\": %llu, \"corrupt\": %llu}\n", (unsigned long long)received,
           (unsigned long long)full, (unsigned long long)(a.p.peer_corrupt + b.p.peer_corrupt));
    return 0;
}

static uint32_t rnd(void)
{
    return (uint32_t)random();
}

/* A value a hostile peer might write: small, near ours, or anything. */
static uint32_t scribble(uint32_t near)
{
    switch (rnd() % 4) {
    case 0: return rnd() % 4;
    case 1: return near + rnd() % 1024 - 512;
    case 2: return near;
    default: return rnd();
    }
}

static void attack(struct tb_ring *r, uint32_t slots)
{
    uint32_t *words[] = { &r->prod, &r->cons, &r->prod_wait, &r->cons_wait, &r->slot_count, &r->slot_size,
                          &r->magic };
    for (unsigned n = rnd() % 4; n > 0; n--) {
        uint32_t *w = words[rnd() % (sizeof words / sizeof words[0])];
        *w = scribble(*w);
    }
    if (rnd() % 2)
        tb_ring_slot(r, slots - 1, rnd())->len = scribble(100);
}

static int hostile(uint64_t rounds, unsigned seed)
{
    const uint32_t slots = 64;
    struct tb_ring *r0 = new_ring(slots), *r1 = new_ring(slots);
    static struct side us;
    static uint8_t frame[TB_SHM_FRAME_MAX], got[TB_SHM_FRAME_MAX];
    make_side(&us, "victim", r0, r1, slots);
    srandom(seed);
    uint64_t written = 0, read = 0;
    for (uint64_t i = 0; i < rounds; i++) {
        attack(r0, slots); /* the ring we write: its consumer index and flags are the peer's */
        attack(r1, slots); /* the ring we read: producer index, lengths, flags */
        for (unsigned k = rnd() % 8; k > 0 && tb_peer_med_can_send(&us.p); k--, written++)
            tb_peer_med_write(&us.p, frame, 60 + rnd() % (TB_SHM_FRAME_MAX - 60));
        long len;
        for (unsigned k = rnd() % 8; k > 0 && (len = tb_peer_med_read(&us.p, got, sizeof got)) >= 0; k--, read++)
            if (len == 0 || len > TB_SHM_FRAME_MAX) {
                fprintf(stderr, "a frame of %ld bytes passed\n", len);
                return 1;
            }
        tb_peer_med_publish(&us.p);
        int stay;
        tb_peer_med_prepare_sleep(&us.p, (int)(rnd() % 2), &stay);
        tb_peer_med_end_sleep(&us.p);
        tb_peer_med_service(&us.p, 0);
    }
    printf("{\"written\": %llu, \"read\": %llu, \"corrupt\": %llu}\n", (unsigned long long)written,
           (unsigned long long)read, (unsigned long long)us.p.peer_corrupt);
    return us.p.peer_corrupt > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "flow"))
        return flow(strtoull(argv[2], NULL, 0), (uint32_t)strtoul(argv[3], NULL, 0));
    if (argc == 4 && !strcmp(argv[1], "hostile"))
        return hostile(strtoull(argv[2], NULL, 0), (unsigned)strtoul(argv[3], NULL, 0));
    fprintf(stderr, "usage: peer_mediate_harness flow FRAMES SLOTS | hostile ROUNDS SEED\n");
    return 2;
}
