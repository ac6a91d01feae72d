/*
 * A vCPU's general registers as both x86 backends complete exits into them. The register file
 * lives in two places: most registers where the entry stub saves them (svm/vmrun.S,
 * vmx/vmentry.S), but RAX and RSP in the VMCB under SVM and RSP in the VMCS under VMX. Each
 * backend gives its read/write by x86 register number (0 rax .. 15 r15); everything above that,
 * the x86 width rules and which registers an exit reads or writes, is here once.
 */
#ifndef D0_ARCH_X86_REGFILE_H
#define D0_ARCH_X86_REGFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/arch.h"
#include "arch/x86/decode.h"

struct x86_regfile {
  void *vcpu;
  uint64_t (*read)(void *vcpu, uint8_t n);
  void (*write)(void *vcpu, uint8_t n, uint64_t val);
};

/* Writes `size` bytes into register n as x86 does: 32-bit writes zero-extend to 64 bits, 8- and
 * 16-bit writes keep the other bits. high selects AH/CH/DH/BH. */
void x86_reg_write_sized(const struct x86_regfile *rf, uint8_t n, uint8_t size, bool high,
                         uint64_t val);

/* Two registers as one value, as exits report them: lo's low 32 bits | hi << 32 (RDMSR/WRMSR:
 * EDX:EAX; CPUID: leaf in EAX, subleaf in ECX). */
uint64_t x86_reg_pair(const struct x86_regfile *rf, uint8_t lo, uint8_t hi);

/* An IN or OUT exit: port, size (1, 2 or 4), direction and, for OUT, the value of AL/AX/EAX.
 * A string or REP form (INS/OUTS) is an ARCH_EXIT_BAD_ACCESS (ARCH_FAULT_STRING_IO) with the
 * backend's detail (EXITINFO1 / exit qualification) as its value: no device of D0 needs it. */
void x86_io_exit(const struct x86_regfile *rf, struct arch_exit *e, uint16_t port, uint8_t size,
                 bool in, bool string, uint64_t detail);

/*
 * A data access at an unmapped GPA that was not a fetch or a guest page walk: fetches the
 * instruction at rip through the guest's page tables (cr3, read through `read` on `vm`) and
 * decodes it into *m. Decoded: *e becomes the ARCH_EXIT_MMIO (size, direction and, for a store,
 * the value written: the immediate or source register, AH..BH shifted down, cut to the access
 * size) and *next_rip the RIP after it. Not: *e stays the bad access the caller filled, with
 * fault ARCH_FAULT_UNDECODED.
 */
void x86_mmio_exit(const struct x86_regfile *rf, x86_gpa_reader read, const void *vm,
                   uint64_t cr3, uint64_t rip, struct x86_mmio_insn *m, struct arch_exit *e,
                   uint64_t *next_rip);

/* The result of a read exit into the guest's registers: IN to AL/AX/EAX, RDMSR to EDX:EAX, an
 * MMIO load to its destination register (m: the decoded load). Other exits write nothing. */
void x86_complete_read(const struct x86_regfile *rf, const struct arch_exit *e,
                       const struct x86_mmio_insn *m, uint64_t value);

/* CPUID's answer into EAX..EDX, with OSXSAVE/OSPKE mirroring the guest's CR4 (x86.h). */
void x86_complete_cpuid(const struct x86_regfile *rf, const struct arch_exit *e,
                        const struct arch_cpuid_result *r, uint64_t guest_cr4);

#endif
