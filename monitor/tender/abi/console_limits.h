/* console_limits.h: how much of the guest's console a run passes on (--console-max, --console-rate). */
#ifndef TB_CONSOLE_LIMITS_H
#define TB_CONSOLE_LIMITS_H

#include <stdint.h>
#include <stdio.h>

/* --console-max and --console-rate; 0 means unlimited. */
struct tb_console_limits {
    uint64_t max_bytes;         /* guest bytes per run; the rest is dropped */
    uint64_t rate_bytes;        /* guest bytes per second, in bursts of up to one second's worth */
};

/* Defined beside the code that applies them; args.c starts from them and --help prints them. */
extern const struct tb_console_limits tb_console_defaults;

/* --console-max=BYTES or --console-rate=BYTES (suffix K, M or G: binary); returns 0 when arg is neither. */
int tb_console_parse_flag(struct tb_console_limits *limits, const char *arg);
void tb_console_usage(FILE *out);

#define TB_CONSOLE_MAX_RATE (1ULL << 30) /* 1 GiB/s: keeps the rate arithmetic below 2^60 */

#endif /* TB_CONSOLE_LIMITS_H */
