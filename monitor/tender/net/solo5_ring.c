/* solo5_ring.c: the solo5-ring module: --io=solo5-ring, Solo5 0.12's network ring, entries run synchronously when the guest kicks. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "log.h"
#include "mem.h"
#include "module.h"
#include "net.h"
#include "nic_capture.h"
#include "nic_impair.h"
#include "stop.h"

#define PAGE 0x1000ULL
#define STACK_ROOM 0x100000ULL /* what stays free above the ring for the guest's heap and stack */

/*
 * The guest produces entries (ent_tail) and kicks when needs_kick is set; we
 * keep needs_kick at 1 and serve every kick at once on the vCPU thread, so a
 * read's commit is there before the guest looks for it and nothing here runs
 * concurrently with the guest. Our own copies of the host indices are the
 * truth: what the guest may have scribbled into ent_head or com_tail is
 * overwritten, never read back.
 */
struct tb_solo5_ring {
    struct hvt_ring *ring;  /* host address */
    uint64_t gpa;
    uint32_t head;          /* entries consumed */
    uint32_t com_tail;      /* commits produced */
    uint64_t kicks, writes, reads, read_empty;
};

/* The attach hook; vm->solo5_ring stays NULL when the ring is not offered. */
static void setup(struct tb_vm *vm, const struct tb_manifest *mft)
{
    (void)mft;
    /*
     * Only when asked (--io=solo5-ring): on nested PVM a Solo5 guest's ring
     * path runs twice the emulated ring-0 instructions per packet of its
     * hypercall path (about 1200 against 650), so offering it by default, as
     * solo5-hvt 0.12 does, would slow every Solo5 guest down here.
     */
    if (strcmp(vm->cfg->io_mode, "solo5-ring") || vm->net->count == 0)
        return;
    uint64_t gpa = (vm->kernel_end + PAGE - 1) & ~(PAGE - 1);
    uint64_t size = (sizeof(struct hvt_ring) + PAGE - 1) & ~(PAGE - 1);
    if (gpa + size + STACK_ROOM > vm->mem_size)
        return; /* no room: the guest falls back to hypercalls, which need none */
    struct tb_solo5_ring *r = tb_xcalloc(1, sizeof *r);
    r->ring = tb_guest_range(vm, gpa, size);
    memset(r->ring, 0, size);
    r->ring->needs_kick = 1;
    r->gpa = gpa;
    vm->solo5_ring = r;
    vm->solo5_ring_gpa = gpa;
    vm->kernel_end = gpa + size; /* the guest's heap starts above the ring */
}

static void publish(struct tb_solo5_ring *r)
{
    __atomic_store_n(&r->ring->ent_head, r->head, __ATOMIC_RELEASE);
    __atomic_store_n(&r->ring->com_tail, r->com_tail, __ATOMIC_RELEASE);
    r->ring->needs_kick = 1; /* always: every submission must reach us */
}

static void run_write(struct tb_vm *vm, struct tb_solo5_ring *r, const struct hvt_ring_entry *e)
{
    struct tb_nic *nic = tb_nic_for_handle(vm, e->handle);
    if (!nic || e->len > tb_nic_max_frame(nic))
        return; /* Solo5's writes are fire-and-forget: no commit to say so */
    const void *data = tb_guest_range_any(vm, e->data, e->len);
    if (!data)
        tb_guest_fault(vm, "Solo5 ring: write entry's buffer 0x%llx, length 0x%x is outside guest memory",
                       (unsigned long long)e->data, e->len);
    ssize_t n = __builtin_expect(nic->impair != 0, 0) ? tb_nic_impair_write(nic, data, e->len)
                                                      : write(nic->fd, data, e->len);
    if (n == (ssize_t)e->len) {
        nic->st.tx_packets++;
        nic->st.tx_bytes += e->len;
        tb_nic_capture(nic->capture, data, e->len, TB_PCAPNG_OUT);
    } else {
        nic->st.tx_drops++;
    }
    r->writes++;
}

