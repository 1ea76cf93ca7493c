/* guest_lib_harness.c: runs monitor/guest/lib on the host against a fake Solo5 (clock, console, one NIC) for test_guest_lib.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "solo5.h"
#include "tb_args.h"
#include "tb_fmt.h"
#include "tb_net.h"

/* ---- fake Solo5: a clock that jumps to each yield deadline, a NIC with a small TX batch ---- */

#define FAKE_BATCH 4   /* small, so tests exercise flushing when the batch is full */
#define FAKE_RX_MAX 16

static const uint8_t our_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static solo5_time_t fake_now = 1000000000ULL;
static uint8_t txq[FAKE_BATCH][TB_FRAME_MAX];
static size_t txq_len[FAKE_BATCH];
static int txq_n, flushes;
static uint8_t rxq[FAKE_RX_MAX][TB_FRAME_MAX];
static size_t rxq_len[FAKE_RX_MAX];
static int rx_head, rx_tail;

/* The simulated peer for the resolver test: which address it owns and on which request it answers. */
static uint32_t peer_ip;
static uint8_t peer_mac[6];
static int peer_answer_on, arp_requests_seen;

static void print_hex(const char *label, const uint8_t *p, size_t n)
{
    printf("%s ", label);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

solo5_time_t solo5_clock_monotonic(void) { return fake_now; }
solo5_time_t solo5_clock_wall(void) { return fake_now; }
void solo5_console_write(const char *buf, size_t size) { fwrite(buf, 1, size, stdout); }

void solo5_exit(int status)
{
    fflush(stdout);
    exit(status);
}

void solo5_abort(void) { solo5_exit(255); }

void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready)
{
    if (rx_head == rx_tail && deadline > fake_now)
        fake_now = deadline;
    if (ready)
        *ready = rx_head != rx_tail ? 1 : 0;
}

solo5_result_t solo5_net_acquire(const char *name, solo5_handle_t *h, struct solo5_net_info *info)
{
    if (strcmp(name, "service0") != 0)
        return SOLO5_R_EINVAL;
    *h = 0;
    memcpy(info->mac_address, our_mac, 6);
    info->mtu = 1500;
    return SOLO5_R_OK;
}

solo5_result_t solo5_net_read(solo5_handle_t h, uint8_t *buf, size_t size, size_t *n)
{
    (void)h;
    if (rx_head == rx_tail)
        return SOLO5_R_AGAIN;
    if (rxq_len[rx_head] > size)
        return SOLO5_R_EINVAL;
    memcpy(buf, rxq[rx_head], rxq_len[rx_head]);
    *n = rxq_len[rx_head];
    rx_head = (rx_head + 1) % FAKE_RX_MAX;
    return SOLO5_R_OK;
}

solo5_result_t solo5_net_queue(solo5_handle_t h, const uint8_t *buf, size_t size)
{
    (void)h;
    if (txq_n == FAKE_BATCH)
        return SOLO5_R_AGAIN;
    if (size > TB_FRAME_MAX)
        return SOLO5_R_EINVAL;
    memcpy(txq[txq_n], buf, size);
    txq_len[txq_n++] = size;
    return SOLO5_R_OK;
}

static void rx_push(const uint8_t *frame, size_t len)
{
    memcpy(rxq[rx_tail], frame, len);
    rxq_len[rx_tail] = len;
    rx_tail = (rx_tail + 1) % FAKE_RX_MAX;
}

/* The peer answers ARP requests for its address, built byte by byte here, not with the library. */
static void peer_sees(const uint8_t *f, size_t len)
{
    if (len < 42 || f[12] != 0x08 || f[13] != 0x06 || f[21] != 1)
        return;
    uint32_t tpa = (uint32_t)f[38] << 24 | (uint32_t)f[39] << 16 | (uint32_t)f[40] << 8 | f[41];
    if (tpa != peer_ip)
        return;
    if (++arp_requests_seen < peer_answer_on)
        return;
    uint8_t r[60] = { 0 };  /* minimum Ethernet frame, padded */
    memcpy(r, f + 6, 6);
    memcpy(r + 6, peer_mac, 6);
    const uint8_t head[] = { 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 2 };
    memcpy(r + 12, head, sizeof(head));
    memcpy(r + 22, peer_mac, 6);
    memcpy(r + 28, f + 38, 4);     /* sender: the address asked about */
    memcpy(r + 32, f + 22, 10);    /* target: the asker's MAC and IP */
    rx_push(r, sizeof(r));
}

