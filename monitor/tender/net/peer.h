/* peer.h: shm links: a NIC whose rings live in a memfd shared with another monitor's guest, so frames go guest to guest. */
#ifndef TB_PEER_H
#define TB_PEER_H

#include <stdint.h>
#include <stdio.h>

#include "shm_ring.h"
#include "tb_ring.h"

struct tb_config;
struct tb_nic;
struct shm_state;
struct shm_nic;
struct tb_vm;
struct tb_peer_buffers;

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
    /* Mediated (the NIC has --impair or --capture): the guest's rings are private, the IO thread moves frames
     * between them and the link's rings, which only the monitor maps (net/peer_mediate.c). */
    struct shm_nic *med;         /* the NIC's private rings, served by the IO thread; NULL: direct (zero copy) */
    struct shm_ring out, in;     /* our views of the link's rings: we produce on out, consume from in */
    int out_blocked;             /* out had no room at the last look: a frame waits (the guest's or a delayed one) */
    uint64_t link_kicks;         /* wakeups sent to the peer (its guest or its IO thread) */
    uint64_t peer_corrupt;       /* indices, lengths or flags of the peer's that were refused and skipped */
    struct tb_peer_buffers *buf; /* frames while an impairment engine decides (never the shared slots) */
};

/* 1 when the NIC asked for impairment or capture: its link runs through the IO thread (mediated). */
int tb_peer_mediated(const struct tb_nic *nic);
/* shm_setup.c's hook for a mediated NIC: map the link's rings into the monitor only (not the guest). */
void tb_peer_map_link(struct shm_state *s, struct shm_peer *p);
struct tb_peer_buffers *tb_peer_buffers_new(void);

/* The IO thread's side of a mediated link (net/peer_mediate.c); the NIC's private rings stay shm_io.c's. */
/* Room on the link for the next frame of our guest's (a link that is down takes everything). */
int tb_peer_med_can_send(struct shm_peer *p);
/* One frame our guest sent (its private TX slot): through the TX engine onto the link; dropped while down. */
void tb_peer_med_write(struct shm_peer *p, const uint8_t *data, uint32_t len);
/* The next frame for our guest (copied into buf, at most cap bytes), after the RX engine; -1 when none is due. */
long tb_peer_med_read(struct shm_peer *p, uint8_t *buf, uint32_t cap);
/* After a round: publishes both link rings and kicks the peer where it waits. */
void tb_peer_med_publish(struct shm_peer *p);
/* Delayed TX frames now due go onto the link; returns ns until an engine needs us again (UINT64_MAX: never). */
uint64_t tb_peer_med_service(struct shm_peer *p, uint64_t now);
/* Frames of our guest's still held back: by a full link or by the TX engine's queue (the final drain waits for them). */
int tb_peer_med_tx_waiting(const struct shm_peer *p);
/* Before the IO thread sleeps: ask the peer for a kick (frames on in, room on out); *stay when there is work. */
void tb_peer_med_prepare_sleep(struct shm_peer *p, int rx_blocked, int *stay);
void tb_peer_med_end_sleep(struct shm_peer *p);

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
