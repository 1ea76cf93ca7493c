/* forward: an IPv4 router between its NICs: --if=NAME,ADDR/PREFIX per NIC, --route=DST/PREFIX,GW static routes; answers ARP and ping. */
#include "solo5.h"
#include "tb_args.h"
#include "tb_fmt.h"
#include "tb_forward.h"
#include "tb_manifest.h"
#include "tb_net.h"
#include "tb_route.h"
#include "tb_string.h"

#ifndef FORWARD_APP
#define FORWARD_APP "forward"
TB_MANIFEST_NET2("net0", "net1");
#endif

#define BATCH 64                   /* frames per NIC per round, so one busy NIC cannot starve the others */
#define IDLE_WAKE_NS 100000000ULL  /* wake at least every 100 ms: held frames re-ask ARP */

static struct tb_routes routes;
static struct tb_forwarder fwd;
static uint8_t frame[TB_FRAME_MAX];

static void usage_exit(const char *why)
{
    tb_printf(FORWARD_APP ": %s\n", why);
    tb_printf("usage: " FORWARD_APP " --if=NAME,ADDR/PREFIX... [--route=DST/PREFIX,GW...] [--seconds=S]\n");
    solo5_exit(TB_EXIT_USAGE);
}

static void open_ports(void)
{
    for (unsigned i = 0; i < routes.nifs; i++) {
        const struct tb_route_if *ri = &routes.ifs[i];
        struct tb_fwd_port *p = &fwd.ports[i];
        unsigned prefix = 0;
        for (uint32_t m = ri->mask; m; m <<= 1) /* a prefix mask: count its leading ones */
            prefix++;
        if (tb_nic_open(&p->nic, ri->name, ri->ip, prefix, 0) != 0)
            solo5_exit(SOLO5_EXIT_FAILURE);
        p->nic.answer_ping = true;
        char ip[16];
        tb_ip_format(ip, sizeof ip, ri->ip);
        tb_printf(FORWARD_APP ": %s %s/%u\n", ri->name, ip, prefix);
    }
    fwd.nports = routes.nifs;
    fwd.routes = &routes;
}

/* One round: up to BATCH frames from each NIC, then every queue flushed; the number of frames read. */
static unsigned round_robin(void)
{
    unsigned got = 0;
    for (unsigned i = 0; i < fwd.nports; i++) {
        size_t len;
        for (unsigned n = 0; n < BATCH; n++) {
            if (solo5_net_read(fwd.ports[i].nic.handle, frame, sizeof frame, &len) != SOLO5_R_OK)
                break;
            tb_fwd_input(&fwd, i, frame, len);
            got++;
        }
    }
    return got;
}

static void flush_all(void)
{
    for (unsigned i = 0; i < fwd.nports; i++)
        tb_nic_flush(&fwd.ports[i].nic);
}

static bool any_held(void)
{
    for (unsigned i = 0; i < fwd.nports; i++)
        if (fwd.ports[i].nheld)
            return true;
    return false;
}

int solo5_app_main(const struct solo5_start_info *si)
{
    char err[160], rest[256];
    struct tb_args a;

    if (tb_routes_parse(si->cmdline, &routes, rest, sizeof rest, err, sizeof err) != 0)
        usage_exit(err);
    if (tb_args_parse(rest, TB_ARG_SECONDS, 0, &a, err, sizeof err) != 0)
        usage_exit(err);
    if (routes.nifs == 0)
        usage_exit("give every NIC an address: --if=NAME,ADDR/PREFIX");
    open_ports();
    tb_fwd_ask_gateways(&fwd);
    tb_printf("ready: " FORWARD_APP " nics=%u routes=%u\n", routes.nifs, routes.nroutes);

    solo5_time_t end = (a.seen & TB_ARG_SECONDS) ? solo5_clock_monotonic() + a.millis * 1000000ULL : 0;
    for (;;) {
        unsigned got = round_robin();
        solo5_time_t now = solo5_clock_monotonic();
        if (any_held())
            tb_fwd_release_held(&fwd, now);
        flush_all();
        if (end && now >= end)
            break;
        if (got)
            continue;
        solo5_time_t wake = now + IDLE_WAKE_NS;
        solo5_yield(end && end < wake ? end : wake, NULL);
    }
    const struct tb_fwd_stats *s = &fwd.st;
    tb_printf("{\"summary\":true,\"forwarded\":%lu,\"local\":%lu,\"ttl_expired\":%lu,\"no_route\":%lu,"
              "\"bad_ip\":%lu,\"too_big\":%lu,\"arp_held\":%lu,\"arp_dropped\":%lu}\n",
              s->forwarded, s->local, s->ttl_expired, s->no_route, s->bad_ip, s->too_big, s->arp_held,
              s->arp_dropped);
    return SOLO5_EXIT_SUCCESS;
}