solo5_result_t solo5_net_write(solo5_handle_t h, const uint8_t *buf, size_t size)
{
    solo5_result_t r = solo5_net_queue(h, buf, size);
    return r == SOLO5_R_OK ? solo5_net_flush(h) : r;
}

solo5_result_t solo5_net_flush(solo5_handle_t h)
{
    (void)h;
    flushes++;
    for (int i = 0; i < txq_n; i++) {
        print_hex("tx", txq[i], txq_len[i]);
        peer_sees(txq[i], txq_len[i]);
    }
    txq_n = 0;
    return SOLO5_R_OK;
}

/* ---- helpers ---- */

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; s[0] && s[1] && n < cap; s += 2) {
        unsigned v;
        sscanf(s, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

static uint32_t ip_arg(const char *s)
{
    uint32_t ip = 0;
    if (!tb_ip_parse(s, &ip)) {
        fprintf(stderr, "bad ip %s\n", s);
        exit(99);
    }
    return ip;
}

static void mac_arg(const char *s, uint8_t mac[6])
{
    unsigned m[6];
    sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]);
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)m[i];
}

static void open_nic(struct tb_nic *nic)
{
    if (tb_nic_open(nic, "service0", ip_arg("10.0.0.2"), 24, ip_arg("10.0.0.1")) != 0)
        exit(98);
    nic->answer_ping = true;
}

/* ---- commands ---- */

static int cmd_csum(char **argv)
{
    static uint8_t buf[1 << 20];
    size_t off = (size_t)atoi(argv[1]);   /* start at an odd offset to test unaligned loads */
    size_t n = unhex(argv[2], buf + off, sizeof(buf) - off);
    uint16_t c = tb_csum(buf + off, n);
    const uint8_t *b = (const uint8_t *)&c;
    printf("%02x%02x\n", b[0], b[1]);     /* as stored: network order */
    return 0;
}

static int cmd_ip(char **argv)
{
    uint32_t ip;
    char text[16];
    const char *rest = tb_ip_parse(argv[1], &ip);
    if (!rest) {
        printf("fail\n");
        return 0;
    }
    tb_ip_format(text, sizeof(text), ip);
    printf("ok %s %08x rest=[%s]\n", text, ip, rest);
    return 0;
}

static int cmd_args(char **argv)
{
    struct tb_args a;
    char err[160];
    uint32_t allowed = (uint32_t)strtoul(argv[2], NULL, 0), required = (uint32_t)strtoul(argv[3], NULL, 0);

    if (tb_args_parse(argv[1], allowed, required, &a, err, sizeof(err)) != 0) {
        printf("err %s\n", err);
        return 0;
    }
    printf("ok seen=%u ip=%08x prefix=%u gw=%08x port=%u dst=%08x:%u size=%lu rate=%lu millis=%lu count=%lu\n",
           a.seen, a.ip, a.prefix, a.gw, a.port, a.dst_ip, a.dst_port, (unsigned long)a.size,
           (unsigned long)a.rate, (unsigned long)a.millis, (unsigned long)a.count);
    return 0;
}

static int cmd_args_exit(char **argv)
{
    struct tb_args a;
    tb_args_or_exit(argv[1], argv[2], TB_ARG_IP | TB_ARG_PORT | TB_ARG_SECONDS, TB_ARG_IP, &a);
    printf("parsed\n");
    return 0;
}

static int cmd_input(char **argv)
{
    static uint8_t frame[TB_FRAME_MAX];
    struct tb_nic nic;
    struct tb_udp_view udp;

    open_nic(&nic);
    size_t n = unhex(argv[1], frame, sizeof(frame));
    enum tb_input r = tb_nic_input(&nic, frame, n, &udp);
    tb_nic_flush(&nic);
    if (r == TB_IN_UDP) {
        printf("udp src=%08x:%u dst=%08x:%u len=%zu\n", udp.src_ip, udp.sport, udp.dst_ip, udp.dport, udp.len);
        print_hex("payload", udp.payload, udp.len);
    } else {
        printf("%s\n", r == TB_IN_HANDLED ? "handled" : "ignored");
    }
    const uint8_t *learned = tb_arp_lookup(&nic.arp, ip_arg("10.0.0.1"));
    if (learned)
        print_hex("learned 10.0.0.1", learned, 6);
    return 0;
}

