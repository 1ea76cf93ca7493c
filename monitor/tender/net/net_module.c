/* net_module.c: the net module: its NICs' hooks and the NET_WRITE, NET_READ and POLL hypercalls. */
#include "hc_net.h"
#include "module.h"
#include "net.h"

static const struct tb_hypercall_def hypercalls[] = {
    { HVT_HYPERCALL_POLL, "poll", tb_hc_poll },
    { HVT_HYPERCALL_NET_WRITE, "net_write", tb_hc_net_write },
    { HVT_HYPERCALL_NET_READ, "net_read", tb_hc_net_read },
};

const struct tb_module tb_module_net = {
    .name = "net",
    .attach = tb_net_attach,
    .install = tb_net_install,
    .stats = tb_net_stats,
    .hypercalls = hypercalls,
    .hypercall_count = TB_COUNT(hypercalls),
};
