/* sandbox.c: the order of confinement once setup is done: no core file, setup-only fds closed, capabilities, seccomp. */
#include <sys/resource.h>

#include "args.h"
#include "caps.h"
#include "kvm.h"
#include "log.h"
#include "sandbox.h"
#include "seccomp.h"

void tb_sandbox_enter(struct tb_vm *vm)
{
    /* A crash of the monitor must not spill guest RAM into a core file (--dumpcore writes the guest's on purpose). */
    struct rlimit none = { 0, 0 };
    if (setrlimit(RLIMIT_CORE, &none) < 0)
        tb_die_errno("sandbox: setrlimit(RLIMIT_CORE)");
    tb_kvm_release(vm);
    tb_caps_drop_all();
    /* Last: the filter's ioctl rule names the vCPU fd, and nothing above may run under it. */
    tb_seccomp_install(vm);
    if (vm->cfg->seccomp_selftest)
        tb_seccomp_selftest(vm, vm->cfg->seccomp_selftest);
}
