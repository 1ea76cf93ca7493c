/* pcapng.h: a small pcapng writer (one interface per file, ns timestamps) with an optional ring of size-bounded files. */
#ifndef TB_PCAPNG_H
#define TB_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Usage (the monitor's NICs, tb-capture and the wire relay share it):
 *
 *   struct tb_pcapng_opts o = { .ifname = "guest:service0", .file_bytes = 16 << 20, .files = 4 };
 *   struct tb_pcapng *w = tb_pcapng_open("/path/x.pcapng", &o, err, sizeof err);   // "-": stdout, streamed
 *   tb_pcapng_write(w, tb_pcapng_now(), frame, len, TB_PCAPNG_OUT);                  // once per frame
 *   tb_pcapng_flush(w);                                                              // when idle (optional)
 *   tb_pcapng_close(w);                                                              // flushes
 *
 * Every file opens with a Section Header Block and one Interface Description
 * Block (LINKTYPE_ETHERNET, if_name, if_tsresol=9: timestamps in ns since the
 * epoch), then one Enhanced Packet Block per frame (with epb_flags giving the
 * direction when known). A bounded regular file (file_bytes > 0) is mapped at
 * open and each block built straight in its pages; while the writer is on it
 * the file runs up to 16 MiB (blocks reserved) past its frames, and it is cut
 * to what it holds when the writer leaves it: a file being written is complete
 * once the writer moved on or closed it (a process killed outright leaves
 * zeros after the last block).
 * Other writes go through a 1 MiB buffer, flushed when full, when the oldest
 * buffered frame is older than flush_ns, or on tb_pcapng_flush.
 *
 * A ring (files > 1, not for "-"): the files PATH with the index before its
 * extension (x.0.pcapng ... x.N-1.pcapng) are all created at open, each a valid
 * empty capture; when the current one would pass file_bytes the next is
 * truncated and reused. After open the writer only needs pwrite, write,
 * ftruncate and fallocate on descriptors it already holds (it opens and maps
 * nothing later), so a process may confine itself with seccomp once its
 * captures are open.
 * Thread safety: none; callers that write one capture from two threads lock.
 */

enum tb_pcapng_dir { TB_PCAPNG_UNKNOWN = 0, TB_PCAPNG_IN = 1, TB_PCAPNG_OUT = 2 };

struct tb_pcapng_opts {
    const char *ifname;   /* the interface's name in the capture (if_name); required */
    uint32_t snaplen;     /* bytes kept per frame; 0: 65535 */
    uint64_t file_bytes;  /* a file is rotated before it would pass this; 0: no limit */
    unsigned files;       /* files in the ring; 0 or 1: a single file (then file_bytes caps it: later frames dropped) */
    uint64_t flush_ns;    /* flush when the oldest buffered frame is this old; 0: 200 ms */
};

struct tb_pcapng_stats {
    uint64_t packets, bytes;   /* frames and frame bytes written (before truncation to snaplen) */
    uint64_t dropped;          /* frames not written: a full single file, a frame larger than a file, a write error */
    uint64_t rotations;
};

struct tb_pcapng;

/* Opens PATH ("-": standard output) and writes the headers. NULL with a one-line reason in err on failure. */
struct tb_pcapng *tb_pcapng_open(const char *path, const struct tb_pcapng_opts *opts, char *err, size_t errlen);
/* Opens a capture on an already open descriptor (a pipe or socket: streamed, never rotated); the fd is then ours. */
struct tb_pcapng *tb_pcapng_open_fd(int fd, const struct tb_pcapng_opts *opts, char *err, size_t errlen);
/* Appends one frame taken at ts_ns (ns since the epoch). 0, or -1 when it was dropped (see the stats). */
int tb_pcapng_write(struct tb_pcapng *w, uint64_t ts_ns, const void *frame, uint32_t len, enum tb_pcapng_dir dir);
/* Writes out what is buffered; -1 on a write error (a reader that went away: EPIPE). */
int tb_pcapng_flush(struct tb_pcapng *w);
/* Flushes, closes every file and frees w (NULL is fine). */
void tb_pcapng_close(struct tb_pcapng *w);
const struct tb_pcapng_stats *tb_pcapng_stats(const struct tb_pcapng *w);
/* The wall clock in ns since the epoch, as pcapng timestamps want it. */
uint64_t tb_pcapng_now(void);
/* File i of a ring for PATH into out (PATH itself when files <= 1); -1 when it does not fit. */
int tb_pcapng_ring_name(char *out, size_t size, const char *path, unsigned i, unsigned files);

#endif /* TB_PCAPNG_H */
