/* tb_args.h: the one argument style every guest app takes (--ip=, --gw=, --port=, --dst=, --size=, --rate=, --seconds=, --count=). */
#ifndef TB_ARGS_H
#define TB_ARGS_H

#include <stddef.h>
#include <stdint.h>

/* One bit per option: an app says which it accepts and which it requires. */
enum tb_arg {
    TB_ARG_IP      = 1u << 0, /* --ip=A.B.C.D/PREFIX  our address and on-link prefix */
    TB_ARG_GW      = 1u << 1, /* --gw=A.B.C.D         next hop for off-link destinations */
    TB_ARG_PORT    = 1u << 2, /* --port=N             UDP port, 1..65535 */
    TB_ARG_DST     = 1u << 3, /* --dst=A.B.C.D:PORT   where to send */
    TB_ARG_SIZE    = 1u << 4, /* --size=BYTES         UDP payload bytes */
    TB_ARG_RATE    = 1u << 5, /* --rate=PPS|max       packets per second, or as fast as possible */
    TB_ARG_SECONDS = 1u << 6, /* --seconds=S[.mmm]    duration, millisecond resolution */
    TB_ARG_COUNT   = 1u << 7, /* --count=N            packets */
};

/* Addresses are in host byte order. Fields are zero unless their bit is in `seen`. */
struct tb_args {
    uint32_t seen;        /* TB_ARG_* given on the command line */
    uint32_t ip;
    unsigned prefix;      /* 0..32 */
    uint32_t gw;
    uint16_t port;
    uint32_t dst_ip;
    uint16_t dst_port;
    uint64_t size;
    uint64_t rate;        /* packets/s; 0 means "max" */
    uint64_t millis;      /* --seconds, in milliseconds (> 0) */
    uint64_t count;       /* > 0 */
};

/*
 * Parses a space-separated command line. Returns 0, or -1 with a one-line
 * reason in err (unknown or not-accepted option, malformed value, an option
 * given twice, or a required one missing).
 */
int tb_args_parse(const char *cmdline, uint32_t allowed, uint32_t required,
                  struct tb_args *out, char *err, size_t errlen);

/* Prints "usage: APP OPTIONS" for the accepted options (required ones unbracketed). */
void tb_args_usage(const char *app, uint32_t allowed, uint32_t required);

/* Exit status for bad arguments: the shell convention for usage errors. */
#define TB_EXIT_USAGE 2

/* tb_args_parse, or print "APP: REASON" and the usage line and exit with TB_EXIT_USAGE. */
void tb_args_or_exit(const char *app, const char *cmdline, uint32_t allowed,
                     uint32_t required, struct tb_args *out);

#endif /* TB_ARGS_H */
