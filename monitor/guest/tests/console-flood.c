/* console-flood: writes its console as fast as PUTS takes it: "MIB" mebibytes in 64 KiB calls, then "flood: done";
 * "forever" never stops (for a stdout nobody reads); "spin" says "ready: spinning" and then computes forever, never
 * leaving ring 3 (only a signal can end the monitor's KVM_RUN). */
#include "solo5.h"
#include "tb_fmt.h"
#include "tb_manifest.h"
#include "tb_string.h"
#include "../runtime/runtime.h"

TB_MANIFEST_NONE();

#define CHUNK (64 * 1024)
#define LINE 64

static uint64_t parse_mib(const char *s)
{
    uint64_t n = 0;
    while (*s >= '0' && *s <= '9')
        n = n * 10 + (uint64_t)(*s++ - '0');
    return n;
}

int solo5_app_main(const struct solo5_start_info *info)
{
    char *buf = (char *)info->heap_start;
    if (info->heap_size < CHUNK)
        return 4;
    for (unsigned i = 0; i < CHUNK; i++) /* 63 'x' and a newline: lines a log reader can count */
        buf[i] = (i % LINE == LINE - 1) ? '\n' : 'x';
    if (!strcmp(info->cmdline, "spin")) {
        tb_printf("ready: spinning\n");
        for (volatile uint64_t i = 0;; i++)
            ;
    }
    int forever = !strcmp(info->cmdline, "forever");
    uint64_t chunks = forever ? 0 : parse_mib(info->cmdline) * (1024 * 1024 / CHUNK);
    for (uint64_t i = 0; forever || i < chunks; i++)
        solo5_console_write(buf, CHUNK);
    tb_printf("flood: done\n");
    return 0;
}
