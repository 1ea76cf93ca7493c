/* peer_watch.c: an shm link whose peer monitor died goes down: counted, and our guest's frames on it discarded so it never blocks. */
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "caps.h"
#include "json.h"
#include "log.h"
#include "net.h"
#include "peer.h"
#include "shm.h"

#define DOWN_TICK_MS 100 /* a down link is also drained this often: a guest that never kicks still gets room */

/* The counters of a link are written by the watch or the IO thread and read by --stats from another. */
static void count(uint64_t *counter, uint64_t n)
{
    __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static uint64_t counted(const uint64_t *counter)
{
    return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/*
 * Link down: we become the consumer of our guest's TX ring and discard what it
 * publishes. The producer index is the guest's (hostile): read once, accepted
 * only a ring's worth ahead, else counted and skipped. Only ring-control fields
 * of the shared mapping are touched, never slot data.
 */
static void drain_down_link(struct shm_peer *p)
{
    uint32_t prod = tb_load_acquire(&p->tx->prod);
    uint32_t n = prod - p->drained_to;
    if (n > p->slots)
        count(&p->down_corrupt, 1);
    else
        count(&p->down_drops, n);
    p->drained_to = prod;
    tb_store_release(&p->tx->cons, prod);
    tb_store_relaxed(&p->tx->cons_wait, 1); /* ask for a kick on the next publish: it reaches our doorbell fd */
    tb_fence_full();
    if (tb_take_flag(&p->tx->prod_wait)) { /* the guest sleeps on a full ring: wake it through its own wake fd */
        uint64_t one = 1;
        if (write(p->arg->wake_fd, &one, sizeof one) == sizeof one)
            count(&p->wakeups, 1);
    }
}

static void link_down(struct shm_peer *p)
{
    p->drained_to = tb_load_acquire(&p->tx->cons);
    __atomic_store_n(&p->down, 1, __ATOMIC_RELEASE);
    tb_warn("net %s: shm link down: the peer monitor is gone (frames sent on it are dropped and counted)",
            p->nic->arg->name);
    if (!p->med) {
        drain_down_link(p);
        return;
    }
    /* Mediated: the IO thread drops what our guest sends from now on; it may sleep waiting for the peer's kick
     * (room on the link), so the kick comes from here (the wake fd sits in its sleep). */
    uint64_t one = 1;
    if (write(p->arg->wake_fd, &one, sizeof one) != sizeof one)
        tb_warn("net %s: waking the IO thread: %s", p->nic->arg->name, strerror(errno));
}

static void *watch(void *arg)
{
    struct shm_state *s = arg;
    struct pollfd fds[MFT_MAX_ENTRIES];
    tb_caps_drop_this_thread();
    __atomic_store_n(&s->watch_started, 1, __ATOMIC_RELEASE);
    for (;;) {
        int any_down = 0;
        for (unsigned i = 0; i < s->npeers; i++) {
            struct shm_peer *p = &s->peers[i];
            int down = __atomic_load_n(&p->down, __ATOMIC_ACQUIRE);
            any_down |= down && !p->med;
            /* Up: the socket hangs up with the peer. Down: our guest's kicks arrive on our doorbell fd (a mediated
             * link's IO thread drops its frames itself: nothing to watch). */
            int fd = !down ? p->arg->sock_fd : p->med ? -1 : p->arg->doorbell_fd;
            fds[i] = (struct pollfd){ .fd = fd, .events = POLLIN | POLLRDHUP };
        }
        int n = poll(fds, s->npeers, any_down ? DOWN_TICK_MS : -1);
        if (n < 0 && errno != EINTR)
            tb_die_errno("shm link watch: poll");
        for (unsigned i = 0; i < s->npeers; i++) {
            struct shm_peer *p = &s->peers[i];
            if (!__atomic_load_n(&p->down, __ATOMIC_ACQUIRE)) {
                if (fds[i].revents)
                    link_down(p);
                continue;
            }
            if (p->med)
                continue;
            uint64_t v;
            if (fds[i].revents & POLLIN && read(p->arg->doorbell_fd, &v, sizeof v) < 0 && errno != EAGAIN)
                tb_warn("net %s: reading the shm link doorbell: %s", p->nic->arg->name, strerror(errno));
            drain_down_link(p);
        }
    }
    return NULL;
}

void tb_peer_start(struct shm_state *s)
{
    if (!s->npeers)
        return;
    pthread_t t;
    int err = pthread_create(&t, NULL, watch, s);
    if (err)
        tb_die("cannot start the shm link watch thread: %s", strerror(err));
    pthread_detach(t);
    /* The sandbox checks every thread's capabilities: this one must have dropped its own first. */
    while (!__atomic_load_n(&s->watch_started, __ATOMIC_ACQUIRE))
        usleep(100);
}

void tb_peer_poll_sync(struct shm_state *s, int epoll_fd)
{
    if (s->peers_polled)
        return;
    for (unsigned i = 0; i < s->npeers; i++) {
        if (s->peers[i].med) /* its wake fd is the IO thread's (and leaves this set as an attached TAP does) */
            continue;
        struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = s->peers[i].handle };
        if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, s->peers[i].arg->wake_fd, &ev) < 0)
            tb_die_errno("epoll_ctl (shm link wake)");
    }
    s->peers_polled = 1;
}

