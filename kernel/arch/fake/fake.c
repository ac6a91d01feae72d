/*
 * The fake arch backend: implements arch/arch.h for host tests. It is a mock of the CPU's
 * virtualization extensions (which cannot run in a host process), not of anything D0 owns:
 * guest RAM, devices, dispatch and lifecycle above it are the real code.
 */
#include "arch/fake/fake.h"

#include <string.h>

#include "hv/err.h"
#include "arch/boot_regs.h"

static uint64_t now_ns;
static uint64_t npt_budget = ~0ull;
static struct fake_event events[FAKE_EVENTS_MAX];
static size_t nevents;

void fake_time_set(uint64_t ns) { now_ns = ns; }
void fake_time_advance(uint64_t ns) { now_ns += ns; }
uint64_t arch_time_ns(void) { return now_ns; }
void fake_npt_fail_after(uint64_t n) { npt_budget = n; }

int arch_vm_init(struct arch_vm *avm)
{
  memset(avm, 0, sizeof(*avm));
  avm->live = true;
  return HV_OK;
}

void arch_vm_destroy(struct arch_vm *avm) { avm->live = false; }

int arch_npt_map_page(struct arch_vm *avm, gpa_t gpa, hpa_t hpa, uint64_t page_size,
                      uint32_t prot)
{
  (void)prot;
  if (npt_budget == 0)
    return HV_E_ARCH;
  if (npt_budget != ~0ull)
    npt_budget--;
  /* The contract the generic code must keep: aligned pages of the two sizes only. */
  if ((page_size != ARCH_PAGE_4K && page_size != ARCH_PAGE_2M) ||
      ((gpa_addr(gpa) | hpa_addr(hpa)) & (page_size - 1)) != 0)
    return HV_E_INVAL;
  uint64_t n = avm->mapped_2m + avm->mapped_4k;
  if (n < FAKE_MAP_LOG) {
    avm->map_gpa[n] = gpa_addr(gpa);
    avm->map_size[n] = page_size;
  }
  if (page_size == ARCH_PAGE_2M)
    avm->mapped_2m++;
  else
    avm->mapped_4k++;
  avm->mapped_bytes += page_size;
  return HV_OK;
}

hpa_t arch_hva_to_hpa(hva_t hva) { return hpa_init(hva_addr(hva)); }

int arch_vcpu_init(struct arch_vcpu *vcpu, struct arch_vm *avm, uint32_t index,
                   const struct boot_regs *regs)
{
  memset(vcpu, 0, sizeof(*vcpu));
  vcpu->live = true;
  vcpu->vm = avm;
  vcpu->index = index;
  if (regs != NULL) {
    vcpu->rip = vcpu->entry_rip = regs->rip;
    vcpu->entry_rsi = regs->rsi;
    vcpu->entry_cr3 = regs->cr3;
    vcpu->entry_cr0 = regs->cr0;
    vcpu->entry_cs_base = regs->cs.base;
    vcpu->entry_cs_selector = regs->cs.selector;
  }
  return HV_OK;
}

void arch_vcpu_destroy(struct arch_vcpu *vcpu) { vcpu->live = false; }

void fake_vcpu_script(struct arch_vcpu *vcpu, const struct fake_step *steps, size_t n)
{
  vcpu->script = steps;
  vcpu->script_len = n;
  vcpu->pos = 0;
}

int arch_vcpu_run(struct arch_vcpu *vcpu, struct arch_exit *exit)
{
  if (vcpu->pos >= vcpu->script_len) {
    memset(exit, 0, sizeof(*exit));
    exit->reason = ARCH_EXIT_HLT;
    exit->rip = vcpu->rip;
    return HV_OK;
  }
  const struct fake_step *s = &vcpu->script[vcpu->pos++];
  if (s->hook != NULL)
    s->hook(s->ctx);
  now_ns += s->advance_ns;
  if (s->fail)
    return HV_E_ARCH;
  *exit = s->exit;
  exit->rip = vcpu->rip;
  return HV_OK;
}

