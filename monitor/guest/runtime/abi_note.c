/* abi_note.c: the "ABI1" ELF note that tells a monitor this image targets hvt ABI version 2. */
#include "tb_abi.h"
#include "tb_manifest.h"

struct tb_abi_note {
    struct tb_note_hdr h;
    struct solo5_abi_desc d;
    uint32_t reserved[2];
};

const struct tb_abi_note tb_abi_note __attribute__((section(".note.solo5.abi"), aligned(4), used)) = {
    .h = {
        .n_namesz = sizeof(SOLO5_NOTE_NAME),
        .n_descsz = sizeof(struct tb_abi_note) - sizeof(struct tb_note_hdr),
        .n_type = SOLO5_ABI_NOTE_TYPE,
        .n_name = SOLO5_NOTE_NAME,
    },
    .d = { .abi_target = HVT_ABI_TARGET_HVT, .abi_version = HVT_ABI_VERSION },
};
