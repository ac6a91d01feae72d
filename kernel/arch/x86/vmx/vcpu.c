/*
 * The VMX vCPU: creation, the run loop, and the table that turns basic exit reasons (Intel SDM
 * vol. 3C, appendix C) into the core's uniform struct arch_exit; completing instructions, and
 * event injection through the VM-entry interruption-information field (27.6).
 *
 * RIP is advanced by the VM-exit instruction length (28.2.5), valid for every instruction exit
 * handled here. The VMX preemption timer (26.5.1) ends each run after at most one slice, so the
 * core regains the CPU to poll its device timers even while a guest spins with interrupts off.
 */
#include "arch/arch.h"

#include "arch/x86/pages.h"
#include "arch/x86/time.h"
#include "arch/x86/vmx/ept.h"
#include "arch/x86/vmx/host.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmcs_setup.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "arch/x86/x86.h"
#include "d0/lib.h"
#include "hv/err.h"
#include "hv/linux_boot.h"

#define RFLAGS_IF (1ull << 9)
#define UD_VECTOR 6
#define SLICE_NS 1000000ull /* at most 1 ms in the guest between polls of the device timers */
/* 27.2.4: the IDT-vectoring information's type field; types 4-6 need an instruction length. */
#define INTR_TYPE_MASK (7u << 8)
#define INTR_TYPE_SOFT_FIRST (4u << 8)
#define INTR_INFO_NMI_UNBLOCK (1u << 12)

int arch_vcpu_init(struct arch_vcpu *vcpu, struct arch_vm *avm, uint32_t index,
                   const struct boot_regs *regs)
{
  if (index != 0 || regs == NULL)
    return HV_E_INVAL; /* one vCPU per VM (kernel/hv/README.md) */
  TRY(vmx_host_init());
  memset(vcpu, 0, sizeof(*vcpu));
  vcpu->vm = avm;
  vcpu->vmcs = x86_pages_alloc(1);
  if (vcpu->vmcs == NULL)
    return HV_E_FULL;
  TRY(vmcs_setup(vcpu, regs));
  vcpu->gprs.r[6] = regs->rsi; /* RSI = boot_params */
  return HV_OK;
}

void arch_vcpu_destroy(struct arch_vcpu *vcpu)
{
  if (vcpu->vmcs != NULL)
    vmx_clear((uintptr_t)vcpu->vmcs);
  vcpu->vmcs = NULL;
}

/* ---- register access by x86 register number ------------------------------------------------ */

static uint64_t reg_read(struct arch_vcpu *v, uint8_t n)
{
  return n == 4 ? vmx_read(VMCS_GUEST_RSP) : v->gprs.r[n & 15];
}

static void reg_write(struct arch_vcpu *v, uint8_t n, uint64_t val)
{
  if (n == 4)
    vmx_write(VMCS_GUEST_RSP, val);
  else
    v->gprs.r[n & 15] = val;
}

/* Writes `size` bytes into register n as x86 does: 32-bit writes zero-extend, 8/16 keep the rest. */
static void reg_write_sized(struct arch_vcpu *v, uint8_t n, uint8_t size, uint64_t val)
{
  uint64_t old = reg_read(v, n);
  switch (size) {
  case 1: reg_write(v, n, (old & ~0xffull) | (val & 0xff)); break;
  case 2: reg_write(v, n, (old & ~0xffffull) | (val & 0xffff)); break;
  case 4: reg_write(v, n, val & 0xffffffffull); break;
  default: reg_write(v, n, val); break;
  }
}

static uint64_t next_rip(void) { return vmx_read(VMCS_GUEST_RIP) + vmx_read(VMCS_EXIT_INSN_LEN); }

/* ---- the exit table ------------------------------------------------------------------------ */

/* A handler fills *e and returns true when the core must see the exit; false to run again. */
typedef bool (*vmx_exit_fn)(struct arch_vcpu *v, struct arch_exit *e);

