/* console_limits.c: the console's limits: their defaults and the --console-max and --console-rate flags. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "console_limits.h"
#include "log.h"

/* Enough for any guest that logs what it does; a flood (GiB in seconds) is cut short. */
const struct tb_console_limits tb_console_defaults = {
    .max_bytes = 16ULL << 20,
    .rate_bytes = 1ULL << 20,
};

#define MAX_TOTAL (1ULL << 50)

/* "16M" -> 16 MiB; -1 when value is not a plain number with an optional K, M or G. */
static int parse_size(const char *value, uint64_t *out)
{
    char *end;
    if (!isdigit((unsigned char)value[0]))
        return -1;
    errno = 0;
    unsigned long long n = strtoull(value, &end, 10);
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (errno || (shift && end[1]) || (!shift && *end) || n > (MAX_TOTAL >> shift))
        return -1;
    *out = (uint64_t)n << shift;
    return 0;
}

int tb_console_parse_flag(struct tb_console_limits *limits, const char *arg)
{
    uint64_t *field, max;
    const char *value;
    if (!strncmp(arg, "--console-max=", 14)) {
        field = &limits->max_bytes, value = arg + 14, max = MAX_TOTAL;
    } else if (!strncmp(arg, "--console-rate=", 15)) {
        field = &limits->rate_bytes, value = arg + 15, max = TB_CONSOLE_MAX_RATE;
    } else {
        return 0;
    }
    uint64_t n;
    if (parse_size(value, &n) < 0 || n > max)
        tb_die("%s: expected a number of bytes (suffix K, M or G), at most %llu; 0 for no limit", arg,
               (unsigned long long)max);
    *field = n;
    return 1;
}

void tb_console_usage(FILE *out)
{
    fprintf(out,
            "console (the guest's output on stdout; what is over a limit is dropped, marked and counted):\n"
            "  --console-max=BYTES       bytes per run, K/M/G suffixes, 0 = unlimited (default %lluM)\n"
            "  --console-rate=BYTES      bytes per second, in bursts of one second's worth (default %lluM)\n",
            (unsigned long long)(tb_console_defaults.max_bytes >> 20),
            (unsigned long long)(tb_console_defaults.rate_bytes >> 20));
}
