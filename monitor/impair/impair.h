/* impair.h: the link impairment engine (loss, Gilbert-Elliott bursts, delay, jitter, rate, reorder, duplicate,
 * corrupt) whose every decision is a pure function of (seed, link, direction, packet index). A packet's index
 * counts within its class (data, ARP, multicast/broadcast), so chatter never moves the data's decisions. */
#ifndef TB_IMPAIR_H
#define TB_IMPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TB_IMPAIR_PPM 1000000u        /* probabilities are parts per million */
#define TB_IMPAIR_DEFAULT_LIMIT 1000u /* packets the link holds (delay line and rate queue), as netem's limit */
#define TB_IMPAIR_HOLD_NS 50000000ull /* a packet held back for reordering leaves after this if nothing follows */
#define TB_IMPAIR_LATE_BUCKET_NS 10000u /* lateness histogram: 10 us buckets ... */
#define TB_IMPAIR_LATE_BUCKETS 1000u    /* ... up to 10 ms; later ones land in the last */

enum tb_jitter_dist { TB_JITTER_UNIFORM = 0, TB_JITTER_NORMAL = 1 };

/* One direction's impairment; all zero = a plain wire. */
struct tb_impair_config {
    bool down;                 /* every packet dropped (a link-down window) */
    uint32_t loss_ppm;         /* independent loss; ignored when ge is set */
    bool ge;                   /* Gilbert-Elliott: two states, a loss rate each, Markov transitions per packet */
    uint32_t ge_p_ppm;         /* good -> bad */
    uint32_t ge_r_ppm;         /* bad -> good */
    uint32_t ge_loss_good_ppm; /* loss in the good state */
    uint32_t ge_loss_bad_ppm;  /* loss in the bad state */
    uint64_t delay_ns;
    uint64_t jitter_ns;        /* uniform: +-jitter; normal: standard deviation */
    enum tb_jitter_dist jitter_dist;
    uint64_t rate_bps;         /* 0: unlimited */
    uint32_t limit;            /* packets held at most; 0 = TB_IMPAIR_DEFAULT_LIMIT */
    uint32_t reorder_ppm;      /* a chosen data packet is held back and leaves right after the next one */
    uint32_t duplicate_ppm;    /* a chosen packet leaves twice */
    uint32_t corrupt_ppm;      /* a chosen packet has one bit flipped past its Ethernet header */
    uint64_t seed;
};

struct tb_impair_counters {
    uint64_t received;   /* packets offered to the link */
    uint64_t sent;       /* packets that left, duplicates included */
    uint64_t dropped;    /* lost to `loss` or the Gilbert-Elliott model */
    uint64_t down_drops; /* lost while the link was down */
    uint64_t queue_drops;/* lost because the link already held `limit` packets */
    uint64_t delayed;    /* packets queued to leave later than they arrived */
    uint64_t duplicated;
    uint64_t reordered;
    uint64_t corrupted;
    uint64_t bytes_sent;
    uint64_t late_max_ns; /* the most a queued frame left after its due time (the host's scheduling) */
    uint32_t late_hist[TB_IMPAIR_LATE_BUCKETS]; /* queued frames by how late they left */
};

struct tb_impair;

/* link: a 64-bit identity of the link (e.g. a hash of its name); direction: 0 or 1. NULL on allocation failure. */
struct tb_impair *tb_impair_new(const struct tb_impair_config *config, uint64_t link, unsigned direction);
void tb_impair_free(struct tb_impair *engine);

/* Replace the configuration at run time; the packet index, the queue and the counters carry on. */
void tb_impair_set(struct tb_impair *engine, const struct tb_impair_config *config);
const struct tb_impair_config *tb_impair_get(const struct tb_impair *engine);

/* Offer one frame arriving at now_ns. Returns how many copies the caller sends right away from `frame` (which may
 * have been corrupted in place): 0 when it was dropped or queued, 1, or 2 (duplicated). Queued copies leave through
 * tb_impair_pop. -1: out of memory (the frame is counted as a queue drop). */
int tb_impair_push(struct tb_impair *engine, uint8_t *frame, size_t len, uint64_t now_ns);

/* The next queued frame due at or before now_ns: copied into buf (at most cap bytes), its length returned; 0 when
 * none is due. A frame longer than cap is cut to cap. */
size_t tb_impair_pop(struct tb_impair *engine, uint64_t now_ns, uint8_t *buf, size_t cap);

/* When the next queued frame is due (UINT64_MAX: nothing queued). */
uint64_t tb_impair_next_due(const struct tb_impair *engine);
size_t tb_impair_queued(const struct tb_impair *engine);

const struct tb_impair_counters *tb_impair_counters(const struct tb_impair *engine);

/* The lateness (ns, bucket resolution) below which `percent` of the queued frames that left so far did. */
uint64_t tb_impair_late_percentile(const struct tb_impair *engine, unsigned percent);

/* The counter-based generator: a uniformly distributed 64-bit value for (seed, link, direction, index, stream);
 * the engine passes direction + 2 * class. */
uint64_t tb_impair_random(uint64_t seed, uint64_t link, unsigned direction, uint64_t index, unsigned stream);

#endif