uint64_t tb_peer_ready_set(const struct shm_state *s)
{
    uint64_t set = 0;
    for (unsigned i = 0; i < s->npeers; i++) {
        const struct shm_peer *p = &s->peers[i];
        if (p->med) /* the guest's RX ring is private: tb_shm_ready_set looks at it */
            continue;
        if (__atomic_load_n(&p->rx->prod, __ATOMIC_ACQUIRE) != __atomic_load_n(&p->rx->cons, __ATOMIC_ACQUIRE))
            set |= 1ULL << p->handle;
    }
    return set;
}

int tb_peer_handle(const struct shm_state *s, uint64_t handle)
{
    for (unsigned i = 0; s && i < s->npeers; i++)
        if (s->peers[i].handle == handle)
            return 1;
    return 0;
}

/* Ring indices are the guests' own (free-running, mod 2^32): reported as they claim them. */
void tb_peer_stats(const struct shm_state *s, FILE *f)
{
    if (!s->npeers)
        return;
    fprintf(f, "  \"shm_links\": {");
    for (unsigned i = 0; i < s->npeers; i++) {
        const struct shm_peer *p = &s->peers[i];
        fprintf(f, "%s", i ? ", " : "");
        tb_json_string(f, p->nic->arg->name);
        fprintf(f,
                ": {\"handle\": %u, \"side\": %u, \"state\": \"%s\", \"tx_frames\": %u, \"rx_frames\": %u, "
                "\"tx_pending\": %u, \"rx_pending\": %u, \"guest_rx_bad\": %u, \"down_drops\": %llu, "
                "\"down_corrupt\": %llu, \"mediated\": %s, \"peer_corrupt\": %llu, \"link_kicks\": %llu}",
                p->handle, p->arg->side,
                __atomic_load_n(&p->down, __ATOMIC_ACQUIRE) ? "down" : "up",
                tb_load_relaxed(&p->tx->prod), tb_load_relaxed(&p->rx->cons),
                tb_load_relaxed(&p->tx->prod) - tb_load_relaxed(&p->tx->cons),
                tb_load_relaxed(&p->rx->prod) - tb_load_relaxed(&p->rx->cons),
                tb_load_relaxed(&s->hdr->nic[p->handle].guest_rx_bad),
                (unsigned long long)counted(&p->down_drops), (unsigned long long)counted(&p->down_corrupt),
                p->med ? "true" : "false", (unsigned long long)counted(&p->peer_corrupt),
                (unsigned long long)counted(&p->link_kicks));
    }
    fprintf(f, "},\n");
}
