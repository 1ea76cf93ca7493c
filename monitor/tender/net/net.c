/* net.c: opens each --net TAP (in its namespace when given), binds it to its manifest handle, picks its MAC. */
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "manifest.h"
#include "net.h"
#include "netns.h"

struct tb_nic tb_nics[MFT_MAX_ENTRIES];
unsigned tb_nic_count;
static struct tb_nic *by_handle[MFT_MAX_ENTRIES];

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

static void open_one(const struct tb_net_arg *arg, int handle)
{
    struct tb_nic *nic = &tb_nics[tb_nic_count++];
    nic->arg = arg;
    nic->handle = (unsigned)handle;
    if (arg->netns[0]) {
        int home = tb_netns_current();
        tb_netns_enter(arg->netns, arg->name);
        nic->fd = tb_tap_open(arg->ifname, arg->netns, &nic->mtu);
        tb_netns_return(home);
    } else {
        nic->fd = tb_tap_open(arg->ifname, NULL, &nic->mtu);
    }
    choose_mac(nic);
    by_handle[handle] = nic;
}

void tb_net_open(const struct tb_config *cfg, const struct tb_manifest *mft, enum tb_net_phase phase)
{
    for (unsigned i = 0; i < cfg->net_count; i++) {
        const struct tb_net_arg *arg = &cfg->nets[i];
        if ((arg->netns[0] != 0) != (phase == TB_NET_FOREIGN))
            continue;
        int handle = tb_manifest_index(mft, arg->name);
        if (handle < 0) /* tb_manifest_match ran first */
            tb_die("--net:%s: no such device in the manifest", arg->name);
        open_one(arg, handle);
    }
}

struct tb_nic *tb_nic_for_handle(uint64_t handle)
{
    return handle < MFT_MAX_ENTRIES ? by_handle[handle] : NULL;
}
