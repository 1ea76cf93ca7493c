/* tb_abi.h: the guest <-> monitor ABI: Solo5 hvt ABI v2 facts plus testbed's ring-3 and shmstream extensions. */
#ifndef TB_ABI_H
#define TB_ABI_H

/* Assembly includes this file for its constants only: C types are hidden from it, and U64() drops the suffix. */
#ifdef __ASSEMBLER__
#define TB_U64(x) x
#else
#include <stdint.h>
#define TB_U64(x) x##ULL
#endif

/*
 * Shared by the monitor (tender/) and the guest runtime (guest/runtime/).
 * Guest pointers are plain uint64_t guest-physical addresses on both sides:
 * the monitor never dereferences them without a bounds check (see tender/core/mem.c).
 */

/* ---- Solo5 hvt ABI, version 2 (facts from Solo5's include/hvt_abi.h) ---- */

#define HVT_ABI_VERSION       2
#define HVT_ABI_TARGET_HVT    1
#define HVT_GUEST_MIN_BASE    0x100000ULL
#define HVT_HYPERCALL_PIO_BASE 0x500
#define HVT_CMDLINE_SIZE      8192
#define HVT_HALT_COOKIE_MAX   512

#ifndef __ASSEMBLER__
enum hvt_hypercall {
    HVT_HYPERCALL_WALLTIME = 1,
    HVT_HYPERCALL_PUTS,
    HVT_HYPERCALL_POLL,
    HVT_HYPERCALL_BLOCK_WRITE,
    HVT_HYPERCALL_BLOCK_READ,
    HVT_HYPERCALL_NET_WRITE,
    HVT_HYPERCALL_NET_READ,
    HVT_HYPERCALL_HALT,
    HVT_HYPERCALL_MAX
};
#endif

#ifndef __ASSEMBLER__
/* Passed in %rdi to the guest entry point; lives at TB_BOOT_INFO_GPA. */
struct hvt_boot_info {
    uint64_t mem_size;       /* bytes of guest RAM */
    uint64_t kernel_end;     /* first byte after the highest loaded segment */
    uint64_t cpu_cycle_freq; /* TSC frequency, Hz */
    uint64_t cmdline;        /* gpa of a NUL-terminated string */
    uint64_t mft;            /* gpa of the monitor's copy of the manifest */
    /* Solo5 0.12's ring negotiation: RING_IO and the ring's gpa with --io=solo5-ring (solo5_ring.c), else zero. */
    uint32_t host_features;  /* HVT_FEATURE_* offered */
    uint32_t guest_features; /* written by nobody here */
    uint64_t net_ring;       /* gpa of Solo5's network ring, 0: none */
    /* testbed extension: Solo5 guests never read past net_ring. */
    struct tb_boot_ext {
        uint64_t magic;          /* TB_BOOT_EXT_MAGIC when the fields below are valid */
        uint64_t features;       /* TB_FEATURE_* offered by this monitor */
        uint64_t hypercall_mmio; /* base of the ring-3 hypercall window */
        uint64_t user_cs;        /* selectors (RPL 3) for the drop to ring 3 */
        uint64_t user_ss;
        uint64_t shm_gpa;        /* shmstream region (tb_ring.h); 0 when absent */
        uint64_t shm_size;
        uint64_t reserved[9];
    } ext;
};

_Static_assert(__builtin_offsetof(struct hvt_boot_info, net_ring) == 48, "Solo5 0.12 boot info layout");
_Static_assert(__builtin_offsetof(struct hvt_boot_info, ext) == 56, "start.S's BI_EXT_* offsets");

struct hvt_hc_walltime  { uint64_t nsecs; };
struct hvt_hc_puts      { uint64_t data; uint64_t len; };
struct hvt_hc_net_write { uint64_t handle; uint64_t data; uint64_t len; int32_t ret; };
struct hvt_hc_net_read  { uint64_t handle; uint64_t data; uint64_t len; int32_t ret; };
struct hvt_hc_poll      { uint64_t timeout_nsecs; uint64_t ready_set; int32_t ret; };
struct hvt_hc_halt      { uint64_t cookie; int32_t exit_status; };
struct hvt_hc_block_write { uint64_t handle; uint64_t offset; uint64_t data; uint64_t len; int32_t ret; };
struct hvt_hc_block_read  { uint64_t handle; uint64_t offset; uint64_t data; uint64_t len; int32_t ret; };
#endif /* !__ASSEMBLER__ */

