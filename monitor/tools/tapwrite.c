/* tapwrite: the transmit ceiling: writes the same UDP frame into an existing TAP as fast as a host program can. */
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "toolutil.h"

#define NS 1000000000ull
#define CLOCK_EVERY 256

static const char usage[] =
    "usage: tapwrite --tap=IF --src=IP --dst=IP:PORT [--netns=NAME] [--size=BYTES] --seconds=S [--json]\n"
    "  Opens the existing TAP IF (IFF_TAP|IFF_NO_PI) and writes UDP frames from --src to --dst\n"
    "  (addressed to IF's own MAC, so the host stack takes them) for S seconds, as fast as it can:\n"
    "  what a guest's transmit path is measured against. --size is the UDP payload (default 1258:\n"
    "  1300-byte frames). Prints 'ready: tapwrite tap=IF' once attached. Exit 2 on bad arguments.\n";

struct config {
    const char *tap, *netns;
    struct in_addr src, dst;
    uint16_t port;
    size_t size;
    double seconds;
    bool json;
};

static void parse_dst(struct config *c, const char *v)
{
    char ip[64];
    const char *colon = strrchr(v, ':');
    if (!colon || (size_t)(colon - v) >= sizeof ip)
        usage_error("--dst: expected IP:PORT");
    memcpy(ip, v, (size_t)(colon - v));
    ip[colon - v] = '\0';
    if (inet_pton(AF_INET, ip, &c->dst) != 1)
        usage_error("--dst: '%s' is not an IPv4 address", ip);
    c->port = (uint16_t)parse_u64("--dst", colon + 1, 1, 65535);
}

static void parse_args(int argc, char **argv, struct config *c)
{
    const char *v;
    *c = (struct config){ .size = 1300 - 42 };
    bool have_src = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            exit(0);
        } else if ((v = opt_value(a, "--tap"))) {
            c->tap = parse_ifname("--tap", v);
        } else if ((v = opt_value(a, "--netns"))) {
            c->netns = v;
        } else if ((v = opt_value(a, "--src"))) {
            if (inet_pton(AF_INET, v, &c->src) != 1)
                usage_error("--src: '%s' is not an IPv4 address", v);
            have_src = true;
        } else if ((v = opt_value(a, "--dst"))) {
            parse_dst(c, v);
        } else if ((v = opt_value(a, "--size"))) {
            c->size = (size_t)parse_u64("--size", v, 8, 1472);
        } else if ((v = opt_value(a, "--seconds"))) {
            c->seconds = parse_seconds("--seconds", v);
        } else if (strcmp(a, "--json") == 0) {
            c->json = true;
        } else {
            usage_error("unknown argument '%s' (see --help)", a);
        }
    }
    if (!c->tap || !have_src || !c->port || c->seconds <= 0)
        usage_error("--tap, --src, --dst and --seconds are required (see --help)");
}

static int open_tap(const char *name, uint8_t mac[6])
{
    if (if_nametoindex(name) == 0)
        runtime_error("--tap=%s: no such interface", name);
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        runtime_error("/dev/net/tun: %s", strerror(errno));
    struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0)
        runtime_error("--tap=%s: TUNSETIFF: %s", name, strerror(errno));
    if (ioctl(fd, TUNSETOFFLOAD, 0UL) < 0) /* as every reader: a killed monitor's offloads must not linger */
        runtime_error("--tap=%s: TUNSETOFFLOAD: %s", name, strerror(errno));
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq hw = { 0 };
    strncpy(hw.ifr_name, name, IFNAMSIZ - 1);
    if (sock < 0 || ioctl(sock, SIOCGIFHWADDR, &hw) < 0)
        runtime_error("--tap=%s: its MAC address: %s", name, strerror(errno));
    close(sock);
    memcpy(mac, hw.ifr_hwaddr.sa_data, 6);
    return fd;
}

static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Ethernet (to the TAP's MAC) + IPv4 + UDP with checksums: a frame the host stack delivers. */
static size_t build(uint8_t *f, const struct config *c, const uint8_t mac[6])
{
    static const uint8_t src_mac[6] = { 0x02, 0x00, 0x00, 0x7e, 0x57, 0x01 };
    size_t ulen = 8 + c->size, ilen = 20 + ulen;
    memcpy(f, mac, 6);
    memcpy(f + 6, src_mac, 6);
    f[12] = 0x08;
    f[13] = 0x00;
    uint8_t *ip = f + 14, *udp = ip + 20;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    ip[2] = (uint8_t)(ilen >> 8);
    ip[3] = (uint8_t)ilen;
    ip[8] = 64;
    ip[9] = 17;
    memcpy(ip + 12, &c->src, 4);
    memcpy(ip + 16, &c->dst, 4);
    uint16_t h = csum(ip, 20, 0);
    ip[10] = (uint8_t)(h >> 8);
    ip[11] = (uint8_t)h;
    udp[0] = 0x9c; udp[1] = 0x40; /* source port 40000 */
    udp[2] = (uint8_t)(c->port >> 8);
    udp[3] = (uint8_t)c->port;
    udp[4] = (uint8_t)(ulen >> 8);
    udp[5] = (uint8_t)ulen;
    udp[6] = udp[7] = 0;
    for (size_t i = 0; i < c->size; i++)
        udp[8 + i] = (uint8_t)i;
    uint32_t pseudo = csum(ip + 12, 8, 17 + (uint32_t)ulen);
    uint16_t u = csum(udp, ulen, (uint16_t)~pseudo);
    udp[6] = (uint8_t)(u >> 8);
    udp[7] = (uint8_t)(u ? u : 0xffff);
    return 14 + ilen;
}

int main(int argc, char **argv)
{
    struct config c;
    uint8_t mac[6], frame[1514];
    tool_name = "tapwrite";
    parse_args(argc, argv, &c);
    if (c.netns)
        enter_netns(c.netns);
    int fd = open_tap(c.tap, mac);
    size_t len = build(frame, &c, mac);
    catch_stop_signals();
    printf("ready: tapwrite tap=%s\n", c.tap);
    fflush(stdout);
    uint64_t start = now_ns(), end = start + (uint64_t)(c.seconds * NS), now = start, frames = 0, errors = 0;
    while (now < end && !stop_requested) {
        for (int i = 0; i < CLOCK_EVERY; i++) {
            if (write(fd, frame, len) == (ssize_t)len)
                frames++;
            else
                errors++;
        }
        now = now_ns();
    }
    double secs = (double)(now - start) / NS;
    if (c.json)
        printf("{\"tool\":\"tapwrite\",\"tap\":\"%s\",\"tx_packets\":%llu,\"errors\":%llu,\"seconds\":%.6f,\"pps\":%.1f}\n",
               c.tap, (unsigned long long)frames, (unsigned long long)errors, secs, secs > 0 ? frames / secs : 0.0);
    return 0;
}
