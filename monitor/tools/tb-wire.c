/* tb-wire: the relay of an impaired link: frames read from one end are impaired (monitor/impair) and written to the other. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <linux/if.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "impair.h"
#include "impair_text.h"
#include "toolutil.h"
#include "wire/wire.h"

#define BATCH 64               /* frames read from one end per wake-up, so one busy end cannot starve the other */

static const char usage[] =
    "usage: tb-wire --a=KIND:IFNAME@NETNS --b=KIND:IFNAME@NETNS --control=SOCKET [--link=NAME] [--link-id=N]\n"
    "               [--ab=CONFIG] [--ba=CONFIG] [--stats=FILE] [--realtime=0|1]\n"
    "  KIND       tap (a persistent TAP, opened by name) or packet (an AF_PACKET socket on an interface)\n"
    "  --ab/--ba  the impairment of frames from a to b / b to a, as key=value pairs joined by commas:\n"
    "             loss reorder duplicate corrupt p r lossgood lossbad (ppm), ge down (0/1), delay jitter (ns),\n"
    "             dist (uniform|normal), rate (bit/s), limit (packets), seed\n"
    "  --control  a unix socket: one command line per connection, one answer line:\n"
    "             stats | set ab|ba|both CONFIG | clear ab|ba|both | down | up\n"
    "  --stats    where the final counters are written (JSON) on exit\n"
    "  --realtime 1 (default): the lowest real-time priority (SCHED_RR) from the first batch or held frame on,\n"
    "             so a busy host neither slows nor delays the link (a refusal is not an error); 0: a normal task\n"
    "Exit 2 on bad arguments, 1 when an end cannot be opened.\n";

static void parse_port(struct port *p, const char *opt, const char *spec)
{
    const char *colon = strchr(spec, ':'), *at = strrchr(spec, '@');
    if (!colon || !at || at < colon)
        usage_error("%s: '%s' is not KIND:IFNAME@NETNS", opt, spec);
    size_t kind_len = (size_t)(colon - spec), name_len = (size_t)(at - colon - 1);
    if (kind_len == 3 && strncmp(spec, "tap", 3) == 0)
        p->packet = false;
    else if (kind_len == 6 && strncmp(spec, "packet", 6) == 0)
        p->packet = true;
    else
        usage_error("%s: kind must be tap or packet", opt);
    if (name_len == 0 || name_len >= IFNAMSIZ)
        usage_error("%s: interface name must be 1-%d characters", opt, IFNAMSIZ - 1);
    if (strlen(at + 1) == 0 || strlen(at + 1) > NAME_MAX)
        usage_error("%s: bad namespace name", opt);
    memcpy(p->ifname, colon + 1, name_len);
    p->ifname[name_len] = '\0';
    strcpy(p->netns, at + 1);
    p->spec = spec;
}

/* The TAP's queue towards us holds this many frames: a relay descheduled on a busy host for a few milliseconds
 * then finds the frames waiting instead of dropped (the kernel's default is 500). */
#define TAP_QUEUE_FRAMES 4096

static void set_queue_length(const char *ifname, int frames)
{
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = { .ifr_qlen = frames };
    strcpy(ifr.ifr_name, ifname);
    if (sock < 0 || ioctl(sock, SIOCSIFTXQLEN, &ifr) < 0)
        fprintf(stderr, "tb-wire: %s: queue length stays the kernel's: %s\n", ifname, strerror(errno));
    if (sock >= 0)
        close(sock);
}

static int open_tap(const char *ifname)
{
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        runtime_error("/dev/net/tun: %s", strerror(errno));
    struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
    strcpy(ifr.ifr_name, ifname);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0)
        runtime_error("TAP %s: %s", ifname, strerror(errno));
    set_queue_length(ifname, TAP_QUEUE_FRAMES);
    return fd;
}

static int open_packet(const char *ifname)
{
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0)
        runtime_error("AF_PACKET socket: %s", strerror(errno));
    struct ifreq ifr = { 0 };
    strcpy(ifr.ifr_name, ifname);
    if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
        runtime_error("interface %s: %s", ifname, strerror(errno));
    struct sockaddr_ll addr = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
                                .sll_ifindex = ifr.ifr_ifindex };
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        runtime_error("bind to %s: %s", ifname, strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)); /* best effort: only speed */
    /* Outgoing frames are not ours to relay: only what the namespace sends towards the wire. */
    int ignore = 1;
    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &ignore, sizeof(ignore));
    return fd;
}

/* Each end is opened inside its namespace; the descriptor keeps working from ours. */
static void open_port(struct port *p)
{
    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home < 0)
        runtime_error("/proc/self/ns/net: %s", strerror(errno));
    enter_netns(p->netns);
    p->fd = p->packet ? open_packet(p->ifname) : open_tap(p->ifname);
    if (setns(home, CLONE_NEWNET) < 0)
        runtime_error("cannot return to our namespace: %s", strerror(errno));
    close(home);
}