/* ---- Solo5 0.12's shared network ring (facts from Solo5's include/hvt_ring.h) ---- */

#define HVT_FEATURE_RING_IO     (1u << 0)   /* boot info host_features: net_ring is valid */
#define HVT_RING_KICK_PIO_BASE  0x600       /* the guest's kick: `outl ring_id` here */
#define HVT_RING_SIZE           1024
#define HVT_RING_BUF_SIZE       2048        /* the guest uses hypercalls for larger frames */
#define HVT_RING_NET_WRITE      1
#define HVT_RING_NET_READ       2

#ifndef __ASSEMBLER__
struct hvt_ring_entry {
    uint32_t operation;
    uint32_t handle;
    uint64_t data;
    uint32_t len;
    uint32_t id;
    uint64_t reserved;
};

struct hvt_ring_commit {
    uint32_t id;
    int32_t ret;
    uint32_t len;
    uint32_t reserved;
};

struct hvt_ring {
    uint32_t ent_tail;      /* guest: entries produced */
    uint32_t com_head;      /* guest: commits consumed */
    uint8_t pad0[56];
    uint32_t ent_head;      /* host: entries consumed */
    uint32_t com_tail;      /* host: commits produced */
    uint32_t needs_kick;    /* host: 1 when the guest must kick after submitting */
    uint8_t pad1[52];
    struct hvt_ring_entry entries[HVT_RING_SIZE];
    struct hvt_ring_commit commits[HVT_RING_SIZE];
};

_Static_assert(__builtin_offsetof(struct hvt_ring, ent_head) == 64, "Solo5 ring layout");
_Static_assert(__builtin_offsetof(struct hvt_ring, entries) == 128, "Solo5 ring layout");
_Static_assert(sizeof(struct hvt_ring_entry) == 32 && sizeof(struct hvt_ring_commit) == 16, "Solo5 ring layout");
#endif /* !__ASSEMBLER__ */

/* Solo5 result codes (solo5_result_t). */
#define SOLO5_R_OK       0
#define SOLO5_R_AGAIN    1
#define SOLO5_R_EINVAL   2
#define SOLO5_R_EUNSPEC  3

/* ---- ELF notes (facts from Solo5's elf_abi.h / mft_abi.h) ---- */

#define SOLO5_NOTE_NAME      "Solo5"
#define SOLO5_ABI_NOTE_TYPE  0x31494241u /* "ABI1" */
#define SOLO5_MFT_NOTE_TYPE  0x3154464du /* "MFT1" */

#ifndef __ASSEMBLER__
struct solo5_abi_desc { uint32_t abi_target; uint32_t abi_version; };
#endif

#define MFT_VERSION      1
#define MFT_NAME_SIZE    68
#define MFT_MAX_ENTRIES  64
#define MFT_DEV_BLOCK_BASIC 1
#define MFT_DEV_NET_BASIC   2
#define MFT_RESERVED_FIRST  (1u << 30) /* types from here on are not devices: elftool puts one first */

#ifndef __ASSEMBLER__
/* Binary layout of one manifest entry: 104 bytes, as Solo5 lays it out on x86_64. */
struct mft_entry {
    char name[MFT_NAME_SIZE];
    uint32_t type;
    union {
        struct { uint64_t capacity; uint16_t block_size; } block_basic;
        struct { uint8_t mac[6]; uint16_t mtu; } net_basic;
    } u;
    union { int32_t hostfd; uint64_t data; } b;
    uint8_t attached;
};

struct mft {
    uint32_t version;
    uint32_t entries;
    struct mft_entry e[];
};

_Static_assert(sizeof(struct mft_entry) == 104, "mft_entry layout");
#endif /* !__ASSEMBLER__ */

/* ---- testbed extensions ---- */

#define TB_BOOT_EXT_MAGIC        TB_U64(0x3130305458454254) /* "TBEXT001" */
#define TB_FEATURE_RING3         (TB_U64(1) << 0) /* GDT user segments, TSS, IDT, U-bit pages, MMIO hypercalls */
#define TB_FEATURE_SHMSTREAM     (TB_U64(1) << 1) /* shmstream: shared-memory rings (tb_ring.h) */

