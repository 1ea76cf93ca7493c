/* modules.c: the modules in start-up order, and the registration of their hypercalls and ports into the VM. */
#include "log.h"
#include "module.h"
#include "modules.h"

/* Also the order of their members in --stats: nics, blocks, cpu_seconds, shmstream, solo5_ring, cpus, sleep. */
static const struct tb_module *const modules[] = {
    &tb_module_core, &tb_module_net, &tb_module_capture, &tb_module_impair, &tb_module_block, &tb_module_cpu, &tb_module_shmstream, &tb_module_solo5_ring,
    &tb_module_placement, &tb_module_hlt_sleep,
    NULL,
};

static void register_hypercall(struct tb_vm *vm, const struct tb_module *m, const struct tb_hypercall_def *d)
{
    if (d->nr == 0 || d->nr >= HVT_HYPERCALL_MAX || vm->hypercalls[d->nr].fn)
        tb_die("internal error: module %s: hypercall %u is out of range or taken", m->name, d->nr);
    vm->hypercalls[d->nr].name = d->name;
    vm->hypercalls[d->nr].fn = d->fn;
}

static void register_port(struct tb_vm *vm, const struct tb_module *m, const struct tb_port_def *d)
{
    if (vm->port_count == TB_MAX_PORTS)
        tb_die("internal error: module %s: too many ports", m->name);
    vm->ports[vm->port_count].port = d->port;
    vm->ports[vm->port_count++].fn = d->fn;
}

void tb_modules_register(struct tb_vm *vm)
{
    vm->modules = modules;
    for (const struct tb_module *const *m = modules; *m; m++) {
        for (unsigned i = 0; i < (*m)->hypercall_count; i++)
            register_hypercall(vm, *m, &(*m)->hypercalls[i]);
        for (unsigned i = 0; i < (*m)->port_count; i++)
            register_port(vm, *m, &(*m)->ports[i]);
    }
}

void tb_modules_open(struct tb_vm *vm, const struct tb_manifest *mft)
{
    for (const struct tb_module *const *m = modules; *m; m++)
        if ((*m)->open)
            (*m)->open(vm, mft);
}

void tb_modules_attach(struct tb_vm *vm, const struct tb_manifest *mft)
{
    for (const struct tb_module *const *m = modules; *m; m++)
        if ((*m)->attach)
            (*m)->attach(vm, mft);
}
