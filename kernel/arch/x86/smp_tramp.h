/*
 * The AP start-up trampoline (smp_tramp.S) and the layout of its page, shared by the assembly
 * and smp.c (only #defines: the assembler includes this too).
 *
 * smp.c copies the code [x86_smp_tramp_start, x86_smp_tramp_end) to the start of a 4 KiB page
 * below 1 MiB (the STARTUP IPI's vector is its page number) and fills the data block at
 * TRAMP_DATA before any AP runs. An AP starts in real mode at CS = page >> 4, IP = 0; the code
 * loads the trampoline GDT, enters 32-bit protected mode, turns on PAE, D0's CR3 (below 4 GiB:
 * a 32-bit MOV), EFER.LME|NXE and paging with CR0.WP, enters 64-bit mode, takes its stack, entry
 * and argument from the handoff block in D0's own data (TRAMP_HANDOFF) and calls the entry
 * (Microsoft x64 ABI: argument in RCX). The AP never writes the page: the GDT's descriptors
 * have their accessed bits set, so loading them writes nothing.
 */
#ifndef D0_ARCH_X86_SMP_TRAMP_H
#define D0_ARCH_X86_SMP_TRAMP_H

#define TRAMP_DATA 0x800          /* the code must end before this offset */
#define TRAMP_GDT 0x800           /* 4 descriptors: null, code32 (0x08), data (0x10), code64 (0x18) */
#define TRAMP_GDTR 0x822          /* u16 limit, u32 base (physical) */
#define TRAMP_JMP32 0x828         /* far pointer m16:32: physical address of the 32-bit code, 0x08 */
#define TRAMP_JMP64 0x830         /* far pointer m16:32: physical address of the 64-bit code, 0x18 */
#define TRAMP_CR3 0x838           /* u32: D0's PML4 */
#define TRAMP_HANDOFF 0x840       /* u64: address of struct smp_handoff (smp.c) in D0's data */

#define TRAMP_SEL_CODE32 0x08
#define TRAMP_SEL_DATA 0x10
#define TRAMP_SEL_CODE64 0x18

/* struct smp_handoff's fields, as the 64-bit code reads them. */
#define HANDOFF_STACK 0
#define HANDOFF_ENTRY 8
#define HANDOFF_ARG 16

#endif
