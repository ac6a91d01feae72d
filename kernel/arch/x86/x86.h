/*
 * Privileged x86-64 instructions D0's host side uses, as inline functions (the only inline asm
 * outside the .S files lives here). AMD APM vol. 2/3 and Intel SDM vol. 2 define each one.
 */
#ifndef D0_ARCH_X86_H
#define D0_ARCH_X86_H

#include <stdint.h>

struct x86_cpuid {
  uint32_t eax, ebx, ecx, edx;
};

static inline void x86_cpuid(uint32_t leaf, uint32_t subleaf, struct x86_cpuid *r)
{
  __asm__ volatile("cpuid"
                   : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
                   : "a"(leaf), "c"(subleaf));
}

static inline uint64_t x86_rdmsr(uint32_t msr)
{
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (uint64_t)hi << 32 | lo;
}

static inline void x86_wrmsr(uint32_t msr, uint64_t v)
{
  __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline uint64_t x86_rdtsc(void)
{
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t)hi << 32 | lo;
}

static inline uint64_t x86_read_cr0(void)
{
  uint64_t v;
  __asm__ volatile("mov %%cr0, %0" : "=r"(v));
  return v;
}

static inline uint64_t x86_read_cr3(void)
{
  uint64_t v;
  __asm__ volatile("mov %%cr3, %0" : "=r"(v));
  return v;
}

static inline uint64_t x86_read_cr4(void)
{
  uint64_t v;
  __asm__ volatile("mov %%cr4, %0" : "=r"(v));
  return v;
}

static inline void x86_cli(void) { __asm__ volatile("cli" ::: "memory"); }

/* Opens IF for one instruction: a host interrupt pending since a VM exit (the host tick) is
 * taken by its handler here (STI's shadow ends after the NOP), then IF=0 again. */
static inline void x86_take_pending_irq(void) { __asm__ volatile("sti; nop; cli" ::: "memory"); }

/* Sleeps until the next interrupt, which its handler takes, then IF=0 again. One that became
 * pending while IF was 0 ends the HLT at once (STI's shadow covers it): no wake-up is lost
 * between a decision to halt and the halt. */
static inline void x86_wait_for_interrupt(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }

/* A spin-wait hint (PAUSE). */
static inline void x86_pause(void) { __asm__ volatile("pause" ::: "memory"); }

/* Stops this CPU for good: interrupts off, then halt forever (an NMI only resumes the loop). */
static inline __attribute__((noreturn)) void x86_halt_forever(void)
{
  for (;;)
    __asm__ volatile("cli; hlt" ::: "memory");
}

/* MSR numbers (AMD APM vol. 2, appendix A). */
#define MSR_EFER 0xC0000080u
#define MSR_STAR 0xC0000081u
#define MSR_LSTAR 0xC0000082u
#define MSR_CSTAR 0xC0000083u
#define MSR_SFMASK 0xC0000084u
#define MSR_FS_BASE 0xC0000100u
#define MSR_GS_BASE 0xC0000101u
#define MSR_KERNEL_GS_BASE 0xC0000102u
#define MSR_SYSENTER_CS 0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u
#define MSR_PAT 0x277u
#define MSR_VM_CR 0xC0010114u      /* APM 15.30.1 */
#define MSR_VM_HSAVE_PA 0xC0010117u /* APM 15.30.4 */

/*
 * CPUID bits that mirror CR4 (SDM vol. 2A, CPUID): leaf 1 ECX.OSXSAVE (bit 27) is CR4.OSXSAVE
 * (bit 18), leaf 7.0 ECX.OSPKE (bit 4) is CR4.PKE (bit 22). The CPUID a guest's exit is answered
 * with ran in D0, under D0's CR4: both backends set them from the guest's CR4 instead (and only
 * where the allow-list shows the feature itself).
 */
static inline uint32_t x86_cpuid_mirror_cr4(uint32_t leaf, uint32_t subleaf, uint32_t ecx,
                                            uint64_t guest_cr4)
{
  if (leaf == 1 && (ecx & (1u << 26))) /* XSAVE shown */
    return (ecx & ~(1u << 27)) | ((guest_cr4 >> 18) & 1 ? 1u << 27 : 0);
  if (leaf == 7 && subleaf == 0 && (ecx & (1u << 3))) /* PKU shown */
    return (ecx & ~(1u << 4)) | ((guest_cr4 >> 22) & 1 ? 1u << 4 : 0);
  return ecx;
}

#define EFER_SVME (1ull << 12)
#define VM_CR_SVMDIS (1ull << 4)

#endif /* D0_ARCH_X86_H */
