/* x86_64.c: builds the guest's GDT (kernel + user segments), 64-bit TSS, IDT, fault stubs, page tables and CPU registers. */
#include <string.h>
#include <sys/ioctl.h>

#include "log.h"
#include "mem.h"
#include "x86_64.h"

#define PTE_P   (1ULL << 0)
#define PTE_RW  (1ULL << 1)
#define PTE_US  (1ULL << 2)
#define PTE_PS  (1ULL << 7)
#define PAGE_2M 0x200000ULL
#define PAGE_4K 0x1000ULL

#define CR0_PE (1ULL << 0)
#define CR0_MP (1ULL << 1)
#define CR0_ET (1ULL << 4)
#define CR0_NE (1ULL << 5)
#define CR0_WP (1ULL << 16)
#define CR0_PG (1ULL << 31)
#define CR4_PAE        (1ULL << 5)
#define CR4_OSFXSR     (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

#define TSS_SIZE      104
#define GDT_ENTRIES   7   /* null, kcode, kdata, udata, ucode, TSS (two slots) */
#define IDT_VECTORS   32
#define IDT_GATE_INT  0x8EULL /* present, DPL 0, 64-bit interrupt gate: `int n` from ring 3 faults */

extern const uint8_t tb_fault_stubs[], tb_fault_stubs_end[];
extern const uint8_t tb_sleep_ud_stub[], tb_sleep_nmi_stub[];

static uint64_t stub_gpa(const uint8_t *stub)
{
    return TB_STUBS_GPA + (uint64_t)(stub - tb_fault_stubs);
}

/* With --sleep=hlt, #UD and NMI go to the sleep stubs (fault_stubs.S), which still report a #UD elsewhere. */
static uint64_t vector_handler(const struct tb_vm *vm, uint64_t v)
{
    if (vm->hlt_sleep && v == 6)
        return stub_gpa(tb_sleep_ud_stub);
    if (vm->hlt_sleep && v == 2)
        return stub_gpa(tb_sleep_nmi_stub);
    return TB_STUBS_GPA + 16 * v;
}

static void setup_gdt(struct tb_vm *vm)
{
    uint64_t *gdt = tb_low(vm, TB_GDT_GPA);
    gdt[0] = 0;
    gdt[TB_SEL_KCODE >> 3] = 0x00af9a000000ffffULL; /* 64-bit code, DPL 0 */
    gdt[TB_SEL_KDATA >> 3] = 0x00cf92000000ffffULL; /* data, DPL 0 */
    gdt[TB_SEL_UDATA >> 3] = 0x00cff2000000ffffULL; /* data, DPL 3 */
    gdt[TB_SEL_UCODE >> 3] = 0x00affa000000ffffULL; /* 64-bit code, DPL 3 */
    uint64_t base = TB_TSS_GPA;
    gdt[TB_SEL_TSS >> 3] = (TSS_SIZE - 1) | ((base & 0xffffff) << 16) | (0x89ULL << 40) | (((base >> 24) & 0xff) << 56);
    gdt[(TB_SEL_TSS >> 3) + 1] = base >> 32;
}

/* The TSS only serves the stack switch into the stubs when ring 3 faults: RSP0, no I/O bitmap. */
static void setup_tss(struct tb_vm *vm)
{
    uint8_t *tss = tb_low(vm, TB_TSS_GPA);
    memset(tss, 0, TSS_SIZE);
    uint64_t rsp0 = TB_FAULT_STACK_TOP;
    memcpy(tss + 4, &rsp0, sizeof rsp0);
    uint16_t iomap_base = TSS_SIZE;
    memcpy(tss + 102, &iomap_base, sizeof iomap_base);
}

static void setup_idt(struct tb_vm *vm)
{
    size_t stubs_size = (size_t)(tb_fault_stubs_end - tb_fault_stubs);
    if (stubs_size > TB_FAULT_STACK_TOP - 0x1000 - TB_STUBS_GPA)
        tb_die("internal error: fault stubs too large (%zu bytes)", stubs_size);
    memcpy(tb_low(vm, TB_STUBS_GPA), tb_fault_stubs, stubs_size);
    uint64_t *idt = tb_low(vm, TB_IDT_GPA);
    for (uint64_t v = 0; v < IDT_VECTORS; v++) {
        uint64_t handler = vector_handler(vm, v);
        idt[2 * v] = (handler & 0xffff) | ((uint64_t)TB_SEL_KCODE << 16) | (IDT_GATE_INT << 40)
                     | (((handler >> 16) & 0xffff) << 48);
        idt[2 * v + 1] = handler >> 32;
    }
}

