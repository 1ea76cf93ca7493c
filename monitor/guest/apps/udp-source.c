/* udp-source.c: a built-in app that sends paced UDP and reports what it sent as JSON. */
/*
 * udp-source: sends UDP from --ip to --dst on NIC "service0" at --rate (or max) for --seconds and/or --count,
 * batching with queue/flush; prints {"t":..,"tx_packets":..,"tx_bytes":..} each second and a JSON summary.
 *
 * --size is the UDP payload in bytes (default 1258: 1300-byte Ethernet frames, as the
 * host tool udpgen), at most MTU - 28; its first 8 bytes carry a big-endian sequence
 * number 0, 1, 2, ... when it has room. --port is the source port (default 5000). The
 * next hop (--dst if on-link, else --gw) is resolved by ARP before sending. tx_packets
 * counts frames solo5_net_queue accepted; tx_bytes their UDP payload bytes. Without
 * --seconds or --count it sends until killed.
 */
#include "solo5.h"
#include "tb_args.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "tb_net.h"
#include "tb_string.h"

TB_MANIFEST_NET1("service0");

#define APP "udp-source"
#define DEFAULT_PORT 5000
#define DEFAULT_SIZE (1300 - TB_UDP_PAYLOAD_OFF)
#define NS_PER_S 1000000000ULL
#define BURST 32                     /* frames queued per flush */
#define RX_EVERY_NS 10000000ULL      /* answer ARP/ping at least every 10 ms while sending */
#define RESOLVE_TIMEOUT_NS (3 * NS_PER_S)
#define SEQ_BYTES 8
#define ALLOWED (TB_ARG_IP | TB_ARG_GW | TB_ARG_PORT | TB_ARG_DST | TB_ARG_SIZE | TB_ARG_RATE | \
                 TB_ARG_SECONDS | TB_ARG_COUNT)
#define REQUIRED (TB_ARG_IP | TB_ARG_DST)

struct source {
    struct tb_nic nic;
    struct tb_udp_flow flow;
    size_t size;
    uint64_t rate;           /* 0: max */
    uint64_t count;          /* 0: no limit */
    solo5_time_t start, end; /* end 0: no time limit */
    solo5_time_t next_tick, next_rx;
    uint64_t ticks, sent;
};

static uint8_t frame[TB_FRAME_MAX];

/* When packet k is due: k / rate seconds after start, in integers without overflow. */
static solo5_time_t due_time(const struct source *s, uint64_t k)
{
    return s->start + (k / s->rate) * NS_PER_S + (k % s->rate) * NS_PER_S / s->rate;
}

/* How many packets should have left by `now`. */
static uint64_t due_count(const struct source *s, solo5_time_t now)
{
    uint64_t e = now - s->start;
    return (e / NS_PER_S) * s->rate + (e % NS_PER_S) * s->rate / NS_PER_S + 1;
}

static void put_seq(uint8_t *p, uint64_t seq)
{
    for (int i = SEQ_BYTES - 1; i >= 0; i--, seq >>= 8)
        p[i] = (uint8_t)seq;
}

/* Queues n datagrams and flushes once; counts those the monitor accepted. */
static void send_burst(struct source *s, uint64_t n)
{
    uint8_t *payload = frame + TB_UDP_PAYLOAD_OFF;

    for (uint64_t i = 0; i < n; i++) {
        if (s->size >= SEQ_BYTES)
            put_seq(payload, s->sent);
        size_t len = tb_udp_finish(frame, sizeof(frame), &s->flow, (uint16_t)s->sent, s->size);
        if (tb_nic_send(&s->nic, frame, len) == 0)
            s->sent++;
    }
    tb_nic_flush(&s->nic);
}

/* Answers ARP (the receiver's kernel may ask for us) and ping, dropping anything else. */
static void serve_input(struct source *s)
{
    static uint8_t in[TB_FRAME_MAX];
    struct tb_udp_view udp;
    size_t len;

    while (solo5_net_read(s->nic.handle, in, sizeof(in), &len) == SOLO5_R_OK)
        tb_nic_input(&s->nic, in, len, &udp);
    tb_nic_flush(&s->nic);
}

static void on_time(struct source *s, solo5_time_t now)
{
    while (now >= s->next_tick) {
        s->ticks++;
        s->next_tick += NS_PER_S;
        tb_printf("{\"t\":%lu,\"tx_packets\":%lu,\"tx_bytes\":%lu}\n", s->ticks, s->sent,
                  s->sent * s->size);
    }
    if (now >= s->next_rx) {
        serve_input(s);
        s->next_rx = now + RX_EVERY_NS;
    }
}

