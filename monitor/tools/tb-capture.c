/* tb-capture: captures one kernel interface (in a network namespace) into pcapng with a packet socket's mmap ring. */
/* With --peer-if (a veth end's peer), the end's sent frames are taken where its peer receives them, so the sender's
 * transmit path has no packet tap (no skb clone per frame); both sockets then ignore their interface's outgoing frames. */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "pcapng.h"
#include "toolutil.h"

#define BLOCK_BYTES (1u << 20)
/* 32 MiB of ring: ~25k full-size frames, ~0.2 s of a flood, so a reader the scheduler leaves waiting on a loaded
 * host catches up instead of losing frames (8 MiB lost 11-17% of a relay flood at load 4-5 on 2 cores, 32 MiB 1%). */
#define BLOCK_COUNT 32u
#define FRAME_BYTES 2048u
#define BLOCK_TIMEOUT_MS 20u /* the kernel hands over a part-filled block after this: bounded latency for streams */
#define IDLE_POLL_MS 100
#define STOP_GRACE_NS (3ull * BLOCK_TIMEOUT_MS * 1000000ull)
/* Two rings are merged in time order. A frame the other ring has not handed over yet is at most about one block
 * timeout old (the kernel retires a part-filled block then), so a frame older than this is written without waiting. */
#define MERGE_HOLD_NS (3ull * BLOCK_TIMEOUT_MS * 1000000ull)
#define HOLD_POLL_MS 5

struct options {
    const char *netns, *ifname, *out, *label, *peer_netns, *peer_ifname;
    uint64_t file_bytes, files, snaplen, count;
};

static void usage(void)
{
    fprintf(stderr,
            "usage: tb-capture --if=IFNAME -w PATH|- [--netns=NAME] [--name=LABEL] [--size=BYTES] [--files=N]\n"
            "                  [--snaplen=BYTES] [--count=N] [--peer-if=IFNAME --peer-netns=NAME]\n"
            "Captures every frame IFNAME sends or receives into pcapng (ns timestamps; '-': standard output).\n"
            "--peer-if: IFNAME is a veth whose peer is this interface (in --peer-netns): IFNAME's sent frames are taken\n"
            "as the peer receives them (no packet tap in the sender's transmit path); the two sockets' frames may be\n"
            "slightly out of time order in the file (at most one ring block, 20 ms).\n"
            "--size/--files: a ring of N files of at most BYTES each (PATH with .0, .1 ... before its extension).\n"
            "Stops on SIGINT/SIGTERM, after --count frames, or when the interface goes away.\n");
    exit(TOOL_EXIT_USAGE);
}

static struct options parse(int argc, char **argv)
{
    struct options o = { .files = 1 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "-w") && i + 1 < argc)
            o.out = argv[++i];
        else if ((v = opt_value(a, "--netns")))
            o.netns = v;
        else if ((v = opt_value(a, "--peer-netns")))
            o.peer_netns = v;
        else if ((v = opt_value(a, "--peer-if")))
            o.peer_ifname = v;
        else if ((v = opt_value(a, "--if")))
            o.ifname = v;
        else if ((v = opt_value(a, "--name")))
            o.label = v;
        else if ((v = opt_value(a, "--size")))
            o.file_bytes = parse_u64("--size", v, 4096, UINT64_MAX / 2);
        else if ((v = opt_value(a, "--files")))
            o.files = parse_u64("--files", v, 1, 64);
        else if ((v = opt_value(a, "--snaplen")))
            o.snaplen = parse_u64("--snaplen", v, 64, 65535);
        else if ((v = opt_value(a, "--count")))
            o.count = parse_u64("--count", v, 1, UINT64_MAX);
        else if (!strcmp(a, "--help"))
            usage();
        else
            usage_error("unknown argument '%s' (see --help)", a);
    }
    if (!o.ifname || !o.out)
        usage_error("--if=IFNAME and -w PATH are required (see --help)");
    if (!o.peer_ifname != !o.peer_netns)
        usage_error("--peer-if and --peer-netns go together (see --help)");
    /* The peer's namespace is entered first and never left: without --netns the end's socket would open there. */
    if (o.peer_ifname && !o.netns)
        usage_error("--peer-if needs --netns (the namespace of --if)");
    if (!strcmp(o.out, "-") && o.files > 1)
        usage_error("--files: a stream ('-w -') is not a ring of files");
    return o;
}

/* One packet socket's ring; dir is the direction of all its frames, or UNKNOWN to take it from each frame. */
struct ring {
    int fd;
    uint8_t *map;
    unsigned next;              /* the block to read (or being read) */
    enum tb_pcapng_dir dir;
    struct tpacket3_hdr *frame; /* the next frame to write in the block being read; NULL: no block taken */
    uint32_t left;              /* frames of that block not written yet */
};

