/*
 * The VMX vCPU: creation, the run loop, and the table that turns basic exit reasons (Intel SDM
 * vol. 3C, appendix C) into the core's uniform struct arch_exit; completing instructions, and
 * event injection through the VM-entry interruption-information field (27.6).
 *
 * RIP is advanced by the VM-exit instruction length (28.2.5) for instruction exits, and by the
 * decoded length for MMIO (an EPT violation has none). The VMX preemption timer (26.5.1) ends
 * each run after at most one slice, so the core regains the CPU to poll its device timers even
 * while a guest spins with interrupts off.
 *
 * What a Linux guest needs beyond the core's exits, handled here: MOV to CR0/CR4 touching a bit
 * D0 owns (CR-access exit, emulated against the read shadows), XSETBV (always exits on VMX;
 * executed for the guest after the SDM's checks), MONITOR (a no-op) and MWAIT (an HLT).
 */
#include "arch/x86/vmx/vmx.h"

#include "arch/x86/decode.h"
#include "arch/x86/pages.h"
#include "arch/x86/simple_exit.h"
#include "arch/x86/regfile.h"
#include "arch/x86/time.h"
#include "arch/x86/vmx/ept.h"
#include "arch/x86/vmx/host.h"
#include "arch/x86/vmx/vmcs.h"
#include "arch/x86/vmx/vmcs_setup.h"
#include "arch/x86/vmx/vmx_ops.h"
#include "arch/x86/spec.h"
#include "arch/x86/x86.h"
#include "d0/lib.h"
#include "hv/cpuid.h"
#include "hv/err.h"
#include "arch/boot_regs.h"

#define RFLAGS_IF (1ull << 9)
#define UD_VECTOR 6
#define GP_VECTOR 13
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR4_OSXSAVE (1ull << 18)
/* XCR0 components (Intel SDM vol. 1, 13.3): x87, SSE, AVX, the three AVX-512 parts, AMX. */
#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_AVX (1ull << 2)
#define XCR0_AVX512 (7ull << 5)
#define XCR0_AMX (3ull << 17)
#define SLICE_NS 1000000ull /* at most 1 ms in the guest between polls of the device timers */
/* 27.2.4: the IDT-vectoring information's type field; types 4-6 need an instruction length. */
#define INTR_TYPE_MASK (7u << 8)
#define INTR_TYPE_SOFT_FIRST (4u << 8)
#define INTR_INFO_NMI_UNBLOCK (1u << 12)

int vmx_vcpu_init(struct vmx_vcpu *vcpu, struct vmx_vm *avm, const struct boot_regs *regs)
{
  TRY(vmx_host_init());
  uint64_t *vmcs = x86_pages_alloc(1);
  if (vmcs == NULL)
    return HV_E_FULL;
  *vcpu = (struct vmx_vcpu){.vm = avm, .vmcs = vmcs};
  TRY(vmcs_setup(vcpu, regs));
  vcpu->gprs.r[6] = regs->rsi; /* RSI = boot_params */
  return HV_OK;
}

void vmx_vcpu_destroy(struct vmx_vcpu *vcpu)
{
  if (vcpu->vmcs != NULL)
    vmx_clear((uintptr_t)vcpu->vmcs);
  vcpu->vmcs = NULL;
}

/* ---- register access by x86 register number (regfile.h) --------------------------------- */

static uint64_t reg_read(void *vcpu, uint8_t n)
{
  struct vmx_vcpu *v = vcpu;
  return n == 4 ? vmx_read(VMCS_GUEST_RSP) : v->gprs.r[n & 15];
}

static void reg_write(void *vcpu, uint8_t n, uint64_t val)
{
  struct vmx_vcpu *v = vcpu;
  if (n == 4)
    vmx_write(VMCS_GUEST_RSP, val);
  else
    v->gprs.r[n & 15] = val;
}

static struct x86_regfile regs(struct vmx_vcpu *v) { return (struct x86_regfile){v, reg_read, reg_write}; }

