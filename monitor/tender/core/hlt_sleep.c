/* hlt_sleep.c: --sleep=hlt: irqchip, halt polling, the wake NMI's route and irqfd, the sleep page and the guest's timer thread. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "caps.h"
#include "hlt_sleep.h"
#include "log.h"
#include "mem.h"
#include "module.h"

#define APIC_SVR          0xf0       /* spurious-interrupt vector register: bit 8 software-enables the LAPIC */
#define APIC_SVR_ENABLE   (1u << 8)
#define WAKE_GSI          24         /* past the IOAPIC's pins: ours alone */
#define MSI_ADDR_APIC0    0xfee00000u /* destination APIC id 0, our one vCPU */
#define MSI_DATA_NMI      0x400u     /* delivery mode 100b: NMI (the vector is ignored) */
#define TIMEOUT_MAX_NS    (3600ULL * 1000000000ULL) /* a longer request wakes the guest after an hour: it re-arms */

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static int new_eventfd(void)
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0)
        tb_die_errno("eventfd");
    return fd;
}

/* Halt polling: KVM spins this long for a wake before it gives the host core away; the gain is all here. */
static void set_halt_poll(struct tb_vm *vm, int64_t ns)
{
    if (ns < 0)
        return; /* the kvm module's halt_poll_ns stays */
    if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_HALT_POLL) <= 0)
        tb_die("--halt-poll-ns: this KVM has no per-VM halt polling (KVM_CAP_HALT_POLL)");
    struct kvm_enable_cap cap = { .cap = KVM_CAP_HALT_POLL, .args = { (uint64_t)ns } };
    if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
        tb_die_errno("KVM_ENABLE_CAP(KVM_CAP_HALT_POLL, %lld)", (long long)ns);
}

/*
 * An irqfd needs the in-kernel irqchip, which must exist before the vCPU. Its
 * cost: a guest `hlt` no longer exits to us (KVM_EXIT_HLT) but halts in KVM,
 * so a ring-0 guest's stray hlt waits for a stop signal instead of being
 * reported. Ring 3, where shmstream guests run, cannot hlt at all.
 */
void tb_hlt_sleep_create_vm(struct tb_vm *vm)
{
    if (!vm->cfg->sleep.hlt)
        return;
    struct tb_hlt_sleep *h = tb_xcalloc(1, sizeof *h);
    h->irq_fd = h->doorbell_fd = h->epfd = -1;
    vm->hlt_sleep = h;
    if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
        tb_die_errno("--sleep=hlt: KVM_CREATE_IRQCHIP");
    set_halt_poll(vm, vm->cfg->sleep.halt_poll_ns);
}

/* After reset the LAPIC is software-disabled: an NMI sent to it is dropped without a word. */
static void enable_lapic(struct tb_vm *vm)
{
    struct kvm_lapic_state lapic;
    if (ioctl(vm->vcpu_fd, KVM_GET_LAPIC, &lapic) < 0)
        tb_die_errno("KVM_GET_LAPIC");
    uint32_t svr;
    memcpy(&svr, lapic.regs + APIC_SVR, sizeof svr);
    svr |= APIC_SVR_ENABLE;
    memcpy(lapic.regs + APIC_SVR, &svr, sizeof svr);
    if (ioctl(vm->vcpu_fd, KVM_SET_LAPIC, &lapic) < 0)
        tb_die_errno("KVM_SET_LAPIC");
}

/* One GSI, routed as an MSI with NMI delivery; an eventfd write raises it with no exit to us. */
static void bind_wake_nmi(struct tb_vm *vm, struct tb_hlt_sleep *h)
{
    struct {
        struct kvm_irq_routing head;
        struct kvm_irq_routing_entry entry;
    } routing = {
        .head.nr = 1,
        .entry = { .gsi = WAKE_GSI, .type = KVM_IRQ_ROUTING_MSI,
                   .u.msi = { .address_lo = MSI_ADDR_APIC0, .data = MSI_DATA_NMI } },
    };
    if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &routing) < 0)
        tb_die_errno("KVM_SET_GSI_ROUTING");
    /* Its own eventfd, not the POLL wake's: KVM consumes an irqfd's count, which would starve a POLL wait. */
    h->irq_fd = new_eventfd();
    struct kvm_irqfd irqfd = { .fd = (uint32_t)h->irq_fd, .gsi = WAKE_GSI };
    if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
        tb_die_errno("KVM_IRQFD");
}

static void bind_doorbell(struct tb_vm *vm, struct tb_hlt_sleep *h)
{
    h->doorbell_fd = new_eventfd();
    struct kvm_ioeventfd io = { .addr = TB_SLEEP_DOORBELL, .len = 8, .fd = h->doorbell_fd };
    if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
        tb_die_errno("KVM_IOEVENTFD for the sleep doorbell");
    h->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (h->epfd < 0)
        tb_die_errno("epoll_create1");
    struct epoll_event ev = { .events = EPOLLIN };
    if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->doorbell_fd, &ev) < 0)
        tb_die_errno("epoll_ctl");
}

