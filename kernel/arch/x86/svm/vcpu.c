/*
 * The SVM vCPU: VMCB setup from the Linux 64-bit entry state, the run loop, and the table that
 * turns SVM exit codes (APM vol. 2, appendix C) into the core's uniform struct arch_exit.
 * No NRIP save and no decode assists are assumed (QEMU TCG has neither): RIP is advanced by the
 * known length of each intercepted instruction, IOIO uses EXITINFO2 (the next RIP, 15.10.2),
 * and MMIO instructions are decoded by decode.c.
 */
#include "arch/x86/svm/svm.h"

#include "arch/x86/decode.h"
#include "arch/x86/desc.h"
#include "arch/x86/pages.h"
#include "arch/x86/simple_exit.h"
#include "arch/x86/regfile.h"
#include "arch/x86/svm/host.h"
#include "arch/x86/svm/npt.h"
#include "arch/x86/svm/vmcb.h"
#include "arch/x86/spec.h"
#include "arch/x86/x86.h"
#include "d0/lib.h"
#include "hv/err.h"
#include "arch/boot_regs.h"

#define RFLAGS_IF (1ull << 9)
#define EFER_NXE (1ull << 11)
#define PAT_DEFAULT 0x0007040600070406ull /* power-on PAT (APM 7.8.2) */
#define UD_VECTOR 6
#define GP_VECTOR 13
/* Instruction lengths D0 advances by (no NRIP save): CPUID 0F A2, RDMSR/WRMSR 0F 32/30, HLT F4. */
#define LEN_CPUID 2
#define LEN_MSR 2
#define LEN_HLT 1
#define LEN_MONITOR_MWAIT 3 /* 0F 01 C8/C9 (MONITOR/MWAIT), 0F 01 FA/FB (the X forms) */

/* The save area's packed segment attributes from the VMX-style access rights of boot_seg. */
static void load_seg(struct vmcb_seg *s, const struct boot_seg *b)
{
  s->selector = b->selector;
  s->base = b->base;
  s->limit = b->limit;
  s->attrib = b->unusable ? 0 : (uint16_t)((b->ar & 0xff) | ((b->ar >> 4) & 0xf00));
}

int svm_vcpu_init(struct svm_vcpu *vcpu, struct svm_vm *avm, const struct boot_regs *regs)
{
  TRY(svm_host_init());
  struct vmcb *vmcb = x86_pages_alloc(1);
  if (vmcb == NULL)
    return HV_E_FULL;
  *vcpu = (struct svm_vcpu){.vm = avm, .vmcb = vmcb};
  struct vmcb_control *c = &vcpu->vmcb->ctl;
  struct vmcb_save *s = &vcpu->vmcb->save;
  const struct svm_host *h = svm_host();

  /* PAUSE is not intercepted: the host tick (INTR intercept) is the preemption point, as under
   * VMX. Intercepting every PAUSE cost a Linux guest ~9,400 exits per boot once it calibrated
   * its APIC timer in cpu_relax() loops (bench/hv/README.md). */
  c->intercept_misc1 = SVM_I1_INTR | SVM_I1_NMI | SVM_I1_CPUID | SVM_I1_HLT | SVM_I1_INVLPGA |
                       SVM_I1_IOIO | SVM_I1_MSR | SVM_I1_SHUTDOWN;
  c->intercept_misc2 = SVM_I2_VMRUN | SVM_I2_VMMCALL | SVM_I2_VMLOAD | SVM_I2_VMSAVE |
                       SVM_I2_STGI | SVM_I2_CLGI | SVM_I2_SKINIT | SVM_I2_MONITOR | SVM_I2_MWAIT |
                       SVM_I2_MWAIT_COND;
  c->iopm_base_pa = h->iopm_pa;
  c->msrpm_base_pa = h->msrpm_pa;
  c->guest_asid = avm->asid;
  /* V_INTR_MASKING: the guest's IF/TPR only mask virtual interrupts, never the host's. */
  c->vintr = SVM_VINTR_MASKING;
  c->np_control = 1;
  c->n_cr3 = (uintptr_t)avm->npt_root;

  load_seg(&s->cs, &regs->cs);
  load_seg(&s->ds, &regs->ds);
  load_seg(&s->es, &regs->es);
  load_seg(&s->ss, &regs->ss);
  load_seg(&s->fs, &regs->fs);
  load_seg(&s->gs, &regs->gs);
  load_seg(&s->tr, &regs->tr);
  load_seg(&s->ldtr, &regs->ldtr);
  s->gdtr.base = regs->gdtr_base;
  s->gdtr.limit = regs->gdtr_limit;
  s->idtr.base = regs->idtr_base;
  s->idtr.limit = regs->idtr_limit;
  s->cpl = 0;
  /* EFER.SVME must be set in the guest's EFER or VMRUN fails its checks (15.5.1). */
  s->efer = regs->efer | EFER_SVME;
  s->cr0 = regs->cr0;
  s->cr3 = regs->cr3;
  s->cr4 = regs->cr4;
  s->dr6 = 0xffff0ff0;
  s->dr7 = 0x400;
  s->rflags = regs->rflags;
  s->rip = regs->rip;
  s->rsp = regs->rsp;
  s->g_pat = PAT_DEFAULT;
  vcpu->gprs.r[6] = regs->rsi; /* RSI = boot_params */
  return HV_OK;
}

