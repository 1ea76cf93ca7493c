/* wire.h: the relay's state (its two ends, an engine per direction) shared by tb-wire and its control socket. */
#ifndef TB_WIRE_H
#define TB_WIRE_H

#include <limits.h>
#include <linux/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "impair.h"

#define MAX_FRAME 65536

struct port {
    const char *spec;
    char ifname[IFNAMSIZ];
    char netns[NAME_MAX + 1];
    bool packet; /* AF_PACKET socket rather than TAP */
    int fd;
    uint64_t write_errors;
};

struct wire {
    struct port ends[2];
    struct tb_impair *dir[2]; /* dir[0]: a -> b, dir[1]: b -> a */
    const char *link;
    const char *stats_path;
    int control_fd;
};

/* The configuration, counters and lateness of both directions as one JSON object. */
void wire_stats_json(FILE *out, const struct wire *w);

/* Accept one client on the control socket, answer its one command line, close it. */
void wire_serve_control(struct wire *w);

#endif