/* A socket path longer than sun_path (a deep state directory) is bound through its directory's descriptor. */
static int open_control(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    const char *slash = strrchr(path, '/');
    int dir = -1;
    if (strlen(path) < sizeof(addr.sun_path)) {
        strcpy(addr.sun_path, path);
    } else {
        char parent[PATH_MAX];
        if (!slash || (size_t)(slash - path) >= sizeof(parent))
            usage_error("--control: '%s' is too long", path);
        memcpy(parent, path, (size_t)(slash - path));
        parent[slash - path] = '\0';
        if ((dir = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
            runtime_error("--control: %s: %s", parent, strerror(errno));
        if ((size_t)snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dir, slash + 1)
            >= sizeof(addr.sun_path))
            usage_error("--control: file name '%s' is too long", slash + 1);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 8) < 0)
        runtime_error("--control: %s: %s", path, strerror(errno));
    chmod(path, 0600);
    if (dir >= 0)
        close(dir);
    return fd;
}

static void write_frame(struct wire *w, unsigned end, const uint8_t *frame, size_t len)
{
    struct port *p = &w->ends[end];
    if (write(p->fd, frame, len) != (ssize_t)len)
        p->write_errors++; /* a full or downed interface drops, as a wire would */
}

/* Frames waiting in direction d whose time has come leave through the other end. */
static void flush_due(struct wire *w, unsigned d, uint64_t now, uint8_t *buf)
{
    size_t len;
    while ((len = tb_impair_pop(w->dir[d], now, buf, MAX_FRAME)) > 0)
        write_frame(w, 1 - d, buf, len);
}

/* A TAP's waiting frames through the ring: as many reads as the last batch found frames, and twice that while every
 * read finds one (a read of an empty TAP costs nearly as much as one that carries a frame). */
static unsigned read_tap_batch(struct port *p, struct wire_uring *uring, struct iovec *iov)
{
    unsigned asked = p->reads_ahead ? p->reads_ahead : 1;
    unsigned got = wire_uring_read(uring, p->fd, iov, asked);
    unsigned next = got == asked ? 2 * asked : got + 1;
    p->reads_ahead = next < BATCH ? next : BATCH;
    return got;
}

/* Up to BATCH frames from one end: one recvmmsg on a packet socket; on a TAP (it has no batch read) one io_uring_enter
 * for the batch's reads, or a read each without a ring. */
static unsigned read_batch(struct port *p, struct wire_uring *uring, struct iovec *iov, struct mmsghdr *msgs)
{
    if (p->packet) {
        int n = recvmmsg(p->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return 0;
        for (int i = 0; i < n; i++)
            iov[i].iov_len = msgs[i].msg_len;
        return (unsigned)n;
    }
    if (uring->fd >= 0 && !uring->reads_refused)
        return read_tap_batch(p, uring, iov);
    unsigned n = 0;
    for (; n < BATCH; n++) {
        ssize_t got = read(p->fd, iov[n].iov_base, MAX_FRAME);
        if (got <= 0)
            break;
        iov[n].iov_len = (size_t)got;
    }
    return n;
}

/* The frames that leave at once, in order: one sendmmsg on a packet socket; on a TAP, one io_uring_enter for them all,
 * or a write each without a ring. */
static void write_batch(struct wire *w, unsigned end, struct iovec *out, unsigned count)
{
    struct port *p = &w->ends[end];
    if (!p->packet && w->uring.fd >= 0) {
        p->write_errors += wire_uring_write(&w->uring, p->fd, out, count);
        return;
    }
    if (!p->packet) {
        for (unsigned i = 0; i < count; i++)
            if (write(p->fd, out[i].iov_base, out[i].iov_len) != (ssize_t)out[i].iov_len)
                p->write_errors++;
        return;
    }
    struct mmsghdr msgs[2 * BATCH];
    for (unsigned i = 0; i < count; i++)
        msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &out[i], .msg_iovlen = 1 } };
    unsigned sent = 0;
    while (sent < count) {
        int n = sendmmsg(p->fd, msgs + sent, count - sent, MSG_DONTWAIT);
        if (n <= 0) {
            p->write_errors += count - sent;
            return;
        }
        sent += (unsigned)n;
    }
}

