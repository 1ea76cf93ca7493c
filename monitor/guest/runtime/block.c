/* block.c: solo5_block_* over the BLOCK_READ/BLOCK_WRITE hypercalls, devices found in the monitor's manifest copy. */
#include "solo5.h"
#include "tb_string.h"
#include "runtime.h"

static const struct mft_entry *block_entry(solo5_handle_t h)
{
    const struct mft *m = (const struct mft *)(uintptr_t)tb_boot_info->mft;
    if (h >= m->entries || h >= MFT_MAX_ENTRIES)
        return NULL;
    const struct mft_entry *e = &m->e[h];
    return e->type == MFT_DEV_BLOCK_BASIC && e->attached ? e : NULL;
}

solo5_result_t solo5_block_acquire(const char *name, solo5_handle_t *handle, struct solo5_block_info *info)
{
    const struct mft *m = (const struct mft *)(uintptr_t)tb_boot_info->mft;
    for (uint32_t i = 0; i < m->entries && i < MFT_MAX_ENTRIES; i++) {
        if (m->e[i].type != MFT_DEV_BLOCK_BASIC || strncmp(m->e[i].name, name, MFT_NAME_SIZE) != 0)
            continue;
        if (!m->e[i].attached)
            return SOLO5_R_EINVAL;
        *handle = i;
        info->capacity = m->e[i].u.block_basic.capacity;
        info->block_size = m->e[i].u.block_basic.block_size;
        return SOLO5_R_OK;
    }
    return SOLO5_R_EINVAL;
}

/* The monitor checks every request itself; the runtime passes any request through so tests can send bad ones. */
solo5_result_t solo5_block_read(solo5_handle_t handle, solo5_off_t offset, uint8_t *buf, size_t size)
{
    if (!block_entry(handle))
        return SOLO5_R_EINVAL;
    struct hvt_hc_block_read r = { .handle = handle, .offset = offset, .data = (uint64_t)(uintptr_t)buf, .len = size };
    tb_hypercall(HVT_HYPERCALL_BLOCK_READ, &r);
    return (solo5_result_t)r.ret;
}

solo5_result_t solo5_block_write(solo5_handle_t handle, solo5_off_t offset, const uint8_t *buf, size_t size)
{
    if (!block_entry(handle))
        return SOLO5_R_EINVAL;
    struct hvt_hc_block_write w = { .handle = handle, .offset = offset, .data = (uint64_t)(uintptr_t)buf,
                                    .len = size };
    tb_hypercall(HVT_HYPERCALL_BLOCK_WRITE, &w);
    return (solo5_result_t)w.ret;
}