static bool on_io(struct arch_vcpu *v, struct arch_exit *e)
{
  uint64_t q = vmx_read(VMCS_EXIT_QUALIFICATION);
  if (q & (IOQ_STRING | IOQ_REP)) {
    e->reason = ARCH_EXIT_BAD_ACCESS; /* INS/OUTS: no device of D0 needs string I/O */
    e->value = q;
    return true;
  }
  e->reason = ARCH_EXIT_IO;
  e->port = (uint16_t)(q >> IOQ_PORT_SHIFT);
  e->size = (uint8_t)((q & IOQ_SIZE_MASK) + 1); /* 1, 2 or 4 */
  e->dir = (q & IOQ_IN) ? ARCH_DIR_READ : ARCH_DIR_WRITE;
  if (e->dir == ARCH_DIR_WRITE)
    e->value = v->gprs.r[0] & ((1ull << (8 * e->size)) - 1);
  v->next_rip = next_rip();
  return true;
}

static bool on_cpuid(struct arch_vcpu *v, struct arch_exit *e)
{
  e->reason = ARCH_EXIT_CPUID;
  e->value = (v->gprs.r[0] & 0xffffffffull) | (v->gprs.r[1] << 32);
  v->next_rip = next_rip();
  return true;
}

static bool on_msr(struct arch_vcpu *v, struct arch_exit *e, uint8_t dir)
{
  e->reason = ARCH_EXIT_MSR;
  e->msr = (uint32_t)v->gprs.r[1];
  e->size = 8;
  e->dir = dir;
  if (dir == ARCH_DIR_WRITE)
    e->value = (v->gprs.r[0] & 0xffffffffull) | (v->gprs.r[2] << 32);
  v->next_rip = next_rip();
  return true;
}

static bool on_rdmsr(struct arch_vcpu *v, struct arch_exit *e) { return on_msr(v, e, ARCH_DIR_READ); }
static bool on_wrmsr(struct arch_vcpu *v, struct arch_exit *e) { return on_msr(v, e, ARCH_DIR_WRITE); }

static bool on_hlt(struct arch_vcpu *v, struct arch_exit *e)
{
  (void)v;
  vmx_write(VMCS_GUEST_RIP, next_rip()); /* HLT completes now; the core waits for an interrupt */
  e->reason = ARCH_EXIT_HLT;
  return true;
}

static bool on_triple_fault(struct arch_vcpu *v, struct arch_exit *e)
{
  (void)v;
  e->reason = ARCH_EXIT_SHUTDOWN;
  return true;
}

/* The guest can take an interrupt now: drop the request, let the core inject. */
static bool on_intr_window(struct arch_vcpu *v, struct arch_exit *e)
{
  vmx_write(VMCS_PROC_CTLS, vmx_read(VMCS_PROC_CTLS) & ~(uint64_t)PROC_INTR_WINDOW);
  v->window_requested = false;
  e->reason = ARCH_EXIT_INTR;
  return true;
}

/* A host interrupt or NMI arrived while the guest ran (host IF is clear: it stays pending). */
static bool on_host_event(struct arch_vcpu *v, struct arch_exit *e)
{
  (void)v;
  e->reason = ARCH_EXIT_INTR;
  return true;
}

/* The slice ended: the core polls its timers and may inject before the next entry. */
static bool on_preemption_timer(struct arch_vcpu *v, struct arch_exit *e)
{
  v->timer_exits++;
  e->reason = ARCH_EXIT_INTR;
  return true;
}

/* VMX instructions inside the guest: the VM has no VMX (CPUID hides it), so they are #UD. */
static bool on_vmx_insn(struct arch_vcpu *v, struct arch_exit *e)
{
  (void)v, (void)e;
  vmx_write(VMCS_ENTRY_INTR_INFO, UD_VECTOR | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID);
  return false;
}

/*
 * A guest-physical access with no EPT leaf: a device window or nothing. VMX reports no
 * instruction length or operand for it (28.2.1), so completing it needs the guest instruction
 * decoded; until the MMIO decoder is shared between the backends (arch/x86/svm/decode.c today)
 * this is reported as a fault the backend cannot emulate, with the GPA and qualification.
 */
static bool on_ept_violation(struct arch_vcpu *v, struct arch_exit *e)
{
  (void)v;
  e->reason = ARCH_EXIT_BAD_ACCESS;
  e->gpa = gpa_init(vmx_read(VMCS_GUEST_PHYS_ADDR));
  e->value = vmx_read(VMCS_EXIT_QUALIFICATION);
  return true;
}

/* An EPT entry D0 wrote is malformed: D0's bug, never the guest's; the VM stops. */
static bool on_ept_misconfig(struct arch_vcpu *v, struct arch_exit *e)
{
  (void)v;
  e->reason = ARCH_EXIT_BAD_ACCESS;
  e->gpa = gpa_init(vmx_read(VMCS_GUEST_PHYS_ADDR));
  e->value = EXIT_EPT_MISCONFIG;
  return true;
}

