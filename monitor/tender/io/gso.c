/* gso.c: segments TCP (IPv4/IPv6) and UDP (USO) GSO frames from a vnet TAP into MTU frames and completes partial checksums. */
#include <string.h>

#include "gso.h"
#include "tb_ring.h"

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define IPV6_HLEN 40
#define PROTO_TCP 6
#define PROTO_UDP 17
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

/* One's-complement sum of big-endian 16-bit words (RFC 1071), an odd last byte padded with zero. */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
    for (; len >= 2; len -= 2, p += 2)
        sum += get16(p);
    if (len)
        sum += (uint64_t)p[0] << 8;
    return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Bytes [off, off + len) of the frame, which spans the two pieces. */
static void stream_copy(const struct tb_gso_in *in, size_t off, uint8_t *dst, size_t len)
{
    if (off < in->n0) {
        size_t n = in->n0 - off < len ? in->n0 - off : len;
        memcpy(dst, in->p0 + off, n);
        dst += n;
        off += n;
        len -= n;
    }
    if (len)
        memcpy(dst, in->p1 + (off - in->n0), len);
}

/* A partial checksum (the kernel left the pseudo-header sum in the field): sum from start to the end, store. */
static void complete_csum(uint8_t *frame, size_t len, size_t start, size_t field, int udp)
{
    uint16_t c = csum_fold(csum_add(0, frame + start, len - start));
    put16(frame + field, udp && c == 0 ? 0xffff : c); /* UDP's 0 means "none": a computed 0 goes out as 0xffff */
}

static int single(const struct tb_gso_in *in, const struct tb_gso_out *out, int lazy)
{
    const struct virtio_net_hdr *h = &in->h;
    size_t total = in->n0 + in->n1;
    if (total > out->cap || total < ETH_HLEN)
        return -1;
    if (out->buf[0] != in->p0 || in->n1)
        stream_copy(in, 0, out->buf[0], total);
    out->len[0] = (uint32_t)total;
    out->flags[0] = 0;
    if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        size_t start = h->csum_start, field = (size_t)h->csum_start + h->csum_offset;
        if (start < ETH_HLEN || field + 2 > total)
            return -1;
        if (!lazy)
            complete_csum(out->buf[0], total, start, field, h->csum_offset == 6);
        out->flags[0] = TB_SLOT_F_CSUM_VALID;
    } else if (h->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
        out->flags[0] = TB_SLOT_F_CSUM_VALID;
    }
    return 1;
}

/* The parsed headers of a GSO frame, shared by all its segments. */
struct gso_frame {
    uint8_t hdr[TB_GSO_MAX_HDR];
    size_t l4, hlen, payload;
    int v6, tcp;
};

static int parse(const struct tb_gso_in *in, struct gso_frame *f)
{
    const struct virtio_net_hdr *h = &in->h;
    uint8_t type = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
    size_t total = in->n0 + in->n1;
    f->tcp = type == VIRTIO_NET_HDR_GSO_TCPV4 || type == VIRTIO_NET_HDR_GSO_TCPV6;
    if (!f->tcp && type != VIRTIO_NET_HDR_GSO_UDP_L4)
        return -1; /* UFO (IP fragmentation) and unknown types */
    if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || h->gso_size == 0)
        return -1;
    size_t copy = total < TB_GSO_MAX_HDR ? total : TB_GSO_MAX_HDR;
    stream_copy(in, 0, f->hdr, copy);
    if (copy < ETH_HLEN + 20)
        return -1;
    uint16_t ethertype = get16(f->hdr + 12);
    f->v6 = ethertype == ETHERTYPE_IPV6;
    f->l4 = h->csum_start;
    if (f->v6) {
        if (f->l4 < ETH_HLEN + IPV6_HLEN || (f->hdr[ETH_HLEN] >> 4) != 6)
            return -1;
    } else {
        if (ethertype != ETHERTYPE_IPV4 || (f->hdr[ETH_HLEN] >> 4) != 4 ||
            f->l4 != ETH_HLEN + (size_t)(f->hdr[ETH_HLEN] & 0xf) * 4 || f->l4 < ETH_HLEN + 20)
            return -1;
    }
    if (f->l4 + (f->tcp ? 20 : 8) > copy)
        return -1;
    f->hlen = f->l4 + (f->tcp ? (size_t)(f->hdr[f->l4 + 12] >> 4) * 4 : 8);
    if ((f->tcp && f->hlen < f->l4 + 20) || f->hlen > copy || f->hlen >= total)
        return -1;
    if (h->csum_offset != (f->tcp ? 16 : 6))
        return -1;
    f->payload = total - f->hlen;
    return 0;
}

/* A segment's L4 checksum from scratch: the pseudo-header's addresses summed in `pseudo`, its length and protocol
 * added here. */
