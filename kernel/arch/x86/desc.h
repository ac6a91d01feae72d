/*
 * D0's own descriptor tables, loaded once the firmware is gone (after ExitBootServices):
 * a GDT with a 64-bit code and data segment and a TSS (a non-zero TR: VMX requires one for the
 * host, and a TSS gives the exception handlers a known stack through IST1), and an IDT whose
 * 32 exception vectors log vector, RIP and error code on COM1 and halt this CPU cleanly, and
 * whose interrupt vectors take the host tick (arch/x86/host_tick.h: the local APIC timer's
 * vector, the 8259's 0x20-0x2f for the PIT fallback, the APIC's spurious vector; any other one
 * is counted and acknowledged). D0 runs with IF=0 except
 * in the window a backend opens after a #VMEXIT to take a pending tick.
 */
#ifndef D0_ARCH_X86_DESC_H
#define D0_ARCH_X86_DESC_H

#include <stdint.h>

#define X86_SEL_CODE 0x08
#define X86_SEL_DATA 0x10
#define X86_SEL_TSS 0x18

/* The frame isr.S builds for x86_exception. */
struct x86_exception_frame {
  uint64_t vector, error_code;
  uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* CPUs D0 keeps descriptors for (the BSP is 0): the fixed size of the per-CPU tables (GDT, TSS,
 * IST stack here; stacks and backend pages in smp.c). */
#define X86_MAX_CPUS 32

/* The BSP: builds the shared IDT and loads CPU 0's GDT/TSS and the IDT. */
void x86_desc_init(void);

/* An AP (1 <= cpu < X86_MAX_CPUS), on that AP, after x86_desc_init ran on the BSP: loads its own
 * GDT and TSS (IST1: its own exception stack) and the shared IDT. */
void x86_desc_init_ap(uint32_t cpu);

/* The slot of the CPU running this (0: the BSP; an AP's is the one x86_desc_init_ap loaded),
 * read from its GDTR: each CPU's GDT is its own, and no guest entry changes the host's GDTR
 * (SVM saves it in the host save area; VMX restores the VMCS's host GDTR base, written on the
 * CPU that runs the vCPU). 0 before x86_desc_init. For the per-CPU state of arch/x86. */
uint32_t x86_cpu_index(void);

/* Called from isr.S; never returns. Provided by the platform (boot/efi) so it can log. */
void x86_exception(const struct x86_exception_frame *f);

#endif