static void run(struct source *s)
{
    for (;;) {
        solo5_time_t now = solo5_clock_monotonic();
        if ((s->end && now >= s->end) || (s->count && s->sent >= s->count))
            return;
        on_time(s, now);
        uint64_t target = s->rate ? due_count(s, now) : s->sent + BURST;
        if (s->count && target > s->count)
            target = s->count;
        if (target <= s->sent) {
            /* Nothing due: sleep until the next packet, the next tick or the end. */
            solo5_time_t wake = due_time(s, s->sent);
            if (s->next_tick < wake)
                wake = s->next_tick;
            if (s->end && s->end < wake)
                wake = s->end;
            solo5_yield(wake, NULL);
            continue;
        }
        uint64_t n = target - s->sent;
        send_burst(s, n < BURST ? n : BURST);
    }
}

static void summary(const struct source *s, solo5_time_t stop)
{
    uint64_t ns = stop - s->start;
    uint64_t pps = ns ? s->sent * NS_PER_S / ns : 0;

    tb_printf("{\"summary\":true,\"tx_packets\":%lu,\"tx_bytes\":%lu,\"payload_size\":%lu,"
              "\"seconds_x1000\":%lu,\"pps\":%lu,\"rate\":%lu,\"tx_errors\":%lu}\n",
              s->sent, s->sent * s->size, (uint64_t)s->size, ns / 1000000, pps, s->rate,
              s->nic.tx_errors);
}

/* Checks what the arguments alone cannot: payload fits the MTU, a route to --dst exists. */
static int configure(struct source *s, const struct tb_args *a, uint32_t *hop)
{
    s->size = (a->seen & TB_ARG_SIZE) ? a->size : DEFAULT_SIZE;
    if (s->size + TB_IP_HLEN + TB_UDP_HLEN > s->nic.mtu) {
        tb_printf(APP ": --size=%lu exceeds the MTU (%lu): at most %lu\n", (uint64_t)s->size,
                  (uint64_t)s->nic.mtu, (uint64_t)(s->nic.mtu - TB_IP_HLEN - TB_UDP_HLEN));
        return -1;
    }
    *hop = tb_nic_next_hop(&s->nic, a->dst_ip);
    if (*hop == 0) {
        tb_printf(APP ": --dst is not on-link for --ip and no --gw was given\n");
        return -1;
    }
    s->rate = a->rate;
    s->count = a->count;
    memcpy(s->flow.src_mac, s->nic.mac, TB_ETH_ALEN);
    s->flow.src_ip = a->ip;
    s->flow.dst_ip = a->dst_ip;
    s->flow.sport = (a->seen & TB_ARG_PORT) ? a->port : DEFAULT_PORT;
    s->flow.dport = a->dst_port;
    return 0;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    static struct source s;
    struct tb_args a;
    uint32_t hop;
    char dst[16], hop_text[16];

    tb_args_or_exit(APP, si->cmdline, ALLOWED, REQUIRED, &a);
    if (tb_nic_open(&s.nic, "service0", a.ip, a.prefix, a.gw) != 0)
        return SOLO5_EXIT_FAILURE;
    s.nic.answer_ping = true;
    if (configure(&s, &a, &hop) != 0) {
        tb_args_usage(APP, ALLOWED, REQUIRED);
        return TB_EXIT_USAGE;
    }

    tb_ip_format(hop_text, sizeof(hop_text), hop);
    if (tb_arp_resolve(&s.nic, hop, s.flow.dst_mac, RESOLVE_TIMEOUT_NS) != 0) {
        tb_printf(APP ": no ARP reply from next hop %s within 3 s\n", hop_text);
        return SOLO5_EXIT_FAILURE;
    }
    tb_ip_format(dst, sizeof(dst), a.dst_ip);
    tb_printf("ready: " APP " dst=%s:%u via=%s size=%lu rate=%lu\n", dst, s.flow.dport, hop_text,
              (uint64_t)s.size, s.rate);

    s.start = solo5_clock_monotonic();
    s.end = a.millis ? s.start + a.millis * 1000000ULL : 0;
    s.next_tick = s.start + NS_PER_S;
    s.next_rx = s.start + RX_EVERY_NS;
    run(&s);
    summary(&s, solo5_clock_monotonic());
    return SOLO5_EXIT_SUCCESS;
}