/* The first 2 MiB in 4 KiB pages: page 0 absent (NULL faults), monitor pages supervisor-only. */
static void setup_low_pages(struct tb_vm *vm)
{
    uint64_t *pt = tb_low(vm, TB_PT_LOW_GPA);
    for (uint64_t i = 0; i < 512; i++) {
        uint64_t gpa = i * PAGE_4K;
        if (gpa == 0)
            pt[i] = 0;
        else if (gpa == TB_SLEEP_GPA && vm->hlt_sleep)
            pt[i] = gpa | PTE_P | PTE_RW | PTE_US; /* the sleep site and flags (tb_abi.h), for ring 3 */
        else if (gpa < TB_BOOT_INFO_GPA)
            pt[i] = gpa | PTE_P | PTE_RW;
        else if (gpa < TB_CMDLINE_GPA + HVT_CMDLINE_SIZE)
            pt[i] = gpa | PTE_P | PTE_US; /* boot info, manifest, cmdline: read-only, also for ring 3 */
        else if (gpa < HVT_GUEST_MIN_BASE)
            pt[i] = 0;
        else
            pt[i] = gpa | PTE_P | PTE_RW | PTE_US;
    }
}

static void setup_page_tables(struct tb_vm *vm)
{
    uint64_t *pml4 = tb_low(vm, TB_PML4_GPA), *pdpt = tb_low(vm, TB_PDPT_GPA);
    uint64_t *pd = tb_low(vm, TB_PD_GPA), *pd_mmio = tb_low(vm, TB_PD_MMIO_GPA);
    const uint64_t user_table = PTE_P | PTE_RW | PTE_US;
    pml4[0] = TB_PDPT_GPA | user_table;
    uint64_t pages = (vm->mem_size + PAGE_2M - 1) / PAGE_2M; /* at most 4 * 512: TB_MEM_MAX_MIB */
    for (uint64_t g = 0; g < (pages + 511) / 512; g++)
        pdpt[g] = (TB_PD_GPA + g * PAGE_4K) | user_table;
    for (uint64_t i = 0; i < pages; i++)
        pd[i] = (i * PAGE_2M) | user_table | PTE_PS;
    pd[0] = TB_PT_LOW_GPA | user_table;
    setup_low_pages(vm);
    /* The hypercall window: mapped but backed by no memory slot, so each store exits to us. */
    pdpt[TB_HYPERCALL_MMIO_BASE >> 30] = TB_PD_MMIO_GPA | user_table;
    pd_mmio[0] = TB_HYPERCALL_MMIO_BASE | user_table | PTE_PS;
}

void tb_x86_setup_memory(struct tb_vm *vm)
{
    setup_gdt(vm);
    setup_tss(vm);
    setup_idt(vm);
    setup_page_tables(vm);
}

static struct kvm_segment segment(uint16_t selector, uint8_t type, uint8_t dpl, int code)
{
    return (struct kvm_segment){
        .base = 0, .limit = 0xffffffff, .selector = selector, .type = type, .present = 1,
        .dpl = dpl, .s = 1, .g = 1, .l = code ? 1 : 0, .db = code ? 0 : 1,
    };
}

void tb_x86_setup_vcpu(struct tb_vm *vm)
{
    struct kvm_sregs sregs;
    if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
        tb_die_errno("KVM_GET_SREGS");
    sregs.cs = segment(TB_SEL_KCODE, 11, 0, 1);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = segment(TB_SEL_KDATA, 3, 0, 0);
    sregs.tr = (struct kvm_segment){
        .base = TB_TSS_GPA, .limit = TSS_SIZE - 1, .selector = TB_SEL_TSS, .type = 11, .present = 1,
    };
    sregs.gdt.base = TB_GDT_GPA;
    sregs.gdt.limit = GDT_ENTRIES * 8 - 1;
    sregs.idt.base = TB_IDT_GPA;
    sregs.idt.limit = IDT_VECTORS * 16 - 1;
    sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    sregs.cr3 = TB_PML4_GPA;
    sregs.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    sregs.efer = EFER_LME | EFER_LMA;
    if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
        tb_die_errno("KVM_SET_SREGS");

    struct kvm_regs regs = {
        .rip = vm->entry,
        .rflags = 0x2,
        .rsp = vm->mem_size - 8,
        .rdi = TB_BOOT_INFO_GPA,
    };
    if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
        tb_die_errno("KVM_SET_REGS");
}
