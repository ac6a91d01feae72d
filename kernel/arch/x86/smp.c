#include "arch/x86/smp.h"

#include "arch/arch.h"
#include "arch/x86/desc.h"
#include "arch/x86/host_tick.h"
#include "arch/x86/lapic.h"
#include "arch/x86/paging.h"
#include "arch/x86/smp_tramp.h"
#include "arch/x86/svm/host.h"
#include "arch/x86/svm/svm_cpu.h"
#include "arch/x86/vmx/host.h"
#include "arch/x86/vmx/vmx_cpu.h"
#include "arch/x86/x86.h"
#include "d0/lib.h"
#include "hv/err.h"
#include "log/log.h"

#define NS_PER_MS 1000000ull
#define AP_STACK_BYTES 16384
#define ICR_TIMEOUT_NS (10 * NS_PER_MS)
#define INIT_DELAY_NS (10 * NS_PER_MS) /* SDM 8.4.4.1: INIT, 10 ms, SIPI, 200 us, SIPI */
#define SIPI_DELAY_NS 200000ull
#define EFER_SVME (1ull << 12)

extern const uint8_t x86_smp_tramp_start[], x86_smp_tramp32[], x86_smp_tramp64[],
    x86_smp_tramp_end[];

/* What the trampoline's 64-bit code reads (smp_tramp.h HANDOFF_*); one AP starts at a time. */
struct smp_handoff {
  uint64_t stack, entry, arg;
};
static volatile struct smp_handoff handoff;

/* Per CPU (index 0 is the BSP, whose stack is the firmware's and whose backend pages come from
 * the backend's own init): a stack, and the page the backend needs per CPU (SVM: the host save
 * area of VM_HSAVE_PA; VMX: the VMXON region), zero until the CPU uses it. */
static uint8_t ap_stacks[X86_MAX_CPUS][AP_STACK_BYTES] __attribute__((aligned(16)));
static uint8_t virt_pages[X86_MAX_CPUS][4096] __attribute__((aligned(4096)));

/* Written by the AP, polled by the BSP. */
enum { AP_WAITING, AP_ARRIVED, AP_UP, AP_FAILED };
static volatile uint32_t ap_state[X86_MAX_CPUS];
static enum x86_backend smp_backend;

/* The CPUs that came up with their backend on, in slot order (the BSP first), and their APIC
 * ids: written by the BSP during x86_smp_start only. */
static uint32_t up_slots[X86_MAX_CPUS], up_apic_ids[X86_MAX_CPUS], up_count;

/* Each AP's mailbox (x86_smp_give): written once by the BSP, polled by the AP after it came
 * up. `released` with no fn: park. */
static struct {
  void (*fn)(void *);
  void *arg;
  volatile uint32_t released;
} work[X86_MAX_CPUS];

static void log_failed(uint32_t apic_id, const char *reason)
{
  log_begin("cpu_failed");
  log_u64("apic_id", apic_id);
  log_str("reason", reason);
  log_end();
}

static void log_up(uint32_t apic_id, uint32_t cpu)
{
  log_begin("cpu_up");
  log_u64("apic_id", apic_id);
  log_u64("cpu", cpu);
  log_str("backend", x86_backend_name(smp_backend));
  log_end();
}

/* On an AP: the backend's own checks and enable function, with this CPU's own page. */
static const char *ap_backend_on(uint32_t cpu)
{
  if (smp_backend == X86_BACKEND_SVM) {
    bool nrip;
    const char *why = svm_check_features(&nrip);
    if (why != NULL)
      return why;
    svm_enable((uint64_t)(uintptr_t)virt_pages[cpu]);
    return (x86_rdmsr(MSR_EFER) & EFER_SVME) ? NULL : "svme_not_set";
  }
  if (smp_backend == X86_BACKEND_VMX) {
    struct vmx_caps caps;
    const char *why = vmx_check_features(&caps);
    return why != NULL ? why : vmx_enable(&caps, (uint64_t *)(void *)virt_pages[cpu]);
  }
  return "no_backend";
}

/* The AP's C entry (the trampoline calls it with its index on its own stack); never returns. */
static __attribute__((noreturn)) void ap_main(uint64_t cpu)
{
#ifdef D0_SELFTEST_SMP_SILENT_APIC
  /* Test builds only (test/boot/smp.test.ts): this AP never checks in, as a CPU that hangs
   * would; the BSP must time it out, log it and exclude it. */
  if (lapic_self_id() == D0_SELFTEST_SMP_SILENT_APIC)
    for (;;)
      __asm__ volatile("cli; hlt" ::: "memory");
#endif
  __atomic_store_n(&ap_state[cpu], AP_ARRIVED, __ATOMIC_RELEASE);
  x86_desc_init_ap((uint32_t)cpu);
  const char *why = ap_backend_on((uint32_t)cpu);
  uint32_t id = lapic_self_id();
  if (why == NULL)
    log_up(id, (uint32_t)cpu);
  else
    log_failed(id, why);
  __atomic_store_n(&ap_state[cpu], why == NULL ? AP_UP : AP_FAILED, __ATOMIC_RELEASE);
  /* Up: wait for work (x86_smp_give) or the word to park. Only until the BSP has placed the
   * VMs, right after the last AP came up; a CPU that failed parks at once. */
  while (why == NULL && !__atomic_load_n(&work[cpu].released, __ATOMIC_ACQUIRE))
    x86_pause();
  if (why == NULL && work[cpu].fn != NULL) {
    /* A fresh TLB: the trampoline page this CPU executed is RW+NX in the tables since. */
    x86_paging_flush_this_cpu();
    x86_tick_start_this_cpu();
    work[cpu].fn(work[cpu].arg);
  }
  /* Parked for good: interrupts off, woken only by NMI/SMI/INIT. */
  for (;;)
    __asm__ volatile("cli; hlt" ::: "memory");
}

