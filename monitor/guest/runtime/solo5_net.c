/* solo5_net.c: solo5_net_* over the hypercall backend: acquire from the monitor's manifest copy, read, write, queue/flush. */
#include "solo5.h"
#include "tb_string.h"
#include "runtime.h"
#include "shm_net.h"
#include "solo5_ring.h"

/* Transmit batching for the first few NICs: frames are copied, so the caller may reuse its buffer. */
#define TB_NET_QUEUE_NICS  4
#define TB_NET_QUEUE_SLOTS 32
#define TB_NET_SLOT_SIZE   2048

struct tx_queue {
    unsigned count;
    uint16_t len[TB_NET_QUEUE_SLOTS];
    uint8_t slot[TB_NET_QUEUE_SLOTS][TB_NET_SLOT_SIZE];
};

static struct tx_queue tx_queues[TB_NET_QUEUE_NICS];

static const struct mft *manifest(void)
{
    return (const struct mft *)(uintptr_t)tb_boot_info->mft;
}

static int valid_net_handle(solo5_handle_t h)
{
    const struct mft *m = manifest();
    return h < m->entries && m->e[h].type == MFT_DEV_NET_BASIC && m->e[h].attached;
}

solo5_result_t solo5_net_acquire(const char *name, solo5_handle_t *handle, struct solo5_net_info *info)
{
    const struct mft *m = manifest();
    for (uint32_t i = 0; i < m->entries && i < MFT_MAX_ENTRIES; i++) {
        const struct mft_entry *e = &m->e[i];
        if (strncmp(e->name, name, MFT_NAME_SIZE) != 0)
            continue;
        if (e->type != MFT_DEV_NET_BASIC || !e->attached)
            return SOLO5_R_EINVAL;
        *handle = i;
        memcpy(info->mac_address, e->u.net_basic.mac, SOLO5_NET_ALEN);
        info->mtu = e->u.net_basic.mtu;
        tb_shm_net_attach(i); /* rings instead of hypercalls when the monitor offers them */
        return SOLO5_R_OK;
    }
    return SOLO5_R_EINVAL;
}

solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf, size_t size, size_t *read_size)
{
    if (tb_shm_net_on(handle))
        return tb_shm_net_read(handle, buf, size, read_size);
    tb_net_rx_csum_valid = 0; /* hypercalls and Solo5's ring carry no checksum word */
    if (tb_solo5_ring_on())
        return tb_solo5_ring_read(handle, buf, size, read_size);
    struct hvt_hc_net_read r = { .handle = handle, .data = (uint64_t)(uintptr_t)buf, .len = size };
    tb_hypercall(HVT_HYPERCALL_NET_READ, &r);
    if (r.ret == SOLO5_R_OK && read_size)
        *read_size = r.len;
    return (solo5_result_t)r.ret;
}

static solo5_result_t write_now(solo5_handle_t handle, const uint8_t *buf, size_t size)
{
    if (tb_solo5_ring_on() && size <= HVT_RING_BUF_SIZE)
        return tb_solo5_ring_write(handle, buf, size);
    struct hvt_hc_net_write w = { .handle = handle, .data = (uint64_t)(uintptr_t)buf, .len = size };
    tb_hypercall(HVT_HYPERCALL_NET_WRITE, &w);
    return (solo5_result_t)w.ret;
}

solo5_result_t solo5_net_queue(solo5_handle_t handle, const uint8_t *buf, size_t size)
{
    if (!valid_net_handle(handle))
        return SOLO5_R_EINVAL;
    if (tb_shm_net_on(handle))
        return tb_shm_net_queue(handle, buf, size);
    /* NICs without a batch, and frames too big for a slot, go out at once. */
    if (handle >= TB_NET_QUEUE_NICS || size > TB_NET_SLOT_SIZE) {
        solo5_result_t r = solo5_net_flush(handle);
        return r == SOLO5_R_OK ? write_now(handle, buf, size) : r;
    }
    struct tx_queue *q = &tx_queues[handle];
    if (q->count == TB_NET_QUEUE_SLOTS)
        return SOLO5_R_AGAIN;
    memcpy(q->slot[q->count], buf, size);
    q->len[q->count++] = (uint16_t)size;
    return SOLO5_R_OK;
}

/* Hypercall mode: one NET_WRITE per queued frame; the first failure keeps the rest queued. */
solo5_result_t solo5_net_flush(solo5_handle_t handle)
{
    if (!valid_net_handle(handle))
        return SOLO5_R_EINVAL;
    if (tb_shm_net_on(handle))
        return tb_shm_net_flush(handle);
    if (handle >= TB_NET_QUEUE_NICS)
        return SOLO5_R_OK;
    struct tx_queue *q = &tx_queues[handle];
    unsigned sent = 0;
    solo5_result_t r = SOLO5_R_OK;
    while (sent < q->count && (r = write_now(handle, q->slot[sent], q->len[sent])) == SOLO5_R_OK)
        sent++;
    if (sent) {
        memmove(q->len, q->len + sent, (q->count - sent) * sizeof q->len[0]);
        memmove(q->slot, q->slot + sent, (q->count - sent) * sizeof q->slot[0]);
        q->count -= sent;
    }
    return r;
}

solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf, size_t size)
{
    if (tb_shm_net_on(handle))
        return tb_shm_net_write(handle, buf, size);
    solo5_result_t r = solo5_net_flush(handle);
    return r == SOLO5_R_OK ? write_now(handle, buf, size) : r;
}
