/* udp-sink.c: a built-in app that counts the UDP datagrams sent to it and reports them as JSON. */
/*
 * udp-sink: counts UDP datagrams to --ip:--port (default 5000) on NIC "service0", answering ARP and ping;
 * prints {"t":..,"rx_packets":..,"rx_bytes":..} every second and a JSON summary at the end.
 *
 * rx_bytes counts UDP payload bytes. --seconds is measured from the first counted
 * datagram (so a sender that starts late still gets the whole window); --count stops
 * at the Nth datagram; whichever comes first. Without either it runs until killed.
 * Summary: seconds_x1000 is first datagram -> stop (the Nth datagram's arrival, or
 * the window's end); pps = rx_packets / that time.
 */
#include "solo5.h"
#include "tb_args.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "tb_net.h"

TB_MANIFEST_NET1("service0");
/* We only count what arrives: the monitor may leave checksums it vouches for incomplete (runtime/shm_net.h). */
const int tb_shm_csum_lazy = 1;

#define APP "udp-sink"
#define DEFAULT_PORT 5000
#define NS_PER_S 1000000000ULL
#define CLOCK_EVERY 32 /* frames between clock reads while frames keep coming */

struct sink {
    struct tb_nic nic;
    uint16_t port;
    uint64_t count;           /* 0: no limit */
    uint64_t window_ns;       /* 0: no limit */
    solo5_time_t start;       /* when we became ready */
    solo5_time_t first, stop; /* first counted datagram; when we stopped (0: not yet) */
    solo5_time_t next_tick;   /* when the next per-second line is due */
    uint64_t ticks;
    uint64_t rx_packets, rx_bytes, other; /* other: ARP, ping, and UDP not for our port */
};

static uint8_t frame[TB_FRAME_MAX];

static void count_frame(struct sink *s, size_t len, solo5_time_t now)
{
    struct tb_udp_view udp;

    if (tb_nic_input(&s->nic, frame, len, &udp) != TB_IN_UDP || udp.dport != s->port) {
        s->other++;
        return;
    }
    if (s->rx_packets == 0)
        s->first = now;
    s->rx_packets++;
    s->rx_bytes += udp.len;
    if (s->count && s->rx_packets >= s->count)
        s->stop = now;
}

/* Per-second lines, and the window's end; call with a fresh clock reading. */
static void on_time(struct sink *s, solo5_time_t now)
{
    while (now >= s->next_tick) {
        s->ticks++;
        s->next_tick += NS_PER_S;
        tb_printf("{\"t\":%lu,\"rx_packets\":%lu,\"rx_bytes\":%lu}\n", s->ticks, s->rx_packets, s->rx_bytes);
    }
    if (!s->stop && s->window_ns && s->rx_packets && now >= s->first + s->window_ns)
        s->stop = s->first + s->window_ns;
}

/* Drains the NIC; the clock (cheap: rdtsc) is read once per CLOCK_EVERY frames. */
static void drain(struct sink *s)
{
    solo5_time_t now = solo5_clock_monotonic();
    unsigned n = 0;
    size_t len;

    while (!s->stop && solo5_net_read(s->nic.handle, frame, sizeof(frame), &len) == SOLO5_R_OK) {
        if (++n % CLOCK_EVERY == 0) {
            now = solo5_clock_monotonic();
            on_time(s, now);
        }
        count_frame(s, len, now);
    }
    tb_nic_flush(&s->nic); /* ARP and echo replies */
}

static solo5_time_t wake_time(const struct sink *s)
{
    solo5_time_t wake = s->next_tick;
    if (s->window_ns && s->rx_packets && s->first + s->window_ns < wake)
        wake = s->first + s->window_ns;
    return wake;
}

static void summary(const struct sink *s)
{
    uint64_t ns = s->rx_packets ? s->stop - s->first : 0;
    uint64_t pps = ns ? s->rx_packets * NS_PER_S / ns : 0;

    tb_printf("{\"summary\":true,\"rx_packets\":%lu,\"rx_bytes\":%lu,\"seconds_x1000\":%lu,"
              "\"pps\":%lu,\"other_frames\":%lu,\"arp_replies\":%lu,\"echo_replies\":%lu}\n",
              s->rx_packets, s->rx_bytes, ns / 1000000, pps, s->other,
              s->nic.arp_replies, s->nic.echo_replies);
}

int solo5_app_main(const struct solo5_start_info *si)
{
    static struct sink s;
    struct tb_args a;
    char ip[16], mac[18];

    /* --gw is accepted (so every NIC app takes the same addressing) but unused: replies go to the asker's MAC. */
    tb_args_or_exit(APP, si->cmdline, TB_ARG_IP | TB_ARG_GW | TB_ARG_PORT | TB_ARG_SECONDS | TB_ARG_COUNT,
                    TB_ARG_IP, &a);
    if (tb_nic_open(&s.nic, "service0", a.ip, a.prefix, a.gw) != 0)
        return SOLO5_EXIT_FAILURE;
    s.nic.answer_ping = true;
    s.port = (a.seen & TB_ARG_PORT) ? a.port : DEFAULT_PORT;
    s.count = a.count;
    s.window_ns = a.millis * 1000000ULL;

    tb_ip_format(ip, sizeof(ip), a.ip);
    tb_mac_format(mac, sizeof(mac), s.nic.mac);
    tb_printf("ready: " APP " ip=%s/%u port=%u mac=%s\n", ip, a.prefix, s.port, mac);
    s.start = solo5_clock_monotonic();
    s.next_tick = s.start + NS_PER_S;

    while (!s.stop) {
        drain(&s);
        on_time(&s, solo5_clock_monotonic());
        if (!s.stop)
            solo5_yield(wake_time(&s), NULL);
    }
    summary(&s);
    return SOLO5_EXIT_SUCCESS;
}
