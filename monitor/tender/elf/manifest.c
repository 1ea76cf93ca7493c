/* manifest.c: validates the Solo5 ABI1/MFT1 notes, matches devices to --net and --block options, installs the guest's copy. */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "elf.h"
#include "log.h"
#include "manifest.h"
#include "mem.h"
#include "module.h"

static void check_abi(const struct tb_image *img)
{
    size_t size;
    const uint8_t *desc = tb_elf_find_note(img, SOLO5_ABI_NOTE_TYPE, 4, &size);
    if (!desc)
        tb_die_solo5("%s: no Solo5 ABI1 note: not a Solo5 unikernel", img->path);
    struct solo5_abi_desc abi;
    if (size < sizeof abi)
        tb_die_solo5("%s: malformed ABI1 note", img->path);
    memcpy(&abi, desc, sizeof abi);
    if (abi.abi_target != HVT_ABI_TARGET_HVT || abi.abi_version != HVT_ABI_VERSION)
        tb_die_solo5("%s: built for Solo5 ABI target %u version %u; this monitor runs hvt (target %u) version %u",
               img->path, abi.abi_target, abi.abi_version, HVT_ABI_TARGET_HVT, HVT_ABI_VERSION);
}

static int is_device(const struct mft_entry *e)
{
    return e->type == MFT_DEV_NET_BASIC || e->type == MFT_DEV_BLOCK_BASIC;
}

/* Solo5's elftool starts every manifest with an unnamed MFT_RESERVED_FIRST entry: not a device, so no name. */
static void check_entry(const struct tb_image *img, const struct mft_entry *e, unsigned i)
{
    if (!memchr(e->name, '\0', sizeof e->name))
        tb_die_solo5("%s: malformed manifest: entry %u's name is not NUL-terminated", img->path, i);
    if (e->type >= MFT_RESERVED_FIRST)
        return;
    if (!e->name[0])
        tb_die_solo5("%s: malformed manifest: entry %u has an empty name", img->path, i);
    if (!is_device(e))
        tb_die_solo5("%s: malformed manifest: entry '%s' has unknown type %u", img->path,
                     tb_printable(&(struct tb_printable){ 0 }, e->name), e->type);
}

static void check_entries(const struct tb_image *img, const struct mft *m)
{
    for (unsigned i = 0; i < m->entries; i++) {
        check_entry(img, &m->e[i], i);
        for (unsigned j = 0; j < i; j++)
            if (is_device(&m->e[i]) && is_device(&m->e[j]) && !strcmp(m->e[i].name, m->e[j].name))
                tb_die_solo5("%s: malformed manifest: name '%s' appears twice", img->path,
                             tb_printable(&(struct tb_printable){ 0 }, m->e[i].name));
    }
}

void tb_manifest_read(const struct tb_image *img, struct tb_manifest *out)
{
    check_abi(img);
    size_t size;
    const uint8_t *desc = tb_elf_find_note(img, SOLO5_MFT_NOTE_TYPE, alignof(struct mft), &size);
    if (!desc)
        tb_die_solo5("%s: no Solo5 manifest (MFT1 note)", img->path);
    struct mft head;
    if (size < sizeof head)
        tb_die_solo5("%s: malformed manifest: note too short", img->path);
    memcpy(&head, desc, sizeof head);
    if (head.version != MFT_VERSION)
        tb_die_solo5("%s: malformed manifest: version %u (expected %u)", img->path, head.version, MFT_VERSION);
    if (head.entries > MFT_MAX_ENTRIES)
        tb_die_solo5("%s: malformed manifest: %u entries (at most %d)", img->path, head.entries, MFT_MAX_ENTRIES);
    out->size = sizeof head + head.entries * sizeof(struct mft_entry);
    if (size < out->size)
        tb_die_solo5("%s: malformed manifest: %u entries do not fit in the note", img->path, head.entries);
    out->m = malloc(out->size);
    if (!out->m)
        tb_die_solo5("out of memory");
    memcpy(out->m, desc, out->size);
    check_entries(img, out->m);
}

static int find_entry(const struct tb_manifest *mft, const char *name, uint32_t type)
{
    for (unsigned i = 0; i < mft->m->entries; i++)
        if (mft->m->e[i].type == type && !strcmp(mft->m->e[i].name, name))
            return (int)i;
    return -1;
}

int tb_manifest_index(const struct tb_manifest *mft, const char *name)
{
    int i = find_entry(mft, name, MFT_DEV_NET_BASIC);
    return i >= 0 ? i : find_entry(mft, name, MFT_DEV_BLOCK_BASIC);
}

static int configured(const struct tb_config *cfg, const struct mft_entry *e)
{
    if (e->type == MFT_DEV_NET_BASIC) {
        for (unsigned i = 0; i < cfg->net_count; i++)
            if (!strcmp(cfg->nets[i].name, e->name))
                return 1;
    } else {
        for (unsigned i = 0; i < cfg->block_count; i++)
            if (!strcmp(cfg->blocks[i].name, e->name))
                return 1;
    }
    return 0;
}

/* `option` names a device of `type` in the manifest; says what it is when it is the other kind. */
static void check_option(const struct tb_manifest *mft, const char *option, const char *name, uint32_t type)
{
    if (find_entry(mft, name, type) >= 0)
        return;
    uint32_t other = type == MFT_DEV_NET_BASIC ? MFT_DEV_BLOCK_BASIC : MFT_DEV_NET_BASIC;
    if (find_entry(mft, name, other) >= 0)
        tb_die("%s:%s: the guest's device '%s' is a %s device", option, name, name,
               other == MFT_DEV_NET_BASIC ? "network" : "block");
    tb_die("%s:%s: the guest's manifest has no device '%s'", option, name, name);
}

void tb_manifest_match(const struct tb_manifest *mft, const struct tb_config *cfg)
{
    for (unsigned i = 0; i < cfg->net_count; i++)
        check_option(mft, "--net", cfg->nets[i].name, MFT_DEV_NET_BASIC);
    for (unsigned i = 0; i < cfg->block_count; i++)
        check_option(mft, "--block", cfg->blocks[i].name, MFT_DEV_BLOCK_BASIC);
    for (unsigned i = 0; i < mft->m->entries; i++) {
        const struct mft_entry *e = &mft->m->e[i];
        if (!is_device(e) || configured(cfg, e))
            continue;
        struct tb_printable name;
        tb_printable(&name, e->name);
        if (e->type == MFT_DEV_NET_BASIC)
            tb_die("the guest needs network device '%s': give --net:%s=TAPIF", name.s, name.s);
        tb_die("the guest needs block device '%s': give --block:%s=PATH", name.s, name.s);
    }
}

/* The modules fill in their own devices' entries: this file knows no device. */
void tb_manifest_install(struct tb_vm *vm, const struct tb_manifest *mft)
{
    struct mft *copy = tb_low(vm, TB_MFT_GPA);
    memcpy(copy, mft->m, mft->size);
    for (unsigned i = 0; i < copy->entries; i++) {
        memset(&copy->e[i].b, 0, sizeof copy->e[i].b);
        copy->e[i].attached = 0;
    }
    for (const struct tb_module *const *m = vm->modules; *m; m++)
        if ((*m)->install)
            (*m)->install(vm, copy);
}
