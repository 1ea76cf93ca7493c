/* pcapng_failing_harness.c: drives monitor/lib/pcapng.c in a ring whose reservations are refused and whose writes at
 * a file's start fail (EIO, a seccomp filter): what a rotation does when it cannot rewrite a file's headers. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng.h"

/* fallocate fails (ENOSPC), so the ring goes through the buffer; pwrite64 at offset 0 fails (EIO) once installed. */
static void refuse(int headers_too)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSPC), SCMP_SYS(fallocate), 0) < 0 ||
        (headers_too && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EIO), SCMP_SYS(pwrite64), 1, SCMP_A3(SCMP_CMP_EQ, 0)) < 0) ||
        seccomp_load(ctx) < 0) {
        fprintf(stderr, "seccomp filter refused\n");
        exit(3);
    }
    seccomp_release(ctx);
}

/* usage: pcapng_failing_harness PATH FILE_BYTES FILES FRAMES FRAME_LEN
 * Frame i holds i (4 bytes, little-endian); the headers' writes fail from the first frame on. */
int main(int argc, char **argv)
{
    if (argc != 6)
        return 2;
    struct tb_pcapng_opts o = { .ifname = "failing", .file_bytes = strtoull(argv[2], NULL, 10),
                                .files = (unsigned)atoi(argv[3]) };
    unsigned frames = (unsigned)atoi(argv[4]), len = (unsigned)atoi(argv[5]);
    char err[256];
    refuse(0);
    struct tb_pcapng *w = tb_pcapng_open(argv[1], &o, err, sizeof err);
    if (!w || len < 4 || len > 2048) {
        fprintf(stderr, "%s\n", w ? "bad length" : err);
        return 1;
    }
    refuse(1);
    static unsigned char frame[2048];
    for (unsigned i = 0; i < frames; i++) {
        memcpy(frame, &i, 4);
        tb_pcapng_write(w, 1700000000000000000ull + i, frame, len, TB_PCAPNG_IN);
    }
    tb_pcapng_flush(w);
    const struct tb_pcapng_stats *s = tb_pcapng_stats(w);
    fprintf(stderr, "{\"packets\": %llu, \"dropped\": %llu, \"rotations\": %llu}\n", (unsigned long long)s->packets,
            (unsigned long long)s->dropped, (unsigned long long)s->rotations);
    tb_pcapng_close(w);
    return 0;
}
