/* impair.c: the link impairment engine: per-packet decisions from a counter-based generator, a FIFO delay line. */
#include "impair.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ETH_HEADER_BYTES 14
#define ETHERTYPE_ARP 0x0806

/* Frames are counted per class, so background chatter (ARP, IPv6 neighbour discovery, MLD, sent at random
 * times) never shifts the index, hence the fate, of the data frames an experiment sends. */
enum frame_class { CLASS_DATA = 0, CLASS_ARP = 1, CLASS_MULTICAST = 2, CLASSES = 3 };

/* Which decision a random value is for: each has its own stream, so adding one never shifts another. */
enum stream {
    STREAM_LOSS = 1,
    STREAM_GE_TRANSITION,
    STREAM_DUPLICATE,
    STREAM_CORRUPT,
    STREAM_CORRUPT_BIT,
    STREAM_REORDER,
    STREAM_JITTER_A,
    STREAM_JITTER_B,
};

/* A queued frame; release times never decrease along the queue, so a FIFO is time-ordered. */
struct slot {
    uint64_t due_ns;
    size_t len;
    uint8_t *frame;
};

struct tb_impair {
    struct tb_impair_config config;
    uint64_t link;
    unsigned direction;
    struct tb_impair_counters counters;
    uint64_t class_index[CLASSES]; /* the next frame's index within its class */
    bool ge_bad[CLASSES];      /* the Gilbert-Elliott state, one chain per class */
    uint64_t last_due_ns;      /* release time of the last frame queued: the next one never leaves before it */
    uint64_t wire_free_ns;     /* when the rate-limited wire finishes sending what it holds */
    struct slot held;          /* a frame held back for reordering (frame == NULL: none) */
    uint64_t held_since_ns;
    struct slot *queue;        /* ring of `capacity` slots */
    size_t capacity, head, count;
};

/* splitmix64's finaliser: a bijection with full avalanche, so consecutive counters give unrelated outputs. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

uint64_t tb_impair_random(uint64_t seed, uint64_t link, unsigned direction, uint64_t index, unsigned stream)
{
    uint64_t key = mix64(seed ^ mix64(link + 0x9e3779b97f4a7c15ull * (2 * (uint64_t)direction + 1)));
    uint64_t counter = mix64(index * 0x9e3779b97f4a7c15ull + ((uint64_t)stream << 56));
    return mix64(key ^ counter);
}

/* A packet's identity for its decisions: its class and its index within that class. */
struct packet {
    unsigned cls;
    uint64_t index;
};

static uint64_t draw(const struct tb_impair *e, struct packet pkt, unsigned stream)
{
    return tb_impair_random(e->config.seed, e->link, e->direction + 2 * pkt.cls, pkt.index, stream);
}

/* True with probability ppm / 10^6. */
static bool chance(const struct tb_impair *e, struct packet pkt, unsigned stream, uint32_t ppm)
{
    if (ppm == 0)
        return false;
    return draw(e, pkt, stream) % TB_IMPAIR_PPM < ppm;
}

static unsigned frame_class(const uint8_t *frame, size_t len)
{
    if (len < ETH_HEADER_BYTES)
        return CLASS_MULTICAST;
    if (((unsigned)frame[12] << 8 | frame[13]) == ETHERTYPE_ARP)
        return CLASS_ARP;
    return (frame[0] & 1) ? CLASS_MULTICAST : CLASS_DATA; /* the group bit of the destination address */
}

/* A uniform double in (0, 1): never 0, so log() is finite. */
static double unit_open(uint64_t bits)
{
    return ((double)(bits >> 11) + 0.5) / 9007199254740992.0;
}

static size_t limit_of(const struct tb_impair_config *c)
{
    return c->limit ? c->limit : TB_IMPAIR_DEFAULT_LIMIT;
}

struct tb_impair *tb_impair_new(const struct tb_impair_config *config, uint64_t link, unsigned direction)
{
    struct tb_impair *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->link = link;
    e->direction = direction;
    e->capacity = 64;
    e->queue = calloc(e->capacity, sizeof(*e->queue));
    if (!e->queue) {
        free(e);
        return NULL;
    }
    tb_impair_set(e, config);
    return e;
}

void tb_impair_free(struct tb_impair *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->count; i++)
        free(e->queue[(e->head + i) % e->capacity].frame);
    free(e->held.frame);
    free(e->queue);
    free(e);
}

void tb_impair_set(struct tb_impair *e, const struct tb_impair_config *config)
{
    static const struct tb_impair_config plain;
    e->config = config ? *config : plain;
    if (!e->config.ge)
        memset(e->ge_bad, 0, sizeof(e->ge_bad));
}