/* MOV to CR0/CR4 that would change a bit D0 owns (VMX fixed bits): not emulated; VM stops. */
static bool on_cr_access(struct arch_vcpu *v, struct arch_exit *e)
{
  (void)v;
  e->reason = ARCH_EXIT_BAD_ACCESS;
  e->value = vmx_read(VMCS_EXIT_QUALIFICATION);
  return true;
}

static const vmx_exit_fn exit_table[EXIT_REASON_COUNT] = {
    [EXIT_EXCEPTION_NMI] = on_host_event, /* exception bitmap is 0: only NMIs exit */
    [EXIT_EXTERNAL_INT] = on_host_event,
    [EXIT_TRIPLE_FAULT] = on_triple_fault,
    [EXIT_INIT] = on_triple_fault, /* an INIT resets the vCPU: for a micro-VM that is the end */
    [EXIT_INTR_WINDOW] = on_intr_window,
    [EXIT_CPUID] = on_cpuid,
    [EXIT_GETSEC] = on_vmx_insn,
    [EXIT_HLT] = on_hlt,
    [EXIT_VMCALL] = on_vmx_insn,
    [EXIT_VMCLEAR] = on_vmx_insn,
    [EXIT_VMLAUNCH] = on_vmx_insn,
    [EXIT_VMPTRLD] = on_vmx_insn,
    [EXIT_VMPTRST] = on_vmx_insn,
    [EXIT_VMREAD] = on_vmx_insn,
    [EXIT_VMRESUME] = on_vmx_insn,
    [EXIT_VMWRITE] = on_vmx_insn,
    [EXIT_VMXOFF] = on_vmx_insn,
    [EXIT_VMXON] = on_vmx_insn,
    [EXIT_CR_ACCESS] = on_cr_access,
    [EXIT_IO] = on_io,
    [EXIT_RDMSR] = on_rdmsr,
    [EXIT_WRMSR] = on_wrmsr,
    [EXIT_EPT_VIOLATION] = on_ept_violation,
    [EXIT_EPT_MISCONFIG] = on_ept_misconfig,
    [EXIT_INVEPT] = on_vmx_insn,
    [EXIT_PREEMPTION_TIMER] = on_preemption_timer,
    [EXIT_INVVPID] = on_vmx_insn,
};

/* 27.2.4 / 28.3: an event whose delivery the exit interrupted is delivered again at the next
 * entry, with its error code and (software events) instruction length. */
static void reinject_interrupted_event(void)
{
  uint32_t idt = (uint32_t)vmx_read(VMCS_IDT_VECTORING_INFO);
  if (!(idt & INTR_INFO_VALID))
    return;
  vmx_write(VMCS_ENTRY_INTR_INFO, idt & ~INTR_INFO_NMI_UNBLOCK);
  if (idt & INTR_INFO_DELIVER_ERROR)
    vmx_write(VMCS_ENTRY_EXC_ERROR, vmx_read(VMCS_IDT_VECTORING_ERROR));
  if ((idt & INTR_TYPE_MASK) >= INTR_TYPE_SOFT_FIRST)
    vmx_write(VMCS_ENTRY_INSN_LEN, vmx_read(VMCS_EXIT_INSN_LEN));
}

static uint64_t slice_ticks(void)
{
  uint64_t ticks = x86_tsc_hz() / (1000000000ull / SLICE_NS) >> vmx_host()->caps.timer_shift;
  return ticks == 0 ? 1 : ticks > 0xffffffffull ? 0xffffffffull : ticks;
}

