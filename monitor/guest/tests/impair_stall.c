/* impair_stall: takes lazy checksums, stops reading its NIC for --seconds (its RX ring fills), then counts the valid UDP datagrams to --port for 3 s. */
#include "solo5.h"
#include "tb_args.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "tb_net.h"

TB_MANIFEST_NET1("service0");
/* As udp-sink: the monitor may split GSO frames leaving the checksums it vouches for to us (runtime/shm_net.h), the
 * state in which an impaired NIC holds segments that a run-time change must not find unprepared. */
const int tb_shm_csum_lazy = 1;

#define APP "impair_stall"
#define READ_NS 3000000000ULL

static uint8_t frame[TB_FRAME_MAX];

struct tally {
    uint64_t udp, udp_bytes, other;
};

/* Reads what is waiting; UDP datagrams for our port (checksum checked unless the monitor vouched for it) counted. */
static void drain(struct tb_nic *nic, uint16_t port, struct tally *t)
{
    struct tb_udp_view udp;
    size_t len;
    while (solo5_net_read(nic->handle, frame, sizeof frame, &len) == SOLO5_R_OK) {
        if (tb_nic_input(nic, frame, len, &udp) == TB_IN_UDP && udp.dport == port) {
            t->udp++;
            t->udp_bytes += udp.len;
        } else {
            t->other++;
        }
    }
    tb_nic_flush(nic);
}

int solo5_app_main(const struct solo5_start_info *si)
{
    static struct tb_nic nic;
    struct tally t = { 0 };
    struct tb_args a;

    tb_args_or_exit(APP, si->cmdline, TB_ARG_IP | TB_ARG_PORT | TB_ARG_SECONDS, TB_ARG_IP | TB_ARG_PORT | TB_ARG_SECONDS,
                    &a);
    if (tb_nic_open(&nic, "service0", a.ip, a.prefix, 0) != 0)
        return SOLO5_EXIT_FAILURE;
    tb_printf("ready: " APP " port=%u\n", a.port);
    tb_printf("stalling\n");
    solo5_time_t until = solo5_clock_monotonic() + a.millis * 1000000ULL;
    while (solo5_clock_monotonic() < until) /* busy and not reading: the ring fills and stays full */
        ;
    tb_printf("reading\n");
    until = solo5_clock_monotonic() + READ_NS;
    while (solo5_clock_monotonic() < until) {
        drain(&nic, a.port, &t);
        solo5_yield(until, NULL);
    }
    tb_printf("{\"summary\":true,\"udp\":%lu,\"udp_bytes\":%lu,\"other\":%lu}\n", t.udp, t.udp_bytes, t.other);
    return SOLO5_EXIT_SUCCESS;
}