const struct tb_impair_config *tb_impair_get(const struct tb_impair *e)
{
    return &e->config;
}

const struct tb_impair_counters *tb_impair_counters(const struct tb_impair *e)
{
    return &e->counters;
}

size_t tb_impair_queued(const struct tb_impair *e)
{
    return e->count + (e->held.frame != NULL);
}

uint64_t tb_impair_next_due(const struct tb_impair *e)
{
    uint64_t due = e->count ? e->queue[e->head].due_ns : UINT64_MAX;
    if (e->held.frame && e->held_since_ns + TB_IMPAIR_HOLD_NS < due)
        due = e->held_since_ns + TB_IMPAIR_HOLD_NS;
    return due;
}

/* Loss decided for packet `index`: the Gilbert-Elliott state moves first, then its loss rate applies. */
static bool lost(struct tb_impair *e, struct packet pkt)
{
    const struct tb_impair_config *c = &e->config;
    if (!c->ge)
        return chance(e, pkt, STREAM_LOSS, c->loss_ppm);
    bool *bad = &e->ge_bad[pkt.cls];
    if (chance(e, pkt, STREAM_GE_TRANSITION, *bad ? c->ge_r_ppm : c->ge_p_ppm))
        *bad = !*bad;
    return chance(e, pkt, STREAM_LOSS, *bad ? c->ge_loss_bad_ppm : c->ge_loss_good_ppm);
}

static int64_t jitter_ns(const struct tb_impair *e, struct packet pkt)
{
    const struct tb_impair_config *c = &e->config;
    if (c->jitter_ns == 0)
        return 0;
    double a = unit_open(draw(e, pkt, STREAM_JITTER_A));
    if (c->jitter_dist == TB_JITTER_NORMAL) {
        double b = unit_open(draw(e, pkt, STREAM_JITTER_B));
        double gauss = sqrt(-2.0 * log(a)) * cos(2.0 * M_PI * b); /* Box-Muller */
        return (int64_t)(gauss * (double)c->jitter_ns);
    }
    return (int64_t)((2.0 * a - 1.0) * (double)c->jitter_ns);
}

/* When a frame of len bytes arriving at now leaves: delay plus jitter (never negative, never before the frame
 * ahead of it: jitter does not reorder), then its turn on a rate-limited wire. */
/* A frame ready at `ready` on a rate-limited wire leaves once its last bit is sent after those ahead of it. Every
 * copy that leaves (a duplicate, a frame held back) takes its own turn. */
static uint64_t on_the_wire(struct tb_impair *e, uint64_t ready, size_t len)
{
    const struct tb_impair_config *c = &e->config;
    if (!c->rate_bps)
        return ready;
    uint64_t start = ready > e->wire_free_ns ? ready : e->wire_free_ns;
    e->wire_free_ns = start + (uint64_t)((double)len * 8e9 / (double)c->rate_bps);
    return e->wire_free_ns;
}

static uint64_t due_time(struct tb_impair *e, struct packet pkt, size_t len, uint64_t now)
{
    const struct tb_impair_config *c = &e->config;
    int64_t delay = (int64_t)c->delay_ns + jitter_ns(e, pkt);
    uint64_t due = now + (delay > 0 ? (uint64_t)delay : 0);
    if (due < e->last_due_ns)
        due = e->last_due_ns;
    return on_the_wire(e, due, len);
}

static int grow(struct tb_impair *e)
{
    size_t capacity = e->capacity * 2;
    struct slot *queue = calloc(capacity, sizeof(*queue));
    if (!queue)
        return -1;
    for (size_t i = 0; i < e->count; i++)
        queue[i] = e->queue[(e->head + i) % e->capacity];
    free(e->queue);
    e->queue = queue;
    e->capacity = capacity;
    e->head = 0;
    return 0;
}

static int enqueue(struct tb_impair *e, const uint8_t *frame, size_t len, uint64_t due)
{
    if (e->count == e->capacity && grow(e) < 0)
        return -1;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return -1;
    memcpy(copy, frame, len);
    e->queue[(e->head + e->count) % e->capacity] = (struct slot){ .due_ns = due, .len = len, .frame = copy };
    e->count++;
    e->last_due_ns = due;
    return 0;
}

/* The held-back frame leaves with (right after) the frame released at `due`. */
static int release_held(struct tb_impair *e, uint64_t due)
{
    struct slot held = e->held;
    e->held = (struct slot){ 0 };
    int rc = enqueue(e, held.frame, held.len, on_the_wire(e, due, held.len));
    free(held.frame);
    return rc;
}

static bool must_queue(const struct tb_impair *e)
{
    const struct tb_impair_config *c = &e->config;
    return e->count || e->held.frame || c->delay_ns || c->jitter_ns || c->rate_bps;
}

