/* manifest.h: the guest's ABI1 and MFT1 notes: validation, matching against --net, and the copy the guest sees. */
#ifndef TB_MANIFEST_H
#define TB_MANIFEST_H

#include <stddef.h>

#include "tb_abi.h"
#include "vm.h"

struct tb_config;
struct tb_image;

struct tb_manifest {
    struct mft *m;  /* a validated, malloc'ed copy of the image's manifest */
    size_t size;    /* 8 + entries * sizeof(struct mft_entry) */
};

/* Checks the ABI1 note and reads and validates the MFT1 note; dies with a one-line reason. */
void tb_manifest_read(const struct tb_image *img, struct tb_manifest *out);
/* Every --net names a NET entry and every NET entry has a --net; dies otherwise. */
void tb_manifest_match(const struct tb_manifest *mft, const struct tb_config *cfg);
/* Index of the entry called `name`, or -1. */
int tb_manifest_index(const struct tb_manifest *mft, const char *name);
/* Copies the manifest to TB_MFT_GPA, every entry detached; then each module's install hook fills in its devices. */
void tb_manifest_install(struct tb_vm *vm, const struct tb_manifest *mft);

#endif /* TB_MANIFEST_H */
