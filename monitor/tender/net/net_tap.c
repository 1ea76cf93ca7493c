/* net_tap.c: attaches to an existing TAP interface (never creates one) and reads its MTU. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "net.h"

#define DEFAULT_MTU 1500

static uint16_t read_mtu(const char *ifname)
{
    struct ifreq ifr = { 0 };
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
    int ok = sock >= 0 && ioctl(sock, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0 && ifr.ifr_mtu <= 65535;
    if (sock >= 0)
        close(sock);
    return ok ? (uint16_t)ifr.ifr_mtu : DEFAULT_MTU;
}

int tb_tap_open(const char *ifname, const char *where, uint16_t *mtu)
{
    const char *in = where ? " in namespace " : "", *ns = where ? where : "";
    /* TUNSETIFF would create a missing interface: the orchestrator owns interfaces, so refuse. */
    if (if_nametoindex(ifname) == 0)
        tb_die("TAP %s%s%s does not exist", ifname, in, ns);
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        tb_die_errno("cannot open /dev/net/tun");
    struct ifreq ifr = { 0 };
    strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        if (errno == EBUSY)
            tb_die("TAP %s%s%s is busy (another process has it open)", ifname, in, ns);
        if (errno == EINVAL)
            tb_die("%s%s%s is not a single-queue TAP interface", ifname, in, ns);
        tb_die_errno("TAP %s%s%s: TUNSETIFF", ifname, in, ns);
    }
    /* The TAP may have gone between the check above and TUNSETIFF, which then made a new one for us. The
     * orchestrator's TAPs are persistent and ours would not be: refuse it (closing the fd removes it). */
    if (ioctl(fd, TUNGETIFF, &ifr) < 0 || !(ifr.ifr_flags & IFF_PERSIST)) {
        close(fd);
        tb_die("TAP %s%s%s does not exist", ifname, in, ns);
    }
    *mtu = read_mtu(ifname);
    return fd;
}
