/*
 * Speculation hygiene between VMs and D0 (both backends). Every decision comes from CPUID (and
 * IA32_ARCH_CAPABILITIES where CPUID enumerates it), is made once by x86_spec_probe() and logged
 * once as ev=spec; kernel/docs/hypervisor.md "Speculation hygiene" has the vendor guidance each
 * follows.
 *
 *   SPEC_CTRL (IBRS/STIBP/SSBD)  virtualized per vCPU where the CPU has it: writes exit and are
 *                                checked (reserved bits: #GP, as on the CPU) and recorded; the
 *                                value is in the MSR while its vCPU runs (set before entry, back
 *                                to D0's 0 after its run), and reads go to the real MSR, so a
 *                                guest sees exactly what is in effect; no vCPU inherits another's
 *   PRED_CMD (IBPB)              a guest's write goes to the CPU (write-through in the MSR
 *                                permission map / bitmap: the CPU checks the bits); reads #GP
 *   IBPB on switch               before a vCPU enters when another vCPU ran last on this CPU
 *   RSB fill on exit             after every VM exit (32 benign return addresses)
 *   L1D flush on entry           VMX on a CPU with L1TF (no RDCL_NO, no SKIP_L1DFL_VMENTRY)
 *                                and IA32_FLUSH_CMD
 *   VERW on entry                MD_CLEAR and not MDS_NO, where no L1D flush already clears the
 *                                buffers
 * Without SPEC_CTRL/PRED_CMD on the CPU, the guest is not shown them (kernel/hv/cpuid.c shows
 * only what the host has) and their MSRs stay D0's unknown MSRs (read 0, writes dropped).
 */
#ifndef D0_ARCH_X86_SPEC_H
#define D0_ARCH_X86_SPEC_H

#include <stdbool.h>
#include <stdint.h>

#define MSR_SPEC_CTRL 0x48u
#define MSR_PRED_CMD 0x49u
#define MSR_ARCH_CAPABILITIES 0x10au
#define MSR_FLUSH_CMD 0x10bu

struct x86_spec_vcpu {
  uint64_t spec_ctrl; /* the guest's IA32_SPEC_CTRL */
};

/* Enumerates, decides and logs (ev=spec); `vmx` says which backend runs (L1TF is VMX's). */
void x86_spec_probe(bool vmx);

void x86_spec_vcpu_init(struct x86_spec_vcpu *s);

/* The CPU has SPEC_CTRL and D0 virtualizes it: the backends let guest reads of it through
 * (after x86_spec_probe, before their host init). */
bool x86_spec_ctrl_virtualized(void);
/* The CPU has IBPB: the backends let guest writes of PRED_CMD through (no exit). */
bool x86_spec_pred_cmd_passed(void);

/* Before a vCPU's run: IBPB if another vCPU ran last; the guest's SPEC_CTRL into the MSR. */
void x86_spec_vcpu_enter(struct x86_spec_vcpu *s);
/* After its run: D0's SPEC_CTRL (0) back. */
void x86_spec_vcpu_leave(const struct x86_spec_vcpu *s);

/* Right before each VMRUN/VMLAUNCH/VMRESUME, and right after each exit (the backends). */
void x86_spec_before_entry(void);
void x86_spec_after_exit(void);

enum x86_spec_msr_result {
  X86_SPEC_MSR_NOT_MINE, /* not SPEC_CTRL/PRED_CMD, or the CPU has neither: the core's */
  X86_SPEC_MSR_DONE,     /* handled: complete the instruction (reads: *value) */
  X86_SPEC_MSR_GP,       /* the CPU would #GP: inject it */
};
/* A guest RDMSR (write = false) or WRMSR of msr. */
enum x86_spec_msr_result x86_spec_msr(struct x86_spec_vcpu *s, uint32_t msr, bool write,
                                      uint64_t *value);

#endif /* D0_ARCH_X86_SPEC_H */