void svm_vcpu_destroy(struct svm_vcpu *vcpu) { vcpu->vmcb = NULL; }

/* ---- register access by x86 register number (regfile.h) --------------------------------- */

static uint64_t reg_read(void *vcpu, uint8_t n)
{
  struct svm_vcpu *v = vcpu;
  if (n == 0)
    return v->vmcb->save.rax;
  if (n == 4)
    return v->vmcb->save.rsp;
  return v->gprs.r[n & 15];
}

static void reg_write(void *vcpu, uint8_t n, uint64_t val)
{
  struct svm_vcpu *v = vcpu;
  if (n == 0)
    v->vmcb->save.rax = val;
  else if (n == 4)
    v->vmcb->save.rsp = val;
  else
    v->gprs.r[n & 15] = val;
}

static struct x86_regfile regs(struct svm_vcpu *v) { return (struct x86_regfile){v, reg_read, reg_write}; }

/* ---- the exit table -------------------------------------------------------------------------- */

/* A handler fills *e and returns true when the core must see the exit; false to run again. */
typedef bool (*svm_exit_fn)(struct svm_vcpu *v, struct arch_exit *e);

static void inject_exception(struct svm_vcpu *v, uint8_t vector)
{
  v->vmcb->ctl.eventinj = vector | SVM_EVTINJ_TYPE_EXCEPTION | SVM_EVTINJ_VALID;
}

static bool on_ioio(struct svm_vcpu *v, struct arch_exit *e)
{
  uint64_t info = v->vmcb->ctl.exitinfo1;
  struct x86_regfile rf = regs(v);
  x86_io_exit(&rf, e, (uint16_t)(info >> SVM_IOIO_PORT_SHIFT),
              (info & SVM_IOIO_SZ32) ? 4 : (info & SVM_IOIO_SZ16) ? 2 : 1, info & SVM_IOIO_IN,
              info & (SVM_IOIO_STR | SVM_IOIO_REP), info);
  v->next_rip = v->vmcb->ctl.exitinfo2; /* the next RIP (15.10.2); unused for a bad access */
  return true;
}

static bool on_cpuid(struct svm_vcpu *v, struct arch_exit *e)
{
  struct x86_regfile rf = regs(v);
  e->reason = ARCH_EXIT_CPUID;
  e->value = x86_reg_pair(&rf, 0, 1);
  v->next_rip = v->vmcb->save.rip + LEN_CPUID;
  return true;
}

static bool on_msr(struct svm_vcpu *v, struct arch_exit *e)
{
  struct x86_regfile rf = regs(v);
  e->reason = ARCH_EXIT_MSR;
  e->msr = (uint32_t)v->gprs.r[1];
  e->size = 8;
  e->dir = v->vmcb->ctl.exitinfo1 == 1 ? ARCH_DIR_WRITE : ARCH_DIR_READ;
  if (e->dir == ARCH_DIR_WRITE)
    e->value = x86_reg_pair(&rf, 0, 2);
  v->next_rip = v->vmcb->save.rip + LEN_MSR;
  return true;
}

/* CPUID hides MONITOR/MWAIT (kernel/hv/exit.c); a guest that uses them anyway gets MWAIT as a
 * HLT (it waits for its next interrupt) and MONITOR as a no-op, never a wait inside the CPU
 * that only a write to the monitored line would end. */
/* The guest may take interrupts now: drop the window request, let the core inject. */
static bool on_vintr(struct svm_vcpu *v, struct arch_exit *e)
{
  v->vmcb->ctl.vintr &= ~SVM_VINTR_V_IRQ;
  v->vmcb->ctl.intercept_misc1 &= ~SVM_I1_VINTR;
  v->window_requested = false;
  e->reason = ARCH_EXIT_INTR;
  return true;
}

