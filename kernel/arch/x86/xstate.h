/*
 * Each vCPU's x87/MMX, SSE and AVX(-512) registers and its XCR0. Neither VMRUN nor a VMX
 * entry/exit switches them (APM vol. 2 15.5.1; Intel SDM vol. 3C 27.3, 28.3), and D0 itself
 * never uses them (-mno-sse): so the registers a guest leaves behind would be the next VM's to
 * read. D0 saves the outgoing vCPU's state (XSAVE, or FXSAVE without XSAVE) and loads the
 * incoming one's whenever another vCPU than the last one enters; a vCPU's first entry loads
 * the init state (FCW 0x37F, MXCSR 0x1F80, every register 0, XCR0 = x87 as at reset).
 */
#ifndef D0_ARCH_X86_XSTATE_H
#define D0_ARCH_X86_XSTATE_H

#include <stdbool.h>
#include <stdint.h>

struct x86_xstate {
  uint8_t *area; /* XSAVE/FXSAVE image, 64-byte aligned (pool pages) */
  uint64_t xcr0; /* the vCPU's XCR0 while it is not loaded */
  bool saved;    /* area holds the vCPU's state (else: the init image) */
};

/* Allocates and fills the init image. 0, or HV_E_FULL when the page pool is exhausted. */
int x86_xstate_init(struct x86_xstate *xs);

/* Makes xs the state in the CPU: saves the previous owner's (if another) and loads xs. */
void x86_xstate_enter(struct x86_xstate *xs);

/* xs goes away: the CPU's registers no longer belong to it (nothing is saved into it). */
void x86_xstate_forget(const struct x86_xstate *xs);

#endif