uint32_t x86_smp_cpus(uint32_t *slots, uint32_t *apic_ids, uint32_t max)
{
  uint32_t n = up_count < max ? up_count : max;
  for (uint32_t i = 0; i < n; i++) {
    slots[i] = up_slots[i];
    apic_ids[i] = up_apic_ids[i];
  }
  return n;
}

bool x86_smp_give(uint32_t slot, void (*fn)(void *), void *arg)
{
  bool up = false;
  for (uint32_t i = 1; i < up_count; i++)
    up |= up_slots[i] == slot;
  if (!up || work[slot].released)
    return false;
  work[slot].fn = fn;
  work[slot].arg = arg;
  __atomic_store_n(&work[slot].released, 1, __ATOMIC_RELEASE);
  return true;
}

void x86_smp_park_idle(void)
{
  /* Every AP that came up, listed or not (none is listed when the BSP's backend failed). */
  for (uint32_t slot = 1; slot < X86_MAX_CPUS; slot++)
    if (__atomic_load_n(&ap_state[slot], __ATOMIC_ACQUIRE) == AP_UP)
      __atomic_store_n(&work[slot].released, 1, __ATOMIC_RELEASE);
}

static void delay_ns(uint64_t ns)
{
  uint64_t end = arch_time_ns() + ns;
  while (arch_time_ns() < end)
    x86_pause();
}

/* Polls ap_state[cpu] until it leaves `from`, at most ns; returns the state seen last. */
static uint32_t wait_state(uint32_t cpu, uint32_t from, uint64_t ns)
{
  uint64_t end = arch_time_ns() + ns;
  uint32_t s;
  while ((s = __atomic_load_n(&ap_state[cpu], __ATOMIC_ACQUIRE)) == from && arch_time_ns() < end)
    x86_pause();
  return s;
}

/* Writes the code and its data block into the page (RW+NX in D0's tables until then). */
static void tramp_fill(uint64_t page)
{
  uint8_t *p = (uint8_t *)(uintptr_t)page;
  uint64_t start = (uintptr_t)x86_smp_tramp_start;
  memset(p, 0, 4096);
  memcpy(p, x86_smp_tramp_start, (size_t)((uintptr_t)x86_smp_tramp_end - start));
  /* Flat 4 GiB descriptors, accessed bits set so that loading them never writes the page. */
  static const uint64_t gdt[4] = {0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull,
                                  0x00af9b000000ffffull};
  memcpy(p + TRAMP_GDT, gdt, sizeof gdt);
  uint16_t limit = sizeof gdt - 1, sel32 = TRAMP_SEL_CODE32, sel64 = TRAMP_SEL_CODE64;
  uint32_t gdt_base = (uint32_t)page + TRAMP_GDT;
  uint32_t to32 = (uint32_t)(page + ((uintptr_t)x86_smp_tramp32 - start));
  uint32_t to64 = (uint32_t)(page + ((uintptr_t)x86_smp_tramp64 - start));
  uint32_t cr3 = (uint32_t)x86_read_cr3();
  uint64_t h = (uintptr_t)&handoff;
  memcpy(p + TRAMP_GDTR, &limit, 2);
  memcpy(p + TRAMP_GDTR + 2, &gdt_base, 4);
  memcpy(p + TRAMP_JMP32, &to32, 4);
  memcpy(p + TRAMP_JMP32 + 4, &sel32, 2);
  memcpy(p + TRAMP_JMP64, &to64, 4);
  memcpy(p + TRAMP_JMP64 + 4, &sel64, 2);
  memcpy(p + TRAMP_CR3, &cr3, 4);
  memcpy(p + TRAMP_HANDOFF, &h, 8);
}

/* Why APs cannot be started at all (the BSP alone runs), or NULL. */
static const char *tramp_ready(uint64_t tramp_phys, uint64_t lapic_phys)
{
  if (tramp_phys == 0)
    return "no_trampoline_page";
  if (tramp_phys >= 0x100000 || (tramp_phys & 0xfff) != 0)
    return "trampoline_page_unusable";
  if ((uintptr_t)x86_smp_tramp_end - (uintptr_t)x86_smp_tramp_start > TRAMP_DATA)
    return "trampoline_too_long";
  if (x86_read_cr3() >= 0x100000000ull)
    return "cr3_above_4g"; /* the 32-bit code loads CR3 with a 32-bit MOV */
  const char *why = lapic_init(lapic_phys);
  if (why != NULL)
    return why;
  tramp_fill(tramp_phys);
  if (x86_paging_set_page(tramp_phys, 1) != 0)
    return "trampoline_not_mapped";
  return NULL;
}

