/* tapread: the receive ceiling: reads frames from an existing TAP as fast as a host program can, and counts them. */
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/ioctl.h>

#include "toolutil.h"

#define FRAME_BUF 65536 /* larger than any frame a TAP without offloads hands us */
#define CLOCK_EVERY 64  /* frames between clock reads while frames keep coming */
#define NS 1000000000ull

static const char usage[] =
    "usage: tapread --tap=IF [--netns=NAME] [--seconds=S] [--count=N] [--idle=S]\n"
    "               [--busy] [--json] [--progress]\n"
    "  Opens the existing TAP IF (IFF_TAP|IFF_NO_PI; in namespace NAME when given) and\n"
    "  counts the frames the host sends into it, UDP ones apart.\n"
    "  --seconds  stop S seconds after attaching;  --count  stop after N frames\n"
    "  --idle     stop once no frame came for S seconds (after the first frame)\n"
    "             (at least one of the three is required; the first reached stops)\n"
    "  --busy     spin on non-blocking reads instead of sleeping in poll when idle\n"
    "  --json     final summary as one JSON line;  --progress  a JSON line per second\n"
    "Prints 'ready: tapread tap=IF' on stdout once attached. Exit 2 on bad arguments.\n";

struct config {
    const char *tap, *netns;
    double seconds, idle;
    uint64_t count;
    bool busy, json, progress;
};

struct counts {
    uint64_t frames, bytes, udp;
    uint64_t first_ns, last_ns; /* arrival times of the first and latest frame */
};

static void parse_args(int argc, char **argv, struct config *c)
{
    const char *v;
    *c = (struct config){ 0 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            exit(0);
        } else if ((v = opt_value(a, "--tap"))) {
            c->tap = parse_ifname("--tap", v);
        } else if ((v = opt_value(a, "--netns"))) {
            c->netns = v;
        } else if ((v = opt_value(a, "--seconds"))) {
            c->seconds = parse_seconds("--seconds", v);
        } else if ((v = opt_value(a, "--idle"))) {
            c->idle = parse_seconds("--idle", v);
        } else if ((v = opt_value(a, "--count"))) {
            c->count = parse_u64("--count", v, 1, UINT64_MAX / 2);
        } else if (strcmp(a, "--busy") == 0) {
            c->busy = true;
        } else if (strcmp(a, "--json") == 0) {
            c->json = true;
        } else if (strcmp(a, "--progress") == 0) {
            c->progress = true;
        } else {
            usage_error("unknown argument '%s' (see --help)", a);
        }
    }
    if (!c->tap)
        usage_error("--tap=IF is required");
    if (c->seconds == 0 && c->count == 0 && c->idle == 0)
        usage_error("one of --seconds=S, --count=N or --idle=S is required");
}

/* Attach to an existing TAP; TUNSETIFF alone would silently create a new one. */
static int open_tap(const char *name)
{
    if (if_nametoindex(name) == 0)
        runtime_error("--tap=%s: no such interface", name);
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        runtime_error("/dev/net/tun: %s", strerror(errno));
    struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        if (errno == EBUSY)
            runtime_error("--tap=%s: busy (another process has it open)", name);
        if (errno == EINVAL)
            runtime_error("--tap=%s: not a TAP device", name);
        runtime_error("--tap=%s: TUNSETIFF: %s", name, strerror(errno));
    }
    /* Offloads belong to the device: a monitor killed with them on would hand us 64 KiB GSO frames. */
    if (ioctl(fd, TUNSETOFFLOAD, 0UL) < 0)
        runtime_error("--tap=%s: TUNSETOFFLOAD: %s", name, strerror(errno));
    return fd;
}

static bool is_udp(const unsigned char *f, ssize_t len)
{
    if (len < 14 + 20)
        return false;
    unsigned type = (unsigned)f[12] << 8 | f[13];
    if (type == 0x0800)
        return (f[14] >> 4) == 4 && f[14 + 9] == 17;
    if (type == 0x86dd && len >= 14 + 40)
        return f[14 + 6] == 17; /* no extension headers: enough for generated traffic */
    return false;
}

static void print_progress(const struct counts *n, double secs)
{
    printf("{\"t\":%.3f,\"rx_packets\":%llu,\"rx_bytes\":%llu,\"udp_packets\":%llu}\n", secs,
           (unsigned long long)n->frames, (unsigned long long)n->bytes, (unsigned long long)n->udp);
    fflush(stdout);
}

