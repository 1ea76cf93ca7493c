/* bootinfo.h: the boot info and command line the guest finds in low memory. */
#ifndef TB_BOOTINFO_H
#define TB_BOOTINFO_H

#include "vm.h"

/* Writes struct hvt_boot_info (with testbed's extension) at TB_BOOT_INFO_GPA and the cmdline at TB_CMDLINE_GPA. */
void tb_boot_info_write(struct tb_vm *vm, const char *cmdline);

#endif /* TB_BOOTINFO_H */