/* A TPACKET_V3 ring on a packet socket bound to ifname: every protocol; both directions unless only_incoming
 * (PACKET_IGNORE_OUTGOING: the kernel then skips this socket in dev_queue_xmit_nit, before it clones the frame). */
static int open_ring(const char *ifname, const char *netns, bool only_incoming, uint8_t **ring)
{
    unsigned ifindex = if_nametoindex(ifname);
    if (!ifindex)
        runtime_error("no interface %s in namespace %s", ifname, netns ? netns : "(this one)");
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0)
        runtime_error("packet socket: %s", strerror(errno));
    int one = 1;
    if (only_incoming && setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0)
        runtime_error("PACKET_IGNORE_OUTGOING (Linux 4.20+): %s", strerror(errno));
    int version = TPACKET_V3;
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) < 0)
        runtime_error("PACKET_VERSION: %s", strerror(errno));
    struct tpacket_req3 req = {
        .tp_block_size = BLOCK_BYTES, .tp_block_nr = BLOCK_COUNT, .tp_frame_size = FRAME_BYTES,
        .tp_frame_nr = BLOCK_BYTES / FRAME_BYTES * BLOCK_COUNT, .tp_retire_blk_tov = BLOCK_TIMEOUT_MS,
    };
    if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0)
        runtime_error("PACKET_RX_RING: %s", strerror(errno));
    *ring = mmap(NULL, (size_t)BLOCK_BYTES * BLOCK_COUNT, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, fd, 0);
    if (*ring == MAP_FAILED)
        *ring = mmap(NULL, (size_t)BLOCK_BYTES * BLOCK_COUNT, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (*ring == MAP_FAILED)
        runtime_error("mmap of the packet ring: %s", strerror(errno));
    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)ifindex };
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0)
        runtime_error("bind to %s: %s", ifname, strerror(errno));
    return fd;
}

static struct tpacket_block_desc *current_block(const struct ring *ring)
{
    return (void *)(ring->map + (size_t)ring->next * BLOCK_BYTES);
}

