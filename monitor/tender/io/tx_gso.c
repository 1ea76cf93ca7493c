/* tx_gso.c: one vnet GSO write for a run of a guest's UDP/IPv4 frames of one flow; the kernel segments it again. */
#include <string.h>

#include "tx_gso.h"

#define HDRS 42 /* Ethernet + IPv4 without options + UDP */

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += get16(p + i);
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* A plain UDP/IPv4 frame whose length fields agree with its size (checked on our copy: the guest's slot may change). */
static int plain_udp4(const uint8_t *h, size_t len)
{
    return len > HDRS && len <= HDRS + 1472 && get16(h + 12) == 0x0800 && h[14] == 0x45 && h[23] == 17 &&
           (get16(h + 20) & 0x3fff) == 0 && get16(h + 16) == len - 14 && get16(h + 38) == len - 34;
}

int tb_tx_gso_start(struct tb_tx_batch *b, const uint8_t *f, size_t len)
{
    b->count = 0;
    if (len <= HDRS || len > sizeof b->buf)
        return 0;
    memcpy(b->buf, f, len);
    if (!plain_udp4(b->buf, len))
        return 0;
    b->len = len;
    b->seg = len - HDRS;
    b->count = 1;
    b->closed = 0;
    return 1;
}

int tb_tx_gso_add(struct tb_tx_batch *b, const uint8_t *f, size_t len)
{
    uint8_t h[HDRS];
    if (!b->count || b->closed || b->count == TB_TX_GSO_MAX_SEGS || len <= HDRS || len - HDRS > b->seg ||
        b->len + (len - HDRS) - 14 > 65535)
        return 0;
    memcpy(h, f, HDRS);
    const uint8_t *first = b->buf;
    if (!plain_udp4(h, len) || memcmp(h, first, 16) || memcmp(h + 20, first + 20, 4) ||
        memcmp(h + 26, first + 26, 12) || get16(h + 18) != (uint16_t)(get16(first + 18) + b->count))
        return 0;
    size_t payload = len - HDRS;
    memcpy(b->buf + b->len, f + HDRS, payload);
    b->len += payload;
    b->count++;
    b->closed = payload < b->seg;
    return 1;
}

void tb_tx_gso_finish(struct tb_tx_batch *b, struct virtio_net_hdr *h)
{
    uint8_t *ip = b->buf + 14, *udp = ip + 20;
    size_t udp_len = b->len - 34;
    put16(ip + 2, (uint16_t)(b->len - 14));
    put16(ip + 10, 0);
    put16(ip + 10, (uint16_t)~fold(sum16(ip, 20, 0))); /* the stack checks it before it segments */
    put16(udp + 4, (uint16_t)udp_len);
    /* CHECKSUM_PARTIAL's convention: the pseudo-header sum, not inverted; each segment's is completed later. */
    put16(udp + 6, fold(sum16(ip + 12, 8, 17u + (uint32_t)udp_len)));
    *h = (struct virtio_net_hdr){
        .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
        .gso_type = 5, /* VIRTIO_NET_HDR_GSO_UDP_L4 (Linux 6.2 headers) */
        .hdr_len = HDRS,
        .gso_size = (uint16_t)b->seg,
        .csum_start = 34,
        .csum_offset = 6,
    };
}
