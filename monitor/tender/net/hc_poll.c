/* hc_poll.c: the POLL hypercall: wait on every NIC's TAP until one is readable or the timeout passes. */
#include <errno.h>
#include <sys/epoll.h>
#include <time.h>

#include "hc_net.h"
#include "hypercall.h"
#include "log.h"
#include "net.h"
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
    struct epoll_event events[MFT_MAX_ENTRIES + 1];
    int n = epoll_pwait2(epoll_fd, events, MFT_MAX_ENTRIES + 1, &timeout, &vm->wait_mask);
    if (n < 0 && errno != EINTR)
        tb_die_errno("epoll_pwait2");
    tb_signals_check(vm);
    uint64_t ready = 0;
    for (int i = 0; i < n; i++) {
        if (events[i].data.u64 == TB_SHM_WAKE_TOKEN)
            tb_shm_poll_woken(vm);
        else
            ready |= 1ULL << events[i].data.u64;
    }
    ready |= tb_shm_ready_set(vm);
    p->ready_set = ready;
    p->ret = n > 0 ? n : 0;
}
