/* tb-capture: captures one kernel interface (in a network namespace) into pcapng with a packet socket's mmap ring. */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
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

struct options {
    const char *netns, *ifname, *out, *label;
    uint64_t file_bytes, files, snaplen, count;
};

static void usage(void)
{
    fprintf(stderr,
            "usage: tb-capture --if=IFNAME -w PATH|- [--netns=NAME] [--name=LABEL] [--size=BYTES] [--files=N]\n"
            "                  [--snaplen=BYTES] [--count=N]\n"
            "Captures every frame IFNAME sends or receives into pcapng (ns timestamps; '-': standard output).\n"
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
    if (!strcmp(o.out, "-") && o.files > 1)
        usage_error("--files: a stream ('-w -') is not a ring of files");
    return o;
}

/* A TPACKET_V3 ring on a packet socket bound to ifname: every protocol, both directions. */
static int open_ring(const char *ifname, uint8_t **ring)
{
    unsigned ifindex = if_nametoindex(ifname);
    if (!ifindex)
        runtime_error("no interface %s here", ifname);
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0)
        runtime_error("packet socket: %s", strerror(errno));
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

/* Writes the frames of one retired block, at most `limit` (--count: exactly that many in all); returns how many. */
static uint64_t drain_block(struct tb_pcapng *w, struct tpacket_block_desc *block, uint64_t limit)
{
    struct tpacket3_hdr *h = (struct tpacket3_hdr *)((uint8_t *)block + block->hdr.bh1.offset_to_first_pkt);
    uint32_t n = block->hdr.bh1.num_pkts < limit ? block->hdr.bh1.num_pkts : (uint32_t)limit;
    for (uint32_t i = 0; i < n; i++) {
        const struct sockaddr_ll *sll = (const void *)((uint8_t *)h + TPACKET_ALIGN(sizeof *h));
        enum tb_pcapng_dir dir = sll->sll_pkttype == PACKET_OUTGOING ? TB_PCAPNG_OUT : TB_PCAPNG_IN;
        uint64_t ts = (uint64_t)h->tp_sec * 1000000000ull + h->tp_nsec;
        /* tp_snaplen bytes are in the ring; tp_len is the frame's size on the wire */
        tb_pcapng_write(w, ts, (uint8_t *)h + h->tp_mac, h->tp_snaplen, dir);
        h = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
    }
    return n;
}

static void report(int fd, struct tb_pcapng *w)
{
    struct tpacket_stats_v3 st = { 0 };
    socklen_t len = sizeof st;
    getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len);
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
    if (o.netns)
        enter_netns(o.netns);
    uint8_t *ring;
    int fd = open_ring(o.ifname, &ring);
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
    for (unsigned next = 0; !o.count || seen < o.count;) {
        /* Asked to stop: frames already taken are in a block the kernel retires within its timeout; wait for it. */
        if (stop_requested && !stop_seen)
            stop_seen = now_ns();
        if (stop_seen && now_ns() - stop_seen > STOP_GRACE_NS)
            break;
        struct tpacket_block_desc *block = (void *)(ring + (size_t)next * BLOCK_BYTES);
        if (!(__atomic_load_n(&block->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
            struct pollfd p = { .fd = fd, .events = POLLIN };
            int got = poll(&p, 1, stop_seen ? 5 : IDLE_POLL_MS);
            if (got == 0 && tb_pcapng_flush(w) < 0)
                break; /* a stream's reader went away */
            if (got > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL)) && !(p.revents & POLLIN))
                break; /* the interface is gone */
            continue;
        }
        seen += drain_block(w, block, o.count ? o.count - seen : UINT64_MAX);
        __atomic_store_n(&block->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
        next = (next + 1) % BLOCK_COUNT;
        if (tb_pcapng_flush(w) < 0) {
            status = !strcmp(o.out, "-") ? 0 : TOOL_EXIT_RUNTIME; /* a closed pipe ends a stream normally */
            break;
        }
    }
    report(fd, w);
    tb_pcapng_close(w);
    return status;
}
