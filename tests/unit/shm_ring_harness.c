/* shm_ring_harness.c: host test of the shmstream ring: a "guest" thread (tb_ring.h cursors) against the monitor's validating side (shm_ring.c). */
/*
 * Usage:
 *   shm_ring_harness flow tx|rx FRAMES SLOTS START SPIN
 *       Two real threads move FRAMES frames of varying length through one ring
 *       of SLOTS slots whose indices start at START (near 2^32 to cover the
 *       wrap of the free-running counters). Both sides sleep on an eventfd when
 *       they have spun SPIN times without progress, using the ring's wait flags,
 *       so lost wakeups show up as a hang (the Python driver has a timeout).
 *       Every frame's length, sequence number and tail byte are checked.
 *       Prints one JSON line.
 *   shm_ring_harness corrupt CASE
 *       Corrupts one guest-written field and prints the monitor's error; exits 0
 *       only when the corruption was detected (and nothing was read out of bounds).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "shm_ring.h"

static struct tb_ring *ring;
static struct shm_ring mon;
static uint32_t slots, start;
static uint64_t frames, spin;
static int guest_efd, mon_efd;    /* wake the guest / wake the monitor */
static uint64_t guest_sleeps, mon_sleeps, guest_kicks, mon_kicks;

static void die(const char *msg)
{
    fprintf(stderr, "harness: %s\n", msg);
    exit(2);
}

static void wake(int fd)
{
    uint64_t one = 1;
    if (write(fd, &one, 8) != 8)
        die("eventfd write");
}

static void sleep_on(int fd)
{
    uint64_t v;
    if (read(fd, &v, 8) != 8)
        die("eventfd read");
}

static uint32_t frame_len(uint64_t seq)
{
    return 9 + (uint32_t)((seq * 2654435761u) % (TB_SHM_FRAME_MAX - 8)); /* 9 .. FRAME_MAX: seq and tail apart */
}

static void fill(uint8_t *p, uint64_t seq, uint32_t len)
{
    memcpy(p, &seq, 8);
    p[len - 1] = (uint8_t)(seq * 31 + 7);
}

static void check(const uint8_t *p, uint64_t seq, uint32_t len)
{
    uint64_t got;
    if (len != frame_len(seq)) {
        fprintf(stderr, "harness: frame %llu: length %u, expected %u\n", (unsigned long long)seq, len,
                frame_len(seq));
        exit(1);
    }
    memcpy(&got, p, 8);
    if (got != seq || p[len - 1] != (uint8_t)(seq * 31 + 7)) {
        fprintf(stderr, "harness: frame %llu: content mismatch (seq %llu)\n", (unsigned long long)seq,
                (unsigned long long)got);
        exit(1);
    }
}

static void mon_fail(void)
{
    fprintf(stderr, "harness: monitor side: %s\n", mon.err);
    exit(1);
}

/* ---- TX: the guest produces, the monitor consumes ---- */

static void *guest_tx(void *arg)
{
    (void)arg;
    struct tb_ring_cursor c;
    tb_cursor_init(&c, ring, slots, 1);
    uint64_t seq = 0, idle = 0;
    while (seq < frames) {
        struct tb_slot *s = tb_prod_next(&c);
        if (!s) {
            if (c.local != tb_load_relaxed(&ring->prod) && tb_prod_publish(&c))
                guest_kicks++, wake(mon_efd);
            if (++idle < spin)
                continue;
            if (!tb_prod_prepare_sleep(&c))
                guest_sleeps++, sleep_on(guest_efd);
            idle = 0;
            continue;
        }
        idle = 0;
        s->len = frame_len(seq);
        fill(s->data, seq, s->len);
        tb_prod_fill(&c);
        seq++;
        if ((seq & 7) == 0 || seq == frames) /* publish in batches, as solo5_net_flush does */
            if (tb_prod_publish(&c))
                guest_kicks++, wake(mon_efd);
    }
    return NULL;
}

