/* shm.h: shmstream in the monitor: the --io=poll|event|hybrid modes, their state (vm->shm), and what the hypercalls ask of it. */
#ifndef TB_SHM_H
#define TB_SHM_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "peer.h"
#include "shm_ring.h"
#include "tb_ring.h"
#include "vm.h"

struct tb_nic;

/* epoll token of the guest-wake eventfd in the POLL hypercall's set (handles are < 64). */
#define TB_SHM_WAKE_TOKEN 64u

struct shm_nic_stats {
    uint64_t rx_ring_full;       /* times the IO thread found the RX ring full and stopped reading the TAP */
    uint64_t doorbells;          /* guest kicks received (ioeventfd counts) */
    uint64_t notify_sent;        /* guest wakeups: eventfd writes after publishing into a sleeping guest's ring */
    uint64_t notify_suppressed;  /* publishes that found the guest awake: no wakeup needed */
    uint64_t tx_errors;          /* TAP writes that failed */
    uint64_t wakes_by_count;     /* guest wakeups because wake_frames frames waited */
    uint64_t wakes_by_time;      /* ... because the oldest waiting frame reached --shm-wake-us */
    uint64_t tx_gso_frames;      /* TAP writes that carried a run of the guest's frames as one GSO frame */
    uint64_t rx_tap_reads;       /* reads from a vnet TAP (each may bring a GSO frame: rx_packets / rx_tap_reads per read) */
    uint64_t rx_gso_frames;      /* GSO frames split into slots */
    uint64_t rx_gso_dropped;     /* segments that found no free slot, and frames that could not be split */
};

struct shm_nic {
    struct tb_nic *nic;
    unsigned handle;
    struct shm_ring rx, tx;
    int doorbell_fd;
    uint32_t attached;           /* 1 once the guest switched to its rings (atomic: read by the vCPU thread) */
    int tap_armed;               /* TAP is in the IO thread's epoll with EPOLLIN */
    int rx_blocked;              /* RX ring was full at the last look (for a vnet TAP: had less than a GSO frame's room) */
    int csum_lazy;               /* the guest accepted TB_SHM_F_CSUM_LAZY: flagged slots may keep partial checksums */
    uint64_t wake_since;         /* when the first frame the sleeping guest has not been woken for arrived (0: none) */
    unsigned wake_frames;        /* the adaptive threshold: frames that wait before the guest is woken */
    struct shm_peer *link;       /* a mediated shm link (no TAP): frames go to and come from its rings (net/peer_mediate.c) */
    struct shm_nic_stats st;
};

struct shm_state {
    struct tb_vm *vm;
    enum tb_shm_mode mode;
    struct tb_shm_header *hdr;   /* host address of the region */
    uint64_t gpa, size;
    uint32_t slots;
    uint64_t guest_spin_ns;      /* hybrid: guest spins this long before sleeping */
    uint64_t io_idle_ns;         /* hybrid: IO thread polls this long without work before sleeping */
    unsigned budget;             /* frames per NIC and direction per round (NAPI's weight) */
    struct shm_nic nics[MFT_MAX_ENTRIES]; /* NICs on TAPs or mediated shm links, served by the IO thread */
    unsigned count;
    struct shm_peer peers[MFT_MAX_ENTRIES]; /* NICs on shm links: the peer guest is the other end (net/peer*.c) */
    unsigned npeers;
    unsigned mediated;           /* peers whose frames go through the IO thread */
    int peers_polled;            /* the POLL set holds the links' wake eventfds edge-triggered */
    int epfd;                    /* the IO thread's sleep: doorbells, TAPs, stop */
    int wake_fd;                 /* the IO thread -> the guest sleeping in POLL */
    int stop_fd;
    uint32_t stop;               /* atomic: the IO thread leaves its loop */
    uint32_t started;            /* atomic: the IO thread registered for the CPU report and dropped its capabilities */
    uint32_t watch_started;      /* atomic: the shm link watch thread dropped its capabilities */
    uint32_t parked;             /* atomic: the IO thread no longer touches guest memory */
    pthread_t thread;
    int running;                 /* atomic: set once before the IO thread starts */
    uint64_t io_sleeps, io_wakeups;
    uint64_t io_spin_wins;        /* hybrid: idle spins that work ended (they keep the spin window open) */
    uint64_t io_spin_ns;          /* hybrid: the IO thread's spin window when it stopped */
    int poll_wake_added;         /* the vCPU thread's POLL set holds wake_fd */
    uint64_t poll_removed;       /* handles whose TAP left the POLL set */
};

/* io.c's table entries. */
void tb_shm_setup_poll(struct tb_vm *vm);
void tb_shm_setup_event(struct tb_vm *vm);
void tb_shm_setup_hybrid(struct tb_vm *vm);
void tb_shm_teardown(struct tb_vm *vm);

/* shm_io.c: the IO thread's body. */
void *tb_shm_io_main(void *arg);

/* What hc_net.c and hc_poll.c ask (all cheap no-ops without shmstream: vm->shm is NULL then). */
/* 1 when `handle` moved to its rings: its NET hypercalls are refused, the TAP belongs to the IO thread. */
int tb_shm_attached(const struct tb_vm *vm, uint64_t handle);
/* Before each POLL wait: drops newly attached TAPs from the POLL set, adds the guest-wake eventfd once. */
void tb_shm_poll_sync(struct tb_vm *vm, int epoll_fd);
/* After a POLL wait returned the wake token: consume the wakeup. */
void tb_shm_poll_woken(struct tb_vm *vm);
/* Handles whose RX ring holds frames (for POLL's ready set). */
uint64_t tb_shm_ready_set(const struct tb_vm *vm);

#endif /* TB_SHM_H */
