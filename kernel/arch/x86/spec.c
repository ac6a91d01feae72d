#include "arch/x86/spec.h"

#include "arch/x86/desc.h"
#include "arch/x86/x86.h"
#include "log/log.h"

/* CPUID bits (Intel SDM vol. 2A CPUID leaf 7; AMD APM vol. 3 E.4.17 leaf 8000_0008 EBX). */
#define L7_EDX_MD_CLEAR (1u << 10)
#define L7_EDX_IBRS_IBPB (1u << 26)
#define L7_EDX_STIBP (1u << 27)
#define L7_EDX_L1D_FLUSH (1u << 28)
#define L7_EDX_ARCH_CAPS (1u << 29)
#define L7_EDX_SSBD (1u << 31)
#define L88_EBX_IBPB (1u << 12)
#define L88_EBX_IBRS (1u << 14)
#define L88_EBX_STIBP (1u << 15)
#define L88_EBX_SSBD (1u << 24)
/* IA32_ARCH_CAPABILITIES (Intel SDM vol. 4, table 2-2). */
#define ARCH_CAP_RDCL_NO (1ull << 0)
#define ARCH_CAP_SKIP_L1DFL_VMENTRY (1ull << 3)
#define ARCH_CAP_MDS_NO (1ull << 5)
/* IA32_SPEC_CTRL bits, IA32_PRED_CMD / IA32_FLUSH_CMD commands. */
#define SPEC_CTRL_IBRS (1ull << 0)
#define SPEC_CTRL_STIBP (1ull << 1)
#define SPEC_CTRL_SSBD (1ull << 2)
#define PRED_CMD_IBPB 1ull
#define FLUSH_CMD_L1D 1ull
#define RSB_ENTRIES 32

static struct {
  uint64_t spec_ctrl_bits; /* what SPEC_CTRL implements here (0: no SPEC_CTRL) */
  bool ibpb, verw_on_entry, l1d_flush_on_entry, has_arch_caps;
  uint64_t arch_caps;
} cap;
/* Per CPU (x86_cpu_index): the vCPU that ran last on it, and what its IA32_SPEC_CTRL holds
 * (valid once `known`: an AP's is written the first time one of its vCPUs enters). */
static struct {
  const struct x86_spec_vcpu *last;
  uint64_t current;
  bool known;
} per_cpu[X86_MAX_CPUS];

void x86_spec_probe(bool vmx)
{
  struct x86_cpuid l0, l7 = {0}, e0, l88 = {0};
  x86_cpuid(0, 0, &l0);
  if (l0.eax >= 7)
    x86_cpuid(7, 0, &l7);
  x86_cpuid(0x80000000u, 0, &e0);
  if (e0.eax >= 0x80000008u)
    x86_cpuid(0x80000008u, 0, &l88);
  if ((l7.edx & L7_EDX_IBRS_IBPB) || (l88.ebx & L88_EBX_IBRS))
    cap.spec_ctrl_bits |= SPEC_CTRL_IBRS;
  if ((l7.edx & L7_EDX_STIBP) || (l88.ebx & L88_EBX_STIBP))
    cap.spec_ctrl_bits |= SPEC_CTRL_STIBP;
  if ((l7.edx & L7_EDX_SSBD) || (l88.ebx & L88_EBX_SSBD))
    cap.spec_ctrl_bits |= SPEC_CTRL_SSBD;
  cap.ibpb = (l7.edx & L7_EDX_IBRS_IBPB) || (l88.ebx & L88_EBX_IBPB);
  cap.has_arch_caps = (l7.edx & L7_EDX_ARCH_CAPS) != 0;
  cap.arch_caps = cap.has_arch_caps ? x86_rdmsr(MSR_ARCH_CAPABILITIES) : 0;
  /* L1TF: Intel parts without RDCL_NO; the flush before VM entry is the VMM's job (Intel "L1
   * Terminal Fault" guidance), unless the CPU says a nested hypervisor already did it. */
  cap.l1d_flush_on_entry = vmx && (l7.edx & L7_EDX_L1D_FLUSH) &&
                           !(cap.arch_caps & (ARCH_CAP_RDCL_NO | ARCH_CAP_SKIP_L1DFL_VMENTRY));
  /* MDS: VERW clears the CPU buffers where MD_CLEAR is enumerated and MDS_NO is not; an L1D
   * flush already does that (Intel "MDS" guidance). */
  cap.verw_on_entry = (l7.edx & L7_EDX_MD_CLEAR) && !(cap.arch_caps & ARCH_CAP_MDS_NO) &&
                      !cap.l1d_flush_on_entry;
  if (cap.spec_ctrl_bits != 0)
    x86_wrmsr(MSR_SPEC_CTRL, 0); /* D0's own value: no IBRS/STIBP/SSBD for D0 */
  per_cpu[x86_cpu_index()].current = 0;
  per_cpu[x86_cpu_index()].known = true;
  log_begin("spec");
  log_str("spec_ctrl", cap.spec_ctrl_bits != 0 ? "per_vcpu" : "absent");
  log_hex("spec_ctrl_bits", cap.spec_ctrl_bits);
  log_str("pred_cmd", cap.ibpb ? "passed" : "absent");
  log_u64("ibpb_on_switch", cap.ibpb);
  log_u64("rsb_fill_on_exit", 1);
  log_u64("l1d_flush_on_entry", cap.l1d_flush_on_entry);
  log_u64("verw_on_entry", cap.verw_on_entry);
  if (cap.has_arch_caps)
    log_hex("arch_capabilities", cap.arch_caps);
  else
    log_str("arch_capabilities", "absent");
  log_end();
}

