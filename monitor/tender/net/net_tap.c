/* net_tap.c: attaches to an existing TAP interface (never creates one), reads its MTU, and runs its vnet header and offloads. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "gso.h"
#include "log.h"
#include "net.h"
#include "tb_ring.h"

#define DEFAULT_MTU 1500
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20 /* Linux 6.2: UDP segmentation offload; Debian 12's headers predate it */
#define TUN_F_USO6 0x40
#endif
/* What shmstream's IO thread can split into ring slots (io/gso.c): checksums, TCP and UDP segmentation. */
#define OFFLOADS_TCP (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)
#define OFFLOADS (OFFLOADS_TCP | TUN_F_USO4 | TUN_F_USO6)

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

int tb_tap_open(const char *ifname, const char *where, uint16_t *mtu, int vnet)
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
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        if (errno == EBUSY)
            tb_die("TAP %s%s%s is busy (another process has it open)", ifname, in, ns);
        if (errno == EINVAL)
            tb_die("%s%s%s is not a single-queue TAP interface", ifname, in, ns);
        tb_die_errno("TAP %s%s%s: TUNSETIFF", ifname, in, ns);
    }
    int hdr = sizeof(struct virtio_net_hdr);
    if (vnet && ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0)
        tb_die_errno("TAP %s%s%s: TUNSETVNETHDRSZ", ifname, in, ns);
    /* Offloads belong to the device, not to our fd: set them either way (see net.h). */
    if (ioctl(fd, TUNSETOFFLOAD, vnet ? (unsigned long)OFFLOADS : 0UL) < 0 &&
        (!vnet || errno != EINVAL || ioctl(fd, TUNSETOFFLOAD, (unsigned long)OFFLOADS_TCP) < 0))
        tb_die_errno("TAP %s%s%s: TUNSETOFFLOAD", ifname, in, ns); /* a kernel before 6.2 has no USO: TCP's alone */
    *mtu = read_mtu(ifname);
    return fd;
}

/* A GSO frame read through a hypercall: its segments, handed out one NET_READ at a time. */
struct tb_tap_backlog {
    uint8_t raw[65536];
    uint8_t seg[64][TB_SHM_FRAME_MAX];
    uint32_t len[64];
    uint16_t flags[64];
    unsigned next, count;
};

void tb_tap_backlog_init(struct tb_nic *nic)
{
    if (nic->vnet)
        nic->backlog = tb_xcalloc(1, sizeof *nic->backlog);
}

/* Frame k of the backlog into the guest's buffer; its full length (more than len: too big, nothing copied). */
static ssize_t hand_out(struct tb_tap_backlog *b, void *buf, size_t len)
{
    unsigned k = b->next++;
    if (b->len[k] <= len)
        memcpy(buf, b->seg[k], b->len[k]);
    return b->len[k];
}

ssize_t tb_tap_read(const struct tb_nic *nic, void *buf, size_t len)
{
    if (!nic->vnet)
        return read(nic->fd, buf, len);
    struct tb_tap_backlog *b = nic->backlog;
    if (b->next < b->count)
        return hand_out(b, buf, len);
    struct tb_gso_in in;
    struct iovec iov[2] = { { &in.h, sizeof in.h }, { b->raw, sizeof b->raw } };
    for (;;) {
        ssize_t n = readv(nic->fd, iov, 2);
        if (n < 0)
            return n;
        if ((size_t)n <= sizeof in.h)
            continue; /* not a frame: skip it */
        in.p0 = b->raw;
        in.n0 = (size_t)n - sizeof in.h;
        in.p1 = NULL;
        in.n1 = 0;
        uint8_t *slots[64];
        for (unsigned k = 0; k < 64; k++)
            slots[k] = b->seg[k];
        struct tb_gso_out out = { .buf = slots, .max = 64, .cap = TB_SHM_FRAME_MAX, .len = b->len, .flags = b->flags };
        unsigned dropped;
        int frames = tb_gso_split(&in, &out, 0, &dropped);
        if (frames <= 0)
            continue; /* a frame we cannot deliver; the next one, or EAGAIN */
        b->next = 0;
        b->count = (unsigned)frames;
        return hand_out(b, buf, len);
    }
}
ssize_t tb_tap_write(const struct tb_nic *nic, const void *buf, size_t len)
{
    if (!nic->vnet)
        return write(nic->fd, buf, len);
    struct virtio_net_hdr h = { .gso_type = VIRTIO_NET_HDR_GSO_NONE };
    struct iovec iov[2] = { { &h, sizeof h }, { (void *)buf, len } };
    ssize_t n = writev(nic->fd, iov, 2);
    return n < 0 ? n : n - (ssize_t)sizeof h;
}

ssize_t tb_tap_write_vnet(const struct tb_nic *nic, const void *vnet_hdr, const void *buf, size_t len)
{
    struct iovec iov[2] = { { (void *)vnet_hdr, sizeof(struct virtio_net_hdr) }, { (void *)buf, len } };
    ssize_t n = writev(nic->fd, iov, 2);
    return n < 0 ? n : n - (ssize_t)sizeof(struct virtio_net_hdr);
}