static void mon_tx(void)
{
    uint64_t seq = 0, idle = 0;
    while (seq < frames) {
        uint32_t avail;
        int notify, stay;
        if (shm_ring_avail(&mon, &avail) < 0)
            mon_fail();
        if (avail == 0) {
            if (++idle < spin)
                continue;
            if (shm_ring_cons_prepare_sleep(&mon, &stay) < 0)
                mon_fail();
            if (!stay) {
                mon_sleeps++;
                sleep_on(mon_efd);
                shm_ring_cons_end_sleep(&mon);
            }
            idle = 0;
            continue;
        }
        idle = 0;
        for (uint32_t i = 0; i < avail; i++) {
            const uint8_t *data;
            uint32_t len;
            if (shm_ring_cons_frame(&mon, &data, &len) < 0)
                mon_fail();
            check(data, seq++, len);
            shm_ring_cons_next(&mon);
        }
        if (shm_ring_cons_publish(&mon, &notify) < 0)
            mon_fail();
        if (notify)
            mon_kicks++, wake(guest_efd);
    }
}

/* ---- RX: the monitor produces, the guest consumes ---- */

static void *guest_rx(void *arg)
{
    (void)arg;
    struct tb_ring_cursor c;
    tb_cursor_init(&c, ring, slots, 0);
    uint64_t seq = 0, idle = 0;
    while (seq < frames) {
        struct tb_slot *s = tb_cons_peek(&c);
        if (!s) {
            if (++idle < spin)
                continue;
            if (!tb_cons_prepare_sleep(&c))
                guest_sleeps++, sleep_on(guest_efd);
            idle = 0;
            continue;
        }
        idle = 0;
        uint32_t len = __atomic_load_n(&s->len, __ATOMIC_RELAXED);
        if (len > TB_SHM_FRAME_MAX)
            die("guest: bad length from the monitor");
        check(s->data, seq++, len);
        if (tb_cons_release(&c))
            guest_kicks++, wake(mon_efd);
    }
    return NULL;
}

static void mon_rx(void)
{
    uint64_t seq = 0, idle = 0;
    while (seq < frames) {
        uint32_t space;
        int notify, stay;
        if (shm_ring_space(&mon, &space) < 0)
            mon_fail();
        if (space == 0) {
            if (++idle < spin)
                continue;
            if (shm_ring_prod_prepare_sleep(&mon, &stay) < 0)
                mon_fail();
            if (!stay) {
                mon_sleeps++;
                sleep_on(mon_efd);
                shm_ring_prod_end_sleep(&mon);
            }
            idle = 0;
            continue;
        }
        idle = 0;
        for (uint32_t i = 0; i < space && seq < frames && i < 32; i++) { /* batches, as the IO thread reads */
            uint32_t len = frame_len(seq);
            fill(shm_ring_prod_buf(&mon), seq++, len);
            shm_ring_prod_fill(&mon, len);
        }
        if (shm_ring_prod_publish(&mon, &notify) < 0)
            mon_fail();
        if (notify)
            mon_kicks++, wake(guest_efd);
    }
}

