/* signals.c: turns SIGTERM/SIGINT/SIGHUP into a clean stop, without races against KVM_RUN or epoll waits. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "park.h"
#include "signals.h"
#include "stop.h"

static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP };

/*
 * The monitor's one mutable file-scope variable: a signal handler gets no
 * argument to reach the VM through, and a stop signal taken during POLL's
 * epoll_pwait2 is consumed by the handler (no longer pending), so this is
 * where it has to be remembered. Only the handler writes it.
 */
static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
    caught = sig;
}

/* KVM_RUN swaps in this mask while the guest runs: a stop signal then ends KVM_RUN with EINTR. */
static void set_vcpu_mask(struct tb_vm *vm)
{
    struct {
        struct kvm_signal_mask head;
        uint64_t bits;
    } mask = { .head.len = sizeof(uint64_t) };
    memcpy(&mask.bits, &vm->wait_mask, sizeof mask.bits);
    if (ioctl(vm->vcpu_fd, KVM_SET_SIGNAL_MASK, &mask) < 0)
        tb_die_errno("KVM_SET_SIGNAL_MASK");
}

void tb_signals_init(struct tb_vm *vm)
{
    sigset_t stops;
    sigemptyset(&stops);
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++) {
        sigaddset(&stops, stop_signals[i]);
        sigaction(stop_signals[i], &sa, NULL);
    }
    signal(SIGPIPE, SIG_IGN);
    tb_park_init(vm);
    sigaddset(&stops, TB_PARK_SIGNAL);
    if (sigprocmask(SIG_BLOCK, &stops, &vm->wait_mask) < 0)
        tb_die_errno("sigprocmask");
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
        sigdelset(&vm->wait_mask, stop_signals[i]);
    sigdelset(&vm->wait_mask, TB_PARK_SIGNAL);
    set_vcpu_mask(vm);
}

/* A signal that interrupted KVM_RUN stays pending (blocked again on return): take it here. */
static int pending_stop_signal(void)
{
    sigset_t pending;
    if (caught)
        return caught;
    if (sigpending(&pending) < 0)
        return 0;
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
        if (sigismember(&pending, stop_signals[i]))
            return stop_signals[i];
    return 0;
}

void tb_signals_check(struct tb_vm *vm)
{
    tb_park_if_asked(vm);
    int sig = pending_stop_signal();
    if (!sig)
        return;
    char reason[64];
    snprintf(reason, sizeof reason, "signal: %s", strsignal(sig));
    tb_log_line("stopped by %s", strsignal(sig));
    tb_stop(vm, 128 + sig, reason);
}

/*
 * Waits for room in fd with the stop signals unblocked (ppoll swaps the mask
 * in atomically, so none slips in between), then writes no more than a pipe
 * takes at once: a pipe that says POLLOUT has room for PIPE_BUF bytes, so the
 * write cannot block. A file is always "ready"; it gets everything at once.
 */
static ssize_t write_some(struct tb_vm *vm, int fd, const char *data, size_t len, int is_file)
{
    if (!is_file) {
        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
        if (ppoll(&pfd, 1, NULL, &vm->wait_mask) < 0) {
            if (errno == EINTR)
                tb_signals_check(vm); /* a stop signal: does not return */
            return errno == EINTR ? 0 : -1;
        }
        if (len > PIPE_BUF)
            len = PIPE_BUF;
    }
    ssize_t n = write(fd, data, len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0; /* a non-blocking descriptor that filled up again: wait once more */
    return n;
}

int tb_signals_write_all(struct tb_vm *vm, int fd, const void *buf, size_t len, int is_file)
{
    const char *data = buf;
    while (len) {
        ssize_t n = write_some(vm, fd, data, len, is_file);
        if (n < 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}
