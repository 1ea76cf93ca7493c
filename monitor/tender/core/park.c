/* park.c: the vCPU thread stops touching anything when another thread owns the exit. */
#include <pthread.h>
#include <unistd.h>

#include "park.h"

#define PARK_WAIT_US 100000

static void on_kick(int sig)
{
    (void)sig; /* its only job is to end KVM_RUN or a wait with EINTR */
}

void tb_park_init(struct tb_vm *vm)
{
    struct sigaction kick = { .sa_handler = on_kick };
    sigemptyset(&kick.sa_mask);
    sigaction(TB_PARK_SIGNAL, &kick, NULL);
    vm->vcpu_thread = pthread_self();
    vm->vcpu_tid = gettid();
    vm->vcpu_thread_set = 1; /* before any other thread exists: pthread_create orders it before their reads */
}

void tb_park_vcpu(struct tb_vm *vm)
{
    if (!vm->vcpu_thread_set || pthread_equal(pthread_self(), vm->vcpu_thread))
        return;
    __atomic_store_n(&vm->vcpu_park, 1, __ATOMIC_RELEASE);
    /* tgkill, not pthread_kill: glibc's blocks every signal around it, a system call the sandbox does not allow. */
    if (tgkill(getpid(), vm->vcpu_tid, TB_PARK_SIGNAL) != 0)
        return;
    /* Bounded: a vCPU thread that is itself on its way out (the guest halted meanwhile) never parks here. */
    for (int waited = 0; waited < PARK_WAIT_US && !__atomic_load_n(&vm->vcpu_parked, __ATOMIC_ACQUIRE); waited += 100)
        usleep(100);
}

void tb_park_if_asked(struct tb_vm *vm)
{
    if (!__atomic_load_n(&vm->vcpu_park, __ATOMIC_ACQUIRE))
        return;
    __atomic_store_n(&vm->vcpu_parked, 1, __ATOMIC_RELEASE);
    for (;;) /* exit_group from the thread that owns the exit ends this one too */
        pause();
}
