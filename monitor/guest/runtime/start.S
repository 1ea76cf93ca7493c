/* start.S: guest entry at ring 0: drops to ring 3 once when the monitor offers it, then calls tb_boot. */
#include "tb_abi.h"

/* Offsets into struct hvt_boot_info (7 Solo5 words, then struct tb_boot_ext). */
#define BI_EXT_MAGIC    56
#define BI_EXT_FEATURES 64
#define BI_EXT_USER_CS  80
#define BI_EXT_USER_SS  88

    .section .text.boot, "ax"
    .global _start
    .type _start, @function
/*
 * Every ring-0 instruction is emulated on PVM (~1.2 us each), so this path
 * stays a handful of instructions: the stack and boot info stay where the
 * monitor put them (%rsp = top of memory - 8, %rdi = boot info).
 */
_start:
    movabs $TB_BOOT_EXT_MAGIC, %rax
    cmp %rax, BI_EXT_MAGIC(%rdi)
    jne .Lstay_ring0
    testq $TB_FEATURE_RING3, BI_EXT_FEATURES(%rdi)
    jz .Lstay_ring0
    cmpl $0, tb_force_ring0(%rip)
    jne .Lstay_ring0

    /* iretq frame: ss, rsp, rflags, cs, rip. */
    mov %rsp, %rax
    pushq BI_EXT_USER_SS(%rdi)
    push %rax
    pushfq
    pushq BI_EXT_USER_CS(%rdi)
    lea .Lring3(%rip), %rax
    push %rax
    iretq

.Lring3:
    mov $1, %esi
    jmp .Lcall_boot
.Lstay_ring0:
    xor %esi, %esi
.Lcall_boot:
    and $-16, %rsp
    xor %ebp, %ebp
    call tb_boot
1:  jmp 1b
    .size _start, . - _start
    .section .note.GNU-stack, "", @progbits
