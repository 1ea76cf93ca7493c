/* io.h: network I/O modes (--io=): how frames move between the TAPs and the guest. */
#ifndef TB_IO_H
#define TB_IO_H

#include <stddef.h>

struct tb_vm;

/*
 * A mode sets itself up once the NICs are open and attached, before the
 * vCPU runs, and tears down at exit. "hypercall" needs neither: the guest's
 * NET_READ/NET_WRITE hypercalls reach the TAPs directly (net/hc_net.c);
 * "solo5-ring" is set up by its module before boot (net/solo5_ring.c);
 * shmstream's modes (poll, event, hybrid) start and park the IO thread.
 */
struct tb_io_mode {
    const char *name;
    void (*setup)(struct tb_vm *vm);    /* may be NULL */
    void (*teardown)(struct tb_vm *vm); /* may be NULL; called from tb_stop before stats are written */
    int rings;                          /* shmstream: the IO thread serves the TAPs (vnet header and offloads) */
};

const struct tb_io_mode *tb_io_mode_find(const char *name);
/* "a, b, c" into buf: for usage and error messages. */
void tb_io_mode_names(char *buf, size_t size);

#endif /* TB_IO_H */
