/* udpgen: a paced UDP generator built on sendmmsg; reports what the kernel accepted as one JSON line. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "toolutil.h"

#define MAX_BATCH 1024             /* the kernel's UIO_MAXIOV caps one sendmmsg */
#define MAX_PAYLOAD 65507          /* largest IPv4 UDP payload */
#define L2_OVERHEAD (14 + 20 + 8)  /* Ethernet + IPv4 + UDP headers around the payload */
#define DEFAULT_SIZE (1300 - L2_OVERHEAD) /* 1300-byte frames: the project's reference frame size */
#define SEQ_BYTES 8
#define MAX_GSO 64                 /* the kernel's UDP_MAX_SEGMENTS */
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

static const char usage[] =
    "usage: udpgen --dst=IP:PORT [--src-port=N] [--size=BYTES] [--rate=PPS|BITSps|max]\n"
    "              [--seconds=S] [--count=N] [--batch=N] [--gso=N] [--json] [--progress]\n"
    "  --size     UDP payload bytes (default %d: 1300-byte Ethernet frames)\n"
    "  --rate     packets/s (e.g. 20000, 50k), bits/s of whole Ethernet frames\n"
    "             (e.g. 100mbit, 1gbit, 500kbit), or max (default)\n"
    "  --seconds  stop after S seconds;  --count  stop after N datagrams accepted\n"
    "             (at least one of them is required; the first reached stops)\n"
    "  --batch    datagrams per sendmmsg call (default 64; at most %d messages)\n"
    "  --gso      N datagrams per message, split by the kernel (UDP GSO), 1..64 (default 1):\n"
    "             the same frames on the wire for less sender CPU\n"
    "  --json     final summary as one JSON line;  --progress  a JSON line per second\n"
    "The first 8 payload bytes carry a big-endian sequence number (one per attempt).\n"
    "Send errors (ENOBUFS, ECONNREFUSED, ...) are counted, not fatal. SIGINT/SIGTERM stop\n"
    "early and still print the summary. Exit 2 on bad arguments.\n";

struct config {
    struct sockaddr_in dst;
    uint16_t src_port;
    size_t size;
    double rate_pps; /* 0: as fast as possible */
    double seconds;  /* 0: no time limit */
    uint64_t count;  /* 0: no count limit */
    unsigned batch;
    unsigned gso; /* datagrams per message: 1 = plain sendmmsg */
    bool json, progress;
};

struct totals {
    uint64_t attempts; /* sequence numbers used: sent + errors */
    uint64_t sent;
    uint64_t errors;
    const char *last_error;
};

static void parse_dst(const char *text, struct sockaddr_in *dst)
{
    char host[64];
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text || (size_t)(colon - text) >= sizeof(host))
        usage_error("--dst: '%s' is not IPv4:PORT", text);
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    memset(dst, 0, sizeof(*dst));
    dst->sin_family = AF_INET;
    if (inet_pton(AF_INET, host, &dst->sin_addr) != 1)
        usage_error("--dst: '%s' is not an IPv4 address", host);
    dst->sin_port = htons((uint16_t)parse_u64("--dst port", colon + 1, 1, 65535));
}

/* "max", packets/s ("20000", "50k", "1.5m", "300pps") or frame bits/s ("100mbit", "1gbps"). */
static double parse_rate(const char *text, size_t payload)
{
    if (strcmp(text, "max") == 0)
        return 0;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || !isfinite(v) || v <= 0)
        usage_error("--rate: '%s' is not a rate (e.g. 20000, 50k, 100mbit, max)", text);
    double scale = 1;
    if (*end == 'k' || *end == 'K')
        scale = 1e3, end++;
    else if (*end == 'm' || *end == 'M')
        scale = 1e6, end++;
    else if (*end == 'g' || *end == 'G')
        scale = 1e9, end++;
    v *= scale;
    if (strcmp(end, "bit") == 0 || strcmp(end, "bps") == 0)
        v /= 8.0 * (double)(payload + L2_OVERHEAD);
    else if (*end != '\0' && strcmp(end, "pps") != 0)
        usage_error("--rate: unknown unit in '%s' (use pps, bit or bps)", text);
    if (v < 0.001 || v > 1e9)
        usage_error("--rate: '%s' is out of range", text);
    return v;
}

