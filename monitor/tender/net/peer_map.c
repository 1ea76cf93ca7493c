/* peer_map.c: an shm link's memfd mapped over a NIC's two rings in guest memory, its doorbell bound to the peer's wake eventfd. */
#include <errno.h>
#include <stdio.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "args.h"
#include "log.h"
#include "net.h"
#include "peer.h"
#include "shm.h"

static void map_ring(struct shm_peer *p, void *at, uint64_t span, uint64_t offset)
{
    void *got = mmap(at, span, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, p->arg->memfd, (off_t)offset);
    if (got == MAP_FAILED)
        tb_die_errno("net %s: mapping the shm link's rings", p->nic->arg->name);
}

/* Only the geometry line: the indices belong to the guests (one of them may run already). Both sides write the same values. */
static void stamp_geometry(struct tb_ring *r, uint32_t slots)
{
    __atomic_store_n(&r->magic, TB_RING_MAGIC, __ATOMIC_RELAXED);
    __atomic_store_n(&r->slot_count, slots, __ATOMIC_RELAXED);
    __atomic_store_n(&r->slot_size, TB_SHM_SLOT_SIZE, __ATOMIC_RELAXED);
}

/* The memfd the orchestrator made must hold exactly our two rings: a peer started with other --shm-slots is refused. */
static void check_memfd_size(struct shm_state *s, struct shm_peer *p, uint64_t span)
{
    struct stat st;
    if (fstat(p->arg->memfd, &st) < 0)
        tb_die_errno("net %s: fstat on the shm link's memfd", p->nic->arg->name);
    if ((uint64_t)st.st_size != 2 * span)
        tb_die("net %s: the shm link's memfd holds %lld bytes, not the %llu of two %u-slot rings "
               "(both ends must use the same --shm-slots)", p->nic->arg->name, (long long)st.st_size,
               (unsigned long long)(2 * span), s->slots);
}

void tb_peer_map(struct shm_state *s, struct shm_peer *p, uint8_t *rings, uint64_t span)
{
    if (span != TB_PEER_RING_SPAN(s->slots))
        tb_die("internal error: shm link ring span %llu", (unsigned long long)span);
    check_memfd_size(s, p, span);
    /* Side 0 transmits on ring 0: its TX is the peer's RX and the other way round. */
    uint64_t tx_off = p->arg->side == 0 ? 0 : span, rx_off = p->arg->side == 0 ? span : 0;
    map_ring(p, rings, span, rx_off);
    map_ring(p, rings + span, span, tx_off);
    p->rx = (struct tb_ring *)rings;
    p->tx = (struct tb_ring *)(rings + span);
    p->slots = s->slots;
    stamp_geometry(p->rx, s->slots);
    stamp_geometry(p->tx, s->slots);
}

/* A monitor-side view of one link ring. Indices start at 0 (the memfd is new) and are not written: the peer may run
 * already, and each index has one writer (we produce on out, consume from in). */
static void view(struct shm_ring *v, uint8_t *ring, uint32_t slots, uint32_t frame_max, const char *name,
                 const char *which)
{
    memset(v, 0, sizeof *v);
    v->r = (struct tb_ring *)ring;
    v->slots = slots;
    v->mask = slots - 1;
    v->frame_max = frame_max < TB_SHM_FRAME_MAX ? frame_max : TB_SHM_FRAME_MAX;
    snprintf(v->name, sizeof v->name, "%s link %s", name, which);
    stamp_geometry(v->r, slots);
}

void tb_peer_map_link(struct shm_state *s, struct shm_peer *p)
{
    uint64_t span = TB_PEER_RING_SPAN(s->slots);
    check_memfd_size(s, p, span);
    uint8_t *rings = mmap(NULL, 2 * span, PROT_READ | PROT_WRITE, MAP_SHARED, p->arg->memfd, 0);
    if (rings == MAP_FAILED)
        tb_die_errno("net %s: mapping the shm link's rings", p->nic->arg->name);
    /* Side 0 transmits on ring 0, as a direct end does. */
    uint8_t *out = p->arg->side == 0 ? rings : rings + span, *in = p->arg->side == 0 ? rings + span : rings;
    uint32_t frame_max = (uint32_t)tb_nic_max_frame(p->nic);
    view(&p->out, out, s->slots, frame_max, p->nic->arg->name, "out");
    view(&p->in, in, s->slots, frame_max, p->nic->arg->name, "in");
    p->tx = p->out.r;
    p->rx = p->in.r;
    p->slots = s->slots;
    p->buf = tb_peer_buffers_new();
}

/* The guest's store to its doorbell for this NIC signals the peer's wake eventfd inside the kernel: no exit, no copy. */
static void bind_doorbell(struct tb_vm *vm, const struct shm_peer *p)
{
    struct kvm_ioeventfd io = {
        .addr = TB_DOORBELL_MMIO_BASE + 8ULL * p->handle,
        .len = 8,
        .fd = p->arg->doorbell_fd,
    };
    if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
        tb_die_errno("KVM_IOEVENTFD for the %s doorbell (shm link)", p->nic->arg->name);
}

void tb_peer_bind(struct shm_state *s)
{
    for (unsigned i = 0; i < s->npeers; i++)
        if (!s->peers[i].med) /* a mediated NIC's doorbell is its IO thread's, as for a TAP */
            bind_doorbell(s->vm, &s->peers[i]);
}
