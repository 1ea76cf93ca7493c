/* hc_block.c: the block module: the BLOCK_WRITE and BLOCK_READ hypercalls, whole sectors inside the device, to/from its file. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "block.h"
#include "hypercall.h"
#include "module.h"
#include "stop.h"

/*
 * The guest's request must be whole sectors at a sector boundary and lie
 * inside the device: Solo5's bindings only ever ask for that, and anything
 * else (an overflowing offset + len included) gets EINVAL, not a fault.
 */
static struct tb_block *check_request(struct tb_vm *vm, uint64_t handle, uint64_t offset, uint64_t len)
{
    struct tb_block *b = tb_block_for_handle(vm, handle);
    if (!b)
        return NULL;
    if (len == 0 || len % b->sector_size || offset % b->sector_size || offset >= b->capacity
        || len > b->capacity - offset) {
        b->st.refused++;
        return NULL;
    }
    return b;
}

/* An I/O error on the backing file is the host's problem, not the guest's: solo5-hvt stops the same way. */
static TB_NORETURN void io_failed(struct tb_vm *vm, const struct tb_block *b, const char *op, ssize_t n, uint64_t len)
{
    const char *why = n < 0 ? strerror(errno) : "short transfer";
    tb_host_error(vm, "block %s: %s of %llu bytes on %s failed: %s", b->arg->name, op, (unsigned long long)len,
                  b->arg->path, why);
}

static void tb_hc_block_write(struct tb_vm *vm, uint64_t gpa)
{
    struct hvt_hc_block_write *w = TB_HC_ARG(vm, gpa, struct hvt_hc_block_write, HVT_HYPERCALL_BLOCK_WRITE);
    uint64_t offset = w->offset, len = w->len;
    struct tb_block *b = check_request(vm, w->handle, offset, len);
    if (!b) {
        w->ret = SOLO5_R_EINVAL;
        return;
    }
    const void *data = tb_hc_buffer(vm, w->data, len, HVT_HYPERCALL_BLOCK_WRITE, TB_READ);
    ssize_t n;
    do
        n = pwrite(b->fd, data, len, (off_t)offset);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)len)
        io_failed(vm, b, "write", n, len);
    b->st.writes++;
    b->st.write_bytes += len;
    w->ret = SOLO5_R_OK;
}

static void tb_hc_block_read(struct tb_vm *vm, uint64_t gpa)
{
    struct hvt_hc_block_read *r = TB_HC_ARG(vm, gpa, struct hvt_hc_block_read, HVT_HYPERCALL_BLOCK_READ);
    uint64_t offset = r->offset, len = r->len;
    struct tb_block *b = check_request(vm, r->handle, offset, len);
    if (!b) {
        r->ret = SOLO5_R_EINVAL;
        return;
    }
    void *data = tb_hc_buffer(vm, r->data, len, HVT_HYPERCALL_BLOCK_READ, TB_WRITE);
    ssize_t n;
    do
        n = pread(b->fd, data, len, (off_t)offset);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)len)
        io_failed(vm, b, "read", n, len);
    b->st.reads++;
    b->st.read_bytes += len;
    r->ret = SOLO5_R_OK;
}

static const struct tb_hypercall_def hypercalls[] = {
    { HVT_HYPERCALL_BLOCK_WRITE, "block_write", tb_hc_block_write },
    { HVT_HYPERCALL_BLOCK_READ, "block_read", tb_hc_block_read },
};

const struct tb_module tb_module_block = {
    .name = "block",
    .open = tb_block_open,
    .install = tb_block_install,
    .stats = tb_block_stats,
    .hypercalls = hypercalls,
    .hypercall_count = TB_COUNT(hypercalls),
};