void arch_vcpu_complete(struct arch_vcpu *vcpu, const struct arch_exit *exit,
                        uint64_t read_value)
{
  if (exit->dir == ARCH_DIR_READ) {
    vcpu->last_read = read_value;
    vcpu->rax = read_value;
  }
  vcpu->completions++;
  vcpu->rip++;
}

void arch_vcpu_complete_cpuid(struct arch_vcpu *vcpu, const struct arch_exit *exit,
                              const struct arch_cpuid_result *res)
{
  (void)exit;
  vcpu->rax = res->eax;
  vcpu->rbx = res->ebx;
  vcpu->rcx = res->ecx;
  vcpu->rdx = res->edx;
  vcpu->completions++;
  vcpu->rip++;
}

/* A fixed "host": leaf 1 and 0x80000001 advertise VMX and SVM so the filter is observable. */
void arch_host_cpuid(uint32_t leaf, uint32_t subleaf, struct arch_cpuid_result *out)
{
  (void)subleaf;
  memset(out, 0, sizeof(*out));
  if (leaf == 0) {
    out->eax = 0xd;
    out->ebx = 0x756e6547; /* "Genu" "ineI" "ntel" */
    out->edx = 0x49656e69;
    out->ecx = 0x6c65746e;
  } else if (leaf == 1) {
    out->ecx = (1u << 24) | (1u << 21) | (1u << 5) | (1u << 0); /* TSC-deadline x2APIC VMX SSE3 */
    out->edx = (1u << 9) | (1u << 0);                           /* APIC FPU */
    out->ebx = 5u << 24;                                        /* the host CPU's APIC ID */
  } else if (leaf == 0x80000000u) {
    out->eax = 0x8000000au; /* past what a guest is shown (0x80000008) */
  } else if (leaf == 0x8000000au) {
    out->eax = 1, out->ebx = 8, out->edx = 1; /* SVM features: never shown */
  } else if (leaf == 0x40000000u) {
    out->eax = 0x40000001u, out->ebx = 0x54474354; /* "TCGT...": the host's hypervisor */
  } else if (leaf == 0x80000001u) {
    out->ecx = (1u << 2) | (1u << 0);
  }
}

void arch_irq_set_level(struct arch_vm *avm, uint32_t gsi, bool level)
{
  if (gsi >= FAKE_IRQ_LINES)
    return;
  if (level && !avm->irq_level[gsi])
    avm->irq_edges[gsi]++;
  avm->irq_level[gsi] = level;
}

static void copy_str(char *dst, const char *src)
{
  size_t i = 0;
  for (; src != NULL && src[i] != '\0' && i + 1 < FAKE_EVENT_STR; i++)
    dst[i] = src[i];
  dst[i] = '\0';
}

void hv_event_sink(const struct hv_event *ev)
{
  if (nevents == FAKE_EVENTS_MAX) {
    memmove(&events[0], &events[1], sizeof(events[0]) * (FAKE_EVENTS_MAX - 1));
    nevents--;
  }
  struct fake_event *e = &events[nevents++];
  copy_str(e->vm, ev->vm);
  copy_str(e->dev, ev->dev);
  copy_str(e->what, ev->what);
  e->err = ev->err;
  e->a = ev->a;
  e->b = ev->b;
}

size_t fake_events_count(void) { return nevents; }
const struct fake_event *fake_event_at(size_t i) { return i < nevents ? &events[i] : NULL; }
void fake_events_clear(void) { nevents = 0; }

const struct fake_event *fake_event_find(const char *what)
{
  for (size_t i = nevents; i-- > 0;)
    if (strcmp(events[i].what, what) == 0)
      return &events[i];
  return NULL;
}

/* Interrupt injection: the fake guest always accepts; the injected vectors are recorded. */
bool arch_vcpu_can_inject(const struct arch_vcpu *vcpu) { return !vcpu->block_inject; }

void arch_vcpu_inject(struct arch_vcpu *vcpu, uint8_t vector)
{
  if (vcpu->injected_count < FAKE_INJECT_LOG)
    vcpu->injected[vcpu->injected_count] = vector;
  vcpu->injected_count++;
}

void arch_vcpu_request_window(struct arch_vcpu *vcpu) { vcpu->window_requests++; }
