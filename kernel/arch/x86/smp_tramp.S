/*
 * The AP start-up trampoline: real mode -> 32-bit protected mode -> 64-bit mode on D0's page
 * tables, then a call into C (smp.c). Position-independent: it runs from a copy at the start of
 * a page below 1 MiB; every address it needs is in that page's data block, which smp.c fills
 * (layout and contract: smp_tramp.h). AT&T syntax (.code16/.code32/.code64).
 */
#include "smp_tramp.h"

  .section .text
  .globl x86_smp_tramp_start, x86_smp_tramp32, x86_smp_tramp64, x86_smp_tramp_end

  .code16
x86_smp_tramp_start:
  cli
  cld
  mov %cs, %ax            /* CS = page >> 4 (the STARTUP vector's page) */
  mov %ax, %ds
  xor %ebx, %ebx
  mov %ax, %bx
  shl $4, %ebx            /* EBX = the page's physical address, kept through 32-bit code */
  lgdtl TRAMP_GDTR
  mov %cr0, %eax
  and $0x9fffffff, %eax   /* clear CD and NW (INIT leaves caching off) */
  or $1, %eax             /* CR0.PE */
  mov %eax, %cr0
  ljmpl *TRAMP_JMP32

  .code32
x86_smp_tramp32:
  mov $TRAMP_SEL_DATA, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  xor %ax, %ax
  mov %ax, %fs
  mov %ax, %gs
  mov %cr4, %eax
  or $0x20, %eax          /* CR4.PAE */
  mov %eax, %cr4
  mov TRAMP_CR3(%ebx), %eax
  mov %eax, %cr3
  mov $0xC0000080, %ecx   /* EFER */
  rdmsr
  or $0x900, %eax         /* LME (bit 8) | NXE (bit 11): D0's tables use NX */
  wrmsr
  mov %cr0, %eax
  or $0x80010000, %eax    /* PG | WP: read-only pages bind D0 as they do on the BSP */
  mov %eax, %cr0
  ljmp *TRAMP_JMP64(%ebx)

  .code64
x86_smp_tramp64:
  mov %ebx, %ebx          /* zero-extend the page address */
  mov TRAMP_HANDOFF(%rbx), %rax
  mov HANDOFF_STACK(%rax), %rsp
  mov HANDOFF_ARG(%rax), %rcx
  mov HANDOFF_ENTRY(%rax), %rax
  and $-16, %rsp
  sub $32, %rsp           /* shadow space; the call leaves RSP = 8 mod 16 as the ABI wants */
  call *%rax
1:
  cli                     /* the entry never returns; should it, this CPU stays halted */
  hlt
  jmp 1b
x86_smp_tramp_end:
