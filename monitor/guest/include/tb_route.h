/* tb_route.h: a forwarder's interfaces and static routes: parsed from --if=/--route= arguments, looked up by longest prefix. */
#ifndef TB_ROUTE_H
#define TB_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#define TB_ROUTE_MAX_IFS    8
#define TB_ROUTE_MAX_ROUTES 32
#define TB_ROUTE_NAME_MAX   68   /* a Solo5 manifest name, NUL included */

/* Addresses in host byte order. */
struct tb_route_if {
    char name[TB_ROUTE_NAME_MAX];
    uint32_t ip, mask;
};

struct tb_route {
    uint32_t dst, mask;
    uint32_t via;          /* next hop: must be on-link on one of our interfaces */
    unsigned ifindex;      /* filled by tb_routes_parse: the interface `via` is on */
};

struct tb_routes {
    struct tb_route_if ifs[TB_ROUTE_MAX_IFS];
    unsigned nifs;
    struct tb_route routes[TB_ROUTE_MAX_ROUTES];
    unsigned nroutes;
};

/*
 * Parses "--if=NAME,A.B.C.D/P" (one per interface, in any order) and
 * "--route=A.B.C.D/P,GW" tokens, space separated; other tokens are left for
 * the caller only if `rest` is given (copied there), else refused.
 * 0, or -1 with a one-line reason in err.
 */
int tb_routes_parse(const char *cmdline, struct tb_routes *t, char *rest, size_t restlen, char *err, size_t errlen);

/* The interface index and next-hop address for dst: connected subnets first, then the longest static prefix; -1 when none. */
int tb_routes_lookup(const struct tb_routes *t, uint32_t dst, unsigned *ifindex, uint32_t *next_hop);

/* The interface index owning address ip, or -1. */
int tb_routes_local(const struct tb_routes *t, uint32_t ip);

#endif /* TB_ROUTE_H */