/* INIT-SIPI-SIPI to one AP and its check-in; NULL when it came up with its backend on. The AP
 * logs its own cpu_up or backend failure; the reasons returned here are the BSP's to log. */
static const char *start_ap(uint32_t apic_id, uint32_t cpu, uint8_t vector, bool *logged)
{
  *logged = false;
  handoff.stack = (uintptr_t)(ap_stacks[cpu] + AP_STACK_BYTES);
  handoff.entry = (uintptr_t)ap_main;
  handoff.arg = cpu;
  ap_state[cpu] = AP_WAITING;
  __atomic_thread_fence(__ATOMIC_SEQ_CST); /* MFENCE: x2APIC ICR writes are not serializing */
  if (!lapic_send_init(apic_id, ICR_TIMEOUT_NS))
    return "init_not_delivered";
  delay_ns(INIT_DELAY_NS);
  for (int sipi = 0; sipi < 2; sipi++) {
    if (!lapic_send_startup(apic_id, vector, ICR_TIMEOUT_NS))
      return "sipi_not_delivered";
    if (wait_state(cpu, AP_WAITING, SIPI_DELAY_NS) != AP_WAITING)
      break;
  }
  if (wait_state(cpu, AP_WAITING, SMP_CHECKIN_MS * NS_PER_MS) == AP_WAITING)
    return "no_checkin";
  uint32_t s = wait_state(cpu, AP_ARRIVED, SMP_REPORT_MS * NS_PER_MS);
  if (s == AP_ARRIVED)
    return "no_report";
  *logged = true; /* cpu_up, or cpu_failed with the backend's reason */
  return s == AP_UP ? NULL : "backend";
}

/* The BSP's backend through its own init (idempotent: the first vCPU finds it ready). */
static bool bsp_backend_on(void)
{
  if (smp_backend == X86_BACKEND_SVM)
    return svm_host_init() == HV_OK && (x86_rdmsr(MSR_EFER) & EFER_SVME);
  if (smp_backend == X86_BACKEND_VMX)
    return vmx_host_init() == HV_OK;
  return false;
}

uint32_t x86_smp_start(uint64_t tramp_phys, uint64_t lapic_phys, const uint32_t *apic_ids,
                       uint32_t n, enum x86_backend backend)
{
  smp_backend = backend;
  uint32_t bsp = lapic_self_id(), up = 0, next_cpu = 1;
  if (bsp_backend_on()) {
    log_up(bsp, 0);
    up = 1;
    up_slots[0] = 0;
    up_apic_ids[0] = bsp;
    up_count = 1;
  } else {
    log_failed(bsp, "backend");
  }
  const char *why = NULL;
  bool others = false;
  for (uint32_t i = 0; i < n; i++)
    others |= apic_ids[i] != bsp;
  if (others)
    why = tramp_ready(tramp_phys, lapic_phys);
  for (uint32_t i = 0; others && why == NULL && i < n; i++) {
    if (apic_ids[i] == bsp)
      continue;
    if (next_cpu >= X86_MAX_CPUS) {
      log_failed(apic_ids[i], "cpu_table_full");
      continue;
    }
    bool logged;
    const char *fail = start_ap(apic_ids[i], next_cpu, (uint8_t)(tramp_phys >> 12), &logged);
    if (fail == NULL) {
      up++;
      if (up_count > 0) { /* only with the BSP's backend on: no VM runs otherwise */
        up_slots[up_count] = next_cpu;
        up_apic_ids[up_count++] = apic_ids[i];
      }
      next_cpu++;
      continue;
    }
    if (!logged)
      log_failed(apic_ids[i], fail);
    /* Excluded: INIT puts it back into wait-for-SIPI. Its slot (stack, GDT/TSS, backend page)
     * goes to the next CPU only if it never reached C; one that did may still be running on it
     * (INIT is blocked in VMX root operation), so that slot is never reused. */
    lapic_send_init(apic_ids[i], ICR_TIMEOUT_NS);
    if (__atomic_load_n(&ap_state[next_cpu], __ATOMIC_ACQUIRE) != AP_WAITING)
      next_cpu++;
  }
  if (others && why == NULL && x86_paging_set_page(tramp_phys, 0) != 0)
    why = "trampoline_not_unmapped";
  log_begin("cpus_up");
  log_u64("count", up);
  log_u64("of", n);
  if (others && why == NULL) {
    log_str("lapic", lapic_mode_name());
    /* W^X after use: the page's flags in D0's tables now (RW + NX: data, never code again). */
    log_hex("trampoline", tramp_phys);
    log_hex("trampoline_pte", x86_paging_leaf(tramp_phys));
  }
  if (why != NULL)
    log_str("reason", why);
  log_end();
  return up;
}