void x86_spec_vcpu_init(struct x86_spec_vcpu *s) { s->spec_ctrl = 0; }

bool x86_spec_ctrl_virtualized(void) { return cap.spec_ctrl_bits != 0; }

bool x86_spec_pred_cmd_passed(void) { return cap.ibpb; }

static void set_spec_ctrl(uint64_t v)
{
  uint32_t cpu = x86_cpu_index();
  if (cap.spec_ctrl_bits != 0 && (v != per_cpu[cpu].current || !per_cpu[cpu].known)) {
    x86_wrmsr(MSR_SPEC_CTRL, v);
    per_cpu[cpu].current = v;
    per_cpu[cpu].known = true;
  }
}

void x86_spec_vcpu_enter(struct x86_spec_vcpu *s)
{
  /* Another vCPU (another VM: one vCPU each) ran last on this CPU: its branch predictions
   * must not steer this one (Intel "Indirect Branch Predictor Barrier"; AMD "Software techniques
   * for managing speculation", IBPB between guests). */
  const struct x86_spec_vcpu **last = &per_cpu[x86_cpu_index()].last;
  if (*last != s && *last != NULL && cap.ibpb)
    x86_wrmsr(MSR_PRED_CMD, PRED_CMD_IBPB);
  *last = s;
  set_spec_ctrl(s->spec_ctrl);
}

void x86_spec_vcpu_leave(const struct x86_spec_vcpu *s)
{
  (void)s;
  set_spec_ctrl(0);
}

void x86_spec_before_entry(void)
{
  if (cap.l1d_flush_on_entry) {
    x86_wrmsr(MSR_FLUSH_CMD, FLUSH_CMD_L1D);
  } else if (cap.verw_on_entry) {
    /* VERW with a memory operand holding a valid, writable data selector (D0's own DS) clears
     * the buffers as a side effect (Intel "MDS" guidance: "VERW m16"). */
    uint16_t ds;
    __asm__ volatile("mov %%ds, %0" : "=r"(ds));
    __asm__ volatile("verw %0" : : "m"(ds) : "cc");
  }
}

void x86_spec_after_exit(void)
{
  /* RSB stuffing: the guest's return addresses must not be predicted for D0's RETs (Intel
   * "Retpoline: a branch target injection mitigation", RSB stuffing on VM exit; AMD same
   * guidance). Each CALL leaves a return address whose speculative target is a PAUSE/LFENCE
   * loop; the real stack is restored after. Not shadow-stack safe: D0 never enables CET shadow
   * stacks (and no firmware here does); with them, the fill would need an INCSSP of 32. */
  unsigned long n = RSB_ENTRIES / 2;
  __asm__ volatile("1: call 2f\n"
                   "3: pause; lfence; jmp 3b\n"
                   "2: call 4f\n"
                   "5: pause; lfence; jmp 5b\n"
                   "4: dec %0\n"
                   "jnz 1b\n"
                   "add $(8 * %c1), %%rsp\n"
                   : "+r"(n)
                   : "i"(RSB_ENTRIES)
                   : "memory", "cc");
}

enum x86_spec_msr_result x86_spec_msr(struct x86_spec_vcpu *s, uint32_t msr, bool write,
                                      uint64_t *value)
{
  if (msr == MSR_SPEC_CTRL && cap.spec_ctrl_bits != 0) {
    if (!write) {
      *value = s->spec_ctrl;
      return X86_SPEC_MSR_DONE;
    }
    if (*value & ~cap.spec_ctrl_bits)
      return X86_SPEC_MSR_GP;
    s->spec_ctrl = *value;
    set_spec_ctrl(*value); /* in effect for the rest of this vCPU's run */
    return X86_SPEC_MSR_DONE;
  }
  if (msr == MSR_PRED_CMD && cap.ibpb) {
    if (!write || (*value & ~PRED_CMD_IBPB))
      return X86_SPEC_MSR_GP; /* write-only, one defined bit */
    if (*value & PRED_CMD_IBPB)
      x86_wrmsr(MSR_PRED_CMD, PRED_CMD_IBPB);
    return X86_SPEC_MSR_DONE;
  }
  return X86_SPEC_MSR_NOT_MINE;
}
