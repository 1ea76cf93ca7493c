/* elf.h: loading and validating a Solo5 hvt guest image, and finding its Solo5 notes. */
#ifndef TB_ELF_H
#define TB_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "vm.h"

struct tb_image {
    const char *path;
    const uint8_t *data;   /* the whole file, mapped read-only */
    size_t size;
};

/* Maps the file (a regular file of at most 1 GiB); dies with a one-line message if it is not a loadable x86_64 ELF executable. */
void tb_elf_read(struct tb_image *img, const char *path);
/* Validates every non-empty PT_LOAD against guest memory, copies them in, sets vm->entry, vm->kernel_end and
 * vm->ro (the pages of non-writable segments). */
void tb_elf_load(const struct tb_image *img, struct tb_vm *vm);

/*
 * Finds the Solo5 note of `type` in the image's PT_NOTE segments. Returns its
 * descriptor with the first `align_pad(align)` bytes skipped (Solo5 pads the
 * descriptor so its content is `align`-aligned relative to the note), or NULL
 * when there is none. *size gets the usable bytes.
 */
const uint8_t *tb_elf_find_note(const struct tb_image *img, uint32_t type, size_t align, size_t *size);

#endif /* TB_ELF_H */
