/* args.c: parses the apps' shared --name=value command line into struct tb_args, with one-line reasons for errors. */
#include "tb_args.h"
#include "tb_fmt.h"
#include "tb_wire.h"
#include "tb_string.h"

struct option {
    const char *name;
    enum tb_arg bit;
    const char *value_hint; /* for the usage line */
};

static const struct option options[] = {
    { "ip", TB_ARG_IP, "ADDR/PREFIX" },
    { "gw", TB_ARG_GW, "ADDR" },
    { "port", TB_ARG_PORT, "N" },
    { "dst", TB_ARG_DST, "IP:PORT" },
    { "size", TB_ARG_SIZE, "BYTES" },
    { "rate", TB_ARG_RATE, "PPS|max" },
    { "seconds", TB_ARG_SECONDS, "S" },
    { "count", TB_ARG_COUNT, "N" },
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

/* Decimal digits up to `end`, at most `max`; NULL on no digits or overflow. */
static const char *parse_u64(const char *s, const char *end, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    const char *start = s;

    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (max - d) / 10)
            return NULL;
        v = v * 10 + d;
    }
    if (s == start)
        return NULL;
    *out = v;
    return s;
}

/* A whole value must be a number: no trailing characters. */
static int whole_u64(const char *s, const char *end, uint64_t min, uint64_t max, uint64_t *out)
{
    const char *p = parse_u64(s, end, max, out);
    return p == end && *out >= min ? 0 : -1;
}

static int parse_ip_prefix(const char *s, const char *end, struct tb_args *a)
{
    uint64_t prefix;
    const char *p = tb_ip_parse(s, &a->ip);

    if (!p || p >= end || *p != '/' || whole_u64(p + 1, end, 0, 32, &prefix) != 0)
        return -1;
    a->prefix = (unsigned)prefix;
    return 0;
}

static int parse_dst(const char *s, const char *end, struct tb_args *a)
{
    uint64_t port;
    const char *p = tb_ip_parse(s, &a->dst_ip);

    if (!p || p >= end || *p != ':' || whole_u64(p + 1, end, 1, 65535, &port) != 0)
        return -1;
    a->dst_port = (uint16_t)port;
    return 0;
}

/* S or S.m, S.mm, S.mmm: seconds with millisecond resolution, > 0. */
static int parse_seconds(const char *s, const char *end, uint64_t *millis)
{
    uint64_t whole, frac = 0;
    const char *p = parse_u64(s, end, UINT64_MAX / 1000 - 1, &whole);

    if (!p)
        return -1;
    if (p < end) {
        if (*p != '.' || end - p < 2 || end - p > 4)
            return -1;
        const char *q = parse_u64(p + 1, end, 999, &frac);
        if (q != end)
            return -1;
        for (long digits = end - p - 1; digits < 3; digits++)
            frac *= 10;
    }
    *millis = whole * 1000 + frac;
    return *millis > 0 ? 0 : -1;
}

static int parse_value(enum tb_arg bit, const char *v, const char *end, struct tb_args *a)
{
    uint64_t n;
    const char *p;

    switch (bit) {
    case TB_ARG_IP:
        return parse_ip_prefix(v, end, a);
    case TB_ARG_GW:
        p = tb_ip_parse(v, &a->gw);
        return p == end ? 0 : -1;
    case TB_ARG_PORT:
        if (whole_u64(v, end, 1, 65535, &n) != 0)
            return -1;
        a->port = (uint16_t)n;
        return 0;
    case TB_ARG_DST:
        return parse_dst(v, end, a);
    case TB_ARG_SIZE:
        return whole_u64(v, end, 0, 65535, &a->size);
    case TB_ARG_RATE:
        if (end - v == 3 && strncmp(v, "max", 3) == 0) {
            a->rate = 0;
            return 0;
        }
        return whole_u64(v, end, 1, 1000000000, &a->rate);
    case TB_ARG_SECONDS:
        return parse_seconds(v, end, &a->millis);
    case TB_ARG_COUNT:
        return whole_u64(v, end, 1, UINT64_MAX, &a->count);
    }
    return -1;
}

static const struct option *find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0)
            return &options[i];
    return NULL;
}

/* One "--name=value" token [tok, end). */
static int parse_token(const char *tok, const char *end, uint32_t allowed,
                       struct tb_args *a, char *err, size_t errlen)
{
    int len = (int)(end - tok);
    const char *eq = tok;

    while (eq < end && *eq != '=')
        eq++;
    const struct option *opt = NULL;
    if (end - tok > 2 && tok[0] == '-' && tok[1] == '-')
        opt = find_option(tok + 2, (size_t)(eq - tok - 2));
    if (!opt || !(opt->bit & allowed)) {
        tb_snprintf(err, errlen, "unknown argument '%.*s'", len, tok);
        return -1;
    }
    if (eq == end) {
        tb_snprintf(err, errlen, "--%s needs a value: --%s=%s", opt->name, opt->name, opt->value_hint);
        return -1;
    }
    if (a->seen & opt->bit) {
        tb_snprintf(err, errlen, "--%s given twice", opt->name);
        return -1;
    }
    if (parse_value(opt->bit, eq + 1, end, a) != 0) {
        tb_snprintf(err, errlen, "bad value in '%.*s' (expected --%s=%s)", len, tok,
                    opt->name, opt->value_hint);
        return -1;
    }
    a->seen |= opt->bit;
    return 0;
}

int tb_args_parse(const char *cmdline, uint32_t allowed, uint32_t required,
                  struct tb_args *out, char *err, size_t errlen)
{
    const char *p = cmdline ? cmdline : "";

    memset(out, 0, sizeof(*out));
    if (errlen)
        err[0] = '\0';
    for (;;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *end = p;
        while (*end && *end != ' ')
            end++;
        if (parse_token(p, end, allowed, out, err, errlen) != 0)
            return -1;
        p = end;
    }
    for (size_t i = 0; i < N_OPTIONS; i++) {
        if ((required & options[i].bit) && !(out->seen & options[i].bit)) {
            tb_snprintf(err, errlen, "missing --%s=%s", options[i].name, options[i].value_hint);
            return -1;
        }
    }
    return 0;
}

void tb_args_usage(const char *app, uint32_t allowed, uint32_t required)
{
    char line[256];
    int n = tb_snprintf(line, sizeof(line), "usage: %s", app);

    for (size_t i = 0; i < N_OPTIONS && n < (int)sizeof(line); i++) {
        const struct option *o = &options[i];
        if (!(allowed & o->bit))
            continue;
        const char *fmt = (required & o->bit) ? " --%s=%s" : " [--%s=%s]";
        n += tb_snprintf(line + n, sizeof(line) - (size_t)n, fmt, o->name, o->value_hint);
    }
    tb_printf("%s\n", line);
}