int arch_vcpu_run(struct arch_vcpu *v, struct arch_exit *e)
{
  if (v->vmcs == NULL || !vmcs_load(v))
    return HV_E_ARCH;
  for (;;) {
    if (!ept_flush(v->vm, vmx_host()->caps.ept) || !vmx_write(VMCS_PREEMPTION_TIMER, slice_ticks()))
      return HV_E_ARCH;
    memset(e, 0, sizeof(*e));
    if (vmx_enter(&v->gprs, v->launched) != 0) {
      /* VMfailValid: the VMCS holds a value the CPU refuses (VM-instruction error, 31.4). */
      e->reason = ARCH_EXIT_ENTRY_FAIL;
      e->value = vmx_read(VMCS_INSN_ERROR);
      e->rip = vmx_read(VMCS_GUEST_RIP);
      return HV_OK;
    }
    v->launched = true;
    v->exits++;
    uint32_t reason = (uint32_t)vmx_read(VMCS_EXIT_REASON);
    e->rip = vmx_read(VMCS_GUEST_RIP);
    if (reason & EXIT_REASON_ENTRY_FAIL) {
      /* Invalid guest state or MSR loading (27.8): the basic reason says which. */
      e->reason = ARCH_EXIT_ENTRY_FAIL;
      e->value = reason;
      return HV_OK;
    }
    reinject_interrupted_event();
    uint32_t basic = reason & EXIT_REASON_BASIC_MASK;
    bool deliver;
    if (basic < EXIT_REASON_COUNT && exit_table[basic] != NULL) {
      deliver = exit_table[basic](v, e);
    } else {
      /* An exit D0 never enabled, or one it does not emulate (e.g. XSETBV): the VM stops. */
      e->reason = ARCH_EXIT_BAD_ACCESS;
      e->value = reason;
      deliver = true;
    }
    if (deliver)
      return HV_OK;
  }
}

/* Moves RIP past the emulated instruction; an STI/MOV-SS shadow ends with it (25.4.2). */
static void advance(struct arch_vcpu *v)
{
  vmx_write(VMCS_GUEST_RIP, v->next_rip);
  uint64_t blocking = vmx_read(VMCS_GUEST_INTERRUPTIBILITY);
  if (blocking & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
    vmx_write(VMCS_GUEST_INTERRUPTIBILITY,
              blocking & ~(uint64_t)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

void arch_vcpu_complete(struct arch_vcpu *v, const struct arch_exit *e, uint64_t read_value)
{
  if (!vmcs_load(v))
    return;
  if (e->reason == ARCH_EXIT_IO && e->dir == ARCH_DIR_READ) {
    reg_write_sized(v, 0, e->size, read_value); /* IN: AL/AX/EAX */
  } else if (e->reason == ARCH_EXIT_MSR && e->dir == ARCH_DIR_READ) {
    v->gprs.r[0] = read_value & 0xffffffffull;
    v->gprs.r[2] = read_value >> 32;
  }
  advance(v);
}

void arch_vcpu_complete_cpuid(struct arch_vcpu *v, const struct arch_exit *e,
                              const struct arch_cpuid_result *r)
{
  (void)e;
  if (!vmcs_load(v))
    return;
  v->gprs.r[0] = r->eax;
  v->gprs.r[3] = r->ebx;
  v->gprs.r[1] = r->ecx;
  v->gprs.r[2] = r->edx;
  advance(v);
}

void arch_host_cpuid(uint32_t leaf, uint32_t subleaf, struct arch_cpuid_result *out)
{
  struct x86_cpuid r;
  x86_cpuid(leaf, subleaf, &r);
  *out = (struct arch_cpuid_result){r.eax, r.ebx, r.ecx, r.edx};
}

/* ---- interrupt injection (27.6, 25.6.2 interrupt-window exiting) ----------------------------- */

bool arch_vcpu_can_inject(const struct arch_vcpu *v)
{
  if (!vmcs_load((struct arch_vcpu *)v))
    return false;
  return (vmx_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
         !(vmx_read(VMCS_GUEST_INTERRUPTIBILITY) &
           (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)) &&
         !(vmx_read(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID);
}

void arch_vcpu_inject(struct arch_vcpu *v, uint8_t vector)
{
  if (vmcs_load(v))
    vmx_write(VMCS_ENTRY_INTR_INFO, vector | INTR_TYPE_EXT_INT | INTR_INFO_VALID);
}

/* Interrupt-window exiting: the CPU exits as soon as the guest can take an interrupt. */
void arch_vcpu_request_window(struct arch_vcpu *v)
{
  if (v->window_requested || !vmcs_load(v))
    return;
  v->window_requested = true;
  vmx_write(VMCS_PROC_CTLS, vmx_read(VMCS_PROC_CTLS) | PROC_INTR_WINDOW);
}

/* D0's VMs always have a platform (kernel/dev/platform) that owns their interrupt lines; the
 * backend has no interrupt controller of its own. */
void arch_irq_set_level(struct arch_vm *avm, uint32_t gsi, bool level)
{
  (void)avm, (void)gsi, (void)level;
}
