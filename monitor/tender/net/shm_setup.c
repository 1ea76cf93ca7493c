/* shm_setup.c: --io=poll|event|hybrid: reserves the ring region in guest RAM, announces it, binds doorbells, runs and parks the IO thread. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "args.h"
#include "log.h"
#include "mem.h"
#include "net.h"
#include "shm.h"

#define PAGE 4096ULL
#define PAGE_UP(x) (((x) + PAGE - 1) & ~(PAGE - 1))
/* Room the guest keeps for its stack at the top of RAM (the runtime uses 512 KiB). */
#define GUEST_STACK_ROOM (1ULL << 20)

/* Hybrid mode's poll-then-sleep windows and the NAPI-like budget; the --shm-* flags override them. */
const struct tb_shm_tunables tb_shm_defaults = {
    .slots = TB_SHM_DEFAULT_SLOTS,
    .guest_spin_us = 50,
    .io_idle_us = 50,
    .budget = 64,
    .offloads = 1,
    .wake_frames = 32,
    .wake_us = 30,
};

/* args.c already refused values outside what the rings and the IO thread accept. */
static void read_tunables(struct shm_state *s, const struct tb_shm_tunables *t)
{
    s->slots = t->slots;
    s->guest_spin_ns = (uint64_t)t->guest_spin_us * 1000;
    s->io_idle_ns = (uint64_t)t->io_idle_us * 1000;
    s->budget = t->budget;
}

static void place_peer(struct shm_state *s, struct tb_nic *nic, uint8_t *rings, uint64_t span)
{
    struct shm_peer *p = &s->peers[s->npeers++];
    p->nic = nic;
    p->handle = nic->handle;
    p->arg = tb_peer_arg(nic->arg->peer);
    tb_peer_map(s, p, rings, span);
}

/* A NIC the IO thread serves: on a TAP, or a mediated shm link (impaired or captured: net/peer_mediate.c). */
static void place_private(struct shm_state *s, struct tb_nic *nic, uint8_t *rings, uint64_t ring)
{
    struct shm_nic *n = &s->nics[s->count++];
    char name[80];
    n->nic = nic;
    n->handle = nic->handle;
    n->doorbell_fd = -1;
    uint32_t frame_max = (uint32_t)tb_nic_max_frame(nic);
    snprintf(name, sizeof name, "%s rx", nic->arg->name);
    shm_ring_init(&n->rx, rings, s->slots, frame_max, 0, name);
    s->hdr->nic[n->handle].rx_off = (uint64_t)(rings - (uint8_t *)s->hdr);
    snprintf(name, sizeof name, "%s tx", nic->arg->name);
    shm_ring_init(&n->tx, rings + ring, s->slots, frame_max, 0, name);
    s->hdr->nic[n->handle].tx_off = (uint64_t)(rings + ring - (uint8_t *)s->hdr);
    if (!nic->arg->peer)
        return;
    struct shm_peer *p = &s->peers[s->npeers++];
    p->nic = nic;
    p->handle = nic->handle;
    p->arg = tb_peer_arg(nic->arg->peer);
    p->med = n;
    n->link = p;
    s->mediated++;
    tb_peer_map_link(s, p);
}

/* The region goes right after the loaded image; the boot info's kernel_end moves past it, so every guest's heap (ours and Solo5's) starts above it. */
static void place_region(struct shm_state *s, struct tb_vm *vm)
{
    uint64_t ring = PAGE_UP(TB_RING_BYTES(s->slots));
    s->gpa = PAGE_UP(vm->kernel_end);
    s->size = TB_SHM_HEADER_SIZE + (uint64_t)vm->net->count * 2 * ring;
    if (s->gpa + s->size + GUEST_STACK_ROOM > vm->mem_size)
        tb_die("--mem=%u is too small for shmstream: the image and %llu KiB of rings need more", vm->cfg->mem_mib,
               (unsigned long long)(s->size >> 10));
    s->hdr = tb_guest_range(vm, s->gpa, s->size);
    if (!s->hdr)
        tb_die("internal error: shmstream region outside guest memory");
    memset(s->hdr, 0, s->size);

    struct tb_shm_header *h = s->hdr;
    h->magic = TB_SHM_MAGIC;
    h->version = TB_SHM_VERSION;
    h->header_size = TB_SHM_HEADER_SIZE;
    h->slot_count = s->slots;
    h->slot_size = TB_SHM_SLOT_SIZE;
    h->mode = s->mode;
    h->region_size = s->size;
    h->spin_ns = s->mode == TB_SHM_MODE_HYBRID ? s->guest_spin_ns : 0;
    h->doorbell_base = TB_DOORBELL_MMIO_BASE;

    uint64_t off = TB_SHM_HEADER_SIZE;
    for (unsigned i = 0; i < vm->net->count; i++) {
        struct tb_nic *nic = &vm->net->nics[i];
        if (nic->arg->peer && !tb_peer_mediated(nic)) { /* a direct shm link: its rings are the shared memfd */
            /* The peer's kick reaches our vCPU through the POLL wake eventfd (bound in the peer's KVM), which a
             * guest halted in KVM does not wait on: it would sleep through every frame the peer sends. */
            if (vm->cfg->sleep.hlt)
                tb_die("net %s: --sleep=hlt does not work on a direct shm link (the peer's kick wakes only a guest "
                       "sleeping in POLL); use --sleep=exit, or impair or capture the link", nic->arg->name);
            place_peer(s, nic, (uint8_t *)h + off, ring);
            h->nic[nic->handle].rx_off = off;
            h->nic[nic->handle].tx_off = off + ring;
        } else {
            place_private(s, nic, (uint8_t *)h + off, ring);
        }
        if (nic->handle + 1 > h->nics)
            h->nics = nic->handle + 1;
        off += 2 * ring;
    }

    struct hvt_boot_info *bi = tb_low(vm, TB_BOOT_INFO_GPA);
    bi->kernel_end = s->gpa + s->size;
    bi->ext.features |= TB_FEATURE_SHMSTREAM;
    bi->ext.shm_gpa = s->gpa;
    bi->ext.shm_size = s->size;
}