static int flow(const char *dir)
{
    pthread_t t;
    struct timespec a, b;
    int tx = !strcmp(dir, "tx");
    guest_efd = eventfd(0, 0);
    mon_efd = eventfd(0, 0);
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (pthread_create(&t, NULL, tx ? guest_tx : guest_rx, NULL))
        die("pthread_create");
    if (tx)
        mon_tx();
    else
        mon_rx();
    pthread_join(t, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    printf("{\"dir\":\"%s\",\"frames\":%llu,\"seconds\":%.3f,\"frames_per_s\":%.0f,\"guest_sleeps\":%llu,"
           "\"monitor_sleeps\":%llu,\"guest_kicks\":%llu,\"monitor_kicks\":%llu,\"final_index\":%u}\n",
           dir, (unsigned long long)frames, s, frames / s, (unsigned long long)guest_sleeps,
           (unsigned long long)mon_sleeps, (unsigned long long)guest_kicks, (unsigned long long)mon_kicks,
           tb_load_relaxed(&ring->cons));
    return 0;
}

/* ---- corruption: each case breaks one guest-written field ---- */

static int expect_error(int rc)
{
    if (rc == 0) {
        fprintf(stderr, "harness: corruption not detected\n");
        return 1;
    }
    printf("%s\n", mon.err);
    return 0;
}

static int corrupt(const char *what)
{
    uint32_t n;
    int notify;
    if (!strcmp(what, "tx-prod-jump")) { /* producer claims more frames than the ring holds */
        ring->prod = start + slots + 1;
        return expect_error(shm_ring_avail(&mon, &n));
    }
    if (!strcmp(what, "tx-prod-back")) { /* producer index moves backwards */
        ring->prod = start + 4;
        if (shm_ring_avail(&mon, &n) < 0 || n != 4)
            die("setup");
        ring->prod = start + 2;
        return expect_error(shm_ring_avail(&mon, &n));
    }
    if (!strcmp(what, "tx-len-zero") || !strcmp(what, "tx-len-huge")) {
        ring->slot[start & (slots - 1)].len = what[7] == 'z' ? 0 : 0x7fffffff;
        ring->prod = start + 1;
        const uint8_t *d;
        if (shm_ring_avail(&mon, &n) < 0 || n != 1)
            die("setup");
        return expect_error(shm_ring_cons_frame(&mon, &d, &n));
    }
    if (!strcmp(what, "tx-len-mtu")) { /* longer than the NIC's frame limit, though it fits the slot */
        ring->slot[start & (slots - 1)].len = 1515;
        ring->prod = start + 1;
        const uint8_t *d;
        if (shm_ring_avail(&mon, &n) < 0 || n != 1)
            die("setup");
        return expect_error(shm_ring_cons_frame(&mon, &d, &n));
    }
    if (!strcmp(what, "tx-flag")) { /* a wait flag that is neither 0 nor 1 */
        ring->prod = start + 1;
        ring->slot[start & (slots - 1)].len = 60;
        const uint8_t *d;
        if (shm_ring_avail(&mon, &n) < 0 || shm_ring_cons_frame(&mon, &d, &n) < 0)
            die("setup");
        shm_ring_cons_next(&mon);
        ring->prod_wait = 0xdead;
        return expect_error(shm_ring_cons_publish(&mon, &notify));
    }
    if (!strcmp(what, "rx-cons-jump")) { /* consumer claims frames we never published */
        shm_ring_prod_fill(&mon, 60);
        if (shm_ring_prod_publish(&mon, &notify) < 0)
            die("setup");
        ring->cons = start + 2;
        return expect_error(shm_ring_space(&mon, &n));
    }
    if (!strcmp(what, "rx-cons-back")) {
        shm_ring_prod_fill(&mon, 60);
        shm_ring_prod_fill(&mon, 60);
        if (shm_ring_prod_publish(&mon, &notify) < 0)
            die("setup");
        ring->cons = start + 2;
        if (shm_ring_space(&mon, &n) < 0 || n != slots)
            die("setup");
        ring->cons = start + 1;
        return expect_error(shm_ring_space(&mon, &n));
    }
    if (!strcmp(what, "rx-flag")) {
        ring->cons_wait = 2;
        shm_ring_prod_fill(&mon, 60);
        return expect_error(shm_ring_prod_publish(&mon, &notify));
    }
    die("unknown corruption case");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        die("usage: flow tx|rx FRAMES SLOTS START SPIN | corrupt CASE");
    int is_flow = !strcmp(argv[1], "flow");
    slots = is_flow && argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 0) : 64;
    start = is_flow && argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 0) : 0xfffffff0u;
    frames = is_flow ? strtoull(argv[3], NULL, 0) : 0;
    spin = is_flow && argc > 6 ? strtoull(argv[6], NULL, 0) : 1000;
    if (slots < TB_SHM_MIN_SLOTS || slots > TB_SHM_MAX_SLOTS || (slots & (slots - 1)))
        die("SLOTS must be a power of two in range");
    /* Guard pages around the ring would be nicer; the check here is that indices are masked and lengths bounded. */
    ring = aligned_alloc(4096, TB_RING_BYTES(slots));
    if (!ring)
        die("out of memory");
    shm_ring_init(&mon, ring, slots, is_flow ? TB_SHM_FRAME_MAX : 1514, start, "net0 test");
    return is_flow ? flow(argv[2]) : corrupt(argv[2]);
}