/* The sleep site the #UD stub knows: `ud2; ret`, called by the guest (x86_64.c maps the page for ring 3). */
static void write_sleep_page(struct tb_vm *vm, struct tb_hlt_sleep *h)
{
    static const uint8_t site[] = { 0x0f, 0x0b, 0xc3 };
    uint8_t *page = tb_low(vm, TB_SLEEP_GPA);
    memset(page, 0, 0x1000);
    memcpy(page, site, sizeof site);
    h->timer = tb_low(vm, TB_SLEEP_TIMER_GPA);
}

/* The guest rang: take its timeout (one load each, clamped). Returns the new deadline, or `due` when not armed. */
static uint64_t take_request(struct tb_hlt_sleep *h, uint64_t due)
{
    uint64_t count;
    if (read(h->doorbell_fd, &count, sizeof count) < 0 && errno != EAGAIN)
        tb_warn("--sleep=hlt: reading the sleep doorbell: %s", strerror(errno));
    if (!__atomic_load_n(&h->timer->armed, __ATOMIC_ACQUIRE))
        return due;
    uint64_t ns = __atomic_load_n(&h->timer->timeout_ns, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->timer_arms, 1, __ATOMIC_RELAXED);
    return now_ns() + (ns < TIMEOUT_MAX_NS ? ns : TIMEOUT_MAX_NS);
}

static void fire(struct tb_hlt_sleep *h)
{
    if (!__atomic_exchange_n(&h->timer->armed, 0, __ATOMIC_ACQ_REL))
        return;
    uint64_t one = 1;
    if (write(h->irq_fd, &one, sizeof one) < 0 && errno != EAGAIN)
        tb_warn("--sleep=hlt: cannot wake the guest: %s", strerror(errno));
    __atomic_fetch_add(&h->timer_wakes, 1, __ATOMIC_RELAXED);
}

/*
 * The guest's deadlines: POLL's timeout did this in the vCPU thread, but a
 * halted vCPU has no thread of ours awake. The guest rings only when no armed
 * deadline would wake it in time, so this thread wakes about once per timeout.
 */
static void *timer_main(void *arg)
{
    struct tb_hlt_sleep *h = arg;
    tb_caps_drop_this_thread();
    __atomic_store_n(&h->started, 1, __ATOMIC_RELEASE);
    uint64_t due = 0; /* 0: nothing armed */
    for (;;) {
        struct timespec left, *timeout = NULL;
        if (due) {
            uint64_t now = now_ns(), ns = due > now ? due - now : 0;
            left = (struct timespec){ .tv_sec = (time_t)(ns / 1000000000ULL), .tv_nsec = (long)(ns % 1000000000ULL) };
            timeout = &left;
        }
        struct epoll_event ev;
        int n = epoll_pwait2(h->epfd, &ev, 1, timeout, NULL);
        if (n < 0 && errno != EINTR)
            tb_warn("--sleep=hlt: epoll_pwait2: %s", strerror(errno));
        if (n > 0)
            due = take_request(h, due);
        if (due && now_ns() >= due) {
            due = 0;
            fire(h);
        }
    }
    return NULL;
}

/* With every signal blocked: the stop signals belong to the vCPU thread (core/signals.c). */
static void start_timer(struct tb_hlt_sleep *h)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(&h->thread, NULL, timer_main, h);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err)
        tb_die("--sleep=hlt: cannot start the timer thread: %s", strerror(err));
    while (!__atomic_load_n(&h->started, __ATOMIC_ACQUIRE))
        usleep(100);
}

void tb_hlt_sleep_attach_vcpu(struct tb_vm *vm)
{
    struct tb_hlt_sleep *h = vm->hlt_sleep;
    if (!h)
        return;
    enable_lapic(vm);
    bind_wake_nmi(vm, h);
    bind_doorbell(vm, h);
    write_sleep_page(vm, h);
    start_timer(h);
}

static void stats(const struct tb_vm *vm, FILE *f)
{
    const struct tb_hlt_sleep *h = vm->hlt_sleep;
    if (!h) {
        fprintf(f, "  \"sleep\": {\"mode\": \"exit\"},\n");
        return;
    }
    char poll[32] = "null"; /* null: the kvm module's halt_poll_ns */
    if (vm->cfg->sleep.halt_poll_ns >= 0)
        snprintf(poll, sizeof poll, "%lld", (long long)vm->cfg->sleep.halt_poll_ns);
    fprintf(f,
            "  \"sleep\": {\"mode\": \"hlt\", \"halt_poll_ns\": %s, \"io_hlt_wakes\": %llu, \"io_poll_wakes\": %llu, "
            "\"timer_arms\": %llu, \"timer_wakes\": %llu},\n",
            poll, (unsigned long long)__atomic_load_n(&h->io_hlt_wakes, __ATOMIC_RELAXED),
            (unsigned long long)__atomic_load_n(&h->io_poll_wakes, __ATOMIC_RELAXED),
            (unsigned long long)__atomic_load_n(&h->timer_arms, __ATOMIC_RELAXED),
            (unsigned long long)__atomic_load_n(&h->timer_wakes, __ATOMIC_RELAXED));
}

const struct tb_module tb_module_hlt_sleep = {
    .name = "sleep",
    .stats = stats,
};
