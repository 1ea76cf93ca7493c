/* fuzz_guest.c: libFuzzer target: a hostile guest's moves against the monitor's guest-address checks (core/mem.c,
 * abi/hypercall.c), its core hypercalls and console limits (abi/hc_core.c, abi/console.c) and its validating side
 * of shmstream rings (net/shm_ring.c); every range they accept is touched. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "console.h"
#include "exitcodes.h"
#include "fuzz_exit.h"
#include "hypercall.h"
#include "mem.h"
#include "module.h"
#include "shm_ring.h"
#include "signals.h"
#include "stop.h"

#define PAGE 0x1000ULL
#define MAX_EXTRA_PAGES 64
#define MAX_MEM (HVT_GUEST_MIN_BASE + MAX_EXTRA_PAGES * PAGE)
#define MAX_SLOTS 16
#define MAX_OPS 512

/* ---- the input, read as a stream of small numbers (zeros once it runs out) ---- */

static const uint8_t *in;
static size_t in_left;

static uint64_t take(unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes && in_left; i++, in++, in_left--)
        v |= (uint64_t)*in << (8 * i);
    return v;
}

/* ---- guest memory and the refusal path ---- */

static uint8_t *ram_block; /* MAX_MEM bytes; the guest's RAM is its tail, so one byte past RAM is past the block */
static struct tb_vm vm;
static struct tb_config cfg;
static uint64_t console_asked; /* bytes of accepted PUTS calls: the console must write or count every one */

/* stop.c's ways out write stats and exit; here a refused hypercall (or HALT) ends one check, and the next one runs. */
void tb_guest_fault(struct tb_vm *v, const char *fmt, ...)
{
    (void)v;
    (void)fmt;
    fuzz_refuse(TB_EXIT_FAULT);
}

void tb_stop(struct tb_vm *v, int code, const char *reason)
{
    (void)v;
    (void)reason;
    fuzz_refuse(code);
}

/* core/signals.c's writer waits for room with the stop signals open; the console's output goes nowhere here. */
int tb_signals_write_all(struct tb_vm *v, int fd, const void *buf, size_t len, int is_file)
{
    (void)v;
    (void)fd;
    (void)is_file;
    volatile const char *bytes = buf;
    if (len)
        (void)(bytes[0] ^ bytes[len - 1]); /* what is emitted must be readable: guest RAM or a marker */
    return 0;
}

static void noop_hypercall(struct tb_vm *v, uint64_t gpa)
{
    (void)v;
    (void)gpa;
}

static void set_up_vm(void)
{
    uint64_t size = HVT_GUEST_MIN_BASE + (take(1) % MAX_EXTRA_PAGES + 1) * PAGE;
    memset(&vm, 0, sizeof vm);
    vm.mem = ram_block + (MAX_MEM - size);
    vm.mem_size = size;
    memset(vm.mem, 0, size); /* nothing carried over from the last input: a crash replays on its own */
    /* Read-only ranges as the loader leaves them: page-aligned, sorted, apart, above 1 MiB. */
    uint64_t at = HVT_GUEST_MIN_BASE;
    for (unsigned n = take(1) % 5; n && at < size; n--) {
        uint64_t start = at + (take(1) % 8) * PAGE, end = start + (take(1) % 8 + 1) * PAGE;
        if (end > size)
            break;
        vm.ro[vm.ro_count++] = (struct tb_range){ start, end };
        at = end + PAGE;
    }
    for (unsigned n = 0; n < HVT_HYPERCALL_MAX; n++)
        if (take(1) & 1) {
            vm.hypercalls[n].name = "fuzz";
            vm.hypercalls[n].fn = noop_hypercall;
        }
    /* The core module's own WALLTIME, PUTS and HALT, and its console with limits from the input (0: none). */
    for (unsigned i = 0; i < tb_module_core.hypercall_count; i++) {
        const struct tb_hypercall_def *def = &tb_module_core.hypercalls[i];
        vm.hypercalls[def->nr].name = def->name;
        vm.hypercalls[def->nr].fn = def->fn;
    }
    cfg.console.max_bytes = take(1) & 1 ? take(3) : 0;
    cfg.console.rate_bytes = take(1) & 1 ? take(3) : 0;
    vm.cfg = &cfg;
    tb_console_open(&vm);
    console_asked = 0;
}

/* A guest-physical address near the edges that matter: RAM's end, 1 MiB, a read-only range, or anywhere. */
static uint64_t pick_gpa(void)
{
    uint64_t small = take(2);
    const struct tb_range *ro = vm.ro_count ? &vm.ro[take(1) % vm.ro_count] : NULL;
    switch (take(1) % 7) {
    case 0: return take(8);
    case 1: return vm.mem_size - small;
    case 2: return HVT_GUEST_MIN_BASE - 0x8000 + small;
    case 3: return ro ? ro->start - 0x8000 + small : small;
    case 4: return ro ? ro->end - 0x8000 + small : small;
    case 5: return UINT64_MAX - small;
    default: return take(3) % vm.mem_size;
    }
}