static int new_eventfd(void)
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0)
        tb_die_errno("eventfd");
    return fd;
}

static void epoll_add(int epfd, int fd, uint32_t events, uint64_t token)
{
    struct epoll_event ev = { .events = events, .data.u64 = token };
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        tb_die_errno("epoll_ctl");
}

/* One eventfd per NIC bound to an 8-byte store at its doorbell: the kernel signals it with no exit to us. */
static void bind_doorbells(struct shm_state *s, struct tb_vm *vm)
{
    for (unsigned i = 0; i < s->count; i++) {
        struct shm_nic *n = &s->nics[i];
        n->doorbell_fd = new_eventfd();
        struct kvm_ioeventfd io = {
            .addr = TB_DOORBELL_MMIO_BASE + 8ULL * n->handle,
            .len = 8,
            .fd = n->doorbell_fd,
        };
        if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
            tb_die_errno("KVM_IOEVENTFD for the net%u doorbell", n->handle);
        epoll_add(s->epfd, n->doorbell_fd, EPOLLIN, i);
        /* The TAP joins the set disarmed; the IO thread arms it once the guest attaches. */
        epoll_add(s->epfd, n->nic->fd, 0, MFT_MAX_ENTRIES + i);
    }
}

static void setup(struct tb_vm *vm, enum tb_shm_mode mode)
{
    struct shm_state *s = tb_xcalloc(1, sizeof *s);
    s->epfd = s->wake_fd = s->stop_fd = -1;
    s->vm = vm;
    vm->shm = s;
    s->mode = mode;
    read_tunables(s, &vm->cfg->shm);
    place_region(s, vm);
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0)
        tb_die_errno("epoll_create1");
    s->wake_fd = new_eventfd();
    s->stop_fd = new_eventfd();
    epoll_add(s->epfd, s->stop_fd, EPOLLIN, UINT64_MAX);
    bind_doorbells(s, vm);
    tb_peer_bind(s);
    /* Set before the thread exists (pthread_create orders it before the thread's reads), and atomic: a corrupt
     * ring makes the IO thread read it in tb_shm_teardown while the vCPU thread may be reading it too. */
    __atomic_store_n(&s->running, 1, __ATOMIC_RELEASE);
    int err = pthread_create(&s->thread, NULL, tb_shm_io_main, s);
    if (err)
        tb_die("cannot start the shmstream IO thread: %s", strerror(err));
    /* Wait until the thread registered itself for the CPU report (the registry is not thread-safe). */
    while (!__atomic_load_n(&s->started, __ATOMIC_ACQUIRE))
        usleep(100);
    tb_peer_start(s);
}

void tb_shm_setup_poll(struct tb_vm *vm) { setup(vm, TB_SHM_MODE_POLL); }
void tb_shm_setup_event(struct tb_vm *vm) { setup(vm, TB_SHM_MODE_EVENT); }
void tb_shm_setup_hybrid(struct tb_vm *vm) { setup(vm, TB_SHM_MODE_HYBRID); }

/*
 * Called by tb_stop, from the vCPU thread (guest halted, fault, signal) or from
 * the IO thread itself (it found a corrupt ring). Whoever sets `stop` first owns
 * the exit. The IO thread is parked, not joined: it stops touching guest memory
 * but stays alive, so its CPU clock can still be read when the stats are written.
 */
void tb_shm_teardown(struct tb_vm *vm)
{
    struct shm_state *s = vm->shm;
    if (!s || !__atomic_load_n(&s->running, __ATOMIC_ACQUIRE) || pthread_equal(pthread_self(), s->thread))
        return;
    if (__atomic_exchange_n(&s->stop, 1, __ATOMIC_ACQ_REL) != 0)
        for (;;) /* the IO thread is stopping the guest and exits the process */
            pause();
    uint64_t one = 1;
    if (write(s->stop_fd, &one, sizeof one) < 0)
        tb_warn("shmstream: cannot signal the IO thread: %s", strerror(errno));
    while (!__atomic_load_n(&s->parked, __ATOMIC_ACQUIRE))
        usleep(100);
}
