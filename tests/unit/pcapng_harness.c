/* pcapng_harness.c: drives monitor/lib/pcapng.c: writes numbered frames into a file, a ring or stdout, prints its stats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"

#define BASE_TS 1700000000123456789ull

/* usage: pcapng_harness PATH|- FRAMES FRAME_LEN FILE_BYTES FILES IFNAME SNAPLEN
 * Frame i holds i (4 bytes, little-endian) then bytes i+k; its length is FRAME_LEN, or 1 + i % 67 when FRAME_LEN is 0;
 * its timestamp BASE_TS + 1000 * i + 1 (odd nanoseconds: a ns-resolution reader sees them); directions alternate. */
int main(int argc, char **argv)
{
    if (argc != 8)
        return 2;
    unsigned frames = (unsigned)atoi(argv[2]), frame_len = (unsigned)atoi(argv[3]);
    struct tb_pcapng_opts o = { .ifname = argv[6][0] ? argv[6] : NULL, .file_bytes = strtoull(argv[4], NULL, 10),
                                .files = (unsigned)atoi(argv[5]), .snaplen = (uint32_t)atoi(argv[7]) };
    char err[256];
    struct tb_pcapng *w = tb_pcapng_open(argv[1], &o, err, sizeof err);
    if (!w) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    static unsigned char frame[2048];
    for (unsigned i = 0; i < frames; i++) {
        unsigned len = frame_len ? frame_len : 1 + i % 67;
        for (unsigned k = 0; k < len; k++)
            frame[k] = (unsigned char)(i + k);
        memcpy(frame, &i, len < 4 ? len : 4);
        tb_pcapng_write(w, BASE_TS + 1000ull * i + 1, frame, len, i % 2 ? TB_PCAPNG_OUT : TB_PCAPNG_IN);
    }
    const struct tb_pcapng_stats *s = tb_pcapng_stats(w);
    fprintf(stderr, "{\"packets\": %llu, \"dropped\": %llu, \"rotations\": %llu}\n", (unsigned long long)s->packets,
            (unsigned long long)s->dropped, (unsigned long long)s->rotations);
    tb_pcapng_close(w);
    return 0;
}
