/* uring.c: a batch of frames read from or written to a TAP with one system call (liburing) instead of one each. */
#include <errno.h>
#include <liburing.h>
#include <string.h>
#include <sys/uio.h>

#include "wire.h"

#define URING_ENTRIES 128 /* one batch's frames (two per frame read, with duplicates) fit in one submission */

int wire_uring_init(struct wire_uring *u)
{
    u->fd = -1;
    int err = io_uring_queue_init(URING_ENTRIES, &u->ring, 0);
    if (err < 0) {
        errno = -err;
        return -1;
    }
    u->fd = u->ring.ring_fd;
    u->entries = u->ring.sq.ring_entries;
    return 0;
}

/* `count` reads or writes of frames[i] (at most the ring's size) in one system call; results[i]: what each moved
 * (a negative errno when it failed). Returns -1 when the ring itself failed. */
static int submit(struct wire_uring *u, bool reading, int fd, const struct iovec *frames, unsigned count,
                  int *results)
{
    for (unsigned i = 0; i < count; i++) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring); /* never NULL: count is at most the ring's size */
        if (reading) {
            io_uring_prep_read(sqe, fd, frames[i].iov_base, (unsigned)frames[i].iov_len, (__u64)-1);
            sqe->rw_flags = RWF_NOWAIT; /* an empty TAP: -EAGAIN, not a wait for a frame */
        } else {
            io_uring_prep_write(sqe, fd, frames[i].iov_base, (unsigned)frames[i].iov_len, (__u64)-1);
        }
        io_uring_sqe_set_data64(sqe, i);
    }
    int err = io_uring_submit_and_wait(&u->ring, count);
    while (err == -EINTR)
        err = io_uring_submit_and_wait(&u->ring, count);
    if (err < 0)
        return -1;
    for (unsigned done = 0; done < count; done++) {
        struct io_uring_cqe *cqe;
        if (io_uring_wait_cqe(&u->ring, &cqe) < 0)
            return -1;
        results[io_uring_cqe_get_data64(cqe)] = cqe->res;
        io_uring_cqe_seen(&u->ring, cqe);
    }
    return 0;
}

/* Up to the ring's size at once; returns how many did not leave whole. */
static unsigned write_some(struct wire_uring *u, int fd, const struct iovec *frames, unsigned count)
{
    int results[URING_ENTRIES];
    if (submit(u, false, fd, frames, count, results) < 0)
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
    if (submit(u, true, fd, frames, count, results) < 0)
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