int tb_impair_push(struct tb_impair *e, uint8_t *frame, size_t len, uint64_t now)
{
    const struct tb_impair_config *c = &e->config;
    e->counters.received++;
    unsigned cls = frame_class(frame, len);
    struct packet pkt = { .cls = cls, .index = e->class_index[cls]++ };
    if (c->down) {
        e->counters.down_drops++;
        return 0;
    }
    if (lost(e, pkt)) {
        e->counters.dropped++;
        return 0;
    }
    int copies = chance(e, pkt, STREAM_DUPLICATE, c->duplicate_ppm) ? 2 : 1;
    if (tb_impair_queued(e) + (size_t)copies > limit_of(c)) {
        e->counters.queue_drops++;
        return 0;
    }
    if (len > ETH_HEADER_BYTES && chance(e, pkt, STREAM_CORRUPT, c->corrupt_ppm)) {
        uint64_t bit = draw(e, pkt, STREAM_CORRUPT_BIT) % ((len - ETH_HEADER_BYTES) * 8);
        frame[ETH_HEADER_BYTES + bit / 8] ^= (uint8_t)(1u << (bit % 8));
        e->counters.corrupted++;
    }
    if (copies == 2)
        e->counters.duplicated++;
    /* Only data frames are held back, and only the next data frame releases one: chatter changes no order. */
    if (cls == CLASS_DATA && !e->held.frame && chance(e, pkt, STREAM_REORDER, c->reorder_ppm)) {
        /* Held back whole (duplicates too): it leaves right after the next data frame. */
        uint8_t *copy = malloc(len ? len : 1);
        if (!copy) {
            e->counters.queue_drops++;
            return -1;
        }
        memcpy(copy, frame, len);
        e->held = (struct slot){ .len = len, .frame = copy };
        e->held_since_ns = now;
        e->counters.reordered++;
        if (copies == 2 && enqueue(e, frame, len, due_time(e, pkt, len, now)) < 0)
            return -1;
        return 0;
    }
    if (!must_queue(e)) {
        e->counters.sent += (uint64_t)copies;
        e->counters.bytes_sent += (uint64_t)copies * len;
        return copies;
    }
    uint64_t due = due_time(e, pkt, len, now);
    for (int i = 0; i < copies; i++) {
        if (enqueue(e, frame, len, i == 0 ? due : on_the_wire(e, due, len)) < 0) {
            e->counters.queue_drops++;
            return -1;
        }
    }
    if (due > now)
        e->counters.delayed++;
    if (cls == CLASS_DATA && e->held.frame && release_held(e, due) < 0)
        return -1;
    return 0;
}

static void note_lateness(struct tb_impair *e, uint64_t late)
{
    uint64_t bucket = late / TB_IMPAIR_LATE_BUCKET_NS;
    e->counters.late_hist[bucket < TB_IMPAIR_LATE_BUCKETS ? bucket : TB_IMPAIR_LATE_BUCKETS - 1]++;
    if (late > e->counters.late_max_ns)
        e->counters.late_max_ns = late;
}

uint64_t tb_impair_late_percentile(const struct tb_impair *e, unsigned percent)
{
    uint64_t total = 0, seen = 0;
    for (unsigned i = 0; i < TB_IMPAIR_LATE_BUCKETS; i++)
        total += e->counters.late_hist[i];
    if (total == 0)
        return 0;
    for (unsigned i = 0; i < TB_IMPAIR_LATE_BUCKETS; i++) {
        seen += e->counters.late_hist[i];
        if (seen * 100 >= total * percent)
            return (uint64_t)(i + 1) * TB_IMPAIR_LATE_BUCKET_NS; /* the bucket's upper edge: never flattering */
    }
    return (uint64_t)TB_IMPAIR_LATE_BUCKETS * TB_IMPAIR_LATE_BUCKET_NS;
}

size_t tb_impair_pop(struct tb_impair *e, uint64_t now, uint8_t *buf, size_t cap)
{
    if (e->held.frame && now >= e->held_since_ns + TB_IMPAIR_HOLD_NS) {
        uint64_t due = now > e->last_due_ns ? now : e->last_due_ns;
        if (release_held(e, due) < 0)
            e->counters.queue_drops++;
    }
    if (e->count == 0 || e->queue[e->head].due_ns > now)
        return 0;
    struct slot slot = e->queue[e->head];
    e->head = (e->head + 1) % e->capacity;
    e->count--;
    size_t len = slot.len < cap ? slot.len : cap;
    memcpy(buf, slot.frame, len);
    free(slot.frame);
    note_lateness(e, now - slot.due_ns);
    e->counters.sent++;
    e->counters.bytes_sent += len;
    return len;
}
