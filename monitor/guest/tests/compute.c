/* compute: checksums a few MiB of its heap and prints the elapsed time: native speed shows it runs in ring 3. */
#include "solo5.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "../runtime/runtime.h"

TB_MANIFEST_NONE();

#define BYTES (8u << 20)

static void fill(uint64_t *words, size_t n)
{
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < n; i++) { /* xorshift64: cheap, and the optimiser cannot precompute it */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        words[i] = x;
    }
}

/* Fletcher-style: two running sums, so order and value both matter. */
static uint64_t checksum(const uint64_t *words, size_t n)
{
    uint64_t a = 0, b = 0;
    for (size_t i = 0; i < n; i++) {
        a += words[i];
        b += a;
    }
    return a ^ b;
}

int solo5_app_main(const struct solo5_start_info *info)
{
    if (info->heap_size < BYTES) {
        tb_printf("compute: heap too small (%zu bytes)\n", info->heap_size);
        return 1;
    }
    uint64_t *words = (uint64_t *)info->heap_start;
    size_t n = BYTES / sizeof *words;
    solo5_time_t t0 = solo5_clock_monotonic();
    fill(words, n); /* first touch: includes the host's page faults */
    solo5_time_t t1 = solo5_clock_monotonic();
    uint64_t sum = checksum(words, n);
    solo5_time_t t2 = solo5_clock_monotonic();
    tb_printf("compute: ring %d, %u bytes, checksum 0x%lx, fill %lu ns, checksum %lu ns\n", tb_in_ring3 ? 3 : 0,
              BYTES, (unsigned long)sum, (unsigned long)(t1 - t0), (unsigned long)(t2 - t1));
    return 0;
}
