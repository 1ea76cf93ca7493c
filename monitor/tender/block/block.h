/* block.h: the guest's block devices: files opened for --block, bound to manifest handles, with per-device counters. */
#ifndef TB_BLOCK_H
#define TB_BLOCK_H

#include <stdint.h>

#include "args.h"

struct tb_manifest;

struct tb_block_stats {
    uint64_t reads, read_bytes, writes, write_bytes, refused;
};

struct tb_block {
    const struct tb_block_arg *arg; /* name, path */
    unsigned handle;                /* index in the manifest */
    int fd;
    uint64_t capacity;              /* bytes: a whole number of sectors */
    uint32_t sector_size;
    struct tb_block_stats st;
};

extern struct tb_block tb_blocks[MFT_MAX_ENTRIES];
extern unsigned tb_block_count;

/* Opens every --block file and binds it to its manifest handle; dies with solo5-hvt's status and words. */
void tb_block_open(const struct tb_config *cfg, const struct tb_manifest *mft);
/* The device behind a guest handle, or NULL when the handle is not an attached block device. */
struct tb_block *tb_block_for_handle(uint64_t handle);

#endif /* TB_BLOCK_H */
