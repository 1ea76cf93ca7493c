/* impair_harness: drives the impairment engine (monitor/impair) with a synthetic packet flow and prints what left.
 *
 * impair_harness COUNT LEN INTERVAL_NS [key=value ...] [set_at=INDEX key=value ...]
 * Frame i (LEN bytes, its index in the 8 bytes after a 14-byte header) arrives at i * INTERVAL_NS; the engine is
 * drained as time advances. Keys: seed link dir loss delay jitter dist(0 uniform, 1 normal) rate limit reorder
 * duplicate corrupt ge p r lossgood lossbad down (probabilities in ppm, times in ns, rate in bit/s).
 * `set_at=INDEX` starts a second configuration applied just before frame INDEX arrives; `chatter=N` sends an ARP
 * frame before every Nth frame (left out of the output).
 * Prints one JSON object: counters, and per frame out (index, delay ns, corrupted bits) when COUNT <= 20000.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impair.h"

#define HEADER 14
#define MAX_LEN 9216
#define MAX_LISTED 20000

struct out {
    uint64_t index, delay_ns;
    unsigned flipped_bits;
};

static struct out outs[4 * MAX_LISTED];
static size_t nouts;

static uint64_t arrival_ns_of_index(uint64_t index, uint64_t interval)
{
    return index * interval;
}

static unsigned popcount_diff(const uint8_t *a, const uint8_t *b, size_t len)
{
    unsigned bits = 0;
    for (size_t i = 0; i < len; i++)
        bits += (unsigned)__builtin_popcount(a[i] ^ b[i]);
    return bits;
}

/* The index three times: a bit flipped in one copy is outvoted by the other two. */
static void make_frame(uint8_t *frame, size_t len, uint64_t index)
{
    memset(frame, 0xa5, len);
    frame[0] = 0x02;                   /* a unicast destination */
    frame[12] = 0x08, frame[13] = 0x00; /* IPv4 */
    for (int copy = 0; copy < 3; copy++)
        memcpy(frame + HEADER + 8 * copy, &index, sizeof(index));
}

static uint64_t index_of(const uint8_t *frame)
{
    uint64_t a, b, c;
    memcpy(&a, frame + HEADER, 8);
    memcpy(&b, frame + HEADER + 8, 8);
    memcpy(&c, frame + HEADER + 16, 8);
    return (a & b) | (a & c) | (b & c); /* bitwise majority */
}

static void record(const uint8_t *frame, size_t len, uint64_t now, uint64_t interval, uint64_t count)
{
    uint8_t clean[MAX_LEN];
    if (frame[12] == 0x08 && frame[13] == 0x06)
        return; /* chatter */
    uint64_t index = index_of(frame);
    if (count > MAX_LISTED || nouts >= sizeof(outs) / sizeof(outs[0]))
        return;
    make_frame(clean, len, index);
    outs[nouts++] = (struct out){ .index = index, .delay_ns = now - arrival_ns_of_index(index, interval),
                                  .flipped_bits = popcount_diff(clean, frame, len) };
}

static int apply_key(struct tb_impair_config *c, uint64_t *link, unsigned *dir, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq)
        return -1;
    size_t n = (size_t)(eq - arg);
    uint64_t v = strtoull(eq + 1, NULL, 0);
#define KEY(name) (n == strlen(name) && strncmp(arg, name, n) == 0)
    if (KEY("seed")) c->seed = v;
    else if (KEY("link")) *link = v;
    else if (KEY("dir")) *dir = (unsigned)v;
    else if (KEY("loss")) c->loss_ppm = (uint32_t)v;
    else if (KEY("delay")) c->delay_ns = v;
    else if (KEY("jitter")) c->jitter_ns = v;
    else if (KEY("dist")) c->jitter_dist = (enum tb_jitter_dist)v;
    else if (KEY("rate")) c->rate_bps = v;
    else if (KEY("limit")) c->limit = (uint32_t)v;
    else if (KEY("reorder")) c->reorder_ppm = (uint32_t)v;
    else if (KEY("duplicate")) c->duplicate_ppm = (uint32_t)v;
    else if (KEY("corrupt")) c->corrupt_ppm = (uint32_t)v;
    else if (KEY("ge")) c->ge = v != 0;
    else if (KEY("p")) c->ge_p_ppm = (uint32_t)v;
    else if (KEY("r")) c->ge_r_ppm = (uint32_t)v;
    else if (KEY("lossgood")) c->ge_loss_good_ppm = (uint32_t)v;
    else if (KEY("lossbad")) c->ge_loss_bad_ppm = (uint32_t)v;
    else if (KEY("down")) c->down = v != 0;
    else return -1;