/* The ring's next unwritten frame, taking the next block when the kernel has retired it; NULL: none handed over. */
static struct tpacket3_hdr *head(struct ring *ring)
{
    while (!ring->frame || !ring->left) {
        struct tpacket_block_desc *block = current_block(ring);
        if (ring->frame) { /* the block is written: back to the kernel */
            __atomic_store_n(&block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
            ring->next = (ring->next + 1) % BLOCK_COUNT;
            ring->frame = NULL;
            continue;
        }
        if (!(__atomic_load_n(&block->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
            return NULL;
        ring->frame = (struct tpacket3_hdr *)((uint8_t *)block + block->hdr.bh1.offset_to_first_pkt);
        ring->left = block->hdr.bh1.num_pkts;
    }
    return ring->frame;
}

static uint64_t frame_time(const struct tpacket3_hdr *h)
{
    return (uint64_t)h->tp_sec * 1000000000ull + h->tp_nsec;
}

static void write_head(struct tb_pcapng *w, struct ring *ring)
{
    struct tpacket3_hdr *h = ring->frame;
    const struct sockaddr_ll *sll = (const void *)((uint8_t *)h + TPACKET_ALIGN(sizeof *h));
    enum tb_pcapng_dir dir = ring->dir ? ring->dir : sll->sll_pkttype == PACKET_OUTGOING ? TB_PCAPNG_OUT : TB_PCAPNG_IN;
    /* tp_snaplen bytes are in the ring; tp_len is the frame's size on the wire */
    tb_pcapng_write(w, frame_time(h), (uint8_t *)h + h->tp_mac, h->tp_snaplen, dir);
    ring->frame = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
    ring->left--;
}

/* Writes handed-over frames in time order, at most limit (--count: exactly that many in all): the oldest head first;
 * a head goes before a ring with nothing handed over only when older than horizon (realtime ns, as the frames').
 * Returns how many; *held: frames are left waiting for the other ring. */
static uint64_t merge(struct tb_pcapng *w, struct ring *rings, unsigned count, uint64_t horizon, uint64_t limit,
                      bool *held)
{
    uint64_t n = 0;
    *held = false;
    while (n < limit) {
        struct ring *oldest = NULL;
        bool all = true;
        for (unsigned i = 0; i < count; i++) {
            struct tpacket3_hdr *h = head(&rings[i]);
            if (!h)
                all = false;
            else if (!oldest || frame_time(h) < frame_time(oldest->frame))
                oldest = &rings[i];
        }
        if (!oldest)
            break;
        if (!all && frame_time(oldest->frame) > horizon) {
            *held = true;
            break;
        }
        write_head(w, oldest);
        n++;
    }
    return n;
}

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Waits for a block on a ring that has none taken (a ring whose frames are held has its next blocks ready already:
 * polling it would return at once): poll's count (0: none, or a signal came), or -1 when an interface went away. */
static int wait_rings(const struct ring *rings, unsigned count, int timeout_ms)
{
    struct pollfd p[2];
    unsigned n = 0;
    for (unsigned i = 0; i < count; i++)
        if (!rings[i].frame)
            p[n++] = (struct pollfd){ .fd = rings[i].fd, .events = POLLIN };
    int got = poll(p, n, timeout_ms);
    if (got < 0)
        return 0; /* a stop signal: the caller's loop sees it */
    for (unsigned i = 0; got > 0 && i < n; i++)
        if ((p[i].revents & (POLLERR | POLLHUP | POLLNVAL)) && !(p[i].revents & POLLIN))
            return -1;
    return got;
}

static void report(const struct ring *rings, unsigned count, struct tb_pcapng *w)
{
    struct tpacket_stats_v3 st = { 0 };
    for (unsigned i = 0; i < count; i++) {
        struct tpacket_stats_v3 one = { 0 };
        socklen_t len = sizeof one;
        getsockopt(rings[i].fd, SOL_PACKET, PACKET_STATISTICS, &one, &len);
        st.tp_drops += one.tp_drops;
    }
    const struct tb_pcapng_stats *ws = tb_pcapng_stats(w);
    fprintf(stderr, "tb-capture: %llu frames written, %llu dropped by the kernel, %llu not written, %llu rotations\n",
            (unsigned long long)ws->packets, (unsigned long long)st.tp_drops, (unsigned long long)ws->dropped,
            (unsigned long long)ws->rotations);
}

int main(int argc, char **argv)
{
    tool_name = "tb-capture";
    struct options o = parse(argc, argv);
    catch_stop_signals();
    signal(SIGPIPE, SIG_IGN); /* a stream's reader going away is a write error: we then stop */
    struct ring rings[2] = { { .dir = TB_PCAPNG_UNKNOWN }, { .dir = TB_PCAPNG_OUT } };
    unsigned ring_count = o.peer_ifname ? 2 : 1;
    if (o.peer_ifname) { /* the peer's socket first: its namespace is left behind by entering the end's */
        enter_netns_of("--peer-netns", o.peer_netns);
        rings[1].fd = open_ring(o.peer_ifname, o.peer_netns, true, &rings[1].map);
        rings[0].dir = TB_PCAPNG_IN;
    }
    if (o.netns)
        enter_netns(o.netns);
    rings[0].fd = open_ring(o.ifname, o.netns, o.peer_ifname != NULL, &rings[0].map);
    char err[256];
    struct tb_pcapng_opts po = { .ifname = o.label ? o.label : o.ifname, .snaplen = (uint32_t)o.snaplen,
                                 .file_bytes = o.file_bytes, .files = (unsigned)o.files };
    struct tb_pcapng *w = tb_pcapng_open(o.out, &po, err, sizeof err);
    if (!w)
        runtime_error("%s", err);
    tb_pcapng_flush(w);
    fprintf(stderr, "tb-capture: capturing on %s\n", o.ifname);
    uint64_t seen = 0, stop_seen = 0;
    int status = 0;
    while (!o.count || seen < o.count) {
        /* Asked to stop: frames already taken are in a block the kernel retires within its timeout; wait for it. */
        if (stop_requested && !stop_seen)
            stop_seen = now_ns();
        bool last = stop_seen && now_ns() - stop_seen > STOP_GRACE_NS;
        bool held;
        uint64_t taken = merge(w, rings, ring_count, last ? UINT64_MAX : realtime_ns() - MERGE_HOLD_NS,
                               o.count ? o.count - seen : UINT64_MAX, &held);
        seen += taken;
        if (last)
            break;
        if (!taken) {
            int got = wait_rings(rings, ring_count, stop_seen || held ? HOLD_POLL_MS : IDLE_POLL_MS);
            if (got == 0 && tb_pcapng_flush(w) < 0)
                break; /* a stream's reader went away */
            if (got < 0)
                break; /* the interface is gone */
            continue;
        }
        if (tb_pcapng_flush(w) < 0) {
            status = !strcmp(o.out, "-") ? 0 : TOOL_EXIT_RUNTIME; /* a closed pipe ends a stream normally */
            break;
        }
    }
    report(rings, ring_count, w);
    tb_pcapng_close(w);
    return status;
}