static int cmd_udp_build(char **argv)
{
    static uint8_t frame[TB_FRAME_MAX], payload[TB_FRAME_MAX];
    struct tb_udp_flow f;

    mac_arg(argv[1], f.src_mac);
    mac_arg(argv[2], f.dst_mac);
    f.src_ip = ip_arg(argv[3]);
    f.dst_ip = ip_arg(argv[4]);
    f.sport = (uint16_t)atoi(argv[5]);
    f.dport = (uint16_t)atoi(argv[6]);
    size_t n = unhex(argv[8], payload, sizeof(payload));
    size_t len = tb_udp_build(frame, sizeof(frame), &f, (uint16_t)atoi(argv[7]), payload, n);
    if (len == 0) {
        printf("toolong\n");
        return 0;
    }
    print_hex("frame", frame, len);
    /* The library must accept what it builds. */
    struct tb_udp_view v;
    printf("reparse %d\n", tb_udp_parse(frame, len, &v) == 0 && v.len == n &&
                               memcmp(v.payload, payload, n) == 0);
    return 0;
}

static int cmd_resolve(char **argv)
{
    struct tb_nic nic;
    uint8_t mac[6];

    open_nic(&nic);
    peer_ip = ip_arg(argv[1]);
    mac_arg(argv[2], peer_mac);
    peer_answer_on = atoi(argv[3]);   /* 0 never answers */
    if (peer_answer_on == 0)
        peer_answer_on = 1 << 30;
    solo5_time_t t0 = fake_now;
    int r = tb_arp_resolve(&nic, peer_ip, mac, 1000000000ULL);
    unsigned long ms = (unsigned long)((fake_now - t0) / 1000000);
    if (r == 0)
        printf("resolved %02x:%02x:%02x:%02x:%02x:%02x requests=%d ms=%lu\n", mac[0], mac[1],
               mac[2], mac[3], mac[4], mac[5], arp_requests_seen, ms);
    else
        printf("timeout requests=%d ms=%lu\n", arp_requests_seen, ms);
    /* A second resolve must come from the cache without asking again. */
    if (r == 0) {
        int before = arp_requests_seen;
        r = tb_arp_resolve(&nic, peer_ip, mac, 1000000000ULL);
        printf("cached %d asked=%d\n", r == 0, arp_requests_seen - before);
    }
    return 0;
}

static int cmd_burst(char **argv)
{
    struct tb_nic nic;
    uint8_t frame[64] = { 0 };
    int n = atoi(argv[1]);

    open_nic(&nic);
    for (int i = 0; i < n; i++) {
        frame[0] = (uint8_t)i;
        if (tb_nic_send(&nic, frame, sizeof(frame)) != 0)
            printf("send failed\n");
    }
    tb_nic_flush(&nic);
    tb_nic_flush(&nic);  /* nothing queued: must not reach the monitor */
    printf("flushes=%d errors=%lu\n", flushes, (unsigned long)nic.tx_errors);
    return 0;
}

static int cmd_open_missing(char **argv)
{
    struct tb_nic nic;
    (void)argv;
    printf("rc=%d\n", tb_nic_open(&nic, "nosuch", 0, 0, 0));
    return 0;
}

/* In guest_lib_fmt_cases.c: the formatter against the host libc, case by case. */
int cmd_fmt(char **argv);

struct command {
    const char *name;
    int args;
    int (*run)(char **argv);
};

static const struct command commands[] = {
    { "csum", 2, cmd_csum },       { "ip", 1, cmd_ip },
    { "args", 3, cmd_args },       { "args-exit", 2, cmd_args_exit },
    { "input", 1, cmd_input },     { "udp-build", 8, cmd_udp_build },
    { "resolve", 3, cmd_resolve }, { "burst", 1, cmd_burst },
    { "open-missing", 0, cmd_open_missing }, { "fmt", 0, cmd_fmt },
};

int main(int argc, char **argv)
{
    for (size_t i = 0; argc >= 2 && i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0 && argc - 2 == commands[i].args)
            return commands[i].run(argv + 1);
    fprintf(stderr, "usage: harness COMMAND ARGS (see commands[] in %s)\n", __FILE__);
    return 99;
}
