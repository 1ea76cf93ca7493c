/* wire.h: the relay's state (its two ends, an engine per direction) shared by tb-wire and its control socket. */
#ifndef TB_WIRE_H
#define TB_WIRE_H

#include <limits.h>
#include <liburing.h>
#include <linux/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "impair.h"

#define MAX_FRAME 65536

struct port {
    const char *spec;
    char ifname[IFNAMSIZ];
    char netns[NAME_MAX + 1];
    bool packet; /* AF_PACKET socket rather than TAP */
    int fd;
    unsigned reads_ahead; /* reads asked of a TAP at once: grows while they all find a frame */
    uint64_t write_errors;
};

#define WIRE_RT_PRIORITY 1 /* the lowest real-time priority: above normal tasks, below the kernel's own */

/* How the relay sleeps between frames (pace.c). */
struct wire_pace {
    bool realtime_allowed;   /* --realtime=1 and not yet taken: taken at the first sign of work */
    bool realtime;           /* running at WIRE_RT_PRIORITY under SCHED_RR */
    uint64_t window_start;   /* the current window of the polling budget */
    uint64_t spun_ns;        /* polled without sleeping in it */
    uint64_t spinning_since; /* the last poll that did not sleep began here; 0: the last one could sleep */
    unsigned busy_batches;   /* batches in a row that left more waiting */
    uint64_t pauses;         /* pauses taken after a batch */
};

/* Frames read from and written to a TAP in batches with one system call (uring.c). */
struct wire_uring {
    struct io_uring ring;
    int fd;              /* the ring's fd; -1: not available, a system call per frame */
    bool reads_refused;  /* the kernel refused a non-blocking read of a TAP through the ring: read() from then on */
    unsigned entries;
};

struct wire {
    struct port ends[2];
    struct tb_impair *dir[2]; /* dir[0]: a -> b, dir[1]: b -> a */
    const char *link;
    const char *stats_path;
    int control_fd;
    struct wire_pace pace;
    struct wire_uring uring;
};

/* The configuration, counters and lateness of both directions as one JSON object. */
void wire_stats_json(FILE *out, const struct wire *w);

/* Accept one client on the control socket, answer its one command line, close it. */
void wire_serve_control(struct wire *w);

/* No timer slack; with `realtime`, SCHED_RR from the first sign of work on (a note on stderr if the kernel refuses:
 * the relay then stays a normal task). */
void wire_pace_init(struct wire_pace *p, bool realtime);

/* How long the next wait for the ends may sleep (NULL: until a frame arrives), given when the next queued frame is due
 * (UINT64_MAX: none). Zero in the last stretch before it, within a budget of time spent polling so. */
const struct timespec *wire_pace_timeout(struct wire_pace *p, uint64_t due, uint64_t now, struct timespec *ts);

/* Set up the ring (-1 when the kernel has none: the caller writes a frame at a time). */
int wire_uring_init(struct wire_uring *u);

/* Write `count` frames to the TAP `fd` in order, one system call per ring's worth; returns how many did not leave. */
struct iovec;
unsigned wire_uring_write(struct wire_uring *u, int fd, const struct iovec *frames, unsigned count);

/* Up to `count` frames read from the TAP `fd` with one system call, into frames[] in order (each iov_base a buffer of
 * iov_len bytes; on return the first ones hold the frames read); returns how many. */
unsigned wire_uring_read(struct wire_uring *u, int fd, struct iovec *frames, unsigned count);

/* After a turn that relayed `relayed` frames (`due`: when the next held frame is due): the real-time priority at the
 * first sign of work; at a real-time priority, a short sleep when the ends are empty (or after
 * a long run of batches), so frames are taken in batches rather than one per wake-up. */
void wire_pace_after_batch(struct wire_pace *p, struct pollfd ends[2], unsigned relayed, uint64_t due);

#endif
