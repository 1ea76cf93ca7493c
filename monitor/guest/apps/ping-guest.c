/* ping-guest: sends --count ICMP echo requests to --to=ADDR (via --gw when off-link), one at a time, and reports round trips (p50, p99) as JSON. */
#include "solo5.h"
#include "tb_args.h"
#include "tb_arp_resolve.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "tb_net.h"
#include "tb_string.h"

TB_MANIFEST_NET1("service0");

#define APP "ping-guest"
#define MAX_SAMPLES 20000
#define REPLY_TIMEOUT_NS 1000000000ULL
#define ECHO_ID 0x7462 /* "tb" */
#define PAYLOAD 56

static uint8_t frame[TB_FRAME_MAX];
static uint64_t rtt_ns[MAX_SAMPLES];

/* "--to=A.B.C.D" is ours; everything else goes to the shared parser (copied into rest). */
static int split_target(const char *cmdline, uint32_t *to, char *rest, size_t size)
{
    int found = -1;
    size_t used = 0;
    for (const char *p = cmdline; *p;) {
        while (*p == ' ')
            p++;
        const char *end = p;
        while (*end && *end != ' ')
            end++;
        if (end - p > 5 && !strncmp(p, "--to=", 5)) {
            found = tb_ip_parse(p + 5, to) == end ? 0 : -1;
        } else if (end > p && used + (size_t)(end - p) + 2 < size) {
            if (used)
                rest[used++] = ' ';
            memcpy(rest + used, p, (size_t)(end - p));
            used += (size_t)(end - p);
        }
        p = end;
    }
    rest[used] = '\0';
    return found;
}

static size_t echo_request(const struct tb_nic *nic, const uint8_t *mac, uint32_t to, uint16_t seq)
{
    tb_eth_build(frame, mac, nic->mac, TB_ETHERTYPE_IPV4);
    tb_ip_build(frame + TB_ETH_HLEN, nic->ip, to, TB_IPPROTO_ICMP, TB_ICMP_HLEN + PAYLOAD, seq);
    uint8_t *icmp = frame + TB_ETH_HLEN + TB_IP_HLEN;
    struct tb_icmp_hdr *h = (struct tb_icmp_hdr *)icmp;
    memset(icmp, 0x5a, TB_ICMP_HLEN + PAYLOAD);
    h->type = TB_ICMP_ECHO_REQUEST;
    h->code = 0;
    h->id = tb_htons(ECHO_ID);
    h->seq = tb_htons(seq);
    h->csum = 0;
    h->csum = tb_csum(icmp, TB_ICMP_HLEN + PAYLOAD);
    return TB_ETH_HLEN + TB_IP_HLEN + TB_ICMP_HLEN + PAYLOAD;
}

/* 1 when the frame is our echo reply with sequence seq; ARP and pings for us are answered on the way. */
static int is_reply(struct tb_nic *nic, size_t len, uint32_t to, uint16_t seq)
{
    struct tb_ip_view ip;
    struct tb_udp_view udp;
    if (tb_ip_parse_frame(frame, len, &ip) == 0 && ip.proto == TB_IPPROTO_ICMP && ip.src == to &&
        ip.l4_len >= TB_ICMP_HLEN) {
        const struct tb_icmp_hdr *h = (const struct tb_icmp_hdr *)ip.l4;
        return h->type == TB_ICMP_ECHO_REPLY && tb_ntohs(h->id) == ECHO_ID && tb_ntohs(h->seq) == seq;
    }
    tb_nic_input(nic, frame, len, &udp);
    return 0;
}

static void sort(uint64_t *v, unsigned n) /* insertion sort: a few thousand samples, once */
{
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

int solo5_app_main(const struct solo5_start_info *si)
{
    char rest[256], err[160], ip[16];
    uint32_t to;
    struct tb_args a;
    struct tb_nic nic;
    uint8_t mac[TB_ETH_ALEN];

    if (split_target(si->cmdline, &to, rest, sizeof rest) != 0 ||
        tb_args_parse(rest, TB_ARG_IP | TB_ARG_GW | TB_ARG_COUNT | TB_ARG_RATE, TB_ARG_IP, &a, err, sizeof err)) {
        tb_printf(APP ": %s\nusage: " APP " --ip=ADDR/PREFIX --to=ADDR [--gw=ADDR] [--count=N] [--rate=PPS]\n",
                  err[0] ? err : "give --to=A.B.C.D");
        return TB_EXIT_USAGE;
    }
    uint64_t count = a.count ? a.count : 100;
    if (count > MAX_SAMPLES)
        count = MAX_SAMPLES;
    if (tb_nic_open(&nic, "service0", a.ip, a.prefix, a.gw) != 0)
        return SOLO5_EXIT_FAILURE;
    nic.answer_ping = true;
    tb_ip_format(ip, sizeof ip, to);
    tb_printf("ready: " APP " to=%s count=%lu\n", ip, count);
    if (tb_arp_resolve(&nic, tb_nic_next_hop(&nic, to), mac, 10000000000ULL) != 0) {
        tb_printf(APP ": no ARP answer for the next hop to %s\n", ip);
        return SOLO5_EXIT_FAILURE;
    }
    uint64_t gap = a.rate ? 1000000000ULL / a.rate : 0, lost = 0;
    unsigned got = 0;
    for (uint16_t seq = 1; seq <= count; seq++) {
        solo5_time_t sent = solo5_clock_monotonic(), deadline = sent + REPLY_TIMEOUT_NS;
        tb_nic_send(&nic, frame, echo_request(&nic, mac, to, seq));
        tb_nic_flush(&nic);
        int answered = 0;
        while (!answered && solo5_clock_monotonic() < deadline) {
            size_t len;
            while (!answered && solo5_net_read(nic.handle, frame, sizeof frame, &len) == SOLO5_R_OK)
                answered = is_reply(&nic, len, to, seq);
            if (!answered)
                solo5_yield(deadline, NULL);
        }
        solo5_time_t now = solo5_clock_monotonic();
        if (answered)
            rtt_ns[got++] = now - sent;
        else
            lost++;
        while (gap && solo5_clock_monotonic() < sent + gap)
            solo5_yield(sent + gap, NULL);
    }
    sort(rtt_ns, got);
    uint64_t p50 = got ? rtt_ns[got / 2] : 0, p99 = got ? rtt_ns[(got * 99) / 100] : 0;
    tb_printf("{\"summary\":true,\"transmitted\":%lu,\"received\":%u,\"lost\":%lu,\"rtt_p50_us\":%lu.%03lu,"
              "\"rtt_p99_us\":%lu.%03lu,\"rtt_min_us\":%lu.%03lu}\n", count, got, lost, p50 / 1000, p50 % 1000,
              p99 / 1000, p99 % 1000, got ? rtt_ns[0] / 1000 : 0, got ? rtt_ns[0] % 1000 : 0);
    return SOLO5_EXIT_SUCCESS;
}