static uint64_t next_rip(void) { return vmx_read(VMCS_GUEST_RIP) + vmx_read(VMCS_EXIT_INSN_LEN); }

/* Moves RIP past the emulated instruction; an STI/MOV-SS shadow ends with it (25.4.2). */
static void advance_to(uint64_t rip)
{
  vmx_write(VMCS_GUEST_RIP, rip);
  uint64_t blocking = vmx_read(VMCS_GUEST_INTERRUPTIBILITY);
  if (blocking & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
    vmx_write(VMCS_GUEST_INTERRUPTIBILITY,
              blocking & ~(uint64_t)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

static void advance(struct vmx_vcpu *v) { advance_to(v->next_rip); }

/* An exception for the guest at the next entry, RIP unchanged (the instruction faults). */
static void inject_exception(uint8_t vector, bool error_code)
{
  vmx_write(VMCS_ENTRY_INTR_INFO, vector | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID |
                                      (error_code ? INTR_INFO_DELIVER_ERROR : 0));
  if (error_code)
    vmx_write(VMCS_ENTRY_EXC_ERROR, 0);
}

/* ---- the exit table ------------------------------------------------------------------------ */

/* A handler fills *e and returns true when the core must see the exit; false to run again. */
typedef bool (*vmx_exit_fn)(struct vmx_vcpu *v, struct arch_exit *e);

static bool on_io(struct vmx_vcpu *v, struct arch_exit *e)
{
  uint64_t q = vmx_read(VMCS_EXIT_QUALIFICATION);
  struct x86_regfile rf = regs(v);
  x86_io_exit(&rf, e, (uint16_t)(q >> IOQ_PORT_SHIFT), (uint8_t)((q & IOQ_SIZE_MASK) + 1),
              q & IOQ_IN, q & (IOQ_STRING | IOQ_REP), q);
  v->next_rip = next_rip(); /* unused for a bad access */
  return true;
}

static bool on_cpuid(struct vmx_vcpu *v, struct arch_exit *e)
{
  struct x86_regfile rf = regs(v);
  e->reason = ARCH_EXIT_CPUID;
  e->value = x86_reg_pair(&rf, 0, 1);
  v->next_rip = next_rip();
  return true;
}

static bool on_msr(struct vmx_vcpu *v, struct arch_exit *e, uint8_t dir)
{
  struct x86_regfile rf = regs(v);
  e->reason = ARCH_EXIT_MSR;
  e->msr = (uint32_t)v->gprs.r[1];
  e->size = 8;
  e->dir = dir;
  if (dir == ARCH_DIR_WRITE)
    e->value = x86_reg_pair(&rf, 0, 2);
  v->next_rip = next_rip();
  return true;
}

static bool on_rdmsr(struct vmx_vcpu *v, struct arch_exit *e) { return on_msr(v, e, ARCH_DIR_READ); }
static bool on_wrmsr(struct vmx_vcpu *v, struct arch_exit *e) { return on_msr(v, e, ARCH_DIR_WRITE); }

/* The guest can take an interrupt now: drop the request, let the core inject. */
static bool on_intr_window(struct vmx_vcpu *v, struct arch_exit *e)
{
  vmx_write(VMCS_PROC_CTLS, vmx_read(VMCS_PROC_CTLS) & ~(uint64_t)PROC_INTR_WINDOW);
  v->window_requested = false;
  e->reason = ARCH_EXIT_INTR;
  return true;
}

/* The slice ended: the core polls its timers and may inject before the next entry. */
static bool on_preemption_timer(struct vmx_vcpu *v, struct arch_exit *e)
{
  v->timer_exits++;
  e->reason = ARCH_EXIT_INTR;
  return true;
}

/* VMX instructions inside the guest: the VM has no VMX (CPUID hides it), so they are #UD. */
static bool on_vmx_insn(struct vmx_vcpu *v, struct arch_exit *e)
{
  (void)v, (void)e;
  inject_exception(UD_VECTOR, false);
  return false;
}

static bool read_gpa(const void *vm, uint64_t gpa, void *dst, uint64_t len)
{
  return ept_read(vm, gpa, dst, len);
}

/*
 * A guest-physical access with no EPT leaf: a device window or nothing. VMX reports no
 * instruction length or operand for it (28.2.1), so the instruction is fetched through the
 * guest's page tables and decoded (arch/x86/decode.h). Only a data access by the instruction
 * itself is MMIO; a fetch, a guest page-table walk into unmapped space, or an instruction the
 * decoder refuses is a fault D0 cannot emulate, reported with the GPA and qualification.
 */
static bool on_ept_violation(struct vmx_vcpu *v, struct arch_exit *e)
{
  uint64_t q = vmx_read(VMCS_EXIT_QUALIFICATION), rip = vmx_read(VMCS_GUEST_RIP);
  e->reason = ARCH_EXIT_BAD_ACCESS;
  e->gpa = gpa_init(vmx_read(VMCS_GUEST_PHYS_ADDR));
  e->value = q;
  if (q & EPTQ_FETCH) {
    e->fault = ARCH_FAULT_FETCH;
    return true;
  }
  /* Bit 8 clear with a valid linear address: the access was a read of the guest's own paging
   * structures (28.2.1, table 28-7); without a linear address it was no access of an
   * instruction's either. Neither is MMIO. */
  if (!(q & EPTQ_LINEAR_VALID) || !(q & EPTQ_FINAL_ACCESS)) {
    e->fault = ARCH_FAULT_PAGE_WALK;
    return true;
  }
  struct x86_regfile rf = regs(v);
  x86_mmio_exit(&rf, read_gpa, v->vm, vmx_read(VMCS_GUEST_CR3), rip, &v->mmio, e, &v->next_rip);
  return true;
}

/* An EPT entry D0 wrote is malformed: D0's bug, never the guest's; the VM stops. */
static bool on_ept_misconfig(struct vmx_vcpu *v, struct arch_exit *e)
{
  (void)v;
  e->reason = ARCH_EXIT_BAD_ACCESS;
  e->fault = ARCH_FAULT_NESTED_TABLE;
  e->gpa = gpa_init(vmx_read(VMCS_GUEST_PHYS_ADDR));
  e->value = EXIT_EPT_MISCONFIG;
  return true;
}

/*
 * CR0/CR4 as the guest sees them: D0 owns the bits in the guest/host mask (the VMX fixed bits,
 * vmcs_setup.c); the guest reads those from the read shadow and every other bit from the real
 * register (25.6.6).
 */
static uint64_t guest_cr(uint32_t real, uint32_t mask, uint32_t shadow)
{
  uint64_t m = vmx_read(mask);
  return (vmx_read(real) & ~m) | (vmx_read(shadow) & m);
}

/* MOV to CR0 (or CLTS / LMSW) with the guest's new value: the checks of the MOV CR
 * instruction for what the guest may set (SDM vol. 2B), then the real register gets the value
 * with D0's fixed bits forced, the shadow gets it as written. false: #GP. */
static bool write_cr0(const struct vmx_vcpu *v, uint64_t val)
{
  uint64_t fixed0 = vmx_cr0_fixed0(v), fixed1 = x86_rdmsr(MSR_VMX_CR0_FIXED1);
  /* Bits 63:32 are reserved; NW without CD is invalid; PG needs PE; a guest in long mode keeps
   * PG (without unrestricted guest the fixed bits force PE and PG anyway). */
  if ((val >> 32) != 0 || ((val & CR0_NW) && !(val & CR0_CD)) ||
      ((val & ~fixed1) & 0xffffffffull) != 0 || ((val & CR0_PG) && !(val & CR0_PE)) ||
      ((vmx_read(VMCS_GUEST_EFER) & EFER_LMA) && !(val & CR0_PG)))
    return false;
  vmx_write(VMCS_GUEST_CR0, (val | fixed0) & fixed1);
  vmx_write(VMCS_CR0_SHADOW, val);
  return true;
}

static bool write_cr4(uint64_t val)
{
  uint64_t fixed0 = x86_rdmsr(MSR_VMX_CR4_FIXED0), fixed1 = x86_rdmsr(MSR_VMX_CR4_FIXED1);
  /* The guest has no VMX (CPUID hides it): CR4.VMXE is reserved for it. Bits the CPU cannot
   * set are reserved too; long mode cannot drop PAE. */
  if ((val & CR4_VMXE) || (val & ~fixed1) != 0 ||
      ((vmx_read(VMCS_GUEST_EFER) & EFER_LMA) && !(val & CR4_PAE)))
    return false;
  vmx_write(VMCS_GUEST_CR4, (val | fixed0) & fixed1);
  vmx_write(VMCS_CR4_SHADOW, val);
  return true;
}

/* A CR write that changes a bit D0 owns (no CR3/CR8 exiting is enabled, so only writes to
 * CR0/CR4, CLTS and LMSW exit; 28.1.3). Emulated in place; #GP when the value is invalid. */
static bool on_cr_access(struct vmx_vcpu *v, struct arch_exit *e)
{
  uint64_t q = vmx_read(VMCS_EXIT_QUALIFICATION);
  uint32_t cr = q & CRQ_CR_MASK, type = (q >> CRQ_TYPE_SHIFT) & CRQ_TYPE_MASK;
  uint64_t cr0 = guest_cr(VMCS_GUEST_CR0, VMCS_CR0_MASK, VMCS_CR0_SHADOW);
  bool ok;
  if (type == CRQ_TYPE_MOV_TO && cr == 0)
    ok = write_cr0(v, reg_read(v, (uint8_t)((q >> CRQ_REG_SHIFT) & 15)));
  else if (type == CRQ_TYPE_MOV_TO && cr == 4)
    ok = write_cr4(reg_read(v, (uint8_t)((q >> CRQ_REG_SHIFT) & 15)));
  else if (type == CRQ_TYPE_CLTS)
    ok = write_cr0(v, cr0 & ~CR0_TS);
  else if (type == CRQ_TYPE_LMSW) /* low 4 bits of CR0; LMSW can set PE but never clear it */
    ok = write_cr0(v, (cr0 & ~(CR0_MP | CR0_EM | CR0_TS)) | ((q >> CRQ_LMSW_SHIFT) & 0xf));
  else {
    e->reason = ARCH_EXIT_BAD_ACCESS; /* an exit D0 never enabled (CR3/CR8 or a read) */
    e->fault = ARCH_FAULT_EXIT;
    e->value = q;
    return true;
  }
  if (ok)
    advance_to(next_rip());
  else
    inject_exception(GP_VECTOR, true);
  return false;
}

static inline void host_xsetbv(uint32_t index, uint64_t value)
{
  __asm__ volatile("xsetbv" : : "c"(index), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
                   : "memory");
}

static inline void host_write_cr4(uint64_t v) { __asm__ volatile("mov %0, %%cr4" : : "r"(v)); }

/*
 * XSETBV always exits on VMX (SVM lets the guest run it). The checks are the instruction's own
 * #GP conditions (SDM vol. 2C, XSETBV), against the components CPUID.(0DH,0) reports, so the
 * host's XSETBV below cannot fault. D0 itself never uses extended state (-mno-sse), so XCR0
 * is the guest's, as under SVM. CR4.OSXSAVE is the guest's (its XSETBV faulted with #UD
 * before any exit otherwise); the host's is set just around the instruction.
 */
static bool on_xsetbv(struct vmx_vcpu *v, struct arch_exit *e)
{
  (void)e;
  uint32_t index = (uint32_t)v->gprs.r[1];
  uint64_t val = (v->gprs.r[0] & 0xffffffffull) | ((v->gprs.r[2] & 0xffffffffull) << 32);
  struct x86_cpuid r;
  x86_cpuid(0xd, 0, &r);
  /* What the CPU has and the guest was shown (hv/cpuid.h): a hidden component is a #GP. */
  uint64_t supported = (r.eax | ((uint64_t)r.edx << 32)) & CPUID_XCR0_ALLOW;
  uint64_t avx512 = val & XCR0_AVX512, amx = val & XCR0_AMX;
  if (index != 0 || (val & ~supported) || !(val & XCR0_X87) ||
      ((val & XCR0_AVX) && !(val & XCR0_SSE)) ||
      (avx512 && (avx512 != XCR0_AVX512 || !(val & XCR0_AVX))) ||
      (amx != 0 && amx != XCR0_AMX)) {
    inject_exception(GP_VECTOR, true);
    return false;
  }
  uint64_t cr4 = x86_read_cr4();
  host_write_cr4(cr4 | CR4_OSXSAVE);
  host_xsetbv(0, val);
  host_write_cr4(cr4);
  advance_to(next_rip());
  return false;
}

/* A host interrupt or NMI arrived while the guest ran (host IF is clear: it stays pending; the
 * exception bitmap is 0, so only NMIs exit as exceptions). A triple fault, or an INIT (it resets
 * the vCPU: for a micro-VM that is the end), stops the guest. HLT completes now (ending the STI
 * shadow of Linux's "sti; hlt"); the core waits for an interrupt. MWAIT is the same wait for D0:
 * it may end at any interrupt anyway. MONITOR arms an address for MWAIT; with MWAIT turned into
 * HLT there is nothing to arm. */
static const struct x86_simple_exit simple_exits[EXIT_REASON_COUNT] = {
    [EXIT_EXCEPTION_NMI] = X86_SIMPLE_EXIT(ARCH_EXIT_INTR, 0),
    [EXIT_EXTERNAL_INT] = X86_SIMPLE_EXIT(ARCH_EXIT_INTR, 0),
    [EXIT_TRIPLE_FAULT] = X86_SIMPLE_EXIT(ARCH_EXIT_SHUTDOWN, 0),
    [EXIT_INIT] = X86_SIMPLE_EXIT(ARCH_EXIT_SHUTDOWN, 0),
    [EXIT_HLT] = X86_SIMPLE_EXIT(ARCH_EXIT_HLT, 1),
    [EXIT_MWAIT] = X86_SIMPLE_EXIT(ARCH_EXIT_HLT, 1),
    [EXIT_MONITOR] = X86_SIMPLE_EXIT(ARCH_EXIT_NONE, 1),
};

static const vmx_exit_fn exit_table[EXIT_REASON_COUNT] = {
    [EXIT_INTR_WINDOW] = on_intr_window,
    [EXIT_CPUID] = on_cpuid,
    [EXIT_GETSEC] = on_vmx_insn,
    [EXIT_XSETBV] = on_xsetbv,
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

/* A simple exit's instruction completes: the VMCS holds its length. */
static void skip_insn(void *vcpu, uint8_t insn_len)
{
  (void)vcpu;
  (void)insn_len;
  advance_to(next_rip());
}

/* Every exit that is not a simple one: a handler, or an exit D0 never enabled or does not
 * emulate, which stops the VM (the whole exit reason is its value). */
static bool handle_exit(void *vcpu, uint64_t basic, struct arch_exit *e)
{
  if (basic < EXIT_REASON_COUNT && exit_table[basic] != NULL)
    return exit_table[basic]((struct vmx_vcpu *)vcpu, e);
  e->reason = ARCH_EXIT_BAD_ACCESS;
  e->fault = ARCH_FAULT_EXIT;
  e->value = (uint32_t)vmx_read(VMCS_EXIT_REASON);
  return true;
}

/*
 * An unrestricted guest enters long mode by itself (EFER.LME, then CR0.PG: the CPU sets
 * EFER.LMA without an exit), and the "IA-32e mode guest" entry control must equal the saved
 * EFER.LMA at the next entry (26.3.1.1 with "load IA32_EFER"). The CPU stores LMA there at an
 * exit (27.3.1); this keeps them equal whatever an emulator does.
 */
static bool sync_ia32e_entry(void)
{
  uint64_t entry = vmx_read(VMCS_ENTRY_CTLS);
  bool lma = (vmx_read(VMCS_GUEST_EFER) & EFER_LMA) != 0;
  if (lma == ((entry & ENTRY_IA32E_GUEST) != 0))
    return true;
  return vmx_write(VMCS_ENTRY_CTLS, entry ^ ENTRY_IA32E_GUEST);
}

int vmx_vcpu_run(struct vmx_vcpu *v, struct arch_exit *e)
{
  if (v->vmcs == NULL || !vmcs_load(v))
    return HV_E_ARCH;
  for (;;) {
    if (!ept_flush(v->vm, vmx_host()->caps.ept) || !vmx_write(VMCS_PREEMPTION_TIMER, slice_ticks()))
      return HV_E_ARCH;
    if (v->unrestricted && !sync_ia32e_entry())
      return HV_E_ARCH;
    memset(e, 0, sizeof(*e));
    x86_spec_before_entry();
    int failed = vmx_enter(&v->gprs, v->launched);
    x86_spec_after_exit();
    if (failed != 0) {
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
    e->rflags = vmx_read(VMCS_GUEST_RFLAGS);
    if (reason & EXIT_REASON_ENTRY_FAIL) {
      /* Invalid guest state or MSR loading (27.8): the basic reason says which. */
      e->reason = ARCH_EXIT_ENTRY_FAIL;
      e->value = reason;
      return HV_OK;
    }
    reinject_interrupted_event();
    uint32_t basic = reason & EXIT_REASON_BASIC_MASK;
    /* The host tick (or another host interrupt) ended the run: without "acknowledge interrupt
     * on exit" it is still pending at the local APIC / 8259, so take it now, or the next entry
     * would exit again at once. */
    if (basic == EXIT_EXTERNAL_INT)
      x86_take_pending_irq();
    bool deliver = x86_dispatch_exit(simple_exits, EXIT_REASON_COUNT, basic, v, skip_insn,
                                     handle_exit, e);
    if (deliver)
      return HV_OK;
  }
}

void vmx_vcpu_complete(struct vmx_vcpu *v, const struct arch_exit *e, uint64_t read_value)
{
  if (!vmcs_load(v))
    return;
  struct x86_regfile rf = regs(v);
  x86_complete_read(&rf, e, &v->mmio, read_value);
  advance(v);
}

/* #GP(0) at the next entry, RIP unchanged (arch/x86/spec.h: a WRMSR with reserved bits). */
void vmx_vcpu_inject_gp(struct vmx_vcpu *v)
{
  if (vmcs_load(v))
    inject_exception(GP_VECTOR, true);
}

void vmx_vcpu_complete_cpuid(struct vmx_vcpu *v, const struct arch_exit *e,
                              const struct arch_cpuid_result *r)
{
  if (!vmcs_load(v))
    return;
  struct x86_regfile rf = regs(v);
  /* OSXSAVE/PKE are not among the CR4 bits D0 owns (vmcs_setup.c): the real CR4 is the guest's. */
  x86_complete_cpuid(&rf, e, r, vmx_read(VMCS_GUEST_CR4));
  advance(v);
}

/* ---- interrupt injection (27.6, 25.6.2 interrupt-window exiting) ----------------------------- */

bool vmx_vcpu_can_inject(const struct vmx_vcpu *v)
{
  if (!vmcs_load((struct vmx_vcpu *)v))
    return false;
  return (vmx_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
         !(vmx_read(VMCS_GUEST_INTERRUPTIBILITY) &
           (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)) &&
         !(vmx_read(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID);
}

void vmx_vcpu_inject(struct vmx_vcpu *v, uint8_t vector)
{
  if (vmcs_load(v))
    vmx_write(VMCS_ENTRY_INTR_INFO, vector | INTR_TYPE_EXT_INT | INTR_INFO_VALID);
}

/* Interrupt-window exiting: the CPU exits as soon as the guest can take an interrupt. */
void vmx_vcpu_request_window(struct vmx_vcpu *v)
{
  if (v->window_requested || !vmcs_load(v))
    return;
  v->window_requested = true;
  vmx_write(VMCS_PROC_CTLS, vmx_read(VMCS_PROC_CTLS) | PROC_INTR_WINDOW);
}
