/* solo5_ring.c: the guest side of Solo5 0.12's network ring, used from ring 0 when the monitor offers it
 * (--io=solo5-ring), so our test guests drive the monitor's ring as Solo5's own bindings do. */
#include "solo5.h"
#include "tb_string.h"
#include "runtime.h"
#include "solo5_ring.h"

#define WRITE_BUFS 16 /* frames in flight; a slot is reused only once the monitor consumed its entry */

static uint8_t write_bufs[WRITE_BUFS][HVT_RING_BUF_SIZE];
static uint32_t next_id;

static struct hvt_ring *ring(void)
{
    return (struct hvt_ring *)(uintptr_t)tb_boot_info->net_ring;
}

/* The kick is an `outl`: only ring 0 may do it, so a ring-3 guest keeps its hypercalls. */
int tb_solo5_ring_on(void)
{
    return !tb_in_ring3 && (tb_boot_info->host_features & HVT_FEATURE_RING_IO) && tb_boot_info->net_ring;
}

static void submit(struct hvt_ring *r)
{
    __atomic_store_n(&r->ent_tail, r->ent_tail + 1, __ATOMIC_SEQ_CST); /* a full barrier before needs_kick */
    if (__atomic_load_n(&r->needs_kick, __ATOMIC_SEQ_CST))
        __asm__ __volatile__("outl %0, %1" : : "a"(0u), "d"((uint16_t)HVT_RING_KICK_PIO_BASE) : "memory");
}

static struct hvt_ring_entry *next_entry(struct hvt_ring *r, uint32_t op, solo5_handle_t handle, const void *data,
                                         size_t size)
{
    struct hvt_ring_entry *e = &r->entries[r->ent_tail & (HVT_RING_SIZE - 1)];
    e->operation = op;
    e->handle = (uint32_t)handle;
    e->data = (uint64_t)(uintptr_t)data;
    e->len = (uint32_t)size;
    e->id = next_id++;
    return e;
}

solo5_result_t tb_solo5_ring_write(solo5_handle_t handle, const uint8_t *buf, size_t size)
{
    struct hvt_ring *r = ring();
    while (r->ent_tail - __atomic_load_n(&r->ent_head, __ATOMIC_ACQUIRE) >= WRITE_BUFS)
        __asm__ __volatile__("pause");
    uint8_t *copy = write_bufs[r->ent_tail % WRITE_BUFS]; /* the caller may reuse buf at once */
    memcpy(copy, buf, size);
    next_entry(r, HVT_RING_NET_WRITE, handle, copy, size);
    submit(r);
    return SOLO5_R_OK; /* fire-and-forget, as Solo5's bindings */
}

solo5_result_t tb_solo5_ring_read(solo5_handle_t handle, uint8_t *buf, size_t size, size_t *read_size)
{
    struct hvt_ring *r = ring();
    next_entry(r, HVT_RING_NET_READ, handle, buf, size);
    submit(r);
    while (__atomic_load_n(&r->com_tail, __ATOMIC_ACQUIRE) == r->com_head)
        __asm__ __volatile__("pause");
    const struct hvt_ring_commit *c = &r->commits[r->com_head & (HVT_RING_SIZE - 1)];
    solo5_result_t ret = (solo5_result_t)c->ret;
    if (ret == SOLO5_R_OK && read_size)
        *read_size = c->len;
    r->com_head++;
    return ret;
}
