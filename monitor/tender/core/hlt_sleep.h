/* hlt_sleep.h: --sleep=hlt: a shmstream guest sleeps halted inside KVM, woken by an NMI that eventfds raise (KVM_IRQFD). */
#ifndef TB_HLT_SLEEP_H
#define TB_HLT_SLEEP_H

#include <pthread.h>
#include <stdint.h>

#include "tb_ring.h"
#include "vm.h"

struct tb_hlt_sleep {
    int irq_fd;            /* eventfd bound with KVM_IRQFD: a write injects the wake NMI */
    int doorbell_fd;       /* TB_SLEEP_DOORBELL's ioeventfd: the guest asked for a timer wake */
    int epfd;              /* the timer thread's wait: the doorbell, with the armed deadline as timeout */
    struct tb_sleep_timer *timer; /* the guest's request in the sleep page (guest memory: hostile) */
    pthread_t thread;
    uint32_t started;      /* atomic: the timer thread dropped its capabilities */
    /* Counted by one thread each, read for --stats at exit while the timer may still run: relaxed atomics. */
    uint64_t io_hlt_wakes;   /* IO thread: wakes sent as the NMI (the guest slept halted) */
    uint64_t io_poll_wakes;  /* IO thread: wakes sent to the POLL hypercall's eventfd */
    uint64_t timer_arms;     /* timer thread: doorbells that armed a deadline */
    uint64_t timer_wakes;    /* timer thread: deadlines that fired an NMI */
};

/* Before KVM_CREATE_VCPU, with --sleep=hlt (else nothing): the in-kernel irqchip and the per-VM halt polling. */
void tb_hlt_sleep_create_vm(struct tb_vm *vm);
/* After it: LAPIC on, the NMI route and its irqfd, the deadline doorbell, the sleep page and the timer thread. */
void tb_hlt_sleep_attach_vcpu(struct tb_vm *vm);

/* The TB_SHM_F_* bits this sleep offers shmstream guests: TB_SHM_F_HLT_SLEEP or 0. */
static inline uint64_t tb_hlt_sleep_offer(const struct tb_vm *vm)
{
    return vm->hlt_sleep ? TB_SHM_F_HLT_SLEEP : 0;
}

/*
 * The IO thread, after it took a wait flag: which eventfd wakes the guest.
 * sleep_how was stored before the flag went up, so it is this sleep's; a
 * hostile value only picks between two eventfds of ours.
 */
static inline int tb_hlt_sleep_wake_fd(struct tb_vm *vm, const struct tb_shm_header *hdr, int poll_fd)
{
    struct tb_hlt_sleep *h = vm->hlt_sleep;
    if (!h)
        return poll_fd;
    if (__atomic_load_n(&hdr->sleep_how, __ATOMIC_RELAXED) == TB_SLEEP_HOW_HLT) {
        __atomic_fetch_add(&h->io_hlt_wakes, 1, __ATOMIC_RELAXED);
        return h->irq_fd;
    }
    __atomic_fetch_add(&h->io_poll_wakes, 1, __ATOMIC_RELAXED);
    return poll_fd;
}

#endif /* TB_HLT_SLEEP_H */
