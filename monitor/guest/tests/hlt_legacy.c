/* hlt_legacy: answers ARP and ping on shmstream rings but never sleeps by hlt, as a guest built before hlt sleep: under --sleep=hlt it must keep the POLL hypercall. */
#include "solo5.h"
#include "tb_args.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "tb_net.h"

TB_MANIFEST_NET1("service0");

/* Keeps the runtime sleeping in POLL even when the monitor offers hlt sleep. */
const int tb_no_hlt_sleep = 1;

static uint8_t frame[TB_FRAME_MAX];

int solo5_app_main(const struct solo5_start_info *si)
{
    struct tb_args a;
    struct tb_nic nic;
    struct tb_udp_view udp;
    size_t len;

    tb_args_or_exit("hlt_legacy", si->cmdline, TB_ARG_IP | TB_ARG_SECONDS, TB_ARG_IP | TB_ARG_SECONDS, &a);
    if (tb_nic_open(&nic, "service0", a.ip, a.prefix, 0) != 0)
        return SOLO5_EXIT_FAILURE;
    nic.answer_ping = true;
    tb_printf("ready: hlt_legacy\n");
    solo5_time_t end = solo5_clock_monotonic() + a.millis * 1000000ULL;
    while (solo5_clock_monotonic() < end) {
        while (solo5_net_read(nic.handle, frame, sizeof(frame), &len) == SOLO5_R_OK)
            tb_nic_input(&nic, frame, len, &udp);
        tb_nic_flush(&nic);
        solo5_yield(end, NULL);
    }
    tb_printf("{\"summary\":true,\"echo_replies\":%lu}\n", nic.echo_replies);
    return SOLO5_EXIT_SUCCESS;
}
