/* block.c: opens each --block file, checks its size against the sector size, binds it to its manifest handle. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block.h"
#include "log.h"
#include "manifest.h"

struct tb_block tb_blocks[MFT_MAX_ENTRIES];
unsigned tb_block_count;
static struct tb_block *by_handle[MFT_MAX_ENTRIES];

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

void tb_block_open(const struct tb_config *cfg, const struct tb_manifest *mft)
{
    for (unsigned i = 0; i < cfg->block_count; i++) {
        const struct tb_block_arg *arg = &cfg->blocks[i];
        int handle = tb_manifest_index(mft, arg->name);
        if (handle < 0) /* tb_manifest_match ran first */
            tb_die("--block:%s: no such device in the manifest", arg->name);
        struct tb_block *b = &tb_blocks[tb_block_count++];
        b->arg = arg;
        b->handle = (unsigned)handle;
        /* Never O_CREAT: the file is the caller's (the orchestrator creates it when asked). */
        b->fd = open(arg->path, O_RDWR | O_CLOEXEC);
        if (b->fd < 0)
            tb_die_solo5_errno("--block:%s: cannot open %s", arg->name, arg->path);
        b->capacity = file_size(b->fd, arg->path);
        b->sector_size = arg->sector_size ? arg->sector_size : TB_SECTOR_MIN;
        check_size(b);
        by_handle[handle] = b;
    }
}

struct tb_block *tb_block_for_handle(uint64_t handle)
{
    return handle < MFT_MAX_ENTRIES ? by_handle[handle] : NULL;
}
