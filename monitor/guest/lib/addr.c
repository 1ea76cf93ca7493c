/* addr.c: IPv4 and MAC addresses: dotted-quad parsing and formatting, prefix masks. */
#include "tb_wire.h"
#include "tb_fmt.h"

const uint8_t tb_mac_broadcast[TB_ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* One decimal octet, 0..255, 1-3 digits, no sign; NULL if malformed. */
static const char *parse_octet(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    int digits = 0;

    while (*s >= '0' && *s <= '9' && digits < 3) {
        v = v * 10 + (uint32_t)(*s - '0');
        s++;
        digits++;
    }
    if (digits == 0 || v > 255 || (*s >= '0' && *s <= '9'))
        return NULL;
    *out = v;
    return s;
}

const char *tb_ip_parse(const char *s, uint32_t *ip)
{
    uint32_t acc = 0, octet;

    for (int i = 0; i < 4; i++) {
        if (i > 0) {
            if (*s != '.')
                return NULL;
            s++;
        }
        s = parse_octet(s, &octet);
        if (!s)
            return NULL;
        acc = (acc << 8) | octet;
    }
    *ip = acc;
    return s;
}

int tb_ip_format(char *buf, size_t size, uint32_t ip)
{
    return tb_snprintf(buf, size, "%u.%u.%u.%u", (unsigned)(ip >> 24),
                       (unsigned)(ip >> 16) & 0xff, (unsigned)(ip >> 8) & 0xff,
                       (unsigned)ip & 0xff);
}

int tb_mac_format(char *buf, size_t size, const uint8_t mac[TB_ETH_ALEN])
{
    return tb_snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x",
                       mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

uint32_t tb_prefix_mask(unsigned prefix)
{
    /* A shift by 32 is undefined in C, so /0 is its own case. */
    return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}
