/* elf.c: maps a guest ELF, validates its headers and PT_LOAD segments overflow-safely, loads it, finds notes. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf.h"
#include "log.h"

#define MAX_IMAGE_SIZE (1ULL << 30)
#define MAX_PHDRS 64
#define MAX_SEGMENT_ALIGN 0x200000ULL

/*
 * Maps the file instead of reading it: only the pages the checks and the
 * loader touch (headers, notes, segments) ever become resident, so a 1 GiB
 * image costs kilobytes of RSS, not a gigabyte of heap.
 */
static void map_file(struct tb_image *img, int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        tb_die_solo5_errno("%s", img->path);
    if (!S_ISREG(st.st_mode))
        tb_die_solo5("%s: not a regular file", img->path);
    if ((unsigned long long)st.st_size > MAX_IMAGE_SIZE)
        tb_die_solo5("%s: image too large (%lld bytes, at most %llu)", img->path, (long long)st.st_size,
                     MAX_IMAGE_SIZE);
    img->size = (size_t)st.st_size;
    if (img->size < sizeof(Elf64_Ehdr))
        tb_die_solo5("%s: not an ELF file", img->path);
    void *p = mmap(NULL, img->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        tb_die_solo5_errno("%s: cannot map the image", img->path);
    img->data = p;
}

/* True when [off, off + len) lies inside the file. */
static int in_file(const struct tb_image *img, uint64_t off, uint64_t len)
{
    return off <= img->size && len <= img->size - off;
}

static const Elf64_Ehdr *ehdr(const struct tb_image *img)
{
    return (const Elf64_Ehdr *)img->data;
}

static const Elf64_Phdr *phdr(const struct tb_image *img, unsigned i)
{
    return (const Elf64_Phdr *)(img->data + ehdr(img)->e_phoff) + i;
}

static void check_header(const struct tb_image *img)
{
    const Elf64_Ehdr *eh = ehdr(img);
    if (img->size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
        tb_die_solo5("%s: not an ELF file", img->path);
    if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
        tb_die_solo5("%s: not a 64-bit little-endian ELF file", img->path);
    if (eh->e_machine != EM_X86_64)
        tb_die_solo5("%s: wrong machine (e_machine %u, expected x86_64 %u)", img->path, eh->e_machine, EM_X86_64);
    if (eh->e_type != ET_EXEC)
        tb_die_solo5("%s: not a static executable (e_type %u, expected ET_EXEC)", img->path, eh->e_type);
    if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > MAX_PHDRS)
        tb_die_solo5("%s: bad program header table (%u entries of %u bytes)", img->path, eh->e_phnum, eh->e_phentsize);
    if (eh->e_phoff % 8 || !in_file(img, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
        tb_die_solo5("%s: program header table outside the file", img->path);
}

void tb_elf_read(struct tb_image *img, const char *path)
{
    img->path = path;
    /* O_NONBLOCK: opening a FIFO would otherwise wait for a writer before fstat could refuse it. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        tb_die_solo5_errno("cannot open guest %s", path);
    map_file(img, fd);
    close(fd);
    check_header(img);
}

static void check_segment(const struct tb_image *img, const struct tb_vm *vm, unsigned i)
{
    const Elf64_Phdr *ph = phdr(img, i);
    if (ph->p_filesz > ph->p_memsz)
        tb_die_solo5("%s: segment %u: file size 0x%llx exceeds memory size 0x%llx", img->path, i,
               (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
    if (!in_file(img, ph->p_offset, ph->p_filesz))
        tb_die_solo5("%s: segment %u: contents outside the file", img->path, i);
    if (ph->p_vaddr != ph->p_paddr)
        tb_die_solo5("%s: segment %u: virtual address differs from physical (not identity-mapped)", img->path, i);
    if (ph->p_paddr < HVT_GUEST_MIN_BASE)
        tb_die_solo5("%s: segment %u at 0x%llx is below the guest minimum 0x%llx", img->path, i,
               (unsigned long long)ph->p_paddr, HVT_GUEST_MIN_BASE);
    if (ph->p_paddr > vm->mem_size || ph->p_memsz > vm->mem_size - ph->p_paddr)
        tb_die_solo5("%s: segment %u (0x%llx, 0x%llx bytes) does not fit in %llu MiB of guest memory", img->path, i,
               (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz,
               (unsigned long long)(vm->mem_size >> 20));
    uint64_t align = ph->p_align;
    if (align > 1 && ((align & (align - 1)) || align > MAX_SEGMENT_ALIGN || (ph->p_paddr - ph->p_offset) % align))
        tb_die_solo5("%s: segment %u: bad alignment 0x%llx", img->path, i, (unsigned long long)align);
}

static void check_overlap(const struct tb_image *img, unsigned i)
{
    const Elf64_Phdr *a = phdr(img, i);
    for (unsigned j = 0; j < i; j++) {
        const Elf64_Phdr *b = phdr(img, j);
        if (b->p_type != PT_LOAD || !a->p_memsz || !b->p_memsz)
            continue;
        /* Both ranges are known to lie inside guest memory: no overflow here. */
        if (a->p_paddr < b->p_paddr + b->p_memsz && b->p_paddr < a->p_paddr + a->p_memsz)
            tb_die_solo5("%s: segments %u and %u overlap", img->path, j, i);
    }
}

static int entry_in_segment(const struct tb_image *img, uint64_t entry)
{
    for (unsigned i = 0; i < ehdr(img)->e_phnum; i++) {
        const Elf64_Phdr *ph = phdr(img, i);
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && entry >= ph->p_paddr
            && entry - ph->p_paddr < ph->p_memsz)
            return 1;
    }
    return 0;
}

#define PAGE 0x1000ULL

/* True when the page at `page` holds part of a writable segment: it cannot be made read-only. */
static int page_is_writable(const struct tb_image *img, uint64_t page)
{
    for (unsigned i = 0; i < ehdr(img)->e_phnum; i++) {
        const Elf64_Phdr *ph = phdr(img, i);
        if (ph->p_type == PT_LOAD && ph->p_memsz && (ph->p_flags & PF_W) && ph->p_paddr < page + PAGE
            && page < ph->p_paddr + ph->p_memsz)
            return 1;
    }
    return 0;
}

static void add_ro_range(struct tb_vm *vm, uint64_t start, uint64_t end)
{
    unsigned i = vm->ro_count;
    for (; i > 0 && vm->ro[i - 1].start > start; i--) /* keep them sorted: the memory slots are laid out in order */
        vm->ro[i] = vm->ro[i - 1];
    vm->ro[i] = (struct tb_range){ start, end };
    vm->ro_count++;
    /* Two segments may share a page (.text's last, .rodata's first): merge what touches. */
    unsigned out = 0;
    for (unsigned j = 1; j < vm->ro_count; j++) {
        if (vm->ro[j].start <= vm->ro[out].end) {
            if (vm->ro[j].end > vm->ro[out].end)
                vm->ro[out].end = vm->ro[j].end;
        } else {
            vm->ro[++out] = vm->ro[j];
        }
    }
    vm->ro_count = out + 1;
}

/* The whole pages of the image's non-writable segments (code, read-only data): the guest sees them read-only. */
static void collect_read_only(const struct tb_image *img, struct tb_vm *vm)
{
    for (unsigned i = 0; i < ehdr(img)->e_phnum; i++) {
        const Elf64_Phdr *ph = phdr(img, i);
        if (ph->p_type != PT_LOAD || !ph->p_memsz || (ph->p_flags & PF_W))
            continue;
        uint64_t start = ph->p_paddr & ~(PAGE - 1), end = (ph->p_paddr + ph->p_memsz + PAGE - 1) & ~(PAGE - 1);
        if (page_is_writable(img, start))
            start += PAGE;
        if (end > start && page_is_writable(img, end - PAGE))
            end -= PAGE;
        if (end > start && vm->ro_count < TB_MAX_RO_RANGES)
            add_ro_range(vm, start, end);
    }
}

void tb_elf_load(const struct tb_image *img, struct tb_vm *vm)
{
    uint64_t end = 0;
    unsigned loads = 0;
    for (unsigned i = 0; i < ehdr(img)->e_phnum; i++) {
        const Elf64_Phdr *ph = phdr(img, i);
        /* Linkers emit empty PT_LOADs (at 0 in Solo5's images): nothing to load, so nothing to check. */
        if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
            continue;
        check_segment(img, vm, i);
        check_overlap(img, i);
        memcpy(vm->mem + ph->p_paddr, img->data + ph->p_offset, ph->p_filesz);
        memset(vm->mem + ph->p_paddr + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
        if (ph->p_paddr + ph->p_memsz > end)
            end = ph->p_paddr + ph->p_memsz;
        loads++;
    }
    if (!loads)
        tb_die_solo5("%s: no loadable segment", img->path);
    if (!entry_in_segment(img, ehdr(img)->e_entry))
        tb_die_solo5("%s: entry point 0x%llx is not in an executable segment", img->path,
               (unsigned long long)ehdr(img)->e_entry);
    vm->entry = ehdr(img)->e_entry;
    vm->kernel_end = (end + 0xfff) & ~0xfffULL;
    collect_read_only(img, vm);
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
    return (x + a - 1) & ~(a - 1);
}

/* Looks through one PT_NOTE segment's notes. */
static const uint8_t *find_in_segment(const struct tb_image *img, const Elf64_Phdr *ph, uint32_t type, size_t align,
                                      size_t *size)
{
    if (!in_file(img, ph->p_offset, ph->p_filesz))
        tb_die_solo5("%s: note segment does not fall within valid size (outside the file)", img->path);
    uint64_t off = 0, len = ph->p_filesz;
    const uint8_t *seg = img->data + ph->p_offset;
    while (len - off >= sizeof(Elf64_Nhdr)) {
        /* A copy, not a cast: a PT_NOTE may start at any file offset, and the header's words need 4-alignment. */
        Elf64_Nhdr nh;
        memcpy(&nh, seg + off, sizeof nh);
        uint64_t desc_rel = sizeof nh + align_up(nh.n_namesz, 4); /* relative to the note */
        if (desc_rel > len - off || nh.n_descsz > len - off - desc_rel)
            tb_die_solo5("%s: ELF note does not fall within valid size (segment of %llu bytes)", img->path,
                         (unsigned long long)len);
        const char *name = (const char *)(seg + off + sizeof nh);
        if (nh.n_type == type && nh.n_namesz == sizeof(SOLO5_NOTE_NAME)
            && !memcmp(name, SOLO5_NOTE_NAME, sizeof(SOLO5_NOTE_NAME))) {
            uint64_t pad = align_up(desc_rel, align) - desc_rel;
            if (pad >= nh.n_descsz)
                tb_die_solo5("%s: Solo5 note does not fall within valid size (%u bytes)", img->path, nh.n_descsz);
            *size = nh.n_descsz - pad;
            return seg + off + desc_rel + pad;
        }
        off += desc_rel + align_up(nh.n_descsz, 4);
        if (off > len)
            break;
    }
    return NULL;
}

const uint8_t *tb_elf_find_note(const struct tb_image *img, uint32_t type, size_t align, size_t *size)
{
    for (unsigned i = 0; i < ehdr(img)->e_phnum; i++) {
        const Elf64_Phdr *ph = phdr(img, i);
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *found = find_in_segment(img, ph, type, align, size);
        if (found)
            return found;
    }
    return NULL;
}