static uint64_t pick_len(uint64_t gpa)
{
    uint64_t small = take(2);
    switch (take(1) % 5) {
    case 0: return take(8);
    case 1: return vm.mem_size - gpa + small - 0x8000; /* around the end of RAM */
    case 2: return UINT64_MAX - small;
    case 3: return small & 0xff;
    default: return small;
    }
}

/* ---- an independent statement of what may be accepted ---- */

static int in_ram(uint64_t gpa, uint64_t len)
{
    unsigned __int128 end = (unsigned __int128)gpa + len;
    return end <= vm.mem_size;
}

static int touches_read_only(uint64_t gpa, uint64_t len)
{
    unsigned __int128 end = (unsigned __int128)gpa + len;
    for (unsigned i = 0; i < vm.ro_count; i++)
        if (gpa < vm.ro[i].end && vm.ro[i].start < end)
            return 1;
    return 0;
}

/* The monitor's pointer must be exactly RAM + gpa; touching its first and last byte lets ASan see the block's end. */
static void use_range(uint8_t *p, uint64_t gpa, uint64_t len, int write)
{
    FUZZ_CHECK(p == vm.mem + gpa, "host pointer is not RAM + gpa");
    FUZZ_CHECK(in_ram(gpa, len), "accepted range reaches past guest RAM");
    if (!len)
        return;
    if (write) {
        p[0] = 0xa5;
        p[len - 1] = 0x5a;
    } else {
        volatile uint8_t sink = p[0] ^ p[len - 1];
        (void)sink;
    }
}

enum check_kind { CHECK_ARG, CHECK_READ, CHECK_WRITE };

static void check_guest_range(enum check_kind kind)
{
    uint64_t gpa = pick_gpa();
    uint64_t len = kind == CHECK_ARG ? take(1) % 64 + 1 : pick_len(gpa);
    uint64_t n = take(1) % HVT_HYPERCALL_MAX;
    static uint8_t *volatile p;
    p = NULL;
    fuzz_catching = 1;
    if (setjmp(fuzz_refused) == 0) {
        p = kind == CHECK_ARG ? tb_hc_arg(&vm, gpa, len, n)
                              : tb_hc_buffer(&vm, gpa, len, n, kind == CHECK_WRITE ? TB_WRITE : TB_READ);
        fuzz_catching = 0;
    }
    fuzz_catching = 0;
    int above_low = gpa >= HVT_GUEST_MIN_BASE;
    int allowed = in_ram(gpa, len) && (kind == CHECK_READ || above_low)
                  && !(kind == CHECK_WRITE && touches_read_only(gpa, len)) && !(kind == CHECK_ARG && gpa % 8);
    if (p) {
        FUZZ_CHECK(allowed || (kind == CHECK_WRITE && len == 0 && in_ram(gpa, len) && above_low),
                   "a range that breaks the rules was accepted");
        use_range(p, gpa, len, kind != CHECK_READ);
    } else {
        FUZZ_CHECK(!allowed || len == 0, "a valid range was refused");
    }
}

static void check_dispatch(void)
{
    uint64_t n = take(1) & 1 ? take(8) : take(1);
    if (n < HVT_HYPERCALL_MAX && vm.hypercalls[n].name && vm.hypercalls[n].fn != noop_hypercall)
        return; /* a core hypercall: core_hypercall() makes those, with the argument it accounts for */
    volatile int ran = 0;
    fuzz_catching = 1;
    if (setjmp(fuzz_refused) == 0) {
        tb_hypercall_dispatch(&vm, n, pick_gpa());
        ran = 1;
    }
    fuzz_catching = 0;
    FUZZ_CHECK(!ran || (n < HVT_HYPERCALL_MAX && vm.hypercalls[n].name), "an unknown hypercall was dispatched");
    FUZZ_CHECK(ran || n >= HVT_HYPERCALL_MAX || !vm.hypercalls[n].name, "a registered hypercall was refused");
}

