/* net.c: opens each --net TAP (in its namespace when given), binds it to its manifest handle, picks its MAC; reports it. */
#include <string.h>
#include <sys/random.h>

#include "args.h"
#include "io.h"
#include "json.h"
#include "log.h"
#include "manifest.h"
#include "net.h"
#include "netns.h"
#include "impair.h"
#include "impair_text.h"
#include "peer.h"

enum phase {
    FOREIGN, /* the TAPs given as TAPIF@NETNS: opened before joining --netns */
    LOCAL,   /* the others: opened in the monitor's final namespace */
};

/* A random unicast, locally administered address, unless --net-mac gave one. */
static void choose_mac(struct tb_nic *nic)
{
    if (nic->arg->has_mac) {
        memcpy(nic->mac, nic->arg->mac, sizeof nic->mac);
        return;
    }
    if (getrandom(nic->mac, sizeof nic->mac, 0) != sizeof nic->mac)
        tb_die_errno("getrandom");
    nic->mac[0] = (uint8_t)((nic->mac[0] & 0xfc) | 0x02);
}

static void open_one(struct tb_net *net, const struct tb_net_arg *arg, int handle)
{
    struct tb_nic *nic = &net->nics[net->count++];
    nic->arg = arg;
    nic->handle = (unsigned)handle;
    if (arg->peer) { /* an shm link: no TAP (net/peer_args.c) */
        tb_peer_open(nic);
        choose_mac(nic);
        net->by_handle[handle] = nic;
        return;
    }
    nic->vnet = net->vnet;
    if (arg->netns[0]) {
        int home = tb_netns_current();
        tb_netns_enter(arg->netns, arg->name);
        nic->fd = tb_tap_open(arg->ifname, arg->netns, &nic->mtu, nic->vnet);
        tb_netns_return(home);
    } else {
        nic->fd = tb_tap_open(arg->ifname, NULL, &nic->mtu, nic->vnet);
    }
    tb_tap_backlog_init(nic);
    choose_mac(nic);
    net->by_handle[handle] = nic;
}

static void open_phase(struct tb_net *net, const struct tb_config *cfg, const struct tb_manifest *mft, enum phase phase)
{
    for (unsigned i = 0; i < cfg->net_count; i++) {
        const struct tb_net_arg *arg = &cfg->nets[i];
        if ((arg->netns[0] != 0) != (phase == FOREIGN))
            continue;
        int handle = tb_manifest_index(mft, arg->name);
        if (handle < 0) /* tb_manifest_match ran first */
            tb_die("--net:%s: no such device in the manifest", arg->name);
        open_one(net, arg, handle);
    }
}

/* Order matters: TAPs named with @NETNS are opened before joining --netns (the whole monitor's), the others after. */
void tb_net_attach(struct tb_vm *vm, const struct tb_manifest *mft)
{
    struct tb_net *net = tb_xcalloc(1, sizeof *net);
    net->poll_epfd = -1;
    /* shmstream splits what offloads bring (GSO frames, partial checksums); so do the hypercalls of guests without rings. */
    net->vnet = vm->io && vm->io->rings && vm->cfg->shm.offloads;
    vm->net = net;
    open_phase(net, vm->cfg, mft, FOREIGN);
    if (vm->cfg->netns[0])
        tb_netns_enter(vm->cfg->netns, "--netns");
    open_phase(net, vm->cfg, mft, LOCAL);
}

void tb_net_install(struct tb_vm *vm, struct mft *guest_copy)
{
    for (unsigned i = 0; i < vm->net->count; i++) {
        const struct tb_nic *nic = &vm->net->nics[i];
        struct mft_entry *e = &guest_copy->e[nic->handle];
        memcpy(e->u.net_basic.mac, nic->mac, sizeof nic->mac);
        e->u.net_basic.mtu = nic->mtu;
        e->attached = 1;
    }
}

/* The stats hook's part: `, "impair": {"tx": {...}, "rx": {...}}` for an impaired NIC, nothing otherwise. */
static void impair_stats(const struct tb_nic *nic, FILE *f)
{
    if (!nic->impair)
        return;
    static const char *const names[2] = { "tx", "rx" };
    fprintf(f, ", \"impair\": {");
    int first = 1;
    for (unsigned d = 0; d < 2; d++) {
        if (!nic->impair_engine[d])
            continue;
        fprintf(f, "%s\"%s\": ", first ? "" : ", ", names[d]);
        tb_impair_counters_json(f, tb_impair_counters(nic->impair_engine[d]));
        first = 0;
    }
    fprintf(f, "}");
}

void tb_net_stats(const struct tb_vm *vm, FILE *f)
{
    const struct tb_net *net = vm->net;
    unsigned count = net ? net->count : 0;
    fprintf(f, "  \"nics\": {");
    for (unsigned i = 0; i < count; i++) {
        const struct tb_nic *n = &net->nics[i];
        fprintf(f, "%s\n    ", i ? "," : "");
        tb_json_string(f, n->arg->name);
        fprintf(f, ": {\"tap\": ");
        tb_json_string(f, n->arg->ifname);
        fprintf(f,
                ", \"rx_packets\": %llu, \"rx_bytes\": %llu, \"rx_drops\": %llu, "
                "\"tx_packets\": %llu, \"tx_bytes\": %llu, \"tx_drops\": %llu",
                (unsigned long long)n->st.rx_packets, (unsigned long long)n->st.rx_bytes,
                (unsigned long long)n->st.rx_drops, (unsigned long long)n->st.tx_packets,
                (unsigned long long)n->st.tx_bytes, (unsigned long long)n->st.tx_drops);
        impair_stats(n, f);
        fprintf(f, "}");
    }
    fprintf(f, "%s},\n", count ? "\n  " : "");
}
