/* uring.c: a batch of frames written to a TAP with one system call (an io_uring of writes) instead of a write each. */
#include <errno.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wire.h"

#define URING_ENTRIES 128 /* one batch's frames (two per frame read, with duplicates) fit in one submission */

static void *ring_field(void *ring, __u32 offset)
{
    return (char *)ring + offset;
}

int wire_uring_init(struct wire_uring *u)
{
    struct io_uring_params params = { 0 };
    u->fd = -1;
    int fd = (int)syscall(__NR_io_uring_setup, URING_ENTRIES, &params);
    if (fd < 0)
        return -1;
    if (!(params.features & IORING_FEAT_SINGLE_MMAP)) {
        close(fd);
        errno = ENOSYS;
        return -1;
    }
    size_t sq_size = params.sq_off.array + params.sq_entries * sizeof(__u32);
    size_t cq_size = params.cq_off.cqes + params.cq_entries * sizeof(struct io_uring_cqe);
    size_t ring_size = sq_size > cq_size ? sq_size : cq_size;
    void *ring = mmap(NULL, ring_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
    void *sqes = mmap(NULL, params.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
    if (ring == MAP_FAILED || sqes == MAP_FAILED) {
        int why = errno;
        close(fd);
        errno = why;
        return -1;
    }
    *u = (struct wire_uring){
        .fd = fd, .entries = params.sq_entries, .sqes = sqes,
        .sq_tail = ring_field(ring, params.sq_off.tail), .sq_mask = *(__u32 *)ring_field(ring, params.sq_off.ring_mask),
        .cq_head = ring_field(ring, params.cq_off.head), .cq_tail = ring_field(ring, params.cq_off.tail),
        .cq_mask = *(__u32 *)ring_field(ring, params.cq_off.ring_mask), .cqes = ring_field(ring, params.cq_off.cqes),
    };
    __u32 *array = ring_field(ring, params.sq_off.array);
    for (unsigned i = 0; i < params.sq_entries; i++)
        array[i] = i; /* slot i always holds entry i: entries are filled in ring order */
    return 0;
}

/* `count` reads or writes of frames[i] (at most the ring's size) in one system call; results[i]: what each moved
 * (a negative errno when it failed). Returns -1 when the ring itself failed. */
static int submit(struct wire_uring *u, __u8 opcode, int fd, const struct iovec *frames, unsigned count, int *results)
{
    unsigned tail = atomic_load_explicit((_Atomic unsigned *)u->sq_tail, memory_order_relaxed);
    for (unsigned i = 0; i < count; i++)
        u->sqes[(tail + i) & u->sq_mask] = (struct io_uring_sqe){
            .opcode = opcode, .fd = fd, .off = (__u64)-1, .addr = (__u64)(uintptr_t)frames[i].iov_base,
            .len = (__u32)frames[i].iov_len, .user_data = i,
            .rw_flags = opcode == IORING_OP_READ ? RWF_NOWAIT : 0 }; /* an empty TAP: -EAGAIN, not a wait for it */
    atomic_store_explicit((_Atomic unsigned *)u->sq_tail, tail + count, memory_order_release);
    for (unsigned done = 0; done < count;) {
        int r = (int)syscall(__NR_io_uring_enter, u->fd, done == 0 ? count : 0, count - done, IORING_ENTER_GETEVENTS,
                             NULL, 0);
        if (r < 0 && errno != EINTR)
            return -1;
        unsigned head = *u->cq_head, end = atomic_load_explicit((_Atomic unsigned *)u->cq_tail, memory_order_acquire);
        for (; head != end; head++, done++) {
            const struct io_uring_cqe *cqe = &u->cqes[head & u->cq_mask];
            results[cqe->user_data] = cqe->res;
        }
        atomic_store_explicit((_Atomic unsigned *)u->cq_head, head, memory_order_release);
    }
    return 0;
}

/* Up to the ring's size at once; returns how many did not leave whole. */
static unsigned write_some(struct wire_uring *u, int fd, const struct iovec *frames, unsigned count)
{
    int results[URING_ENTRIES];
    if (submit(u, IORING_OP_WRITE, fd, frames, count, results) < 0)
        return count; /* not expected: the frames are counted as dropped */
    unsigned failed = 0;
    for (unsigned i = 0; i < count; i++)
        failed += results[i] < 0 || (size_t)results[i] != frames[i].iov_len;
    return failed;
}

unsigned wire_uring_write(struct wire_uring *u, int fd, const struct iovec *frames, unsigned count)
{
    unsigned failed = 0;
    for (unsigned at = 0; at < count; at += u->entries)
        failed += write_some(u, fd, frames + at, count - at < u->entries ? count - at : u->entries);
    return failed;
}

unsigned wire_uring_read(struct wire_uring *u, int fd, struct iovec *frames, unsigned count)
{
    int results[URING_ENTRIES];
    if (count > u->entries)
        count = u->entries;
    if (submit(u, IORING_OP_READ, fd, frames, count, results) < 0)
        return 0;
    unsigned got = 0;
    for (unsigned i = 0; i < count; i++) { /* a read that found the queue empty can sit between two that did not */
        if (results[i] < 0 && results[i] != -EAGAIN)
            u->reads_refused = true; /* a failed read takes no frame: the next batch reads them one by one */
        if (results[i] > 0) {
            frames[got].iov_base = frames[i].iov_base;
            frames[got++].iov_len = (size_t)results[i];
        }
    }
    return got;
}
