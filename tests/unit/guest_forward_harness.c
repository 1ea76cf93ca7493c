/* guest_forward_harness.c: runs the guest library's router (route.c, forward.c) on the host against a fake Solo5 for test_forward_lib.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "solo5.h"
#include "tb_forward.h"
#include "tb_route.h"

/* ---- fake Solo5: two NICs; what the router queues is printed as hex, one frame per line ---- */

static solo5_time_t fake_now = 1000000000ULL;

solo5_time_t solo5_clock_monotonic(void) { return fake_now; }
solo5_time_t solo5_clock_wall(void) { return fake_now; }
void solo5_console_write(const char *buf, size_t size) { fwrite(buf, 1, size, stdout); }
void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready) { fake_now = deadline; if (ready) *ready = 0; }
void solo5_exit(int status) { exit(status); }
void solo5_abort(void) { abort(); }

solo5_result_t solo5_net_acquire(const char *name, solo5_handle_t *handle, struct solo5_net_info *info)
{
    *handle = (solo5_handle_t)(name[3] - '0'); /* "net0", "net1" */
    memset(info, 0, sizeof *info);
    info->mac_address[0] = 0x02;
    info->mac_address[5] = (uint8_t)(0x10 + *handle);
    info->mtu = 1500;
    return SOLO5_R_OK;
}

solo5_result_t solo5_net_queue(solo5_handle_t h, const uint8_t *buf, size_t size)
{
    printf("tx %lu ", (unsigned long)h);
    for (size_t i = 0; i < size; i++)
        printf("%02x", buf[i]);
    printf("\n");
    return SOLO5_R_OK;
}

solo5_result_t solo5_net_flush(solo5_handle_t h) { (void)h; return SOLO5_R_OK; }
solo5_result_t solo5_net_read(solo5_handle_t h, uint8_t *b, size_t s, size_t *r) { (void)h; (void)b; (void)s; (void)r; return SOLO5_R_AGAIN; }
solo5_result_t solo5_net_write(solo5_handle_t h, const uint8_t *b, size_t s) { return solo5_net_queue(h, b, s); }

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; s[0] && s[1] && n < cap; s += 2)
        sscanf(s, "%2hhx", &out[n++]);
    return n;
}

/* route "CMDLINE" A.B.C.D: the lookup, or the parse error. */
static int route(const char *cmdline, const char *dst)
{
    struct tb_routes t;
    char err[160];
    unsigned ifindex;
    uint32_t ip, hop;
    if (tb_routes_parse(cmdline, &t, NULL, 0, err, sizeof err) != 0) {
        printf("error: %s\n", err);
        return 0;
    }
    tb_ip_parse(dst, &ip);
    if (tb_routes_lookup(&t, ip, &ifindex, &hop) != 0) {
        printf("none\n");
        return 0;
    }
    char text[16];
    tb_ip_format(text, sizeof text, hop);
    printf("if=%u hop=%s\n", ifindex, text);
    return 0;
}

/* forward "CMDLINE" IN HEX [learn IFINDEX IP MAC]...: feeds one frame to port IN, prints what is queued and the counters. */
static int forward(int argc, char **argv)
{
    static struct tb_routes t;
    static struct tb_forwarder f;
    char err[160];
    if (tb_routes_parse(argv[0], &t, NULL, 0, err, sizeof err) != 0) {
        printf("error: %s\n", err);
        return 1;
    }
    f.routes = &t;
    f.nports = t.nifs;
    for (unsigned i = 0; i < t.nifs; i++)
        tb_nic_open(&f.ports[i].nic, t.ifs[i].name, t.ifs[i].ip, 24, 0);
    for (int i = 3; i + 2 < argc; i += 3) { /* neighbours already known */
        uint32_t ip;
        uint8_t mac[6];
        tb_ip_parse(argv[i + 1], &ip);
        unhex(argv[i + 2], mac, sizeof mac);
        tb_arp_learn(&f.ports[atoi(argv[i])].nic.arp, ip, mac);
    }
    static uint8_t frame[TB_FRAME_MAX];
    size_t len = unhex(argv[2], frame, sizeof frame);
    tb_fwd_input(&f, (unsigned)atoi(argv[1]), frame, len);
    tb_fwd_release_held(&f, fake_now);
    const struct tb_fwd_stats *s = &f.st;
    printf("stats forwarded=%lu local=%lu ttl_expired=%lu no_route=%lu bad_ip=%lu too_big=%lu held=%lu\n",
           (unsigned long)s->forwarded, (unsigned long)s->local, (unsigned long)s->ttl_expired,
           (unsigned long)s->no_route, (unsigned long)s->bad_ip, (unsigned long)s->too_big,
           (unsigned long)s->arp_held);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "route"))
        return route(argv[2], argv[3]);
    if (argc >= 5 && !strcmp(argv[1], "forward"))
        return forward(argc - 2, argv + 2);
    fprintf(stderr, "usage: harness route CMDLINE DST | forward CMDLINE IN HEX [IFINDEX IP MAC]...\n");
    return 2;
}