static void parse_args(int argc, char **argv, struct config *c)
{
    const char *rate = "max", *v;
    bool have_dst = false;
    *c = (struct config){ .size = DEFAULT_SIZE, .batch = 64, .gso = 1 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf(usage, DEFAULT_SIZE, MAX_BATCH);
            exit(0);
        } else if ((v = opt_value(a, "--dst"))) {
            parse_dst(v, &c->dst);
            have_dst = true;
        } else if ((v = opt_value(a, "--src-port"))) {
            c->src_port = (uint16_t)parse_u64("--src-port", v, 1, 65535);
        } else if ((v = opt_value(a, "--size"))) {
            c->size = parse_u64("--size", v, 1, MAX_PAYLOAD);
        } else if ((v = opt_value(a, "--rate"))) {
            rate = v;
        } else if ((v = opt_value(a, "--seconds"))) {
            c->seconds = parse_seconds("--seconds", v);
        } else if ((v = opt_value(a, "--count"))) {
            c->count = parse_u64("--count", v, 1, UINT64_MAX / 2);
        } else if ((v = opt_value(a, "--batch"))) {
            c->batch = (unsigned)parse_u64("--batch", v, 1, MAX_BATCH * MAX_GSO);
        } else if ((v = opt_value(a, "--gso"))) {
            c->gso = (unsigned)parse_u64("--gso", v, 1, MAX_GSO);
        } else if (strcmp(a, "--json") == 0) {
            c->json = true;
        } else if (strcmp(a, "--progress") == 0) {
            c->progress = true;
        } else {
            usage_error("unknown argument '%s' (see --help)", a);
        }
    }
    if (!have_dst)
        usage_error("--dst=IP:PORT is required");
    if (c->seconds == 0 && c->count == 0)
        usage_error("one of --seconds=S or --count=N is required");
    if (c->gso > 1 && c->size * c->gso > MAX_PAYLOAD)
        usage_error("--gso=%u: %u x %zu bytes exceeds one UDP datagram (%d)", c->gso, c->gso,
                    c->size, MAX_PAYLOAD);
    if ((c->batch + c->gso - 1) / c->gso > MAX_BATCH)
        usage_error("--batch=%u: more than %d messages per call (raise --gso)", c->batch, MAX_BATCH);
    /* After the loop: a bits/s rate depends on --size wherever it was given. */
    c->rate_pps = parse_rate(rate, c->size);
}

static int open_socket(const struct config *c)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        runtime_error("socket: %s", strerror(errno));
    /* Without IP_RECVERR the kernel hides local drops (ENOBUFS) from UDP senders. */
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
    if (c->src_port) {
        struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons(c->src_port) };
        if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
            runtime_error("--src-port=%u: bind: %s", c->src_port, strerror(errno));
    }
    /* Connected: the route is looked up once, not per datagram. */
    if (connect(fd, (const struct sockaddr *)&c->dst, sizeof(c->dst)) < 0)
        runtime_error("--dst: connect: %s", strerror(errno));
    int segment = (int)c->size;
    if (c->gso > 1 && setsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, sizeof(segment)) < 0)
        runtime_error("--gso: UDP_SEGMENT: %s", strerror(errno));
    return fd;
}

/*
 * The batch's datagrams lie back to back in one buffer, each with its own sequence
 * number; message j covers datagrams [j*gso, (j+1)*gso), which the kernel splits
 * again when UDP_SEGMENT is set (gso > 1).
 */
struct batch {
    struct mmsghdr msgs[MAX_BATCH];
    struct iovec iov[MAX_BATCH];
    unsigned char *buf;
};

static void batch_init(struct batch *b, const struct config *c)
{
    b->buf = malloc(c->size * c->batch);
    if (!b->buf)
        runtime_error("out of memory for %u x %zu bytes", c->batch, c->size);
    for (size_t i = 0; i < c->size * c->batch; i++)
        b->buf[i] = (unsigned char)(i % c->size);
    for (unsigned j = 0; j * c->gso < c->batch; j++) {
        b->iov[j] = (struct iovec){ .iov_base = b->buf + (size_t)j * c->gso * c->size };
        b->msgs[j] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &b->iov[j], .msg_iovlen = 1 } };
    }
}

/* Number datagrams 0..n-1 of the batch from first on; returns how many messages carry them. */
static unsigned batch_prepare(struct batch *b, const struct config *c, uint64_t first, unsigned n)
{
    for (unsigned i = 0; c->size >= SEQ_BYTES && i < n; i++) {
        uint64_t seq = first + i;
        unsigned char *p = b->buf + (size_t)i * c->size;
        for (int k = SEQ_BYTES - 1; k >= 0; k--, seq >>= 8)
            p[k] = (unsigned char)seq;
    }
    unsigned messages = (n + c->gso - 1) / c->gso;
    for (unsigned j = 0; j < messages; j++) {
        unsigned in_msg = n - j * c->gso < c->gso ? n - j * c->gso : c->gso;
        b->iov[j].iov_len = (size_t)in_msg * c->size;
    }
    return messages;
}

/* Errors that mean the setup is wrong rather than the path being congested. */
static bool fatal_errno(int e)
{
    return e == EBADF || e == EFAULT || e == EINVAL || e == ENOTSOCK || e == EMSGSIZE ||
           e == EDESTADDRREQ || e == EPERM || e == EACCES;
}

/*
 * Send n datagrams. sendmmsg stops at the first message that fails and, when some
 * went out, hides the errno: a short count means message r failed, so its datagrams
 * count as errors and are skipped.
 */
