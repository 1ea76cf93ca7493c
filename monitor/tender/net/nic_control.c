/* nic_control.c: the impairment control file: specs written at run time re-configure a NIC's engines (without
 * resetting their packet index), and the engines' counters are published for `testbed links`. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "args.h"
#include "impair.h"
#include "impair_text.h"
#include "log.h"
#include "nic_control.h"

/* The mapping, laid out once at setup; each impaired NIC gets the next slot. */
static struct tb_ctl_header *control;
static unsigned slots_used;

struct tb_nic_ctl {
    struct tb_ctl_nic *slot;
    struct tb_impair *engine[2];
    tb_nic_ctl_prepare *prepare;
    void *prepare_arg;
    uint64_t seen_generation;
    uint64_t published[2]; /* the engine's received + sent at the last publication: idle rounds publish nothing */
};

static void publish_config(struct tb_ctl_dir *d, const struct tb_impair_config *c)
{
    const uint64_t words[TB_CTL_CONFIG] = {
        c->down, c->loss_ppm, c->ge, c->ge_p_ppm, c->ge_r_ppm, c->ge_loss_good_ppm, c->ge_loss_bad_ppm, c->delay_ns,
        c->jitter_ns, c->jitter_dist == TB_JITTER_NORMAL, c->rate_bps, c->limit ? c->limit : TB_IMPAIR_DEFAULT_LIMIT,
        c->reorder_ppm, c->duplicate_ppm, c->corrupt_ppm, c->seed,
    };
    memcpy(d->config, words, sizeof words);
}

/* The seqlock's writer side: the orchestrator retries a read that saw an odd or a changed pub_seq. */
static void publish(struct tb_nic_ctl *ctl, unsigned dir, int with_config)
{
    struct tb_ctl_dir *d = &ctl->slot->dir[dir];
    const struct tb_impair *e = ctl->engine[dir];
    const struct tb_impair_counters *k = tb_impair_counters(e);
    uint64_t seq = d->pub_seq;
    __atomic_store_n(&d->pub_seq, seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    const uint64_t words[TB_CTL_COUNTERS] = { k->received, k->sent, k->dropped, k->down_drops, k->queue_drops,
                                              k->delayed, k->duplicated, k->reordered, k->corrupted, k->bytes_sent };
    memcpy(d->counters, words, sizeof words);
    d->queued = tb_impair_queued(e);
    if (with_config)
        publish_config(d, tb_impair_get(e));
    __atomic_store_n(&d->pub_seq, seq + 2, __ATOMIC_RELEASE);
    ctl->published[dir] = k->received + k->sent;
}

/* A settled spec (even sequence, unchanged while copied) is parsed from a plain wire and applied; a bad one is
 * refused and counted, the engine keeps its configuration. Returns 0 when the writer was busy (look again later). */
static int take_spec(struct tb_nic_ctl *ctl, unsigned dir)
{
    struct tb_ctl_dir *d = &ctl->slot->dir[dir];
    uint64_t seq = __atomic_load_n(&d->spec_seq, __ATOMIC_ACQUIRE);
    if (seq == d->seen_seq)
        return 1;
    if (seq & 1)
        return 0;
    char text[TB_CTL_SPEC_MAX];
    memcpy(text, d->spec, sizeof text);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&d->spec_seq, __ATOMIC_RELAXED) != seq)
        return 0;
    text[sizeof text - 1] = '\0';
    struct tb_impair_config config = { 0 };
    char why[TB_CTL_WHY_MAX];
    if (tb_impair_parse(text, &config, why, sizeof why) < 0) {
        memcpy(d->why, why, sizeof d->why);
        d->rejected++;
    } else {
        ctl->prepare(ctl->prepare_arg, dir);
        tb_impair_set(ctl->engine[dir], &config);
        d->applied++;
        publish(ctl, dir, 1);
    }
    __atomic_store_n(&d->seen_seq, seq, __ATOMIC_RELEASE);
    return 1;
}

void tb_nic_control_check(struct tb_nic_ctl *ctl)
{
    uint64_t generation = __atomic_load_n(&ctl->slot->generation, __ATOMIC_ACQUIRE);
    if (__builtin_expect(generation != ctl->seen_generation, 0)) {
        int settled = take_spec(ctl, 0);
        settled &= take_spec(ctl, 1);
        if (settled)
            ctl->seen_generation = generation;
    }
}

void tb_nic_control_service(struct tb_nic_ctl *ctl)
{
    tb_nic_control_check(ctl);
    for (unsigned dir = 0; dir < 2; dir++) {
        const struct tb_impair_counters *k = tb_impair_counters(ctl->engine[dir]);
        if (k->received + k->sent != ctl->published[dir])
            publish(ctl, dir, 0);
    }
}

void tb_nic_control_open(const struct tb_config *cfg, unsigned nics)
{
    if (!cfg->impair_control)
        return;
    size_t bytes = sizeof(struct tb_ctl_header) + (size_t)nics * sizeof(struct tb_ctl_nic);
    int fd = open(cfg->impair_control, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        tb_die_errno("--impair-control=%s", cfg->impair_control);
    if (ftruncate(fd, (off_t)bytes) < 0)
        tb_die_errno("--impair-control=%s: sizing", cfg->impair_control);
    void *map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        tb_die_errno("--impair-control=%s: mapping", cfg->impair_control);
    close(fd);
    memset(map, 0, bytes);
    control = map;
    control->version = TB_CTL_VERSION;
    control->nics = nics;
    control->nic_bytes = sizeof(struct tb_ctl_nic);
    control->header_bytes = sizeof(struct tb_ctl_header);
}

struct tb_nic_ctl *tb_nic_control_attach(const char *name, const char *const spec[2], struct tb_impair *const engine[2],
                                         tb_nic_ctl_prepare *prepare, void *arg)
{
    if (!control)
        return NULL;
    struct tb_nic_ctl *ctl = tb_xcalloc(1, sizeof *ctl);
    ctl->prepare = prepare;
    ctl->prepare_arg = arg;
    ctl->slot = (struct tb_ctl_nic *)(control + 1) + slots_used++;
    snprintf(ctl->slot->name, sizeof ctl->slot->name, "%s", name);
    for (unsigned dir = 0; dir < 2; dir++) {
        ctl->engine[dir] = engine[dir];
        snprintf(ctl->slot->dir[dir].spec, TB_CTL_SPEC_MAX, "%s", spec[dir] ? spec[dir] : "");
        publish(ctl, dir, 1);
    }
    if (slots_used == control->nics) /* the last NIC: the file is live */
        __atomic_store_n(&control->magic, TB_CTL_MAGIC, __ATOMIC_RELEASE);
    return ctl;
}
