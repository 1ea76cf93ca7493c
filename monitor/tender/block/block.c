/* block.c: opens each --block file, checks its size against the sector size, binds it to its manifest handle; reports it. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "block.h"
#include "json.h"
#include "log.h"
#include "manifest.h"

/* The file's size; a block device's size would need an ioctl, so only regular files are taken. */
static uint64_t file_size(int fd, const char *path)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        tb_die_solo5_errno("%s", path);
    if (!S_ISREG(st.st_mode))
        tb_die_solo5("%s: not a regular file", path);
    return (uint64_t)st.st_size;
}

/* solo5-hvt's words for the two size errors: Solo5's tests look for them. */
static void check_size(const struct tb_block *b)
{
    if (b->capacity % b->sector_size)
        tb_die_solo5("%s: Backing storage size must be block aligned (%u bytes): %s is %llu bytes", b->arg->name,
                     b->sector_size, b->arg->path, (unsigned long long)b->capacity);
    if (b->capacity < b->sector_size)
        tb_die_solo5("%s: Backing storage must be at least 1 block (%u bytes) in size: %s is empty", b->arg->name,
                     b->sector_size, b->arg->path);
}

void tb_block_open(struct tb_vm *vm, const struct tb_manifest *mft)
{
    const struct tb_config *cfg = vm->cfg;
    struct tb_blocks *blocks = tb_xcalloc(1, sizeof *blocks);
    vm->blocks = blocks;
    for (unsigned i = 0; i < cfg->block_count; i++) {
        const struct tb_block_arg *arg = &cfg->blocks[i];
        int handle = tb_manifest_index(mft, arg->name);
        if (handle < 0) /* tb_manifest_match ran first */
            tb_die("--block:%s: no such device in the manifest", arg->name);
        struct tb_block *b = &blocks->devs[blocks->count++];
        b->arg = arg;
        b->handle = (unsigned)handle;
        /* Never O_CREAT: the file is the caller's (the orchestrator creates it when asked). */
        b->fd = open(arg->path, O_RDWR | O_CLOEXEC);
        if (b->fd < 0)
            tb_die_solo5_errno("--block:%s: cannot open %s", arg->name, arg->path);
        b->capacity = file_size(b->fd, arg->path);
        b->sector_size = arg->sector_size ? arg->sector_size : TB_SECTOR_MIN;
        check_size(b);
        blocks->by_handle[handle] = b;
    }
}

void tb_block_install(struct tb_vm *vm, struct mft *guest_copy)
{
    for (unsigned i = 0; i < vm->blocks->count; i++) {
        const struct tb_block *b = &vm->blocks->devs[i];
        struct mft_entry *e = &guest_copy->e[b->handle];
        e->u.block_basic.capacity = b->capacity;
        e->u.block_basic.block_size = (uint16_t)b->sector_size;
        e->attached = 1;
    }
}

void tb_block_stats(const struct tb_vm *vm, FILE *f)
{
    const struct tb_blocks *blocks = vm->blocks;
    unsigned count = blocks ? blocks->count : 0;
    fprintf(f, "  \"blocks\": {");
    for (unsigned i = 0; i < count; i++) {
        const struct tb_block *b = &blocks->devs[i];
        fprintf(f, "%s\n    ", i ? "," : "");
        tb_json_string(f, b->arg->name);
        fprintf(f, ": {\"path\": ");
        tb_json_string(f, b->arg->path);
        fprintf(f,
                ", \"capacity\": %llu, \"sector_size\": %u, \"reads\": %llu, \"read_bytes\": %llu, "
                "\"writes\": %llu, \"write_bytes\": %llu, \"refused\": %llu}",
                (unsigned long long)b->capacity, b->sector_size, (unsigned long long)b->st.reads,
                (unsigned long long)b->st.read_bytes, (unsigned long long)b->st.writes,
                (unsigned long long)b->st.write_bytes, (unsigned long long)b->st.refused);
    }
    fprintf(f, "%s},\n", count ? "\n  " : "");
}