static void l4_csum(uint8_t *l4, size_t l4len, uint64_t pseudo, int tcp)
{
    size_t field = tcp ? 16 : 6;
    put16(l4 + field, 0);
    pseudo += (uint64_t)(tcp ? PROTO_TCP : PROTO_UDP) + l4len;
    uint16_t c = csum_fold(csum_add(pseudo, l4, l4len));
    put16(l4 + field, !tcp && c == 0 ? 0xffff : c);
}

/* Segment k's headers: lengths, IPv4 id and checksum, TCP sequence and flags; then its L4 checksum. */
static void fix_segment(const struct gso_frame *f, uint8_t *seg, size_t chunk, uint16_t ip_id, uint32_t seq,
                        uint8_t tcp_flags, int lazy)
{
    size_t l4len = f->hlen - f->l4 + chunk;
    uint64_t pseudo;
    if (f->v6) {
        put16(seg + ETH_HLEN + 4, (uint16_t)(f->hlen - ETH_HLEN - IPV6_HLEN + chunk));
        pseudo = csum_add(0, seg + ETH_HLEN + 8, 32);
    } else {
        uint8_t *ip = seg + ETH_HLEN;
        put16(ip + 2, (uint16_t)(f->l4 - ETH_HLEN + l4len));
        put16(ip + 4, ip_id);
        put16(ip + 10, 0);
        put16(ip + 10, csum_fold(csum_add(0, ip, f->l4 - ETH_HLEN)));
        pseudo = csum_add(0, ip + 12, 8);
    }
    uint8_t *l4 = seg + f->l4;
    if (f->tcp) {
        put32(l4 + 4, seq);
        l4[13] = tcp_flags;
    } else {
        put16(l4 + 4, (uint16_t)l4len);
    }
    if (lazy)
        return; /* the field keeps the kernel's pseudo-header sum: the slot is flagged, the guest does not look */
    l4_csum(l4, l4len, pseudo, f->tcp);
}

/* The TCP flags of segment k of n: FIN and PSH only on the last, CWR only on the first (as the kernel's TSO). */
static uint8_t segment_flags(uint8_t flags, size_t k, size_t n)
{
    if (k + 1 < n)
        flags &= (uint8_t)~(TCP_FIN | TCP_PSH);
    if (k > 0)
        flags &= (uint8_t)~TCP_CWR;
    return flags;
}

int tb_gso_split(const struct tb_gso_in *in, const struct tb_gso_out *out, int lazy, unsigned *dropped)
{
    *dropped = 0;
    if (out->max == 0)
        return -1;
    if (in->h.gso_type == VIRTIO_NET_HDR_GSO_NONE)
        return single(in, out, lazy);
    struct gso_frame f;
    if (parse(in, &f) < 0)
        return -1;
    size_t mss = in->h.gso_size;
    if (f.hlen + mss > out->cap)
        return -1;
    size_t segs = (f.payload + mss - 1) / mss;
    unsigned n = segs < out->max ? (unsigned)segs : out->max;
    *dropped = (unsigned)(segs - n);
    uint16_t ip_id = f.v6 ? 0 : get16(f.hdr + ETH_HLEN + 4);
    uint32_t seq = f.tcp ? get32(f.hdr + f.l4 + 4) : 0;
    uint8_t tcp_flags = f.tcp ? f.hdr[f.l4 + 13] : 0;
    for (unsigned k = 0; k < n; k++) {
        size_t off = (size_t)k * mss, chunk = f.payload - off < mss ? f.payload - off : mss;
        uint8_t *seg = out->buf[k];
        if (k > 0 || seg != in->p0) { /* frame 0 in place already holds its headers and payload */
            memcpy(seg, f.hdr, f.hlen);
            stream_copy(in, f.hlen + off, seg + f.hlen, chunk);
        }
        fix_segment(&f, seg, chunk, (uint16_t)(ip_id + k), seq + (uint32_t)off, segment_flags(tcp_flags, k, segs),
                    lazy);
        out->len[k] = (uint32_t)(f.hlen + chunk);
        out->flags[k] = TB_SLOT_F_CSUM_VALID;
    }
    return (int)n;
}

void tb_gso_complete_lazy(uint8_t *frame, size_t len, size_t start, size_t offset, int gso)
{
    if (start < ETH_HLEN || start + offset + 2 > len)
        return; /* tb_gso_split refused such a frame: never left lazy */
    if (!gso) {
        complete_csum(frame, len, start, start + offset, offset == 6);
        return;
    }
    /* A segment's field still holds the kernel's sum for the whole GSO frame: the checksum is made from scratch. */
    int v6 = get16(frame + 12) == ETHERTYPE_IPV6;
    if (start < ETH_HLEN + (v6 ? IPV6_HLEN : 20))
        return;
    uint64_t pseudo = v6 ? csum_add(0, frame + ETH_HLEN + 8, 32) : csum_add(0, frame + ETH_HLEN + 12, 8);
    l4_csum(frame + start, len - start, pseudo, offset == 16);
}