/* The guest makes a real core hypercall; for PUTS it first writes the argument struct where it points. */
static void core_hypercall(void)
{
    static const unsigned calls[] = { HVT_HYPERCALL_PUTS, HVT_HYPERCALL_WALLTIME, HVT_HYPERCALL_HALT };
    static const uint64_t sizes[] = { sizeof(struct hvt_hc_puts), sizeof(struct hvt_hc_walltime),
                                      sizeof(struct hvt_hc_halt) };
    unsigned which = take(1) % 3, n = calls[which];
    uint64_t arg = pick_gpa();
    uint64_t data = pick_gpa(), len = pick_len(data);
    int arg_ok = arg >= HVT_GUEST_MIN_BASE && arg % 8 == 0 && in_ram(arg, sizes[which]);
    if (arg_ok && n == HVT_HYPERCALL_PUTS)
        memcpy(vm.mem + arg, &(struct hvt_hc_puts){ data, len }, sizeof(struct hvt_hc_puts));
    volatile int done = 0;
    fuzz_catching = 1;
    if (setjmp(fuzz_refused) == 0) {
        tb_hypercall_dispatch(&vm, n, arg);
        done = 1;
    }
    fuzz_catching = 0;
    FUZZ_CHECK(!done || arg_ok, "a core hypercall ran with its argument outside the rules");
    FUZZ_CHECK(done || !arg_ok || n == HVT_HYPERCALL_HALT || (n == HVT_HYPERCALL_PUTS && !in_ram(data, len)),
               "a core hypercall with a valid argument was refused");
    if (done && n == HVT_HYPERCALL_PUTS)
        console_asked += len;
}

/* The console's own account (its --stats member): every byte written or counted as dropped, none past the cap. */
static void check_console(void)
{
    char text[512] = { 0 };
    FILE *f = fmemopen(text, sizeof text - 1, "w");
    if (!f)
        abort();
    tb_module_core.stats(&vm, f);
    fclose(f);
    unsigned long long written = 0, dropped = 0;
    const char *b = strstr(text, "\"bytes\": "), *d = strstr(text, "\"dropped_bytes\": ");
    FUZZ_CHECK(b && d && sscanf(b, "\"bytes\": %llu", &written) == 1
               && sscanf(d, "\"dropped_bytes\": %llu", &dropped) == 1, "console stats unreadable");
    FUZZ_CHECK(written + dropped == console_asked, "console bytes neither written nor counted as dropped");
    FUZZ_CHECK(!cfg.console.max_bytes || written <= cfg.console.max_bytes, "console wrote past its cap");
}

/* ---- rings: the guest writes what it likes into its side, the monitor validates ---- */

struct fuzz_ring {
    struct tb_ring *mem; /* exactly TB_RING_BYTES(slots): one byte past the last slot is past the allocation */
    struct shm_ring mon;
    int dead;            /* the monitor found it corrupted: it stops the guest, so nothing touches it again */
};

static struct fuzz_ring rx, tx; /* rx: the monitor produces; tx: the guest produces */

static void ring_open(struct fuzz_ring *f, const char *name)
{
    uint32_t slots = 2u << (take(1) % 4); /* 2..16 */
    uint32_t start = take(1) & 1 ? (uint32_t)take(4) : UINT32_MAX - (uint32_t)take(1);
    uint32_t frame_max = (uint32_t)take(2);
    f->mem = malloc(TB_RING_BYTES(slots));
    if (!f->mem)
        abort();
    shm_ring_init(&f->mon, f->mem, slots, frame_max ? frame_max : TB_SHM_FRAME_MAX, start, name);
    f->dead = 0;
}

static void ring_close(struct fuzz_ring *f)
{
    free(f->mem);
    f->mem = NULL;
}

static int ring_result(struct fuzz_ring *f, int rc)
{
    if (rc < 0) {
        FUZZ_CHECK(f->mon.err[0] != 0, "corruption reported without a reason");
        f->dead = 1;
    }
    return rc;
}

/* An index the guest may store: a sane one, one just outside the window, or anything. */
static uint32_t pick_index(const struct shm_ring *s)
{
    uint32_t small = (uint32_t)take(1);
    switch (take(1) % 5) {
    case 0: return (uint32_t)take(4);
    case 1: return s->peer + small % (s->slots + 2);
    case 2: return s->published + s->slots + 1 - small % 3;
    case 3: return s->peer - 1 - small % 3;
    default: return s->published;
    }
}

static void guest_move(void)
{
    struct tb_slot *slot;
    switch (take(1) % 6) {
    case 0: /* TX: the guest publishes frames (or lies about how many) */
        __atomic_store_n(&tx.mem->prod, pick_index(&tx.mon), __ATOMIC_RELEASE);
        break;
    case 1: /* TX: a frame length, sane or not */
        slot = &tx.mem->slot[take(1) & tx.mon.mask];
        __atomic_store_n(&slot->len, take(1) & 1 ? (uint32_t)take(4) : (uint32_t)take(2) % (TB_SHM_FRAME_MAX + 2),
                         __ATOMIC_RELAXED);
        break;
    case 2: /* RX: the guest consumes frames (or lies) */
        __atomic_store_n(&rx.mem->cons, pick_index(&rx.mon), __ATOMIC_RELEASE);
        break;
    case 3: /* wait flags: 0, 1 or garbage */
        __atomic_store_n(take(1) & 1 ? &tx.mem->prod_wait : &rx.mem->cons_wait, (uint32_t)take(1) % 3 == 2 ?
                         (uint32_t)take(4) : (uint32_t)take(1) % 2, __ATOMIC_RELAXED);
        break;
    case 4: /* geometry the monitor must never re-read */
        tx.mem->slot_count = (uint32_t)take(4);
        rx.mem->slot_count = (uint32_t)take(4);
        break;
    default: /* the guest's other flags, which the monitor owns */
        __atomic_store_n(take(1) & 1 ? &tx.mem->cons_wait : &rx.mem->prod_wait, (uint32_t)take(4), __ATOMIC_RELAXED);
        break;
    }
}

