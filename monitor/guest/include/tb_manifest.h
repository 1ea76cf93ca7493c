/* tb_manifest.h: macros an app uses (once, at file scope) to declare its Solo5 "MFT1" manifest note. */
#ifndef TB_MANIFEST_H
#define TB_MANIFEST_H

#include <stdint.h>
#include "tb_abi.h"

/*
 * Usage, at file scope:   TB_MANIFEST_NONE();
 *                         TB_MANIFEST_NET1("service0");
 *                         TB_MANIFEST_NET2("a", "b");
 *                         TB_MANIFEST_SOLO5_BLOCK1("storage");
 * The handle of a device is its index in this list (0, 1). The runtime emits
 * the "ABI1" note itself; the linker script keeps both notes loaded and in
 * their own PT_NOTE segments, where the monitor finds them.
 */

/* An ELF note header owned by Solo5: namesz, descsz, type, "Solo5" padded to 8. */
struct tb_note_hdr {
    uint32_t n_namesz;
    uint32_t n_descsz;
    uint32_t n_type;
    char n_name[8];
};

/* The manifest sits 8-aligned after the 20-byte header (4 bytes of padding), as in Solo5. */
#define TB_MFT_NOTE_(count, ...)                                                  \
    struct tb_mft_note_##count {                                                  \
        struct tb_note_hdr h;                                                     \
        struct {                                                                  \
            uint32_t version;                                                     \
            uint32_t entries;                                                     \
            struct mft_entry e[count];                                            \
        } m;                                                                      \
    };                                                                            \
    const struct tb_mft_note_##count tb_mft_note                                  \
        __attribute__((section(".note.solo5.manifest"), aligned(8), used)) = {    \
            .h = { .n_namesz = sizeof(SOLO5_NOTE_NAME),                           \
                   .n_descsz = sizeof(struct tb_mft_note_##count)                 \
                               - sizeof(struct tb_note_hdr),                      \
                   .n_type = SOLO5_MFT_NOTE_TYPE,                                 \
                   .n_name = SOLO5_NOTE_NAME },                                   \
            .m = { .version = MFT_VERSION, .entries = (count), .e = { __VA_ARGS__ } } \
        }

#define TB_MFT_NET_(nm) { .name = nm, .type = MFT_DEV_NET_BASIC }
#define TB_MFT_BLOCK_(nm) { .name = nm, .type = MFT_DEV_BLOCK_BASIC }
/* The unnamed, typeless first entry Solo5's elftool writes into every manifest: device handles then start at 1. */
#define TB_MFT_RESERVED_() { .name = "", .type = MFT_RESERVED_FIRST }

#define TB_MANIFEST_NONE()      TB_MFT_NOTE_(0, )
#define TB_MANIFEST_NET1(a)     TB_MFT_NOTE_(1, TB_MFT_NET_(a))
#define TB_MANIFEST_NET2(a, b)  TB_MFT_NOTE_(2, TB_MFT_NET_(a), TB_MFT_NET_(b))
/* Laid out as elftool lays out Solo5's: the reserved entry, then one block device (handle 1). */
#define TB_MANIFEST_SOLO5_BLOCK1(a) TB_MFT_NOTE_(2, TB_MFT_RESERVED_(), TB_MFT_BLOCK_(a))

#endif /* TB_MANIFEST_H */
