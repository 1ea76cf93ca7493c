/* manifest.c: validates the Solo5 ABI1/MFT1 notes, matches devices to --net options, installs the guest's copy. */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manifest.h"
#include "mem.h"
#include "net.h"

static void check_abi(const struct tb_image *img)
{
    size_t size;
    const uint8_t *desc = tb_elf_find_note(img, SOLO5_ABI_NOTE_TYPE, 4, &size);
    if (!desc)
        tb_die("%s: no Solo5 ABI1 note: not a Solo5 unikernel", img->path);
    struct solo5_abi_desc abi;
    if (size < sizeof abi)
        tb_die("%s: malformed ABI1 note", img->path);
    memcpy(&abi, desc, sizeof abi);
    if (abi.abi_target != HVT_ABI_TARGET_HVT || abi.abi_version != HVT_ABI_VERSION)
        tb_die("%s: built for Solo5 ABI target %u version %u; this monitor runs hvt (target %u) version %u",
               img->path, abi.abi_target, abi.abi_version, HVT_ABI_TARGET_HVT, HVT_ABI_VERSION);
}

static void check_entry(const struct tb_image *img, const struct mft_entry *e, unsigned i)
{
    if (!memchr(e->name, '\0', sizeof e->name))
        tb_die("%s: malformed manifest: entry %u's name is not NUL-terminated", img->path, i);
    if (!e->name[0])
        tb_die("%s: malformed manifest: entry %u has an empty name", img->path, i);
    if (e->type == MFT_DEV_BLOCK_BASIC)
        tb_die("%s: manifest entry '%s' is a block device: this monitor cannot attach block devices", img->path,
               tb_printable(e->name));
    if (e->type != MFT_DEV_NET_BASIC)
        tb_die("%s: malformed manifest: entry '%s' has unknown type %u", img->path, tb_printable(e->name), e->type);
}

static void check_entries(const struct tb_image *img, const struct mft *m)
{
    for (unsigned i = 0; i < m->entries; i++) {
        check_entry(img, &m->e[i], i);
        for (unsigned j = 0; j < i; j++)
            if (!strcmp(m->e[i].name, m->e[j].name))
                tb_die("%s: malformed manifest: name '%s' appears twice", img->path, tb_printable(m->e[i].name));
    }
}

void tb_manifest_read(const struct tb_image *img, struct tb_manifest *out)
{
    check_abi(img);
    size_t size;
    const uint8_t *desc = tb_elf_find_note(img, SOLO5_MFT_NOTE_TYPE, alignof(struct mft), &size);
    if (!desc)
        tb_die("%s: no Solo5 manifest (MFT1 note)", img->path);
    struct mft head;
    if (size < sizeof head)
        tb_die("%s: malformed manifest: note too short", img->path);
    memcpy(&head, desc, sizeof head);
    if (head.version != MFT_VERSION)
        tb_die("%s: malformed manifest: version %u (expected %u)", img->path, head.version, MFT_VERSION);
    if (head.entries > MFT_MAX_ENTRIES)
        tb_die("%s: malformed manifest: %u entries (at most %d)", img->path, head.entries, MFT_MAX_ENTRIES);
    out->size = sizeof head + head.entries * sizeof(struct mft_entry);
    if (size < out->size)
        tb_die("%s: malformed manifest: %u entries do not fit in the note", img->path, head.entries);
    out->m = malloc(out->size);
    if (!out->m)
        tb_die("out of memory");
    memcpy(out->m, desc, out->size);
    check_entries(img, out->m);
}

int tb_manifest_index(const struct tb_manifest *mft, const char *name)
{
    for (unsigned i = 0; i < mft->m->entries; i++)
        if (!strcmp(mft->m->e[i].name, name))
            return (int)i;
    return -1;
}

static int configured(const struct tb_config *cfg, const char *name)
{
    for (unsigned i = 0; i < cfg->net_count; i++)
        if (!strcmp(cfg->nets[i].name, name))
            return 1;
    return 0;
}

void tb_manifest_match(const struct tb_manifest *mft, const struct tb_config *cfg)
{
    for (unsigned i = 0; i < cfg->net_count; i++)
        if (tb_manifest_index(mft, cfg->nets[i].name) < 0)
            tb_die("--net:%s: the guest's manifest has no device '%s'", cfg->nets[i].name, cfg->nets[i].name);
    for (unsigned i = 0; i < mft->m->entries; i++)
        if (mft->m->e[i].type == MFT_DEV_NET_BASIC && !configured(cfg, mft->m->e[i].name))
            tb_die("the guest needs network device '%s': give --net:%s=TAPIF", tb_printable(mft->m->e[i].name),
                   tb_printable(mft->m->e[i].name));
}

void tb_manifest_install(struct tb_vm *vm, const struct tb_manifest *mft)
{
    struct mft *copy = tb_low(vm, TB_MFT_GPA);
    memcpy(copy, mft->m, mft->size);
    for (unsigned i = 0; i < copy->entries; i++) {
        struct mft_entry *e = &copy->e[i];
        memset(&e->b, 0, sizeof e->b);
        e->attached = 0;
        const struct tb_nic *nic = tb_nic_for_handle(i);
        if (!nic)
            continue;
        memcpy(e->u.net_basic.mac, nic->mac, sizeof nic->mac);
        e->u.net_basic.mtu = nic->mtu;
        e->attached = 1;
    }
}
