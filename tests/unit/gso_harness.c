/* gso_harness: builds GSO frames as a vnet TAP hands them over and checks every segment tb_gso_split writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gso.h"
#include "tb_ring.h"

#define CAP 2040
#define MAXSEG 64

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); failures++; return; } } while (0)

static uint16_t g16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t g32(const uint8_t *p) { return (uint32_t)g16(p) << 16 | g16(p + 2); }
static void p16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void p32(uint8_t *p, uint32_t v) { p16(p, (uint16_t)(v >> 16)); p16(p + 2, (uint16_t)v); }

/* An independent checksum: byte pairs summed in 32 bits, folded at the end. */
static uint32_t sum(uint32_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}
static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

struct spec {
    int v6, tcp;
    size_t payload, mss;
    size_t split;     /* bytes of the frame in the first piece (0: all in the second) */
    int in_place;     /* buf[0] is the first piece */
    unsigned max;
    int lazy;
};

static size_t build(const struct spec *sp, uint8_t *frame, struct virtio_net_hdr *h, size_t *l4_out)
{
    size_t l3 = 14, l4 = l3 + (sp->v6 ? 40 : 20), hl = l4 + (sp->tcp ? 32 : 8); /* TCP with 12 bytes of options */
    memset(frame, 0, hl);
    memcpy(frame, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
    p16(frame + 12, sp->v6 ? 0x86dd : 0x0800);
    size_t l4len = hl - l4 + sp->payload;
    uint32_t pseudo;
    if (sp->v6) {
        frame[l3] = 0x60;
        p16(frame + l3 + 4, (uint16_t)l4len); /* as the kernel leaves it: the whole GSO payload (ignored by us) */
        frame[l3 + 6] = sp->tcp ? 6 : 17;
        frame[l3 + 7] = 64;
        for (int i = 0; i < 32; i++)
            frame[l3 + 8 + i] = (uint8_t)(0xfd + i);
        pseudo = sum(0, frame + l3 + 8, 32);
    } else {
        frame[l3] = 0x45;
        p16(frame + l3 + 2, (uint16_t)(20 + l4len));
        p16(frame + l3 + 4, 0xfff0); /* the id wraps within the frame */
        frame[l3 + 8] = 64;
        frame[l3 + 9] = sp->tcp ? 6 : 17;
        memcpy(frame + l3 + 12, "\x0a\x4f\x00\x01\x0a\x4f\x00\x02", 8);
        pseudo = sum(0, frame + l3 + 12, 8);
    }
    p16(frame + l4, 40000);
    p16(frame + l4 + 2, 7000);
    if (sp->tcp) {
        p32(frame + l4 + 4, 0xfffff000u); /* the sequence wraps too */
        frame[l4 + 12] = 8 << 4;
        frame[l4 + 13] = 0x80 | 0x10 | 0x08 | 0x01; /* CWR ACK PSH FIN */
        memset(frame + l4 + 20, 1, 12);
    } else {
        p16(frame + l4 + 4, (uint16_t)l4len);
    }
    for (size_t i = 0; i < sp->payload; i++)
        frame[hl + i] = (uint8_t)(i * 7 + i / 251);
    /* The kernel's partial checksum: the pseudo-header sum, not inverted. */
    pseudo += (sp->tcp ? 6u : 17u) + (uint32_t)l4len;
    p16(frame + l4 + (sp->tcp ? 16 : 6), fold(pseudo));
    *h = (struct virtio_net_hdr){
        .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
        .gso_type = sp->tcp ? (sp->v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4) : VIRTIO_NET_HDR_GSO_UDP_L4,
        .hdr_len = (uint16_t)hl, .gso_size = (uint16_t)sp->mss, .csum_start = (uint16_t)l4,
        .csum_offset = sp->tcp ? 16 : 6,
    };
    *l4_out = l4;
    return hl + sp->payload;
}

static void run(const char *name, struct spec sp)
{
    static uint8_t frame[70000], slotmem[MAXSEG][CAP];
    uint8_t *bufs[MAXSEG];
    uint32_t lens[MAXSEG];
    uint16_t flags[MAXSEG];
    struct tb_gso_in in;
    size_t l4, total = build(&sp, frame, &in.h, &l4), hl = in.h.hdr_len;
    /* The first piece is a slot (it must hold up to CAP bytes), the second the rest. */
    static uint8_t piece0[CAP], piece1[70000];
    in.n0 = sp.split < total ? sp.split : total;
    memcpy(piece0, frame, in.n0);
    memcpy(piece1, frame + in.n0, total - in.n0);
    in.p0 = piece0;
    in.p1 = piece1;
    in.n1 = total - in.n0;
    for (unsigned k = 0; k < MAXSEG; k++)
        bufs[k] = slotmem[k];
    if (sp.in_place)
        bufs[0] = piece0;
    struct tb_gso_out out = { .buf = bufs, .max = sp.max, .cap = CAP, .len = lens, .flags = flags };
    unsigned dropped;
    int n = tb_gso_split(&in, &out, sp.lazy, &dropped);
    size_t segs = (sp.payload + sp.mss - 1) / sp.mss;
    size_t expect = segs < sp.max ? segs : sp.max;
    CHECK(n == (int)expect, "%s: %d segments, expected %zu", name, n, expect);
    CHECK(dropped == segs - expect, "%s: dropped %u, expected %zu", name, dropped, segs - expect);
    for (int k = 0; k < n; k++) {
        uint8_t *s = bufs[k];
        size_t off = (size_t)k * sp.mss, chunk = sp.payload - off < sp.mss ? sp.payload - off : sp.mss;
        CHECK(lens[k] == hl + chunk, "%s[%d]: length %u, expected %zu", name, k, lens[k], hl + chunk);
        CHECK(flags[k] == TB_SLOT_F_CSUM_VALID, "%s[%d]: flags %u", name, k, flags[k]);
        CHECK(!memcmp(s + hl, frame + hl + off, chunk), "%s[%d]: payload differs", name, k);
        CHECK(!memcmp(s, frame, 12), "%s[%d]: MAC addresses differ", name, k);
        size_t l4len = hl - l4 + chunk;
        uint32_t pseudo;
        if (sp.v6) {
            CHECK(g16(s + 18) == l4len, "%s[%d]: IPv6 payload length %u", name, k, g16(s + 18));
            pseudo = sum(0, s + 22, 32);
        } else {
            CHECK(g16(s + 16) == 20 + l4len, "%s[%d]: IPv4 total length %u", name, k, g16(s + 16));
            CHECK(g16(s + 18) == (uint16_t)(0xfff0 + k), "%s[%d]: IPv4 id %#x", name, k, g16(s + 18));
            CHECK(fold(sum(0, s + 14, 20)) == 0xffff, "%s[%d]: IPv4 header checksum", name, k);
            pseudo = sum(0, s + 26, 8);
        }
        uint8_t *t = s + l4;
        if (sp.tcp) {
            CHECK(g32(t + 4) == 0xfffff000u + (uint32_t)off, "%s[%d]: sequence %#x", name, k, g32(t + 4));
            uint8_t want = 0x10 | (k == 0 ? 0x80 : 0) | ((size_t)k + 1 == segs ? 0x09 : 0);
            CHECK(t[13] == want, "%s[%d]: TCP flags %#x, expected %#x", name, k, t[13], want);
        } else {
            CHECK(g16(t + 4) == l4len, "%s[%d]: UDP length %u", name, k, g16(t + 4));
        }
        uint16_t field = g16(t + (sp.tcp ? 16 : 6));
        if (sp.lazy) {
            CHECK(field == g16(frame + l4 + (sp.tcp ? 16 : 6)), "%s[%d]: lazy mode touched the checksum", name, k);
        } else {
            pseudo += (sp.tcp ? 6u : 17u) + (uint32_t)l4len;
            CHECK(fold(sum(pseudo, t, l4len)) == 0xffff, "%s[%d]: L4 checksum %#x wrong", name, k, field);
        }
    }
}

/* Frames that must be refused whole (-1), and a plain frame with a partial checksum that must be completed. */
static void refusals(void)
{
    static uint8_t frame[70000], slot[CAP];
    uint8_t *bufs[1] = { slot };
    uint32_t len;
    uint16_t fl;
    struct tb_gso_out out = { .buf = bufs, .max = 1, .cap = CAP, .len = &len, .flags = &fl };
    struct spec sp = { .v6 = 0, .tcp = 0, .payload = 3000, .mss = 1000, .max = 1 };
    struct tb_gso_in in;
    size_t l4, total = build(&sp, frame, &in.h, &l4);
    in.p0 = frame; in.n0 = total; in.p1 = NULL; in.n1 = 0;
    unsigned dropped;
    struct virtio_net_hdr good = in.h;
    in.h.gso_type = VIRTIO_NET_HDR_GSO_UDP; /* UFO */
    CHECK(tb_gso_split(&in, &out, 0, &dropped) == -1, "UFO accepted");
    in.h = good; in.h.csum_start = 20;
    CHECK(tb_gso_split(&in, &out, 0, &dropped) == -1, "a csum_start that is not the L4 offset accepted");
    in.h = good; in.h.gso_size = 0;
    CHECK(tb_gso_split(&in, &out, 0, &dropped) == -1, "gso_size 0 accepted");
    in.h = good; in.h.gso_size = 3000;
    CHECK(tb_gso_split(&in, &out, 0, &dropped) == -1, "a segment larger than a slot accepted");
    in.h = good; in.h.flags = 0;
    CHECK(tb_gso_split(&in, &out, 0, &dropped) == -1, "GSO without NEEDS_CSUM accepted");
    in.h = good; frame[12] = 0x81;
    CHECK(tb_gso_split(&in, &out, 0, &dropped) == -1, "a VLAN frame accepted");
    /* One datagram, no GSO, partial checksum: completed, flagged. */
    sp.payload = 999;
    total = build(&sp, frame, &in.h, &l4);
    in.h.gso_type = VIRTIO_NET_HDR_GSO_NONE; in.h.gso_size = 0;
    in.n0 = total;
    CHECK(tb_gso_split(&in, &out, 0, &dropped) == 1 && len == total && fl == TB_SLOT_F_CSUM_VALID, "plain frame");
    CHECK(fold(sum(fold(sum(0, slot + 26, 8)) + 17u + 8 + 999, slot + l4, 8 + 999)) == 0xffff, "plain: checksum");
    in.h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
    CHECK(tb_gso_split(&in, &out, 0, &dropped) == 1 && fl == TB_SLOT_F_CSUM_VALID, "DATA_VALID not flagged");
    in.h.flags = 0;
    CHECK(tb_gso_split(&in, &out, 0, &dropped) == 1 && fl == 0, "a frame without flags flagged");
    in.n0 = CAP; in.p1 = frame + CAP; in.n1 = 100;
    CHECK(tb_gso_split(&in, &out, 0, &dropped) == -1, "a plain frame larger than a slot accepted");
}

int main(void)
{
    static const size_t payloads[] = { 1, 1257, 1258, 1259, 12345, 40231, 64000 };
    int cases = 0;
    for (int v6 = 0; v6 < 2; v6++)
        for (int tcp = 0; tcp < 2; tcp++)
            for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++)
                for (int variant = 0; variant < 4; variant++) {
                    struct spec sp = { .v6 = v6, .tcp = tcp, .payload = payloads[i], .mss = tcp ? 1448 : 1258,
                                       .max = MAXSEG, .lazy = variant == 3 };
                    if (sp.payload > 60000 && !tcp)
                        sp.mss = 1001; /* an odd segment size */
                    sp.split = variant == 0 ? CAP : variant == 1 ? 0 : 777; /* in a slot, all bounced, odd cut */
                    sp.in_place = variant == 0;
                    if (variant == 2)
                        sp.max = 3; /* a ring with little room: the rest is dropped and counted */
                    char name[96];
                    snprintf(name, sizeof name, "%s/%s payload %zu variant %d", v6 ? "ipv6" : "ipv4",
                             tcp ? "tcp" : "udp", sp.payload, variant);
                    run(name, sp);
                    cases++;
                }
    refusals();
    printf("{\"cases\": %d, \"failures\": %d}\n", cases, failures);
    return failures != 0;
}