static void run_read(struct tb_vm *vm, struct tb_solo5_ring *r, const struct hvt_ring_entry *e)
{
    struct hvt_ring_commit c = { .id = e->id, .ret = SOLO5_R_EINVAL };
    struct tb_nic *nic = tb_nic_for_handle(vm, e->handle);
    if (nic) {
        void *data = tb_guest_range(vm, e->data, e->len);
        if (!data || tb_guest_read_only(vm, e->data, e->len))
            tb_guest_fault(vm, "Solo5 ring: read entry's buffer 0x%llx, length 0x%x is not writable guest memory",
                           (unsigned long long)e->data, e->len);
        ssize_t n = __builtin_expect(nic->impair != 0, 0) ? tb_nic_impair_read(nic, data, e->len)
                                                          : read(nic->fd, data, e->len);
        if (n < 0) {
            c.ret = errno == EAGAIN || errno == EINTR ? SOLO5_R_AGAIN : SOLO5_R_EUNSPEC;
            r->read_empty += c.ret == SOLO5_R_AGAIN;
        } else if ((uint64_t)n > e->len) {
            nic->st.rx_drops++;
        } else {
            nic->st.rx_packets++;
            nic->st.rx_bytes += (uint64_t)n;
            tb_nic_capture(nic->capture, data, (uint64_t)n, TB_PCAPNG_IN);
            c.ret = SOLO5_R_OK;
            c.len = (uint32_t)n;
        }
    }
    r->ring->commits[r->com_tail & (HVT_RING_SIZE - 1)] = c;
    r->com_tail++;
    r->reads++;
}

/* The guest kicked (`outl` to HVT_RING_KICK_PIO_BASE): runs every pending entry, posts the reads' commits. */
static void kick(struct tb_vm *vm, uint32_t value)
{
    struct tb_solo5_ring *r = vm->solo5_ring;
    (void)value; /* the ring id: there is one ring */
    if (!r)
        tb_guest_fault(vm, "kick of a Solo5 ring this monitor did not offer");
    r->kicks++;
    uint32_t tail = __atomic_load_n(&r->ring->ent_tail, __ATOMIC_ACQUIRE);
    if (tail - r->head > HVT_RING_SIZE)
        tb_guest_fault(vm, "Solo5 ring: %u entries pending, more than the ring's %d", tail - r->head, HVT_RING_SIZE);
    for (; r->head != tail; r->head++) {
        struct hvt_ring_entry e; /* one copy: the guest cannot change it between our check and our use */
        memcpy(&e, &r->ring->entries[r->head & (HVT_RING_SIZE - 1)], sizeof e);
        if (e.operation == HVT_RING_NET_WRITE)
            run_write(vm, r, &e);
        else if (e.operation == HVT_RING_NET_READ)
            run_read(vm, r, &e);
        else
            tb_guest_fault(vm, "Solo5 ring: entry %u has unknown operation %u", r->head, e.operation);
    }
    publish(r);
}

/* `"solo5_ring": {...},` when the ring was offered. */
static void stats(const struct tb_vm *vm, FILE *f)
{
    const struct tb_solo5_ring *r = vm->solo5_ring;
    if (!r)
        return;
    fprintf(f, "  \"solo5_ring\": {\"gpa\": %llu, \"kicks\": %llu, \"writes\": %llu, \"reads\": %llu, "
               "\"reads_empty\": %llu},\n",
            (unsigned long long)r->gpa, (unsigned long long)r->kicks, (unsigned long long)r->writes,
            (unsigned long long)r->reads, (unsigned long long)r->read_empty);
}

static const struct tb_port_def ports[] = {
    { HVT_RING_KICK_PIO_BASE, kick },
};

const struct tb_module tb_module_solo5_ring = {
    .name = "solo5-ring",
    .attach = setup,
    .stats = stats,
    .ports = ports,
    .port_count = TB_COUNT(ports),
};
