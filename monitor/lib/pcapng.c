/* pcapng.c: writes pcapng sections (SHB, one IDB with ns timestamps, EPBs) through a buffer or a file mapping, into a
 * file, a ring or a stream. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pcapng.h"

#define BLOCK_SHB 0x0A0D0D0Au
#define BLOCK_IDB 0x00000001u
#define BLOCK_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define LINKTYPE_ETHERNET 1
#define OPT_END 0
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9
#define OPT_EPB_FLAGS 2
#define TSRESOL_NS 9 /* 10^-9 s */
#define DEFAULT_SNAPLEN 65535u
#define DEFAULT_FLUSH_NS 200000000ull
/* Holds the largest EPB (64 KiB of frame) whole. 1 MiB rather than 128 KiB: each pwrite into ext4's page cache has a
 * fixed cost (locks, timestamps, dirty accounting) that at flood rates was a quarter of the writer's CPU. */
#define BUFFER_BYTES (1024u * 1024u)
#define HEADER_MAX 512u
#define RING_MAX 64u
#define IFNAME_MAX 128u
/* How far ahead of the frames a mapped file's blocks are reserved: a large bound does not take its disk space at once. */
#define RESERVE_BYTES (16u * 1024u * 1024u)

struct tb_pcapng {
    int fds[RING_MAX];
    unsigned files, cur;
    int stream;              /* a pipe or stdout: write(), never rotated */
    uint8_t *map[RING_MAX];  /* a bounded file's pages, written in place (none: through buf and pwrite) */
    uint64_t off;            /* bytes already in the current file */
    uint64_t length[RING_MAX]; /* each file's length when the writer last left it (a reused one's, past off: older frames) */
    uint32_t snaplen;
    uint64_t file_bytes, flush_ns;
    uint64_t oldest_ts;      /* of the first frame in buf */
    struct tb_pcapng_stats st;
    uint32_t header_len;
    uint8_t header[HEADER_MAX];
    uint32_t used, buffered; /* bytes and frames in buf */
    uint64_t buffered_len;   /* those frames' own lengths (the stats' bytes) */
    uint8_t buf[BUFFER_BYTES];
};

static uint32_t pad4(uint32_t n)
{
    return (n + 3u) & ~3u;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4); /* host order: the SHB's byte-order magic tells readers which */
    return p + 4;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, 2);
    return p + 2;
}

static uint8_t *put_option(uint8_t *p, uint16_t code, const void *value, uint16_t len)
{
    p = put16(p, code);
    p = put16(p, len);
    memcpy(p, value, len);
    memset(p + len, 0, pad4(len) - len);
    return p + pad4(len);
}

/* Writes the block's total length at its start and end, given where its body ended. */
static uint8_t *close_block(uint8_t *start, uint8_t *end)
{
    uint32_t total = (uint32_t)(end - start) + 4;
    put32(start + 4, total);
    return put32(end, total);
}

static uint32_t build_header(uint8_t *out, const char *ifname, uint32_t snaplen)
{
    static const char appl[] = "testbed";
    uint8_t *p = put32(out, BLOCK_SHB), *shb = out;
    p = put32(p, 0);
    p = put32(p, BYTE_ORDER_MAGIC);
    p = put16(p, 1);
    p = put16(p, 0);
    p = put32(p, 0xffffffffu); /* section length -1: not known */
    p = put32(p, 0xffffffffu);
    p = put_option(p, OPT_SHB_USERAPPL, appl, sizeof appl - 1);
    p = put32(p, OPT_END);
    p = close_block(shb, p);

    uint8_t *idb = p, tsresol = TSRESOL_NS;
    p = put32(p, BLOCK_IDB);
    p = put32(p, 0);
    p = put16(p, LINKTYPE_ETHERNET);
    p = put16(p, 0);
    p = put32(p, snaplen);
    p = put_option(p, OPT_IF_NAME, ifname, (uint16_t)strlen(ifname));
    p = put_option(p, OPT_IF_TSRESOL, &tsresol, 1);
    p = put32(p, OPT_END);
    p = close_block(idb, p);
    return (uint32_t)(p - out);
}

