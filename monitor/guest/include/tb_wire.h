/* tb_wire.h: Ethernet, ARP, IPv4, ICMP echo and UDP for guest apps: headers, checksums, addresses, build and parse. */
#ifndef TB_WIRE_H
#define TB_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- wire formats (RFC 826, 791, 792, 768); multi-byte fields in network order ---- */

#define TB_ETH_ALEN        6
#define TB_ETH_HLEN        14
#define TB_ETHERTYPE_IPV4  0x0800
#define TB_ETHERTYPE_ARP   0x0806
#define TB_ARP_LEN         28  /* Ethernet/IPv4 ARP body */
#define TB_ARP_REQUEST     1
#define TB_ARP_REPLY       2
#define TB_IP_HLEN         20  /* we send no options; we accept them */
#define TB_IPPROTO_ICMP    1
#define TB_IPPROTO_UDP     17
#define TB_ICMP_HLEN       8
#define TB_ICMP_ECHO_REPLY   0
#define TB_ICMP_ECHO_REQUEST 8
#define TB_UDP_HLEN        8
/* Ethernet + IPv4 + UDP headers: the UDP payload starts here in a frame we build. */
#define TB_UDP_PAYLOAD_OFF (TB_ETH_HLEN + TB_IP_HLEN + TB_UDP_HLEN)
/* Room for any frame up to a 1500-byte MTU, plus slack for a monitor that passes more. */
#define TB_FRAME_MAX       2048

struct __attribute__((packed)) tb_eth_hdr {
    uint8_t dst[TB_ETH_ALEN];
    uint8_t src[TB_ETH_ALEN];
    uint16_t type;
};

struct __attribute__((packed)) tb_arp_hdr {
    uint16_t htype;  /* 1: Ethernet */
    uint16_t ptype;  /* 0x0800: IPv4 */
    uint8_t hlen, plen;
    uint16_t op;
    uint8_t sha[TB_ETH_ALEN];
    uint32_t spa;
    uint8_t tha[TB_ETH_ALEN];
    uint32_t tpa;
};

struct __attribute__((packed)) tb_ip_hdr {
    uint8_t ver_ihl;  /* version 4 in the high nibble, header length in 32-bit words below */
    uint8_t tos;
    uint16_t total_len;
    uint16_t id;
    uint16_t frag;    /* flags (DF 0x4000, MF 0x2000) and fragment offset */
    uint8_t ttl;
    uint8_t proto;
    uint16_t csum;
    uint32_t src;
    uint32_t dst;
};

struct __attribute__((packed)) tb_icmp_hdr {
    uint8_t type, code;
    uint16_t csum;
    uint16_t id, seq;
};

struct __attribute__((packed)) tb_udp_hdr {
    uint16_t sport, dport, len, csum;
};

static inline uint16_t tb_htons(uint16_t v) { return __builtin_bswap16(v); }
static inline uint16_t tb_ntohs(uint16_t v) { return __builtin_bswap16(v); }
static inline uint32_t tb_htonl(uint32_t v) { return __builtin_bswap32(v); }
static inline uint32_t tb_ntohl(uint32_t v) { return __builtin_bswap32(v); }

/* ---- Internet checksum (RFC 1071) ---- */

/*
 * The one's-complement sum is byte-order independent: these work on the bytes
 * as stored, and the 16-bit result is stored as-is into a header (no htons).
 * tb_csum_add accumulates; every chunk but the last must have an even length.
 */
uint64_t tb_csum_add(uint64_t sum, const void *data, size_t len);
uint16_t tb_csum_fold(uint64_t sum);   /* folds and complements */
uint16_t tb_csum(const void *data, size_t len);

/* ---- addresses (host byte order) ---- */

/* Parses dotted-quad IPv4 at s; returns the first character after it, or NULL. */
const char *tb_ip_parse(const char *s, uint32_t *ip);
/* "a.b.c.d" into buf (16 bytes suffice); returns the length. */
int tb_ip_format(char *buf, size_t size, uint32_t ip);
/* "aa:bb:cc:dd:ee:ff" into buf (18 bytes suffice); returns the length. */
int tb_mac_format(char *buf, size_t size, const uint8_t mac[TB_ETH_ALEN]);
uint32_t tb_prefix_mask(unsigned prefix);

extern const uint8_t tb_mac_broadcast[TB_ETH_ALEN];

/* ---- build and parse; builders return the frame length, 0 when it does not fit ---- */

size_t tb_eth_build(uint8_t *frame, const uint8_t dst[TB_ETH_ALEN],
                    const uint8_t src[TB_ETH_ALEN], uint16_t type);

struct tb_arp_view {
    uint16_t op;
    uint8_t sha[TB_ETH_ALEN];
    uint32_t spa, tpa;     /* host order */
};
size_t tb_arp_build(uint8_t *frame, size_t cap, uint16_t op,
                    const uint8_t sha[TB_ETH_ALEN], uint32_t spa,
                    const uint8_t tha[TB_ETH_ALEN], uint32_t tpa);
/* 0 for a well-formed Ethernet/IPv4 ARP frame, -1 otherwise. */
int tb_arp_parse(const uint8_t *frame, size_t len, struct tb_arp_view *v);

struct tb_ip_view {
    uint32_t src, dst;     /* host order */
    uint8_t proto;
    const uint8_t *l4;     /* the IP payload */
    size_t l4_len;         /* from the IP total length, not the frame length */
};
/* Writes a 20-byte header (DF set, TTL 64) with its checksum; l4_len is the payload length. */
void tb_ip_build(uint8_t *iphdr, uint32_t src, uint32_t dst, uint8_t proto,
                 size_t l4_len, uint16_t id);
/* 0 for an unfragmented IPv4 packet with a valid header checksum, -1 otherwise. */
int tb_ip_parse_frame(const uint8_t *frame, size_t len, struct tb_ip_view *v);

/* Addresses and ports of a UDP flow; IPs and ports in host order. */
struct tb_udp_flow {
    uint8_t src_mac[TB_ETH_ALEN], dst_mac[TB_ETH_ALEN];
    uint32_t src_ip, dst_ip;
    uint16_t sport, dport;
};
/* Headers and checksums around a payload already at frame + TB_UDP_PAYLOAD_OFF. */
size_t tb_udp_finish(uint8_t *frame, size_t cap, const struct tb_udp_flow *f,
                     uint16_t ip_id, size_t payload_len);
/* Copies the payload in, then tb_udp_finish. */
size_t tb_udp_build(uint8_t *frame, size_t cap, const struct tb_udp_flow *f,
                    uint16_t ip_id, const void *payload, size_t payload_len);

struct tb_udp_view {
    uint8_t src_mac[TB_ETH_ALEN];
    uint32_t src_ip, dst_ip;
    uint16_t sport, dport;
    const uint8_t *payload;
    size_t len;
};
/* 0 for a UDP datagram whose lengths agree and whose checksum is valid (or 0: none), -1 otherwise. */
int tb_udp_parse(const uint8_t *frame, size_t len, struct tb_udp_view *v);

/* The echo reply to an ICMP echo request for our_ip, built in out; 0 if frame is not one. */
size_t tb_icmp_echo_reply(const uint8_t *frame, size_t len, uint8_t *out, size_t cap,
                          const uint8_t our_mac[TB_ETH_ALEN], uint32_t our_ip);

#endif /* TB_WIRE_H */
