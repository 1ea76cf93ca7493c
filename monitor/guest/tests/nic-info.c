/* nic-info: acquires its one NIC "service0" and prints the MAC and MTU the monitor attached, then exits 0. */
#include "solo5.h"
#include "tb_fmt.h"
#include "tb_manifest.h"

TB_MANIFEST_NET1("service0");

int solo5_app_main(const struct solo5_start_info *info)
{
    (void)info;
    solo5_handle_t h;
    struct solo5_net_info ni;
    if (solo5_net_acquire("service0", &h, &ni) != SOLO5_R_OK) {
        tb_printf("nic-info: acquire failed\n");
        return 1;
    }
    const uint8_t *m = ni.mac_address;
    tb_printf("nic-info: handle %lu mac %02x:%02x:%02x:%02x:%02x:%02x mtu %zu\n", (unsigned long)h, m[0], m[1], m[2],
              m[3], m[4], m[5], ni.mtu);
    solo5_handle_t bogus;
    if (solo5_net_acquire("nonexistent", &bogus, &ni) == SOLO5_R_OK) {
        tb_printf("nic-info: acquired a device that is not in the manifest\n");
        return 1;
    }
    return 0;
}
