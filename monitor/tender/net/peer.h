/* peer.h: shm links: a NIC whose rings live in a memfd shared with another monitor's guest, so frames go guest to guest. */
#ifndef TB_PEER_H
#define TB_PEER_H

#include <stdint.h>
#include <stdio.h>

#include "tb_ring.h"

struct tb_config;
struct tb_nic;
struct shm_state;
struct tb_vm;

/*
 * The orchestrator makes, per link, one memfd holding two rings (ring 0 then ring 1,
 * each TB_PEER_RING_SPAN bytes), two eventfds and a socketpair, and passes them
 * inherited: --net-shm:NAME=MEMFD,DOORBELL,WAKE,SOCK,SIDE[,MTU].
 *   side 0 transmits on ring 0 and receives on ring 1; side 1 the reverse.
 *   DOORBELL: bound with KVM_IOEVENTFD to this guest's doorbell for NAME, so the
 *             kernel signals the peer's WAKE (the same eventfd) with no exit here.
 *   WAKE:     the peer's doorbell; our guest sleeping in POLL wakes on it.
 *   SOCK:     our end of a socketpair: it hangs up when the peer process dies.
 */
struct tb_peer_arg {
    int memfd, doorbell_fd, wake_fd, sock_fd;
    unsigned side;
    unsigned mtu;
};

/* Bytes of one ring of a shm link with `slots` slots, page-aligned (the memfd holds two). */
#define TB_PEER_RING_SPAN(slots) ((TB_RING_BYTES(slots) + 4095ULL) & ~4095ULL)

/* --net-shm:SPEC (after the colon): adds the device to cfg->nets, marked as a peer; dies with a one-line reason. */
void tb_peer_parse(struct tb_config *cfg, const char *spec, const char *arg);
const struct tb_peer_arg *tb_peer_arg(int index);
/* net.c's open hook for a peer NIC: no TAP; the fd POLL waits on is the WAKE eventfd. */
void tb_peer_open(struct tb_nic *nic);

/* State of one shm link in this monitor (in struct shm_state's peers[]). */
struct shm_peer {
    struct tb_nic *nic;
    unsigned handle;
    const struct tb_peer_arg *arg;
    struct tb_ring *tx, *rx;     /* host addresses of our guest's rings (inside the shared mapping) */
    uint32_t slots;
    uint32_t down;               /* atomic: the peer hung up */
    uint32_t drained_to;         /* link down: the TX producer index we discarded up to */
    uint64_t down_drops;         /* link down: frames our guest sent that nobody will read */
    uint64_t down_corrupt;       /* link down: producer indices out of range (ignored) */
    uint64_t wakeups;            /* link down: our guest woken after we freed its TX ring */
};

/* shm_setup.c's hook: map the link's memfd over this NIC's two rings at host address `rings` (rx then tx). */
void tb_peer_map(struct shm_state *s, struct shm_peer *p, uint8_t *rings, uint64_t span);
/* Binds each link's doorbell (KVM_IOEVENTFD on the peer's wake eventfd). */
void tb_peer_bind(struct shm_state *s);
/* Starts the thread that watches every link's socket and serves links whose peer died. */
void tb_peer_start(struct shm_state *s);
/* The vCPU thread's POLL set: each link's wake eventfd edge-triggered (never read: an edge per peer kick). */
void tb_peer_poll_sync(struct shm_state *s, int epoll_fd);
/* Handles whose RX ring on an shm link holds frames (a hint for POLL's ready set). */
uint64_t tb_peer_ready_set(const struct shm_state *s);
/* 1 when `handle` is an shm link: the NET hypercalls are refused on it (there is no TAP). */
int tb_peer_handle(const struct shm_state *s, uint64_t handle);
/* `"shm_links": {...}, ` inside the shmstream stats (nothing without links). */
void tb_peer_stats(const struct shm_state *s, FILE *f);

#endif /* TB_PEER_H */
