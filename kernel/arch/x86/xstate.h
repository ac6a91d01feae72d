/*
 * Each vCPU's x87/MMX, SSE, AVX and AVX-512 registers and its XCR0. Neither VMRUN nor a VMX
 * entry/exit switches them (APM vol. 2 15.5.1; Intel SDM vol. 3C 27.3, 28.3), and D0 itself
 * never uses them (-mno-sse): so the registers a guest leaves behind would be the next VM's to
 * read. Whenever another vCPU than the last one enters, D0 saves the outgoing vCPU's state and
 * loads the incoming one's, with XCR0 set to every component the CPU supports for the
 * XSAVE/XRSTOR (whatever either vCPU's own XCR0 enables), then loads the incoming vCPU's XCR0.
 * Without XSAVE, FXSAVE/FXRSTOR (x87 and SSE, all there is then). A vCPU's first entry
 * restores an init image: FCW 0x37F, MXCSR 0x1F80, every register 0, XCR0 = x87 as at reset.
 *
 * Contract: the standard (non-compacted) format, user components only. Supervisor components
 * are not offered to guests: IA32_XSS is 0 while guests run (x86_xstate_clear_xss, after
 * ExitBootServices) and is not passed through (guest reads 0, writes are dropped), so a guest's
 * XSAVES (native on both backends) saves user components only, which this switch covers, and
 * never a supervisor state the firmware left enabled.
 */
#ifndef D0_ARCH_X86_XSTATE_H
#define D0_ARCH_X86_XSTATE_H

#include <stdbool.h>
#include <stdint.h>

struct x86_xstate {
  uint8_t *area; /* XSAVE/FXSAVE image, 64-byte aligned (pool pages) */
  uint64_t xcr0; /* the vCPU's XCR0 while it is not loaded */
};

/* CPUID.(0DH,0): the XCR0 bits the CPU supports (0 without XSAVE), and the size of an XSAVE
 * image holding all of them (512 without XSAVE). */
uint64_t x86_xstate_supported(void);
uint32_t x86_xstate_area_bytes(void);

/* IA32_XSS = 0 where the CPU has XSAVES; returns what it held (logged as ia32_xss_was=). */
uint64_t x86_xstate_clear_xss(void);

/* Allocates and fills the init image. 0, or HV_E_FULL when the page pool is exhausted. */
int x86_xstate_init(struct x86_xstate *xs);

/* Makes xs the state in the CPU: saves the previous owner's (if another) and loads xs. */
void x86_xstate_enter(struct x86_xstate *xs);

/* xs goes away: the CPU's registers no longer belong to it (nothing is saved into it). */
void x86_xstate_forget(const struct x86_xstate *xs);

#endif