/* SVM instructions inside the guest: the VM has no SVM (CPUID hides it), so they are #UD. */
static bool on_svm_insn(struct svm_vcpu *v, struct arch_exit *e)
{
  (void)e;
  inject_exception(v, UD_VECTOR);
  return false;
}

static bool read_gpa(const void *vm, uint64_t gpa, void *dst, uint64_t len)
{
  return npt_read(vm, gpa, dst, len);
}

/*
 * A guest-physical access with no nested mapping: a device window or nothing. EXITINFO1 is a
 * page-fault error code plus bit 32 (the fault is on the final address) and bit 33 (on a read of
 * the guest's own page tables) (APM vol. 2 15.25.6). Only a data access by the instruction
 * itself is MMIO. A fault during the guest's page walk (its paging structures are outside its
 * RAM, e.g. in the device window) or on an instruction fetch never reaches a device model: the
 * decoded instruction's operand is not at the faulting GPA then.
 */
static bool on_npf(struct svm_vcpu *v, struct arch_exit *e)
{
  uint64_t gpa = v->vmcb->ctl.exitinfo2, info = v->vmcb->ctl.exitinfo1;
  e->gpa = gpa_init(gpa);
  e->reason = ARCH_EXIT_BAD_ACCESS;
  e->value = info;
  if (info & SVM_NPF_PAGE_WALK) {
    e->fault = ARCH_FAULT_PAGE_WALK;
    return true;
  }
  if (info & SVM_NPF_FETCH) {
    e->fault = ARCH_FAULT_FETCH;
    return true;
  }
  struct x86_regfile rf = regs(v);
  x86_mmio_exit(&rf, read_gpa, v->vm, v->vmcb->save.cr3, v->vmcb->save.rip, &v->mmio, e,
                &v->next_rip);
  return true;
}

/* CPUID hides MONITOR/MWAIT (kernel/hv/exit.c); a guest that uses them anyway gets MWAIT as a
 * HLT (it waits for its next interrupt) and MONITOR as a no-op, never a wait inside the CPU that
 * only a write to the monitored line would end. A host interrupt or NMI preempted the guest (host
 * IF is clear: it stays pending). */
static const struct x86_simple_exit simple_exits[SVM_EXIT_TABLE_SIZE] = {
    [SVM_EXIT_INTR] = X86_SIMPLE_EXIT(ARCH_EXIT_INTR, 0),
    [SVM_EXIT_NMI] = X86_SIMPLE_EXIT(ARCH_EXIT_INTR, 0),
    [SVM_EXIT_SHUTDOWN] = X86_SIMPLE_EXIT(ARCH_EXIT_SHUTDOWN, 0),
    [SVM_EXIT_HLT] = X86_SIMPLE_EXIT(ARCH_EXIT_HLT, LEN_HLT),
    [SVM_EXIT_MWAIT] = X86_SIMPLE_EXIT(ARCH_EXIT_HLT, LEN_MONITOR_MWAIT),
    [SVM_EXIT_MWAIT_COND] = X86_SIMPLE_EXIT(ARCH_EXIT_HLT, LEN_MONITOR_MWAIT),
    [SVM_EXIT_MONITOR] = X86_SIMPLE_EXIT(ARCH_EXIT_NONE, LEN_MONITOR_MWAIT),
};

static const svm_exit_fn exit_table[SVM_EXIT_TABLE_SIZE] = {
    [SVM_EXIT_VINTR] = on_vintr,      [SVM_EXIT_CPUID] = on_cpuid,
    [SVM_EXIT_IOIO] = on_ioio,        [SVM_EXIT_MSR] = on_msr,
    [SVM_EXIT_INVLPGA] = on_svm_insn, [SVM_EXIT_VMRUN] = on_svm_insn,
    [SVM_EXIT_VMMCALL] = on_svm_insn, [SVM_EXIT_VMLOAD] = on_svm_insn,
    [SVM_EXIT_VMSAVE] = on_svm_insn,  [SVM_EXIT_STGI] = on_svm_insn,
    [SVM_EXIT_CLGI] = on_svm_insn,    [SVM_EXIT_SKINIT] = on_svm_insn,
};

/* A simple exit's instruction completes: SVM's tables carry its length. */
static void skip_insn(void *vcpu, uint8_t insn_len)
{
  ((struct svm_vcpu *)vcpu)->vmcb->save.rip += insn_len;
}

/* Every exit that is not a simple one: a nested page fault, a handler, or VMEXIT_INVALID (bad
 * guest state) or an exit D0 never enabled, which fail the entry. */