static unsigned relay_from(struct wire *w, unsigned d, uint8_t *scratch)
{
    static uint8_t frames[BATCH][MAX_FRAME];
    struct iovec in[BATCH], out[2 * BATCH];
    struct mmsghdr msgs[BATCH];
    for (unsigned i = 0; i < BATCH; i++) {
        in[i] = (struct iovec){ .iov_base = frames[i], .iov_len = MAX_FRAME };
        msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &in[i], .msg_iovlen = 1 } };
    }
    unsigned count = read_batch(&w->ends[d], &w->uring, in, msgs), leaving = 0;
    uint64_t now = now_ns();
    for (unsigned i = 0; i < count; i++) {
        int copies = tb_impair_push(w->dir[d], in[i].iov_base, in[i].iov_len, now);
        for (int k = 0; k < copies; k++)
            out[leaving++] = in[i];
        if (tb_impair_next_due(w->dir[d]) <= now) { /* queued frames due now keep their place in the order */
            write_batch(w, 1 - d, out, leaving);
            leaving = 0;
            flush_due(w, d, now, scratch);
        }
    }
    write_batch(w, 1 - d, out, leaving);
    return count;
}

static uint64_t next_due(const struct wire *w)
{
    uint64_t a = tb_impair_next_due(w->dir[0]), b = tb_impair_next_due(w->dir[1]);
    return a < b ? a : b;
}

static void run(struct wire *w)
{
    static uint8_t buf[MAX_FRAME];
    struct pollfd fds[3] = {
        { .fd = w->ends[0].fd, .events = POLLIN },
        { .fd = w->ends[1].fd, .events = POLLIN },
        { .fd = w->control_fd, .events = POLLIN },
    };
    while (!stop_requested) {
        struct timespec ts;
        int ready = ppoll(fds, 3, wire_pace_timeout(&w->pace, next_due(w), now_ns(), &ts), NULL);
        if (ready < 0 && errno != EINTR)
            runtime_error("poll: %s", strerror(errno));
        unsigned moved = 0;
        for (unsigned d = 0; d < 2; d++)
            if (ready > 0 && (fds[d].revents & POLLIN))
                moved += relay_from(w, d, buf);
        uint64_t now = now_ns();
        for (unsigned d = 0; d < 2; d++)
            flush_due(w, d, now, buf);
        if (ready > 0 && (fds[2].revents & POLLIN))
            wire_serve_control(w);
        wire_pace_after_batch(&w->pace, fds, moved, next_due(w));
    }
}

static void write_stats(const struct wire *w)
{
    if (!w->stats_path)
        return;
    FILE *out = fopen(w->stats_path, "w");
    if (!out)
        return;
    wire_stats_json(out, w);
    fclose(out);
}

static void parse_config(const char *opt, const char *text, struct tb_impair_config *c)
{
    char why[256];
    if (tb_impair_parse(text, c, why, sizeof(why)) < 0)
        usage_error("%s: %s", opt, why);
}

int main(int argc, char **argv)
{
    tool_name = "tb-wire";
    struct wire w = { .link = "link", .control_fd = -1, .uring = { .fd = -1 } };
    struct tb_impair_config config[2] = { 0 };
    const char *a = NULL, *b = NULL, *control = NULL, *v;
    uint64_t link_id = 0;
    bool realtime = true;
    for (int i = 1; i < argc; i++) {
        if ((v = opt_value(argv[i], "--a")))
            a = v;
        else if ((v = opt_value(argv[i], "--b")))
            b = v;
        else if ((v = opt_value(argv[i], "--control")))
            control = v;
        else if ((v = opt_value(argv[i], "--link")))
            w.link = v;
        else if ((v = opt_value(argv[i], "--link-id")))
            link_id = parse_u64("--link-id", v, 0, UINT64_MAX);
        else if ((v = opt_value(argv[i], "--ab")))
            parse_config("--ab", v, &config[0]);
        else if ((v = opt_value(argv[i], "--ba")))
            parse_config("--ba", v, &config[1]);
        else if ((v = opt_value(argv[i], "--stats")))
            w.stats_path = v;
        else if ((v = opt_value(argv[i], "--realtime")))
            realtime = parse_u64("--realtime", v, 0, 1) == 1;
        else if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else
            usage_error("unknown argument '%s'\n%s", argv[i], usage);
    }
    if (!a || !b || !control)
        usage_error("--a, --b and --control are required\n%s", usage);
    parse_port(&w.ends[0], "--a", a);
    parse_port(&w.ends[1], "--b", b);
    wire_pace_init(&w.pace, realtime);
    if (wire_uring_init(&w.uring) < 0)
        fprintf(stderr, "tb-wire: no io_uring (%s): a system call per frame\n", strerror(errno));
    catch_stop_signals();
    open_port(&w.ends[0]);
    open_port(&w.ends[1]);
    for (unsigned d = 0; d < 2; d++)
        if (!(w.dir[d] = tb_impair_new(&config[d], link_id, d)))
            runtime_error("out of memory");
    w.control_fd = open_control(control);
    printf("ready\n");
    fflush(stdout);
    run(&w);
    write_stats(&w);
    unlink(control);
    for (unsigned d = 0; d < 2; d++)
        tb_impair_free(w.dir[d]);
    return 0;
}
