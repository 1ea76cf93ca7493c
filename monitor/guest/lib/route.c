/* route.c: a forwarder's routing table: --if=/--route= parsing and longest-prefix lookup. */
#include "tb_fmt.h"
#include "tb_route.h"
#include "tb_string.h"
#include "tb_wire.h"

/* "A.B.C.D/P" in [s, end); 0 or -1. */
static int parse_prefix(const char *s, const char *end, uint32_t *ip, uint32_t *mask)
{
    const char *p = tb_ip_parse(s, ip);
    if (!p || p >= end || *p != '/')
        return -1;
    unsigned prefix = 0;
    int digits = 0;
    for (p++; p < end && *p >= '0' && *p <= '9' && digits < 2; p++, digits++)
        prefix = prefix * 10 + (unsigned)(*p - '0');
    if (p != end || digits == 0 || prefix > 32)
        return -1;
    *mask = tb_prefix_mask(prefix);
    return 0;
}

static const char *find(const char *s, const char *end, char c)
{
    while (s < end && *s != c)
        s++;
    return s;
}

static int parse_if(struct tb_routes *t, const char *v, const char *end, char *err, size_t errlen)
{
    const char *comma = find(v, end, ',');
    size_t len = (size_t)(comma - v);
    if (t->nifs == TB_ROUTE_MAX_IFS) {
        tb_snprintf(err, errlen, "too many --if (at most %d)", TB_ROUTE_MAX_IFS);
        return -1;
    }
    struct tb_route_if *i = &t->ifs[t->nifs];
    if (len == 0 || len >= TB_ROUTE_NAME_MAX || comma == end || parse_prefix(comma + 1, end, &i->ip, &i->mask)) {
        tb_snprintf(err, errlen, "bad --if=%.*s (expected --if=NAME,ADDR/PREFIX)", (int)(end - v), v);
        return -1;
    }
    memcpy(i->name, v, len);
    i->name[len] = '\0';
    for (unsigned k = 0; k < t->nifs; k++)
        if (!strcmp(t->ifs[k].name, i->name)) {
            tb_snprintf(err, errlen, "--if=%s given twice", i->name);
            return -1;
        }
    t->nifs++;
    return 0;
}

static int parse_route(struct tb_routes *t, const char *v, const char *end, char *err, size_t errlen)
{
    const char *comma = find(v, end, ',');
    if (t->nroutes == TB_ROUTE_MAX_ROUTES) {
        tb_snprintf(err, errlen, "too many --route (at most %d)", TB_ROUTE_MAX_ROUTES);
        return -1;
    }
    struct tb_route *r = &t->routes[t->nroutes];
    if (comma == end || parse_prefix(v, comma, &r->dst, &r->mask) || tb_ip_parse(comma + 1, &r->via) != end) {
        tb_snprintf(err, errlen, "bad --route=%.*s (expected --route=DST/PREFIX,GATEWAY)", (int)(end - v), v);
        return -1;
    }
    r->dst &= r->mask;
    t->nroutes++;
    return 0;
}

/* Every gateway must be on-link on one of our interfaces (checked once all --if are known). */
static int bind_gateways(struct tb_routes *t, char *err, size_t errlen)
{
    for (unsigned k = 0; k < t->nroutes; k++) {
        struct tb_route *r = &t->routes[k];
        unsigned i = 0;
        while (i < t->nifs && ((r->via ^ t->ifs[i].ip) & t->ifs[i].mask) != 0)
            i++;
        if (i == t->nifs) {
            char via[16];
            tb_ip_format(via, sizeof via, r->via);
            tb_snprintf(err, errlen, "--route gateway %s is on none of the --if subnets", via);
            return -1;
        }
        r->ifindex = i;
    }
    return 0;
}

static void append(char *rest, size_t restlen, const char *tok, const char *end)
{
    size_t used = strlen(rest), len = (size_t)(end - tok);
    if (used + len + 2 > restlen)
        return;
    if (used)
        rest[used++] = ' ';
    memcpy(rest + used, tok, len);
    rest[used + len] = '\0';
}

int tb_routes_parse(const char *cmdline, struct tb_routes *t, char *rest, size_t restlen, char *err, size_t errlen)
{
    const char *p = cmdline ? cmdline : "";
    memset(t, 0, sizeof *t);
    if (rest && restlen)
        rest[0] = '\0';
    for (;;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *end = find(p, p + strlen(p), ' ');
        int bad = 0;
        if (end - p > 5 && !strncmp(p, "--if=", 5))
            bad = parse_if(t, p + 5, end, err, errlen);
        else if (end - p > 8 && !strncmp(p, "--route=", 8))
            bad = parse_route(t, p + 8, end, err, errlen);
        else if (rest)
            append(rest, restlen, p, end);
        else {
            tb_snprintf(err, errlen, "unknown argument '%.*s'", (int)(end - p), p);
            bad = -1;
        }
        if (bad)
            return -1;
        p = end;
    }
    return bind_gateways(t, err, errlen);
}

int tb_routes_local(const struct tb_routes *t, uint32_t ip)
{
    for (unsigned i = 0; i < t->nifs; i++)
        if (t->ifs[i].ip == ip)
            return (int)i;
    return -1;
}

int tb_routes_lookup(const struct tb_routes *t, uint32_t dst, unsigned *ifindex, uint32_t *next_hop)
{
    for (unsigned i = 0; i < t->nifs; i++)
        if (((dst ^ t->ifs[i].ip) & t->ifs[i].mask) == 0) {
            *ifindex = i;
            *next_hop = dst;
            return 0;
        }
    const struct tb_route *best = NULL;
    for (unsigned k = 0; k < t->nroutes; k++) {
        const struct tb_route *r = &t->routes[k];
        if ((dst & r->mask) == r->dst && (!best || r->mask > best->mask))
            best = r;
    }
    if (!best)
        return -1;
    *ifindex = best->ifindex;
    *next_hop = best->via;
    return 0;
}
