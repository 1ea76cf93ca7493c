/* main.c: tb-monitor: runs one Solo5 hvt (ABI 2) unikernel on KVM, its application in ring 3 when the guest supports it. */
#include "args.h"
#include "bootinfo.h"
#include "dumpcore.h"
#include "elf.h"
#include "hc_net.h"
#include "io.h"
#include "kvm.h"
#include "manifest.h"
#include "modules.h"
#include "sandbox.h"
#include "signals.h"
#include "stats.h"
#include "vcpu.h"
#include "x86_64.h"

/*
 * Exit status (also in --help):
 *   N    the guest halted with status N (N & 0xff; solo5_abort gives 255)
 *   1    TB_EXIT_SOLO5, as solo5-hvt: bad image, unusable block device, host/guest translation fault
 *   125  TB_EXIT_CONFIG: usage, configuration or setup error, the guest never ran
 *   126  TB_EXIT_FAULT: the guest faulted or misbehaved and was stopped
 *   128+S  stopped by signal S (SIGTERM, SIGINT, SIGHUP)
 *   killed by SIGSYS: its seccomp filter stopped a system call outside the allowlist (sandbox/seccomp.c)
 * Every error is one line on stderr starting with "tb-monitor: ".
 */

int main(int argc, char **argv)
{
    /* Both live as long as the process: main never returns, the run ends in tb_stop's exit(). */
    struct tb_config cfg = { 0 };
    struct tb_vm vm;
    struct tb_image img;
    struct tb_manifest mft;

    tb_std_fds_open(); /* before the first open(): fds 0-2 must not be handed out */
    tb_vm_init(&vm, &cfg);
    tb_stats_start(&vm);
    tb_args_parse(&cfg, argc, argv);
    tb_elf_read(&img, cfg.guest);
    tb_manifest_read(&img, &mft);
    tb_manifest_match(&mft, &cfg);

    vm.io = tb_io_mode_find(cfg.io_mode);
    tb_modules_register(&vm);
    tb_modules_open(&vm, &mft);
    tb_dumpcore_setup(&vm);
    tb_kvm_create(&vm, (uint64_t)cfg.mem_mib << 20);
    tb_elf_load(&img, &vm);
    tb_kvm_map_memory(&vm);
    tb_modules_attach(&vm, &mft);
    tb_manifest_install(&vm, &mft);
    tb_boot_info_write(&vm, cfg.cmdline);
    tb_x86_setup_memory(&vm);
    tb_x86_setup_vcpu(&vm);
    tb_stats_attach(&vm);
    tb_signals_init(&vm);
    if (vm.io->setup)
        vm.io->setup(&vm);
    /* Setup ends with what the steady state would otherwise create lazily; then the monitor confines itself. */
    tb_hc_poll_prepare(&vm);
    tb_stats_open_file(&vm);
    tb_sandbox_enter(&vm);
    tb_vcpu_run(&vm);
}
