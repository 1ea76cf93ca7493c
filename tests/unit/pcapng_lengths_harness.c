/* pcapng_lengths_harness.c: drives monitor/lib/pcapng.c with frames of the lengths given, prints its stats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"

/* usage: pcapng_lengths_harness PATH FILE_BYTES FILES SNAPLEN LEN...
 * Frame i is LEN[i] bytes long (at most 65536) and holds i (4 bytes, little-endian) then bytes i+k. The stats are
 * printed after a flush. */
int main(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    struct tb_pcapng_opts o = { .ifname = "lengths", .file_bytes = strtoull(argv[2], NULL, 10),
                                .files = (unsigned)atoi(argv[3]), .snaplen = (uint32_t)atoi(argv[4]) };
    char err[256];
    struct tb_pcapng *w = tb_pcapng_open(argv[1], &o, err, sizeof err);
    if (!w) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    static unsigned char frame[65536];
    for (int i = 5; i < argc; i++) {
        unsigned n = (unsigned)(i - 5), len = (unsigned)atoi(argv[i]);
        if (len > sizeof frame)
            return 2;
        for (unsigned k = 0; k < len; k++)
            frame[k] = (unsigned char)(n + k);
        memcpy(frame, &n, len < 4 ? len : 4);
        tb_pcapng_write(w, 1700000000000000000ull + n, frame, len, TB_PCAPNG_OUT);
    }
    tb_pcapng_flush(w); /* the stats then count what the close would write */
    const struct tb_pcapng_stats *s = tb_pcapng_stats(w);
    fprintf(stderr, "{\"packets\": %llu, \"dropped\": %llu, \"rotations\": %llu}\n", (unsigned long long)s->packets,
            (unsigned long long)s->dropped, (unsigned long long)s->rotations);
    tb_pcapng_close(w);
    return 0;
}
