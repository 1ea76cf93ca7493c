/* block-io: block device test guest with a Solo5-style manifest (reserved entry 0, "storage" at handle 1):
 * checks what the host put in the file, writes a pattern it reads back, sends requests that must be refused.
 * "bad-buffer" and "into-code" as arguments make it hand the monitor a buffer it must refuse instead; "serve"
 * makes it say "ready:" after the checks and stay up, as a lab node; "zeros" expects a fresh file of zeros. */
#include "solo5.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "tb_string.h"

TB_MANIFEST_SOLO5_BLOCK1("storage");

#define MAX_SECTOR 32768
#define HOST_FILL 0x5a /* what the host test writes into the file beforehand */

static uint8_t expected_fill = HOST_FILL;

static uint8_t buf[2 * MAX_SECTOR] __attribute__((aligned(4096)));

/* True when `word` is one of the space-separated arguments. */
static int has_arg(const char *cmdline, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = cmdline; *p; p++)
        if ((p == cmdline || p[-1] == ' ') && !strncmp(p, word, n) && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

static int fail(const char *what)
{
    tb_printf("block-io: FAILED: %s\n", what);
    return 2;
}

static uint8_t pattern(uint64_t sector)
{
    return (uint8_t)(sector % 251 + 1);
}

static int all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

/* Requests the monitor must answer with EINVAL: misaligned, partial, empty, past the end, overflowing. */
static int refusals(solo5_handle_t h, uint64_t cap, uint64_t s)
{
    struct { uint64_t offset, len; const char *what; } bad[] = {
        { cap, s, "read at the capacity" },
        { 1, s, "misaligned offset" },
        { 0, s - 1, "short length" },
        { 0, s + 1, "odd length" },
        { 0, 0, "empty length" },
        { cap - s, 2 * s, "request running past the end" },
        { 0xfffffffffffff000ULL & ~(s - 1), s, "offset + length overflowing" },
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (solo5_block_read(h, bad[i].offset, buf, bad[i].len) != SOLO5_R_EINVAL)
            return fail(bad[i].what);
        if (solo5_block_write(h, bad[i].offset, buf, bad[i].len) != SOLO5_R_EINVAL)
            return fail(bad[i].what);
    }
    return 0;
}

static int round_trip(solo5_handle_t h, uint64_t cap, uint64_t s)
{
    if (solo5_block_read(h, 0, buf, s) != SOLO5_R_OK || !all_bytes(buf, s, expected_fill))
        return fail("sector 0 does not hold what the host wrote");
    for (uint64_t sec = 0; sec < cap / s; sec++) {
        memset(buf, pattern(sec), s);
        if (solo5_block_write(h, sec * s, buf, s) != SOLO5_R_OK)
            return fail("write");
    }
    for (uint64_t sec = 0; sec < cap / s; sec++) {
        memset(buf, 0, s);
        if (solo5_block_read(h, sec * s, buf, s) != SOLO5_R_OK || !all_bytes(buf, s, pattern(sec)))
            return fail("read back");
    }
    if (cap >= 2 * s) { /* two sectors in one request */
        if (solo5_block_read(h, cap - 2 * s, buf, 2 * s) != SOLO5_R_OK || !all_bytes(buf, s, pattern(cap / s - 2))
            || !all_bytes(buf + s, s, pattern(cap / s - 1)))
            return fail("two-sector read");
    }
    return 0;
}

int solo5_app_main(const struct solo5_start_info *info)
{
    solo5_handle_t h;
    struct solo5_block_info bi;
    if (solo5_block_acquire("storage", &h, &bi) != SOLO5_R_OK)
        return fail("acquire");
    tb_printf("block-io: handle=%u capacity=%u sector=%u\n", (unsigned)h, (unsigned)bi.capacity,
              (unsigned)bi.block_size);
    if (has_arg(info->cmdline, "zeros"))
        expected_fill = 0;
    if (!strcmp(info->cmdline, "bad-buffer"))
        solo5_block_read(h, 0, (uint8_t *)(uintptr_t)0x7fff00000000ULL, bi.block_size);
    if (!strcmp(info->cmdline, "into-code"))
        solo5_block_read(h, 0, (uint8_t *)(uintptr_t)((uintptr_t)solo5_app_main & ~0xfffULL), bi.block_size);
    if (bi.block_size > MAX_SECTOR || bi.capacity < bi.block_size)
        return fail("unexpected geometry");
    int rc = refusals(h, bi.capacity, bi.block_size);
    if (!rc)
        rc = round_trip(h, bi.capacity, bi.block_size);
    if (!rc)
        tb_printf("block-io: OK\n");
    if (!rc && has_arg(info->cmdline, "serve")) {
        tb_printf("ready: block-io\n");
        for (;;)
            solo5_yield(solo5_clock_monotonic() + 1000000000ULL, NULL);
    }
    return rc;
}