static void monitor_consumes(void)
{
    struct shm_ring *s = &tx.mon;
    uint32_t avail;
    if (tx.dead || ring_result(&tx, shm_ring_avail(s, &avail)) < 0)
        return;
    FUZZ_CHECK(avail <= s->slots, "TX: more frames available than slots");
    for (uint32_t budget = take(1) % (MAX_SLOTS + 1); avail && budget; avail--, budget--) {
        const uint8_t *data;
        uint32_t len;
        if (ring_result(&tx, shm_ring_cons_frame(s, &data, &len)) < 0)
            return;
        FUZZ_CHECK(len >= 1 && len <= s->frame_max && len <= TB_SHM_FRAME_MAX, "TX: frame length not validated");
        FUZZ_CHECK(data >= (const uint8_t *)tx.mem->slot
                   && data + len <= (const uint8_t *)tx.mem + TB_RING_BYTES(s->slots), "TX: frame outside the ring");
        volatile uint8_t sink = data[0] ^ data[len - 1];
        (void)sink;
        shm_ring_cons_next(s);
    }
    int notify, awake;
    if (ring_result(&tx, shm_ring_cons_publish(s, &notify)) < 0)
        return;
    if (take(1) & 1) {
        if (ring_result(&tx, shm_ring_cons_prepare_sleep(s, &awake)) < 0)
            return;
        shm_ring_cons_end_sleep(s);
    }
    FUZZ_CHECK(s->peer - s->own <= s->slots, "TX: the guest's index ran more than a ring ahead");
}

static void monitor_produces(void)
{
    struct shm_ring *s = &rx.mon;
    uint32_t space, pending;
    if (rx.dead || ring_result(&rx, shm_ring_space(s, &space)) < 0)
        return;
    FUZZ_CHECK(space <= s->slots, "RX: more space than slots");
    for (uint32_t budget = take(1) % (MAX_SLOTS + 1); space && budget; space--, budget--) {
        uint8_t *buf = shm_ring_prod_buf(s);
        FUZZ_CHECK(buf >= (uint8_t *)rx.mem->slot
                   && buf + TB_SHM_FRAME_MAX <= (uint8_t *)rx.mem + TB_RING_BYTES(s->slots), "RX: slot outside the ring");
        buf[0] = 1;
        buf[TB_SHM_FRAME_MAX - 1] = 2;
        shm_ring_prod_fill(s, (uint32_t)take(2) % TB_SHM_FRAME_MAX + 1);
    }
    int notify, awake;
    if (ring_result(&rx, shm_ring_prod_publish(s, &notify)) < 0)
        return;
    if (ring_result(&rx, shm_ring_pending(s, &pending)) < 0)
        return;
    FUZZ_CHECK(pending <= s->slots, "RX: more frames pending than slots");
    if (take(1) & 1) {
        if (ring_result(&rx, shm_ring_prod_prepare_sleep(s, &awake)) < 0)
            return;
        shm_ring_prod_end_sleep(s);
    }
    FUZZ_CHECK(s->own - s->peer <= s->slots, "RX: we produced past the guest's consumer");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_stdio();
    ram_block = malloc(MAX_MEM);
    if (!ram_block)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in = data;
    in_left = size;
    set_up_vm();
    ring_open(&rx, "fuzz rx");
    ring_open(&tx, "fuzz tx");
    for (unsigned ops = 0; in_left && ops < MAX_OPS; ops++) {
        switch (take(1) % 9) {
        case 8: core_hypercall(); break;
        case 0: check_guest_range(CHECK_ARG); break;
        case 1: check_guest_range(CHECK_READ); break;
        case 2: check_guest_range(CHECK_WRITE); break;
        case 3: check_dispatch(); break;
        case 4: case 5: guest_move(); break;
        case 6: monitor_consumes(); break;
        default: monitor_produces(); break;
        }
    }
    check_console();
    free(vm.console);
    ring_close(&rx);
    ring_close(&tx);
    return 0;
}