static void send_batch(int fd, struct batch *b, const struct config *c, unsigned n, struct totals *t)
{
    unsigned messages = batch_prepare(b, c, t->attempts, n);
    int r = sendmmsg(fd, b->msgs, messages, 0);
    if (r < 0 && errno == EINTR)
        return;
    if (r < 0) {
        if (fatal_errno(errno))
            runtime_error("sendmmsg: %s%s", strerror(errno), c->gso > 1 && errno == EINVAL ?
                          " (--gso: is a datagram larger than the path MTU?)" : "");
        r = 0;
        t->last_error = strerror(errno);
    } else if ((unsigned)r < messages) {
        t->last_error = "short batch";
    }
    uint64_t ok = (unsigned)r == messages ? n : (uint64_t)r * c->gso;
    t->sent += ok;
    t->attempts += ok;
    if ((unsigned)r < messages) {
        uint64_t failed = b->iov[r].iov_len / c->size;
        t->errors += failed;
        t->attempts += failed;
    }
}

/* How many datagrams pacing allows right now; 0 means sleep until next_ns. */
static uint64_t due_now(const struct config *c, const struct totals *t, uint64_t elapsed,
                        uint64_t *next_ns)
{
    if (c->rate_pps == 0)
        return c->batch;
    /* Datagram k is due at k / rate seconds: the first one at once. */
    uint64_t allowed = (uint64_t)((double)elapsed * c->rate_pps / 1e9) + 1;
    if (allowed > t->attempts)
        return allowed - t->attempts;
    /* +1 ns rounds up without libm (the Makefile links no -lm). */
    *next_ns = (uint64_t)((double)t->attempts * 1e9 / c->rate_pps) + 1;
    return 0;
}

static void print_progress(const struct totals *t, double secs)
{
    printf("{\"t\":%.3f,\"sent_packets\":%llu,\"errors\":%llu}\n", secs,
           (unsigned long long)t->sent, (unsigned long long)t->errors);
    fflush(stdout);
}

static double run(int fd, const struct config *c, struct totals *t)
{
    static struct batch b;
    batch_init(&b, c);
    uint64_t start = now_ns(), limit = c->seconds ? (uint64_t)(c->seconds * 1e9) : UINT64_MAX;
    uint64_t elapsed = 0, next_tick = 1000000000ull, last_send = 0;
    while (!stop_requested && !(c->count && t->sent >= c->count)) {
        elapsed = now_ns() - start;
        if (elapsed >= limit)
            break;
        if (c->progress && elapsed >= next_tick) {
            print_progress(t, (double)elapsed / 1e9);
            next_tick += 1000000000ull;
        }
        uint64_t next_ns = 0, n = due_now(c, t, elapsed, &next_ns);
        if (n == 0) {
            uint64_t wake = next_ns < limit ? next_ns : limit;
            sleep_until_ns(start + (c->progress && next_tick < wake ? next_tick : wake));
            continue;
        }
        if (n > c->batch)
            n = c->batch;
        if (c->count && n > c->count - t->sent)
            n = c->count - t->sent;
        send_batch(fd, &b, c, (unsigned)n, t);
        last_send = now_ns() - start;
    }
    free(b.buf);
    /* A count run ends at its last send; a timed run lasts its whole window. */
    uint64_t span = (c->count && t->sent >= c->count) ? last_send : elapsed;
    return (double)span / 1e9;
}

static void report(const struct config *c, const struct totals *t, double secs)
{
    char dst[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &c->dst.sin_addr, dst, sizeof(dst));
    double pps = secs > 0 ? (double)t->sent / secs : 0;
    unsigned long long bytes = (unsigned long long)(t->sent * c->size);
    if (!c->json) {
        printf("udpgen: sent %llu datagrams (%llu payload bytes) to %s:%u in %.3f s: %.0f pps, "
               "%llu errors%s%s\n", (unsigned long long)t->sent, bytes, dst, ntohs(c->dst.sin_port),
               secs, pps, (unsigned long long)t->errors, t->errors ? ", last: " : "",
               t->errors ? t->last_error : "");
        return;
    }
    printf("{\"tool\":\"udpgen\",\"dst\":\"%s:%u\",\"size\":%zu,\"frame_bytes\":%zu,\"gso\":%u,"
           "\"rate_pps\":%.3f,\"sent_packets\":%llu,\"sent_bytes\":%llu,\"errors\":%llu,"
           "\"last_error\":\"%s\",\"seconds\":%.6f,\"pps\":%.1f,\"frame_bits_per_second\":%.0f}\n",
           dst, ntohs(c->dst.sin_port), c->size, c->size + L2_OVERHEAD, c->gso, c->rate_pps,
           (unsigned long long)t->sent, bytes, (unsigned long long)t->errors,
           t->errors ? t->last_error : "", secs, pps,
           pps * 8.0 * (double)(c->size + L2_OVERHEAD));
}

int main(int argc, char **argv)
{
    struct config c;
    struct totals t = { 0 };
    tool_name = "udpgen";
    parse_args(argc, argv, &c);
    int fd = open_socket(&c);
    catch_stop_signals();
    double secs = run(fd, &c, &t);
    close(fd);
    report(&c, &t, secs);
    return 0;
}
