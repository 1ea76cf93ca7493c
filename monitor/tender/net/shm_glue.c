/* shm_glue.c: what the vCPU thread's hypercalls need from shmstream (attach state, POLL wakeups); the shmstream module's counters. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "args.h"
#include "log.h"
#include "module.h"
#include "net.h"
#include "shm.h"

static const struct shm_nic *by_handle(const struct shm_state *s, uint64_t handle)
{
    for (unsigned i = 0; i < s->count; i++)
        if (s->nics[i].handle == handle)
            return &s->nics[i];
    return NULL;
}

int tb_shm_attached(const struct tb_vm *vm, uint64_t handle)
{
    if (vm->shm && tb_peer_handle(vm->shm, handle))
        return 1;
    const struct shm_nic *n = vm->shm ? by_handle(vm->shm, handle) : NULL;
    return n && __atomic_load_n(&n->attached, __ATOMIC_ACQUIRE);
}

/*
 * The guest sleeps in POLL with its RX rings' cons_wait flags set; the IO
 * thread writes wake_fd when it publishes into such a ring. An attached NIC's
 * TAP leaves the POLL set: it belongs to the IO thread, and waking the guest on
 * a frame that is not in its ring yet would cost it a useless exit.
 */
void tb_shm_poll_sync(struct tb_vm *vm, int epoll_fd)
{
    struct shm_state *s = vm->shm;
    if (s)
        tb_peer_poll_sync(s, epoll_fd);
    if (!s || !s->count)
        return;
    if (!s->poll_wake_added) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TB_SHM_WAKE_TOKEN };
        if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, s->wake_fd, &ev) < 0)
            tb_die_errno("epoll_ctl (shmstream wake)");
        s->poll_wake_added = 1;
    }
    for (unsigned i = 0; i < s->count; i++) {
        struct shm_nic *n = &s->nics[i];
        if ((s->poll_removed >> n->handle) & 1 || !__atomic_load_n(&n->attached, __ATOMIC_ACQUIRE))
            continue;
        if (epoll_ctl(epoll_fd, EPOLL_CTL_DEL, n->nic->fd, NULL) < 0 && errno != ENOENT)
            tb_die_errno("epoll_ctl (shmstream TAP)");
        s->poll_removed |= 1ULL << n->handle;
    }
}

void tb_shm_poll_woken(struct tb_vm *vm)
{
    uint64_t v;
    /* Read only after the wait: a wakeup that raced with the guest's entry into POLL must not be lost. */
    if (vm->shm && read(vm->shm->wake_fd, &v, sizeof v) < 0 && errno != EAGAIN)
        tb_warn("shmstream: reading the wake eventfd: %s", strerror(errno));
}

uint64_t tb_shm_ready_set(const struct tb_vm *vm)
{
    const struct shm_state *s = vm->shm;
    uint64_t set = s ? tb_peer_ready_set(s) : 0;
    for (unsigned i = 0; s && i < s->count; i++) {
        const struct shm_nic *n = &s->nics[i];
        if (!__atomic_load_n(&n->attached, __ATOMIC_ACQUIRE))
            continue;
        /* Racy by nature (the IO thread moves on): a hint, and the guest re-checks its ring. */
        uint32_t prod = __atomic_load_n(&n->rx.r->prod, __ATOMIC_ACQUIRE);
        uint32_t cons = __atomic_load_n(&n->rx.r->cons, __ATOMIC_ACQUIRE);
        if (prod != cons)
            set |= 1ULL << n->handle;
    }
    return set;
}

static const char *mode_name(enum tb_shm_mode m)
{
    return m == TB_SHM_MODE_POLL ? "poll" : m == TB_SHM_MODE_EVENT ? "event" : "hybrid";
}

/* `"shmstream": {...},` (nothing without shmstream). */
static void stats(const struct tb_vm *vm, FILE *f)
{
    const struct shm_state *s = vm->shm;
    if (!s)
        return;
    fprintf(f, "  \"shmstream\": {\"mode\": \"%s\", \"slots\": %u, \"guest_spin_us\": %llu, \"io_idle_us\": %llu, "
               "\"budget\": %u, \"wake_frames_max\": %u, \"wake_us\": %u, \"io_sleeps\": %llu, "
               "\"io_wakeups\": %llu, \"io_spin_wins\": %llu, \"io_spin_ns\": %llu, \"nics\": {",
            mode_name(s->mode), s->slots, (unsigned long long)(s->guest_spin_ns / 1000),
            (unsigned long long)(s->io_idle_ns / 1000), s->budget, vm->cfg->shm.wake_frames, vm->cfg->shm.wake_us,
            (unsigned long long)s->io_sleeps, (unsigned long long)s->io_wakeups,
            (unsigned long long)s->io_spin_wins, (unsigned long long)s->io_spin_ns);
    for (unsigned i = 0; i < s->count; i++) {
        const struct shm_nic *n = &s->nics[i];
        const struct tb_shm_nic_desc *d = &s->hdr->nic[n->handle];
        /* Guest-written counters are reported as the guest claims them, never used for anything else. */
        fprintf(f,
                "%s\"net%u\": {\"attached\": %s, \"rx_ring_full\": %llu, \"doorbells\": %llu, "
                "\"guest_wakeups\": %llu, \"guest_wakeups_suppressed\": %llu, \"tx_errors\": %llu, "
                "\"guest_kicks\": %llu, \"guest_kicks_suppressed\": %llu, \"vnet\": %s, \"csum_lazy\": %s, "
                "\"rx_tap_reads\": %llu, \"rx_gso_frames\": %llu, \"rx_gso_dropped\": %llu, "
                "\"wakes_by_count\": %llu, \"wakes_by_time\": %llu, \"wake_frames\": %u, \"tx_gso_frames\": %llu}",
                i ? ", " : "", n->handle, n->attached ? "true" : "false", (unsigned long long)n->st.rx_ring_full,
                (unsigned long long)n->st.doorbells, (unsigned long long)n->st.notify_sent,
                (unsigned long long)n->st.notify_suppressed, (unsigned long long)n->st.tx_errors,
                (unsigned long long)__atomic_load_n(&d->guest_kicks, __ATOMIC_RELAXED),
                (unsigned long long)__atomic_load_n(&d->guest_kicks_suppressed, __ATOMIC_RELAXED),
                n->nic->vnet ? "true" : "false", n->csum_lazy ? "true" : "false",
                (unsigned long long)n->st.rx_tap_reads, (unsigned long long)n->st.rx_gso_frames,
                (unsigned long long)n->st.rx_gso_dropped, (unsigned long long)n->st.wakes_by_count,
                (unsigned long long)n->st.wakes_by_time, n->wake_frames, (unsigned long long)n->st.tx_gso_frames);
    }
    fprintf(f, "}},\n");
    tb_peer_stats(s, f);
}

const struct tb_module tb_module_shmstream = {
    .name = "shmstream",
    .stats = stats,
};
