/* block.h: the guest's block devices: files opened for --block, bound to manifest handles, with per-device counters. */
#ifndef TB_BLOCK_H
#define TB_BLOCK_H

#include <stdint.h>
#include <stdio.h>

#include "tb_abi.h"
#include "vm.h"

struct tb_manifest;
struct tb_block_arg;

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

/* vm->blocks */
struct tb_blocks {
    struct tb_block devs[MFT_MAX_ENTRIES];
    unsigned count;
    struct tb_block *by_handle[MFT_MAX_ENTRIES];
};

/* The block module's open hook: opens every --block file and binds it to its manifest handle; dies with
 * solo5-hvt's status and words. */
void tb_block_open(struct tb_vm *vm, const struct tb_manifest *mft);
/* The install hook: each device's entry in the guest's manifest gets its capacity and sector size. */
void tb_block_install(struct tb_vm *vm, struct mft *guest_copy);
/* The stats hook: `"blocks": {...},`. */
void tb_block_stats(const struct tb_vm *vm, FILE *f);

/* The device behind a guest handle, or NULL when the handle is not an attached block device. */
static inline struct tb_block *tb_block_for_handle(const struct tb_vm *vm, uint64_t handle)
{
    return handle < MFT_MAX_ENTRIES ? vm->blocks->by_handle[handle] : NULL;
}

#endif /* TB_BLOCK_H */