#undef KEY
    return 0;
}

/* Everything due up to now leaves, each frame at its own due time (as a relay woken by its timer sends it). */
static void drain(struct tb_impair *e, uint64_t now, uint64_t interval, uint64_t count)
{
    uint8_t buf[MAX_LEN];
    size_t len;
    for (uint64_t due; (due = tb_impair_next_due(e)) <= now;)
        while ((len = tb_impair_pop(e, due, buf, sizeof(buf))) > 0)
            record(buf, len, due, interval, count);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: impair_harness COUNT LEN INTERVAL_NS [key=value ...] [set_at=INDEX key=value ...]\n");
        return 2;
    }
    uint64_t count = strtoull(argv[1], NULL, 0), interval = strtoull(argv[3], NULL, 0);
    size_t len = strtoull(argv[2], NULL, 0);
    if (len < HEADER + 24 || len > MAX_LEN)
        return 2;
    struct tb_impair_config first = { 0 }, second = { 0 };
    struct tb_impair_config *c = &first;
    uint64_t link = 1, set_at = UINT64_MAX, chatter = 0;
    unsigned dir = 0;
    for (int i = 4; i < argc; i++) {
        if (strncmp(argv[i], "chatter=", 8) == 0) {
            chatter = strtoull(argv[i] + 8, NULL, 0);
        } else if (strncmp(argv[i], "set_at=", 7) == 0) {
            set_at = strtoull(argv[i] + 7, NULL, 0);
            second.seed = first.seed;
            c = &second;
        } else if (apply_key(c, &link, &dir, argv[i]) < 0) {
            fprintf(stderr, "bad argument %s\n", argv[i]);
            return 2;
        }
    }
    struct tb_impair *e = tb_impair_new(&first, link, dir);
    if (!e)
        return 1;
    uint8_t frame[MAX_LEN];
    for (uint64_t i = 0; i < count; i++) {
        uint64_t now = arrival_ns_of_index(i, interval);
        drain(e, now, interval, count);
        if (i == set_at)
            tb_impair_set(e, &second);
        if (chatter && i % chatter == 0) { /* an ARP frame in between, as a kernel sends them */
            make_frame(frame, len, i);
            frame[0] = 0xff, frame[13] = 0x06;
            int copies = tb_impair_push(e, frame, len, now);
            (void)copies; /* left unrecorded: record() skips ARP */
        }
        make_frame(frame, len, i);
        int copies = tb_impair_push(e, frame, len, now);
        for (int k = 0; k < copies; k++)
            record(frame, len, now, interval, count);
        drain(e, now, interval, count);
    }
    /* Let everything still queued leave (the hold timeout releases a last held frame). */
    uint64_t now = arrival_ns_of_index(count, interval);
    while (tb_impair_queued(e)) {
        uint64_t due = tb_impair_next_due(e);
        now = due > now ? due : now;
        drain(e, now, interval, count);
    }
    const struct tb_impair_counters *k = tb_impair_counters(e);
    printf("{\"received\": %" PRIu64 ", \"sent\": %" PRIu64 ", \"dropped\": %" PRIu64 ", \"down_drops\": %" PRIu64
           ", \"queue_drops\": %" PRIu64 ", \"delayed\": %" PRIu64 ", \"duplicated\": %" PRIu64
           ", \"reordered\": %" PRIu64 ", \"corrupted\": %" PRIu64 ", \"bytes_sent\": %" PRIu64
           ", \"end_ns\": %" PRIu64 ", \"out\": [",
           k->received, k->sent, k->dropped, k->down_drops, k->queue_drops, k->delayed, k->duplicated, k->reordered,
           k->corrupted, k->bytes_sent, now);
    for (size_t i = 0; i < nouts; i++)
        printf("%s[%" PRId64 ", %" PRIu64 ", %u]", i ? ", " : "",
               outs[i].index == UINT64_MAX ? (int64_t)-1 : (int64_t)outs[i].index, outs[i].delay_ns,
               outs[i].flipped_bits);
    printf("]}\n");
    tb_impair_free(e);
    return 0;
}