static bool handle_exit(void *vcpu, uint64_t code, struct arch_exit *e)
{
  struct svm_vcpu *v = vcpu;
  if (code == SVM_EXIT_NPF)
    return on_npf(v, e);
  if (code < SVM_EXIT_TABLE_SIZE && exit_table[code] != NULL)
    return exit_table[code](v, e);
  e->reason = ARCH_EXIT_ENTRY_FAIL;
  e->value = code;
  return true;
}

int svm_vcpu_run(struct svm_vcpu *v, struct arch_exit *e)
{
  if (v->vmcb == NULL)
    return HV_E_ARCH;
  for (;;) {
    struct vmcb_control *c = &v->vmcb->ctl;
    /* Every vCPU of every VM uses ASID 1 (no flush-by-ASID under TCG): on each CPU, another
     * vCPU than the one that ran there last (of another VM, or another vCPU of the same VM
     * with its own guest page tables), or a nested table changed since this vCPU last ran,
     * flushes everything (TLB_CONTROL=1), so no translation of one survives into another. */
    static const struct svm_vcpu *last_vcpu[X86_MAX_CPUS];
    const struct svm_vcpu **last = &last_vcpu[x86_cpu_index()];
    c->tlb_control = *last != v || v->npt_gen_seen != v->vm->npt_gen ? SVM_TLB_FLUSH_ALL
                                                                      : SVM_TLB_NONE;
    v->npt_gen_seen = v->vm->npt_gen;
    *last = v;
    x86_spec_before_entry();
    svm_vmrun((uintptr_t)v->vmcb, &v->gprs, svm_host_vmsave_pa());
    x86_spec_after_exit();
    v->exits++;
    c->eventinj = 0;
    /* An event whose delivery the exit interrupted is delivered again at the next entry
     * (15.7.2): EXITINTINFO has the EVENTINJ layout. */
    if (c->exitintinfo & SVM_EVTINJ_VALID)
      c->eventinj = c->exitintinfo;

    memset(e, 0, sizeof(*e));
    e->rip = v->vmcb->save.rip;
    e->rflags = v->vmcb->save.rflags;
    uint64_t code = c->exitcode;
    bool deliver = x86_dispatch_exit(simple_exits, SVM_EXIT_TABLE_SIZE, code, v, skip_insn,
                                     handle_exit, e);
    if (deliver)
      return HV_OK;
  }
}

void svm_vcpu_complete(struct svm_vcpu *v, const struct arch_exit *e, uint64_t read_value)
{
  struct x86_regfile rf = regs(v);
  x86_complete_read(&rf, e, &v->mmio, read_value);
  v->vmcb->save.rip = v->next_rip;
}

/* #GP(0) at the next entry, RIP unchanged: the instruction faults (e.g. a WRMSR with reserved
 * bits, arch/x86/spec.h). */
void svm_vcpu_inject_gp(struct svm_vcpu *v)
{
  v->vmcb->ctl.eventinj = GP_VECTOR | SVM_EVTINJ_TYPE_EXCEPTION | SVM_EVTINJ_EV | SVM_EVTINJ_VALID;
}

void svm_vcpu_complete_cpuid(struct svm_vcpu *v, const struct arch_exit *e,
                              const struct arch_cpuid_result *r)
{
  struct x86_regfile rf = regs(v);
  x86_complete_cpuid(&rf, e, r, v->vmcb->save.cr4);
  v->vmcb->save.rip = v->next_rip;
}

/* ---- interrupt injection (15.20, 15.21) ------------------------------------------------------ */

bool svm_vcpu_can_inject(const struct svm_vcpu *v)
{
  const struct vmcb *m = v->vmcb;
  return (m->save.rflags & RFLAGS_IF) && !(m->ctl.int_state & SVM_INT_SHADOW) &&
         !(m->ctl.eventinj & SVM_EVTINJ_VALID);
}

void svm_vcpu_inject(struct svm_vcpu *v, uint8_t vector)
{
  v->vmcb->ctl.eventinj = vector | SVM_EVTINJ_TYPE_INTR | SVM_EVTINJ_VALID;
}

/* A virtual interrupt the guest takes as soon as it can, intercepted (VINTR) before delivery:
 * the exit is the "window open" signal; the real vector then goes through EVENTINJ. */
void svm_vcpu_request_window(struct svm_vcpu *v)
{
  if (v->window_requested)
    return;
  v->window_requested = true;
  v->vmcb->ctl.vintr |= SVM_VINTR_V_IRQ | SVM_VINTR_IGN_TPR | (0xfull << SVM_VINTR_PRIO_SHIFT);
  v->vmcb->ctl.intercept_misc1 |= SVM_I1_VINTR;
}
