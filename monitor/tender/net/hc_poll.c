/* hc_poll.c: the POLL hypercall: wait on every NIC's TAP until one is readable or the timeout passes. */
#include <errno.h>
#include <sys/epoll.h>
#include <time.h>

#include "hc_net.h"
#include "hypercall.h"
#include "log.h"
#include "net.h"
#include "nic_impair.h"
#include "shm.h"
#include "signals.h"

static int setup_epoll(struct tb_net *net)
{
    int fd = epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0)
        tb_die_errno("epoll_create1");
    for (unsigned i = 0; i < net->count; i++) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = net->nics[i].handle };
        if (epoll_ctl(fd, EPOLL_CTL_ADD, net->nics[i].fd, &ev) < 0)
            tb_die_errno("epoll_ctl");
    }
    return fd;
}

/* Setup, not the first POLL: the running monitor's seccomp filter allows no epoll_create1. */
void tb_hc_poll_prepare(struct tb_vm *vm)
{
    if (vm->net && vm->net->poll_epfd < 0)
        vm->net->poll_epfd = setup_epoll(vm->net);
}

/* Impaired NICs: send the TX frames now due, and return the guest handles with an RX frame due now; *timeout is cut
 * so the wait ends when the next queued frame falls due. */
static uint64_t service_impaired(struct tb_vm *vm, struct timespec *timeout)
{
    struct tb_net *net = vm->net;
    uint64_t now = tb_nic_impair_now(), next = UINT64_MAX, ready = 0;
    for (unsigned i = 0; i < net->count; i++) {
        struct tb_nic *nic = &net->nics[i];
        if (!nic->impair || tb_shm_attached(vm, nic->handle)) /* on rings, the IO thread serves its engines */
            continue;
        int rx_ready;
        uint64_t due = tb_nic_impair_service(nic, now, &rx_ready);
        if (due < next)
            next = due;
        if (rx_ready)
            ready |= 1ULL << nic->handle;
    }
    uint64_t wait = ready ? 0 : next > now ? next - now : 0;
    uint64_t asked = (uint64_t)timeout->tv_sec * 1000000000ULL + (uint64_t)timeout->tv_nsec;
    if (next != UINT64_MAX && wait < asked)
        *timeout = (struct timespec){ .tv_sec = (time_t)(wait / 1000000000ULL),
                                      .tv_nsec = (long)(wait % 1000000000ULL) };
    return ready;
}

/*
 * epoll_pwait2 takes a nanosecond timeout, which spares the timerfd (and its
 * extra syscall per POLL) that millisecond epoll_wait would need, and it
 * unblocks our stop signals only while waiting, so none is lost.
 */
void tb_hc_poll(struct tb_vm *vm, uint64_t gpa)
{
    struct hvt_hc_poll *p = TB_HC_ARG(vm, gpa, struct hvt_hc_poll, HVT_HYPERCALL_POLL);
    int epoll_fd = vm->net->poll_epfd;
    uint64_t ns = p->timeout_nsecs;
    struct timespec timeout = { .tv_sec = (time_t)(ns / 1000000000ULL), .tv_nsec = (long)(ns % 1000000000ULL) };
    tb_shm_poll_sync(vm, epoll_fd);
    uint64_t ready = 0;
    if (__builtin_expect(vm->net->impaired, 0) && service_impaired(vm, &timeout))
        timeout = (struct timespec){ 0 };
    struct epoll_event events[MFT_MAX_ENTRIES + 1];
    int n = epoll_pwait2(epoll_fd, events, MFT_MAX_ENTRIES + 1, &timeout, &vm->wait_mask);
    if (n < 0 && errno != EINTR)
        tb_die_errno("epoll_pwait2");
    tb_signals_check(vm);
    if (__builtin_expect(vm->net->impaired, 0)) {
        struct timespec unused = { 0 };
        ready |= service_impaired(vm, &unused);
    }
    for (int i = 0; i < n; i++) {
        if (events[i].data.u64 == TB_SHM_WAKE_TOKEN)
            tb_shm_poll_woken(vm);
        else
            ready |= 1ULL << events[i].data.u64;
    }
    ready |= tb_shm_ready_set(vm);
    p->ready_set = ready;
    p->ret = n > 0 ? n : 0;
    if (ready && !p->ret)
        p->ret = 1; /* an impaired NIC's frame fell due: the guest reads it as if its TAP had woken us */
}