/* Ring-3 hypercall: a store of the argument's gpa to TB_HYPERCALL_MMIO_BASE + (n << 3). */
#define TB_HYPERCALL_MMIO_BASE   0x100000000ULL
#define TB_HYPERCALL_ADDR(n)     (TB_HYPERCALL_MMIO_BASE + ((uint64_t)(n) << 3))
/* Doorbells (KVM_IOEVENTFD-bound stores) start here, one 8-byte slot per NIC (shmstream). */
#define TB_DOORBELL_MMIO_BASE    (TB_HYPERCALL_MMIO_BASE + 0x1000)

/* Port used by the monitor's ring-0 fault stubs: the value is the gpa of a struct tb_fault_frame. */
#define TB_FAULT_PIO_PORT        0x5ff

#ifndef __ASSEMBLER__
/* What the ring-0 stub leaves on its stack: vector and error code, then the CPU's frame. */
struct tb_fault_frame {
    uint64_t vector;
    uint64_t error_code; /* 0 for vectors without one */
    uint64_t rip;
    uint64_t cs;
    uint64_t rflags;
    uint64_t rsp;
    uint64_t ss;
};
#endif /* !__ASSEMBLER__ */

/*
 * Low-memory layout the monitor builds (all below the 1 MiB guest minimum).
 * Only the boot info, manifest and cmdline pages are user-readable; page 0 is
 * not mapped, so a NULL dereference faults.
 */
#define TB_GDT_GPA        0x1000ULL
#define TB_PML4_GPA       0x2000ULL
#define TB_PDPT_GPA       0x3000ULL
#define TB_PD_GPA         0x4000ULL  /* 4 pages: RAM up to 4 GiB in 2 MiB pages */
#define TB_PT_LOW_GPA     0x8000ULL  /* 4 KiB pages for the first 2 MiB */
#define TB_IDT_GPA        0x9000ULL
#define TB_TSS_GPA        0xA000ULL
#define TB_STUBS_GPA      0xA800ULL
#define TB_FAULT_STACK_TOP 0xE000ULL /* RSP0 / IST for the fault stubs */
#define TB_PD_MMIO_GPA    0xE000ULL  /* the 2 MiB window at TB_HYPERCALL_MMIO_BASE */
#define TB_BOOT_INFO_GPA  0x10000ULL
#define TB_MFT_GPA        0x11000ULL /* up to 8 + 64 * 104 bytes */
#define TB_CMDLINE_GPA    0x13000ULL /* HVT_CMDLINE_SIZE bytes */

/*
 * In-kernel sleep (--sleep=hlt): one page the monitor maps user-writable only
 * then. Ring 3 cannot `hlt` and reaches ring 0 only through a fault, so the
 * guest calls the sleep site (`ud2; ret`); the monitor's #UD stub knows that
 * rip, steps over the ud2 and halts until the wake NMI (KVM_IRQFD), unless the
 * NMI came first: the NMI stub sets `woken`, which the guest clears before it
 * announces its sleep on the rings.
 */
#define TB_SLEEP_GPA         0xF000ULL
#define TB_SLEEP_SITE_GPA    TB_SLEEP_GPA           /* ud2; ret (written by the monitor) */
#define TB_SLEEP_WOKEN_GPA   (TB_SLEEP_GPA + 0x40)  /* byte: the NMI stub sets it to 1 */
/* The deadline doorbell: an 8-byte store here (KVM_IOEVENTFD, no exit) arms the monitor's sleep timer. */
#define TB_SLEEP_DOORBELL    (TB_DOORBELL_MMIO_BASE + 0x800)

#ifndef __ASSEMBLER__
/* The rest of the sleep page, after the woken line: the guest's request for a timer wake. */
struct tb_sleep_timer {
    uint64_t timeout_ns; /* guest: wake me this long after the doorbell rang (the monitor clamps it) */
    uint32_t armed;      /* guest sets 1 before ringing; the monitor clears it when it fires the wake */
    uint32_t reserved;
};
#define TB_SLEEP_TIMER_GPA   (TB_SLEEP_GPA + 0x80)
#endif

/* GDT selectors. */
#define TB_SEL_KCODE  0x08
#define TB_SEL_KDATA  0x10
#define TB_SEL_UDATA  0x18 /* | 3 when loaded */
#define TB_SEL_UCODE  0x20 /* | 3 when loaded */
#define TB_SEL_TSS    0x28

#define TB_MEM_MIN_MIB  4
#define TB_MEM_MAX_MIB  4096 /* as solo5-hvt: RAM ends at or below the hypercall window at 4 GiB */

#endif /* TB_ABI_H */
