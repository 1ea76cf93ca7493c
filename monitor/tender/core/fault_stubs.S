/* fault_stubs.S: the guest's ring-0 exception stubs, assembled into the monitor as data and copied to TB_STUBS_GPA. */
#include "tb_abi.h"

/*
 * Position-independent: only relative jumps. Stub v starts at 16 * v. Each
 * one makes the frame uniform (error code 0 where the CPU pushes none), adds
 * the vector, and hands the frame's address (its %rsp: low memory, below
 * 4 GiB) to the monitor with one `outl`; the monitor never resumes it.
 */
    .section .rodata
    .global tb_fault_stubs
    .global tb_fault_stubs_end
    .balign 16
tb_fault_stubs:
    .irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .balign 16, 0xcc
    /* Vectors with a CPU-pushed error code: #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX. */
    .if (\vec != 8) && (\vec != 10) && (\vec != 11) && (\vec != 12) && (\vec != 13) && (\vec != 14) && (\vec != 17) && (\vec != 21) && (\vec != 29) && (\vec != 30)
    pushq $0
    .endif
    pushq $\vec
    jmp .Lreport
    .endr
    .balign 16, 0xcc
.Lreport:
    mov %esp, %eax
    mov $TB_FAULT_PIO_PORT, %dx
    outl %eax, %dx
1:  hlt
    jmp 1b

/*
 * --sleep=hlt only (x86_64.c points vectors 6 and 2 here then). Absolute
 * addresses of labels below are TB_STUBS_GPA + their offset in this blob.
 * Each instruction here is emulated (~1.2 us): the paths stay short.
 */
#define STUB_GPA(label) (TB_STUBS_GPA + ((label) - tb_fault_stubs))

/* #UD (no error code: the saved rip is at (%rsp)): the guest's sleep site, or a real fault to report. */
    .balign 16, 0xcc
    .global tb_sleep_ud_stub
tb_sleep_ud_stub:
    cmpq $TB_SLEEP_SITE_GPA, (%rsp)
    jne .Lud_fault
    addq $2, (%rsp)             /* resume after the ud2 */
.Lsleep_check:                  /* from here to the hlt an NMI moves rip past the hlt: no lost wakeup */
    cmpb $0, TB_SLEEP_WOKEN_GPA /* the NMI came before we got here: do not sleep */
    jne .Lsleep_done
    hlt
.Lsleep_done:
    iretq
.Lud_fault:
    pushq $0
    pushq $6
    jmp .Lreport

/*
 * NMI: the monitor's wake (KVM_IRQFD routed as an NMI); never a fault here, the guest has no other NMI source.
 * The common case goes first: it woke the hlt, which has nothing left to skip (3 emulated instructions).
 * Landing on the #UD stub's iretq with woken unset is harmless too: that sleep is ending, the guest re-checks.
 */
    .balign 16, 0xcc
    .global tb_sleep_nmi_stub
tb_sleep_nmi_stub:
    cmpq $STUB_GPA(.Lsleep_done), (%rsp)
    je 1f
    movb $1, TB_SLEEP_WOKEN_GPA
    cmpq $STUB_GPA(.Lsleep_check), (%rsp)
    jb 1f
    cmpq $STUB_GPA(.Lsleep_done), (%rsp)
    jae 1f
    movq $STUB_GPA(.Lsleep_done), (%rsp)
1:  iretq
tb_fault_stubs_end:

    .section .note.GNU-stack, "", @progbits
