/* io.h: network I/O modes (--io=): how frames move between the TAPs and the guest. */
#ifndef TB_IO_H
#define TB_IO_H

struct tb_vm;

/*
 * A mode sets itself up once the NICs are open and attached, before the
 * vCPU runs, and tears down at exit. "hypercall" needs neither: the guest's
 * NET_READ/NET_WRITE hypercalls reach the TAPs directly (hc_net.c). The
 * shared-memory modes of issue 4 add entries to the table in io.c.
 */
struct tb_io_mode {
    const char *name;
    void (*setup)(struct tb_vm *vm);    /* may be NULL */
    void (*teardown)(struct tb_vm *vm); /* may be NULL; called from tb_stop before stats are written */
};

const struct tb_io_mode *tb_io_mode_find(const char *name);
/* "a, b, c": for usage and error messages. */
const char *tb_io_mode_names(void);

#endif /* TB_IO_H */
