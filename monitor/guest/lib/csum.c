/* csum.c: the Internet checksum (RFC 1071), summing 32-bit words into a 64-bit accumulator. */
#include "tb_wire.h"

/* Unaligned loads that may alias anything: frames sit at arbitrary offsets. */
typedef uint32_t __attribute__((aligned(1), may_alias)) u32_unaligned;
typedef uint16_t __attribute__((aligned(1), may_alias)) u16_unaligned;

/*
 * A 64-bit accumulator takes 2^32 32-bit words before it can overflow, far
 * more than any frame, so the carries are folded once at the end instead of
 * per addition. Two accumulators let the CPU run two add chains at once.
 */
uint64_t tb_csum_add(uint64_t sum, const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t a = 0, b = 0;

    for (; len >= 16; len -= 16, p += 16) {
        a += *(const u32_unaligned *)p;
        b += *(const u32_unaligned *)(p + 4);
        a += *(const u32_unaligned *)(p + 8);
        b += *(const u32_unaligned *)(p + 12);
    }
    for (; len >= 4; len -= 4, p += 4)
        a += *(const u32_unaligned *)p;
    if (len >= 2) {
        a += *(const u16_unaligned *)p;
        p += 2;
        len -= 2;
    }
    /* A trailing odd byte is the first byte of a zero-padded 16-bit word: the low byte on little-endian. */
    if (len)
        a += *p;
    return sum + a + b;
}

uint16_t tb_csum_fold(uint64_t sum)
{
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffu) + (sum >> 16);
    sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

uint16_t tb_csum(const void *data, size_t len)
{
    return tb_csum_fold(tb_csum_add(0, data, len));
}