/* The nearest moment the loop must wake up for: end of run, idle limit or progress tick. */
static uint64_t next_deadline(const struct config *c, const struct counts *n, uint64_t end,
                              uint64_t tick)
{
    uint64_t d = end;
    if (c->idle && n->frames) {
        uint64_t idle_end = n->last_ns + (uint64_t)(c->idle * 1e9);
        d = idle_end < d ? idle_end : d;
    }
    if (c->progress && tick < d)
        d = tick;
    return d;
}

/* Sleep in poll until the TAP is readable or the deadline passes. */
static void wait_readable(int fd, uint64_t now, uint64_t deadline)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    uint64_t ms = deadline > now ? (deadline - now + 999999) / 1000000 : 0;
    if (poll(&p, 1, ms > 60000 ? 60000 : (int)ms) < 0 && errno != EINTR)
        runtime_error("poll: %s", strerror(errno));
}

static void receive(int fd, const struct config *c, struct counts *n, uint64_t start)
{
    static unsigned char buf[FRAME_BUF];
    uint64_t end = c->seconds ? start + (uint64_t)(c->seconds * 1e9) : UINT64_MAX;
    uint64_t idle = (uint64_t)(c->idle * 1e9), tick = start + NS, now = start;
    unsigned since_clock = 0;
    bool fresh = false; /* frames arrived since last_ns was stamped */
    while (!stop_requested && !(c->count && n->frames >= c->count)) {
        ssize_t len = read(fd, buf, sizeof(buf));
        if (len > 0) {
            n->frames++;
            n->bytes += (uint64_t)len;
            n->udp += is_udp(buf, len);
            fresh = true;
            /* Reading the clock per frame would cost more than the read: sample it. */
            if (n->frames == 1 || ++since_clock == CLOCK_EVERY) {
                now = n->last_ns = now_ns();
                n->first_ns = n->first_ns ? n->first_ns : now;
                since_clock = 0, fresh = false;
            } else {
                continue;
            }
        } else if (len < 0 && errno != EAGAIN && errno != EINTR) {
            runtime_error("read %s: %s", c->tap, strerror(errno));
        } else {
            now = now_ns();
            if (fresh) /* the queue drained just now: that dates the last frame */
                n->last_ns = now, fresh = false;
            if (!c->busy)
                wait_readable(fd, now, next_deadline(c, n, end, tick));
            now = now_ns();
        }
        if (c->progress && now >= tick) {
            print_progress(n, (double)(now - start) / 1e9);
            tick += NS;
        }
        if (now >= end || (idle && n->frames && now - n->last_ns >= idle))
            break;
    }
    if (fresh)
        n->last_ns = now_ns();
}

static void report(const struct config *c, const struct counts *n, uint64_t start, uint64_t stop)
{
    double span = n->frames > 1 ? (double)(n->last_ns - n->first_ns) / 1e9 : 0;
    double pps = span > 0 ? (double)n->frames / span : 0;
    double wall = (double)(stop - start) / 1e9;
    if (!c->json) {
        printf("tapread: %llu frames (%llu UDP, %llu bytes) on %s in %.3f s: %.0f pps\n",
               (unsigned long long)n->frames, (unsigned long long)n->udp,
               (unsigned long long)n->bytes, c->tap, span, pps);
        return;
    }
    printf("{\"tool\":\"tapread\",\"tap\":\"%s\",\"rx_packets\":%llu,\"rx_bytes\":%llu,"
           "\"udp_packets\":%llu,\"seconds\":%.6f,\"wall_seconds\":%.6f,\"pps\":%.1f}\n",
           c->tap, (unsigned long long)n->frames, (unsigned long long)n->bytes,
           (unsigned long long)n->udp, span, wall, pps);
}

int main(int argc, char **argv)
{
    struct config c;
    struct counts n = { 0 };
    tool_name = "tapread";
    parse_args(argc, argv, &c);
    if (c.netns)
        enter_netns(c.netns);
    int fd = open_tap(c.tap);
    catch_stop_signals();
    printf("ready: tapread tap=%s\n", c.tap);
    fflush(stdout);
    uint64_t start = now_ns();
    receive(fd, &c, &n, start);
    report(&c, &n, start, now_ns());
    close(fd);
    return 0;
}