static int write_all(int fd, const uint8_t *data, size_t len, int stream, uint64_t off)
{
    while (len) {
        ssize_t n = stream ? write(fd, data, len) : pwrite(fd, data, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* Cuts the current file at what it holds now when it is longer (a reused file's older frames past the new ones; a
 * mapped file's unwritten rest). */
static int cut_stale_tail(struct tb_pcapng *w)
{
    unsigned i = w->cur;
    uint64_t was = w->length[i];
    w->length[i] = w->off;
    return w->stream || was <= w->off ? 0 : ftruncate(w->fds[i], (off_t)w->off);
}

static void unmap_all(struct tb_pcapng *w)
{
    for (unsigned i = 0; i < RING_MAX; i++) {
        if (w->map[i])
            munmap(w->map[i], w->file_bytes);
        w->map[i] = NULL;
    }
}

/* A mapped file is extended with its blocks reserved (fallocate) up to `end` (at most RESERVE_BYTES past the frames,
 * within file_bytes) before a store reaches those pages: a store into a page with no block on a full disk would be
 * SIGBUS, not an error. When reserving fails the writer goes on through its buffer. */
static void reserve_mapped(struct tb_pcapng *w, unsigned i, uint64_t end)
{
    if (end > w->file_bytes)
        end = w->file_bytes;
    if (!w->map[i] || w->length[i] >= end)
        return;
    if (fallocate(w->fds[i], 0, (off_t)w->length[i], (off_t)(end - w->length[i])) < 0) {
        unmap_all(w);
        /* ext4 keeps what a refused reservation got before the disk filled, the file's size with it: given back, or
         * the buffer's writes would find the disk full and the file would end in zeros */
        if (ftruncate(w->fds[i], (off_t)w->length[i]) < 0)
            w->length[i] = UINT64_MAX; /* cut when the writer leaves it, then */
        return;
    }
    w->length[i] = end;
}

/* Starts file `i` of the ring afresh with its headers. A reused file is overwritten in place rather than emptied
 * first: emptying frees its blocks and page cache only for the next frames to allocate them again, which costs
 * more than the frames' copy at flood rates; what is left of its older frames is cut when the writer leaves it. */
static int restart_file(struct tb_pcapng *w, unsigned i, int reuse)
{
    if (reuse && cut_stale_tail(w) < 0)
        return -1;
    w->cur = i;
    w->off = 0;
    reserve_mapped(w, i, (uint64_t)w->header_len + RESERVE_BYTES);
    if (w->map[i])
        memcpy(w->map[i], w->header, w->header_len);
    else if (write_all(w->fds[i], w->header, w->header_len, w->stream, 0) < 0 && !reuse)
        return -1; /* a reused file still starts with these very headers, written at open: its frames go after them */
    w->off = w->header_len;
    return 0;
}

/* Maps every file of a bounded ring (or single file) before any frame: the frames are then built in the page cache
 * itself, which saves the copy into buf, the one from buf into the page cache and the write calls (together most of
 * a capture's cost at flood rates). Mapping happens here, at open, as a process confined later may not map files. */
static void map_files(struct tb_pcapng *w)
{
    if (w->stream || !w->file_bytes)
        return; /* a stream cannot be mapped; an unbounded file would need the mapping to grow */
    for (unsigned i = 0; i < w->files; i++) {
        void *m = mmap(NULL, w->file_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, w->fds[i], 0);
        if (m == MAP_FAILED) {
            unmap_all(w);
            return;
        }
        w->map[i] = m;
        w->length[i] = w->header_len;
    }
    reserve_mapped(w, 0, (uint64_t)w->header_len + RESERVE_BYTES);
}

int tb_pcapng_ring_name(char *out, size_t size, const char *path, unsigned i, unsigned files)
{
    if (files <= 1)
        return (size_t)snprintf(out, size, "%s", path) < size ? 0 : -1;
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    if (!dot || (slash && dot < slash) || dot == (slash ? slash + 1 : path))
        dot = path + strlen(path);
    int n = snprintf(out, size, "%.*s.%u%s", (int)(dot - path), path, i, dot);
    return n >= 0 && (size_t)n < size ? 0 : -1;
}

static struct tb_pcapng *new_writer(const struct tb_pcapng_opts *o, char *err, size_t errlen)
{
    if (!o->ifname || !o->ifname[0] || strlen(o->ifname) >= IFNAME_MAX) {
        snprintf(err, errlen, "capture: an interface name of 1..%u characters is required", IFNAME_MAX - 1);
        return NULL;
    }
    if (o->files > RING_MAX) {
        snprintf(err, errlen, "capture: at most %u files in a ring (asked for %u)", RING_MAX, o->files);
        return NULL;
    }
    struct tb_pcapng *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "capture: out of memory");
        return NULL;
    }
    w->snaplen = o->snaplen && o->snaplen < DEFAULT_SNAPLEN ? o->snaplen : DEFAULT_SNAPLEN;
    w->file_bytes = o->file_bytes;
    w->flush_ns = o->flush_ns ? o->flush_ns : DEFAULT_FLUSH_NS;
    w->files = o->files ? o->files : 1;
    w->header_len = build_header(w->header, o->ifname, w->snaplen);
    if (w->file_bytes && w->file_bytes < w->header_len + 64u)
        w->file_bytes = w->header_len + 64u; /* room for the headers and at least a small frame */
    for (unsigned i = 0; i < RING_MAX; i++)
        w->fds[i] = -1;
    return w;
}

struct tb_pcapng *tb_pcapng_open_fd(int fd, const struct tb_pcapng_opts *opts, char *err, size_t errlen)
{
    struct tb_pcapng *w = new_writer(opts, err, errlen);
    if (!w)
        return NULL;
    w->stream = 1;
    w->files = 1;
    w->file_bytes = 0; /* a stream is bounded by its reader */
    w->fds[0] = fd;
    if (restart_file(w, 0, 0) < 0) {
        snprintf(err, errlen, "capture: cannot write to the stream: %s", strerror(errno));
        free(w);
        return NULL;
    }
    return w;
}

/* Read and write, as a shared mapping needs, unless PATH is a FIFO or a device: opened for reading as well, a FIFO
 * would not wait for its reader (Wireshark) nor report when it left. */
static int open_flags(const char *name)
{
    struct stat st;
    int regular = stat(name, &st) < 0 ? errno == ENOENT : S_ISREG(st.st_mode);
    return (regular ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC | O_CLOEXEC;
}

struct tb_pcapng *tb_pcapng_open(const char *path, const struct tb_pcapng_opts *opts, char *err, size_t errlen)
{
    if (!strcmp(path, "-"))
        return tb_pcapng_open_fd(STDOUT_FILENO, opts, err, errlen);
    struct tb_pcapng *w = new_writer(opts, err, errlen);
    if (!w)
        return NULL;
    for (unsigned i = 0; i < w->files; i++) {
        char name[4096];
        if (tb_pcapng_ring_name(name, sizeof name, path, i, w->files) < 0) {
            snprintf(err, errlen, "capture: %s: path too long", path);
            goto fail;
        }
        w->fds[i] = open(name, open_flags(name), 0644);
        struct stat st;
        if (w->fds[i] >= 0 && fstat(w->fds[i], &st) == 0 && !S_ISREG(st.st_mode)) {
            w->stream = 1; /* a FIFO (wireshark -i PATH), /dev/null: written in order, never rotated */
            w->files = 1;
            w->file_bytes = 0;
        }
        if (w->fds[i] < 0 || restart_file(w, i, 0) < 0) {
            snprintf(err, errlen, "capture: %s: %s", name, strerror(errno));
            goto fail;
        }
    }
    w->cur = 0;
    w->off = w->header_len;
    map_files(w);
    return w;
fail:
    for (unsigned i = 0; i < w->files; i++)
        if (w->fds[i] >= 0)
            close(w->fds[i]);
    free(w);
    return NULL;
}

/* A write error (a full disk) loses the buffered frames, counted as dropped; the file stays whole: the next frames go
 * where these would have, and whatever part of these reached the file past them is cut when the writer leaves it. */
int tb_pcapng_flush(struct tb_pcapng *w)
{
    if (!w->used)
        return 0;
    int rc = write_all(w->fds[w->cur], w->buf, w->used, w->stream, w->off);
    if (rc == 0 || w->stream) {
        w->off += w->used;
    } else {
        w->st.packets -= w->buffered;
        w->st.bytes -= w->buffered_len;
        w->st.dropped += w->buffered;
        if (w->length[w->cur] < w->off + w->used)
            w->length[w->cur] = w->off + w->used;
    }
    w->used = 0;
    w->buffered = 0;
    w->buffered_len = 0;
    return rc;
}

/* Whether a block of `len` more bytes would push the current file past its bound; rotates a ring if so. A block
 * larger than a file holds after its headers is refused before any rotation: the next file could not take it either,
 * and a mapped file has no page past its bound to build it in. */
static int make_room(struct tb_pcapng *w, uint32_t len)
{
    if (!w->file_bytes || w->off + w->used + len <= w->file_bytes)
        return 0;
    if (w->files == 1 || w->header_len + (uint64_t)len > w->file_bytes)
        return -1; /* a single file is full; or this frame alone is larger than a file */
    if (tb_pcapng_flush(w) < 0 || restart_file(w, (w->cur + 1) % w->files, 1) < 0)
        return -1;
    w->st.rotations++;
    return 0;
}

/* An Enhanced Packet Block of `cap` of the frame's `len` bytes at `start`; returns its end. */
static uint8_t *build_epb(uint8_t *start, uint64_t ts_ns, const void *frame, uint32_t cap, uint32_t len,
                          enum tb_pcapng_dir dir)
{
    uint8_t *p = start;
    p = put32(p, BLOCK_EPB);
    p = put32(p, 0);
    p = put32(p, 0); /* interface 0: the file's only one */
    p = put32(p, (uint32_t)(ts_ns >> 32));
    p = put32(p, (uint32_t)ts_ns);
    p = put32(p, cap);
    p = put32(p, len);
    memcpy(p, frame, cap);
    memset(p + cap, 0, pad4(cap) - cap);
    p += pad4(cap);
    if (dir) {
        uint32_t flags = (uint32_t)dir; /* bits 0-1: 01 inbound, 10 outbound */
        p = put_option(p, OPT_EPB_FLAGS, &flags, 4);
        p = put32(p, OPT_END);
    }
    return close_block(start, p);
}

int tb_pcapng_write(struct tb_pcapng *w, uint64_t ts_ns, const void *frame, uint32_t len, enum tb_pcapng_dir dir)
{
    uint32_t cap = len < w->snaplen ? len : w->snaplen;
    uint32_t block = 32 + pad4(cap) + (dir ? 12u : 0u);
    if (make_room(w, block) < 0 || (w->used + block > BUFFER_BYTES && tb_pcapng_flush(w) < 0)) {
        w->st.dropped++;
        return -1;
    }
    w->st.packets++;
    w->st.bytes += len;
    if (w->map[w->cur] && w->off + block > w->length[w->cur])
        reserve_mapped(w, w->cur, w->off + block + RESERVE_BYTES);
    if (w->map[w->cur]) { /* straight into the page cache: nothing to flush */
        build_epb(w->map[w->cur] + w->off, ts_ns, frame, cap, len, dir);
        w->off += block;
        return 0;
    }
    if (!w->used)
        w->oldest_ts = ts_ns;
    build_epb(w->buf + w->used, ts_ns, frame, cap, len, dir);
    w->used += block;
    w->buffered++;
    w->buffered_len += len;
    if (ts_ns - w->oldest_ts >= w->flush_ns && ts_ns >= w->oldest_ts)
        return tb_pcapng_flush(w);
    return 0;
}

void tb_pcapng_close(struct tb_pcapng *w)
{
    if (!w)
        return;
    tb_pcapng_flush(w);
    cut_stale_tail(w);
    unmap_all(w);
    for (unsigned i = 0; i < w->files; i++)
        if (w->fds[i] >= 0 && !(w->stream && w->fds[i] == STDOUT_FILENO))
            close(w->fds[i]);
    free(w);
}

const struct tb_pcapng_stats *tb_pcapng_stats(const struct tb_pcapng *w)
{
    return &w->st;
}

uint64_t tb_pcapng_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}
